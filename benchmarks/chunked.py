"""A storyboard whose longest entry dominates, rendered whole and with that entry chunked.

    .venv/bin/python benchmarks/chunked.py [--scene mamba.selective_scan] [--chunks 2] [--jobs 2] [-q low]
                                           [--repeats 1]

The storyboard is the dominant scene plus two short fixture entries. Each variant renders cold (its own
output and cache folder, so neither reuses the other's clips or compiled text) with ``--jobs`` workers.
Reported per run: wall time (what a user waits), CPU seconds of the run and all its workers (``getrusage``
of the children: what it costs; chunks pay for re-running ``construct()`` up to their range, a Manim
start-up each, and the count), each entry's render seconds, the dominant entry's share of the work in the
whole run, and the load average before and after (the machine is shared: on a busy one the wall time is
the CPU time stretched by other processes). A check that the chunked clip decodes to the same frames as
the whole one is part of every run.

Results are printed and appended to ``benchmarks/chunked.json``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "chunked.json"
sys.path.insert(0, str(ROOT))  # this checkout's pipeline, also when run from a copy of the tree

from pipeline.publishing.media import raw_rgb  # noqa: E402

BOARD = """\
title: Chunked benchmark
name: {name}
quality: {quality}
plugins: [tests.pipeline.fixture_scenes]
scenes:
  - scene: {scene}
{chunks}
  - scene: fixture.shapes
    params: {{slides: 2, seconds: 0.5}}
  - scene: fixture.steps
"""


def frames_digest(video: Path) -> str:
    return hashlib.sha256(raw_rgb(video)).hexdigest()


def run(board: Path, out: Path, jobs: int) -> dict:
    cmd = [sys.executable, "render.py", str(board), "-o", str(out), "--jobs", str(jobs)]
    cmd += ["--slides-dir", str(out / "slides")]
    load = os.getloadavg()[0]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise SystemExit(f"render failed:\n{proc.stdout}\n{proc.stderr}")
    name = board.stem
    report = json.loads((out / name / "last_run.json").read_text())
    manifest = json.loads((out / name / "manifest.json").read_text())
    return {
        "wall_s": round(wall, 2),
        "cpu_s": round(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime, 2),
        "load_before": round(load, 2),
        "load_after": round(os.getloadavg()[0], 2),
        "entries": {e["name"]: e["seconds"] for e in report["entries"]},
        "video_s": manifest["duration"],
        "first_clip_frames": frames_digest(out / name / manifest["entries"][0]["clip"]),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scene", default="mamba.selective_scan")
    ap.add_argument("--chunks", type=int, default=2)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("-q", "--quality", default="low")
    ap.add_argument("--repeats", type=int, default=1)
    args = ap.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="chunked-bench-") as tmp:
        for rep in range(args.repeats):
            for variant, chunks in (("whole", ""), ("chunked", f"    chunks: {args.chunks}")):
                board = Path(tmp) / f"{variant}.yaml"
                board.write_text(
                    BOARD.format(name=variant, quality=args.quality, scene=args.scene, chunks=chunks)
                )
                row = {
                    "variant": variant,
                    "repeat": rep,
                    **run(board, Path(tmp) / f"out-{variant}-{rep}", args.jobs),
                }
                print(json.dumps(row), flush=True)
                rows.append(row)
    whole = [r for r in rows if r["variant"] == "whole"]
    chunked = [r for r in rows if r["variant"] == "chunked"]
    dominant = [next(iter(r["entries"].values())) / sum(r["entries"].values()) for r in whole]
    result = {
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores (shared)",
        "scene": args.scene,
        "chunks": args.chunks,
        "jobs": args.jobs,
        "quality": args.quality,
        "dominant_share_of_work": [round(d, 3) for d in dominant],
        "same_frames": all(r["first_clip_frames"] == whole[0]["first_clip_frames"] for r in rows),
        "wall_whole_s": [r["wall_s"] for r in whole],
        "wall_chunked_s": [r["wall_s"] for r in chunked],
        "cpu_whole_s": [r["cpu_s"] for r in whole],
        "cpu_chunked_s": [r["cpu_s"] for r in chunked],
        "runs": rows,
    }
    print(json.dumps({k: v for k, v in result.items() if k != "runs"}, indent=1))
    history = json.loads(RESULTS.read_text()) if RESULTS.is_file() else []
    RESULTS.write_text(json.dumps([*history, result], indent=1) + "\n")


if __name__ == "__main__":
    main()
