"""Where jobs run: worker processes on this machine (``--executor local``) or a Dask cluster
(``--executor dask://HOST:PORT``).

Both run the same :class:`~pipeline.planning.jobs.Job` through the same function,
:func:`pipeline.execution.processes.run_job` (a fresh ``python -m pipeline.execution.worker`` process per
job, with its timeout); only the place differs. On a Dask worker that function runs inside a task, and the
finished cache entry reaches the client one of two ways (``--transfer``):

``files``
    The worker sees the client's ``--cache-dir`` (shared storage) and publishes the entry there itself, as
    a local worker does. The client checks it is there and that ``clip.mp4`` has the sha256 the worker
    computed (a stale NFS view is a failure, not a wrong clip).
``bytes``
    The worker renders into a cache of its own, packs the entry (tar) and returns it with its sha256;
    the client verifies the digest, unpacks into a temporary folder inside its cache and renames it into
    place (:func:`common.fsutil.publish_dir`), so a corrupted or partial transfer is never used.
``auto`` (default)
    The client writes a file with a random token into its cache folder and asks every worker to read it:
    ``files`` if every worker sees it, else ``bytes``.

A failing entry fails alone, with one line; an unreachable scheduler, or one that does not answer within
:data:`CONNECT_SECONDS`, is one line and exit status 2. Each render is a worker process of the Dask worker
that runs its task, and dies with it (:mod:`pipeline.execution.processes`: its watchdog).
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import io
import os
import secrets
import shutil
import tarfile
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol

from common.fsutil import file_sha256, publish_dir, write_text_atomic
from pipeline.execution.processes import JobResult, ProgressFn, run_job, run_jobs
from pipeline.planning.jobs import ClipMeta, Job

Transfer = Literal["auto", "files", "bytes"]
TOPIC = "dlvideo-progress"  # the Dask event topic that carries a remote worker's progress
# the whole handshake with the scheduler (TCP, Dask's greeting, the client's registration) ends within this
CONNECT_SECONDS = 10.0


def _distributed() -> Any:
    """``distributed``, imported when a Dask executor is used (a local run never pays for it); untyped."""
    import importlib

    return importlib.import_module("distributed")


class ExecutorError(Exception):
    """The executor cannot be used at all (bad address, unreachable scheduler): one line, exit status 2."""


class Executor(Protocol):
    """Runs jobs; a failure is a failed :class:`JobResult`, never an exception. Results keep job order."""

    @property
    def description(self) -> str: ...

    def run(self, jobs: list[Job], on_event: ProgressFn, timeout: float | None) -> list[JobResult]: ...

    def close(self) -> None: ...


@dataclass
class LocalExecutor:
    """``--jobs`` worker processes on this machine (:func:`pipeline.execution.processes.run_jobs`)."""

    workers: int

    @property
    def description(self) -> str:
        return f"{self.workers} at a time"

    def run(self, jobs: list[Job], on_event: ProgressFn, timeout: float | None) -> list[JobResult]:
        return run_jobs(jobs, self.workers, on_event, timeout)

    def close(self) -> None:
        pass


def parse_executor(spec: str) -> str | None:
    """The scheduler address of ``dask://HOST:PORT`` as Dask spells it (``tcp://HOST:PORT``), None for
    ``local``. Raises ExecutorError for anything else."""
    if spec == "local":
        return None
    scheme, sep, rest = spec.partition("://")
    host, colon, port = rest.rpartition(":")
    if scheme == "dask" and sep and host and colon and port.isdigit():
        return f"tcp://{host}:{port}"
    raise ExecutorError(f"--executor {spec!r}: expected local or dask://HOST:PORT")


def parse_resources(text: str | None) -> dict[str, float] | None:
    """``render=1,gpu=0.5`` → {"render": 1.0, "gpu": 0.5}: what each render task asks of a Dask worker."""
    if not text:
        return None
    out: dict[str, float] = {}
    for item in text.split(","):
        name, eq, amount = item.partition("=")
        try:
            out[name.strip()] = float(amount)
        except ValueError:
            raise ExecutorError(f"--dask-resources {text!r}: expected NAME=AMOUNT[,NAME=AMOUNT…]") from None
        if not eq or not name.strip():
            raise ExecutorError(f"--dask-resources {text!r}: expected NAME=AMOUNT[,NAME=AMOUNT…]")
    return out


# --- the remote side: runs inside a Dask worker ------------------------------------------------------------


@dataclass(frozen=True)
class RemoteResult:
    """What a Dask task sends back: the render's outcome, its log, and (bytes mode) the packed entry."""

    status: Literal["rendered", "failed"]
    seconds: float
    error: str = ""
    log: str = ""
    clip_sha256: str = ""  # of clip.mp4 as the worker wrote it
    archive: bytes | None = None  # bytes mode: the entry folder as an uncompressed tar
    archive_sha256: str = ""


