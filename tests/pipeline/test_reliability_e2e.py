"""Reliability with real processes (issue 14): damaged outputs, kills, signals, stuck workers, concurrent
runs and CI logs, each driven through ``render.py`` on the pipeline's own fixture scenes at 480p."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path
from xml.etree import ElementTree

import pytest

from tests.pipeline.cli_run import command, render

pytestmark = pytest.mark.render
ROOT = Path(__file__).resolve().parents[2]
PLUGIN = "plugins: [tests.pipeline.fixture_scenes]\n"
ONE = "title: One\nquality: low\n" + PLUGIN + "scenes:\n  - scene: fixture.shapes\n    params: {slides: 1}\n"


def _default_sigint() -> None:
    # pytest-xdist's workers ignore SIGINT and a child inherits that (Python then installs no
    # KeyboardInterrupt handler): give the run the disposition a terminal gives it
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def start(board: Path, out: Path, *extra: str, env: dict | None = None) -> subprocess.Popen:
    pipe = subprocess.PIPE
    return subprocess.Popen(
        command(board, out, *extra),
        cwd=ROOT,
        stdout=pipe,
        stderr=pipe,
        text=True,
        env=env,
        preexec_fn=_default_sigint,
    )


def wait_for(predicate, seconds: float = 60.0) -> None:
    end = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < end, "timed out waiting"
        time.sleep(0.1)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def worker_pids(cache: Path) -> list[int]:
    """The pids of running workers, from their build folders (``.tmp-<key>-<pid>``)."""
    return [int(p.name.rsplit("-", 1)[1]) for p in cache.glob(".tmp-*-*")] if cache.is_dir() else []


@pytest.fixture(scope="module")
def one(tmp_path_factory):
    """A rendered one-entry storyboard."""
    root = tmp_path_factory.mktemp("rel")
    board = root / "one.yaml"
    board.write_text(ONE)
    proc = render(board, root / "out")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = root / "out"
    return {"board": board, "out": out, "dir": out / "one", "cache": out / ".cache" / "clips"}


# 2. a damaged output clip never reaches the cache -----------------------------------------------------


def test_truncating_an_output_clip_leaves_the_cache_whole_and_the_next_run_restores_it(one):
    (cached,) = one["cache"].glob("*/clip.mp4")
    before = sha256(cached)
    (clip,) = (one["dir"] / "clips").glob("*.mp4")
    with open(clip, "r+b") as f:
        f.truncate(100)  # the moov atom is gone
    assert sha256(cached) == before
    proc = render(one["board"], one["out"])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert json.loads((one["dir"] / "last_run.json").read_text())["entries"][0]["status"] == "cached"
    assert sha256(clip) == before and os.stat(clip).st_ino != os.stat(cached).st_ino


def sleepy_board(tmp_path: Path, *seconds: float) -> Path:
    board = tmp_path / "slow.yaml"
    entries = "".join(f"  - scene: fixture.sleepy\n    params: {{seconds: {s}}}\n" for s in seconds)
    board.write_text("title: Slow\nquality: low\n" + PLUGIN + "scenes:\n" + entries)
    return board


def gone(pid: int) -> bool:
    """The process has exited (a zombie waiting for its reaper counts as gone)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0] in "ZX"
    except (OSError, IndexError):
        return True


def kill_all(pids: list[int]) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGKILL)


# 6. one run per output folder ------------------------------------------------------------------------


def test_a_second_run_into_a_busy_output_folder_exits_2_at_once(tmp_path):
    board, out = sleepy_board(tmp_path, 300), tmp_path / "out"
    first = start(board, out)
    pids: list[int] = []
    try:
        wait_for(lambda: bool(worker_pids(out / ".cache" / "clips")))
        pids = worker_pids(out / ".cache" / "clips")
        second = render(board, out)
        assert second.returncode == 2, second.stdout + second.stderr
        assert second.stderr.splitlines() == [
            f"render.py: error: {out / 'slow'} is in use by another run (pid {first.pid}); "
            "wait for it to end, or render elsewhere with -o"
        ]
        assert first.poll() is None  # the first run goes on
    finally:
        first.terminate()
        first.communicate(timeout=60)
        kill_all(pids)


