"""The upload bundle's parts without Manim: the platform's chapter rules, the timestamps, the upload encoding
(on short videos made here by ffmpeg), the references read from docstrings, the storyboard's ``thumbnail``
and per-locale ``chapter`` keys."""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.inputs.storyboard import StoryboardError, parse_storyboard
from pipeline.publishing.bundle import (
    Chapter,
    PublishError,
    encode,
    platform_chapters,
    thumbnail_time,
    timestamp,
)
from pipeline.publishing.references import collect

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0:00"),
        (9.99, "0:09"),
        (61, "1:01"),
        (599.5, "9:59"),
        (3599, "59:59"),
        (3600, "1:00:00"),
        (3723.9, "1:02:03"),
    ],
)
def test_timestamps_are_whole_seconds(seconds, text):
    assert timestamp(seconds) == text


def chapters(*spans: tuple[str, float, float]) -> list[Chapter]:
    return [Chapter(t, a, b) for t, a, b in spans]


@pytest.mark.parametrize(
    ("given_", "expected", "merged"),
    [
        # a short first chapter joins the next; the longer part names the result
        (
            [("Intro", 0, 3), ("B", 3, 20), ("C", 20, 35), ("D", 35, 50)],
            [("B", 0), ("C", 20), ("D", 35)],
            ["Intro"],
        ),
        # a short one in the middle joins the one before it
        (
            [("A", 0, 15), ("B", 15, 17), ("C", 17, 40), ("D", 40, 60)],
            [("A", 0), ("C", 17), ("D", 40)],
            ["B"],
        ),
        # a short last one too
        (
            [("A", 0, 20), ("B", 20, 40), ("C", 40, 60), ("D", 60, 65)],
            [("A", 0), ("B", 20), ("C", 40)],
            ["D"],
        ),
        # lengths as the whole-second timestamps say: 0:00, 0:10, 0:20 are 10 s apart
        ([("A", 0, 10.6), ("B", 10.6, 20.4), ("C", 20.4, 31)], [("A", 0), ("B", 10), ("C", 20)], []),
    ],
)
def test_short_chapters_are_merged_into_a_neighbour(given_, expected, merged):
    out, notes = platform_chapters(chapters(*given_))
    assert [(c.title, c.start) for c in out] == expected
    assert len(notes) == (1 if merged else 0)
    for title in merged:
        assert f"'{title}'" in notes[0] and "at least 10 s" in notes[0]


def test_fewer_than_three_chapters_left_means_none_and_says_so():
    out, notes = platform_chapters(chapters(("A", 0, 30), ("B", 30, 35), ("C", 35, 50)))
    assert out == []
    assert notes[-1] == "only 2 chapters of at least 10 s: no chapters (a platform needs at least 3)"


@settings(max_examples=300, deadline=None)
@given(st.lists(st.floats(0.1, 40), min_size=1, max_size=12))
def test_any_chapters_come_out_by_the_platform_rules(lengths):
    starts = [sum(lengths[:k]) for k in range(len(lengths))]
    given_ = [Chapter(f"c{k}", s, s + d) for k, (s, d) in enumerate(zip(starts, lengths, strict=True))]
    end = given_[-1].end
    out, _ = platform_chapters(given_)
    if not out:
        return
    stamps = [c.start for c in out]
    assert stamps[0] == 0 and len(out) >= 3
    assert all(b - a >= 10 for a, b in zip(stamps, stamps[1:], strict=False)) and end - stamps[-1] >= 10
    assert all(s == math.floor(s) for s in stamps)  # what the timestamps say
    assert set(stamps[1:]) <= {math.floor(c.start) for c in given_}  # each at a chapter of the video
    titles = [c.title for c in given_]
    assert [titles.index(c.title) for c in out] == sorted(titles.index(c.title) for c in out)


def test_thumbnail_time_is_inside_its_entry():
    plan = SimpleNamespace(board=SimpleNamespace(thumbnail=SimpleNamespace(entry=1, at=2.5)))
    assert thumbnail_time(plan, [0.0, 10.0], [10.0, 4.0]) == 12.5  # type: ignore[arg-type]
    plan.board.thumbnail.at = None
    assert thumbnail_time(plan, [0.0, 10.0], [10.0, 4.0]) == 12.0  # type: ignore[arg-type]
    plan.board.thumbnail = None
    assert thumbnail_time(plan, [0.0, 10.0], [10.0, 4.0]) == 5.0  # type: ignore[arg-type]
    plan.board.thumbnail = SimpleNamespace(entry=1, at=4.0)
    with pytest.raises(PublishError, match=r"4 s is past the end of entry 2 \(4.0 s long\)"):
        thumbnail_time(plan, [0.0, 10.0], [10.0, 4.0])  # type: ignore[arg-type]


