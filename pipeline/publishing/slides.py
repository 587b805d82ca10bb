"""Export a storyboard as one manim-slides deck: HTML that works with no network, and PDF / PowerPoint.

Every rendered entry already carries its slide data (the worker renders each scene as a manim-slides
``Slide``; ``next_slide()`` marks the pauses). Export gathers them under ``slides/<name>/`` with one
presentation per entry and calls ``manim-slides convert`` once per format for all of them.

The HTML deck loads reveal.js from ``index_assets/reveal.js-<version>/`` beside ``index.html``: the files it
uses are copied there from the copy ``make setup`` vendored in ``.web/`` (scripts/setup-web.sh), so the
folder works from a USB stick in a lecture hall without internet. manim-slides' own ``--offline`` would
download them at conversion time instead, which needs the network then.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

from common.fsutil import (
    FolderBusy,
    clone_or_copy,
    folder_lock,
    publish_dir,
    real_dir,
    remove_entry,
    write_text_atomic,
)
from pipeline import ROOT
from pipeline.planning.cache import ClipCache
from pipeline.planning.jobs import ClipMeta, Job
from pipeline.planning.plan import Plan

# The version manim-slides 5.7.0's deck template is written for (its RevealJS.reveal_version; a test checks
# both this and scripts/setup-web.sh against it).
REVEAL_VERSION = "6.0.1"
REVEAL_DIR = ROOT / ".web" / f"reveal.js-{REVEAL_VERSION}"
FORMATS = ("html", "pdf", "pptx")
ASSETS = "index_assets"  # manim-slides' default assets folder for index.html ("{basename}_assets")


class SlidesError(RuntimeError):
    pass


def parse_formats(text: str) -> tuple[str, ...]:
    """``"html,pdf"`` → ``("html", "pdf")``, in the order of :data:`FORMATS`; raise ``ValueError`` naming
    an unknown one."""
    asked = [t.strip().lower() for t in text.split(",") if t.strip()]
    unknown = [t for t in asked if t not in FORMATS]
    if unknown or not asked:
        names = ", ".join(map(repr, unknown)) or repr(text)
        raise ValueError(f"unknown slide format {names}; expected one of: {', '.join(FORMATS)}")
    return tuple(f for f in FORMATS if f in asked)


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
                    clone_or_copy(src, dest)
                slide[k] = str(dest.resolve())
        write_text_atomic(folder / f"{job.name}.json", json.dumps(cfg, indent=2))
        names.append(job.name)
    return names


def export_deck(
    plan: Plan, metas: list[ClipMeta], dest_dir: Path, formats: Sequence[str] = ("html",)
) -> list[Path]:
    """Build the deck of every entry of ``plan`` in ``dest_dir``: ``index.html`` (+ ``index_assets/``),
    ``<name>.pdf``, ``<name>.pptx`` as ``formats`` ask; return their paths. The folder is replaced whole."""
    board = plan.board
    if "html" in formats and not (REVEAL_DIR / "dist" / "reveal.js").is_file():
        raise SlidesError(
            f"reveal.js {REVEAL_VERSION} is not in {REVEAL_DIR}: run `make setup` (scripts/setup-web.sh)"
        )
    # the working folder is shared by every output folder a storyboard of this name renders to: held for
    # the whole export, so two runs (-o a, -o b) never empty or convert it under each other
    folder = plan.settings.slides_dir / board.name
    with _working_folder(folder):
        names = gather([p.job for p in plan.entries], metas, plan.cache, folder)
        dest_dir.parent.mkdir(parents=True, exist_ok=True)
        # the pid in the name: a later run sweeps the folder if this process is killed (common.fsutil)
        tmp = Path(tempfile.mkdtemp(prefix=f".{dest_dir.name}-{os.getpid()}-", dir=dest_dir.parent))
        made = []
        try:
            for fmt in formats:
                target = tmp / ("index.html" if fmt == "html" else f"{board.name}.{fmt}")
                options = [f"-ctitle={board.title}", f"-ccdn_url={ASSETS}/reveal.js-{REVEAL_VERSION}"]
                _convert(names, folder, fmt, target, options if fmt == "html" else [])
                if fmt == "html":
                    _vendor_assets(target)
                made.append(dest_dir / target.name)
            tmp.chmod(0o755)  # mkdtemp makes it 0700: a web server or a second user could not read the deck
            publish_dir(tmp, dest_dir)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
    return made


@contextlib.contextmanager
def _working_folder(folder: Path) -> Iterator[None]:
    """Hold ``folder``'s lock (one line if another run has it) and empty it of all but the lock: a link
    planted at ``folder`` or inside it is removed, never followed."""
    try:
        real_dir(folder)
    except FileExistsError:
        raise SlidesError(f"{folder} is not a directory (the --slides-dir working folder)") from None
    with contextlib.ExitStack() as held:
        try:
            held.enter_context(folder_lock(folder))
        except FolderBusy as e:
            raise SlidesError(f"{e}; wait for it to end, or give this run its own --slides-dir") from None
        with os.scandir(folder) as entries:
            for path in [Path(e.path) for e in entries if e.name != ".lock"]:
                remove_entry(path)
        yield


def _convert(names: list[str], folder: Path, fmt: str, target: Path, options: list[str]) -> None:
    cmd = [sys.executable, "-m", "manim_slides", "convert", *names, str(target)]
    cmd += ["--folder", str(folder), "--to", fmt, *options]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0 or not target.is_file():
        raise SlidesError(f"manim-slides convert failed: {(proc.stderr or proc.stdout).strip()[-800:]}")


_LOCAL = re.compile(rf'(?:href|src)="({re.escape(ASSETS)}/reveal\.js-[^/"]+/([^"]+))"')
_REMOTE = re.compile(r'<(?:script|link)\b[^>]*(?:href|src)="(?:https?:)?//', re.I)
_CSS_URL = re.compile(r"""url\(\s*['"]?(?!data:|https?:|#)([^'")]+)""")


def _vendor_assets(html: Path) -> None:
    """Copy the reveal.js files ``html`` refers to (and what their CSS refers to) from :data:`REVEAL_DIR`
    to the assets folder beside it; fail if the page still loads anything from the network."""
    text = html.read_text(encoding="utf-8")
    if _REMOTE.search(text):
        raise SlidesError("the deck template still loads a script or stylesheet from the network")
    todo = [(rel, html.parent / path) for path, rel in _LOCAL.findall(text)]
    if not todo:
        raise SlidesError(f"the deck does not load reveal.js from {ASSETS}/ (template changed?)")
    done: set[Path] = set()
    while todo:
        rel, dest = todo.pop()
        src = (REVEAL_DIR / rel).resolve()
        if dest in done:
            continue
        if not src.is_relative_to(REVEAL_DIR.resolve()) or not src.is_file():
            raise SlidesError(f"reveal.js {REVEAL_VERSION} has no {rel} (in {REVEAL_DIR})")
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, dest)
        done.add(dest)
        if src.suffix == ".css":  # fonts and images a theme loads by relative URL
            for ref in _CSS_URL.findall(src.read_text(encoding="utf-8")):
                sub = str(Path(rel).parent / ref.split("?")[0].split("#")[0])
                todo.append((sub, (dest.parent / ref.split("?")[0].split("#")[0]).resolve()))
    licence = REVEAL_DIR / "LICENSE"  # MIT: its notice goes with the copies
    if licence.is_file():
        path, rel = _LOCAL.findall(text)[0]
        shutil.copyfile(licence, html.parent / path[: -len(rel)] / "LICENSE")