# 7. Ctrl-C and SIGTERM stop the workers at once, with one line and 128 + the signal ---------------------


@pytest.mark.parametrize(("sig", "status"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_a_signal_to_the_parent_stops_every_worker_at_once(tmp_path, sig, status):
    board, out = sleepy_board(tmp_path, 300, 301), tmp_path / "out"
    cache = out / ".cache" / "clips"
    run = start(board, out)
    pids: list[int] = []
    try:
        wait_for(lambda: len(worker_pids(cache)) == 2)  # both workers are rendering (asleep in construct)
        pids = worker_pids(cache)
        t0 = time.monotonic()
        run.send_signal(sig)  # to the parent only, as CI runners and `timeout` do
        stdout, stderr = run.communicate(timeout=60)
        assert time.monotonic() - t0 < 10  # not the 300 s the entries would take
        assert run.returncode == status, stdout + stderr
        name = signal.Signals(sig).name
        assert stderr.splitlines() == [
            f"render.py: interrupted ({name}): workers stopped, nothing half-written kept"
        ]
        assert "Traceback" not in stdout
        wait_for(lambda: all(gone(p) for p in pids), 5)
        assert not list(cache.glob(".tmp-*"))  # their build folders were removed
        assert not (out / "slow" / "last_run.json").exists() and not list(cache.glob("*/meta.json"))
    finally:
        run.kill()
        kill_all(pids)


# 9. a stuck worker (SIGSTOP) is stopped by --timeout ---------------------------------------------------


def test_a_stopped_worker_is_caught_by_the_timeout(tmp_path):
    board, out = sleepy_board(tmp_path, 3), tmp_path / "out"
    cache = out / ".cache" / "clips"
    run = start(board, out, "--timeout", "15")
    pids: list[int] = []
    try:
        wait_for(lambda: bool(worker_pids(cache)))
        pids = worker_pids(cache)
        os.killpg(pids[0], signal.SIGSTOP)  # frozen, not dead: no output, no exit, forever
        t0 = time.monotonic()
        stdout, stderr = run.communicate(timeout=120)
        assert time.monotonic() - t0 < 30
        assert run.returncode == 1, stdout + stderr
        (entry,) = json.loads((out / "slow" / "last_run.json").read_text())["entries"]
        assert entry["status"] == "failed" and entry["error"] == "timed out after 15 s (--timeout)"
        wait_for(lambda: gone(pids[0]), 5)  # SIGKILL ends a stopped process too
        assert not list(cache.glob(".tmp-*"))
    finally:
        run.kill()
        kill_all(pids)


# 8. kill -9 while stitching: the next run sweeps what it left ------------------------------------------


def test_what_a_run_killed_while_stitching_left_is_swept_by_the_next(tmp_path):
    board, out = tmp_path / "one.yaml", tmp_path / "out"
    board.write_text(ONE)
    assert render(board, out).returncode == 0
    board.write_text(ONE.replace("title: One", "title: Two"))  # the clip is cached, the video re-stitched
    real = shutil.which("ffmpeg")
    fake_dir = tmp_path / "bin"
    fake_dir.mkdir()
    fake = fake_dir / "ffmpeg"  # answers -version like the real one (same cache keys); hangs on concat
    version = f'[ "$1" = -version ] && exec {real} -version'
    fake.write_text(f"#!/bin/sh\n{version}\necho $$ > {tmp_path}/ff.pid\nexec sleep 120\n")
    fake.chmod(0o755)
    run = start(board, out, env={**os.environ, "PATH": f"{fake_dir}{os.pathsep}{os.environ['PATH']}"})
    folder = out / "one"
    try:
        wait_for(lambda: (tmp_path / "ff.pid").exists() and bool(list(folder.glob(".stitch-*"))))
        left = sorted(p.name for p in folder.iterdir() if p.name.startswith(".") and p.name != ".lock")
        assert len(left) == 2 and any(n.endswith(".tmp.mp4") for n in left), left
        run.send_signal(signal.SIGKILL)
        run.communicate(timeout=30)
    finally:
        run.kill()
        with contextlib.suppress(OSError, ValueError):
            os.kill(int((tmp_path / "ff.pid").read_text()), signal.SIGKILL)
    assert sorted(p.name for p in folder.iterdir() if p.name.startswith(".") and p.name != ".lock") == left
    proc = render(board, out)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert not [p.name for p in folder.rglob(".*") if p.name != ".lock"]  # swept, and nothing new left
    assert json.loads((folder / "manifest.json").read_text())["title"] == "Two"


# 10. CI logs: a line per change of state as it happens, paths never cut ---------------------------------


def test_without_a_terminal_progress_comes_as_lines_and_paths_are_whole(tmp_path):
    deep = tmp_path / ("a-rather-long-folder-name-" * 4) / "out"  # the log paths are > 80 columns
    board = tmp_path / "mixed.yaml"
    board.write_text(
        "title: Mixed\nquality: low\n" + PLUGIN + "scenes:\n  - scene: fixture.failing\n"
        "  - scene: fixture.sleepy\n    params: {seconds: 4}\n"
    )
    run = start(board, deep, env={**os.environ, "COLUMNS": "80"})
    seen: list[tuple[str, bool]] = []  # (line, the run was still going when it arrived)
    assert run.stdout is not None
    for line in run.stdout:
        seen.append((line.rstrip("\n"), run.poll() is None))
    run.wait(timeout=120)
    assert run.returncode == 1
    lines = [line for line, _ in seen]
    early = [line for line, going in seen if going]
    assert "e02_fixture_sleepy: rendering" in early  # printed while the entry rendered, not at the end
    assert any(line.startswith("e01_fixture_failing: failed: RuntimeError: ") for line in early)
    log = deep / "mixed" / "logs" / "e01_fixture_failing.log"
    assert len(str(log)) > 80
    (row,) = [line for line in lines if line.startswith("1  e01_fixture_failing  failed")]
    assert row.endswith(f"(log: {log})")
    assert "…" not in "\n".join(lines)


# 3. the disk fills up mid-run: a line per failed step, the summary, last_run.json, never a traceback ------


@pytest.fixture
def small_disk(tmp_path):
    """A 1 MB tmpfs (mounting needs root; elsewhere the test is skipped)."""
    mnt = tmp_path / "disk"
    mnt.mkdir()
    if (
        os.geteuid() != 0
        or subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mnt)]).returncode
    ):
        pytest.skip("cannot mount a tmpfs here")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=True)