def ffprobe(path: Path, *args: str) -> dict:
    out = subprocess.run(
        ["ffprobe", "-v", "error", *args, "-of", "json", str(path)], capture_output=True, text=True
    )
    return json.loads(out.stdout)


def synthetic(path: Path, seconds: float, size: str, rate: int, audio: str | None) -> Path:
    args = [
        "ffmpeg",
        "-v",
        "error",
        "-y",
        "-f",
        "lavfi",
        "-i",
        f"testsrc2=size={size}:rate={rate}:d={seconds}",
    ]
    if audio:
        args += ["-f", "lavfi", "-i", f"{audio}:d={seconds}"]
    subprocess.run(
        [*args, "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv444p", str(path)], check=True
    )
    return path


@pytest.mark.parametrize(
    ("size", "rate", "audio"),
    [("640x360", 30, None), ("320x240", 25, "sine=frequency=440:sample_rate=44100")],  # 25: an odd rate
)
def test_the_upload_encoding(tmp_path, size, rate, audio):
    src = synthetic(tmp_path / "in.mp4", 3.0, size, rate, audio)
    out = tmp_path / "out.mp4"
    encode(src, out, "T", [])
    info = ffprobe(out, "-show_streams", "-show_format")
    v = next(s for s in info["streams"] if s["codec_type"] == "video")
    a = [s for s in info["streams"] if s["codec_type"] == "audio"]
    assert (v["codec_name"], v["profile"], v["pix_fmt"]) == ("h264", "High", "yuv420p")
    assert f"{v['width']}x{v['height']}" == size and v["r_frame_rate"] == f"{rate}/1"
    assert len(a) == 1  # a silent track where the source had none
    assert (a[0]["codec_name"], a[0]["profile"], a[0]["sample_rate"], a[0]["channels"]) == (
        "aac",
        "LC",
        "48000",
        2,
    )
    assert abs(float(a[0]["duration"]) - float(v["duration"])) <= 1 / rate + 1024 / 48000
    frames = ffprobe(out, "-select_streams", "v", "-show_entries", "frame=pict_type,key_frame,pts_time")[
        "frames"
    ]
    keys = [float(f["pts_time"]) for f in frames if f["key_frame"] == 1]
    gop = rate // 2  # half the frame rate
    assert [round((b - a) * rate) for a, b in zip(keys, keys[1:], strict=False)] == [gop] * (len(keys) - 1)
    assert [f["pict_type"] == "I" for f in frames] == [f["key_frame"] == 1 for f in frames]  # every I an IDR
    runs = re.findall(r"B+", "".join(f["pict_type"] for f in frames))
    assert max(map(len, runs)) == 2
    data = out.read_bytes()
    assert data.index(b"moov") < data.index(b"mdat")  # +faststart


def test_references_are_read_from_docstrings(tmp_path):
    mod = tmp_path / "m.py"
    mod.write_text(
        '"""A module.\n\nReferences\n'
        '- Gu, Goel & Ré 2022, "Efficiently Modeling Long Sequences with Structured State Spaces" (S4):\n'
        "  the recurrence (eq. 3) and the kernel (eqs. 4–5).\n"
        '- Hinton, Vinyals & Dean 2015, "Distilling the Knowledge in a Neural Network", eq. 1.\n\n'
        "Since 2017 nothing changed (Gu & Dao 2023, §3.2 and Algorithm 2); see Fig. 9 of nothing.\n"
        '"""\n\n\ndef f():\n    """The softmax with temperature (Hinton et al. 2015, eq. 2)."""\n'
        '\n\nclass C:\n    """The scan (Gu & Dao 2023, Alg. 2; Eq. 4)."""\n'
    )
    refs = collect({"m": mod})
    assert [r.line() for r in refs] == [
        'Gu, Goel & Ré 2022, "Efficiently Modeling Long Sequences with Structured State Spaces" — '
        "eq. 3, eqs. 4–5",
        'Hinton, Vinyals & Dean 2015, "Distilling the Knowledge in a Neural Network" — eq. 1, eq. 2',
        "Gu & Dao 2023 — eq. 4, §3.2, Algorithm 2",  # one spelling per kind, in order
    ]


