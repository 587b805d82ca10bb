"""Two views of one LTI SSM: the recurrence h_t = Ā h_{t−1} + B̄ x_t and the convolution y = K̄ * x agree."""

from __future__ import annotations

import numpy as np
from manim import (
    DOWN,
    LEFT,
    RIGHT,
    Indicate,
    LaggedStart,
    Line,
    MathTex,
    Rectangle,
    RoundedRectangle,
    SurroundingRectangle,
    VGroup,
    Write,
)

from lib.mamba.ssm import discretize
from lib.mamba.ssm_examples import conv_terms, example_input, oscillatory_system, two_views
from scenes.base import LectureScene
from scenes.kit import theme
from scenes.kit.widgets import FadeInPlace, FadeOutPlace
from scenes.mamba.params.two_views import Params as TwoViewsParams
from scenes.registry import register

LABEL_RIGHT = -4.45  # right edge of the row labels; the cells start just after it
CELLS_W = 11.1  # width available to the L columns
ROW_Y = {"t": 1.45, "x": 0.95, "bars": 0.3, "K": -0.3, "terms": -0.9, "y_conv": -1.5, "y_rec": -2.1}
FORMULA_Y = 2.05  # the formula of the current view, above the table
BAR_HALF = 0.3  # largest kernel bar, above or below its baseline


def tex_vec(v: np.ndarray, digits: int = 2, column: bool = True) -> str:
    sep = r" \\ " if column else " & "
    return r"\begin{pmatrix}" + sep.join(theme.fmt_tex(a, digits) for a in v) + r"\end{pmatrix}"


