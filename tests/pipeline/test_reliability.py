"""Reliability without rendering (issue 14): shared caches, copies, permissions, temporaries, locks,
hostile storyboards; links planted where a run deletes, truncates or locks (issue 24). The tests that drive
real renders and signals are in test_reliability_e2e.py."""

from __future__ import annotations

import hashlib
import os
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from common.fsutil import (
    FolderBusy,
    clone_or_copy,
    folder_lock,
    publish_dir,
    sweep_temporaries,
    write_text_atomic,
)
from pipeline.cli import main
from pipeline.execution.svgs import fetch_svgs, publish_svgs, shared_svg_dir, svg_ok
from pipeline.inputs.storyboard import MAX_ENTRIES, StoryboardError, folder_name, parse_storyboard
from pipeline.inputs.yamlsource import MAX_BYTES, MAX_DEPTH, MAX_VALUES
from pipeline.planning.cache import ClipCache
from pipeline.publishing import slides

ROOT = Path(__file__).resolve().parents[2]
PLUGIN = "plugins: [tests.pipeline.fixture_scenes]\n"

SVG = '<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="4"><path d="M0 0"/></svg>\n'


# 1. the shared text/LaTeX SVG cache -------------------------------------------------------------------


def test_shared_svgs_reach_a_worker_as_copies_so_rewriting_one_in_place_spares_the_cache(tmp_path):
    shared, private = tmp_path / "texts", tmp_path / "tmp" / "media" / "texts"
    (tmp_path / "compiled").mkdir()
    (tmp_path / "compiled" / "a.svg").write_text(SVG)
    publish_svgs(tmp_path / "compiled", shared)
    fetch_svgs(shared, private)
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
    publish_svgs(private, shared)
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
    fetch_svgs(shared, private)
    assert not (private / "c.svg").exists()  # Manim compiles it afresh instead of reading a broken one
    assert not (shared / "c.svg").exists()
    (shared / "c.svg").write_text(broken)
    (private / "c.svg").write_text(SVG)  # ... and the worker's sound copy replaces the broken one
    publish_svgs(private, shared)
    assert (shared / "c.svg").read_text() == SVG


def test_a_broken_private_svg_is_not_published(tmp_path):
    shared, private = tmp_path / "texts", tmp_path / "private"
    private.mkdir()
    (private / "d.svg").write_text("")
    publish_svgs(private, shared)
    assert not (shared / "d.svg").exists()


def test_a_shared_svg_changed_after_publishing_is_dropped_and_never_drawn(tmp_path):
    compiled, shared, private = tmp_path / "compiled", tmp_path / "shared", tmp_path / "private"
    compiled.mkdir()
    (compiled / "e.svg").write_text(SVG)
    publish_svgs(compiled, shared)
    planted = SVG.replace('width="4"', 'width="400"')  # a sound SVG: only its record tells it apart
    (shared / "e.svg").write_text(planted)  # changed after publishing
    (shared / "f.svg").write_text(planted)  # planted beside the published ones, with no record
    fetch_svgs(shared, private)
    assert list(private.iterdir()) == []  # Manim compiles both afresh
    assert not (shared / "e.svg").exists() and not (shared / "f.svg").exists()
    publish_svgs(compiled, shared)  # the next render that compiles it publishes it again
    fetch_svgs(shared, private)
    assert (private / "e.svg").read_text() == SVG


def test_a_link_among_the_shared_svgs_or_in_place_of_their_folder_is_never_followed(tmp_path):
    victim = tmp_path / "elsewhere.svg"
    victim.write_text(SVG)
    shared, private, compiled = tmp_path / "shared", tmp_path / "private", tmp_path / "compiled"
    shared.mkdir()
    (shared / "g.svg").symlink_to(victim)  # with a record that matches what it points to
    (shared / "g.svg.sha256").write_text(hashlib.sha256(SVG.encode()).hexdigest() + "\n")
    fetch_svgs(shared, private)
    assert not (private / "g.svg").exists()
    assert victim.read_text() == SVG and not os.path.lexists(shared / "g.svg")
    other = tmp_path / "other"
    other.mkdir()
    linked = tmp_path / "linked"
    linked.symlink_to(other)  # the shared folder itself a link: publishing writes nothing through it
    compiled.mkdir()
    (compiled / "h.svg").write_text(SVG)
    publish_svgs(compiled, linked)
    assert list(other.iterdir()) == []
    assert not linked.is_symlink() and (linked / "h.svg").read_text() == SVG


