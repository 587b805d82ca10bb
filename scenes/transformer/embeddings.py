"""Embeddings and sinusoidal positions (Vaswani et al. 2017, §3.4–3.5): each token id looks up a learned
vector (the trained induction model's table), the positional encoding PE(pos, 2i) = sin(pos / base^{2i/d}),
PE(pos, 2i+1) = cos(…) as a heatmap, its wavelengths 2π·base^{2i/d}, and the sum x = E[token] + PE(pos)."""

from __future__ import annotations

import numpy as np
from manim import DOWN, RIGHT, UP, Create, VGroup, Write

from lib.models.configs import INDUCTION_MODEL
from lib.models.store import load_weights
from lib.transformer.embedding import embed_with_sinusoids, sinusoidal_wavelengths
from lib.transformer.positions import sinusoidal_encoding
from scenes.engine.base import LectureScene
from scenes.engine.registry import register
from scenes.kit import numbers, theme
from scenes.kit.anim import fade_in, fade_out
from scenes.kit.equation import Equation
from scenes.kit.frame import SAFE, below, column, fit_width, row
from scenes.kit.matrix import PAD_TIGHT, Heatmap
from scenes.kit.plot import Plot, log_bounds
from scenes.kit.record import tag_located
from scenes.kit.tokens import TokenStrip
from scenes.transformer.params.embeddings import Params as EmbeddingsParams

PE_HEIGHT = 4.1  # room for the PE heatmap under its formula
SUM_WIDTH = 3.6  # each of the three heatmaps E, PE, x on the last slide


def fill_hex(m) -> str:
    """The colour a heatmap cell is drawn in, read at the pause (so a test checks the picture itself)."""
    return m.get_fill_color().to_hex().upper()