def tex_sci(v: float) -> str:
    """1.1e-16 as 1.1 x 10^{-16} for MathTex (0 stays 0)."""
    if v == 0:
        return "0"
    mant, exp = f"{v:.1e}".split("e")
    return rf"{mant} \times 10^{{{int(exp)}}}"


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
            "slide": "slide the flipped kernel along: every y_t is one dot product",
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
            "slide": "把翻转的卷积核逐步滑动：每个 y_t 都是一次点积",
            "same": "两种视角的输出完全相同：   最大差值 |差| =",
            "lti": "之所以成立，是因为系统在每一步都相同（线性时不变，LTI）：",
            "select": "选择机制让每一步都取决于输入：不再有单一的卷积核，所以 Mamba 改用扫描。",
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
        self.shown.update(
            A_bar=self.A_bar,
            B_bar=self.B_bar,
            C=self.C,
            x=self.x,
            h=self.views.h,
            y_recurrent=self.views.y_recurrent,
            kernel=self.views.kernel,
            flipped_kernel=self.views.kernel[::-1],
            terms=self.terms,
            y_conv=self.views.y_conv,
            max_abs_diff=self.views.max_abs_diff,
        )

    # --- drawing helpers ---------------------------------------------------------------------------
    @property
    def cell_w(self) -> float:
        return min(1.1, CELLS_W / self.params.length)

    def col_x(self, t: int) -> float:
        return LABEL_RIGHT + 0.15 + (t + 0.5) * self.cell_w

    def cell(self, value: float, color, t: int, y: float, digits: int = 2) -> VGroup:
        box = RoundedRectangle(
            corner_radius=0.06, width=self.cell_w - 0.08, height=0.46, stroke_color=color, stroke_width=2
        ).set_fill(color, opacity=0.14)
        num = self.plain(theme.fmt(value, digits), size=theme.NUMBER, color=theme.FG)
        if num.width > box.width - 0.08:
            num.scale_to_fit_width(box.width - 0.08)
        return VGroup(box, num).move_to([self.col_x(t), y, 0])

    def row(self, values: np.ndarray, color, y: float, digits: int = 2) -> VGroup:
        return VGroup(*[self.cell(v, color, t, y, digits) for t, v in enumerate(values)])

    def label(self, word_key: str, tex: str, color, y: float) -> VGroup:
        lab = VGroup(self.text(word_key, size=theme.SMALL, color=color))
        if tex:
            lab.add(MathTex(tex, font_size=28, color=color))
        lab.arrange(RIGHT, buff=0.12)
        if lab.width > 2.2:
            lab.scale_to_fit_width(2.2)
        return lab.move_to([0, y, 0]).align_to(LABEL_RIGHT * RIGHT, RIGHT)

    def caption(self, key: str, **fmt) -> VGroup:
        cap = self.text(key, size=theme.LABEL, color=theme.FG, **fmt)
        if cap.width > 13.4:
            cap.scale_to_fit_width(13.4)
        return cap

    # --- beats -------------------------------------------------------------------------------------
    def show_system(self) -> None:
        header = self.title_bar("title", "subtitle")
        cont = MathTex(
            r"h'(t) = A\,h(t) + B\,x(t)",
            r"\;\xrightarrow{\;\Delta\;}\;",
            r"\bar A = e^{\Delta A}",
            r",\quad",
            r"\bar B = (\Delta A)^{-1}(e^{\Delta A} - I)\,\Delta B",
            font_size=34,
        )
        cont[2].set_color(theme.MAT_A)
        cont[4].set_color(theme.MAT_B)
        head = self.text("system", size=theme.LABEL, color=theme.DELTA, delta=theme.fmt(self.params.delta, 2))
        rows = [" & ".join(theme.fmt_tex(v, 2) for v in r) for r in self.A_bar]
        a = MathTex(
            r"\bar A = \begin{pmatrix}" + r" \\ ".join(rows) + r"\end{pmatrix}",
            font_size=32,
            color=theme.MAT_A,
        )
        b = MathTex(r"\bar B = " + tex_vec(self.B_bar), font_size=40, color=theme.MAT_B)
        c = MathTex(r"C = " + tex_vec(self.C, 1, column=False), font_size=40, color=theme.MAT_C)
        mats = VGroup(a, b, c).arrange(RIGHT, buff=0.5)
        system = VGroup(cont, head, mats).arrange(DOWN, buff=0.45).next_to(header, DOWN, buff=0.6).set_x(0)
        if system.width > 13.4:
            system.scale_to_fit_width(13.4)
        t_idx = VGroup(
            *[
                self.plain(str(t + 1), size=theme.SMALL, color=theme.MUTED).move_to(
                    [self.col_x(t), ROW_Y["t"], 0]
                )
                for t in range(self.params.length)
            ]
        )
        x_row = self.row(self.x, theme.INPUT, ROW_Y["x"], digits=1)
        x_lab = self.label("input", "x_t", theme.INPUT, ROW_Y["x"])
        t_lab = self.label("step", "", theme.MUTED, ROW_Y["t"])
        self.play(FadeInPlace(header))
        self.play(Write(cont), run_time=1.5)
        self.play(FadeInPlace(head), LaggedStart(*[FadeInPlace(m) for m in mats], lag_ratio=0.3))
        self.wait(1.0)
        self.next_slide()
        self.play(FadeOutPlace(system))
        self.play(
            FadeInPlace(t_lab),
            FadeInPlace(t_idx),
            FadeInPlace(x_lab),
            LaggedStart(*[FadeInPlace(c) for c in x_row], lag_ratio=0.1),
        )
        self.header, self.x_row, self.t_idx, self.x_lab, self.t_lab = header, x_row, t_idx, x_lab, t_lab

    def show_recurrence(self) -> None:
        L, N = self.params.length, self.params.state_size
        formula = MathTex(
            r"h_t",
            r"=",
            r"\bar A",
            r"\,h_{t-1}",
            r"+",
            r"\bar B",
            r"\,x_t",
            r"\qquad",
            r"y_t",
            r"=",
            r"C",
            r"\,h_t",
            font_size=36,
        )
        for i, col in enumerate(
            (theme.STATE, None, theme.MAT_A, theme.STATE, None, theme.MAT_B, theme.INPUT, None)
            + (theme.OUTPUT, None, theme.MAT_C, theme.STATE)
        ):
            if col is not None:
                formula[i].set_color(col)
        formula.move_to([0, FORMULA_Y, 0]).align_to(LABEL_RIGHT * RIGHT + 0.15 * RIGHT, LEFT)
        top = ROW_Y["x"] - 0.62
        h_ys = [top - 0.5 * i for i in range(N)]
        h_rows = [self.row(self.views.h[:, i], theme.STATE, y) for i, y in enumerate(h_ys)]
        comp = VGroup(
            *[
                MathTex(rf"h_{{t,{i + 1}}}", font_size=28, color=theme.STATE)
                .move_to([0, y, 0])
                .align_to(LABEL_RIGHT * RIGHT, RIGHT)
                for i, y in enumerate(h_ys)
            ]
        )
        h_lab = self.text("state", size=theme.SMALL, color=theme.STATE)
        h_lab.next_to(comp, LEFT, buff=0.2)
        y_row = self.row(self.views.y_recurrent, theme.OUTPUT, ROW_Y["y_rec"])
        y_lab = self.label("y_rec", "", theme.OUTPUT, ROW_Y["y_rec"])
        cap = self.caption("rec_view").to_edge(DOWN, buff=theme.EDGE)
        cols = [VGroup(*[r[t] for r in h_rows]) for t in range(L)]
        cursor = SurroundingRectangle(VGroup(self.x_row[0], y_row[0]), color=theme.ACCENT, buff=0.05)
        self.play(Write(formula), FadeInPlace(cap))
        self.play(FadeInPlace(h_lab), FadeInPlace(comp), FadeInPlace(y_lab), FadeInPlace(cursor))
        for t in range(L):
            if t:
                self.play(cursor.animate.set_x(self.col_x(t)), run_time=0.3)
            self.play(FadeInPlace(cols[t]), run_time=0.5 if t < 2 else 0.3)
            self.play(FadeInPlace(y_row[t]), run_time=0.4 if t < 2 else 0.25)
        self.wait(0.5)
        self.next_slide()
        self.play(FadeOutPlace(VGroup(formula, cap, cursor, h_lab, comp, *h_rows)))
        self.y_rec, self.y_rec_lab = y_row, y_lab

    def show_convolution(self) -> None:
        L = self.params.length
        K = self.views.kernel
        formula = MathTex(
            r"\bar K",
            r"= (",
            r"C",
            r"\bar B",
            r",\;",
            r"C",
            r"\bar A",
            r"\bar B",
            r",\;",
            r"C",
            r"\bar A^2",
            r"\bar B",
            r",\;\dots)",
            r"\qquad",
            r"y",
            r"=",
            r"\bar K",
            r"*",
            r"x",
            font_size=36,
        )
        for i in (2, 5, 9):
            formula[i].set_color(theme.MAT_C)
        for i in (3, 7, 11):
            formula[i].set_color(theme.MAT_B)
        for i in (6, 10):
            formula[i].set_color(theme.MAT_A)
        formula[14].set_color(theme.OUTPUT)
        formula[18].set_color(theme.INPUT)
        formula.move_to([0, FORMULA_Y, 0]).align_to(LABEL_RIGHT * RIGHT + 0.15 * RIGHT, LEFT)
        kmax = float(np.max(np.abs(K))) or 1.0
        base = ROW_Y["bars"] - 0.05
        k_cells = VGroup()
        for k, v in enumerate(K):
            bar_h = max(abs(v) / kmax * BAR_HALF, 0.01)
            bar = Rectangle(width=self.cell_w * 0.45, height=bar_h, stroke_width=0).set_fill(theme.FG, 0.75)
            bar.move_to([self.col_x(k), base + np.sign(v) * bar_h / 2, 0])
            zero = Line(
                [self.col_x(k) - self.cell_w / 2, base, 0],
                [self.col_x(k) + self.cell_w / 2, base, 0],
                color=theme.GRID,
                stroke_width=2,
            )
            k_cells.add(
                VGroup(zero, bar, self.cell(v, theme.FG, k, ROW_Y["K"], 3 if self.cell_w > 0.95 else 2))
            )
        k_lab = self.label("kernel", r"\bar K_{t-1}", theme.FG, ROW_Y["K"])
        cap = self.caption("conv_view").to_edge(DOWN, buff=theme.EDGE)
        self.play(Write(formula), FadeInPlace(cap))
        self.play(
            FadeInPlace(k_lab),
            LaggedStart(*[FadeInPlace(c) for c in k_cells], lag_ratio=0.1),
        )
        self.wait(0.5)
        self.next_slide()
        # flip the kernel under the inputs: K̄_{L−s} sits under x_s (steps from 1), the products sum to y_L
        flip_lab = self.label("flipped", rf"\bar K_{{{L}-s}}", theme.FG, ROW_Y["K"])
        self.play(
            FadeOutPlace(k_lab),
            FadeInPlace(flip_lab),
            *[
                c.animate.shift((self.col_x(L - 1 - k) - self.col_x(k)) * RIGHT)
                for k, c in enumerate(k_cells)
            ],
            run_time=1.5,
        )
        t_row = self.row(self.terms, theme.ACCENT, ROW_Y["terms"])
        t_lab = self.label("terms", rf"\bar K_{{{L}-s}}\,x_s", theme.ACCENT, ROW_Y["terms"])
        y_conv = self.row(self.views.y_conv, theme.OUTPUT, ROW_Y["y_conv"])
        y_lab = self.label("y_conv", "", theme.OUTPUT, ROW_Y["y_conv"])
        dot_sum = MathTex(
            rf"y_{{{L}}} = \textstyle\sum_{{s=1}}^{{{L}}} \bar K_{{{L}-s}}\,x_s = ",
            theme.fmt_tex(self.views.y_conv[-1], 2),
            font_size=34,
            color=theme.OUTPUT,
        )
        dot_cap = VGroup(self.text("dot", size=theme.LABEL, color=theme.FG, t=L), dot_sum)
        dot_cap.arrange(RIGHT, buff=0.3).move_to(cap)
        if dot_cap.width > 13.4:
            dot_cap.scale_to_fit_width(13.4)
        self.play(
            FadeOutPlace(cap),
            FadeInPlace(dot_cap),
            FadeInPlace(t_lab),
            LaggedStart(*[FadeInPlace(c) for c in t_row], lag_ratio=0.08),
        )
        box = SurroundingRectangle(t_row, color=theme.ACCENT, buff=0.06)
        self.play(FadeInPlace(box), FadeInPlace(y_lab))
        self.play(FadeInPlace(y_conv[L - 1]))
        self.play(Indicate(y_conv[L - 1], color=theme.ACCENT))
        self.wait(0.5)
        self.next_slide()
        slide_cap = self.caption("slide").move_to(cap)
        self.play(FadeOutPlace(dot_cap), FadeInPlace(slide_cap), FadeOutPlace(box))
        self.play(LaggedStart(*[FadeInPlace(y_conv[t]) for t in range(L - 1)], lag_ratio=0.15), run_time=1.5)
        self.wait(0.5)
        self.next_slide()
        self.play(FadeOutPlace(VGroup(formula, slide_cap, flip_lab, k_cells, t_row, t_lab)))
        self.y_conv, self.y_conv_lab = y_conv, y_lab

    def show_agreement(self) -> None:
        same = VGroup(
            self.text("same", size=theme.LABEL, color=theme.OUTPUT),
            MathTex(tex_sci(self.views.max_abs_diff), font_size=34, color=theme.OUTPUT),
        ).arrange(RIGHT, buff=0.2)
        box = SurroundingRectangle(VGroup(self.y_conv, self.y_rec), color=theme.OUTPUT, buff=0.08)
        same.next_to(box, DOWN, buff=0.3).align_to(box, LEFT)
        if same.get_right()[0] > 6.75:
            same.scale_to_fit_width(6.75 - same.get_left()[0])
        self.play(FadeInPlace(box), FadeInPlace(same))
        self.wait(0.5)
        self.next_slide()
        lti = self.caption("lti")
        kern = MathTex(
            r"y_t = \sum_{s \le t}",
            r"C\,",
            r"\bar A^{\,t-s}",
            r"\,",
            r"\bar B",
            r"\,x_s",
            r"= \sum_{s \le t} \bar K_{t-s}\, x_s",
            font_size=34,
        )
        sel = self.caption("select")
        tv = MathTex(
            r"y_t = \sum_{s \le t}",
            r"C_t\,",
            r"\bar A_t \cdots \bar A_{s+1}",
            r"\,",
            r"\bar B_s",
            r"\,x_s",
            font_size=34,
        )
        for f in (kern, tv):
            f[1].set_color(theme.MAT_C)
            f[2].set_color(theme.MAT_A)
            f[4].set_color(theme.MAT_B)
            f[5].set_color(theme.INPUT)
        bridge = VGroup(lti, kern, sel, tv).arrange(DOWN, buff=0.25)
        bridge.move_to([0, (FORMULA_Y + 0.3 + ROW_Y["y_conv"] + 0.3) / 2, 0])
        self.play(FadeOutPlace(VGroup(self.x_row, self.x_lab, self.t_idx, self.t_lab)))
        self.play(FadeInPlace(lti), Write(kern))
        self.wait(0.5)
        self.play(FadeInPlace(sel), Write(tv))
        self.wait(2.0)
