"""How many Manim animations an entry plays, without rendering a frame: what a chunked entry is split by.

Run as ``python -m pipeline.execution.count`` with the entry's job as JSON on stdin; prints the count. The
scene runs ``construct()`` in Manim's dry-run mode with every animation skipped (as
``scenes.engine.runner.run_skipping`` does), silently: a narrated beat that outlasts its animations adds one
``wait`` (an animation in Manim's count), so the silent count can be short by one per such beat. That only
shifts where the chunks are cut — the last chunk runs to the end whatever the count said, and every chunk
starts before the real end — while synthesising the whole narration once more here would cost as much as a
chunk's own speech (each chunk already synthesises every beat it passes; see ``benchmarks/chunked.json``).
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from pipeline.planning.jobs import Job


def count_plays(job: Job, root: Path, timeout: float | None = None) -> int:
    """The number of animations ``job``'s scene plays (a fresh process: Manim's config is global).
    Raises RuntimeError (one line) when the scene fails or runs past ``timeout``."""
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "pipeline.execution.count"],
            input=job.to_json(),
            capture_output=True,
            text=True,
            cwd=root,
            check=False,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        raise RuntimeError(f"counting {job.name}'s animations timed out after {timeout:g} s") from None
    lines = proc.stdout.strip().splitlines()
    if proc.returncode != 0 or not lines or not lines[-1].isdigit():
        raise RuntimeError(f"counting {job.name}'s animations failed: {proc.stderr.strip()[-300:]}")
    return int(lines[-1])


def _count(job: Job) -> int:
    from pipeline.execution.svgs import fetch_svgs, publish_svgs, shared_svg_dir
    from scenes.engine import runner
    from scenes.engine.narration import Overrides

    cls: Any = runner.load(job.scene_id, job.module, job.import_path)
    shared = shared_svg_dir(Path(job.cache_dir))
    with tempfile.TemporaryDirectory() as tmp:
        # the LaTeX and text this scene compiles go to the shared SVG cache, as a worker's do: the chunks,
        # which start after the count, then find them compiled instead of each compiling everything again
        svg_dirs = {"tex": Path(tmp) / "Tex", "texts": Path(tmp) / "texts"}
        for name, private in svg_dirs.items():
            fetch_svgs(shared / name, private)
        scene = runner.run_skipping(
            cls,
            cls.Params.model_validate(job.params),
            job.locale,
            media_dir=tmp,
            narration=Overrides(**job.narration) if job.narration else None,
            svg_dirs=(svg_dirs["tex"], svg_dirs["texts"]),
        )
        plays = int(scene.renderer.num_plays)
        for name, private in svg_dirs.items():
            publish_svgs(private, shared / name)
        return plays


if __name__ == "__main__":
    out = sys.stdout
    sys.stdout = sys.stderr  # Manim's console
    print(_count(Job.from_json(sys.stdin.read())), file=out)
