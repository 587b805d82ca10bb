"""Causal mask and autoregressive decoding: masked scores, then a trained Transformer writing token by token
(greedy and sampled at a temperature) while its KV cache grows by one row per token."""

from __future__ import annotations

import numpy as np
from manim import DOWN, LEFT, RIGHT, Create, FadeOut, Line, Rectangle, ReplacementTransform, VGroup

from lib.models import generate, induction
from scenes.engine.base import LectureScene
from scenes.engine.registry import register
from scenes.kit import numbers, theme
from scenes.kit.anim import fade_in, fade_out
from scenes.kit.bars import Bars
from scenes.kit.frame import below, column, fit_width, row, to_safe
from scenes.kit.matrix import PAD_TIGHT, Heatmap
from scenes.kit.record import number, tag
from scenes.kit.tokens import TokenStrip
from scenes.transformer.params.decoding import Params as DecodingParams

HOLD = theme.HOLD_LONG  # seconds to read a slide (scenes/kit/theme.py)
TOP_K = 4  # bars of the next-token distribution
CDF_SHOWN = 3  # tokens named on the sampling bar; the rest share one grey segment
CDF_WIDTH = 7.0  # a sampling bar, probability 0 … 1
CDF_HEIGHT = 0.36
CACHE_CELL = 0.17  # one cached number


