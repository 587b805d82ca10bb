"""The continuous state-space model h'(t) = A h(t) + B x(t), y(t) = C h(t), solved exactly with expm."""

from __future__ import annotations

import numpy as np
from manim import (
    DOWN,
    LEFT,
    RIGHT,
    UP,
    Axes,
    Create,
    DashedLine,
    Dot,
    FadeIn,
    FadeOut,
    LaggedStart,
    MathTex,
    ValueTracker,
    VGroup,
    Write,
    interpolate_color,
    linear,
)

from lib.mamba.ssm import simulate_sinusoids
from lib.mamba.ssm_examples import ContinuousSystem, hippo_system, oscillatory_system
from scenes.base import LectureScene
from scenes.kit import theme
from scenes.kit.widgets import legend, polyline
from scenes.mamba.params.continuous_ssm import Params as ContinuousSSMParams
from scenes.registry import register

SAMPLES = 241  # time samples of the exact solution (every one an expm of the augmented system)
PLOT_W = 7.2  # width of the three stacked plots
RIGHT_X = 2.35  # left edge of the right column (system, legend, solution)


def state_shades(n: int) -> list:
    """n shades of the state colour, darker to lighter, one per state coordinate."""
    fs = np.linspace(-0.3, 0.55, n) if n > 1 else [0.0]
    return [
        interpolate_color(theme.STATE, theme.BACKGROUND, -f)
        if f < 0
        else interpolate_color(theme.STATE, theme.FG, f)
        for f in fs
    ]


def nice_range(values: np.ndarray) -> tuple[float, float, float]:
    """A symmetric-ish plot range [lo, hi] with a round tick step and at most 6 steps (layout only)."""
    lo, hi = float(min(0.0, values.min())), float(max(0.0, values.max()))
    span = max(hi - lo, 1e-3)
    step = next(s for s in (0.1, 0.2, 0.25, 0.5, 1.0, 2.0, 2.5, 5.0, 10.0) if span / s <= 6)
    return np.floor(lo / step) * step, np.ceil(hi / step) * step, step


