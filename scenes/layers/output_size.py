"""The output-size formula of convolution and pooling: a table of layers, one row worked step by step, and its
windows slid across the padded input to show why the formula counts window positions.

o = ⌊(W + 2P − D(K − 1) − 1)/S⌋ + 1 (Dumoulin & Visin 2016, Rel. 15; the torch.nn.Conv2d docs).
"""

from __future__ import annotations

from collections.abc import Sequence

from manim import LEFT, FadeIn, FadeOut, MathTex, Mobject, Rectangle, Square, VGroup, Write

from lib.core.window_steps import OutputSizeSteps, output_size_steps, window_taps
from scenes.engine.base import LectureScene
from scenes.engine.registry import register
from scenes.kit import numbers, theme
from scenes.kit.equation import Equation
from scenes.kit.formula import Num, formula
from scenes.kit.frame import below, column, fit_width
from scenes.kit.record import tag
from scenes.kit.table import NumberTable
from scenes.layers.params.output_size import Params as OutputSizeParams

HOLD = theme.HOLD_SHORT  # seconds to read a slide (scenes/kit/theme.py)
CELL = 0.72  # one input cell of the window picture (16 padded cells fit the frame)
STEP_TIME = 0.5  # seconds per window move
WORKED_SIZE = 48  # the worked row's formula: the only thing on its slide
SYMBOLS = ("W", "K", "S", "P", "D")  # the table's columns, in the params' order
COLORS = {"W": theme.INPUT, "K": theme.WEIGHT, "S": theme.FG, "P": theme.MUTED, "D": theme.FG}


def _int(n: int) -> str:
    return numbers.integer(n)


