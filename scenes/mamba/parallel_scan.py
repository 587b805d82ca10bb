"""The parallel scan: an associative operator on (a, b) pairs and Blelloch's up-sweep / down-sweep tree."""

from __future__ import annotations

import numpy as np
from manim import (
    DOWN,
    LEFT,
    RIGHT,
    UP,
    Create,
    FadeIn,
    FadeOut,
    LaggedStart,
    Line,
    ReplacementTransform,
    VGroup,
    Write,
)

from lib.mamba.scan import combine
from lib.mamba.toy_mamba import channel_scan
from scenes.engine.base import LectureScene
from scenes.engine.registry import register
from scenes.kit import numbers, theme
from scenes.kit.diagram import Block, tree_points
from scenes.kit.equation import Equation
from scenes.kit.formula import Num, formula
from scenes.kit.frame import SAFE, below, column, fit_width, keep_inside, row, to_safe
from scenes.kit.matrix import Heatmap
from scenes.kit.record import number, tag
from scenes.kit.text import symbol_label, tex
from scenes.mamba.params._toy import RANDOM_EXAMPLE
from scenes.mamba.params.parallel_scan import Params as ParallelScanParams

NODE_W, NODE_H = 1.2, 0.66  # a tree node: its (a, b) pair, one number a line
ROW = 1.15  # vertical distance between tree levels
MAX_PITCH = 1.5  # widest distance between neighbouring leaves
UNDER_LEAVES = 1.9  # room kept under the leaf row's centre: its tokens and a two-line caption
STRIP_W = 9.6  # the widest the two result strips may be
OPERATOR = r"(a_1, b_1) \circ (a_2, b_2) = (a_2 a_1,\; a_2 b_1 + b_2)"


