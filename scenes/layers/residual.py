"""The residual highway: ‖∂L/∂x_l‖ layer by layer through a deep tanh stack, plain against residual.

References: He et al. 2016, eq. 1 (x_{l+1} = x_l + F(x_l)); He et al. 2016b, eqs. 4–5 (the identity term of
the gradient); Glorot & Bengio 2010, §4 (the gradient of a plain tanh stack fades towards the input).
"""

from __future__ import annotations

import numpy as np
from manim import DOWN, DR, UP, UR, Create, VGroup, Write

from lib.nets.residual_highway import highway
from scenes.engine.base import LectureScene
from scenes.engine.registry import register
from scenes.kit import numbers, theme
from scenes.kit.anim import fade_in, fade_out
from scenes.kit.equation import Equation
from scenes.kit.formula import Num, formula
from scenes.kit.frame import SAFE, below, column, fit_width, row, to_safe
from scenes.kit.plot import Plot, legend, log_bounds, nice_step
from scenes.kit.table import NumberTable
from scenes.layers.params.residual import Params as ResidualParams

HOLD = theme.HOLD_SHORT  # seconds to read a slide (scenes/kit/theme.py)
EQ_SIZE = 44  # the stacks' formulas
FACTOR_DIGITS = 3  # the per-layer factor: three decimals, so 0.914 and 1.072 differ visibly from 1


# Norms here span 10⁻⁶³ … 10²: three significant digits, scientific outside 10⁻³ … 10⁴.
norm_str = numbers.significant


def norm_tex(v: float) -> str:
    """:func:`norm_str` for a formula (ASCII TeX)."""
    return numbers.significant(v, tex=True)


def factor_str(v: float) -> str:
    return numbers.fixed(v, FACTOR_DIGITS)


