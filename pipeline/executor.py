"""Run jobs in parallel worker processes and show their progress.

Each job runs in a fresh ``python -m pipeline.worker`` process (Manim's config is process-global, and a
crash or leak in one scene cannot touch the others). Threads only wait on the processes.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.cache import ROOT
from pipeline.jobs import Job


@dataclass
class JobResult:
    job: Job
    status: str  # rendered | cached | failed
    seconds: float = 0.0
    meta: dict[str, Any] = field(default_factory=dict)
    error: str = ""


ProgressFn = Callable[[Job, str, dict[str, Any]], None]


def run_job(job: Job, on_event: ProgressFn) -> JobResult:
    """Render ``job`` in a worker process; ``on_event(job, event, data)`` sees its progress."""
    Path(job.log_path).parent.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    with open(job.log_path, "w", encoding="utf-8") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "pipeline.worker"],
            cwd=ROOT,
            env=env,
            text=True,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log,
        )
        assert proc.stdin and proc.stdout
        proc.stdin.write(job.to_json())
        proc.stdin.close()
        meta: dict[str, Any] = {}
        error = ""
        for line in proc.stdout:
            try:
                msg = json.loads(line)
            except ValueError:
                continue
            event = msg.pop("event", "")
            if event == "done":
                meta = msg["meta"]
            elif event == "error":
                error = msg.get("message", "")
            on_event(job, event, msg)
        code = proc.wait()
    seconds = time.perf_counter() - t0
    if code != 0 or not meta:
        return JobResult(job, "failed", seconds, error=error or f"worker exited with status {code}")
    return JobResult(job, "rendered", seconds, meta)


def run_jobs(jobs: list[Job], n_workers: int, on_event: ProgressFn) -> list[JobResult]:
    """Run every job; a failure is recorded and the others go on. Results keep the order of ``jobs``."""
    if not jobs:
        return []
    with ThreadPoolExecutor(max_workers=max(1, n_workers)) as pool:
        return list(pool.map(lambda j: run_job(j, on_event), jobs))
