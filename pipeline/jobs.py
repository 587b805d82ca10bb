"""A job is a small value: everything a worker process needs to render one storyboard entry."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Job:
    index: int
    scene_id: str
    module: str  # the module that registers the scene (imported by the worker)
    params: dict[str, Any]
    quality: str  # low | medium | high | 4k
    locale: str
    chapter: str
    key: str  # cache key
    name: str  # unique per entry: names the clip and the slides (e.g. "e03_mamba_discretization")
    cache_dir: str
    log_path: str

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Job:
        return cls(**json.loads(text))

    @property
    def entry_dir(self) -> Path:
        return Path(self.cache_dir) / self.key
