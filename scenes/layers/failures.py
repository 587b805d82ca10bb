"""A museum of failures, each beside its fix and measured the same way: vanishing gradients in a 100-layer
sigmoid MLP vs ReLU with He initialisation (Glorot & Bengio 2010 §4; He et al. 2015 eq. 10); the parameter
explosion of a fully connected layer on a flattened feature map vs global average pooling (Simonyan &
Zisserman 2015 Table 2; Lin et al. 2014 §3.2); activations dying or exploding through depth vs BatchNorm
(Ioffe & Szegedy 2015 Alg. 1).
"""

from __future__ import annotations

import math

import numpy as np
from manim import DOWN, DR, RIGHT, UR, VGroup

from lib.arithmetic.classifier_head import compare_heads
from lib.nets.deep_mlp import HE_GAIN, deep_mlp_stats, init_weights
from scenes.engine.base import LectureScene
from scenes.engine.registry import register
from scenes.kit import numbers, theme
from scenes.kit.anim import fade_in, fade_out
from scenes.kit.frame import SAFE, below, clear_above, column, fit_width, row
from scenes.kit.plot import Plot, legend, log_bounds, nice_step
from scenes.kit.record import number
from scenes.kit.table import NumberTable
from scenes.layers.params.failures import Params as FailuresParams

HOLD = theme.HOLD_SHORT  # seconds to read a slide (scenes/kit/theme.py)
PLOT_W, PLOT_H = 8.6, 3.7


# Norms here span 10⁻⁶³ … 10²: three significant digits, scientific outside 10⁻³ … 10⁴.
norm_str = numbers.significant


def decade_ticks(values: np.ndarray) -> tuple[float, float, int]:
    """A log range covering ``values`` with at most ~6 labelled powers of ten."""
    lo, hi = log_bounds(values, 10)
    span = round(math.log10(hi / lo))
    every = max(1, math.ceil(span / 6))
    lo, hi = log_bounds(values, 10, every)
    return lo, hi, every


