"""Inference memory: a Transformer's KV cache grows with every generated token, Mamba's state does not."""

from __future__ import annotations

import numpy as np
from manim import (
    DOWN,
    LEFT,
    RIGHT,
    UP,
    Axes,
    Create,
    DashedLine,
    Dot,
    FadeIn,
    FadeOut,
    MathTex,
    RoundedRectangle,
    VGroup,
    Write,
)

from lib.arithmetic.cost import compare_inference_memory, mamba_model_cost, transformer_decoder_cost
from scenes.base import LectureScene
from scenes.kit import theme
from scenes.kit.widgets import polyline
from scenes.mamba.params.inference_memory import Params as InferenceMemoryParams
from scenes.kit.numbers import ratio as fmt_ratio
from scenes.registry import register

HOLD = 3.0  # seconds to read a slide before the lecturer moves on
CURVE_POINTS = 33  # lengths sampled for the plotted lines (both are straight: a few points suffice)


def fmt_params(n: int) -> str:
    """2.65 B, 130 M: parameter counts as papers write them."""
    if n >= 1e9:
        return f"{n / 1e9:.2f} B"
    if n >= 1e6:
        return f"{n / 1e6:.0f} M"
    return theme.fmt_si(n)


def fmt_tokens(t: int) -> str:
    """Token counts on an axis: 512, 1.5K, 2K, 100."""
    if t >= 1024 and t % 512 == 0:
        return f"{t / 1024:g}K"
    return theme.fmt_int(t)


def nice_step(span: float, ticks: int = 5) -> float:
    """A 1-2-2.5-5 × 10^k step that cuts ``span`` into about ``ticks`` intervals (axis layout only)."""
    raw = span / ticks
    mag = 10 ** np.floor(np.log10(raw))
    return float(min((m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw), default=10 * mag))


def byte_unit(n: float) -> tuple[float, str]:
    """The binary unit (and its name) in which ``n`` bytes reads as 1 … 1023, like ``theme.fmt_bytes``."""
    scale = 1.0
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if n < 1024 * scale or unit == "TB":
            return scale, unit
        scale *= 1024
    raise AssertionError


class LinePlot(VGroup):
    """Linear axes from 0 with labelled ticks; x and y labels are given as (value, text) pairs."""

    def __init__(self, x_max, y_max, x_step, y_step, width, height, x_ticks, y_ticks, x_label, title, size):
        super().__init__()
        self.axes = Axes(
            x_range=[0, x_max, x_step],
            y_range=[0, y_max, y_step],
            x_length=width,
            y_length=height,
            tips=False,
            axis_config={"color": theme.MUTED, "stroke_width": 2, "include_ticks": True},
        )
        self.add(self.axes)
        for v, s in x_ticks:
            self.add(
                LectureScene.plain(s, size=size, color=theme.MUTED).next_to(self.axes.c2p(v, 0), DOWN, 0.12)
            )
        for v, s in y_ticks:
            self.add(
                LectureScene.plain(s, size=size, color=theme.MUTED).next_to(self.axes.c2p(0, v), LEFT, 0.12)
            )
        xl = LectureScene.plain(x_label, size=size, color=theme.MUTED)
        self.add(xl.next_to(self.axes.x_axis, DOWN, buff=0.5).align_to(self.axes.x_axis, RIGHT))
        tl = LectureScene.plain(title, size=theme.LABEL, color=theme.FG)
        self.add(tl.next_to(self.axes.y_axis, UP, buff=0.2).align_to(self.axes.y_axis, LEFT))


def memory_plot(x_max: int, y_max_bytes: float, width: float, height: float, x_label: str, title: str):
    """A LinePlot of bytes against tokens: y in the binary unit that suits ``y_max_bytes``."""
    scale, unit = byte_unit(y_max_bytes)
    y_max = y_max_bytes / scale
    y_step = nice_step(y_max, 4)
    x_step = nice_step(x_max / 1024, 4) * 1024 if x_max % 1024 == 0 else nice_step(x_max, 4)
    y_top = float(np.ceil(y_max / y_step - 1e-9) * y_step)
    xs = np.arange(x_step, x_max + 1e-9, x_step)
    ys = np.arange(y_step, y_top + 1e-9, y_step)
    x_ticks = [(v, fmt_tokens(int(v))) for v in xs]
    y_ticks = [(v, f"{v:g} {unit}") for v in ys]
    plot = LinePlot(
        x_max, y_top, x_step, y_step, width, height, x_ticks, y_ticks, x_label, title, theme.SMALL
    )
    plot.scale_bytes = scale
    return plot


