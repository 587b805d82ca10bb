"""Narration: what the lecturer says while each beat of a scene plays.

A scene declares ``NARRATION = {"en": {beat: text}, "zh": {beat: text}}`` beside its ``STRINGS`` and wraps
each step of ``construct()`` in ``with self.beat("name", **fields):``. The text is a template of a small
language, not ``str.format``: literal text, plain ``{field}`` names and the escapes ``{{`` / ``}}`` — no
format spec, conversion, attribute or index (:func:`parse_template`). Every number it states comes in
through a field the scene computed with ``lib/`` and formatted as it draws it (a test checks that the
templates hold no digits of their own and that every stated number is drawn on screen). A storyboard's
overrides are texts of the same language, held to the same rule and to the beat's own fields
(:func:`check_text`), and a beat says at most :data:`MAX_SPEECH_CHARS` characters.

While a beat's narration plays, its animations run; the beat lasts max(animation time, speech time), so a
long sentence is never cut (the scene waits for it) and a short one adds nothing. The voice that speaks is
given to the scene by whoever renders it (the pipeline's worker); the scene only asks how long a text
takes to say. With no voice (:class:`Silent`), beats keep their animation timing and the texts still
become the deck's speaker notes.

This module imports no Manim: the pipeline reads beat ids and texts from it too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from pydantic import BaseModel, ConfigDict

# Speech is followed by this much silence before the next beat may start speaking: a breath, so two
# sentences in a row are not run together.
PAUSE_AFTER = 0.35

# The most a beat may say, in characters (fields filled in): about two minutes of speech. A longer text is a
# mistake in a storyboard, and every voice's memory and time grow with it. Documented in the README.
MAX_SPEECH_CHARS = 2000


class TemplateError(ValueError):
    """A narration text outside the template language or its limits: one line to print."""


@dataclass(frozen=True)
class Speech:
    """One spoken text: its length in seconds and the audio file (None when nothing is heard)."""

    duration: float
    audio: str | None = None


class Voice(Protocol):
    """Turns a beat's text into speech (the pipeline's espeak, Piper, recorded and silent voices)."""

    def speak(self, text: str, beat_id: str) -> Speech: ...


class Silent:
    """No audio: beats keep their animation timing."""

    def speak(self, text: str, beat_id: str) -> Speech:
        return Speech(0.0, None)


@dataclass(frozen=True)
class Overrides:
    """A storyboard entry's changes to a scene's narration, in one locale.

    ``replace`` swaps a beat's text, ``append`` adds a sentence after it; ``off`` silences the entry.
    """

    off: bool = False
    replace: dict[str, str] = field(default_factory=dict)
    append: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # checked at validation already (pipeline.inputs.storyboard); again here, for whoever builds one
        for suffix, texts in (("", self.replace), ("+", self.append)):
            for beat, text in texts.items():
                try:
                    check_text(text)
                except TemplateError as e:
                    raise TemplateError(f"narration override {beat}{suffix}: {e}") from None

    @classmethod
    def from_mapping(cls, data: dict | bool | None) -> Overrides:
        """From the storyboard form: ``false``, or ``{beat: text, "beat+": appended text}``."""
        if data is None or data is True:
            return cls()
        if data is False:
            return cls(off=True)
        replace = {k: v for k, v in data.items() if not k.endswith("+")}
        append = {k[:-1]: v for k, v in data.items() if k.endswith("+")}
        return cls(False, replace, append)


class BeatRecord(BaseModel):
    """A beat as it played: where it sits in the clip and what was said.

    The one record of a beat: the scene appends one per beat (``LectureScene.beats``), a clip's metadata
    lists them (``ClipMeta.beats``, without the audio file, which lives only while the clip is built), and
    a chunk of a chunked render keeps them with its own copy of the audio (``ChunkMeta.beats``).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str  # the beat's name in the scene (``gates``)
    slide: int  # index of the slide it belongs to (0 = before the first next_slide)
    start: float  # seconds into the clip
    end: float
    text: str  # the narration, fields filled in ("" if this beat says nothing)
    speech: float  # seconds of audio from ``start`` (0 if silent)
    audio: str | None = None  # the speech file, while the clip is being built

    def settled(self, start: float | None = None, end: float | None = None) -> BeatRecord:
        """The record as a clip's metadata keeps it: times to the microsecond, no audio file (``start`` and
        ``end`` replace the times, for a chunked render's joined clock)."""
        return BeatRecord(
            id=self.id,
            slide=self.slide,
            start=round(self.start if start is None else start, 6),
            end=round(self.end if end is None else end, 6),
            text=self.text,
            speech=round(self.speech, 6),
        )


def narration_table(path: Path) -> dict[str, dict[str, str]]:
    """The literal ``NARRATION = {...}`` of the scene class in ``path`` ({} if there is none)."""
    import ast

    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(t, ast.Name) and t.id == "NARRATION" for t in targets) and node.value:
                try:
                    value = ast.literal_eval(node.value)
                except ValueError:
                    return {}
                return value if isinstance(value, dict) else {}
    return {}


