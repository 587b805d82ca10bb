"""The compiled LaTeX and text SVGs every render shares.

Compiled LaTeX and text SVGs are pure functions of their source, so they are shared between renders, in the
``Tex/`` and ``texts/`` folders beside the clip cache — but only finished SVGs: each worker compiles in its
own folders (two workers writing one .dvi race) and copies what it compiled back when it is done.
"""

from __future__ import annotations

from pathlib import Path
from xml.etree import ElementTree

from common.fsutil import clone_or_copy


def copy_svgs(src: Path, dest: Path, *, drop_broken: bool = False) -> None:
    """Copy the sound SVGs of ``src`` that ``dest`` lacks (or holds broken); each appears atomically.

    Copies, never hard links, in both directions: Manim may rewrite an SVG in its private folder in place,
    and a private file sharing the shared cache's inode would carry a half-written file into every later
    render (a 0-byte SVG once broke a scene for good). A file is trusted only once it parses;
    ``drop_broken`` removes a broken one from ``src`` (the shared cache), so a later render republishes it.
    """
    dest.mkdir(parents=True, exist_ok=True)
    for svg in src.glob("*.svg") if src.is_dir() else ():
        if not svg_ok(svg):
            if drop_broken:
                svg.unlink(missing_ok=True)
            continue
        target = dest / svg.name
        if not svg_ok(target):
            clone_or_copy(svg, target)


def svg_ok(path: Path) -> bool:
    """Whether ``path`` is a non-empty SVG document that parses (what a finished write leaves)."""
    try:
        if path.stat().st_size == 0:
            return False
        return ElementTree.parse(path).getroot().tag.endswith("svg")
    except (OSError, ElementTree.ParseError):
        return False
