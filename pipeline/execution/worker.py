"""One worker process renders one job (Manim's config is process-global, so never two in one process).

Run as ``python -m pipeline.execution.worker`` with the job as JSON on stdin. Progress events go to stdout as
JSON lines; everything Manim prints goes to stderr, which the executor sends to the job's log file. The result
is built in a temporary directory inside the cache and renamed into place only when complete, with
``meta.json`` written last: an interrupted render leaves nothing a later run would trust.
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
from xml.etree import ElementTree

from common.fsutil import clone_or_copy, publish_dir, write_text_atomic
from pipeline.execution.chunks import ChunkRecorder
from pipeline.execution.clip_encoder import patch_clip_encoder
from pipeline.inputs.quality import QUALITIES
from pipeline.planning.jobs import BeatMeta, ClipMeta, FrameRecord, Job


class Events:
    """JSON-lines progress channel on the process's original stdout."""

    def __init__(self) -> None:
        self._out = os.fdopen(os.dup(1), "w", buffering=1)
        os.dup2(2, 1)  # anything else printed to stdout (Manim's console) lands in the log

    def emit(self, event: str, **data: Any) -> None:
        self._out.write(json.dumps({"event": event, **data}) + "\n")


def render(job: Job, events: Events) -> ClipMeta:
    from PIL import Image

    from scenes.engine import runner
    from scenes.engine.narration import Overrides

    # a LectureScene subclass, typed loosely: importing scenes.engine.base here would load Manim with this
    # module
    cls: Any = runner.load(job.scene_id, job.module)
    params = cls.Params.model_validate(job.params)

    tmp = tmp_dir(job)
    shutil.rmtree(tmp, ignore_errors=True)
    (tmp / "frames").mkdir(parents=True)
    frames: list[FrameRecord] = []
    # a chunk of a chunked entry renders a range of its animations (pipeline.execution.chunks)
    chunk = ChunkRecorder(job.chunk[0], job.chunk[1]) if job.chunk else None

    def save_frame(scene: Any, kind: str, index: int) -> None:
        if kind not in ("slide", "end") or (chunk and not chunk.owns(scene, kind)):
            return
        path = tmp / "frames" / f"{len(frames):02d}.png"
        Image.fromarray(scene.capture_frame()).convert("RGB").save(path)
        t = round(scene.renderer.time, 3)
        frames.append(FrameRecord(file=f"frames/{path.name}", kind=kind, time=t))  # type: ignore[arg-type]
        if chunk:
            chunk.pause(scene, kind, f"frames/{path.name}")

    plays = 0

    def on_play(scene: Any) -> None:
        nonlocal plays
        plays += 1
        events.emit("play", n=plays, t=round(scene.renderer.time, 2))

    patch_clip_encoder()
    t0 = time.perf_counter()
    # Compiled LaTeX and text SVGs are pure functions of their source, so they are shared between renders —
    # but only finished SVGs: each worker compiles in its own folders (two workers writing one .dvi race).
    shared = Path(job.cache_dir).parent
    svg_dirs = {"tex": tmp / "media" / "Tex", "texts": tmp / "media" / "texts"}
    for name, private in svg_dirs.items():
        copy_svgs(shared / name, private, drop_broken=True)
    voice_kind = job.voice.kind
    voice = None
    if voice_kind != "none":
        from pipeline.voice.voices import make_voice

        voice = make_voice(job.voice, tmp / "voice", job.name, job.locale)

    def prepare(scene: Any) -> None:
        scene.play_hooks.append(on_play)
        if chunk:
            chunk.attach(scene)

    scene, movie, size = runner.render(
        cls,
        params,
        job.locale,
        quality=QUALITIES[job.quality].manim,
        name=job.name,
        media_dir=tmp / "media",
        svg_dirs=(svg_dirs["tex"], svg_dirs["texts"]),
        output_folder=tmp / "slides",
        hooks=(save_frame,),
        voice=voice,
        narration=Overrides(**job.narration) if job.narration else None,
        config=chunk.config() if chunk else None,
        prepare=prepare,
    )
    # a chunk's speech is laid over the joined clip (pipeline.execution.chunks.join)
    if voice is None or chunk:
        os.replace(movie, tmp / "clip.mp4")
    else:  # every clip of a narrated video has a track (silent where no one speaks): stitching stays a copy
        from pipeline.voice.audio import lay_out, mux, video_duration

        segments = [(b.start, Path(b.audio)) for b in scene.beats if b.audio]
        lay_out(segments, video_duration(movie), tmp / "voice" / "track.wav")
        mux(movie, tmp / "voice" / "track.wav", tmp / "clip.mp4")
        shutil.rmtree(tmp / "voice", ignore_errors=True)
    for name, private in svg_dirs.items():
        copy_svgs(private, shared / name)
    shutil.rmtree(tmp / "media", ignore_errors=True)
    _relativise_slides(tmp / "slides", job.name)
    meta = ClipMeta(
        key=job.key,
        scene=job.scene_id,
        params=job.params,
        quality=job.quality,
        locale=job.locale,
        name=job.name,
        duration=round(float(scene.renderer.time), 6),
        resolution=(size[0], size[1]),
        fps=size[2],
        animations=plays,
        slides=len(frames) - 1 if frames else 0,
        frames=tuple(frames),
        shown=_jsonable(getattr(scene, "shown", {})),
        beats=tuple(
            BeatMeta(
                id=b.id,
                slide=b.slide,
                start=round(b.start, 6),
                end=round(b.end, 6),
                text=b.text,
                speech=round(b.speech, 6),
            )
            for b in scene.beats
        ),  # fmt: skip
        voice=voice_kind,
        missing_recordings=tuple(getattr(voice, "missing", ())),
        render_seconds=round(time.perf_counter() - t0, 3),
        peak_rss_mb=round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    )
    if chunk:
        chunk.finish(scene, tmp, meta)
        shutil.rmtree(tmp / "voice", ignore_errors=True)
    write_text_atomic(tmp / "meta.json", meta.model_dump_json(indent=2))
    publish_dir(tmp, job.entry_dir)
    return meta


def copy_svgs(src: Path, dest: Path, *, drop_broken: bool = False) -> None:
    """Copy the sound SVGs of ``src`` that ``dest`` lacks (or holds broken); each appears atomically.

    Copies, never hard links, in both directions: Manim may rewrite an SVG in its private folder in place,
    and a private file sharing the shared cache's inode would carry a half-written file into every later
    render (a 0-byte SVG once broke a scene for good). A file is trusted only once it parses;
    ``drop_broken`` removes a broken one from ``src`` (the shared cache), so a later render republishes it.
    """
    dest.mkdir(parents=True, exist_ok=True)
    for svg in src.glob("*.svg") if src.is_dir() else ():
        if not svg_ok(svg):
            if drop_broken:
                svg.unlink(missing_ok=True)
            continue
        target = dest / svg.name
        if not svg_ok(target):
            clone_or_copy(svg, target)


def svg_ok(path: Path) -> bool:
    """Whether ``path`` is a non-empty SVG document that parses (what a finished write leaves)."""
    try:
        if path.stat().st_size == 0:
            return False
        return ElementTree.parse(path).getroot().tag.endswith("svg")
    except (OSError, ElementTree.ParseError):
        return False


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
