"""The continuous state-space model h'(t) = A h(t) + B x(t), y(t) = C h(t), solved exactly with expm."""

from __future__ import annotations

import numpy as np
from manim import (
    DOWN,
    LEFT,
    RIGHT,
    UP,
    DashedLine,
    Dot,
    FadeIn,
    FadeOut,
    LaggedStart,
    ValueTracker,
    VGroup,
    Write,
    linear,
)

from lib.mamba.ssm import simulate_sinusoids
from lib.mamba.ssm_examples import ContinuousSystem, hippo_system, oscillatory_system
from scenes.engine.base import LectureScene
from scenes.engine.registry import register
from scenes.kit import numbers, theme
from scenes.kit.anim import fade_in
from scenes.kit.equation import Equation
from scenes.kit.formula import Num, formula, matrix_pieces, vector_pieces
from scenes.kit.frame import SAFE, below, column, fit_width, row, to_safe
from scenes.kit.plot import Plot, legend, nice_range
from scenes.kit.record import tag, tag_located
from scenes.kit.text import tex
from scenes.mamba.params.continuous_ssm import Params as ContinuousSSMParams

SAMPLES = 241  # time samples of the exact solution (every one an expm of the augmented system)
PLOT_W = 7.1  # width of the three stacked plots
PLOT_H = {"x": 1.25, "h": 2.05, "y": 1.25}  # heights of the input, state and output plots
LABEL_W = 1.55  # room left of the plots for the row labels and the y tick labels
MATRIX_SIZE = 38  # TeX size of A, B, C
SMALL_TEX = 32  # TeX size of the formulas in the right column


