"""``render.py --publish`` end to end, at low quality, on four fixture entries (one narrated, one too short
to be a chapter): every property of the bundle is read back with ffprobe (or parsed here) and checked
against the platform rules, not against the code that wrote it.

The video: H.264 High, yuv420p, keyframes every half second (IDR only), at most 2 consecutive B-frames and
the encoder's own record of closed GOPs and fixed B-frames, moov before mdat, AAC-LC 48 kHz stereo, audio
and video of one length, as long as the stitched video, with the merged chapters. ``chapters.txt``: 0:00
first, three, ascending, each at least 10 s, the short entry merged (and the run says so). The captions
are the run's. The thumbnail: a 1280×720 PNG under 2 MB, the chosen frame above a dark band carrying the
title. ``description.md``: the title and the chapters.
"""

from __future__ import annotations

import json
import re
import struct
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageChops, ImageStat

from tests.pipeline.cli_run import render

pytestmark = pytest.mark.render
ROOT = Path(__file__).resolve().parents[3]
TITLE = "Squares, counted: a publishing test"
BOARD = f"""\
title: "{TITLE}"
name: pub
quality: low
plugins: [tests.pipeline.fixture_scenes]
thumbnail: {{entry: 3, at: 6.0}}
scenes:
  - scene: fixture.spoken
    chapter: {{en: Spoken, zh: 朗读}}
    params: {{squares: 3, seconds: 0.3}}
  - scene: fixture.shapes
    chapter: Blink
    params: {{slides: 1, seconds: 0.5}}
  - scene: fixture.shapes
    chapter: {{en: Squares, zh: 正方形}}
    params: {{slides: 3, seconds: 4}}
  - scene: fixture.shapes
    chapter: More squares
    params: {{slides: 3, seconds: 3.5}}
"""
FPS = 15  # low quality


def ffprobe(path: Path, *args: str) -> Any:
    cmd = ["ffprobe", "-v", "error", *args, "-of", "json", str(path)]
    return json.loads(subprocess.run(cmd, capture_output=True, text=True, check=True).stdout)


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("publish")
    board = root / "pub.yaml"
    board.write_text(BOARD)
    proc = render(board, root / "out", "--publish", timeout=900)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = root / "out" / "pub"
    video = out / "publish" / "pub.mp4"
    info = ffprobe(video, "-show_streams", "-show_format", "-show_chapters")
    return {
        "root": root,
        "out": out,
        "pub": out / "publish",
        "proc": proc,
        "video": video,
        "info": info,
        "manifest": json.loads((out / "manifest.json").read_text()),
    }


def stream(info: dict[str, Any], kind: str) -> dict[str, Any]:
    (s,) = [s for s in info["streams"] if s["codec_type"] == kind]
    return s


def test_the_bundle_has_every_file(bundle):
    names = sorted(p.name for p in bundle["pub"].iterdir())
    assert names == ["chapters.txt", "description.md", "pub.mp4", "pub.srt", "pub.vtt", "thumbnail.png"]
    assert f"publish: {bundle['pub']}" in bundle["proc"].stdout


def test_video_is_h264_high_yuv420p_at_the_storyboard_size_and_rate(bundle):
    v = stream(bundle["info"], "video")
    assert (v["codec_name"], v["profile"], v["pix_fmt"]) == ("h264", "High", "yuv420p")
    assert (v["width"], v["height"], v["r_frame_rate"]) == (854, 480, f"{FPS}/1")
    assert v.get("field_order", "progressive") == "progressive"


def test_keyframes_every_half_second_closed_gops_and_two_b_frames(bundle):
    frames = ffprobe(
        bundle["video"], "-select_streams", "v", "-show_entries", "frame=pict_type,key_frame,pts_time"
    )
    frames = frames["frames"]
    keys = [round(float(f["pts_time"]) * FPS) for f in frames if f["key_frame"] == 1]
    gaps = {b - a for a, b in zip(keys, keys[1:], strict=False)}
    assert gaps == {7}  # 15 fps: 7 frames, 0.47 s, the longest GOP within half a second
    assert [f["pict_type"] == "I" for f in frames] == [f["key_frame"] == 1 for f in frames]  # no open-GOP I
    assert max(len(r) for r in re.findall(r"B+", "".join(f["pict_type"] for f in frames))) == 2
    assert stream(bundle["info"], "video")["has_b_frames"] == 2
    # the encoder's own record of its settings (an SEI message in the stream)
    sei = re.search(rb"x264 - core .*? options: ([^\x00]*)", bundle["video"].read_bytes()).group(1).decode()
    opts = dict(o.split("=", 1) for o in sei.split() if "=" in o)
    assert (opts["open_gop"], opts["bframes"], opts["keyint"], opts["scenecut"], opts["cabac"]) == (
        "0",
        "2",
        "7",
        "0",
        "1",
    )


def top_level_boxes(path: Path) -> list[str]:
    """The MP4's top-level box types, in file order (ISO/IEC 14496-12 §4.2: size, type, 64-bit size)."""
    boxes, data, pos = [], path.read_bytes(), 0
    while pos + 8 <= len(data):
        size, kind = struct.unpack(">I4s", data[pos : pos + 8])
        if size == 1:
            size = struct.unpack(">Q", data[pos + 8 : pos + 16])[0]
        elif size == 0:
            size = len(data) - pos
        boxes.append(kind.decode("latin-1"))
        pos += size
    return boxes