@register("transformer.embeddings")
class Embeddings(LectureScene):
    """Token embeddings from the trained model, the sinusoidal PE and its wavelengths, and their sum."""

    Params = EmbeddingsParams
    EXAMPLES = ({"tokens": (1, 30, 7, 1), "dims_shown": 8, "positions": 32, "base": 1000.0},)

    STRINGS = {
        "en": {
            "title": "Embeddings and sinusoidal positions",
            "subtitle": "x = E[token] + PE(position)",
            "tokens": "token ids",
            "lookup": "Learned embedding table E: {vocab} tokens × {d} dimensions (trained induction model)",
            "shown": "one row per token; the first {k} of {d} dimensions",
            "same": "the same token → the same row: attention alone cannot tell the two apart",
            "pe_head": "Sinusoidal positional encoding, d = {d}, base = {base}",
            "position": "position ↓",
            "dimension": "dimension →",
            "wave_head": "Each pair of dimensions is a sine and cosine of one wavelength",
            "wave_axis": "wavelength (positions)",
            "pair_axis": "pair i",
            "wave_note": "a geometric progression: fast pairs tell neighbours apart, slow pairs count far",
            "emb": "E[token] (learned)",
            "pe": "PE(pos)",
            "x": "x: into the first layer",
            "differ": "the same token at two positions now enters the model as two different vectors",
        },
        "zh": {
            "title": "词嵌入与正弦位置编码",
            "subtitle": "x = E[词元] + PE(位置)",
            "tokens": "词元编号",
            "lookup": "学到的嵌入表 E：{vocab} 个词元 × {d} 维（训练好的归纳头模型）",
            "shown": "每个词元一行；显示 {d} 维中的前 {k} 维",
            "same": "同一个词元 → 同一行：单靠注意力分不清这两个位置",
            "pe_head": "正弦位置编码，d = {d}，底数 = {base}",
            "position": "位置 ↓",
            "dimension": "维度 →",
            "wave_head": "每一对维度是同一波长的正弦和余弦",
            "wave_axis": "波长（位置数）",
            "pair_axis": "第 i 对",
            "wave_note": "波长成等比数列：快的维度区分相邻位置，慢的维度数远处的位置",
            "emb": "E[词元]（学到的）",
            "pe": "PE(位置)",
            "x": "x：送入第一层",
            "differ": "同一个词元在两个位置上，进入模型时成了两个不同的向量",
        },
    }

    NARRATION = {
        "en": {
            "lookup": "A transformer cannot compute with token ids, so each id looks up a row of a learned "
            "table. Our small trained model has {vocab} tokens, each a vector of {d} numbers; here are the "
            "first {k} numbers of each token in our sequence.",
            "same": "Token {repeat} appears twice, and both times it gets exactly the same vector. "
            "Attention compares vectors, and it has no idea of order, so on its own it could not tell "
            "these two apart.",
            "pe": "The original transformer adds a position signal: dimension pair i at position pos "
            "holds the sine and the cosine of pos divided by {base} to the power two i over d. Each row of "
            "this "
            "heatmap is one position; on the left the colours change quickly, on the right slowly.",
            "wavelength": "Each pair oscillates with its own wavelength, from {first} positions for the "
            "first pair to {last} for the last, a geometric progression. Fast pairs distinguish "
            "neighbours, slow "
            "pairs tell far-apart positions apart, and together every position gets a unique pattern.",
            "sum": "The model's input is simply the sum: the learned token vector plus the position code. "
            "Position {p} with token {tok}: the first number is {e0} plus {pe0}, which gives {x0}.",
            "differ": "Now the repeated token enters the model as two different vectors, one per position. "
            "Our tiny model learned its own position vectors instead, but the idea is the same.",
        },
        "zh": {
            "lookup": "Transformer 无法直接用词元编号做计算，所以每个编号都去查一张学到的表里的一行。"
            "我们训练好的小模型有 {vocab} 个词元，每个是 {d} 个数的向量；"
            "这里显示序列中每个词元的前 {k} 个数。",
            "same": "词元 {repeat} 出现了两次，两次得到的向量完全一样。注意力比较的是向量，它本身不知道顺序，"
            "所以单靠注意力分不清这两个位置。",
            "pe": "原始的 Transformer 加上一个位置信号：位置 pos 上第 i 对维度，是 pos 除以 {base} 的 "
            "d 分之二 i 次方，再取正弦和余弦。热图每一行是一个位置；左边颜色变化快，右边变化慢。",
            "wavelength": "每一对维度都有自己的波长，从第一对的 {first} 个位置，到最后一对的 {last} 个位置，"
            "构成等比数列。快的维度区分相邻位置，慢的维度区分相隔很远的位置，合起来每个位置都有独一无二的图案。",
            "sum": "模型的输入就是两者之和：学到的词元向量加上位置编码。位置 {p} 上的词元 {tok}："
            "第一个数是 {e0} 加 {pe0}，等于 {x0}。",
            "differ": "现在重复的词元以两个不同的向量进入模型，每个位置一个。"
            "我们的小模型其实自己学了位置向量，但道理是一样的。",
        },
    }

    def construct(self) -> None:
        self.compute()
        self.show_lookup()
        self.show_pe()
        self.show_wavelengths()
        self.show_sum()

    def compute(self) -> None:
        p = self.params
        self.E = load_weights("induction")["embed.weight"]  # (V, d)  the trained model's token table
        self.d = INDUCTION_MODEL.d_model
        self.emb = embed_with_sinusoids(self.E, np.array(p.tokens), p.base)
        self.pe = sinusoidal_encoding(p.positions, self.d, p.base)  # (P, d)
        self.lam = sinusoidal_wavelengths(self.d, p.base)  # (d/2,)
        # the first token that occurs again, and where (selection, for the highlight; Params ensures one)
        b = next(t for t, tok in enumerate(p.tokens) if tok in p.tokens[:t])
        self.repeat = (p.tokens.index(p.tokens[b]), b)

    def caption(self, key: str, color=theme.FG, size: int = theme.LABEL, **fmt):
        return fit_width(self.text(key, size=size, color=color, **fmt))

    def fmt_base(self) -> str:
        return (
            numbers.integer(self.params.base)
            if float(self.params.base).is_integer()
            else str(self.params.base)
        )

    # --- beats ---------------------------------------------------------------------------------------
    def show_lookup(self) -> None:
        p, k = self.params, self.params.dims_shown
        self.header = self.title_bar("title", "subtitle")
        strip = TokenStrip([numbers.integer(t) for t in p.tokens], key="tokens")
        strip_row = row([self.text("tokens", size=theme.LABEL, color=theme.MUTED), strip], buff=theme.BUFF)
        head = self.caption("lookup", vocab=numbers.integer(self.E.shape[0]), d=numbers.integer(self.d))
        note = self.caption(
            "shown", color=theme.MUTED, size=theme.SMALL, k=numbers.integer(k), d=numbers.integer(self.d)
        )
        table = Heatmap(
            self.emb.token_embedding[:, :k],
            key="lookup",
            row_labels=[numbers.integer(t) for t in p.tokens],
            col_labels=[numbers.integer(j) for j in range(k)],
            pad=PAD_TIGHT,
            max_width=SAFE.width * 0.6,
            max_height=3.0,
        )
        body = column([strip_row, head, note, table], buff=theme.BUFF, align="left")
        below(body, self.header, buff=theme.BUFF_SECTION)
        with self.beat(
            "lookup", vocab=numbers.integer(self.E.shape[0]), d=numbers.integer(self.d), k=numbers.integer(k)
        ):
            self.play(fade_in(self.header))
            self.play(fade_in(strip_row))
            self.play(fade_in(head), fade_in(note), fade_in(table))
            self.wait(0.5)
        a, b = self.repeat
        frames = VGroup(table.highlight_row(a), table.highlight_row(b))
        same = below(self.caption("same", color=theme.ACCENT), body, buff=theme.BUFF)
        with self.beat("same", repeat=numbers.integer(p.tokens[a])):
            self.play(*[Create(f) for f in frames], fade_in(same))
            self.wait(1.0)
        body.add(frames, same)
        self.next_slide()
        self.play(fade_out(body))

    def show_pe(self) -> None:
        formula = Equation(
            r"PE_{(pos,\,2i)} = \sin\!\left(\frac{pos}{"
            + self.fmt_base().replace(",", "")
            + r"^{2i/d}}\right)"
            r"\qquad PE_{(pos,\,2i+1)} = \cos\!\left(\frac{pos}{"
            + self.fmt_base().replace(",", "")
            + r"^{2i/d}}\right)",
            font_size=34,
        )
        head = self.caption("pe_head", d=numbers.integer(self.d), base=self.fmt_base())
        hm = Heatmap(
            self.pe, key="pe", vmax=1.0, show_numbers=False, max_width=SAFE.width - 1.2, max_height=PE_HEIGHT
        )
        for i in range(self.pe.shape[0]):
            for j in range(self.pe.shape[1]):
                tag_located(hm.cell_at(i, j), "pe_color", fill_hex, (i, j))
        pos_lab = self.text("position", size=theme.SMALL, color=theme.MUTED)
        dim_lab = self.text("dimension", size=theme.SMALL, color=theme.MUTED)
        top = column([head, formula], buff=theme.BUFF, align="center")
        top.next_to(self.header, DOWN, buff=theme.BUFF).set_x(0)
        fit_width(top)
        hm.next_to(top, DOWN, buff=theme.BUFF_LARGE).set_x(0)
        dim_lab.next_to(hm, DOWN, buff=theme.BUFF_TIGHT).align_to(hm, RIGHT)
        pos_lab.next_to(hm, np.array([-1.0, 0.0, 0.0]), buff=theme.BUFF_SMALL).align_to(hm, UP)
        group = VGroup(top, hm, pos_lab, dim_lab)
        with self.beat("pe", base=self.fmt_base()):
            self.play(fade_in(head), Write(formula))
            self.play(fade_in(hm), fade_in(pos_lab), fade_in(dim_lab))
            self.wait(1.0)
        self.next_slide()
        self.play(fade_out(group))

    def show_wavelengths(self) -> None:
        n = len(self.lam)
        pairs = np.arange(n)
        lo, hi = log_bounds(self.lam, 10)
        plot = Plot(
            (0, n, 8), (lo, hi), width=8.0, height=3.0, y_scale="log", y_base=10,
            x_format=lambda v: numbers.integer(v), y_format=lambda v: numbers.integer(v),
            x_label=self.t("pair_axis"), y_label=self.t("wave_axis"),
        )  # fmt: skip
        formula = Equation(
            r"\lambda_i = 2\pi \cdot " + self.fmt_base().replace(",", "") + r"^{2i/d}", font_size=34
        )
        head = self.caption("wave_head")
        note = self.caption("wave_note", color=theme.MUTED, size=theme.SMALL)
        top = (
            column([head, formula], buff=theme.BUFF, align="center")
            .next_to(self.header, DOWN, buff=theme.BUFF)
            .set_x(0)
        )
        plot.next_to(top, DOWN, buff=theme.BUFF_LARGE).set_x(0)
        note.next_to(plot, DOWN, buff=theme.BUFF).set_x(0)
        # the marks after the axes are placed: they are drawn at the axes' coordinates as they stand
        series = plot.series(pairs, self.lam, theme.INPUT, key="wavelength", dot_radius=0.05)
        first = plot.readout(
            0, self.lam[0], lambda v: numbers.fixed(v, 2), key="lambda_first", direction=DOWN + RIGHT
        )
        last = plot.readout(
            n - 1, self.lam[-1], numbers.integer, key="lambda_last", direction=UP + np.array([-1.0, 0, 0])
        )
        group = VGroup(top, plot, series, first, last, note)
        first_s, last_s = numbers.fixed(self.lam[0], 2), numbers.integer(self.lam[-1])
        with self.beat("wavelength", first=first_s, last=last_s):
            self.play(fade_in(head), Write(formula), fade_in(plot))
            self.play(series.grow())
            self.play(fade_in(first), fade_in(last), fade_in(note))
            self.wait(1.0)
        self.next_slide()
        self.play(fade_out(group))

    def show_sum(self) -> None:
        p, k = self.params, self.params.dims_shown
        tok, pe, x = (a[:, :k] for a in (self.emb.token_embedding, self.emb.positional, self.emb.x))
        every = np.concatenate([tok, pe, x])  # one number format for all three
        rows = [f"{t}: {numbers.integer(v)}" for t, v in enumerate(p.tokens)]

        def heat(values, key, labels=None, cell=None):
            return Heatmap(
                values, key=key, pad=PAD_TIGHT, fit_values=every, row_labels=labels, cell=cell,
                max_width=SUM_WIDTH + (0.9 if labels else 0.0), max_height=3.2,
            )  # fmt: skip

        h_tok = heat(tok, "emb", rows)  # one cell size for the three maps: one number format
        h_pe, h_x = heat(pe, "pe_rows", cell=h_tok.cell), heat(x, "x", cell=h_tok.cell)
        titles = [
            self.text("emb", size=theme.SMALL, color=theme.INPUT),
            self.text("pe", size=theme.SMALL, color=theme.FG),
            self.text("x", size=theme.SMALL, color=theme.RESIDUAL),
        ]
        plus, eq = self.plain("+", theme.HEADING, theme.MUTED), self.plain("=", theme.HEADING, theme.MUTED)
        maps = row([h_tok, plus, h_pe, eq, h_x], buff=theme.BUFF)
        fit_width(maps)
        for t, h in zip(titles, (h_tok.cells, h_pe.cells, h_x.cells), strict=True):
            fit_width(t, h.width + 0.3).next_to(h, UP, buff=theme.BUFF_SMALL)
        group = VGroup(maps, *titles)
        group.next_to(self.header, DOWN, buff=theme.BUFF_SECTION).set_x(0)
        a, t0 = self.repeat  # the repeat's second position: past 0, where PE is more than 0s and 1s
        with self.beat(
            "sum",
            p=numbers.integer(t0),
            tok=numbers.integer(p.tokens[t0]),
            e0=h_tok.fmt(tok[t0, 0]),
            pe0=h_pe.fmt(pe[t0, 0]),
            x0=h_x.fmt(x[t0, 0]),
        ):
            self.play(fade_in(h_tok), fade_in(titles[0]))
            self.play(fade_in(plus), fade_in(h_pe), fade_in(titles[1]))
            self.play(fade_in(eq), fade_in(h_x), fade_in(titles[2]))
            marks = VGroup(h_tok.highlight_cell(t0, 0), h_pe.highlight_cell(t0, 0), h_x.highlight_cell(t0, 0))
            self.play(*[Create(m) for m in marks])
            self.wait(1.0)
        differ = (
            self.caption("differ", color=theme.ACCENT).next_to(group, DOWN, buff=theme.BUFF_LARGE).set_x(0)
        )
        with self.beat("differ"):
            self.play(fade_out(marks))
            rows_hl = [h.highlight_row(r) for h in (h_tok, h_x) for r in (a, t0)]
            self.play(*[Create(r) for r in rows_hl])
            self.play(fade_in(differ))
            self.wait(1.5)
