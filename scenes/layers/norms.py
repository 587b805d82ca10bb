"""Normalisation layers on one small feature map (Ioffe & Szegedy 2015, Alg. 1–2; Ba et al. 2016, eq. 3–4;
Wu & He 2018, eq. 1–3): which values BatchNorm, LayerNorm and GroupNorm average over, their statistics and
normalised values, and BatchNorm's running statistics in train vs eval mode."""

from __future__ import annotations

import numpy as np
from manim import DOWN, LEFT, RIGHT, UP, Create, SurroundingRectangle, VGroup

from lib.nets.norm_example import compare_norms, feature_batch, running_stats
from scenes.engine.base import LectureScene
from scenes.engine.registry import register
from scenes.kit import numbers, theme
from scenes.kit.anim import fade_in, fade_out
from scenes.kit.frame import SAFE, column, fit, row, to_safe
from scenes.kit.matrix import Heatmap
from scenes.kit.record import tag
from scenes.kit.table import NumberTable
from scenes.layers.params.norms import Params as NormsParams

HOLD = theme.HOLD_BRIEF  # seconds to read a slide (scenes/kit/theme.py)
CELL, CELL_H = 0.74, 0.4  # one value of the feature map: room for "−3.95" at theme.NUMBER
KINDS = ("bn", "ln", "gn")


def _f(v: float) -> str:
    return numbers.fixed(float(v), 2)