def test_faststart_puts_the_moov_box_before_the_media(bundle):
    boxes = top_level_boxes(bundle["video"])
    assert boxes[0] == "ftyp" and boxes.index("moov") < boxes.index("mdat")


def test_audio_is_aac_lc_48k_stereo_and_as_long_as_the_video(bundle):
    a, v = stream(bundle["info"], "audio"), stream(bundle["info"], "video")
    assert (a["codec_name"], a["profile"], a["sample_rate"], a["channels"]) == ("aac", "LC", "48000", 2)
    assert a["channel_layout"] == "stereo"
    assert abs(float(a["duration"]) - float(v["duration"])) <= 1 / FPS + 1024 / 48000
    stitched = ffprobe(bundle["out"] / "pub.mp4", "-show_format")["format"]
    assert (
        abs(float(bundle["info"]["format"]["duration"]) - float(stitched["duration"]))
        <= 1 / FPS + 1024 / 48000
    )


def parse_chapters(text: str) -> list[tuple[int, str]]:
    out = []
    for line in text.splitlines():
        m = re.fullmatch(r"(?:(\d+):)?(\d+):(\d\d) (.+)", line)
        assert m, line
        h, mnt, s, title = m.groups()
        out.append((int(h or 0) * 3600 + int(mnt) * 60 + int(s), title))
    return out


def test_chapters_follow_the_platform_rules_and_the_short_entry_is_merged(bundle):
    chapters = parse_chapters((bundle["pub"] / "chapters.txt").read_text())
    total = float(bundle["info"]["format"]["duration"])
    starts = [s for s, _ in chapters]
    assert starts[0] == 0 and len(chapters) >= 3 and starts == sorted(starts)
    assert all(b - a >= 10 for a, b in zip(starts, [*starts[1:], total], strict=True))
    entries = bundle["manifest"]["entries"]
    assert entries[1]["duration"] < 10  # the 'Blink' entry: too short to be a chapter
    assert chapters == [
        (0, "Spoken"),
        (int(entries[2]["start"]), "Squares"),
        (int(entries[3]["start"]), "More squares"),
    ]
    assert "'Blink' (0.5 s) merged into 'Spoken'" in bundle["proc"].stdout
    # the same chapters in the MP4
    atoms = [(round(float(c["start_time"])), c["tags"]["title"]) for c in bundle["info"]["chapters"]]
    assert atoms == chapters


def test_captions_are_the_runs(bundle):
    for ext in ("srt", "vtt"):
        assert (bundle["pub"] / f"pub.{ext}").read_bytes() == (bundle["out"] / f"pub.{ext}").read_bytes()
    assert "A square appears." in (bundle["pub"] / "pub.srt").read_text()


def test_thumbnail_is_the_chosen_frame_under_the_title(bundle, tmp_path):
    thumb = bundle["pub"] / "thumbnail.png"
    assert thumb.stat().st_size < 2 * 1024 * 1024
    at = bundle["manifest"]["entries"][2]["start"] + 6.0  # thumbnail: {entry: 3, at: 6.0}
    frame = tmp_path / "frame.png"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-ss", f"{at:.3f}", "-i", str(bundle["out"] / "pub.mp4"), "-frames:v", "1",
         "-vf", "scale=1280:720", str(frame)],
        check=True,
    )  # fmt: skip
    with Image.open(thumb) as im, Image.open(frame) as ref:
        assert im.format == "PNG" and im.size == (1280, 720)
        img, ref = im.convert("RGB"), ref.convert("RGB")
    top = (0, 0, 1280, 300)  # above the title band: the frame itself
    assert max(ImageStat.Stat(ImageChops.difference(img.crop(top), ref.crop(top))).mean) < 2
    low = (0, 432, 1280, 720)  # the lower 40 %: the title, white on a band darker than the frame
    bright = [sum(x.crop(low).convert("L").histogram()[201:]) for x in (img, ref)]
    assert bright[0] > bright[1] + 2000
    assert (
        ImageStat.Stat(img.crop((0, 700, 1280, 720))).mean
        < ImageStat.Stat(ref.crop((0, 700, 1280, 720))).mean
    )


def test_description_has_the_title_and_the_chapters(bundle):
    text = (bundle["pub"] / "description.md").read_text()
    assert text.startswith(f"# {TITLE}\n")
    assert (bundle["pub"] / "chapters.txt").read_text().strip() in text


def test_an_unchanged_rerun_reuses_the_encoding(bundle):
    before = bundle["video"].read_bytes()
    board = bundle["root"] / "pub.yaml"
    cmd = [sys.executable, "render.py", str(board), "-o", str(bundle["root"] / "out")]
    cmd += ["--slides-dir", str(bundle["root"] / "slides"), "--publish"]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "so is the encoding (reused)" in proc.stdout
    assert bundle["video"].read_bytes() == before
    board.write_text(BOARD.replace(TITLE, "Another title"))  # the title is in the MP4: encode again
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0 and "reused" not in proc.stdout, proc.stdout + proc.stderr
    title = ffprobe(bundle["video"], "-show_format")["format"]["tags"]["title"]
    assert title == "Another title"
