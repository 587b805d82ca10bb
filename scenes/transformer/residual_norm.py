"""Residual connections and LayerNorm: one vector through LayerNorm and RMSNorm, pre- vs post-norm, and the
gradient through a deep stack with and without residual paths.

References: Ba et al. 2016 eqs. 3–4 (LayerNorm); Zhang & Sennrich 2019 eq. 4 (RMSNorm); Xiong et al. 2020
Fig. 1 (Post-LN vs Pre-LN); He et al. 2016b eqs. 4–5 (the identity path of the gradient).
"""

from __future__ import annotations

import math

import numpy as np
from manim import DOWN, DR, LEFT, RIGHT, UP, UR, Create, LaggedStart, VGroup, Write

from lib.nets.depth_gradients import depth_gradients, init_stack
from lib.nets.norms import layer_norm, rms_norm
from scenes.engine.base import LectureScene
from scenes.engine.registry import register
from scenes.kit import numbers, theme
from scenes.kit.anim import fade_in, fade_out
from scenes.kit.diagram import LINK, Block, GateNode, arrow, elbow
from scenes.kit.equation import Equation
from scenes.kit.formula import Num, formula
from scenes.kit.frame import below, column, fit_width, row, to_safe
from scenes.kit.matrix import Heatmap
from scenes.kit.plot import Plot, legend, log_bounds, nice_step
from scenes.kit.text import tex
from scenes.transformer.params.residual_norm import Params as ResidualNormParams

HOLD = theme.HOLD  # seconds to read a slide (scenes/kit/theme.py)
CELL = 0.74  # one cell of a vector row: "−1.23" at theme.NUMBER fits with its padding
DIGITS = 2  # every vector entry and statistic is written with two decimals
LN_EPS, RMS_EPS = 1e-5, 1e-6  # torch.nn.LayerNorm's and lib's RMSNorm default ε
STAT_SIZE = 34  # the statistics' formulas, beside the rows
BRANCH_DROP = 1.15  # how far the sublayer branch runs under the residual stream
SIG = 3  # significant digits of a gradient norm (they span several decades)


def sig3(v: float) -> str:
    """A positive value with three significant digits, without an exponent: 15.5, 1.36, 0.0300."""
    return numbers.fixed(v, max(0, SIG - 1 - math.floor(math.log10(abs(v)))))


