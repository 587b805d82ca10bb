"""RoPE and ALiBi: rotate each query/key pair by m·θ_i, so the score sees only the offset m − n.

RoPE: Su et al. 2021, "RoFormer", eq. 13–16 (pairs rotated by R_{Θ,m}; (R_m q)ᵀ(R_n k) = qᵀ R_{n−m} k).
ALiBi: Press, Smith & Lewis 2022, "Train Short, Test Long", §3 (a bias −m_h·(i − j) added to the scores).
"""

from __future__ import annotations

import numpy as np
from manim import (
    DOWN,
    LEFT,
    UL,
    Arrow,
    Create,
    FadeIn,
    FadeOut,
    ReplacementTransform,
    Rotate,
    SurroundingRectangle,
    VGroup,
)

from lib.transformer.positions import alibi_slopes, rope_tables
from lib.transformer.rope_view import alibi_causal_bias, query_key, rope_angles, rope_score
from scenes.engine.base import LectureScene
from scenes.engine.registry import register
from scenes.kit import numbers, theme
from scenes.kit.anim import fade_in
from scenes.kit.equation import Equation
from scenes.kit.frame import below, column, fit_width, row, to_safe
from scenes.kit.matrix import Heatmap
from scenes.kit.plot import Plot
from scenes.kit.record import tag, tag_located
from scenes.kit.table import NumberTable
from scenes.transformer.params.rope import Params as RopeParams

HOLD = theme.HOLD  # seconds to read a slide (scenes/kit/theme.py)
CELL = 0.62  # one coordinate of q or k (a θ cell spans its pair: two cells)
PLANE = 3.4  # side of one pair's plane
ROOM = 1.2  # a plane reaches this far beyond the longer of its two arrows


def _angle(a: float) -> str:
    """An angle m·θ_i in radians, as drawn and said."""
    return numbers.fixed(a, 2)


def _theta(t: float) -> str:
    return numbers.fixed(t, 4)


def _score(s: float) -> str:
    return numbers.fixed(s, 3)


def _bias(b: float) -> str:
    """A cell of the causal ALiBi bias: −∞ where the mask removes the key."""
    return "−∞" if np.isneginf(b) else numbers.fixed(b, 2)