@register("mamba.inference_memory")
class InferenceMemory(LectureScene):
    """Inference memory: the KV cache grows with every generated token, Mamba's recurrent state does not."""

    Params = InferenceMemoryParams

    EXAMPLES = (
        {
            "attn_d_model": 768,
            "attn_layers": 12,
            "n_heads": 12,
            "n_kv_heads": 4,
            "mamba_d_model": 768,
            "mamba_layers": 24,
            "max_len": 2048,
            "bytes_per_elem": 4,
            "batch": 4,
        },
    )

    STRINGS = {
        "en": {
            "title": "Inference: a growing cache vs a constant state",
            "subtitle": "memory needed to keep generating, token after token",
            "transformer": "Transformer",
            "mamba": "Mamba",
            "attn_shape": "d = {d} · {l} layers · {h} heads ({kv} for K, V)",
            "mamba_shape": "d = {d} · {l} layers · N = {n} · E = {e}",
            "n_params": "{p} parameters",
            "kv_line": "KV cache: one K and one V per layer, head and token",
            "state_line": "state: conv window and h per layer and channel",
            "per_token": "= {v} more for every token",
            "constant": "= {v}, whatever the length",
            "bytes_note": "batch {b}, {n} bytes per number",
            "tokens_axis": "generated tokens T",
            "memory_axis": "memory for the context",
            "kv_cache": "KV cache",
            "state": "Mamba state",
            "col_len": "T",
            "col_ratio": "ratio",
            "zoom": "the first {n} tokens",
            "crossover": "the cache outgrows the state at T = {t}",
            "final": "at T = {t}: {kv} of KV cache vs {s} of state, {r}",
        },
        "zh": {
            "title": "推理：不断增长的缓存 vs 恒定的状态",
            "subtitle": "逐个生成 token 时需要保存多少内存",
            "transformer": "Transformer",
            "mamba": "Mamba",
            "attn_shape": "d = {d} · {l} 层 · {h} 个头（K、V 用 {kv} 个）",
            "mamba_shape": "d = {d} · {l} 层 · N = {n} · E = {e}",
            "n_params": "参数量 {p}",
            "kv_line": "KV 缓存：每层、每个头、每个 token 各存一个 K 和一个 V",
            "state_line": "状态：每层每个通道的卷积窗口和 h",
            "per_token": "= 每生成一个 token 多 {v}",
            "constant": "= {v}，与长度无关",
            "bytes_note": "批大小 {b}，每个数 {n} 字节",
            "tokens_axis": "已生成 token 数 T",
            "memory_axis": "保存上下文所需内存",
            "kv_cache": "KV 缓存",
            "state": "Mamba 状态",
            "col_len": "T",
            "col_ratio": "倍数",
            "zoom": "前 {n} 个 token",
            "crossover": "T = {t} 时缓存超过状态",
            "final": "T = {t} 时：KV 缓存 {kv}，状态 {s}，相差 {r}",
        },
    }

    def construct(self) -> None:
        self.compute()
        self.show_models()
        self.show_growth()
        self.show_crossover()

    # --- numbers (all from lib/) -----------------------------------------------------------------
    def compute(self) -> None:
        p = self.params
        self.head_dim = p.attn_d_model // p.n_heads
        self.t_params = transformer_decoder_cost(
            p.vocab, p.attn_d_model, p.attn_layers, p.n_heads, p.ffn_mult * p.attn_d_model, seq_len=1
        ).params
        self.m_params = mamba_model_cost(
            p.vocab, p.mamba_d_model, p.mamba_layers, p.d_state, p.d_conv, p.expand, seq_len=1
        ).params

        def compare(lengths):
            return compare_inference_memory(
                lengths,
                attn_layers=p.attn_layers,
                n_kv_heads=p.n_kv_heads,
                head_dim=self.head_dim,
                mamba_layers=p.mamba_layers,
                d_model=p.mamba_d_model,
                d_state=p.d_state,
                d_conv=p.d_conv,
                expand=p.expand,
                batch=p.batch,
                bytes_per_elem=p.bytes_per_elem,
            )

        self.curve = compare([int(t) for t in np.linspace(0, p.max_len, CURVE_POINTS)])
        self.readout = compare(p.readout_lengths())
        cross = self.readout.crossover_len
        self.zoom_len = int(max(8, nice_step(2.5 * cross, 1)))  # a round length past the crossover
        self.zoom = compare([int(t) for t in np.linspace(0, self.zoom_len, CURVE_POINTS)])
        self.at_cross = compare([cross]).kv_cache_bytes[0]
        self.shown.update(
            transformer_params=self.t_params,
            mamba_params=self.m_params,
            kv_bytes_per_token=self.readout.kv_bytes_per_token,
            mamba_state_bytes=self.readout.mamba_state_bytes,
            curve_lengths=self.curve.lengths,
            curve_kv_bytes=self.curve.kv_cache_bytes,
            readout_lengths=self.readout.lengths,
            readout_kv_bytes=self.readout.kv_cache_bytes,
            readout_ratios=self.readout.ratios,
            crossover_len=cross,
            kv_bytes_at_crossover=self.at_cross,
            ratio_at_max=self.readout.ratios[-1],
        )

    # --- beats -------------------------------------------------------------------------------------
    def show_models(self) -> None:
        p, r = self.params, self.readout
        self.header = self.title_bar("title", "subtitle")
        cards = VGroup()
        for name, color, shape, n_params, line, formula, value in (
            (
                "transformer",
                theme.ATTN,
                self.t("attn_shape", d=p.attn_d_model, l=p.attn_layers, h=p.n_heads, kv=p.n_kv_heads),
                self.t_params,
                "kv_line",
                r"2 \cdot L \cdot T \cdot h_\text{kv} \cdot d_\text{head} \cdot B \cdot b",
                self.t("per_token", v=theme.fmt_bytes(r.kv_bytes_per_token)),
            ),
            (
                "mamba",
                theme.SSM,
                self.t("mamba_shape", d=p.mamba_d_model, l=p.mamba_layers, n=p.d_state, e=p.expand),
                self.m_params,
                "state_line",
                r"L \cdot E d \cdot (d_\text{conv} - 1 + N) \cdot B \cdot b",
                self.t("constant", v=theme.fmt_bytes(r.mamba_state_bytes)),
            ),
        ):
            body = VGroup(
                self.text(name, size=theme.HEADING, color=color),
                self.plain(shape, size=theme.SMALL, color=theme.FG),
                self.text("n_params", size=theme.LABEL, color=color, p=fmt_params(n_params)),
            ).arrange(DOWN, buff=0.18)
            box = RoundedRectangle(
                corner_radius=0.15, width=6.3, height=body.height + 0.5, stroke_color=color, stroke_width=2
            ).set_fill(color, opacity=0.08)
            for part in body:
                if part.width > 5.9:
                    part.scale_to_fit_width(5.9)
            body.move_to(box)
            expl = VGroup(
                self.text(line, size=theme.SMALL, color=theme.MUTED),
                MathTex(formula, font_size=36, color=color),
                self.plain(value, size=theme.LABEL, color=color),
            ).arrange(DOWN, buff=0.22)
            for part in expl:
                if part.width > 6.3:
                    part.scale_to_fit_width(6.3)
            cards.add(VGroup(VGroup(box, body), expl).arrange(DOWN, buff=0.45))
        cards.arrange(RIGHT, buff=0.6, aligned_edge=UP).next_to(self.header, DOWN, buff=0.6).set_x(0)
        note = self.text("bytes_note", size=theme.SMALL, color=theme.MUTED, b=p.batch, n=p.bytes_per_elem)
        note.to_edge(DOWN, buff=theme.EDGE + 0.1)
        self.play(FadeIn(self.header))
        self.play(FadeIn(cards[0][0], shift=0.2 * UP), FadeIn(cards[1][0], shift=0.2 * UP))
        self.wait(HOLD)
        self.next_slide()
        for c in cards:
            self.play(FadeIn(c[1][0]), Write(c[1][1]))
            self.play(FadeIn(c[1][2]))
        self.play(FadeIn(note))
        self.wait(HOLD)
        self.next_slide()
        self.play(FadeOut(VGroup(cards, note)))

    def show_growth(self) -> None:
        c, r = self.curve, self.readout
        plot = memory_plot(
            self.params.max_len, c.kv_cache_bytes[-1], 6.3, 3.5, self.t("tokens_axis"), self.t("memory_axis")
        )
        plot.next_to(self.header, DOWN, buff=0.45).to_edge(LEFT, buff=1.2)
        ax, s = plot.axes, plot.scale_bytes
        xs = np.array(c.lengths, dtype=float)
        kv = polyline(ax, xs, np.array(c.kv_cache_bytes) / s, theme.ATTN, width=5)
        st = polyline(ax, xs, np.full(len(xs), c.mamba_state_bytes / s), theme.SSM, width=5)
        kv_lab = self.text("kv_cache", size=theme.LABEL, color=theme.ATTN)
        kv_lab.next_to(ax.c2p(xs[-1], c.kv_cache_bytes[-1] / s), LEFT, buff=0.25).shift(0.15 * UP)
        st_lab = self.text("state", size=theme.LABEL, color=theme.SSM)
        st_lab.next_to(ax.c2p(xs[-1], c.mamba_state_bytes / s), UP, buff=0.15).align_to(
            ax.c2p(xs[-1], 0), RIGHT
        )
        # readout table: T | KV cache | Mamba state | ratio
        cols = (
            (
                self.t("col_len"),
                theme.FG,
                [fmt_tokens(t) for t in r.lengths],
            ),
            (self.t("kv_cache"), theme.ATTN, [theme.fmt_bytes(b) for b in r.kv_cache_bytes]),
            (self.t("state"), theme.SSM, [theme.fmt_bytes(r.mamba_state_bytes)] * len(r.lengths)),
            (self.t("col_ratio"), theme.ACCENT, [fmt_ratio(x) for x in r.ratios]),
        )
        table = VGroup()
        col_w = (0.8, 1.65, 1.8, 1.05)
        for j, (head, color, vals) in enumerate(cols):
            x = sum(col_w[: j + 1])
            cells = VGroup(self.plain(head, size=theme.SMALL, color=color))
            cells.add(*[self.plain(v, size=theme.LABEL, color=color) for v in vals])
            for i, cell in enumerate(cells):
                cell.move_to([x, -0.1 - 0.5 * i if i else 0.0, 0], aligned_edge=RIGHT)
            table.add(cells)
        table.next_to(plot, RIGHT, buff=0.5).align_to(plot.axes, UP)
        if table.get_right()[0] > 6.75:
            table.scale_to_fit_width(6.75 - table.get_left()[0])
        marks = VGroup(
            *[
                VGroup(Dot(ax.c2p(t, b / s), radius=0.06, color=theme.ATTN))
                for t, b in zip(r.lengths, r.kv_cache_bytes, strict=True)
            ]
        )
        self.play(Create(plot))
        self.play(Create(st), FadeIn(st_lab), run_time=1.2)
        self.play(Create(kv), FadeIn(kv_lab), run_time=2.0)
        self.play(FadeIn(marks), *[FadeIn(col) for col in table])
        self.wait(HOLD)
        self.next_slide()
        self.plot, self.table = VGroup(plot, kv, st, kv_lab, st_lab, marks), table

    def show_crossover(self) -> None:
        z, r = self.zoom, self.readout
        cross = r.crossover_len
        y_max = max(z.kv_cache_bytes[-1], z.mamba_state_bytes)
        plot = memory_plot(
            self.zoom_len, y_max, 3.9, 2.2, self.t("tokens_axis"), self.t("zoom", n=self.zoom_len)
        )
        plot.next_to(self.plot, RIGHT, buff=0.7).align_to(self.plot, UP).shift(0.2 * DOWN)
        if plot.get_right()[0] > 6.75:
            plot.shift((6.75 - plot.get_right()[0]) * RIGHT)
        ax, s = plot.axes, plot.scale_bytes
        xs = np.array(z.lengths, dtype=float)
        kv = polyline(ax, xs, np.array(z.kv_cache_bytes) / s, theme.ATTN, width=4)
        st = polyline(ax, xs, np.full(len(xs), z.mamba_state_bytes / s), theme.SSM, width=4)
        y_top = ax.y_range[1]
        guide = DashedLine(ax.c2p(cross, 0), ax.c2p(cross, y_top), color=theme.ACCENT, stroke_width=2)
        dot = Dot(ax.c2p(cross, self.at_cross / s), radius=0.07, color=theme.ACCENT)
        text = self.text("crossover", size=theme.LABEL, color=theme.ACCENT, t=theme.fmt_int(cross))
        final = self.text(
            "final",
            size=theme.LABEL,
            color=theme.FG,
            t=theme.fmt_int(r.lengths[-1]),
            kv=theme.fmt_bytes(r.kv_cache_bytes[-1]),
            s=theme.fmt_bytes(r.mamba_state_bytes),
            r=fmt_ratio(r.ratios[-1]),
        )
        lines = VGroup(text, final).arrange(DOWN, buff=0.15, aligned_edge=LEFT)
        lines.to_edge(DOWN, buff=theme.EDGE).to_edge(LEFT, buff=0.6)
        for ln in lines:
            if ln.width > 13.0:
                ln.scale_to_fit_width(13.0)
        self.play(FadeOut(self.table))
        self.play(Create(plot))
        self.play(Create(st), Create(kv), run_time=1.2)
        self.play(Create(guide), FadeIn(dot), FadeIn(text))
        self.wait(HOLD)
        self.next_slide()
        self.play(FadeIn(final, shift=0.1 * UP))
        self.wait(HOLD + 1.0)