@register("transformer.residual_norm")
class ResidualNorm(LectureScene):
    """LayerNorm and RMSNorm on one vector with numbers; Post-LN vs Pre-LN; ‖∂L/∂x_l‖ through depth."""

    Params = ResidualNormParams

    EXAMPLES = ({"d_model": 6, "offset": -1.2, "seed": 3, "depth": 16, "gain": 0.8, "grad_seed": 2},)

    STRINGS = {
        "en": {
            "title": "Residual connections and LayerNorm",
            "subtitle": "Ba et al. 2016 · Zhang & Sennrich 2019 · Xiong et al. 2020",
            "row_x": "x  (residual stream, d = {d})",
            "row_centred": "x − μ",
            "row_xhat": "x̂ = (x − μ) / s",
            "row_gamma": "γ  (learnt gain)",
            "row_beta": "β  (learnt bias)",
            "row_y": "y = γ ⊙ x̂ + β",
            "row_rms_hat": "x / RMS(x)",
            "row_rms_y": "y = γ ⊙ x / RMS(x)",
            "rms_note": "no mean subtracted, no β: one statistic instead of two",
            "post_head": "Post-LN (Vaswani et al. 2017): the norm sits on the stream",
            "pre_head": "Pre-LN (GPT-2; Xiong et al. 2020): the stream is only ever added to",
            "sublayer": "attention or FFN",
            "grad_head": "Gradient norm at each layer of a {L}-layer tanh stack (width {d}, batch {b})",
            "layer_axis": "layer l",
            "grad_axis": "gradient norm ‖∂L/∂x‖ at layer l",
            "plain": "plain layers: F(x)",
            "residual": "residual layers: x + F(x)",
        },
        "zh": {
            "title": "残差连接与 LayerNorm",
            "subtitle": "Ba 等 2016 · Zhang 与 Sennrich 2019 · Xiong 等 2020",
            "row_x": "x（残差流，d = {d}）",
            "row_centred": "x − μ",
            "row_xhat": "x̂ = (x − μ) / s",
            "row_gamma": "γ（学习到的增益）",
            "row_beta": "β（学习到的偏置）",
            "row_y": "y = γ ⊙ x̂ + β",
            "row_rms_hat": "x / RMS(x)",
            "row_rms_y": "y = γ ⊙ x / RMS(x)",
            "rms_note": "不减均值，也没有 β：只需一个统计量",
            "post_head": "Post-LN（Vaswani 等 2017）：归一化位于残差流上",
            "pre_head": "Pre-LN（GPT-2；Xiong 等 2020）：残差流只做加法",
            "sublayer": "注意力或 FFN",
            "grad_head": "{L} 层 tanh 网络中每一层的梯度范数（宽 {d}，批大小 {b}）",
            "layer_axis": "第 l 层",
            "grad_axis": "第 l 层的梯度范数 ‖∂L/∂x‖",
            "plain": "无残差：F(x)",
            "residual": "有残差：x + F(x)",
        },
    }

    NARRATION = {
        "en": {
            "vector": "Every sublayer of a Transformer reads one vector of the residual stream. Here is one, "
            "with {d} numbers. LayerNorm first takes their mean, {mean}, and their variance, {var}.",
            "normalise": "Subtract the mean and divide by the standard deviation, {std}. Whatever scale the "
            "stream has grown to, the normalised vector has mean zero and unit variance.",
            "affine": "Then a learnt gain gamma and bias beta give the layer its own scale back. The first "
            "entry, {x0}, comes out as {y0}.",
            "rms": "RMSNorm, used by LLaMA, skips the centring: it divides by the root mean square, {rms}, "
            "and has no bias. One statistic instead of two, and in practice it trains just as well.",
            "post": "Where does the norm go? The original Transformer normalises after the residual "
            "addition, so the norm sits on the stream itself and every gradient must pass through it.",
            "pre": "Pre-norm moves it into the branch: the stream is only ever added to, so there is a clean "
            "identity path from the loss to every layer. That is why pre-norm trains without warm-up.",
            "gradients": "Why that identity path matters: follow the gradient back through {L} layers. "
            "At the output its norm is {out}.",
            "compare": "Without skips it is multiplied by one Jacobian per layer and reaches the input as "
            "{plain}. With skips each layer adds to the identity, and it arrives as {res}.",
        },
        "zh": {
            "vector": "Transformer 的每个子层都读取残差流中的一个向量。这里有一个，包含 {d} 个数。"
            "LayerNorm 先算出它们的均值 {mean} 和方差 {var}。",
            "normalise": "减去均值，再除以标准差 {std}。不管残差流的数值长到多大，"
            "归一化后的向量都是均值为零、方差为一。",
            "affine": "接着，学习到的增益 γ 和偏置 β 让这一层重新拥有自己的尺度。"
            "第一个分量 {x0} 最终变成了 {y0}。",
            "rms": "LLaMA 使用的 RMSNorm 省去了减均值这一步：它除以均方根 {rms}，也没有偏置。"
            "只要一个统计量，实践中训练效果同样好。",
            "post": "归一化放在哪里？原始的 Transformer 在残差相加之后再做归一化，"
            "于是归一化就在残差流上，每个梯度都必须穿过它。",
            "pre": "Pre-norm 把它移进了分支：残差流只做加法，从损失到每一层都有一条干净的恒等通路。"
            "这就是 pre-norm 不需要预热也能训练的原因。",
            "gradients": "这条恒等通路为什么重要？把梯度沿 {L} 层反向追踪。在输出端，它的范数是 {out}。",
            "compare": "没有残差时，每经过一层就要乘上一个雅可比矩阵，到达输入时只剩 {plain}。"
            "有了残差，每层都是在恒等映射上做加法，到达时是 {res}。",
        },
    }

    def construct(self) -> None:
        self.compute()
        self.header = self.title_bar("title", "subtitle")
        self.add(self.header)
        self.show_layernorm()
        self.show_rmsnorm()
        self.show_placement()
        self.show_gradients()

    def compute(self) -> None:
        p = self.params
        self.x = p.vector()  # (d,)
        self.gamma, self.beta = p.gamma_beta()  # (d,), (d,)
        self.ln = layer_norm(self.x, self.gamma, self.beta, LN_EPS)
        self.rms = rms_norm(self.x, self.gamma, RMS_EPS)
        w = init_stack(p.depth, p.width, p.gain, p.grad_seed)
        xb = p.batch_input()  # (B, width)
        self.grad_plain = depth_gradients(xb, w, residual=False)
        self.grad_res = depth_gradients(xb, w, residual=True)

    # --- helpers ---------------------------------------------------------------------------------------
    def vector_row(self, values: np.ndarray, key: str) -> Heatmap:
        """One vector as a row of diverging cells, two decimals whatever the cell (the test reads them)."""
        return Heatmap(values, key=key, cell=CELL, fmt=lambda v: numbers.fixed(v, DIGITS))

    def labelled(self, rows: list[Heatmap], label_keys: list[str], colors: list) -> VGroup:
        """Rows stacked with their cells aligned, each label right-aligned to the left of its row."""
        column(rows, buff=theme.BUFF_SMALL, align="left")
        labels = VGroup()
        for hm, k, c in zip(rows, label_keys, colors, strict=True):
            lab = self.text(k, size=theme.SMALL, color=c, d=len(self.x))  # only the x row has a {d}
            labels.add(lab.next_to(hm, LEFT, buff=theme.BUFF))
        right = max(lab.get_right()[0] for lab in labels)
        for lab in labels:
            lab.shift((right - lab.get_right()[0]) * RIGHT)
        return VGroup(*[VGroup(lab, hm) for lab, hm in zip(labels, rows, strict=True)])

    # --- beats -----------------------------------------------------------------------------------------
    def show_layernorm(self) -> None:
        ln = self.ln
        eq = Equation(
            r"y = \gamma \odot \frac{x - \mu}{\sqrt{\sigma^2 + \epsilon}} + \beta",
            terms=["y", r"\gamma", "x", r"\mu", r"\sigma^2", r"\beta"],
            colors={"y": theme.OUTPUT, "x": theme.RESIDUAL},
            font_size=38,
        )
        below(eq, self.header, buff=theme.BUFF).set_x(0)
        rows = [
            self.vector_row(self.x, "x"),
            self.vector_row(ln.x_hat, "x_hat"),
            self.vector_row(self.gamma, "gamma"),
            self.vector_row(self.beta, "beta"),
            self.vector_row(ln.y, "ln_y"),
        ]
        keys = ["row_x", "row_xhat", "row_gamma", "row_beta", "row_y"]
        colors = [theme.RESIDUAL, theme.FG, theme.FG, theme.FG, theme.OUTPUT]
        table = self.labelled(rows, keys, colors)
        stats = column(
            [
                formula(r"\mu =", Num(float(ln.mean[0]), "mean", digits=DIGITS), font_size=STAT_SIZE),
                formula(r"\sigma^2 =", Num(float(ln.var[0]), "var", digits=DIGITS), font_size=STAT_SIZE),
                formula(
                    r"s = \sqrt{\sigma^2 + \epsilon} =",
                    Num(float(ln.std[0]), "std", digits=DIGITS),
                    font_size=STAT_SIZE,
                ),
            ],
            buff=theme.BUFF,
        )
        body = fit_width(row([table, stats], buff=theme.BUFF_LARGE, align="top"))
        below(body, eq, buff=theme.BUFF_LARGE).set_x(0)
        self.table, self.ln_stats, self.ln_eq = table, stats, eq
        with self.beat(
            "vector",
            d=numbers.integer(len(self.x)),
            mean=numbers.fixed(ln.mean[0], DIGITS),
            var=numbers.fixed(ln.var[0], DIGITS),
        ):
            self.play(Write(eq))
            self.play(fade_in(table[0]))
            self.play(fade_in(stats[0]), fade_in(stats[1]))
        with self.beat("normalise", std=numbers.fixed(ln.std[0], DIGITS)):
            self.play(fade_in(stats[2]))
            self.play(fade_in(table[1]))
            self.wait(HOLD)
        self.next_slide()
        with self.beat("affine", x0=numbers.fixed(self.x[0], DIGITS), y0=numbers.fixed(ln.y[0], DIGITS)):
            self.play(LaggedStart(fade_in(table[2]), fade_in(table[3]), lag_ratio=0.5))
            self.play(fade_in(table[4]))
            self.marks = VGroup(rows[0].highlight_cell(0, 0), rows[4].highlight_cell(0, 0))
            self.play(Create(self.marks[0]), Create(self.marks[1]))
            self.wait(HOLD)
        self.next_slide()

    def show_rmsnorm(self) -> None:
        r = self.rms
        self.play(fade_out(VGroup(self.ln_eq, self.ln_stats, self.marks, *self.table[1:])))
        eq = Equation(
            r"y = \gamma \odot \frac{x}{\mathrm{RMS}(x)}, \quad "
            r"\mathrm{RMS}(x) = \sqrt{\tfrac{1}{d} \sum_i x_i^2 + \epsilon}",
            terms=["y", r"\gamma"],
            colors={"y": theme.OUTPUT},
            font_size=38,
        )
        eq.move_to(self.ln_eq)
        rows = [self.vector_row(r.x_hat, "rms_hat"), self.vector_row(r.y, "rms_y")]
        labels = ["row_rms_hat", "row_rms_y"]
        # the two new rows take the slots of x̂ and γ, under the x row that stays, their labels aligned with it
        for hm, slot, key, c in zip(rows, (1, 2), labels, (theme.FG, theme.OUTPUT), strict=True):
            hm.move_to(self.table[slot][1])
            lab = self.text(key, size=theme.SMALL, color=c).next_to(hm, LEFT, buff=theme.BUFF)
            lab.align_to(self.table[0][0], RIGHT)
            hm.label = lab
        stats = column(
            [
                formula(
                    r"\tfrac{1}{d} \sum_i x_i^2 =",
                    Num(float(r.mean_square[0]), "mean_square", digits=DIGITS),
                    font_size=STAT_SIZE,
                ),
                formula(
                    r"\mathrm{RMS}(x) =", Num(float(r.rms[0]), "rms", digits=DIGITS), font_size=STAT_SIZE
                ),
            ],
            buff=theme.BUFF,
        )
        stats.align_to(self.ln_stats, LEFT).align_to(self.ln_stats, UP)
        note = self.text("rms_note", size=theme.SMALL, color=theme.MUTED)
        below(note, VGroup(rows[1], rows[1].label), buff=theme.BUFF_LARGE, align="left")
        with self.beat("rms", rms=numbers.fixed(r.rms[0], DIGITS)):
            self.play(Write(eq))
            self.play(fade_in(stats))
            self.play(fade_in(VGroup(rows[0], rows[0].label)))
            self.play(fade_in(VGroup(rows[1], rows[1].label)), fade_in(note))
            self.wait(HOLD)
        self.next_slide()
        self.play(fade_out(VGroup(eq, stats, note, self.table[0], *rows, *[h.label for h in rows])))

    def norm_diagram(self, pre: bool) -> VGroup:
        """One residual block on a horizontal residual stream (Xiong et al. 2020, Fig. 1): Post-LN puts the
        LayerNorm on the stream after the addition, Pre-LN inside the branch before the sublayer."""
        sub = Block(self.t("sublayer"), color=theme.FG, width=2.2)
        branch = row([Block("LayerNorm", color=theme.FG), sub], buff=LINK) if pre else VGroup(sub)
        plus = GateNode("+", color=theme.RESIDUAL)
        plus.next_to(branch, RIGHT, buff=LINK).shift(UP * BRANCH_DROP)
        x_in = tex("x_l", color=theme.RESIDUAL)
        x_in.next_to(branch, LEFT, buff=LINK).set_y(plus.get_y())
        split = np.array([branch.get_left()[0] - LINK / 2, plus.get_y(), 0.0])
        parts = [x_in, branch, plus, arrow(x_in.get_right(), plus.get_left(), theme.RESIDUAL)]
        parts.append(elbow(split, branch.get_left(), theme.MUTED, first="y"))
        parts += [arrow(a.get_right(), b.get_left()) for a, b in zip(branch, branch[1:], strict=False)]
        parts.append(elbow(branch.get_right(), plus.get_bottom(), theme.MUTED, first="x"))
        last = plus
        if not pre:
            norm = Block("LayerNorm", color=theme.FG).next_to(plus, RIGHT, buff=LINK)
            parts += [norm, arrow(plus.get_right(), norm.get_left(), theme.RESIDUAL)]
            last = norm
        x_out = tex("x_{l+1}", color=theme.RESIDUAL).next_to(last, RIGHT, buff=LINK)
        parts += [x_out, arrow(last.get_right(), x_out.get_left(), theme.RESIDUAL)]
        return VGroup(*parts)

    def show_placement(self) -> None:
        panels = []
        for pre in (False, True):
            head = self.text("pre_head" if pre else "post_head", size=theme.LABEL, color=theme.FG)
            eq = Equation(
                r"x_{l+1} = x_l + F(\mathrm{LN}(x_l))" if pre else r"x_{l+1} = \mathrm{LN}(x_l + F(x_l))",
                terms=[r"\mathrm{LN}"],
                colors={r"\mathrm{LN}": theme.ACCENT},
                font_size=34,
            )
            panels.append(column([head, row([self.norm_diagram(pre), eq], buff=theme.BUFF_SECTION)]))
        body = fit_width(column(panels, buff=theme.BUFF_LARGE))
        below(body, self.header, buff=theme.BUFF_SECTION).set_x(0)
        with self.beat("post"):
            self.play(fade_in(panels[0]))
            self.wait(HOLD)
        with self.beat("pre"):
            self.play(fade_in(panels[1]))
            self.wait(HOLD)
        self.next_slide()
        self.play(fade_out(body))

    def show_gradients(self) -> None:
        p, plain, res = self.params, self.grad_plain.grad_norms, self.grad_res.grad_norms
        layers = np.arange(p.depth + 1)
        head = self.text("grad_head", size=theme.LABEL, L=p.depth, d=p.width, b=p.batch)
        below(head, self.header, buff=theme.BUFF)
        everything = np.concatenate([plain, res])
        lo, hi = log_bounds(everything, 10)
        # a decade more where a curve ends near the frame, so the readouts beside its ends have room
        lo, hi = lo / (10 if everything.min() < 3 * lo else 1), hi * (10 if everything.max() > hi / 3 else 1)
        step = nice_step(p.depth, 4)
        plot = Plot(
            (0, p.depth, step),
            (lo, hi),
            y_scale="log",
            width=7.6,
            height=4.2,
            y_format=lambda v: numbers.sci(v, 0),
            x_label=self.t("layer_axis"),
            y_label=self.t("grad_axis"),
        )
        key = legend([(self.t("residual"), theme.RESIDUAL), (self.t("plain"), theme.NEG)])
        content = fit_width(row([plot, key], buff=theme.BUFF_LARGE))
        below(content, head, buff=theme.BUFF_LARGE).set_x(0)
        to_safe(content, DOWN)
        # series and readouts are placed on the plot where it now stands (they are not part of it)
        s_plain = plot.series(layers, plain, theme.NEG, key="grad_plain", dot_radius=0.04)
        s_res = plot.series(layers, res, theme.RESIDUAL, key="grad_residual", dot_radius=0.04)
        out = plot.readout(p.depth, plain[-1], sig3, key="grad_out", direction=UP)
        first_plain = plot.readout(0, plain[0], sig3, key="grad_in_plain", color=theme.NEG, direction=DR)
        first_res = plot.readout(0, res[0], sig3, key="grad_in_residual", color=theme.RESIDUAL, direction=UR)
        with self.beat("gradients", L=numbers.integer(p.depth), out=sig3(plain[-1])):
            self.play(fade_in(head), Create(plot))
            self.play(fade_in(key), fade_in(out))
        self.next_slide()
        with self.beat("compare", plain=sig3(plain[0]), res=sig3(res[0])):
            self.play(s_plain.grow(run_time=1.5))
            self.play(fade_in(first_plain))
            self.play(s_res.grow(run_time=1.5))
            self.play(fade_in(first_res))
            self.wait(HOLD)
