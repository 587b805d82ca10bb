"""One long entry split across workers by animation ranges, and the chunks joined back into its clip.

A storyboard entry with ``chunks: N`` renders as N jobs. Chunk ``i`` renders Manim animations
``[first_i, first_{i+1})`` (``config.from_animation_number`` / ``upto_animation_number``, what
``manim -n START,END`` sets; the last chunk runs to the end): each runs ``construct()`` from the start,
skipping the animations before its range (their end states are computed, no frame is drawn) and stopping
at its end. Every ``wait`` is an animation in Manim's count, so a narrated beat's hold is one too.

Why the join is seam-exact: a Manim movie is the concatenation of one partial movie per animation, and a
chunk's movie is the concatenation of exactly the partial movies of its range, so stream-copying the
chunks one after another gives the same frames as a single-process render (the tests decode both to raw
RGB and compare the frames at each seam byte for byte, and count frames).

What must not be chunked naively, and how it is handled here:

- **Times.** While skipping, Manim advances ``renderer.time`` by each animation's exact ``run_time``; while
  rendering, by whole frames. A chunk's clock is therefore wrong by a fraction of a frame per skipped
  animation. Every event of a scene (a beat's start and end, a pause) falls on an animation boundary
  ``n`` (the number of animations played so far), so each chunk records the time of each boundary in its
  range *relative to its first*, and the join adds the preceding chunks' lengths: the times of a
  single-process render.
- **Narration.** Audio is laid out per beat over the *whole* clip after the chunks' videos are joined
  (a chunk carries the speech files of the beats that end in it). Each chunk synthesises every beat it
  passes, because a beat's length (and so the animation count) depends on its speech.
- **Slides.** manim-slides' own export assumes one process saw every animation; a chunk instead writes,
  for every slide, the concatenation of its partial movies inside the chunk, and the join concatenates a
  slide's pieces (stream copy, as manim-slides does). The last chunk writes the deck's JSON.
- **Pause frames** are captured by the chunk that renders the animation just before the pause.
- **Damage.** Each chunk's clip is checked before it is cached (ffprobe reads it whole, as long as its
  range: :attr:`ChunkMeta.length`) and recorded with its size and sha256 like any clip; :func:`have_chunk`
  uses a cached chunk only if it still matches them, and the joined clip is checked before it is cached.
- **Random state.** Each chunk runs ``construct()`` from the top in a fresh process, so the scene draws the
  same random numbers in the same order as a whole render; scenes must not use unseeded randomness
  (they do not: a clip must be reproducible for the cache anyway).

This module is imported by the worker, so its source is part of every clip's cache key.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from common.fsutil import publish_dir, write_text_atomic
from common.verified import BadMedia, check_video, run_ffmpeg
from pipeline.planning.jobs import ClipMeta, FrameRecord, Job
from scenes.engine.narration import BeatRecord


def ranges(total: int, n: int) -> list[tuple[int, int]]:
    """``n`` contiguous animation ranges covering ``0..total`` as evenly as counts allow; the last one's end
    is -1 (to the end: a count that is off by one still renders every animation)."""
    n = max(1, min(n, total))
    cuts = [round(i * total / n) for i in range(n)] + [-1]
    return list(zip(cuts[:-1], cuts[1:], strict=True))


def chunk_key(entry_key: str, first: int, end: int, count: int) -> str:
    """A chunk's cache key: the entry's key and its range (a different split is a different chunk)."""
    return hashlib.sha256(f"{entry_key}:{first}:{end}:{count}".encode()).hexdigest()[:32]


# --- what a chunk records (worker side) ----------------------------------------------------------------


class PauseRecord(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    file: str  # frames/NN.png in the chunk entry
    kind: Literal["slide", "end"]
    n: int  # animations played before it


class ChunkMeta(BaseModel):
    """``chunk.json`` of a chunk's cache entry (its ``meta.json`` is an ordinary ClipMeta of the piece)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    first: int
    end: int  # animations played when it stopped (the total, for the last chunk)
    last: bool
    times: dict[int, float]  # animation boundary n → seconds after boundary ``first``, for first ≤ n ≤ end
    pauses: tuple[PauseRecord, ...]
    # the beats that end in this chunk, their audio copied into the entry (audio/NNN.<ext>), and the animation
    # boundaries each starts and ends on (q, p): the join re-times them on the whole render's clock
    beats: tuple[BeatRecord, ...]
    beat_plays: tuple[tuple[int, int], ...]
    slide_pieces: tuple[int, ...]  # slides with a piece in this chunk (slides/NNN.mp4)
    deck: dict[str, Any] | None = None  # the last chunk: the deck's JSON (file names as the join writes them)
    shown: dict[str, Any] = {}
    voice: str = "none"
    missing_recordings: tuple[str, ...] = ()
    resolution: tuple[int, int]
    fps: float
    render_seconds: float
    peak_rss_mb: float

    @property
    def length(self) -> float:
        """Seconds of video this chunk rendered: the whole render's clock over its range."""
        return self.times[self.end] - self.times.get(self.first, 0.0)


