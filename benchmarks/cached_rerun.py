"""The fully cached re-run: how long `render.py` takes when every clip is already in the cache.

    .venv/bin/python benchmarks/cached_rerun.py [STORYBOARD] [-q low] [-o output] [--repeats 7]

1. Renders the storyboard once if its clips are not all cached yet (reported, not timed).
2. Runs the same command ``--repeats`` times and checks each run rendered nothing and rewrote no video.
   Wall-clock time is what a user waits; CPU time (user + system, from ``getrusage``) is what the run
   costs, and is what the wall time comes to on an idle machine (a cached run is one process and one
   thread, and reads a few small files). Both are reported, with the load average: on a busy machine the
   wall time is the CPU time stretched by the other processes.
3. Runs it once more with ``python -X importtime`` to show what the time goes on and that Manim is never
   imported.

Results are printed and appended to ``benchmarks/cached_rerun.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # this checkout's pipeline, also when run from a copy of the tree
RESULTS = ROOT / "benchmarks" / "cached_rerun.json"


def timed(cmd: list[str]) -> tuple[float, float, subprocess.CompletedProcess[str]]:
    """(wall seconds, CPU seconds of the child, the finished process)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if proc.returncode != 0:
        raise SystemExit(f"failed: {' '.join(cmd)}\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
    return wall, cpu, proc


def import_breakdown(stderr: str, top: int = 8) -> tuple[dict[str, float], set[str]]:
    """Top-level imports by cumulative milliseconds, and every module imported."""
    top_level: dict[str, float] = {}
    modules: set[str] = set()
    for line in stderr.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        _, cumulative, name = line.split("|")
        modules.add(name.strip())
        if name.startswith(" ") and not name.startswith("  "):  # one space: imported by the program itself
            top_level[name.strip()] = round(int(cumulative) / 1000, 1)
    ranked = dict(sorted(top_level.items(), key=lambda kv: -kv[1])[:top])
    return ranked, modules


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("storyboard", nargs="?", default="storyboards/mamba.yaml")
    ap.add_argument("-q", "--quality", default=None, help="passed to render.py (default: the storyboard's)")
    ap.add_argument("-o", "--output", default=str(ROOT / "output"), help="render.py's output folder")
    ap.add_argument("--jobs", type=int, default=2, help="workers for the preparing render")
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--label", default="", help="a note stored with the result (e.g. the commit measured)")
    ap.add_argument("--results", type=Path, default=RESULTS, help="the JSON file the result is appended to")
    args = ap.parse_args()

    cmd = [sys.executable, "render.py", args.storyboard, "-o", args.output]
    cmd += ["-q", args.quality] if args.quality else []
    _, _, dry = timed([*cmd, "--dry-run"])
    if not re.search(r"^0 to render,", dry.stdout, re.MULTILINE):
        print("not everything is cached: rendering once first ...", flush=True)
        wall, _, _ = timed([*cmd, "--jobs", str(args.jobs)])
        print(f"  rendered in {wall:.0f} s")

    from pipeline.inputs.storyboard import parse_storyboard

    board = parse_storyboard(ROOT / args.storyboard)
    out_dir = Path(args.output) / board.name
    video = out_dir / f"{board.name}.mp4"
    before = video.stat().st_mtime_ns
    walls, cpus = [], []
    for _ in range(args.repeats):
        wall, cpu, _ = timed(cmd)
        statuses = {e["status"] for e in json.loads((out_dir / "last_run.json").read_text())["entries"]}
        if statuses != {"cached"} or video.stat().st_mtime_ns != before:
            raise SystemExit(f"not a cached re-run: {statuses}")
        walls.append(wall)
        cpus.append(cpu)
    startup = min(timed([sys.executable, "-c", "pass"])[0] for _ in range(5))
    _, _, traced = timed([sys.executable, "-X", "importtime", *cmd[1:]])
    imports, modules = import_breakdown(traced.stderr)
    manim = sorted(m for m in modules if m.split(".")[0] in ("manim", "manim_slides"))

    result = {
        "when": time.strftime("%Y-%m-%d %H:%M"),
        "label": args.label,
        "storyboard": args.storyboard,
        "quality": args.quality or board.quality,
        "entries": len(board.entries),
        "repeats": args.repeats,
        "wall_s": {"min": round(min(walls), 3), "median": round(statistics.median(walls), 3)},
        "cpu_s": {"min": round(min(cpus), 3), "median": round(statistics.median(cpus), 3)},
        "python_startup_s": round(startup, 3),
        "load_average_1min": round(os.getloadavg()[0], 2),
        "cores": os.cpu_count(),
        "manim_imported": bool(manim),
        "top_imports_ms": imports,
    }
    print(json.dumps(result, indent=2))
    history = json.loads(args.results.read_text()) if args.results.is_file() else []
    args.results.write_text(json.dumps([*history, result], indent=2, ensure_ascii=False) + "\n")
    if manim:
        raise SystemExit(f"a cached re-run imported {manim[:3]}")


if __name__ == "__main__":
    main()
