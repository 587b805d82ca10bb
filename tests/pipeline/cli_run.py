"""``render.py`` run as a user runs it, for the end-to-end tests: one command line, built in one place."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def command(board: Path, out: Path, *extra: str) -> list[str]:
    """``render.py BOARD -o OUT`` with the manim-slides folder beside OUT and two workers, then ``extra``."""
    return [
        sys.executable,
        "render.py",
        str(board),
        "-o",
        str(out),
        "--slides-dir",
        str(out.parent / "slides"),
        "--jobs",
        "2",
        *extra,
    ]


def render(
    board: Path, out: Path, *extra: str, env: dict | None = None, timeout: float = 600
) -> subprocess.CompletedProcess[str]:
    """Run :func:`command` to the end, capturing its output."""
    return subprocess.run(
        command(board, out, *extra), cwd=ROOT, capture_output=True, text=True, timeout=timeout, env=env
    )