@register("layers.output_size")
class OutputSize(LectureScene):
    """The output-size formula on a table of layers, one row worked, and that row's windows drawn."""

    Params = OutputSizeParams
    EXAMPLES = (
        {"configs": ((64, 3, 1, 0, 1), (64, 4, 2, 1, 1), (7, 3, 1, 1, 2), (13, 3, 3, 1, 1)), "worked": 3},
    )

    STRINGS = {
        "en": {
            "title": "The output-size formula",
            "subtitle": "how many positions a sliding window fits along one axis",
            "col_W": "input",
            "col_K": "kernel",
            "col_S": "stride",
            "col_P": "padding",
            "col_D": "dilation",
            "col_out": "output",
            "worked_head": "Row {row}, step by step",
            "why_head": "Why: count the window positions (row {row})",
            "pad": "padding zeros",
            "padded": "padded input: {w} + 2 × {p} = {padded} cells",
            "span": "one window spans {d} × ({k} − 1) + 1 = {span} cells",
            "room": "it can move {room} cells: {steps} whole steps of {s}",
            "positions": "{steps} steps + the first position = {out} outputs",
            "unused": "{unused} cell(s) at the end are never read",
        },
        "zh": {
            "title": "输出尺寸公式",
            "subtitle": "滑动窗口沿一个轴能放下多少个位置",
            "col_W": "输入",
            "col_K": "卷积核",
            "col_S": "步幅",
            "col_P": "填充",
            "col_D": "空洞",
            "col_out": "输出",
            "worked_head": "第 {row} 行，逐步计算",
            "why_head": "为什么：数一数窗口的位置（第 {row} 行）",
            "pad": "填充的零",
            "padded": "补零后的输入：{w} + 2 × {p} = {padded} 格",
            "span": "一个窗口覆盖 {d} × ({k} − 1) + 1 = {span} 格",
            "room": "窗口能移动 {room} 格：步幅 {s}，完整的 {steps} 步",
            "positions": "{steps} 步 + 起始位置 = {out} 个输出",
            "unused": "末尾 {unused} 格从未被读到",
        },
    }

    NARRATION = {
        "en": {
            "formula": "Every convolution and pooling layer obeys one formula per axis. It takes the input "
            "size W, the padding P on each side, the kernel size K with its dilation D, and the stride S.",
            "table": "Here it is on a few layers. The first row has an input of {w0} and a kernel of {k0} "
            "with stride {s0}, which gives {o0} outputs.",
            "worked": "Let's work out row {row} by hand. Substitute the numbers, compute the top: {room}. "
            "Divide by the stride {s} and round down to {steps}, then add one: {out}.",
            "why": "Why this shape? Pad the input and you have {padded} cells. One window covers {span} of "
            "them, so it can slide {room} cells further.",
            "slide": "In steps of {s} that is {steps} whole steps, and with the starting position {out} "
            "windows. The floor is simply a step that no longer fits: {unused} cells at the end stay unread.",
        },
        "zh": {
            "formula": "所有卷积层和池化层在每个轴上都服从同一个公式。它用到输入尺寸 W、两侧各 P 的填充、"
            "卷积核大小 K 和它的空洞 D，以及步幅 S。",
            "table": "把它用在几层上看看。第一行输入是 {w0}，卷积核 {k0}，步幅 {s0}，得到 {o0} 个输出。",
            "worked": "我们手算第 {row} 行。代入数字，先算分子：{room}。除以步幅 {s}，向下取整得 {steps}，"
            "再加一：{out}。",
            "why": "为什么是这个形式？补零之后共有 {padded} 格。一个窗口占 {span} 格，所以它还能再往后滑 "
            "{room} 格。",
            "slide": "按步幅 {s} 走，是 {steps} 个完整的步子，加上起始位置，一共 {out} 个窗口。向下取整就是"
            "最后走不满的那一步：末尾 {unused} 格没有被读到。",
        },
    }

    def construct(self) -> None:
        self.compute()
        self.show_table()
        self.show_worked()
        self.show_windows()

    # --- numbers (all from lib/) -----------------------------------------------------------------
    def compute(self) -> None:
        p = self.params
        self.rows = [output_size_steps(*c) for c in p.configs]
        self.w: OutputSizeSteps = self.rows[p.worked - 1]
        self.taps = window_taps(self.w)  # (out, K) input index of every tap

    # --- beats ---------------------------------------------------------------------------------------
    def show_table(self) -> None:
        rows = self.rows
        self.header = self.title_bar("title", "subtitle")
        eq = Equation(
            r"W_{out} = \left\lfloor \frac{W_{in} + 2P - D\,(K - 1) - 1}{S} \right\rfloor + 1",
            terms={"out": "W_{out}", "in": "W_{in}", "P": "P", "D": "D", "K": "K", "S": "S"},
            colors={"out": theme.OUTPUT, "in": theme.INPUT, "K": theme.WEIGHT},
        )
        below(eq, self.header, buff=theme.BUFF_SECTION).set_x(0)
        heads = [
            column(
                [
                    self.plain(sym, size=theme.LABEL, color=COLORS[sym]),
                    self.text(f"col_{sym}", size=theme.SMALL, color=theme.MUTED),
                ],
                buff=theme.BUFF_TIGHT,
                align="right",
            )
            for sym in SYMBOLS
        ]
        heads.append(
            column(
                [
                    self.plain("out", size=theme.LABEL, color=theme.OUTPUT),
                    self.text("col_out", size=theme.SMALL, color=theme.MUTED),
                ],
                buff=theme.BUFF_TIGHT,
                align="right",
            )
        )
        cols = [
            [r.size for r in rows],
            [r.kernel for r in rows],
            [r.stride for r in rows],
            [r.padding for r in rows],
            [r.dilation for r in rows],
            [r.out for r in rows],
        ]
        table = NumberTable(
            cols,
            header=heads,
            formats=_int,
            colors=[COLORS[s] for s in SYMBOLS] + [theme.OUTPUT],
            keys=["t_w", "t_k", "t_s", "t_p", "t_d", "t_out"],
            size=theme.LABEL,
            v_buff=0.16,
        )
        mark = self.params.worked - 1
        for j in range(len(cols)):
            table.cell(mark, j).set_color(theme.ACCENT)  # the row worked next
        fit_width(table)
        below(table, eq, buff=theme.BUFF_LARGE, align="center").set_x(0)
        first = rows[0]
        with self.beat("formula"):
            self.play(FadeIn(self.header), Write(eq))
            self.wait(HOLD / 2)
        with self.beat(
            "table", w0=_int(first.size), k0=_int(first.kernel), s0=_int(first.stride), o0=_int(first.out)
        ):
            self.play(FadeIn(table))
            self.wait(HOLD)
        self.next_slide()
        self.play(FadeOut(VGroup(eq, table)))

    def _formula(self, pieces: Sequence[tuple[str | Num, object]]) -> MathTex:
        """One MathTex of (piece, colour) pairs, each number in the colour of the symbol it replaces."""
        mob = formula(*[pc for pc, _ in pieces], font_size=WORKED_SIZE)
        kept = [c for pc, c in pieces if (pc if isinstance(pc, str) else pc.tex())]
        for part, c in zip(mob.submobjects, kept, strict=True):
            part.set_color(c)
        return mob

    def show_worked(self) -> None:
        w = self.w
        head = self.text("worked_head", size=theme.BODY, row=self.params.worked)
        below(head, self.header, buff=theme.BUFF_SECTION)

        def n(v: int, key: str) -> Num:
            return Num(v, key, fmt=lambda x: numbers.integer(x, tex=True))

        eq = self._formula(
            [
                (r"W_{out}", theme.OUTPUT),
                (r"&= \left\lfloor \frac{", theme.FG),
                (n(w.size, "w_in"), theme.INPUT),
                (r"+ 2 \cdot", theme.FG),
                (n(w.padding, "w_pad"), theme.MUTED),
                ("-", theme.FG),
                (n(w.dilation, "w_dil"), theme.FG),
                (r"\cdot (", theme.FG),
                (n(w.kernel, "w_kernel"), theme.WEIGHT),
                (r"- 1) - 1}{", theme.FG),
                (n(w.stride, "w_stride"), theme.FG),
                (r"} \right\rfloor + 1", theme.FG),
                (r"\\ &= \left\lfloor \frac{", theme.FG),
                (n(w.room, "w_room"), theme.ACCENT),
                ("}{", theme.FG),
                (n(w.stride, "w_stride2"), theme.FG),
                (r"} \right\rfloor + 1 =", theme.FG),
                (n(w.steps, "w_steps"), theme.ACCENT),
                ("+ 1 =", theme.FG),
                (n(w.out, "w_out"), theme.OUTPUT),
            ]
        )
        below(eq, head, buff=theme.BUFF_LARGE)
        eq.set_x(0)
        with self.beat(
            "worked",
            row=self.params.worked,
            room=_int(w.room),
            s=_int(w.stride),
            steps=_int(w.steps),
            out=_int(w.out),
        ):
            self.play(FadeIn(head), Write(eq))
            self.wait(HOLD)
        self.next_slide()
        self.play(FadeOut(VGroup(head, eq)))

    def _cells(self) -> tuple[VGroup, dict[int, Mobject]]:
        """The padded input along one axis: x₀ … x_{W−1} between P padding zeros each side (index −P …)."""
        w = self.w
        cells: dict[int, Mobject] = {}
        for i in range(-w.padding, w.size + w.padding):
            real = 0 <= i < w.size
            box = Square(CELL, stroke_color=theme.INPUT if real else theme.GRID, stroke_width=2)
            box.set_fill(theme.INPUT if real else theme.ZERO, opacity=0.18 if real else 0.6)
            label = self.plain(
                "x" + numbers.subscript(i) if real else "0",
                size=theme.LABEL,
                color=theme.FG if real else theme.MUTED,
            )
            cells[i] = VGroup(box, tag(label.move_to(box), "cell", "x" if real else 0, (i,)))
        strip = VGroup(*cells.values()).arrange(buff=0)
        return strip, cells

    def show_windows(self) -> None:
        w, taps = self.w, self.taps
        head = self.text("why_head", size=theme.BODY, row=self.params.worked)
        below(head, self.header, buff=theme.BUFF_SECTION)
        strip, cells = self._cells()
        below(strip, head, buff=theme.BUFF_SECTION * 1.5, align="center").set_x(0)
        # one outlined square per tap: dilation shows as gaps between them
        window = VGroup(
            *[
                Square(CELL * 0.92, stroke_color=theme.ACCENT, stroke_width=5).move_to(cells[int(t)])
                for t in taps[0]
            ]
        )
        outs = []
        for j in range(w.out):
            box = Rectangle(width=CELL * 0.92, height=CELL * 0.92, stroke_color=theme.OUTPUT, stroke_width=2)
            box.set_fill(theme.OUTPUT, opacity=0.2)
            label = tag(self.plain("y" + numbers.subscript(j), size=theme.LABEL), "out", j, (j,))
            centre = VGroup(*[cells[int(t)] for t in taps[j]]).get_center()
            cell = VGroup(box, label.move_to(box))
            cell.move_to([centre[0], strip.get_bottom()[1] - CELL, 0])
            outs.append(cell)
        lines = [
            tag(
                self.text(
                    "padded", size=theme.LABEL, w=_int(w.size), p=_int(w.padding), padded=_int(w.padded)
                ),
                "padded",
                w.padded,
            ),
            tag(
                self.text("span", size=theme.LABEL, d=_int(w.dilation), k=_int(w.kernel), span=_int(w.span)),
                "span",
                w.span,
            ),
            tag(
                self.text("room", size=theme.LABEL, room=_int(w.room), steps=_int(w.steps), s=_int(w.stride)),
                "room",
                w.room,
            ),
            tag(
                self.text("positions", size=theme.LABEL, steps=_int(w.steps), out=_int(w.out)),
                "positions",
                w.out,
            ),
            tag(
                self.text("unused", size=theme.LABEL, color=theme.MUTED, unused=_int(w.unused)),
                "unused",
                w.unused,
            ),
        ]
        notes = column(lines, buff=theme.BUFF_SMALL)
        below(notes, VGroup(strip, *outs), buff=theme.BUFF_LARGE, align="center")
        notes.align_to(strip, LEFT)
        with self.beat("why", padded=_int(w.padded), span=_int(w.span), room=_int(w.room)):
            self.play(FadeIn(head), FadeIn(strip))
            self.play(FadeIn(lines[0]))
            self.play(FadeIn(window), FadeIn(outs[0]), FadeIn(lines[1]))
            self.play(FadeIn(lines[2]))
        with self.beat(
            "slide", s=_int(w.stride), steps=_int(w.steps), out=_int(w.out), unused=_int(w.unused)
        ):
            for j in range(1, w.out):
                shift = cells[int(taps[j][0])].get_center() - cells[int(taps[j - 1][0])].get_center()
                self.play(window.animate.shift(shift), FadeIn(outs[j]), run_time=STEP_TIME)
            self.play(FadeIn(VGroup(*lines[3:])))
            self.wait(HOLD)
