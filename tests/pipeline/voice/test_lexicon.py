"""The pronunciation lexicon (pipeline/voice/lexicon.py, lexicons/*.yaml): one test per rule family in both
locales, with the spoken forms written out by hand; bad lexicon files; and the coverage of every narration
text: after ``spoken()`` it holds only what the voice can say, and no acronym the lexicon does not know.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

import pytest

from pipeline.voice import lexicon as lex
from pipeline.voice.lexicon import LexiconError, digest, entries_used, load_lexicon, spoken

ROOT = Path(__file__).resolve().parents[3]
TOPICS = ("mamba", "transformer", "training", "layers")  # the four lectures of storyboards/


def en(text: str) -> str:
    return spoken(text, "en")


def zh(text: str) -> str:
    return spoken(text, "zh")


# --- symbols ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("written", "said"),
    [
        ("a step size Δ.", "a step size delta."),
        ("the target β gets", "the target beta gets"),
        ("pair i turns by θᵢ and θₜ", "pair i turns by theta i and theta t"),
        ("λ = 10", "lambda equals ten"),
        ("η times λ, κ and ε", "eta times lambda, kappa and epsilon"),
        ("QKᵀ / √d_k", "Q K transpose over square root of d k"),
        ("Wᵀ", "W transpose"),
        ("Ā and B̄", "A- bar and B bar"),  # precomposed Ā = A + U+0304; B̄ exists only as B + U+0304
        ("A\u0304 and \u00c2 and v\u0302", "A- bar and A- hat and v hat"),  # combining and precomposed
        ("x ≈ y → z", "x about y, z"),
        ("x² and h₁₂", "x squared and h twelve"),
        ("Δ_t", "delta t"),
        ("an encoder–decoder", "an encoder-decoder"),
        ('The token "·" gets', "The token dot gets"),
        ("naïve", "naive"),  # an accent no entry names is dropped, not passed on
    ],
)
def test_symbols_en(written: str, said: str) -> None:
    assert en(written) == said


@pytest.mark.parametrize(
    ("written", "said"),
    [
        ("步长是 Δ。", "步长是delta。"),
        ("增益 γ 和偏置 β", "增益gamma和偏置beta"),
        ("转过角度 θᵢ：", "转过角度theta i："),
        ("“权重衰减 λ = 10”", "“权重衰减lambda等于十”"),
        ("一减 η 乘 λ", "一减eta乘lambda"),
        ("Q 乘以 K 的转置，QKᵀ", "Q乘以K的转置，Q K转置"),
        ("按 Â 的这一行，v̂ 的平方根", "按A hat的这一行，v hat的平方根"),
        ("A bar 乘以 x，Ā", "A bar乘以x，A bar"),
        ("E·d × N", "E乘d乘N"),
        ("t − 1", "t减一"),
        ("编码器–解码器", "编码器解码器"),
        ("结果 (0.90, −0.85) 就是", "结果零点九零，负零点八五就是"),
        ("“·”这个 token", "“圆点”这个token"),
    ],
)
def test_symbols_zh(written: str, said: str) -> None:
    assert zh(written) == said


# --- numbers ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("written", "said"),
    [
        ("0", "zero"),
        ("7", "seven"),
        ("15", "fifteen"),
        ("42", "forty-two"),
        ("100", "one hundred"),
        ("115", "one hundred fifteen"),
        ("1,792", "one thousand seven hundred ninety-two"),
        ("10,000", "ten thousand"),
        ("1,000,001", "one million one"),
        (
            "124,439,808",
            "one hundred twenty-four million four hundred thirty-nine thousand eight hundred eight",
        ),
        (
            "8,030,261,248",
            "eight billion thirty million two hundred sixty-one thousand two hundred forty-eight",
        ),
        ("2.07", "two point zero seven"),
        ("0.100", "zero point one zero zero"),
        ("−0.30", "minus zero point three zero"),
        ("-5", "minus five"),
        ("(0.90, −0.85),", "zero point nine zero, minus zero point eight five,"),
        ("t − 1", "t minus one"),
        ("t−1", "t minus one"),
        ("3.5e-4", "three point five times ten to the minus four"),
        ("9.5 × 10⁻⁸", "nine point five times ten to the minus eight"),
        ("×10⁻⁶", "times ten to the minus six"),
        ("1.28 × 10⁷", "one point two eight times ten to the seven"),
        ("2⁸", "two to the eight"),
        ("12.1%", "twelve point one percent"),
        ("41× the work", "forty-one times the work"),
        ("9.1× as long", "nine point one times as long"),
        ("shape 1 × 64 × 112 × 112.", "shape one by sixty-four by one hundred twelve by one hundred twelve."),
        ("layers 1–4", "layers one to four"),
        ("6/7", "six over seven"),
        ("a 100-layer network", "a one hundred layer network"),
        ("the 3 likeliest, at 0.85.", "the three likeliest, at zero point eight five."),
        ("T = 1,232", "T equals one thousand two hundred thirty-two"),
    ],
)
def test_numbers_en(written: str, said: str) -> None:
    assert en(written) == said


@pytest.mark.parametrize(
    ("written", "said"),
    [
        ("0", "零"),
        ("7", "七"),
        ("12", "十二"),
        ("110", "一百一十"),
        ("1,792", "一千七百九十二"),
        ("1,024", "一千零二十四"),
        ("10,000", "一万"),
        ("100,010", "十万零一十"),
        ("1,050,624", "一百零五万零六百二十四"),
        ("100,000,001", "一亿零一"),
        ("8,030,261,248", "八十亿三千零二十六万一千二百四十八"),
        ("2,048", "两千零四十八"),
        ("1169万 个参数", "一千一百六十九万个参数"),
        ("13.2万", "十三点二万"),
        ("2.07", "二点零七"),
        ("−0.38", "负零点三八"),
        ("得分仍是 −4.092。", "得分仍是负四点零九二。"),
        ("3.5e-4", "三点五乘十的负四次方"),
        ("9.5 × 10⁻⁸ 左右", "九点五乘十的负八次方左右"),
        ("x²", "x的平方"),
        ("12.1%", "百分之十二点一"),
        ("少了 49×。", "少了四十九倍。"),
        ("形状是 1 × 64 × 112 × 112。", "形状是一乘六十四乘一百一十二乘一百一十二。"),
        ("对齐 6/7", "对齐七分之六"),
        ("第 1–4 层", "第一到四层"),
        ("有 2 个通道", "有两个通道"),
        ("第 2 层的头 2，", "第二层的头二，"),
        ("2 乘 2 的窗口", "二乘二的窗口"),
        ("4 分之一", "四分之一"),
        ("整除 8d", "整除八d"),
        ("0.97, 0.92", "零点九七，零点九二"),
    ],
)
def test_numbers_zh(written: str, said: str) -> None:
    assert zh(written) == said


# --- acronyms and terms -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("written", "said"),
    [
        ("GELU, SwiGLU and SiLU", "gee loo, swish glue and see loo"),
        ("ReLU and RoPE and ALiBi", "ray loo and rope and alibi"),
        ("LayerNorm, RMSNorm, BatchNorm, GroupNorm", "layer norm, R M S norm, batch norm, group norm"),
        ("biases and LayerNorms everywhere", "biases and layer norms everywhere"),  # a plural
        ("the LSTM's output", "the L S T M's output"),
        ("two GPUs", "two G P U's"),
        ("a softmax; Softmax", "a soft max; Soft max"),
        ("AdamW and SGD", "Adam W and S G D"),
        ("fp16 keeps fp32's bits; bf16", "F P sixteen keeps F P thirty-two's bits; B F sixteen"),
        ("GPT-2 and UTF-8", "G P T two and U T F eight"),
        ("d to d_ff", "d to d f f"),
        ("Conv2d(3, 64, 3)", "conv two D three, sixty-four, three"),
        ("NumPy and PyTorch", "num pie and pie torch"),
        ("ViT-Tiny and ResNet", "V I T tiny and res net"),
        ("GCN, GAT and GraphSAGE", "G C N, G A- T and graph sage"),
        ("KV cache, BPE, FFN", "K V cache, B P E, F F N"),
        (
            "498.4 MFLOPs and 3.6 GFLOPs",
            "four hundred ninety-eight point four megaflops and three point six gigaflops",
        ),
        ("token x3", "token x three"),
        ("Adam with L2", "Adam with L two"),
        ("KVs", "K V's"),
        ("LLaMA, FlashAttention, GradScaler", "llama, flash attention, grad scaler"),
        # a word that only contains a term is not the term
        ("GBs and ReLUx", "gigabytes and ReLUx"),
    ],
)
def test_terms_en(written: str, said: str) -> None:
    assert en(written) == said


@pytest.mark.parametrize(
    ("written", "said"),
    [
        ("GELU 让小的负值通过", "gee loo让小的负值通过"),
        ("SwiGLU 用门控，SiLU 是", "swish glue用门控，see loo是"),
        ("LayerNorm 换了个方向", "layer norm换了个方向"),
        ("LLaMA 使用的 RMSNorm", "llama使用的R M S norm"),
        ("softmax 取指数", "softmax取指数"),  # kept as the English word, as a Chinese lecturer says it
        ("fp16 有五位指数；bf16 保留 fp32 的", "F P十六有五位指数；B F十六保留F P三十二的"),
        ("对照 GPT-2：", "对照G P T二："),
        ("用 UTF-8 编码", "用U T F八编码"),
        ("Conv2d(3, 64, 3) 有", "conv二d三，六十四，三有"),
        ("AdamW 停在", "Adam W停在"),
        ("普通 SGD 还差", "普通S G D还差"),
        ("KV 缓存", "K V缓存"),
        ("e 的 tA 次方", "e的t A次方"),
        ("从 d 到 d_ff", "从d到d f f"),
    ],
)
def test_terms_zh(written: str, said: str) -> None:
    assert zh(written) == said


# --- units after a number ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("written", "said"),
    [
        ("a length of 128K", "a length of one hundred twenty-eight thousand"),
        ("from 128 to 2K.", "from one hundred twenty-eight to two thousand."),
        ("11.7 M parameters", "eleven point seven million parameters"),
        ("2.65 B", "two point six five billion"),
        ("526 K; the GRU", "five hundred twenty-six thousand; the G R U"),
        ("3.06 MiB", "three point zero six mebibytes"),
        ("320.0 KB to this cache", "three hundred twenty point zero kilobytes to this cache"),
        ("15.0 GiB.", "fifteen point zero gibibytes."),
        ("12.3 ms and 1.23 s", "twelve point three milliseconds and one point two three seconds"),
        ("8 KV heads", "eight K V heads"),  # KV is a term, not 8 K (thousand) and a V
        ("the kernel size K with", "the kernel size K with"),  # a letter, not a unit, without a number
        ("T = 517", "T equals five hundred seventeen"),
    ],
)
def test_units_en(written: str, said: str) -> None:
    assert en(written) == said


@pytest.mark.parametrize(
    ("written", "said"),
    [
        ("在长度 128K 时", "在长度一百二十八K时"),
        ("从 128 到 2K。", "从一百二十八到两K。"),
        ("共 3.06 MiB。", "共三点零六M i B。"),
        ("多出 320.0 KB。", "多出三百二十点零K B。"),
        ("占 15.0 GiB", "占十五点零G i B"),
        ("12.3 ms", "十二点三毫秒"),
        ("2.65 B", "二点六五十亿"),
        ("8 个 KV 头", "八个K V头"),
        ("卷积核大小 K 和", "卷积核大小K和"),
    ],
)
def test_units_zh(written: str, said: str) -> None:
    assert zh(written) == said


# --- the letter A, not the article ------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("written", "said"),
    [
        ("the matrix A decides", "the matrix A- decides"),
        ("A bar is e to the minus Δ.", "A- bar is e to the minus delta."),
        ("A is −1. A convolution mixes", "A- is minus one. A convolution mixes"),
        ("give A, A, β, β: mostly", "give A-, A-, beta, beta: mostly"),
        ("A GCN adds", "A G C N adds"),
        ("A.", "A-."),
    ],
)
def test_letter_a_en(written: str, said: str) -> None:
    assert en(written) == said


def test_letter_a_is_said_as_the_letter_by_pipers_phonemizer() -> None:
    """What the "A-" spelling is for: Piper's own phonemizer (espeak-ng) says it "eɪ", where it says the
    bare capital "A" as the article "ɐ"."""
    from piper.phonemize_espeak import EspeakPhonemizer

    phonemes = EspeakPhonemizer()

    def said(text: str) -> str:
        return "".join("".join(p) for p in phonemes.phonemize("en-us", text))

    assert said("the matrix A decides").split()[2] == "ɐ"  # the problem the letter rule solves
    assert said(en("the matrix A decides")).split()[2] == "ˈeɪ"


# --- entries used (the cache key) and the digest ----------------------------------------------------------
def test_entries_used_names_what_the_text_says_and_nothing_else() -> None:
    assert entries_used("GELU −0.16", "en") == {
        "<numbers:decimal>": "{i} point {f}",
        "<numbers:negative>": "minus {n}",
        "GELU": "gee loo",
    }
    assert entries_used("Take 3 steps.", "en") == {}
    assert entries_used("the matrix A, 128K", "en") == {"<letter:A>": "A-", "K": "thousand"}
    assert entries_used("有 2 个通道，Δ", "zh") == {"<two_before:个>": "两", "Δ": "delta"}


def test_digest_follows_the_data_not_the_layout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = (lex.LEXICONS / "en.yaml").read_text(encoding="utf-8")
    for name, body in {
        "same": "# another comment\n" + text,
        "changed": text.replace("GELU: gee loo", "GELU: jell oo"),
    }.items():
        (tmp_path / name).mkdir()
        (tmp_path / name / "en.yaml").write_text(body, encoding="utf-8")
    packaged = digest("en")
    assert re.fullmatch(r"[0-9a-f]{64}", packaged) and packaged != digest("zh")
    try:
        lex.lexicon.cache_clear()
        monkeypatch.setattr(lex, "LEXICONS", tmp_path / "same")
        assert digest("en") == packaged
        lex.lexicon.cache_clear()
        monkeypatch.setattr(lex, "LEXICONS", tmp_path / "changed")
        assert digest("en") != packaged
        assert spoken("GELU", "en") == "jell oo"
    finally:
        lex.lexicon.cache_clear()


# --- bad lexicon files: one line, FILE:LINE ---------------------------------------------------------------
GOOD_NUMBERS = """\
numbers:
  negative: "minus {n}"
  decimal: "{i} point {f}"
  percent: "{n} percent"
  times: "{n} times"
  by: "{a} by {b}"
  range: "{a} to {b}"
  fraction: "{a} over {b}"
  power_of_ten: "ten to the {e}"
  e_notation: "{m} times ten to the {e}"
  power: "to the {e}"
