"""AdamW vs Adam + L2: where the weight decay λθ enters the update, and what that does to one parameter
under large, noisy gradients (Loshchilov & Hutter 2019, "Decoupled Weight Decay Regularization",
Algorithm 2 lines 6 and 12; §2: with L2, weights with large gradients are regularised less)."""

from __future__ import annotations

import numpy as np
from manim import DOWN, LEFT, UP, VGroup, Write

from lib.training.decoupled_decay import compare_decay, noisy_gradients
from scenes.engine.base import LectureScene
from scenes.engine.registry import register
from scenes.kit import numbers, theme
from scenes.kit.anim import fade_in, fade_out
from scenes.kit.equation import Equation
from scenes.kit.frame import SAFE, column, fit_width, row, to_safe
from scenes.kit.plot import Plot, legend, nice_range
from scenes.kit.record import tag
from scenes.kit.table import NumberTable
from scenes.training.params.adamw import Params as AdamWParams

HOLD = theme.HOLD_BRIEF  # seconds to read a slide (scenes/kit/theme.py)
FORMULA_SIZE = 36
L2, W = theme.OPTIMIZER["adam"], theme.OPTIMIZER["adamw"]

# the two rules of Algorithm 2, one aligned block each; the decay term is isolated to colour it
RULE_L2 = (
    r"g_t &= \nabla f(\theta_{t-1}) + \lambda\theta_{t-1} \\"
    r" m_t &= \beta_1 m_{t-1} + (1-\beta_1)\, g_t \\"
    r" v_t &= \beta_2 v_{t-1} + (1-\beta_2)\, g_t^2 \\"
    r" \theta_t &= \theta_{t-1} - \eta\, \hat m_t / (\sqrt{\hat v_t} + \epsilon)"
)
RULE_W = (
    r"g_t &= \nabla f(\theta_{t-1}) \\"
    r" m_t &= \beta_1 m_{t-1} + (1-\beta_1)\, g_t \\"
    r" v_t &= \beta_2 v_{t-1} + (1-\beta_2)\, g_t^2 \\"
    r" \theta_t &= \theta_{t-1} - \eta\lambda\theta_{t-1} - \eta\, \hat m_t / (\sqrt{\hat v_t} + \epsilon)"
)


def _g(v: float) -> str:
    return numbers.fixed(v, 2)


def _theta(v: float) -> str:
    return numbers.fixed(v, 3)


def _v(v: float) -> str:
    return numbers.fixed(v, 4)


def _rate(v: float) -> str:
    return numbers.fixed(v, 4)


