"""The selective scan, token by token: h_t = Ā_t ⊙ h_{t−1} + B̄_t x_t, y_t = C_t h_t."""

from __future__ import annotations

import numpy as np
from manim import DOWN, UP, FadeIn, FadeOut, ReplacementTransform, VGroup, Write

from scenes.base import LectureScene
from scenes.kit import numbers, theme
from scenes.kit.frame import SAFE, column, row, to_safe
from scenes.kit.matrix import Heatmap
from scenes.kit.record import tag
from scenes.kit.text import symbol_label, tex
from scenes.kit.tokens import TokenStrip
from scenes.mamba.params.selective_scan import Params as SelectiveScanParams
from scenes.registry import register

MAP_SHARE = 0.4  # of the safe height the maps may fill (the rest: title, tokens, formula, note, caption)
PAD = 0.03  # numbers nearly fill their cells, so the 6 × 6 maps keep a decimal
OP_SIZE = 34  # the operators between the maps, a little smaller than a displayed formula
MAX_CELL = 0.68  # the largest cell side (4 × 4 maps, two decimals)


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
        self.vmax = {  # one colour scale per quantity over the whole sentence
            "A_bar": 1.0,
            "Bx": float(np.max(np.abs(s.Bx))) or 1.0,
            "h": float(np.max(np.abs(s.h))) or 1.0,
            "y": float(np.max(np.abs(s.y))) or 1.0,
        }
        self.show_setup()
        for t in range(len(self.m.tokens)):
            self.show_step(t)
        self.show_track()

    def _maps(self, t: int) -> VGroup:
        """Ā_t, B̄_t x_t, h_t (D × N each) and y_t (a D column) at step t, in cells of one size and one
        number format for every step (fitted to the values of the whole scan)."""
        s = self.m.scan
        every = np.concatenate([s.A_bar.ravel(), s.Bx.ravel(), s.h.ravel(), s.y.ravel()])
        return VGroup(
            *[
                Heatmap(
                    values,
                    key=key,
                    vmax=self.vmax[key],
                    cell=self.cell,
                    pad=PAD,
                    fit_values=every,
                )
                for key, values in (
                    ("A_bar", s.A_bar[t]),
                    ("Bx", s.Bx[t]),
                    ("h", s.h[t]),
                    ("y", s.y[t][:, None]),
                )
            ]
        )

    def show_setup(self) -> None:
        D, N = self.params.d_inner, self.params.d_state
        header = self.title_bar("title", "subtitle")
        self.tokens = TokenStrip(self.m.tokens)
        self.tokens.next_to(header, DOWN, buff=theme.BUFF).set_x(0)
        formula = tex(
            r"h_t = \bar A_t \odot h_{t-1} + \bar B_t\, x_t \qquad y_t = C_t\, h_t", size=OP_SIZE
        ).next_to(self.tokens, DOWN, buff=theme.BUFF)
        self.ops = VGroup(
            tex(r"\odot\, h_{t-1} \;+", size=OP_SIZE),
            tex("=", size=OP_SIZE),
            tex(r"\xrightarrow{\;C_t\;}", size=OP_SIZE),
        )
        room = SAFE.width - self.ops.width - 6 * theme.BUFF  # three D × N maps and the y column in a row
        self.cell = min(MAX_CELL, room / (3 * N + 1), MAP_SHARE * SAFE.height / D)
        self.maps = self._maps(0)
        a, b, h, y = self.maps
        row([a, self.ops[0], b, self.ops[1], h, self.ops[2], y], buff=theme.BUFF)
        labels = VGroup(
            symbol_label(self.t("decay"), r"\bar A_t", theme.MAT_A),
            symbol_label(self.t("input"), r"\bar B_t x_t", theme.MAT_B),
            symbol_label(self.t("state"), r"h_t", theme.STATE),
            tex("y_t", size=theme.SMALL * 1.45, color=theme.OUTPUT),
        )
        for lab, m in zip(labels, self.maps, strict=True):
            lab.next_to(m, UP, buff=theme.BUFF_TIGHT)
        VGroup(self.maps, self.ops, labels).next_to(formula, DOWN, buff=theme.BUFF).set_x(0)
        self.labels = labels
        self.note = self.text("rows", size=theme.SMALL, color=theme.MUTED)
        self.note.next_to(self.maps, DOWN, buff=theme.BUFF_SMALL).set_x(0)
        self.caption = to_safe(self._caption(0), DOWN)
        self.cursor = self.tokens.cursor(0)
        self.play(FadeIn(header), FadeIn(self.tokens))
        self.play(Write(formula))
        self.play(
            FadeIn(self.maps),
            FadeIn(self.ops),
            FadeIn(labels),
            FadeIn(self.note),
            FadeIn(self.cursor),
            FadeIn(self.caption),
        )
        self.next_slide()
        self.header, self.formula = header, formula

    def _caption(self, t: int):
        delta = float(self.m.sel.delta[t].mean())
        caption = self.text(
            "step",
            size=theme.LABEL,
            color=theme.ACCENT,
            t=t + 1,
            tok=self.m.tokens[t],
            delta=numbers.fixed(delta, 3),
        )
        return tag(caption, "step", delta, t)

    def show_step(self, t: int) -> None:
        if t == 0:
            return
        new = self._maps(t)
        for old, nw in zip(self.maps, new, strict=True):
            nw.move_to(old)
        caption = self._caption(t).move_to(self.caption)
        self.play(self.tokens.move_cursor(t), ReplacementTransform(self.caption, caption))
        self.play(ReplacementTransform(self.maps[0], new[0]), ReplacementTransform(self.maps[1], new[1]))
        self.play(ReplacementTransform(self.maps[2], new[2]), ReplacementTransform(self.maps[3], new[3]))
        self.maps, self.caption = new, caption
        self.next_slide()

    def show_track(self) -> None:
        h = self.m.scan.h[:, 0, 0]
        self.play(FadeOut(VGroup(self.maps, self.ops, self.labels, self.note, self.formula, self.caption)))
        track = column(
            [
                self.text("track", size=theme.BODY, color=theme.STATE),
                Heatmap(
                    h[None, :],
                    key="h_track",
                    vmax=self.vmax["h"],
                    cell=0.95,
                    digits=3,
                    col_labels=list(self.m.tokens),
                    col_labels_below=True,
                    label_color=theme.INPUT,
                ),
            ],
            buff=theme.BUFF_LARGE,
            align="center",
        )
        track.move_to([0, (self.tokens.get_bottom()[1] + SAFE.bottom) / 2, 0])  # centred below the tokens
        self.play(FadeOut(self.cursor), FadeIn(track))
        self.wait(1.0)
