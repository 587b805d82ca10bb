"""Two views of one LTI SSM: the recurrence h_t = Ā h_{t−1} + B̄ x_t and the convolution y = K̄ * x agree."""

from __future__ import annotations

import numpy as np
from manim import (
    DOWN,
    LEFT,
    RIGHT,
    AnimationGroup,
    Indicate,
    LaggedStart,
    Line,
    Mobject,
    SurroundingRectangle,
    VGroup,
    Write,
)

from lib.mamba.ssm import discretize
from lib.mamba.ssm_examples import conv_terms, example_input, oscillatory_system, two_views
from scenes.engine.base import LectureScene
from scenes.engine.registry import register
from scenes.kit import numbers, theme
from scenes.kit.anim import fade_in, fade_out
from scenes.kit.bars import Bars
from scenes.kit.equation import Equation
from scenes.kit.frame import SAFE, column, fit_width, row, to_safe
from scenes.kit.matrix import Heatmap
from scenes.kit.record import number, tag
from scenes.kit.text import symbol_label, tex
from scenes.mamba.params.two_views import Params as TwoViewsParams

LABEL_W = 2.2  # the widest row label; the time columns start right of it
CELL_MAX = 1.1  # the widest time column
CHIP_H, CHIP_GAP = 0.46, 0.08  # one value's chip, and the free space around it
HEADER_TO_STEPS = 1.25  # from the title bar down to the step row: room for the current view's formula
ROW = 0.6  # pitch of the table's rows
# each row's distance below the step row (the state rows sit between x and y, the kernel's bars over K̄)
ROW_OFFSET = {
    "t": 0.0, "x": 0.5, "h": 1.12, "bars": 1.2, "K": 1.75, "terms": 2.35, "y_conv": 2.95, "y_rec": 3.55,
}  # fmt: skip
BAR_HALF = 0.3  # the largest kernel bar, above or below its baseline


