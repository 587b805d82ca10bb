"""File output that survives crashes, concurrent runs and shared caches.

A file appears whole or not at all (written beside its destination, then renamed); a file placed in the
output is a copy (or a copy-on-write clone), never a hard link, so editing or truncating it cannot reach
the cache it came from; temporaries carry the pid of their writer, so a later run can tell a dead
writer's leftovers from a live one's work.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import os
import re
import secrets
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

FICLONE = 0x40049409  # ioctl: share the source's blocks copy-on-write (btrfs, XFS); Linux only
# temporaries of ours: `.<stem>.<pid>.<random>.tmp<suffix>` files and `.stitch-<pid>-<random>/` folders
_TEMP_NAME = re.compile(r"^\.(?:.+\.(?P<pid>\d+)\.[^.]+\.tmp(?:\.[^.]*)?|stitch-(?P<spid>\d+)-.+)$")


def _read_umask() -> int:
    """The process's umask, read without changing it (``os.umask`` sets it, racing other threads)."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    return 0o022


def file_mode() -> int:
    """The mode ``open()`` would give a new file: 0o666 less the umask (0644 under the usual 022).
    mkstemp's 0600 would make every output unreadable to a web server or a colleague."""
    return 0o666 & ~_read_umask()


@contextlib.contextmanager
def atomic_path(dest: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``dest``; on success rename it over ``dest``, else delete it."""
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(
        prefix=f".{dest.stem}.{os.getpid()}.", suffix=f".tmp{dest.suffix}", dir=dest.parent
    )
    os.fchmod(fd, file_mode())
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.replace(tmp_path, dest)
    except BaseException:
        tmp_path.unlink(missing_ok=True)
        raise


def write_text_atomic(dest: Path, text: str) -> None:
    with atomic_path(dest) as tmp:
        tmp.write_text(text, encoding="utf-8")


def write_bytes_atomic(dest: Path, data: bytes) -> None:
    with atomic_path(dest) as tmp:
        tmp.write_bytes(data)


def publish_dir(tmp_dir: Path, dest: Path) -> None:
    """Move a finished directory into place, replacing any older one (rename is atomic per directory).

    Safe when several processes publish the same ``dest`` at once (two runs rendering one clip into a
    shared cache): whoever renames last wins, each earlier copy is moved aside and removed, and a reader
    sees a whole directory or none.
    """
    dest.parent.mkdir(parents=True, exist_ok=True)
    for attempt in range(100):
        try:
            os.rename(tmp_dir, dest)  # fails on a non-empty dest instead of merging into it
            return
        except OSError as e:
            if e.errno not in (errno.ENOTEMPTY, errno.EEXIST) or attempt == 99:
                raise
        old = dest.with_name(f".{dest.name}.old.{os.getpid()}.{secrets.token_hex(4)}")  # unique per thread
        try:
            os.rename(dest, old)
        except FileNotFoundError:  # another process moved it aside first: try again
            continue
        shutil.rmtree(old, ignore_errors=True)


def clone_or_copy(src: Path, dest: Path) -> None:
    """Place a copy of ``src`` at ``dest`` atomically: a copy-on-write clone where the file system can,
    else a byte copy; never a hard link (writing to ``dest`` must not change ``src``). A ``dest`` with the
    size and modification time of ``src`` is kept (that is what a previous copy left), so re-placing an
    unchanged file costs a ``stat``."""
    st = os.stat(src)
    with contextlib.suppress(OSError):
        d = os.stat(dest)
        if (d.st_size, d.st_mtime_ns) == (st.st_size, st.st_mtime_ns) and not os.path.samefile(src, dest):
            return
    with atomic_path(dest) as tmp:
        with open(src, "rb") as fin, open(tmp, "wb") as fout:
            try:
                fcntl.ioctl(fout.fileno(), FICLONE, fin.fileno())
            except OSError:
                shutil.copyfileobj(fin, fout, 1 << 20)
        os.utime(tmp, ns=(st.st_atime_ns, st.st_mtime_ns))


def pid_alive(pid: int) -> bool:
    """Whether a process ``pid`` exists (a zombie counts: its parent has not reaped it yet)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    return True


def sweep_temporaries(folder: Path, *, owned: bool = False, recursive: bool = True) -> list[Path]:
    """Remove the temporaries a dead process left in ``folder`` and its subfolders (a kill -9 during an
    atomic write or a stitch); return what was removed. A temporary names its writer's pid; one whose
    writer still runs is kept. ``owned``: the caller holds ``folder``'s lock, so no other process writes
    there, and temporaries without a pid (from older versions) are stale too."""
    removed: list[Path] = []
    if not folder.is_dir():
        return removed
    for dirpath, dirnames, filenames in os.walk(folder):
        for name in [*dirnames, *filenames]:
            m = _TEMP_NAME.match(name)
            if m:
                pid = int(m.group("pid") or m.group("spid"))
                # our own pid here is a dead writer's, reused: this run has written nothing yet
                if pid != os.getpid() and pid_alive(pid):
                    continue
            elif not (owned and name.startswith(".") and not name.startswith(".tmp-")):
                continue
            elif ".tmp" not in name and not name.startswith(".stitch-"):
                continue
            path = Path(dirpath) / name
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
            removed.append(path)
        if not recursive:
            break
        dirnames[:] = [d for d in dirnames if (Path(dirpath) / d).exists()]
    return removed


class FolderBusy(Exception):
    """Another process holds the lock of an output folder."""

    def __init__(self, folder: Path, holder: str) -> None:
        super().__init__(f"{folder} is in use by another run ({holder})")
        self.folder, self.holder = folder, holder


@contextlib.contextmanager
def folder_lock(folder: Path) -> Iterator[None]:
    """Hold ``folder/.lock`` (``flock``, exclusive, not waiting) for the duration: one run per output
    folder. The kernel releases it when the holder exits, however it dies, so a stale lock cannot
    outlive a killed run. Raises :class:`FolderBusy` naming the holder's pid if another run has it."""
    folder.mkdir(parents=True, exist_ok=True)
    fd = os.open(folder / ".lock", os.O_RDWR | os.O_CREAT, file_mode())
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 200, 0).decode("utf-8", "replace").strip() or "pid unknown"
            raise FolderBusy(folder, holder) from None
        with contextlib.suppress(OSError):  # who holds it, for the message of a second run; a full disk
            os.ftruncate(fd, 0)  # must not stop the run for that
            os.pwrite(fd, f"pid {os.getpid()}\n".encode(), 0)
        yield
    finally:
        os.close(fd)  # releases the lock


def writable_dir(folder: Path) -> str | None:
    """Why ``folder`` cannot hold our output (one line), or None when it can: it is created if missing,
    must be a directory, and a file must be creatable in it (a read-only mount, a full disk, missing
    permissions all fail here, before any rendering)."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        return f"{folder} is not a directory"
    except OSError as e:
        return f"cannot create {folder}: {e.strerror or e}"
    if not folder.is_dir():
        return f"{folder} is not a directory"
    try:
        fd, probe = tempfile.mkstemp(prefix=f".probe.{os.getpid()}.", suffix=".tmp", dir=folder)
        os.close(fd)
        os.unlink(probe)
    except OSError as e:
        return f"cannot write in {folder}: {e.strerror or e}"
    return None


def file_sha256(path: Path) -> str:
    """The sha256 of a file's bytes, read in 1 MB blocks (models and videos are too big to read at once)."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()
