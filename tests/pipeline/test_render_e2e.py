"""End to end at low quality: real clips rendered by worker processes, probed with ffprobe.

The pipeline is exercised with its own fixture scenes (``tests/pipeline/fixture_scenes``, a plugin package),
so a lecture edit cannot break these tests: a cold render, a fully cached re-run, a params change that
re-renders exactly one clip, a slide-deck export, a preview; a failing and a hanging entry do not stop the
others; a failing ffmpeg or slide export ends with one line, exit status 1 and ``last_run.json``. Durations
are checked by counting frames. One test renders a real lecture scene.
"""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PIL import Image

from pipeline.publishing.media import frame_count, probe
from tests.pipeline.cli_run import render

pytestmark = pytest.mark.render
ROOT = Path(__file__).resolve().parents[2]
PLUGIN = "plugins: [tests.pipeline.fixture_scenes]\n"

BOARD = """\
title: Tiny lecture
name: tiny
quality: low
plugins: [tests.pipeline.fixture_scenes]
scenes:
  - scene: fixture.shapes
    chapter: Squares
    params: {{slides: 2, seconds: 0.4}}
  - scene: fixture.tokens
    chapter: Tokens
    params: {{sentence: "{sentence}"}}
"""


@pytest.fixture(scope="module")
def ws(tmp_path_factory):
    root = tmp_path_factory.mktemp("e2e")
    board = root / "tiny.yaml"
    board.write_text(BOARD.format(sentence="a b c"))
    return {
        "root": root,
        "board": board,
        "run": lambda *a: render(board, root / "out", *a),
        "out": root / "out" / "tiny",
    }


def last_run(out: Path) -> dict:
    return json.loads((out / "last_run.json").read_text())


def chapters(video: Path) -> list[dict]:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-show_chapters", "-of", "json", str(video)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return json.loads(out)["chapters"]


def test_cold_render_produces_the_stitched_video(ws):
    proc = ws["run"]()
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert [e["status"] for e in last_run(ws["out"])["entries"]] == ["rendered", "rendered"]
    video = ws["out"] / "tiny.mp4"
    manifest = json.loads((ws["out"] / "manifest.json").read_text())
    clips = [ws["out"] / e["clip"] for e in manifest["entries"]]
    for info in map(probe, clips):
        assert (info.width, info.height, info.fps) == (854, 480, "15/1")
    assert manifest["stitch"]["method"] == "copy"
    # every frame of every clip, and no other, is in the video: a frame lost at a join would show here
    frames = [frame_count(c) for c in clips]
    assert frame_count(video) == sum(frames)
    assert frames[0] == 2 * round(0.4 * 15)  # two squares drawn in 0.4 s each at 15 fps
    # chapter markers in the file start where the manifest says each clip starts: after clip 1's frames
    marks = chapters(video)
    assert [c["tags"]["title"] for c in marks] == ["Squares", "Tokens"]
    assert float(marks[1]["start_time"]) == pytest.approx(frames[0] / 15, abs=1e-3)
    assert manifest["chapters"][1]["start"] == pytest.approx(frames[0] / 15, abs=1e-3)


def test_second_run_is_fully_cached(ws):
    before = (ws["out"] / "tiny.mp4").stat().st_mtime_ns
    proc = ws["run"]()
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert [e["status"] for e in last_run(ws["out"])["entries"]] == ["cached", "cached"]
    assert (ws["out"] / "tiny.mp4").stat().st_mtime_ns == before  # nothing changed, nothing rewritten
    assert proc.stdout.startswith("2 entries, all cached: nothing to render.")  # one line, no table


