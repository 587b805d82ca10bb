"""The Dask executor: the same jobs on a ``distributed.LocalCluster`` give the local executor's video, byte
for byte, with clips coming back through the shared cache (``--transfer files``) or as bytes with their
sha256 (``--transfer bytes``); a corrupted transfer is rejected; an unreachable or silent scheduler is one
line and exit status 2 within the connect timeout; a Dask worker that dies takes its render with it."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest

from pipeline.execution.executors import (
    CONNECT_SECONDS,
    RemoteResult,
    TransferError,
    pack,
    parse_executor,
    parse_resources,
    receive,
    render_task,
)
from pipeline.planning.jobs import ClipMeta, Job
from tests.pipeline.cli_run import command, render

BOARD = """\
title: Tiny lecture
name: tiny
quality: low
voice: none
plugins: [tests.pipeline.fixture_scenes]
scenes:
  - scene: fixture.shapes
    params: {slides: 2, seconds: 0.4}
  - scene: fixture.steps
    params: {steps: 5}
"""


ROOT = Path(__file__).resolve().parents[3]


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def cluster():
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        n_workers=2, processes=True, threads_per_worker=1, dashboard_address=":0"
    ) as c:
        yield c.scheduler_address


@pytest.mark.render
def test_dask_video_is_byte_identical_to_the_local_executors(tmp_path, cluster):
    board = tmp_path / "tiny.yaml"
    board.write_text(BOARD)
    local = render(board, tmp_path / "local")
    assert local.returncode == 0, local.stdout + local.stderr
    video = _sha(tmp_path / "local" / "tiny" / "tiny.mp4")
    address = cluster.replace("tcp://", "dask://")
    for transfer in ("files", "bytes"):
        out = tmp_path / transfer
        proc = render(board, out, "--executor", address, "--transfer", transfer)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert f"on Dask at {cluster} (2 workers, {transfer} transfer)" in proc.stdout
        assert _sha(out / "tiny" / "tiny.mp4") == video
        report = json.loads((out / "tiny" / "last_run.json").read_text())
        assert [e["status"] for e in report["entries"]] == ["rendered", "rendered"]
        assert all((out / "tiny" / "logs" / f"{e['name']}.log").is_file() for e in report["entries"])


def test_unreachable_scheduler_is_one_line_and_status_2(tmp_path):
    board = tmp_path / "tiny.yaml"
    board.write_text(BOARD)
    proc = render(board, tmp_path / "out", "--executor", "dask://127.0.0.1:9")  # port 9: nothing listens
    assert proc.returncode == 2
    assert (
        proc.stderr.strip().splitlines() == [proc.stderr.strip().splitlines()[0]]
        and "cannot reach the Dask scheduler at tcp://127.0.0.1:9" in proc.stderr
    )
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "out" / "tiny").exists()


@pytest.fixture
def silent_server():
    """A TCP port that accepts connections and never says a word (a wrong service, a hung scheduler)."""
    server = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            with contextlib.suppress(TimeoutError, OSError):
                held.append(server.accept()[0])

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join()
    for conn in held:
        conn.close()
    server.close()


def test_a_scheduler_that_accepts_but_never_answers_is_one_line_and_status_2(tmp_path, silent_server):
    board = tmp_path / "tiny.yaml"
    board.write_text(BOARD)
    address = f"dask://127.0.0.1:{silent_server}"
    t0 = time.monotonic()
    try:
        proc = subprocess.run(command(board, tmp_path / "out", "--executor", address), cwd=ROOT,
                              capture_output=True, text=True, timeout=CONNECT_SECONDS + 30)  # fmt: skip
    except subprocess.TimeoutExpired:
        pytest.fail("render.py hangs on a scheduler that never answers")
    assert time.monotonic() - t0 < CONNECT_SECONDS + 10  # the timeout, plus Python's and Dask's imports
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert proc.stderr.splitlines() == [
        f"render.py: error: cannot reach the Dask scheduler at tcp://127.0.0.1:{silent_server}: "
        f"no answer within {CONNECT_SECONDS:g} s (is a Dask scheduler listening there?)"
    ]
    assert not (tmp_path / "out" / "tiny").exists()


def _gone(pid: int) -> bool:
    """The process has exited (a zombie waiting for its reaper counts as gone)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0] in "ZX"
    except (OSError, IndexError):
        return True


def _wait_for(predicate, seconds: float) -> bool:
    end = time.monotonic() + seconds
    while not predicate():
        if time.monotonic() > end:
            return False
        time.sleep(0.1)
    return True


