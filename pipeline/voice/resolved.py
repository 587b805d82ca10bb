"""A voice as a job carries it to the worker: its kind, its path and its identity, resolved once at planning
(:func:`pipeline.voice.spec.resolve`). The worker imports this module, so it is part of every clip's cache
key: it holds only what shapes the audio (the espeak voices and pace, the recording suffixes and limits, how a
recording is opened).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

KINDS = ("espeak", "piper", "recorded", "none")
ESPEAK_VOICES = {"en": "en-us", "zh": "cmn"}  # espeak-ng voice per locale
ESPEAK_WPM = {"en": 150, "zh": 250}  # a lecturer's pace (cmn counts a syllable a word: ~4 a second)
AUDIO_SUFFIXES = (".wav", ".flac", ".mp3", ".m4a", ".ogg", ".opus")
# A recorded take of one beat: at most this long and this big (documented in the README). A beat says at most
# scenes.engine.narration.MAX_SPEECH_CHARS characters, about two minutes; five minutes of 96 kHz 32-bit
# stereo is 230 MB.
MAX_TAKE_SECONDS = 300
MAX_TAKE_BYTES = 256 * 1024 * 1024


class TakeError(ValueError):
    """A recording that cannot be used (not a regular file, too big): one line to print."""


def open_take(path: Path) -> BinaryIO:
    """``path`` opened for reading if it is a regular file of at most :data:`MAX_TAKE_BYTES` — never through
    a symbolic link, never a FIFO or a device (opened without blocking and checked on the open file, so
    nothing can be swapped in between); raises TakeError. Read it with :func:`read_take`."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as e:
        if os.path.islink(path):
            raise TakeError(f"{path} is a symbolic link; a recording must be a regular file") from None
        raise TakeError(f"cannot read {path}: {e.strerror or e}") from None
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode):
        os.close(fd)
        raise TakeError(
            f"{path} is not a regular file (a folder, FIFO, socket or device); a recording is one"
        )
    if st.st_size > MAX_TAKE_BYTES:
        os.close(fd)
        raise TakeError(
            f"{path} is {st.st_size / 2**20:.0f} MiB; a take may be at most {MAX_TAKE_BYTES // 2**20} MiB"
        )
    return os.fdopen(fd, "rb")


def read_take(f: BinaryIO, path: Path, block: int = 1 << 20) -> Iterator[bytes]:
    """The blocks of a take opened by :func:`open_take`, never more than :data:`MAX_TAKE_BYTES` in all (a
    file that grew since it was opened is an error)."""
    total = 0
    while data := f.read(block):
        total += len(data)
        if total > MAX_TAKE_BYTES:
            raise TakeError(f"{path} grew past {MAX_TAKE_BYTES // 2**20} MiB while it was read")
        yield data


@dataclass(frozen=True)
class ResolvedVoice:
    """A voice checked and identified once, at planning: what a job carries to its worker.

    ``identity`` is what about the voice shapes the audio (engine version, model and recording hashes);
    :meth:`key` is its part of every clip's cache key.
    """

    kind: str  # one of KINDS
    path: str = ""
    identity: dict[str, Any] = field(default_factory=dict)

    def key(self) -> dict[str, Any]:
        return {"kind": self.kind, "path": self.path, **self.identity}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ResolvedVoice:
        return cls(str(data.get("kind", "none")), str(data.get("path", "")), dict(data.get("identity", {})))


NO_VOICE = ResolvedVoice("none", "", {"kind": "none"})


def uses_lexicon(locale: str, kind: str) -> bool:
    """Whether a ``kind`` voice in ``locale`` speaks through the pronunciation lexicon: every synthesiser
    does, but espeak's Chinese voice, which reads digits better than Chinese numerals
    (:func:`pipeline.voice.voices.speakable`)."""
    return kind in ("espeak", "piper") and not (locale == "zh" and kind == "espeak")