def test_a_full_disk_ends_with_a_line_per_failure_the_summary_and_the_report(tmp_path, small_disk):
    """The cache's disk is full: the render fails, and so does saving the timings and memos beside the
    clips; each is one line, the summary follows and last_run.json is written (the output has room)."""
    board, out = tmp_path / "one.yaml", tmp_path / "out"
    board.write_text(ONE)
    st = os.statvfs(small_disk)
    (small_disk / "filler").write_bytes(b"\0" * (st.f_bavail * st.f_frsize))
    assert os.statvfs(small_disk).f_bavail == 0
    proc = render(board, out, "--cache-dir", str(small_disk / "clips"))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr
    report = json.loads((out / "one" / "last_run.json").read_text())
    (entry,) = report["entries"]
    assert entry["status"] == "failed" and "No space left on device" in Path(entry["log"]).read_text()
    assert [e.split(":")[0] for e in report["errors"]] == [
        "saving timings failed",
        "saving the cache memos failed",
    ]
    assert all("OSError: [Errno 28] No space left on device" in e for e in report["errors"])
    printed = proc.stdout.splitlines()
    assert "render summary:" in printed
    assert [line for line in printed if line.startswith("error: ")] == [
        f"error: {e}" for e in report["errors"]
    ]
    assert not [p for p in small_disk.rglob("*") if ".tmp" in p.name]  # no partial file left


