"""Graph convolution: a small graph, A and Â = D̃^{-1/2}(A + I)D̃^{-1/2}, one GCN step H' = ÂHW for one node
(Kipf & Welling 2017, eq. 2), the normalised Laplacian's smoothest eigenvectors on the nodes (§2, eq. 3), and
GCN vs GAT (Veličković et al. 2018) vs GraphSAGE (Hamilton et al. 2017) parameters and FLOPs.
"""

from __future__ import annotations

import numpy as np
from manim import DOWN, RIGHT, Create, Graph, VGroup, Write

from lib.arithmetic.cost_graph import gat_cost, gcn_cost, sage_cost
from lib.nets.gcn_walkthrough import gcn_walkthrough
from scenes.engine.base import LectureScene
from scenes.engine.registry import register
from scenes.kit import numbers, theme
from scenes.kit.anim import fade_in, fade_out
from scenes.kit.equation import Equation
from scenes.kit.frame import SAFE, below, column, fit, fit_width, row
from scenes.kit.matrix import Heatmap
from scenes.kit.record import number, tag
from scenes.kit.table import NumberTable
from scenes.layers.params.graph import Params as GraphParams

HOLD = theme.HOLD_SHORT  # seconds to read a slide (scenes/kit/theme.py)
RADIUS = 0.3  # a node: room for its number, or for "−0.37" in the spectral view
SPECTRAL_RADIUS = 0.34
EIGEN_SHOWN = 3  # the smoothest eigenvectors drawn on the graph: u₀, u₁ (Fiedler), u₂
EQ_SIZE = 36


def fixed2(v: float) -> str:
    return numbers.fixed(float(v), 2)


def vec_str(v: np.ndarray) -> str:
    """A row vector as the table writes it: (0.38, −0.21)."""
    return "(" + ", ".join(fixed2(x) for x in v) + ")"


def sub(k: int) -> str:
    return numbers.subscript(k)


