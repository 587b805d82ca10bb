"""A voice as a job carries it to the worker: its kind, its path and its identity, resolved once at planning
(:func:`pipeline.voice.spec.resolve`). The worker imports this module, so it is part of every clip's cache
key: it holds only what shapes the audio (the espeak voices and pace, the recording suffixes).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

KINDS = ("espeak", "piper", "recorded", "none")
ESPEAK_VOICES = {"en": "en-us", "zh": "cmn"}  # espeak-ng voice per locale
ESPEAK_WPM = {"en": 150, "zh": 250}  # a lecturer's pace (cmn counts a syllable a word: ~4 a second)
AUDIO_SUFFIXES = (".wav", ".flac", ".mp3", ".m4a", ".ogg", ".opus")


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
