"""How many Manim animations an entry plays, without rendering a frame: what a chunked entry is split by.

Run as ``python -m pipeline.count`` with the entry's job as JSON on stdin; prints the count. The scene runs
``construct()`` in Manim's dry-run mode with every animation skipped (as ``scenes.layout.run_fast`` does),
with the job's voice and narration, because a narrated beat holds its last frame for as long as its
speech lasts — one more ``wait``, one more animation. A skipped animation advances the clock by its exact
``run_time`` where a rendered one advances it by whole frames, so a beat whose speech and animations end
within a frame of each other may count one ``wait`` differently: the last chunk runs to the end whatever
the count says, so the count only balances the chunks and never loses an animation.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from pipeline.jobs import Job


def count_plays(job: Job, root: Path, timeout: float | None = None) -> int:
    """The number of animations ``job``'s scene plays (a fresh process: Manim's config is global).
    Raises RuntimeError (one line) when the scene fails or runs past ``timeout``."""
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "pipeline.count"],
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
    import importlib

    from manim import tempconfig

    from scenes.narration import Overrides
    from scenes.registry import scene_class

    sys.path.extend(p for p in job.import_path if p not in sys.path)
    importlib.import_module(job.module)
    cls: Any = scene_class(job.scene_id)
    with tempfile.TemporaryDirectory() as tmp:
        voice = None
        if job.voice.get("kind", "none") != "none":
            from pipeline.voices import make_voice

            voice = make_voice(job.voice, Path(tmp) / "voice", job.name, job.locale)
        config = {"dry_run": True, "quality": "low_quality", "disable_caching": True, "media_dir": tmp,
                  "progress_bar": "none", "verbosity": "ERROR"}  # fmt: skip
        with tempconfig(config):
            scene = cls(
                params=cls.Params.model_validate(job.params),
                locale=job.locale,
                voice=voice,
                narration=Overrides(**job.narration) if job.narration else None,
            )
            scene.renderer._original_skipping_status = True
            scene.renderer.skip_animations = True
            scene.setup()
            scene.construct()
            return int(scene.renderer.num_plays)


if __name__ == "__main__":
    out = sys.stdout
    sys.stdout = sys.stderr  # Manim's console
    print(_count(Job.from_json(sys.stdin.read())), file=out)
