"""Check scenes without rendering a video: layout problems at every pause, plus the pause frames as PNGs.

    python -m scenes.engine.check mamba.selective_scan --locale en zh --out /tmp/frames
    python -m scenes.engine.check mamba.discretization --params '{"delta": 1.2}'
    python -m scenes.engine.check --all

Runs each scene in fast mode (every animation skipped, nothing written but the frames), prints each
problem, and exits 1 if there were any.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from scenes.engine.layout import layout_problems


def main(argv: list[str] | None = None) -> int:
    from scenes.engine.discovery import discover

    registry = discover()
    ap = argparse.ArgumentParser(
        prog="python -m scenes.engine.check",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    ap.add_argument("scene_ids", nargs="*", help="registered scene ids")
    ap.add_argument("--all", action="store_true", help="check every registered scene")
    ap.add_argument("--locale", nargs="+", default=["en"], choices=["en", "zh"])
    ap.add_argument(
        "--params", default=None, help="JSON object of parameters (default: the scene's defaults)"
    )
    ap.add_argument("--examples", action="store_true", help="also check each scene's EXAMPLES parameter sets")
    ap.add_argument("--out", type=Path, default=None, help="folder for the pause frames (PNG)")
    ap.add_argument("--media-dir", default=None, help="reuse compiled LaTeX/text from this folder")
    args = ap.parse_args(argv)
    ids = sorted(registry) if args.all else args.scene_ids
    unknown = [i for i in ids if i not in registry]
    if unknown or not ids:
        ap.error(
            f"unknown scene ids {unknown}; known: {', '.join(sorted(registry))}"
            if unknown
            else "name at least one scene id, or --all"
        )
    bad = 0
    for sid in ids:
        spec = registry[sid]
        sets = [json.loads(args.params) if args.params else {}]
        if args.examples:
            sets += list(getattr(spec.cls, "EXAMPLES", ()))
        for k, raw in enumerate(sets):
            params = spec.params.model_validate(raw)
            for loc in args.locale:
                frames = []
                grab = (lambda scene, kind, i, frames=frames: frames.append(scene.capture_frame()),)
                t0 = time.perf_counter()
                _, problems = layout_problems(
                    spec.cls, params, loc, args.media_dir, hooks=grab if args.out else ()
                )
                print(
                    f"{sid} [{loc}] params#{k}: {len(problems)} problem(s), {time.perf_counter() - t0:.1f} s"
                )
                for p in problems:
                    print(f"    {p}")
                bad += len(problems)
                if args.out:
                    from PIL import Image

                    args.out.mkdir(parents=True, exist_ok=True)
                    for j, f in enumerate(frames):
                        Image.fromarray(f).convert("RGB").save(args.out / f"{sid}_{loc}_p{k}_{j:02d}.png")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
