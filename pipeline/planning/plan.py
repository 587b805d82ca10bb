"""Storyboard → plan: one job per entry, each with its cache key and whether the cache already has it.

A pure function of the storyboard, the settings and the cache's contents; made once per run.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.inputs.plugins import source_roots
from pipeline.inputs.quality import QUALITIES, Quality
from pipeline.inputs.storyboard import Storyboard
from pipeline.planning.cache import ClipCache
from pipeline.planning.jobs import ClipMeta, Job
from pipeline.voice.lexicon import LexiconError, entries_used, lexicon
from pipeline.voice.resolved import ResolvedVoice, uses_lexicon
from pipeline.voice.spec import VoiceError, VoiceSpec, parse, resolve
from scenes.engine.discovery import SceneSpec
from scenes.engine.narration import Overrides

# The voice when neither --voice nor the storyboard names one: the bundled neural voice for English; espeak
# for Chinese until a Chinese Piper model is given (none is installed: see README, "Voices").
DEFAULT_VOICE = {"en": "piper", "zh": "espeak"}


@dataclass(frozen=True)
class Settings:
    output_dir: Path
    cache_dir: Path
    slides_dir: Path
    quality: Quality
    locale: str
    timeout: float | None = None  # a worker still running after this many seconds is stopped
    # the voice, resolved once (:func:`resolve_voice`); None: the storyboard's, resolved by the plan
    voice: ResolvedVoice | None = None

    @property
    def worker_timeout(self) -> float:
        """``timeout``, or the default for this quality."""
        return self.timeout if self.timeout is not None else QUALITIES[self.quality].timeout


@dataclass(frozen=True)
class PlannedEntry:
    job: Job
    cached: ClipMeta | None  # the cache entry's metadata when it exists (and the cache is used)
    selected: bool = True  # rendered by this run if not cached (``--only`` deselects the others)
    chunks: int = 1  # the storyboard's ``chunks:``: rendered as that many animation ranges

    @property
    def status(self) -> str:
        return "cached" if self.cached is not None else "render"


@dataclass(frozen=True)
class Plan:
    board: Storyboard
    settings: Settings
    entries: tuple[PlannedEntry, ...]  # every entry of the storyboard, in order
    cache: ClipCache

    @property
    def selected(self) -> list[PlannedEntry]:
        return [p for p in self.entries if p.selected]

    @property
    def todo(self) -> list[Job]:
        """The jobs to render: selected and not cached."""
        return [p.job for p in self.entries if p.selected and p.cached is None]


def entry_name(index: int, scene_id: str) -> str:
    return f"e{index + 1:02d}_" + re.sub(r"[^a-z0-9]+", "_", scene_id.lower()).strip("_")


def make_plan(
    board: Storyboard, settings: Settings, only: set[int] | None = None, use_cache: bool = True
) -> Plan:
    """The jobs for every entry of ``board``; those outside ``only`` (0-based indices) are not selected.

    ``use_cache=False`` (``--no-cache``) ignores the cache for the selected entries only: the others are
    still looked up, since the video needs them all.
    """
    voice = settings.voice or resolve_voice(board, None, settings.locale)
    said = uses_lexicon(settings.locale, voice.kind)  # the lexicon shapes what this voice says
    cache = ClipCache(settings.cache_dir, source_roots(board.plugins))
    logs = settings.output_dir / board.name / "logs"
    import_path = (str(board.path.parent.resolve()),) if board.plugins else ()
    entries = []
    for e in board.entries:
        params = e.params.model_dump(mode="json")
        narration = narration_overrides(board, e.narration, settings.locale)
        key = cache.key(
            e.spec.module,
            e.scene,
            params,
            settings.quality,
            settings.locale,
            # a chunked entry's clip is joined from pieces: the same frames, other bytes, so another key
            extra={
                "voice": voice.key(),
                "narration": narration,
                **({"lexicon": lexicon_used(e.spec, params, narration, settings.locale)} if said else {}),
                **({"chunks": e.chunks} if e.chunks > 1 else {}),
            },
        )
        name = entry_name(e.index, e.scene)
        job = Job(
            index=e.index,
            scene_id=e.scene,
            module=e.spec.module,
            params=params,
            quality=settings.quality,
            locale=settings.locale,
            chapter=e.chapter,
            key=key,
            name=name,
            cache_dir=str(settings.cache_dir),
            log_path=str(logs / f"{name}.log"),
            import_path=import_path,
            voice=voice,
            narration=narration,
        )
        selected = only is None or e.index in only
        cached = cache.lookup(key) if use_cache or not selected else None
        entries.append(PlannedEntry(job, cached, selected, e.chunks))
    return Plan(board, settings, tuple(entries), cache)


def resolve_voice(board: Storyboard, override: str | None, locale: str) -> ResolvedVoice:
    """The voice of this run, checked and identified (raises VoiceError): see :func:`voice_of`. The
    lexicon it speaks through is loaded here too: a broken lexicon file is one line, before any render."""
    voice = resolve(voice_of(board, override, locale), locale)
    if uses_lexicon(locale, voice.kind):
        try:
            lexicon(locale)
        except LexiconError as e:
            raise VoiceError(str(e)) from None
    return voice


def lexicon_used(
    spec: SceneSpec, params: dict[str, Any], narration: dict[str, Any], locale: str
) -> dict[str, str]:
    """The lexicon entries an entry's narration can say, for its cache key: those found in the scene's
    narration templates, its overrides and its parameters (a field's value is drawn from them), and the
    number templates every narration with a number uses. Changing one entry re-renders exactly the clips
    whose narration may say it (the lexicon's rules are code: :mod:`pipeline.voice.lexicon` is in every
    key)."""
    texts = list(spec.narration().get(locale, {}).values())
    texts += [t for part in ("replace", "append") for t in narration.get(part, {}).values()]
    text = re.sub(r"\{[^{}]*\}", " ", " \n ".join(texts)) + " \n " + json.dumps(params, ensure_ascii=False)
    numbers = {f"<numbers:{k}>": v for k, v in lexicon(locale).canonical()["numbers"].items()}
    return {**entries_used(text, locale), **numbers}


def voice_of(board: Storyboard, override: str | None, locale: str) -> VoiceSpec:
    """The voice of this run in ``locale``: ``override`` (``--voice``), else the storyboard's (one for every
    locale or one per locale; its paths relative to its folder), else :data:`DEFAULT_VOICE`; ``none`` when
    the storyboard switches narration off. Raises VoiceError."""
    if not board.narration:
        return VoiceSpec("none")
    if override:
        return parse(override)
    given = board.voice.get(locale) if isinstance(board.voice, dict) else board.voice
    if given:
        kind, sep, arg = given.partition(":")
        if sep and arg and not Path(arg).expanduser().is_absolute():
            arg = str(board.path.parent / arg)
        return parse(f"{kind}{sep}{arg}")
    return parse(DEFAULT_VOICE[locale])


def narration_overrides(board: Storyboard, raw: bool | dict[str, str] | None, locale: str) -> dict[str, Any]:
    """A job's ``narration`` field: {"off": True} when silenced, the entry's replace/append texts when it
    is rendered in the storyboard's own locale (they are written in it), else {} (the scene's own)."""
    if not board.narration or raw is False:
        return {"off": True}
    if not isinstance(raw, dict) or locale != board.locale:
        return {}
    overrides = Overrides.from_mapping(raw)  # the one reading of "beat" / "beat+"
    return {"replace": overrides.replace, "append": overrides.append}