@register("mamba.parallel_scan")
class ParallelScan(LectureScene):
    """The parallel scan: an associative operator on (a, b) pairs lets a Blelloch tree compute every h_t."""

    Params = ParallelScanParams

    EXAMPLES = (
        {
            "model": "random",
            "sentence": "short inputs are padded too",
            "d_inner": 3,
            "d_state": 3,
            "seed": 2,
            "channel": 1,
            "state": 2,
            "discretization": "mamba",
        },
        RANDOM_EXAMPLE,
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
            "track": "state h_t[{d}, {n}] over the input",
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
            "track": "状态 h_t[{d}, {n}] 随输入的变化",
            "last": "每个叶子再做最后一步，同时进行：",
            "parallel": "并行扫描",
            "sequential": "顺序扫描",
            "equal": "数值完全相同：{depth} + {depth} 层树，而不是依次计算 {L} 步",
        },
    }

    # What the lecturer says per beat; every number comes in through a field drawn on screen.
    NARRATION = {
        "en": {
            "recurrence": "The selective scan looks sequential: each state needs the one before it. But "
            "follow one channel and one state entry, and every step is just h equals a times the old h, "
            "plus b.",
            "operator": "Such a step is an affine map, written as a pair, a and b. Doing one step after "
            "another is again an affine map: multiply the a's, and carry the first b through the second "
            "step.",
            "assoc": "This composition is associative: group three steps either way and you get the same "
            "pair. So we may compose the steps in any grouping we like, for instance in a tree.",
            "leaves": "Each token becomes a leaf holding its pair, for channel {d} and state {n}: a is the "
            "decay, b the input. If the sequence is shorter than a power of two, identity pairs pad it "
            "out; they change nothing.",
            "up": "The up-sweep. Each node composes its left and right child, and a whole level is done at "
            "once. After {depth} levels, the root spans all {n_leaves} leaves.",
            "root": "The root is the whole sequence as one step. Starting from zero, its b is the final "
            "state: {h}.",
            "down": "The down-sweep hands every node what came before it. The root gets the identity; a "
            "left child gets its parent's value, and a right child gets the parent composed with its left "
            "sibling's total.",
            "prefix": "Now every leaf holds all the steps before its token, so its b is the state just "
            "before that token arrives.",
            "result": "One last step at every leaf, all at the same time, gives every state of the sequence.",
            "equal": "Below, the sequential scan: the same numbers. The tree needs {depth} levels up and "
            "{depth} down instead of {L} steps in a row, and on a GPU that is what makes long sequences "
            "fast.",
        },
        "zh": {
            "recurrence": "选择性扫描看上去只能顺序计算：每个状态都依赖前一个。但只看一个通道、一个状态分量，"
            "每一步不过是 h 等于 a 乘以旧的 h，再加上 b。",
            "operator": "这样的一步是一个仿射映射，可以写成一对数 a 和 b。连续做两步，结果还是仿射映射："
            "两个 a 相乘，第一步的 b 再经过第二步。",
            "assoc": "这种复合满足结合律：三步无论怎么分组，得到的都是同一对数。"
            "所以我们可以任意分组来复合，比如按一棵树来算。",
            "leaves": "每个 token 变成一个叶子，存着通道 {d}、状态 {n} 上的一对数：a 是衰减，b 是输入。"
            "序列长度不够二的幂时，用单位元补齐，它们不改变任何结果。",
            "up": "先是上扫。每个节点把左右两个子节点复合起来，同一层一次算完。经过 {depth} 层，"
            "根节点就覆盖了全部 {n_leaves} 个叶子。",
            "root": "根节点把整个序列合成了一步。从零出发，它的 b 就是最后的状态：{h}。",
            "down": "下扫把每个节点之前的所有步骤传下去。根节点换成单位元；左子节点拿到父节点的值，"
            "右子节点拿到父节点与左兄弟总和的复合。",
            "prefix": "现在每个叶子都保存了它那个 token 之前的所有步骤，所以它的 b 就是这个 token "
            "到来之前的状态。",
            "result": "在每个叶子上同时再做最后一步，就得到了整个序列的每一个状态。",
            "equal": "下面是顺序扫描的结果：数值完全一样。这棵树只需要上扫 {depth} 层、下扫 {depth} 层，"
            "而不是依次计算 {L} 步；在 GPU 上，长序列正是靠这个变快的。",
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
        self.m = p.toy()
        self.tr = channel_scan(self.m, p.channel, p.state)
        self.L, self.n = self.tr.length, self.tr.padded_length
        self.depth = self.n.bit_length() - 1
        self.h_seq = self.m.scan.h[:, p.channel, p.state]  # (L,)  the sequential scan's h_t[d, n]
        leaves = [(float(e.a), float(e.b)) for e in self.tr.leaves]
        self.assoc = None
        if self.n >= 3:  # ((e1 ∘ e2) ∘ e3) and (e1 ∘ (e2 ∘ e3)), both by lib's operator
            e1, e2, e3 = leaves[:3]
            self.assoc = (combine(combine(e1, e2), e3), combine(e1, combine(e2, e3)))

    # --- a tree node: its (a, b) pair in a box ------------------------------------------------------
    def _node(
        self, a: float, b: float, key: str, index: tuple, *, stroke=theme.GRID, b_color=theme.MAT_B, pad=False
    ):
        """The pair (a, b) in a box at tree position ``index`` = (level, j), tagged ``{key}_a``/``_b``."""
        lines = [
            number(
                a, 3, key=f"{key}_a", index=index, size=theme.SMALL, color=theme.MUTED if pad else theme.MAT_A
            ),
            number(
                b, 3, key=f"{key}_b", index=index, size=theme.SMALL, color=theme.MUTED if pad else b_color
            ),
        ]
        box = Block(
            None, lines=lines, color=theme.MUTED if pad else stroke, width=NODE_W, height=NODE_H, dashed=pad
        )
        return box.move_to(self.at[index])

    # --- beats -------------------------------------------------------------------------------------
    def show_operator(self) -> None:
        p = self.params
        self.header = self.title_bar("title", "subtitle")
        rec = Equation(
            r"h_t = a_t\, h_{t-1} + b_t \qquad a_t = \bar A_t[d, n],\;\; b_t = \bar B_t x_t[d, n]",
            terms=["a_t", "b_t"],
            colors={"a_t": theme.MAT_A, "b_t": theme.MAT_B},
            font_size=34,
        )
        step = self.text("step", size=theme.LABEL, color=theme.MUTED)
        op = tex(OPERATOR, size=40, color=theme.ACCENT)
        assoc_txt = self.text("assoc", size=theme.LABEL, color=theme.MUTED)
        assoc = tex(
            r"(e_1 \circ e_2) \circ e_3 = (a_3 a_2 a_1,\; a_3 a_2 b_1 + a_3 b_2 + b_3)"
            r" = e_1 \circ (e_2 \circ e_3)",
            size=32,
        )
        groups = [[rec, step], [op, assoc_txt], [assoc]]
        if self.assoc is not None:
            (l_a, l_b), (r_a, r_b) = self.assoc
            check = self.text("check", size=theme.LABEL, color=theme.MUTED, d=p.channel + 1, n=p.state + 1)
            nums = formula(
                r"(e_1 \circ e_2) \circ e_3 = (",
                Num(l_a, "assoc_left", (0,), 3),
                r",\;",
                Num(l_b, "assoc_left", (1,), 3),
                r")\qquad e_1 \circ (e_2 \circ e_3) = (",
                Num(r_a, "assoc_right", (0,), 3),
                r",\;",
                Num(r_b, "assoc_right", (1,), 3),
                ")",
                font_size=32,
            )
            groups[2].append(check)
            groups.append([nums])
        for m in (line for g in groups for line in g):
            fit_width(m)
        block = column(
            [column(g, buff=theme.BUFF_SMALL, align="center") for g in groups],
            buff=theme.BUFF,
            align="center",
        )
        below(block, self.header, buff=theme.BUFF_LARGE, align="center").set_x(0)
        lines = [line for g in groups for line in g]
        with self.beat("recurrence"):
            self.play(FadeIn(self.header))
            self.play(Write(rec))
        with self.beat("operator"):
            self.play(FadeIn(step), Write(op))
            self.wait(1.5)
        self.next_slide()
        with self.beat("assoc"):
            self.play(FadeIn(assoc_txt), Write(assoc))
            if self.assoc is not None:
                self.play(FadeIn(lines[5]), FadeIn(lines[6]))
            self.wait(2.0)
        self.next_slide()
        self.play(FadeOut(VGroup(*lines)))

    def show_leaves(self) -> None:
        p = self.params
        op = tex(OPERATOR, size=28, color=theme.ACCENT)
        fit_width(op, SAFE.right - self.header.get_right()[0] - theme.BUFF_LARGE)  # beside the title
        to_safe(op, UP, RIGHT)
        labels = VGroup(
            *[self.text("span", size=theme.SMALL, color=theme.MUTED, k=2**lv) for lv in range(self.depth + 1)]
        )
        left = SAFE.left + max(lab.width for lab in labels) + theme.BUFF_LARGE  # leaves start right of labels
        pitch = min(MAX_PITCH, (SAFE.right - left) / self.n)
        x0 = (left + SAFE.right) / 2 - pitch * (self.n - 1) / 2
        self.at = tree_points(
            self.n, pitch=pitch, rise=ROW, origin=np.array([x0, SAFE.bottom + UNDER_LEAVES, 0])
        )
        for lv, lab in enumerate(labels):
            to_safe(lab.move_to(self.at[(lv, 0)]), LEFT)
        self.nodes: dict[tuple[int, int], VGroup] = {}
        leaves = VGroup()
        for k, e in enumerate(self.tr.leaves):
            node = self._node(float(e.a), float(e.b), "leaf", (0, k), pad=k >= self.L)
            self.nodes[(0, k)] = node
            leaves.add(node)
        toks = VGroup()
        for k in range(self.n):
            tok = self.m.tokens[k] if k < self.L else self.t("pad")
            lab = self.plain(tok, size=theme.SMALL, color=theme.INPUT if k < self.L else theme.MUTED)
            fit_width(tag(lab, "leaf_tokens", tok, (k,)), pitch - theme.BUFF_TIGHT)
            toks.add(lab.next_to(leaves[k], DOWN, buff=theme.BUFF_SMALL))
        leg = column(
            [
                symbol_label(self.t("a_leg"), r"a_t = \bar A_t", theme.MAT_A),
                symbol_label(self.t("b_leg"), r"b_t = \bar B_t x_t", theme.MAT_B),
            ],
            buff=theme.BUFF_SMALL,
        )
        to_safe(leg.move_to(self.at[(self.depth, 0)]), RIGHT)
        cap = self.text("leaves", size=theme.LABEL, d=p.channel + 1, n=p.state + 1)
        caps = VGroup(cap)
        if self.n > self.L:
            pads = self.text("pads", size=theme.LABEL, color=theme.MUTED, n=self.n, depth=self.depth)
            caps.add(tag(pads, "pads", (self.n, self.depth)))
        to_safe(column(caps, buff=theme.BUFF_TIGHT, align="center").set_x(0), DOWN)
        with self.beat("leaves", d=p.channel + 1, n=p.state + 1):
            self.play(FadeIn(op), FadeIn(toks), FadeIn(labels[0]), FadeIn(leg))
            self.play(
                LaggedStart(*[FadeIn(nd, shift=0.2 * UP) for nd in leaves], lag_ratio=0.1), FadeIn(caps)
            )
        self.next_slide()
        self.op, self.labels, self.toks, self.leg, self.caption = op, labels, toks, leg, caps

    def _caption(self, key: str, **fmt) -> VGroup:
        cap = fit_width(self.text(key, size=theme.LABEL, **fmt))
        return to_safe(cap.set_x(0), DOWN)

    def show_up_sweep(self) -> None:
        self.edges = VGroup()
        self.play(FadeOut(self.caption))
        self.caption = self._caption("up")
        with self.beat("up", depth=self.depth, n_leaves=self.n):
            self.play(FadeIn(self.caption))
            self.up_levels()
        root = self.tr.up[-1][0]
        h = numbers.fixed(float(root.b), 3)
        cap = tag(self._caption("root", h=h), "root_b", float(root.b))
        with self.beat("root", h=h):
            self.play(
                ReplacementTransform(self.caption, cap),
                self.nodes[(self.depth, 0)].box.animate.set_stroke(theme.ACCENT),
            )
            self.caption = cap
            self.wait(1.5)
        self.next_slide()

    def up_levels(self) -> None:
        """The up-sweep's levels, one at a time: each node composes its two children (left ∘ right)."""
        for lv, written in enumerate(self.tr.up, start=1):
            nodes, edges = VGroup(), VGroup()
            for e in written:
                j = (e.index + 1) // 2**lv - 1  # lib writes a span's total at its last position
                node = self._node(float(e.a), float(e.b), "up", (lv, j))
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

    def show_down_sweep(self) -> None:
        cap = self._caption("down")
        top = (self.depth, 0)
        root = self._node(1.0, 0.0, "down", top, stroke=theme.ACCENT, b_color=theme.STATE)  # the identity
        with self.beat("down"):
            self.play(ReplacementTransform(self.caption, cap), ReplacementTransform(self.nodes[top], root))
            self.nodes[top] = root
            self.caption = cap
            self.down_levels()
        cap = self._caption("prefix")
        with self.beat("prefix"):
            self.play(ReplacementTransform(self.caption, cap))
        self.caption = cap
        self.next_slide()

    def down_levels(self) -> None:
        """The down-sweep's levels, top to bottom: each node replaced by everything before its span."""
        for written in self.tr.down:
            lv = written[0].level - 1  # level d writes both children of its spans: tree level d − 1
            olds, news = [], []
            for e in written:
                j = (e.index + 1) // 2**lv - 1
                pad = lv == 0 and j >= self.L  # the padding keeps its dashed outline
                new = self._node(
                    float(e.a), float(e.b), "down", (lv, j), stroke=theme.STATE, b_color=theme.STATE, pad=pad
                )
                olds.append(self.nodes[(lv, j)])
                news.append(new)
                self.nodes[(lv, j)] = new
            self.play(*[ReplacementTransform(o, n) for o, n in zip(olds, news, strict=True)], run_time=1.0)
            self.wait(0.6)

    def show_result(self) -> None:
        p = self.params
        tree = VGroup(*self.nodes.values(), self.edges, self.labels, self.toks, self.leg, self.caption)
        self.play(FadeOut(tree))
        vmax = float(np.max(np.abs(self.m.scan.h))) or 1.0  # the selective_scan scene's colour scale
        title = self.text("track", size=theme.BODY, color=theme.STATE, d=p.channel + 1, n=p.state + 1)
        cell = min(0.95, STRIP_W / self.L)
        par = Heatmap(self.tr.h, key="h_parallel", vmax=vmax, cell=cell, digits=3)
        seq = Heatmap(self.h_seq, key="h_sequential", vmax=vmax, cell=cell, digits=3)
        strips = column([par, seq], buff=theme.BUFF_SECTION, align="center")
        names = VGroup(
            self.text("parallel", size=theme.LABEL, color=theme.ACCENT),
            self.text("sequential", size=theme.LABEL, color=theme.FG),
        )
        for name, strip in zip(names, strips, strict=True):
            name.next_to(strip, LEFT, buff=theme.BUFF)
        eqs = VGroup(
            *[
                tex("=", size=30, color=theme.MUTED).move_to(
                    (par.cell_at(0, k).get_bottom() + seq.cell_at(0, k).get_top()) / 2
                )
                for k in range(self.L)
            ]
        )
        toks = VGroup()
        for k, tok in enumerate(self.m.tokens):
            lab = fit_width(
                tag(self.plain(tok, size=theme.SMALL, color=theme.INPUT), "tokens", tok, (k,)),
                cell - theme.BUFF_TIGHT,
            )
            toks.add(lab.next_to(seq.cell_at(0, k), DOWN, buff=theme.BUFF_SMALL))
        last = row(
            [
                self.text("last", size=theme.LABEL, color=theme.MUTED),
                tex(r"h_t = a_t\, h_{t-1} + b_t", size=34, color=theme.STATE),
            ],
            buff=theme.BUFF,
        )
        body = column([title, last, VGroup(strips, names, eqs, toks)], buff=theme.BUFF_LARGE, align="center")
        below(body, self.header, buff=theme.BUFF_LARGE).set_x(0)
        title.set_x(0)
        last.set_x(0)
        keep_inside(body)
        cap = tag(self._caption("equal", depth=self.depth, L=self.L), "equal", (self.depth, self.L))
        cap.set_color(theme.ACCENT)
        with self.beat("result"):
            self.play(FadeIn(title), FadeIn(last))
            self.play(FadeIn(par), FadeIn(names[0]), FadeIn(toks))
        with self.beat("equal", depth=self.depth, L=self.L):
            self.play(FadeIn(seq), FadeIn(names[1]), FadeIn(eqs))
            self.play(FadeIn(cap))
            self.wait(2.5)
