"""Discretisation: zero-order hold, bilinear and Euler turn h'(t) = A h + B x into h_t = Ā h_{t-1} + B̄ x_t."""

from __future__ import annotations

import numpy as np
from manim import DOWN, LEFT, RIGHT, UP, Create, FadeIn, FadeOut, LaggedStart, VGroup, Write

from lib.mamba.ssm import discretize, lti_recurrence, simulate_piecewise_constant
from lib.mamba.ssm_examples import damped_oscillator
from scenes.engine.base import LectureScene
from scenes.engine.registry import register
from scenes.kit import numbers, theme
from scenes.kit.equation import Equation
from scenes.kit.formula import formula, matrix_pieces, vector_pieces
from scenes.kit.frame import SAFE, below, column, fit_width, row, to_safe
from scenes.kit.plot import Plot, legend, nice_range, nice_step
from scenes.kit.record import tag
from scenes.kit.text import tex
from scenes.mamba.params.discretization import Params as DiscretizationParams

METHODS = ("zoh", "bilinear", "euler")
SUBSTEPS = 12  # samples of the continuous solution per step Δ
Y_CLIP = 3.0  # the output plot shows at most |y| ≤ 3 (forward Euler can blow up far beyond)
COLUMN_W = 4.3  # widest formula in one method's column
PULSE = 12  # length of the pulse of the memory comparison


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

    # What the lecturer says per beat; every number comes in through a field the scene computed.
    NARRATION = {
        "en": {
            "recurrence": "A computer cannot follow a continuous curve; it takes steps. Discretisation "
            "turns the differential equation into a recurrence: the new state is A bar times the previous "
            "state, plus B bar times the input, with a step size Δ.",
            "methods": "Three classic rules give A bar and B bar. Zero-order hold uses the matrix "
            "exponential, bilinear averages the two ends of each step, and forward Euler takes one straight "
            "step along the slope. With Δ = {delta}, they give three different pairs.",
            "exact_curve": "The white curve is the exact output of the continuous system, a damped "
            "oscillator, driven by an input that is switched on for the first half and then off.",
            "compared": "Now the three recurrences, one dot per step. Zero-order hold lands exactly on the "
            "curve: when the input is held over each step, it is exact. Bilinear is off by at most "
            "{err_bilinear}, forward Euler by up to {err_euler}.",
            "memory": "Now the other role of Δ. Take one channel with a negative a. Then A bar is e to the "
            "minus Δ, the share of the old state that is kept, and B bar is what is left over, the share of "
            "the new input that comes in.",
            "keep": "With a small Δ of {d_small}, the channel keeps {keep_small} percent of its state and "
            "lets in only {in_small} percent of the input: it remembers. With a large Δ of {d_large}, it "
            "keeps {keep_large} percent and lets in {in_large} percent: it resets to the input.",
            "pulse": "Feed in a short pulse. With the small Δ, the state builds up slowly and fades slowly, "
            "holding on to the pulse long after it ends. With the large Δ, it jumps to the input and "
            "forgets it as soon as the pulse stops. Selection will turn exactly this knob, token by token.",
        },
        "zh": {
            "recurrence": "计算机没法沿着连续曲线走，只能一步一步地算。离散化把微分方程变成递推：新状态等于 "
            "A bar 乘以上一步的状态，加上 B bar 乘以输入，步长是 Δ。",
            "methods": "有三种经典方法给出 A bar 和 B bar：零阶保持用矩阵指数，双线性取每一步两端的平均，"
            "前向欧拉沿着斜率直接走一步。Δ = {delta} 时，三种方法给出三组不同的矩阵。",
            "exact_curve": "白色曲线是连续系统的精确输出。这是一个阻尼振子，输入在前一半时间打开，之后关闭。",
            "compared": "再看三种递推，每一步一个点。零阶保持正好落在曲线上：输入在每一步内保持不变时，"
            "它是精确的。双线性的最大误差是 {err_bilinear}，前向欧拉是 {err_euler}。",
            "memory": "再看 Δ 的另一个作用。取一个通道，a 为负数。这时 A bar 等于 e 的负 Δ 次方，"
            "是旧状态保留下来的比例；B bar 是剩下的部分，也就是新输入进来的比例。",
            "keep": "小步长 Δ = {d_small} 时，这个通道保留 {keep_small}% 的状态，只接收 {in_small}% 的输入："
            "它记住了过去。大步长 Δ = {d_large} 时，只保留 {keep_large}%，却接收 {in_large}%："
            "它被重置成当前的输入。",
            "pulse": "输入一个短脉冲。小 Δ 时，状态慢慢积累、慢慢衰减，脉冲结束很久之后还留着它的痕迹。大 Δ "
            "时，状态立刻跟上输入，脉冲一停就把它忘了。选择机制调的正是这个旋钮，而且每个 token 各调各的。",
        },
    }

    FORMULAS = {
        "zoh": (r"\bar A = e^{\Delta A}", r"\bar B = (\Delta A)^{-1}(e^{\Delta A} - I)\,\Delta B"),
        "bilinear": (
            r"\bar A = (I - \tfrac{\Delta}{2}A)^{-1}(I + \tfrac{\Delta}{2}A)",
            r"\bar B = (I - \tfrac{\Delta}{2}A)^{-1}\,\Delta B",
        ),
        "euler": (r"\bar A = I + \Delta A", r"\bar B = \Delta B"),
    }

    def construct(self) -> None:
        self.compute()
        self.show_formulas()
        self.show_trajectories()
        self.show_memory()

    # --- numbers (all from lib/) -----------------------------------------------------------------
    def compute(self) -> None:
        p = self.params
        sys = damped_oscillator(p.omega, p.damping)
        u = (np.arange(p.steps) < p.steps // 2).astype(float)  # (L,) the input: a step on, then off
        self.traj = simulate_piecewise_constant(sys.A, sys.B, sys.C, u, p.delta, SUBSTEPS)
        self.disc = {m: discretize(sys.A, sys.B[:, None], p.delta, m) for m in METHODS}
        self.y = {m: lti_recurrence(d.A_bar, d.B_bar[:, 0], sys.C, u).y for m, d in self.disc.items()}
        y_exact = self.traj.y[SUBSTEPS - 1 :: SUBSTEPS]  # (L,) continuous y at t = (k+1)Δ
        self.err = {m: float(np.max(np.abs(self.y[m] - y_exact))) for m in METHODS}
        x = (np.arange(PULSE) < 4).astype(float)  # (PULSE,) a short pulse into one channel
        self.memory = {}
        for d in (p.delta_small, p.delta_large):
            s = discretize(np.array([[-1.0]]), np.array([[1.0]]), d, "zoh")
            h = lti_recurrence(s.A_bar, s.B_bar[:, 0], np.ones(1), x).h[:, 0]  # (PULSE,)
            self.memory[d] = (float(s.A_bar[0, 0]), float(s.B_bar[0, 0]), h)
        self.memory_x = x

    # --- beats -------------------------------------------------------------------------------------
    def _method_column(self, m: str) -> VGroup:
        color = theme.METHOD[m]
        a, b = self.disc[m].A_bar, self.disc[m].B_bar[:, 0]
        nums = row(
            [
                formula(
                    r"\bar A = ", *matrix_pieces(a, key=f"A_bar_{m}", digits=3), font_size=26, color=color
                ),
                formula(
                    r"\bar B = ", *vector_pieces(b, key=f"B_bar_{m}", digits=3), font_size=26, color=color
                ),
            ],
            buff=theme.BUFF,
        )
        parts = [tex(f, size=28) for f in self.FORMULAS[m]] + [nums]
        for part in parts:
            fit_width(part, COLUMN_W)
        return column([self.text(m, size=theme.BODY, color=color), *parts], buff=theme.BUFF, align="center")

    def show_formulas(self) -> None:
        header = self.title_bar("title", "subtitle")
        cont = tex(
            r"h'(t) = A\,h(t) + B\,x(t) \;\xrightarrow{\;\Delta\;}\; h_t = \bar A\,h_{t-1} + \bar B\,x_t",
            size=38,
        )
        below(cont, header, buff=theme.BUFF_LARGE, align="center").set_x(0)
        columns = row([self._method_column(m) for m in METHODS], buff=theme.BUFF_LARGE, align="top")
        below(fit_width(columns), cont, buff=theme.BUFF_SECTION, align="center")
        delta = self.params.delta
        note = self.text("input_note", size=theme.SMALL, color=theme.MUTED, delta=numbers.fixed(delta, 2))
        to_safe(tag(note, "delta", delta), DOWN)
        with self.beat("recurrence"):
            self.play(FadeIn(header))
            self.play(Write(cont))
        with self.beat("methods", delta=numbers.fixed(delta, 2)):
            self.play(LaggedStart(*[FadeIn(c, shift=0.2 * UP) for c in columns], lag_ratio=0.3))
            self.play(FadeIn(note))
        self.next_slide()
        self.play(FadeOut(VGroup(cont, columns, note)))
        self.header = header

    def show_trajectories(self) -> None:
        p = self.params
        t_end = p.steps * p.delta
        shown = np.clip([*self.traj.y, *np.concatenate(list(self.y.values())), 1.0], -Y_CLIP, Y_CLIP)
        lo, hi, y_step = nice_range(shown, 6)
        x_step = nice_step(t_end, 8)
        plot = Plot(
            (0, t_end, x_step),
            (lo, hi, y_step),
            width=8.2,
            height=4.4,
            x_ticks=list(np.arange(x_step, t_end + 1e-9, x_step)),
            x_label=self.t("time"),
            y_label=self.t("output"),
            y_label_color=theme.MUTED,
        )
        below(plot, self.header, buff=theme.BUFF)
        to_safe(plot, LEFT)
        self.out_plot = plot
        t = np.concatenate([[0.0], self.traj.t])  # (1 + L·S,) the continuous solution from h(0) = 0
        y_c = np.clip(np.concatenate([[0.0], self.traj.y]), lo, hi)
        curve = plot.series(t, y_c, theme.METHOD["continuous"], key="y_exact", dots=False, width=4)
        tk = (np.arange(p.steps) + 1) * p.delta  # (L,) y_k is the output at the end of step k
        marks = {}
        for m in METHODS:
            y = np.clip(self.y[m], lo, hi)
            line = plot.series(np.r_[0.0, tk], np.r_[0.0, y], theme.METHOD[m], dots=False, width=2)
            marks[m] = VGroup(
                line.set_stroke(opacity=0.6), plot.scatter(tk, y, theme.METHOD[m], key=f"y_{m}")
            )
        items = [(self.t("continuous"), theme.METHOD["continuous"])] + [
            (self.t(m), theme.METHOD[m]) for m in METHODS
        ]
        leg = legend(items, size=theme.LABEL)
        errs = column(
            [
                tag(
                    self.text(
                        "max_err", size=theme.SMALL, color=theme.METHOD[m], err=numbers.fixed(self.err[m], 3)
                    ),
                    "max_err",
                    self.err[m],
                    (m,),
                )
                for m in METHODS
            ],
            buff=theme.BUFF_SMALL,
        )
        side = fit_width(
            column([leg, errs], buff=theme.BUFF_LARGE), SAFE.right - plot.get_right()[0] - theme.BUFF_LARGE
        )
        side.next_to(plot, RIGHT, buff=theme.BUFF_LARGE).align_to(plot, UP)
        exact = self.text("zoh_exact", size=theme.SMALL, color=theme.METHOD["zoh"])
        below(exact, plot, buff=theme.BUFF)
        with self.beat("exact_curve"):
            self.play(Create(plot))
            self.play(curve.grow(), FadeIn(leg[0]), run_time=1.5)
        with self.beat(
            "compared",
            err_bilinear=numbers.fixed(self.err["bilinear"], 3),
            err_euler=numbers.fixed(self.err["euler"], 3),
        ):
            for k, m in enumerate(METHODS):
                self.play(FadeIn(marks[m]), FadeIn(leg[k + 1]), FadeIn(errs[k]), run_time=0.8)
            self.play(FadeIn(exact))
        self.next_slide()
        self.play(FadeOut(VGroup(plot, curve, *marks.values(), side, exact)))

    def show_memory(self) -> None:
        p = self.params
        head = to_safe(below(self.text("memory", size=theme.BODY), self.header, buff=theme.BUFF_LARGE), LEFT)
        eq = Equation(
            r"\bar a = e^{-\Delta} \qquad \bar b = 1 - e^{-\Delta}",
            terms={"a": r"\bar a = e^{-\Delta}", "b": r"\bar b = 1 - e^{-\Delta}"},
            colors={"a": theme.MAT_A, "b": theme.MAT_B},
            font_size=34,
        )
        below(eq, head, buff=theme.BUFF)
        colors = {p.delta_small: theme.STATE, p.delta_large: theme.DELTA}
        rows = VGroup()
        for d, key in ((p.delta_small, "remembers"), (p.delta_large, "resets")):
            a, b, _ = self.memory[d]
            sentence = self.text(
                key,
                size=theme.LABEL,
                color=colors[d],
                d=numbers.fixed(d, 2),
                keep=numbers.fixed(100 * a, 1),
                inp=numbers.fixed(100 * b, 1),
            )
            rows.add(fit_width(tag(sentence, "memory", (d, a, b), (key,))))
        below(column(rows, buff=theme.BUFF_SMALL), eq, buff=theme.BUFF_LARGE)
        plot = Plot((0, PULSE, 2), (0, 1, 0.5), width=9.5, height=2.3, x_label=self.t("step"))
        below(plot, rows, buff=theme.BUFF_SECTION).set_x(0)
        steps = np.arange(1, PULSE + 1)  # (PULSE,) step t = 1 … PULSE
        bars = plot.stems(steps, self.memory_x, theme.INPUT, key="pulse")
        curves = VGroup()
        for d, key in ((p.delta_small, "h_small"), (p.delta_large, "h_large")):
            h = self.memory[d][2]
            line = plot.series(np.r_[0, steps], np.r_[0.0, h], colors[d], dots=False, width=3)
            curves.add(VGroup(line, plot.scatter(steps, h, colors[d], key=key, radius=0.05)))
        xl = self.text("x_label", size=theme.SMALL, color=theme.INPUT)
        xl.next_to(plot.c2p(1, 1), UP, buff=theme.BUFF_SMALL)
        (a_s, b_s, _), (a_l, b_l, _) = self.memory[p.delta_small], self.memory[p.delta_large]
        with self.beat("memory"):
            self.play(FadeIn(head), Write(eq))
        with self.beat(
            "keep",
            d_small=numbers.fixed(p.delta_small, 2),
            keep_small=numbers.fixed(100 * a_s, 1),
            in_small=numbers.fixed(100 * b_s, 1),
            d_large=numbers.fixed(p.delta_large, 2),
            keep_large=numbers.fixed(100 * a_l, 1),
            in_large=numbers.fixed(100 * b_l, 1),
        ):
            self.play(FadeIn(rows[0]))
            self.play(FadeIn(rows[1]))
        with self.beat("pulse"):
            self.play(Create(plot), FadeIn(bars), FadeIn(xl))
            self.play(Create(curves[0]), run_time=1.2)
            self.play(Create(curves[1]), run_time=1.2)
            self.wait(1.0)
