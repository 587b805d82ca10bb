"""The feed-forward block: one token through d → 4d → d with ReLU and GELU, the activation curves, and
SwiGLU's gate at the parameter-matched width 8d/3.

Vaswani et al. 2017, eq. 2 (FFN); Hendrycks & Gimpel 2016 (GELU); Shazeer 2020, eq. 6 and §2 (SwiGLU, its
width 2·d_ff/3); Elfwing et al. 2018 (SiLU = Swish₁).
"""

from __future__ import annotations

import math
from functools import partial

from manim import Create, FadeIn, FadeOut, VGroup

from lib.transformer.ffn_view import activation_curves, compare_ffns
from scenes.engine.base import LectureScene
from scenes.engine.registry import register
from scenes.kit import numbers, theme
from scenes.kit.anim import fade_in
from scenes.kit.equation import Equation
from scenes.kit.frame import below, column, fit_width, grid, row
from scenes.kit.matrix import PAD_TIGHT, Heatmap
from scenes.kit.plot import Plot, legend
from scenes.kit.record import number, tag
from scenes.kit.table import NumberTable
from scenes.transformer.params.ffn import Params as FFNParams

HOLD = theme.HOLD  # seconds to read a slide (scenes/kit/theme.py)
HIDDEN_CELL = 0.5  # one hidden unit (4d of them must fit the frame's width)
OUT_CELL = 0.72  # one coordinate of x or y (two decimals)
CURVE_POINTS = 141  # samples of each activation curve
ACTIVATIONS = ("relu", "gelu", "silu")
CURVE_COLORS = {"relu": theme.FG, "gelu": theme.ATTN, "silu": theme.GATE}  # SiLU is SwiGLU's gate


def _hidden(v: float) -> str:
    """A hidden activation: one decimal, so 4d of them fit in a row."""
    return numbers.fixed(v, 1)


def _vec(v: float) -> str:
    """A coordinate of the token x or of an output y."""
    return numbers.fixed(v, 2)