def _worker_cache() -> Path:
    """A cache of this machine's own for bytes mode: its LaTeX/text SVGs are reused between tasks."""
    folder = Path(tempfile.gettempdir()) / "dlvideo-worker-cache" / "clips"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def pack(entry: Path) -> bytes:
    """``entry``'s files as an uncompressed tar (clips are already compressed), names relative to it."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for path in sorted(entry.rglob("*")):
            tar.add(path, arcname=str(path.relative_to(entry)), recursive=False)
    return buf.getvalue()


def render_task(job: Job, transfer: Literal["files", "bytes"], timeout: float | None) -> RemoteResult:
    """The Dask task: :func:`run_job` on this worker, progress sent on :data:`TOPIC`."""
    worker = _distributed().get_worker()
    work = Path(tempfile.mkdtemp(prefix="dlvideo-task-"))
    cache_dir = job.cache_dir if transfer == "files" else str(_worker_cache())
    local = dataclasses.replace(job, cache_dir=cache_dir, log_path=str(work / "render.log"))

    def forward(_job: Job, event: str, data: dict[str, Any]) -> None:
        if event in ("start", "play"):  # the end is reported by the client, once the clip is verified
            worker.log_event(TOPIC, {"id": job.log_path, "event": event, "data": data})

    try:
        r = run_job(local, forward, timeout)
        log = (work / "render.log").read_text(encoding="utf-8", errors="replace")
        if r.status != "rendered":
            return RemoteResult("failed", r.seconds, r.error, log)
        entry = Path(cache_dir) / job.key
        clip_sha = file_sha256(entry / "clip.mp4")
        if transfer == "files":
            return RemoteResult("rendered", r.seconds, log=log, clip_sha256=clip_sha)
        archive = pack(entry)
        shutil.rmtree(entry, ignore_errors=True)  # the client keeps it; this machine's cache keeps only SVGs
        digest = hashlib.sha256(archive).hexdigest()
        return RemoteResult("rendered", r.seconds, log=log, clip_sha256=clip_sha, archive=archive,
                            archive_sha256=digest)  # fmt: skip
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _sees(path: str, token: str) -> bool:
    """Run on every worker by the transfer probe: is the client's file there, with its content?"""
    try:
        return Path(path).read_text(encoding="utf-8") == token
    except OSError:
        return False


# --- the client side ----------------------------------------------------------------------------------


class TransferError(Exception):
    pass


def receive(job: Job, remote: RemoteResult) -> ClipMeta:
    """Check a rendered entry and put it in the client's cache; return its metadata. Raises TransferError
    when the bytes are not what the worker sent or the shared cache does not hold what it wrote."""
    entry = Path(job.cache_dir) / job.key
    if remote.archive is not None:
        if hashlib.sha256(remote.archive).hexdigest() != remote.archive_sha256:
            raise TransferError("the clip arrived corrupted (sha256 mismatch); not used")
        tmp = Path(job.cache_dir) / f".tmp-{job.key}-{os.getpid()}"  # swept by a later run if we die
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        try:
            with tarfile.open(fileobj=io.BytesIO(remote.archive), mode="r:") as tar:
                tar.extractall(tmp, filter="data")  # no absolute paths, links out or devices
            if file_sha256(tmp / "clip.mp4") != remote.clip_sha256:
                raise TransferError("the clip arrived corrupted (clip.mp4's sha256 differs); not used")
            meta = _meta(tmp)
            publish_dir(tmp, entry)
        except (OSError, tarfile.TarError) as e:
            raise TransferError(f"the clip arrived unreadable: {e}") from None
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        return meta
    try:
        if file_sha256(entry / "clip.mp4") != remote.clip_sha256:
            raise TransferError(f"{entry / 'clip.mp4'} differs from what the worker wrote (shared cache?)")
    except FileNotFoundError:
        raise TransferError(
            f"the worker's clip is not in {entry} (is --cache-dir on shared storage?)"
        ) from None
    return _meta(entry)


def _meta(entry: Path) -> ClipMeta:
    try:
        return ClipMeta.model_validate_json((entry / "meta.json").read_bytes())
    except (OSError, ValueError) as e:
        raise TransferError(f"the entry's meta.json is missing or invalid: {e}") from None


def connect(address: str, seconds: float) -> Any:
    """A ``distributed.Client`` of the scheduler at ``address``, connected within ``seconds`` (and one more
    for Dask's own timeout to report first); raises ExecutorError (one line) otherwise.

    Dask bounds the TCP connection by its timeout but not the greeting that follows: a port that accepts
    and never answers (another service, a hung scheduler) would keep ``Client()`` waiting forever. So it is
    made in a thread that is given up at the deadline (a daemon: it cannot keep the process alive)."""
    outcome: list[Any] = []

    def make() -> None:
        try:
            outcome.append(_distributed().Client(address, timeout=seconds, set_as_default=False))
        except Exception as e:  # OSError, TimeoutError, a protocol mismatch: all mean "not usable"
            outcome.append(e)

    thread = threading.Thread(target=make, name="dask-connect", daemon=True)
    thread.start()
    thread.join(seconds + 1.0)
    if not outcome:
        why = f"no answer within {seconds:g} s (is a Dask scheduler listening there?)"
    elif isinstance(outcome[0], Exception):
        why = " ".join(str(outcome[0]).split()) or type(outcome[0]).__name__
    else:
        return outcome[0]
    raise ExecutorError(f"cannot reach the Dask scheduler at {address}: {why}")