@pytest.mark.render
def test_a_dask_worker_that_dies_takes_its_render_with_it(tmp_path):
    distributed = pytest.importorskip("distributed")
    cache = tmp_path / "cache"
    cache.mkdir()
    job = Job(0, "fixture.sleepy", "tests.pipeline.fixture_scenes.fixture.sleepy", {"seconds": 300}, "low",
              "en", "c", "z" * 32, "e01_fixture_sleepy", str(cache), str(tmp_path / "e01.log"))  # fmt: skip

    def renders() -> list[int]:  # the running render processes, from their build folders (.tmp-KEY-PID)
        return [int(p.name.rsplit("-", 1)[1]) for p in cache.glob(".tmp-*-*")]

    seen: set[int] = set()
    with (
        distributed.LocalCluster(
            n_workers=1, processes=True, threads_per_worker=1, dashboard_address=":0"
        ) as cluster,
        distributed.Client(cluster, set_as_default=False) as client,
    ):
        try:
            future = client.submit(render_task, job, "files", None, pure=False)
            assert _wait_for(lambda: bool(renders()), 60), "the render did not start"
            (render_pid,) = renders()
            seen.add(render_pid)
            (dask_worker_pid,) = client.run(os.getpid).values()
            os.kill(dask_worker_pid, signal.SIGKILL)  # the OOM killer, a lost machine: no handler runs
            client.cancel(future)
            # asleep for 300 s in construct(): only its watchdog ends it this soon
            assert _wait_for(lambda: _gone(render_pid), 5), "the render of a dead Dask worker runs on"
        finally:
            seen.update(renders())
            for pid in seen:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(pid, signal.SIGKILL)


def test_executor_and_resources_parse():
    assert parse_executor("local") is None
    assert parse_executor("dask://10.0.0.5:8786") == "tcp://10.0.0.5:8786"
    for bad in ("dask://host", "dask:/h:1", "tcp://h:1", "ray://h:1", "dask://:8786"):
        with pytest.raises(Exception, match="expected local or dask://HOST:PORT"):
            parse_executor(bad)
    assert parse_resources("render=1,mem=2.5") == {"render": 1.0, "mem": 2.5}
    for bad in ("render", "render=x", "=1"):
        with pytest.raises(Exception, match="NAME=AMOUNT"):
            parse_resources(bad)


def _entry(tmp_path: Path, key: str) -> tuple[Job, Path]:
    """A finished cache entry as a worker leaves it, and the job it belongs to."""
    entry = tmp_path / "worker" / key
    (entry / "frames").mkdir(parents=True)
    (entry / "clip.mp4").write_bytes(bytes(range(256)) * 64)
    (entry / "frames" / "00.png").write_bytes(b"png")
    meta = ClipMeta(key=key, scene="fixture.steps", params={}, quality="low", locale="en", name="e01",
                    duration=0.2, resolution=(854, 480), fps=15, animations=1, slides=1, frames=(),
                    shown={}, render_seconds=1.0, peak_rss_mb=1.0)  # fmt: skip
    (entry / "meta.json").write_text(meta.model_dump_json())
    cache = tmp_path / "client"
    job = Job(
        0, "fixture.steps", "m", {}, "low", "en", "c", key, "e01", str(cache), str(tmp_path / "e01.log")
    )
    return job, entry


def test_bytes_transfer_is_verified_before_it_is_published(tmp_path):
    job, entry = _entry(tmp_path, "k" * 32)
    archive = pack(entry)
    good = RemoteResult("rendered", 1.0, clip_sha256=_sha(entry / "clip.mp4"), archive=archive,
                        archive_sha256=hashlib.sha256(archive).hexdigest())  # fmt: skip
    # one byte flipped on the way: the archive's digest no longer matches what the worker sent
    flipped = bytearray(archive)
    flipped[len(flipped) // 3] ^= 0xFF
    with pytest.raises(TransferError, match="sha256"):
        receive(job, RemoteResult(**{**good.__dict__, "archive": bytes(flipped)}))
    # truncated, with a digest that matches the truncated bytes: clip.mp4 is not what the worker hashed
    cut = archive[: len(archive) // 2]
    with pytest.raises(TransferError):
        receive(job, RemoteResult(**{**good.__dict__, "archive": cut,
                                      "archive_sha256": hashlib.sha256(cut).hexdigest()}))  # fmt: skip
    published = Path(job.cache_dir) / job.key
    assert not published.exists()
    assert not [p for p in Path(job.cache_dir).iterdir() if p.name.startswith(".tmp-")]  # nothing left over
    meta = receive(job, good)
    assert meta.key == job.key
    assert (published / "clip.mp4").read_bytes() == (entry / "clip.mp4").read_bytes()
    assert (published / "frames" / "00.png").read_bytes() == b"png"


def test_files_transfer_checks_the_shared_cache(tmp_path):
    job, entry = _entry(tmp_path, "s" * 32)
    shared = Path(job.cache_dir)
    shared.mkdir()
    remote = RemoteResult("rendered", 1.0, clip_sha256=_sha(entry / "clip.mp4"))
    with pytest.raises(TransferError, match="not in"):  # the worker wrote to a cache this machine cannot see
        receive(job, remote)
    entry.rename(shared / job.key)
    assert receive(job, remote).key == job.key
    (shared / job.key / "clip.mp4").write_bytes(b"stale")  # an old copy on the shared storage
    with pytest.raises(TransferError, match="differs"):
        receive(job, remote)