@dataclass
class ChunkRecorder:
    """Hooks into a scene rendered with an animation range; see the module docstring."""

    first: int
    upto: int  # the range's end (exclusive), -1: to the end
    times: dict[int, float] = field(default_factory=dict)
    pauses: list[PauseRecord] = field(default_factory=list)
    beat_plays: list[tuple[int, int]] = field(default_factory=list)
    slide_pieces: list[int] = field(default_factory=list)

    @property
    def last(self) -> bool:
        return self.upto < 0

    def config(self) -> dict[str, Any]:
        """Manim's range settings: ``-n first,upto-1`` (both ends inclusive in Manim)."""
        return {
            "from_animation_number": self.first,
            "upto_animation_number": self.upto - 1 if self.upto >= 0 else -1,
        }

    def attach(self, scene: Any) -> None:
        self.times[0] = 0.0
        scene.play_hooks.append(
            lambda s: self.times.__setitem__(s.renderer.num_plays, float(s.renderer.time))
        )
        inner = scene.beat

        @contextmanager
        def beat(beat_id: str, **fields: Any) -> Iterator[str]:
            q = scene.renderer.num_plays
            with inner(beat_id, **fields) as text:
                yield text
            self.beat_plays.append((q, scene.renderer.num_plays))  # after the beat's hold: its end

        scene.beat = beat
        scene._save_slides = lambda *a, **k: self._save_pieces(scene)

    def owns(self, scene: Any, kind: str) -> bool:
        """Whether this chunk captures the pause now happening: the one that rendered the animation before it
        (the first chunk also takes a pause before any animation); the end pause only in the last chunk."""
        n = scene.renderer.num_plays
        if kind == "end":
            return self.last
        return bool(self.first < n or n == self.first == 0)

    def pause(self, scene: Any, kind: str, file: str) -> None:
        self.pauses.append(PauseRecord(file=file, kind=kind, n=scene.renderer.num_plays))  # type: ignore[arg-type]

    def _save_pieces(self, scene: Any) -> None:
        """Instead of manim-slides' export: each slide's partial movies inside this chunk, concatenated."""
        from manim_slides.utils import concatenate_video_files

        scene._add_last_slide()
        files = scene.renderer.file_writer.partial_movie_files
        out = scene._output_folder
        out.mkdir(parents=True, exist_ok=True)
        for k, pre in enumerate(scene._slides):
            piece = [Path(f) for f in files[pre.start_animation : pre.end_animation] if f]
            if piece and not pre.skip_animations:
                concatenate_video_files(piece, out / f"{k:03d}.mp4")
                self.slide_pieces.append(k)
        if self.last:
            self.deck = _deck(scene, str(scene))

    deck: dict[str, Any] | None = None

    def finish(self, scene: Any, tmp: Path, meta: ClipMeta) -> ChunkMeta:
        """Write ``chunk.json`` (and the speech files of the beats that end here) into the entry folder."""
        end = scene.renderer.num_plays
        base = self.times.get(self.first, 0.0)
        times = {n: t - base for n, t in self.times.items() if self.first <= n <= end}
        beats: list[BeatRecord] = []
        plays: list[tuple[int, int]] = []
        (tmp / "audio").mkdir(exist_ok=True)
        for b, (q, p) in zip(scene.beats, self.beat_plays, strict=True):
            if not (self.first < p <= end or p == self.first == 0):
                continue  # another chunk ends this beat (and has its times)
            audio = None
            if b.audio:
                audio = f"audio/{len(beats):03d}{Path(b.audio).suffix}"
                shutil.copyfile(b.audio, tmp / audio)
            beats.append(b.model_copy(update={"audio": audio}))
            plays.append((q, p))
        chunk = ChunkMeta(
            first=self.first,
            end=end,
            last=self.last,
            times=times,
            pauses=tuple(self.pauses),
            beats=tuple(beats),
            beat_plays=tuple(plays),
            slide_pieces=tuple(self.slide_pieces),
            deck=self.deck,
            shown=meta.shown if self.last else {},
            voice=meta.voice,
            missing_recordings=meta.missing_recordings,
            resolution=meta.resolution,
            fps=meta.fps,
            render_seconds=meta.render_seconds,
            peak_rss_mb=meta.peak_rss_mb,
        )
        write_text_atomic(tmp / "chunk.json", chunk.model_dump_json(indent=1))
        return chunk