def test_the_shared_svgs_live_inside_the_cache_under_a_key_of_what_compiles_them(tmp_path, monkeypatch):
    import manim

    cache = tmp_path / "x"  # --cache-dir /tmp/x once shared /tmp/texts with every user of the machine
    folder = shared_svg_dir(cache)
    assert folder.parent == cache / "svg" and folder.is_dir()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x"]  # nothing beside the cache
    assert shared_svg_dir(cache) == folder  # the same programs: the same folder
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "dvisvgm").write_text("#!/bin/sh\n")  # another dvisvgm first on the PATH
    (fake / "dvisvgm").chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake}{os.pathsep}{os.environ['PATH']}")
    assert shared_svg_dir(cache) != folder
    monkeypatch.undo()
    monkeypatch.setattr(manim, "__version__", "0.0.1")  # another Manim
    assert shared_svg_dir(cache) != folder


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


# 3, 4. hostile storyboards: one problem with a line, exit status 2, never a traceback --------------------

VALID = "title: T\nquality: low\n" + PLUGIN + "scenes:\n  - scene: fixture.shapes\n"


def cli(board: Path, out: Path, capsys, *extra: str) -> tuple[int, list[str]]:
    code = main([str(board), "-o", str(out), "--slides-dir", str(out.parent / "slides"), *extra])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.out + captured.err
    return code, captured.err.splitlines()


def test_a_latin1_storyboard_is_one_problem_at_its_line(tmp_path, capsys):
    board = tmp_path / "latin1.yaml"
    board.write_bytes(VALID.replace("title: T", "title: T\nchapter_note: Caf\xe9").encode("latin-1"))
    code, err = cli(board, tmp_path / "out", capsys)
    assert code == 2 and len(err) == 2, err
    assert f"{board}:2: <document>: invalid YAML: not UTF-8 text: byte 0xe9 at column 18" in err[1]
    assert not (tmp_path / "out").exists()


def test_500_levels_of_nesting_are_one_problem_not_a_recursion_error(tmp_path, capsys):
    board = tmp_path / "deep.yaml"
    board.write_text("title: T\nscenes: " + "[" * 500 + "]" * 500 + "\n")
    code, err = cli(board, tmp_path / "out", capsys)
    assert code == 2 and len(err) == 2, err
    assert f"{board}:2: <document>: invalid YAML: nested more than {MAX_DEPTH} levels deep" in err[1]


def test_an_alias_bomb_is_refused_before_it_expands(tmp_path):
    # 404 bytes, 9 levels of 9 aliases: 9**9 = 387 million values once expanded
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 10)]
    board = tmp_path / "bomb.yaml"
    board.write_text("\n".join(lines) + "\n")
    t0 = time.perf_counter()
    with pytest.raises(StoryboardError) as err:
        parse_storyboard(board)
    assert time.perf_counter() - t0 < 5
    (problem,) = err.value.problems
    assert f"aliases expand to more than {MAX_VALUES} values" in problem.message


def test_an_oversized_storyboard_is_refused_without_parsing_it(tmp_path):
    board = tmp_path / "big.yaml"
    board.write_text(VALID + "# " + "x" * MAX_BYTES + "\n")
    with pytest.raises(StoryboardError) as err:
        parse_storyboard(board)
    (problem,) = err.value.problems
    assert problem.message == "invalid YAML: the file is 1.0 MB; a storyboard may be at most 1 MB"


def test_too_many_values_are_refused_at_the_line_where_the_bound_is_crossed(tmp_path):
    board = tmp_path / "keys.yaml"
    keys = "".join(f"    k{i}: {i}\n" for i in range(MAX_VALUES))  # under 1 MB, 2 values a line
    board.write_text(VALID + "    params:\n" + keys)
    with pytest.raises(StoryboardError) as err:
        parse_storyboard(board)
    (problem,) = err.value.problems
    assert problem.message == f"invalid YAML: more than {MAX_VALUES} values"
    # values before line 7: the document's mapping 1, title and quality 4, plugins 3 (key, list, item),
    # scenes 2 (key, list), the entry's mapping 1, scene 2, params 2 (key, mapping) = 15; then 2 a line
    assert problem.line == 7 + (MAX_VALUES + 1 - 15 - 1) // 2


