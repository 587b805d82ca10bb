"""A process killed without a chance to stop its workers (``kill -9``, the OOM killer, a lost Dask worker)
takes its renders with it (issue 24, 8): each worker's watchdog stops the worker's process group."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from pipeline.execution.processes import _dismiss, _watchdog
from tests.pipeline.cli_run import command

pytestmark = pytest.mark.render
ROOT = Path(__file__).resolve().parents[3]
SLEEPY = (
    "title: Slow\nquality: low\nplugins: [tests.pipeline.fixture_scenes]\n"
    "scenes:\n  - scene: fixture.sleepy\n    params: {seconds: 300}\n"
)


def gone(pid: int) -> bool:
    """The process has exited (a zombie waiting for its reaper counts as gone)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0] in "ZX"
    except (OSError, IndexError):
        return True


def wait_for(predicate, seconds: float) -> bool:
    end = time.monotonic() + seconds
    while not predicate():
        if time.monotonic() > end:
            return False
        time.sleep(0.1)
    return True


def worker_pids(cache: Path) -> list[int]:
    """The pids of running workers, from their build folders (``.tmp-<key>-<pid>``)."""
    return [int(p.name.rsplit("-", 1)[1]) for p in cache.glob(".tmp-*-*")] if cache.is_dir() else []


def kill_all(pids: list[int]) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGKILL)


def test_a_run_killed_with_sigkill_takes_its_worker_with_it(tmp_path):
    board, out = tmp_path / "slow.yaml", tmp_path / "out"
    board.write_text(SLEEPY)
    cache = out / ".cache" / "clips"
    run = subprocess.Popen(command(board, out), cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    pids: list[int] = []
    try:
        assert wait_for(lambda: bool(worker_pids(cache)), 60), "no worker started"
        pids = worker_pids(cache)
        run.kill()  # SIGKILL: no handler runs, nothing in render.py can stop the worker
        run.wait(timeout=10)
        # asleep for 300 s in construct(): only the watchdog ends it this soon
        assert wait_for(lambda: gone(pids[0]), 5), "the worker of a killed run is still rendering"
    finally:
        run.kill()
        kill_all(pids)


def test_a_dismissed_watchdog_kills_nothing(tmp_path):
    # the normal end of a job: the watchdog leaves the (finished or still running) group alone
    sleeper = subprocess.Popen(["sleep", "30"], start_new_session=True, text=True)
    try:
        watchdog = _watchdog(sleeper)
        assert watchdog is not None
        _dismiss(watchdog)
        assert watchdog.proc.returncode == 0  # read its line and exited, no kill attempted
        time.sleep(0.3)
        assert sleeper.poll() is None
    finally:
        sleeper.kill()
        sleeper.wait()
