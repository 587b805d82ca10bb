"""Render-speed benchmark: render.py against plain `manim`, the cached re-run, stitching and worker memory.

    .venv/bin/python benchmarks/render_speed.py [STORYBOARD] [--jobs 2] [--quality low] [--peak-quality high]

1. Plain Manim: `manim -q? <file> <Class>` for every entry, one after another (default parameters; the
   CLI cannot pass ours), in a scratch folder. This is what a user without the pipeline would run.
2. A cold `render.py` of the same storyboard with every entry's params removed (so both render the same
   content) into an empty output folder, with `--jobs N`.
3. The same command again: everything cached.
4. Stitching seconds (from the manifest) against the cold render time.
5. Optionally (`--peak-quality high`), the heaviest entry rendered again at that quality, for the worker's
   peak resident memory (from its manifest entry).

Results are printed and written to benchmarks/results.json. Timings are measurements of this machine, not
assertions: the figures and targets are in the README.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

MANIM_FLAG = {"low": "-ql", "medium": "-qm", "high": "-qh", "4k": "-qk"}


def timed(cmd: list[str], cwd: Path) -> float:
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"failed: {' '.join(cmd)}\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("storyboard", nargs="?", default=str(ROOT / "storyboards" / "mamba.yaml"))
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--quality", default="low", choices=list(MANIM_FLAG))
    ap.add_argument(
        "--peak-quality",
        default=None,
        choices=list(MANIM_FLAG),
        help="also render the slowest entry at this quality to measure peak worker memory",
    )
    ap.add_argument("--skip-baseline", action="store_true", help="do not run plain manim")
    args = ap.parse_args()

    from scenes.engine.discovery import discover

    registry = discover()
    board = yaml.safe_load(Path(args.storyboard).read_text())
    entries = [
        {"scene": e["scene"], **({"chapter": e["chapter"]} if "chapter" in e else {})}
        for e in board["scenes"]
    ]
    results: dict = {
        "storyboard": args.storyboard,
        "quality": args.quality,
        "jobs": args.jobs,
        "entries": len(entries),
    }
    py = sys.executable
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp_s:
        tmp = Path(tmp_s)
        if not args.skip_baseline:
            base = tmp / "manim"
            base.mkdir()
            t = 0.0
            for e in entries:
                spec = registry[e["scene"]]
                file = ROOT / (spec.module.replace(".", "/") + ".py")
                cmd = [
                    py,
                    "-m",
                    "manim",
                    MANIM_FLAG[args.quality],
                    "--media_dir",
                    str(base / "media"),
                    "--progress_bar",
                    "none",
                    str(file),
                    spec.cls.__name__,
                ]
                t += timed(cmd, base)
            results["plain_manim_sequential_s"] = round(t, 2)

        bench_board = tmp / "bench.yaml"
        bench_board.write_text(
            yaml.safe_dump(
                {"title": "benchmark", "name": "bench", "quality": args.quality, "scenes": entries}
            )
        )
        out = tmp / "out"
        cmd = [
            py,
            str(ROOT / "render.py"),
            str(bench_board),
            "-o",
            str(out),
            "--slides-dir",
            str(tmp / "slides"),
            "--jobs",
            str(args.jobs),
        ]
        results["render_cold_s"] = round(timed(cmd, ROOT), 2)
        results["render_cached_s"] = round(timed(cmd, ROOT), 2)
        manifest = json.loads((out / "bench" / "manifest.json").read_text())
        results["stitch_s"] = manifest["stitch"]["seconds"]
        results["video_s"] = manifest["duration"]
        results["worker_peak_mb_" + args.quality] = max(e["peak_rss_mb"] for e in manifest["entries"])
        results["entry_render_s"] = {e["scene"]: e["render_seconds"] for e in manifest["entries"]}
        if "plain_manim_sequential_s" in results:
            ratio = results["render_cold_s"] / results["plain_manim_sequential_s"]
            results["cold_vs_manim_ratio"] = round(ratio, 3)
        results["stitch_fraction_of_render"] = round(results["stitch_s"] / results["render_cold_s"], 4)

        if args.peak_quality:
            slowest = max(manifest["entries"], key=lambda e: e["render_seconds"] or 0)
            cmd_hi = [*cmd, "--only", str(slowest["index"]), "-q", args.peak_quality]
            results[f"render_{args.peak_quality}_{slowest['scene']}_s"] = round(timed(cmd_hi, ROOT), 2)
            cache = out / ".cache" / "clips"
            peaks = [
                json.loads(m.read_text()).get("peak_rss_mb", 0)
                for m in cache.glob("*/meta.json")
                if json.loads(m.read_text())["quality"] == args.peak_quality
            ]
            results[f"worker_peak_mb_{args.peak_quality}"] = max(peaks)

    print(json.dumps(results, indent=2))
    dest = ROOT / "benchmarks" / "results.json"
    history = json.loads(dest.read_text()) if dest.is_file() else []
    history.append({"when": time.strftime("%Y-%m-%d %H:%M"), **results})
    dest.write_text(json.dumps(history, indent=2) + "\n")


if __name__ == "__main__":
    main()