@register("layers.graph")
class GraphConv(LectureScene):
    """A GCN step with numbers, the spectral view and the cost of three graph layers."""

    Params = GraphParams

    EXAMPLES = (
        {"graph": "ring", "features": 2, "out_features": 1, "seed": 3, "node": 1, "cost_nodes": 100_000,
         "cost_edges": 1_000_000, "cost_in": 128, "cost_out": 128, "heads": 4},
    )  # fmt: skip

    STRINGS = {
        "en": {
            "title": "Graph convolution",
            "subtitle": "Kipf & Welling 2017 · Veličković et al. 2018 · Hamilton et al. 2017",
            "a_head": "adjacency A: 1 where two nodes are joined",
            "graph_caption": "{n} nodes, {e} edges",
            "a_hat_head": "Â: each edge weighted by 1 / √(d̃ᵢ d̃ⱼ)",
            "deg": "d̃",
            "h_head": "H (features)",
            "w_head": "W",
            "hw_head": "H W",
            "col_j": "j",
            "col_a": "Âᵢⱼ",
            "col_msg": "(H W)ⱼ",
            "col_term": "Âᵢⱼ · (H W)ⱼ",
            "node_head": "node {i}: h′ = Σⱼ Âᵢⱼ (H W)ⱼ over its neighbours and itself",
            "lam_head": "eigenvalues of L = I − D^(−1/2) A D^(−1/2)",
            "u_label": "u{k}:  λ{k} = {lam}",
            "cost_head": "one layer, {N} nodes, {E} edges, {F} → {Fo} features (GAT: {K} heads)",
            "col_layer": "layer",
            "col_params": "parameters",
            "col_flops": "FLOPs",
            "col_share": "on the edges",
        },
        "zh": {
            "title": "图卷积",
            "subtitle": "Kipf 与 Welling 2017 · Veličković 等 2018 · Hamilton 等 2017",
            "a_head": "邻接矩阵 A：两个节点相连处为 1",
            "graph_caption": "{n} 个节点，{e} 条边",
            "a_hat_head": "Â：每条边的权重为 1 / √(d̃ᵢ d̃ⱼ)",
            "deg": "d̃",
            "h_head": "H（特征）",
            "w_head": "W",
            "hw_head": "H W",
            "col_j": "j",
            "col_a": "Âᵢⱼ",
            "col_msg": "(H W)ⱼ",
            "col_term": "Âᵢⱼ · (H W)ⱼ",
            "node_head": "节点 {i}：h′ = Σⱼ Âᵢⱼ (H W)ⱼ，对它的邻居和它自己求和",
            "lam_head": "L = I − D^(−1/2) A D^(−1/2) 的特征值",
            "u_label": "u{k}：λ{k} = {lam}",
            "cost_head": "一层，{N} 个节点，{E} 条边，{F} → {Fo} 个特征（GAT：{K} 个头）",
            "col_layer": "层",
            "col_params": "参数量",
            "col_flops": "FLOPs",
            "col_share": "沿边计算",
        },
    }

    NARRATION = {
        "en": {
            "graph": "A graph of {n} nodes and {e} edges. Its adjacency matrix has a one wherever two nodes "
            "are joined: that is all a graph layer knows about the structure.",
            "normalise": "A GCN adds a self-loop to every node, then divides each entry by the square root "
            "of both degrees. Node {i} has {d} entries in its row, so its own weight is {a_ii}: busy nodes "
            "do not drown out the rest.",
            "transform": "Every node's features go through the same weight matrix W, like a linear layer "
            "applied node by node.",
            "aggregate": "Node {i} then sums the transformed features of its neighbours and of itself, "
            "weighted by its row of A hat. The result, {total}, is its new feature vector.",
            "spectral": "The spectral view: the eigenvectors of the normalised Laplacian are the graph's "
            "Fourier basis. The first eigenvalue is {lam0}, and its eigenvector barely varies.",
            "fiedler": "The next, with eigenvalue {lam1}, is the smoothest non-trivial signal: its sign "
            "splits the graph where it is thinnest. A GCN is a low-pass filter in this basis.",
            "cost": "On a graph of {N} nodes, a GCN layer has {gcn_params} parameters and costs {gcn_flops}. "
            "GAT adds only its attention vectors, {gat_params} parameters, and its work along the edges "
            "grows from {gcn_edge} to {gat_edge}. GraphSAGE keeps a second weight matrix: {sage_params}.",
        },
        "zh": {
            "graph": "这是一个有 {n} 个节点、{e} 条边的图。两个节点相连的地方，邻接矩阵就是一："
            "图网络层对图结构的全部了解，就是这个矩阵。",
            "normalise": "GCN 先给每个节点加一个自环，再把每个元素除以两端度数乘积的平方根。"
            "节点 {i} 这一行有 {d} 个非零元素，所以它自己的权重是 {a_ii}：度数高的节点不会盖过其他节点。",
            "transform": "每个节点的特征都乘以同一个权重矩阵 W，就像对每个节点分别做一次线性层。",
            "aggregate": "然后，节点 {i} 按 Â 的这一行，对它自己和邻居变换后的特征加权求和。"
            "结果 {total} 就是它新的特征向量。",
            "spectral": "换成谱的视角：归一化拉普拉斯矩阵的特征向量，就是图上的傅里叶基。"
            "第一个特征值是 {lam0}，它的特征向量几乎不变。",
            "fiedler": "下一个特征值是 {lam1}，对应最平滑的非平凡信号：它的正负号在图最细的地方把图分开。"
            "在这组基下，GCN 是一个低通滤波器。",
            "cost": "在一个有 {N} 个节点的图上，一层 GCN 有 {gcn_params} 个参数，计算量 {gcn_flops}。"
            "GAT 只多了注意力向量，共 {gat_params} 个参数，沿边的计算量从 {gcn_edge} 增加到 {gat_edge}。"
            "GraphSAGE 另留一个权重矩阵：{sage_params} 个参数。",
        },
    }

    def construct(self) -> None:
        self.compute()
        self.header = self.title_bar("title", "subtitle")
        self.add(self.header)
        self.show_graph()
        self.show_step()
        self.show_spectrum()
        self.show_cost()

    def compute(self) -> None:
        p = self.params
        self.g = gcn_walkthrough(p.graph, p.features, p.out_features, p.seed, p.node - 1)
        n, e, f, fo, k = p.cost_nodes, p.cost_edges, p.cost_in, p.cost_out, p.heads
        self.costs = [gcn_cost(n, e, f, fo), gat_cost(n, e, f, fo, k), sage_cost(n, e, f, fo)]
        layout = Graph(list(range(self.g.n)), list(self.g.edges), layout="kamada_kawai", layout_scale=1.9)
        pts = np.array([layout.vertices[v].get_center() for v in range(self.g.n)])  # (N, 3)
        if np.ptp(pts[:, 1]) > np.ptp(pts[:, 0]):  # lie the graph down: three copies sit side by side
            pts = pts[:, [1, 0, 2]] * np.array([1.0, -1.0, 1.0])
        self.layout = {v: pts[v] for v in range(self.g.n)}

    # --- helpers ---------------------------------------------------------------------------------------
    def centre(self, content: VGroup) -> None:
        """Centre ``content`` in the free area under the title bar."""
        below(content, self.header, buff=theme.BUFF_SECTION).set_x(0)
        room = content.get_bottom()[1] - SAFE.bottom
        if room > 0:
            content.shift(DOWN * room / 2)

    def centre_y(self, mob: VGroup) -> None:
        """Centre ``mob`` vertically in the free area under the title bar (x unchanged)."""
        top = self.header.get_bottom()[1] - theme.BUFF_SECTION
        mob.set_y((top + SAFE.bottom) / 2)
        if mob.get_top()[1] > top:
            mob.shift(DOWN * (mob.get_top()[1] - top))

    def drawing(self, values: np.ndarray | None = None, radius: float = RADIUS, key: str = "") -> VGroup:
        """The graph on its fixed layout. Without ``values`` each node carries its number (from 1) and the
        worked node is in ACCENT; with ``values`` each node is filled by the diverging map and writes its
        value (tagged ``key``, index (node,))."""
        g = Graph(
            list(range(self.g.n)),
            list(self.g.edges),
            layout=self.layout,
            vertex_config={"radius": radius, "fill_opacity": 1.0, "stroke_width": 2},
            edge_config={"stroke_color": theme.MUTED, "stroke_width": 3},
        )
        labels = VGroup()
        vmax = float(np.abs(values).max()) if values is not None else 1.0
        for v in range(self.g.n):
            dot = g.vertices[v]
            if values is None:
                accent = v == self.g.node.node
                dot.set_fill(theme.ACCENT if accent else theme.BACKGROUND).set_stroke(
                    theme.ACCENT if accent else theme.INPUT
                )
                lab = self.plain(str(v + 1), size=theme.SMALL, color=theme.BACKGROUND if accent else theme.FG)
            else:
                fill = theme.diverging(float(values[v]), vmax)
                dot.set_fill(fill).set_stroke(theme.GRID)
                lab = number(float(values[v]), 2, key=key, index=(v,), color=theme.ink_on(fill))
            labels.add(lab.move_to(dot))
        return VGroup(g, labels)

    # --- beats -----------------------------------------------------------------------------------------
    def show_graph(self) -> None:
        g = self.g
        names = [str(v + 1) for v in range(g.n)]
        graph = self.drawing()
        adj = Heatmap(
            g.adj, key="adj", scale="plain", color=theme.INPUT, fmt=numbers.integer,
            row_labels=names, col_labels=names, cell=0.52,
        )  # fmt: skip
        a_head = self.text("a_head", size=theme.LABEL, color=theme.MUTED)
        right = column([a_head, adj], buff=theme.BUFF, align="center")
        n, e = numbers.integer(g.n), numbers.integer(len(g.edges))
        caption = self.text("graph_caption", size=theme.LABEL, color=theme.MUTED, n=n, e=e)
        left = column([graph, caption], buff=theme.BUFF, align="center")
        content = fit_width(row([left, right], buff=theme.BUFF_SECTION * 2))
        self.centre(content)
        with self.beat("graph", n=n, e=e):
            self.play(Create(graph[0]), fade_in(graph[1]), fade_in(caption))
            self.play(fade_in(right))
            self.wait(HOLD)
        self.next_slide()
        # Â replaces A in place, with the equation above it and the degrees beside it
        i = g.node.node
        a_hat = Heatmap(
            g.layer.a_hat, key="a_hat", scale="sequential", fmt=fixed2,
            row_labels=names, col_labels=names, cell=0.52 * 1.25,
        )  # fmt: skip
        deg = Heatmap(
            g.layer.degree[:, None], key="degree", scale="plain", color=theme.FG, fmt=numbers.integer,
            col_labels=[self.t("deg")], cell=0.52 * 1.25,
        )  # fmt: skip
        eq = Equation(
            r"\hat A = \tilde D^{-1/2} (A + I) \tilde D^{-1/2}",
            terms=[r"\hat A", "I"],
            colors={"I": theme.ACCENT},
            font_size=EQ_SIZE,
        )
        head = self.text("a_hat_head", size=theme.LABEL, color=theme.MUTED)
        block = row([a_hat, deg], buff=theme.BUFF, align="bottom")
        right2 = column([eq, head, block], buff=theme.BUFF, align="center")
        # the graph keeps its place; Â and its equation take the space A leaves on the right
        gap = theme.BUFF_SECTION * 2
        fit(right2, SAFE.right - left.get_right()[0] - gap, self.header.get_bottom()[1] - SAFE.bottom - gap)
        right2.next_to(left, RIGHT, buff=gap)
        self.centre_y(right2)
        marks = VGroup(a_hat.highlight_row(i), deg.highlight_cell(i, 0))
        with self.beat(
            "normalise",
            i=numbers.integer(i + 1),
            d=numbers.integer(g.layer.degree[i]),
            a_ii=fixed2(g.layer.a_hat[i, i]),
        ):
            self.play(fade_out(right))
            self.play(Write(eq), fade_in(head))
            self.play(fade_in(block))
            self.play(Create(marks))
            self.wait(HOLD)
        self.next_slide()
        self.play(fade_out(VGroup(left, right2, marks)))

    def show_step(self) -> None:
        g = self.g
        names = [str(v + 1) for v in range(g.n)]
        feat = [str(k + 1) for k in range(g.h.shape[1])]
        out = [str(k + 1) for k in range(g.w.shape[1])]
        h = Heatmap(g.h, key="h", fmt=fixed2, row_labels=names, col_labels=feat, cell=0.62)
        w = Heatmap(g.w, key="w", fmt=fixed2, row_labels=feat, col_labels=out, cell=0.62)
        hw = Heatmap(g.layer.xw, key="hw", fmt=fixed2, row_labels=names, col_labels=out, cell=0.62)
        parts = [
            column([self.text(k, size=theme.LABEL, color=c), m], buff=theme.BUFF_SMALL, align="center")
            for k, c, m in (
                ("h_head", theme.INPUT, h),
                ("w_head", theme.WEIGHT, w),
                ("hw_head", theme.FG, hw),
            )
        ]
        ops = [self.plain("·", size=theme.HEADING), self.plain("=", size=theme.HEADING)]  # Text: no LaTeX run
        left = row([parts[0], ops[0], parts[1], ops[1], parts[2]], buff=theme.BUFF)
        t = g.node
        table = NumberTable(
            [
                [*[str(j + 1) for j in t.sources], "Σ"],
                [*[fixed2(a) for a in t.weights], ""],
                [*[vec_str(m) for m in t.messages], ""],
                [*[vec_str(x) for x in t.terms], vec_str(t.total)],
            ],
            header=[self.t(k) for k in ("col_j", "col_a", "col_msg", "col_term")],
            colors=[theme.FG, theme.SEQ_HIGH, theme.FG, theme.OUTPUT],
            size=theme.SMALL,
        )
        for r in range(len(t.sources)):
            tag(table.cell(r, 1), "term_weight", t.weights[r], (r,))
            tag(table.cell(r, 2), "term_msg", t.messages[r], (r,))
            tag(table.cell(r, 3), "term", t.terms[r], (r,))
        tag(table.cell(len(t.sources), 3), "h_new", t.total)
        node_head = self.text("node_head", size=theme.LABEL, color=theme.ACCENT, i=t.node + 1)
        right = column([node_head, table], buff=theme.BUFF, align="center")
        content = fit_width(row([left, right], buff=theme.BUFF_SECTION))
        self.centre(content)
        rows = VGroup(*[hw.highlight_row(int(j)) for j in t.sources])
        with self.beat("transform"):
            self.play(fade_in(parts[0]), fade_in(ops[0]), fade_in(parts[1]))
            self.play(fade_in(ops[1]), fade_in(parts[2]))
        with self.beat("aggregate", i=numbers.integer(t.node + 1), total=vec_str(t.total)):
            self.play(Create(rows), fade_in(node_head))
            self.play(fade_in(table))
            self.wait(HOLD)
        self.next_slide()
        self.play(fade_out(VGroup(content, rows)))

    def show_spectrum(self) -> None:
        s = self.g.spectrum
        lam = Heatmap(
            s.eigenvalues[None, :], key="eigenvalues", scale="sequential", vmin=0.0, vmax=2.0, fmt=fixed2,
            col_labels=[f"λ{sub(k)}" for k in range(self.g.n)], cell=0.8, col_labels_below=True,
        )  # fmt: skip
        lam_head = self.text("lam_head", size=theme.LABEL, color=theme.MUTED)
        cards = []
        for k in range(EIGEN_SHOWN):
            d = self.drawing(s.eigenvectors[:, k], SPECTRAL_RADIUS, key=f"u{k}")
            cap = self.text("u_label", size=theme.LABEL, k=sub(k), lam=fixed2(s.eigenvalues[k]))
            cards.append(column([d, cap], buff=theme.BUFF, align="center"))
        body = row(cards, buff=theme.BUFF_LARGE)
        content = fit_width(column([column([lam_head, lam], align="center"), body], buff=theme.BUFF_LARGE,
                                   align="center"))  # fmt: skip
        self.centre(content)
        with self.beat("spectral", lam0=fixed2(s.eigenvalues[0])):
            self.play(fade_in(lam_head), fade_in(lam))
            self.play(fade_in(cards[0]))
        with self.beat("fiedler", lam1=fixed2(s.eigenvalues[1])):
            self.play(fade_in(cards[1]))
            self.play(fade_in(cards[2]))
            self.wait(HOLD)
        self.next_slide()
        self.play(fade_out(content))

    def show_cost(self) -> None:
        p, costs = self.params, self.costs
        head = self.text(
            "cost_head", size=theme.LABEL, color=theme.MUTED, N=numbers.integer(p.cost_nodes),
            E=numbers.integer(p.cost_edges), F=numbers.integer(p.cost_in), Fo=numbers.integer(p.cost_out),
            K=numbers.integer(p.heads),
        )  # fmt: skip
        table = NumberTable(
            [
                [c.name for c in costs],
                [c.params for c in costs],
                [c.flops for c in costs],
                [c.aggregate_flops for c in costs],
            ],
            header=[self.t(k) for k in ("col_layer", "col_params", "col_flops", "col_share")],
            formats=[str, numbers.integer, numbers.flops, numbers.flops],
            keys=[None, "cost_params", "cost_flops", "cost_edge_flops"],
            size=theme.BODY,
            header_size=theme.LABEL,
        )
        content = fit_width(column([head, table], buff=theme.BUFF_LARGE, align="center"))
        self.centre(content)
        gcn, gat, sage = costs
        with self.beat(
            "cost",
            N=numbers.integer(p.cost_nodes),
            gcn_params=numbers.integer(gcn.params),
            gcn_flops=numbers.flops(gcn.flops),
            gat_params=numbers.integer(gat.params),
            gcn_edge=numbers.flops(gcn.aggregate_flops),
            gat_edge=numbers.flops(gat.aggregate_flops),
            sage_params=numbers.integer(sage.params),
        ):
            self.play(fade_in(head))
            self.play(fade_in(table))
            self.wait(HOLD)
