"""The selective scan, token by token: h_t = Ā_t ⊙ h_{t−1} + B̄_t x_t, y_t = C_t h_t."""

from __future__ import annotations

from typing import Any

import numpy as np
from manim import DOWN, UP, FadeIn, FadeOut, ReplacementTransform, VGroup, Write

from scenes.engine.base import LectureScene
from scenes.engine.registry import register
from scenes.kit import numbers, theme
from scenes.kit.frame import SAFE, column, row, to_safe
from scenes.kit.matrix import Heatmap
from scenes.kit.record import tag
from scenes.kit.text import symbol_label, tex
from scenes.kit.tokens import TokenStrip
from scenes.mamba.params._toy import RANDOM_EXAMPLE
from scenes.mamba.params.selective_scan import Params as SelectiveScanParams

MAP_SHARE = 0.4  # of the safe height the maps may fill (the rest: title, tokens, formula, note, caption)
PAD = 0.03  # numbers nearly fill their cells, so the 6 × 6 maps keep a decimal
OP_SIZE = 34  # the operators between the maps, a little smaller than a displayed formula
MAX_CELL = 0.68  # the largest cell side (4 × 4 maps, two decimals)


@register("mamba.selective_scan")
class SelectiveScan(LectureScene):
    """The selective scan step by step: the state matrix updated token by token, with the numbers."""

    Params = SelectiveScanParams

    EXAMPLES = (RANDOM_EXAMPLE,)

    STRINGS = {
        "en": {
            "title": "The selective scan, step by step",
            "subtitle": "one state matrix per layer, updated once per token",
            "decay": "decay",
            "input": "input",
            "state": "state",
            "rows": "rows: channels d · columns: state n",
            "step": "token {t}: “{tok}”   its step Δ (mean over channels) = {delta}",
            "track": "state hₜ[1, 1] over the input",
        },
        "zh": {
            "title": "选择性扫描：逐步计算",
            "subtitle": "每层一个状态矩阵，每个 token 更新一次",
            "decay": "衰减",
            "input": "输入",
            "state": "状态",
            "rows": "行：通道 d · 列：状态 n",
            "step": "第 {t} 个 token：“{tok}”   它的步长 Δ（各通道平均）= {delta}",
            "track": "状态 hₜ[1, 1] 随输入的变化",
        },
    }

    # What the lecturer says per beat; every number comes in through a field drawn on screen. Every token
    # after the second says the "step" template again (see narration()).
    NARRATION = {
        "en": {
            "setup": "The selective scan, one token at a time. Each layer keeps one state matrix, channels "
            "by state entries. At every token, the state is multiplied entry by entry by the decay A bar, "
            "the token's input B bar x is added, and C reads out the output y.",
            "first": 'Here are the four maps for token {t}, "{tok}", whose step, averaged over the channels, '
            "is {delta}. The state starts from zero, so after this first token it is simply its input.",
            "step": 'On to token {t}, "{tok}", whose average step is {delta}.',
            "update": "The decay shrinks the old state, the new input is added on top, and the sum is the "
            "new state. Where the step is large, the old state fades and the token gets in; where it is "
            "small, the state carries over almost unchanged.",
            "track": "Here is one entry of the state, the top left, after every token. It starts at "
            '{h_first} after "{tok_first}" and ends at {h_last}: the whole sequence, carried in a state '
            "of fixed size.",
        },
        "zh": {
            "setup": "选择性扫描，一次处理一个 token。每层只有一个状态矩阵，行是通道，列是状态分量。"
            "每来一个 token，状态先逐元素乘上衰减 A bar，再加上这个 token 的输入 B bar x，"
            "最后由 C 读出输出 y。",
            "first": "这是第 {t} 个 token“{tok}”的四张图，它在各通道上的平均步长是 {delta}。"
            "状态从零开始，所以第一个 token 之后，状态就等于它的输入。",
            "step": "接下来是第 {t} 个 token“{tok}”，平均步长是 {delta}。",
            "update": "衰减让旧状态缩小，再叠加新的输入，两者之和就是新状态。步长大的地方，旧状态"
            "褪去，token 写了进来；步长小的地方，状态几乎原样保留。",
            "track": "这是状态左上角那个分量在每个 token 之后的值。它在“{tok_first}”之后是 {h_first}，"
            "到最后变成 {h_last}：整个序列都装进了一个大小固定的状态里。",
        },
    }

    def narration(self, beat_id: str, **fields: Any) -> str:
        """Beats ``step_3``, ``step_4`` … (one per token after the second, unique ids for recordings and
        captions) say the ``step`` template, with a storyboard's overrides of ``step``."""
        return super().narration("step" if beat_id.startswith("step_") else beat_id, **fields)

    def construct(self) -> None:
        self.m = self.params.toy()
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
        with self.beat("setup"):
            self.play(FadeIn(header), FadeIn(self.tokens))
            self.play(Write(formula))
        with self.beat("first", **self._step_fields(0)):
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

    def _step_fields(self, t: int) -> dict[str, Any]:
        """Step ``t``'s token number, token and mean Δ as the caption draws them (and the narration says)."""
        return {
            "t": t + 1,
            "tok": self.m.tokens[t],
            "delta": numbers.fixed(float(self.m.sel.delta[t].mean()), 3),
        }

    def _caption(self, t: int):
        caption = self.text("step", size=theme.LABEL, color=theme.ACCENT, **self._step_fields(t))
        return tag(caption, "step", float(self.m.sel.delta[t].mean()), t)

    def _update_maps(self, new: VGroup) -> None:
        """Ā_t and B̄_t x_t replace the previous step's, then h_t and y_t."""
        self.play(ReplacementTransform(self.maps[0], new[0]), ReplacementTransform(self.maps[1], new[1]))
        self.play(ReplacementTransform(self.maps[2], new[2]), ReplacementTransform(self.maps[3], new[3]))

    def show_step(self, t: int) -> None:
        if t == 0:
            return
        new = self._maps(t)
        for old, nw in zip(self.maps, new, strict=True):
            nw.move_to(old)
        caption = self._caption(t).move_to(self.caption)
        # the second token names its step, then the update is explained; each later token names its step
        # over its whole update (narration() gives step_3, step_4 … the "step" text)
        with self.beat("step" if t == 1 else f"step_{t + 1}", **self._step_fields(t)):
            self.play(self.tokens.move_cursor(t), ReplacementTransform(self.caption, caption))
            if t > 1:
                self._update_maps(new)
        if t == 1:
            with self.beat("update"):
                self._update_maps(new)
        self.maps, self.caption = new, caption
        self.next_slide()

    def show_track(self) -> None:
        h = self.m.scan.h[:, 0, 0]
        self.play(FadeOut(VGroup(self.maps, self.ops, self.labels, self.note, self.formula, self.caption)))
        values = Heatmap(
            h[None, :],
            key="h_track",
            vmax=self.vmax["h"],
            cell=0.95,
            digits=3,
            col_labels=list(self.m.tokens),
            col_labels_below=True,
            label_color=theme.INPUT,
        )
        track = column(
            [self.text("track", size=theme.BODY, color=theme.STATE), values],
            buff=theme.BUFF_LARGE,
            align="center",
        )
        track.move_to([0, (self.tokens.get_bottom()[1] + SAFE.bottom) / 2, 0])  # centred below the tokens
        with self.beat(
            "track", tok_first=self.m.tokens[0], h_first=values.fmt(h[0]), h_last=values.fmt(h[-1])
        ):
            self.play(FadeOut(self.cursor), FadeIn(track))
            self.wait(1.0)