@register("training.adamw")
class AdamW(LectureScene):
    """Adam + L2 against AdamW: the rules, the effective decay per step, and one parameter's numbers."""

    Params = AdamWParams

    EXAMPLES = (
        {"theta0": 2.0, "lr": 0.05, "weight_decay": 0.2, "grad_mean": -1.0, "grad_std": 8.0, "steps": 6,
         "seed": 3},
    )  # fmt: skip

    STRINGS = {
        "en": {
            "title": "AdamW vs Adam + L2",
            "subtitle": "the same decay λθ, applied in two different places",
            "adam_l2": "Adam + L2",
            "adamw": "AdamW",
            "where_l2": "λθ joins the gradient:\naveraged into m, squared into v, divided by √v̂",
            "where_w": "λθ skips m and v:\nθ shrinks by ηλθ at every step",
            "grad_title": "gradient gₜ of f",
            "rate_title": "decay rate per step",
            "step_axis": "step t",
            "rate_l2": "Adam + L2: ηλ / (√v̂ + ε)",
            "rate_w": "AdamW: ηλ",
            "why": "Decoupled, every weight decays at the same rate ηλ, however large its gradients.",
            "col_t": "t",
            "col_g": "g",
            "col_theta": "θ",
            "col_m": "m",
            "col_v": "v",
            "setting": "η = {lr}, λ = {wd}, θ₀ = {theta0}",
        },
        "zh": {
            "title": "AdamW 与 Adam + L2",
            "subtitle": "同样的衰减 λθ，加在两个不同的位置",
            "adam_l2": "Adam + L2",
            "adamw": "AdamW",
            "where_l2": "λθ 并入梯度：\n进入 m 的平均、v 的平方，再被 √v̂ 除",
            "where_w": "λθ 绕开 m 和 v：\n每一步 θ 直接减去 ηλθ",
            "grad_title": "f 的梯度 gₜ",
            "rate_title": "每步的衰减率",
            "step_axis": "步数 t",
            "rate_l2": "Adam + L2：ηλ / (√v̂ + ε)",
            "rate_w": "AdamW：ηλ",
            "why": "解耦之后，每个权重都以同样的速率 ηλ 衰减，不论它的梯度有多大。",
            "col_t": "t",
            "col_g": "g",
            "col_theta": "θ",
            "col_m": "m",
            "col_v": "v",
            "setting": "η = {lr}，λ = {wd}，θ₀ = {theta0}",
        },
    }

    NARRATION = {
        "en": {
            "rules": "Here are the two update rules side by side. Both keep Adam's running averages: m of "
            "the gradient, v of its square, and both want to pull the weight towards zero with lambda "
            "times theta.",
            "where": "The difference is where that pull goes in. Adam with L2 adds it to the gradient, so it "
            "is averaged, squared, and then divided by the square root of v hat, like everything else. "
            "AdamW leaves the gradient alone and shrinks theta directly.",
            "gradients": "Now one parameter, stepped by both on the same large, noisy gradients.",
            "rates": "AdamW decays it by eta times lambda, {rate_w}, at every step. With L2 the decay is "
            "divided by the square root of v hat: once the gradients are large it falls, down to {rate_l2} "
            "at step {steps}.",
            "table": "Step by step, the moments barely differ, but theta does: after {steps} steps AdamW has "
            "it at {theta_w}, Adam with L2 at {theta_l2}.",
            "why": "That is why decoupling matters: with L2, the weights with the largest gradients are "
            "regularised the least. AdamW decays every weight at the same rate, and lambda means the "
            "same thing whatever the gradients look like.",
        },
        "zh": {
            "rules": "这是两种更新规则的对照。两者都保留 Adam 的滑动平均：m 是梯度的平均，"
            "v 是梯度平方的平均；两者也都想用 λ 乘 θ 把权重拉向零。",
            "where": "区别在于这股拉力从哪里进入。Adam 加 L2 把它加进梯度，于是它被平均、被平方，"
            "最后和其他部分一样被 v̂ 的平方根除。AdamW 不碰梯度，直接把 θ 缩小。",
            "gradients": "现在看一个参数：两种优化器用同一串又大又嘈杂的梯度来更新它。",
            "rates": "AdamW 每一步都按 η 乘 λ，也就是 {rate_w} 的比例衰减它。L2 的衰减却要被 v̂ 的平方根除："
            "梯度一大，它就变小，到第 {steps} 步只剩 {rate_l2}。",
            "table": "逐步来看，两者的矩估计几乎一样，θ 却不一样：{steps} 步之后，AdamW 把它降到 {theta_w}，"
            "Adam 加 L2 只到 {theta_l2}。",
            "why": "这就是解耦的意义：用 L2 时，梯度越大的权重受到的正则化反而越弱。"
            "AdamW 让每个权重以同样的速率衰减，λ 的含义不再取决于梯度的大小。",
        },
    }

    def construct(self) -> None:
        self.compute()
        self.show_rules()
        self.show_rates()
        self.show_table()

    # --- numbers (all from lib/) -----------------------------------------------------------------
    def compute(self) -> None:
        p = self.params
        self.grads = noisy_gradients(p.steps, p.grad_mean, p.grad_std, p.seed)  # (T,)
        self.cmp = compare_decay(p.theta0, self.grads, p.lr, p.weight_decay, (p.beta1, p.beta2))

    # --- beats -------------------------------------------------------------------------------------
    def show_rules(self) -> None:
        self.header = self.title_bar("title", "subtitle")
        half = (SAFE.width - theme.BUFF_LARGE) / 2
        parts = [
            (
                self.text(name, size=theme.HEADING, color=color),
                Equation(tex, terms={"decay": term}, colors={"decay": theme.ACCENT}, font_size=FORMULA_SIZE),
                self.text(where, size=theme.LABEL, color=theme.MUTED),
            )
            for name, tex, color, term, where in (
                ("adam_l2", RULE_L2, L2, r"\lambda\theta_{t-1}", "where_l2"),
                ("adamw", RULE_W, W, r"\eta\lambda\theta_{t-1}", "where_w"),
            )
        ]
        k = min(1.0, *(half / eq.width for _, eq, _ in parts))  # one scale for both: the rules read alike
        for _, eq, note in parts:
            eq.scale(k)
            fit_width(note, half)
        cards = [column(list(p), buff=theme.BUFF) for p in parts]
        self.eqs = [c[1] for c in cards]
        body = row(cards, buff=theme.BUFF_LARGE, align="top")
        body.next_to(self.header, DOWN, buff=theme.BUFF_SECTION)
        to_safe(body, LEFT)
        with self.beat("rules"):
            self.play(fade_in(self.header))
            self.play(fade_in(cards[0][0]), Write(cards[0][1]), fade_in(cards[1][0]), Write(cards[1][1]))
            self.wait(HOLD)
        boxes = VGroup(*[eq.highlight("decay") for eq in self.eqs])
        with self.beat("where"):
            self.play(fade_in(boxes), fade_in(cards[0][2]), fade_in(cards[1][2]))
            self.wait(HOLD)
        self.next_slide()
        self.play(fade_out(body, boxes))

    def show_rates(self) -> None:
        p, c = self.params, self.cmp
        t = np.arange(1, p.steps + 1)  # (T,)
        lo, hi, step = nice_range(self.grads, 5)
        gplot = Plot(
            (0, p.steps, 1), (lo, hi, step), width=5.2, height=3.2,
            x_label=self.t("step_axis"), y_label=self.t("grad_title"), y_label_color=theme.GRAD,
            x_ticks=list(range(1, p.steps + 1)), y_format=lambda v: numbers.fixed(v, 0),
        )  # fmt: skip
        rates = np.concatenate([c.adam_l2.decay_rate, c.adamw.decay_rate])
        _, rhi, rstep = nice_range(np.append(rates, 1.15 * rates.max()), 4)  # headroom for the readouts
        rplot = Plot(
            (0, p.steps, 1), (0, rhi, rstep), width=5.2, height=3.2,
            x_ticks=list(range(1, p.steps + 1)), x_label=self.t("step_axis"), y_label=self.t("rate_title"),
            y_format=_rate,
        )  # fmt: skip
        leg = legend([(self.t("rate_w"), W), (self.t("rate_l2"), L2)])
        right = column([rplot, leg], buff=theme.BUFF_LARGE)
        panels = row([gplot, right], buff=theme.BUFF_SECTION, align="top")
        fit_width(panels)
        panels.next_to(self.header, DOWN, buff=theme.BUFF_SECTION)
        to_safe(panels, LEFT)
        # the marks go where the plots now stand
        stems = gplot.stems(t, self.grads, theme.GRAD, key="grad")
        s_w = rplot.series(t, c.adamw.decay_rate, W, key="rate_w")
        s_l2 = rplot.series(t, c.adam_l2.decay_rate, L2, key="rate_l2")
        r_w = rplot.readout(t[-1], c.adamw.decay_rate[-1], _rate, key="rate_w_last", color=W, direction=UP)
        r_l2 = rplot.readout(
            t[-1], c.adam_l2.decay_rate[-1], _rate, key="rate_l2_last", color=L2, direction=UP
        )
        with self.beat("gradients"):
            self.play(fade_in(gplot))
            self.play(fade_in(stems))
            self.wait(HOLD)
        with self.beat(
            "rates",
            rate_w=_rate(c.adamw.decay_rate[-1]),
            rate_l2=_rate(c.adam_l2.decay_rate[-1]),
            steps=numbers.integer(p.steps),
        ):
            self.play(fade_in(rplot), fade_in(leg))
            self.play(s_w.grow(), s_l2.grow())
            self.play(fade_in(r_w), fade_in(r_l2))
            self.wait(HOLD)
        self.next_slide()
        self.play(fade_out(gplot, stems, rplot, leg, s_w, s_l2, r_w, r_l2))

    def show_table(self) -> None:
        p, c = self.params, self.cmp
        steps = list(range(p.steps + 1))
        blank = [""]  # step 0 has no gradient nor moments yet
        cols = [
            steps,
            blank + list(self.grads),
            list(c.adam_l2.theta), blank + list(c.adam_l2.m), blank + list(c.adam_l2.v),
            list(c.adamw.theta), blank + list(c.adamw.m), blank + list(c.adamw.v),
        ]  # fmt: skip
        heads = ["col_t", "col_g", "col_theta", "col_m", "col_v", "col_theta", "col_m", "col_v"]
        table = NumberTable(
            cols,
            header=[self.t(h) for h in heads],
            formats=[numbers.integer, _g, _theta, _theta, _v, _theta, _theta, _v],
            colors=[theme.MUTED, theme.GRAD, L2, L2, L2, W, W, W],
            keys=["step", "g", "theta_l2", "m_l2", "v_l2", "theta_w", "m_w", "v_w"],
            size=theme.SMALL,
            v_buff=0.14,
        )
        groups = VGroup()
        for name, first, color in (("adam_l2", 3, L2), ("adamw", 6, W)):
            label = self.text(name, size=theme.LABEL, color=color)
            span = VGroup(*[table.get_col_labels()[j] for j in range(first - 1, first + 2)])
            groups.add(label.next_to(span, UP, buff=theme.BUFF_SMALL).set_x(span.get_x()))
        setting = self.text(
            "setting", size=theme.SMALL, color=theme.MUTED, lr=numbers.fixed(p.lr, 3),
            wd=numbers.fixed(p.weight_decay, 3), theta0=_theta(p.theta0),
        )  # fmt: skip
        tag(setting, "setting", (p.lr, p.weight_decay, p.theta0))
        block = column([VGroup(groups, table), setting], buff=theme.BUFF, align="center")
        fit_width(block)
        block.next_to(self.header, DOWN, buff=theme.BUFF_LARGE)
        why = fit_width(self.text("why", size=theme.LABEL, color=theme.ACCENT))
        why.next_to(block, DOWN, buff=theme.BUFF_LARGE)
        to_safe(block, LEFT)
        why.align_to(block, LEFT)
        with self.beat(
            "table",
            steps=numbers.integer(p.steps),
            theta_w=_theta(c.adamw.theta[-1]),
            theta_l2=_theta(c.adam_l2.theta[-1]),
        ):
            self.play(fade_in(groups), fade_in(table), fade_in(setting))
            self.wait(HOLD)
        with self.beat("why"):
            self.play(fade_in(why))
            self.wait(HOLD)
