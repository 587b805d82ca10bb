"""The Dask executor: the same jobs on a ``distributed.LocalCluster`` give the local executor's video, byte
for byte, with clips coming back through the shared cache (``--transfer files``) or as bytes with their
sha256 (``--transfer bytes``); a corrupted transfer is rejected; an unreachable scheduler is one line and
exit status 2."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from pipeline.execution.executors import (
    RemoteResult,
    TransferError,
    pack,
    parse_executor,
    parse_resources,
    receive,
)
from pipeline.planning.jobs import ClipMeta, Job
from tests.pipeline.cli_run import render

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
