"""Content-addressed clip cache.

A clip's key hashes everything that can change its pixels: the scene id and parameters, quality and
locale, tool versions, and the *source* of the scene's module together with every project module it
imports, transitively (found statically with ``ast``, so a change behind a lambda or in a helper is seen —
the failure mode of Manim's own partial-movie cache), plus the worker that renders it. Only those: the
code that validates, plans and reports (``pipeline.inputs.storyboard``, ``pipeline.run``,
``scenes.engine.discovery``) is not imported by a scene or the worker, so editing it keeps every clip. A
stale clip is the worst thing a cache can serve; re-rendering once too often is cheap by comparison.

A cached re-run must be quick (it never imports Manim), so the two slow inputs are memoised on disk in
the cache folder, each under a key that changes whenever its answer could: the import list of a source
file under the file's sha256, the ffmpeg version under the binary's path, size and mtime.

A cached clip is used only if it is still the file its worker wrote: its size and sha256 are in its
``meta.json``, and a lookup checks the size always and the sha256 when the file's identity (device, inode,
size, modification and change time) is not the one it was last verified under — memoised in
``.verified.json``, so a fully cached run hashes nothing. A clip that fails is a miss: it is rendered
again, and the run says why (:attr:`ClipCache.damaged`).
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
import platform
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from common.fsutil import sweep_temporaries, write_text_atomic
from pipeline import ROOT
from pipeline.inputs.plugins import SourceRoots
from pipeline.planning.jobs import ClipMeta

# bump when the layout of a cache entry changes (2: typed ClipMeta, 3: beats, audio, 4: clip size and sha256)
CACHE_VERSION = "4"
# the code that renders a clip besides the scene's own imports (its closure: pipeline.planning.jobs,
# common.fsutil)
RENDER_MODULES = ("pipeline.execution.worker",)
MEMO_LIMIT = 5000  # import lists (~100 bytes each) and verified clips (~150 bytes) kept on disk
DISTRIBUTIONS = ("manim", "manim-slides", "numpy", "ManimPango", "pycairo", "pydantic", "av")


def parse_imports(source: bytes, name: str, is_pkg: bool) -> list[str]:
    """Module names imported anywhere in ``source`` (top level, functions, conditionals)."""
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
    return sorted(found)


class SourceIndex:
    """Sources and their import graph, read once per run: module → (file, sha256, imported names).

    ``memo`` (a JSON file, optional) keeps the import lists across runs, keyed by the file's sha256, its
    module name and whether it is a package — everything the parse depends on.
    """

    def __init__(self, roots: SourceRoots | None = None, memo: Path | None = None) -> None:
        self.roots = roots or SourceRoots()
        self._memo_path = memo
        self._memo: dict[str, list[str]] = _read_json(memo) or {}
        self._memo_dirty = False
        self._used: set[str] = set()
        self._modules: dict[str, tuple[Path, str, list[str]] | None] = {}
        self._closures: dict[str, dict[str, str]] = {}

    def _module(self, name: str) -> tuple[Path, str, list[str]] | None:
        if name not in self._modules:
            path = self.roots.find(name)
            if path is None:
                self._modules[name] = None
            else:
                # hashed on every run, never by mtime: an edit within one mtime tick must change the key
                source = path.read_bytes()
                digest = hashlib.sha256(source).hexdigest()
                is_pkg = path.name == "__init__.py"
                memo_key = f"{digest}:{name}:{int(is_pkg)}"
                self._used.add(memo_key)
                imports = self._memo.get(memo_key)
                if imports is None:
                    imports = self._memo[memo_key] = parse_imports(source, name, is_pkg)
                    self._memo_dirty = True
                self._modules[name] = (path, digest, imports)
        return self._modules[name]

    def closure(self, module: str) -> dict[str, str]:
        """{module: sha256} of every project module that importing ``module`` executes: itself, its
        imports, their parents (importing a.b.c runs a/__init__ and a/b/__init__ first)."""
        if module in self._closures:
            return self._closures[module]
        seen: dict[str, str] = {}
        stack = [module]
        while stack:
            parts = stack.pop().split(".")
            for i in range(1, len(parts) + 1):
                sub = ".".join(parts[:i])
                if sub in seen:
                    continue
                found = self._module(sub)
                if found is None:
                    break  # not a project module, so neither is anything below it
                seen[sub] = found[1]
                stack.extend(found[2])
        self._closures[module] = dict(sorted(seen.items()))
        return self._closures[module]

    def paths(self, module: str) -> dict[str, Path]:
        """The closure of ``module`` as {module: file}."""
        return {m: self._modules[m][0] for m in self.closure(module)}  # type: ignore[index]

    def save(self) -> None:
        """Persist new import lists. Old versions of edited files pile up, so past MEMO_LIMIT entries only
        those this run used are kept (another storyboard's files are simply parsed again once)."""
        if self._memo_path is not None and self._memo_dirty:
            if len(self._memo) > MEMO_LIMIT:
                self._memo = {k: v for k, v in self._memo.items() if k in self._used}
            write_text_atomic(self._memo_path, json.dumps(self._memo, separators=(",", ":")))
            self._memo_dirty = False


def source_closure(module: str, root: Path = ROOT) -> dict[str, Path]:
    """Every project module under ``root`` that importing ``module`` executes, with its file."""
    return SourceIndex(SourceRoots(root)).paths(module)


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()  # PEP 503, as in *.dist-info folder names


def distribution_versions(names: tuple[str, ...]) -> dict[str, str]:
    """The installed version of each distribution, "missing" if none: read from the ``*.dist-info`` folder
    names along ``sys.path`` (first one wins, as for imports) — a directory listing, where
    ``importlib.metadata`` costs ~80 ms, a sixth of a cached re-run. Anything unusual falls back to it."""
    wanted = {_normalise(n): n for n in names}
    found: dict[str, str] = {}
    for entry in sys.path:
        try:
            listing = os.listdir(entry or ".")
        except OSError:
            continue
        for item in listing:
            if item.endswith(".dist-info") and "-" in item:
                name, _, version = item[: -len(".dist-info")].partition("-")
                dist = wanted.get(_normalise(name))
                if dist is not None and dist not in found:
                    found[dist] = version
    for dist in set(names) - set(found):
        from importlib import metadata

        try:
            found[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            found[dist] = "missing"
    return {n: found[n] for n in names}


def tool_versions(known_ffmpeg: dict[str, str] | None = None) -> dict[str, str]:
    """Python, the rendering distributions and ffmpeg. ``known_ffmpeg`` memoises ``ffmpeg -version`` (a
    subprocess, the slow part) by the binary's identity; a new answer is added to it."""
    versions = {"python": platform.python_version(), **distribution_versions(DISTRIBUTIONS)}
    exe = shutil.which("ffmpeg")
    if exe is None:
        versions["ffmpeg"] = "missing"
        return versions
    st = os.stat(exe)
    ident = f"{os.path.realpath(exe)}:{st.st_size}:{st.st_mtime_ns}"  # a new binary is a new identity
    known = known_ffmpeg if known_ffmpeg is not None else {}
    if ident not in known:
        out = subprocess.run([exe, "-version"], capture_output=True, text=True, check=False).stdout
        known[ident] = out.splitlines()[0] if out else "missing"
    versions["ffmpeg"] = known[ident]
    return versions


def cache_key(
    scene_module: str,
    scene_id: str,
    params: dict[str, Any],
    quality: str,
    locale: str,
    root: Path = ROOT,
    *,
    sources: SourceIndex | None = None,
    tools: dict[str, str] | None = None,
    extra: dict[str, Any] | None = None,
) -> tuple[str, dict[str, str]]:
    """The clip's key and the {module: sha256} of the sources it covers."""
    index = sources or SourceIndex(SourceRoots(root))
    digests: dict[str, str] = {}
    for m in (scene_module, *RENDER_MODULES):
        digests.update(index.closure(m))
    digests = dict(sorted(digests.items()))
    payload = {
        "cache_version": CACHE_VERSION,
        "scene": scene_id,
        "params": params,
        "quality": quality,
        "locale": locale,
        "tools": tools if tools is not None else tool_versions(),
        "sources": digests,
        **({"extra": extra} if extra else {}),  # e.g. the voice's identity and the narration overrides
    }
    blob = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str).encode()
    return hashlib.sha256(blob).hexdigest()[:32], digests


class ClipCache:
    """``<dir>/<key>/`` holds clip.mp4, meta.json, frames/*.png and slides/ of one rendered entry.

    One object per run: it reads each source file and the tool versions once, however many entries share
    them, and persists its memos (import lists, ffmpeg version) beside the clips.
    """

    def __init__(self, directory: Path, roots: SourceRoots | None = None) -> None:
        self.dir = Path(directory)
        self.sources = SourceIndex(roots, memo=self.dir / ".imports.json")
        self._ffmpeg_memo = self.dir / ".ffmpeg.json"
        self._known_ffmpeg: dict[str, str] = _read_json(self._ffmpeg_memo) or {}
        self._ffmpeg_dirty = False
        self._tools: dict[str, str] | None = None
        # key → the identity its clip.mp4 was last verified under, and the sha256 it was verified against
        self._verified_memo = self.dir / ".verified.json"
        self._verified: dict[str, list[Any]] = _read_dict(self._verified_memo)
        self._verified_dirty = False
        self._verified_used: set[str] = set()
        self.damaged: dict[str, str] = {}  # key → why its cached clip was not used (this run's lookups)

    @property
    def tools(self) -> dict[str, str]:
        if self._tools is None:
            before = dict(self._known_ffmpeg)
            self._tools = tool_versions(self._known_ffmpeg)
            self._ffmpeg_dirty = self._known_ffmpeg != before
        return self._tools

    def key(
        self,
        scene_module: str,
        scene_id: str,
        params: dict[str, Any],
        quality: str,
        locale: str,
        extra: dict[str, Any] | None = None,
    ) -> str:
        key, _ = cache_key(
            scene_module,
            scene_id,
            params,
            quality,
            locale,
            sources=self.sources,
            tools=self.tools,
            extra=extra,
        )
        return key

    def save_memos(self) -> None:
        """Write what this run learnt (a dry run does not call this: it writes nothing)."""
        self.sources.save()
        if self._ffmpeg_dirty:
            write_text_atomic(self._ffmpeg_memo, json.dumps(self._known_ffmpeg))
            self._ffmpeg_dirty = False
        if self._verified_dirty:  # past MEMO_LIMIT, only the clips this run looked up (others: hashed again)
            if len(self._verified) > MEMO_LIMIT:
                self._verified = {k: v for k, v in self._verified.items() if k in self._verified_used}
            write_text_atomic(self._verified_memo, json.dumps(self._verified, separators=(",", ":")))
            self._verified_dirty = False

    def entry(self, key: str) -> Path:
        return self.dir / key

    def sweep(self) -> int:
        """Remove the temporary folders of workers that are no longer running (killed mid-render), and the
        temporary files dead processes left beside the clips and the shared SVGs (``svg/<key>/<kind>/``,
        inside the cache: nothing outside it is touched). A link is removed, never followed."""
        removed = len(sweep_temporaries(self.dir, recursive=False))
        if not (self.dir / "svg").is_symlink():
            removed += len(sweep_temporaries(self.dir / "svg"))  # os.walk enters no link below it either
        for tmp in self.dir.glob(".tmp-*-*"):
            pid = tmp.name.rsplit("-", 1)[-1]
            if pid.isdigit() and not Path(f"/proc/{pid}").exists():
                if tmp.is_symlink():
                    tmp.unlink(missing_ok=True)  # planted: the link goes, what it points to stays
                else:
                    shutil.rmtree(tmp, ignore_errors=True)
                removed += 1
        return removed

    def lookup(self, key: str) -> ClipMeta | None:
        """The entry's metadata if it is complete (meta.json is written last and must parse) and its clip is
        the one its worker wrote (size and sha256, see the module docstring), else None; a clip that fails
        is noted in :attr:`damaged`."""
        meta_path, clip = self.entry(key) / "meta.json", self.entry(key) / "clip.mp4"
        if not (meta_path.is_file() and clip.is_file()):
            return None
        try:
            meta = ClipMeta.model_validate_json(meta_path.read_bytes())
        except (OSError, ValueError):
            return None
        memo = self._verified.get(key)
        known = memo[:-1] if isinstance(memo, list) and memo and memo[-1] == meta.clip_sha256 else None
        problem, ident = meta.check_clip(clip, known)
        self._verified_used.add(key)
        if problem is not None or ident is None:
            self.damaged[key] = problem or "unreadable"
            if self._verified.pop(key, None) is not None:
                self._verified_dirty = True
            return None
        if known != ident:
            self._verified[key] = [*ident, meta.clip_sha256]
            self._verified_dirty = True
        return meta


def _read_dict(path: Path) -> dict[str, Any]:
    """A JSON object from ``path``; {} if it is missing, unreadable or not an object (a damaged memo)."""
    data = _read_json(path)
    return data if isinstance(data, dict) else {}


def _read_json(path: Path | None) -> Any:
    if path is None:
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
