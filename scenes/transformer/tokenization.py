"""Tokenisation: byte-level BPE (Sennrich et al. 2016, Alg. 1, on bytes as in GPT-2) trained on a small
bundled corpus; an English sentence's UTF-8 bytes merged step by step into token ids; a Chinese sentence,
three bytes a character, beside it."""

from __future__ import annotations

from manim import DOWN, UP, Brace, Create, FadeOut, LaggedStart, VGroup

from lib.transformer.bpe import N_BYTES, EncodeStep
from lib.transformer.corpus import Tokenized, bundled_tokenizer, load_corpus, tokenize
from scenes.engine.base import LectureScene
from scenes.engine.registry import register
from scenes.kit import numbers, theme
from scenes.kit.anim import fade_in, fade_out
from scenes.kit.frame import SAFE, below, column, fit_width, row
from scenes.kit.record import number, tag
from scenes.kit.table import NumberTable
from scenes.kit.tokens import TokenStrip
from scenes.transformer.params.tokenization import Params as TokenizationParams

SPACE = "␣"  # a space inside a token, made visible
SHOWN_MERGES = 6  # rows of the learned-merges table
STEP_TIME = 0.45  # seconds per merge applied to the sentence


def piece(b: bytes) -> str:
    """How a token's bytes are written on its chip: the text when they are whole UTF-8 characters (spaces
    made visible), else the bytes in hex (``E6 9C``: part of a character, not a character on its own)."""
    try:
        s = b.decode("utf-8")
    except UnicodeDecodeError:
        return " ".join(f"{x:02X}" for x in b)
    return s.replace(" ", SPACE)


