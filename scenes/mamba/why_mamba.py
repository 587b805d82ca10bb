"""Why Mamba: attention's cost grows with T², a scan's with T — in the cost model and measured on the spot."""

from __future__ import annotations

import math
from functools import partial

from manim import DOWN, LEFT, RIGHT, UP, Create, FadeIn, FadeOut, LaggedStart, VGroup, VMobject, Write

from lib.mamba.scaling import cost_scaling, measure_scaling
from scenes.engine.base import LectureScene
from scenes.engine.registry import register
from scenes.kit import numbers, theme
from scenes.kit.equation import Equation
from scenes.kit.frame import below, column, fit_width, grid, row, to_safe
from scenes.kit.plot import Plot, legend, log_bounds
from scenes.kit.record import tag
from scenes.kit.table import NumberTable
from scenes.kit.text import symbol_label
from scenes.mamba.params.why_mamba import Params as WhyMambaParams

HOLD = theme.HOLD_LONGEST  # seconds to read a slide (scenes/kit/theme.py)
MAX_LABELLED_DECADES = 6  # a FLOPs axis spanning more decades labels every other one


@register("mamba.why_mamba")
class WhyMamba(LectureScene):
    """Why Mamba: attention's cost grows with T², a scan's with T — cost model and a live measurement."""

    Params = WhyMambaParams

    EXAMPLES = (
        {
            "d_model": 2560,
            "n_heads": 32,
            "d_state": 32,
            "max_len": 1 << 20,
            "bytes_per_elem": 4,
            "time_max_len": 1024,
            "time_d_inner": 8,
            "time_d_state": 8,
            "repeats": 2,
        },
    )

    STRINGS = {
        "en": {
            "title": "Why Mamba?",
            "subtitle": "attention's cost grows with T², a scan's with T",
            "flops_head": "FLOPs of one layer",
            "memory_head": "activations stored",
            "attention": "attention",
            "mamba": "Mamba block",
            "where": "T: sequence length   d: model width   H: heads   E: expansion   N: state size",
            "quadratic": "every token looks at every other: a T × T score matrix",
            "linear": "one state of size E·d × N carried from token to token",
            "legend_attn": "attention layer (H = {h})",
            "legend_mamba": "Mamba block (E = {e}, N = {n})",
            "flops_axis": "FLOPs per layer",
            "bytes_axis": "activation memory per layer",
            "length_axis": "sequence length T",
            "setup": "one layer, d = {d}, batch 1, {b} bytes per number",
            "crossover": "attention costs more from T = {t}",
            "ratio": "at T = {t} attention needs {r} as much",
            "no_flash": "attention here stores its T × T scores; FlashAttention recomputes them instead",
            "measured_title": "Measured just now: NumPy on this machine",
            "measured_title_1": "Measured just now: NumPy on one thread of this machine",
            "time_axis": "wall-clock time (fastest run)",
            "scan": "scan",
            "time_attn_setup": "one head, d = {d}",
            "time_scan_setup": "D = {dd}, N = {n}",
            "col_len": "T",
            "fit": "{name}: time",
            "time_ratio": "at T = {t} attention takes {r} as long",
            "constants": "Constant factors depend on the machine; the slopes do not.",
        },
        "zh": {
            "title": "为什么是 Mamba？",
            "subtitle": "注意力的开销随 T² 增长，扫描只随 T 增长",
            "flops_head": "单层的浮点运算量",
            "memory_head": "需要保存的激活",
            "attention": "注意力",
            "mamba": "Mamba 块",
            "where": "T：序列长度   d：模型宽度   H：头数   E：扩展倍数   N：状态维度",
            "quadratic": "每个 token 都要看所有其他 token：一个 T × T 的得分矩阵",
            "linear": "只有一个 E·d × N 的状态，从一个 token 传到下一个",
            "legend_attn": "注意力层（H = {h}）",
            "legend_mamba": "Mamba 块（E = {e}，N = {n}）",
            "flops_axis": "每层浮点运算量",
            "bytes_axis": "每层激活内存",
            "length_axis": "序列长度 T",
            "setup": "单层，d = {d}，批大小 1，每个数 {b} 字节",
            "crossover": "从 T = {t} 起注意力更贵",
            "ratio": "T = {t} 时注意力是 Mamba 的 {r}",
            "no_flash": "这里的注意力保存了 T × T 的得分矩阵；FlashAttention 则改为重新计算",
            "measured_title": "刚刚实测：本机上的 NumPy",
            "measured_title_1": "刚刚实测：本机单线程的 NumPy",
            "time_axis": "实际耗时（取最快一次）",
            "scan": "扫描",
            "time_attn_setup": "单头，d = {d}",
            "time_scan_setup": "D = {dd}，N = {n}",
            "col_len": "T",
            "fit": "{name}：耗时",
            "time_ratio": "T = {t} 时注意力耗时是扫描的 {r}",
            "constants": "常数因子取决于机器，增长的斜率却不会变。",
        },
    }

    # What the lecturer says per beat; every number comes in through a field the scene computed.
    NARRATION = {
        "en": {
            "formulas": "Why Mamba? Look at what one layer costs. Attention compares every token with every "
            "other one, so its work and the scores it stores grow with the square of the sequence length. "
            "A Mamba block carries one state of fixed size from token to token, so both grow only linearly.",
            "curves": "Here are those costs for a layer of width {d} with {h} heads, on logarithmic axes. "
            "Attention's work overtakes the Mamba block's from T = {t_flops}, and its memory from "
            "T = {t_bytes}.",
            "ratios": "At a length of {t}, attention needs {r_flops} the work and {r_bytes} the memory. "
            "That is attention which stores its score matrix; FlashAttention recomputes it instead.",
            "measured": "Now measured, just now, with NumPy on this machine: one attention head against the "
            "selective scan, for sequence lengths from {t_first} to {t_last}.",
            "fits": "Fitted on log-log axes, attention's time grows like T to the power {k_attn}, the scan's "
            "like T to the power {k_scan}. At length {t}, attention takes {r} as long. Constant factors "
            "depend on the machine; the slopes do not.",
        },
        "zh": {
            "formulas": "为什么是 Mamba？先看一层的开销。注意力让每个 token 和所有其他 token 比较，"
            "所以计算量和要保存的得分都随序列长度的平方增长。Mamba 块只把一个固定大小的状态从一个 token "
            "传到下一个，两者都只线性增长。",
            "curves": "这是宽度 {d}、{h} 个头的一层在对数坐标下的开销。从 T = {t_flops} 起，注意力的计算量"
            "超过 Mamba 块；从 T = {t_bytes} 起，它的内存也超过了。",
            "ratios": "在长度 {t} 时，注意力的计算量是 Mamba 的 {r_flops}，内存是 {r_bytes}。"
            "这里的注意力保存了得分矩阵；FlashAttention 则改为重新计算。",
            "measured": "再看刚刚在这台机器上用 NumPy 实测的结果：单个注意力头对比选择性扫描，序列长度从 "
            "{t_first} 到 {t_last}。",
            "fits": "在双对数坐标下拟合，注意力的耗时按 T 的 {k_attn} 次方增长，"
            "扫描按 T 的 {k_scan} 次方增长。长度 {t} 时，注意力耗时是扫描的 {r}。"
            "常数因子取决于机器，斜率却不会变。",
        },
    }

    def construct(self) -> None:
        self.compute()
        self.show_formulas()
        self.show_cost_curves()
        self.show_measured()

    # --- numbers (all from lib/) -----------------------------------------------------------------
    def compute(self) -> None:
        p = self.params
        self.cost = cost_scaling(
            p.lengths(), p.d_model, p.n_heads, p.d_state, expand=p.expand, bytes_per_elem=p.bytes_per_elem
        )
        self.timing = measure_scaling(
            p.time_lengths(),
            d_head=p.d_model // p.n_heads,
            d_inner=p.time_d_inner,
            d_state=p.time_d_state,
            repeats=p.repeats,
        )

    # --- beats -------------------------------------------------------------------------------------
    def show_formulas(self) -> None:
        self.header = self.title_bar("title", "subtitle")
        quadratic = {"quadratic": theme.ACCENT}  # the T² terms, in the colour that says "look here"
        attn_f = Equation(
            r"8\,T d^2 \;+\; 4\,T^2 d", terms={"quadratic": r"4\,T^2 d"}, colors=quadratic, color=theme.ATTN
        )
        attn_m = Equation(
            r"5\,T d \;+\; 2H\,T^2", terms={"quadratic": r"2H\,T^2"}, colors=quadratic, color=theme.ATTN
        )
        mamba_f = Equation(r"6E\,T d^2 \;+\; 8\,T\,E d\,N", color=theme.SSM)
        mamba_m = Equation(r"\approx 10E\,T d", color=theme.SSM)
        col_heads = VGroup(
            self.text("flops_head", size=theme.LABEL, color=theme.MUTED),
            self.text("memory_head", size=theme.LABEL, color=theme.MUTED),
        )
        names = VGroup(
            self.text("attention", size=theme.BODY, color=theme.ATTN),
            self.text("mamba", size=theme.BODY, color=theme.SSM),
        )
        table = grid(
            [VMobject(), *col_heads, names[0], attn_f, attn_m, names[1], mamba_f, mamba_m],
            cols=3,
            buff=(2 * theme.BUFF_LARGE, theme.BUFF_SECTION),
        )
        notes = column(
            [
                self.text("quadratic", size=theme.LABEL, color=theme.ATTN),
                self.text("linear", size=theme.LABEL, color=theme.SSM),
            ],
            buff=theme.BUFF_SMALL,
        )
        fit_width(notes)
        content = column([table, notes], buff=theme.BUFF_SECTION, align="center")
        content.next_to(self.header, DOWN, buff=2 * theme.BUFF_LARGE).set_x(0)
        where = to_safe(fit_width(self.text("where", size=theme.SMALL, color=theme.MUTED)), DOWN)
        with self.beat("formulas"):
            self.play(FadeIn(self.header))
            self.play(FadeIn(col_heads), FadeIn(names))
            self.play(Write(attn_f), Write(attn_m))
            self.play(Write(mamba_f), Write(mamba_m))
            self.play(FadeIn(notes), FadeIn(where))
            self.wait(HOLD)
        self.next_slide()
        self.play(FadeOut(VGroup(col_heads, names, attn_f, attn_m, mamba_f, mamba_m, notes, where)))

    def _cost_plot(self, values: list[int], y_label: str, base: int, every: int, y_format) -> Plot:
        """A log-log plot of a cost against the lengths, its y range the powers of ``base`` around
        ``values`` (a tick every ``every`` powers)."""
        lengths = self.cost.lengths
        return Plot(
            (lengths[0], lengths[-1]),
            (*log_bounds(values, base, every), every),
            width=5.2,
            height=2.9,
            x_scale="log",
            x_base=2,
            y_scale="log",
            y_base=base,
            x_format=numbers.length,
            y_format=y_format,
            x_label=self.t("length_axis"),
            y_label=y_label,
        )

    def show_cost_curves(self) -> None:
        p, c = self.params, self.cost
        flops = c.attention_flops + c.mamba_flops
        lo, hi = log_bounds(flops)
        decades = math.log10(hi / lo)
        fplot = self._cost_plot(
            flops,
            self.t("flops_axis"),
            10,
            1 if decades <= MAX_LABELLED_DECADES else 2,
            partial(numbers.si, digits=0),
        )
        bplot = self._cost_plot(  # a tick at every power of 32: 32 MB, 1 GB, 32 GB …
            c.attention_bytes + c.mamba_bytes,
            self.t("bytes_axis"),
            2,
            5,
            partial(numbers.byte_size, digits=0, system="jedec"),
        )
        top = row(
            [
                legend(
                    [
                        (self.t("legend_attn", h=p.n_heads), theme.ATTN),
                        (self.t("legend_mamba", e=p.expand, n=p.d_state), theme.SSM),
                    ],
                    direction=RIGHT,
                ),
                self.text("setup", size=theme.SMALL, color=theme.MUTED, d=p.d_model, b=p.bytes_per_elem),
            ],
            buff=theme.BUFF_SECTION,
        )
        below(fit_width(top), self.header, buff=theme.BUFF)
        below(to_safe(fplot, LEFT), top, buff=theme.BUFF)
        to_safe(bplot.align_to(fplot, UP), RIGHT)
        series, marks, crossings, ratios = [], [], [], []
        for name, plot, a, m, ratio, cross in (
            ("flops", fplot, c.attention_flops, c.mamba_flops, c.flops_ratio[-1], c.flops_crossover),
            ("bytes", bplot, c.attention_bytes, c.mamba_bytes, c.bytes_ratio[-1], c.bytes_crossover),
        ):
            series.append(
                (
                    plot.series(c.lengths, a, theme.ATTN, key=f"attention_{name}"),
                    plot.series(c.lengths, m, theme.SSM, key=f"mamba_{name}"),
                )
            )
            if c.lengths[0] <= cross <= c.lengths[-1]:
                marks.append(plot.marker(cross, key=f"{name}_crossover_at"))
            crossing = self.text("crossover", size=theme.SMALL, color=theme.ACCENT, t=numbers.integer(cross))
            times = self.text(
                "ratio",
                size=theme.SMALL,
                color=theme.ATTN,
                t=numbers.length(c.lengths[-1]),
                r=numbers.ratio(ratio),
            )
            lines = fit_width(column([crossing, times], buff=theme.BUFF_SMALL), plot.axes.width)
            below(lines, plot, buff=theme.BUFF_SMALL).align_to(plot.axes, LEFT)
            crossings.append(tag(crossing, f"{name}_crossover", cross))
            ratios.append(tag(times, f"{name}_ratio", ratio))
        note = to_safe(fit_width(self.text("no_flash", size=theme.SMALL, color=theme.MUTED)), DOWN)
        with self.beat(
            "curves",
            d=p.d_model,
            h=p.n_heads,
            t_flops=numbers.integer(c.flops_crossover),
            t_bytes=numbers.integer(c.bytes_crossover),
        ):
            self.play(FadeIn(top), Create(fplot), Create(bplot))
            for k in (0, 1):  # attention first, then the Mamba block, on both plots at once
                self.play(*[s[k].grow() for s in series])
            self.play(*[FadeIn(m) for m in marks], *[FadeIn(t) for t in crossings])
            self.wait(HOLD)
        self.next_slide()
        with self.beat(
            "ratios",
            t=numbers.length(c.lengths[-1]),
            r_flops=numbers.ratio(c.flops_ratio[-1]),
            r_bytes=numbers.ratio(c.bytes_ratio[-1]),
        ):
            self.play(LaggedStart(*[FadeIn(r, shift=0.1 * UP) for r in ratios], lag_ratio=0.3), FadeIn(note))
            self.wait(HOLD)
        self.next_slide()
        self.play(
            FadeOut(
                VGroup(top, fplot, bplot, *[x for s in series for x in s], *marks, *crossings, *ratios, note)
            )
        )

    def show_measured(self) -> None:
        m = self.timing
        heading = self.text(
            "measured_title_1" if m.single_threaded else "measured_title", size=theme.BODY, color=theme.FG
        )
        below(heading, self.header, buff=theme.BUFF)
        plot = Plot(
            (m.lengths[0], m.lengths[-1]),
            log_bounds(m.attention_s + m.scan_s),
            width=5.6,
            height=3.4,
            x_scale="log",
            x_base=2,
            y_scale="log",
            x_format=numbers.length,
            y_format=partial(numbers.duration, sig=1),
            x_label=self.t("length_axis"),
            y_label=self.t("time_axis"),
        )
        heads = [
            self.t("col_len"),
            column(
                [
                    self.text("attention", size=theme.SMALL, color=theme.ATTN),
                    self.text("time_attn_setup", size=theme.SMALL, color=theme.MUTED, d=m.d_head),
                ],
                buff=theme.BUFF_TIGHT,
                align="right",
            ),
            column(
                [
                    self.text("scan", size=theme.SMALL, color=theme.SSM),
                    self.text(
                        "time_scan_setup", size=theme.SMALL, color=theme.MUTED, dd=m.d_inner, n=m.d_state
                    ),
                ],
                buff=theme.BUFF_TIGHT,
                align="right",
            ),
        ]
        table = NumberTable(
            [m.lengths, m.attention_s, m.scan_s],
            header=heads,
            formats=[numbers.length, numbers.duration, numbers.duration],
            colors=[theme.FG, theme.ATTN, theme.SSM],
            keys=["time_len", "attention_time", "scan_time"],
            rules="none",
        )
        fits = VGroup()
        for key, k, color in (
            ("attention", m.attention_exponent, theme.ATTN),
            ("scan", m.scan_exponent, theme.SSM),
        ):
            label = symbol_label(
                self.t("fit", name=self.t(key)),
                rf"\propto T^{{{numbers.fixed(k, 2, tex=True)}}}",
                color,
                size=theme.LABEL,
            )
            tag(label[1], f"{key}_exponent", k)
            fits.add(label)
        column(fits, buff=theme.BUFF_SMALL)
        ratio = self.text(
            "time_ratio",
            size=theme.LABEL,
            color=theme.ACCENT,
            t=numbers.length(m.lengths[-1]),
            r=numbers.ratio(m.ratio),
        )
        tag(ratio, "time_ratio", m.ratio)
        side = column([table, fits, ratio], buff=theme.BUFF_LARGE)
        content = fit_width(row([plot, side], buff=theme.BUFF_SECTION, align="top"))
        below(content, heading, buff=theme.BUFF_LARGE).set_x(0)
        const = to_safe(fit_width(self.text("constants", size=theme.SMALL, color=theme.MUTED)), DOWN)
        attn = plot.series(m.lengths, m.attention_s, theme.ATTN, key="attention_time_at")
        scan = plot.series(m.lengths, m.scan_s, theme.SSM, key="scan_time_at")
        columns = table.get_columns()
        with self.beat(
            "measured", t_first=numbers.length(m.lengths[0]), t_last=numbers.length(m.lengths[-1])
        ):
            self.play(FadeIn(heading), Create(plot))
            self.play(attn.grow(run_time=1.2), FadeIn(columns[0]), FadeIn(columns[1]))
            self.play(scan.grow(run_time=1.2), FadeIn(columns[2]))
            self.wait(HOLD)
        self.next_slide()
        with self.beat(
            "fits",
            k_attn=numbers.fixed(m.attention_exponent, 2),
            k_scan=numbers.fixed(m.scan_exponent, 2),
            t=numbers.length(m.lengths[-1]),
            r=numbers.ratio(m.ratio),
        ):
            self.play(FadeIn(fits, shift=0.1 * UP))
            self.play(FadeIn(ratio), FadeIn(const))
            self.wait(HOLD + 1.0)
