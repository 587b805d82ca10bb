"""The recording script (``render.py STORYBOARD --script``): every beat's id, text and target length.

A teleprompter sheet for a creator who records the narration themself (``--voice recorded:DIR`` then
takes ``DIR/<id>.wav`` for each beat). The texts are the ones the video would use — the scene's numbers
filled in — so each scene's ``construct()`` runs in fast mode (every animation skipped, nothing rendered),
which also gives each beat's animation time. A beat's target is the longer of its animation time and the
time a lecturer takes to read its text calmly; a recording of that length fits without stretching the beat.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from common.fsutil import write_text_atomic
from pipeline.inputs.storyboard import Storyboard
from pipeline.planning.plan import entry_name, narration_overrides
from scenes.engine.narration import Overrides, reading_seconds

LOCALES = ("en", "zh")


@dataclass(frozen=True)
class ScriptBeat:
    id: str  # "<entry>-<beat>": the recording's file name without its suffix
    entry: int  # 1-based
    chapter: str
    beat: str
    slide: int  # 1-based slide of the entry
    text: str
    animation: float  # seconds the beat's animations take
    target: float  # seconds: max(animation, reading time)


def script_beats(board: Storyboard, locale: str, on_entry: Any = None) -> list[ScriptBeat]:
    """Every narrated beat of ``board`` in ``locale``, in order (runs each scene in fast mode)."""
    from scenes.engine.runner import run_skipping

    out: list[ScriptBeat] = []
    for e in board.entries:
        if on_entry:
            on_entry(e)
        raw = narration_overrides(board, e.narration, locale)
        overrides = Overrides(**raw) if raw else None
        scene = run_skipping(e.spec.cls, e.params, locale, narration=overrides)
        name = entry_name(e.index, e.scene)
        for b in scene.beats:
            if not b.text:
                continue
            anim = b.end - b.start
            out.append(
                ScriptBeat(
                    id=f"{name}-{b.id}",
                    entry=e.index + 1,
                    chapter=e.chapter,
                    beat=b.id,
                    slide=b.slide + 1,
                    text=b.text,
                    animation=round(anim, 2),
                    target=round(max(anim, reading_seconds(b.text, locale)), 2),
                )
            )
    return out


def _markdown(board: Storyboard, locale: str, beats: list[ScriptBeat]) -> str:
    total = sum(b.target for b in beats)
    lines = [
        f"# {board.title} — recording script ({locale})",
        "",
        f"{len(beats)} beats, about {total / 60:.1f} min of speech. Record each beat into its own file named "
        "after its id (`<id>.wav`, or .flac/.mp3/.m4a/.ogg) in one folder, then render with "
        "`--voice recorded:FOLDER`. A beat takes as long as its recording; *target* is the time its "
        "animations leave for it at a calm pace.",
    ]
    chapter = None
    for b in beats:
        if b.entry != chapter:
            chapter = b.entry
            lines += ["", f"## {b.entry}. {b.chapter}"]
        lines += ["", f"**`{b.id}`** · slide {b.slide} · target {b.target:.1f} s", "", f"> {b.text}"]
    return "\n".join(lines) + "\n"


def write_script(board: Storyboard, out_dir: Path, locales: tuple[str, ...] = LOCALES) -> list[Path]:
    """``script.<locale>.md`` and ``script.<locale>.json`` for each locale in ``out_dir``; their paths."""
    from rich.progress import Progress

    written = []
    with Progress(transient=True) as progress:
        task = progress.add_task("script", total=len(board.entries) * len(locales))
        for locale in locales:

            def step(e: Any, loc: str = locale) -> None:
                progress.update(task, description=f"script {loc}: {e.scene}")
                progress.advance(task)

            beats = script_beats(board, locale, step)
            data = {
                "title": board.title,
                "storyboard": str(board.path),
                "locale": locale,
                "beats": [asdict(b) for b in beats],
            }
            md, js = out_dir / f"script.{locale}.md", out_dir / f"script.{locale}.json"
            write_text_atomic(md, _markdown(board, locale, beats))
            write_text_atomic(js, json.dumps(data, indent=2, ensure_ascii=False))
            written += [md, js]
    return written