# 1. a broken SVG in the shared text cache is never trusted -------------------------------------------


def test_a_render_survives_empty_svgs_in_the_shared_cache_and_publishes_sound_ones(tmp_path):
    """What once broke a scene on every run: 0-byte SVGs left in the shared folder by a racing writer."""
    board, out = tmp_path / "real.yaml", tmp_path / "out"
    board.write_text(
        "title: Real\nquality: low\nscenes:\n  - scene: mamba.selective_scan\n"
        "    params: {sentence: 'hello world', d_inner: 1, d_state: 4}\n"
    )
    silent = ("--voice", "none")  # the texts are what matter here; without a voice the clip is short
    assert render(board, out, *silent).returncode == 0
    shared = sorted((out / ".cache" / "clips").glob("svg/*/*/*.svg"))  # pipeline.execution.svgs
    assert len(shared) > 10  # the scene writes numbers and labels
    for svg in shared:
        svg.write_bytes(b"")  # in place: the inode a hard-linked private copy would share
    proc = render(board, out, *silent, "--no-cache")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert json.loads((out / "real" / "last_run.json").read_text())["entries"][0]["status"] == "rendered"
    for svg in shared:  # each was recompiled by the worker and published again, whole
        assert ElementTree.parse(svg).getroot().tag.endswith("svg"), svg


# 11. links planted in the output folder are never followed (issue 24) -----------------------------------


def test_links_planted_in_the_output_folder_are_replaced_and_what_they_point_to_is_untouched(tmp_path):
    board, out = tmp_path / "one.yaml", tmp_path / "out"
    board.write_text(ONE)
    folder = out / "one"
    folder.mkdir(parents=True)
    precious, videos = tmp_path / "precious.txt", tmp_path / "videos"
    precious.write_text("keep me\n")
    videos.mkdir()
    (videos / "holiday.mp4").write_bytes(b"not a clip of this lecture")
    (folder / ".lock").symlink_to(precious)  # the lock once truncated this file
    (folder / "clips").symlink_to(videos)  # ... and the stale-clip sweep deleted every other *.mp4 here
    proc = render(board, out)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert precious.read_text() == "keep me\n"
    assert sorted(os.listdir(videos)) == ["holiday.mp4"]
    assert not (folder / ".lock").is_symlink() and not (folder / "clips").is_symlink()
    (clip,) = (folder / "clips").iterdir()
    manifest = json.loads((folder / "manifest.json").read_text())
    assert [e["clip"] for e in manifest["entries"]] == [f"clips/{clip.name}"]


# 12. the shared text SVGs: inside the cache, keyed, verified (issue 24) ----------------------------------

TEXTS = (
    "title: Real\nquality: low\nscenes:\n  - scene: mamba.selective_scan\n"
    "    params: {sentence: 'hello world', d_inner: 1, d_state: 4}\n"
)
PLANTED = (
    '<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="100" height="100">'
    '<path d="M0 0 L100 0 L100 100 L0 100 Z"/></svg>\n'
)


def frames(cache: Path) -> list[str]:
    """The sha256 of each pause frame of the one entry in ``cache``."""
    (meta,) = cache.glob("*/meta.json")
    return [sha256(meta.parent / f["file"]) for f in json.loads(meta.read_text())["frames"]]