@register("mamba.two_views")
class TwoViews(LectureScene):
    """One LTI SSM, two ways: the recurrence step by step, and the convolution with the kernel K̄."""

    Params = TwoViewsParams

    EXAMPLES = ({"length": 12, "state_size": 3, "delta": 1.0, "decay": 0.6, "seed": 4, "input_seed": 5},)

    STRINGS = {
        "en": {
            "title": "Two views of one SSM",
            "subtitle": "the same numbers from a recurrence and from a convolution",
            "system": "ZOH with Δ = {delta}:",
            "input": "input",
            "step": "step t",
            "rec_view": "View 1 — recurrence: one step at a time, the state carries the past",
            "conv_view": "View 2 — convolution: unroll the recurrence into one fixed kernel",
            "kernel": "kernel",
            "flipped": "flipped",
            "terms": "products",
            "state": "state",
            "y_rec": "y, recurrence",
            "y_conv": "y, convolution",
            "dot": "the flipped kernel times the inputs, summed:",
            "slide": "slide the flipped kernel along: every yₜ is one dot product",
            "same": "Both views give the same outputs:   max |difference| =",
            "lti": "It works because the system is the same at every step (linear time-invariant, LTI):",
            "select": "Selection makes the step depend on the input: no single kernel, so Mamba scans.",
        },
        "zh": {
            "title": "同一个 SSM 的两种视角",
            "subtitle": "递推和卷积算出完全相同的数",
            "system": "零阶保持，Δ = {delta}：",
            "input": "输入",
            "step": "步 t",
            "rec_view": "视角一 —— 递推：一步一步地算，状态携带着过去的信息",
            "conv_view": "视角二 —— 卷积：把递推展开成一个固定的卷积核",
            "kernel": "卷积核",
            "flipped": "翻转后",
            "terms": "乘积",
            "state": "状态",
            "y_rec": "y（递推）",
            "y_conv": "y（卷积）",
            "dot": "翻转的卷积核与输入逐项相乘再求和：",
            "slide": "把翻转的卷积核逐步滑动：每个 yₜ 都是一次点积",
            "same": "两种视角的输出完全相同：   最大差值 |差| =",
            "lti": "之所以成立，是因为系统在每一步都相同（线性时不变，LTI）：",
            "select": "选择机制让每一步都取决于输入：不再有单一的卷积核，所以 Mamba 改用扫描。",
        },
    }

    # What the lecturer says per beat; every number comes in through a field the scene computed.
    NARRATION = {
        "en": {
            "system": "Take one small linear time-invariant SSM, discretised with zero-order hold at Δ = "
            "{delta}. These are its A bar, B bar and C. We will compute its outputs in two quite different "
            "ways, and get the same numbers.",
            "input": "Here is an input sequence of {L} values, one per step: both views start from it.",
            "recurrence": "View one, the recurrence. At each step, the state is multiplied by A bar, the "
            "new input comes in through B bar, and C reads out y. One step at a time, the state carries "
            "everything the model remembers.",
            "kernel": "View two: unroll the recurrence. Each output is a weighted sum of all the inputs so "
            "far, and the weights are one fixed kernel, K bar: C B bar, then C A bar B bar, then C A bar "
            "squared B bar, and so on. Its first entry, C B bar, is {k0}.",
            "flip": "To compute the last output, flip the kernel, so that its first entry sits under the "
            "newest input.",
            "dot": "Multiply each kernel entry by the input above it, and add up the products. That gives "
            "{y_last}, the same as the last output of the recurrence.",
            "slide": "Slide the flipped kernel along, and every output is one dot product. No state is "
            "carried from step to step, so all the outputs can be computed at once, in parallel.",
            "agree": "Both views give the same outputs. The largest difference between them is only "
            "rounding error, in the last digits of double precision.",
            "lti": "This works because the system is the same at every step: linear and time-invariant. "
            "Each output is a sum over the past inputs, each weighted by C times a power of A bar times B "
            "bar, and those weights are the kernel.",
            "select": "Selection breaks this. In Mamba, A bar, B bar and C change with the input at every "
            "step, so there is no single kernel to convolve with. That is why Mamba computes the "
            "recurrence, with a fast parallel scan.",
        },
        "zh": {
            "system": "取一个小小的线性时不变 SSM，用零阶保持离散化，步长 Δ = {delta}。这是它的 A bar、B "
            "bar 和 C。下面用两种截然不同的方法计算它的输出，结果却一模一样。",
            "input": "这是输入序列，一共 {L} 个数，每一步一个，两种视角都从它出发。",
            "recurrence": "视角一：递推。每一步，状态先乘以 A bar，新输入经过 B bar 加进来，再由 C 读出 y。"
            "就这样一步一步地算，状态里装着模型记住的全部过去。",
            "kernel": "视角二：把递推展开。每个输出都是之前所有输入的加权和，权重构成一个固定的卷积核 K "
            "bar：C B bar，C A bar B bar，C A bar 平方 B bar，依此类推。它的第一项 C B bar 是 {k0}。",
            "flip": "要算最后一个输出，先把卷积核翻转过来，让它的第一项对准最新的输入。",
            "dot": "每一项乘以上方对应的输入，再把乘积加起来，得到 {y_last}，"
            "和递推算出的最后一个输出完全相同。",
            "slide": "把翻转后的卷积核逐步滑动，每个输出都是一次点积。步与步之间不需要传递状态，"
            "所以所有输出可以同时并行计算。",
            "agree": "两种视角给出同样的输出。它们之间的最大差值，只是双精度浮点数最后几位的舍入误差。",
            "lti": "之所以成立，是因为系统在每一步都完全相同，也就是线性时不变。"
            "每个输出都是过去输入的加权和，权重是 C 乘以 A bar 的幂再乘以 B bar，这些权重就是卷积核。",
            "select": "选择机制打破了这一点。在 Mamba 里，A bar、B bar 和 C 每一步都随输入变化，"
            "不再有单一的卷积核可用。所以 Mamba 直接计算递推，并用快速的并行扫描来实现。",
        },
    }

    def construct(self) -> None:
        self.compute()
        self.show_system()
        self.show_recurrence()
        self.show_convolution()
        self.show_agreement()

    # --- numbers (all from lib/) -----------------------------------------------------------------
    def compute(self) -> None:
        p = self.params
        self.sys = oscillatory_system(p.state_size, p.decay, p.seed)
        d = discretize(self.sys.A, self.sys.B[:, None], p.delta, "zoh")
        self.A_bar, self.B_bar, self.C = d.A_bar, d.B_bar[:, 0], self.sys.C  # (N, N), (N,), (N,)
        self.x = example_input(p.length, p.input_seed)  # (L,)
        self.views = two_views(self.A_bar, self.B_bar, self.C, self.x)
        self.terms = conv_terms(self.views.kernel, self.x, p.length - 1)  # (L,) for the last output

    # --- the table: one column per step, one row per quantity ----------------------------------------
    def place_table(self, header: Mobject) -> None:
        """Columns right of the row labels, across the safe width; rows under the title bar."""
        self.cells_left = SAFE.left + LABEL_W + theme.BUFF_SMALL
        self.cell_w = min(CELL_MAX, (SAFE.right - self.cells_left) / self.params.length)
        self.steps_y = header.get_bottom()[1] - HEADER_TO_STEPS

    def col_x(self, t: int) -> float:
        return self.cells_left + (t + 0.5) * self.cell_w

    def row_y(self, name: str) -> float:
        return self.steps_y - ROW_OFFSET[name]

    def seq_row(self, values: np.ndarray, key: str, color, y: float, digits: int = 2) -> Heatmap:
        """Values along the steps as a row of chips outlined in the quantity's colour (a 2-D array: one row
        of chips under the other), the first chip under step 1; numbers tagged ``(key, (row, t))``."""
        hm = Heatmap(
            np.atleast_2d(values),
            key=key,
            scale="plain",
            color=color,
            outline=color,
            cell=self.cell_w,
            cell_height=CHIP_H + CHIP_GAP,
            gap=CHIP_GAP,
            digits=digits,
        )
        return hm.shift(np.array([self.col_x(0), y, 0.0]) - hm.cell_at(0, 0).get_center())

    def row_label(self, label: Mobject, y: float) -> Mobject:
        """A row's caption, right-aligned against the first column."""
        fit_width(label, LABEL_W)
        return label.move_to([self.cells_left - theme.BUFF_SMALL, y, 0.0], aligned_edge=RIGHT)

    def word_label(self, key: str, symbol: str, color, y: float) -> Mobject:
        lab = symbol_label(self.t(key), symbol, color) if symbol else self.text(key, theme.SMALL, color)
        return self.row_label(lab, y)

    def caption(self, key: str, **fmt) -> Mobject:
        return fit_width(self.text(key, size=theme.LABEL, color=theme.FG, **fmt))

    def formula(self, eq: Equation) -> Equation:
        """The current view's formula, over the table, from the first column."""
        return eq.move_to([self.cells_left, self.steps_y + ROW, 0.0], aligned_edge=LEFT)

    # --- beats -------------------------------------------------------------------------------------
    def show_system(self) -> None:
        header = self.title_bar("title", "subtitle")
        self.place_table(header)
        cont = Equation(
            r"h'(t) = A\,h(t) + B\,x(t) \;\xrightarrow{\;\Delta\;}\; \bar A = e^{\Delta A},"
            r"\quad \bar B = (\Delta A)^{-1}(e^{\Delta A} - I)\,\Delta B",
            terms={
                "A_bar": r"\bar A = e^{\Delta A}",
                "B_bar": r"\bar B = (\Delta A)^{-1}(e^{\Delta A} - I)\,\Delta B",
            },
            colors={"A_bar": theme.MAT_A, "B_bar": theme.MAT_B},
            font_size=34,
        )
        head = self.text(
            "system", size=theme.LABEL, color=theme.DELTA, delta=numbers.fixed(self.params.delta, 2)
        )
        mats = row(
            [
                tag(
                    tex(r"\bar A = " + numbers.tex_matrix(self.A_bar, 2), 32, theme.MAT_A),
                    "A_bar",
                    self.A_bar,
                ),
                tag(
                    tex(r"\bar B = " + numbers.tex_vector(self.B_bar, 2), 40, theme.MAT_B),
                    "B_bar",
                    self.B_bar,
                ),
                tag(tex("C = " + numbers.tex_vector(self.C, 1, column=False), 40, theme.MAT_C), "C", self.C),
            ],
            buff=theme.BUFF_LARGE,
        )
        system = fit_width(column([cont, head, mats], buff=theme.BUFF_LARGE, align="center"))
        system.next_to(header, DOWN, buff=theme.BUFF_SECTION).set_x(0)
        L = self.params.length
        steps = VGroup(
            *[
                number(
                    t + 1, key="step", index=t, size=theme.SMALL, color=theme.MUTED, fmt=numbers.integer
                ).move_to([self.col_x(t), self.row_y("t"), 0])
                for t in range(L)
            ]
        )
        x_row = self.seq_row(self.x, "x", theme.INPUT, self.row_y("x"), digits=1)
        x_lab = self.word_label("input", "x_t", theme.INPUT, self.row_y("x"))
        t_lab = self.word_label("step", "", theme.MUTED, self.row_y("t"))
        with self.beat("system", delta=numbers.fixed(self.params.delta, 2)):
            self.play(fade_in(header))
            self.play(Write(cont), run_time=1.5)
            self.play(fade_in(head), LaggedStart(*[fade_in(m) for m in mats], lag_ratio=0.3))
            self.wait(1.0)
        self.next_slide()
        self.play(fade_out(system))
        with self.beat("input", L=numbers.integer(L)):
            self.play(
                fade_in(t_lab),
                fade_in(steps),
                fade_in(x_lab),
                LaggedStart(*[fade_in(x_row.column(t)) for t in range(L)], lag_ratio=0.1),
            )
        self.header, self.x_row, self.steps, self.x_lab, self.t_lab = header, x_row, steps, x_lab, t_lab

    def show_recurrence(self) -> None:
        L, N = self.params.length, self.params.state_size
        formula = self.formula(
            Equation(
                r"h_t = \bar A\, h_{t-1} + \bar B\, x_t \qquad y_t = C\, h_t",
                terms=["h_t", r"\bar A", "h_{t-1}", r"\bar B", "x_t", "y_t", "C"],
                colors={
                    "h_t": theme.STATE, "h_{t-1}": theme.STATE, "x_t": theme.INPUT, "y_t": theme.OUTPUT,
                    r"\bar A": theme.MAT_A, r"\bar B": theme.MAT_B, "C": theme.MAT_C,
                },
                font_size=36,
            )
        )  # fmt: skip
        # the state: one chip row per component h_{t,i}, under the input (values (N, L), index (i, t))
        h = self.seq_row(self.views.h.T, "h", theme.STATE, self.row_y("h"))
        comp = VGroup(
            *[
                self.row_label(tex(rf"h_{{t,{i + 1}}}", 28, theme.STATE), h.cell_at(i, 0).get_y())
                for i in range(N)
            ]
        )
        h_lab = self.text("state", size=theme.SMALL, color=theme.STATE).next_to(comp, LEFT, buff=theme.BUFF)
        y_row = self.seq_row(self.views.y_recurrent, "y_rec", theme.OUTPUT, self.row_y("y_rec"))
        y_lab = self.word_label("y_rec", "", theme.OUTPUT, self.row_y("y_rec"))
        cap = to_safe(self.caption("rec_view"), DOWN)
        cursor = SurroundingRectangle(
            VGroup(self.x_row.cell_at(0, 0), y_row.cell_at(0, 0)),
            color=theme.ACCENT,
            buff=theme.BUFF_TIGHT / 2,
        )
        with self.beat("recurrence"):
            self.play(Write(formula), fade_in(cap))
            self.play(fade_in(h_lab), fade_in(comp), fade_in(y_lab), fade_in(cursor))
            for t in range(L):
                if t:
                    self.play(cursor.animate.set_x(self.col_x(t)), run_time=0.3)
                self.play(fade_in(h.column(t)), run_time=0.5 if t < 2 else 0.3)
                self.play(fade_in(y_row.column(t)), run_time=0.4 if t < 2 else 0.25)
            self.wait(0.5)
        self.next_slide()
        self.play(fade_out(VGroup(formula, cap, cursor, h_lab, comp, h)))
        self.y_rec, self.y_rec_lab = y_row, y_lab

    def show_convolution(self) -> None:
        L = self.params.length
        K = self.views.kernel
        formula = self.formula(
            Equation(
                r"\bar K = (C \bar B,\; C \bar A \bar B,\; C \bar A^2 \bar B,\; \dots) \qquad y = \bar K * x",
                terms=["C", r"\bar B", r"\bar A", "y", "x"],
                colors={"C": theme.MAT_C, r"\bar B": theme.MAT_B, r"\bar A": theme.MAT_A, "y": theme.OUTPUT,
                        "x": theme.INPUT},
                font_size=36,
            )
        )  # fmt: skip
        # the kernel: its values in chips, and signed bars over them on one baseline
        k_row = self.seq_row(K, "kernel", theme.FG, self.row_y("K"), digits=3)
        bars = Bars(
            K,
            key="kernel_bar",
            signed=True,
            show_values=False,
            color=theme.FG,
            length=BAR_HALF,
            thickness=self.cell_w * 0.45,
            gap=self.cell_w * 0.55,
        )
        base_y = self.row_y("bars") - theme.BUFF_TIGHT
        bars.shift(np.array([self.col_x(0) - bars.bar(0).get_x(), base_y - bars.baseline(), 0.0]))
        axis = Line(
            [self.cells_left, base_y, 0], [self.col_x(L - 1) + self.cell_w / 2, base_y, 0], color=theme.GRID
        )
        kernel = VGroup(axis, bars, k_row)
        k_lab = self.word_label("kernel", r"\bar K_{t-1}", theme.FG, self.row_y("K"))
        cap = to_safe(self.caption("conv_view"), DOWN)
        with self.beat("kernel", k0=k_row.fmt(K[0])):
            self.play(Write(formula), fade_in(cap))
            self.play(
                fade_in(k_lab),
                fade_in(axis),
                LaggedStart(
                    *[fade_in(VGroup(bars.bar(k), k_row.column(k))) for k in range(L)], lag_ratio=0.1
                ),
            )
            self.wait(0.5)
        self.next_slide()
        # flip the kernel under the inputs: K̄_{L−s} sits under x_s (steps from 1), the products sum to y_L
        flip_lab = self.word_label("flipped", rf"\bar K_{{{L}-s}}", theme.FG, self.row_y("K"))
        moves = [
            VGroup(bars.bar(k), k_row.column(k)).animate.shift(
                (self.col_x(L - 1 - k) - self.col_x(k)) * RIGHT
            )
            for k in range(L)
        ]
        with self.beat("flip"):
            self.play(fade_out(k_lab), fade_in(flip_lab), AnimationGroup(*moves, group=kernel), run_time=1.5)
        t_row = self.seq_row(self.terms, "terms", theme.ACCENT, self.row_y("terms"))
        t_lab = self.word_label("terms", rf"\bar K_{{{L}-s}}\,x_s", theme.ACCENT, self.row_y("terms"))
        y_conv = self.seq_row(self.views.y_conv, "y_conv", theme.OUTPUT, self.row_y("y_conv"))
        y_lab = self.word_label("y_conv", "", theme.OUTPUT, self.row_y("y_conv"))
        y_last = self.views.y_conv[-1]
        dot_sum = row(
            [
                tex(rf"y_{{{L}}} = \textstyle\sum_{{s=1}}^{{{L}}} \bar K_{{{L}-s}}\,x_s =", 34, theme.OUTPUT),
                tag(tex(numbers.fixed(y_last, 2, tex=True), 34, theme.OUTPUT), "y_conv_sum", y_last),
            ],
            buff=theme.BUFF_SMALL,
        )
        dot_cap = fit_width(
            row([self.text("dot", size=theme.LABEL, color=theme.FG), dot_sum], buff=theme.BUFF)
        )
        dot_cap.move_to(cap)
        box = SurroundingRectangle(t_row, color=theme.ACCENT, buff=theme.BUFF_TIGHT / 2)
        with self.beat("dot", y_last=numbers.fixed(y_last, 2)):
            self.play(
                fade_out(cap),
                fade_in(dot_cap),
                fade_in(t_lab),
                LaggedStart(*[fade_in(t_row.column(s)) for s in range(L)], lag_ratio=0.08),
            )
            self.play(fade_in(box), fade_in(y_lab))
            self.play(fade_in(y_conv.column(L - 1)))
            self.play(Indicate(y_conv.number_at(0, L - 1), color=theme.ACCENT))
            self.wait(0.5)
        self.next_slide()
        slide_cap = self.caption("slide").move_to(cap)
        with self.beat("slide"):
            self.play(fade_out(dot_cap), fade_in(slide_cap), fade_out(box))
            self.play(
                LaggedStart(*[fade_in(y_conv.column(t)) for t in range(L - 1)], lag_ratio=0.15), run_time=1.5
            )
            self.wait(0.5)
        self.next_slide()
        self.play(fade_out(VGroup(formula, slide_cap, flip_lab, kernel, t_row, t_lab)))
        self.y_conv, self.y_conv_lab = y_conv, y_lab

    def show_agreement(self) -> None:
        diff = self.views.max_abs_diff
        same = row(
            [
                self.text("same", size=theme.LABEL, color=theme.OUTPUT),
                tag(tex(numbers.sci(diff, 1, tex=True), 34, theme.OUTPUT), "max_abs_diff", diff),
            ],
            buff=theme.BUFF,
        )
        box = SurroundingRectangle(VGroup(self.y_conv, self.y_rec), color=theme.OUTPUT, buff=theme.BUFF_TIGHT)
        same.next_to(box, DOWN, buff=theme.BUFF).align_to(box, LEFT)
        fit_width(same, SAFE.right - same.get_left()[0])
        same.align_to(box, LEFT)
        with self.beat("agree"):
            self.play(fade_in(box), fade_in(same))
            self.wait(0.5)
        self.next_slide()
        lti = self.caption("lti")
        kern = Equation(
            r"y_t = \sum_{s \le t} C\, \bar A^{\,t-s}\, \bar B\, x_s = \sum_{s \le t} \bar K_{t-s}\, x_s",
            terms=["C", r"\bar A^{\,t-s}", r"\bar B", "x_s"],
            colors={
                "C": theme.MAT_C,
                r"\bar A^{\,t-s}": theme.MAT_A,
                r"\bar B": theme.MAT_B,
                "x_s": theme.INPUT,
            },
            font_size=34,
        )
        sel = self.caption("select")
        tv = Equation(
            r"y_t = \sum_{s \le t} C_t\, \bar A_t \cdots \bar A_{s+1}\, \bar B_s\, x_s",
            terms=["C_t", r"\bar A_t \cdots \bar A_{s+1}", r"\bar B_s", "x_s"],
            colors={
                "C_t": theme.MAT_C, r"\bar A_t \cdots \bar A_{s+1}": theme.MAT_A, r"\bar B_s": theme.MAT_B,
                "x_s": theme.INPUT,
            },
            font_size=34,
        )  # fmt: skip
        bridge = column([lti, kern, sel, tv], buff=theme.BUFF, align="center")
        bridge.move_to([0, (self.header.get_bottom()[1] + box.get_top()[1]) / 2, 0])
        with self.beat("lti"):
            self.play(fade_out(VGroup(self.x_row, self.x_lab, self.steps, self.t_lab)))
            self.play(fade_in(lti), Write(kern))
            self.wait(0.5)
        with self.beat("select"):
            self.play(fade_in(sel), Write(tv))
            self.wait(2.0)