class DaskExecutor:
    """Jobs as Dask tasks (``Client.submit``, ``pure=False``): longest first by priority, each a fresh
    worker process on whichever Dask worker takes it."""

    def __init__(
        self,
        address: str,
        cache_dir: Path,
        transfer: Transfer = "auto",
        resources: dict[str, float] | None = None,
    ) -> None:
        self.client: Any = connect(address, CONNECT_SECONDS)
        self.address = address
        self.resources = resources
        self.transfer: Literal["files", "bytes"] = self._probe(cache_dir) if transfer == "auto" else transfer

    @property
    def description(self) -> str:
        n = len(self.client.scheduler_info().get("workers", {}))
        return f"on Dask at {self.address} ({n} workers, {self.transfer} transfer)"

    def _probe(self, cache_dir: Path) -> Literal["files", "bytes"]:
        """``files`` when every worker reads back a token the client wrote into its cache folder."""
        token = secrets.token_hex(16)
        probe = cache_dir / f".probe-{os.getpid()}-{token[:8]}"
        try:
            write_text_atomic(probe, token)
            seen = self.client.run(_sees, str(probe), token)
        except Exception:
            return "bytes"
        finally:
            probe.unlink(missing_ok=True)
        return "files" if seen and all(seen.values()) else "bytes"

    def run(self, jobs: list[Job], on_event: ProgressFn, timeout: float | None) -> list[JobResult]:
        by_id = {j.log_path: j for j in jobs}
        lock = threading.Lock()

        def on_remote(event: tuple[float, dict[str, Any]]) -> None:
            msg = event[1]
            job = by_id.get(msg.get("id", ""))
            if job is not None:
                with lock:
                    on_event(job, msg["event"], msg.get("data", {}))

        self.client.subscribe_topic(TOPIC, on_remote)
        t0 = time.perf_counter()
        futures = {}
        for rank, job in enumerate(jobs):  # jobs come longest first: the scheduler starts them in order
            fut = self.client.submit(
                render_task,
                job,
                self.transfer,
                timeout,
                key=f"render-{job.name}-{job.key[:12]}-{secrets.token_hex(4)}",
                pure=False,
                priority=len(jobs) - rank,
                resources=self.resources,
                retries=0,
            )
            futures[fut] = job
        results: dict[str, JobResult] = {}
        try:
            for fut in _distributed().as_completed(list(futures), loop=self.client.loop):
                job = futures[fut]
                result = self._result(job, fut, time.perf_counter() - t0)
                with lock:
                    if result.status == "rendered":
                        on_event(job, "done", {})
                    else:
                        on_event(job, "error", {"message": result.error})
                results[job.log_path] = result
        except BaseException:  # Ctrl-C: nothing new starts; running tasks finish on their workers
            self.client.cancel(list(futures))
            raise
        finally:
            with contextlib.suppress(Exception):
                self.client.unsubscribe_topic(TOPIC)
        return [results[j.log_path] for j in jobs]

    def _result(self, job: Job, fut: Any, elapsed: float) -> JobResult:
        try:
            remote: RemoteResult = fut.result()
        except Exception as e:  # the task itself broke (a worker died, a pickling error): one line
            return JobResult(job, "failed", elapsed, error=f"Dask task failed: {type(e).__name__}: {e}"[:500])
        _write_log(job, remote.log)
        if remote.status != "rendered":
            return JobResult(job, "failed", remote.seconds, error=remote.error)
        try:
            meta = receive(job, remote)
        except TransferError as e:
            _write_log(job, remote.log + f"\nrender.py: {e}\n")
            return JobResult(job, "failed", remote.seconds, error=str(e))
        return JobResult(job, "rendered", remote.seconds, meta)

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.client.close()


def _write_log(job: Job, text: str) -> None:
    with contextlib.suppress(OSError):
        write_text_atomic(Path(job.log_path), text)


def make_executor(
    spec: str, workers: int, cache_dir: Path, transfer: Transfer = "auto", resources: str | None = None
) -> Executor:
    """The executor ``--executor`` names; raises ExecutorError (one line) when it cannot be used."""
    address = parse_executor(spec)
    if address is None:
        return LocalExecutor(workers)
    return DaskExecutor(address, cache_dir, transfer, parse_resources(resources))