_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def parse_template(template: str) -> list[tuple[str, str | None]]:
    """``template`` as (literal text, field name or None) pieces; raises :class:`TemplateError`.

    The language: literal text, ``{name}`` (a Python identifier, nothing else between the braces), and
    ``{{`` / ``}}`` for a brace. A lone brace, a format spec (``{n:>9}``), a conversion (``{n!r}``), an
    attribute (``{n.real}``) or an index (``{n[0]}``) is an error, never evaluated.
    """
    pieces: list[tuple[str, str | None]] = []
    literal: list[str] = []
    i, n = 0, len(template)
    while i < n:
        c = template[i]
        if c in "{}" and template.startswith(c * 2, i):
            literal.append(c)
            i += 2
            continue
        if c == "}":
            raise TemplateError(f"a lone '}}' at character {i + 1} (write '}}}}' for a brace)")
        if c != "{":
            literal.append(c)
            i += 1
            continue
        close = template.find("}", i + 1)
        if close < 0:
            raise TemplateError(f"a lone '{{' at character {i + 1} (write '{{{{' for a brace)")
        name = template[i + 1 : close]
        if not _NAME.fullmatch(name):
            shown = name if len(name) <= 30 else name[:30] + "…"
            raise TemplateError(
                f"{{{shown}}} at character {i + 1} is not a plain {{field}}: only a name may stand between "
                "the braces (no format spec, conversion, attribute or index; '{{' for a brace)"
            )
        pieces.append(("".join(literal), name))
        literal = []
        i = close + 1
    if literal:
        pieces.append(("".join(literal), None))
    return pieces


def fill(template: str, fields: dict[str, object]) -> str:
    """The template with its fields, each as the scene formatted it (``format(value, "")``, as ``{name}``
    always did, less any :data:`UNSAFE` character); raises :class:`TemplateError` for a text outside the
    language or longer than :data:`MAX_SPEECH_CHARS`, KeyError for a field the scene did not pass."""
    out: list[str] = []
    for literal, name in parse_template(template):
        out.append(literal)
        if name is not None:
            if name not in fields:
                raise KeyError(f"narration names the field {name!r}, which the beat does not pass")
            out.append(UNSAFE.sub("", format(fields[name], "")))  # a value may come from a parameter
    text = "".join(out)
    if len(text) > MAX_SPEECH_CHARS:
        raise TemplateError(
            f"a beat's narration is {len(text):,} characters; the limit is {MAX_SPEECH_CHARS:,}"
        )
    return text


def template_fields(template: str) -> set[str]:
    """The ``{names}`` a template uses (raises :class:`TemplateError` outside the language)."""
    return {name for _, name in parse_template(template) if name}


# Characters that must never reach a voice, a caption file or a speaker note: C0 and C1 controls, lone
# surrogates, and the invisible direction controls (embeddings and overrides U+202A–U+202E, isolates
# U+2066–U+2069, the marks U+200E, U+200F and U+061C) that make a caption read otherwise than it says.
# Tab, line feed and carriage return are whitespace a YAML block scalar brings; they are folded to spaces.
UNSAFE = re.compile(
    r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]"
)


def check_text(text: str) -> None:
    """A narration text a storyboard may give (an override): its length, its characters, its template and
    its numbers; raises :class:`TemplateError` with the first problem. Which ``{fields}`` it may name is
    the beat's to say (the storyboard checks them against the scene's own template)."""
    if len(text) > MAX_SPEECH_CHARS:
        raise TemplateError(f"{len(text):,} characters; a beat says at most {MAX_SPEECH_CHARS:,}")
    bad = UNSAFE.search(text)
    if bad:
        raise TemplateError(
            f"the control character U+{ord(bad.group()):04X} at character {bad.start() + 1} (no control or "
            "direction characters in narration)"
        )
    parse_template(text)
    typed = literal_numbers(text)
    if typed:
        raise TemplateError(
            f"states the number {typed[0]} outside a {{field}}: every number said must be one the scene "
            "computed and draws, so numbers come only through the beat's {fields}"
        )


# A number as a listener hears one: 42, -0.38, 1,792, 3.5e-4, 12 %, and not the digit of a name (S4, fp16).
NUMBER = re.compile(r"(?<![\w.])[-−]?\d[\d,]*(?:\.\d+)?(?:[eE][-+]?\d+)?(?![\w])")


def numbers_in(text: str) -> list[str]:
    """The numbers ``text`` states, as written."""
    return NUMBER.findall(text)


def literal_numbers(template: str) -> list[str]:
    """Numbers typed into a template outside its fields: the thing a scene must never do. A field stands
    between its neighbours as a space, so ``x{n}5`` still shows the typed ``5``."""
    return numbers_in(" ".join(lit for lit, _ in parse_template(template)))


def as_float(s: str) -> float:
    return float(s.replace(",", "").replace("−", "-"))


def unshown_numbers(text: str, drawn: list[str]) -> list[str]:
    """The numbers ``text`` states that appear in none of the ``drawn`` strings (as numbers, so 0.50 and
    0.5 agree but 0.5 and 0.51 do not)."""
    seen: set[float] = set()
    for s in drawn:
        for n in numbers_in(s):
            try:
                seen.add(as_float(n))
            except ValueError:
                pass
    out = []
    for n in numbers_in(text):
        try:
            if as_float(n) not in seen:
                out.append(n)
        except ValueError:
            out.append(n)
    return out


def width(text: str) -> int:
    """Display width in columns: CJK and full-width characters count two (as caption rules count them)."""
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def reading_seconds(text: str, locale: str) -> float:
    """How long a lecturer takes to say ``text`` at a calm pace: 2.6 words a second in English (~155 wpm),
    4.5 characters a second in Chinese — the target length of a beat in the recording script."""
    if locale == "zh":
        cjk = sum(1 for c in text if width(c) == 2)
        words = len(re.findall(r"[A-Za-z0-9.]+", text))
        return cjk / 4.5 + words / 2.6
    return len(text.split()) / 2.6