@register("transformer.decoding")
class Decoding(LectureScene):
    """The causal mask, greedy and temperature decoding from the trained induction model, the KV cache."""

    Params = DecodingParams
    EXAMPLES = ({"example": 5, "segment": 5, "steps": 4, "temperature": 2.0, "seed": 1},)

    STRINGS = {
        "en": {
            "title": "Causal mask and autoregressive decoding",
            "subtitle": "a small trained Transformer continues a sequence that repeats a segment",
            "scores": "scores q·k / √d_k, masked",
            "weights": "attention weights: softmax of each row",
            "head": "layer {layer}, head {head} (learned: an induction head) · rows: queries · columns: keys",
            "greedy_head": "greedy: always the most likely token",
            "dist": "next-token probabilities (τ = 1)",
            "cache_k": "K cache",
            "cache_v": "V cache",
            "cache_note": "layer {layer}, head {head}: {d} numbers a token, one new row per step",
            "cache_size": "KV cache: {n} tokens × {layers} layers × 2 (K, V) × {dm} numbers × {b} B "
            "= {bytes}",
            "sample_head": "sampling at τ = {tau}, seed {seed}",
            "cdf": "softmax(logits / τ), likeliest first",
            "u_label": "u",
        },
        "zh": {
            "title": "因果掩码与自回归解码",
            "subtitle": "一个训练好的小 Transformer 续写一段重复出现的序列",
            "scores": "得分 q·k / √d_k，加掩码",
            "weights": "注意力权重：每行做 softmax",
            "head": "第 {layer} 层第 {head} 个头（学到的归纳头）· 行：查询 · 列：键",
            "greedy_head": "贪心：每次取最可能的 token",
            "dist": "下一个 token 的概率（τ = 1）",
            "cache_k": "K 缓存",
            "cache_v": "V 缓存",
            "cache_note": "第 {layer} 层第 {head} 个头：每个 token {d} 个数，每步新增一行",
            "cache_size": "KV 缓存：{n} 个 token × {layers} 层 × 2（K、V）× {dm} 个数 × {b} B = {bytes}",
            "sample_head": "按温度 τ = {tau} 采样，种子 {seed}",
            "cdf": "softmax(logits / τ)，按概率从大到小",
            "u_label": "u",
        },
    }

    # What the lecturer says per beat; every number comes in through a field drawn on screen.
    NARRATION = {
        "en": {
            "mask": "A decoder writes one token at a time, so no position may look at the tokens after it. "
            "Every score above the diagonal gets minus infinity: each query keeps only the keys up to its "
            "own position.",
            "softmax": "The softmax turns minus infinity into a weight of exactly zero. This head of the "
            "trained model has learned something useful: the row of token {tok} puts {w} of its weight on "
            "the token that followed {tok} the first time.",
            "greedy": "Now the model writes. At every step it gives a probability to each of its tokens, "
            "and greedy decoding takes the most likely one, here {first} with probability {p_first}. The "
            "chosen token is fed back in, and the model continues the repeated segment.",
            "cache": "Only the new token goes through the layers: the keys and values of the earlier tokens "
            "never change under the causal mask, so they are kept in a cache that grows by one row per step. "
            "After {n} tokens it holds {bytes}.",
            "sample": "Sampling draws the token instead. Divide the logits by a temperature of {tau}, which "
            "flattens the distribution, line the tokens up from the likeliest, and pick the one where a "
            "uniform random number lands.",
            "sampled": "With seed {seed}, the draws give {sampled}. A draw beyond the likeliest token writes "
            "something the model thought unlikely, and a higher temperature makes that more frequent.",
        },
        "zh": {
            "mask": "解码器一次只写一个 token，所以任何位置都不能看到它后面的 token。我们给对角线以上的"
            "每个得分加上负无穷：每一行是一个查询，只保留到它自己位置为止的键。",
            "softmax": "softmax 把负无穷变成恰好为零的权重。训练好的模型里，这个头学会了一件有用的事："
            "token {tok} 这一行把 {w} 的权重放在 {tok} 第一次出现时紧跟着的那个 token 上。",
            "greedy": "现在让模型来写。每一步它给每个 token 一个概率，贪心解码取最可能的那个，"
            "这里是 {first}，概率 {p_first}。选出的 token 再送回模型，于是它把重复的片段接着写了下去。",
            "cache": "每一步只有新 token 经过各层：在因果掩码下，之前 token 的键和值永远不变，"
            "所以把它们存进缓存，每步只加一行。写到 {n} 个 token 时，缓存占 {bytes}。",
            "sample": "采样则是随机抽一个 token。先把 logits 除以温度 {tau}，让分布变平；"
            "再把 token 按概率从大到小排开，看一个均匀随机数落在谁的区间里。",
            "sampled": "种子取 {seed} 时，抽到的是 {sampled}。随机数一旦落在最可能的 token 之外，"
            "模型就会写出它自己都觉得不太可能的 token；温度越高，越常发生。",
        },
    }

    def construct(self) -> None:
        self.compute()
        self.header = self.title_bar("title", "subtitle")
        self.play(fade_in(self.header))
        self.show_mask()
        self.show_greedy()
        self.show_sampling()

    # --- numbers (all from lib/) -----------------------------------------------------------------
    def compute(self) -> None:
        p = self.params
        self.w = induction.load()
        self.prompt = p.prompt()
        ex = induction.example(p.example, p.segment)
        heads = induction.head_scores(induction.forward(self.w, ex.tokens).attention, ex)
        self.layer = len(self.w.layers) - 1  # the induction heads sit in the last layer
        self.head = int(np.argmax(heads.induction[self.layer]))
        self.att = generate.head_scores(self.w, self.prompt, self.layer, self.head)
        self.greedy = generate.generate(self.w, self.prompt, p.steps)
        self.sampled = generate.generate(self.w, self.prompt, p.steps, "sample", p.temperature, p.seed)
        self.names = generate.symbols(range(self.w.embed.shape[0]))

    # --- slide 1: the mask ---------------------------------------------------------------------------
    def show_mask(self) -> None:
        T = len(self.prompt)
        toks = [self.names[t] for t in self.prompt]
        kw = {
            "row_labels": toks,
            "col_labels": toks,
            "label_color": theme.INPUT,
            "max_cell": 0.42,
            "pad": PAD_TIGHT,
        }
        scores = Heatmap(self.att.masked, key="masked_scores", digits=1, **kw)
        weights = Heatmap(self.att.weights, key="mask_weights", scale="sequential", digits=2, **kw)
        caps = [
            self.text("scores", size=theme.SMALL, color=theme.FG),
            self.text("weights", size=theme.SMALL, color=theme.FG),
        ]
        panels = [
            column([c, m], buff=theme.BUFF_SMALL, align="center")
            for c, m in zip(caps, [scores, weights], strict=True)
        ]
        body = fit_width(row(panels, buff=theme.BUFF_LARGE, align="top"))
        note = self.text(
            "head", size=theme.SMALL, color=theme.MUTED, layer=self.layer + 1, head=self.head + 1
        )
        below(fit_width(note), self.header, buff=theme.BUFF)
        below(body, note, buff=theme.BUFF).set_x(0)
        # the last query: the first token of the second copy; its peak is the token after the first copy's
        last = T - 1
        peak = int(np.argmax(self.att.weights[last]))
        fields = {"tok": toks[last], "w": numbers.fixed(self.att.weights[last, peak], weights.digits)}
        with self.beat("mask"):
            self.play(fade_in(note), fade_in(panels[0]))
            self.wait(HOLD)
        with self.beat("softmax", **fields):
            self.play(fade_in(panels[1]))
            frames = VGroup(weights.highlight_row(last), weights.highlight_cell(last, peak))
            self.play(Create(frames))
            self.wait(HOLD)
        self.next_slide()
        self.play(fade_out(VGroup(note, body, frames)))

    # --- slide 2: greedy decoding and the KV cache ---------------------------------------------------
    def strip(self, gen: generate.Generation, key: str) -> TokenStrip:
        """Every token of ``gen`` (prompt then generated), the generated ones in the output colour."""
        strip = TokenStrip([self.names[t] for t in gen.tokens], key=key, size=theme.SMALL)
        for i in range(len(gen.prompt), len(gen.tokens)):
            strip.chip(i)[0].set_stroke(theme.OUTPUT).set_fill(theme.OUTPUT, 0.12)
        return strip

    def under(self, strip: TokenStrip, i: int, mob) -> VGroup:
        return mob.next_to(strip.chip(i), DOWN, buff=theme.BUFF_TIGHT)

    def show_greedy(self) -> None:
        gen, P = self.greedy, len(self.prompt)
        heading = self.text("greedy_head", size=theme.LABEL, color=theme.OUTPUT)
        below(heading, self.header, buff=theme.BUFF)
        strip = self.strip(gen, "greedy_tokens")
        below(strip, heading, buff=theme.BUFF)
        probs = [
            self.under(
                strip, P + s, number(st.probs[st.token], 3, key="greedy_p", index=(s,), size=theme.NUMBER)
            )
            for s, st in enumerate(gen.steps)
        ]
        # the K and V cache of the induction head's layer and head, its final size; rows revealed one by one
        cache = gen.caches[self.layer]
        n_final = gen.steps[-1].cache_length
        kv = [
            Heatmap(
                getattr(cache, name)[self.head, :n_final],
                key=f"cache_{name}",
                show_numbers=False,
                cell=CACHE_CELL,
                outline=color,
            )
            for name, color in (("k", theme.KEY), ("v", theme.VALUE))
        ]
        kv_caps = [
            self.text("cache_k", size=theme.SMALL, color=theme.KEY),
            self.text("cache_v", size=theme.SMALL, color=theme.VALUE),
        ]
        cache_group = row(
            [column([c, m], buff=theme.BUFF_SMALL, align="center") for c, m in zip(kv_caps, kv, strict=True)],
            buff=theme.BUFF_LARGE,
            align="top",
        )
        d_head = cache.k.shape[-1]
        cache_note = self.text(
            "cache_note",
            size=theme.SMALL,
            color=theme.MUTED,
            layer=self.layer + 1,
            head=self.head + 1,
            d=d_head,
        )
        right = column([cache_group, cache_note], buff=theme.BUFF_SMALL, align="center")
        dist_cap = self.text("dist", size=theme.SMALL, color=theme.FG)
        bars = [self.dist_bars(st) for st in gen.steps]
        left = VGroup(dist_cap, bars[0])
        column(left, buff=theme.BUFF_LARGE, align="center")
        lower = row([left, right], buff=theme.BUFF_SECTION, align="top")
        below(fit_width(lower), strip, buff=theme.BUFF_LARGE + theme.BUFF).set_x(0)
        for b in bars[1:]:
            b.move_to(bars[0])
        size = self.cache_size(gen.steps[-1])
        to_safe(fit_width(size), DOWN)

        def rows(m: Heatmap, a: int, b: int) -> VGroup:
            return VGroup(*[m.cell_at(i, j) for i in range(a, b) for j in range(m.shape[1])])

        first = gen.steps[0]
        fields = {"first": self.names[first.token], "p_first": numbers.fixed(first.probs[first.token], 3)}
        chips = [strip.chip(i) for i in range(P)]
        with self.beat("greedy", **fields):
            self.play(fade_in(heading), fade_in(*chips), fade_in(dist_cap), fade_in(cache_note))
            self.play(fade_in(kv_caps[0], kv_caps[1], rows(kv[0], 0, P), rows(kv[1], 0, P)))
            shown = None
            for s, st in enumerate(gen.steps):
                pick = bars[s].highlight
                if shown is None:
                    self.play(bars[s].grow(run_time=0.8))
                else:
                    self.play(ReplacementTransform(shown, bars[s]), run_time=0.6)
                self.play(Create(pick), run_time=0.4)
                grow = (
                    [rows(m, st.cache_length, st.cache_length + 1) for m in kv]
                    if s < len(gen.steps) - 1
                    else []
                )
                self.play(fade_in(strip.chip(P + s), probs[s], *grow), FadeOut(pick), run_time=0.7)
                shown = bars[s]
            self.wait(1.0)
        with self.beat("cache", n=numbers.integer(gen.steps[-1].cache_length), bytes=self.cache_bytes(gen)):
            self.play(fade_in(size))
            self.wait(HOLD)
        self.next_slide()
        self.play(fade_out(VGroup(heading, strip, *probs, dist_cap, shown, cache_group, cache_note, size)))

    def dist_bars(self, st: generate.GenStep) -> Bars:
        """The TOP_K likeliest next tokens at τ = 1, their probabilities written on the bars."""
        top = generate.by_probability(st.probs)[:TOP_K]
        b = Bars(
            [st.probs[t] for t in top],
            key="top_p",
            labels=[self.names[t] for t in top],
            color=theme.SEQ_HIGH,
            label_color=theme.INPUT,
            fmt=lambda v: numbers.fixed(v, 3),
            vmax=1.0,
            length=1.8,
            thickness=0.45,
        )
        b.highlight = Rectangle(
            width=b.item(0).width + 2 * theme.BUFF_TIGHT,
            height=b.item(0).height + 2 * theme.BUFF_TIGHT,
            color=theme.ACCENT,
            stroke_width=4,
        ).move_to(b.item(0))
        return b

    def cache_bytes(self, gen: generate.Generation) -> str:
        return numbers.byte_size(gen.steps[-1].cache_bytes, 1)

    def cache_size(self, st: generate.GenStep):
        line = self.text(
            "cache_size",
            size=theme.SMALL,
            color=theme.ACCENT,
            n=numbers.integer(st.cache_length),
            layers=len(self.w.layers),
            dm=self.w.embed.shape[1],
            b=generate.BYTES_PER_NUMBER,
            bytes=numbers.byte_size(st.cache_bytes, 1),
        )
        return tag(line, "cache_size", st.cache_bytes)

    # --- slide 3: sampling at a temperature --------------------------------------------------------------
    def cdf_bar(self, st: generate.GenStep, s: int) -> VGroup:
        """The distribution at τ as one bar, likeliest token first, the uniform draw u marked on it, and
        the token it picks."""
        order = generate.by_probability(st.probs)
        parts, x = VGroup(), 0.0
        for t in order[:CDF_SHOWN]:
            p = float(st.probs[t])
            seg = Rectangle(width=max(CDF_WIDTH * p, 0.02), height=CDF_HEIGHT, stroke_color=theme.BACKGROUND)
            seg.set_fill(theme.sequential(p), 1.0).move_to([x + CDF_WIDTH * p / 2, 0, 0])
            parts.add(seg)
            if CDF_WIDTH * p > 0.4:  # a name fits its segment
                name = self.plain(self.names[t], size=theme.SMALL, color=theme.ink_on(theme.sequential(p)))
                parts.add(name.move_to(seg))
            x += CDF_WIDTH * p
        rest = Rectangle(width=max(CDF_WIDTH - x, 0.02), height=CDF_HEIGHT, stroke_color=theme.BACKGROUND)
        parts.add(rest.set_fill(theme.GRID, 1.0).move_to([(x + CDF_WIDTH) / 2, 0, 0]))
        ux = CDF_WIDTH * st.u
        mark = Line([ux, CDF_HEIGHT * 0.8, 0], [ux, -CDF_HEIGHT * 0.8, 0], color=theme.ACCENT, stroke_width=5)
        u = number(st.u, 2, key="u", index=(s,), size=theme.SMALL, color=theme.ACCENT)
        u_label = VGroup(self.plain(self.t("u_label") + " =", size=theme.SMALL, color=theme.ACCENT), u)
        u_label.arrange(RIGHT, buff=theme.BUFF_TIGHT).next_to(parts, LEFT, buff=theme.BUFF)
        pick = self.plain("→ " + self.names[st.token], size=theme.SMALL, color=theme.OUTPUT)
        tag(pick, "sampled_pick", self.names[st.token], (s,))
        return VGroup(parts, mark, u_label, pick.next_to(parts, RIGHT, buff=theme.BUFF))

    def show_sampling(self) -> None:
        p, gen, P = self.params, self.sampled, len(self.prompt)
        tau = numbers.fixed(p.temperature, 1)
        heading = self.text("sample_head", size=theme.LABEL, color=theme.OUTPUT, tau=tau, seed=p.seed)
        below(heading, self.header, buff=theme.BUFF)
        strip = self.strip(gen, "sampled_tokens")
        below(strip, heading, buff=theme.BUFF)
        probs = [
            self.under(
                strip, P + s, number(st.probs[st.token], 3, key="sampled_p", index=(s,), size=theme.NUMBER)
            )
            for s, st in enumerate(gen.steps)
        ]
        cap = self.text("cdf", size=theme.SMALL, color=theme.FG)
        bars = [self.cdf_bar(st, s) for s, st in enumerate(gen.steps)]
        rows_ = column([cap, *bars], buff=theme.BUFF, align="left")
        for b in bars[1:]:  # one row per step, every bar's 0 … 1 under the first's
            b.shift((bars[0][0].get_left() - b[0].get_left()) * RIGHT)
        below(fit_width(rows_), VGroup(*probs), buff=theme.BUFF_LARGE).set_x(0)
        chips = [strip.chip(i) for i in range(P)]
        with self.beat("sample", tau=tau):
            self.play(fade_in(heading), fade_in(*chips), fade_in(cap))
            self.play(fade_in(bars[0][0]), fade_in(bars[0][1]))
            self.wait(1.0)
        sampled = " ".join(self.names[t] for t in gen.tokens[P:])
        with self.beat("sampled", seed=p.seed, sampled=sampled):
            for s in range(len(gen.steps)):
                if s:
                    self.play(fade_in(bars[s][0], bars[s][1]), run_time=0.5)
                self.play(fade_in(bars[s][2], bars[s][3], strip.chip(P + s), probs[s]), run_time=0.6)
            self.wait(HOLD)