"""


@pytest.mark.parametrize(
    ("body", "line", "says"),
    [
        ("terms:\n  GELU: gee loo\n  ReLU: [ray\n", 4, "invalid YAML"),  # an unclosed flow sequence
        ("terms:\n  GELU: gee loo\n   ReLU: ray loo\n", 3, "invalid YAML"),  # bad indentation
        ("terms:\n  GELU: gee loo\n  ReLU:\n", 3, "'ReLU' maps to nothing"),
        ("terms:\n  GELU: gee loo\n  ReLU: ''\n", 3, "'ReLU' maps to an empty text"),
        ("terms:\n  GELU: gee loo\n  ReLU: '   '\n", 3, "'ReLU' maps to an empty text"),
        ("terms:\n  GELU: gee loo\n  ReLU: 3\n", 3, "'ReLU' maps to a int, not to text"),
        ("terms:\n  GELU: gee loo\n  ReLU: yes\n", 3, "'ReLU' maps to a bool, not to text"),
        ("terms:\n  GELU: gee loo\n  ReLU: [ray, loo]\n", 3, "'ReLU' maps to a collection, not to text"),
        ("terms:\n  GELU: gee loo\n  fp16: F P 16\n", 3, "contains the digit '1'"),
        ("terms:\n  GELU: gee loo\n  GELU: jell oo\n", 3, "'GELU' is given twice"),
        ("terms:\n  GELU: gee loo\n  12: twelve\n", 3, "'12' is not text"),
        ("terms:\n  GELU: gee loo\nwords:\n  x: y\n", 3, "unknown section 'words'"),
        ("letters:\n  AB: a b\n", 2, "'AB' is not one capital letter"),
        ("terms:\n  K: kay\nunits_after_number:\n  K: thousand\n", 4, "'K' is also in terms"),
    ],
)
def test_a_bad_lexicon_is_one_line_naming_file_and_line(
    tmp_path: Path, body: str, line: int, says: str
) -> None:
    path = tmp_path / "en.yaml"
    path.write_text(body + GOOD_NUMBERS, encoding="utf-8")
    with pytest.raises(LexiconError) as caught:
        load_lexicon(path)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"{path}:{line}: "), message
    assert says in message


@pytest.mark.parametrize(
    ("numbers", "line", "says"),
    [
        (GOOD_NUMBERS.replace('"minus {n}"', '"minus"'), 2, "negative must use {n}"),
        (GOOD_NUMBERS.replace('"{a} to {b}"', '"{a} to {a}"'), 7, "range must use {a}, {b}"),
        (GOOD_NUMBERS.replace('  power: "to the {e}"\n', ""), 1, "no template 'power'"),
        (GOOD_NUMBERS + "  squared: x\n", 12, "unknown template 'squared'"),
    ],
)
def test_a_bad_number_template_is_one_line(tmp_path: Path, numbers: str, line: int, says: str) -> None:
    path = tmp_path / "zh.yaml"
    path.write_text(numbers, encoding="utf-8")
    with pytest.raises(LexiconError, match=rf"^{re.escape(str(path))}:{line}: .*{re.escape(says)}"):
        load_lexicon(path)


def test_a_lexicon_that_is_not_utf8_or_has_no_numbers(tmp_path: Path) -> None:
    path = tmp_path / "en.yaml"
    path.write_bytes(b"terms:\n  GELU: g\xe9e\n")
    with pytest.raises(LexiconError, match=rf"^{re.escape(str(path))}:2: not UTF-8"):
        load_lexicon(path)
    path.write_text("terms:\n  GELU: gee loo\n", encoding="utf-8")
    with pytest.raises(LexiconError, match=rf"^{re.escape(str(path))}:1: no `numbers` section"):
        load_lexicon(path)


def test_the_packaged_lexicons_load() -> None:
    for locale in lex.LOCALES:
        loaded = load_lexicon(lex.LEXICONS / f"{locale}.yaml")
        assert loaded.locale == locale and len(loaded.terms) > 50 and len(loaded.symbols) > 50


# --- coverage: every narration text, after spoken(), is sayable -------------------------------------------
@functools.cache
def ordinary_words() -> frozenset[str]:
    """Pocketsphinx's pronouncing dictionary (134k English words): what counts as an ordinary word."""
    import pocketsphinx

    path = Path(pocketsphinx.get_model_path()) / "en-us" / "cmudict-en-us.dict"
    return frozenset(
        line.split(" ", 1)[0].split("(")[0] for line in path.read_text(encoding="utf-8").splitlines()
    )


