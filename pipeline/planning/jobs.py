"""What a worker gets and what it gives back: a :class:`Job` in, a :class:`ClipMeta` out.

Both are small values that cross a process boundary as JSON. This module is part of every clip's cache
key (the worker imports it), so it holds only what shapes a render: the job and the clip
metadata — nothing that merely orchestrates or reports.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from common.fsutil import file_sha256
from common.verified import check_file
from pipeline.inputs.quality import Quality
from pipeline.voice.resolved import NO_VOICE, ResolvedVoice
from scenes.engine.narration import BeatRecord


@dataclass(frozen=True)
class Job:
    """Everything one worker process needs to render one storyboard entry."""

    index: int
    scene_id: str
    module: str  # the scene module (imported by the worker; it registers the scene class)
    params: dict[str, Any]
    quality: Quality
    locale: str
    chapter: str
    key: str  # cache key
    name: str  # unique per entry: names the clip and the slides (e.g. "e03_mamba_discretization")
    cache_dir: str
    log_path: str
    import_path: tuple[str, ...] = ()  # folders appended to sys.path first (a storyboard's plugins)
    voice: ResolvedVoice = NO_VOICE  # resolved once, at planning
    # the storyboard's narration overrides ({"off": bool, "replace": {beat: text}, "append": {beat: text}})
    narration: dict[str, Any] = field(default_factory=dict)
    # a chunk of a chunked entry: (first, end) of its range of Manim animations, end -1 to the scene's end
    chunk: tuple[int, ...] = ()

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Job:
        data = json.loads(text)
        return cls(
            **{
                **data,
                "import_path": tuple(data.get("import_path", ())),
                "chunk": tuple(data.get("chunk", ())),
                "voice": ResolvedVoice.from_dict(data.get("voice", {})),
            }
        )

    @property
    def entry_dir(self) -> Path:
        return Path(self.cache_dir) / self.key


class FrameRecord(BaseModel):
    """One saved pause frame of a clip."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    file: str  # relative to the cache entry, e.g. "frames/03.png"
    kind: Literal["slide", "end"]
    time: float  # seconds into the clip


class ClipMeta(BaseModel):
    """A rendered entry's metadata: written last into its cache entry (``meta.json``), so its presence
    means the entry is complete. Read back on every cached run, which uses the clip only if it still has
    the size and sha256 recorded here (:meth:`check_clip`): a clip truncated or changed since is
    rendered again."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    key: str
    scene: str
    params: dict[str, Any]
    quality: Quality
    locale: str
    name: str
    duration: float  # seconds of video
    resolution: tuple[int, int]
    fps: float
    animations: int
    slides: int  # next_slide() pauses
    frames: tuple[FrameRecord, ...]
    shown: dict[str, Any]  # the values the scene drew (scene.shown), for tests and review
    beats: tuple[BeatRecord, ...] = ()  # without their audio files (BeatRecord.settled)
    voice: str = "none"  # the voice kind; every clip of a narrated video carries an audio track
    missing_recordings: tuple[str, ...] = ()  # recorded voice: beat ids with no file (silence instead)
    render_seconds: float
    peak_rss_mb: float
    # clip.mp4 as it was written (ClipMeta.of); None (metadata made by hand): the clip is never trusted
    clip_bytes: int | None = None
    clip_sha256: str | None = None

    @classmethod
    def of(cls, job: Job, clip: Path, **fields: Any) -> ClipMeta:
        """The metadata of ``job``'s clip: what the job says (key, scene, params, quality, locale, name),
        the finished ``clip``'s size and sha256, and what the render measured (``fields``)."""
        return cls(
            key=job.key,
            scene=job.scene_id,
            params=job.params,
            quality=job.quality,
            locale=job.locale,
            name=job.name,
            clip_bytes=clip.stat().st_size,
            clip_sha256=file_sha256(clip),
            **fields,
        )

    def check_clip(self, clip: Path, known: list[int] | None = None) -> tuple[str | None, list[int] | None]:
        """Whether ``clip`` is still the file this metadata recorded: (why not, None), or (None, the identity
        it was verified under); ``known``: an identity it was verified under before, so that an unchanged
        file is not hashed again (:func:`common.verified.check_file`)."""
        if self.clip_bytes is None or self.clip_sha256 is None:
            return "no size and sha256 recorded", None
        return check_file(clip, self.clip_bytes, self.clip_sha256, known)
