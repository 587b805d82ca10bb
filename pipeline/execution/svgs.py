"""The compiled LaTeX and text SVGs every render shares.

Manim names a compiled SVG by a hash of its source and settings, so renders can share them — but only
finished SVGs: each worker compiles in its own folders (two workers writing one .dvi race), starts with the
shared ones copied in (:func:`fetch_svgs`) and copies what it compiled back when it is done
(:func:`publish_svgs`).

The shared SVGs live inside the clip cache, as trusted as the clips, under a key of what compiles them
(:func:`shared_svg_dir`: ``<cache>/svg/<key>/tex/`` and ``texts/``): Manim's name covers the source, the
LaTeX template and the text's settings, the key the programs — Manim, ManimPango and Pango, the LaTeX and
dvisvgm binaries. Each published SVG has its sha256 recorded beside it (``<name>.svg.sha256``, written
first, each file atomically); a shared file is used only while it is a regular file (never through a link)
that parses and matches its record, so a file changed, truncated or planted after publishing is dropped and
compiled again, never drawn.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import importlib
import json
import os
import shutil
import stat
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from common.fsutil import real_dir, write_bytes_atomic, write_text_atomic

RECORD = ".sha256"  # the suffix of a shared SVG's digest record
MAX_SVG = 64 << 20  # bytes: larger is not a formula or a label


def shared_svg_dir(cache_dir: Path) -> Path:
    """Where the SVGs compiled by this machine's programs are shared, inside the clip cache ``cache_dir``:
    ``<cache_dir>/svg/<key>``, to hold a ``tex`` and a ``texts`` folder (see :func:`svg_key`). Both levels
    are made real directories here: a link planted at either is replaced, never followed."""
    folder = Path(cache_dir) / "svg"
    keyed = folder / svg_key()
    for part in (folder, keyed):
        try:
            real_dir(part)
        except FileExistsError as e:
            raise OSError(errno.ENOTDIR, "not a directory", str(part)) from e
    return keyed


def svg_key() -> str:
    """A key of what compiles the shared SVGs besides their source: the Manim, ManimPango and Pango versions
    and the LaTeX and dvisvgm programs (by path, size and modification time: an upgrade is a new key)."""
    import manim

    pango: Any = importlib.import_module("manimpango")  # untyped
    parts = {
        "manim": manim.__version__,
        "manimpango": str(pango.__version__),
        "pango": str(pango.pango_version()),
    }
    for program in ("latex", "xelatex", "lualatex", "dvisvgm"):
        exe = shutil.which(program)
        if exe is not None:
            with contextlib.suppress(OSError):
                st = os.stat(exe)
                parts[program] = f"{os.path.realpath(exe)}:{st.st_size}:{st.st_mtime_ns}"
    blob = json.dumps(parts, sort_keys=True).encode()
    return hashlib.sha256(blob).hexdigest()[:16]


def fetch_svgs(shared: Path, private: Path) -> None:
    """Copy every shared SVG that checks out (:func:`verified`) into the worker's ``private`` folder; drop
    one that does not, with its record, so a later render compiles and publishes it again.

    Copies, never hard links: Manim may rewrite an SVG in its private folder in place, and a private file
    sharing the shared cache's inode would carry a half-written file into every later render.
    """
    private.mkdir(parents=True, exist_ok=True)
    for svg in _svgs(shared):
        data = verified(svg)
        if data is None:
            for path in (svg, _record(svg)):
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(path)  # by name: a link goes, what it points to stays
            continue
        target = private / svg.name
        if not svg_ok(target):
            write_bytes_atomic(target, data)  # the bytes that were checked, not a second read


def publish_svgs(private: Path, shared: Path) -> None:
    """Copy the sound SVGs of the worker's ``private`` folder that ``shared`` lacks (or holds unverified)
    into it, each with its digest record: the record first, then the SVG, each appearing atomically."""
    made = False
    for svg in _svgs(private):
        data = _read(svg)
        if data is None or not _parses(data):
            continue  # a broken private SVG is not published
        if not made:  # created once there is something to publish (a link planted there is replaced)
            real_dir(shared)
            made = True
        target = shared / svg.name
        if verified(target) is not None:
            continue
        write_text_atomic(_record(target), hashlib.sha256(data).hexdigest() + "\n")
        write_bytes_atomic(target, data)


def verified(svg: Path) -> bytes | None:
    """The bytes of the shared ``svg`` if it is a regular file (not a link) that parses and matches its
    recorded sha256, else None."""
    data, record = _read(svg), _read(_record(svg))
    if data is None or record is None or not _parses(data):
        return None
    return data if record.decode("ascii", "replace").strip() == hashlib.sha256(data).hexdigest() else None


def svg_ok(path: Path) -> bool:
    """Whether ``path`` is a regular file holding a non-empty SVG document that parses (what a finished
    write leaves)."""
    data = _read(path)
    return data is not None and _parses(data)


def _svgs(folder: Path) -> list[Path]:
    try:
        st = os.lstat(folder)
    except OSError:
        return []
    if not stat.S_ISDIR(st.st_mode):  # a link in place of the folder is not followed
        return []
    return sorted(folder.glob("*.svg"))


def _record(svg: Path) -> Path:
    return svg.with_name(svg.name + RECORD)


def _read(path: Path) -> bytes | None:
    """The bytes of the regular file ``path``, opened without following a link (nor blocking on a FIFO)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_size > MAX_SVG:
            return None
        with os.fdopen(os.dup(fd), "rb") as f:
            return f.read(MAX_SVG + 1)
    except OSError:
        return None
    finally:
        os.close(fd)


def _parses(data: bytes) -> bool:
    if not data:
        return False
    try:
        return ElementTree.fromstring(data).tag.endswith("svg")
    except ElementTree.ParseError:
        return False
