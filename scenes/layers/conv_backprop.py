"""Backpropagation through a convolution (LeCun et al. 1998 §II.A; Dumoulin & Visin 2016 §4.1), with numbers:
given δ = ∂L/∂y, the bias gradient is Σ δ, the kernel gradient is the input correlated with δ, and the input
gradient is the full convolution of δ (padded by k − 1 zeros) with the kernel rotated by 180°.

    ∂L/∂b = Σ_{i,j} δ_ij     ∂L/∂w_uv = Σ_{i,j} δ_ij x_{i+u, j+v}     ∂L/∂x = pad_{k−1}(δ) ⋆ rot180(w)
"""

from __future__ import annotations

from manim import DOWN, Create, Indicate, Mobject, Rectangle, VGroup, Write

from lib.nets.conv import conv2d
from lib.nets.conv_example import (
    bias_grad,
    conv_example,
    flipped_kernel,
    input_grad_full,
    input_grad_pixel,
    padded_grad,
    weight_grad,
    weight_grad_pixel,
)
from scenes.engine.base import LectureScene
from scenes.engine.registry import register
from scenes.kit import numbers, theme
from scenes.kit.anim import fade_in, fade_out
from scenes.kit.equation import Equation
from scenes.kit.formula import Num, formula
from scenes.kit.frame import column, fit_width, row, to_safe
from scenes.kit.matrix import Heatmap
from scenes.kit.record import number
from scenes.layers._windows import int_grid, whole, window_box
from scenes.layers.params.conv_backprop import Params as ConvBackpropParams

HOLD = theme.HOLD_BRIEF  # seconds to read a slide (scenes/kit/theme.py)
CELL = 0.55  # every grid of the scene at one scale, so shapes compare at a glance
EQ = 34  # TeX size of the slide's formula
STEP = 0.3  # seconds per window move while filling a gradient map


def _int_tex(v: float) -> str:
    return numbers.integer(v, tex=True)