@functools.cache
def lexicon_words(locale: str) -> frozenset[str]:
    """Every word the lexicon's spoken forms contain: a token in the output that came from the lexicon."""
    loaded = lex.lexicon(locale)
    forms = [*loaded.terms.values(), *loaded.symbols.values(), *loaded.units_after_number.values()]
    return frozenset(w for form in forms for w in re.findall(r"[A-Za-z]+", form))


ALLOWED = {
    "en": re.compile(r"[A-Za-z .,;:?!'\-]*"),
    "zh": re.compile(r"[\u3400-\u4dbf\u4e00-\u9fffA-Za-z '\-，。、；：？！“”‘’（）《》—…]*"),
}


def unsayable(text: str, locale: str) -> list[str]:
    """What is wrong with ``spoken(text)`` for a voice: a character it cannot say (digits included: numbers
    reach the voice in words), or an all-caps or mixed-case word (``GELU``, ``ReLU``) that is neither a word
    the lexicon says nor an ordinary English word."""
    said = spoken(text, locale)
    problems = [f"character {c!r} (U+{ord(c):04X})" for c in sorted(set(ALLOWED[locale].sub("", said)))]
    for word in re.findall(r"[A-Za-z]+", said):
        shouty = len(word) > 1 and (word.isupper() or any(c.isupper() for c in word[1:]))
        if shouty and word.lower() not in ordinary_words() and word not in lexicon_words(locale):
            problems.append(f"the word {word!r}")
    return [f"{p} in {said!r} (written {text!r})" for p in problems]