def test_too_many_entries_are_one_problem(tmp_path):
    board = tmp_path / "long.yaml"
    board.write_text(VALID + "  - scene: fixture.shapes\n" * MAX_ENTRIES)
    with pytest.raises(StoryboardError) as err:
        parse_storyboard(board)
    (problem,) = err.value.problems
    assert problem.loc == ("scenes",) and f"at most {MAX_ENTRIES} items" in problem.message


# 3. an output folder that cannot be written: one line, exit status 2, before anything renders -----------


def test_output_on_a_regular_file_is_one_line(tmp_path, capsys):
    board = tmp_path / "ok.yaml"
    board.write_text(VALID)
    (tmp_path / "file").write_text("not a folder")
    code, err = cli(board, tmp_path / "file", capsys)
    assert (code, err) == (2, [f"render.py: error: {tmp_path / 'file'} is not a directory"])


@pytest.fixture
def read_only_dir(tmp_path):
    """A read-only folder: a read-only tmpfs mount when we may mount (root ignores mode bits), else 0555."""
    ro = tmp_path / "ro"
    ro.mkdir()
    if os.geteuid() != 0:
        ro.chmod(0o555)
        yield ro
        ro.chmod(0o755)
        return
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=1m", "tmpfs", str(ro)]).returncode != 0:
        pytest.skip("cannot mount a read-only tmpfs here")
    try:
        yield ro
    finally:
        subprocess.run(["umount", str(ro)], check=True)


def test_output_on_a_read_only_folder_is_one_line(tmp_path, read_only_dir, capsys):
    board = tmp_path / "ok.yaml"
    board.write_text(VALID)
    code, err = cli(board, read_only_dir, capsys)
    assert code == 2 and len(err) == 1, err
    assert err[0].startswith(f"render.py: error: cannot write in {read_only_dir}: ")
    code, err = cli(board, read_only_dir / "sub", capsys)
    assert code == 2 and err[0].startswith(f"render.py: error: cannot create {read_only_dir / 'sub'}: ")


# 5. storyboards named without ASCII letters get folders of their own -----------------------------------


def test_file_names_without_ascii_letters_give_distinct_readable_folders(tmp_path):
    names = {}
    for stem in ("课程一", "课程二", "Café Lecture", "!!", "??"):
        board = tmp_path / f"{stem}.yaml"
        board.write_text(VALID)
        names[stem] = parse_storyboard(board).name
    assert names["课程一"] == "课程一" and names["课程二"] == "课程二"
    assert names["Café Lecture"] == "café-lecture"
    assert names["!!"].startswith("storyboard-") and names["??"].startswith("storyboard-")
    assert len(set(names.values())) == len(names)
    assert folder_name(Path("x" * 100 + ".yaml")) != folder_name(Path("x" * 99 + "y.yaml"))
    assert len(folder_name(Path("x" * 100 + ".yaml"))) <= 64


# 6. one run per output folder; cache publication safe between processes --------------------------------


