"""One worker process renders one job (Manim's config is process-global, so never two in one process).

Run as ``python -m pipeline.execution.worker`` with the job as JSON on stdin. Progress events go to stdout as
JSON lines; everything Manim prints goes to stderr, which the executor sends to the job's log file. The result
is built in a temporary directory inside the cache and renamed into place only when complete, with
``meta.json`` written last: an interrupted render leaves nothing a later run would trust. Complete means
checked: ffprobe reads the clip whole, with its sound track when narrated, as long as the render was
(ffmpeg's mux can exit 0 on a full disk with the file's index unwritten); its size and sha256 go into
``meta.json`` for every later lookup to check.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import sys
import time
import traceback
from pathlib import Path
from typing import Any

from common.fsutil import publish_dir, write_text_atomic
from common.verified import BadMedia, check_video
from pipeline.execution.chunks import ChunkRecorder
from pipeline.execution.clip_encoder import patch_clip_encoder
from pipeline.execution.svgs import fetch_svgs, publish_svgs, shared_svg_dir
from pipeline.inputs.quality import QUALITIES
from pipeline.planning.jobs import ClipMeta, FrameRecord, Job


class Events:
    """JSON-lines progress channel on the process's original stdout."""

    def __init__(self) -> None:
        self._out = os.fdopen(os.dup(1), "w", buffering=1)
        os.dup2(2, 1)  # anything else printed to stdout (Manim's console) lands in the log

    def emit(self, event: str, **data: Any) -> None:
        self._out.write(json.dumps({"event": event, **data}) + "\n")


class Recorder:
    """A render's pause and play hooks: the pause frames it saves and the animations it counts."""

    def __init__(self, tmp: Path, events: Events, chunk: ChunkRecorder | None) -> None:
        self.tmp, self.events, self.chunk = tmp, events, chunk
        self.frames: list[FrameRecord] = []
        self.plays = 0
        (tmp / "frames").mkdir(parents=True)

    def pause(self, scene: Any, kind: str, index: int) -> None:
        from PIL import Image

        if kind not in ("slide", "end") or (self.chunk and not self.chunk.owns(scene, kind)):
            return
        file = f"frames/{len(self.frames):02d}.png"
        Image.fromarray(scene.capture_frame()).convert("RGB").save(self.tmp / file)
        t = round(scene.renderer.time, 3)
        self.frames.append(FrameRecord(file=file, kind=kind, time=t))  # type: ignore[arg-type]
        if self.chunk:
            self.chunk.pause(scene, kind, file)

    def play(self, scene: Any) -> None:
        self.plays += 1
        self.events.emit("play", n=self.plays, t=round(scene.renderer.time, 2))

    def attach(self, scene: Any) -> None:
        scene.play_hooks.append(self.play)
        if self.chunk:
            self.chunk.attach(scene)


def render(job: Job, events: Events) -> ClipMeta:
    """Render ``job`` into a temporary entry of the cache, then rename it into place; its metadata."""
    from scenes.engine import runner
    from scenes.engine.narration import Overrides

    # a LectureScene subclass, typed loosely: importing scenes.engine.base here would load Manim with this
    # module
    cls: Any = runner.load(job.scene_id, job.module)
    params = cls.Params.model_validate(job.params)
    tmp = tmp_dir(job)
    shutil.rmtree(tmp, ignore_errors=True)
    # a chunk of a chunked entry renders a range of its animations (pipeline.execution.chunks)
    chunk = ChunkRecorder(job.chunk[0], job.chunk[1]) if job.chunk else None
    rec = Recorder(tmp, events, chunk)
    patch_clip_encoder()
    t0 = time.perf_counter()
    shared = shared_svg_dir(Path(job.cache_dir))  # the SVGs every render shares (pipeline.execution.svgs)
    svg_dirs = {"tex": tmp / "media" / "Tex", "texts": tmp / "media" / "texts"}
    for name, private in svg_dirs.items():
        fetch_svgs(shared / name, private)
    voice = None
    if job.voice.kind != "none":
        from pipeline.voice.voices import make_voice

        voice = make_voice(job.voice, tmp / "voice", job.name, job.locale)
    scene, movie, size = runner.render(
        cls,
        params,
        job.locale,
        quality=QUALITIES[job.quality].manim,
        name=job.name,
        media_dir=tmp / "media",
        svg_dirs=(svg_dirs["tex"], svg_dirs["texts"]),
        output_folder=tmp / "slides",
        hooks=(rec.pause,),
        voice=voice,
        narration=Overrides(**job.narration) if job.narration else None,
        config=chunk.config() if chunk else None,
        prepare=rec.attach,
    )
    # a chunk's speech is laid over the joined clip (pipeline.execution.chunks.join)
    _clip(movie, scene.beats if voice is not None and not chunk else None, tmp)
    for name, private in svg_dirs.items():
        publish_svgs(private, shared / name)
    shutil.rmtree(tmp / "media", ignore_errors=True)
    _relativise_slides(tmp / "slides", job.name)
    meta = ClipMeta.of(
        job,
        tmp / "clip.mp4",
        duration=round(float(scene.renderer.time), 6),
        resolution=(size[0], size[1]),
        fps=size[2],
        animations=rec.plays,
        slides=len(rec.frames) - 1 if rec.frames else 0,
        frames=tuple(rec.frames),
        shown=_jsonable(getattr(scene, "shown", {})),
        beats=tuple(b.settled() for b in scene.beats),
        voice=job.voice.kind,
        missing_recordings=tuple(getattr(voice, "missing", ())),
        render_seconds=round(time.perf_counter() - t0, 3),
        peak_rss_mb=round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    )
    # a chunk's clip is its range of the scene: as long as the whole render's clock ran over that range
    length = chunk.finish(scene, tmp, meta).length if chunk else meta.duration
    _check_clip(tmp / "clip.mp4", length, voiced=voice is not None and not chunk)
    shutil.rmtree(tmp / "voice", ignore_errors=True)
    write_text_atomic(tmp / "meta.json", meta.model_dump_json(indent=2))
    publish_dir(tmp, job.entry_dir)
    return meta


