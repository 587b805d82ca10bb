"""Selection: Δ_t, B_t, C_t from each token, and what Δ_t decides: keep the state or let the token in."""

from __future__ import annotations

import numpy as np
from manim import DOWN, LEFT, UP, LaggedStart, Line, ReplacementTransform, SurroundingRectangle, VGroup, Write

from lib.mamba.selection import selection_gates
from scenes.engine.base import LectureScene
from scenes.engine.registry import register
from scenes.kit import numbers, theme
from scenes.kit.anim import fade_in, fade_out
from scenes.kit.bars import Bars
from scenes.kit.equation import Equation
from scenes.kit.frame import SAFE, column, fit_width, row, to_safe
from scenes.kit.matrix import PAD_TIGHT, Heatmap
from scenes.kit.record import tag
from scenes.kit.text import symbol_label, tex
from scenes.mamba.params._toy import RANDOM_EXAMPLE
from scenes.mamba.params.selection import Params as SelectionParams

MAX_CELL = 0.64  # the largest heatmap cell
PITCH_MAX = 1.45  # the widest column per token
BAR_MAX = 1.0  # the tallest bar


@register("mamba.selection")
class Selection(LectureScene):
    """Selection: Δ_t, B_t, C_t computed from each token; large Δ lets a token in, small Δ keeps the state."""

    Params = SelectionParams

    EXAMPLES = (
        {**RANDOM_EXAMPLE, "channel": 2, "state": 1},
        {"seed": 2, "channel": 1, "state": 2},  # the trained model on another input
    )

    STRINGS = {
        "en": {
            "title": "Selection: the token sets the step",
            "subtitle": "Δ, B and C are computed from each token of the sentence",
            "subtitle_trained": "a Mamba trained to copy the letters (data) and skip the dots (noise)",
            "step": "step",
            "rows": "rows: tokens · columns: channels d (Δ) or states n (B, C)",
            "which": "channel d = {d}, state n = {n}, A = {a}",
            "keep": "keep",
            "let_in": "let in",
            "most": '"{tok}": large Δ = {delta} → keeps {keep} of the state, lets in {gain}: it gets in',
            "least": '"{tok}": small Δ = {delta} → keeps {keep} of the state, lets in {gain}: ignored',
            "lti": "LTI (fixed Δ = {delta}, A, B): every token keeps {keep} and lets in {gain}",
            "lti_note": "whatever the token says — the model cannot choose what to remember",
        },
        "zh": {
            "title": "选择机制：由 token 决定步长",
            "subtitle": "Δ、B、C 都由句子中的每个 token 计算得到",
            "subtitle_trained": "训练好的 Mamba：复制字母（数据），跳过圆点（噪声）",
            "step": "步长",
            "rows": "行：token · 列：通道 d（Δ）或状态 n（B、C）",
            "which": "通道 d = {d}，状态 n = {n}，A = {a}",
            "keep": "保留",
            "let_in": "写入",
            "most": "“{tok}”：Δ 大 = {delta} → 保留 {keep} 的状态，写入 {gain}：这个 token 进入状态",
            "least": "“{tok}”：Δ 小 = {delta} → 保留 {keep} 的状态，写入 {gain}：这个 token 被忽略",
            "lti": "LTI（固定 Δ = {delta}、A、B）：每个 token 都保留 {keep}、写入 {gain}",
            "lti_note": "不管 token 说了什么——模型无法选择记住什么",
        },
    }

    # What the lecturer says per beat; every number comes in through a field drawn on screen.
    NARRATION = {
        "en": {
            "formulas": "Selection means the token sets the step. From each token's vector, Mamba computes "
            "three things: the step size Delta, through a softplus so that it stays positive, and the "
            "vectors B and C, which write into the state and read it out.",
            "maps": "Here they are for every token of the input. Each row is a token; the columns are the "
            "channels for Delta and the state entries for B and C. In a fixed state-space model these "
            "would be the same on every row.",
            "delta": "Now follow channel {d} and state entry {n}, where A is {a}. The step turns into two "
            "factors: A bar, the part of the state that is kept, and B bar, the part of the token that is "
            "let in. The first row shows Delta for each token.",
            "factors": "Below it, the two factors. A is negative, so a larger step keeps less of the old "
            "state and lets more of the token in.",
            "most": 'The token "{tok}" gets the largest step, Delta {delta}. It keeps only {keep} of the '
            "state and lets in {gain}: this token gets into the memory.",
            "least": 'The token "{tok}" gets the smallest step, Delta {delta}. It keeps {keep} of the '
            "state and lets in only {gain}: the model all but ignores it.",
            "lti": "Compare a time-invariant model, with one fixed step of {delta} for every token. Every "
            "token then keeps {keep} and lets in {gain}, whatever it says.",
            "lti_note": "Such a model cannot choose what to remember. Selection is what lets Mamba keep "
            "the tokens that matter and skip the rest.",
        },
        "zh": {
            "formulas": "选择机制的意思是：由 token 决定步长。Mamba 从每个 token 的向量算出三样东西："
            "步长 Delta，经过 softplus 保证它是正数；还有向量 B 和 C，分别负责写入状态和读出状态。",
            "maps": "这里是输入中每个 token 的结果。每一行是一个 token，列对 Delta 来说是通道，"
            "对 B 和 C 来说是状态分量。如果是固定的状态空间模型，每一行都会一模一样。",
            "delta": "现在只看第 {d} 个通道和第 {n} 个状态分量，这里 A 等于 {a}。步长变成两个系数："
            "A bar 是状态保留下来的比例，B bar 是 token 写入的比例。第一行是每个 token 的 Delta。",
            "factors": "下面是这两个系数。A 是负数，所以步长越大，旧状态保留得越少，token 写入得越多。",
            "most": "“{tok}”这个 token 的步长最大，Delta 是 {delta}。它只保留 {keep} 的状态，写入 {gain}："
            "这个 token 进入了记忆。",
            "least": "“{tok}”这个 token 的步长最小，Delta 是 {delta}。它保留 {keep} 的状态，只写入 {gain}："
            "模型几乎忽略了它。",
            "lti": "对比一下时不变模型：所有 token 用同一个固定步长 {delta}。不管 token 说了什么，"
            "每个都保留 {keep}、写入 {gain}。",
            "lti_note": "这样的模型没法选择记住什么。正是选择机制让 Mamba 留下重要的 token，跳过其余的。",
        },
    }

    def construct(self) -> None:
        self.compute()
        self.show_projections()
        self.show_gates()
        self.show_lti()

    # --- numbers (all from lib/) -----------------------------------------------------------------
    def compute(self) -> None:
        p = self.params
        self.m = self.params.toy()
        self.g = selection_gates(self.m, p.channel, p.state)
        self.L = len(self.m.tokens)

    # --- beats -------------------------------------------------------------------------------------
    def show_projections(self) -> None:
        subtitle = "subtitle_trained" if self.params.model == "trained" else "subtitle"
        self.header = self.title_bar("title", subtitle)
        formulas = [
            tex(r"\Delta_t = \mathrm{softplus}(x_t W_\Delta + b_\Delta)", 30, theme.DELTA),
            tex(r"B_t = x_t W_B", 30, theme.MAT_B),
            tex(r"C_t = x_t W_C", 30, theme.MAT_C),
        ]
        sel = self.m.sel
        L, D, N = self.L, self.params.d_inner, self.params.d_state
        note = self.text("rows", size=theme.SMALL, color=theme.MUTED)
        # one cell size for the three maps: as large as fits under the formulas, above the note, and
        # across the frame beside the token labels (Δ's formula is wider than its map)
        tok_w = max(self.plain(t, size=theme.SMALL).width for t in self.m.tokens) + theme.BUFF_SMALL
        height = self.header.get_bottom()[1] - SAFE.bottom - formulas[0].height - note.height - 3 * theme.BUFF
        spare = SAFE.width - tok_w - 2 * theme.BUFF_LARGE - formulas[0].width
        cell = min(MAX_CELL, height / L, spare / (2 * N), SAFE.width / (D + 2 * N + 4))
        maps = [
            Heatmap(sel.delta, key="delta_all", cell=cell, pad=PAD_TIGHT, row_labels=self.m.tokens,
                    label_color=theme.INPUT),
            Heatmap(sel.B, key="B", cell=cell, pad=PAD_TIGHT),
            Heatmap(sel.C, key="C", cell=cell, pad=PAD_TIGHT),
        ]  # fmt: skip
        for f, mp in zip(formulas, maps, strict=True):
            f.next_to(mp.cells, UP, buff=theme.BUFF_SMALL)
        table = row([VGroup(f, mp) for f, mp in zip(formulas, maps, strict=True)], buff=theme.BUFF_LARGE,
                    align="bottom")  # fmt: skip
        fit_width(table)
        table.move_to([0, (self.header.get_bottom()[1] + SAFE.bottom + note.height) / 2, 0])
        note.next_to(table, DOWN, buff=theme.BUFF).set_x(0)
        with self.beat("formulas"):
            self.play(fade_in(self.header), fade_in(maps[0].row_labels))
            self.play(LaggedStart(*[Write(f) for f in formulas], lag_ratio=0.4), run_time=2)
            self.wait(1.0)
        with self.beat("maps"):
            self.play(LaggedStart(*[fade_in(mp) for mp in maps], lag_ratio=0.3))
            self.play(fade_in(note))
            self.wait(2.0)
        self.next_slide()
        self.play(fade_out(VGroup(table, note)))

    def gate_bars(self, values: np.ndarray, key: str, vmax: float, color, y: float) -> Bars:
        """One bar per token, under its token, standing on the row's baseline at ``y``, its value above."""
        b = Bars(
            values,
            key=key,
            color=color,
            vmax=vmax,
            length=self.bar_h,
            thickness=self.pitch * 0.42,
            gap=self.pitch * 0.58,
        )
        return b.shift(np.array([self.xs[0] - b.bar(0).get_x(), y - b.baseline(), 0.0]))

    def gate_fields(self, k: int) -> dict[str, str]:
        """Token ``k``'s name, Δ, keep and let-in as drawn (the caption and the narration share them)."""
        g = self.g
        return {
            "tok": self.m.tokens[k],
            "delta": numbers.fixed(g.delta[k], 2),
            "keep": numbers.fixed(g.keep[k], 2),
            "gain": numbers.fixed(g.let_in[k], 2),
        }

    def gate_line(self, key: str, k: int, color) -> VGroup:
        """ "token": Δ → keeps …, lets in …, tagged with (token index, Δ, keep, let in)."""
        g = self.g
        line = self.text(key, size=theme.LABEL, color=color, **self.gate_fields(k))
        return tag(line, key, (k, g.delta[k], g.keep[k], g.let_in[k]))

    def show_gates(self) -> None:
        g, p = self.g, self.params
        if self.m.discretization == "zoh":
            b_tex = r"\bar B_t = \frac{e^{\Delta_t A} - 1}{A}\, B_t"
        else:
            b_tex = r"\bar B_t = \Delta_t\, B_t"
        formula = Equation(
            r"\bar A_t = e^{\Delta_t A} \qquad " + b_tex,
            terms={"A_bar": r"\bar A_t = e^{\Delta_t A}", "B_bar": b_tex},
            colors={"A_bar": theme.MAT_A, "B_bar": theme.MAT_B},
            font_size=32,
        )
        which = self.text(
            "which",
            size=theme.SMALL,
            color=theme.MUTED,
            d=p.channel + 1,
            n=p.state + 1,
            a=numbers.fixed(g.A, 0),
        )
        tag(which, "which", (p.channel, p.state, g.A))
        top = row([formula, which], buff=theme.BUFF_SECTION)
        top.next_to(self.header, DOWN, buff=theme.BUFF).set_x(0)
        labels = [
            symbol_label(self.t("step"), r"\Delta_t", theme.DELTA, size=theme.LABEL),
            symbol_label(self.t("keep"), r"\bar A_t", theme.MAT_A, size=theme.LABEL),
            symbol_label(self.t("let_in"), r"\bar B_t / B_t", theme.MAT_B, size=theme.LABEL),
        ]
        # one column per token, right of the row labels
        left = SAFE.left + max(lab.width for lab in labels) + theme.BUFF_LARGE
        self.pitch = min(PITCH_MAX, (SAFE.right - left) / self.L)
        x0 = (left + SAFE.right) / 2 - self.pitch * (self.L - 1) / 2
        self.xs = [x0 + k * self.pitch for k in range(self.L)]
        tok_y = top.get_bottom()[1] - theme.BUFF_LARGE
        toks = VGroup()
        for k, tok in enumerate(self.m.tokens):
            lab = tag(self.plain(tok, size=theme.LABEL, color=theme.INPUT), "tokens", tok, k)
            toks.add(fit_width(lab, self.pitch * 0.92).move_to([self.xs[k], tok_y, 0]))
        # the captions of the next beats go under the rows: make room for the taller of them
        self.lines = column(
            [self.gate_line("most", g.most, theme.ACCENT), self.gate_line("least", g.least, theme.STATE)],
            buff=theme.BUFF_SMALL,
        )
        to_safe(fit_width(self.lines), DOWN).set_x(0)
        self.lti_caption = self.lti_lines()
        caption_top = max(self.lines.get_top()[1], self.lti_caption.get_top()[1]) + theme.BUFF_LARGE
        row_h = (toks.get_bottom()[1] - theme.BUFF_SMALL - caption_top) / 3
        self.bar_h = min(BAR_MAX, row_h - theme.BUFF_LARGE)  # room for the value above the bar
        self.rows_y = [toks.get_bottom()[1] - theme.BUFF_SMALL - row_h * (i + 1) for i in range(3)]
        self.vmax = {
            "delta": float(max(g.delta.max(), g.lti_delta)),
            "gate": float(max(1.0, g.let_in.max(), g.lti_let_in)),
        }
        bars = VGroup(
            self.gate_bars(g.delta, "delta", self.vmax["delta"], theme.DELTA, self.rows_y[0]),
            self.gate_bars(g.keep, "keep", self.vmax["gate"], theme.MAT_A, self.rows_y[1]),
            self.gate_bars(g.let_in, "let_in", self.vmax["gate"], theme.MAT_B, self.rows_y[2]),
        )
        half = self.pitch * 0.4
        bases = VGroup(
            *[
                Line([self.xs[0] - half, y, 0], [self.xs[-1] + half, y, 0], color=theme.GRID)
                for y in self.rows_y
            ]
        )
        for lab, y in zip(labels, self.rows_y, strict=True):
            to_safe(lab.set_y(y + self.bar_h / 2), LEFT)
        with self.beat("delta", d=p.channel + 1, n=p.state + 1, a=numbers.fixed(g.A, 0)):
            self.play(Write(formula), fade_in(which))
            self.play(fade_in(toks), fade_in(*labels), fade_in(bases))
            self.play(bars[0].grow())
            self.wait(1.0)
        with self.beat("factors"):
            self.play(fade_in(bars[1]))
            self.play(fade_in(bars[2]))
            self.wait(2.0)
        self.next_slide()

        boxes = VGroup(
            *[
                SurroundingRectangle(VGroup(toks[k], bars[2].item(k)), color=c, buff=theme.BUFF_TIGHT)
                for k, c in ((g.most, theme.ACCENT), (g.least, theme.STATE))
            ]
        )
        with self.beat("most", **self.gate_fields(g.most)):
            self.play(fade_in(boxes[0]), fade_in(self.lines[0]))
            self.wait(1.0)
        with self.beat("least", **self.gate_fields(g.least)):
            self.play(fade_in(boxes[1]), fade_in(self.lines[1]))
            self.wait(2.0)
        self.next_slide()
        self.bars, self.boxes = bars, boxes

    def lti_fields(self) -> dict[str, str]:
        """The LTI twin's one Δ, keep and let-in as drawn (the caption and the narration share them)."""
        g = self.g
        return {
            "delta": numbers.fixed(g.lti_delta, 2),
            "keep": numbers.fixed(g.lti_keep, 2),
            "gain": numbers.fixed(g.lti_let_in, 2),
        }

    def lti_lines(self) -> VGroup:
        """The LTI caption at the bottom: one Δ, keep and let-in for every token (tagged), and the moral."""
        g = self.g
        lti = self.text("lti", size=theme.LABEL, color=theme.FG, **self.lti_fields())
        tag(lti, "lti", (g.lti_delta, g.lti_keep, g.lti_let_in))
        note = self.text("lti_note", size=theme.LABEL, color=theme.ACCENT)
        return to_safe(fit_width(column([lti, note], buff=theme.BUFF_SMALL)), DOWN).set_x(0)

    def show_lti(self) -> None:
        g = self.g
        flat = [
            ("lti_delta", g.lti_delta, self.vmax["delta"], theme.DELTA),
            ("lti_keep", g.lti_keep, self.vmax["gate"], theme.MAT_A),
            ("lti_let_in", g.lti_let_in, self.vmax["gate"], theme.MAT_B),
        ]
        new = [
            self.gate_bars(np.full(self.L, v), key, vmax, color, y)
            for (key, v, vmax, color), y in zip(flat, self.rows_y, strict=True)
        ]
        lti, note = self.lti_caption
        self.play(fade_out(self.boxes), fade_out(self.lines))
        with self.beat("lti", **self.lti_fields()):
            self.play(
                *[ReplacementTransform(o, n) for o, n in zip(self.bars, new, strict=True)], run_time=1.5
            )
            self.wait(1.0)
            self.play(fade_in(lti))
            self.wait(1.0)
        with self.beat("lti_note"):
            self.play(fade_in(note))
            self.wait(2.5)