@register("layers.residual")
class Residual(LectureScene):
    """Two stacks on the same weights and data: the gradient norm at every depth, the input/output ratio and
    the per-layer factor whose L-th power it is."""

    Params = ResidualParams

    EXAMPLES = ({"depth": 24, "width": 32, "batch": 16, "gain": 0.8, "seed": 3, "data_seed": 4},)

    STRINGS = {
        "en": {
            "title": "The residual highway",
            "subtitle": "He et al. 2016 · Identity Mappings, He et al. 2016b",
            "plain_head": "plain stack",
            "residual_head": "residual stack",
            "setup": "{L} layers F(x) = tanh(x W + b), width {d}, W ~ N(0, {gain}² / {d}), a batch of {b}",
            "layer_axis": "layer l",
            "grad_axis": "gradient norm ‖∂L/∂x‖ at layer l",
            "plain": "plain: x ← F(x)",
            "residual": "residual: x ← x + F(x)",
            "col_stack": "stack",
            "col_out": "at the output",
            "col_in": "at the input",
            "col_ratio": "input / output",
            "col_factor": "per layer",
            "row_plain": "plain",
            "row_residual": "residual",
            "compound": "the per-layer factor, compounded over {L} layers:",
        },
        "zh": {
            "title": "残差高速通道",
            "subtitle": "He 等 2016 · 恒等映射，He 等 2016b",
            "plain_head": "普通堆叠",
            "residual_head": "残差堆叠",
            "setup": "{L} 层 F(x) = tanh(x W + b)，宽 {d}，W ~ N(0, {gain}² / {d})，批大小 {b}",
            "layer_axis": "第 l 层",
            "grad_axis": "第 l 层的梯度范数 ‖∂L/∂x‖",
            "plain": "普通：x ← F(x)",
            "residual": "残差：x ← x + F(x)",
            "col_stack": "网络",
            "col_out": "输出端",
            "col_in": "输入端",
            "col_ratio": "输入 / 输出",
            "col_factor": "每层",
            "row_plain": "普通",
            "row_residual": "残差",
            "compound": "每层的系数，连乘 {L} 层：",
        },
    }

    NARRATION = {
        "en": {
            "stacks": "Take {L} identical tanh layers and stack them twice: once plainly, each layer feeding "
            "the next, and once with a skip connection that adds each layer's input to its output.",
            "jacobian": "Backpropagation multiplies one Jacobian per layer. The plain stack multiplies the "
            "layer's own Jacobian; the residual stack multiplies the identity plus that Jacobian.",
            "output": "We push a batch of random inputs through both and measure the gradient at every "
            "depth. At the output both start from the same norm, {out}.",
            "curves": "Going back, the plain stack's gradient fades layer after layer and reaches the input "
            "as {plain_in}. The residual stack delivers {res_in}: the early layers still get a signal.",
            "ratios": "As fractions of the output gradient: {ratio_plain} of it reaches the input of the "
            "plain stack, and {ratio_res} of the residual one.",
            "why": "Each plain layer scales the gradient by {factor_plain} on average, and {L} such factors "
            "compound to almost nothing. The identity term keeps the residual factor at {factor_res}: near "
            "one, so depth stops being a product of shrinking numbers.",
        },
        "zh": {
            "stacks": "取 {L} 个相同的 tanh 层，堆叠两次：一次是普通堆叠，每层直接接下一层；"
            "另一次加上跳跃连接，把每层的输入加到它的输出上。",
            "jacobian": "反向传播时，每经过一层就乘一个雅可比矩阵。普通堆叠乘的是这一层自己的雅可比矩阵；"
            "残差堆叠乘的是单位矩阵加上这个雅可比矩阵。",
            "output": "我们让一批随机输入通过这两个网络，测量每个深度上的梯度。"
            "在输出端，两者的梯度范数相同，都是 {out}。",
            "curves": "往回走，普通堆叠的梯度一层一层地衰减，到达输入时只剩 {plain_in}。"
            "残差堆叠到达输入时是 {res_in}：前面的层依然能收到信号。",
            "ratios": "换成输出梯度的比例：普通堆叠只有 {ratio_plain} 传到了输入端，"
            "残差堆叠则是 {ratio_res}。",
            "why": "普通堆叠的每一层平均把梯度乘以 {factor_plain}，{L} 个这样的系数连乘起来几乎就没了。"
            "恒等项让残差堆叠的每层系数保持在 {factor_res}，接近一，深度就不再是一串小于一的数相乘。",
        },
    }

    def construct(self) -> None:
        self.compute()
        self.header = self.title_bar("title", "subtitle")
        self.add(self.header)
        self.show_stacks()
        self.show_curves()
        self.show_ratios()

    def compute(self) -> None:
        p = self.params
        self.hw = highway(p.batch_input(), p.depth, p.width, p.gain, p.seed)

    def centre(self, content: VGroup) -> None:
        """Centre ``content`` in the free area under the title bar (keeps it off the title when tall)."""
        below(content, self.header, buff=theme.BUFF_SECTION).set_x(0)
        room = content.get_bottom()[1] - SAFE.bottom
        if room > 0:
            content.shift(DOWN * room / 2)

    # --- beats -----------------------------------------------------------------------------------------
    def stack_card(self, residual: bool) -> VGroup:
        """A stack's update rule and its one-layer Jacobian, under a heading in the stack's colour."""
        color = theme.RESIDUAL if residual else theme.PLAIN
        head = self.text("residual_head" if residual else "plain_head", size=theme.BODY, color=color)
        step = Equation(
            r"x_{l+1} = x_l + F(x_l)" if residual else r"x_{l+1} = F(x_l)",
            terms=["x_l +"] if residual else [],
            colors={"x_l +": theme.ACCENT} if residual else {},
            font_size=EQ_SIZE,
        )
        jac = Equation(
            r"\frac{\partial x_{l+1}}{\partial x_l} = I + \frac{\partial F}{\partial x_l}"
            if residual
            else r"\frac{\partial x_{l+1}}{\partial x_l} = \frac{\partial F}{\partial x_l}",
            terms=["I"] if residual else [],
            colors={"I": theme.ACCENT} if residual else {},
            font_size=EQ_SIZE,
        )
        card = column([head, step, jac], buff=theme.BUFF_LARGE, align="center")
        card.jac = jac
        return card

    def show_stacks(self) -> None:
        p = self.params
        self.cards = [self.stack_card(False), self.stack_card(True)]
        body = row(self.cards, buff=theme.BUFF_SECTION * 3, align="top")
        setup = self.text(
            "setup",
            size=theme.LABEL,
            color=theme.MUTED,
            L=numbers.integer(p.depth),
            d=numbers.integer(p.width),
            gain=numbers.fixed(p.gain, 1),
            b=numbers.integer(p.batch),
        )
        content = fit_width(column([body, setup], buff=theme.BUFF_SECTION * 2, align="center"))
        self.centre(content)
        with self.beat("stacks", L=numbers.integer(p.depth)):
            self.play(fade_in(self.cards[0][:2]), fade_in(self.cards[1][:2]))
            self.play(fade_in(setup))
        with self.beat("jacobian"):
            self.play(Write(self.cards[0].jac), Write(self.cards[1].jac))
            box = self.cards[1].jac.highlight("I")
            self.play(Create(box))
            self.wait(HOLD)
        self.next_slide()
        self.play(fade_out(VGroup(content, box)))

    def show_curves(self) -> None:
        p, hw = self.params, self.hw
        plain, res = hw.plain.norms, hw.residual.norms  # (L+1,) each
        layers = np.arange(p.depth + 1)
        everything = np.concatenate([plain, res])
        lo, hi = log_bounds(everything, 10)
        # a decade more where a curve ends near the frame, so the readouts beside its ends have room
        lo, hi = lo / (10 if everything.min() < 3 * lo else 1), hi * (10 if everything.max() > hi / 3 else 1)
        plot = Plot(
            (0, p.depth, nice_step(p.depth, 5)),
            (lo, hi),
            y_scale="log",
            width=8.0,
            height=4.6,
            y_format=lambda v: numbers.sci(v, 0),
            x_label=self.t("layer_axis"),
            y_label=self.t("grad_axis"),
        )
        key = legend([(self.t("residual"), theme.RESIDUAL), (self.t("plain"), theme.PLAIN)])
        content = fit_width(row([plot, key], buff=theme.BUFF_LARGE))
        below(content, self.header, buff=theme.BUFF_SECTION).set_x(0)
        to_safe(content, DOWN)
        # series and readouts are placed on the plot where it now stands (they are not part of it)
        s_plain = plot.series(layers, plain, theme.PLAIN, key="grad_plain", dot_radius=0.04)
        s_res = plot.series(layers, res, theme.RESIDUAL, key="grad_residual", dot_radius=0.04)
        out = plot.readout(p.depth, plain[-1], norm_str, key="grad_out", direction=UP)
        in_plain = plot.readout(0, plain[0], norm_str, key="grad_in_plain", color=theme.PLAIN, direction=DR)
        in_res = plot.readout(0, res[0], norm_str, key="grad_in_residual", color=theme.RESIDUAL, direction=UR)
        with self.beat("output", out=norm_str(plain[-1])):
            self.play(Create(plot), fade_in(key))
            self.play(fade_in(out))
        with self.beat("curves", plain_in=norm_str(plain[0]), res_in=norm_str(res[0])):
            self.play(s_plain.grow(run_time=1.5))
            self.play(fade_in(in_plain))
            self.play(s_res.grow(run_time=1.5))
            self.play(fade_in(in_res))
            self.wait(HOLD)
        self.next_slide()
        self.play(fade_out(VGroup(content, s_plain, s_res, out, in_plain, in_res)))

    def show_ratios(self) -> None:
        p, hw = self.params, self.hw
        stacks = (hw.plain, hw.residual)
        table = NumberTable(
            [
                [self.t("row_plain"), self.t("row_residual")],
                [float(s.norms[-1]) for s in stacks],
                [float(s.norms[0]) for s in stacks],
                [s.ratio for s in stacks],
                [s.per_layer for s in stacks],
            ],
            header=[self.t(k) for k in ("col_stack", "col_out", "col_in", "col_ratio", "col_factor")],
            formats=[str, norm_str, norm_str, norm_str, factor_str],
            keys=[None, "t_out", "t_in", "t_ratio", "t_factor"],
            size=theme.BODY,
            header_size=theme.LABEL,
        )
        for i, c in enumerate((theme.PLAIN, theme.RESIDUAL)):
            for j in range(5):
                table.cell(i, j).set_color(c)
        note = self.text("compound", size=theme.LABEL, color=theme.MUTED, L=numbers.integer(p.depth))
        powers = [
            formula(
                Num(s.per_layer, "pow_factor", (i,), fmt=lambda v: numbers.fixed(v, FACTOR_DIGITS, tex=True)),
                rf"^{{{p.depth}}} =",
                Num(s.ratio, "pow_ratio", (i,), fmt=norm_tex),
                font_size=EQ_SIZE,
                color=c,
            )
            for i, (s, c) in enumerate(zip(stacks, (theme.PLAIN, theme.RESIDUAL), strict=True))
        ]
        jac = self.cards[1].jac
        compound = column(
            [note, row(powers, buff=theme.BUFF_SECTION * 3), jac], buff=theme.BUFF_LARGE, align="center"
        )
        content = fit_width(column([table, compound], buff=theme.BUFF_SECTION, align="center"))
        self.centre(content)
        with self.beat("ratios", ratio_plain=norm_str(hw.plain.ratio), ratio_res=norm_str(hw.residual.ratio)):
            self.play(fade_in(table))
            self.wait(HOLD)
        self.next_slide()
        with self.beat(
            "why",
            L=numbers.integer(p.depth),
            factor_plain=factor_str(hw.plain.per_layer),
            factor_res=factor_str(hw.residual.per_layer),
        ):
            self.play(fade_in(note))
            self.play(Write(powers[0]), Write(powers[1]))
            self.play(fade_in(jac), Create(jac.highlight("I")))
            self.wait(HOLD)
