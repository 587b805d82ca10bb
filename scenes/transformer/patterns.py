"""Attention patterns: which keys each query may read (causal, sliding window, global tokens), how many score
cells each pattern computes (T(2w + 1) against T²), and the patterns two trained models learned by themselves.

Masks: Vaswani et al. 2017 §3.2.3 (causal); Beltagy et al. 2020 §3.1, Fig. 2 (Longformer's sliding window and
global attention). Learned: the previous-token and induction heads of the tiny decoder (Olsson et al. 2022),
and the encoder–decoder attention of the tiny dates translator (Vaswani et al. 2017 §3.2.3).
"""

from __future__ import annotations

import numpy as np
from manim import DOWN, RIGHT, LaggedStart, Mobject

from lib.models import generate, heads, induction, tasks, translation
from lib.transformer.attention import causal_mask, sliding_window_mask
from lib.transformer.pattern_cost import KINDS, pattern_cost
from lib.transformer.patterns import global_pattern
from scenes.engine.base import LectureScene
from scenes.engine.registry import register
from scenes.kit import numbers, theme
from scenes.kit.anim import fade_in, fade_out
from scenes.kit.frame import SAFE, below, column, fit_width, row, to_safe
from scenes.kit.matrix import PAD_TIGHT, Heatmap
from scenes.kit.plot import legend
from scenes.kit.record import tag, tag_located
from scenes.kit.table import NumberTable
from scenes.transformer.params.patterns import Params as PatternsParams

HOLD = theme.HOLD_LONG  # seconds to read a slide (scenes/kit/theme.py)
MASK_ROOM = 3.9  # the side of each of the three mask heatmaps (three in a row, with their captions)
HEAD_ROOM = 4.6  # the side of each learned head's heatmap (two in a row)


def _is_attended(cell: Mobject) -> float:
    """1 where a mask cell is drawn as attended, 0 where it is drawn in the mask colour: read from the
    picture, so a test checks what the viewer sees."""
    return float(cell.get_fill_color().to_hex() != theme.MASK.to_hex())


