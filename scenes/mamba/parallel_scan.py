"""The parallel scan: an associative operator on (a, b) pairs and Blelloch's up-sweep / down-sweep tree."""

from __future__ import annotations

import numpy as np
from manim import (
    DOWN,
    LEFT,
    RIGHT,
    UP,
    Create,
    DashedVMobject,
    FadeIn,
    FadeOut,
    LaggedStart,
    Line,
    MathTex,
    ReplacementTransform,
    RoundedRectangle,
    VGroup,
    Write,
)

from lib.mamba.scan import combine
from lib.mamba.toy_mamba import channel_scan
from scenes.base import LectureScene
from scenes.kit import theme
from scenes.kit.widgets import Heatmap, symbol_label
from scenes.mamba.params.parallel_scan import Params as ParallelScanParams
from scenes.registry import register

NODE_W, NODE_H, NODE_FONT = 1.2, 0.66, theme.SMALL
ROW = 1.15  # vertical distance between tree levels
LEAF_Y = -1.75  # centre of the leaf row


@register("mamba.parallel_scan")
class ParallelScan(LectureScene):
    """The parallel scan: an associative operator on (a, b) pairs lets a Blelloch tree compute every h_t."""

    Params = ParallelScanParams

    EXAMPLES = (
        {
            "sentence": "short inputs are padded too",
            "d_inner": 3,
            "d_state": 3,
            "seed": 2,
            "channel": 1,
            "state": 2,
            "discretization": "mamba",
        },
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
            "title": "The parallel scan",
            "subtitle": "group the steps any way you like: the same states",
            "step": "each step is an affine map; composing two steps gives another",
            "assoc": "composition is associative, with identity (1, 0)",
            "check": "check on the first three tokens (channel d = {d}, state n = {n}):",
            "leaves": "leaves: one pair (a, b) per token, channel d = {d}, state n = {n}",
            "pads": "padded with the identity (1, 0) up to {n} = 2^{depth} leaves",
            "pad": "pad",
            "span": "span {k}",
            "a_leg": "decay",
            "b_leg": "input",
            "up": "up-sweep: node = left ∘ right, a whole level at once",
            "root": "the root composes all steps: its b is the last state, {h}",
            "down": "down-sweep: root ← identity; left ← parent, right ← parent ∘ left's total",
            "prefix": "each leaf now holds every step before it: its b is the state before that token",
            "track": "state h_t[{d}, {n}] over the sentence",
            "last": "one last step at every leaf, all at once:",
            "parallel": "parallel scan",
            "sequential": "sequential scan",
            "equal": "the same numbers: {depth} + {depth} tree levels instead of {L} steps in a row",
        },
        "zh": {
            "title": "并行扫描",
            "subtitle": "无论怎样给步骤分组，得到的状态都相同",
            "step": "每一步都是一个仿射映射；两步复合后仍是仿射映射",
            "assoc": "复合满足结合律，单位元为 (1, 0)",
            "check": "用前三个 token 验证（通道 d = {d}，状态 n = {n}）：",
            "leaves": "叶子：每个 token 一对 (a, b)，通道 d = {d}，状态 n = {n}",
            "pads": "用单位元 (1, 0) 补齐到 {n} = 2^{depth} 个叶子",
            "pad": "补齐",
            "span": "跨 {k} 步",
            "a_leg": "衰减",
            "b_leg": "输入",
            "up": "上扫：节点 = 左 ∘ 右，同一层一次算完",
            "root": "根节点复合了所有步：它的 b 就是最后的状态 {h}",
            "down": "下扫：根 ← 单位元；左 ← 父节点，右 ← 父节点 ∘ 左子树总和",
            "prefix": "每个叶子现在保存它之前的所有步：它的 b 就是该 token 之前的状态",
            "track": "状态 h_t[{d}, {n}] 随句子的变化",
            "last": "每个叶子再做最后一步，同时进行：",
            "parallel": "并行扫描",
            "sequential": "顺序扫描",
            "equal": "数值完全相同：{depth} + {depth} 层树，而不是依次计算 {L} 步",
        },
    }

    def construct(self) -> None:
        self.compute()
        self.show_operator()
        self.show_leaves()
        self.show_up_sweep()
        self.show_down_sweep()
        self.show_result()

    # --- numbers (all from lib/) -----------------------------------------------------------------
    def compute(self) -> None:
        p = self.params
        self.m = p.model()
        self.tr = channel_scan(self.m, p.channel, p.state)
        self.L, self.n = self.tr.length, self.tr.padded_length
        self.depth = self.n.bit_length() - 1
        self.h_seq = self.m.scan.h[:, p.channel, p.state]  # (L,)  the sequential scan's h_t[d, n]
        leaves = [(float(e.a), float(e.b)) for e in self.tr.leaves]
        self.assoc = None
        if self.n >= 3:  # ((e1 ∘ e2) ∘ e3) and (e1 ∘ (e2 ∘ e3)), both by lib's operator
            e1, e2, e3 = leaves[:3]
            self.assoc = (combine(combine(e1, e2), e3), combine(e1, combine(e2, e3)))
        self.shown.update(
            tokens=list(self.m.tokens),
            leaves=leaves,
            up=[[(e.index, float(e.a), float(e.b)) for e in lvl] for lvl in self.tr.up],
            down=[[(e.index, float(e.a), float(e.b)) for e in lvl] for lvl in self.tr.down],
            h_parallel=self.tr.h.copy(),
            h_sequential=self.h_seq.copy(),
            assoc=self.assoc,
            pads=self.n - self.L,
        )

    # --- drawing helpers -------------------------------------------------------------------------------
    def _xy(self, level: int, j: int) -> np.ndarray:
        """Centre of the tree node that covers leaves [j·2^level, (j+1)·2^level)."""
        span = 2**level
        x = float(np.mean(self.leaf_x[j * span : (j + 1) * span]))
        return np.array([x, LEAF_Y + level * ROW, 0.0])

    def _node(
        self, a: float, b: float, level: int, j: int, stroke=theme.GRID, b_color=theme.MAT_B, pad=False
    ):
        box = RoundedRectangle(corner_radius=0.08, width=NODE_W, height=NODE_H, stroke_color=stroke)
        box.set_stroke(width=2.5).set_fill(theme.BACKGROUND, opacity=1.0)
        if pad:
            box = DashedVMobject(box, num_dashes=24).set_stroke(theme.MUTED, width=2)
        nums = VGroup(
            self.plain(theme.fmt(a, 3), size=NODE_FONT, color=theme.MUTED if pad else theme.MAT_A),
            self.plain(theme.fmt(b, 3), size=NODE_FONT, color=theme.MUTED if pad else b_color),
        ).arrange(DOWN, buff=0.07)
        node = VGroup(box, nums).move_to(self._xy(level, j))
        return node

    # --- beats -------------------------------------------------------------------------------------
    def show_operator(self) -> None:
        p = self.params
        self.header = self.title_bar("title", "subtitle")
        rec = MathTex(
            r"h_t = ",
            r"a_t",
            r"\, h_{t-1} + ",
            r"b_t",
            r"\qquad a_t = \bar A_t[d, n],\;\; b_t = \bar B_t x_t[d, n]",
            font_size=34,
        )
        rec[1].set_color(theme.MAT_A)
        rec[3].set_color(theme.MAT_B)
        step = self.text("step", size=theme.LABEL, color=theme.MUTED)
        op = MathTex(
            r"(a_1, b_1) \circ (a_2, b_2) = (a_2 a_1,\; a_2 b_1 + b_2)", font_size=40, color=theme.ACCENT
        )
        assoc_txt = self.text("assoc", size=theme.LABEL, color=theme.MUTED)
        assoc = MathTex(
            r"(e_1 \circ e_2) \circ e_3 = (a_3 a_2 a_1,\; a_3 a_2 b_1 + a_3 b_2 + b_3)"
            r" = e_1 \circ (e_2 \circ e_3)",
            font_size=32,
        )
        lines = [rec, step, op, assoc_txt, assoc]
        if self.assoc is not None:
            (l_a, l_b), (r_a, r_b) = self.assoc
            check = self.text("check", size=theme.LABEL, color=theme.MUTED, d=p.channel + 1, n=p.state + 1)
            nums = MathTex(
                rf"(e_1 \circ e_2) \circ e_3 = ({theme.fmt_tex(l_a, 3)},\; {theme.fmt_tex(l_b, 3)})",
                r"\qquad",
                rf"e_1 \circ (e_2 \circ e_3) = ({theme.fmt_tex(r_a, 3)},\; {theme.fmt_tex(r_b, 3)})",
                font_size=32,
            )
            lines += [check, nums]
        block = VGroup(*lines).arrange(DOWN, buff=0.28)
        for k in (1, 3, 5):
            if k < len(lines):
                block[k].shift(UP * 0.1)
        for m in block:
            if m.width > 13.2:
                m.scale_to_fit_width(13.2)
        block.next_to(self.header, DOWN, buff=0.4).set_x(0)
        self.play(FadeIn(self.header))
        self.play(Write(rec))
        self.play(FadeIn(step), Write(op))
        self.wait(1.5)
        self.next_slide()
        self.play(FadeIn(assoc_txt), Write(assoc))
        if self.assoc is not None:
            self.play(FadeIn(lines[5]), FadeIn(lines[6]))
        self.wait(2.0)
        self.next_slide()
        self.play(FadeOut(VGroup(*lines)))

    def show_leaves(self) -> None:
        p = self.params
        op = MathTex(
            r"(a_1, b_1) \circ (a_2, b_2) = (a_2 a_1,\; a_2 b_1 + b_2)", font_size=28, color=theme.ACCENT
        )
        op.to_edge(UP, buff=theme.EDGE + 0.1).to_edge(RIGHT, buff=theme.EDGE)
        if op.get_left()[0] < self.header.get_right()[0] + 0.3:  # long titles: the formula under the tree
            op.to_edge(DOWN, buff=theme.EDGE + 0.55).set_x(0)
        labels = VGroup(
            *[self.text("span", size=theme.SMALL, color=theme.MUTED, k=2**lv) for lv in range(self.depth + 1)]
        )
        label_w = max(lab.width for lab in labels)
        left, right = -7.11 + theme.EDGE + label_w + 0.35, 7.11 - theme.EDGE
        pitch = min(1.5, (right - left) / self.n)
        x0 = (left + right) / 2 - pitch * (self.n - 1) / 2
        self.leaf_x = np.array([x0 + k * pitch for k in range(self.n)])
        for lv, lab in enumerate(labels):
            lab.move_to([0, LEAF_Y + lv * ROW, 0]).to_edge(LEFT, buff=theme.EDGE)
        self.nodes: dict[tuple[int, int], VGroup] = {}
        leaves = VGroup()
        for k, e in enumerate(self.tr.leaves):
            node = self._node(float(e.a), float(e.b), 0, k, pad=k >= self.L)
            self.nodes[(0, k)] = node
            leaves.add(node)
        toks = VGroup()
        for k in range(self.n):
            tok = self.m.tokens[k] if k < self.L else self.t("pad")
            lab = self.plain(tok, size=theme.SMALL, color=theme.INPUT if k < self.L else theme.MUTED)
            if lab.width > pitch * 0.95:
                lab.scale_to_fit_width(pitch * 0.95)
            toks.add(lab.next_to(leaves[k], DOWN, buff=0.15))
        leg = VGroup(
            symbol_label(self.t("a_leg"), r"a_t = \bar A_t", theme.MAT_A),
            symbol_label(self.t("b_leg"), r"b_t = \bar B_t x_t", theme.MAT_B),
        ).arrange(DOWN, aligned_edge=LEFT, buff=0.12)
        leg.move_to(self._xy(self.depth, 0)).to_edge(RIGHT, buff=theme.EDGE)
        cap = self.text("leaves", size=theme.LABEL, d=p.channel + 1, n=p.state + 1)
        caps = VGroup(cap)
        if self.n > self.L:
            caps.add(self.text("pads", size=theme.LABEL, color=theme.MUTED, n=self.n, depth=self.depth))
        caps.arrange(DOWN, buff=0.1).to_edge(DOWN, buff=theme.EDGE).set_x(0)
        self.play(FadeIn(op), FadeIn(toks), FadeIn(labels[0]), FadeIn(leg))
        self.play(LaggedStart(*[FadeIn(nd, shift=0.2 * UP) for nd in leaves], lag_ratio=0.1), FadeIn(caps))
        self.next_slide()
        self.op, self.labels, self.toks, self.leg, self.caption = op, labels, toks, leg, caps

    def _caption(self, key: str, **fmt) -> VGroup:
        cap = self.text(key, size=theme.LABEL, **fmt)
        if cap.width > 13.4:
            cap.scale_to_fit_width(13.4)
        return cap.to_edge(DOWN, buff=theme.EDGE).set_x(0)

    def show_up_sweep(self) -> None:
        self.edges = VGroup()
        self.play(FadeOut(self.caption))
        self.caption = self._caption("up")
        self.play(FadeIn(self.caption))
        for lv, written in enumerate(self.tr.up, start=1):
            nodes, edges = VGroup(), VGroup()
            for e in written:
                j = (e.index + 1) // 2**lv - 1
                node = self._node(float(e.a), float(e.b), lv, j)
                self.nodes[(lv, j)] = node
                nodes.add(node)
                for child in (2 * j, 2 * j + 1):
                    edges.add(
                        Line(
                            self.nodes[(lv - 1, child)].get_top(), node.get_bottom(), color=theme.GRID
                        ).set_stroke(width=2)
                    )
            self.edges.add(edges)
            self.play(Create(edges), FadeIn(self.labels[lv]), run_time=0.6)
            self.play(
                LaggedStart(*[FadeIn(nd, shift=0.15 * UP) for nd in nodes], lag_ratio=0.15), run_time=0.8
            )
            self.wait(0.6)
        root = self.tr.up[-1][0]
        cap = self._caption("root", h=theme.fmt(float(root.b), 3))
        box = self.nodes[(self.depth, 0)][0]
        self.play(ReplacementTransform(self.caption, cap), box.animate.set_stroke(theme.ACCENT))
        self.caption = cap
        self.wait(1.5)
        self.shown.update(root=(float(root.a), float(root.b)))
        self.next_slide()

    def show_down_sweep(self) -> None:
        cap = self._caption("down")
        root = self._node(1.0, 0.0, self.depth, 0, stroke=theme.ACCENT, b_color=theme.STATE)  # the identity
        self.play(
            ReplacementTransform(self.caption, cap), ReplacementTransform(self.nodes[(self.depth, 0)], root)
        )
        self.nodes[(self.depth, 0)] = root
        self.caption = cap
        for written in self.tr.down:
            lv = written[0].level - 1  # level d writes both children of its spans: tree level d − 1
            olds, news = [], []
            for e in written:
                j = (e.index + 1) // 2**lv - 1
                pad = lv == 0 and j >= self.L  # the padding keeps its dashed outline
                new = self._node(
                    float(e.a), float(e.b), lv, j, stroke=theme.STATE, b_color=theme.STATE, pad=pad
                )
                olds.append(self.nodes[(lv, j)])
                news.append(new)
                self.nodes[(lv, j)] = new
            self.play(*[ReplacementTransform(o, n) for o, n in zip(olds, news, strict=True)], run_time=1.0)
            self.wait(0.6)
        cap = self._caption("prefix")
        self.play(ReplacementTransform(self.caption, cap))
        self.caption = cap
        self.next_slide()

    def show_result(self) -> None:
        p = self.params
        tree = VGroup(*self.nodes.values(), self.edges, self.labels, self.toks, self.leg, self.caption)
        self.play(FadeOut(tree))
        vmax = float(np.max(np.abs(self.m.scan.h))) or 1.0  # the selective_scan scene's colour scale
        title = self.text("track", size=theme.BODY, color=theme.STATE, d=p.channel + 1, n=p.state + 1)
        cell = min(0.95, 9.6 / self.L)
        par = Heatmap(self.tr.h[None, :], vmax=vmax, cell=cell, digits=3)
        seq = Heatmap(self.h_seq[None, :], vmax=vmax, cell=cell, digits=3)
        strips = VGroup(par, seq).arrange(DOWN, buff=0.55)
        names = VGroup(
            self.text("parallel", size=theme.LABEL, color=theme.ACCENT),
            self.text("sequential", size=theme.LABEL, color=theme.FG),
        )
        for name, strip in zip(names, strips, strict=True):
            name.next_to(strip, LEFT, buff=0.3)
        eqs = VGroup(
            *[
                MathTex("=", font_size=30, color=theme.MUTED).move_to(
                    (par.cell_at(0, k).get_bottom() + seq.cell_at(0, k).get_top()) / 2
                )
                for k in range(self.L)
            ]
        )
        toks = VGroup()
        for k, tok in enumerate(self.m.tokens):
            lab = self.plain(tok, size=theme.SMALL, color=theme.INPUT)
            if lab.width > cell * 0.95:
                lab.scale_to_fit_width(cell * 0.95)
            toks.add(lab.next_to(seq.cell_at(0, k), DOWN, buff=0.15))
        last = VGroup(
            self.text("last", size=theme.LABEL, color=theme.MUTED),
            MathTex(r"h_t = a_t\, h_{t-1} + b_t", font_size=34, color=theme.STATE),
        ).arrange(RIGHT, buff=0.25)
        body = VGroup(title, last, VGroup(strips, names, eqs, toks))
        body.arrange(DOWN, buff=0.4)
        body[0].set_x(0)
        body[1].set_x(0)
        body.move_to(DOWN * 0.2)
        if body.get_left()[0] < -6.7:
            body.shift(RIGHT * (-6.7 - body.get_left()[0]))
        cap = self._caption("equal", depth=self.depth, L=self.L)
        cap.set_color(theme.ACCENT)
        self.play(FadeIn(title), FadeIn(last))
        self.play(FadeIn(par), FadeIn(names[0]), FadeIn(toks))
        self.play(FadeIn(seq), FadeIn(names[1]), FadeIn(eqs))
        self.play(FadeIn(cap))
        self.wait(2.5)
