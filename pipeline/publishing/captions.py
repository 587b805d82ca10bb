"""Captions from the narrated beats: SubRip (``.srt``) and WebVTT (``.vtt``).

Broadcast caption style: at most :data:`LINE` columns a line and two lines a cue, CJK characters counted
two columns wide (a Chinese line holds 21 characters). A beat's text is timed over its speech (or over the
whole beat when no voice speaks); a beat too long for one cue is split at line boundaries, each cue
getting time in proportion to its width, so cues follow the voice in order and never overlap.

A beat's text is checked where it is written (``scenes.engine.narration``), and cleaned again here
(:func:`clean`): no control or direction character reaches a caption file, whatever built the clip's
metadata, and WebVTT cue text has its ``&``, ``<`` and ``>`` escaped as the format requires.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pipeline.planning.jobs import ClipMeta
from scenes.engine.narration import UNSAFE, width

LINE = 42  # columns per caption line (BBC, Netflix and YouTube guidance for 16:9 video)
LINES = 2  # lines per cue


@dataclass(frozen=True)
class Cue:
    start: float
    end: float
    lines: tuple[str, ...]
    beat: str  # "<entry>-<beat>": the beat the cue belongs to


_CJK = r"[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef]"
_CJK_PUNCT = r"[\u3000-\u303f\uff0c\uff1a\uff1b\uff01\uff1f]"
_UNIT = re.compile(f"{_CJK}{_CJK_PUNCT}*|\\S+")  # one CJK character (with its punctuation), or a word


def clean(text: str) -> str:
    """``text`` without :data:`~scenes.engine.narration.UNSAFE` characters (controls, direction overrides),
    its whitespace (tabs, line and paragraph separators) folded to single spaces."""
    return " ".join(UNSAFE.sub("", text).split())


def wrap(text: str, line: int = LINE) -> list[str]:
    """``text`` broken into lines of at most ``line`` columns: between words, or between CJK characters
    (a CJK punctuation mark stays with the character before it), keeping the text's own spacing. A single
    longer word gets a line of its own."""
    lines: list[str] = []
    current = ""
    for m in _UNIT.finditer(text):
        unit = m.group(0)
        sep = " " if current and text[m.start() - 1].isspace() else ""
        if current and width(current + sep + unit) > line:
            lines.append(current)
            current = unit
        else:
            current += sep + unit
    if current:
        lines.append(current)
    return lines


# ASCII punctuation ends a sentence only before a space (or the end): "1.0000" and "10:30" stay whole;
# CJK punctuation needs no space after it
_SENTENCE_END = re.compile(r"(?:(?<=[.!?;:])(?=\s|$)|(?<=[。！？；：]))\s*")


def chunks_of(text: str) -> list[tuple[str, ...]]:
    """``text`` as cue texts of at most :data:`LINES` lines: a cue ends at a sentence end where it can
    (sentences that fit together share one), else after two lines."""
    chunks: list[tuple[str, ...]] = []
    for sentence in (s for s in _SENTENCE_END.split(text) if s.strip()):
        lines = _balanced(sentence)
        if chunks and len(chunks[-1]) < LINES and len(lines) == 1 and _fits(chunks[-1], lines[0]):
            chunks[-1] = (*chunks[-1][:-1], _join(chunks[-1][-1], lines[0]))  # two short sentences
            continue
        chunks += [tuple(lines[i : i + LINES]) for i in range(0, len(lines), LINES)]
    return chunks


def _balanced(sentence: str) -> list[str]:
    """``wrap(sentence)``, but when its last line would be a stub (under a third of a line) on its own, the
    narrowest wrap with as many lines instead: lines of even length, no lone word left for a cue."""
    lines = wrap(sentence)
    if len(lines) < 2 or width(lines[-1]) >= LINE // 3:
        return lines
    for w in range(LINE - 1, LINE // 2, -1):
        candidate = wrap(sentence, w)
        if len(candidate) > len(lines):
            break
        lines = candidate
    return lines


def _join(a: str, b: str) -> str:
    return a + b if width(a[-1]) == 2 else f"{a} {b}"


def _fits(chunk: tuple[str, ...], line: str) -> bool:
    return width(_join(chunk[-1], line)) <= LINE


def cues_of_beat(text: str, start: float, end: float, beat: str) -> list[Cue]:
    """One beat's text as cues over [start, end]."""
    chunks = chunks_of(text)
    total = sum(width(" ".join(c)) for c in chunks) or 1
    cues, t = [], start
    for k, chunk in enumerate(chunks):
        share = (end - start) * width(" ".join(chunk)) / total
        stop = end if k == len(chunks) - 1 else t + share
        cues.append(Cue(round(t, 3), round(stop, 3), chunk, beat))
        t = stop
    return cues


def cues(metas: list[ClipMeta], starts: list[float]) -> list[Cue]:
    """Every narrated beat of the video (clip ``k`` starting at ``starts[k]``) as cues, in order."""
    out: list[Cue] = []
    for meta, offset in zip(metas, starts, strict=True):
        for b in meta.beats:
            text = clean(b.text)
            if not text:
                continue
            end = b.start + b.speech if b.speech > 0 else b.end
            out += cues_of_beat(text, offset + b.start, offset + end, f"{meta.name}-{b.id}")
    return out


def _stamp(t: float, sep: str) -> str:
    ms = round(t * 1000)
    h, ms = divmod(ms, 3_600_000)
    m, ms = divmod(ms, 60_000)
    s, ms = divmod(ms, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}{sep}{ms:03d}"


def to_srt(items: list[Cue]) -> str:
    blocks = [
        f"{k}\n{_stamp(c.start, ',')} --> {_stamp(c.end, ',')}\n" + "\n".join(c.lines)
        for k, c in enumerate(items, 1)
    ]
    return "\n\n".join(blocks) + "\n" if blocks else ""


def _vtt_text(line: str) -> str:
    return line.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def to_vtt(items: list[Cue], lang: str) -> str:
    head = f"WEBVTT\nLanguage: {lang}\n"
    blocks = [
        f"{k}-{c.beat}\n{_stamp(c.start, '.')} --> {_stamp(c.end, '.')}\n"
        + "\n".join(map(_vtt_text, c.lines))
        for k, c in enumerate(items, 1)
    ]
    return "\n\n".join([head, *blocks]) + "\n"
