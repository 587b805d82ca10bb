"""Run jobs in parallel worker processes and show their progress.

Each job runs in a fresh ``python -m pipeline.execution.worker`` process (Manim's config is process-global,
and a crash or leak in one scene cannot touch the others). Threads only wait on the processes. A worker still
running after its timeout is stopped with its whole process group (LaTeX, ffmpeg) and fails like any
failing entry; the others go on. On Ctrl-C or SIGTERM every worker is stopped at once (a render can take
minutes), its temporary folder removed, and no other worker starts. A process that dies without a chance
to stop its workers (``kill -9``, the OOM killer, a Dask worker lost) takes them with it: each worker has a
watchdog (:func:`_watchdog`) that stops its process group when the process that started it is gone.
"""

from __future__ import annotations

import contextlib
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

from pipeline import ROOT
from pipeline.planning.jobs import ClipMeta, Job

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
_STOPPING = threading.Event()  # set on Ctrl-C / SIGTERM: no new worker starts


class Interrupted(KeyboardInterrupt):
    """A signal asked the run to stop (SIGTERM; Ctrl-C raises KeyboardInterrupt itself). A KeyboardInterrupt,
    so no ``except Exception`` on the way swallows it, and code that must let a user's stop through (e.g.
    a plugin's import, which catches everything else) lets this one through too."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def run_job(job: Job, on_event: ProgressFn, timeout: float | None = None) -> JobResult:
    """Render ``job`` in a worker process; ``on_event(job, event, data)`` sees its progress."""
    t0 = time.perf_counter()
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    timed_out = threading.Event()
    try:
        Path(job.log_path).parent.mkdir(parents=True, exist_ok=True)
        log = open(job.log_path, "w", encoding="utf-8")
    except OSError as e:  # a full disk or a read-only folder: this entry fails, with the reason
        return JobResult(job, "failed", error=f"cannot write its log {job.log_path}: {e.strerror or e}")
    with log:
        with _LIVE_LOCK:  # so an interrupt either sees this worker in _LIVE or stops it from starting
            if _STOPPING.is_set():
                return JobResult(job, "failed", error="not started: the run was interrupted")
            proc = subprocess.Popen(
                [sys.executable, "-m", "pipeline.execution.worker"],
                cwd=ROOT,
                env=env,
                text=True,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log,
                start_new_session=True,  # its own process group, so a timeout stops its children too
            )
            _LIVE.add(proc)
        watchdog = _watchdog(proc)
        assert proc.stdin and proc.stdout

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
            _dismiss(watchdog)
            with _LIVE_LOCK:
                _LIVE.discard(proc)
    seconds = time.perf_counter() - t0
    if timed_out.is_set() or _STOPPING.is_set():
        # a killed worker cannot clean up after itself
        shutil.rmtree(Path(job.cache_dir) / f".tmp-{job.key}-{proc.pid}", ignore_errors=True)
    if _STOPPING.is_set() and meta is None:
        return JobResult(job, "failed", seconds, error="stopped: the run was interrupted")
    if timed_out.is_set():
        error = f"timed out after {timeout:g} s (--timeout)"
        with contextlib.suppress(OSError), open(job.log_path, "a", encoding="utf-8") as log:
            log.write(f"\nrender.py: stopped the worker: {error}\n")
        on_event(job, "error", {"message": error})
        return JobResult(job, "failed", seconds, error=error)
    if code != 0 or meta is None:
        return JobResult(job, "failed", seconds, error=error or f"worker exited with status {code}")
    return JobResult(job, "rendered", seconds, meta)


# The watchdog: reads one line from a pipe whose only writer is this process. A line means the worker is
# done (the watchdog exits); end of file without one means this process died: it kills the worker's group.
_WATCHDOG = 'read -r _ || kill -s KILL -- "-$1"'


@dataclass
class _Watchdog:
    proc: subprocess.Popen[bytes]
    fd: int  # the pipe's write end: open as long as this process lives


def _watchdog(worker: subprocess.Popen[str]) -> _Watchdog | None:
    """A ``sh`` that kills ``worker``'s process group (it, LaTeX, ffmpeg) if this process dies first.

    Needed because a worker has its own process group and session (so a timeout can stop its children):
    without it, a parent killed with SIGKILL (``kill -9``, the OOM killer, a lost Dask worker) leaves its
    render running for minutes. The watchdog is in a session of its own, so a signal to this process's
    group does not end it before it can act. None (and no watchdog) where ``sh`` cannot be started."""
    try:
        read_end, write_end = os.pipe()  # not inherited by any other child (O_CLOEXEC; close_fds)
    except OSError:  # out of file descriptors: the worker runs, unwatched, as it did before
        return None
    try:
        proc = subprocess.Popen(
            ["sh", "-c", _WATCHDOG, "sh", str(worker.pid)],
            stdin=read_end,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
    except OSError:
        os.close(write_end)
        return None
    finally:
        os.close(read_end)
    return _Watchdog(proc, write_end)


def _dismiss(watchdog: _Watchdog | None) -> None:
    """The worker has ended: tell its watchdog to exit without killing anything, and reap it."""
    if watchdog is None:
        return
    with contextlib.suppress(OSError):  # it died already (a signal to it alone): nothing to tell
        os.write(watchdog.fd, b"done\n")
    os.close(watchdog.fd)
    with contextlib.suppress(subprocess.TimeoutExpired):
        watchdog.proc.wait(timeout=5)


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
    _STOPPING.clear()
    pool = ThreadPoolExecutor(max_workers=max(1, n_workers))
    try:
        futures = [pool.submit(run_job, j, on_event, timeout) for j in jobs]
        return [f.result() for f in futures]
    except BaseException:  # Ctrl-C, SIGTERM: start no other worker, stop the running ones at once
        stop_all()
        raise
    finally:
        # the threads only wait on workers, and every worker is dead or done: this returns promptly
        pool.shutdown(wait=True, cancel_futures=True)


def stop_all() -> int:
    """Stop every running worker (with its children) and start no new one; return how many were running."""
    with _LIVE_LOCK:
        _STOPPING.set()
        for proc in _LIVE:
            _kill_group(proc)
        return len(_LIVE)
