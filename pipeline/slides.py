"""Export a storyboard as one manim-slides HTML deck.

Every rendered entry already carries its slide data (the worker renders each scene as a manim-slides
``Slide``; ``next_slide()`` marks the pauses). Export gathers them under ``slides/<name>/`` with one
presentation per entry and calls ``manim-slides convert`` once for all of them.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from pipeline.cache import ClipCache
from pipeline.fsutil import link_or_copy, publish_dir, write_text_atomic
from pipeline.jobs import ClipMeta, Job
from pipeline.plan import Plan


class SlidesError(RuntimeError):
    pass


def gather(jobs: list[Job], metas: list[ClipMeta], cache: ClipCache, folder: Path) -> list[str]:
    """Write ``folder/<entry>.json`` and ``folder/files/<entry>/`` for each job; return the entry names."""
    names = []
    for job, meta in zip(jobs, metas, strict=True):
        entry = cache.entry(job.key) / "slides"
        src_cfg = entry / f"{meta.name}.json"
        if not src_cfg.is_file():
            raise SlidesError(f"{job.name}: the cached render has no slide data ({src_cfg})")
        cfg = json.loads(src_cfg.read_text(encoding="utf-8"))
        files_dir = folder / "files" / job.name
        for slide in cfg["slides"]:
            for k in ("file", "rev_file"):
                src = entry / slide[k]
                dest = files_dir / src.name
                if not dest.exists():
                    link_or_copy(src, dest)
                slide[k] = str(dest.resolve())
        write_text_atomic(folder / f"{job.name}.json", json.dumps(cfg, indent=2))
        names.append(job.name)
    return names


def export_deck(plan: Plan, metas: list[ClipMeta], dest_dir: Path) -> Path:
    """Build ``dest_dir/index.html`` (+ its assets folder) from every entry of ``plan``; return its path."""
    board = plan.board
    folder = plan.settings.slides_dir / board.name
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    names = gather([p.job for p in plan.entries], metas, plan.cache, folder)
    dest_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{dest_dir.name}.", dir=dest_dir.parent))
    try:
        html = tmp / "index.html"
        cmd = [
            sys.executable,
            "-m",
            "manim_slides",
            "convert",
            *names,
            str(html),
            "--folder",
            str(folder),
            "--to",
            "html",
            f"-ctitle={board.title}",
        ]
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if proc.returncode != 0 or not html.is_file():
            raise SlidesError(f"manim-slides convert failed: {(proc.stderr or proc.stdout).strip()[-800:]}")
        publish_dir(tmp, dest_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return dest_dir / "index.html"
