"""Stitching: stream copy when clips match, a re-encode when they do not (the concat demuxer would otherwise
silently write a broken file); frames add up exactly (counted, not timed: a tolerance of a frame would hide
one dropped at a join) and chapters start where each clip starts."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from pipeline.publishing.media import MediaError, frame_count, probe, stitch


def clip(path: Path, seconds: float, size: str = "320x240", rate: int = 15, audio: bool = False) -> Path:
    args = [
        "ffmpeg",
        "-y",
        "-v",
        "error",
        "-f",
        "lavfi",
        "-i",
        f"testsrc=size={size}:rate={rate}:d={seconds}",
    ]
    if audio:
        args += ["-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}", "-c:a", "aac", "-shortest"]
    args += ["-c:v", "libx264", "-pix_fmt", "yuv420p", str(path)]
    subprocess.run(args, check=True)
    return path


def chapters(path: Path) -> list[tuple[float, str]]:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-show_chapters", "-of", "json", str(path)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return [(float(c["start_time"]), c["tags"]["title"]) for c in json.loads(out)["chapters"]]


def test_matching_clips_are_copied(tmp_path):
    clips = [clip(tmp_path / "a.mp4", 1.0), clip(tmp_path / "b.mp4", 2.0)]
    out = tmp_path / "out" / "video.mp4"
    info = stitch(clips, out, "Title", ["first", "second"])
    assert info.method == "copy"
    assert [frame_count(c) for c in clips] == [15, 30]
    assert frame_count(out) == 45
    assert [t for _, t in chapters(out)] == ["first", "second"]
    assert chapters(out)[1][0] == pytest.approx(probe(clips[0]).duration, abs=0.01)
    assert sorted(p.name for p in out.parent.iterdir()) == ["video.mp4"]  # no temporary files left


def test_mismatched_clips_are_reencoded_to_one_format(tmp_path):
    a = clip(tmp_path / "a.mp4", 1.0, size="320x240", rate=15)
    b = clip(tmp_path / "b.mp4", 1.0, size="640x360", rate=30, audio=True)
    out = tmp_path / "video.mp4"
    info = stitch([a, b], out, "Mixed", ["a", "b"])
    assert info.method == "reencode"
    p = probe(out)
    assert (p.width, p.height, p.fps) == (320, 240, "15/1")
    assert p.has_audio
    assert frame_count(out) == 30  # 15 + 30 frames at 30 fps, resampled to 15 fps: 15 + 15


def test_a_failed_stitch_leaves_no_file(tmp_path):
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"not a video")
    out = tmp_path / "video.mp4"
    with pytest.raises(MediaError):
        stitch([bad], out, "x", ["x"])
    assert not out.exists()
