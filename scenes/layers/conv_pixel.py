"""Convolution, one output pixel at a time (LeCun et al. 1998 §II.A): the kernel slides over a small
multi-channel input of whole numbers; at one position each channel's window is multiplied by its kernel
slice and summed, the channel sums and the bias are added, and the output map fills position by position.

    y[i, j] = b + Σ_c Σ_{u,v} w[c, u, v] · x[c, s·i + u, s·j + v]
"""

from __future__ import annotations

import numpy as np
from manim import DOWN, LEFT, RIGHT, UP, Create, Indicate, Rectangle, VGroup, Write

from lib.nets.conv import conv2d, conv2d_pixel
from lib.nets.conv_example import channel_sums, conv_example
from scenes.engine.base import LectureScene
from scenes.engine.registry import register
from scenes.kit import numbers, theme
from scenes.kit.anim import fade_in, fade_out
from scenes.kit.formula import Num, formula
from scenes.kit.frame import SAFE, column, fit_width, row
from scenes.kit.matrix import Heatmap
from scenes.kit.record import number
from scenes.layers._windows import int_grid, whole, window_box
from scenes.layers.params.conv_pixel import Params as ConvPixelParams

HOLD = theme.HOLD_BRIEF  # seconds to read a slide (scenes/kit/theme.py)
MAX_CELL = 0.5  # the input's cells: as large as the channel rows allow, up to this
OUT_CELL = 0.62  # the output map's cells: room for "−27"
FORMULA = 32  # TeX size of the worked sum
STEP = 0.35  # seconds per window move while sliding


def _int_tex(v: float) -> str:
    return numbers.integer(v, tex=True)


def _term_tex(v: float) -> str:
    """A term after another in the worked sum: "+3", "-2"."""
    return ("+" if v >= 0 else "") + numbers.integer(v, tex=True)


