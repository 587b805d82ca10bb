"""KV cache and serving: what the cache costs per token and layer, how grouped-query attention shrinks it, and
why prefill is compute-bound while decoding is memory-bound."""

from __future__ import annotations

from functools import partial

from manim import DOWN, LEFT, RIGHT, UP, FadeIn, FadeOut, Rectangle, SurroundingRectangle, VGroup

from lib.arithmetic.cost_serving import serving_cost
from scenes.engine.base import LectureScene
from scenes.engine.registry import register
from scenes.kit import numbers, theme
from scenes.kit.anim import fade_in
from scenes.kit.bars import Bars
from scenes.kit.diagram import Block
from scenes.kit.frame import SAFE, below, fit_width, row, to_safe
from scenes.kit.record import tag
from scenes.kit.table import NumberTable
from scenes.transformer.params.serving import Params as ServingParams

HOLD = theme.HOLD_LONG  # seconds to read a slide (scenes/kit/theme.py)
SIZE = partial(numbers.byte_size, digits=1)  # KiB, MiB, GiB (1024), as memory is bought
HEADS_W = 4.2  # width of one row of query heads in the grouping diagram
VARIANTS = ("mha", "gqa", "mqa")


def intensity(x: float) -> str:
    """FLOPs per byte: whole numbers with separators from 100 up, one decimal below."""
    return numbers.integer(x) if x >= 100 else numbers.fixed(x, 1)