def test_svgs_planted_beside_the_cache_change_nothing_a_render_draws(tmp_path):
    """With ``--cache-dir /tmp/x`` the shared SVGs were read from /tmp/texts and /tmp/tex, anyone's to
    write, and trusted once they parsed: a planted one changed what a fresh render drew under the same key."""
    board = tmp_path / "real.yaml"
    board.write_text(TEXTS)
    silent = ("--voice", "none")
    ref_cache = tmp_path / "ref" / "x"
    assert render(board, tmp_path / "out-ref", *silent, "--cache-dir", str(ref_cache)).returncode == 0
    compiled: dict[str, list[str]] = {"tex": [], "texts": []}  # Manim's names, by the folder they are in
    for svg in sorted((tmp_path / "ref").rglob("*.svg")):
        compiled[svg.parent.name].append(svg.name)
    assert len(compiled["texts"]) > 10  # the scene writes numbers and labels
    shared = tmp_path / "shared"  # another user's /tmp
    for kind, names in compiled.items():
        (shared / kind).mkdir(parents=True)
        for name in names:
            (shared / kind / name).write_text(PLANTED)
    cache = shared / "x"
    proc = render(board, tmp_path / "out", *silent, "--cache-dir", str(cache))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert frames(cache) == frames(ref_cache)  # drawn from what it compiled, not from what was planted
    for kind, names in compiled.items():
        assert sorted(p.name for p in (shared / kind).iterdir()) == names
        assert all((shared / kind / n).read_text() == PLANTED for n in names)  # nor written there
    assert sorted(p.name for p in (tmp_path / "ref").iterdir()) == ["x"]  # nothing beside the cache


# 13. kill -9 during --publish: the next run sweeps what it left (issue 24) -------------------------------


def test_what_a_run_killed_while_publishing_left_is_swept_by_the_next(tmp_path):
    board, out = tmp_path / "one.yaml", tmp_path / "out"
    board.write_text(ONE)
    assert render(board, out).returncode == 0
    real = shutil.which("ffmpeg")
    fake_dir = tmp_path / "bin"
    fake_dir.mkdir()
    fake = fake_dir / "ffmpeg"  # the real one, except that the bundle's encoding hangs
    fake.write_text(
        f'#!/bin/sh\ncase "$*" in *"/one/.publish"*) echo $$ > {tmp_path}/ff.pid; exec sleep 120;; esac\n'
        f'exec {real} "$@"\n'
    )
    fake.chmod(0o755)
    env = {**os.environ, "PATH": f"{fake_dir}{os.pathsep}{os.environ['PATH']}"}
    run = start(board, out, "--publish", env=env)
    folder = out / "one"
    try:
        wait_for(lambda: (tmp_path / "ff.pid").exists())
        run.send_signal(signal.SIGKILL)
        run.communicate(timeout=30)
    finally:
        run.kill()
        with contextlib.suppress(OSError, ValueError):
            os.kill(int((tmp_path / "ff.pid").read_text()), signal.SIGKILL)
    (left,) = [p for p in folder.iterdir() if p.name.startswith(".publish") and p.is_dir()]
    proc = render(board, out, "--publish")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert not left.exists()
    assert not [p.name for p in folder.iterdir() if p.name.startswith(".publish") and p.is_dir()]
    assert (folder / "publish" / "one.mp4").is_file()


# 14. the --slides-dir working folder is locked like the output folder (issue 24) -------------------------


def test_a_deck_export_into_a_busy_slides_working_folder_is_one_line(one):
    from common.fsutil import folder_lock

    work = one["out"].parent / "slides" / "one"  # what cli_run gives: --slides-dir beside -o
    work.mkdir(parents=True, exist_ok=True)
    (work / "other.json").write_text("{}")  # another run (-o elsewhere) converting its deck of "one"
    with folder_lock(work):
        proc = render(one["board"], one["out"], "--slides", "pdf")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    report = json.loads((one["dir"] / "last_run.json").read_text())
    assert [e.split(" (log: ")[0] for e in report["errors"]] == [
        f"slides failed: {work} is in use by another run (pid {os.getpid()}); "
        "wait for it to end, or give this run its own --slides-dir"
    ]
    assert (work / "other.json").exists()