def test_the_mamba_lecture_cites_its_papers():
    from pipeline.publishing.bundle import lecture_references

    board = parse_storyboard(ROOT / "storyboards" / "mamba.yaml")
    refs = {f"{r.authors} {r.year}": r for r in lecture_references(SimpleNamespace(board=board))}  # type: ignore[arg-type]
    assert refs["Gu & Dao 2023"].title == "Mamba: Linear-Time Sequence Modeling with Selective State Spaces"
    assert "Algorithm 2" in refs["Gu & Dao 2023"].where
    assert "Blelloch 1990" in refs and "Gu, Goel & Ré 2022" in refs


BOARD = """\
title: T
quality: low
plugins: [tests.pipeline.fixture_scenes]
{extra}
scenes:
  - scene: fixture.shapes
    chapter: {chapter}
  - scene: fixture.tokens
"""


def board(tmp_path: Path, extra: str = "", chapter: str = "Squares") -> Path:
    path = tmp_path / "t.yaml"
    path.write_text(BOARD.format(extra=extra, chapter=chapter))
    return path


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ("thumbnail: {entry: 3}", "t.yaml:4: thumbnail.entry: no entry 3; expected 1..2"),
        (
            "thumbnail: {entry: fixture.shape}",
            "no entry shows scene 'fixture.shape' (did you mean 'fixture.shapes'?)",
        ),
        (
            "thumbnail: {entry: 1, at: -1}",
            "t.yaml:4: thumbnail.at: Input should be greater than or equal to 0",
        ),
        ("thumbnail: {entry: 1, when: 2}", "thumbnail.when: unknown key 'when'"),
    ],
)
def test_a_bad_thumbnail_key_is_a_storyboard_problem(tmp_path, extra, message):
    with pytest.raises(StoryboardError) as e:
        parse_storyboard(board(tmp_path, extra))
    assert message in str(e.value)


def test_chapters_per_locale(tmp_path):
    b = parse_storyboard(
        board(tmp_path, "thumbnail: {entry: fixture.tokens, at: 1.5}", "{en: Squares, zh: 正方形}")
    )
    assert b.entries[0].chapter == "Squares"
    assert b.in_locale("zh").entries[0].chapter == "正方形"
    assert b.in_locale("zh").entries[1].chapter == b.entries[1].chapter  # none given: the scene's summary
    assert (b.thumbnail.entry, b.thumbnail.at) == (1, 1.5)
    with pytest.raises(StoryboardError, match="scenes\\[0\\].chapter"):
        parse_storyboard(board(tmp_path, "", "{en: Squares, fr: Carrés}"))


def test_a_zh_run_shows_the_zh_chapter_titles(tmp_path):
    path = board(tmp_path, "", "{en: Squares, zh: 正方形}")
    cmd = [sys.executable, "render.py", str(path), "--locale", "zh", "--dry-run", "-o", str(tmp_path / "o")]
    proc = subprocess.run(
        cmd, cwd=ROOT, capture_output=True, text=True, env={"COLUMNS": "200", "PATH": "/usr/bin:/bin"}
    )
    assert proc.returncode == 0, proc.stderr
    assert "正方形" in proc.stdout and "Squares" not in proc.stdout


@pytest.mark.parametrize(
    "title",
    ["Mamba：选择性状态空间，逐步计算出每一个数字，从离散化到并行扫描", "A title " * 12],
)
def test_a_long_title_fits_the_thumbnail(tmp_path, title):
    from PIL import Image, ImageDraw

    from pipeline.publishing.bundle import THUMB_SIZE, _font, _wrap, thumbnail

    video = synthetic(tmp_path / "in.mp4", 1.0, "854x480", 15, None)
    thumbnail(video, 0.5, title, tmp_path / "t.png")
    with Image.open(tmp_path / "t.png") as im:
        assert im.format == "PNG" and im.size == THUMB_SIZE
    assert (tmp_path / "t.png").stat().st_size < 2 * 1024 * 1024
    draw = ImageDraw.Draw(Image.new("RGB", THUMB_SIZE))
    font = _font(40)
    lines = _wrap(title, font, 1000, draw)
    assert "".join(lines).replace(" ", "") == title.replace(" ", "")  # nothing lost
    assert all(draw.textlength(line, font=font) <= 1000 for line in lines)


def test_the_description_speaks_the_runs_language():
    from pipeline.publishing.bundle import description
    from pipeline.publishing.references import Reference

    chs = [Chapter("选择性", 0, 12), Chapter("扫描", 12, 30), Chapter("块", 30, 45)]
    text = description("曼巴", chs, [Reference("Gu & Dao", "2023", "Mamba", ["§3.2"])], "zh")
    assert text.splitlines()[:5] == ["# 曼巴", "", "## 章节", "", "0:00 选择性"]
    assert "## 参考文献" in text and '- Gu & Dao 2023, "Mamba" — §3.2' in text
