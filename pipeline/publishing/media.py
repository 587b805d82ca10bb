"""ffprobe and ffmpeg, called with plain argument lists through ``subprocess``.

Why not a wrapper library: ffmpeg-python is unmaintained since 2019 and pulls in ``future``
(CVE-2025-50817, broken on Python 3.12+); typed-ffmpeg would be its typed successor, but the two commands
we need (probe, concat) are clearer as argument lists, and this adds no dependency to pin.

The concat demuxer does not fail on clips whose codec, resolution, frame rate, time base, pixel format
or audio differ — it silently writes a broken file — so every clip is probed first and stream copy is
used only when all of them match; otherwise the clips are re-encoded to one format.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from common.fsutil import atomic_path


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
    proc = subprocess.run(args, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise MediaError(f"{args[0]} failed ({proc.returncode}): {proc.stderr.strip()[-800:]}")
    return proc.stdout


def probe(path: Path) -> ClipInfo:
    out = _run(["ffprobe", "-v", "error", "-show_streams", "-show_format", "-of", "json", str(path)])
    data = json.loads(out)
    video = [s for s in data.get("streams", []) if s.get("codec_type") == "video"]
    if not video:
        raise MediaError(f"{path}: no video stream")
    v = video[0]
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


def stitch(clips: list[Path], dest: Path, title: str, chapter_names: list[str]) -> Stitched:
    """Concatenate ``clips`` into ``dest`` with chapter markers; return how it was done."""
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
    return Stitched("copy" if same else "reencode", starts, t)


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
