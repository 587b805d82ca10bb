"""End to end at low quality: real clips rendered by worker processes, probed with ffprobe.

One storyboard goes through a cold render, a fully cached re-run, a params change that re-renders exactly
one clip, a slide-deck export and a preview; a failing entry does not stop the others.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from pipeline.media import probe

pytestmark = pytest.mark.render
ROOT = Path(__file__).resolve().parents[2]

BOARD = """\
title: Tiny lecture
name: tiny
quality: low
scenes:
  - scene: mamba.selective_scan
    chapter: Scan
    params: {{sentence: "hello world", d_inner: 2, d_state: 2}}
  - scene: mamba.discretization
    chapter: Discretisation
    params: {{steps: {steps}, delta: 0.5}}
"""


@pytest.fixture(scope="module")
def ws(tmp_path_factory):
    root = tmp_path_factory.mktemp("e2e")
    board = root / "tiny.yaml"
    board.write_text(BOARD.format(steps=4))

    def run(*extra: str) -> subprocess.CompletedProcess:
        cmd = [
            sys.executable,
            "render.py",
            str(board),
            "-o",
            str(root / "out"),
            "--slides-dir",
            str(root / "slides"),
            "--jobs",
            "2",
            *extra,
        ]
        return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600)

    return {"root": root, "board": board, "run": run, "out": root / "out" / "tiny"}


def last_run(ws) -> dict:
    return json.loads((ws["out"] / "last_run.json").read_text())


def test_cold_render_produces_the_stitched_video(ws):
    proc = ws["run"]()
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert [e["status"] for e in last_run(ws)["entries"]] == ["rendered", "rendered"]
    video = ws["out"] / "tiny.mp4"
    manifest = json.loads((ws["out"] / "manifest.json").read_text())
    clips = [ws["out"] / e["clip"] for e in manifest["entries"]]
    infos = [probe(c) for c in clips]
    for info in infos:
        assert (info.width, info.height, info.fps) == (854, 480, "15/1")
    total = probe(video).duration
    assert total == pytest.approx(sum(i.duration for i in infos), abs=0.1)
    assert manifest["stitch"]["method"] == "copy"
    # chapter markers in the file start where the manifest says each clip starts
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-show_chapters", "-of", "json", str(video)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    chapters = json.loads(out)["chapters"]
    assert [c["tags"]["title"] for c in chapters] == ["Scan", "Discretisation"]
    assert float(chapters[1]["start_time"]) == pytest.approx(infos[0].duration, abs=0.05)
    assert manifest["chapters"][1]["start"] == pytest.approx(infos[0].duration, abs=0.05)


def test_second_run_is_fully_cached(ws):
    before = (ws["out"] / "tiny.mp4").stat().st_mtime_ns
    proc = ws["run"]()
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert [e["status"] for e in last_run(ws)["entries"]] == ["cached", "cached"]
    assert (ws["out"] / "tiny.mp4").stat().st_mtime_ns == before  # nothing changed, nothing rewritten


def test_dry_run_shows_the_plan_and_writes_nothing(ws):
    before = (ws["out"] / "last_run.json").read_text()
    proc = ws["run"]("--dry-run", "--locale", "zh")
    assert proc.returncode == 0
    assert "2 to render, 0 cached" in proc.stdout
    assert (ws["out"] / "last_run.json").read_text() == before


def test_changing_one_entry_rerenders_exactly_that_clip(ws):
    old = json.loads((ws["out"] / "manifest.json").read_text())
    ws["board"].write_text(BOARD.format(steps=6))
    proc = ws["run"]()
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert [e["status"] for e in last_run(ws)["entries"]] == ["cached", "rendered"]
    new = json.loads((ws["out"] / "manifest.json").read_text())
    assert new["keys"][0] == old["keys"][0] and new["keys"][1] != old["keys"][1]
    assert probe(ws["out"] / "tiny.mp4").duration == pytest.approx(
        sum(e["duration"] for e in new["entries"]), abs=0.1
    )


def test_slides_deck_names_every_slide_video(ws):
    proc = ws["run"]("--slides")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    deck = ws["out"] / "slides" / "index.html"
    html = deck.read_text()
    slide_cfgs = sorted((ws["root"] / "slides" / "tiny").glob("*.json"))
    assert [p.stem for p in slide_cfgs] == ["e01_mamba_selective_scan", "e02_mamba_discretization"]
    n_slides = 0
    for cfg in slide_cfgs:
        for slide in json.loads(cfg.read_text())["slides"]:
            n_slides += 1
            assert Path(slide["file"]).name in html, f"{slide['file']} not referenced by the deck"
    videos = re.findall(r'data-background-video="([^"]+)"', html)
    assert len(videos) == n_slides >= 4
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


@pytest.fixture
def failing_scene():
    """Register "test.failing" for one test only: a leftover entry would change every later registry walk
    in this process (the JSON Schema, --list). The worker process registers it by importing the module."""
    from scenes.registry import REGISTRY, register
    from tests.pipeline.failing_scene import Failing

    register("test.failing")(Failing)  # idempotent; the import may have registered it already
    yield
    REGISTRY.pop("test.failing", None)


def test_a_failing_entry_does_not_stop_the_others(tmp_path, failing_scene):
    from rich.console import Console

    from pipeline.plan import Settings
    from pipeline.run import RunOptions, run_storyboard
    from pipeline.storyboard import parse_storyboard

    board = tmp_path / "mixed.yaml"
    board.write_text(
        "title: Mixed\nquality: low\nscenes:\n  - scene: test.failing\n"
        "  - scene: mamba.selective_scan\n    params: {sentence: 'a b', d_inner: 1, d_state: 2}\n"
    )
    sb = parse_storyboard(board)
    settings = Settings(tmp_path / "out", tmp_path / "cache", tmp_path / "slides", "low", "en")
    console = Console(file=open(tmp_path / "console.txt", "w"), width=200)
    code = run_storyboard(sb, settings, RunOptions(jobs=2), console)
    assert code == 1
    report = json.loads((tmp_path / "out" / "mixed" / "last_run.json").read_text())
    failed, ok = report["entries"]
    assert failed["status"] == "failed" and "fails on purpose" in failed["error"]
    assert "RuntimeError: this scene fails on purpose" in Path(failed["log"]).read_text()
    assert ok["status"] == "rendered"
    assert report["video"] is None  # an incomplete lecture is not stitched
    assert not (tmp_path / "out" / "mixed" / "mixed.mp4").exists()
    assert not list((tmp_path / "cache").glob(".tmp-*"))  # the failed render left nothing behind