@register("transformer.rope")
class Rope(LectureScene):
    """Rotary position embedding pair by pair, equal offsets giving equal scores, and ALiBi's linear bias."""

    Params = RopeParams
    EXAMPLES = ({"d_head": 4, "base": 100.0, "seed": 17, "m": 2, "n": 5, "shift": 3, "n_heads": 4},)

    STRINGS = {
        "en": {
            "title": "Rotary positions (RoPE)",
            "subtitle": "turn each pair of q and k by its position; the score sees only m − n",
            "theta": "θᵢ",
            "pair": "pair i = {i}",
            "q_angle": "q at m = {m}: {a} rad",
            "k_angle": "k at n = {n}: {a} rad",
            "col_m": "m",
            "col_n": "n",
            "col_offset": "m − n",
            "col_score": "score",
            "alibi_title": "ALiBi: a linear bias instead of a rotation",
            "slopes": "slope mₕ",
            "head": "head {h}",
            "axes": "rows: query i   columns: key j   −∞: masked",
            "alibi_note": "nothing rotates and nothing is added to the embeddings: far keys just score lower",
        },
        "zh": {
            "title": "旋转位置编码（RoPE）",
            "subtitle": "按位置旋转 q 和 k 的每一对分量；得分只取决于 m − n",
            "theta": "θᵢ",
            "pair": "第 i = {i} 对",
            "q_angle": "q 在 m = {m}：{a} 弧度",
            "k_angle": "k 在 n = {n}：{a} 弧度",
            "col_m": "m",
            "col_n": "n",
            "col_offset": "m − n",
            "col_score": "得分",
            "alibi_title": "ALiBi：用线性偏置代替旋转",
            "slopes": "斜率 mₕ",
            "head": "第 {h} 个头",
            "axes": "行：查询 i   列：键 j   −∞：被遮蔽",
            "alibi_note": "不旋转，也不往嵌入里加东西：越远的键得分越低",
        },
    }

    NARRATION = {
        "en": {
            "pairs": "RoPE splits a query and a key into pairs of numbers, and treats each pair "
            "as a point in the plane. Pair i turns by an angle theta i per position: {theta_fast} radians "
            "for the first pair, {theta_slow} for pair {slow}.",
            "rotate": "So the query at position {m} turns its first pair by {a_fast} radians, and the key at "
            "position {n} by {b_fast}. Slow pairs barely move: they carry long-range position, fast pairs "
            "short-range.",
            "same_offset": "The score is the dot product of the rotated query and key. Move both by the same "
            "number of positions, to {m2} and {n2}: both arrows turn by the same angle, the angle between "
            "them stays, and the score stays {score}.",
            "other_offset": "Now keep the query at {m2} and bring the key back to {n}. The offset changes, "
            "and so does the score: {score_other}. A rotation by m and one by n leave only a rotation by "
            "their difference.",
            "alibi": "ALiBi takes another road: no rotation at all. Each of the {heads} heads adds minus a "
            "slope times the distance to its scores, with slopes from {slope_first} down to {slope_last}.",
            "contrast": "Head one adds {bias_far} to the score of a key {far} positions back; the last head "
            "adds almost nothing. Steep heads look locally, flat heads far away, and the model extrapolates "
            "to longer inputs.",
        },
        "zh": {
            "pairs": "RoPE 把查询和键的分量两两分成一对，每一对看作平面上的一个点。"
            "第 i 对每过一个位置转过角度 θᵢ：第一对 {theta_fast} 弧度，第 {slow} 对只有 {theta_slow}。",
            "rotate": "于是位置 {m} 的查询把第一对转了 {a_fast} 弧度，位置 {n} 的键转了 {b_fast}。"
            "慢的分量几乎不动，负责远距离的位置；快的分量负责近距离。",
            "same_offset": "得分就是旋转后查询和键的点积。把两者往后移同样多的位置，到 {m2} 和 {n2}："
            "两个箭头转过同样的角度，夹角不变，得分仍是 {score}。",
            "other_offset": "现在让查询留在 {m2}，把键移回 {n}。偏移变了，得分也变了：{score_other}。"
            "先转 m 再转 n，剩下的只是按两者之差的旋转。",
            "alibi": "ALiBi 走的是另一条路：根本不旋转。{heads} 个头各自给得分加上负的斜率乘以距离，"
            "斜率从 {slope_first} 一直降到 {slope_last}。",
            "contrast": "第一个头给往回 {far} 个位置的键的得分加上 {bias_far}，最后一个头几乎什么都不加。"
            "陡的头看近处，平的头看远处，模型也因此能外推到更长的输入。",
        },
    }

    def construct(self) -> None:
        self.compute()
        self.show_rotation()
        self.show_offsets()
        self.show_alibi()

    # --- numbers (all from lib/) -----------------------------------------------------------------
    def compute(self) -> None:
        p = self.params
        self.q, self.k = query_key(p.d_head, p.seed)  # (d,), (d,)
        self.theta = rope_angles(p.d_head, p.base)  # (d/2,)
        self.planes_at = (0, p.slow_pair)  # the fast pair and the slow one
        self.pairs = p.position_pairs()
        last = max(max(pair) for pair in self.pairs)
        self.angles = rope_tables(np.arange(last + 1), p.d_head, p.base).angles  # (positions, d/2): m θ_i
        self.scores = [rope_score(self.q, self.k, m, n, p.base) for m, n in self.pairs]
        self.slopes = alibi_slopes(p.n_heads)  # (H,)
        self.bias = alibi_causal_bias(p.n_heads, p.alibi_len)  # (H, T, T)

    # --- beats -------------------------------------------------------------------------------------
    def _vectors(self) -> VGroup:
        """q and k as rows of cells, the θ_i row under them with one cell per pair."""
        p = self.params
        one = {"digits": 1, "adaptive": False, "cell": CELL}  # one decimal: the same in every cell
        q = Heatmap(self.q, key="q", scale="plain", color=theme.QUERY, row_labels=["q"], **one)
        k = Heatmap(self.k, key="k", scale="plain", color=theme.KEY, row_labels=["k"], **one)
        theta = Heatmap(
            self.theta,
            key="theta",
            scale="plain",
            color=theme.MUTED,
            fmt=_theta,
            cell=2 * CELL,
            cell_height=CELL,
            row_labels=[self.t("theta")],
            col_labels=[str(i) for i in range(p.d_head // 2)],
            col_labels_below=True,
        )
        group = column([q, k, theta], buff=theme.BUFF_SMALL, align="right")  # equal widths: cells line up
        return group

    def _plane(self, pair: int) -> tuple[Plot, Arrow, Arrow]:
        """The plane of pair i with q's and k's pair as arrows from the origin, unrotated (position 0)."""
        q2, k2 = self.q[2 * pair : 2 * pair + 2], self.k[2 * pair : 2 * pair + 2]
        r = ROOM * max(np.linalg.norm(q2), np.linalg.norm(k2))
        plot = Plot((-r, r), (-r, r), width=PLANE, height=PLANE, x_ticks=[], y_ticks=[])
        arrows = []
        for v, color in ((q2, theme.QUERY), (k2, theme.KEY)):
            a = Arrow(plot.c2p(0, 0), plot.c2p(*v), buff=0, color=color, stroke_width=5)
            arrows.append(a)
        return plot, arrows[0], arrows[1]

    def _angle_label(self, who: str, pos: int, plane: int) -> VGroup:
        a = self.angles[pos, self.planes_at[plane]]
        color = theme.QUERY if who == "q" else theme.KEY
        fmt = {"m": pos} if who == "q" else {"n": pos}
        label = self.text(f"{who}_angle", size=theme.SMALL, color=color, a=_angle(a), **fmt)
        return tag(label, f"{who}_angle", a, (plane,))

    def _tip(self, plot: Plot, arrow: Arrow, key: str, plane: int) -> None:
        """Tag the arrow with the pair it points at, read back from where its tip is drawn."""
        tag_located(arrow, key, lambda m: np.array(plot.p2c(m.get_end())), (plane,))

    def show_rotation(self) -> None:
        p = self.params
        self.header = self.title_bar("title", "subtitle")
        vectors = self._vectors()
        self.rot_eq = Equation(
            r"\begin{pmatrix} x'_{2i} \\ x'_{2i+1} \end{pmatrix} = \begin{pmatrix} \cos m\theta_i & "
            r"-\sin m\theta_i \\ \sin m\theta_i & \cos m\theta_i \end{pmatrix} \begin{pmatrix} x_{2i} \\ "
            r"x_{2i+1} \end{pmatrix},\quad \theta_i = b^{-2i/d}",
            font_size=28,
        )
        self.planes, self.arrows, captions = [], [], []
        for plane, pair in enumerate(self.planes_at):
            plot, qa, ka = self._plane(pair)
            self._tip(plot, qa, "q_pair", plane)
            self._tip(plot, ka, "k_pair", plane)
            self.planes.append(plot)
            self.arrows.append([qa, ka])
            captions.append(self.text("pair", size=theme.SMALL, color=theme.MUTED, i=pair))
        self.labels = [[self._angle_label("q", 0, i), self._angle_label("k", 0, i)] for i in (0, 1)]
        cards = [
            column(
                [captions[i], VGroup(self.planes[i], *self.arrows[i]), *self.labels[i]],
                buff=theme.BUFF_TIGHT,
                align="center",
            )
            for i in (0, 1)
        ]
        self.left = column([vectors, self.rot_eq], buff=theme.BUFF_LARGE, align="left")
        content = fit_width(row([self.left, *cards], buff=theme.BUFF_LARGE, align="top"))
        below(content, self.header, buff=theme.BUFF_LARGE)
        self.vectors, self.captions = vectors, captions
        with self.beat(
            "pairs",
            theta_fast=_theta(self.theta[0]),
            theta_slow=_theta(self.theta[p.slow_pair]),
            slow=p.slow_pair,
        ):
            self.play(FadeIn(self.header))
            self.play(fade_in(vectors), FadeIn(self.rot_eq))
            self.play(*[Create(pl) for pl in self.planes], *[FadeIn(c) for c in captions])
            self.play(
                *[FadeIn(a) for pair in self.arrows for a in pair], *[FadeIn(x) for x in self.labels[0]]
            )
            self.play(*[FadeIn(x) for x in self.labels[1]])
        m, n = self.pairs[0]
        with self.beat(
            "rotate",
            m=m,
            n=n,
            a_fast=_angle(self.angles[m, 0]),
            b_fast=_angle(self.angles[n, 0]),
        ):
            self._turn(m, n, run_time=2.5)
            self.wait(HOLD)
        self.next_slide()

    def _turn(self, m: int, n: int, run_time: float = 1.5) -> None:
        """Turn the q arrows to position m and the k arrows to n on both planes (from where they stand)."""
        anims = []
        for plane, pair in enumerate(self.planes_at):
            origin = self.planes[plane].c2p(0, 0)
            for w, (who, pos) in enumerate((("q", m), ("k", n))):
                old = self.labels[plane][w]
                was = old.kit_reading.value  # the angle the arrow stands at now
                now = self.angles[pos, pair]
                if now != was:
                    anims.append(Rotate(self.arrows[plane][w], now - was, about_point=origin))
                    new = self._angle_label(who, pos, plane).move_to(old, aligned_edge=LEFT)
                    anims.append(ReplacementTransform(old, new))
                    self.labels[plane][w] = new
        self.play(*anims, run_time=run_time)

    def show_offsets(self) -> None:
        (m, n), (m2, n2), (m3, n3) = self.pairs
        eq16 = Equation(
            r"(R_m q)^\top (R_n k) = q^\top R_{n-m}\, k",
            terms=["q", "k"],
            colors={"q": theme.QUERY, "k": theme.KEY},
            font_size=34,
        ).move_to(self.rot_eq, aligned_edge=UL)
        table = NumberTable(
            [
                [a for a, _ in self.pairs],
                [b for _, b in self.pairs],
                [a - b for a, b in self.pairs],
                self.scores,
            ],
            header=[self.t("col_m"), self.t("col_n"), self.t("col_offset"), self.t("col_score")],
            formats=[numbers.integer, numbers.integer, numbers.integer, _score],
            colors=[theme.QUERY, theme.KEY, theme.FG, theme.ACCENT],
            keys=["pos_m", "pos_n", "offset", "score"],
        )
        below(table, eq16, buff=theme.BUFF_LARGE)
        rows = table.get_rows()
        same = VGroup(table.cell(0, 3), table.cell(1, 3))  # the two equal offsets
        mark = SurroundingRectangle(same, color=theme.ACCENT, buff=theme.BUFF_TIGHT)
        with self.beat("same_offset", m2=m2, n2=n2, score=_score(self.scores[0])):
            self.play(ReplacementTransform(self.rot_eq, eq16), fade_in(VGroup(rows[0], rows[1])))
            self._turn(m2, n2, run_time=2.0)
            self.play(fade_in(rows[2]))
            self.play(Create(mark))
            self.wait(HOLD)
        with self.beat("other_offset", m2=m3, n=n3, score_other=_score(self.scores[2])):
            self._turn(m3, n3, run_time=1.5)
            self.play(fade_in(rows[3]))
            self.wait(HOLD)
        self.next_slide()
        self.play(
            FadeOut(
                VGroup(
                    self.vectors,
                    eq16,
                    *self.planes,
                    *self.captions,
                    *[x for pair in self.arrows for x in pair],
                    *[x for ls in self.labels for x in ls],
                    table,
                    mark,
                )
            )
        )

    def show_alibi(self) -> None:
        p = self.params
        H, T = p.n_heads, p.alibi_len
        heading = self.text("alibi_title", size=theme.BODY)
        eq = Equation(
            r"s_{ij} = \frac{q_i \cdot k_j}{\sqrt{d}} - m_h\,(i - j)",
            terms={"q": "q_i", "k": "k_j", "slope": r"m_h\,(i - j)"},
            colors={"q": theme.QUERY, "k": theme.KEY, "slope": theme.ACCENT},
            font_size=34,
        )
        top = row([heading, eq], buff=theme.BUFF_SECTION)
        below(fit_width(top), self.header, buff=theme.BUFF)
        slopes = Heatmap(
            self.slopes[:, None],
            key="slope",
            scale="plain",
            color=theme.ACCENT,
            fmt=_theta,
            cell=1.0,
            cell_height=min(0.45, 3.6 / H),
            row_labels=[self.t("head", h=h + 1) for h in range(H)],
            col_labels=[self.t("slopes")],
        )
        vmax = float(self.slopes[0] * (T - 1))  # one colour scale for both heads: the steep head's reach
        maps = []
        for h in (0, H - 1):
            hm = Heatmap(
                self.bias[h],
                key=f"bias_{h + 1}",
                scale="diverging",
                vmax=vmax,
                fmt=_bias,
                cell=min(0.72, 3.6 / T),
                row_labels=[str(i) for i in range(T)],
                col_labels=[str(j) for j in range(T)],
            )
            for i in range(T):
                for j in range(i + 1, T):
                    hm.cell_at(i, j).set_fill(theme.MASK, 1.0)  # the causal mask's cells keep their colour
            caption = self.text("head", size=theme.SMALL, color=theme.MUTED, h=h + 1)
            maps.append(column([caption, hm], buff=theme.BUFF_SMALL, align="center"))
        body = fit_width(row([slopes, *maps], buff=theme.BUFF_SECTION, align="top"))
        below(body, top, buff=theme.BUFF)
        axes = self.text("axes", size=theme.SMALL, color=theme.MUTED)
        below(axes, body, buff=theme.BUFF_SMALL)
        note = to_safe(fit_width(self.text("alibi_note", size=theme.SMALL, color=theme.MUTED)), DOWN)
        with self.beat(
            "alibi",
            heads=H,
            slope_first=_theta(self.slopes[0]),
            slope_last=_theta(self.slopes[-1]),
        ):
            self.play(FadeIn(heading), FadeIn(eq))
            self.play(fade_in(slopes))
            self.wait(HOLD / 2)
        far = T - 1
        with self.beat("contrast", far=far, bias_far=_bias(self.bias[0, far, 0])):
            self.play(*[fade_in(mp) for mp in maps], FadeIn(axes))
            self.play(FadeIn(note))
            self.wait(HOLD)
