"""Learning-rate schedules: warm-up + cosine, step and exponential decay, then the validation loss of the
tiny induction Transformer trained under each (real runs, trained once by ``lib.models.runs``).

Goyal et al. 2017, "Accurate, Large Minibatch SGD", §2.2 (linear warm-up); Loshchilov & Hutter 2017,
"SGDR", eq. 5 (cosine decay); step decay η_0 γ^⌊t/s⌋ and exponential decay η_0 γ^t (torch's ``StepLR`` and
``ExponentialLR``). Every rate drawn is the one the run's optimiser used (``lib.models.run_configs``), every
loss the one it measured (``schedules.npz``).
"""

from __future__ import annotations

import math

import numpy as np
from manim import DOWN, LEFT, RIGHT, UP, UR, Create, FadeIn, FadeOut, SurroundingRectangle, VGroup

from lib.models.run_configs import SCHEDULE_RUNS, SCHEDULES
from lib.models.store import load_arrays
from scenes.engine.base import LectureScene
from scenes.engine.registry import register
from scenes.kit import numbers, theme
from scenes.kit.equation import Equation
from scenes.kit.frame import below, column, fit_width, row, to_safe
from scenes.kit.plot import Plot, legend, log_bounds, nice_range
from scenes.kit.table import NumberTable
from scenes.training.params.schedules import Params as SchedulesParams

HOLD = theme.HOLD  # seconds to read a slide (scenes/kit/theme.py)
FORMULA_SIZE = 30
# the formulas, in the order of SCHEDULES (ASCII TeX)
FORMULAS = {
    "constant": r"\eta_t = \eta_0",
    "warmup_cosine": r"\eta_t = \begin{cases} \eta_0\, t / W & t < W \\"
    r" \frac{\eta_0}{2}\left(1 + \cos \frac{\pi (t - W)}{T - W}\right) & t \ge W \end{cases}",
    "step": r"\eta_t = \eta_0\, \gamma^{\lfloor t / s \rfloor}",
    "exponential": r"\eta_t = \eta_0\, \gamma^{t}",
}


def _decimals(step: float) -> int:
    """Decimals that write every multiple of a tick step exactly (0.002 → 3)."""
    return max(0, -math.floor(math.log10(step) + 1e-9))


def _decade(v: float) -> str:
    """A power of ten as a plain decimal: 0.01, 0.1, 1, 10."""
    return numbers.fixed(v, max(0, -round(math.log10(v))))


