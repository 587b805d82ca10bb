"""Inference memory: a Transformer's KV cache grows with every generated token, Mamba's state does not."""

from __future__ import annotations

from functools import partial

from manim import DOWN, LEFT, RIGHT, UL, UP, Create, FadeIn, FadeOut, VGroup, Write

from lib.arithmetic.cost import compare_inference_memory, mamba_model_cost, transformer_decoder_cost
from scenes.engine.base import LectureScene
from scenes.engine.registry import register
from scenes.kit import numbers, theme
from scenes.kit.diagram import Block
from scenes.kit.frame import SAFE, below, column, fit_width, keep_inside, row, to_safe
from scenes.kit.plot import Plot, nice_step, nice_ticks
from scenes.kit.record import tag
from scenes.kit.table import NumberTable
from scenes.kit.text import tex
from scenes.mamba.params.inference_memory import Params as InferenceMemoryParams

HOLD = theme.HOLD_LONGEST  # seconds to read a slide (scenes/kit/theme.py)
BYTES = partial(numbers.byte_size, digits=1, system="jedec")  # 1 KB = 1024 B, as the lecture writes sizes
ZOOM_PAST = 2.5  # the zoomed plot runs to a round length about this many times the crossover


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

    # What the lecturer says per beat; every number comes in through a field the scene computed.
    NARRATION = {
        "en": {
            "models": "Now inference: generating text one token at a time. What does each model have to "
            "keep in memory to go on? On the left, a Transformer with {t_params} parameters; on the right, "
            "a Mamba model with {m_params}.",
            "kv_cache": "The Transformer keeps a key and a value for every layer, every key-value head and "
            "every token it has seen. Each new token adds {v} to this cache.",
            "state": "Mamba keeps only a short convolution window and the state h, for every layer and "
            "channel: {v} in total, however long the text gets. Both figures assume a batch of {b} and {n} "
            "bytes per number.",
            "growth": "Against the number of generated tokens, the KV cache is a straight line from zero, "
            "while Mamba's state stays flat. Each time the length doubles, the cache doubles too, and so "
            "does the ratio in the table.",
            "crossover": "Zoom in on the first {n} tokens. By {t} tokens, the cache has already outgrown "
            "the whole Mamba state.",
            "final": "At {t} tokens, the Transformer holds {kv} of KV cache, against {s} of state for "
            "Mamba: {r} as much. A constant state is what lets Mamba generate long sequences in fixed "
            "memory.",
        },
        "zh": {
            "models": "再看推理：逐个 token 地生成文本。为了继续生成，每个模型要在内存里保存什么？"
            "左边是参数量 {t_params} 的 Transformer，右边是参数量 {m_params} 的 Mamba。",
            "kv_cache": "Transformer 要为每一层、每个键值头、每个已经见过的 token 各保存一个 K 和一个 V。"
            "每生成一个新 token，缓存就多出 {v}。",
            "state": "Mamba 只需保存每层每个通道的一小段卷积窗口和状态 h，总共 {v}，不管文本有多长都不变。"
            "这里按批大小 {b}、每个数 {n} 字节计算。",
            "growth": "以生成的 token 数为横轴，KV 缓存是一条从零出发的直线，而 Mamba 的状态始终是平的。"
            "长度每翻一倍，缓存也翻一倍，表里的倍数同样翻倍。",
            "crossover": "放大看前 {n} 个 token。生成到 {t} 个 token 时，缓存就已经超过了 Mamba 的全部状态。",
            "final": "到 {t} 个 token 时，Transformer 的 KV 缓存有 {kv}，而 Mamba 的状态只有 {s}，相差 {r}。"
            "正是这个恒定的状态，让 Mamba 能在固定的内存里生成很长的序列。",
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
                head_dim=p.attn_d_model // p.n_heads,
                mamba_layers=p.mamba_layers,
                d_model=p.mamba_d_model,
                d_state=p.d_state,
                d_conv=p.d_conv,
                expand=p.expand,
                batch=p.batch,
                bytes_per_elem=p.bytes_per_elem,
            )

        self.readout = compare(p.readout_lengths())
        self.line = compare([0, *p.readout_lengths()])  # both memories are straight lines in T
        cross = self.readout.crossover_len
        self.zoom_len = int(max(8, nice_step(ZOOM_PAST * cross, 1)))  # a round length past the crossover
        self.zoom = compare([0, self.zoom_len])
        self.at_cross = compare([cross]).kv_cache_bytes[0]

    # --- beats -------------------------------------------------------------------------------------
    def show_models(self) -> None:
        p, r = self.params, self.readout
        self.header = self.title_bar("title", "subtitle")
        width = (SAFE.width - theme.BUFF_SECTION) / 2  # two cards side by side
        cards = VGroup()
        for name, color, shape, n_params, line, formula, value, key, v in (
            (
                "transformer",
                theme.ATTN,
                self.t("attn_shape", d=p.attn_d_model, l=p.attn_layers, h=p.n_heads, kv=p.n_kv_heads),
                self.t_params,
                "kv_line",
                r"2 \cdot L \cdot T \cdot h_\text{kv} \cdot d_\text{head} \cdot B \cdot b",
                "per_token",
                "kv_bytes_per_token",
                r.kv_bytes_per_token,
            ),
            (
                "mamba",
                theme.SSM,
                self.t("mamba_shape", d=p.mamba_d_model, l=p.mamba_layers, n=p.d_state, e=p.expand),
                self.m_params,
                "state_line",
                r"L \cdot E d \cdot (d_\text{conv} - 1 + N) \cdot B \cdot b",
                "constant",
                "state_total",
                r.mamba_state_bytes,
            ),
        ):
            count = numbers.count(n_params, 3, locale=self.locale)
            block = Block(
                None,
                lines=[
                    self.text(name, size=theme.HEADING, color=color),
                    self.plain(shape, size=theme.SMALL, color=theme.FG),
                    tag(
                        self.text("n_params", size=theme.LABEL, color=color, p=count),
                        "params",
                        n_params,
                        name,
                    ),
                ],
                color=color,
                width=width,
                spacing=theme.BUFF_SMALL,
                pad=theme.BUFF,
            )
            expl = column(
                [
                    fit_width(self.text(line, size=theme.SMALL, color=theme.MUTED), width),
                    fit_width(tex(formula, size=36, color=color), width),
                    tag(self.text(value, size=theme.LABEL, color=color, v=BYTES(v)), key, v),
                ],
                buff=theme.BUFF,
                align="center",
            )
            cards.add(column([block, expl], buff=theme.BUFF_LARGE, align="center"))
        row(cards, buff=theme.BUFF_SECTION, align="top")
        below(cards, self.header, buff=theme.BUFF_SECTION).set_x(0)
        note = self.text("bytes_note", size=theme.SMALL, color=theme.MUTED, b=p.batch, n=p.bytes_per_elem)
        to_safe(note, DOWN)
        with self.beat(
            "models",
            t_params=numbers.count(self.t_params, 3, locale=self.locale),
            m_params=numbers.count(self.m_params, 3, locale=self.locale),
        ):
            self.play(FadeIn(self.header))
            self.play(FadeIn(cards[0][0], shift=0.2 * UP), FadeIn(cards[1][0], shift=0.2 * UP))
            self.wait(HOLD)
        self.next_slide()
        kv_card, state_card = cards[0][1], cards[1][1]
        with self.beat("kv_cache", v=BYTES(r.kv_bytes_per_token)):
            self.play(FadeIn(kv_card[0]), Write(kv_card[1]))
            self.play(FadeIn(kv_card[2]))
        with self.beat("state", v=BYTES(r.mamba_state_bytes), b=p.batch, n=p.bytes_per_elem):
            self.play(FadeIn(state_card[0]), Write(state_card[1]))
            self.play(FadeIn(state_card[2]))
            self.play(FadeIn(note))
            self.wait(HOLD)
        self.next_slide()
        self.play(FadeOut(VGroup(cards, note)))

    def _memory_plot(self, x_max: int, y_max: float, width: float, height: float, title: str) -> Plot:
        """Bytes against generated tokens, both from 0; the y ticks in the one binary unit that suits
        ``y_max``, the x ticks in K when the axis ends on a whole K."""
        scale, unit = numbers.byte_unit(y_max, system="jedec")
        y_ticks = nice_ticks(y_max, 4, scale)
        x_ticks = nice_ticks(x_max, 4, 1024 if x_max % 1024 == 0 else 1, cover=False)
        whole = all((v / scale).is_integer() for v in y_ticks)
        return Plot(
            (0, x_max, x_ticks[0]),
            (0, y_ticks[-1], y_ticks[0]),
            width=width,
            height=height,
            x_ticks=x_ticks,
            y_ticks=y_ticks,
            x_format=numbers.length,
            y_format=partial(numbers.byte_size, digits=0 if whole else 1, system="jedec", unit=unit),
            x_label=self.t("tokens_axis"),
            y_label=title,
        )

    def show_growth(self) -> None:
        r, line, x_max = self.readout, self.line, self.params.max_len
        plot = self._memory_plot(x_max, r.kv_cache_bytes[-1], 6.3, 3.5, self.t("memory_axis"))
        table = NumberTable(
            [r.lengths, r.kv_cache_bytes, [r.mamba_state_bytes] * len(r.lengths), r.ratios],
            header=[self.t("col_len"), self.t("kv_cache"), self.t("state"), self.t("col_ratio")],
            formats=[numbers.length, BYTES, BYTES, numbers.ratio],
            colors=[theme.FG, theme.ATTN, theme.SSM, theme.ACCENT],
            keys=["readout_len", "kv_bytes", "state_bytes", "ratio"],
            rules="none",
        )
        content = fit_width(row([plot, table], buff=theme.BUFF_LARGE, align="top"))
        below(content, self.header, buff=theme.BUFF_LARGE)
        kv = plot.series(line.lengths, line.kv_cache_bytes, theme.ATTN, key="kv_line", dots=False, width=5)
        state = [line.mamba_state_bytes] * 2
        st = plot.series([0, x_max], state, theme.SSM, key="state_line", dots=False, width=5)
        marks = plot.scatter(r.lengths, r.kv_cache_bytes, theme.ATTN, key="kv_marks")
        kv_lab = self.text("kv_cache", size=theme.LABEL, color=theme.ATTN)
        kv_lab.next_to(plot.c2p(x_max, r.kv_cache_bytes[-1]), UL, buff=theme.BUFF_SMALL)
        st_lab = self.text("state", size=theme.LABEL, color=theme.SSM)
        st_lab.next_to(plot.c2p(x_max, state[0]), UP, buff=theme.BUFF_SMALL).align_to(plot.axes, RIGHT)
        with self.beat("growth"):
            self.play(Create(plot))
            self.play(st.grow(run_time=1.2), FadeIn(st_lab))
            self.play(kv.grow(run_time=2.0), FadeIn(kv_lab))
            self.play(FadeIn(marks), FadeIn(table))
            self.wait(HOLD)
        self.next_slide()
        self.plot, self.table = VGroup(plot, kv, st, kv_lab, st_lab, marks), table

    def show_crossover(self) -> None:
        z, r = self.zoom, self.readout
        cross = r.crossover_len
        y_max = max(z.kv_cache_bytes[-1], z.mamba_state_bytes)
        plot = self._memory_plot(self.zoom_len, y_max, 3.9, 2.2, self.t("zoom", n=self.zoom_len))
        keep_inside(plot.next_to(self.plot, RIGHT, buff=theme.BUFF_SECTION).align_to(self.plot, UP))
        kv = plot.series(z.lengths, z.kv_cache_bytes, theme.ATTN, key="zoom_kv_line", dots=False)
        state = [z.mamba_state_bytes] * 2
        st = plot.series([0, self.zoom_len], state, theme.SSM, key="zoom_state_line", dots=False)
        guide = plot.marker(cross, key="crossover_at")
        dot = plot.scatter([cross], [self.at_cross], theme.ACCENT, key="crossover_point", radius=0.07)
        crossing = self.text("crossover", size=theme.LABEL, color=theme.ACCENT, t=numbers.integer(cross))
        final = self.text(
            "final",
            size=theme.LABEL,
            color=theme.FG,
            t=numbers.integer(r.lengths[-1]),
            kv=BYTES(r.kv_cache_bytes[-1]),
            s=BYTES(r.mamba_state_bytes),
            r=numbers.ratio(r.ratios[-1]),
        )
        tag(crossing, "crossover", cross)
        tag(final, "final", r.ratios[-1])
        lines = column([fit_width(crossing), fit_width(final)], buff=theme.BUFF_SMALL)
        to_safe(lines, DOWN, LEFT)
        with self.beat("crossover", n=self.zoom_len, t=numbers.integer(cross)):
            self.play(FadeOut(self.table))
            self.play(Create(plot))
            self.play(st.grow(run_time=1.2), kv.grow(run_time=1.2))
            self.play(Create(guide), FadeIn(dot), FadeIn(crossing))
            self.wait(HOLD)
        self.next_slide()
        with self.beat(
            "final",
            t=numbers.integer(r.lengths[-1]),
            kv=BYTES(r.kv_cache_bytes[-1]),
            s=BYTES(r.mamba_state_bytes),
            r=numbers.ratio(r.ratios[-1]),
        ):
            self.play(FadeIn(final, shift=0.1 * UP))
            self.wait(HOLD + 1.0)
