"""Content-addressed clip cache.

A clip's key hashes everything that can change its pixels: the scene id and parameters, quality and
locale, tool versions, and the *source* of the scene's module together with every project module it
imports, transitively (found statically with ``ast``, so a change behind a lambda or in a helper is seen —
the failure mode of Manim's own partial-movie cache). A stale clip is the worst thing a cache can serve;
re-rendering once too often is cheap by comparison.
"""

from __future__ import annotations

import ast
import functools
import hashlib
import json
import platform
import shutil
import subprocess
from importlib import metadata
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CACHE_VERSION = "1"  # bump when the layout of a cache entry changes
# pipeline modules whose code shapes what a worker renders (the rest only orchestrates)
RENDER_MODULES = ("pipeline.worker", "pipeline.storyboard")


def module_file(name: str, root: Path = ROOT) -> Path | None:
    """The source file of project module ``name`` (``a.b`` → a/b.py or a/b/__init__.py), if any."""
    base = root.joinpath(*name.split("."))
    for cand in (base.with_suffix(".py"), base / "__init__.py"):
        if cand.is_file():
            return cand
    return None


def _imports(path: Path, name: str) -> frozenset[str]:
    """Module names imported anywhere in ``path`` (top level, functions, conditionals)."""
    # memoised by content, not by path: parsing is the cost, and an edited file is simply a new entry
    return _parse_imports(path.read_bytes(), name, path.name == "__init__.py")


@functools.lru_cache(maxsize=2048)
def _parse_imports(source: bytes, name: str, is_pkg: bool) -> frozenset[str]:
    tree = ast.parse(source)
    package = name if is_pkg else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                parts = parts[: len(parts) - (node.level - 1)] if node.level > 1 else parts
                mod = ".".join(p for p in (*parts, node.module or "") if p)
            else:
                mod = node.module or ""
            found.add(mod)
            found.update(f"{mod}.{a.name}" for a in node.names)  # `from pkg import submodule`
    return frozenset(found)


def source_closure(module: str, root: Path = ROOT) -> dict[str, Path]:
    """Every project module that importing ``module`` executes: itself, its imports, their parents."""
    seen: dict[str, Path] = {}
    stack = [module]
    while stack:
        name = stack.pop()
        parts = name.split(".")
        for i in range(1, len(parts) + 1):  # importing a.b.c runs a/__init__ and a/b/__init__ first
            sub = ".".join(parts[:i])
            if sub in seen:
                continue
            path = module_file(sub, root)
            if path is None:
                continue
            seen[sub] = path
            stack.extend(_imports(path, sub))
    return dict(sorted(seen.items()))


def _file_digest(path: Path) -> str:
    # never memoised: an edit in a long-lived process (or within one mtime tick) must change the key
    return hashlib.sha256(path.read_bytes()).hexdigest()


@functools.lru_cache(maxsize=1)
def tool_versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for dist in ("manim", "manim-slides", "numpy", "ManimPango", "pycairo", "pydantic"):
        try:
            versions[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            versions[dist] = "missing"
    try:
        out = subprocess.run(["ffmpeg", "-version"], capture_output=True, text=True, check=False).stdout
        versions["ffmpeg"] = out.splitlines()[0] if out else "missing"
    except FileNotFoundError:
        versions["ffmpeg"] = "missing"
    return versions


def cache_key(
    scene_module: str, scene_id: str, params: dict[str, Any], quality: str, locale: str, root: Path = ROOT
) -> tuple[str, dict[str, str]]:
    """The clip's key and the {module: sha256} of the sources it covers."""
    modules: dict[str, Path] = {}
    for m in (scene_module, *RENDER_MODULES):
        modules.update(source_closure(m, root))
    sources = {name: _file_digest(path) for name, path in sorted(modules.items())}
    payload = {
        "cache_version": CACHE_VERSION,
        "scene": scene_id,
        "params": params,
        "quality": quality,
        "locale": locale,
        "tools": tool_versions(),
        "sources": sources,
    }
    blob = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str).encode()
    return hashlib.sha256(blob).hexdigest()[:32], sources


class ClipCache:
    """``<dir>/<key>/`` holds clip.mp4, meta.json, frames/*.png and slides/ of one rendered entry."""

    def __init__(self, directory: Path) -> None:
        self.dir = Path(directory)

    def entry(self, key: str) -> Path:
        return self.dir / key

    def sweep(self) -> int:
        """Remove the temporary folders of workers that are no longer running (killed mid-render)."""
        removed = 0
        for tmp in self.dir.glob(".tmp-*-*"):
            pid = tmp.name.rsplit("-", 1)[-1]
            if pid.isdigit() and not Path(f"/proc/{pid}").exists():
                shutil.rmtree(tmp, ignore_errors=True)
                removed += 1
        return removed

    def lookup(self, key: str) -> dict[str, Any] | None:
        """The entry's metadata if it is complete (its meta.json is written last), else None."""
        meta = self.entry(key) / "meta.json"
        if not meta.is_file():
            return None
        try:
            data = json.loads(meta.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not (self.entry(key) / "clip.mp4").is_file():
            return None
        return data