@register("training.schedules")
class Schedules(LectureScene):
    """Warm-up + cosine, step and exponential learning-rate schedules, and real runs under each."""

    Params = SchedulesParams
    # the example keeps constant and step decay (their overlap beat plays); without either it is skipped
    EXAMPLES = ({"runs": ("constant", "step", "warmup_cosine"), "readout": "best", "log_loss": False},)

    STRINGS = {
        "en": {
            "title": "Learning-rate schedules",
            "subtitle": "how big a step, at which point of training",
            "constant": "constant",
            "warmup_cosine": "warm-up + cosine",
            "step": "step decay",
            "exponential": "exponential decay",
            "hp_constant": "η₀ = {lr}",
            "hp_warmup_cosine": "W = {w},  T = {t}",
            "hp_step": "s = {s},  γ = {g}",
            "hp_exponential": "γ = {g} per step",
            "lr_axis": "learning rate η",
            "step_axis": "optimiser step t",
            "loss_axis": "validation loss",
            "runs_setup": "the tiny induction Transformer, same start, AdamW; validated every {every} steps",
            "col_run": "schedule",
            "col_loss_final": "final loss",
            "col_loss_best": "lowest loss",
            "col_step": "at step",
            "col_acc": "accuracy",
            "first_cut": "step decay's first cut",
        },
        "zh": {
            "title": "学习率调度",
            "subtitle": "训练到哪一步，该迈多大的步子",
            "constant": "恒定",
            "warmup_cosine": "预热 + 余弦",
            "step": "阶梯衰减",
            "exponential": "指数衰减",
            "hp_constant": "η₀ = {lr}",
            "hp_warmup_cosine": "W = {w}，T = {t}",
            "hp_step": "s = {s}，γ = {g}",
            "hp_exponential": "每步 γ = {g}",
            "lr_axis": "学习率 η",
            "step_axis": "优化步 t",
            "loss_axis": "验证损失",
            "runs_setup": "小型归纳 Transformer，相同初始权重，AdamW，每 {every} 步验证一次",
            "col_run": "调度",
            "col_loss_final": "最终损失",
            "col_loss_best": "最低损失",
            "col_step": "步数",
            "col_acc": "准确率",
            "first_cut": "阶梯衰减第一次减半",
        },
    }

    NARRATION = {
        "en": {
            "formulas": "A learning-rate schedule decides how big a step the optimiser takes at each point "
            "of training. Warm-up starts small and grows linearly, then a cosine brings the rate down to "
            "zero. Step decay cuts it by a fixed factor every few hundred steps; exponential decay shrinks "
            "it a little at every step.",
            "lr_curves": "Here they are over {t} steps, all with a peak rate of {lr}. The warm-up lasts {w} "
            "steps; step decay halves the rate every {s} steps; exponential decay multiplies it by {g} each "
            "step, which leaves {lr_end} at the end.",
            "losses": "Do they matter? We trained the tiny induction Transformer {t} steps under each "
            "schedule, from the same initial weights and on the same batches. This is its validation loss.",
            "overlap": "Constant and step decay take the same first {s} steps at the full rate: up to step "
            "{s} they are one run, and both read {v} there. Halving the rate after that does not rescue step "
            "decay; its curve stays almost on top of the constant one.",
            "why": "In these runs the start decides. A run that spends its first steps at the full rate gets "
            "stuck: a freshly initialised model takes large, unreliable steps and lands where it cannot "
            "easily leave. Warm-up, or a decay that begins at once, keeps the early steps small, and later "
            "lets the weights settle into the minimum.",
            "table": "The {readout} validation loss is lowest with {best}, {best_loss}, at {best_acc} "
            "accuracy, and highest with {worst}, {worst_loss}. Same model, same data: only the schedule "
            "differs.",
        },
        "zh": {
            "formulas": "学习率调度决定优化器在训练的每个阶段迈多大的步子。预热从很小的学习率开始线性增大，"
            "随后用余弦曲线把它降到零。阶梯衰减每隔若干步乘上一个固定因子；指数衰减则每一步都缩小一点。",
            "lr_curves": "这是它们在 {t} 步内的样子，峰值学习率都是 {lr}。预热持续 {w} 步；阶梯衰减每 {s} "
            "步把学习率减半；指数衰减每步乘以 {g}，到最后只剩 {lr_end}。",
            "losses": "这真的重要吗？我们用每种调度把小型归纳 Transformer 训练了 {t} 步，初始权重相同，"
            "批次也相同。这是它的验证损失。",
            "overlap": "恒定和阶梯衰减的前 {s} 步都用满学习率：到第 {s} 步为止它们就是同一次训练，"
            "那里的验证损失都是 {v}。之后把学习率减半也救不回阶梯衰减，它的曲线几乎与恒定的重合。",
            "why": "在这几次训练里，起决定作用的是开头。一开始就用满学习率的训练会卡住："
            "刚初始化的模型步子又大又不可靠，落到一个难以离开的地方。"
            "预热，或者从一开始就衰减，让早期的步子保持很小，之后再让权重稳稳落进极小值。",
            "table": "{readout}验证损失最低的是{best}，为 {best_loss}，准确率 {best_acc}；最高的是{worst}，"
            "为 {worst_loss}。模型相同，数据相同，只有调度不同。",
        },
    }
    READOUT = {"en": {"final": "final", "best": "lowest"}, "zh": {"final": "最终", "best": "最低"}}

    def construct(self) -> None:
        self.compute()
        self.show_formulas()
        self.show_losses()
        self.show_table()

    # --- numbers (all from lib/ and the committed run) ---------------------------------------------------
    def compute(self) -> None:
        p = self.params
        self.cfg = SCHEDULE_RUNS
        data = load_arrays("schedules.npz")
        self.t_axis = np.arange(self.cfg.steps)  # (steps,)  optimiser step t
        self.lrs = {n: data[f"{n}_lr"] for n in SCHEDULES}  # (steps,) each: the rates the run used
        self.val_step = data["val_step"]  # (E,)
        self.val_loss = {n: data[f"{n}_val_loss"] for n in p.runs}  # (E,) each
        self.val_acc = {n: data[f"{n}_val_acc"] for n in p.runs}  # (E,) each
        # the evaluation each run is read at: its last, or its lowest validation loss (selection only)
        self.pick = {
            n: len(self.val_step) - 1 if p.readout == "final" else int(np.argmin(self.val_loss[n]))
            for n in p.runs
        }

    def _label(self, n: str) -> str:
        return self.t(n)

    # --- beats ---------------------------------------------------------------------------------------------
    def show_formulas(self) -> None:
        c = self.cfg
        self.header = self.title_bar("title", "subtitle")
        lr = numbers.fixed(c.lr, _decimals(c.lr))
        hp = {
            "constant": self.t("hp_constant", lr=lr),
            "warmup_cosine": self.t(
                "hp_warmup_cosine", w=numbers.integer(c.warmup), t=numbers.integer(c.steps)
            ),
            "step": self.t("hp_step", s=numbers.integer(c.step_size), g=numbers.fixed(c.step_gamma, 1)),
            "exponential": self.t("hp_exponential", g=numbers.fixed(c.exp_gamma, 3)),
        }
        cards = []
        for n in SCHEDULES:
            name = self.text(n, size=theme.LABEL, color=theme.SCHEDULE[n])
            caption = self.plain(hp[n], size=theme.SMALL, color=theme.MUTED)
            head = row([name, caption], buff=theme.BUFF, align="center")
            eq = Equation(FORMULAS[n], font_size=FORMULA_SIZE, color=theme.SCHEDULE[n])
            cards.append(column([head, eq], buff=theme.BUFF_SMALL))
        self.formulas = column(cards, buff=theme.BUFF_LARGE)
        fit_width(self.formulas, 5.6)
        below(to_safe(self.formulas, LEFT), self.header, buff=theme.BUFF_LARGE)

        lo, hi, step = nice_range([c.lr])
        d = _decimals(step)
        plot = Plot(
            (0, c.steps, c.steps // 4),
            (lo, hi, step),
            width=6.2,
            height=4.2,
            y_format=lambda v: numbers.fixed(v, d) if v else "0",
            x_label=self.t("step_axis"),
            y_label=self.t("lr_axis"),
        )
        plot.next_to(self.formulas, RIGHT, buff=theme.BUFF_SECTION).align_to(self.formulas, UP)
        to_safe(plot, RIGHT)
        self.lr_plot = plot
        curves = [
            plot.series(
                self.t_axis, self.lrs[n], theme.SCHEDULE[n], key="lr", index=(n,), dots=False, width=3
            )
            for n in SCHEDULES
        ]
        self.lr_curves = VGroup(*curves)
        lr_end = self.lrs["exponential"][-1]
        with self.beat("formulas"):
            self.play(FadeIn(self.header))
            self.play(FadeIn(self.formulas))
            self.wait(HOLD)
        with self.beat(
            "lr_curves",
            t=numbers.integer(c.steps),
            lr=lr,
            w=numbers.integer(c.warmup),
            s=numbers.integer(c.step_size),
            g=numbers.fixed(c.exp_gamma, 3),
            lr_end=numbers.fixed(lr_end, 4),
        ):
            self.play(Create(plot))
            self.play(*[s.grow() for s in curves])
            end = plot.readout(c.steps - 1, lr_end, lambda v: numbers.fixed(v, 4), key="lr_end",
                               color=theme.SCHEDULE["exponential"], direction=UP)  # fmt: skip
            self.play(FadeIn(end))
            self.wait(HOLD)
        self.next_slide()
        self.play(FadeOut(VGroup(self.formulas, plot, self.lr_curves, end)))

    def _loss_plot(self) -> Plot:
        p, c = self.params, self.cfg
        losses = np.concatenate([self.val_loss[n] for n in p.runs])  # (R·E,)
        common = {
            "width": 6.4,
            "height": 4.4,
            "x_label": self.t("step_axis"),
            "y_label": self.t("loss_axis"),
        }
        if p.log_loss:
            lo, hi = log_bounds(losses)
            return Plot((0, c.steps, c.steps // 4), (lo, hi), y_scale="log", y_format=_decade, **common)
        lo, hi, step = nice_range(losses, 4)
        return Plot((0, c.steps, c.steps // 4), (lo, hi, step), **common)

    def show_losses(self) -> None:
        p, c = self.params, self.cfg
        setup = fit_width(self.text("runs_setup", size=theme.SMALL, color=theme.MUTED,
                                    every=numbers.integer(c.eval_every)))  # fmt: skip
        below(setup, self.header, buff=theme.BUFF)
        plot = self._loss_plot()
        below(to_safe(plot, LEFT), setup, buff=theme.BUFF_LARGE)
        plot.shift(RIGHT * 0.3)  # room for the y tick labels
        self.loss_plot = plot
        self.leg = legend([(self._label(n), theme.SCHEDULE[n]) for n in p.runs])
        self.leg.next_to(plot.axes, RIGHT, buff=theme.BUFF_SECTION).align_to(plot, UP)
        series = [
            plot.series(
                self.val_step,
                self.val_loss[n],
                theme.SCHEDULE[n],
                key="val_loss",
                index=(n,),
                width=3,
                dot_radius=0.045,
            )  # fmt: skip
            for n in p.runs
        ]
        self.loss_series = VGroup(*series)
        self.setup = setup
        with self.beat("losses", t=numbers.integer(c.steps)):
            self.play(FadeIn(setup), Create(plot), FadeIn(self.leg))
            self.play(*[s.grow(run_time=2.0) for s in series])
            self.wait(HOLD)
        if "constant" in p.runs and "step" in p.runs:
            self.show_overlap(plot)
        with self.beat("why"):
            self.wait(HOLD)
        self.next_slide()

    def show_overlap(self, plot: Plot) -> None:
        """Constant and step decay are one run until step decay's first cut: their curves coincide there.
        The marker stays: the "why" beat and the table refer to the same start."""
        c = self.cfg
        i = int(np.searchsorted(self.val_step, c.step_size, side="right")) - 1  # last evaluation ≤ s
        cut = plot.marker(
            c.step_size, color=theme.SCHEDULE["step"], label=self.t("first_cut"), key="first_cut"
        )
        v = float(self.val_loss["constant"][i])
        both = plot.readout(c.step_size, v, lambda x: numbers.fixed(x, 3), key="overlap_loss",
                            color=theme.SCHEDULE["step"], direction=UR)  # fmt: skip
        with self.beat("overlap", s=numbers.integer(c.step_size), v=numbers.fixed(v, 3)):
            self.play(FadeIn(cut), FadeIn(both))
            self.wait(HOLD)

    def show_table(self) -> None:
        p = self.params
        loc = self.READOUT[self.locale]
        loss = [float(self.val_loss[n][self.pick[n]]) for n in p.runs]
        steps = [int(self.val_step[self.pick[n]]) for n in p.runs]
        acc = [float(self.val_acc[n][self.pick[n]]) for n in p.runs]
        table = NumberTable(
            [[self._label(n) for n in p.runs], loss, steps, acc],
            header=[
                self.t("col_run"),
                self.t(f"col_loss_{p.readout}"),
                self.t("col_step"),
                self.t("col_acc"),
            ],
            formats=[str, lambda v: numbers.fixed(v, 3), numbers.integer, lambda v: numbers.percent(v, 1)],
            keys=[None, "loss", "step", "acc"],
            size=theme.SMALL,
            h_buff=0.4,
        )
        for i, n in enumerate(p.runs):
            table.cell(i, 0).set_color(theme.SCHEDULE[n])
        fit_width(table, 5.0)
        table.next_to(self.leg, DOWN, buff=theme.BUFF_LARGE).align_to(self.leg, LEFT)
        to_safe(table, RIGHT)
        marks = self.loss_plot.scatter(steps, loss, theme.ACCENT, key="readout_pt", radius=0.08)  # row order
        best, worst = int(np.argmin(loss)), int(np.argmax(loss))
        frame = SurroundingRectangle(VGroup(*[table.cell(best, j) for j in range(4)]), color=theme.ACCENT,
                                     buff=0.08)  # fmt: skip
        fmt3 = numbers.fixed
        with self.beat(
            "table",
            readout=loc[p.readout],
            best=self._label(p.runs[best]),
            best_loss=fmt3(loss[best], 3),
            best_acc=numbers.percent(acc[best], 1),
            worst=self._label(p.runs[worst]),
            worst_loss=fmt3(loss[worst], 3),
        ):
            self.play(FadeIn(table), FadeIn(marks))
            self.play(Create(frame))
            self.wait(HOLD)