@register("layers.norms")
class Norms(LectureScene):
    """BatchNorm vs LayerNorm vs GroupNorm on one N × C × (H·W) tensor, then BatchNorm train vs eval."""

    Params = NormsParams

    EXAMPLES = (
        {"batch": 3, "channels": 3, "positions": 3, "groups": 3, "channel": 2, "sample": 2,
         "momentum": 0.3, "steps": 3, "seed": 5},
    )  # fmt: skip

    STRINGS = {
        "en": {
            "title": "Normalisation layers",
            "subtitle": "the same tensor, three ways to choose what shares a mean",
            "x": "x  (N × C × H·W)",
            "example": "example {n}",
            "xhat_bn": "BatchNorm x̂",
            "xhat_ln": "LayerNorm x̂",
            "xhat_gn": "GroupNorm x̂",
            "rule_bn": "BatchNorm: one μ, σ² per channel,\nover all {n} examples and {s} positions",
            "rule_ln": "LayerNorm: one μ, σ² per example,\nover its {c} channels and {s} positions",
            "rule_gn": "GroupNorm: one μ, σ² per example and group,\n{g} groups of {per} channels",
            "col_channel": "channel",
            "col_example": "example",
            "col_group": "group",
            "col_mean": "μ",
            "col_var": "σ²",
            "xhat_rule": "x̂ = (x − μ) / √(σ² + ε)",
            "gn_rows": "example {n}",
            "run_rule": "running μ ← (1 − m) · running μ + m · μ_batch,   m = {m}",
            "col_step": "batch",
            "col_batch_mean": "μ_batch",
            "col_run_mean": "running μ",
            "col_run_var": "running σ²",
            "run_head": "channel {c}, training batches one by one",
            "train_row": "train (this batch's μ, σ²)",
            "eval_row": "eval (running μ, σ²)",
            "cmp_head": "example {n}, channel {c}, normalised:",
        },
        "zh": {
            "title": "归一化层",
            "subtitle": "同一个张量，三种方式决定哪些值共用一个均值",
            "x": "x  (N × C × H·W)",
            "example": "样本 {n}",
            "xhat_bn": "BatchNorm x̂",
            "xhat_ln": "LayerNorm x̂",
            "xhat_gn": "GroupNorm x̂",
            "rule_bn": "BatchNorm：每个通道一组 μ、σ²，\n跨全部 {n} 个样本和 {s} 个位置",
            "rule_ln": "LayerNorm：每个样本一组 μ、σ²，\n跨它的 {c} 个通道和 {s} 个位置",
            "rule_gn": "GroupNorm：每个样本的每个组一组 μ、σ²，\n{g} 组，每组 {per} 个通道",
            "col_channel": "通道",
            "col_example": "样本",
            "col_group": "组",
            "col_mean": "μ",
            "col_var": "σ²",
            "xhat_rule": "x̂ = (x − μ) / √(σ² + ε)",
            "gn_rows": "样本 {n}",
            "run_rule": "滑动 μ ← (1 − m) · 滑动 μ + m · μ_批，   m = {m}",
            "col_step": "批次",
            "col_batch_mean": "μ_批",
            "col_run_mean": "滑动 μ",
            "col_run_var": "滑动 σ²",
            "run_head": "通道 {c}，逐个训练批次",
            "train_row": "训练模式（本批的 μ、σ²）",
            "eval_row": "推理模式（滑动 μ、σ²）",
            "cmp_head": "样本 {n}、通道 {c} 归一化后：",
        },
    }

    # What the lecturer says per beat; every number comes in through a field the scene computed.
    NARRATION = {
        "en": {
            "bn_axes": "Here is one small feature map: a batch of examples, each with a few channels and "
            "positions. BatchNorm takes one channel at a time, channel {c} here, and averages it over every "
            "example and every position.",
            "bn_values": "So each channel gets its own mean and variance: channel {c} has mean {mean} and "
            "variance {var}. Subtracting and dividing gives every channel mean zero and variance one across "
            "the batch.",
            "ln_axes": "LayerNorm turns the question around: one example at a time, over all of its channels "
            "and positions. It never looks at the other examples.",
            "ln_values": "Example {n} has mean {mean} and variance {var}. Because nothing depends on the "
            "batch, it works the same for a batch of one and at inference, which is why Transformers use it.",
            "gn_axes": "GroupNorm sits in between: one example and one group of channels, here {g} groups of "
            "{per} channels.",
            "gn_values": "Group {grp} of example {n} has mean {mean} and variance {var}. With one group this "
            "is LayerNorm, with one channel per group it is InstanceNorm.",
            "running": "BatchNorm has a catch. In training it uses each batch's own statistics and keeps a "
            "running average with momentum {m}. After {k} batches, the running mean of channel {c} is {rm}.",
            "eval": "In eval mode it normalises with the running statistics instead, so the first value of "
            "this channel comes out as {ev} rather than {tr}. A model left in the wrong mode, or running "
            "averages that have not settled, shows up exactly here.",
        },
        "zh": {
            "bn_axes": "这是一个很小的特征图：一批样本，每个样本有几个通道和几个位置。"
            "BatchNorm 一次取一个通道，这里是通道 {c}，在所有样本和所有位置上求平均。",
            "bn_values": "所以每个通道有自己的均值和方差：通道 {c} 的均值是 {mean}，方差是 {var}。"
            "减去均值再除以标准差，每个通道在整批上都变成均值零、方差一。",
            "ln_axes": "LayerNorm 换了个方向：一次一个样本，跨它所有的通道和位置。它完全不看别的样本。",
            "ln_values": "样本 {n} 的均值是 {mean}，方差是 {var}。因为不依赖批次，批大小为一、推理时都一样，"
            "所以 Transformer 用它。",
            "gn_axes": "GroupNorm 介于两者之间：一个样本里的一组通道，这里是 {g} 组，每组 {per} 个通道。",
            "gn_values": "样本 {n} 的第 {grp} 组均值是 {mean}，方差是 {var}。只有一组时它就是 LayerNorm，"
            "每组一个通道时就是 InstanceNorm。",
            "running": "BatchNorm 有个陷阱。训练时它用每一批自己的统计量，同时以动量 {m} 维护一个滑动平均。"
            "经过 {k} 个批次，通道 {c} 的滑动均值是 {rm}。",
            "eval": "推理模式下它改用滑动统计量来归一化，所以这个通道的第一个值变成 {ev}，而不是 {tr}。"
            "模型忘了切换模式，或者滑动平均还没稳定，问题就出在这里。",
        },
    }

    def construct(self) -> None:
        self.compute()
        self.show_input()
        for kind in KINDS:
            self.show_norm(kind)
        self.show_running()

    # --- numbers (all from lib/) -----------------------------------------------------------------
    def compute(self) -> None:
        p = self.params
        self.x = feature_batch(p.batch, p.channels, p.positions, p.seed)  # (N, C, S)
        self.cmp = compare_norms(self.x, p.groups)
        batches = [feature_batch(p.batch, p.channels, p.positions, p.seed, k) for k in range(1, p.steps + 1)]
        self.run = running_stats(batches, self.x, p.momentum)
        self.per = p.channels // p.groups
        self.group = p.channel // self.per  # the group of the shown channel

    # --- building blocks -------------------------------------------------------------------------------
    def blocks(self, values: np.ndarray, key: str, labels: bool) -> VGroup:
        """One heatmap per example (C rows × S columns), stacked, each under its caption."""
        p = self.params
        out = VGroup()
        for n in range(p.batch):
            hm = Heatmap(
                values[n], key=f"{key}_{n}", scale="diverging", vmax=float(np.abs(values).max()), cell=CELL,
                cell_height=CELL_H, digits=2, adaptive=False,
                row_labels=[f"c{numbers.subscript(c + 1)}" for c in range(p.channels)] if labels else None,
            )  # fmt: skip
            cap = self.text("example", size=theme.SMALL, color=theme.MUTED, n=numbers.integer(n + 1))
            cap.next_to(hm.cells, UP, buff=theme.BUFF_TIGHT).align_to(hm.cells, LEFT)
            out.add(VGroup(cap, hm))
        return out.arrange(DOWN, buff=theme.BUFF_SMALL, aligned_edge=RIGHT)

    def highlight(self, kind: str) -> VGroup:
        """ACCENT frames around the values that share one mean and variance."""
        p = self.params
        hms = [b[1] for b in self.x_blocks]
        if kind == "bn":
            return VGroup(*[hm.highlight_row(p.channel) for hm in hms])
        hm = hms[p.sample]
        rows = (
            range(p.channels) if kind == "ln" else range(self.group * self.per, (self.group + 1) * self.per)
        )
        cells = VGroup(*[hm.cell_at(r, s) for r in rows for s in range(p.positions)])
        return VGroup(SurroundingRectangle(cells, color=theme.ACCENT, buff=0.03, stroke_width=4))

    def stats_table(self, kind: str) -> NumberTable:
        p, c = self.params, self.cmp
        if kind == "bn":
            idx, mean, var, head = range(p.channels), c.batch.mean, c.batch.var, "col_channel"
            hot = p.channel
        elif kind == "ln":
            idx, mean, var, head = range(p.batch), c.layer.mean[:, 0], c.layer.var[:, 0], "col_example"
            hot = p.sample
        else:
            idx, mean, var, head = range(p.groups), c.group.mean[p.sample], c.group.var[p.sample], "col_group"
            hot = self.group
        table = NumberTable(
            [[numbers.integer(i + 1) for i in idx], list(mean), list(var)],
            header=[self.t(head), self.t("col_mean"), self.t("col_var")],
            formats=[None, _f, _f], colors=[theme.MUTED, theme.FG, theme.FG],
            keys=[None, f"{kind}_mean", f"{kind}_var"], size=theme.SMALL,
        )  # fmt: skip
        for j in range(3):
            table.cell(hot, j).set_color(theme.ACCENT)
        return table

    # --- beats -------------------------------------------------------------------------------------
    def show_input(self) -> None:
        self.header = self.title_bar("title", "subtitle")
        self.x_blocks = self.blocks(self.x, "x", labels=True)
        x_title = self.text("x", size=theme.LABEL, color=theme.INPUT)
        self.x_col = column([x_title, self.x_blocks], buff=theme.BUFF_SMALL, align="right")
        fit(self.x_col, height=self.header.get_bottom()[1] - theme.BUFF_LARGE - SAFE.bottom)
        self.x_col.next_to(self.header, DOWN, buff=theme.BUFF_LARGE)
        to_safe(self.x_col, LEFT)

    def show_norm(self, kind: str) -> None:
        p, c = self.params, self.cmp
        xhat = {"bn": c.batch.x_hat, "ln": c.layer_x_hat, "gn": c.group.x_hat}[kind]
        blocks = self.blocks(xhat, f"{kind}_xhat", labels=False)
        title = self.text(f"xhat_{kind}", size=theme.LABEL, color=theme.OUTPUT)
        xcol = column([title, blocks], buff=theme.BUFF_SMALL, align="right")
        fit(xcol, height=self.x_col.height)
        xcol.next_to(self.x_col, RIGHT, buff=theme.BUFF_LARGE).align_to(self.x_col, UP)
        counts = {"n": p.batch, "s": p.positions, "c": p.channels, "g": p.groups, "per": self.per}
        fmt = {k: numbers.integer(v) for k, v in counts.items()}
        rule = self.text(f"rule_{kind}", size=theme.SMALL, color=theme.ACCENT, **fmt)
        table = self.stats_table(kind)
        panel = [rule, table, self.text("xhat_rule", size=theme.SMALL, color=theme.MUTED)]
        if kind == "gn":
            panel.insert(1, self.text("gn_rows", size=theme.SMALL, color=theme.MUTED,
                                      n=numbers.integer(p.sample + 1)))  # fmt: skip
        right = column(panel, buff=theme.BUFF)
        fit(right, width=SAFE.right - xcol.get_right()[0] - theme.BUFF_LARGE)
        right.next_to(self.header, DOWN, buff=theme.BUFF_LARGE)
        to_safe(right, RIGHT)
        boxes = self.highlight(kind)
        if kind == "bn":
            axes = {"c": numbers.integer(p.channel + 1)}
            hot = p.channel
        elif kind == "ln":
            axes = {}
            hot = p.sample
        else:
            axes = {"g": fmt["g"], "per": fmt["per"]}
            hot = self.group
        stats = {"bn": (c.batch.mean[hot], c.batch.var[hot]),
                 "ln": (c.layer.mean[hot, 0], c.layer.var[hot, 0]),
                 "gn": (c.group.mean[p.sample, hot], c.group.var[p.sample, hot])}[kind]  # fmt: skip
        values = {"mean": _f(stats[0]), "var": _f(stats[1])}
        if kind == "bn":
            values["c"] = axes["c"]
        elif kind == "ln":
            values["n"] = numbers.integer(p.sample + 1)
        else:
            values |= {"grp": numbers.integer(self.group + 1), "n": numbers.integer(p.sample + 1)}
        with self.beat(f"{kind}_axes", **axes):
            if kind == "bn":
                self.play(fade_in(self.header))
                self.play(fade_in(self.x_col))
            self.play(Create(boxes), fade_in(rule))
            self.wait(HOLD)
        with self.beat(f"{kind}_values", **values):
            self.play(fade_in(VGroup(*panel[1:])))
            self.play(fade_in(xcol))
            self.wait(HOLD)
        self.next_slide()
        self.play(fade_out(VGroup(boxes, xcol, right)))

    def show_running(self) -> None:
        p, r = self.params, self.run
        ch = p.channel
        steps = r.steps
        table = NumberTable(
            [[numbers.integer(k + 1) for k in range(len(steps))], [s.mean[ch] for s in steps],
             [s.running_mean[ch] for s in steps], [s.running_var[ch] for s in steps]],
            header=[self.t(k) for k in ("col_step", "col_batch_mean", "col_run_mean", "col_run_var")],
            formats=[None, _f, _f, _f], colors=[theme.MUTED, theme.FG, theme.ACCENT, theme.ACCENT],
            keys=[None, "step_mean", "run_mean", "run_var"], size=theme.SMALL,
        )  # fmt: skip
        m = numbers.fixed(p.momentum, 2)
        head = self.text("run_head", size=theme.LABEL, color=theme.FG, c=numbers.integer(ch + 1))
        rule = self.text("run_rule", size=theme.SMALL, color=theme.MUTED, m=m)
        tag(rule, "run_rule", p.momentum)
        n = p.sample
        common = {"scale": "diverging", "cell": CELL, "cell_height": CELL_H, "digits": 2, "adaptive": False}
        train = Heatmap(r.train_result.x_hat[n, ch], key="train_row", **common)
        evalm = Heatmap(r.eval_result.x_hat[n, ch], key="eval_row", **common)
        cmp_head = self.text("cmp_head", size=theme.SMALL, color=theme.FG, n=numbers.integer(n + 1),
                             c=numbers.integer(ch + 1))  # fmt: skip
        rows = column(
            [row([self.text("train_row", size=theme.SMALL, color=theme.MUTED), train], buff=theme.BUFF),
             row([self.text("eval_row", size=theme.SMALL, color=theme.MUTED), evalm], buff=theme.BUFF)],
            buff=theme.BUFF_SMALL, align="right",
        )  # fmt: skip
        right = column([head, rule, table, cmp_head, rows], buff=theme.BUFF)
        fit(right, width=SAFE.right - self.x_col.get_right()[0] - theme.BUFF_LARGE,
            height=self.header.get_bottom()[1] - theme.BUFF_LARGE - SAFE.bottom)  # fmt: skip
        right.next_to(self.header, DOWN, buff=theme.BUFF_LARGE)
        to_safe(right, RIGHT)
        box = VGroup(*[b[1].highlight_row(ch) for b in self.x_blocks])
        with self.beat("running", m=m, k=numbers.integer(len(steps)), c=numbers.integer(ch + 1),
                       rm=_f(steps[-1].running_mean[ch])):  # fmt: skip
            self.play(fade_in(head), fade_in(rule), Create(box))
            self.play(fade_in(table))
            self.wait(HOLD)
        with self.beat("eval", ev=_f(r.eval_result.x_hat[n, ch, 0]), tr=_f(r.train_result.x_hat[n, ch, 0])):
            self.play(fade_in(cmp_head), fade_in(rows))
            self.wait(HOLD)