@register("transformer.patterns")
class Patterns(LectureScene):
    """Causal, local and global masks side by side, their cost in score cells, then learned patterns."""

    Params = PatternsParams

    EXAMPLES = (
        {
            "T": 10,
            "half_width": 1,
            "global_tokens": (3,),
            "long_T": 16384,
            "long_half_width": 512,
            "induction_seed": 3,
            "segment": 5,
            "date_index": 7,
        },
    )

    STRINGS = {
        "en": {
            "title": "Attention patterns",
            "subtitle": "which keys each query may read, and what that costs",
            "causal": "causal",
            "local": "sliding window, w = {w}",
            "global": "window + global tokens {g}",
            "full_row": "full",
            "causal_row": "causal",
            "local_row": "sliding window",
            "global_row": "window + global",
            "cells": "{n} of {total} cells",
            "attended": "may attend",
            "masked": "masked",
            "axes": "rows: queries i   columns: keys j   T = {t}",
            "pattern": "pattern",
            "at": "T = {t}, w = {w}",
            "computed": "cells",
            "share": "share of T²",
            "growth": "growth",
            "grows_full": "T²",
            "grows_causal": "T²/2",
            "grows_local": "T(2w+1)",
            "grows_global": "T(2w+1+2g)",
            "learned": "learned, not designed",
            "induction_title": "the trained 2-layer model, on a sequence whose segment repeats",
            "previous_head": "layer {l}, head {h}: previous token",
            "induction_head": "layer {l}, head {h}: induction",
            "previous_score": "mean weight on t − 1: {s}",
            "induction_score": "mean weight on t − S + 1: {s}",
            "scored_on": "positions {a}–{b} of {t}; means over {n} unseen sequences",
            "alignment_title": "the trained translator: cross-attention, layer {l}, head {h}",
            "source_axis": "rows: source tokens (keys)",
            "output_axis": "columns: output tokens (queries)",
            "hit_rate": "peaks on the source token for {r} of held-out output tokens",
        },
        "zh": {
            "title": "注意力模式",
            "subtitle": "每个查询能看哪些键，代价是多少",
            "causal": "因果",
            "local": "滑动窗口，w = {w}",
            "global": "窗口 + 全局 token {g}",
            "full_row": "全注意力",
            "causal_row": "因果",
            "local_row": "滑动窗口",
            "global_row": "窗口 + 全局",
            "cells": "{total} 格中算 {n} 格",
            "attended": "可以关注",
            "masked": "被遮盖",
            "axes": "行：查询 i   列：键 j   T = {t}",
            "pattern": "模式",
            "at": "T = {t}，w = {w}",
            "computed": "格数",
            "share": "占 T² 的比例",
            "growth": "增长",
            "grows_full": "T²",
            "grows_causal": "T²/2",
            "grows_local": "T(2w+1)",
            "grows_global": "T(2w+1+2g)",
            "learned": "学出来的，不是设计的",
            "induction_title": "训练好的两层模型，输入中有一段重复出现",
            "previous_head": "第 {l} 层第 {h} 头：前一个 token",
            "induction_head": "第 {l} 层第 {h} 头：归纳头",
            "previous_score": "t − 1 上的平均权重：{s}",
            "induction_score": "t − S + 1 上的平均权重：{s}",
            "scored_on": "第 {a}–{b} 个位置（共 {t} 个）；均值取自 {n} 条没见过的序列",
            "alignment_title": "训练好的翻译模型：交叉注意力，第 {l} 层第 {h} 头",
            "source_axis": "行：源 token（键）",
            "output_axis": "列：输出 token（查询）",
            "hit_rate": "在留出数据上，{r} 的输出 token 的峰值落在对应的源 token 上",
        },
    }

    NARRATION = {
        "en": {
            "masks": "Which keys may each query read? Three masks over {t} tokens. Causal: each token "
            "sees itself and the past. A sliding window: only the {w} neighbours on each side. And the "
            "window plus global tokens, which read every position and are read by every position.",
            "counts": "Count the score cells each pattern has to compute: {causal} for causal, {local} for "
            "the window, {glob} with the global tokens, against {full} for full attention.",
            "cost": "At a realistic length of {t} tokens with a window of {w}, the window computes only "
            "{local_share} of the full matrix: its cost grows like T times the window, not like T squared. "
            "The causal mask saves no more than half.",
            "heads": "Nobody designed these two patterns: the trained model learned them. In the first "
            "layer a head looks at the previous token, with a mean weight of {prev}. In the second layer, "
            "inside the repeated segment, a head looks at the token right after the earlier copy of the "
            "current one, with {ind}: an induction head, which is how the model predicts the repeat.",
            "alignment": "And a learned alignment: while the translator writes each output token, its "
            "cross-attention looks at the source token it comes from. The year moves to the front, so the "
            "pattern is not a diagonal. This head peaks on the right source token for {rate} of the held-out "
            "output tokens.",
        },
        "zh": {
            "masks": "每个查询能看哪些键？这里是 {t} 个 token 上的三种遮盖。"
            "因果遮盖：每个 token 只看自己和过去。滑动窗口：只看两边各 {w} 个邻居。"
            "再加上全局 token：它们看所有位置，也被所有位置看到。",
            "counts": "数一数每种模式要算多少个得分格：因果 {causal} 格，窗口 {local} 格，"
            "加上全局 token 是 {glob} 格，而全注意力要算 {full} 格。",
            "cost": "在长度 {t}、窗口 {w} 这样的实际规模下，滑动窗口只算整个矩阵的 {local_share}："
            "它的代价随 T 乘窗口增长，而不是随 T 的平方。因果遮盖最多只省一半。",
            "heads": "这两种模式没有人设计，是训练出来的。第一层有一个头看前一个 token，平均权重是 {prev}。"
            "第二层在重复的片段里，有一个头看当前 token 上一次出现之后的那个 token，平均权重是 {ind}："
            "这就是归纳头，模型靠它预测重复的内容。",
            "alignment": "再看一个学出来的对齐：翻译模型每写一个输出 token，"
            "交叉注意力就看向它来自的源 token。年份被挪到了最前面，所以这个模式不是对角线。"
            "在留出数据上，这个头有 {rate} 的输出 token "
            "峰值落在正确的源 token 上。",
        },
    }

    def construct(self) -> None:
        self.compute()
        self.header = self.title_bar("title", "subtitle")
        self.show_masks()
        self.show_cost()
        self.show_heads()
        self.show_alignment()

    # --- numbers (all from lib/) -----------------------------------------------------------------
    def compute(self) -> None:
        p = self.params
        g = list(p.global_tokens)
        self.masks = {
            "causal": causal_mask(p.T),
            "local": sliding_window_mask(p.T, 2 * p.half_width + 1, causal=False),
            "global": global_pattern(p.T, g, p.half_width).support,
        }
        self.cost = {k: pattern_cost(k, p.T, p.half_width, g) for k in KINDS}
        self.long_cost = {k: pattern_cost(k, p.long_T, p.long_half_width, g) for k in KINDS}
        lm = induction.load()
        self.heads = heads.induction_heads(lm)
        self.example = tasks.induction_batch(
            np.random.default_rng(p.induction_seed),
            1,
            tasks.InductionConfig(min_segment=p.segment, max_segment=p.segment),
        )
        self.attention = induction.forward(lm, self.example.tokens).attention[0]  # (layers, H, T, T)
        self.alignment = heads.alignment(translation.load(), p.date_index)

    # --- beats -------------------------------------------------------------------------------------
    def _mask_map(self, kind: str) -> Heatmap:
        """A mask as cells: attended cells in the weights' high colour, masked ones in theme.MASK."""
        m = self.masks[kind]
        hm = Heatmap(
            m.astype(float), key=f"mask_{kind}", scale="sequential", show_numbers=False,
            max_width=MASK_ROOM, max_height=MASK_ROOM,
        )  # fmt: skip
        for i, j in zip(*np.nonzero(~m), strict=True):
            hm.cell_at(i, j).set_fill(theme.MASK, 1.0)
        for i in range(m.shape[0]):
            for j in range(m.shape[1]):
                tag_located(hm.cell_at(i, j), f"mask_{kind}", _is_attended, (i, j))
        return hm

    def show_masks(self) -> None:
        p = self.params
        names = {
            "causal": self.t("causal"),
            "local": self.t("local", w=p.half_width),
            "global": self.t("global", g=", ".join(str(t) for t in p.global_tokens)),
        }
        panels, counts = [], []
        for kind in self.masks:
            hm = self._mask_map(kind)
            name = self.plain(names[kind], size=theme.LABEL)
            c = self.cost[kind]
            count = self.plain(
                self.t("cells", n=numbers.integer(c.cells), total=numbers.integer(p.T * p.T)),
                size=theme.SMALL,
                color=theme.ACCENT,
            )
            tag(count, f"cells_{kind}", c.cells)
            counts.append(count)
            panels.append(column([name, hm, count], buff=theme.BUFF_SMALL, align="center"))
        maps = fit_width(row(panels, buff=theme.BUFF_LARGE, align="top"))
        below(maps, self.header, buff=theme.BUFF_SECTION).set_x(0)
        key = legend([(self.t("attended"), theme.SEQ_HIGH), (self.t("masked"), theme.MASK)], direction=RIGHT)
        axes = self.text("axes", size=theme.SMALL, color=theme.MUTED, t=p.T)
        foot = to_safe(fit_width(row([key, axes], buff=theme.BUFF_SECTION)), DOWN)
        with self.beat("masks", t=p.T, w=p.half_width):
            self.play(fade_in(self.header))
            self.play(LaggedStart(*[fade_in(pn[0], pn[1]) for pn in panels], lag_ratio=0.4), fade_in(foot))
            self.wait(HOLD)
        self.next_slide()
        with self.beat(
            "counts",
            causal=numbers.integer(self.cost["causal"].cells),
            local=numbers.integer(self.cost["local"].cells),
            glob=numbers.integer(self.cost["global"].cells),
            full=numbers.integer(p.T * p.T),
        ):
            self.play(LaggedStart(*[fade_in(c) for c in counts], lag_ratio=0.3))
            self.wait(HOLD)
        self.next_slide()
        self.play(fade_out(*panels, foot))

    def show_cost(self) -> None:
        p = self.params
        kinds = list(KINDS)
        short, long = [self.cost[k] for k in kinds], [self.long_cost[k] for k in kinds]
        header = [
            self.t("pattern"),
            self.t("growth"),
            column(
                [self.plain(self.t("at", t=numbers.integer(p.T), w=p.half_width), size=theme.SMALL),
                 self.text("computed", size=theme.SMALL, color=theme.MUTED)],
                buff=theme.BUFF_TIGHT, align="center",
            ),
            self.t("share"),
            column(
                [self.plain(self.t("at", t=numbers.integer(p.long_T), w=p.long_half_width), size=theme.SMALL),
                 self.text("computed", size=theme.SMALL, color=theme.MUTED)],
                buff=theme.BUFF_TIGHT, align="center",
            ),
            self.t("share"),
        ]  # fmt: skip
        table = NumberTable(
            [
                [self.t(f"{k}_row") for k in kinds],
                [self.t(f"grows_{k}") for k in kinds],
                [c.cells for c in short],
                [c.fraction for c in short],
                [c.cells for c in long],
                [c.fraction for c in long],
            ],
            header=header,
            formats=[str, str, numbers.integer, numbers.percent, numbers.integer, numbers.percent],
            colors=[theme.FG, theme.MUTED, theme.FG, theme.ACCENT, theme.FG, theme.ACCENT],
            keys=[None, None, "short_cells", "short_share", "long_cells", "long_share"],
            h_buff=0.45,
        )
        below(fit_width(table), self.header, buff=theme.BUFF_SECTION).set_x(0)
        with self.beat(
            "cost",
            t=numbers.integer(p.long_T),
            w=p.long_half_width,
            local_share=numbers.percent(self.long_cost["local"].fraction),
        ):
            self.play(fade_in(table))
            self.wait(HOLD)
        self.next_slide()
        self.play(fade_out(table))

    def _head_map(self, layer: int, head: int, lo: int, hi: int, key: str) -> Heatmap:
        """One head's weights over positions lo … hi − 1 (queries and keys): colours only, cells tagged."""
        w = self.attention[layer, head, lo:hi, lo:hi]  # (n, n)
        labels = list(generate.symbols(self.example.tokens[0, lo:hi]))  # the letters the decoding scene uses
        hm = Heatmap(
            w, key=key, scale="sequential", show_numbers=False, row_labels=labels, col_labels=labels,
            max_width=HEAD_ROOM, max_height=HEAD_ROOM,
        )  # fmt: skip
        for i in range(w.shape[0]):
            for j in range(w.shape[1]):
                tag(hm.cell_at(i, j), key, float(w[i, j]), (i, j))
        return hm

    def show_heads(self) -> None:
        h, ex = self.heads, self.example
        F, S, T = int(ex.start[0]), int(ex.segment[0]), ex.tokens.shape[1]
        lo, hi = max(F - 1, 0), F + 2 * S  # the two copies and the token before them
        title = self.text("induction_title", size=theme.LABEL)
        badge = self.text("learned", size=theme.SMALL, color=theme.ACCENT)
        panels = []
        for which, (layer, head), score in (
            ("previous", h.previous, h.previous_score),
            ("induction", h.induction, h.induction_score),
        ):
            hm = self._head_map(layer, head, lo, hi, f"{which}_head")
            name = self.text(f"{which}_head", size=theme.LABEL, l=layer + 1, h=head + 1)  # counted from 1
            s = self.text(f"{which}_score", size=theme.SMALL, color=theme.ACCENT, s=numbers.fixed(score, 2))
            tag(s, f"{which}_score", score)
            panels.append(column([name, hm, s], buff=theme.BUFF_SMALL, align="center"))
        note = self.text(
            "scored_on", size=theme.SMALL, color=theme.MUTED, a=lo, b=hi - 1, t=T, n=heads.SCORING_SIZE
        )
        top = row([title, badge], buff=theme.BUFF_LARGE)
        maps = row(panels, buff=theme.BUFF_SECTION, align="top")
        content = fit_width(column([top, maps, note], buff=theme.BUFF, align="center"))
        content.scale(min(1.0, (self.header.get_bottom()[1] - theme.BUFF - SAFE.bottom) / content.height))
        below(content, self.header, buff=theme.BUFF).set_x(0)
        with self.beat(
            "heads", prev=numbers.fixed(h.previous_score, 2), ind=numbers.fixed(h.induction_score, 2)
        ):
            self.play(fade_in(top))
            self.play(fade_in(panels[0]))
            self.play(fade_in(panels[1]), fade_in(note))
            self.wait(HOLD)
        self.next_slide()
        self.play(fade_out(content))

    def show_alignment(self) -> None:
        a = self.alignment
        layer, head = a.head
        title = self.text("alignment_title", size=theme.LABEL, l=layer + 1, h=head + 1)
        badge = self.text("learned", size=theme.SMALL, color=theme.ACCENT)
        # source tokens down the side, output tokens along the top: the month word keeps its full width
        hm = Heatmap(
            a.weights.T, key="alignment", scale="sequential", digits=2, pad=PAD_TIGHT, row_labels=a.source,
            col_labels=a.output, max_width=SAFE.width, max_height=4.4, max_cell=0.62,
        )  # fmt: skip
        src = self.text("source_axis", size=theme.SMALL, color=theme.KEY)
        out = self.text("output_axis", size=theme.SMALL, color=theme.QUERY)
        rate = self.text("hit_rate", size=theme.SMALL, color=theme.ACCENT, r=numbers.percent(a.hit_rate))
        tag(rate, "hit_rate", a.hit_rate)
        foot = fit_width(row([src, out, rate], buff=theme.BUFF_LARGE))
        top = row([title, badge], buff=theme.BUFF_LARGE)
        content = fit_width(column([top, hm, foot], buff=theme.BUFF, align="center"))
        below(content, self.header, buff=theme.BUFF).set_x(0)
        with self.beat("alignment", rate=numbers.percent(a.hit_rate)):
            self.play(fade_in(top))
            self.play(fade_in(hm), fade_in(foot))
            self.wait(HOLD + 1.0)