@register("transformer.serving")
class Serving(LectureScene):
    """The KV cache per token, layer, sequence and batch; MHA vs GQA vs MQA; prefill vs decode on the
    roofline."""

    Params = ServingParams

    # Llama 2 70B (80 layers, 64 query heads sharing 8 KV heads) on an A100 80GB
    EXAMPLES = (
        {
            "n_layers": 80,
            "d_model": 8192,
            "n_heads": 64,
            "n_kv_heads": 8,
            "d_ff": 28672,
            "vocab": 32000,
            "context": 4096,
            "batch": 4,
            "peak_tflops": 312.0,
            "bandwidth_tbs": 2.039,
        },
    )

    STRINGS = {
        "en": {
            "title": "Serving: the KV cache",
            "subtitle": "what generating text costs in memory, and what limits its speed",
            "model": "the model",
            "m_layers": "{l} layers, d = {d}",
            "m_heads": "{h} query heads, {g} KV heads of {hd}",
            "m_dtype": "{b} bytes per number",
            "m_params": "{p} parameters",
            "m_weights": "weights: {w}",
            "col_what": "KV cache",
            "col_how": "",
            "col_bytes": "bytes",
            "r_layer": "one token, one layer",
            "r_token": "one token",
            "r_sequence": "one sequence",
            "r_batch": "the batch",
            "h_layer": "2 (K, V) × {g} × {hd} × {b} B",
            "h_token": "× {l} layers",
            "h_sequence": "× {t} tokens",
            "h_batch": "× {n} sequences",
            "queries": "queries",
            "keys_values": "K, V",
            "mha": "MHA: {g} KV heads",
            "gqa": "GQA: {g} KV heads",
            "mqa": "MQA: {g} KV head",
            "cache_of": "KV cache for {n} × {t} tokens",
            "col_phase": "",
            "col_prefill": "prefill",
            "col_decode": "decode step",
            "p_tokens": "new tokens",
            "p_flops": "FLOPs (matmuls)",
            "p_per_token": "FLOPs per token",
            "p_bytes": "bytes moved",
            "p_intensity": "FLOPs per byte",
            "p_time": "time, at least",
            "p_bound": "limited by",
            "compute": "compute",
            "memory": "memory",
            "ridge": "accelerator: {f} TFLOP/s ÷ {bw} TB/s = {r} FLOPs per byte",
        },
        "zh": {
            "title": "推理服务：KV 缓存",
            "subtitle": "生成文本要占多少内存，速度又受什么限制",
            "model": "模型",
            "m_layers": "{l} 层，d = {d}",
            "m_heads": "{h} 个查询头，{g} 个 KV 头，每头 {hd} 维",
            "m_dtype": "每个数 {b} 字节",
            "m_params": "参数量 {p}",
            "m_weights": "权重：{w}",
            "col_what": "KV 缓存",
            "col_how": "",
            "col_bytes": "字节",
            "r_layer": "一个 token、一层",
            "r_token": "一个 token",
            "r_sequence": "一条序列",
            "r_batch": "整个批次",
            "h_layer": "2 (K, V) × {g} × {hd} × {b} B",
            "h_token": "× {l} 层",
            "h_sequence": "× {t} 个 token",
            "h_batch": "× {n} 条序列",
            "queries": "查询",
            "keys_values": "K、V",
            "mha": "MHA：{g} 个 KV 头",
            "gqa": "GQA：{g} 个 KV 头",
            "mqa": "MQA：{g} 个 KV 头",
            "cache_of": "{n} × {t} 个 token 的 KV 缓存",
            "col_phase": "",
            "col_prefill": "预填充",
            "col_decode": "一步解码",
            "p_tokens": "新 token 数",
            "p_flops": "浮点运算（矩阵乘）",
            "p_per_token": "每个 token 的运算量",
            "p_bytes": "搬运字节数",
            "p_intensity": "每字节运算量",
            "p_time": "耗时下限",
            "p_bound": "瓶颈",
            "compute": "算力",
            "memory": "内存带宽",
            "ridge": "加速器：{f} TFLOP/s ÷ {bw} TB/s = 每字节 {r} 次运算",
        },
    }

    NARRATION = {
        "en": {
            "model": "To generate text, a decoder runs once per new token, and every past token's keys "
            "and values are needed again at each step. So we keep them: that is the KV cache. Take this "
            "model, {params} parameters, whose weights alone fill {weights}.",
            "ladder": "Per token and per layer, the cache holds one key and one value for each KV head: "
            "{layer}. Across all layers that is {token} per token, {sequence} for one sequence of the "
            "context, and {batch} for the whole batch.",
            "gqa": "The cache grows with the number of key-value heads, not query heads. Grouped-query "
            "attention, by Ainslie and colleagues, lets a group of query heads share one key and value. "
            "With full multi-head attention this batch would need {mha}; with {g} shared heads it needs "
            "{gqa}; multi-query attention, with one, only {mqa}.",
            "gqa_why": "The queries keep their full number of heads, so the model still attends in many "
            "ways at once, while the memory it must hold, and read at every step, shrinks.",
            "prefill": "Serving has two phases. Prefill reads the prompt, {tokens} tokens at once: each "
            "weight fetched from memory is used for all of them, giving {intensity} FLOPs per byte.",
            "decode": "Decoding makes one token per sequence: about the same {per_token} per token, but "
            "every weight and the whole cache are read for just {decode_tokens} tokens. Only {dec_int} "
            "FLOPs per byte.",
            "ridge": "This accelerator needs {ridge} FLOPs per byte to keep its arithmetic busy. Prefill "
            "is far above that, limited by compute; decoding is far below, limited by memory bandwidth, "
            "which is why a smaller cache and bigger batches make generation faster.",
        },
        "zh": {
            "model": "生成文本时，解码器每产生一个新 token 就要运行一次，而之前每个 token 的键和值在每一"
            "步都还要再用。所以把它们存起来，这就是 KV 缓存。以这个模型为例：参数量 {params}，光是权重就"
            "占 {weights}。",
            "ladder": "每个 token、每一层，缓存为每个 KV 头存一个键和一个值：{layer}。乘上所有层，每个 "
            "token 占 {token}；一条序列的上下文占 {sequence}；整个批次占 {batch}。",
            "gqa": "缓存大小取决于键值头的个数，而不是查询头的个数。Ainslie 等人提出的分组查询注意力，让"
            "一组查询头共用一份键和值。如果用完整的多头注意力，这个批次需要 {mha}；共用 {g} 个头只需 "
            "{gqa}；多查询注意力只有一个头，仅需 {mqa}。",
            "gqa_why": "查询头的数量一个不少，模型仍然能同时从多个角度去关注；而需要保存、并且每一步都要"
            "读取的内存却变小了。",
            "prefill": "推理服务分两个阶段。预填充一次读入整段提示，共 {tokens} 个 token：从内存取出的每"
            "个权重都用于所有这些 token，每字节 {intensity} 次运算。",
            "decode": "解码时每条序列只产生一个 token：每个 token 的运算量差不多，还是 {per_token}，但所"
            "有权重和整个缓存只为 {decode_tokens} 个 token 读一遍。每字节只有 {dec_int} 次运算。",
            "ridge": "这块加速器要每字节 {ridge} 次运算才能让计算单元不闲着。预填充远高于此，受限于算力；"
            "解码远低于此，受限于内存带宽。所以缓存更小、批次更大，生成就更快。",
        },
    }

    def construct(self) -> None:
        self.compute()
        self.show_cache()
        self.show_gqa()
        self.show_phases()

    # --- numbers (all from lib/) -----------------------------------------------------------------
    def compute(self) -> None:
        p = self.params
        kw = dict(
            vocab=p.vocab,
            d_model=p.d_model,
            n_layers=p.n_layers,
            n_heads=p.n_heads,
            d_ff=p.d_ff,
            context=p.context,
            batch=p.batch,
            bytes_per_elem=p.bytes_per_elem,
            peak_flops=p.peak_tflops * 1e12,
            bandwidth=p.bandwidth_tbs * 1e12,
        )
        self.kv_heads = {"mha": p.n_heads, "gqa": p.n_kv_heads, "mqa": 1}
        self.variants = {v: serving_cost(n_kv_heads=g, **kw) for v, g in self.kv_heads.items()}
        self.s = self.variants["gqa"]
        self.head_dim = p.d_model // p.n_heads

    # --- beats -------------------------------------------------------------------------------------
    def show_cache(self) -> None:
        p, s = self.params, self.s
        self.header = self.title_bar("title", "subtitle")
        lines = [
            self.text("model", size=theme.LABEL, color=theme.MUTED),
            self.text("m_layers", size=theme.SMALL, l=p.n_layers, d=numbers.integer(p.d_model)),
            self.text("m_heads", size=theme.SMALL, h=p.n_heads, g=p.n_kv_heads, hd=self.head_dim),
            self.text("m_dtype", size=theme.SMALL, b=p.bytes_per_elem),
            tag(
                self.text("m_params", size=theme.SMALL, p=numbers.integer(s.params)),
                "params",
                s.params,
            ),
            tag(
                self.text("m_weights", size=theme.SMALL, color=theme.ACCENT, w=SIZE(s.weight_bytes)),
                "weight_bytes",
                s.weight_bytes,
            ),
        ]
        card = Block(None, lines=lines, width=4.4, spacing=theme.BUFF_SMALL, pad=theme.BUFF)
        below(card, self.header, buff=theme.BUFF_SECTION)
        to_safe(card, LEFT)
        rows = ("layer", "token", "sequence", "batch")
        how = [
            self.t("h_layer", g=p.n_kv_heads, hd=self.head_dim, b=p.bytes_per_elem),
            self.t("h_token", l=p.n_layers),
            self.t("h_sequence", t=numbers.integer(p.context)),
            self.t("h_batch", n=p.batch),
        ]
        values = [s.kv_per_token_layer, s.kv_per_token, s.kv_per_sequence, s.kv_total]
        ladder = NumberTable(
            [[self.t(f"r_{r}") for r in rows], how, values],
            header=[self.t("col_what"), self.t("col_how"), self.t("col_bytes")],
            formats=[None, None, SIZE],
            colors=[theme.MUTED, theme.FG, theme.KEY],
            keys=[None, "kv_how", "kv_bytes"],
            size=theme.LABEL,
            h_buff=0.45,
            v_buff=0.32,
        )
        fit_width(ladder, SAFE.right - card.get_right()[0] - theme.BUFF_LARGE)
        to_safe(ladder, RIGHT)
        ladder.align_to(card, UP)
        total_mark = SurroundingRectangle(ladder.cell(3, 2), color=theme.ACCENT, buff=0.08)
        with self.beat("model", params=numbers.integer(s.params), weights=SIZE(s.weight_bytes)):
            self.play(FadeIn(self.header))
            self.play(FadeIn(card, shift=0.2 * RIGHT))
            self.wait(HOLD)
        with self.beat(
            "ladder",
            layer=SIZE(s.kv_per_token_layer),
            token=SIZE(s.kv_per_token),
            sequence=SIZE(s.kv_per_sequence),
            batch=SIZE(s.kv_total),
        ):
            self.play(fade_in(ladder))
            self.play(FadeIn(total_mark))
            self.wait(HOLD)
        self.next_slide()
        self.play(FadeOut(VGroup(card, ladder, total_mark)), run_time=0.6)

    def _grouping(self, n_kv: int) -> VGroup:
        """H query heads in a row, and under them the KV heads, each spanning the group that shares it."""
        h = self.params.n_heads
        q_w = HEADS_W / h
        queries = VGroup(
            *(
                Rectangle(width=q_w * 0.8, height=0.26, stroke_width=0).set_fill(theme.QUERY, 0.9)
                for _ in range(h)
            )
        ).arrange(RIGHT, buff=q_w * 0.2)
        group = h // n_kv
        kv = VGroup()
        for k in range(n_kv):
            span = VGroup(*queries[k * group : (k + 1) * group])
            kv.add(
                Rectangle(width=span.width, height=0.26, stroke_width=0)
                .set_fill(theme.KEY, 0.9)
                .next_to(span, DOWN, buff=0.08)
            )
        return VGroup(queries, kv)

    def show_gqa(self) -> None:
        p = self.params
        totals = [self.variants[v].kv_total for v in VARIANTS]
        labels = [self.t(v, g=self.kv_heads[v]) for v in VARIANTS]
        bars = Bars(
            totals,
            key="variant_bytes",
            labels=labels,
            color=[theme.KEY] * 3,
            label_color=[theme.FG, theme.ACCENT, theme.FG],
            fmt=SIZE,
            direction="horizontal",
            length=3.4,
            thickness=0.5,
            gap=0.55,
        )
        diagrams = VGroup()
        labels_left = VGroup(*bars.labels)  # the diagrams end, right-aligned, before the longest label
        for k, v in enumerate(VARIANTS):
            d = self._grouping(self.kv_heads[v]).set_y(bars.labels[k].get_y())
            diagrams.add(d.next_to(labels_left, LEFT, buff=theme.BUFF_LARGE, coor_mask=RIGHT))
        legend = row(
            [
                self.text("queries", size=theme.SMALL, color=theme.QUERY),
                self.text("keys_values", size=theme.SMALL, color=theme.KEY),
            ],
            buff=theme.BUFF_LARGE,
        )
        caption = self.text(
            "cache_of", size=theme.SMALL, color=theme.MUTED, n=p.batch, t=numbers.integer(p.context)
        )
        legend.next_to(diagrams, UP, buff=theme.BUFF)
        caption.next_to(bars.bars, UP, buff=theme.BUFF).align_to(bars.bars, LEFT)
        content = VGroup(diagrams, bars, legend, caption)
        fit_width(content)
        below(content, self.header, buff=theme.BUFF_SECTION).set_x(0)
        mark = SurroundingRectangle(bars.item(1), color=theme.ACCENT, buff=0.1)
        with self.beat(
            "gqa",
            mha=SIZE(totals[0]),
            g=p.n_kv_heads,
            gqa=SIZE(totals[1]),
            mqa=SIZE(totals[2]),
        ):
            self.play(FadeIn(legend), fade_in(diagrams))
            self.play(bars.grow(), FadeIn(caption))
            self.wait(HOLD)
        with self.beat("gqa_why"):
            self.play(FadeIn(mark))
            self.wait(HOLD)
        self.next_slide()
        self.play(FadeOut(VGroup(content, mark)), run_time=0.6)

    def show_phases(self) -> None:
        p, s = self.params, self.s
        phases = (s.prefill, s.decode)
        bound = [self.t("compute" if ph.compute_bound else "memory") for ph in phases]
        rows = ("tokens", "flops", "per_token", "bytes", "intensity", "time", "bound")
        cols = [
            [
                numbers.integer(ph.tokens),
                numbers.flops(ph.flops),
                numbers.flops(ph.flops_per_token),
                SIZE(ph.bytes),
                intensity(ph.intensity),
                numbers.duration(ph.seconds),
                b,
            ]
            for ph, b in zip(phases, bound, strict=True)
        ]
        table = NumberTable(
            [[self.t(f"p_{r}") for r in rows], *cols],
            header=[self.t("col_phase"), self.t("col_prefill"), self.t("col_decode")],
            colors=[theme.MUTED, theme.FG, theme.FG],
            keys=[None, "prefill", "decode"],
            h_buff=0.7,
        )
        below(table, self.header, buff=theme.BUFF_SECTION).set_x(0)
        ridge = tag(
            self.text(
                "ridge",
                size=theme.LABEL,
                color=theme.ACCENT,
                f=numbers.integer(p.peak_tflops),
                bw=numbers.fixed(p.bandwidth_tbs, 2),
                r=intensity(s.ridge),
            ),
            "ridge",
            s.ridge,
        )
        fit_width(ridge)
        below(ridge, table, buff=theme.BUFF_LARGE).set_x(0)
        pre = VGroup(*(table.cell(i, 1) for i in range(len(rows))))
        dec = VGroup(*(table.cell(i, 2) for i in range(len(rows))))
        pre_mark = SurroundingRectangle(pre, color=theme.OUTPUT, buff=0.1)
        dec_mark = SurroundingRectangle(dec, color=theme.ACCENT, buff=0.1)
        rest = VGroup(*(m for m in table.submobjects if m not in (*pre, *dec)))
        with self.beat(
            "prefill", tokens=numbers.integer(s.prefill.tokens), intensity=intensity(s.prefill.intensity)
        ):
            self.play(fade_in(rest))
            self.play(fade_in(pre), FadeIn(pre_mark))
            self.wait(HOLD)
        with self.beat(
            "decode",
            per_token=numbers.flops(s.decode.flops_per_token),
            decode_tokens=numbers.integer(s.decode.tokens),
            dec_int=intensity(s.decode.intensity),
        ):
            self.play(fade_in(dec), FadeOut(pre_mark), FadeIn(dec_mark))
            self.wait(HOLD)
        self.next_slide()
        with self.beat("ridge", ridge=intensity(s.ridge)):
            self.play(FadeIn(ridge, shift=0.1 * UP), FadeOut(dec_mark))
            self.wait(HOLD)
