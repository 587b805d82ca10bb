"""Run jobs in parallel worker processes and show their progress.

Each job runs in a fresh ``python -m pipeline.worker`` process (Manim's config is process-global, and a
crash or leak in one scene cannot touch the others). Threads only wait on the processes. A worker still
running after its timeout is stopped with its whole process group (LaTeX, ffmpeg) and fails like any
failing entry; the others go on.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pipeline.cache import ROOT
from pipeline.jobs import ClipMeta, Job

Status = Literal["rendered", "cached", "failed"]


@dataclass(frozen=True)
class JobResult:
    job: Job
    status: Status
    seconds: float = 0.0
    meta: ClipMeta | None = None
    error: str = ""


ProgressFn = Callable[[Job, str, dict[str, Any]], None]

# running workers: each has its own process group, so Ctrl-C reaches them only through run_jobs
_LIVE: set[subprocess.Popen[str]] = set()
_LIVE_LOCK = threading.Lock()


def run_job(job: Job, on_event: ProgressFn, timeout: float | None = None) -> JobResult:
    """Render ``job`` in a worker process; ``on_event(job, event, data)`` sees its progress."""
    Path(job.log_path).parent.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    timed_out = threading.Event()
    with open(job.log_path, "w", encoding="utf-8") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "pipeline.worker"],
            cwd=ROOT,
            env=env,
            text=True,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log,
            start_new_session=True,  # its own process group, so a timeout stops its children too
        )
        assert proc.stdin and proc.stdout
        with _LIVE_LOCK:
            _LIVE.add(proc)

        def stop() -> None:
            timed_out.set()
            _kill_group(proc)

        timer = threading.Timer(timeout, stop) if timeout else None
        if timer:
            timer.daemon = True
            timer.start()
        try:
            proc.stdin.write(job.to_json())
            proc.stdin.close()
            meta: ClipMeta | None = None
            error = ""
            for line in proc.stdout:
                try:
                    msg = json.loads(line)
                except ValueError:
                    continue
                event = msg.pop("event", "")
                if event == "done":
                    meta = ClipMeta.model_validate(msg["meta"])
                elif event == "error":
                    error = msg.get("message", "")
                on_event(job, event, msg)
            code = proc.wait()
        finally:
            if timer:
                timer.cancel()
            if proc.poll() is None:  # interrupted: leave no orphan rendering on
                _kill_group(proc)
                proc.wait()
            with _LIVE_LOCK:
                _LIVE.discard(proc)
    seconds = time.perf_counter() - t0
    if timed_out.is_set():
        # a killed worker cannot clean up after itself
        shutil.rmtree(Path(job.cache_dir) / f".tmp-{job.key}-{proc.pid}", ignore_errors=True)
        error = f"timed out after {timeout:g} s (--timeout)"
        with open(job.log_path, "a", encoding="utf-8") as log:
            log.write(f"\nrender.py: stopped the worker: {error}\n")
        on_event(job, "error", {"message": error})
        return JobResult(job, "failed", seconds, error=error)
    if code != 0 or meta is None:
        return JobResult(job, "failed", seconds, error=error or f"worker exited with status {code}")
    return JobResult(job, "rendered", seconds, meta)


def _kill_group(proc: subprocess.Popen[str]) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def run_jobs(
    jobs: list[Job], n_workers: int, on_event: ProgressFn, timeout: float | None = None
) -> list[JobResult]:
    """Run every job; a failure is recorded and the others go on. Results keep the order of ``jobs``."""
    if not jobs:
        return []
    pool = ThreadPoolExecutor(max_workers=max(1, n_workers))
    try:
        futures = [pool.submit(run_job, j, on_event, timeout) for j in jobs]
        return [f.result() for f in futures]
    except BaseException:  # Ctrl-C: stop every running worker, start no other
        with _LIVE_LOCK:
            for proc in _LIVE:
                _kill_group(proc)
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
