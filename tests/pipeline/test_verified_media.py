"""Nothing ffmpeg wrote is trusted on its exit status (issue 24, items 1 and 2).

ffmpeg 5–7 exit 0 after "Error writing trailer of …: No space left on device": the MP4 is left without its
index (the ``moov`` atom). A fake ``ffmpeg`` on PATH does what the real one does on a full disk: it runs the
real ffmpeg with the index at the end of the file, cuts the file where the index starts, prints ffmpeg's
own message (or nothing, for a failure that does not say so) and exits 0. Everything else goes to the real
ffmpeg, so cache keys (``ffmpeg -version``) stay the same.

The unit tests run stitching and the chunk join on small test pictures; the end-to-end ones (marked
``render``) run ``render.py`` on the pipeline's fixture scenes at 480p.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from common.verified import BadMedia, check_video, probe_file, write_failure
from pipeline.execution.chunks import concat
from pipeline.publishing.media import MediaError, stitch
from tests.pipeline.cli_run import render

PLUGIN = "plugins: [tests.pipeline.fixture_scenes]\n"
ONE = "title: One\nquality: low\n" + PLUGIN + "scenes:\n  - scene: fixture.shapes\n    params: {slides: 1}\n"
FULL_DISK = "Error writing trailer of {out}: No space left on device"  # ffmpeg 5.1's words (AV_LOG_ERROR)

FAKE = """#!{python}
# a fake ffmpeg (tests/pipeline/test_verified_media.py)
import os, subprocess, sys

real, match, message, cut = {real!r}, {match!r}, {message!r}, {cut!r}
args = sys.argv[1:]
out = args[-1].removeprefix("file:") if args else ""  # the output: the last argument, maybe as file:PATH
if "-version" in args or match not in out:
    os.execv(real, [real, *args])
if "+faststart" in args:  # the index is written last, as without a full disk
    i = args.index("+faststart")
    del args[i - 1 : i + 1]
code = subprocess.run([real, *args]).returncode
if code:
    sys.exit(code)
with open(out, "r+b") as f:  # the disk filled up as ffmpeg wrote the trailer: no moov atom
    data, pos = f.read(), 0
    while cut and pos + 8 <= len(data):
        size, kind = int.from_bytes(data[pos : pos + 4], "big"), data[pos + 4 : pos + 8]
        if kind == b"moov":
            f.truncate(pos)
            break
        if size == 1:
            size = int.from_bytes(data[pos + 8 : pos + 16], "big")
        pos += size or len(data)
sys.stderr.write(message.format(out=out) + ("\\n" if message else ""))
sys.exit(0)
"""


def fake_ffmpeg(folder: Path, match: str, message: str = FULL_DISK, cut: bool = True) -> dict[str, str]:
    """An environment whose ``ffmpeg`` breaks every output whose path contains ``match`` as a full disk
    does (see the module docstring), printing ``message`` ("" for none) and exiting 0; ``cut=False``: the
    file is left whole (the message alone must fail it: a full disk can damage what ffprobe still reads,
    e.g. while ``+faststart`` moves the index to the front)."""
    real = shutil.which("ffmpeg")
    assert real is not None
    assert b"a fake ffmpeg" not in Path(real).read_bytes()[:100]  # never one calling itself
    folder.mkdir(parents=True, exist_ok=True)
    fake = folder / "ffmpeg"
    fake.write_text(FAKE.format(python=sys.executable, real=real, match=match, message=message, cut=cut))
    fake.chmod(0o755)
    return {**os.environ, "PATH": f"{folder}{os.pathsep}{os.environ['PATH']}"}


def clip(path: Path, seconds: float, audio: bool = True) -> Path:
    args = ["ffmpeg", "-y", "-v", "error", "-f", "lavfi", "-i", f"testsrc=size=320x240:rate=15:d={seconds}"]
    if audio:
        args += ["-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}", "-c:a", "aac", "-shortest"]
    args += ["-c:v", "libx264", "-pix_fmt", "yuv420p", "-movflags", "+faststart", str(path)]
    subprocess.run(args, check=True)
    return path


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def video_seconds(path: Path) -> float:
    """The video stream's duration by ffprobe, read here (not through the code under test)."""
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries", "stream=duration", "-of",
         "csv=p=0", str(path)],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    return float(out.strip())


def playable(path: Path) -> bool:
    """Every video frame of ``path`` decodes without an error (ffprobe alone accepts a file cut to its
    first 100 bytes: it reads the header and finds no stream)."""
    args = ["ffmpeg", "-v", "error", "-xerror", "-i", str(path), "-map", "0:v:0", "-f", "null", "-"]
    proc = subprocess.run(args, capture_output=True, text=True)
    return proc.returncode == 0 and not proc.stderr.strip()