@register("transformer.ffn")
class FFN(LectureScene):
    """One token through the position-wise FFN with ReLU and GELU, their curves, and SwiGLU's gate."""

    Params = FFNParams
    EXAMPLES = ({"d_model": 4, "rounding": "up", "seed": 3, "token_seed": 8, "probe": -0.5},)

    STRINGS = {
        "en": {
            "title": "The feed-forward block",
            "subtitle": "each token on its own: widen to 4d, bend, project back to d",
            "x": "token x  (d = {d})",
            "pre": "xW₁ + b₁  (4d = {d_ff})",
            "relu": "ReLU",
            "gelu": "GELU",
            "silu": "SiLU",
            "y_relu": "y with ReLU",
            "y_gelu": "y with GELU",
            "curves_title": "Three activations",
            "x_axis": "input",
            "y_axis": "activation",
            "probe": "at {x}:",
            "swiglu_title": "SwiGLU: a gate instead of a bend",
            "gate": "gate SiLU(xW)",
            "value": "xV",
            "product": "gate ⊙ xV  (h = {h})",
            "y_swiglu": "y",
            "col_block": "block",
            "col_width": "hidden width",
            "col_weights": "weights",
            "col_biases": "biases",
            "col_total": "total",
            "ffn_row": "FFN (ReLU / GELU)",
            "swiglu_row": "SwiGLU",
            "width_note_nearest": "h = 8d/3 = {exact}, rounded to the nearest integer: {h}",
            "width_note_down": "h = 8d/3 = {exact}, rounded down: {h}",
            "width_note_up": "h = 8d/3 = {exact}, rounded up: {h}",
        },
        "zh": {
            "title": "前馈层（FFN）",
            "subtitle": "每个 token 各自计算：扩到 4d，弯折，再投影回 d",
            "x": "token x（d = {d}）",
            "pre": "xW₁ + b₁（4d = {d_ff}）",
            "relu": "ReLU",
            "gelu": "GELU",
            "silu": "SiLU",
            "y_relu": "ReLU 的输出 y",
            "y_gelu": "GELU 的输出 y",
            "curves_title": "三种激活函数",
            "x_axis": "输入",
            "y_axis": "激活值",
            "probe": "在 {x} 处：",
            "swiglu_title": "SwiGLU：用门控代替弯折",
            "gate": "门 SiLU(xW)",
            "value": "xV",
            "product": "门 ⊙ xV（h = {h}）",
            "y_swiglu": "y",
            "col_block": "结构",
            "col_width": "隐藏宽度",
            "col_weights": "权重",
            "col_biases": "偏置",
            "col_total": "合计",
            "ffn_row": "FFN（ReLU / GELU）",
            "swiglu_row": "SwiGLU",
            "width_note_nearest": "h = 8d/3 = {exact}，四舍五入取整：{h}",
            "width_note_down": "h = 8d/3 = {exact}，向下取整：{h}",
            "width_note_up": "h = 8d/3 = {exact}，向上取整：{h}",
        },
    }

    NARRATION = {
        "en": {
            "widen": "After attention, every token goes through the same small network on its own. "
            "A token of width {d} is first projected up to {d_ff} hidden units, four times wider.",
            "bend": "Then comes the nonlinearity. ReLU cuts every negative unit to zero; GELU lets small "
            "negative values through, a little. The second matrix brings the token back to width {d}.",
            "curves": "Here are the curves side by side. They agree for large inputs and differ near zero: "
            "at {x}, ReLU gives {relu}, GELU {gelu} and SiLU {silu}. The smooth ones keep a gradient for "
            "negative inputs.",
            "gate": "SwiGLU replaces the bend with a gate. One projection goes through SiLU, a second one "
            "stays linear, and their product is projected back. That is three matrices instead of two.",
            "count": "To keep the parameter count, the hidden width shrinks to {h}, two thirds of {d_ff}. "
            "The FFN has {ffn_weights} weights and SwiGLU {swiglu_weights}: equal whenever three divides "
            "eight d, and close otherwise.",
        },
        "zh": {
            "widen": "注意力之后，每个 token 各自经过同一个小网络。宽度为 {d} 的 token 先被投影到 {d_ff} "
            "个隐藏单元，宽了四倍。",
            "bend": "接着是非线性。ReLU 把所有负的单元截成零；GELU 让小的负值稍微通过一点。"
            "第二个矩阵再把 token 投影回宽度 {d}。",
            "curves": "把三条曲线放在一起看：输入很大时它们几乎一样，差别在零附近。在 {x} 处，ReLU 是 "
            "{relu}，GELU 是 {gelu}，SiLU 是 {silu}。平滑的激活在负输入处仍然有梯度。",
            "gate": "SwiGLU 用门控代替弯折：一路投影经过 SiLU，另一路保持线性，两者相乘后再投影回去。"
            "这样就是三个矩阵，而不是两个。",
            "count": "为了保持参数量不变，隐藏宽度缩小到 {h}，是 {d_ff} 的三分之二。FFN 有 {ffn_weights} "
            "个权重，SwiGLU 有 {swiglu_weights} 个：只要三能整除 8d 就完全相等，否则也非常接近。",
        },
    }

    def construct(self) -> None:
        self.compute()
        self.show_ffn()
        self.show_curves()
        self.show_swiglu()

    # --- numbers (all from lib/) -----------------------------------------------------------------
    def compute(self) -> None:
        p = self.params
        self.c = compare_ffns(p.d_model, p.seed, p.token_seed, rounding=p.rounding)
        self.xs, self.curves = activation_curves(p.curve_lo, p.curve_hi, CURVE_POINTS, ACTIVATIONS)
        _, at = activation_curves(p.probe, p.probe, 1, ACTIVATIONS)  # each activation at the probe input
        self.at_probe = {name: float(at[k, 0]) for k, name in enumerate(ACTIVATIONS)}

    # --- beats -------------------------------------------------------------------------------------
    def _row(self, values, key: str, cell: float, fmt, **kw) -> Heatmap:
        """One vector as a row of cells; signed values on the diverging map unless a colour is given."""
        return Heatmap(values, key=key, fmt=fmt, cell=cell, pad=PAD_TIGHT, **kw)

    def _vector(self, values, key: str, color) -> Heatmap:
        """x or y: a short vector tinted with its meaning's colour."""
        return self._row(values, key, OUT_CELL, _vec, scale="plain", color=color)

    def show_ffn(self) -> None:
        p, c = self.params, self.c
        self.header = self.title_bar("title", "subtitle")
        eq = Equation(
            r"\mathrm{FFN}(x) = \phi(x W_1 + b_1)\, W_2 + b_2, \quad "
            r"\phi \in \{\mathrm{ReLU}, \mathrm{GELU}\}",
            terms={"x": "x", "phi": r"\phi(x W_1 + b_1)"},
            colors={"x": theme.INPUT},
            font_size=34,
        )
        below(eq, self.header, buff=theme.BUFF_LARGE)
        x = self._vector(c.x, "x", theme.INPUT)
        pre = self._row(c.relu.pre_activation, "pre", HIDDEN_CELL, _hidden)
        vmax = float(abs(c.relu.pre_activation).max())  # one colour scale for the hidden rows
        relu = self._row(c.relu.hidden, "relu_hidden", HIDDEN_CELL, _hidden, vmax=vmax)
        gelu = self._row(c.gelu.hidden, "gelu_hidden", HIDDEN_CELL, _hidden, vmax=vmax)
        labels = [
            self.text("x", size=theme.SMALL, color=theme.INPUT, d=p.d_model),
            self.text("pre", size=theme.SMALL, color=theme.MUTED, d_ff=c.d_ff),
            self.text("relu", size=theme.SMALL, color=CURVE_COLORS["relu"]),
            self.text("gelu", size=theme.SMALL, color=CURVE_COLORS["gelu"]),
        ]
        rows = grid(
            [labels[0], x, labels[1], pre, labels[2], relu, labels[3], gelu],
            cols=2,
            buff=(theme.BUFF, theme.BUFF),
            align="left",
        )
        y_relu = self._vector(c.relu.y, "y_relu", theme.OUTPUT)
        y_gelu = self._vector(c.gelu.y, "y_gelu", theme.OUTPUT)
        outs = row(
            [
                column([self.text("y_relu", size=theme.SMALL, color=theme.OUTPUT), y_relu], align="center"),
                column([self.text("y_gelu", size=theme.SMALL, color=theme.OUTPUT), y_gelu], align="center"),
            ],
            buff=theme.BUFF_SECTION,
            align="top",
        )
        body = fit_width(column([rows, outs], buff=theme.BUFF_LARGE, align="center"))
        below(body, eq, buff=theme.BUFF_LARGE)
        with self.beat("widen", d=p.d_model, d_ff=c.d_ff):
            self.play(FadeIn(self.header), FadeIn(eq))
            self.play(FadeIn(labels[0]), fade_in(x))
            self.play(FadeIn(labels[1]), fade_in(pre))
            self.wait(HOLD / 2)
        with self.beat("bend", d=p.d_model):
            self.play(FadeIn(labels[2]), fade_in(relu))
            self.play(FadeIn(labels[3]), fade_in(gelu))
            self.play(fade_in(outs))
            self.wait(HOLD)
        self.next_slide()
        self.play(FadeOut(VGroup(eq, rows, outs)))

    def show_curves(self) -> None:
        p = self.params
        heading = below(self.text("curves_title", size=theme.BODY), self.header, buff=theme.BUFF_LARGE)
        hi = float(self.curves.max())
        plot = Plot(
            (p.curve_lo, p.curve_hi, 1.0),
            (-1.0, max(1.0, math.ceil(hi)), 1.0),
            width=7.0,
            height=4.2,
            x_label=self.t("x_axis"),
            y_label=self.t("y_axis"),
            label_origin=False,
        )
        names = [self.t(n) for n in ACTIVATIONS]
        fmt = partial(numbers.fixed, digits=2)
        reads = []
        for n, name in zip(ACTIVATIONS, names, strict=True):
            value = self.at_probe[n]
            reads.append(
                row(
                    [
                        self.plain(name, size=theme.LABEL, color=CURVE_COLORS[n]),
                        self._probe_number(value, n),
                    ],
                    buff=theme.BUFF_SMALL,
                )
            )
        side = column(
            [
                legend([(nm, CURVE_COLORS[n]) for n, nm in zip(ACTIVATIONS, names, strict=True)]),
                self._probe_label(fmt(p.probe)),
                *reads,
            ],
            buff=theme.BUFF,
        )
        content = fit_width(row([plot, side], buff=theme.BUFF_SECTION, align="center"))
        below(content, heading, buff=theme.BUFF_LARGE).set_x(0)
        # drawn after the layout: series and marker are not part of the plot group that was moved
        series = [
            plot.series(self.xs, self.curves[k], CURVE_COLORS[n], key=f"{n}_curve", dots=False)
            for k, n in enumerate(ACTIVATIONS)
        ]
        marker = VGroup(
            plot.marker(p.probe),
            *[
                plot.scatter([p.probe], [self.at_probe[n]], CURVE_COLORS[n], key=f"{n}_probe")
                for n in ACTIVATIONS
            ],
        )
        with self.beat(
            "curves",
            x=fmt(p.probe),
            relu=fmt(self.at_probe["relu"]),
            gelu=fmt(self.at_probe["gelu"]),
            silu=fmt(self.at_probe["silu"]),
        ):
            self.play(FadeIn(heading), Create(plot))
            self.play(*[s.grow() for s in series], FadeIn(side[0]))
            self.play(Create(marker), FadeIn(VGroup(*side[1:])))
            self.wait(HOLD)
        self.next_slide()
        self.play(FadeOut(VGroup(heading, plot, *series, marker, side)))

    def _probe_label(self, x: str):
        return tag(self.text("probe", size=theme.LABEL, color=theme.ACCENT, x=x), "probe", self.params.probe)

    def _probe_number(self, value: float, name: str):
        return number(value, 2, key="at_probe", index=(name,), size=theme.LABEL, color=CURVE_COLORS[name])

    def show_swiglu(self) -> None:
        p, c = self.params, self.c
        s = c.swiglu
        heading = self.text("swiglu_title", size=theme.BODY)
        eq = Equation(
            r"\mathrm{FFN}_{\mathrm{SwiGLU}}(x) = \big(\mathrm{SiLU}(x W) \otimes x V\big)\, W_2",
            terms={"gate": r"\mathrm{SiLU}(x W)"},
            colors={"gate": theme.GATE},
            font_size=32,
        )
        top = fit_width(row([heading, eq], buff=theme.BUFF_SECTION))
        below(top, self.header, buff=theme.BUFF)
        vmax = float(max(abs(s.gate).max(), abs(s.value).max()))
        gate = self._row(s.gate, "gate", HIDDEN_CELL, _hidden, vmax=vmax)
        value = self._row(s.value, "value", HIDDEN_CELL, _hidden, vmax=vmax)
        prod = self._row(s.hidden, "product", HIDDEN_CELL, _hidden, vmax=vmax)
        y = self._vector(s.y, "y_swiglu", theme.OUTPUT)
        labels = [
            self.text("gate", size=theme.SMALL, color=theme.GATE),
            self.text("value", size=theme.SMALL, color=theme.FG),
            self.text("product", size=theme.SMALL, color=theme.MUTED, h=c.width),
            self.text("y_swiglu", size=theme.SMALL, color=theme.OUTPUT),
        ]
        rows = grid(
            [labels[0], gate, labels[1], value, labels[2], prod, labels[3], y],
            cols=2,
            buff=(theme.BUFF, theme.BUFF_SMALL),
            align="left",
        )
        table = NumberTable(
            [
                [self.t("ffn_row"), self.t("swiglu_row")],
                [c.d_ff, c.width],
                [c.ffn_count.weights, c.swiglu_count.weights],
                [c.ffn_count.biases, c.swiglu_count.biases],
                [c.ffn_count.total, c.swiglu_count.total],
            ],
            header=[self.t(k) for k in ("col_block", "col_width", "col_weights", "col_biases", "col_total")],
            formats=[str, numbers.integer, numbers.integer, numbers.integer, numbers.integer],
            colors=[theme.FG, theme.FG, theme.ACCENT, theme.MUTED, theme.FG],
            keys=[None, "width", "weights", "biases", "total"],
            size=theme.SMALL,
        )
        exact = numbers.fixed(c.width_exact, 2)
        note = self.text(
            f"width_note_{p.rounding}", size=theme.SMALL, color=theme.MUTED, exact=exact, h=c.width
        )
        tag(note, "width_note", c.width)
        body = fit_width(column([rows, table, note], buff=theme.BUFF_LARGE, align="center"))
        below(body, top, buff=theme.BUFF_LARGE)
        with self.beat("gate"):
            self.play(FadeIn(heading), FadeIn(eq))
            self.play(FadeIn(labels[0]), fade_in(gate), FadeIn(labels[1]), fade_in(value))
            self.play(FadeIn(labels[2]), fade_in(prod))
            self.play(FadeIn(labels[3]), fade_in(y))
            self.wait(HOLD / 2)
        with self.beat(
            "count",
            h=c.width,
            d_ff=c.d_ff,
            ffn_weights=numbers.integer(c.ffn_count.weights),
            swiglu_weights=numbers.integer(c.swiglu_count.weights),
        ):
            self.play(fade_in(table))
            self.play(FadeIn(note))
            self.wait(HOLD)