def test_unsayable_finds_what_it_is_for() -> None:
    """The coverage check itself: it must catch a digit, a symbol and an unknown acronym."""
    assert unsayable("GELU −0.16", "en") == []
    assert [p.split(" in ")[0] for p in unsayable("the XYZQ layer ⊕", "en")] == [
        "character '⊕' (U+2295)",
        "the word 'XYZQ'",
    ]
    assert [p.split(" in ")[0] for p in unsayable("WqKv，⊕", "zh")] == [
        "character '⊕' (U+2295)",
        "the word 'WqKv'",
    ]
    # an ordinary word in capitals passes (BERT is "bert"); a digit the number rules leave does not
    assert unsayable("BERT and XLNet", "en") == [
        "the word 'XLNet' in 'BERT and XLNet' (written 'BERT and XLNet')"
    ]
    assert [p.split(" in ")[0] for p in unsayable("at .5 scale", "en")] == ["character '5' (U+0035)"]


def representative_values(locale: str) -> list[str]:
    """Fields as scenes format them (scenes.kit.numbers, no Manim): every kind of number a beat states."""
    from scenes.kit import numbers

    return [
        numbers.integer(124_439_808),
        numbers.fixed(-0.38),
        numbers.fixed(2.07),
        numbers.percent(0.121),
        numbers.ratio(41),
        numbers.ratio(9.1),
        numbers.count(2.65e9, 3, locale="en" if locale == "en" else "zh"),
        numbers.count(132_000, 3, locale="en" if locale == "en" else "zh"),
        numbers.byte_size(3.2e6),
        numbers.byte_size(327_680, 1, system="jedec"),
        numbers.sci(9.5e-8),
        numbers.sci(65_504),
        numbers.length(131_072),
        numbers.length(2048),
        numbers.duration(0.0123),
        numbers.flops(3.6e9),
        numbers.si(1234),
        numbers.shape((1, 64, 112, 112)),
        numbers.fixed(-0.0684984, 7),
        numbers.integer(2),
        "7",
    ]


