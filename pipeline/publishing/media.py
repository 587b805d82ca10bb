"""ffprobe and ffmpeg, called with plain argument lists through ``subprocess``.

Why not a wrapper library: ffmpeg-python is unmaintained since 2019 and pulls in ``future``
(CVE-2025-50817, broken on Python 3.12+); typed-ffmpeg would be its typed successor, but the two commands
we need (probe, concat) are clearer as argument lists, and this adds no dependency to pin.

The concat demuxer does not fail on clips whose codec, resolution, frame rate, time base, pixel format
or audio differ — it silently writes a broken file — so every clip is probed first and stream copy is
used only when all of them match; otherwise the clips are re-encoded to one format.

ffmpeg can exit 0 without having written its output whole (a full disk while it writes the MP4's index:
"Error writing trailer"), so what it wrote is checked before it is renamed into place
(:mod:`common.verified`): its stderr, then ffprobe — the file parses, has a video stream, a sound track if
any clip has one, and lasts the sum of the clips. The stitched video's size and sha256 go into the
manifest (:attr:`Stitched.record`), so a later run re-stitches a video damaged since (:func:`intact`).
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from common.fsutil import atomic_path, file_sha256
from common.verified import FRAMES_SLACK, BadMedia, check_file, check_video, identity, run_ffmpeg


class MediaError(RuntimeError):
    pass


@dataclass(frozen=True)
class ClipInfo:
    path: Path
    codec: str
    width: int
    height: int
    fps: str  # r_frame_rate, e.g. "15/1"
    time_base: str
    pix_fmt: str
    has_audio: bool
    duration: float

    @property
    def signature(self) -> tuple[object, ...]:
        """What must match for the concat demuxer to copy streams safely."""
        return (self.codec, self.width, self.height, self.fps, self.time_base, self.pix_fmt, self.has_audio)


def _run(args: list[str]) -> str:
    """Run ffmpeg or ffprobe: its stdout, or :class:`MediaError` if it failed — also when it exited 0 but
    says it could not write its output (a full disk: "Error writing trailer … No space left on device")."""
    try:
        return run_ffmpeg(args).stdout
    except BadMedia as e:
        raise MediaError(str(e)) from None


def probe(path: Path) -> ClipInfo:
    out = _run(["ffprobe", "-v", "error", "-show_streams", "-show_format", "-of", "json", str(path)])
    data = json.loads(out)
    video = [s for s in data.get("streams", []) if s.get("codec_type") == "video"]
    if not video:
        raise MediaError(f"{path}: no video stream")
    v = video[0]
    try:
        return ClipInfo(
            path=Path(path),
            codec=v["codec_name"],
            width=int(v["width"]),
            height=int(v["height"]),
            fps=v["r_frame_rate"],
            time_base=v["time_base"],
            pix_fmt=v.get("pix_fmt", ""),
            has_audio=any(s.get("codec_type") == "audio" for s in data["streams"]),
            duration=float(data["format"]["duration"]),
        )
    except (KeyError, ValueError, TypeError):  # a damaged index: no size, no duration
        raise MediaError(f"{path}: ffprobe cannot read its video stream or duration") from None


def frame_count(path: Path) -> int:
    """The number of video frames in ``path``, counted by decoding (``ffprobe -count_frames``): exact,
    where a duration in seconds would hide a frame dropped or doubled at a join."""
    out = _run(
        [
            "ffprobe",
            "-v",
            "error",
            "-count_frames",
            "-select_streams",
            "v:0",
            "-show_entries",
            "stream=nb_read_frames",
            "-of",
            "csv=p=0",
            str(path),
        ]
    )
    return int(out.strip().splitlines()[0])


def raw_rgb(path: Path) -> bytes:
    """Every video frame of ``path`` decoded to raw RGB24, one after another (width × height × 3 bytes a
    frame): what a viewer sees, compared byte for byte (a join's seams, a chunked render vs a whole one)."""
    args = [
        "ffmpeg",
        "-v",
        "error",
        "-i",
        str(path),
        "-map",
        "0:v",
        "-f",
        "rawvideo",
        "-pix_fmt",
        "rgb24",
        "-",
    ]
    return subprocess.run(args, capture_output=True, check=True).stdout


def _ffmetadata(title: str, chapters: list[tuple[str, float, float]]) -> str:
    def esc(s: str) -> str:
        return "".join("\\" + c if c in "=;#\\\n" else c for c in s)

    lines = [";FFMETADATA1", f"title={esc(title)}"]
    for name, start, end in chapters:
        lines += [
            "[CHAPTER]",
            "TIMEBASE=1/1000",
            f"START={round(start * 1000)}",
            f"END={round(end * 1000)}",
            f"title={esc(name)}",
        ]
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class Stitched:
    method: Literal["copy", "reencode"]  # stream copy when every clip matches, else one re-encode
    starts: list[float]  # where each clip starts in the video, seconds
    duration: float
    record: dict[str, Any]  # the video's size, sha256 and identity, for the manifest (see :func:`intact`)


def record(path: Path) -> dict[str, Any]:
    """``path``'s size, sha256 and identity (:func:`common.verified.identity`), as the manifest keeps them."""
    ident = identity(path)  # before reading: a write while hashing makes the next run hash it again
    return {"bytes": ident[2], "sha256": file_sha256(path), "identity": ident}


def intact(path: Path, recorded: Any) -> dict[str, Any] | None:
    """Whether ``path`` is still the file ``recorded`` (a :func:`record`, from a manifest) describes: its
    record, with a new identity when the same bytes moved (a copy, a restore); None when it is missing,
    damaged or changed, or ``recorded`` is not a record (a manifest of an older version). A ``stat``
    when nothing happened to it; a hash of it otherwise."""
    if not isinstance(recorded, dict):
        return None
    size, digest, known = recorded.get("bytes"), recorded.get("sha256"), recorded.get("identity")
    if not (isinstance(size, int) and isinstance(digest, str) and (known is None or isinstance(known, list))):
        return None
    problem, now = check_file(path, size, digest, known)
    return None if problem or now is None else {"bytes": size, "sha256": digest, "identity": now}


def stitch(clips: list[Path], dest: Path, title: str, chapter_names: list[str]) -> Stitched:
    """Concatenate ``clips`` into ``dest`` with chapter markers; return how it was done. ``dest`` is
    replaced only by a video that ffprobe reads whole, with the clips' streams and their total length;
    otherwise :class:`MediaError` and ``dest`` is left as it was."""
    infos = [probe(c) for c in clips]
    starts, t = [], 0.0
    for info in infos:
        starts.append(t)
        t += info.duration
    chapters = [(n, s, s + i.duration) for n, s, i in zip(chapter_names, starts, infos, strict=True)]
    same = len({i.signature for i in infos}) == 1
    dest.parent.mkdir(parents=True, exist_ok=True)
    stitch_dir = f".stitch-{os.getpid()}-"  # the pid: a later run sweeps it if this process was killed
    with tempfile.TemporaryDirectory(prefix=stitch_dir, dir=dest.parent) as work, atomic_path(dest) as tmp:
        meta, lst = Path(work) / "chapters.ffmeta", Path(work) / "clips.txt"
        meta.write_text(_ffmetadata(title, chapters), encoding="utf-8")
        if same:
            lst.write_text("".join(f"file '{_quote(c.resolve())}'\n" for c in clips), encoding="utf-8")
            _run(
                [
                    "ffmpeg",
                    "-y",
                    "-v",
                    "error",
                    "-f",
                    "concat",
                    "-safe",
                    "0",
                    "-i",
                    str(lst),
                    "-i",
                    str(meta),
                    "-map",
                    "0",
                    "-map_metadata",
                    "1",
                    "-map_chapters",
                    "1",
                    "-c",
                    "copy",
                    "-movflags",
                    "+faststart",
                    "-f",
                    "mp4",
                    str(tmp),
                ]
            )
        else:
            _reencode(infos, meta, tmp)
        try:  # before the rename: a video ffmpeg did not finish must never replace the last good one
            # a re-encode to one frame rate rounds each clip to whole frames: a frame more per clip
            frames = FRAMES_SLACK + (0 if same else len(infos))
            check_video(tmp, t, audio=any(i.has_audio for i in infos), frames=frames)
        except BadMedia as e:
            why = str(e).replace(f"file:{tmp.absolute()}", dest.name).replace(str(tmp), dest.name)
            raise MediaError(f"the stitched video is damaged: {why}") from None
    return Stitched("copy" if same else "reencode", starts, t, record(dest))


def _quote(p: Path) -> str:
    return str(p).replace("'", "'\\''")


def _reencode(infos: list[ClipInfo], meta: Path, tmp: Path) -> None:
    """Normalise every clip to the first one's size and frame rate, with a silent track where missing."""
    w, h, fps = infos[0].width, infos[0].height, infos[0].fps
    any_audio = any(i.has_audio for i in infos)
    args = ["ffmpeg", "-y", "-v", "error"]
    for i in infos:
        args += ["-i", str(i.path)]
    n = len(infos)
    args += ["-i", str(meta)]
    filters, labels = [], []
    for k, i in enumerate(infos):
        filters.append(
            f"[{k}:v]scale={w}:{h}:force_original_aspect_ratio=decrease,"
            f"pad={w}:{h}:(ow-iw)/2:(oh-ih)/2,fps={fps},format=yuv420p,setsar=1[v{k}]"
        )
        labels.append(f"[v{k}]")
        if any_audio:
            if i.has_audio:
                filters.append(f"[{k}:a]aresample=48000,aformat=channel_layouts=stereo[a{k}]")
            else:
                filters.append(f"anullsrc=r=48000:cl=stereo,atrim=0:{i.duration:.6f}[a{k}]")
            labels.append(f"[a{k}]")
    filters.append(
        f"{''.join(labels)}concat=n={n}:v=1:a={1 if any_audio else 0}[v]" + ("[a]" if any_audio else "")
    )
    args += ["-filter_complex", ";".join(filters), "-map", "[v]"]
    if any_audio:
        args += ["-map", "[a]", "-c:a", "aac"]
    args += [
        "-map_metadata",
        str(n),
        "-map_chapters",
        str(n),
        "-c:v",
        "libx264",
        "-pix_fmt",
        "yuv420p",
        "-crf",
        "18",
        "-movflags",
        "+faststart",
        "-f",
        "mp4",
        str(tmp),
    ]
    _run(args)
