"""Discretisation: zero-order hold, bilinear and Euler turn h'(t) = A h + B x into h_t = Ā h_{t-1} + B̄ x_t."""

from __future__ import annotations

import numpy as np
from manim import DOWN, LEFT, RIGHT, UP, Create, FadeIn, FadeOut, LaggedStart, MathTex, VGroup, Write

from lib.mamba.ssm import discretize, lti_recurrence, simulate_piecewise_constant
from scenes.base import LectureScene
from scenes.kit import theme
from scenes.kit.widgets import dots, legend, plot_axes, polyline
from scenes.mamba.params.discretization import Params as DiscretizationParams
from scenes.registry import register

METHODS = ("zoh", "bilinear", "euler")
SUBSTEPS = 12


def oscillator(omega: float, damping: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A damped oscillator with unit DC gain: A = [[0, 1], [−ω², −2ζω]], B = [0, ω²], C = [1, 0]."""
    A = np.array([[0.0, 1.0], [-(omega**2), -2.0 * damping * omega]])
    return A, np.array([0.0, omega**2]), np.array([1.0, 0.0])


@register("mamba.discretization")
class Discretization(LectureScene):
    """Discretisation: ZOH, bilinear and Euler side by side; small Δ remembers, large Δ resets."""

    Params = DiscretizationParams

    EXAMPLES = (
        {"omega": 1.0, "damping": 0.8, "delta": 1.0, "steps": 8, "delta_small": 0.3, "delta_large": 5.0},
    )

    STRINGS = {
        "en": {
            "title": "Discretisation",
            "subtitle": "from the continuous h′(t) to a recurrence the computer can step",
            "zoh": "zero-order hold",
            "bilinear": "bilinear (Tustin)",
            "euler": "forward Euler",
            "continuous": "continuous (exact)",
            "time": "time t",
            "output": "output y",
            "input_note": "input held constant over each step of Δ = {delta}",
            "max_err": "max error {err}",
            "zoh_exact": "ZOH is exact when the input is held over each step",
            "memory": "One channel, a = −1:  Δ decides how much is kept and how much comes in",
            "remembers": "small Δ = {d}:  keeps {keep}% of h, lets in {inp}% of x — remembers",
            "resets": "large Δ = {d}:  keeps {keep}% of h, lets in {inp}% of x — resets to the input",
            "x_label": "input x",
            "step": "step t",
        },
        "zh": {
            "title": "离散化",
            "subtitle": "把连续的 h′(t) 变成计算机可以逐步执行的递推",
            "zoh": "零阶保持 (ZOH)",
            "bilinear": "双线性 (Tustin)",
            "euler": "前向欧拉",
            "continuous": "连续系统（精确解）",
            "time": "时间 t",
            "output": "输出 y",
            "input_note": "输入在每个步长 Δ = {delta} 内保持不变",
            "max_err": "最大误差 {err}",
            "zoh_exact": "输入在步长内保持不变时，ZOH 是精确的",
            "memory": "单个通道，a = −1：Δ 决定保留多少旧状态、接收多少新输入",
            "remembers": "小 Δ = {d}：保留 {keep}% 的 h，接收 {inp}% 的 x —— 记住过去",
            "resets": "大 Δ = {d}：保留 {keep}% 的 h，接收 {inp}% 的 x —— 重置为当前输入",
            "x_label": "输入 x",
            "step": "步 t",
        },
    }

    def construct(self) -> None:
        self.compute()
        self.show_formulas()
        self.show_trajectories()
        self.show_memory()

    # --- numbers (all from lib/) -----------------------------------------------------------------
    def compute(self) -> None:
        p = self.params
        A, B, C = oscillator(p.omega, p.damping)
        u = (np.arange(p.steps) < p.steps // 2).astype(float)  # (L,) a step on, then off
        self.traj = simulate_piecewise_constant(A, B, C, u, p.delta, SUBSTEPS)
        self.disc = {m: discretize(A, B[:, None], p.delta, m) for m in METHODS}
        self.y = {m: lti_recurrence(d.A_bar, d.B_bar[:, 0], C, u).y for m, d in self.disc.items()}
        y_exact = self.traj.y[SUBSTEPS - 1 :: SUBSTEPS]  # (L,) continuous y at t = (k+1)Δ
        self.err = {m: float(np.max(np.abs(self.y[m] - y_exact))) for m in METHODS}
        scalar = {
            d: discretize(np.array([[-1.0]]), np.array([[1.0]]), d, "zoh")
            for d in (p.delta_small, p.delta_large)
        }
        x = (np.arange(12) < 4).astype(float)  # (12,) a short pulse
        self.memory = {
            d: (
                float(s.A_bar[0, 0]),
                float(s.B_bar[0, 0]),
                lti_recurrence(s.A_bar, s.B_bar[:, 0], np.ones(1), x).h[:, 0],
            )
            for d, s in scalar.items()
        }
        self.memory_x = x
        self.shown.update(
            A_bar={m: d.A_bar for m, d in self.disc.items()},
            B_bar={m: d.B_bar[:, 0] for m, d in self.disc.items()},
            y_discrete=self.y,
            max_error=self.err,
            memory={str(d): {"A_bar": a, "B_bar": b, "h": h} for d, (a, b, h) in self.memory.items()},
        )

    # --- beats -------------------------------------------------------------------------------------
    def show_formulas(self) -> None:
        header = self.title_bar("title", "subtitle")
        cont = MathTex(
            r"h'(t) = A\,h(t) + B\,x(t)",
            r"\;\xrightarrow{\;\Delta\;}\;",
            r"h_t = \bar A\,h_{t-1} + \bar B\,x_t",
            font_size=38,
        )
        cont.next_to(header, DOWN, buff=0.45).set_x(0)
        formulas = {
            "zoh": (r"\bar A = e^{\Delta A}", r"\bar B = (\Delta A)^{-1}(e^{\Delta A} - I)\,\Delta B"),
            "bilinear": (
                r"\bar A = (I - \tfrac{\Delta}{2}A)^{-1}(I + \tfrac{\Delta}{2}A)",
                r"\bar B = (I - \tfrac{\Delta}{2}A)^{-1}\,\Delta B",
            ),
            "euler": (r"\bar A = I + \Delta A", r"\bar B = \Delta B"),
        }
        columns = VGroup()
        for m in METHODS:
            color = theme.METHOD[m]
            name = self.text(m, size=theme.BODY, color=color)
            fa, fb = (MathTex(f, font_size=28) for f in formulas[m])
            a = self.disc[m].A_bar
            b = self.disc[m].B_bar[:, 0]
            num = MathTex(
                r"\bar A = \begin{pmatrix}"
                + rf"{theme.fmt_tex(a[0, 0], 3)} & {theme.fmt_tex(a[0, 1], 3)} \\ "
                + rf"{theme.fmt_tex(a[1, 0], 3)} & {theme.fmt_tex(a[1, 1], 3)}"
                + r"\end{pmatrix}",
                font_size=26,
                color=color,
            )
            numb = MathTex(
                r"\bar B = \begin{pmatrix}"
                + rf"{theme.fmt_tex(b[0], 3)} \\ {theme.fmt_tex(b[1], 3)}"
                + r"\end{pmatrix}",
                font_size=26,
                color=color,
            )
            nums = VGroup(num, numb).arrange(RIGHT, buff=0.3)
            col = VGroup(name, fa, fb, nums).arrange(DOWN, buff=0.3)
            for part in (fa, fb, nums):
                if part.width > 4.3:
                    part.scale_to_fit_width(4.3)
            columns.add(col)
        columns.arrange(RIGHT, buff=0.45, aligned_edge=UP).next_to(cont, DOWN, buff=0.6)
        if columns.width > 13.4:
            columns.scale_to_fit_width(13.4)
        columns.set_x(0)
        note = self.text(
            "input_note", size=theme.SMALL, color=theme.MUTED, delta=theme.fmt(self.params.delta, 2)
        )
        note.to_edge(DOWN, buff=theme.EDGE)
        self.play(FadeIn(header))
        self.play(Write(cont))
        self.play(LaggedStart(*[FadeIn(c, shift=0.2 * UP) for c in columns], lag_ratio=0.3))
        self.play(FadeIn(note))
        self.next_slide()
        self.play(FadeOut(VGroup(cont, columns, note)))
        self.header = header

    def show_trajectories(self) -> None:
        p = self.params
        t_end = p.steps * p.delta
        ys = np.concatenate([self.traj.y, *self.y.values()])
        lo, hi = min(0.0, float(ys.min())), max(1.0, float(ys.max()))
        lo, hi = np.floor(lo * 2) / 2, np.ceil(hi * 2) / 2
        hi = min(hi, 3.0)
        lo = max(lo, -3.0)
        x_step = max(0.5, round(t_end / 6 * 2) / 2)
        y_step = 0.5 if hi - lo <= 3 else 1.0
        plot = plot_axes(
            [0, t_end, x_step],
            [lo, hi, y_step],
            width=8.2,
            height=4.6,
            x_label=self.t("time"),
            y_label=self.t("output"),
        )
        plot.next_to(self.header, DOWN, buff=0.35).to_edge(LEFT, buff=0.8)
        axes = plot.axes
        t = np.concatenate([[0.0], self.traj.t])
        y_c = np.concatenate([[0.0], self.traj.y])
        curve = polyline(axes, t, np.clip(y_c, lo, hi), theme.METHOD["continuous"], width=4)
        tk = (np.arange(p.steps) + 1) * p.delta
        marks = {}
        for m in METHODS:
            y = np.clip(self.y[m], lo, hi)
            marks[m] = VGroup(
                polyline(
                    axes, np.concatenate([[0], tk]), np.concatenate([[0], y]), theme.METHOD[m], width=2
                ).set_stroke(opacity=0.6),
                dots(axes, tk, y, theme.METHOD[m], radius=0.06),
            )
        items = [(self.t("continuous"), theme.METHOD["continuous"])] + [
            (self.t(m), theme.METHOD[m]) for m in METHODS
        ]
        leg = legend(items, size=theme.LABEL)
        errs = VGroup(
            *[
                self.text("max_err", size=theme.SMALL, color=theme.METHOD[m], err=theme.fmt(self.err[m], 3))
                for m in METHODS
            ]
        )
        errs.arrange(DOWN, aligned_edge=LEFT, buff=0.14)
        side = VGroup(leg, errs).arrange(DOWN, aligned_edge=LEFT, buff=0.5)
        side.next_to(plot, RIGHT, buff=0.5).align_to(plot, UP)
        exact = self.text("zoh_exact", size=theme.SMALL, color=theme.METHOD["zoh"])
        exact.next_to(plot, DOWN, buff=0.3).align_to(plot, LEFT)
        if side.get_right()[0] > 6.8:
            side.scale_to_fit_width(6.8 - side.get_left()[0])
        self.play(Create(plot))
        self.play(Create(curve), FadeIn(leg[0]), run_time=1.5)
        for k, m in enumerate(METHODS):
            self.play(FadeIn(marks[m]), FadeIn(leg[k + 1]), FadeIn(errs[k]), run_time=0.8)
        self.play(FadeIn(exact))
        self.next_slide()
        self.play(FadeOut(VGroup(plot, curve, *marks.values(), side, exact)))

    def show_memory(self) -> None:
        p = self.params
        head = (
            self.text("memory", size=theme.BODY).next_to(self.header, DOWN, buff=0.45).to_edge(LEFT, buff=0.6)
        )
        eq = MathTex(r"\bar a = e^{-\Delta}", r"\qquad", r"\bar b = 1 - e^{-\Delta}", font_size=34)
        eq.next_to(head, DOWN, buff=0.3).to_edge(LEFT, buff=0.6)
        eq[0].set_color(theme.MAT_A)
        eq[2].set_color(theme.MAT_B)
        rows = VGroup()
        colors = {p.delta_small: theme.STATE, p.delta_large: theme.DELTA}
        for d, key in ((p.delta_small, "remembers"), (p.delta_large, "resets")):
            a, b, _ = self.memory[d]
            rows.add(
                self.text(
                    key,
                    size=theme.LABEL,
                    color=colors[d],
                    d=theme.fmt(d, 2),
                    keep=theme.fmt(100 * a, 1),
                    inp=theme.fmt(100 * b, 1),
                )
            )
        rows.arrange(DOWN, aligned_edge=LEFT, buff=0.2).next_to(eq, DOWN, buff=0.35).to_edge(LEFT, buff=0.6)
        for r in rows:
            if r.width > 13:
                r.scale_to_fit_width(13)
        n = len(self.memory_x)
        plot = plot_axes([0, n, 2], [0, 1, 0.5], width=9.5, height=2.3, x_label=self.t("step"))
        plot.next_to(rows, DOWN, buff=0.6).set_x(-0.6)
        axes = plot.axes
        steps = np.arange(1, n + 1)
        bars = VGroup(
            *[
                polyline(axes, [s, s], [0, xv], theme.INPUT, width=10)
                for s, xv in zip(steps, self.memory_x, strict=True)
                if xv > 0
            ]
        )
        curves = VGroup(
            *[
                VGroup(
                    polyline(axes, np.concatenate([[0], steps]), np.concatenate([[0], h]), colors[d]),
                    dots(axes, steps, h, colors[d]),
                )
                for d, (_, _, h) in self.memory.items()
            ]
        )
        xl = self.text("x_label", size=theme.SMALL, color=theme.INPUT)
        xl.next_to(axes.c2p(1, 1), UP, buff=0.12)
        self.play(FadeIn(head), Write(eq))
        self.play(FadeIn(rows[0]))
        self.play(FadeIn(rows[1]))
        self.play(Create(plot), FadeIn(bars), FadeIn(xl))
        self.play(Create(curves[0]), run_time=1.2)
        self.play(Create(curves[1]), run_time=1.2)
        self.wait(1.0)
