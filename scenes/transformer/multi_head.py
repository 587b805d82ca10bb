"""Multi-head attention (Vaswani et al. 2017, eq. 4–5): d_model split into h heads, every head of the trained
two-layer induction model side by side (a previous-token head and an induction head, learned), then the
concatenation, W_O, and the parameter count 4·d² + 4·d, which does not depend on h."""

from __future__ import annotations

import numpy as np
from manim import (
    DOWN,
    LEFT,
    RIGHT,
    UP,
    Create,
    Rectangle,
    SurroundingRectangle,
    VGroup,
    VMobject,
    Write,
)

from lib.arithmetic.cost_models import attention_cost
from lib.models import generate, induction
from scenes.engine.base import LectureScene
from scenes.engine.registry import register
from scenes.kit import numbers, theme
from scenes.kit.anim import fade_in, fade_out
from scenes.kit.diagram import LINK, Block, connect
from scenes.kit.equation import Equation
from scenes.kit.frame import column, fit_width, row, to_safe
from scenes.kit.matrix import Heatmap
from scenes.kit.record import number, tag
from scenes.kit.text import tex
from scenes.transformer.params.multi_head import Params as MultiHeadParams

HOLD = theme.HOLD_SHORT  # seconds to read a slide (scenes/kit/theme.py)
THUMB = 1.4  # side of one head's attention map (the whole sequence, colours only)
ZOOM_W, ZOOM_H = 0.56, 0.36  # a cell of the zoomed maps: wide enough for "0.93" at theme.NUMBER


def _pixel_map(weights: np.ndarray, side: float, levels: int = 12) -> VGroup:
    """An attention map as coloured squares on the theme's sequential scale, colours only (drawing only).

    Thousands of separate ``Rectangle``s take seconds to build; here the cells are binned into ``levels``
    colours and each bin is ONE ``VMobject`` whose subpaths are its squares, so a T × T map is a dozen
    mobjects. (``ImageMobject`` would be the natural choice, but Manim's camera cannot draw it with the
    installed Pillow.)
    """
    T = weights.shape[0]
    c = side / T
    level = np.clip(np.rint(weights * (levels - 1)), 0, levels - 1).astype(int)  # (T, T)
    group = VGroup()
    for lv in range(levels):
        cells = np.argwhere(level == lv)  # (n, 2)  (row, col)
        if not len(cells):
            continue
        pts = []
        for i, j in cells:
            x0, y0 = j * c, -i * c
            corners = [np.array([x0, y0, 0]), np.array([x0 + c, y0, 0]), np.array([x0 + c, y0 - c, 0]),
                       np.array([x0, y0 - c, 0])]  # fmt: skip
            for k in range(4):
                a, b = corners[k], corners[(k + 1) % 4]
                pts += [a, a + (b - a) / 3, a + 2 * (b - a) / 3, b]  # a straight cubic segment
        m = VMobject(stroke_width=0).set_points(np.array(pts))
        group.add(m.set_fill(theme.sequential(lv / (levels - 1)), 1.0))
    backdrop = Rectangle(width=side, height=side, stroke_width=0).set_fill(theme.SEQ_LOW, 1.0)
    backdrop.move_to([side / 2, -side / 2, 0])
    return VGroup(backdrop, group)