# --- the checks themselves ------------------------------------------------------------------------------


def test_the_fake_breaks_a_file_as_a_full_disk_does(tmp_path):
    """The simulation is sound: exit status 0, ffmpeg's message, and a file no player can open."""
    a = clip(tmp_path / "a.mp4", 1.0)
    env = fake_ffmpeg(tmp_path / "bin", "broken")
    out = tmp_path / "broken.mp4"
    args = ["ffmpeg", "-y", "-v", "error", "-i", str(a), "-c", "copy", "-movflags", "+faststart", str(out)]
    proc = subprocess.run(args, env=env, capture_output=True, text=True)
    assert proc.returncode == 0
    assert proc.stderr.strip() == f"Error writing trailer of {out}: No space left on device"
    assert out.stat().st_size > 0 and not playable(out)
    assert write_failure(proc.stderr) == proc.stderr.strip()


def test_check_video_wants_the_streams_and_the_length_it_was_promised(tmp_path):
    a = clip(tmp_path / "a.mp4", 2.0)
    assert check_video(a, 2.0, audio=True).video
    for wrong in (1.5, 2.5):
        with pytest.raises(BadMedia, match="long where"):
            check_video(a, wrong)
    with pytest.raises(BadMedia, match="sound track"):
        check_video(a, 2.0, audio=False)
    with pytest.raises(BadMedia, match="sound track"):
        check_video(clip(tmp_path / "silent.mp4", 2.0, audio=False), 2.0, audio=True)
    (tmp_path / "empty.mp4").write_bytes(b"")
    with pytest.raises(BadMedia, match="wrote nothing"):
        check_video(tmp_path / "empty.mp4", 2.0)


# --- item 1: stitching ----------------------------------------------------------------------------------


@pytest.mark.parametrize("message", [FULL_DISK, ""], ids=["says-no-space", "says-nothing"])
def test_a_full_disk_while_stitching_never_replaces_the_video(tmp_path, monkeypatch, message):
    clips = [clip(tmp_path / "a.mp4", 1.0), clip(tmp_path / "b.mp4", 2.0)]
    out = tmp_path / "out" / "video.mp4"
    stitch(clips, out, "Title", ["a", "b"])
    good = sha256(out)
    env = fake_ffmpeg(tmp_path / "bin", str(tmp_path / "out"), message)
    monkeypatch.setenv("PATH", env["PATH"])
    with pytest.raises(MediaError) as e:
        stitch(clips, out, "Title", ["a", "b"])
    assert ("No space left on device" if message else "video.mp4") in str(e.value)
    assert "\n" not in str(e.value)
    assert sha256(out) == good  # the last good video stays
    assert sorted(p.name for p in out.parent.iterdir()) == ["video.mp4"]  # nothing half-written left


def test_ffmpeg_saying_it_could_not_write_fails_the_stitch_even_if_the_file_reads(tmp_path, monkeypatch):
    clips = [clip(tmp_path / "a.mp4", 1.0), clip(tmp_path / "b.mp4", 2.0)]
    out = tmp_path / "out" / "video.mp4"
    monkeypatch.setenv("PATH", fake_ffmpeg(tmp_path / "bin", str(tmp_path / "out"), cut=False)["PATH"])
    with pytest.raises(MediaError, match="exit status 0.*No space left on device"):
        stitch(clips, out, "Title", ["a", "b"])
    assert not out.exists()


@pytest.mark.parametrize("message", [FULL_DISK, ""], ids=["says-no-space", "says-nothing"])
def test_joining_chunks_refuses_what_ffmpeg_did_not_write_whole(tmp_path, monkeypatch, message):
    pieces = [clip(tmp_path / "a.mp4", 1.0, audio=False), clip(tmp_path / "b.mp4", 1.0, audio=False)]
    monkeypatch.setenv("PATH", fake_ffmpeg(tmp_path / "bin", "joined", message)["PATH"])
    with pytest.raises(BadMedia):
        concat(pieces, tmp_path / "joined.mp4", 2.0)


# --- end to end -------------------------------------------------------------------------------------------


def one_board(tmp_path: Path) -> tuple[Path, Path]:
    board = tmp_path / "one.yaml"
    board.write_text(ONE)
    return board, tmp_path / "out"


def errors(proc: subprocess.CompletedProcess[str]) -> list[str]:
    return [line for line in proc.stdout.splitlines() if line.startswith("error: ")]


