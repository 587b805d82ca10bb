"""Pronunciation: the narration as the voice should receive it, by a lexicon per locale.

A lecture writes ``QKᵀ``, ``Δ = 0.40``, ``124,439,808``, ``3.06 MiB`` and ``9.5 × 10⁻⁸``; a synthesiser given
those reads digits one by one, skips the symbols or spells the acronyms as words. :func:`spoken` turns a
narration text into words a voice says well. Only the spoken text changes: captions, speaker notes and the
recording script keep the written form.

The rules are code, the entries data (``lexicons/<locale>.yaml``, one file per locale):

1. the text is decomposed (NFD), so ``Ā`` is ``A`` + U+0304 whichever way it was typed;
2. ``terms``: whole words, longest first, case-sensitive (``LayerNorm`` → "layer norm"; a plural "s" is
   understood: ``LayerNorms`` → "layer norms");
3. numbers in words, by the locale's rules and the file's ``numbers`` templates: English
   "124,439,808" → "one hundred twenty-four million four hundred thirty-nine thousand eight hundred eight",
   Chinese "1,792" → 一千七百九十二; decimals, signs, percentages, ratios (``41×``), shapes (``1 × 64``),
   ranges (``1–4``), fractions (``6/7``), powers of ten (``10⁻⁶``, ``3.5e-4``), subscript indices (``h₁₂``),
   and ``units_after_number`` (``128K``, ``2.5 s``); in Chinese a bare 2 before a measure word of
   ``two_before`` is 两;
4. ``symbols``: characters anywhere, longest first (``Δ`` → "delta", ``×`` → "times");
5. ``_`` becomes a space; in English a capital ``A`` standing alone is the letter, not the article
   (``letters``); leftover combining marks are dropped, spaces and punctuation tidied.

:func:`entries_used` names the entries that applied to a text (for a clip's cache key: changing one entry
re-renders only the clips that say it); :func:`digest` identifies a whole lexicon. A lexicon file with a
YAML error, an entry that maps to nothing, an empty or a non-text value is a :class:`LexiconError` of one
line naming the file and the line.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

LEXICONS = Path(__file__).with_name("lexicons")
LOCALES = ("en", "zh")
MAX_BYTES = 256 * 1024  # a lexicon is a few KB

# The templates a lexicon's `numbers` section must give, with the fields each must use.
TEMPLATES: dict[str, tuple[str, ...]] = {
    "negative": ("n",),
    "decimal": ("i", "f"),
    "percent": ("n",),
    "times": ("n",),
    "by": ("a", "b"),
    "range": ("a", "b"),
    "fraction": ("a", "b"),
    "power_of_ten": ("e",),
    "e_notation": ("m", "e"),
    "power": ("e",),
}
_MAPPINGS = ("terms", "symbols", "units_after_number", "letters")
_LISTS = ("letter_at_sentence_start_before", "two_before")
_SECTIONS = (*_MAPPINGS, "numbers", *_LISTS)


class LexiconError(ValueError):
    """A lexicon file that cannot be used: one line, ``FILE:LINE: what is wrong``."""


# --- loading and checking -------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)  # compared and hashed by identity: one object per loaded file
class Lexicon:
    """One locale's entries, checked. Keys are decomposed (NFD), as the text they are matched against."""

    path: Path
    locale: str
    terms: dict[str, str]
    symbols: dict[str, str]
    units_after_number: dict[str, str]
    letters: dict[str, str]
    numbers: dict[str, str]
    letter_at_sentence_start_before: tuple[str, ...]
    two_before: tuple[str, ...]

    def canonical(self) -> dict[str, Any]:
        """Everything that decides what the voice says, as plain data (for :func:`digest`)."""
        return {
            "locale": self.locale,
            "terms": self.terms,
            "symbols": self.symbols,
            "units_after_number": self.units_after_number,
            "letters": self.letters,
            "numbers": self.numbers,
            "letter_at_sentence_start_before": list(self.letter_at_sentence_start_before),
            "two_before": list(self.two_before),
        }


