"""Whole-lecture benchmark: one cold ``render.py`` of a storyboard, timed, with every worker's peak memory.

    .venv/bin/python benchmarks/lecture.py storyboards/training.yaml --label low -- -q low --slides --preview
    .venv/bin/python benchmarks/lecture.py storyboards/training.yaml --label high -- -q high

Everything after ``--`` goes to render.py (``--jobs 2`` is added unless given). The render writes into a
fresh scratch folder with its own empty clip cache, so nothing is reused. Measured: wall seconds, the CPU
seconds of render.py and all its workers (``RUSAGE_CHILDREN``), the load average before the start (a busy
machine makes wall time meaningless: compare CPU seconds then), and from the run's manifest the video's
length, each entry's render seconds and peak resident memory. The real-time factor is wall / video.

The result is merged into ``benchmarks/<storyboard name>_lecture.json`` under ``--label``. Timings are
measurements of this machine, not assertions: the figures go into the README.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def git_head() -> str:
    out = subprocess.run(["git", "log", "-1", "--format=%h %s"], cwd=ROOT, capture_output=True, text=True)
    return out.stdout.strip()[:90]


def measure(storyboard: Path, render_args: list[str], keep: Path | None) -> dict:
    """Render ``storyboard`` cold with ``render_args`` and return the figures."""
    if "--jobs" not in render_args and "-j" not in render_args:
        render_args = [*render_args, "--jobs", "2"]
    with tempfile.TemporaryDirectory(prefix="lecture-bench-") as tmp:
        out = keep or Path(tmp) / "out"
        cmd = [sys.executable, str(ROOT / "render.py"), str(storyboard), "-o", str(out), *render_args]
        load = os.getloadavg()[0]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, cwd=ROOT)
        wall = time.perf_counter() - t0
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if proc.returncode != 0:
            raise SystemExit(f"render.py exited {proc.returncode}: {' '.join(cmd)}")
        name = yaml.safe_load(storyboard.read_text()).get("name") or storyboard.stem
        manifest = json.loads((out / name / "manifest.json").read_text())
    entries = manifest["entries"]
    video = manifest["duration"]
    user, sys_ = after.ru_utime - before.ru_utime, after.ru_stime - before.ru_stime
    return {
        "flags": " ".join(render_args),
        "commit": git_head(),
        "quality": manifest["quality"],
        "locale": manifest["locale"],
        "video_seconds": round(video, 1),
        "clips": len(entries),
        "wall_s": round(wall, 1),
        "cpu_user_s": round(user, 1),
        "cpu_sys_s": round(sys_, 1),
        "real_time_factor_wall": round(wall / video, 3),
        "cpu_s_per_video_s": round((user + sys_) / video, 3),
        "load_before": round(load, 2),
        "stitch_s": manifest["stitch"]["seconds"],
        "worker_peak_rss_mb": max(e["peak_rss_mb"] for e in entries),
        "entries": {
            e["scene"]: {
                "video_s": e["duration"],
                "render_s": e["render_seconds"],
                "peak_mb": e["peak_rss_mb"],
            }
            for e in entries
        },
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("storyboard", type=Path)
    ap.add_argument("--label", required=True, help="key of this run in the JSON file (e.g. low, high)")
    ap.add_argument("--keep", type=Path, help="render into this folder and keep it (default: a scratch one)")
    ap.add_argument("--note", default="", help="a remark stored with the figures (e.g. what else ran)")
    argv = sys.argv[1:]
    cut = argv.index("--") if "--" in argv else len(argv)
    ap.epilog = "render.py's flags go after --"
    args = ap.parse_args(argv[:cut])
    render_args = argv[cut + 1 :]
    result = measure(args.storyboard.resolve(), render_args, args.keep)
    if args.note:
        result["note"] = args.note
    name = yaml.safe_load(args.storyboard.read_text()).get("name") or args.storyboard.stem
    dest = ROOT / "benchmarks" / f"{name}_lecture.json"
    data = json.loads(dest.read_text()) if dest.exists() else {}
    data.setdefault("what", f"{args.storyboard.name} rendered cold by benchmarks/lecture.py on 2 cores")
    data[args.label] = result
    dest.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    print(json.dumps({k: v for k, v in result.items() if k != "entries"}, indent=2))


if __name__ == "__main__":
    main()
