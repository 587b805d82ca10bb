"""Reliability with real processes (issue 14): damaged outputs, kills, signals, stuck workers, concurrent
runs and CI logs, each driven through ``render.py`` on the pipeline's own fixture scenes at 480p."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.render
ROOT = Path(__file__).resolve().parents[2]
PLUGIN = "plugins: [tests.pipeline.fixture_scenes]\n"
ONE = "title: One\nquality: low\n" + PLUGIN + "scenes:\n  - scene: fixture.shapes\n    params: {slides: 1}\n"


def command(board: Path, out: Path, *extra: str) -> list[str]:
    return [sys.executable, "render.py", str(board), "-o", str(out), "--slides-dir", str(out.parent / "slides"),
            "--jobs", "2", *extra]  # fmt: skip


def render(board: Path, out: Path, *extra: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        command(board, out, *extra), cwd=ROOT, capture_output=True, text=True, timeout=600, env=env
    )


def start(board: Path, out: Path, *extra: str, env: dict | None = None) -> subprocess.Popen:
    return subprocess.Popen(
        command(board, out, *extra), cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )


def wait_for(predicate, seconds: float = 60.0) -> None:
    end = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < end, "timed out waiting"
        time.sleep(0.1)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def worker_pids(cache: Path) -> list[int]:
    """The pids of running workers, from their build folders (``.tmp-<key>-<pid>``)."""
    return [int(p.name.rsplit("-", 1)[1]) for p in cache.glob(".tmp-*-*")] if cache.is_dir() else []


@pytest.fixture(scope="module")
def one(tmp_path_factory):
    """A rendered one-entry storyboard."""
    root = tmp_path_factory.mktemp("rel")
    board = root / "one.yaml"
    board.write_text(ONE)
    proc = render(board, root / "out")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return {"board": board, "out": root / "out", "dir": root / "out" / "one", "cache": root / "out/.cache/clips"}


# 2. a damaged output clip never reaches the cache -----------------------------------------------------


def test_truncating_an_output_clip_leaves_the_cache_whole_and_the_next_run_restores_it(one):
    (cached,) = one["cache"].glob("*/clip.mp4")
    before = sha256(cached)
    (clip,) = (one["dir"] / "clips").glob("*.mp4")
    with open(clip, "r+b") as f:
        f.truncate(100)  # the moov atom is gone
    assert sha256(cached) == before
    proc = render(one["board"], one["out"])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert json.loads((one["dir"] / "last_run.json").read_text())["entries"][0]["status"] == "cached"
    assert sha256(clip) == before and os.stat(clip).st_ino != os.stat(cached).st_ino
