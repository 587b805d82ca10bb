"""Selection: Δ_t, B_t, C_t from each token, and what Δ_t decides: keep the state or let the token in."""

from __future__ import annotations

import numpy as np
from manim import (
    DOWN,
    LEFT,
    RIGHT,
    UP,
    FadeIn,
    FadeOut,
    LaggedStart,
    MathTex,
    Rectangle,
    ReplacementTransform,
    SurroundingRectangle,
    VGroup,
    Write,
)

from lib.mamba.selection import selection_gates
from scenes.base import LectureScene
from scenes.kit import theme
from scenes.kit.widgets import Heatmap, symbol_label
from scenes.mamba.params.selection import Params as SelectionParams
from scenes.registry import register

CAPTION_TOP = -2.55  # the two caption lines at the bottom stay below this
PITCH_MAX = 1.45  # widest column per token


@register("mamba.selection")
class Selection(LectureScene):
    """Selection: Δ_t, B_t, C_t computed from each token; large Δ lets a token in, small Δ keeps the state."""

    Params = SelectionParams

    EXAMPLES = (
        {
            "sentence": "selective models choose",
            "d_inner": 6,
            "d_state": 6,
            "seed": 3,
            "discretization": "mamba",
            "channel": 2,
            "state": 1,
        },
    )

    STRINGS = {
        "en": {
            "title": "Selection: the token sets the step",
            "subtitle": "Δ, B and C are computed from each token of the sentence",
            "step": "step",
            "rows": "rows: tokens · columns: channels d (Δ) or states n (B, C)",
            "which": "channel d = {d}, state n = {n}, A = {a}",
            "keep": "keep",
            "let_in": "let in",
            "most": '"{tok}": large Δ = {delta} → keeps {keep} of the state, lets in {gain}: it gets in',
            "least": '"{tok}": small Δ = {delta} → keeps {keep} of the state, lets in {gain}: ignored',
            "lti": "LTI (fixed Δ = {delta}, A, B): every token keeps {keep} and lets in {gain}",
            "lti_note": "whatever the token says — the model cannot choose what to remember",
        },
        "zh": {
            "title": "选择机制：由 token 决定步长",
            "subtitle": "Δ、B、C 都由句子中的每个 token 计算得到",
            "step": "步长",
            "rows": "行：token · 列：通道 d（Δ）或状态 n（B、C）",
            "which": "通道 d = {d}，状态 n = {n}，A = {a}",
            "keep": "保留",
            "let_in": "写入",
            "most": "“{tok}”：Δ 大 = {delta} → 保留 {keep} 的状态，写入 {gain}：这个 token 进入状态",
            "least": "“{tok}”：Δ 小 = {delta} → 保留 {keep} 的状态，写入 {gain}：这个 token 被忽略",
            "lti": "LTI（固定 Δ = {delta}、A、B）：每个 token 都保留 {keep}、写入 {gain}",
            "lti_note": "不管 token 说了什么——模型无法选择记住什么",
        },
    }

    def construct(self) -> None:
        self.compute()
        self.show_projections()
        self.show_gates()
        self.show_lti()

    # --- numbers (all from lib/) -----------------------------------------------------------------
    def compute(self) -> None:
        p = self.params
        self.m = self.params.model()
        self.g = selection_gates(self.m, p.channel, p.state)
        self.L = len(self.m.tokens)
        self.shown.update(
            tokens=list(self.m.tokens),
            delta_all=self.m.sel.delta,
            B=self.m.sel.B,
            C=self.m.sel.C,
            delta=self.g.delta,
            keep=self.g.keep,
            let_in=self.g.let_in,
            most=self.g.most,
            least=self.g.least,
            lti_delta=self.g.lti_delta,
            lti_keep=self.g.lti_keep,
            lti_let_in=self.g.lti_let_in,
        )

    # --- beats -------------------------------------------------------------------------------------
    def show_projections(self) -> None:
        self.header = self.title_bar("title", "subtitle")
        formulas = VGroup(
            MathTex(
                r"\Delta_t = \mathrm{softplus}(x_t W_\Delta + b_\Delta)", font_size=30, color=theme.DELTA
            ),
            MathTex(r"B_t = x_t W_B", font_size=30, color=theme.MAT_B),
            MathTex(r"C_t = x_t W_C", font_size=30, color=theme.MAT_C),
        )
        sel = self.m.sel
        L, D, N = self.L, self.params.d_inner, self.params.d_state
        toks = VGroup(*[self.plain(tok, size=theme.SMALL, color=theme.INPUT) for tok in self.m.tokens])
        top = self.header.get_bottom()[1] - 0.3 - formulas.height - 0.15  # formulas head the maps
        bottom = -4.0 + theme.EDGE + 0.45  # the note below
        spare = 13.2 - toks.width - 0.2 - 2 * 0.45 - formulas[0].width  # Δ's formula is wider than its map
        cell = min(0.64, (top - bottom) / L, spare / (2 * N), 13.2 / (D + 2 * N + 4))
        digits = 2 if cell >= 0.58 else 1  # two decimals need a 0.58-wide cell at the smallest font
        maps = VGroup(
            Heatmap(sel.delta, cell=cell, digits=digits),
            Heatmap(sel.B, cell=cell, digits=digits),
            Heatmap(sel.C, cell=cell, digits=digits),
        )
        x = 0.0
        for f, mp in zip(formulas, maps, strict=True):  # columns as wide as the wider of formula and map
            w = max(f.width, mp.width)
            mp.move_to([x + w / 2, 0, 0])
            x += w + 0.45
        for k, lab in enumerate(toks):
            if lab.height > cell * 0.8:
                lab.scale_to_fit_height(cell * 0.8)
            lab.next_to(maps[0].cell_at(k, 0), LEFT, buff=0.2)
        right = max(lab.get_right()[0] for lab in toks)
        for lab in toks:
            lab.align_to([right, 0, 0], RIGHT)
        table = VGroup(toks, maps)
        table.move_to([0, (top + bottom) / 2, 0])
        for f, mp in zip(formulas, maps, strict=True):
            f.next_to(mp, UP, buff=0.15)
        note = self.text("rows", size=theme.SMALL, color=theme.MUTED)
        note.next_to(table, DOWN, buff=0.2).set_x(0)
        self.play(FadeIn(self.header), FadeIn(toks))
        self.play(LaggedStart(*[Write(f) for f in formulas], lag_ratio=0.4), run_time=2)
        self.wait(1.0)
        self.play(LaggedStart(*[FadeIn(mp) for mp in maps], lag_ratio=0.3))
        self.play(FadeIn(note))
        self.wait(2.0)
        self.next_slide()
        self.play(FadeOut(VGroup(formulas, table, note)))

    def _bars(self, values: np.ndarray, vmax: float, color, row_y: float) -> VGroup:
        """One bar per token (bottom at ``row_y``) with its value written above it."""
        group = VGroup()
        for k, v in enumerate(values):
            h = max(self.bar_h * float(v) / vmax, 0.02)
            bar = Rectangle(width=self.pitch * 0.42, height=h, stroke_color=color, stroke_width=2)
            bar.set_fill(color, opacity=0.55)
            bar.move_to([self.xs[k], row_y + h / 2, 0])
            num = self.plain(theme.fmt(float(v), 2), size=theme.SMALL, color=color)
            num.next_to(bar, UP, buff=0.08)
            group.add(VGroup(bar, num))
        return group

    def show_gates(self) -> None:
        g, p = self.g, self.params
        if self.m.discretization == "zoh":
            b_tex = r"\bar B_t = \frac{e^{\Delta_t A} - 1}{A}\, B_t"
        else:
            b_tex = r"\bar B_t = \Delta_t\, B_t"
        formula = MathTex(r"\bar A_t = e^{\Delta_t A}", r"\qquad", b_tex, font_size=32)
        formula[0].set_color(theme.MAT_A)
        formula[2].set_color(theme.MAT_B)
        which = self.text(
            "which", size=theme.SMALL, color=theme.MUTED, d=p.channel + 1, n=p.state + 1, a=theme.fmt(g.A, 0)
        )
        top = VGroup(formula, which).arrange(RIGHT, buff=0.6)
        top.next_to(self.header, DOWN, buff=0.25).set_x(0)
        # columns: one per token, right of the row labels
        labels = VGroup(
            symbol_label(self.t("step"), r"\Delta_t", theme.DELTA, size=theme.LABEL),
            symbol_label(self.t("keep"), r"\bar A_t", theme.MAT_A, size=theme.LABEL),
            symbol_label(self.t("let_in"), r"\bar B_t / B_t", theme.MAT_B, size=theme.LABEL),
        )
        left = -7.11 + theme.EDGE + labels.width + 0.3
        right = 7.11 - theme.EDGE
        self.pitch = min(PITCH_MAX, (right - left) / self.L)
        x0 = (left + right) / 2 - self.pitch * (self.L - 1) / 2
        self.xs = [x0 + k * self.pitch for k in range(self.L)]
        tok_y = top.get_bottom()[1] - 0.35
        toks = VGroup()
        for k, tok in enumerate(self.m.tokens):
            lab = self.plain(tok, size=theme.LABEL, color=theme.INPUT)
            if lab.width > self.pitch * 0.92:
                lab.scale_to_fit_width(self.pitch * 0.92)
            toks.add(lab.move_to([self.xs[k], tok_y, 0]))
        row_h = (tok_y - 0.25 - CAPTION_TOP) / 3
        self.bar_h = min(1.0, row_h - 0.45)  # leave room for the value above the bar
        self.rows_y = [tok_y - 0.25 - row_h * (i + 1) for i in range(3)]
        self.vmax = {
            "delta": float(max(g.delta.max(), g.lti_delta)),
            "gate": float(max(1.0, g.let_in.max(), g.lti_let_in)),
        }
        bars = VGroup(
            self._bars(g.delta, self.vmax["delta"], theme.DELTA, self.rows_y[0]),
            self._bars(g.keep, self.vmax["gate"], theme.MAT_A, self.rows_y[1]),
            self._bars(g.let_in, self.vmax["gate"], theme.MAT_B, self.rows_y[2]),
        )
        bases = VGroup()
        for lab, y in zip(labels, self.rows_y, strict=True):
            lab.move_to([0, y + self.bar_h / 2, 0]).to_edge(LEFT, buff=theme.EDGE)
            bases.add(
                Rectangle(
                    width=self.xs[-1] - self.xs[0] + self.pitch * 0.8, height=0.001, stroke_color=theme.GRID
                )
                .set_stroke(width=1.5)
                .move_to([(self.xs[0] + self.xs[-1]) / 2, y, 0])
            )
        self.play(Write(formula), FadeIn(which))
        self.play(FadeIn(toks), FadeIn(labels), FadeIn(bases))
        self.play(LaggedStart(*[FadeIn(b, shift=0.2 * UP) for b in bars[0]], lag_ratio=0.1))
        self.wait(1.0)
        self.play(FadeIn(bars[1]))
        self.play(FadeIn(bars[2]))
        self.wait(2.0)
        self.next_slide()

        lines = VGroup()
        for key, k, color in (("most", g.most, theme.ACCENT), ("least", g.least, theme.STATE)):
            lines.add(
                self.text(
                    key,
                    size=theme.LABEL,
                    color=color,
                    tok=self.m.tokens[k],
                    delta=theme.fmt(float(g.delta[k]), 2),
                    keep=theme.fmt(float(g.keep[k]), 2),
                    gain=theme.fmt(float(g.let_in[k]), 2),
                )
            )
        lines.arrange(DOWN, aligned_edge=LEFT, buff=0.15)
        if lines.width > 13.4:
            lines.scale_to_fit_width(13.4)
        lines.to_edge(DOWN, buff=theme.EDGE).set_x(0)
        boxes = VGroup(
            *[
                SurroundingRectangle(VGroup(toks[k], bars[2][k]), color=c, buff=0.08)
                for k, c in ((g.most, theme.ACCENT), (g.least, theme.STATE))
            ]
        )
        self.play(FadeIn(boxes[0]), FadeIn(lines[0]))
        self.wait(1.0)
        self.play(FadeIn(boxes[1]), FadeIn(lines[1]))
        self.wait(2.0)
        self.next_slide()
        self.top, self.toks, self.labels, self.bases = top, toks, labels, bases
        self.bars, self.boxes, self.lines = bars, boxes, lines

    def show_lti(self) -> None:
        g = self.g
        flat = [
            np.full(self.L, g.lti_delta),
            np.full(self.L, g.lti_keep),
            np.full(self.L, g.lti_let_in),
        ]
        colors = (theme.DELTA, theme.MAT_A, theme.MAT_B)
        vmax = (self.vmax["delta"], self.vmax["gate"], self.vmax["gate"])
        new = VGroup(
            *[self._bars(v, m, c, y) for v, m, c, y in zip(flat, vmax, colors, self.rows_y, strict=True)]
        )
        lti = self.text(
            "lti",
            size=theme.LABEL,
            color=theme.FG,
            delta=theme.fmt(g.lti_delta, 2),
            keep=theme.fmt(g.lti_keep, 2),
            gain=theme.fmt(g.lti_let_in, 2),
        )
        note = self.text("lti_note", size=theme.LABEL, color=theme.ACCENT)
        caption = VGroup(lti, note).arrange(DOWN, aligned_edge=LEFT, buff=0.15)
        if caption.width > 13.4:
            caption.scale_to_fit_width(13.4)
        caption.to_edge(DOWN, buff=theme.EDGE).set_x(0)
        self.play(FadeOut(self.boxes), FadeOut(self.lines))
        self.play(*[ReplacementTransform(o, n) for o, n in zip(self.bars, new, strict=True)], run_time=1.5)
        self.wait(1.0)
        self.play(FadeIn(lti))
        self.wait(1.0)
        self.play(FadeIn(note))
        self.shown.update(lti_bars=flat)
        self.wait(2.5)