@register("transformer.multi_head")
class MultiHead(LectureScene):
    """h heads of width d_model / h; the trained model's heads; concatenation and W_O; parameters."""

    Params = MultiHeadParams

    EXAMPLES = ({"seed": 3, "segment": 5},)

    STRINGS = {
        "en": {
            "title": "Multi-head attention",
            "subtitle": "several small heads instead of one wide one",
            "split_note": "each head gets its own slice of Q, K and V and attends on its own",
            "head": "head {i}",
            "width": "d_model",
            "heads_title": "The trained model: every head on one sequence "
            "({n} tokens, a segment of {s} repeated)",
            "layer": "layer {l}",
            "prev": "prev {v}",
            "ind": "ind {v}",
            "score_note": "prev: mean weight on the previous token   "
            "ind: mean weight on the token after the earlier copy",
            "learned_prev": "learned: previous-token head (layer {l}, head {h})",
            "learned_ind": "learned: induction head (layer {l}, head {h})",
            "zoom_note": "the two copies of the segment; each row is a query, "
            "its full row (all {n} keys) sums to 1",
            "concat": "concatenate",
            "out": "output",
            "params_title": "parameters of one attention layer, d = {d}",
            "same_for_any_h": "the same for any number of heads: splitting costs nothing",
        },
        "zh": {
            "title": "多头注意力",
            "subtitle": "用几个小头代替一个宽头",
            "split_note": "每个头拿到 Q、K、V 各自的一段，独立地做注意力",
            "head": "头 {i}",
            "width": "d_model",
            "heads_title": "训练好的模型：同一序列上的每个头（{n} 个 token，一段 {s} 个 token 重复出现）",
            "layer": "第 {l} 层",
            "prev": "前 {v}",
            "ind": "归 {v}",
            "score_note": "前：落在前一个 token 上的平均权重   归：落在上次出现之后那个 token 上的平均权重",
            "learned_prev": "学到的：前一 token 头（第 {l} 层，头 {h}）",
            "learned_ind": "学到的：归纳头（第 {l} 层，头 {h}）",
            "zoom_note": "片段的两次出现；每行是一个查询，它的完整一行（全部 {n} 个键）之和为 1",
            "concat": "拼接",
            "out": "输出",
            "params_title": "一个注意力层的参数，d = {d}",
            "same_for_any_h": "头数多少都一样：拆分不增加参数",
        },
    }

    NARRATION = {
        "en": {
            "split": "Instead of one attention of width {d}, multi-head attention runs {h} smaller ones, "
            "each of width {dk}. Every head gets its own slice of the queries, keys and values, so each "
            "can look for something different.",
            "heads": "Here is what the heads of a small trained model do on a sequence in which a segment "
            "repeats. Each square is one head's attention weights: queries down, keys across.",
            "learned": "Two heads stand out, and nobody programmed them. In layer {l_prev}, head {h_prev} "
            "puts on average {prev} of its weight on the previous token. In layer {l_ind}, head {h_ind} "
            "puts {ind} on the token that followed the earlier copy: an induction head.",
            "zoom": "Zoomed in on the two copies. The previous-token head is a line just below the diagonal. "
            "The induction head looks back one segment and one step further, where the answer is.",
            "concat": "The heads' outputs are concatenated back to width {d}, and one more matrix, W O, "
            "mixes them.",
            "params": "Four matrices of {d} by {d}, plus their biases: {total} parameters. That does not "
            "depend on the number of heads. Splitting into heads is free; it only changes what can be "
            "learned.",
        },
        "zh": {
            "split": "多头注意力不做一个宽度 {d} 的注意力，而是做 {h} 个小的，每个宽度 {dk}。"
            "每个头拿到查询、键、值各自的一段，所以每个头可以去找不同的东西。",
            "heads": "看一个训练好的小模型，在一段重复出现的序列上，每个头在做什么。每个方块是一个头的注意力"
            "权重：纵向是查询，横向是键。",
            "learned": "有两个头特别显眼，而且没有人编程让它们这样做。第 {l_prev} 层的头 {h_prev}，平均把 "
            "{prev} 的权重放在前一个 token 上。第 {l_ind} 层的头 {h_ind}，把 {ind} 的权重放在上次出现之后"
            "的那个 token 上：这就是归纳头。",
            "zoom": "放大看这两次出现。前一 token 头是对角线正下方的一条线。"
            "归纳头则往回看一个片段再往后一步，答案就在那里。",
            "concat": "各个头的输出拼接回宽度 {d}，再用一个矩阵 W O 把它们混合起来。",
            "params": "四个 {d} 乘 {d} 的矩阵，加上偏置，一共 {total} 个参数。这和头数无关。拆成多个头不花"
            "参数，只改变模型能学到什么。",
        },
    }

    def construct(self) -> None:
        self.compute()
        self.show_split()
        self.show_heads()
        self.show_zoom()
        self.show_concat()

    # --- numbers (all from lib/ and the trained model) ---------------------------------------------
    def compute(self) -> None:
        p = self.params
        self.weights = induction.load()
        self.batch = induction.example(p.seed, p.segment)
        self.trace = induction.forward(self.weights, self.batch.tokens)
        self.att = self.trace.attention[0]  # (layers, H, T, T)
        self.scores = induction.head_scores(self.trace.attention, self.batch)
        self.n_layers, self.h, self.T = self.att.shape[0], self.att.shape[1], self.att.shape[2]
        self.d = self.weights.layers[0].self_attn.W_q.shape[0]
        # the heads the lecture points at: the most previous-token-like and the most induction-like
        self.prev_head = np.unravel_index(
            np.argmax(self.scores.previous_token), self.scores.previous_token.shape
        )
        self.ind_head = np.unravel_index(np.argmax(self.scores.induction), self.scores.induction.shape)
        self.cost = attention_cost(self.T, self.d, self.h)
        F, S = int(self.batch.start[0]), int(self.batch.segment[0])
        self.window = np.arange(max(F - 1, 0), F + 2 * S)  # one token before the first copy … the second copy

    # --- beats -------------------------------------------------------------------------------------
    def show_split(self) -> None:
        d, h = self.d, self.h
        dk = d // h
        self.header = self.title_bar("title", "subtitle")
        eq = Equation(
            r"\mathrm{MultiHead}(X) = \mathrm{Concat}(\mathrm{head}_1, \dots, \mathrm{head}_h)\, W^O,"
            r"\quad \mathrm{head}_i = \mathrm{Attention}(X W_i^Q,\, X W_i^K,\, X W_i^V)",
            terms=["W^O", "W_i^Q", "W_i^K", "W_i^V"],
            colors={"W_i^Q": theme.QUERY, "W_i^K": theme.KEY, "W_i^V": theme.VALUE, "W^O": theme.OUTPUT},
            font_size=34,
        )
        fit_width(eq).next_to(self.header, DOWN, buff=theme.BUFF_LARGE).set_x(0)
        bars = VGroup()
        for name, color in (("Q", theme.QUERY), ("K", theme.KEY), ("V", theme.VALUE)):
            blocks = VGroup(
                *[
                    Rectangle(width=2.4, height=0.5, stroke_color=color, stroke_width=2).set_fill(
                        theme.shades(color, h)[i], 0.55
                    )
                    for i in range(h)
                ]
            ).arrange(RIGHT, buff=0.06)
            label = self.plain(name, size=theme.BODY, color=color).next_to(blocks, LEFT, buff=theme.BUFF)
            bars.add(VGroup(label, blocks))
        bars.arrange(DOWN, buff=theme.BUFF, aligned_edge=RIGHT)
        head_labels = VGroup(
            *[
                column(
                    [
                        self.text("head", size=theme.LABEL, color=theme.FG, i=i + 1),
                        number(dk, key="d_head", index=i, size=theme.SMALL, color=theme.MUTED, fmt=_dk),
                    ],
                    buff=theme.BUFF_TIGHT,
                    align="center",
                ).next_to(bars[-1][1][i], DOWN, buff=theme.BUFF_SMALL)
                for i in range(h)
            ]
        )
        width = row(
            [
                self.text("width", size=theme.LABEL, color=theme.MUTED),
                number(
                    d,
                    key="d_model",
                    size=theme.LABEL,
                    color=theme.FG,
                    fmt=lambda v: f"= {numbers.integer(v)}",
                ),
                self.plain("=", size=theme.LABEL, color=theme.MUTED),
                number(h, key="n_heads", size=theme.LABEL, color=theme.FG, fmt=numbers.integer),
                self.plain("×", size=theme.LABEL, color=theme.MUTED),
                number(dk, key="d_k", size=theme.LABEL, color=theme.FG, fmt=numbers.integer),
            ],
            buff=theme.BUFF_SMALL,
        )
        split = column([bars, head_labels, width], buff=theme.BUFF, align="center")
        head_labels.set_x(bars[-1][1].get_x())
        fit_width(split).next_to(eq, DOWN, buff=theme.BUFF_LARGE).set_x(0)
        note = to_safe(fit_width(self.text("split_note", size=theme.LABEL, color=theme.MUTED)), DOWN)
        with self.beat("split", d=numbers.integer(d), h=numbers.integer(h), dk=numbers.integer(dk)):
            self.play(fade_in(self.header))
            self.play(Write(eq))
            self.play(fade_in(bars), fade_in(head_labels), fade_in(width), fade_in(note))
            self.wait(HOLD)
        self.next_slide()
        self.play(fade_out(VGroup(eq, bars, head_labels, width, note)))

    def show_heads(self) -> None:
        sc = self.scores
        heading = fit_width(
            self.text("heads_title", size=theme.LABEL, color=theme.FG, n=self.T, s=int(self.batch.segment[0]))
        )
        heading.next_to(self.header, DOWN, buff=theme.BUFF)
        to_safe(heading, LEFT)
        cards = []
        for layer in range(self.n_layers):
            for head in range(self.h):
                img = _pixel_map(self.att[layer, head], THUMB)  # T × T cells: one per weight
                frame = SurroundingRectangle(img, color=theme.GRID, buff=0.0, stroke_width=1.5)
                name = self.text("head", size=theme.SMALL, color=theme.FG, i=head + 1)
                prev = self.text(
                    "prev",
                    size=theme.SMALL,
                    color=theme.MUTED,
                    v=numbers.fixed(sc.previous_token[layer, head], 2),
                )
                ind = self.text(
                    "ind", size=theme.SMALL, color=theme.MUTED, v=numbers.fixed(sc.induction[layer, head], 2)
                )
                tag(prev, "prev_score", float(sc.previous_token[layer, head]), (layer, head))
                tag(ind, "ind_score", float(sc.induction[layer, head]), (layer, head))
                name.next_to(frame, UP, buff=theme.BUFF_TIGHT)
                scores = row([prev, ind], buff=theme.BUFF_SMALL).next_to(frame, DOWN, buff=theme.BUFF_TIGHT)
                cards.append(VGroup(img, frame, name, scores))
        layers = VGroup(*cards).arrange_in_grid(
            rows=self.n_layers, cols=self.h, buff=(theme.BUFF_LARGE, theme.BUFF)
        )
        layer_labels = VGroup(
            *[
                self.text("layer", size=theme.LABEL, color=theme.FG, l=layer + 1).next_to(
                    cards[layer * self.h], LEFT, buff=theme.BUFF
                )
                for layer in range(self.n_layers)
            ]
        )
        body = VGroup(layer_labels, layers)
        note = to_safe(fit_width(self.text("score_note", size=theme.SMALL, color=theme.MUTED)), DOWN)
        body.next_to(heading, DOWN, buff=theme.BUFF).set_x(0)
        (lp, hp), (li, hi) = self.prev_head, self.ind_head
        box_p = SurroundingRectangle(cards[lp * self.h + hp], color=theme.ACCENT, buff=0.06)
        box_i = SurroundingRectangle(cards[li * self.h + hi], color=theme.ACCENT, buff=0.06)
        with self.beat("heads"):
            self.play(
                fade_in(heading), fade_in(layer_labels), *[fade_in(c) for c in cards], fade_in(note),
            )  # fmt: skip
            self.wait(HOLD)
        with self.beat(
            "learned",
            l_prev=numbers.integer(lp + 1),
            h_prev=numbers.integer(hp + 1),
            prev=numbers.fixed(sc.previous_token[lp, hp], 2),
            l_ind=numbers.integer(li + 1),
            h_ind=numbers.integer(hi + 1),
            ind=numbers.fixed(sc.induction[li, hi], 2),
        ):
            self.play(Create(box_p), Create(box_i))
            self.wait(HOLD)
        self.next_slide()
        self.play(fade_out(VGroup(heading, layer_labels, *cards, note, box_p, box_i)))

    def zoom_map(self, layer: int, head: int, key: str, label: str) -> VGroup:
        w = self.window
        toks = list(generate.symbols(self.batch.tokens[0, w]))  # named A…ζ, as in the decoding scene
        hm = Heatmap(
            self.att[layer, head][np.ix_(w, w)], key=key, scale="sequential", cell=ZOOM_W, cell_height=ZOOM_H,
            digits=2, adaptive=False,
            row_labels=[self.plain(t, size=theme.NUMBER, color=theme.INPUT) for t in toks],
            col_labels=[self.plain(t, size=theme.NUMBER, color=theme.INPUT) for t in toks],
        )  # fmt: skip
        title = self.text(label, size=theme.LABEL, color=theme.ACCENT, l=layer + 1, h=head + 1)
        return column([title, hm], buff=theme.BUFF_SMALL, align="center")

    def show_zoom(self) -> None:
        (lp, hp), (li, hi) = self.prev_head, self.ind_head
        maps = row(
            [
                self.zoom_map(lp, hp, "zoom_prev", "learned_prev"),
                self.zoom_map(li, hi, "zoom_ind", "learned_ind"),
            ],
            buff=theme.BUFF_LARGE,
            align="top",
        )
        fit_width(maps).next_to(self.header, DOWN, buff=theme.BUFF_LARGE).set_x(0)
        note = to_safe(fit_width(self.text("zoom_note", size=theme.SMALL, color=theme.MUTED, n=self.T)), DOWN)
        with self.beat("zoom"):
            self.play(fade_in(maps), fade_in(note))
            self.wait(HOLD)
        self.next_slide()
        self.play(fade_out(VGroup(maps, note)))

    def show_concat(self) -> None:
        d, h = self.d, self.h
        dk = d // h
        heads = VGroup(
            *[
                Block(self.t("head", i=i + 1), name=f"head{i + 1}", shape=("T", dk), color=theme.VALUE)
                for i in range(h)
            ]
        ).arrange(DOWN, buff=theme.BUFF_SMALL)
        cat = Block(self.t("concat"), name="concat", shape=("T", d), color=theme.FG)
        w_o = Block(
            None, name="W_O", color=theme.OUTPUT,
            lines=[tex("W^O", theme.SMALL * 1.45, theme.OUTPUT), (numbers.shape((d, d)), theme.FG)],
        )  # fmt: skip
        out = Block(self.t("out"), name="out", shape=("T", d), color=theme.OUTPUT)
        chain = row([heads, cat, w_o, out], buff=LINK + theme.BUFF)
        fit_width(chain).next_to(self.header, DOWN, buff=theme.BUFF).set_x(0)
        links = VGroup(*[connect(b, cat) for b in heads], connect(cat, w_o), connect(w_o, out))
        parts = {c.name: c.params for c in self.cost.parts if c.params}
        title = self.text("params_title", size=theme.LABEL, color=theme.FG, d=d)
        names = {"q_proj": ("W^Q", theme.QUERY), "k_proj": ("W^K", theme.KEY), "v_proj": ("W^V", theme.VALUE),
                 "out_proj": ("W^O", theme.OUTPUT)}  # fmt: skip
        lines = []
        for part, (label, color) in names.items():
            lines.append(
                row(
                    [
                        tex(label, theme.LABEL * 1.45, color),
                        self.plain(f"{d} × {d} + {d} =", size=theme.LABEL, color=theme.MUTED),
                        number(
                            parts[part], key="part_params", index=part, size=theme.LABEL, fmt=numbers.integer
                        ),
                    ],
                    buff=theme.BUFF_SMALL,
                )
            )
        total_eq = Equation(r"4d^2 + 4d =", font_size=36)
        total = row(
            [
                total_eq,
                number(
                    self.cost.params,
                    key="total_params",
                    size=theme.BODY,
                    color=theme.ACCENT,
                    fmt=numbers.integer,
                ),
            ],
            buff=theme.BUFF_SMALL,
        )
        same = self.text("same_for_any_h", size=theme.LABEL, color=theme.MUTED)
        pairs = [row(lines[k : k + 2], buff=theme.BUFF_SECTION) for k in (0, 2)]  # two matrices a line
        table = column([title, *pairs, total, same], buff=theme.BUFF_SMALL)
        fit_width(table).next_to(chain, DOWN, buff=theme.BUFF)
        table.set_x(0)
        with self.beat("concat", d=numbers.integer(d)):
            self.play(fade_in(heads), fade_in(cat), fade_in(links[:-2]))
            self.play(fade_in(links[-2:]), fade_in(w_o), fade_in(out))
            self.wait(HOLD)
        with self.beat("params", d=numbers.integer(d), total=numbers.integer(self.cost.params)):
            self.play(fade_in(table))
            self.wait(HOLD + 1.0)


def _dk(v: float) -> str:
    return f"d_k = {numbers.integer(v)}"