@register("layers.conv_pixel")
class ConvPixel(LectureScene):
    """A multi-channel convolution worked for one output pixel, then slid over the whole input."""

    Params = ConvPixelParams

    EXAMPLES = ({"channels": 3, "size": 4, "kernel": 2, "stride": 2, "seed": 11, "row": 1, "col": 0},)

    STRINGS = {
        "en": {
            "title": "Convolution, one output pixel at a time",
            "subtitle": "slide, multiply, add the channels, add the bias",
            "input": "input x",
            "kernel": "kernel w",
            "products": "window ⊙ kernel",
            "sum": "sum",
            "channel": "channel {c}",
            "bias": "bias b =",
            "output": "output y   {shape}",
            "and": " and ",
            "list_sep": ", ",
        },
        "zh": {
            "title": "卷积：一次算一个输出像素",
            "subtitle": "滑动、相乘、各通道相加、再加偏置",
            "input": "输入 x",
            "kernel": "卷积核 w",
            "products": "窗口 ⊙ 卷积核",
            "sum": "求和",
            "channel": "通道 {c}",
            "bias": "偏置 b =",
            "output": "输出 y   {shape}",
            "and": " 和 ",
            "list_sep": "、",
        },
    }

    NARRATION = {
        "en": {
            "inputs": "Here is a small input with {c} channels of {h} by {h} whole numbers, and a kernel "
            "with one {k} by {k} slice per channel. There is a single bias, {b}, for the whole output "
            "channel.",
            "slide": "The kernel slides over the input, and on every channel it looks at the same window. "
            "Let us stop at one position and compute the output pixel there.",
            "products": "In each channel, multiply every input number by the kernel weight lying on it, then "
            "add the products up. The channel sums are {sums}.",
            "sum": "A convolution mixes the channels: the channel sums are added together, and the bias is "
            "added once, not once per channel. That gives {value}, one number of the output map.",
            "fill": "Now slide the window to every position and repeat. Every output pixel uses the same "
            "weights on a different patch. This weight sharing is why a convolution needs so few parameters, "
            "and here the output map is {ho} by {wo}.",
        },
        "zh": {
            "inputs": "这是一个小输入，有 {c} 个通道，每个通道是 {h} 乘 {h} 的整数。"
            "卷积核在每个通道上各有一片 {k} 乘 {k} 的权重。整个输出通道只有一个偏置，等于 {b}。",
            "slide": "卷积核在输入上滑动，在每个通道上看的都是同一个窗口。"
            "我们停在一个位置，算出这里的输出像素。",
            "products": "在每个通道里，把窗口中的每个数乘以压在它上面的权重，再把乘积加起来。"
            "各通道的和分别是 {sums}。",
            "sum": "卷积会把各个通道混合起来：各通道的和相加，再加上偏置。"
            "偏置只加一次，而不是每个通道加一次。结果是 {value}，这就是输出图上的一个数。",
            "fill": "接下来把窗口滑到每一个位置，重复同样的计算。"
            "每个输出像素都用同一组权重，只是窗口里的数不同。"
            "这种权重共享正是卷积参数很少的原因。这里的输出图是 {ho} 乘 {wo}。",
        },
    }

    def construct(self) -> None:
        self.compute()
        self.show_inputs()
        self.show_window()
        self.show_sum()
        self.show_fill()

    # --- numbers (all from lib/) -----------------------------------------------------------------
    def compute(self) -> None:
        p = self.params
        self.ex = conv_example(p.channels, p.size, p.kernel, p.stride, p.seed)
        self.y = conv2d(self.ex.x, self.ex.w, self.ex.b, stride=p.stride).out[0, 0]  # (Ho, Wo)
        self.traces = {
            (i, j): conv2d_pixel(self.ex.x, self.ex.w, self.ex.b, 0, 0, i, j, stride=p.stride)
            for i in range(self.y.shape[0])
            for j in range(self.y.shape[1])
        }
        self.trace = self.traces[(p.row, p.col)]
        self.sums = channel_sums(self.trace)  # (C,)

    # --- building blocks -------------------------------------------------------------------------------
    def grid(self, values: np.ndarray, key: str, color, cell: float) -> Heatmap:
        return int_grid(values, key, color, cell)

    def windows_at(self, i: int, j: int) -> list[Rectangle]:
        """The window of output (i, j) on every channel (rows and columns as lib's trace reads them)."""
        t = self.traces[(i, j)]
        return [window_box(hm, int(t.rows[0]), int(t.cols[0]), self.params.kernel) for hm in self.x_maps]

    def say_list(self, values: np.ndarray) -> str:
        """ "−6, 10 and −3" as the sums are drawn (each one in its own words' locale)."""
        words = [whole(v) for v in values]
        if len(words) == 1:
            return words[0]
        return self.t("list_sep").join(words[:-1]) + self.t("and") + words[-1]

    # --- beats -------------------------------------------------------------------------------------
    def show_inputs(self) -> None:
        p, ex = self.params, self.ex
        self.header = self.title_bar("title", "subtitle")
        # the channel rows share the height under the title: cells as large as that allows
        room = self.header.get_bottom()[1] - theme.BUFF_LARGE - SAFE.bottom - 0.5
        cell = min(MAX_CELL, (room - theme.BUFF_LARGE * (p.channels - 1)) / (p.channels * p.size))
        self.x_maps = [self.grid(ex.x[0, c], f"x{c}", theme.INPUT, cell) for c in range(p.channels)]
        self.w_maps = [self.grid(ex.w[0, c], f"w{c}", theme.WEIGHT, cell) for c in range(p.channels)]
        self.p_maps = [
            self.grid(self.trace.products[c], f"prod{c}", theme.FG, cell) for c in range(p.channels)
        ]
        self.s_nums = [
            row(
                [
                    self.plain("Σ =", size=theme.LABEL, color=theme.FG),
                    number(self.sums[c], key="chan_sum", index=(c,), size=theme.LABEL, fmt=whole),
                ],
                buff=theme.BUFF_SMALL,
            )  # fmt: skip
            for c in range(p.channels)
        ]
        labels = [self.text("channel", size=theme.SMALL, color=theme.MUTED, c=c) for c in range(p.channels)]
        heads = []
        for key, color, shape in (
            ("input", theme.INPUT, (p.channels, p.size, p.size)),
            ("kernel", theme.WEIGHT, (p.channels, p.kernel, p.kernel)),
            ("products", theme.FG, None),
            ("sum", theme.FG, None),
        ):
            lines = [self.text(key, size=theme.SMALL, color=color)]
            if shape:  # the shape on a line of its own: the kernel's column is narrow
                lines.append(self.plain(numbers.shape(shape), size=theme.SMALL, color=color))
            heads.append(column(lines, buff=theme.BUFF_TIGHT, align="center"))
        # a table: one column per quantity (as wide as its widest member or header), one row per channel
        cols = [self.x_maps, self.w_maps, self.p_maps, self.s_nums]
        widths = [max(h.width, *(m.width for m in ms)) for h, ms in zip(heads, cols, strict=True)]
        centres = np.cumsum([0.0, *widths[:-1]]) + np.array(widths) / 2 + theme.BUFF_LARGE * np.arange(4)
        y = 0.0
        for c in range(p.channels):
            height = max(ms[c].height for ms in cols)
            for x, ms in zip(centres, cols, strict=True):
                ms[c].move_to([x, y - height / 2, 0.0])
            labels[c].next_to(self.x_maps[c], LEFT, buff=theme.BUFF)
            y -= height + theme.BUFF_LARGE
        for x, h in zip(centres, heads, strict=True):
            h.move_to([x, theme.BUFF_SMALL + h.height / 2, 0.0])
        self.heads = VGroup(*heads)
        self.labels = VGroup(*labels)
        left = VGroup(self.heads, self.labels, *self.x_maps, *self.w_maps, *self.p_maps, *self.s_nums)
        left.next_to(self.header, DOWN, buff=theme.BUFF_LARGE).align_to(self.header, LEFT)
        self.left = left

        # the right column: the bias, the output map (empty slots until computed), the worked sum
        self.bias = row(
            [self.text("bias", size=theme.LABEL, color=theme.BIAS),
             number(ex.b[0], key="b", size=theme.LABEL, color=theme.BIAS, fmt=whole)],
            buff=theme.BUFF_SMALL,
        )  # fmt: skip
        ho, wo = self.y.shape
        self.y_map = self.grid(self.y, "y", theme.OUTPUT, OUT_CELL)
        self.slots = VGroup(*[c.copy().set_fill(opacity=0).set_stroke(theme.GRID) for c in self.y_map.cells])
        y_head = self.text("output", size=theme.SMALL, color=theme.OUTPUT, shape=numbers.shape((1, ho, wo)))
        right = column([self.bias, y_head, VGroup(self.slots, self.y_map)], buff=theme.BUFF, align="center")
        right.next_to(left, RIGHT, buff=theme.BUFF_SECTION).align_to(left, UP)
        self.y_head = y_head
        with self.beat(
            "inputs",
            c=numbers.integer(p.channels),
            h=numbers.integer(p.size),
            k=numbers.integer(p.kernel),
            b=whole(ex.b[0]),
        ):
            self.play(fade_in(self.header))
            self.play(fade_in(self.labels), fade_in(heads[0]), *[fade_in(m) for m in self.x_maps])
            self.play(fade_in(heads[1]), *[fade_in(m) for m in self.w_maps], fade_in(self.bias))
            self.play(fade_in(y_head), fade_in(self.slots))
            self.wait(HOLD)
        self.next_slide()

    def show_window(self) -> None:
        p = self.params
        boxes = VGroup(*self.windows_at(0, 0))
        target = self.y_map.highlight_cell(0, 0)
        order = [(i, j) for i in range(self.y.shape[0]) for j in range(self.y.shape[1])]
        path = order[: order.index((p.row, p.col)) + 1]
        with self.beat("slide"):
            self.play(Create(boxes), Create(target))
            for i, j in path[1:]:
                self.play(
                    *[b.animate.move_to(n) for b, n in zip(boxes, self.windows_at(i, j), strict=True)],
                    target.animate.move_to(self.y_map.cell_at(i, j)),
                    run_time=STEP,
                )
            self.wait(0.5)
        with self.beat("products", sums=self.say_list(self.sums)):
            self.play(fade_in(self.heads[2]), *[fade_in(m) for m in self.p_maps])
            self.play(fade_in(self.heads[3]), *[fade_in(s) for s in self.s_nums])
            self.wait(HOLD)
        self.next_slide()
        self.boxes, self.target = boxes, target

    def show_sum(self) -> None:
        p = self.params
        pieces: list = [rf"y_{{{p.row},{p.col}}} ="]
        for c, s in enumerate(self.sums):
            pieces.append(Num(float(s), "term", (c,), fmt=_int_tex if c == 0 else _term_tex))
        pieces += [Num(float(self.trace.bias), "bias_term", fmt=_term_tex), "=",
                   Num(self.trace.value, "y_pixel", fmt=_int_tex)]  # fmt: skip
        worked = formula(*pieces, font_size=FORMULA, color=theme.OUTPUT)
        worked[-3].set_color(theme.BIAS)  # the bias term keeps its colour inside the sum
        room_left = self.left.get_right()[0] + theme.BUFF_LARGE  # the sum stays clear of the channel rows
        fit_width(worked, SAFE.right - room_left)
        worked.next_to(VGroup(self.slots, self.y_map), DOWN, buff=theme.BUFF_LARGE)
        worked.shift(max(room_left - worked.get_left()[0], 0.0) * RIGHT)
        worked.shift(min(SAFE.right - worked.get_right()[0], 0.0) * RIGHT)
        cell = VGroup(self.y_map.cell_at(p.row, p.col), self.y_map.number_at(p.row, p.col))
        with self.beat("sum", value=whole(self.trace.value)):
            self.play(Write(worked))
            self.play(fade_in(cell))
            self.play(Indicate(self.y_map.number_at(p.row, p.col), color=theme.ACCENT))
            self.wait(HOLD)
        self.next_slide()
        self.worked = worked

    def show_fill(self) -> None:
        p = self.params
        ho, wo = self.y.shape
        done = {(p.row, p.col)}
        with self.beat("fill", ho=numbers.integer(ho), wo=numbers.integer(wo)):
            self.play(fade_out(VGroup(self.worked, self.heads[2], self.heads[3], *self.p_maps, *self.s_nums)))
            for i in range(ho):
                for j in range(wo):
                    moves: list = [
                        b.animate.move_to(n) for b, n in zip(self.boxes, self.windows_at(i, j), strict=True)
                    ]
                    moves.append(self.target.animate.move_to(self.y_map.cell_at(i, j)))
                    self.play(*moves, run_time=STEP)
                    if (i, j) not in done:
                        self.play(
                            fade_in(VGroup(self.y_map.cell_at(i, j), self.y_map.number_at(i, j))),
                            run_time=0.3,
                        )
            self.play(fade_out(VGroup(self.boxes, self.target)))
            self.wait(HOLD)