def _deck(scene: Any, name: str) -> dict[str, Any]:
    """The deck JSON manim-slides would write for the whole scene (``PresentationConfig``: its slides'
    options, resolution and background), its slide files named as the join will write them."""
    slides = []
    for k, pre in enumerate(scene._slides):
        if pre.skip_animations:
            continue
        options = pre.model_dump(mode="json", exclude={"start_animation", "end_animation"})
        file = f"files/{name}/slide{k:03d}.mp4"
        slides.append({**options, "file": file, "rev_file": file})  # decks play forwards: no reversed copy
    return {
        "slides": slides,
        "resolution": list(scene._resolution),
        "background_color": str(scene._background_color).lower(),  # as manim-slides writes it
    }


# --- the join (client side) -------------------------------------------------------------------------------


def have_chunk(job: Job) -> bool:
    """Whether the cache holds this chunk whole (``meta.json`` is written last, as for any clip) and its
    clip is still the one its worker wrote (size and sha256 of its ``meta.json``). Always hashed: a chunk
    is looked at only when its entry is about to be joined, which reads every chunk anyway."""
    entry = job.entry_dir
    if not all((entry / f).is_file() for f in ("clip.mp4", "chunk.json", "meta.json")):
        return False
    try:
        meta = ClipMeta.model_validate_json((entry / "meta.json").read_bytes())
    except (OSError, ValueError):
        return False
    return meta.check_clip(entry / "clip.mp4")[0] is None


