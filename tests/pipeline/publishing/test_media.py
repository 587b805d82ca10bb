"""Stitching: stream copy when clips match, a re-encode when they do not (the concat demuxer would otherwise
silently write a broken file); frames add up exactly (counted, not timed: a tolerance of a frame would hide
one dropped at a join) and chapters start where each clip starts."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from pipeline.publishing.media import MediaError, frame_count, intact, probe, record, stitch


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


def test_a_clip_missing_half_its_frames_is_not_stitched(tmp_path):
    """A clip cut in half with its index intact (written with +faststart, the index comes first) still
    probes at its full length; the concat demuxer copies what is left and exits 0. The video's own length
    gives it away (the chapter track would still span the whole)."""
    a = clip(tmp_path / "a.mp4", 2.0, audio=True)
    b = clip(tmp_path / "b.mp4", 3.0, audio=True)
    subprocess.run(["ffmpeg", "-y", "-v", "error", "-i", str(b), "-c", "copy", "-movflags", "+faststart",
                    str(tmp_path / "fast.mp4")], check=True)  # fmt: skip
    fast = tmp_path / "fast.mp4"
    with open(fast, "r+b") as f:
        f.truncate(fast.stat().st_size // 2)
    assert probe(fast).duration == pytest.approx(3.0, abs=0.1)  # the index still says 3 s
    out = tmp_path / "out" / "video.mp4"
    with pytest.raises(MediaError, match="where 5.000 s were expected"):
        stitch([a, fast], out, "Title", ["a", "b"])
    assert not out.exists()


def test_the_manifest_record_of_a_video_finds_any_change(tmp_path, monkeypatch):
    import common.verified

    video = clip(tmp_path / "a.mp4", 1.0)
    rec = record(video)
    assert (
        rec["bytes"] == video.stat().st_size
        and rec["sha256"] == hashlib.sha256(video.read_bytes()).hexdigest()
    )
    hashed: list[Path] = []
    real_sha = common.verified.file_sha256
    monkeypatch.setattr(common.verified, "file_sha256", lambda p: hashed.append(p) or real_sha(p))
    assert intact(video, rec) == rec and hashed == []  # untouched: a stat, no hash
    # the same bytes elsewhere (a copy, a restore): hashed once, the record follows the new identity
    moved = tmp_path / "b.mp4"
    shutil.copy2(video, moved)
    os.replace(moved, video)
    again = intact(video, rec)
    assert again is not None and again != rec and hashed == [video]
    assert intact(video, again) == again and hashed == [video]
    # one byte changed, size and modification time put back: the change time still moves
    st = video.stat()
    data = bytearray(video.read_bytes())
    data[len(data) // 2] ^= 0xFF
    video.write_bytes(bytes(data))
    os.utime(video, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert intact(video, again) is None
    with open(video, "r+b") as f:
        f.truncate(100)
    assert intact(video, rec) is None
    video.unlink()
    assert intact(video, rec) is None
    for junk in (
        None,
        [],
        {"bytes": "1"},
        {"bytes": 1, "sha256": 2},
        {"bytes": 1, "sha256": "x", "identity": 3},
    ):
        assert intact(clip(tmp_path / "c.mp4", 1.0), junk) is None  # an older manifest: stitch again