@register("transformer.tokenization")
class Tokenization(LectureScene):
    """Byte-level BPE: learned merges, one sentence merged step by step, an English and a Chinese sentence."""

    Params = TokenizationParams
    EXAMPLES = ({"sentence": "tokens of the sentence", "sentence_zh": "词元的向量", "merges": 160},)

    STRINGS = {
        "en": {
            "title": "Tokenisation: byte-pair encoding",
            "subtitle": "text → UTF-8 bytes → merges → token ids",
            "corpus": "Training text: {n} bytes of English and Chinese about transformers",
            "learned": "The first merges learned (most frequent neighbouring pair → a new token)",
            "new_id": "new id",
            "left": "left",
            "right": "right",
            "merged": "merged",
            "count": "count",
            "vocab": "vocabulary: {base} byte tokens + {merges} merges = {vocab} tokens",
            "sentence": "English sentence:",
            "sentence_zh": "Chinese sentence:",
            "bytes": "{chars} characters → {bytes} UTF-8 bytes: one token per byte, ids 0 to 255",
            "step": "merge {k} of {n}:",
            "result": "{bytes} bytes → {tokens} tokens: {bpt} bytes per token",
            "char_bytes": "{n} bytes",
            "zh_bytes": "{chars} characters → {bytes} UTF-8 bytes (hex: pieces of characters)",
            "compare": "The same tokenizer on both sentences",
            "language": "sentence",
            "en": "English",
            "zh": "Chinese",
            "chars": "characters",
            "n_bytes": "bytes",
            "tokens": "tokens",
            "bpt": "bytes per token",
            "why": "It compresses best what its training text holds most of: frequent words become one "
            "token.",
        },
        "zh": {
            "title": "分词：字节对编码（BPE）",
            "subtitle": "文本 → UTF-8 字节 → 合并 → 词元编号",
            "corpus": "训练文本：{n} 字节，关于 Transformer 的英文和中文段落",
            "learned": "最先学到的合并（出现最多的相邻对 → 一个新词元）",
            "new_id": "新编号",
            "left": "左",
            "right": "右",
            "merged": "合并后",
            "count": "次数",
            "vocab": "词表：{base} 个字节词元 + {merges} 次合并 = {vocab} 个词元",
            "sentence": "英文句子：",
            "sentence_zh": "中文句子：",
            "bytes": "{chars} 个字符 → {bytes} 个 UTF-8 字节：每个字节一个词元，编号 0 到 255",
            "step": "第 {k} 次合并（共 {n} 次）：",
            "result": "{bytes} 个字节 → {tokens} 个词元：每个词元 {bpt} 个字节",
            "char_bytes": "{n} 字节",
            "zh_bytes": "{chars} 个汉字 → {bytes} 个 UTF-8 字节（十六进制：汉字的一部分）",
            "compare": "同一个分词器处理两个句子",
            "language": "句子",
            "en": "英文",
            "zh": "中文",
            "chars": "字符",
            "n_bytes": "字节",
            "tokens": "词元",
            "bpt": "每词元字节数",
            "why": "训练文本里最多的内容压缩得最好：常见的词变成一个词元。",
        },
    }

    NARRATION = {
        "en": {
            "corpus": "Before a transformer can read text, a tokenizer must cut it into pieces from a fixed "
            "vocabulary. We train byte pair encoding on a small text of {corpus_bytes} bytes, in English and "
            "in Chinese.",
            "learned": "Training starts from the {base} possible byte values. It counts every pair of "
            "neighbours, and merges the most frequent pair into a new token: the first one, token "
            "{first_id}, occurred {first_count} times. After {merges} merges the vocabulary holds {vocab} "
            "tokens.",
            "bytes": "Here is our sentence, {chars} characters long. Written in {utf8}, each of these "
            "characters is one byte, so the tokenizer starts from {bytes} tokens, one per byte.",
            "merge": "Now the learned merges are applied, the earliest learned first. Each merge joins a "
            "neighbouring pair into one token with a new id, and the strip gets shorter.",
            "result": "After {steps} merges, {bytes} bytes have become {tokens} tokens, {bpt} bytes per "
            "token. Words that are frequent in the training text became single tokens.",
            "zh_bytes": "Now a Chinese sentence of {chars} characters. In {utf8}, a Chinese character takes "
            "{char_bytes} bytes, so we start from {bytes} byte tokens, and a single byte is not even a "
            "character.",
            "zh_tokens": "The merges learned from the Chinese paragraph put the bytes back together: {bytes} "
            "bytes become {tokens} tokens. Characters the corpus has seen often merge into whole tokens, "
            "even whole words; rarer ones stay split into pieces of a character.",
            "compare": "Side by side: {en_chars} English characters need {en_tokens} tokens, and {zh_chars} "
            "Chinese characters need {zh_tokens}. A tokenizer compresses best the text it was trained on, "
            "and every token costs the model compute and context, so this choice matters for every language.",
        },
        "zh": {
            "corpus": "Transformer 读文本之前，分词器要先把文本切成固定词表里的小片段。"
            "我们在一段 {corpus_bytes} 字节的中英文小语料上训练字节对编码。",
            "learned": "训练从 {base} 个字节值出发，统计每一对相邻的词元，把出现最多的一对合并成一个新词元："
            "第一个新词元编号 {first_id}，它出现了 {first_count} 次。合并 {merges} 次之后，词表里有 {vocab} "
            "个词元。",
            "bytes": "这是我们的句子，共 {chars} 个字符。用 {utf8} 编码，每个字符正好一个字节，"
            "所以分词器从 {bytes} 个词元开始，一个字节一个词元。",
            "merge": "现在按学习的先后顺序应用这些合并。每次合并把相邻的一对变成一个带新编号的词元，"
            "词元序列随之变短。",
            "result": "合并 {steps} 次之后，{bytes} 个字节变成了 {tokens} 个词元，平均每个词元 {bpt} 个字节。"
            "训练文本里常见的词都成了单个词元。",
            "zh_bytes": "再看一个中文句子，共 {chars} 个汉字。在 {utf8} 里，一个汉字占 {char_bytes} 个字节，"
            "所以我们从 {bytes} 个字节词元开始，而单独一个字节连一个字都算不上。",
            "zh_tokens": "从中文段落学到的合并把这些字节重新拼起来：{bytes} 个字节变成 {tokens} 个词元。"
            "语料里常见的字会合并成完整的词元，甚至整个词；少见的字则仍然拆成字的碎片。",
            "compare": "放在一起比较：{en_chars} 个英文字符需要 {en_tokens} 个词元，{zh_chars} 个汉字需要 "
            "{zh_tokens} 个。分词器最擅长压缩它训练时见过的文本，而每个词元都要消耗模型的算力和上下文，"
            "所以分词器对每种语言都很重要。",
        },
    }

    def construct(self) -> None:
        self.compute()
        self.show_training()
        self.show_bytes()
        self.show_merges()
        self.show_chinese()
        self.show_comparison()

    def compute(self) -> None:
        p = self.params
        self.bpe = bundled_tokenizer(p.merges)
        self.vocab = self.bpe.vocab
        self.corpus_bytes = len(load_corpus().encode("utf-8"))
        self.en: Tokenized = tokenize(p.sentence, p.merges)
        self.zh: Tokenized = tokenize(p.sentence_zh, p.merges)

    # --- pieces ------------------------------------------------------------------------------------
    def strip(self, ids: tuple[int, ...], key: str) -> VGroup:
        """Token chips (their bytes as text, tagged ``{key}_piece``), each id under it (``{key}_id``)."""
        chips = TokenStrip([piece(self.vocab[i]) for i in ids], key=f"{key}_piece", buff=theme.BUFF_TIGHT)
        ids_row = VGroup(
            *[
                number(i, key=f"{key}_id", index=k, fmt=numbers.integer, color=theme.INPUT).next_to(
                    chips.chip(k), DOWN, buff=theme.BUFF_TIGHT
                )
                for k, i in enumerate(ids)
            ]
        )
        group = VGroup(chips, ids_row)
        group.chips = chips
        return group

    def caption(self, key: str, color=theme.FG, **fmt) -> VGroup:
        return fit_width(self.text(key, size=theme.LABEL, color=color, **fmt))

    def sentence_line(self, key: str, sentence: str) -> VGroup:
        return row(
            [
                self.text(key, size=theme.LABEL, color=theme.MUTED),
                self.plain(sentence, theme.BODY, theme.INPUT),
            ],
            buff=theme.BUFF,
        )

    # --- beats ---------------------------------------------------------------------------------------
    def show_training(self) -> None:
        self.header = self.title_bar("title", "subtitle")
        corpus = tag(
            self.caption("corpus", n=numbers.integer(self.corpus_bytes)), "corpus_bytes", self.corpus_bytes
        )
        merges = self.bpe.merges[:SHOWN_MERGES]
        table = NumberTable(
            [
                [m.new_id for m in merges],
                [piece(self.vocab[m.pair[0]]) for m in merges],
                [piece(self.vocab[m.pair[1]]) for m in merges],
                [piece(self.vocab[m.new_id]) for m in merges],
                [m.count for m in merges],
            ],
            header=[self.t(k) for k in ("new_id", "left", "right", "merged", "count")],
            formats=numbers.integer,
            colors=[theme.INPUT, theme.FG, theme.FG, theme.ACCENT, theme.MUTED],
            keys=["merge_id", "merge_left", "merge_right", "merge_piece", "merge_count"],
        )
        learned = self.caption("learned", color=theme.MUTED)
        vocab_size = len(self.vocab)
        vocab = tag(
            self.caption(
                "vocab",
                color=theme.INPUT,
                base=numbers.integer(N_BYTES),
                merges=numbers.integer(len(self.bpe.merges)),
                vocab=numbers.integer(vocab_size),
            ),
            "vocab",
            vocab_size,
        )
        body = column([corpus, learned, table, vocab], buff=theme.BUFF)
        below(body, self.header, buff=theme.BUFF_SECTION)
        first = self.bpe.merges[0]
        with self.beat("corpus", corpus_bytes=numbers.integer(self.corpus_bytes)):
            self.play(fade_in(self.header))
            self.play(fade_in(corpus))
            self.wait(0.5)
        with self.beat(
            "learned",
            base=numbers.integer(N_BYTES),
            first_id=numbers.integer(first.new_id),
            first_count=numbers.integer(first.count),
            merges=numbers.integer(len(self.bpe.merges)),
            vocab=numbers.integer(vocab_size),
        ):
            self.play(fade_in(learned), fade_in(table))
            self.play(fade_in(vocab))
            self.wait(1.0)
        self.next_slide()
        self.play(fade_out(body))

    def show_bytes(self) -> None:
        en = self.en
        line = below(self.sentence_line("sentence", en.text), self.header, buff=theme.BUFF_SECTION)
        info = tag(
            self.caption("bytes", chars=numbers.integer(en.n_chars), bytes=numbers.integer(en.n_bytes)),
            "en_bytes_info",
            en.n_bytes,
        )
        below(info, line, buff=theme.BUFF)
        strip = self.strip(en.trace.byte_ids, "en").move_to(SAFE.point(0.0, 0.05))
        with self.beat(
            "bytes", chars=numbers.integer(en.n_chars), bytes=numbers.integer(en.n_bytes), utf8="UTF-8"
        ):
            self.play(fade_in(line))
            self.play(fade_in(info))
            self.play(LaggedStart(*[fade_in(c) for c in strip], lag_ratio=0.3), run_time=1.5)
            self.wait(0.5)
        self.next_slide()
        self.en_line, self.en_info, self.en_strip = line, info, strip

    def step_line(self, k: int, n: int, step: EncodeStep) -> VGroup:
        """``merge k of n:  left + right → merged  id``, the pair and the new token as chips."""
        left, right = step.pair
        parts = [
            self.text(
                "step", size=theme.LABEL, color=theme.MUTED, k=numbers.integer(k), n=numbers.integer(n)
            ),
            TokenStrip([piece(self.vocab[left])], key="step_left"),
            self.plain("+", theme.LABEL, theme.MUTED),
            TokenStrip([piece(self.vocab[right])], key="step_right"),
            self.plain("→", theme.LABEL, theme.MUTED),
            TokenStrip([piece(self.vocab[step.new_id])], key="step_piece", color=theme.ACCENT),
            number(step.new_id, key="step_id", fmt=numbers.integer, size=theme.LABEL, color=theme.ACCENT),
        ]
        tag(parts[0], "step_k", k)
        return row(parts, buff=theme.BUFF_SMALL)

    def show_merges(self) -> None:
        steps = self.en.trace.steps
        strip = self.en_strip
        anchor = strip.get_bottom()
        line = None
        with self.beat("merge"):
            for k, step in enumerate(steps, start=1):
                new_line = self.step_line(k, len(steps), step)
                new_line.next_to(anchor, DOWN, buff=theme.BUFF_LARGE).set_x(0)
                new_strip = self.strip(step.ids_after, "en").move_to(strip)
                new_strip.align_to(strip, UP)
                # cross-fades, not Transforms: a Transform deep-copies both strips, at every one of the merges
                self.play(
                    fade_in(new_line), *([fade_out(line)] if line is not None else []), run_time=STEP_TIME
                )
                self.play(fade_out(strip), fade_in(new_strip), run_time=STEP_TIME)
                line, strip = new_line, new_strip
            self.wait(0.5)
        en = self.en
        result = tag(
            self.caption(
                "result",
                color=theme.ACCENT,
                bytes=numbers.integer(en.n_bytes),
                tokens=numbers.integer(en.n_tokens),
                bpt=numbers.fixed(en.bytes_per_token, 1),
            ),
            "en_result",
            en.bytes_per_token,
        )
        below(result, line if line is not None else strip, buff=theme.BUFF_LARGE, align="center")
        frames = VGroup(*[strip.chips._frame(k, theme.ACCENT) for k in range(len(en.trace.ids))])
        with self.beat(
            "result",
            steps=numbers.integer(len(steps)),
            bytes=numbers.integer(en.n_bytes),
            tokens=numbers.integer(en.n_tokens),
            bpt=numbers.fixed(en.bytes_per_token, 1),
        ):
            self.play(LaggedStart(*[Create(f) for f in frames], lag_ratio=0.15), fade_in(result))
            self.wait(1.0)
        self.next_slide()
        self.play(
            FadeOut(VGroup(self.en_line, self.en_info, strip, frames, result, *([line] if line else [])))
        )

    def show_chinese(self) -> None:
        zh = self.zh
        line = below(self.sentence_line("sentence_zh", zh.text), self.header, buff=theme.BUFF_SECTION)
        info = tag(
            self.caption("zh_bytes", chars=numbers.integer(zh.n_chars), bytes=numbers.integer(zh.n_bytes)),
            "zh_bytes_info",
            zh.n_bytes,
        )
        below(info, line, buff=theme.BUFF)
        strip = self.strip(zh.trace.byte_ids, "zh").move_to(SAFE.point(0.0, -0.3))
        # each character over its bytes, with how many bytes it takes
        chars, start = VGroup(), 0
        for c, (ch, nb) in enumerate(zip(zh.text, zh.char_bytes, strict=True)):
            span = VGroup(*[strip.chips.chip(b) for b in range(start, start + nb)])
            brace = Brace(span, UP, buff=theme.BUFF_TIGHT, color=theme.MUTED)
            count = tag(
                self.text("char_bytes", size=theme.SMALL, color=theme.MUTED, n=numbers.integer(nb)),
                "char_bytes",
                nb,
                (c,),
            )
            glyph = tag(self.plain(ch, theme.BODY, theme.INPUT), "zh_char", ch, (c,))
            chars.add(
                VGroup(
                    brace,
                    column([glyph, count], buff=theme.BUFF_TIGHT, align="center").next_to(
                        brace, UP, buff=theme.BUFF_TIGHT
                    ),
                )
            )
            start += nb
        with self.beat(
            "zh_bytes",
            chars=numbers.integer(zh.n_chars),
            char_bytes=numbers.integer(zh.char_bytes[0]),
            bytes=numbers.integer(zh.n_bytes),
            utf8="UTF-8",
        ):
            self.play(fade_in(line), fade_in(info))
            self.play(LaggedStart(*[fade_in(c) for c in chars], lag_ratio=0.2))
            self.play(LaggedStart(*[fade_in(c) for c in strip], lag_ratio=0.3), run_time=1.2)
            self.wait(0.5)
        self.next_slide()
        tokens = self.strip(zh.trace.ids, "zh").move_to(strip).align_to(strip, UP)
        result = tag(
            self.caption(
                "result",
                color=theme.ACCENT,
                bytes=numbers.integer(zh.n_bytes),
                tokens=numbers.integer(zh.n_tokens),
                bpt=numbers.fixed(zh.bytes_per_token, 1),
            ),
            "zh_result",
            zh.bytes_per_token,
        )
        below(result, strip, buff=theme.BUFF_LARGE, align="center")
        with self.beat("zh_tokens", bytes=numbers.integer(zh.n_bytes), tokens=numbers.integer(zh.n_tokens)):
            self.play(fade_out(chars))
            self.play(fade_out(strip), fade_in(tokens), run_time=1.5)
            self.play(fade_in(result))
            self.wait(1.0)
        self.next_slide()
        self.play(FadeOut(VGroup(line, info, tokens, result)))

    def show_comparison(self) -> None:
        en, zh = self.en, self.zh
        head = self.caption("compare", color=theme.FG)
        table = NumberTable(
            [
                [self.t("en"), self.t("zh")],
                [en.n_chars, zh.n_chars],
                [en.n_bytes, zh.n_bytes],
                [en.n_tokens, zh.n_tokens],
                [en.bytes_per_token, zh.bytes_per_token],
            ],
            header=[self.t(k) for k in ("language", "chars", "n_bytes", "tokens", "bpt")],
            formats=[None, numbers.integer, numbers.integer, numbers.integer, lambda v: numbers.fixed(v, 1)],
            colors=[theme.MUTED, theme.FG, theme.FG, theme.INPUT, theme.ACCENT],
            keys=[None, "cmp_chars", "cmp_bytes", "cmp_tokens", "cmp_bpt"],
            size=theme.BODY,
        )
        why = self.caption("why", color=theme.MUTED)
        strips = column(
            [
                row(
                    [self.text(k, size=theme.LABEL, color=theme.MUTED), self.strip(tok.trace.ids, f"cmp_{k}")]
                )
                for k, tok in (("en", en), ("zh", zh))
            ],
            buff=theme.BUFF,
        )
        body = column([head, strips, table, why], buff=theme.BUFF_LARGE, align="center")
        body.next_to(self.header, DOWN, buff=theme.BUFF_SECTION).set_x(0)
        fit_width(body)
        with self.beat(
            "compare",
            en_chars=numbers.integer(en.n_chars),
            en_tokens=numbers.integer(en.n_tokens),
            zh_chars=numbers.integer(zh.n_chars),
            zh_tokens=numbers.integer(zh.n_tokens),
        ):
            self.play(fade_in(head), fade_in(strips))
            self.play(fade_in(table))
            self.play(fade_in(why))
            self.wait(2.0)