@pytest.mark.render
def test_a_full_disk_while_stitching_fails_the_run_and_the_next_run_stitches_again(tmp_path):
    board, out = one_board(tmp_path)
    video = out / "one" / "one.mp4"
    # the stitched video is written as .one.<pid>.<random>.tmp.mp4 beside one.mp4
    env = fake_ffmpeg(tmp_path / "bin", str(out / "one" / ".one."))
    proc = render(board, out, env=env)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr
    (line,) = errors(proc)
    assert line.startswith("error: stitching failed: ") and "No space left on device" in line
    assert not video.exists() and not (out / "one" / "manifest.json").exists()
    assert json.loads((out / "one" / "last_run.json").read_text())["video"] is None

    proc = render(board, out)  # the disk has room again
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert playable(video)
    (entry,) = json.loads((out / "one" / "manifest.json").read_text())["entries"]
    assert video_seconds(video) == pytest.approx(entry["duration"], abs=0.15)


@pytest.mark.render
def test_a_damaged_video_in_the_output_folder_is_stitched_again(tmp_path):
    board, out = one_board(tmp_path)
    assert render(board, out).returncode == 0
    video = out / "one" / "one.mp4"
    good = video_seconds(video)
    with open(video, "r+b") as f:
        f.truncate(100)  # what a full disk left before this fix: no index, and a manifest saying all is well
    proc = render(board, out)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert playable(video) and video_seconds(video) == pytest.approx(good, abs=1e-3)
    before = video.stat().st_mtime_ns
    assert render(board, out).returncode == 0
    assert video.stat().st_mtime_ns == before  # an intact video is not stitched again


def cached_clip(out: Path) -> Path:
    (key,) = json.loads((out / "one" / "manifest.json").read_text())["keys"]
    return out / ".cache" / "clips" / key / "clip.mp4"


@pytest.mark.render
@pytest.mark.parametrize("keep", [0.5, 0.0], ids=["truncated", "empty"])
def test_a_damaged_cached_clip_is_rendered_again_and_the_run_says_so(tmp_path, keep):
    board, out = one_board(tmp_path)
    assert render(board, out).returncode == 0
    cached = cached_clip(out)
    size, good = cached.stat().st_size, video_seconds(cached)
    with open(cached, "r+b") as f:
        f.truncate(int(size * keep))
    proc = render(board, out)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (entry,) = json.loads((out / "one" / "last_run.json").read_text())["entries"]
    assert entry["status"] == "rendered"
    notes = [line for line in proc.stdout.splitlines() if "cached clip is damaged" in line]
    assert notes == [
        f"e01_fixture_shapes: its cached clip is damaged ({int(size * keep)} bytes where {size} were "
        "written) and was not used"
    ]
    assert playable(cached) and video_seconds(cached) == pytest.approx(good, abs=1e-3)
    assert video_seconds(out / "one" / "one.mp4") == pytest.approx(good, abs=0.15)


@pytest.mark.render
def test_a_clip_the_mux_left_unplayable_never_reaches_the_cache(tmp_path):
    """The worker lays the voice over the clip with ffmpeg into ``.tmp-<key>-<pid>/clip.mp4``: an output
    broken without a word from ffmpeg is refused before the entry is renamed into the cache."""
    board, out = one_board(tmp_path)
    env = fake_ffmpeg(tmp_path / "bin", "clip.mp4", message="")
    proc = render(board, out, env=env)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stdout
    (entry,) = json.loads((out / "one" / "last_run.json").read_text())["entries"]
    assert entry["status"] == "failed" and "\n" not in entry["error"]
    assert not list((out / ".cache" / "clips").glob("*/clip.mp4"))  # nothing a later run would trust
    proc = render(board, out)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert playable(cached_clip(out))


CHUNKED = """\
title: Chunked
quality: low
narration: false
plugins: [tests.pipeline.fixture_scenes]
scenes:
  - scene: fixture.shapes
    params: {slides: 2, seconds: 0.3}
    chunks: 2
"""


@pytest.mark.render
def test_a_join_ffmpeg_left_unplayable_never_reaches_the_cache(tmp_path):
    board, out = tmp_path / "chunked.yaml", tmp_path / "out"
    board.write_text(CHUNKED)
    env = fake_ffmpeg(
        tmp_path / "bin", "video.mp4", message=""
    )  # the join's concat: .tmp-<key>-<pid>/video.mp4
    proc = render(board, out, env=env)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    (entry,) = json.loads((out / "chunked" / "last_run.json").read_text())["entries"]
    assert entry["status"] == "failed" and entry["error"].startswith("joining the chunks failed: ")
    metas = [json.loads(p.read_text()) for p in (out / ".cache" / "clips").glob("*/meta.json")]
    assert sorted(m["name"] for m in metas) == ["e01_fixture_shapes_c1of2", "e01_fixture_shapes_c2of2"]
    proc = render(board, out)  # the chunks are cached and sound: joined again
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "c1of2: rendering" not in proc.stdout
    assert playable(out / "chunked" / "chunked.mp4")
    assert probe_file(out / "chunked" / "chunked.mp4").video