def tex_matrix(M: np.ndarray, digits: int = 1) -> str:
    rows = [" & ".join("0" if v == 0 else theme.fmt_tex(v, digits) for v in row) for row in np.atleast_2d(M)]
    return r"\begin{pmatrix}" + r" \\ ".join(rows) + r"\end{pmatrix}"


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

    def construct(self) -> None:
        self.compute()
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
        self.shown.update(
            A=self.sys.A,
            B=self.sys.B,
            C=self.sys.C,
            eig_real=self.sys.eigenvalues.real,  # (N,) the shown record is JSON: no complex numbers
            eig_imag=self.sys.eigenvalues.imag,
            t=self.traj.t,
            x=self.traj.u,
            h=self.traj.h,
            y=self.traj.y,
            h_end=self.traj.h[-1],
            y_end=float(self.traj.y[-1]),
        )

    # --- beats -------------------------------------------------------------------------------------
    def _equations(self) -> MathTex:
        eq = MathTex(
            r"h'(t)",
            r"=",
            r"A",
            r"\,h(t)",
            r"+",
            r"B",
            r"\,x(t)",
            r"\qquad",
            r"y(t)",
            r"=",
            r"C",
            r"\,h(t)",
            font_size=40,
        )
        for i, c in ((0, theme.STATE), (2, theme.MAT_A), (3, theme.STATE), (5, theme.MAT_B)):
            eq[i].set_color(c)
        for i, c in ((6, theme.INPUT), (8, theme.OUTPUT), (10, theme.MAT_C), (11, theme.STATE)):
            eq[i].set_color(c)
        return eq

    def _matrices(self) -> VGroup:
        s = self.sys
        a = MathTex(r"A = " + tex_matrix(s.A, 2 if self.params.system == "hippo" else 1), color=theme.MAT_A)
        b = MathTex(
            r"B = " + tex_matrix(s.B[:, None], 2 if self.params.system == "hippo" else 1), color=theme.MAT_B
        )
        c = MathTex(r"C = " + tex_matrix(s.C[None, :], 1), color=theme.MAT_C)
        for m in (a, b, c):
            m.scale(0.8)
        self.abc = (a, b, c)
        return VGroup(VGroup(a, b).arrange(RIGHT, buff=0.45), c).arrange(DOWN, buff=0.3)

    def _eigen_line(self) -> VGroup:
        lam = self.sys.eigenvalues
        parts, done = [], set()
        for k, z in enumerate(lam):  # pair conjugates as a ± bi
            if k in done:
                continue
            if abs(z.imag) > 1e-9:
                j = next(j for j in range(k + 1, len(lam)) if abs(lam[j] - z.conjugate()) < 1e-9)
                done.add(j)
                parts.append(rf"{theme.fmt_tex(z.real, 2)} \pm {theme.fmt_tex(abs(z.imag), 2)}i")
            else:
                parts.append(theme.fmt_tex(z.real, 2))
        tex = MathTex(r",\;\; ".join(parts), font_size=32, color=theme.MAT_A)
        head = self.text("eigs", size=theme.LABEL, color=theme.MUTED)
        return VGroup(head, tex).arrange(RIGHT, buff=0.2)

    def show_system(self) -> None:
        header = self.title_bar("title", "subtitle")
        eq = self._equations()
        eq.next_to(header, DOWN, buff=0.5).set_x(0)
        mats = self._matrices().next_to(eq, DOWN, buff=0.5).set_x(0)
        eig = self._eigen_line().next_to(mats, DOWN, buff=0.45).set_x(0)
        stable = self.text("stable", size=theme.LABEL, color=theme.FG).next_to(eig, DOWN, buff=0.2).set_x(0)
        self.play(FadeIn(header))
        self.play(Write(eq), run_time=1.5)
        self.play(LaggedStart(*[FadeIn(m, shift=0.2 * UP) for m in self.abc], lag_ratio=0.4))
        self.play(FadeIn(eig), FadeIn(stable))
        self.wait(1.0)
        self.next_slide()
        # shrink the system into the right column, where it stays while the signals are drawn
        small = eq.copy()
        VGroup(small[:7], small[8:]).arrange(DOWN, aligned_edge=LEFT, buff=0.15)
        col = VGroup(small.scale(0.8), mats.copy().scale(0.78))
        a, b, c = col[1][0][0], col[1][0][1], col[1][1]
        if a.width + b.width + 0.35 > 6.75 - RIGHT_X:  # wide A: A alone, then B and C side by side
            VGroup(b, c).arrange(RIGHT, buff=0.35, aligned_edge=UP).next_to(
                a, DOWN, buff=0.25, aligned_edge=LEFT
            )
        if col[1].width > 6.75 - RIGHT_X:
            col[1].scale_to_fit_width(6.75 - RIGHT_X)
        col.arrange(DOWN, buff=0.3, aligned_edge=LEFT)
        col.next_to(header, DOWN, buff=0.35).align_to(RIGHT_X * RIGHT, LEFT)
        self.play(FadeOut(VGroup(eig, stable)))
        self.play(eq.animate.become(col[0]), mats.animate.become(col[1]))
        self.header, self.eq, self.mats = header, eq, mats

    def _signal_axes(self, lo: float, hi: float, step: float, height: float, x_ticks: bool) -> VGroup:
        T = self.params.duration
        t_step = 2.0 if T <= 14 else 4.0
        axes = Axes(
            x_range=[0, T, t_step],
            y_range=[lo, hi, step],
            x_length=PLOT_W,
            y_length=height,
            tips=False,
            axis_config={"color": theme.MUTED, "stroke_width": 2},
        )
        group = VGroup(axes)
        for y in (lo, hi) if lo < 0 < hi else (lo, hi):
            lab = self.plain(theme.fmt(y, 1 if step < 1 else 0), size=theme.SMALL, color=theme.MUTED)
            group.add(lab.next_to(axes.c2p(0, y), LEFT, buff=0.12))
        if x_ticks:
            for t in np.arange(t_step, T + 1e-9, t_step):
                lab = self.plain(theme.fmt(t, 0), size=theme.SMALL, color=theme.MUTED)
                group.add(lab.next_to(axes.c2p(t, lo), DOWN, buff=0.12))
            xl = self.text("time", size=theme.SMALL, color=theme.MUTED)
            group.add(xl.next_to(axes.c2p(T, lo), DOWN, buff=0.45).align_to(axes.c2p(T, 0), RIGHT))
        group.axes = axes
        return group

    def _row_label(self, key: str, tex: str, color) -> VGroup:
        lab = VGroup(self.text(key, size=theme.SMALL, color=color), MathTex(tex, font_size=30, color=color))
        return lab.arrange(DOWN, buff=0.08)

    def show_input(self) -> None:
        tr = self.traj
        x_lo, x_hi, x_step = nice_range(tr.u)
        h_lo, h_hi, h_step = nice_range(tr.h)
        y_lo, y_hi, y_step = nice_range(tr.y)
        top = self.header.get_bottom()[1] - 0.35
        self.px = self._signal_axes(x_lo, x_hi, x_step, 1.25, False)
        self.ph = self._signal_axes(h_lo, h_hi, h_step, 2.05, False)
        self.py = self._signal_axes(y_lo, y_hi, y_step, 1.25, True)
        left = -6.75 + 1.55
        y = top
        for plot, gap in ((self.px, 0.35), (self.ph, 0.35), (self.py, 0.0)):
            plot.align_to(y * UP, UP)
            plot.shift((left - plot.axes.get_left()[0]) * RIGHT)
            y = plot.axes.get_bottom()[1] - gap
        labels = VGroup(
            self._row_label("input", "x(t)", theme.INPUT),
            self._row_label("state", "h(t)", theme.STATE),
            self._row_label("output", "y(t)", theme.OUTPUT),
        )
        for lab, plot in zip(labels, (self.px, self.ph, self.py), strict=True):
            lab.move_to(plot.axes).align_to(-6.75 * RIGHT, LEFT)
        self.labels = labels
        self.x_curve = polyline(self.px.axes, tr.t, tr.u, theme.INPUT, width=3)
        amps, freqs = self.params.amplitudes, self.params.frequencies
        terms = []
        for k, (a, w) in enumerate(zip(amps, freqs, strict=True)):
            sign = "-" if a < 0 else ("+" if k else "")
            terms.append(rf"{sign} {theme.fmt_tex(abs(a), 1)}\sin({theme.fmt_tex(w, 1)}\,t)")
        lines = [r"x(t) = " + " ".join(terms[:2])] + ([r"\quad " + " ".join(terms[2:])] if terms[2:] else [])
        self.x_formula = VGroup(*[MathTex(s, font_size=30, color=theme.INPUT) for s in lines])
        self.x_formula.arrange(DOWN, aligned_edge=LEFT, buff=0.1)
        self.x_formula.next_to(self.mats, DOWN, buff=0.35).align_to(RIGHT_X * RIGHT, LEFT)
        if self.x_formula.get_right()[0] > 6.75:
            self.x_formula.scale_to_fit_width(6.75 - RIGHT_X).align_to(RIGHT_X * RIGHT, LEFT)
        self.play(FadeIn(self.px), FadeIn(labels[0]))
        self.play(Create(self.x_curve), Write(self.x_formula), run_time=2.5)
        self.wait(1.5)
        self.next_slide()

    def show_response(self) -> None:
        tr = self.traj
        shades = state_shades(self.params.state_size)
        h_curves = VGroup(
            *[polyline(self.ph.axes, tr.t, tr.h[:, i], c, width=3) for i, c in enumerate(shades)]
        )
        y_curve = polyline(self.py.axes, tr.t, tr.y, theme.OUTPUT, width=4)
        items = [(f"h{_sub(i + 1)}(t)", c) for i, c in enumerate(shades)] + [("y(t)", theme.OUTPUT)]
        leg = legend(items, size=theme.SMALL)
        if self.params.state_size > 2:
            leg.arrange_in_grid(rows=2, buff=(0.4, 0.12), flow_order="dr", col_alignments="l" * 3)
        leg.next_to(self.x_formula, DOWN, buff=0.35).align_to(RIGHT_X * RIGHT, LEFT)
        self.leg = leg
        # a time marker sweeps the three plots while the state and output are drawn
        tt = ValueTracker(0.0)
        top, bottom = self.px.axes.get_top()[1], self.py.axes.get_bottom()[1]
        marker = DashedLine(UP * top, UP * bottom, color=theme.ACCENT, stroke_width=2)
        marker.add_updater(lambda m: m.set_x(self.px.axes.c2p(tt.get_value(), 0)[0]))
        track = [(self.px.axes, tr.u, theme.INPUT), (self.py.axes, tr.y, theme.OUTPUT)]
        track += [(self.ph.axes, tr.h[:, i], c) for i, c in enumerate(shades)]
        pins = VGroup()
        for ax, vals, c in track:
            pin = Dot(radius=0.06, color=c)
            pin.add_updater(
                lambda d, ax=ax, v=vals: d.move_to(ax.c2p(tt.get_value(), np.interp(tt.get_value(), tr.t, v)))
            )
            pins.add(pin)
        self.play(FadeIn(self.ph), FadeIn(self.py), FadeIn(self.labels[1:]), FadeIn(leg))
        self.add(marker, pins)
        self.play(
            tt.animate.set_value(self.params.duration),
            *[Create(c) for c in h_curves],
            Create(y_curve),
            run_time=10.0,
            rate_func=linear,
        )
        marker.clear_updaters()
        for pin in pins:
            pin.clear_updaters()
        self.marker, self.pins = marker, pins
        self.wait(0.5)
        self.next_slide()

    def show_exact(self) -> None:
        head = self.text("exact", size=theme.LABEL, color=theme.ACCENT)
        sol = MathTex(
            r"h(t) = e^{tA}h(0)",
            r"+ \int_0^t e^{(t-s)A}B\,x(s)\,ds",
            font_size=32,
            color=theme.STATE,
        )
        sol.arrange(DOWN, aligned_edge=LEFT, buff=0.15)
        sol[1].shift(0.4 * RIGHT)
        note = self.text("augment", size=theme.SMALL, color=theme.MUTED)
        at_end = self.text(
            "at_end", size=theme.SMALL, color=theme.ACCENT, t=theme.fmt(self.params.duration, 0)
        )
        vals = VGroup(
            MathTex(r"h = " + tex_matrix(self.traj.h[-1][None, :], 2), font_size=28, color=theme.STATE),
            MathTex(r"y = " + theme.fmt_tex(self.traj.y[-1], 2), font_size=28, color=theme.OUTPUT),
        ).arrange(DOWN, aligned_edge=LEFT, buff=0.12)
        end = VGroup(at_end, vals).arrange(DOWN, aligned_edge=LEFT, buff=0.12)
        col = VGroup(head, sol, note, end).arrange(DOWN, aligned_edge=LEFT, buff=0.28)
        col.next_to(self.eq, DOWN, buff=0.4).align_to(RIGHT_X * RIGHT, LEFT)
        width = 6.75 - RIGHT_X
        for part in (sol, note, end):
            if part.get_right()[0] > 6.75:
                part.scale_to_fit_width(width).align_to(RIGHT_X * RIGHT, LEFT)
        self.play(FadeOut(VGroup(self.mats, self.x_formula, self.leg)))
        self.play(FadeIn(head), Write(sol), run_time=1.5)
        self.play(FadeIn(note))
        self.wait(1.5)
        self.play(FadeIn(end), *[p.animate.scale(1.6) for p in self.pins])
        self.wait(2.0)


def _sub(k: int) -> str:
    return str(k).translate(str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉"))
