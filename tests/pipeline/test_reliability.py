"""Reliability without rendering (issue 14): shared caches, copies, permissions, temporaries, locks,
hostile storyboards. The tests that drive real renders and signals are in test_reliability_e2e.py."""

from __future__ import annotations

import os
import stat

import pytest

from pipeline.fsutil import clone_or_copy, write_text_atomic
from pipeline.worker import _copy_svgs, svg_ok

SVG = '<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="4"><path d="M0 0"/></svg>\n'


# 1. the shared text/LaTeX SVG cache -------------------------------------------------------------------


def test_shared_svgs_reach_a_worker_as_copies_so_rewriting_one_in_place_spares_the_cache(tmp_path):
    shared, private = tmp_path / "texts", tmp_path / "tmp" / "media" / "texts"
    shared.mkdir()
    (shared / "a.svg").write_text(SVG)
    _copy_svgs(shared, private, drop_broken=True)
    assert (private / "a.svg").read_text() == SVG
    assert os.stat(private / "a.svg").st_ino != os.stat(shared / "a.svg").st_ino
    # what Manim does to an existing file: open it for writing (truncate) and write again
    with open(private / "a.svg", "w") as f:
        f.write("<svg")  # a writer killed half-way
    assert (shared / "a.svg").read_text() == SVG


def test_a_worker_publishes_copies_and_the_cache_keeps_no_inode_of_its_private_folder(tmp_path):
    shared, private = tmp_path / "texts", tmp_path / "private"
    private.mkdir()
    (private / "b.svg").write_text(SVG)
    _copy_svgs(private, shared)
    assert (shared / "b.svg").read_text() == SVG
    assert os.stat(shared / "b.svg").st_ino != os.stat(private / "b.svg").st_ino
    (private / "b.svg").write_text("")  # the private folder is rewritten or removed: the cache is not
    assert (shared / "b.svg").read_text() == SVG
    assert not [p for p in shared.iterdir() if p.name.startswith(".")]  # no temporary left behind


@pytest.mark.parametrize("broken", ["", "<?xml version='1.0'?>\n<svg xmlns='http://www.w3.org/2000/svg'><pa"])
def test_a_broken_svg_in_the_shared_cache_is_never_trusted_and_is_replaced(tmp_path, broken):
    shared, private = tmp_path / "texts", tmp_path / "private"
    shared.mkdir()
    (shared / "c.svg").write_text(broken)  # what a killed or racing writer once left
    assert not svg_ok(shared / "c.svg")
    _copy_svgs(shared, private, drop_broken=True)
    assert not (private / "c.svg").exists()  # Manim compiles it afresh instead of reading a broken one
    assert not (shared / "c.svg").exists()
    (shared / "c.svg").write_text(broken)
    (private / "c.svg").write_text(SVG)  # ... and the worker's sound copy replaces the broken one
    _copy_svgs(private, shared)
    assert (shared / "c.svg").read_text() == SVG


def test_a_broken_private_svg_is_not_published(tmp_path):
    shared, private = tmp_path / "texts", tmp_path / "private"
    private.mkdir()
    (private / "d.svg").write_text("")
    _copy_svgs(private, shared)
    assert not (shared / "d.svg").exists()


# 2. output files are copies of the cache, never links into it ------------------------------------------


def test_a_placed_file_is_an_independent_copy(tmp_path):
    src, dest = tmp_path / "cache" / "clip.mp4", tmp_path / "out" / "clips" / "e01.mp4"
    src.parent.mkdir()
    src.write_bytes(b"\x00moov" * 1000)
    clone_or_copy(src, dest)
    assert dest.read_bytes() == src.read_bytes()
    assert os.stat(dest).st_ino != os.stat(src).st_ino and os.stat(src).st_nlink == 1
    with open(dest, "r+b") as f:
        f.truncate(10)  # a user trims the output clip
    assert src.read_bytes() == b"\x00moov" * 1000
    clone_or_copy(src, dest)  # the next run puts a whole copy back (size differs)
    assert dest.read_bytes() == src.read_bytes()


# permissions (issue 13's, but atomic_path's): what the umask allows, not mkstemp's 0600 ----------------


@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_atomic_files_get_the_mode_open_would_give(tmp_path, umask, mode):
    old = os.umask(umask)
    try:
        write_text_atomic(tmp_path / "manifest.json", "{}")
        clone_or_copy(tmp_path / "manifest.json", tmp_path / "copy.json")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "manifest.json").stat().st_mode) == mode
    assert stat.S_IMODE((tmp_path / "copy.json").stat().st_mode) == mode