def _shown(s: str) -> str:
    """``s`` quoted for a one-line message: line breaks, controls and invisible characters escaped."""
    s = s if len(s) <= 40 else s[:37] + "..."
    return repr(
        "".join(c if c == " " or unicodedata.category(c)[0] not in "CZ" else ascii(c)[1:-1] for c in s)
    )


def load_lexicon(path: Path, locale: str | None = None) -> Lexicon:
    """The lexicon in ``path`` for ``locale`` (by default the file's stem: ``en.yaml`` is English).

    Raises :class:`LexiconError` (one line, ``FILE:LINE: …``) for an unreadable file, invalid YAML, an
    unknown section, a duplicate key, an entry that maps to nothing, to an empty text or to something that
    is not text, a spoken form with a digit or a control character, and a number template without its
    fields.
    """
    path = Path(path)
    locale = locale or path.stem
    if locale not in LOCALES:
        raise LexiconError(f"{path}: no number rules for the locale {locale!r} (one of {', '.join(LOCALES)})")
    try:
        with open(path, "rb") as f:
            raw = f.read(MAX_BYTES + 1)
    except OSError as e:
        raise LexiconError(f"{path}: cannot read the lexicon: {e.strerror or e}") from None
    if len(raw) > MAX_BYTES:
        raise LexiconError(f"{path}: the lexicon is larger than {MAX_BYTES // 1024} KB")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        line = raw.count(b"\n", 0, e.start) + 1
        raise LexiconError(f"{path}:{line}: not UTF-8 text (byte 0x{raw[e.start]:02x})") from None
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        raise LexiconError(f"{where}: invalid YAML: {' '.join(str(e.problem or e).split())}") from None
    except yaml.YAMLError as e:  # a character YAML does not allow (a ReaderError has no mark)
        line = text.count("\n", 0, getattr(e, "position", 0)) + 1
        raise LexiconError(f"{path}:{line}: invalid YAML: {' '.join(str(e).split())}") from None
    return _Checker(path, locale).lexicon(root)


_STR = "tag:yaml.org,2002:str"
_NULL = "tag:yaml.org,2002:null"