@register("layers.conv_backprop")
class ConvBackprop(LectureScene):
    """The three gradients of a one-channel convolution, each worked for one entry and then filled in."""

    Params = ConvBackpropParams

    EXAMPLES = (
        {"size": 5, "kernel": 2, "seed": 9, "tap_row": 0, "tap_col": 1, "pixel_row": 4, "pixel_col": 2},
    )

    STRINGS = {
        "en": {
            "title": "Backpropagation through a convolution",
            "subtitle": "three gradients, each one a convolution again",
            "input": "input x",
            "kernel": "kernel w",
            "bias": "bias b =",
            "output": "output y",
            "delta": "δ = ∂L/∂y",
            "delta_note": "handed down by the next layer",
            "bias_note": "b is added to every output, so each one sends its δ straight back",
            "window": "x, window at ({u}, {v})",
            "products": "products",
            "dw": "∂L/∂w",
            "dw_note": "slide a window of δ's size over x: the input correlated with δ",
            "padded": "δ, zero-padded by k − 1 = {p}",
            "flipped": "w rotated 180°",
            "dx": "∂L/∂x",
            "dx_note": "a full convolution: pad δ, flip the kernel, slide",
        },
        "zh": {
            "title": "卷积层的反向传播",
            "subtitle": "三个梯度，每一个又都是卷积",
            "input": "输入 x",
            "kernel": "卷积核 w",
            "bias": "偏置 b =",
            "output": "输出 y",
            "delta": "δ = ∂L/∂y",
            "delta_note": "由下一层传回来",
            "bias_note": "b 加在每个输出上，所以每个输出把自己的 δ 原样传回",
            "window": "x，窗口位于 ({u}, {v})",
            "products": "乘积",
            "dw": "∂L/∂w",
            "dw_note": "用 δ 大小的窗口在 x 上滑动：x 与 δ 做互相关",
            "padded": "δ 四周补 {p} 圈零",
            "flipped": "w 旋转 180°",
            "dx": "∂L/∂x",
            "dx_note": "全卷积：给 δ 补零，把卷积核翻转，再滑动",
        },
    }

    NARRATION = {
        "en": {
            "setup": "Here is the forward pass: the input convolved with the kernel, plus a bias of {b}, "
            "gives the output.",
            "upstream": "Backpropagation hands us delta, the gradient of the loss with respect to each "
            "output. From it we need three gradients: for the bias, for the kernel, and for the input.",
            "bias": "The bias is added to every output pixel, so its gradient is simply the sum of all of "
            "delta: {db}.",
            "weight": "One kernel weight touches every output, each time multiplied by a different input. So "
            "its gradient is a window of x, the size of delta, multiplied by delta and summed: {dw}.",
            "weight_fill": "Slide that window over x and every position gives one weight's gradient. The "
            "input correlated with delta has exactly the shape of the kernel.",
            "flip": "For the input, go the other way round. Pad delta with {p} rings of zeros, and rotate "
            "the kernel by half a turn.",
            "input": "Each input pixel collects the delta of every output it fed, weighted by the kernel "
            "weight that linked them. The flipped kernel over the padded delta gives {dx}.",
            "input_fill": "Slide over the whole padded delta and every input pixel gets its gradient. These "
            "are the numbers autograd computes, now with a picture behind them.",
        },
        "zh": {
            "setup": "这是前向传播：输入与卷积核做卷积，加上偏置 {b}，得到输出。",
            "upstream": "反向传播交给我们 δ，也就是损失对每个输出的梯度。"
            "有了它，我们要求三个梯度：偏置的、卷积核的和输入的。",
            "bias": "偏置加在每一个输出像素上，所以它的梯度就是 δ 所有元素的和：{db}。",
            "weight": "卷积核的一个权重参与了每一个输出，每次乘的是不同的输入。"
            "所以它的梯度是：取 x 中和 δ 一样大的窗口，与 δ 逐项相乘再求和，得到 {dw}。",
            "weight_fill": "让这个窗口在 x 上滑动，每个位置给出一个权重的梯度。"
            "x 与 δ 的互相关，形状正好和卷积核一样。",
            "flip": "输入的梯度要反过来算。给 δ 四周补上 {p} 圈零，再把卷积核旋转半圈。",
            "input": "每个输入像素收集它参与过的所有输出的 δ，权重就是连接它们的那个卷积核元素。"
            "翻转的卷积核压在补零的 δ 上，算出 {dx}。",
            "input_fill": "在整个补零的 δ 上滑动，每个输入像素都得到自己的梯度。"
            "这些正是自动求导算出的数，现在我们看清了它们从哪里来。",
        },
    }

    def construct(self) -> None:
        self.compute()
        self.show_forward()
        self.show_bias()
        self.show_weight()
        self.show_input()

    # --- numbers (all from lib/) -----------------------------------------------------------------
    def compute(self) -> None:
        p = self.params
        self.ex = conv_example(1, p.size, p.kernel, 1, p.seed)
        ex = self.ex
        self.y = conv2d(ex.x, ex.w, ex.b).out[0, 0]  # (o, o)
        self.db = bias_grad(ex.dy)[0]
        self.dw = weight_grad(ex.x, ex.dy)[0, 0]  # (k, k)
        self.dw_trace = weight_grad_pixel(ex.x, ex.dy, 0, 0, p.tap_row, p.tap_col)
        self.dx = input_grad_full(ex.dy, ex.w, (p.size, p.size))[0, 0]  # (H, W)
        self.dx_trace = input_grad_pixel(ex.dy, ex.w, (p.size, p.size), 0, p.pixel_row, p.pixel_col)
        self.dy_pad = padded_grad(ex.dy, (p.kernel, p.kernel))[0, 0]  # (o + 2k − 2, …)
        self.w_flip = flipped_kernel(ex.w)[0, 0]  # (k, k)

    # --- building blocks -------------------------------------------------------------------------------
    def headed(self, hm: Heatmap, key: str, color, **fmt) -> VGroup:
        """A grid with its name over it."""
        return column([self.text(key, size=theme.SMALL, color=color, **fmt), hm], align="center")

    def op(self, s: str) -> Mobject:
        return self.plain(s, size=theme.HEADING, color=theme.MUTED)

    def note(self, key: str, **fmt) -> Mobject:
        return to_safe(fit_width(self.text(key, size=theme.LABEL, color=theme.MUTED, **fmt)), DOWN)

    def placed(self, body: VGroup) -> VGroup:
        """Centred under the title bar, within the safe width."""
        fit_width(body)
        return body.next_to(self.header, DOWN, buff=theme.BUFF_SECTION).set_x(0)

    def worked_sum(self, prefix: str, key: str, value: float) -> Mobject:
        return row(
            [self.plain(prefix, size=theme.LABEL, color=theme.GRAD),
             number(value, key=key, size=theme.LABEL, color=theme.GRAD, fmt=whole)],
            buff=theme.BUFF_SMALL,
        )  # fmt: skip

    def fill(
        self, box: Rectangle, source: Heatmap, target: Heatmap, size: int, skip: tuple[int, int]
    ) -> None:
        """Move ``box`` (``size`` cells of ``source``) over every position, revealing ``target`` cell by
        cell (``skip``: the cell already worked)."""
        n_r, n_c = target.shape
        for i in range(n_r):
            for j in range(n_c):
                moves = [box.animate.move_to(window_box(source, i, j, size))]
                if (i, j) != skip:  # one animation per position: the window arrives as its entry appears
                    moves.append(fade_in(VGroup(target.cell_at(i, j), target.number_at(i, j))))
                self.play(*moves, run_time=STEP)

    # --- beats -------------------------------------------------------------------------------------
    def show_forward(self) -> None:
        ex = self.ex
        self.header = self.title_bar("title", "subtitle")
        x = self.headed(int_grid(ex.x[0, 0], "x", theme.INPUT, CELL), "input", theme.INPUT)
        w = self.headed(int_grid(ex.w[0, 0], "w", theme.WEIGHT, CELL), "kernel", theme.WEIGHT)
        b = row(
            [self.text("bias", size=theme.LABEL, color=theme.BIAS),
             number(ex.b[0], key="b", size=theme.LABEL, color=theme.BIAS, fmt=whole)],
            buff=theme.BUFF_SMALL,
        )  # fmt: skip
        y = self.headed(int_grid(self.y, "y", theme.OUTPUT, CELL), "output", theme.OUTPUT)
        dy = self.headed(int_grid(ex.dy[0, 0], "delta", theme.GRAD, CELL), "delta", theme.GRAD)
        fwd = row([x, self.op("∗"), w, self.op("+"), b, self.op("="), y], buff=theme.BUFF)
        body = self.placed(row([fwd, dy], buff=theme.BUFF_SECTION + theme.BUFF_LARGE))
        note = self.text("delta_note", size=theme.SMALL, color=theme.MUTED).next_to(dy, DOWN, buff=theme.BUFF)
        with self.beat(
            "setup",
            b=whole(ex.b[0]),
        ):
            self.play(fade_in(self.header))
            self.play(fade_in(fwd))
            self.wait(HOLD)
        with self.beat("upstream"):
            self.play(fade_in(dy), fade_in(note))
            self.wait(HOLD)
        self.next_slide()
        self.fwd, self.dy_group, self.dy_note, self.body = fwd, dy, note, body

    def show_bias(self) -> None:
        dy_map: Heatmap = self.dy_group[1]
        box = window_box(dy_map, 0, 0, *dy_map.shape)
        eq = formula(
            r"\frac{\partial L}{\partial b} = \sum_{i,j} \delta_{ij} =", Num(self.db, "db", fmt=_int_tex),
            font_size=EQ, color=theme.GRAD,
        )  # fmt: skip
        eq.next_to(self.body, DOWN, buff=theme.BUFF_SECTION)
        note = self.note("bias_note")
        with self.beat("bias", db=whole(self.db)):
            self.play(fade_out(self.dy_note), Create(box))
            self.play(Write(eq), fade_in(note))
            self.wait(HOLD)
        self.next_slide()
        self.play(fade_out(VGroup(self.fwd, self.dy_group, box, eq, note)))

    def show_weight(self) -> None:
        p, ex, t = self.params, self.ex, self.dw_trace
        o = ex.dy.shape[-1]
        eq = Equation(
            r"\frac{\partial L}{\partial w_{uv}} = \sum_{i,j} \delta_{ij}\, x_{i+u,\,j+v}",
            terms=[r"\delta_{ij}", r"x_{i+u,\,j+v}"],
            colors={r"\delta_{ij}": theme.GRAD, r"x_{i+u,\,j+v}": theme.INPUT},
            font_size=EQ,
        )
        x_map = int_grid(ex.x[0, 0], "x", theme.INPUT, CELL)
        x = self.headed(x_map, "window", theme.INPUT, u=p.tap_row, v=p.tap_col)
        dy = self.headed(int_grid(ex.dy[0, 0], "delta", theme.GRAD, CELL), "delta", theme.GRAD)
        prods = self.headed(int_grid(t.products[0], "dw_prod", theme.FG, CELL), "products", theme.FG)
        total = self.worked_sum("Σ =", "dw_sum", t.value)
        dw_map = int_grid(self.dw, "dw", theme.GRAD, CELL)
        slots = VGroup(*[c.copy().set_fill(opacity=0).set_stroke(theme.GRID) for c in dw_map.cells])
        dw = self.headed(VGroup(slots, dw_map), "dw", theme.GRAD)
        ops = [self.op("⊙"), self.op("=")]
        body = self.placed(
            column(
                [eq, row([x, ops[0], dy, ops[1], prods, total, dw], buff=theme.BUFF)],
                buff=theme.BUFF_LARGE,
                align="center",
            )
        )
        box = window_box(x_map, p.tap_row, p.tap_col, o)
        target = dw_map.highlight_cell(p.tap_row, p.tap_col)
        cell = VGroup(dw_map.cell_at(p.tap_row, p.tap_col), dw_map.number_at(p.tap_row, p.tap_col))
        note = self.note("dw_note")
        with self.beat("weight", dw=whole(t.value)):
            self.play(Write(eq), fade_in(x), fade_in(dy), fade_in(dw[0]), fade_in(slots))
            self.play(Create(box), Create(target))
            self.play(fade_in(*ops), fade_in(prods), fade_in(total))
            self.play(fade_in(cell), Indicate(total, color=theme.ACCENT))
            self.wait(HOLD)
        self.next_slide()
        with self.beat("weight_fill"):
            self.play(fade_out(VGroup(prods, total, *ops)), fade_in(note))
            self.remove(target)
            self.fill(box, x_map, dw_map, o, (p.tap_row, p.tap_col))
            self.wait(HOLD)
        self.next_slide()
        self.play(fade_out(VGroup(body, box, note)))

    def show_input(self) -> None:
        p, t = self.params, self.dx_trace
        k = p.kernel
        eq = Equation(
            r"\frac{\partial L}{\partial x} = \mathrm{pad}_{k-1}(\delta) \star \mathrm{rot}_{180}(w)",
            terms=[r"\mathrm{pad}_{k-1}(\delta)", r"\mathrm{rot}_{180}(w)"],
            colors={r"\mathrm{pad}_{k-1}(\delta)": theme.GRAD, r"\mathrm{rot}_{180}(w)": theme.WEIGHT},
            font_size=EQ,
        )
        pad_map = int_grid(self.dy_pad, "delta_pad", theme.GRAD, CELL)
        padded = self.headed(pad_map, "padded", theme.GRAD, p=k - 1)
        w = self.headed(int_grid(self.w_flip, "w_flip", theme.WEIGHT, CELL), "flipped", theme.WEIGHT)
        prods = self.headed(int_grid(t.products[0], "dx_prod", theme.FG, CELL), "products", theme.FG)
        total = self.worked_sum("Σ =", "dx_sum", t.value)
        dx_map = int_grid(self.dx, "dx", theme.GRAD, CELL)
        slots = VGroup(*[c.copy().set_fill(opacity=0).set_stroke(theme.GRID) for c in dx_map.cells])
        dx = self.headed(VGroup(slots, dx_map), "dx", theme.GRAD)
        ops = [self.op("⊙"), self.op("=")]
        self.placed(
            column(
                [eq, row([padded, ops[0], w, ops[1], prods, total, dx], buff=theme.BUFF)],
                buff=theme.BUFF_LARGE,
                align="center",
            )
        )
        box = window_box(pad_map, p.pixel_row, p.pixel_col, k)
        target = dx_map.highlight_cell(p.pixel_row, p.pixel_col)
        cell = VGroup(dx_map.cell_at(p.pixel_row, p.pixel_col), dx_map.number_at(p.pixel_row, p.pixel_col))
        note = self.note("dx_note")
        with self.beat("flip", p=numbers.integer(k - 1)):
            self.play(Write(eq), fade_in(padded), fade_in(w), fade_in(dx[0]), fade_in(slots))
            self.wait(HOLD)
        with self.beat("input", dx=whole(t.value)):
            self.play(Create(box), Create(target))
            self.play(fade_in(*ops), fade_in(prods), fade_in(total))
            self.play(fade_in(cell), Indicate(total, color=theme.ACCENT))
            self.wait(HOLD)
        self.next_slide()
        with self.beat("input_fill"):
            self.play(fade_out(VGroup(prods, total, *ops)), fade_in(note))
            self.remove(target)
            self.fill(box, pad_map, dx_map, k, (p.pixel_row, p.pixel_col))
            self.play(fade_out(box))
            self.wait(HOLD)