@register("layers.failures")
class Failures(LectureScene):
    """Three failures of deep networks and their fixes, each measured on the same data."""

    Params = FailuresParams

    EXAMPLES = (
        {"depth": 40, "width": 32, "batch": 32, "seed": 2, "data_seed": 5, "channels": 256, "spatial": 14,
         "hidden": 1024, "norm_depth": 30, "small_gain": 0.8, "large_gain": 1.8},
    )  # fmt: skip

    STRINGS = {
        "en": {
            "title": "A museum of failures",
            "subtitle": "Glorot & Bengio 2010 · He et al. 2015 · Lin et al. 2014 · Ioffe & Szegedy 2015",
            "vanish_head": "1 · vanishing gradients: a {L}-layer MLP, width {d}, batch {b}",
            "layer_axis": "layer l",
            "grad_axis": "‖∂L/∂Wₗ‖ at layer l",
            "sigmoid": "sigmoid, W ~ N(0, 1/d)",
            "he": "fix: ReLU, W ~ N(0, 2/d) (He)",
            "head_head": "2 · the parameter explosion: a classifier head on a {C} × {S} × {S} feature map",
            "col_head": "head",
            "col_inputs": "FC inputs",
            "col_params": "parameters",
            "col_bytes": "weights (fp32)",
            "flatten": "flatten → FC {H}",
            "gap": "fix: global average pool → FC {H}",
            "fewer": "fewer parameters",
            "act_head": "3 · activations through {L} ReLU layers: their spread, layer by layer",
            "std_axis": "std of the activations hₗ",
            "small": "W ~ N(0, {g}²/d): dies",
            "large": "W ~ N(0, {g}²/d): explodes",
            "bn": "fix: BatchNorm, W ~ N(0, {g}²/d)",
        },
        "zh": {
            "title": "失败博物馆",
            "subtitle": "Glorot 与 Bengio 2010 · He 等 2015 · Lin 等 2014 · Ioffe 与 Szegedy 2015",
            "vanish_head": "1 · 梯度消失：{L} 层 MLP，宽 {d}，批大小 {b}",
            "layer_axis": "第 l 层",
            "grad_axis": "第 l 层的 ‖∂L/∂Wₗ‖",
            "sigmoid": "sigmoid，W ~ N(0, 1/d)",
            "he": "修复：ReLU，W ~ N(0, 2/d)（He）",
            "head_head": "2 · 参数爆炸：{C} × {S} × {S} 特征图上的分类头",
            "col_head": "分类头",
            "col_inputs": "全连接输入",
            "col_params": "参数量",
            "col_bytes": "权重（fp32）",
            "flatten": "展平 → 全连接 {H}",
            "gap": "修复：全局平均池化 → 全连接 {H}",
            "fewer": "的参数缩减",
            "act_head": "3 · 经过 {L} 个 ReLU 层的激活值：逐层的离散程度",
            "std_axis": "激活值 hₗ 的标准差",
            "small": "W ~ N(0, {g}²/d)：消亡",
            "large": "W ~ N(0, {g}²/d)：爆炸",
            "bn": "修复：BatchNorm，W ~ N(0, {g}²/d)",
        },
    }

    NARRATION = {
        "en": {
            "vanish": "Exhibit one: a {L}-layer sigmoid network with textbook initialisation. "
            "The last layer's weights get a gradient of {last_fail}; the first layer's get {first_fail}. "
            "They will never move.",
            "vanish_fix": "The sigmoid's slope is at most a quarter, and every layer multiplies by it. "
            "ReLU has slope one where it is active, and He initialisation keeps the variance: "
            "now the first layer gets {first_fix} and the last {last_fix}.",
            "head": "Exhibit two: flatten a {C}-channel feature map and connect it to {H} units. "
            "That one layer has {p_flat} parameters, {b_flat} of weights.",
            "head_fix": "Average each channel over its positions first, and the same layer needs {p_gap}: "
            "{ratio} fewer. The spatial detail was mostly redundant for classification anyway.",
            "acts": "Exhibit three: follow the spread of the activations through {L} ReLU layers. Slightly "
            "too small weights and it ends at {end_small}; slightly too large and it ends at {end_large}.",
            "acts_fix": "BatchNorm re-standardises every layer over the batch, so the weight scale no longer "
            "compounds: the spread stays put and ends at {end_bn}.",
        },
        "zh": {
            "vanish": "第一件展品：一个 {L} 层的 sigmoid 网络，用的是教科书式的初始化。"
            "最后一层权重的梯度是 {last_fail}，第一层只有 {first_fail}：它永远不会动。",
            "vanish_fix": "sigmoid 的斜率最多四分之一，每一层都要乘上它。ReLU 在激活区域斜率为一，"
            "He 初始化又保持了方差：现在第一层的梯度是 {first_fix}，最后一层是 {last_fix}。",
            "head": "第二件展品：把 {C} 个通道的特征图展平，再连到 {H} 个单元。"
            "这一层就有 {p_flat} 个参数，权重占 {b_flat}。",
            "head_fix": "先对每个通道在所有位置上取平均，同样的全连接层只需要 {p_gap} 个参数，"
            "少了 {ratio}。对分类来说，那些空间细节本来就大多是冗余的。",
            "acts": "第三件展品：跟踪激活值的离散程度穿过 {L} 个 ReLU 层。"
            "权重稍小一点，最后只剩 {end_small}；稍大一点，最后变成 {end_large}。",
            "acts_fix": "BatchNorm 在每一层都按批重新标准化，权重尺度就不再逐层连乘："
            "离散程度保持不变，最后是 {end_bn}。",
        },
    }

    def construct(self) -> None:
        self.compute()
        self.header = self.title_bar("title", "subtitle")
        self.add(self.header)
        self.show_vanishing()
        self.show_head()
        self.show_activations()

    def compute(self) -> None:
        p = self.params
        x = p.batch_input()  # (B, d)
        w, c = init_weights(p.depth, p.width, 1.0, p.seed)
        w_he, _ = init_weights(p.depth, p.width, HE_GAIN, p.seed)
        self.vanish = deep_mlp_stats(x, w, c, "sigmoid")
        self.vanish_fix = deep_mlp_stats(x, w_he, c, "relu")
        self.heads = compare_heads(p.channels, p.spatial, p.spatial, p.hidden)
        w_small, c2 = init_weights(p.norm_depth, p.width, p.small_gain, p.seed)
        w_large, _ = init_weights(p.norm_depth, p.width, p.large_gain, p.seed)
        self.small = deep_mlp_stats(x, w_small, c2, "relu")
        self.large = deep_mlp_stats(x, w_large, c2, "relu")
        self.bn = deep_mlp_stats(x, w_small, c2, "relu", batchnorm=True)

    # --- helpers ---------------------------------------------------------------------------------------
    def centre(self, content: VGroup) -> None:
        """Centre ``content`` in the free area under the title bar."""
        below(content, self.header, buff=theme.BUFF_SECTION).set_x(0)
        room = content.get_bottom()[1] - SAFE.bottom
        if room > 0:
            content.shift(DOWN * room / 2)

    def log_plot(self, head: VGroup, depth: int, values: np.ndarray, y_key: str, items) -> tuple:
        """A log-y plot of one quantity against the layer, under ``head``, with its legend on the right."""
        lo, hi, every = decade_ticks(values)
        plot = Plot(
            (0, depth, nice_step(depth, 5)),
            (lo, hi, every),
            y_scale="log",
            width=PLOT_W,
            height=PLOT_H,
            y_format=lambda v: numbers.sci(v, 0),
            x_label=self.t("layer_axis"),
            y_label=self.t(y_key),
        )
        key = legend(items, direction=RIGHT)  # under the plot: the curves' end values get the right margin
        content = fit_width(column([head, plot, key], buff=theme.BUFF, align="center"))
        self.centre(content)
        return plot, content

    # --- beats -----------------------------------------------------------------------------------------
    def show_vanishing(self) -> None:
        p, fail, fix = self.params, self.vanish.weight_grad_norms, self.vanish_fix.weight_grad_norms
        layers = np.arange(1, p.depth + 1)
        head = self.text("vanish_head", size=theme.LABEL, color=theme.MUTED, L=p.depth, d=p.width, b=p.batch)
        plot, content = self.log_plot(
            head,
            p.depth,
            np.concatenate([fail, fix]),
            "grad_axis",
            [(self.t("sigmoid"), theme.PLAIN), (self.t("he"), theme.FIX)],
        )
        s_fail = plot.series(layers, fail, theme.PLAIN, key="grad_fail", dot_radius=0.03)
        s_fix = plot.series(layers, fix, theme.FIX, key="grad_fix", dot_radius=0.03)
        r_first = plot.readout(1, fail[0], norm_str, key="first_fail", color=theme.PLAIN, direction=UR)
        clear_above(r_first[1], s_fail)  # the curve climbs from this dot: lift the value off it
        r_last = plot.readout(p.depth, fail[-1], norm_str, key="last_fail", color=theme.PLAIN, direction=DR)
        f_first = plot.readout(1, fix[0], norm_str, key="first_fix", color=theme.FIX, direction=UR)
        f_last = plot.readout(p.depth, fix[-1], norm_str, key="last_fix", color=theme.FIX, direction=UR)
        with self.beat(
            "vanish", L=numbers.integer(p.depth), first_fail=norm_str(fail[0]), last_fail=norm_str(fail[-1])
        ):
            self.play(fade_in(content))
            self.play(s_fail.grow(run_time=1.5))
            self.play(fade_in(r_last), fade_in(r_first))
        with self.beat("vanish_fix", first_fix=norm_str(fix[0]), last_fix=norm_str(fix[-1])):
            self.play(s_fix.grow(run_time=1.5))
            self.play(fade_in(f_first), fade_in(f_last))
            self.wait(HOLD)
        self.next_slide()
        self.play(fade_out(VGroup(content, s_fail, s_fix, r_first, r_last, f_first, f_last)))

    def show_head(self) -> None:
        p, h = self.params, self.heads
        head = self.text("head_head", size=theme.LABEL, color=theme.MUTED, C=p.channels, S=p.spatial)
        heads = (h.flatten_fc, h.gap_fc)
        table = NumberTable(
            [
                [self.t("flatten", H=numbers.integer(p.hidden)), self.t("gap", H=numbers.integer(p.hidden))],
                [h.flatten_inputs, h.gap_inputs],
                [c.params for c in heads],
                [h.weight_bytes(c) for c in heads],
            ],
            header=[self.t(k) for k in ("col_head", "col_inputs", "col_params", "col_bytes")],
            formats=[str, numbers.integer, numbers.integer, numbers.byte_size],
            keys=[None, "fc_inputs", "fc_params", "fc_bytes"],
            size=theme.BODY,
            header_size=theme.LABEL,
        )
        for i, c in enumerate((theme.PLAIN, theme.FIX)):
            for j in range(4):
                table.cell(i, j).set_color(c)
        ratio = number(h.ratio, key="head_ratio", fmt=numbers.ratio, size=theme.HEADING, color=theme.ACCENT)
        fewer = self.text("fewer", size=theme.BODY, color=theme.ACCENT)
        verdict = row([ratio, fewer], buff=theme.BUFF_SMALL)
        content = fit_width(column([head, table, verdict], buff=theme.BUFF_LARGE, align="center"))
        self.centre(content)
        rows = [VGroup(*[table.cell(i, j) for j in range(4)]) for i in range(2)]
        with self.beat(
            "head",
            C=numbers.integer(p.channels),
            H=numbers.integer(p.hidden),
            p_flat=numbers.integer(h.flatten_fc.params),
            b_flat=numbers.byte_size(h.weight_bytes(h.flatten_fc)),
        ):
            self.play(fade_in(head))
            self.play(fade_in(VGroup(table.get_col_labels(), table.rules, rows[0])))
        with self.beat("head_fix", p_gap=numbers.integer(h.gap_fc.params), ratio=numbers.ratio(h.ratio)):
            self.play(fade_in(rows[1]))
            self.play(fade_in(verdict))
            self.wait(HOLD)
        self.next_slide()
        self.play(fade_out(VGroup(head, table, verdict)))

    def show_activations(self) -> None:
        p = self.params
        small, large, bn = self.small.act_std, self.large.act_std, self.bn.act_std
        layers = np.arange(p.norm_depth + 1)
        head = self.text("act_head", size=theme.LABEL, color=theme.MUTED, L=p.norm_depth)
        g_small, g_large = numbers.fixed(p.small_gain, 1), numbers.fixed(p.large_gain, 1)
        plot, content = self.log_plot(
            head,
            p.norm_depth,
            np.concatenate([small, large, bn]),
            "std_axis",
            [
                (self.t("large", g=g_large), theme.PLAIN),
                (self.t("bn", g=g_small), theme.FIX),
                (self.t("small", g=g_small), theme.PLAIN),
            ],
        )
        curves = [
            plot.series(layers, v, c, key=k, dot_radius=0.03)
            for v, c, k in ((small, theme.PLAIN, "std_small"), (large, theme.PLAIN, "std_large"),
                            (bn, theme.FIX, "std_bn"))
        ]  # fmt: skip
        ends = [
            plot.readout(p.norm_depth, v[-1], norm_str, key=k, color=c, direction=RIGHT)
            for v, c, k in (
                (small, theme.PLAIN, "end_small"),
                (large, theme.PLAIN, "end_large"),
                (bn, theme.FIX, "end_bn"),
            )
        ]
        with self.beat(
            "acts",
            L=numbers.integer(p.norm_depth),
            end_small=norm_str(small[-1]),
            end_large=norm_str(large[-1]),
        ):
            self.play(fade_in(content))
            self.play(curves[0].grow(), curves[1].grow())
            self.play(fade_in(ends[0]), fade_in(ends[1]))
        with self.beat("acts_fix", end_bn=norm_str(bn[-1])):
            self.play(curves[2].grow())
            self.play(fade_in(ends[2]))
            self.wait(HOLD)
