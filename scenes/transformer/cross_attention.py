"""Cross-attention (Vaswani et al. 2017, §3.2.3): decoder queries over encoder keys and values, and the
alignment a trained encoder–decoder learned, on a date it never saw."""

from __future__ import annotations

import numpy as np
from manim import Create, SurroundingRectangle, VGroup

from lib.models import alignment, translation
from scenes.engine.base import LectureScene
from scenes.engine.registry import register
from scenes.kit import numbers, theme
from scenes.kit.anim import fade_in, fade_out
from scenes.kit.frame import SAFE, below, column, fit_width, row
from scenes.kit.matrix import Heatmap
from scenes.kit.record import tag
from scenes.kit.text import tex
from scenes.kit.tokens import TokenStrip
from scenes.transformer.params.cross_attention import Params as CrossAttentionParams

HOLD = theme.HOLD_LONG  # seconds to read a slide (scenes/kit/theme.py)
CELL_W, CELL_H = 0.8, 0.42  # alignment cells: wide enough for "August" over its column


@register("transformer.cross_attention")
class CrossAttention(LectureScene):
    """Cross-attention: where each decoder position reads in the source, from the trained model."""

    Params = CrossAttentionParams
    EXAMPLES = ({"example": 3},)

    STRINGS = {
        "en": {
            "title": "Cross-attention",
            "subtitle": "a trained encoder–decoder writes English dates in Chinese: a date it never saw",
            "source": "source (English) → encoder → keys K and values V",
            "target": "target (Chinese) → decoder → queries Q",
            "q_shape": "Q: {s}",
            "k_shape": "K, V: {s}",
            "w_shape": "weights: {s}",
            "rows": "rows: the token being written · columns: source tokens",
            "learned": "learned: layer {layer}, head {head}, held-out date",
            "peaks": "{n} of {m} output tokens read most from the source token they come from",
            "heads": "every head of the layer (learned)",
            "hits": "{k} of {m} right",
            "output": "written: {out}",
            "correct": "the right translation",
        },
        "zh": {
            "title": "交叉注意力",
            "subtitle": "训练好的编码器–解码器把英文日期写成中文：这个日期它从没见过",
            "source": "源（英文）→ 编码器 → 键 K 和值 V",
            "target": "目标（中文）→ 解码器 → 查询 Q",
            "q_shape": "Q：{s}",
            "k_shape": "K、V：{s}",
            "w_shape": "权重：{s}",
            "rows": "行：正在写的 token · 列：源 token",
            "learned": "学到的：第 {layer} 层第 {head} 个头，留出的日期",
            "peaks": "{m} 个输出 token 中有 {n} 个最关注它所来自的源 token",
            "heads": "这一层的每个头（学到的）",
            "hits": "对齐 {k}/{m}",
            "output": "输出：{out}",
            "correct": "翻译正确",
        },
    }

    NARRATION = {
        "en": {
            "setup": "In an encoder–decoder, the encoder reads the whole source sentence once. Its outputs "
            "become the keys and values. The decoder, writing the translation, supplies the queries.",
            "shapes": "So the weights are not square: one row per target token, one column per source token, "
            "{w}. Each row is a softmax over the source only.",
            "alignment": "Here is what the trained model learned, on a date it never saw in training. The "
            "year comes last in English and first in Chinese, so the weights do not follow the diagonal.",
            "peaks": "The largest weight of each row picks the source token the output is copied from: "
            "{n} of {m} output tokens look right at their source.",
            "heads": "Not every head does this. Across the layer's heads, the rows that peak at the right "
            "source token are: {hits}. Nobody wrote this alignment; it came out of training.",
        },
        "zh": {
            "setup": "在编码器–解码器里，编码器先把整个源句读一遍，它的输出变成键和值；"
            "解码器在写译文，由它提供查询。",
            "shapes": "所以权重矩阵不是方的：每个目标 token 一行，每个源 token 一列，形状是 {w}。"
            "每一行只在源句上做 softmax。",
            "alignment": "这是训练好的模型学到的结果，用的是训练时从没见过的日期。英文里年份在最后，"
            "中文里在最前，所以权重不沿着对角线走。",
            "peaks": "每一行最大的权重指出输出是从哪个源 token 抄来的：{m} 个输出 token 里有 {n} 个"
            "正好看着自己的来源。",
            "heads": "并不是每个头都这样。这一层各个头里，峰值落在正确源 token 上的行数分别是：{hits}。"
            "这种对齐没有人写进去，是训练出来的。",
        },
    }

    def construct(self) -> None:
        self.w = translation.load()
        self.a = alignment.align(self.w, self.params.example)
        self.header = self.title_bar("title", "subtitle")
        self.play(fade_in(self.header))
        self.show_setup()
        self.show_alignment()
        self.show_heads()

    def shape(self, rows: int, cols: int) -> str:
        return numbers.shape([rows, cols])

    # --- slide 1: who gives the queries, who the keys and values -------------------------------------------
    def show_setup(self) -> None:
        a = self.a
        T, S = len(a.written), len(a.source)
        src = TokenStrip(a.source, key="source", size=theme.LABEL)
        tgt = TokenStrip(a.written, key="written", color=theme.OUTPUT, size=theme.LABEL)
        src_cap = self.text("source", size=theme.LABEL, color=theme.INPUT)
        tgt_cap = self.text("target", size=theme.LABEL, color=theme.OUTPUT)
        formula = tex(
            r"\mathrm{softmax}\!\left(\frac{Q K^\top}{\sqrt{d_k}}\right) V",
            substrings_to_isolate=["Q", "K", "V"],
        )
        formula.set_color_by_tex("Q", theme.QUERY).set_color_by_tex("K", theme.KEY)
        formula.set_color_by_tex("V", theme.VALUE)
        shapes = [
            tag(
                self.text("q_shape", size=theme.LABEL, color=theme.QUERY, s=self.shape(T, a.d_k)),
                "q_shape",
                (T, a.d_k),
            ),
            tag(
                self.text("k_shape", size=theme.LABEL, color=theme.KEY, s=self.shape(S, a.d_k)),
                "k_shape",
                (S, a.d_k),
            ),
            tag(
                self.text("w_shape", size=theme.LABEL, color=theme.FG, s=self.shape(T, S)), "w_shape", (T, S)
            ),
        ]
        shape_row = row(shapes, buff=theme.BUFF_SECTION)
        body = column([src_cap, src, tgt_cap, tgt, formula, shape_row], buff=theme.BUFF_LARGE, align="center")
        fit_width(body).move_to([0, (self.header.get_bottom()[1] + SAFE.bottom) / 2, 0])  # the room's middle
        with self.beat("setup"):
            self.play(fade_in(src_cap, src), fade_in(tgt_cap, tgt))
            self.play(fade_in(formula))
            self.wait(1.0)
        with self.beat("shapes", w=self.shape(T, S)):
            self.play(fade_in(*shape_row))
            self.wait(HOLD)
        self.next_slide()
        self.play(fade_out(body))

    # --- slide 2: the learned alignment of the best head ---------------------------------------------------
    def best_head(self) -> int:
        return int(np.argmax(self.a.hits)) if len(self.a.hits) else 0

    def show_alignment(self) -> None:
        a, h = self.a, self.best_head()
        hm = Heatmap(
            a.weights[h], key="cross_weights", scale="sequential", digits=2, cell=CELL_W, cell_height=CELL_H,
            row_labels=list(a.written), col_labels=list(a.source), label_color=theme.INPUT,
        )  # fmt: skip
        for lab in hm.row_labels:
            lab.set_color(theme.OUTPUT)
        learned = self.text(
            "learned", size=theme.SMALL, color=theme.ACCENT, layer=len(self.w.decoder), head=h + 1
        )
        note = self.text("rows", size=theme.SMALL, color=theme.MUTED)
        known = [t for t, s in enumerate(a.by_hand) if s >= 0]
        n = int(a.hits[h]) if len(a.hits) else 0
        peaks = tag(
            self.text("peaks", size=theme.SMALL, color=theme.ACCENT, n=n, m=len(known)),
            "peaks",
            (n, len(known)),
        )
        side = column([learned, note, peaks], buff=theme.BUFF, align="left")
        content = fit_width(row([hm, side], buff=theme.BUFF_LARGE, align="top"))
        below(content, self.header, buff=theme.BUFF).set_x(0)
        for t in range(len(a.written)):  # tag which source token each row reads most
            tag(hm.row_labels[t], "peak_of", a.source[int(a.peaks[h, t])], (t,))
        frames = VGroup(*[hm.highlight_cell(t, int(a.peaks[h, t])) for t in known])
        with self.beat("alignment"):
            self.play(fade_in(hm), fade_in(learned, note))
            self.wait(HOLD)
        with self.beat("peaks", n=n, m=len(known)):
            self.play(Create(frames))
            self.play(fade_in(peaks))
            self.wait(HOLD)
        self.next_slide()
        self.play(fade_out(VGroup(content, frames)))

    # --- slide 3: all heads ------------------------------------------------------------------------------
    def show_heads(self) -> None:
        a = self.a
        known = sum(1 for s in a.by_hand if s >= 0)
        maps, hits = [], []
        for h in range(a.weights.shape[0]):
            m = Heatmap(a.weights[h], key=f"head_{h}", scale="sequential", show_numbers=False, cell=0.26)
            k = int(a.hits[h]) if len(a.hits) else 0
            hit = tag(self.text("hits", size=theme.SMALL, color=theme.FG, k=k, m=known), "hits", k, (h,))
            name = self.plain(f"h{numbers.subscript(h + 1)}", size=theme.LABEL, color=theme.MUTED)
            maps.append(column([name, m, hit], buff=theme.BUFF_SMALL, align="center"))
            hits.append(hit)
        cap = self.text("heads", size=theme.LABEL, color=theme.ACCENT)
        out = "".join(a.written[:-1])
        written = tag(self.text("output", size=theme.BODY, color=theme.OUTPUT, out=out), "output", out)
        if a.written == a.expected:
            written = row(
                [written, self.text("correct", size=theme.LABEL, color=theme.MUTED)], buff=theme.BUFF
            )
        body = column([cap, row(maps, buff=theme.BUFF_LARGE), written], buff=theme.BUFF_LARGE, align="center")
        below(fit_width(body), self.header, buff=theme.BUFF_SECTION).set_x(0)
        best = SurroundingRectangle(maps[self.best_head()], color=theme.ACCENT, buff=theme.BUFF_SMALL)
        said = ", ".join(
            self.t("hits", k=int(a.hits[h]) if len(a.hits) else 0, m=known) for h in range(len(maps))
        )
        with self.beat("heads", hits=said):
            self.play(fade_in(cap), fade_in(*maps))
            self.play(Create(best), fade_in(written))
            self.wait(HOLD)