class _Checker:
    """Walks the composed YAML nodes, so that every problem is reported at its line (an entry's at the line
    of its written form, where a reader looks for it)."""

    def __init__(self, path: Path, locale: str) -> None:
        self.path, self.locale = path, locale
        self.at: dict[tuple[str, str], yaml.Node] = {}  # (section, written form) → its key's node

    def fail(self, node: yaml.Node | None, message: str) -> LexiconError:
        line = f":{node.start_mark.line + 1}" if node is not None else ""
        return LexiconError(f"{self.path}{line}: {message}")

    def lexicon(self, root: yaml.Node | None) -> Lexicon:
        if not isinstance(root, yaml.MappingNode):
            raise self.fail(root, f"expected a mapping of sections ({', '.join(_SECTIONS)})")
        sections: dict[str, tuple[yaml.Node, yaml.Node]] = {}
        for name, key_node, value_node in self.pairs(root, "section"):
            if name not in _SECTIONS:
                raise self.fail(key_node, f"unknown section {_shown(name)} (one of {', '.join(_SECTIONS)})")
            sections[name] = (key_node, value_node)
        if "numbers" not in sections:
            raise self.fail(root, "no `numbers` section (the templates the number rules use)")
        maps = {name: self.mapping(*sections[name], name) if name in sections else {} for name in _MAPPINGS}
        # one written form, one spoken form: entries_used() names an entry by its written form
        owner: dict[str, str] = {}
        for name in ("terms", "units_after_number", "symbols"):
            for written in maps[name]:
                if written in owner:
                    raise self.fail(
                        self.at[(name, written)], f"{name}: {_shown(written)} is also in {owner[written]}"
                    )
                owner[written] = name
        lists = {name: self.words(*sections[name], name) if name in sections else () for name in _LISTS}
        return Lexicon(
            path=self.path,
            locale=self.locale,
            terms=maps["terms"],
            symbols=maps["symbols"],
            units_after_number=maps["units_after_number"],
            letters=maps["letters"],
            numbers=self.templates(*sections["numbers"]),
            letter_at_sentence_start_before=lists["letter_at_sentence_start_before"],
            two_before=lists["two_before"],
        )

    def pairs(self, node: yaml.MappingNode, what: str) -> list[tuple[str, yaml.Node, yaml.Node]]:
        """(key, key node, value node) of a mapping whose keys are non-empty texts, each given once."""
        out: list[tuple[str, yaml.Node, yaml.Node]] = []
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag != _STR:
                shown = _shown(key_node.value) if isinstance(key_node, yaml.ScalarNode) else "a collection"
                raise self.fail(key_node, f"the {what} {shown} is not text (quote it)")
            key = unicodedata.normalize("NFD", key_node.value)
            if not key.strip():
                raise self.fail(key_node, f"an empty {what}")
            if any(key == k for k, _, _ in out):
                raise self.fail(key_node, f"the {what} {_shown(key_node.value)} is given twice")
            out.append((key, key_node, value_node))
        return out

    def mapping(self, key_node: yaml.Node, node: yaml.Node, section: str) -> dict[str, str]:
        if not isinstance(node, yaml.MappingNode):
            raise self.fail(key_node, f"{section}: expected a mapping of written form: spoken form")
        blank_ok = section == "symbols"  # a symbol may be said as nothing ('"': "") or as a pause (" ")
        out = {}
        for key, entry, value in self.pairs(node, "written form"):
            if section == "letters" and not re.fullmatch(r"[A-Z]", key):
                raise self.fail(entry, f"letters: {_shown(key)} is not one capital letter")
            out[key] = self.spoken(entry, value, f"{section}: {_shown(key)}", blank_ok)
            self.at[(section, key)] = entry
        return out

    def spoken(self, at: yaml.Node, node: yaml.Node, what: str, blank_ok: bool = False) -> str:
        """A spoken form: text, not empty, no digit, no control character (reported at ``at``)."""
        if isinstance(node, yaml.ScalarNode) and node.tag == _NULL:
            raise self.fail(at, f"{what} maps to nothing (give its spoken form)")
        if not isinstance(node, yaml.ScalarNode) or node.tag != _STR:
            kind = node.tag.rpartition(":")[2] if isinstance(node, yaml.ScalarNode) else "collection"
            raise self.fail(at, f"{what} maps to a {kind}, not to text (quote it)")
        value = unicodedata.normalize("NFD", node.value)
        if not value.strip() and not blank_ok:
            raise self.fail(at, f"{what} maps to an empty text")
        for c in value:
            if c.isdigit():
                raise self.fail(at, f"{what} contains the digit {c!r} (say numbers in words)")
            if unicodedata.category(c) in ("Cc", "Cf") and c != " ":
                raise self.fail(at, f"{what} contains the control character U+{ord(c):04X}")
        return value

    def words(self, key_node: yaml.Node, node: yaml.Node, section: str) -> tuple[str, ...]:
        if not isinstance(node, yaml.SequenceNode):
            raise self.fail(key_node, f"{section}: expected a list of words")
        return tuple(self.spoken(item, item, f"{section}: item {i + 1}") for i, item in enumerate(node.value))

    def templates(self, key_node: yaml.Node, node: yaml.Node) -> dict[str, str]:
        if not isinstance(node, yaml.MappingNode):
            raise self.fail(key_node, "numbers: expected a mapping of template name: template")
        out = {}
        for name, entry, value in self.pairs(node, "template"):
            if name not in TEMPLATES:
                raise self.fail(
                    entry, f"numbers: unknown template {_shown(name)} (one of {', '.join(TEMPLATES)})"
                )
            template = self.spoken(entry, value, f"numbers: {name}")
            fields = ", ".join("{" + f + "}" for f in TEMPLATES[name])
            if sorted(re.findall(r"\{(\w*)\}", template)) != sorted(TEMPLATES[name]) or re.search(
                r"[{}]", re.sub(r"\{\w*\}", "", template)
            ):
                raise self.fail(entry, f"numbers: {name} must use {fields}, each once, and no other brace")
            out[name] = template
        missing = [name for name in TEMPLATES if name not in out]
        if missing:
            fields = ", ".join("{" + f + "}" for f in TEMPLATES[missing[0]])
            raise self.fail(key_node, f"numbers: no template {missing[0]!r} (with {fields})")
        return out


