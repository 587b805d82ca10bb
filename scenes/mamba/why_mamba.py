"""Why Mamba: attention's cost grows with T², a scan's with T — in the cost model and measured on the spot."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np
from manim import (
    DOWN,
    DR,
    LEFT,
    RIGHT,
    UP,
    Axes,
    Create,
    DashedLine,
    Dot,
    FadeIn,
    FadeOut,
    LaggedStart,
    MathTex,
    VGroup,
    VMobject,
    Write,
)

from lib.mamba.scaling import cost_scaling, measure_scaling
from scenes.base import LectureScene
from scenes.kit import theme
from scenes.kit.widgets import legend, symbol_label
from scenes.mamba.params.why_mamba import Params as WhyMambaParams
from scenes.registry import register

HOLD = 3.0  # seconds to read a slide before the lecturer moves on


# --- formatting (no computing: these only write numbers the lib produced) -----------------------------
def fmt_len(t: int) -> str:
    """256, 4K, 128K, 1M: sequence lengths (powers of two) as a reader says them."""
    if t >= 1 << 20 and t % (1 << 20) == 0:
        return f"{t >> 20}M"
    if t >= 1 << 10 and t % (1 << 10) == 0:
        return f"{t >> 10}K"
    return theme.fmt_int(t)


def fmt_seconds(s: float) -> str:
    """A duration with three significant digits, in ms below a second."""
    if s >= 1:
        return f"{s:.2f} s"
    ms = s * 1e3
    return f"{ms:.0f} ms" if ms >= 100 else f"{ms:.1f} ms" if ms >= 10 else f"{ms:.2f} ms"


def fmt_ratio(r: float) -> str:
    return f"{r:.0f}×" if r >= 10 else f"{r:.1f}×"


def _decade(e: int, unit: str) -> str:
    """10^e with an SI prefix: 1 G, 10 G, 100 G, 1 T … (e ≥ 0)."""
    prefixes = ["", "K", "M", "G", "T", "P", "E"]
    return f"{10 ** (e % 3)} {prefixes[e // 3]}{unit}".rstrip()


def _decade_seconds(e: int) -> str:
    """10^e seconds as 10 µs, 0.1 ms, 1 ms, 10 ms, 100 ms, 1 s."""
    if e >= 0:
        return f"{10**e} s"
    if e >= -4:
        ms = 10.0 ** (e + 3)
        return f"{ms:g} ms"
    return f"{10.0 ** (e + 6):g} µs"


def _octave_bytes(e: int) -> str:
    """2^e bytes in binary units: 32 MB, 1 GB, 32 GB, 1 TB, 32 TB, 1 PB … (e ≥ 0)."""
    units = ["B", "KB", "MB", "GB", "TB", "PB", "EB"]
    return f"{2 ** (e % 10)} {units[e // 10]}"


# --- a log-log plot --------------------------------------------------------------------------------
class LogLogPlot(VGroup):
    """Axes whose coordinates are log_b of the values, with ticks at whole exponents and labels at some.

    ``x_lim``/``y_lim`` are exponent ranges (lo, hi); labels are placed every ``*_every`` exponents (x
    counted back from hi so the longest length is always labelled; y at multiples of ``y_every``).
    """

    def __init__(
        self,
        x_lim: tuple[int, int],
        y_lim: tuple[int, int],
        width: float,
        height: float,
        x_fmt: Callable[[int], str],
        y_fmt: Callable[[int], str],
        x_base: float = 2,
        y_base: float = 10,
        x_every: int = 1,
        y_every: int = 1,
        x_label: str = "",
        title: str = "",
        title_color=theme.FG,
        size: int = theme.SMALL,
    ) -> None:
        super().__init__()
        self.x_lim, self.y_lim, self.x_base, self.y_base = x_lim, y_lim, x_base, y_base
        self.axes = Axes(
            x_range=[0, x_lim[1] - x_lim[0], 1],
            y_range=[0, y_lim[1] - y_lim[0], y_every],
            x_length=width,
            y_length=height,
            tips=False,
            axis_config={"color": theme.MUTED, "stroke_width": 2, "include_ticks": True},
        )
        self.add(self.axes)
        for e in range(x_lim[1], x_lim[0] - 1, -x_every):
            lab = LectureScene.plain(x_fmt(e), size=size, color=theme.MUTED)
            self.add(lab.next_to(self.axes.c2p(e - x_lim[0], 0), DOWN, buff=0.12))
        for e in range(y_lim[0], y_lim[1] + 1):
            if e % y_every:
                continue
            lab = LectureScene.plain(y_fmt(e), size=size, color=theme.MUTED)
            self.add(lab.next_to(self.axes.c2p(0, e - y_lim[0]), LEFT, buff=0.12))
        if x_label:
            xl = LectureScene.plain(x_label, size=size, color=theme.MUTED)
            xl.next_to(self.axes.x_axis, DOWN, buff=0.5).align_to(self.axes.x_axis, RIGHT)
            self.add(xl)
        if title:
            tl = LectureScene.plain(title, size=theme.LABEL, color=title_color)
            tl.next_to(self.axes.y_axis, UP, buff=0.2).align_to(self.axes.y_axis, LEFT)
            self.add(tl)

    def c2p(self, x: float, y: float) -> np.ndarray:
        return self.axes.c2p(
            math.log(x, self.x_base) - self.x_lim[0], math.log(y, self.y_base) - self.y_lim[0]
        )

    def curve(self, xs: Sequence[float], ys: Sequence[float], color, width: float = 4) -> VMobject:
        line = VMobject(stroke_color=color, stroke_width=width)
        line.set_points_as_corners([self.c2p(x, y) for x, y in zip(xs, ys, strict=True)])
        return line

    def marks(self, xs: Sequence[float], ys: Sequence[float], color, radius: float = 0.06) -> VGroup:
        return VGroup(*[Dot(self.c2p(x, y), radius=radius, color=color) for x, y in zip(xs, ys, strict=True)])

    def vline(self, x: float, color=theme.ACCENT) -> DashedLine:
        lo = self.axes.c2p(math.log(x, self.x_base) - self.x_lim[0], 0)
        hi = self.axes.c2p(math.log(x, self.x_base) - self.x_lim[0], self.y_lim[1] - self.y_lim[0])
        return DashedLine(lo, hi, color=color, stroke_width=2, dash_length=0.1)


def exp_lim(values: Sequence[float], base: float) -> tuple[int, int]:
    """The whole exponents that bracket ``values`` on a log_base axis."""
    lo = math.floor(math.log(min(values), base) + 1e-9)
    hi = math.ceil(math.log(max(values), base) - 1e-9)
    return lo, max(hi, lo + 1)


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
        self.d_head = p.d_model // p.n_heads
        self.timing = measure_scaling(
            p.time_lengths(),
            d_head=self.d_head,
            d_inner=p.time_d_inner,
            d_state=p.time_d_state,
            repeats=p.repeats,
        )
        c, m = self.cost, self.timing
        self.shown.update(
            lengths=c.lengths,
            attention_flops=c.attention_flops,
            mamba_flops=c.mamba_flops,
            attention_bytes=c.attention_bytes,
            mamba_bytes=c.mamba_bytes,
            flops_ratio=c.flops_ratio[-1],
            bytes_ratio=c.bytes_ratio[-1],
            flops_crossover=c.flops_crossover,
            bytes_crossover=c.bytes_crossover,
            time_lengths=m.lengths,
            attention_s=m.attention_s,
            scan_s=m.scan_s,
            time_ratio=m.ratio,
            attention_exponent=m.attention_exponent,
            scan_exponent=m.scan_exponent,
            d_head=m.d_head,
        )

    # --- beats -------------------------------------------------------------------------------------
    def show_formulas(self) -> None:
        self.header = self.title_bar("title", "subtitle")
        col_heads = VGroup(
            self.text("flops_head", size=theme.LABEL, color=theme.MUTED),
            self.text("memory_head", size=theme.LABEL, color=theme.MUTED),
        )
        names = VGroup(
            self.text("attention", size=theme.BODY, color=theme.ATTN),
            self.text("mamba", size=theme.BODY, color=theme.SSM),
        )
        fs = 40
        attn_f = MathTex(r"8\,T d^2 \;+\;", r"4\,T^2 d", font_size=fs, color=theme.ATTN)
        attn_m = MathTex(r"5\,T d \;+\;", r"2H\,T^2", font_size=fs, color=theme.ATTN)
        mamba_f = MathTex(r"6E\,T d^2 \;+\; 8\,T\,E d\,N", font_size=fs, color=theme.SSM)
        mamba_m = MathTex(r"\approx 10E\,T d", font_size=fs, color=theme.SSM)
        attn_f[1].set_color(theme.ACCENT)
        attn_m[1].set_color(theme.ACCENT)
        xs = (-4.3, -0.4, 4.1)  # column centres: name, FLOPs, memory
        ys = (1.55, 0.55, -0.55)  # row centres: heads, attention, Mamba
        for mob, x, y in (
            (col_heads[0], xs[1], ys[0]),
            (col_heads[1], xs[2], ys[0]),
            (names[0], xs[0], ys[1]),
            (names[1], xs[0], ys[2]),
            (attn_f, xs[1], ys[1]),
            (attn_m, xs[2], ys[1]),
            (mamba_f, xs[1], ys[2]),
            (mamba_m, xs[2], ys[2]),
        ):
            mob.move_to([x, y, 0])
        quad = self.text("quadratic", size=theme.LABEL, color=theme.ATTN)
        lin = self.text("linear", size=theme.LABEL, color=theme.SSM)
        notes = VGroup(quad, lin).arrange(DOWN, buff=0.2, aligned_edge=LEFT).move_to([0, -1.75, 0])
        where = self.text("where", size=theme.SMALL, color=theme.MUTED)
        where.to_edge(DOWN, buff=theme.EDGE + 0.2)
        for mob in (notes, where):
            if mob.width > 13.2:
                mob.scale_to_fit_width(13.2)
        self.play(FadeIn(self.header))
        self.play(FadeIn(col_heads), FadeIn(names))
        self.play(Write(attn_f), Write(attn_m))
        self.play(Write(mamba_f), Write(mamba_m))
        self.play(FadeIn(quad), FadeIn(lin), FadeIn(where))
        self.wait(HOLD)
        self.next_slide()
        self.play(FadeOut(VGroup(col_heads, names, attn_f, attn_m, mamba_f, mamba_m, notes, where)))

    def show_cost_curves(self) -> None:
        p, c = self.params, self.cost
        lengths = c.lengths
        x_lim = (lengths[0].bit_length() - 1, lengths[-1].bit_length() - 1)
        x_every = 1 if x_lim[1] - x_lim[0] <= 6 else 2
        f_lim = exp_lim(c.attention_flops + c.mamba_flops, 10)
        f_every = 1 if f_lim[1] - f_lim[0] <= 6 else 2
        f_lim = (f_lim[0] - f_lim[0] % f_every, f_lim[1] + (-f_lim[1]) % f_every)
        b_lim = exp_lim(c.attention_bytes + c.mamba_bytes, 2)
        b_lim = (b_lim[0] - b_lim[0] % 5, b_lim[1] + (-b_lim[1]) % 5)  # ticks at powers of 32
        w, h = 5.2, 2.9
        common = dict(x_every=x_every, x_fmt=lambda e: fmt_len(1 << e), x_label=self.t("length_axis"))
        fplot = LogLogPlot(
            x_lim,
            f_lim,
            w,
            h,
            y_fmt=lambda e: _decade(e, ""),
            y_every=f_every,
            title=self.t("flops_axis"),
            **common,
        )
        bplot = LogLogPlot(
            x_lim, b_lim, w, h, y_fmt=_octave_bytes, y_base=2, y_every=5, title=self.t("bytes_axis"), **common
        )
        plots = VGroup(fplot, bplot).arrange(RIGHT, buff=1.3)
        plots.set_x(0).align_to([0, 2.0, 0], UP)
        leg = legend(
            [
                (self.t("legend_attn", h=p.n_heads), theme.ATTN),
                (self.t("legend_mamba", e=p.expand, n=p.d_state), theme.SSM),
            ],
            size=theme.SMALL,
        )
        leg[1].next_to(leg[0], RIGHT, buff=0.6)
        setup = self.text("setup", size=theme.SMALL, color=theme.MUTED, d=p.d_model, b=p.bytes_per_elem)
        top = VGroup(leg, setup).arrange(RIGHT, buff=0.8)
        top.next_to(self.header, DOWN, buff=0.22).align_to(self.header, LEFT)
        if top.width > 13.3:
            top.scale_to_fit_width(13.3)
        curves = VGroup()
        readouts = VGroup()
        for plot, a, m, ratio, cross in (
            (fplot, c.attention_flops, c.mamba_flops, c.flops_ratio[-1], c.flops_crossover),
            (bplot, c.attention_bytes, c.mamba_bytes, c.bytes_ratio[-1], c.bytes_crossover),
        ):
            group = VGroup(
                plot.curve(lengths, a, theme.ATTN),
                plot.marks(lengths, a, theme.ATTN),
                plot.curve(lengths, m, theme.SSM),
                plot.marks(lengths, m, theme.SSM),
            )
            if lengths[0] <= cross <= lengths[-1]:
                group.add(plot.vline(cross))
            curves.add(group)
            lines = VGroup(
                self.text("crossover", size=theme.SMALL, color=theme.ACCENT, t=theme.fmt_int(cross)),
                self.text(
                    "ratio", size=theme.SMALL, color=theme.ATTN, t=fmt_len(lengths[-1]), r=fmt_ratio(ratio)
                ),
            ).arrange(DOWN, buff=0.12, aligned_edge=LEFT)
            if lines.width > w - 0.3:
                lines.scale_to_fit_width(w - 0.3)
            lines.next_to(plot, DOWN, buff=0.15).align_to(plot.axes, LEFT)
            readouts.add(lines)
        note = self.text("no_flash", size=theme.SMALL, color=theme.MUTED).to_edge(DOWN, buff=theme.EDGE)
        if note.width > 13.2:
            note.scale_to_fit_width(13.2)
        self.play(FadeIn(top), Create(fplot), Create(bplot))
        for k in (0, 2):  # attention first, then the Mamba block, on both plots at once
            self.play(*[Create(g[k]) for g in curves], *[FadeIn(g[k + 1]) for g in curves], run_time=1.4)
        self.play(*[FadeIn(VGroup(*g[4:])) for g in curves], FadeIn(VGroup(*[r[0] for r in readouts])))
        self.wait(HOLD)
        self.next_slide()
        self.play(LaggedStart(*[FadeIn(r[1], shift=0.1 * UP) for r in readouts], lag_ratio=0.3), FadeIn(note))
        self.wait(HOLD)
        self.next_slide()
        self.play(FadeOut(VGroup(top, plots, curves, readouts, note)))

    def show_measured(self) -> None:
        m = self.timing
        lengths = m.lengths
        x_lim = (lengths[0].bit_length() - 1, lengths[-1].bit_length() - 1)
        y_lim = exp_lim(m.attention_s + m.scan_s, 10)
        plot = LogLogPlot(
            x_lim,
            y_lim,
            5.6,
            3.4,
            x_fmt=lambda e: fmt_len(1 << e),
            y_fmt=_decade_seconds,
            x_label=self.t("length_axis"),
            title=self.t("time_axis"),
        )
        heading = self.text(
            "measured_title_1" if m.single_threaded else "measured_title", size=theme.BODY, color=theme.FG
        )
        heading.next_to(self.header, DOWN, buff=0.3).align_to(self.header, LEFT)
        plot.next_to(heading, DOWN, buff=0.4).to_edge(LEFT, buff=1.25)
        curves = VGroup(
            VGroup(
                plot.curve(lengths, m.attention_s, theme.ATTN), plot.marks(lengths, m.attention_s, theme.ATTN)
            ),
            VGroup(plot.curve(lengths, m.scan_s, theme.SSM), plot.marks(lengths, m.scan_s, theme.SSM)),
        )
        # the table of times: T | attention | scan, right-aligned columns, headed by what was timed
        heads = (
            (self.t("col_len"), ""),
            (self.t("attention"), self.t("time_attn_setup", d=m.d_head)),
            (self.t("scan"), self.t("time_scan_setup", dd=m.d_inner, n=m.d_state)),
        )
        cols = (
            [fmt_len(t) for t in lengths],
            [fmt_seconds(s) for s in m.attention_s],
            [fmt_seconds(s) for s in m.scan_s],
        )
        table = VGroup()
        for (name, setup), col, color in zip(heads, cols, (theme.FG, theme.ATTN, theme.SSM), strict=True):
            head = VGroup(self.plain(name, size=theme.SMALL, color=color))
            if setup:
                head.add(self.plain(setup, size=theme.SMALL, color=theme.MUTED))
            head.arrange(DOWN, buff=0.08, aligned_edge=RIGHT)
            table.add(VGroup(head, *[self.plain(s, size=theme.LABEL, color=color) for s in col]))
        row_h, col_w = 0.42, (0.75, 2.05, 1.75)
        for j, cells in enumerate(table):
            x = sum(col_w[: j + 1])
            cells[0].move_to([x, 0, 0], aligned_edge=DR)
            for i, cell in enumerate(cells[1:]):
                cell.move_to([x, -0.35 - i * row_h, 0], aligned_edge=RIGHT)
        fits = VGroup(
            *[
                symbol_label(
                    self.t("fit", name=self.t(key)),
                    rf"\propto T^{{{theme.fmt_tex(k, 2)}}}",
                    color,
                    size=theme.LABEL,
                )
                for key, k, color in (
                    ("attention", m.attention_exponent, theme.ATTN),
                    ("scan", m.scan_exponent, theme.SSM),
                )
            ]
        ).arrange(DOWN, buff=0.18, aligned_edge=LEFT)
        ratio = self.text(
            "time_ratio", size=theme.LABEL, color=theme.ACCENT, t=fmt_len(lengths[-1]), r=fmt_ratio(m.ratio)
        )
        side = VGroup(table, fits, ratio).arrange(DOWN, buff=0.4, aligned_edge=LEFT)
        side.next_to(plot, RIGHT, buff=0.8).align_to(plot, UP)
        if side.get_right()[0] > 6.75:
            side.scale_to_fit_width(6.75 - side.get_left()[0])
        const = self.text("constants", size=theme.SMALL, color=theme.MUTED).to_edge(DOWN, buff=theme.EDGE)
        self.play(FadeIn(heading), Create(plot))
        self.play(Create(curves[0]), FadeIn(table[0]), FadeIn(table[1]), run_time=1.2)
        self.play(Create(curves[1]), FadeIn(table[2]), run_time=1.2)
        self.wait(HOLD)
        self.next_slide()
        self.play(FadeIn(fits, shift=0.1 * UP))
        self.play(FadeIn(ratio), FadeIn(const))
        self.wait(HOLD + 1.0)