def join(job: Job, pieces: list[Path]) -> ClipMeta:
    """Join the chunk entries ``pieces`` (in order) into ``job``'s cache entry, as one render would have
    made it (video, speech track, pause frames, deck pieces, beats); return its metadata."""
    chunks = [ChunkMeta.model_validate_json((p / "chunk.json").read_bytes()) for p in pieces]
    if not chunks[-1].last or any(a.end != b.first for a, b in zip(chunks, chunks[1:], strict=False)):
        raise ValueError(f"{job.name}: the chunks do not cover the scene end to end")
    # the whole render's clock at every animation boundary: earlier chunks' lengths + the chunk's own time
    at: dict[int, float] = {}
    offset = 0.0
    for c in chunks:
        for n, t in c.times.items():
            at.setdefault(n, offset + t)
        offset += c.times[c.end]
    tmp = Path(job.cache_dir) / f".tmp-{job.key}-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    (tmp / "frames").mkdir(parents=True)
    try:
        video = tmp / "video.mp4"
        concat([p / "clip.mp4" for p in pieces], video, offset)
        frames: list[FrameRecord] = []
        for p, c in zip(pieces, chunks, strict=True):
            for pause in c.pauses:
                dest = f"frames/{len(frames):02d}.png"
                shutil.copyfile(p / pause.file, tmp / dest)
                frames.append(FrameRecord(file=dest, kind=pause.kind, time=round(at[pause.n], 3)))
        beats = [
            (p, b, qp)
            for p, c in zip(pieces, chunks, strict=True)
            for b, qp in zip(c.beats, c.beat_plays, strict=True)
        ]
        voice = chunks[-1].voice
        if voice == "none":
            os.replace(video, tmp / "clip.mp4")
        else:  # the speech laid over the joined video, as the worker lays it over a whole one
            from pipeline.voice.audio import lay_out, mux, video_duration

            segments = [(at[q], p / b.audio) for p, b, (q, _) in beats if b.audio]
            lay_out(segments, video_duration(video), tmp / "track.wav")
            mux(video, tmp / "track.wav", tmp / "clip.mp4")
            (tmp / "track.wav").unlink()
            video.unlink()
        deck = chunks[-1].deck
        if deck is not None:
            _join_deck(job.name, deck, pieces, chunks, tmp / "slides")
        last = chunks[-1]
        missing = tuple(dict.fromkeys(m for c in chunks for m in c.missing_recordings))
        try:  # before the rename into the cache, as for a clip rendered whole (pipeline.execution.worker)
            check_video(tmp / "clip.mp4", offset, audio=True if voice != "none" else None)
        except BadMedia as e:
            raise BadMedia(f"the joined clip is damaged and was not cached: {e}") from None
        meta = ClipMeta.of(
            job,
            tmp / "clip.mp4",
            duration=round(at[last.end], 6),
            resolution=last.resolution,
            fps=last.fps,
            animations=last.end,
            slides=sum(1 for f in frames if f.kind == "slide"),
            frames=tuple(frames),
            shown=last.shown,
            beats=tuple(b.settled(at[q], at[p]) for _, b, (q, p) in beats),
            voice=voice,
            missing_recordings=missing,
            render_seconds=round(sum(c.render_seconds for c in chunks), 3),
            peak_rss_mb=max(c.peak_rss_mb for c in chunks),
        )
        write_text_atomic(tmp / "meta.json", meta.model_dump_json(indent=2))
        publish_dir(tmp, job.entry_dir)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return meta


def _join_deck(
    name: str, deck: dict[str, Any], pieces: list[Path], chunks: list[ChunkMeta], dest: Path
) -> None:
    from manim_slides.utils import concatenate_video_files

    files = dest / "files" / name
    files.mkdir(parents=True)
    for slide in deck["slides"]:
        k = int(Path(slide["file"]).stem.removeprefix("slide"))
        slide["file"] = slide["rev_file"] = (
            f"files/{name}/slide{k:03d}.mp4"  # the entry's name, not the chunk's
        )
        parts = [
            p / "slides" / f"{k:03d}.mp4" for p, c in zip(pieces, chunks, strict=True) if k in c.slide_pieces
        ]
        concatenate_video_files(parts, files / f"slide{k:03d}.mp4")
    write_text_atomic(dest / f"{name}.json", _json(deck))


def _json(data: Any) -> str:
    import json

    return json.dumps(data, indent=2)


def concat(clips: list[Path], dest: Path, duration: float) -> None:
    """Stream-copy ``clips`` one after another into ``dest`` (the concat demuxer: packets are not touched),
    which must then read whole and last ``duration`` seconds (:class:`BadMedia` if not)."""
    with tempfile.NamedTemporaryFile("w", suffix=".txt", dir=dest.parent, delete=False) as lst:
        lst.write(
            "".join(
                f"file '{str(c.resolve()).replace(chr(39), chr(39) + chr(92) + chr(39) * 2)}'\n"
                for c in clips
            )
        )
    try:
        args = ["ffmpeg", "-y", "-v", "error", "-f", "concat", "-safe", "0", "-i", lst.name, "-map", "0:v",
                "-c", "copy", "-movflags", "+faststart", str(dest)]  # fmt: skip
        run_ffmpeg(args)  # a failure also when it exits 0 but could not write (a full disk)
        check_video(dest, duration)
    finally:
        os.unlink(lst.name)
