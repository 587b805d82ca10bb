"""Attention, step by step (Vaswani et al. 2017, eq. 1): real matrices from X to the output, one softmax row
worked by hand, the same row at three temperatures, and the dot product q·k = |q||k| cos θ in 3-D."""

from __future__ import annotations

import numpy as np
from manim import (
    DEGREES,
    DOWN,
    LEFT,
    RIGHT,
    UP,
    Create,
    Dot,
    Line,
    Rotate,
    SurroundingRectangle,
    ThreeDAxes,
    VGroup,
    VMobject,
    Write,
)
from manim.utils.space_ops import z_to_vector

from lib.transformer.attention_walkthrough import (
    angle_between,
    example_walkthrough,
    softmax_by_hand,
    temperature_sweep,
)
from scenes.engine.base import LectureScene
from scenes.engine.registry import register
from scenes.kit import numbers, theme
from scenes.kit.anim import fade_in, fade_out
from scenes.kit.bars import Bars
from scenes.kit.equation import Equation
from scenes.kit.formula import Num, formula
from scenes.kit.frame import SAFE, column, fit, fit_width, row, to_safe
from scenes.kit.matrix import Heatmap
from scenes.kit.record import number, tag
from scenes.kit.text import tex
from scenes.transformer.params.attention import D_K
from scenes.transformer.params.attention import Params as AttentionParams

HOLD = theme.HOLD_BRIEF  # seconds to read a slide (scenes/kit/theme.py)
CELL_H = 0.44  # one matrix row: every matrix of the scene at one scale, so shapes compare at a glance
CELL_W = {1: 0.62, 2: 0.8}  # a column wide enough for "−0.7" / "−1.90" at theme.NUMBER
SYMBOL = 34  # TeX size of a matrix's name over it
TILT = 25 * DEGREES  # the plane of q and its favourite key, tilted this far away from facing the viewer
LABEL_R = 1.1  # the least distance of a vector's name from the origin (scene units, before fitting)
TURN = 50 * DEGREES  # the slow turn about the screen's vertical that gives the 3-D picture its depth


def _ops(s: str) -> VGroup:
    """An operator between matrices (×, =), in TeX, muted."""
    return tex(s, SYMBOL, theme.MUTED)