def test_a_second_run_on_a_locked_output_folder_exits_2_with_one_line(tmp_path):
    board = tmp_path / "ok.yaml"
    board.write_text(VALID)
    out = tmp_path / "out"
    with folder_lock(out / "ok"):  # as a running render.py holds it
        proc = subprocess.run(
            [sys.executable, "render.py", str(board), "-o", str(out)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert proc.returncode == 2, proc.stdout + proc.stderr
        assert proc.stderr.splitlines() == [
            f"render.py: error: {out / 'ok'} is in use by another run (pid {os.getpid()}); "
            "wait for it to end, or render elsewhere with -o"
        ]
        assert not list((out / ".cache" / "clips").glob("*"))  # nothing was rendered
    with folder_lock(out / "ok"):  # released when its holder is done (or dies: the kernel drops it)
        pass


def test_concurrent_publication_of_one_cache_entry_never_fails_nor_merges(tmp_path):
    dest = tmp_path / "cache" / "key"
    errors: list[BaseException] = []

    def publisher(n: int) -> None:
        try:
            for k in range(40):
                tmp = tmp_path / f".tmp-key-{n}-{k}"
                tmp.mkdir()
                (tmp / "clip.mp4").write_text(f"{n}")
                (tmp / "meta.json").write_text(f"{n}")
                publish_dir(tmp, dest)
        except BaseException as e:  # reported below
            errors.append(e)

    threads = [threading.Thread(target=publisher, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(p.name for p in dest.iterdir()) == ["clip.mp4", "meta.json"]  # one whole entry
    assert (dest / "clip.mp4").read_text() == (dest / "meta.json").read_text()
    assert sorted(p.name for p in (tmp_path / "cache").iterdir()) == ["key"]  # nothing set aside is left


# 8. temporaries of dead processes are swept, a live writer's are kept -----------------------------------


def test_sweep_removes_the_temporaries_of_dead_writers_only(tmp_path):
    dead, alive = 999_999_999, os.getppid()  # no such pid; our parent runs
    out = tmp_path / "lecture"
    (out / "clips").mkdir(parents=True)
    stale = [
        out / f".stitch-{dead}-abc123",
        out / f".lecture.{dead}.k2j3h4g5.tmp.mp4",
        out / "clips" / f".e01_x.{dead}.a1b2c3d4.tmp.mp4",
        out / f".script.en.{dead}.zz99yy88.tmp.md",
    ]
    live = [out / f".stitch-{alive}-def456", out / f".lecture.{alive}.q1w2e3r4.tmp.mp4"]
    kept = [out / "lecture.mp4", out / "clips" / "e01_x.mp4", out / ".lock", out / ".lecture.tmp.mp4"]
    for p in stale[:1] + live[:1]:
        p.mkdir()
        (p / "clips.txt").write_text("x")
    for p in stale[1:] + live[1:] + kept:
        p.write_text("x")
    assert sorted(sweep_temporaries(out)) == sorted(stale)
    assert all(p.exists() for p in live + kept)
    assert sweep_temporaries(out, owned=True) == [out / ".lecture.tmp.mp4"]  # no pid: stale under our lock


# 9. links planted where a run deletes, truncates or locks are never followed (issue 24) -----------------


@pytest.mark.parametrize("kind", ["symlink", "dangling", "hardlink"])
def test_a_link_planted_as_the_lock_is_replaced_and_what_it_points_to_is_never_touched(tmp_path, kind):
    folder = tmp_path / "out" / "lecture"
    folder.mkdir(parents=True)
    victim = tmp_path / "precious.txt"
    if kind == "dangling":
        (folder / ".lock").symlink_to(victim)  # O_CREAT through it would create the file it names
    else:
        victim.write_text("keep me\n")
        if kind == "symlink":
            (folder / ".lock").symlink_to(victim)
        else:
            os.link(victim, folder / ".lock")
    with folder_lock(folder):
        if kind == "dangling":
            assert not victim.exists()
        else:
            assert victim.read_text() == "keep me\n"  # neither truncated nor written
        lock = os.lstat(folder / ".lock")
        assert stat.S_ISREG(lock.st_mode) and lock.st_nlink == 1  # a lock file of our own took its place
        with pytest.raises(FolderBusy), folder_lock(folder):  # and it locks
            pass


def test_publishing_over_a_link_replaces_the_link_and_spares_its_folder(tmp_path):
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "keep.txt").write_text("x")
    out = tmp_path / "out"
    out.mkdir()
    (out / "publish").symlink_to(victim)
    tmp = out / ".publish-1-abc"
    tmp.mkdir()
    (tmp / "lecture.mp4").write_text("new")
    publish_dir(tmp, out / "publish")
    assert not (out / "publish").is_symlink() and (out / "publish" / "lecture.mp4").read_text() == "new"
    assert sorted(os.listdir(victim)) == ["keep.txt"]
    assert sorted(os.listdir(out)) == ["publish"]  # the link set aside is gone too


def test_a_link_at_a_placed_file_is_replaced_by_a_copy_even_when_it_looks_current(tmp_path):
    src = tmp_path / "cache" / "clip.mp4"
    src.parent.mkdir()
    src.write_bytes(b"clip")
    victim = tmp_path / "victim.mp4"
    victim.write_bytes(b"evil")  # the size and modification time of the cached clip
    st = os.stat(src)
    os.utime(victim, ns=(st.st_atime_ns, st.st_mtime_ns))
    dest = tmp_path / "out" / "e01.mp4"
    dest.parent.mkdir()
    dest.symlink_to(victim)
    clone_or_copy(src, dest)
    assert not dest.is_symlink() and dest.read_bytes() == b"clip"
    assert victim.read_bytes() == b"evil"


def test_sweep_removes_dead_bundles_and_decks_and_follows_no_link(tmp_path):
    dead, alive = 999_999_999, os.getppid()
    out, elsewhere = tmp_path / "lecture", tmp_path / "elsewhere"
    out.mkdir()
    elsewhere.mkdir()
    theirs = [f".x.{dead}.abcd1234.tmp.mp4", "keep.mp4"]  # named like our temporaries, but not ours
    for name in theirs:
        (elsewhere / name).write_text("x")
    (out / "clips").symlink_to(elsewhere)  # planted: not entered
    (out / f".stitch-{dead}-zz").symlink_to(elsewhere)  # a link named like a temporary: only it goes
    stale = [f".publish-{dead}-k2j3h4g5", f".slides-{dead}-q1w2e3r4"]  # a kill -9 during --publish, --slides
    live = f".publish-{alive}-a1b2c3d4"
    for name in [*stale, live]:
        (out / name).mkdir()
        (out / name / "lecture.mp4").write_text("x")
    removed = sweep_temporaries(out)
    assert sorted(p.name for p in removed) == sorted([*stale, f".stitch-{dead}-zz"])
    assert sorted(os.listdir(elsewhere)) == sorted(theirs)
    assert (out / live / "lecture.mp4").exists() and (out / "clips").is_symlink()


def test_the_cache_sweep_stays_inside_the_cache(tmp_path):
    dead = 999_999_999
    cache, outside = tmp_path / "x", tmp_path / "texts"  # --cache-dir /tmp/x: /tmp/texts is anyone's
    outside.mkdir()
    (outside / f".a.{dead}.k2j3h4g5.tmp.svg").write_text("someone else's")
    inside = cache / "svg" / "0123456789abcdef" / "texts"
    inside.mkdir(parents=True)
    (inside / f".b.{dead}.q1w2e3r4.tmp.svg").write_text("<sv")
    (inside / "b.svg").write_text(SVG)
    ClipCache(cache).sweep()
    assert sorted(os.listdir(outside)) == [f".a.{dead}.k2j3h4g5.tmp.svg"]
    assert sorted(os.listdir(inside)) == ["b.svg"]


def test_the_deck_working_folder_is_locked_and_a_link_there_is_replaced(tmp_path, monkeypatch):
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "keep.json").write_text("{}")
    work = tmp_path / "slides"
    work.mkdir()
    (work / "deck").symlink_to(victim)  # planted in the --slides-dir
    board = SimpleNamespace(name="deck", title="Deck")
    plan = SimpleNamespace(board=board, settings=SimpleNamespace(slides_dir=work), entries=[], cache=None)
    monkeypatch.setattr(
        slides, "_convert", lambda names, folder, fmt, target, options: target.write_text(fmt)
    )
    made = slides.export_deck(plan, [], tmp_path / "a" / "slides", formats=("pdf",))
    assert [p.read_text() for p in made] == ["pdf"]
    assert sorted(os.listdir(victim)) == ["keep.json"]
    assert (work / "deck").is_dir() and not (work / "deck").is_symlink()
    (work / "deck" / "other.json").write_text("{}")  # another run's deck, being converted
    with folder_lock(work / "deck"), pytest.raises(slides.SlidesError) as err:
        slides.export_deck(plan, [], tmp_path / "b" / "slides", formats=("pdf",))
    assert str(err.value) == (
        f"{work / 'deck'} is in use by another run (pid {os.getpid()}); "
        "wait for it to end, or give this run its own --slides-dir"
    )
    assert (work / "deck" / "other.json").exists() and not (tmp_path / "b").exists()
