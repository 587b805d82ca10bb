"""Storyboard → plan: one job per entry, each with its cache key and whether the cache already has it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from pipeline.cache import ClipCache, cache_key
from pipeline.jobs import Job
from pipeline.storyboard import Storyboard


@dataclass(frozen=True)
class Settings:
    output_dir: Path
    cache_dir: Path
    slides_dir: Path
    quality: str
    locale: str


@dataclass(frozen=True)
class PlannedEntry:
    job: Job
    cached: dict | None  # the cache entry's meta when it exists

    @property
    def status(self) -> str:
        return "cached" if self.cached is not None else "render"


def entry_name(index: int, scene_id: str) -> str:
    return f"e{index + 1:02d}_" + re.sub(r"[^a-z0-9]+", "_", scene_id.lower()).strip("_")


def make_plan(
    board: Storyboard, settings: Settings, only: set[int] | None = None, use_cache: bool = True
) -> list[PlannedEntry]:
    """The jobs for ``board`` (all entries, or the indices in ``only``)."""
    cache = ClipCache(settings.cache_dir)
    logs = settings.output_dir / board.name / "logs"
    plan = []
    for e in board.entries:
        if only is not None and e.index not in only:
            continue
        spec = e.spec
        params = e.params.model_dump(mode="json")
        key, _ = cache_key(spec.module, e.scene, params, settings.quality, settings.locale)
        name = entry_name(e.index, e.scene)
        job = Job(
            index=e.index,
            scene_id=e.scene,
            module=spec.module,
            params=params,
            quality=settings.quality,
            locale=settings.locale,
            chapter=e.chapter,
            key=key,
            name=name,
            cache_dir=str(settings.cache_dir),
            log_path=str(logs / f"{name}.log"),
        )
        plan.append(PlannedEntry(job, cache.lookup(key) if use_cache else None))
    return plan
