"""Files trusted only once checked: what ffmpeg wrote (probed), what was stored (its size and sha256).

**What ffmpeg wrote.** An exit status of 0 is not enough.

ffmpeg reports a failure to finish its output — the disk filled up while it wrote the index (the ``moov``
atom of an MP4) or moved it to the front for ``+faststart`` — as "Error writing trailer of …: No space left
on device" and still exits 0 (ffmpeg 5–7 without ``-xerror``). The file left behind has no index, or a
damaged one. So every file ffmpeg writes for us is accepted only when

- ffmpeg exited 0 and printed none of :data:`WRITE_FAILURES` (:func:`run_ffmpeg`), and
- ffprobe parses it, it has the streams it should and its video lasts as long as it should, within two
  frames and (with sound) two AAC packets: what stream copies were measured to differ by, with 20 clips
  at 15, 24 and 60 fps (a re-encode to another frame rate: a frame more per clip) (:func:`check_video`).

Only then is it renamed into place (a clip into the cache, a video into the output folder).

**What was stored.** A file recorded with its size and sha256 (a cached clip, a stitched video) is checked
against both before it is used again (:func:`check_file`): its size on every use (a ``stat``), its sha256
only when its identity — device, inode, size, modification and change time — differs from the one under
which it was last verified (:func:`identity`). Every write, truncation or replacement changes the
change time (which, unlike the modification time, cannot be set back) or the inode, so an unchanged
identity means unchanged bytes (but for a write racing the check within one clock tick), and a fully
cached run hashes nothing.

The standard library and ``common.fsutil`` only: every layer uses it (the worker, the chunk join, the
cache, stitching).
"""

from __future__ import annotations

import errno
import json
import os
import subprocess
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from common.fsutil import file_sha256

# what ffmpeg prints when its output did not reach the disk whole (it exits 0 after a failed trailer)
WRITE_FAILURES = (
    "Error writing trailer",
    os.strerror(errno.ENOSPC),  # No space left on device
    os.strerror(errno.EDQUOT),  # Disk quota exceeded
    os.strerror(errno.EFBIG),  # File too large
)
AUDIO_SLACK = 2 * 1024 / 48_000  # s: two AAC packets, by which a stream copy can outlast its video
FRAMES_SLACK = 2  # frames a stitched or muxed file may differ from its expected length


class BadMedia(RuntimeError):
    """A file ffmpeg wrote is not what it should be (one line: the file and why)."""


def write_failure(stderr: str) -> str | None:
    """The line of ffmpeg's ``stderr`` saying the output was not written whole, or None."""
    for line in stderr.splitlines():
        if any(marker in line for marker in WRITE_FAILURES):
            return line.strip()
    return None


def run_ffmpeg(args: list[str]) -> subprocess.CompletedProcess[str]:
    """Run ``args`` (an ffmpeg or ffprobe command line); raise :class:`BadMedia` if it exits non-zero or
    says it could not write its output (see the module docstring)."""
    proc = subprocess.run(args, capture_output=True, text=True, errors="replace", check=False)
    tail = " ".join(proc.stderr.strip()[-800:].split())
    if proc.returncode != 0:
        raise BadMedia(f"{args[0]} failed ({proc.returncode}): {tail}")
    failure = write_failure(proc.stderr)
    if failure is not None:
        raise BadMedia(f"{args[0]} could not write its output (exit status 0): {' '.join(failure.split())}")
    return proc


@dataclass(frozen=True)
class Probed:
    """What ffprobe reads from a media file's index."""

    duration: float  # seconds: the first video stream's (the container's without video)
    fps: float  # the first video stream's frame rate; 0.0 without video
    video: bool
    audio: bool


def probe_file(path: Path) -> Probed:
    """ffprobe's view of ``path``; :class:`BadMedia` if it cannot parse it (no index: a truncated MP4).

    The video stream's own duration, not the container's: a chapter track lasts as long as the chapters
    say, so a stitched video missing half a clip's frames still has the full container duration."""
    args = ["ffprobe", "-v", "error", "-show_entries", "stream=codec_type,r_frame_rate,duration"]
    # file: and absolute: a name starting with "-" is no option, one with a colon no protocol
    target = "file:" + str(Path(path).absolute())
    out = run_ffmpeg([*args, "-show_entries", "format=duration", "-of", "json", target]).stdout
    try:
        data = json.loads(out)
        streams = data.get("streams", [])
        video = [s for s in streams if s.get("codec_type") == "video"]
        duration = float(video[0]["duration"] if video else data["format"]["duration"])
        fps = float(Fraction(video[0].get("r_frame_rate", "0/1"))) if video else 0.0
    except (ValueError, KeyError, TypeError, ZeroDivisionError):
        raise BadMedia(f"{path}: ffprobe found no duration (not a whole media file)") from None
    return Probed(duration, fps, bool(video), any(s.get("codec_type") == "audio" for s in streams))


def check_video(path: Path, duration: float, audio: bool | None = None, frames: int = FRAMES_SLACK) -> Probed:
    """Raise :class:`BadMedia` unless ``path`` parses, has a video stream (and a sound track if ``audio``
    is True, none if it is False) and its video lasts ``duration`` seconds within ``frames`` frames (and
    two AAC packets with sound). A re-encode to another frame rate rounds each clip to whole frames: allow
    a frame per clip more there."""
    if not os.path.isfile(path) or os.path.getsize(path) == 0:
        raise BadMedia(f"{path}: ffmpeg wrote nothing")
    got = probe_file(path)
    if not got.video:
        raise BadMedia(f"{path}: no video stream")
    if audio is not None and got.audio != audio:
        raise BadMedia(f"{path}: {'no' if audio else 'an unexpected'} sound track")
    slack = frames / (got.fps or 25.0) + (AUDIO_SLACK if got.audio else 0.0) + 1e-3
    if abs(got.duration - duration) > slack:
        raise BadMedia(f"{path}: {got.duration:.3f} s long where {duration:.3f} s were expected")
    return got


def identity(path: Path) -> list[int]:
    """What changes whenever ``path``'s bytes can have changed: device, inode, size, modification and change
    time (ns). Raises ``OSError`` (a missing file)."""
    st = os.stat(path)
    return [st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns]


def check_file(
    path: Path, size: int, sha256: str, known: list[int] | None = None
) -> tuple[str | None, list[int] | None]:
    """Whether ``path`` still holds the ``size`` bytes of digest ``sha256``: (why not, None), or (None, the
    identity it was verified under). ``known``: an identity under which it was verified before — if it
    still has that identity it is not read again."""
    try:
        now = identity(path)  # before reading: a write while hashing changes it, so it is hashed again
    except OSError as e:
        return f"unreadable: {e.strerror or e}", None
    if now[2] != size:
        return f"{now[2]} bytes where {size} were written", None
    if known is not None and list(known) == now:
        return None, now
    try:
        digest = file_sha256(path)
    except OSError as e:
        return f"unreadable: {e.strerror or e}", None
    if digest != sha256:
        return "its bytes changed (sha256 differs)", None
    return None, now