def test_a_cached_run_and_a_dry_run_never_import_manim(ws):
    for extra in ((), ("--dry-run",)):
        cmd = [
            sys.executable,
            "-X",
            "importtime",
            "render.py",
            str(ws["board"]),
            "-o",
            str(ws["root"] / "out"),
        ]
        done = subprocess.run([*cmd, *extra], cwd=ROOT, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stdout + done.stderr
        imported = {line.split("|")[-1].strip() for line in done.stderr.splitlines() if "|" in line}
        assert not {m for m in imported if m.split(".")[0] in ("manim", "manim_slides")}, extra
        assert "pipeline.run" in imported  # the measurement itself worked


def test_dry_run_shows_the_plan_and_writes_nothing(ws):
    before = (ws["out"] / "last_run.json").read_text()
    proc = ws["run"]("--dry-run", "--locale", "zh")
    assert proc.returncode == 0
    assert "2 to render, 0 cached" in proc.stdout
    assert (ws["out"] / "last_run.json").read_text() == before
    assert not (ws["root"] / "out" / "tiny-zh").exists()


def test_changing_one_entry_rerenders_exactly_that_clip(ws):
    old = json.loads((ws["out"] / "manifest.json").read_text())
    ws["board"].write_text(BOARD.format(sentence="a b c d"))
    proc = ws["run"]()
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert [e["status"] for e in last_run(ws["out"])["entries"]] == ["cached", "rendered"]
    new = json.loads((ws["out"] / "manifest.json").read_text())
    assert new["keys"][0] == old["keys"][0] and new["keys"][1] != old["keys"][1]
    clips = [ws["out"] / e["clip"] for e in new["entries"]]
    assert frame_count(ws["out"] / "tiny.mp4") == sum(frame_count(c) for c in clips)


def test_slides_deck_names_every_slide_video(ws):
    proc = ws["run"]("--slides")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    deck = ws["out"] / "slides" / "index.html"
    html = deck.read_text()
    slide_cfgs = sorted((ws["root"] / "slides" / "tiny").glob("*.json"))
    assert [p.stem for p in slide_cfgs] == ["e01_fixture_shapes", "e02_fixture_tokens"]
    n_slides = 0
    for cfg in slide_cfgs:
        for slide in json.loads(cfg.read_text())["slides"]:
            n_slides += 1
            assert Path(slide["file"]).name in html, f"{slide['file']} not referenced by the deck"
    videos = re.findall(r'data-background-video="([^"]+)"', html)
    assert len(videos) == n_slides >= 3  # two squares' slides and the tokens' one (+ the ends)
    for v in videos:
        assert (deck.parent / v).is_file(), v


def test_preview_writes_frames_and_a_contact_sheet(ws):
    proc = ws["run"]("--preview")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    frames = sorted((ws["out"] / "frames").glob("*.png"))
    manifest = json.loads((ws["out"] / "manifest.json").read_text())
    assert len(frames) == sum(e["slides"] + 1 for e in manifest["entries"])
    with Image.open(frames[0]) as im:
        assert im.size == (854, 480)
    with Image.open(ws["out"] / "contact_sheet.png") as sheet:
        assert sheet.width > 1000 and sheet.height > 400


def test_failing_and_hanging_entries_do_not_stop_the_others(tmp_path):
    board = tmp_path / "mixed.yaml"
    board.write_text(
        "title: Mixed\nquality: low\n" + PLUGIN + "scenes:\n  - scene: fixture.failing\n"
        "  - scene: fixture.sleepy\n    params: {seconds: 300}\n"
        "  - scene: fixture.shapes\n    params: {slides: 1}\n"
    )
    t0 = time.perf_counter()
    proc = render(board, tmp_path / "out", "--timeout", "8")
    assert time.perf_counter() - t0 < 60  # the sleeper was stopped, not waited for
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr
    report = last_run(tmp_path / "out" / "mixed")
    failed, hung, ok = report["entries"]
    assert failed["status"] == "failed" and "fails on purpose" in failed["error"]
    assert "RuntimeError: this scene fails on purpose" in Path(failed["log"]).read_text()
    assert hung["status"] == "failed" and hung["error"] == "timed out after 8 s (--timeout)"
    assert "stopped the worker" in Path(hung["log"]).read_text()
    assert ok["status"] == "rendered"
    assert report["video"] is None  # an incomplete lecture is not stitched
    assert not (tmp_path / "out" / "mixed" / "mixed.mp4").exists()
    assert not list((tmp_path / "out" / ".cache" / "clips").glob(".tmp-*"))  # nothing left behind


@pytest.fixture
def one_clip(tmp_path):
    """A rendered one-entry storyboard, and a function that changes its title (so it must be re-stitched)."""
    board = tmp_path / "one.yaml"
    text = (
        "title: {title}\nquality: low\n"
        + PLUGIN
        + "scenes:\n  - scene: fixture.shapes\n    params: {{slides: 1}}\n"
    )
    board.write_text(text.format(title="First"))
    proc = render(board, tmp_path / "out")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return board, lambda title: board.write_text(text.format(title=title))


def test_a_failing_ffmpeg_ends_with_one_line_and_a_report(tmp_path, one_clip):
    board, retitle = one_clip
    real = subprocess.run(["which", "ffmpeg"], capture_output=True, text=True, check=True).stdout.strip()
    fake_dir = tmp_path / "bin"
    fake_dir.mkdir()
    fake = fake_dir / "ffmpeg"  # answers -version like the real one (same cache keys), fails to concat
    fake.write_text(
        f'#!/bin/sh\n[ "$1" = -version ] && exec {real} -version\necho "fake: cannot concat" >&2\nexit 1\n'
    )
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    retitle("Second")
    env = {**os.environ, "PATH": f"{fake_dir}{os.pathsep}{os.environ['PATH']}", "COLUMNS": "80"}
    proc = render(board, tmp_path / "out", env=env)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr
    lines = [line for line in proc.stdout.splitlines() if "stitching failed" in line]
    assert len(lines) == 1 and "fake: cannot concat" in lines[0], proc.stdout
    report = last_run(tmp_path / "out" / "one")
    assert [e["status"] for e in report["entries"]] == ["cached"]  # the clip itself was fine
    assert report["video"] is None and "fake: cannot concat" in report["errors"][0]
    assert "MediaError" in (tmp_path / "out" / "one" / "logs" / "stitching.log").read_text()


def test_a_failing_slide_export_ends_with_one_line_and_a_report(tmp_path, one_clip, monkeypatch):
    from rich.console import Console

    import pipeline.publishing.slides
    from pipeline.inputs.storyboard import parse_storyboard
    from pipeline.planning.plan import Settings
    from pipeline.run import RunOptions, run_storyboard

    board, _ = one_clip
    real_run = subprocess.run

    def refuse(cmd, **kw):  # only manim-slides fails: ffprobe and espeak-ng share the subprocess module
        if "manim_slides" in cmd:
            return subprocess.CompletedProcess(cmd, 1, "", "convert: no space left on device")
        return real_run(cmd, **kw)

    monkeypatch.setattr(pipeline.publishing.slides.subprocess, "run", refuse)
    out = tmp_path / "out"
    settings = Settings(out, out / ".cache" / "clips", tmp_path / "slides", "low", "en")
    console_file = tmp_path / "console.txt"
    with open(console_file, "w") as f:
        code = run_storyboard(
            parse_storyboard(board), settings, RunOptions(slides=True), Console(file=f, width=80)
        )
    assert code == 1
    report = last_run(out / "one")
    assert report["errors"] == [
        "slides failed: manim-slides convert failed: convert: no space left on device "
        f"(log: {out / 'one' / 'logs' / 'slides.log'})"
    ]
    assert report["video"]  # the video itself was made
    printed = console_file.read_text()
    assert sum("slides failed" in line for line in printed.splitlines()) == 1 and "Traceback" not in printed
    assert not (out / "one" / "slides").exists()  # a failed export leaves no half deck


def test_a_lecture_scene_renders_end_to_end(tmp_path):
    """The one real lecture render: a Mamba scene with small parameters."""
    board = tmp_path / "real.yaml"
    board.write_text(
        "title: Real\nquality: low\nscenes:\n  - scene: mamba.selective_scan\n"
        "    params: {model: random, sentence: 'hello world', d_inner: 1, d_state: 2}\n"
    )
    proc = render(board, tmp_path / "out")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    manifest = json.loads((tmp_path / "out" / "real" / "manifest.json").read_text())
    clip = tmp_path / "out" / "real" / manifest["entries"][0]["clip"]
    info = probe(clip)
    assert (info.width, info.height, info.fps) == (854, 480, "15/1")
    assert frame_count(tmp_path / "out" / "real" / "real.mp4") == frame_count(clip) > 15