@cache
def lexicon(locale: str) -> Lexicon:
    """The packaged lexicon of ``locale`` (``lexicons/<locale>.yaml``), loaded once per process."""
    if locale not in LOCALES:
        raise LexiconError(f"no lexicon for the locale {locale!r} (one of {', '.join(LOCALES)})")
    return load_lexicon(LEXICONS / f"{locale}.yaml", locale)


def digest(locale: str) -> str:
    """sha256 of the locale's lexicon as data (comments and layout of the file do not count)."""
    data = json.dumps(lexicon(locale).canonical(), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(data.encode("utf-8")).hexdigest()


# --- numbers in words -----------------------------------------------------------------------------------
_EN_ONES = "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen \
sixteen seventeen eighteen nineteen".split()
_EN_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()
_EN_SCALES = ("", "thousand", "million", "billion", "trillion", "quadrillion")
_ZH_DIGITS = "零一二三四五六七八九"
_ZH_SECTIONS = ("", "万", "亿", "万亿")


def _en_below_1000(n: int) -> str:
    words = []
    if n >= 100:
        words += [_EN_ONES[n // 100], "hundred"]
        n %= 100
    if n >= 20:
        words.append(_EN_TENS[n // 10] + (f"-{_EN_ONES[n % 10]}" if n % 10 else ""))
    elif n or not words:
        words.append(_EN_ONES[n])
    return " ".join(words)


def _en_integer(n: int) -> str:
    """124439808 → "one hundred twenty-four million four hundred thirty-nine thousand eight hundred
    eight"; beyond the quadrillions, digit by digit."""
    if n >= 1000 ** len(_EN_SCALES):
        return " ".join(_EN_ONES[int(d)] for d in str(n))
    if n < 1000:
        return _en_below_1000(n)
    parts = []
    for scale in reversed(range(len(_EN_SCALES))):
        group = n // 1000**scale % 1000
        if group:
            parts.append(_en_below_1000(group) + (f" {_EN_SCALES[scale]}" if scale else ""))
    return " ".join(parts)


def _zh_below_10000(n: int) -> str:
    """0 < n < 10000, with 零 for each run of inner zeros (1024 → 一千零二十四)."""
    out: list[str] = []
    zero = False
    for value, unit in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
        d = n // value % 10
        if d == 0:
            zero = bool(out)
            continue
        if zero:
            out.append("零")
            zero = False
        out.append(_ZH_DIGITS[d] + unit)
    return "".join(out)


def _zh_integer(n: int) -> str:
    """1792 → 一千七百九十二, 10000 → 一万, 1050624 → 一百零五万零六百二十四, 2048 → 两千零四十八; beyond
    10¹⁶, digit by digit."""
    if n == 0:
        return "零"
    if n >= 10**16:
        return "".join(_ZH_DIGITS[int(d)] for d in str(n))
    sections = [n // 10_000**k % 10_000 for k in range(len(_ZH_SECTIONS))]
    out: list[str] = []
    zero = False
    for k in reversed(range(len(_ZH_SECTIONS))):
        s = sections[k]
        if s == 0:
            zero = bool(out)
            continue
        if out and (zero or s < 1000):
            out.append("零")
        out.append(_zh_below_10000(s) + _ZH_SECTIONS[k])
        zero = False
    text = "".join(out)
    if text.startswith("一十"):  # 10–19 and 100,000–199,999: 十二, 十万 (not 一十二)
        text = text[1:]
    if text.startswith("二") and len(text) > 1 and text[1] in "千万亿":  # 2,000 → 两千, 20,000 → 两万
        text = "两" + text[1:]
    return text


_NUM = r"(?:\d{1,3}(?:,\d{3})+(?!\d)|\d+)(?:\.\d+)?"
_END = r"(?!\d|\.\d)"  # a number ends where its digits do (a full stop after it is the sentence's)
_SIGN = r"(?:(?<![A-Za-z0-9)\]}])[−-])?"  # a sign, not a minus between two operands ("t − 1", "t−1")
_SIGNED = _SIGN + _NUM
_START = r"(?<![\d.])"  # a number does not begin inside another
_SUPERSCRIPT = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺", "0123456789−+")
_SUPERSCRIPTS = r"[⁻⁺]?[⁰¹²³⁴⁵⁶⁷⁸⁹]+"
_SUBSCRIPT = str.maketrans("₀₁₂₃₄₅₆₇₈₉", "0123456789")
# A term's spoken form is kept between these (private-use characters) until the numbers and symbols are
# done, so that neither rewrites it ("8 KV" must not become "8 K" thousand)
_OPEN, _CLOSE = "\ue000", "\ue001"
_KEPT = re.compile(f"({_OPEN}[^{_CLOSE}]*{_CLOSE})")


class _Speaker:
    """One text through the rules; ``used`` collects every entry and template that applied."""

    def __init__(self, lex: Lexicon, used: dict[str, str] | None = None) -> None:
        self.lex = lex
        self.used = used if used is not None else {}
        self.zh = lex.locale == "zh"

    def run(self, text: str) -> str:
        s = unicodedata.normalize("NFD", text.replace(_OPEN, "").replace(_CLOSE, ""))
        s = self.terms(s)
        s = "".join(
            part if _KEPT.fullmatch(part) else self.symbols(self.numbers(part)) for part in _KEPT.split(s)
        )
        s = s.replace(_OPEN, " ").replace(_CLOSE, " ").replace("_", " ")
        s = self.letters(s)
        s = "".join(c for c in s if unicodedata.category(c) != "Mn")  # an accent no entry names
        return _tidy(unicodedata.normalize("NFC", s), self.zh)

    # --- entries
    def said(self, key: str, spoken: str) -> str:
        self.used[key] = spoken
        return spoken

    def terms(self, s: str) -> str:
        table = _term_table(self.lex)
        if not table:
            return s

        def repl(m: re.Match[str]) -> str:
            spoken = self.said(m["t"], table[m["t"]])
            if m["p"] == "s" and not spoken.endswith("s"):  # LayerNorms, GPUs (G P U's)
                spoken += "'s" if re.search(r"(?:^|\s)[A-Z]$", spoken) else "s"
            elif m["p"] == "'s":
                spoken += "'s"
            return f" {_OPEN}{spoken}{_CLOSE} "

        return _term_pattern(self.lex).sub(repl, s)

    def symbols(self, s: str) -> str:
        table = self.lex.symbols
        if not table:
            return s

        def repl(m: re.Match[str]) -> str:
            spoken = self.said(m.group(), table[m.group()])
            return f"{' ' if spoken[:1].isalnum() else ''}{spoken}{' ' if spoken[-1:].isalnum() else ''}"

        return _symbol_pattern(self.lex).sub(repl, s)

    def letters(self, s: str) -> str:
        for letter in self.lex.letters:
            s = re.sub(rf"(?<![\w'’-]){letter}(?![\w'’-])", self.letter, s)
        return s

    def letter(self, m: re.Match[str]) -> str:
        """A capital letter standing alone: its name, unless it is the article at a sentence's start."""
        before = m.string[: m.start()].rstrip()
        at_start = not before or before[-1] in ".?!:;"
        nxt = re.match(r"\s*([A-Za-z]+)", m.string[m.end() :])
        if at_start and nxt and nxt.group(1) not in self.lex.letter_at_sentence_start_before:
            return m.group()  # "A convolution mixes …"
        return self.said(f"<letter:{m.group()}>", self.lex.letters[m.group()])

    # --- numbers
    def template(self, name: str, **fields: str) -> str:
        template = self.said(f"<numbers:{name}>", self.lex.numbers[name])
        return re.sub(r"\{(\w+)\}", lambda m: fields[m.group(1)], template)

    def number(self, written: str, two: bool = False) -> str:
        """A number as written ("−1,234.50", "7", "+3") in words; ``two``: the 2 is said 两."""
        if two:
            return "两"
        sign, body = (written[0], written[1:]) if written[:1] in "−-+" else ("", written)
        whole, _, frac = body.replace(",", "").partition(".")
        words = _zh_integer(int(whole)) if self.zh else _en_integer(int(whole))
        if frac:
            digits = [_ZH_DIGITS[int(d)] if self.zh else _EN_ONES[int(d)] for d in frac]
            words = self.template("decimal", i=words, f=("" if self.zh else " ").join(digits))
        return self.template("negative", n=words) if sign in ("−", "-") else words

    def numbers(self, s: str) -> str:
        sub, template, number = _sub, self.template, self.number
        symbols = self.lex.symbols
        # subscript indices are numbers: h₁₂ → h 12
        s = re.sub(r"[₀₁₂₃₄₅₆₇₈₉]+", lambda m: f" {m.group().translate(_SUBSCRIPT)} ", s)
        # 3.5e-4
        s = sub(
            rf"{_START}(?P<m>{_SIGNED})[eE](?P<e>[−+-]?\d+)(?![A-Za-z0-9])",
            lambda m: template("e_notation", m=number(m["m"]), e=number(m["e"])),
            s,
        )
        # 10⁻⁶; a superscript with its own entry is left to it (10² → "ten squared")
        s = sub(
            rf"{_START}10(?P<e>{_SUPERSCRIPTS})",
            lambda m: (
                None
                if m["e"] in symbols
                else f" {template('power_of_ten', e=number(m['e'].translate(_SUPERSCRIPT)))} "
            ),
            s,
        )
        # any other superscript number is a power: x⁴, 2⁸
        s = sub(
            _SUPERSCRIPTS,
            lambda m: (
                None
                if m.group() in symbols
                else f" {template('power', e=number(m.group().translate(_SUPERSCRIPT)))} "
            ),
            s,
        )
        s = sub(
            rf"{_START}(?P<n>{_SIGNED}){_END}\s?%", lambda m: f" {template('percent', n=number(m['n']))} ", s
        )
        # a shape: 1 × 64 × 112 × 112
        s = sub(
            rf"{_START}{_NUM}{_END}(?:\s?×\s?{_NUM}{_END})+",
            lambda m: f" {self.by([number(x.strip()) for x in m.group().split('×')])} ",
            s,
        )
        # a ratio: 41×
        s = sub(rf"{_START}(?P<n>{_SIGNED}){_END}×", lambda m: f" {template('times', n=number(m['n']))} ", s)
        # a range: 1–4, 1-4
        s = sub(
            rf"{_START}(?P<a>{_SIGNED}){_END}(?:\s?–\s?|-)(?P<b>{_NUM}){_END}",
            lambda m: f" {template('range', a=number(m['a']), b=number(m['b']))} ",
            s,
        )
        # a fraction: 6/7
        s = sub(
            rf"{_START}(?P<a>\d+)/(?P<b>\d+)(?![\d/]|\.\d)",
            lambda m: f" {template('fraction', a=number(m['a']), b=number(m['b']))} ",
            s,
        )
        units = self.lex.units_after_number
        if units:
            names = "|".join(re.escape(u) for u in sorted(units, key=len, reverse=True))
            s = sub(
                rf"{_START}(?P<n>{_SIGNED}){_END} ?(?P<u>{names})(?![A-Za-z0-9])",
                lambda m: f" {number(m['n'], self.two(m, m['u']))} {self.said(m['u'], units[m['u']])} ",
                s,
            )
        # every other number; a hyphen joining it to a word ("100-layer") is said as a space
        return sub(
            rf"{_START}(?P<n>{_SIGNED}){_END}(?:-(?=[A-Za-z]))?",
            lambda m: f" {number(m['n'], self.two(m, m.string[m.end() :]))} ",
            s,
        )

    def two(self, m: re.Match[str], after: str) -> bool:
        """Whether the number matched is a Chinese 两: a bare 2 before a measure word of ``two_before``
        (2 个通道 → 两个通道, 2K → 两K), not after 第 (第 2 层 → 第二层)."""
        if m["n"] != "2" or not self.lex.two_before or m.string[: m.start()].rstrip().endswith("第"):
            return False
        after = after.lstrip()
        for word in sorted(self.lex.two_before, key=len, reverse=True):
            if after.startswith(word) and not re.match(r"[A-Za-z0-9]", after[len(word) :]):
                self.said(f"<two_before:{word}>", "两")
                return True
        return False

    def by(self, dims: list[str]) -> str:
        out = dims[0]
        for d in dims[1:]:
            out = self.template("by", a=out, b=d)
        return out


def _sub(pattern: str, repl: Callable[[re.Match[str]], str | None], s: str) -> str:
    """``re.sub`` where ``repl`` may return None to leave the match as it is."""

    def one(m: re.Match[str]) -> str:
        r = repl(m)
        return m.group() if r is None else r

    return re.sub(pattern, one, s)


@cache
def _term_table(lex: Lexicon) -> dict[str, str]:
    """The terms, plus each lower-case term with a capital first letter ("softmax" → "Softmax")."""
    table = dict(lex.terms)
    for written, spoken in lex.terms.items():
        capital = written[0].upper() + written[1:]
        if written[:1].islower() and capital not in table:
            table[capital] = spoken[:1].upper() + spoken[1:]
    return table


_WORD = "A-Za-z0-9_"


@cache
def _term_pattern(lex: Lexicon) -> re.Pattern[str]:
    """Every term, longest first, as a whole token: a term that begins (ends) with a letter, digit or _
    must not have one before (after) it, except a plural or possessive ending."""
    alternatives = []
    for written in sorted(_term_table(lex), key=len, reverse=True):
        left = f"(?<![{_WORD}])" if re.match(f"[{_WORD}]", written) else ""
        right = f"(?=(?:s|'s)?(?![{_WORD}]))" if re.search(f"[{_WORD}]$", written) else ""
        alternatives.append(f"{left}{re.escape(written)}{right}")
    return re.compile(rf"(?P<t>{'|'.join(alternatives)})(?P<p>(?:s|'s)(?![{_WORD}]))?")


@cache
def _symbol_pattern(lex: Lexicon) -> re.Pattern[str]:
    return re.compile("|".join(re.escape(k) for k in sorted(lex.symbols, key=len, reverse=True)))


_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_ZH_PUNCT = "，。、；：？！“”‘’（）《》【】—…"


def _tidy(s: str, zh: bool) -> str:
    """Spaces and punctuation as a voice wants them: one space between words, none before a comma or a
    full stop, no empty clause (", ," where a bracket was); in Chinese no space beside a Chinese character
    or punctuation mark."""
    s = " ".join(s.split())
    s = re.sub(r"\s+([,.;:?!，。、；：？！”）])", r"\1", s)
    s = re.sub(r"([“（])\s+", r"\1", s)
    s = re.sub(r"([,;:])(?:\s*,)+", r"\1", s)  # ", ," → ","
    s = re.sub(r",\s*([.;:?!])", r"\1", s)  # ", ." → "."
    if zh:
        s = re.sub(f"(?<=[{_CJK}{_ZH_PUNCT}])\\s+|\\s+(?=[{_CJK}{_ZH_PUNCT}])", "", s)
        s = re.sub("([，、；：])[，、；：]+", r"\1", s)
        s = re.sub("[，、；：]([。？！])", r"\1", s)
    return re.sub(r"^[\s,.;:，。、；：]+", "", s).strip()


def spoken(text: str, locale: str) -> str:
    """``text`` as the voice of ``locale`` should receive it: numbers, symbols, units and terms in words.

    >>> spoken("Δ = 0.40, GELU −0.16", "en")
    'delta equals zero point four zero, gee loo minus zero point one six'
    """
    return _Speaker(lexicon(locale)).run(text)


def entries_used(text: str, locale: str) -> dict[str, str]:
    """The lexicon entries that apply to ``text`` in ``locale``, written form → spoken form (number
    templates as ``<numbers:NAME>``, letters as ``<letter:A>``, Chinese 两 as ``<two_before:个>``): what a
    clip's cache key needs, so that changing one entry re-renders exactly the clips whose narration
    says it."""
    used: dict[str, str] = {}
    _Speaker(lexicon(locale), used).run(text)
    return dict(sorted(used.items()))