@register("transformer.attention")
class Attention(LectureScene):
    """One attention head on a few tokens: every matrix of eq. 1 with its numbers, then temperature and
    the geometry of the dot product."""

    Params = AttentionParams

    EXAMPLES = (
        {"tokens": ["我", "爱", "深度", "学习", "模型"], "d_model": 3, "seed": 1, "query": 4,
         "temperatures": [0.25, 1.0, 4.0]},
    )  # fmt: skip

    STRINGS = {
        "en": {
            "title": "Attention, step by step",
            "subtitle": "one head on a few tokens, every number computed",
            "x_shape": "{n} × {d}",
            "proj_note": "each token's row of X times the weight matrices: its query, key and value",
            "scores_note": "row i: how well query i matches every key, divided by √d_k = {sqrt}",
            "softmax_note": "softmax of row “{tok}”: exponentiate, add up, divide",
            "sum": "sum",
            "weights_note": "every row becomes weights that sum to 1",
            "output_note": "each output row is a weighted average of the value rows",
            "temp_note": "the same row of scores divided by a temperature τ before the softmax",
            "entropy": "entropy H = {h} nats",
            "uniform": "uniform over {n} keys: H = ln {n} = {h} nats",
            "geo_note": "a key scores high when it points where the query points",
            "best": "highest weight",
            "worst": "lowest weight",
        },
        "zh": {
            "title": "注意力，一步一步算",
            "subtitle": "几个 token 上的一个头，每个数都是真算出来的",
            "x_shape": "{n} × {d}",
            "proj_note": "X 的每一行乘以三个权重矩阵，得到该 token 的查询、键和值",
            "scores_note": "第 i 行：查询 i 与每个键的匹配程度，再除以 √d_k = {sqrt}",
            "softmax_note": "对 “{tok}” 这一行做 softmax：取指数、求和、相除",
            "sum": "总和",
            "weights_note": "每一行都变成和为 1 的权重",
            "output_note": "每个输出行都是各个值向量的加权平均",
            "temp_note": "同一行得分在 softmax 之前先除以温度 τ",
            "entropy": "熵 H = {h} 奈特",
            "uniform": "在 {n} 个键上均匀分布：H = ln {n} = {h} 奈特",
            "geo_note": "键的方向和查询越一致，得分就越高",
            "best": "权重最大",
            "worst": "权重最小",
        },
    }

    # What the lecturer says per beat; every number comes in through a field the scene computed.
    NARRATION = {
        "en": {
            "inputs": "Here are {n} tokens, each one a row of X: an embedding of width {d}. Everything that "
            "follows is computed from these numbers.",
            "projections": "Three weight matrices turn every row of X into three vectors: a query, what this "
            "token is looking for; a key, what it offers to others; and a value, what it hands over when it "
            "is chosen.",
            "scores": "Every query is compared with every key by a dot product: Q times K transposed. We "
            "divide by the square root of d k, here {sqrt}, so the scores do not grow with the head width.",
            "softmax_row": "Take the row of {tok}. Exponentiate each score, add them up to get {total}, and "
            "divide. The largest weight, {p_top}, goes to {top}.",
            "weights": "Doing this for every row gives the attention weights. Each row is a probability "
            "distribution over the keys.",
            "output": "Finally the weights mix the values. Each output row is a weighted average of the rows "
            "of V, so {tok} gets mostly the value of {top}.",
            "temperature": "Dividing the scores by a temperature before the softmax changes how sharp the "
            "choice is. At {t_low} the entropy is {h_low} nats, nearly one key; at {t_high} it is {h_high}, "
            "close to the uniform {h_max}.",
            "geometry": "Why a dot product? It is the lengths times the cosine of the angle between the "
            "vectors. The query points {deg_best} degrees away from {best}, its favourite key, and "
            "{deg_worst} degrees away from {worst}, which it ignores.",
        },
        "zh": {
            "inputs": "这里有 {n} 个 token，每个都是 X 的一行：宽度为 {d} 的嵌入向量。"
            "后面的一切都从这些数算出来。",
            "projections": "三个权重矩阵把 X 的每一行变成三个向量：查询，表示这个 token 在找什么；"
            "键，表示它能提供什么；值，表示它被选中时交出的内容。",
            "scores": "每个查询都和每个键做点积，也就是 Q 乘以 K 的转置。再除以 d k 的平方根，这里是 "
            "{sqrt}，这样得分不会随着头的宽度变大。",
            "softmax_row": "看 {tok} 这一行。对每个得分取指数，加起来得到 {total}，再逐个相除。"
            "最大的权重 {p_top} 给了 {top}。",
            "weights": "每一行都这样做，就得到注意力权重。每一行都是键上的一个概率分布。",
            "output": "最后用权重把值混合起来。每个输出行都是 V 各行的加权平均，所以 {tok} 主要拿到了 "
            "{top} 的值。",
            "temperature": "在 softmax 之前把得分除以温度，会改变选择的尖锐程度。温度 {t_low} 时熵是 "
            "{h_low} 奈特，几乎只选一个键；温度 {t_high} 时熵是 {h_high}，接近均匀分布的 {h_max}。",
            "geometry": "为什么用点积？点积等于两个向量的长度乘以夹角的余弦。这个查询和它最看重的键 "
            "{best} 相差 {deg_best} 度，和被忽略的 {worst} 相差 {deg_worst} 度。",
        },
    }

    def construct(self) -> None:
        self.compute()
        self.show_projections()
        self.show_scores()
        self.show_softmax()
        self.show_output()
        self.show_temperature()
        self.show_geometry()

    # --- numbers (all from lib/) -----------------------------------------------------------------
    def compute(self) -> None:
        p = self.params
        self.w = example_walkthrough(len(p.tokens), p.d_model, D_K, p.seed)
        att = self.w.attention
        self.row = softmax_by_hand(att.scaled[p.query])  # (T,)
        self.sweep = temperature_sweep(att.scaled[p.query], p.temperatures)
        weights = att.weights[p.query]  # (T,)
        # the keys the 3-D beat draws (a selection, not a computation): the most and the least attended
        self.best, self.worst = int(np.argmax(weights)), int(np.argmin(weights))
        self.angles = {j: angle_between(self.w.q[p.query], self.w.k[j]) for j in (self.best, self.worst)}

    # --- building blocks -------------------------------------------------------------------------------
    def matrix(self, values: np.ndarray, key: str, name: str, color, digits: int = 2, **kw) -> VGroup:
        """A named matrix: its TeX name over a heatmap of its numbers ("plain" cells in ``color`` unless a
        ``scale`` is given). Returns column([name, heatmap]); the heatmap is ``[1]``."""
        kw.setdefault("scale", "plain")
        hm = Heatmap(
            values, key=key, color=color, outline=color, cell=CELL_W[digits], cell_height=CELL_H,
            digits=digits, adaptive=False, **kw,
        )  # fmt: skip
        return column([tex(name, SYMBOL, color), hm], buff=theme.BUFF_SMALL, align="center")

    def note(self, key: str, **fmt) -> VGroup:
        return to_safe(fit_width(self.text(key, size=theme.LABEL, color=theme.MUTED, **fmt)), DOWN)

    def tokens(self, color=theme.INPUT) -> list:
        return [self.plain(t, size=theme.SMALL, color=color) for t in self.params.tokens]

    # --- beats -------------------------------------------------------------------------------------
    def show_projections(self) -> None:
        p, w = self.params, self.w
        self.header = self.title_bar("title", "subtitle")
        x = self.matrix(w.x, "x", "X", theme.INPUT, digits=1, scale="diverging", row_labels=self.tokens())
        ws = [
            self.matrix(w.w_q, "w_q", "W_Q", theme.QUERY, digits=1),
            self.matrix(w.w_k, "w_k", "W_K", theme.KEY, digits=1),
            self.matrix(w.w_v, "w_v", "W_V", theme.VALUE, digits=1),
        ]
        outs = [
            self.matrix(w.q, "q", "Q = X W_Q", theme.QUERY),
            self.matrix(w.k, "k", "K = X W_K", theme.KEY),
            self.matrix(w.v, "v", "V = X W_V", theme.VALUE),
        ]
        products = row(outs, buff=theme.BUFF_LARGE, align="top")
        for wm, om in zip(ws, outs, strict=True):  # each weight matrix over the product it makes
            wm.next_to(om, UP, buff=theme.BUFF_LARGE)
        times = _ops(r"\times").next_to(VGroup(*ws), LEFT, buff=theme.BUFF).set_y(ws[0][1].get_y())
        x.next_to(times, LEFT, buff=theme.BUFF)
        x.shift((ws[0][1].get_y() - x[1].cells.get_y()) * UP)
        shape = self.text(
            "x_shape", size=theme.SMALL, color=theme.MUTED, n=numbers.integer(len(p.tokens)), d=p.d_model
        )
        shape.next_to(x[1].cells, DOWN, buff=theme.BUFF_SMALL)
        tag(shape, "x_shape", (len(p.tokens), p.d_model))
        x.add(shape)
        body = VGroup(x, times, *ws, products)
        body.next_to(self.header, DOWN, buff=theme.BUFF_LARGE).set_x(0)
        note = self.note("proj_note")
        with self.beat("inputs", n=numbers.integer(len(p.tokens)), d=numbers.integer(p.d_model)):
            self.play(fade_in(self.header))
            self.play(fade_in(x))
            self.wait(HOLD)
        with self.beat("projections"):
            self.play(fade_in(times), *[fade_in(m) for m in ws])
            self.play(*[fade_in(m) for m in outs], fade_in(note))
            self.wait(HOLD)
        self.next_slide()
        self.play(fade_out(VGroup(x, times, *ws, *outs[2:], note)))
        self.q_mat, self.k_mat = outs[0], outs[1]

    def show_scores(self) -> None:
        p, att = self.params, self.w.attention
        toks = self.tokens()
        kt = self.matrix(self.w.k.T, "k_t", "K^T", theme.KEY)
        scores = self.matrix(
            att.scaled, "scores", r"Q K^T / \sqrt{d_k}", theme.FG, scale="diverging",
            row_labels=toks, col_labels=self.tokens(theme.KEY),
        )  # fmt: skip
        q = self.matrix(self.w.q, "q", "Q", theme.QUERY)
        eq = Equation(
            r"S = \frac{Q K^T}{\sqrt{d_k}}",
            terms=["Q", "K^T", r"\sqrt{d_k}"],
            colors={"Q": theme.QUERY, "K^T": theme.KEY},
        )
        body = row([q, _ops(r"\times"), kt, _ops("="), scores], buff=theme.BUFF, align="center")
        fit_width(body)
        body.next_to(self.header, DOWN, buff=theme.BUFF_LARGE).set_x(0)
        eq.next_to(body, DOWN, buff=theme.BUFF_LARGE)
        sqrt = numbers.fixed(self.w.sqrt_dk, 2)
        note = self.note("scores_note", sqrt=sqrt)
        box = scores[1].highlight_row(p.query)
        with self.beat("scores", sqrt=sqrt):
            self.play(fade_out(VGroup(self.q_mat, self.k_mat)), fade_in(q), fade_in(kt), fade_in(body[1]))
            self.play(fade_in(body[3]), fade_in(scores), Write(eq), fade_in(note))
            self.play(Create(box))
            self.wait(HOLD)
        self.next_slide()
        self.play(fade_out(VGroup(q, kt, body[1], body[3], eq, note)))
        self.scores, self.score_box = scores, box

    def show_softmax(self) -> None:
        p, r = self.params, self.row
        tok = p.tokens[p.query]
        keys = self.tokens(theme.KEY)
        common = {"scale": "plain", "cell": CELL_W[2], "cell_height": CELL_H, "adaptive": False}
        s_row = Heatmap(r.logits, key="row_scores", color=theme.FG, digits=2, col_labels=keys, **common)
        e_row = Heatmap(r.exps, key="row_exps", color=theme.FG, digits=2, **common)
        p_row = Heatmap(
            r.probs, key="row_probs", scale="sequential", cell=CELL_W[2], cell_height=CELL_H, digits=2,
            adaptive=False,
        )  # fmt: skip
        labels = [tex(s, SYMBOL, theme.FG) for s in (r"s_j", r"e^{s_j}", r"p_j = e^{s_j} / \Sigma")]
        total = row(
            [self.text("sum", size=theme.LABEL, color=theme.FG), tex(r"\Sigma =", SYMBOL, theme.FG),
             number(r.total, 2, key="row_total", size=theme.LABEL, color=theme.ACCENT)],
            buff=theme.BUFF_SMALL,
        )  # fmt: skip
        table = VGroup(s_row, e_row, p_row).arrange(DOWN, buff=theme.BUFF_LARGE, aligned_edge=LEFT)
        for lab, hm in zip(labels, (s_row, e_row, p_row), strict=True):
            lab.next_to(hm.cells, LEFT, buff=theme.BUFF)
        total.next_to(e_row.cells, RIGHT, buff=theme.BUFF_LARGE)
        worked = VGroup(table, *labels, total)
        worked.next_to(self.header, DOWN, buff=theme.BUFF_SECTION)
        to_safe(worked, LEFT)  # the worked row on the left, the whole weight matrix on the right
        weights = self.matrix(
            self.w.attention.weights, "weights", r"A = \mathrm{softmax}(S)", theme.FG, scale="sequential",
            row_labels=self.tokens(), col_labels=self.tokens(theme.KEY),
        )  # fmt: skip
        to_safe(weights, RIGHT).align_to(worked, UP)
        src = SurroundingRectangle(s_row.cells, color=theme.ACCENT, buff=0.03)
        note = self.note("softmax_note", tok=tok)
        top = int(np.argmax(r.probs))
        with self.beat(
            "softmax_row",
            tok=tok,
            total=numbers.fixed(r.total, 2),
            p_top=numbers.fixed(r.probs[top], 2),
            top=p.tokens[top],
        ):
            self.play(fade_out(VGroup(self.scores, self.score_box)), fade_in(s_row), fade_in(labels[0]))
            self.play(fade_in(note), Create(src))
            self.play(fade_in(e_row), fade_in(labels[1]))
            self.play(fade_in(total))
            self.play(fade_in(p_row), fade_in(labels[2]))
            self.wait(HOLD)
        w_box = weights[1].highlight_row(p.query)
        w_note = self.note("weights_note")
        with self.beat("weights"):
            self.play(fade_in(weights), fade_out(note), fade_in(w_note), Create(w_box))
            self.wait(HOLD)
        self.next_slide()
        self.play(fade_out(VGroup(worked, src, w_note, w_box)))
        self.weights = weights

    def show_output(self) -> None:
        p = self.params
        v = self.matrix(self.w.v, "v", "V", theme.VALUE)
        out = self.matrix(self.w.attention.output, "output", "A V", theme.OUTPUT, row_labels=self.tokens())
        body = row([self.weights.copy(), _ops(r"\times"), v, _ops("="), out], buff=theme.BUFF, align="center")
        fit_width(body)
        body.next_to(self.header, DOWN, buff=theme.BUFF_LARGE).set_x(0)
        target = body[0]
        body.remove(target)
        boxes = VGroup(self.weights[1].highlight_row(p.query), out[1].highlight_row(p.query))
        note = self.note("output_note")
        top = int(np.argmax(self.w.attention.weights[p.query]))
        with self.beat("output", tok=p.tokens[p.query], top=p.tokens[top]):
            self.play(self.weights.animate.move_to(target))
            self.play(fade_in(body[0]), fade_in(v), fade_in(body[2]), fade_in(out), fade_in(note))
            boxes[0].move_to(self.weights[1].highlight_row(p.query))
            self.play(Create(boxes))
            self.wait(HOLD)
        self.next_slide()
        self.play(fade_out(VGroup(self.weights, body, boxes, note)))

    def show_temperature(self) -> None:
        p, sw = self.params, self.sweep
        eq = Equation(
            r"p_j(\tau) = \frac{e^{s_j/\tau}}{\sum_l e^{s_l/\tau}} \qquad H = -\sum_j p_j \ln p_j",
            terms=[r"\tau"],
            colors={r"\tau": theme.ACCENT},
            font_size=36,
        )
        eq.next_to(self.header, DOWN, buff=theme.BUFF_LARGE).set_x(0)
        heads, charts, entropies = [], [], []
        for i, tau in enumerate(sw.temperatures):
            probs = sw.probs[i]
            bars = Bars(
                probs, key="temp_probs", labels=list(p.tokens), vmax=1.0, length=1.8, thickness=0.36,
                color=theme.SEQ_HIGH, label_color=theme.KEY,
                fmt=lambda v: numbers.fixed(v, 2),
            )  # fmt: skip
            for k, m in enumerate(bars.values_text):  # one key for all panels: index (temperature, token)
                tag(m, "temp_probs", float(probs[k]), (i, k))
            heads.append(formula(r"\tau = ", Num(float(tau), "tau", (i,), fmt=_tau), color=theme.ACCENT))
            charts.append(bars)
            h_line = self.text("entropy", size=theme.LABEL, color=theme.FG, h=numbers.fixed(sw.entropy[i], 2))
            entropies.append(tag(h_line, "entropy", float(sw.entropy[i]), (i,)))
        chart_row = row(charts, buff=theme.BUFF_SECTION * 2, align="bottom")  # one baseline for all bars
        for head, h_line, chart in zip(heads, entropies, charts, strict=True):
            head.next_to(chart_row, UP, buff=theme.BUFF).set_x(chart.get_x())
            h_line.next_to(chart_row, DOWN, buff=theme.BUFF).set_x(chart.get_x())
        panels = [VGroup(h, c, e) for h, c, e in zip(heads, charts, entropies, strict=True)]
        grid = VGroup(*panels)
        fit_width(grid)
        note = fit_width(self.text("temp_note", size=theme.LABEL, color=theme.MUTED)).next_to(
            eq, DOWN, buff=theme.BUFF_SMALL
        )
        grid.next_to(note, DOWN, buff=theme.BUFF_LARGE).set_x(0)
        n = len(p.tokens)
        uniform = self.text(
            "uniform",
            size=theme.LABEL,
            color=theme.MUTED,
            n=numbers.integer(n),
            h=numbers.fixed(sw.max_entropy, 2),
        )
        tag(uniform, "max_entropy", sw.max_entropy)
        uniform.next_to(grid, DOWN, buff=theme.BUFF)
        fit_width(uniform)
        with self.beat(
            "temperature",
            t_low=_tau_plain(sw.temperatures[0]),
            t_high=_tau_plain(sw.temperatures[-1]),
            h_low=numbers.fixed(sw.entropy[0], 2),
            h_high=numbers.fixed(sw.entropy[-1], 2),
            h_max=numbers.fixed(sw.max_entropy, 2),
        ):
            self.play(Write(eq), fade_in(note))
            for panel in panels:
                self.play(fade_in(panel[0]), panel[1].grow(run_time=0.8), fade_in(panel[2]))
            self.play(fade_in(uniform))
            self.wait(HOLD)
        self.next_slide()
        self.play(fade_out(VGroup(eq, *panels, uniform, note)))

    def show_geometry(self) -> None:
        p, w = self.params, self.w
        q = w.q[p.query]
        ks = {j: w.k[j] for j in (self.best, self.worst)}
        reach = float(max(np.abs(np.concatenate([q, *ks.values()])).max(), 0.5)) * 1.15
        axes = ThreeDAxes(
            x_range=[-reach, reach, reach], y_range=[-reach, reach, reach], z_range=[-reach, reach, reach],
            x_length=5.0, y_length=5.0, z_length=5.0, tips=False,
            axis_config={"color": theme.MUTED, "include_ticks": False, "stroke_width": 1.5},
        )  # fmt: skip
        origin = axes.c2p(0, 0, 0)

        def arrow(vec: np.ndarray, color) -> VGroup:
            end = axes.c2p(*vec)
            return VGroup(Line(origin, end, color=color, stroke_width=5), Dot(end, radius=0.07, color=color))

        def arc(a: np.ndarray, b: np.ndarray, radius: float) -> VMobject:
            """The angle between ``a`` and ``b`` as an arc in their plane (drawing only)."""
            u = a / np.linalg.norm(a)
            v = b - (b @ u) * u
            v = v / np.linalg.norm(v) if np.linalg.norm(v) > 1e-12 else np.zeros(3)
            theta = np.arccos(np.clip(u @ (b / np.linalg.norm(b)), -1, 1))
            ts = np.linspace(0, theta, 24)
            pts = [axes.c2p(*(radius * (np.cos(t) * u + np.sin(t) * v))) for t in ts]
            return VMobject(stroke_color=theme.ACCENT, stroke_width=3).set_points_smoothly(pts)

        rad = 0.45 * reach
        vec_q = arrow(q, theme.QUERY)
        vec_k = {j: arrow(k, theme.KEY) for j, k in ks.items()}
        arcs = {j: arc(q, k, rad * (1.0 if j == self.best else 0.7)) for j, k in ks.items()}
        scene3d = VGroup(axes, vec_q, *vec_k.values(), *arcs.values())
        # view the plane of q and its favourite key nearly face on, so their angle is seen at its true size
        normal = np.cross(axes.c2p(*q) - origin, axes.c2p(*ks[self.best]) - origin)
        if np.linalg.norm(normal) > 1e-9:
            scene3d.apply_matrix(z_to_vector(normal).T, about_point=origin)  # normal → OUT
        scene3d.rotate(-TILT, axis=RIGHT, about_point=origin)
        spin = UP  # the turn is about the screen's vertical: the picture swings in depth

        eq = Equation(
            r"q \cdot k = |q|\,|k|\,\cos\theta", terms=["q", "k"], colors={"q": theme.QUERY, "k": theme.KEY}
        )
        lines = []
        for j, label in ((self.best, "best"), (self.worst, "worst")):
            a = self.angles[j]
            name = row(
                [self.plain(p.tokens[j], size=theme.BODY, color=theme.KEY),
                 self.text(label, size=theme.LABEL, color=theme.MUTED)],
                buff=theme.BUFF,
            )  # fmt: skip
            f1 = formula(
                r"\theta =", Num(a.degrees, "theta", (j,), fmt=_degrees), r",\quad |k| =",
                Num(a.norm_k, "norm_k", (j,)), font_size=34,
            )  # fmt: skip
            f2 = formula(
                r"q \cdot k =", Num(a.norm_q, "norm_q", (j,)), r"\times", Num(a.norm_k, "norm_k2", (j,)),
                r"\times", Num(a.cos, "cos", (j,), fmt=_factor), "=", Num(a.dot, "dot", (j,)), font_size=34,
            )  # fmt: skip
            f3 = formula(
                r"s = q \cdot k / \sqrt{d_k} =", Num(float(w.attention.scaled[p.query, j]), "score_3d", (j,)),
                font_size=34, color=theme.MUTED,
            )  # fmt: skip
            lines.append(column([name, f1, f2, f3], buff=theme.BUFF_SMALL))
        labels = VGroup(  # the query's arrow is "q"; a key's arrow is named by its token (as on the right)
            tex("q", SYMBOL, theme.QUERY),
            *[self.plain(p.tokens[j], size=theme.LABEL, color=theme.KEY) for j in ks],
        )
        # lay out the picture as it ends (after the turn), then turn it back to where the animation starts
        scene3d.rotate(TURN, axis=spin, about_point=origin)
        for lab, tip in zip(labels, [vec_q[1], *[vec_k[j][1] for j in ks]], strict=True):
            out = tip.get_center() - origin  # each name beyond its arrow's tip, as seen on the screen
            out[2] = 0.0
            dist = float(np.linalg.norm(out))
            out = out / max(dist, 1e-9)
            reach_out = 0.5 * (abs(out[0]) * lab.width + abs(out[1]) * lab.height)  # half the box along out
            # short arrows: names no nearer the origin than LABEL_R, where the arcs and the other names are
            lab.move_to(origin + out * (max(dist, LABEL_R) + reach_out + theme.BUFF_SMALL))
        figure = VGroup(scene3d, labels)
        top = self.header.get_bottom()[1] - theme.BUFF
        fit(figure, SAFE.width * 0.45, top - SAFE.bottom - 0.6)
        figure.move_to([SAFE.left + figure.width / 2, top - figure.height / 2, 0.0])
        centre = axes.c2p(0, 0, 0)
        scene3d.rotate(-TURN, axis=spin, about_point=centre)
        side = column([eq, *lines], buff=theme.BUFF_LARGE)
        fit_width(side, SAFE.right - figure.get_right()[0] - theme.BUFF_LARGE)
        side.next_to(self.header, DOWN, buff=theme.BUFF_LARGE)
        to_safe(side, RIGHT)
        note = self.note("geo_note")
        a_best, a_worst = self.angles[self.best], self.angles[self.worst]
        with self.beat(
            "geometry",
            best=p.tokens[self.best],
            worst=p.tokens[self.worst],
            deg_best=numbers.integer(round(a_best.degrees)),
            deg_worst=numbers.integer(round(a_worst.degrees)),
        ):
            self.play(fade_in(axes), Create(vec_q), *[Create(v) for v in vec_k.values()], Write(eq))
            self.play(*[Create(a) for a in arcs.values()], fade_in(note))
            self.play(Rotate(scene3d, TURN, axis=spin, about_point=centre), run_time=2.0)
            self.play(fade_in(labels), *[fade_in(x) for x in lines])
            self.wait(HOLD + 1.0)


def _tau(v: float) -> str:
    """A temperature as typed: 0.5, 1, 2 (TeX); the narration says it the same way."""
    return numbers.fixed(v, 2, tex=True).rstrip("0").rstrip(".")


def _tau_plain(v: float) -> str:
    return numbers.fixed(v, 2).rstrip("0").rstrip(".")


def _factor(v: float) -> str:
    """A factor after ×: in parentheses when negative, as one writes it by hand."""
    s = numbers.fixed(v, 2, tex=True)
    return f"({s})" if s.startswith("-") else s


def _degrees(v: float) -> str:
    return f"{numbers.integer(round(v), tex=True)}^\\circ"
