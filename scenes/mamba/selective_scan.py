"""The selective scan, token by token: h_t = Ā_t ⊙ h_{t−1} + B̄_t x_t, y_t = C_t h_t."""

from __future__ import annotations

import numpy as np
from manim import (
    DOWN,
    RIGHT,
    UP,
    FadeIn,
    FadeOut,
    MathTex,
    ReplacementTransform,
    SurroundingRectangle,
    VGroup,
    Write,
)

from scenes.base import LectureScene
from scenes.kit import theme
from scenes.kit.widgets import Heatmap, symbol_label, token_strip
from scenes.mamba.params.selective_scan import Params as SelectiveScanParams
from scenes.registry import register


@register("mamba.selective_scan")
class SelectiveScan(LectureScene):
    """The selective scan step by step: the state matrix updated token by token, with the numbers."""

    Params = SelectiveScanParams

    EXAMPLES = (
        {
            "sentence": "selective models choose",
            "d_inner": 6,
            "d_state": 6,
            "seed": 3,
            "discretization": "mamba",
        },
    )

    STRINGS = {
        "en": {
            "title": "The selective scan, step by step",
            "subtitle": "one state matrix per layer, updated once per token",
            "decay": "decay",
            "input": "input",
            "state": "state",
            "rows": "rows: channels d · columns: state n",
            "step": "token {t}: “{tok}”   its step Δ (mean over channels) = {delta}",
            "track": "state h_t[1, 1] over the sentence",
        },
        "zh": {
            "title": "选择性扫描：逐步计算",
            "subtitle": "每层一个状态矩阵，每个 token 更新一次",
            "decay": "衰减",
            "input": "输入",
            "state": "状态",
            "rows": "行：通道 d · 列：状态 n",
            "step": "第 {t} 个 token：“{tok}”   它的步长 Δ（各通道平均）= {delta}",
            "track": "状态 h_t[1, 1] 随句子的变化",
        },
    }

    def construct(self) -> None:
        self.m = self.params.model()
        s = self.m.scan
        self.vmax = {
            "A": 1.0,
            "B": float(np.max(np.abs(s.Bx))) or 1.0,
            "h": float(np.max(np.abs(s.h))) or 1.0,
            "y": float(np.max(np.abs(s.y))) or 1.0,
        }
        self.shown.update(
            tokens=list(self.m.tokens), A_bar=s.A_bar, Bx=s.Bx, h=s.h, y=s.y, delta=self.m.sel.delta
        )
        self.show_setup()
        for t in range(len(self.m.tokens)):
            self.show_step(t)
        self.show_track()

    def _maps(self, t: int) -> VGroup:
        s = self.m.scan
        D, N = self.params.d_inner, self.params.d_state
        cell = min(0.68, (13.0 - 3.0) / (3 * N + 1), 2.75 / D)  # fit 3 D×N maps + y in the frame
        digits = 2 if cell >= 0.6 else 1  # keep the numbers at a readable size in small cells
        a = Heatmap(s.A_bar[t], vmax=self.vmax["A"], cell=cell, digits=digits)
        b = Heatmap(s.Bx[t], vmax=self.vmax["B"], cell=cell, digits=digits)
        h = Heatmap(s.h[t], vmax=self.vmax["h"], cell=cell, digits=digits)
        y = Heatmap(s.y[t][:, None], vmax=self.vmax["y"], cell=cell, digits=digits)
        return VGroup(a, b, h, y)

    def _arrange(self, maps: VGroup) -> VGroup:
        a, b, h, y = maps
        ops = VGroup(
            MathTex(r"\odot\, h_{t-1} \;+", font_size=34),
            MathTex("=", font_size=34),
            MathTex(r"\xrightarrow{\;C_t\;}", font_size=34),
        )
        row = VGroup(a, ops[0], b, ops[1], h, ops[2], y).arrange(RIGHT, buff=0.28)
        row.move_to(DOWN * 0.95)
        return ops

    def show_setup(self) -> None:
        header = self.title_bar("title", "subtitle")
        self.tokens = token_strip(self.m.tokens)
        self.tokens.next_to(header, DOWN, buff=0.35).set_x(0)
        formula = MathTex(
            r"h_t = \bar A_t \odot h_{t-1} + \bar B_t\, x_t", r"\qquad", r"y_t = C_t\, h_t", font_size=34
        )
        formula.next_to(self.tokens, DOWN, buff=0.3)
        self.maps = self._maps(0)
        self.ops = self._arrange(self.maps)
        labels = VGroup(
            symbol_label(self.t("decay"), r"\bar A_t", theme.MAT_A),
            symbol_label(self.t("input"), r"\bar B_t x_t", theme.MAT_B),
            symbol_label(self.t("state"), r"h_t", theme.STATE),
            MathTex("y_t", font_size=theme.SMALL * 1.45, color=theme.OUTPUT),
        )
        for lab, m in zip(labels, self.maps, strict=True):
            lab.next_to(m, UP, buff=0.12)
        self.labels = labels
        note = self.text("rows", size=theme.SMALL, color=theme.MUTED)
        note.next_to(self.maps, DOWN, buff=0.3).set_x(0)
        self.caption = self._caption(0).to_edge(DOWN, buff=theme.EDGE)
        self.cursor = SurroundingRectangle(self.tokens[0], color=theme.ACCENT, buff=0.06)
        self.play(FadeIn(header), FadeIn(self.tokens))
        self.play(Write(formula))
        self.play(
            FadeIn(self.maps),
            FadeIn(self.ops),
            FadeIn(labels),
            FadeIn(note),
            FadeIn(self.cursor),
            FadeIn(self.caption),
        )
        self.next_slide()
        self.header, self.formula, self.note = header, formula, note

    def _caption(self, t: int):
        return self.text(
            "step",
            size=theme.LABEL,
            color=theme.ACCENT,
            t=t + 1,
            tok=self.m.tokens[t],
            delta=theme.fmt(float(self.m.sel.delta[t].mean()), 3),
        )

    def show_step(self, t: int) -> None:
        if t == 0:
            return
        new = self._maps(t)
        for old, nw in zip(self.maps, new, strict=True):
            nw.move_to(old)
        caption = self._caption(t).move_to(self.caption)
        self.play(
            self.cursor.animate.move_to(self.tokens[t]).match_width(
                SurroundingRectangle(self.tokens[t], buff=0.06)
            ),
            ReplacementTransform(self.caption, caption),
        )
        self.play(ReplacementTransform(self.maps[0], new[0]), ReplacementTransform(self.maps[1], new[1]))
        self.play(ReplacementTransform(self.maps[2], new[2]), ReplacementTransform(self.maps[3], new[3]))
        self.maps, self.caption = new, caption
        self.next_slide()

    def show_track(self) -> None:
        h = self.m.scan.h[:, 0, 0]
        self.play(FadeOut(VGroup(self.maps, self.ops, self.labels, self.note, self.formula, self.caption)))
        title = self.text("track", size=theme.BODY, color=theme.STATE)
        strip = Heatmap(h[None, :], vmax=self.vmax["h"], cell=0.95, digits=3)
        group = VGroup(title, strip).arrange(DOWN, buff=0.4).move_to(DOWN * 0.6)
        tok_labels = VGroup(*[self.plain(tok, size=theme.SMALL, color=theme.INPUT) for tok in self.m.tokens])
        for lab, k in zip(tok_labels, range(len(h)), strict=True):
            if lab.width > 0.9:
                lab.scale_to_fit_width(0.9)
            lab.next_to(strip.cell_at(0, k), DOWN, buff=0.15)
        self.play(FadeOut(self.cursor), FadeIn(group), FadeIn(tok_labels))
        self.wait(1.0)