def narration_templates() -> list[tuple[str, str, str, str]]:
    """(scene file, beat, locale, template) of every scene of the four lectures."""
    from scenes.engine.narration import narration_table

    out = []
    for topic in TOPICS:
        for path in sorted((ROOT / "scenes" / topic).glob("*.py")):
            for locale, beats in narration_table(path).items():
                out += [(f"{topic}/{path.stem}", beat, locale, text) for beat, text in beats.items()]
    return out


def test_every_narration_template_is_sayable() -> None:
    """Fast: each scene's NARRATION template (both locales), its fields filled with representative values
    in turn, so every template meets every kind of number."""
    from scenes.engine.narration import fill, template_fields

    templates = narration_templates()
    assert len({scene for scene, *_ in templates}) >= 40 and {loc for _, _, loc, _ in templates} == {
        "en",
        "zh",
    }
    problems, k = [], 0
    for scene, beat, locale, template in templates:
        values = representative_values(locale)
        fields = {}
        for name in sorted(template_fields(template)):
            fields[name] = values[k % len(values)]
            k += 1
        problems += [f"{scene} {beat} [{locale}]: {p}" for p in unsayable(fill(template, fields), locale)]
    assert not problems, "\n".join(problems)


STORYBOARDS = sorted(p.name for p in (ROOT / "storyboards").glob("*.yaml"))


@functools.cache
def lecture_texts(storyboard: str, locale: str) -> tuple[str, ...]:
    """Every beat's text of a lecture at its lecture values (the ``--script`` texts): each scene runs in fast
    mode, a few minutes per lecture, so once per process."""
    from pipeline.inputs.storyboard import parse_storyboard
    from pipeline.publishing.script import script_beats

    board = parse_storyboard(ROOT / "storyboards" / storyboard)
    return tuple(b.text for b in script_beats(board, locale))


@pytest.mark.slow  # every scene of the four lectures in fast mode, twice: minutes (`make test-slow`)
@pytest.mark.render
@pytest.mark.parametrize("locale", ["en", "zh"])
@pytest.mark.parametrize("storyboard", STORYBOARDS)
def test_every_lecture_narration_is_sayable(storyboard: str, locale: str) -> None:
    """Every beat of the four lectures, both locales, as the lecture says it."""
    texts = lecture_texts(storyboard, locale)
    assert len(texts) > 20
    problems = [p for text in texts for p in unsayable(text, locale)]
    assert not problems, "\n".join(problems)
