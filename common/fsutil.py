"""File output that survives crashes, concurrent runs and shared caches.

A file appears whole or not at all (written beside its destination, then renamed); a file placed in the
output is a copy (or a copy-on-write clone), never a hard link, so editing or truncating it cannot reach
the cache it came from; temporaries carry the pid of their writer, so a later run can tell a dead
writer's leftovers from a live one's work. A link found where the run deletes, truncates or locks is
never followed: the run never makes one, so one found there was planted, and only the link itself is
removed or replaced (see :func:`real_dir`, :func:`remove_entry`, :func:`folder_lock`).
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
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

FICLONE = 0x40049409  # ioctl: share the source's blocks copy-on-write (btrfs, XFS); Linux only
# temporaries of ours: `.<stem>.<pid>.<random>.tmp<suffix>` files and the `.stitch-<pid>-<random>/`,
# `.publish-<pid>-<random>/` and `.slides-<pid>-<random>/` folders a stitch, a bundle and a deck are built in
TEMP_FOLDERS = ("stitch", "publish", "slides")
_TEMP_NAME = re.compile(
    rf"^\.(?:.+\.(?P<pid>\d+)\.[^.]+\.tmp(?:\.[^.]*)?|(?:{'|'.join(TEMP_FOLDERS)})-(?P<spid>\d+)-.+)$"
)


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
    sees a whole directory or none. A link planted at ``dest`` is replaced; what it points to is untouched.
    """
    dest.parent.mkdir(parents=True, exist_ok=True)
    for attempt in range(100):
        try:
            os.rename(tmp_dir, dest)  # fails on a non-empty dest instead of merging into it
            return
        except OSError as e:
            # ENOTDIR: a link (or a file) sits at dest; only a link is ours to replace
            busy = e.errno in (errno.ENOTEMPTY, errno.EEXIST) or (e.errno == errno.ENOTDIR and _is_link(dest))
            if not busy or attempt == 99:
                raise
        old = dest.with_name(f".{dest.name}.old.{os.getpid()}.{secrets.token_hex(4)}")  # unique per thread
        try:
            os.rename(dest, old)  # renames a link itself, never what it points to
        except FileNotFoundError:  # another process moved it aside first: try again
            continue
        remove_entry(old)


def _is_link(path: Path) -> bool:
    try:
        return stat.S_ISLNK(os.lstat(path).st_mode)
    except OSError:
        return False


def remove_entry(path: Path) -> None:
    """Remove ``path`` whatever it is, without following a link: a directory (not a link) with everything
    in it, anything else (a file, a link to a file or to a directory) by its name only."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return
    if stat.S_ISDIR(st.st_mode):
        shutil.rmtree(path, ignore_errors=True)  # fd-based on Linux: a link inside is removed, not followed
    else:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)


def real_dir(path: Path) -> Path:
    """``path`` as a directory of its own, created if missing; return it. A link found there (to a folder or
    anywhere else) is removed and a real directory made in its place: the run never makes a link, so one
    there was planted, and following it would write and delete in someone else's folder. Anything else
    that is not a directory stays and raises ``FileExistsError``."""
    for _ in range(10):  # a link planted again between the checks: look again
        if _is_link(path):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)
        try:
            path.mkdir(parents=True)
        except FileExistsError:
            pass
        st = os.lstat(path)
        if stat.S_ISDIR(st.st_mode):
            return path
        if not stat.S_ISLNK(st.st_mode):
            raise FileExistsError(errno.EEXIST, "not a directory", str(path))
    raise FileExistsError(errno.EEXIST, "keeps being replaced by a link", str(path))


def clone_or_copy(src: Path, dest: Path) -> None:
    """Place a copy of ``src`` at ``dest`` atomically: a copy-on-write clone where the file system can,
    else a byte copy; never a hard link (writing to ``dest`` must not change ``src``). A ``dest`` with the
    size and modification time of ``src`` is kept (that is what a previous copy left), so re-placing an
    unchanged file costs a ``stat``; a link at ``dest`` is never kept (a copy is never a link), it is
    replaced, and what it points to is not touched."""
    st = os.stat(src)
    with contextlib.suppress(OSError):
        d = os.lstat(dest)
        same = (d.st_size, d.st_mtime_ns) == (st.st_size, st.st_mtime_ns)
        if same and stat.S_ISREG(d.st_mode) and not os.path.samestat(st, d):
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
    atomic write, a stitch, a bundle or a deck); return what was removed. A temporary names its writer's
    pid; one whose writer still runs is kept. ``owned``: the caller holds ``folder``'s lock, so no other
    process writes there, and temporaries without a pid (from older versions) are stale too."""
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
            remove_entry(path)  # a link named like a temporary goes, what it points to stays
            removed.append(path)
        if not recursive:
            break
        # os.walk enters no link to a folder (followlinks=False): a planted `clips -> /elsewhere` is not swept
        dirnames[:] = [d for d in dirnames if os.path.lexists(Path(dirpath) / d)]
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
    outlive a killed run. Raises :class:`FolderBusy` naming the holder's pid if another run has it.

    ``.lock`` is opened without following a link and must be a regular file of one name: a link planted
    there (symbolic, or a second name of another file) is replaced by a lock file of our own, so the file
    it points to is neither locked nor truncated."""
    folder.mkdir(parents=True, exist_ok=True)
    fd = _lock_fd(folder / ".lock")
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


def _lock_fd(path: Path) -> int:
    """An open descriptor of the regular, singly linked file ``path`` (created if missing)."""
    flags = os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
    for _ in range(10):  # a link planted again between the checks: look again
        try:
            fd = os.open(path, flags, file_mode())
        except OSError as e:
            if e.errno != errno.ELOOP:  # ELOOP: a symbolic link, which O_NOFOLLOW refuses to open
                raise
            remove_entry(path)
            continue
        st = os.fstat(fd)
        if stat.S_ISREG(st.st_mode) and st.st_nlink == 1:
            return fd
        os.close(fd)
        if not stat.S_ISREG(st.st_mode):  # a FIFO, a socket, a device: not ours to remove
            raise OSError(errno.EEXIST, "not a lock file (remove it)", str(path))
        remove_entry(path)  # a hard link: this name goes, the file keeps its other name and its bytes
    raise OSError(errno.ELOOP, "keeps being replaced by a link", str(path))


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