def _check_clip(clip: Path, length: float, voiced: bool) -> None:
    """Raise :class:`BadMedia` (one line) unless ffprobe reads ``clip`` whole, ``length`` seconds long and
    with a sound track if ``voiced``: what is not is never renamed into the cache."""
    try:
        check_video(clip, length, audio=True if voiced else None)
    except BadMedia as e:
        raise BadMedia(f"the rendered clip is damaged and was not cached: {e}") from None


def _clip(movie: Path, beats: list[Any] | None, tmp: Path) -> None:
    """``tmp/clip.mp4``: the movie as it is (no voice, or a chunk), or with the speech of ``beats`` laid over
    it — every clip of a narrated video has a track (silent where no one speaks): stitching stays a copy."""
    if beats is None:
        os.replace(movie, tmp / "clip.mp4")
        return
    from pipeline.voice.audio import lay_out, mux, video_duration

    segments = [(b.start, Path(b.audio)) for b in beats if b.audio]
    lay_out(segments, video_duration(movie), tmp / "voice" / "track.wav")
    mux(movie, tmp / "voice" / "track.wav", tmp / "clip.mp4")


def _relativise_slides(folder: Path, name: str) -> None:
    """Make the slide config's file paths relative to the slides folder, so the entry can move."""
    cfg = folder / f"{name}.json"
    if not cfg.is_file():
        return
    data = json.loads(cfg.read_text(encoding="utf-8"))
    for slide in data.get("slides", []):
        for k in ("file", "rev_file"):
            if k in slide:
                slide[k] = (
                    str(Path(slide[k]).relative_to(folder)) if Path(slide[k]).is_absolute() else slide[k]
                )
    cfg.write_text(json.dumps(data, indent=2), encoding="utf-8")


def _jsonable(x: Any) -> Any:
    try:
        import numpy as np

        if isinstance(x, np.ndarray):
            return x.tolist()
        if isinstance(x, np.generic):
            return x.item()
    except ImportError:  # pragma: no cover
        pass
    if isinstance(x, dict):
        return {str(k): _jsonable(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_jsonable(v) for v in x]
    return x


def tmp_dir(job: Job) -> Path:
    """Where this process builds the entry (the pid lets a later run sweep it if the process died)."""
    return Path(job.cache_dir) / f".tmp-{job.key}-{os.getpid()}"


def main() -> int:
    events = Events()
    job = Job.from_json(sys.stdin.read())
    sys.path.extend(p for p in job.import_path if p not in sys.path)  # a plugin's folder, after ours
    events.emit("start", pid=os.getpid())
    try:
        meta = render(job, events)
    except BaseException as e:
        traceback.print_exc()
        shutil.rmtree(tmp_dir(job), ignore_errors=True)
        events.emit("error", message=f"{type(e).__name__}: {e}"[:500])
        return 1
    events.emit("done", meta=meta.model_dump(mode="json"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