@register("mamba.continuous_ssm")
class ContinuousSSM(LectureScene):
    """The continuous SSM: an input signal drives N states, read out as y — solved exactly by expm."""

    Params = ContinuousSSMParams

    EXAMPLES = (
        {
            "system": "hippo",
            "state_size": 4,
            "decay": 0.5,
            "amplitudes": (1.5, -0.5, 0.4),
            "frequencies": (0.5, 2.0, 5.0),
            "duration": 16.0,
            "seed": 3,
        },
    )

    STRINGS = {
        "en": {
            "title": "The continuous state-space model",
            "subtitle": "an input signal drives N hidden states; the output reads them out",
            "eigs": "eigenvalues of A:",
            "stable": "every real part < 0: stable, the state forgets its past",
            "input": "input",
            "state": "state",
            "output": "output",
            "time": "time t",
            "exact": "Solved exactly, no step size:",
            "augment": "x(t) is itself linear (sin′ = ω cos):\nadd it to the state, then one matrix\n"
            "exponential gives h(t) at any t",
            "at_end": "at t = {t}:",
        },
        "zh": {
            "title": "连续状态空间模型",
            "subtitle": "输入信号驱动 N 个隐藏状态，输出把它们读出来",
            "eigs": "A 的特征值：",
            "stable": "实部全都小于 0：系统稳定，状态会逐渐遗忘过去",
            "input": "输入",
            "state": "状态",
            "output": "输出",
            "time": "时间 t",
            "exact": "精确求解，无需步长：",
            "augment": "x(t) 本身也满足线性方程（sin′ = ω cos）：\n把它并入状态，一次矩阵指数\n"
            "就得到任意时刻的 h(t)",
            "at_end": "在 t = {t} 时：",
        },
    }

    # What the lecturer says per beat; every number comes in through a field the scene computed.
    NARRATION = {
        "en": {
            "system": "This is the continuous state-space model. The input x of t drives a hidden state h "
            "of t through B, the matrix A decides how the state evolves on its own, and C reads the state "
            "out as the output y of t. Here is a small example with concrete matrices.",
            "eigenvalues": "What matters most about A is its eigenvalues. Every one of them has a negative "
            "real part; the largest is {re_max}. So the system is stable: left alone, the state decays, and "
            "the model slowly forgets its past.",
            "input": "Now the input, built from sine waves: its curve is on top, its formula on the right. "
            "It enters the state through B.",
            "response": "As the marker sweeps through time, each component of the state follows the input, "
            "filtered by the dynamics of A. The output y is simply C times the state: one fixed weighted "
            "sum of these curves.",
            "exact": "None of this needed a step size. The state has an exact solution: e to the t A times "
            "the initial state, plus an integral over the input. A sine wave is itself the solution of a "
            "linear system, so we add it to the state, and one matrix exponential gives h at any time we "
            "like.",
            "end": "At t = {t}, the state and the output are read straight off that exact solution: y is "
            "{y}. These are the numbers every discretisation will try to match.",
        },
        "zh": {
            "system": "这是连续状态空间模型。输入 x(t) 经过 B 驱动隐藏状态 h(t)，矩阵 A "
            "决定状态自身如何演化，C 再把状态读出来，得到输出 y(t)。这里是一个带具体矩阵的小例子。",
            "eigenvalues": "A 最关键的是它的特征值。它们的实部全都是负的，最大的一个是 {re_max}。"
            "所以系统是稳定的：没有输入时状态会衰减，模型会慢慢遗忘过去。",
            "input": "再看输入，它由正弦波组成：曲线画在最上面，公式写在右边。它通过 B 进入状态。",
            "response": "时间标记向右扫过，状态的每个分量都跟着输入变化，只是经过了 A 的动力学的过滤。输出 "
            "y 就是 C 乘以状态，也就是这几条曲线的一个固定加权和。",
            "exact": "这一切都不需要步长。状态有精确解：e 的 tA 次方乘以初始状态，再加上对输入的积分。"
            "正弦波本身也是某个线性系统的解，把它并入状态，一次矩阵指数就能得到任意时刻的 h。",
            "end": "在 t = {t} 时，状态和输出直接取自这个精确解：y 等于 {y}。后面的各种离散化方法，"
            "都要尽量逼近这些数。",
        },
    }

    def construct(self) -> None:
        self.compute()
        self.build_plots()
        self.show_system()
        self.show_input()
        self.show_response()
        self.show_exact()

    # --- numbers (all from lib/) -----------------------------------------------------------------
    def compute(self) -> None:
        p = self.params
        build = oscillatory_system if p.system == "oscillatory" else hippo_system
        self.sys: ContinuousSystem = build(p.state_size, p.decay, p.seed)
        t = np.linspace(0.0, p.duration, SAMPLES)  # (T,)
        amps, freqs = np.array(p.amplitudes), np.array(p.frequencies)
        self.traj = simulate_sinusoids(
            self.sys.A, self.sys.B, self.sys.C, amps, freqs, np.zeros_like(amps), t
        )

    # --- layout: the three signal plots on the left, the right column beside them ------------------------
    def build_plots(self) -> None:
        """The header, the input / state / output plots and their row labels, placed but not shown yet."""
        tr, T = self.traj, self.params.duration
        t_step = 2.0 if T <= 14 else 4.0
        self.header = self.title_bar("title", "subtitle")

        def signal_plot(values: np.ndarray, height: float, bottom: bool) -> Plot:
            lo, hi, step = nice_range(values, 6)
            digits = 1 if step < 1 else 0
            return Plot(
                (0, T, t_step),
                (lo, hi, step),
                width=PLOT_W,
                height=height,
                x_ticks=list(np.arange(t_step, T + 1e-9, t_step)) if bottom else [],
                y_ticks=[lo, hi],
                y_format=lambda v: numbers.fixed(v, digits),
                x_label=self.t("time") if bottom else "",
            )

        self.px = signal_plot(tr.u, PLOT_H["x"], False)
        self.ph = signal_plot(tr.h, PLOT_H["h"], False)
        self.py = signal_plot(tr.y, PLOT_H["y"], True)
        plots = column([self.px, self.ph, self.py], buff=theme.BUFF_SMALL)
        below(plots, self.header, buff=theme.BUFF_LARGE)
        for plot in plots:  # the axes line up (the tick labels left of them differ in width)
            plot.shift((SAFE.left + LABEL_W - plot.axes.get_left()[0]) * RIGHT)
        self.labels = VGroup()
        for key, sym, color, plot in (
            ("input", "x(t)", theme.INPUT, self.px),
            ("state", "h(t)", theme.STATE, self.ph),
            ("output", "y(t)", theme.OUTPUT, self.py),
        ):
            lab = column(
                [self.text(key, size=theme.SMALL, color=color), tex(sym, size=30, color=color)],
                buff=theme.BUFF_TIGHT,
                align="center",
            )
            self.labels.add(to_safe(lab.move_to(plot.axes), LEFT))
        self.right_x = self.px.axes.get_right()[0] + theme.BUFF_LARGE  # left edge of the right column
        self.right_w = SAFE.right - self.right_x

    def _in_column(self, mob, anchor, buff: float = theme.BUFF_LARGE):
        """``mob`` shrunk to the right column's width and placed under ``anchor`` at its left edge."""
        fit_width(mob, self.right_w)
        mob.next_to(anchor, DOWN, buff=buff)
        return mob.shift((self.right_x - mob.get_left()[0]) * RIGHT)

    # --- beats -------------------------------------------------------------------------------------
    def _equations(self) -> VGroup:
        state = Equation(
            r"h'(t) = A\,h(t) + B\,x(t)",
            terms=["h'(t)", "A", "h(t)", "B", "x(t)"],
            colors={
                "h'(t)": theme.STATE,
                "A": theme.MAT_A,
                "h(t)": theme.STATE,
                "B": theme.MAT_B,
                "x(t)": theme.INPUT,
            },
        )
        out = Equation(
            r"y(t) = C\,h(t)",
            terms=["y(t)", "C", "h(t)"],
            colors={"y(t)": theme.OUTPUT, "C": theme.MAT_C, "h(t)": theme.STATE},
        )
        return row([state, out], buff=2 * theme.BUFF_LARGE)  # a \qquad apart

    def _matrices(self) -> VGroup:
        s = self.sys
        d = 2 if self.params.system == "hippo" else 1
        a = formula(
            "A = ",
            *matrix_pieces(s.A, key="A", digits=d, exact_zero="0"),
            font_size=MATRIX_SIZE,
            color=theme.MAT_A,
        )
        b = formula("B = ", *vector_pieces(s.B, key="B", digits=d), font_size=MATRIX_SIZE, color=theme.MAT_B)
        c = formula(
            "C = ",
            *vector_pieces(s.C, key="C", digits=1, column=False),
            font_size=MATRIX_SIZE,
            color=theme.MAT_C,
        )
        self.abc = (a, b, c)
        return column([row([a, b], buff=theme.BUFF_LARGE), c], buff=theme.BUFF, align="center")

    def _eigen_line(self) -> VGroup:
        """The eigenvalues, a conjugate pair written once as a ± bi (item k: "eig_re" and "eig_im" k)."""
        lam = self.sys.eigenvalues
        pieces, done, k = [], set(), 0
        for i, z in enumerate(lam):
            if i in done:
                continue
            if pieces:
                pieces.append(r",\;\;")
            pieces.append(Num(float(z.real), "eig_re", (k,)))
            if abs(z.imag) > 1e-9:
                done.add(next(j for j in range(i + 1, len(lam)) if abs(lam[j] - z.conjugate()) < 1e-9))
                pieces += [r"\pm", Num(float(abs(z.imag)), "eig_im", (k,)), "i"]
            k += 1
        eig = formula(*pieces, font_size=32, color=theme.MAT_A)
        return row([self.text("eigs", size=theme.LABEL, color=theme.MUTED), eig], buff=theme.BUFF)

    def show_system(self) -> None:
        header = self.header
        eq = self._equations()
        mats = self._matrices()
        eig = self._eigen_line()
        stable = self.text("stable", size=theme.LABEL, color=theme.FG)
        below(eq, header, buff=theme.BUFF_SECTION, align="center").set_x(0)
        below(mats, eq, buff=theme.BUFF_LARGE, align="center")
        below(eig, mats, buff=theme.BUFF_LARGE, align="center")
        below(stable, eig, buff=theme.BUFF_SMALL, align="center")
        with self.beat("system"):
            self.play(FadeIn(header))
            self.play(Write(eq), run_time=1.5)
            self.play(LaggedStart(*[FadeIn(m, shift=0.2 * UP) for m in self.abc], lag_ratio=0.4))
        with self.beat("eigenvalues", re_max=numbers.fixed(float(np.max(self.sys.eigenvalues.real)), 2)):
            self.play(FadeIn(eig), FadeIn(stable))
            self.wait(1.0)
        self.next_slide()
        # shrink the system into the right column, where it stays while the signals are drawn
        small = column([e.copy() for e in eq], buff=theme.BUFF_SMALL).scale(0.8)
        target = mats.copy().scale(0.78)
        a, b, c = target[0][0], target[0][1], target[1]
        if a.width + b.width + theme.BUFF_LARGE > self.right_w:  # wide A: A alone, then B and C side by side
            below(row([b, c], buff=theme.BUFF_LARGE, align="top"), a, buff=theme.BUFF)
        fit_width(target, self.right_w)
        col = column([small, target], buff=theme.BUFF)
        col.next_to(header, DOWN, buff=theme.BUFF_LARGE)
        col.shift((self.right_x - col.get_left()[0]) * RIGHT)
        self.play(FadeOut(VGroup(eig, stable)))
        self.play(eq.animate.become(col[0]), mats.animate.become(col[1]))
        self.eq, self.mats = eq, mats

    def show_input(self) -> None:
        p, tr = self.params, self.traj
        self.x_curve = self.px.series(tr.t, tr.u, theme.INPUT, key="x", dots=False, width=3)
        terms = [
            [Num(a, "amp", (k,), 1, plus=k > 0), r"\sin(", Num(w, "freq", (k,), 1), r"\,t)"]
            for k, (a, w) in enumerate(zip(p.amplitudes, p.frequencies, strict=True))
        ]
        style = {"font_size": 30, "color": theme.INPUT}
        lines = [formula("x(t) = ", *terms[0], *(terms[1] if len(terms) > 1 else []), **style)]
        if len(terms) > 2:  # a third term on a second line
            lines.append(formula(r"\quad", *terms[2], **style))
        self.x_formula = column(lines, buff=theme.BUFF_TIGHT)
        self._in_column(self.x_formula, self.mats)
        with self.beat("input"):
            self.play(fade_in(self.px), FadeIn(self.labels[0]))
            self.play(self.x_curve.grow(), Write(self.x_formula), run_time=2.5)
            self.wait(1.5)
        self.next_slide()

    def show_response(self) -> None:
        tr, n = self.traj, self.params.state_size
        shades = theme.shades(theme.STATE, n)
        h_curves = [
            self.ph.series(tr.t, tr.h[:, i], c, key="h", index=(i,), dots=False, width=3)
            for i, c in enumerate(shades)
        ]
        y_curve = self.py.series(tr.t, tr.y, theme.OUTPUT, key="y", dots=False, width=4)
        items = [(f"h{numbers.subscript(i + 1)}(t)", c) for i, c in enumerate(shades)]
        leg = legend([*items, ("y(t)", theme.OUTPUT)])
        if n > 2:
            leg.arrange_in_grid(
                rows=2, buff=(theme.BUFF_LARGE, theme.BUFF_SMALL), flow_order="dr", col_alignments="l" * 3
            )
        self.leg = self._in_column(leg, self.x_formula)
        # a time marker sweeps the three plots while the state and output are drawn
        tt = ValueTracker(0.0)
        now = tt.get_value
        top, bottom = self.px.axes.get_top()[1], self.py.axes.get_bottom()[1]
        marker = DashedLine(UP * top, UP * bottom, color=theme.ACCENT, stroke_width=2)
        marker.add_updater(lambda m: m.set_x(self.px.c2p(tt.get_value(), 0)[0]))
        track = [(self.px, tr.u, theme.INPUT, "pin_x", ()), (self.py, tr.y, theme.OUTPUT, "pin_y", ())]
        track += [(self.ph, tr.h[:, i], c, "pin_h", (i,)) for i, c in enumerate(shades)]
        pins = VGroup()
        for plot, vals, c, key, index in track:
            pin = Dot(radius=0.06, color=c)
            pin.add_updater(lambda d, pl=plot, v=vals: d.move_to(pl.c2p(now(), np.interp(now(), tr.t, v))))
            pins.add(tag_located(pin, key, lambda m, pl=plot: pl.p2c(m.get_center()), index))
        with self.beat("response"):
            self.play(fade_in(self.ph), fade_in(self.py), FadeIn(self.labels[1:]), FadeIn(leg))
            self.add(marker, pins)
            self.play(
                tt.animate.set_value(self.params.duration),
                *[c.grow() for c in h_curves],
                y_curve.grow(),
                run_time=10.0,
                rate_func=linear,
            )
            marker.clear_updaters()
            for pin in pins:
                pin.clear_updaters()
            self.pins = pins
            self.wait(0.5)
        self.next_slide()

    def show_exact(self) -> None:
        head = self.text("exact", size=theme.LABEL, color=theme.ACCENT)
        first = tex(r"h(t) = e^{tA}h(0)", size=SMALL_TEX, color=theme.STATE)
        rest = tex(r"+ \int_0^t e^{(t-s)A}B\,x(s)\,ds", size=SMALL_TEX, color=theme.STATE)
        sol = column([first, rest], buff=theme.BUFF_SMALL)
        rest.shift(theme.BUFF_LARGE * RIGHT)  # the second line of one formula, indented
        note = self.text("augment", size=theme.SMALL, color=theme.MUTED)
        T = self.params.duration
        at_end = tag(
            self.text("at_end", size=theme.SMALL, color=theme.ACCENT, t=numbers.fixed(T, 0)), "t_end", T
        )
        vals = column(
            [
                formula(
                    "h = ",
                    *vector_pieces(self.traj.h[-1], key="h_end", digits=2, column=False),
                    font_size=28,
                    color=theme.STATE,
                ),
                formula("y = ", Num(float(self.traj.y[-1]), "y_end"), font_size=28, color=theme.OUTPUT),
            ],
            buff=theme.BUFF_SMALL,
        )
        end = column([at_end, vals], buff=theme.BUFF_SMALL)
        for part in (sol, note, end):
            fit_width(part, self.right_w)
        col = column([head, sol, note, end], buff=theme.BUFF)
        self._in_column(col, self.eq)
        self.play(FadeOut(VGroup(self.mats, self.x_formula, self.leg)))
        with self.beat("exact"):
            self.play(FadeIn(head), Write(sol), run_time=1.5)
            self.play(FadeIn(note))
            self.wait(1.5)
        with self.beat("end", t=numbers.fixed(T, 0), y=numbers.fixed(float(self.traj.y[-1]), 2)):
            self.play(FadeIn(end), *[p.animate.scale(1.6) for p in self.pins])
            self.wait(2.0)
