"""The voices that speak a scene's narration: ``espeak``, ``piper:MODEL``, ``recorded:DIR`` and ``none``.

``parse`` and ``identity`` run in the main process (the identity — engine version, model or recording
hashes — goes into every clip's cache key); ``make_voice`` runs in the worker and returns an object with
the ``speak(text, beat_id)`` method a scene calls (``scenes.narration.Voice``). Every voice writes 48 kHz
stereo WAVs normalised to the same loudness (``pipeline.audio``).
"""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.audio import normalise

KINDS = ("espeak", "piper", "recorded", "none")
ESPEAK_VOICES = {"en": "en-us", "zh": "cmn"}  # espeak-ng voice per locale
ESPEAK_WPM = {"en": 150, "zh": 160}  # a lecturer's pace, a little slower than espeak's default 175
AUDIO_SUFFIXES = (".wav", ".flac", ".mp3", ".m4a", ".ogg", ".opus")


class VoiceError(ValueError):
    """A voice that cannot be used as given (missing engine, model file or folder): one line to print."""


@dataclass(frozen=True)
class VoiceSpec:
    kind: str  # one of KINDS
    path: str = ""  # the Piper model or the recordings folder

    def __str__(self) -> str:
        return f"{self.kind}:{self.path}" if self.path else self.kind


def parse(text: str) -> VoiceSpec:
    """``espeak`` | ``none`` | ``piper:MODEL.onnx`` | ``recorded:DIR`` → a spec (raises VoiceError)."""
    kind, _, arg = text.partition(":")
    kind = kind.strip().lower()
    if kind not in KINDS:
        from lib.core.suggest import closest

        close = closest(kind, list(KINDS))
        hint = f"; did you mean {close!r}?" if close else ""
        raise VoiceError(f"unknown voice {text!r}: expected espeak, none, piper:MODEL or recorded:DIR{hint}")
    if kind in ("piper", "recorded") and not arg:
        raise VoiceError(f"voice {kind!r} needs a path: {kind}:{'MODEL.onnx' if kind == 'piper' else 'DIR'}")
    if kind in ("espeak", "none") and arg:
        raise VoiceError(f"voice {kind!r} takes no path (got {text!r})")
    return VoiceSpec(kind, str(Path(arg).expanduser().resolve()) if arg else "")


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def espeak_version() -> str:
    exe = shutil.which("espeak-ng")
    if exe is None:
        raise VoiceError("voice 'espeak' needs espeak-ng (run `make setup`, or apt-get install espeak-ng)")
    out = subprocess.run([exe, "--version"], capture_output=True, text=True, check=False).stdout
    m = re.search(r"eSpeak NG text-to-speech: (\S+)", out)
    return m.group(1) if m else out.strip()


def identity(spec: VoiceSpec, locale: str) -> dict[str, Any]:
    """What about the voice shapes the audio, for the cache key; raises VoiceError if it cannot be used."""
    if spec.kind == "none":
        return {"kind": "none"}
    if spec.kind == "espeak":
        return {
            "kind": "espeak",
            "version": espeak_version(),
            "voice": ESPEAK_VOICES[locale],
            "wpm": ESPEAK_WPM[locale],
        }
    path = Path(spec.path)
    if spec.kind == "piper":
        if not path.is_file():
            raise VoiceError(
                f"voice piper: no model file {path} (a Piper voice is an .onnx file and its .json)"
            )
        config = Path(str(path) + ".json")
        if not config.is_file():
            raise VoiceError(f"voice piper: the model's config {config} is missing")
        try:
            from importlib.metadata import version

            piper_version = version("piper-tts")
        except Exception:
            raise VoiceError("voice piper needs piper-tts (pip install piper-tts)") from None
        return {"kind": "piper", "model": _sha256(path), "config": _sha256(config), "piper": piper_version}
    if not path.is_dir():
        raise VoiceError(f"voice recorded: no folder {path}")
    files = {p.name: _sha256(p) for p in sorted(path.iterdir()) if p.suffix.lower() in AUDIO_SUFFIXES}
    return {"kind": "recorded", "files": files}


# Symbols a lecturer reads out: the captions keep them, the synthesiser gets words.
SPOKEN = {
    "en": {
        "Δ": " delta ", "Ā": " A bar ", "B̄": " B bar ", "×": " times ", "·": " times ", "≈": " about ",
        "→": ", ", "−": " minus ", "≤": " at most ", "≥": " at least ", "%": " percent", "α": " alpha ",
        "λ": " lambda ", "σ": " sigma ", "ω": " omega ", "θ": " theta ", "ℓ": " l ", "∑": " sum ",
        "ᵀ": " transpose ", "√": " square root of ", "/": " over ", "=": " equals ", "≠": " is not ",
        "+": " plus ", "^": " to the power ",
    },
    "zh": {
        "Δ": " delta ", "Ā": " A bar ", "B̄": " B bar ", "×": "乘", "·": "乘", "≈": "约", "→": "，",
        "−": "负", "≤": "不超过", "≥": "至少", "%": "%", "α": " alpha ", "λ": " lambda ", "σ": " sigma ",
        "ω": " omega ", "θ": " theta ", "∑": "求和", "ᵀ": "转置", "√": "根号", "=": "等于", "+": "加",
    },
}  # fmt: skip


def speakable(text: str, locale: str) -> str:
    """``text`` with its symbols spelt out for a synthesiser (``Δ_t`` → ``delta t``)."""
    out = text.replace("_", " ")
    for sym, word in SPOKEN[locale].items():
        out = out.replace(sym, word)
    if locale == "zh":  # espeak's cmn voice reads "1,792" digit group by digit group: drop the separators
        out = re.sub(r"(?<=\d),(?=\d{3})", "", out)
    return " ".join(out.split())


class _FileVoice:
    """Common part: speech files go to ``workdir``, named after the beat."""

    def __init__(self, workdir: Path, prefix: str, locale: str) -> None:
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.prefix = prefix  # the entry's name: beat ids are unique per storyboard
        self.locale = locale
        self.missing: list[str] = []

    def _paths(self, beat_id: str) -> tuple[Path, Path]:
        stem = f"{self.prefix}-{beat_id}"
        return self.workdir / f"{stem}.raw.wav", self.workdir / f"{stem}.wav"


class EspeakVoice(_FileVoice):
    def speak(self, text: str, beat_id: str) -> Any:
        from scenes.narration import Speech

        raw, out = self._paths(beat_id)
        cmd = [
            "espeak-ng", "-v", ESPEAK_VOICES[self.locale], "-s", str(ESPEAK_WPM[self.locale]),
            "-w", str(raw), speakable(text, self.locale),
        ]  # fmt: skip
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            raise RuntimeError(f"espeak-ng failed on beat {beat_id!r}: {proc.stderr.strip()[-300:]}")
        return Speech(normalise(raw, out), str(out))


class PiperVoice(_FileVoice):
    def __init__(self, workdir: Path, prefix: str, locale: str, model: str) -> None:
        super().__init__(workdir, prefix, locale)
        from piper import PiperVoice as Piper  # piper-tts, imported only when this voice is used

        self._voice = Piper.load(model)

    def speak(self, text: str, beat_id: str) -> Any:
        import wave

        from scenes.narration import Speech

        raw, out = self._paths(beat_id)
        with wave.open(str(raw), "wb") as w:
            self._voice.synthesize_wav(speakable(text, self.locale), w)
        return Speech(normalise(raw, out), str(out))


class RecordedVoice(_FileVoice):
    """The creator's recordings, ``DIR/<entry>-<beat>.<wav|flac|mp3|…>`` (the ids of ``--script``);
    a missing one is silence of the scripted length, and its id is reported."""

    def __init__(self, workdir: Path, prefix: str, locale: str, folder: str) -> None:
        super().__init__(workdir, prefix, locale)
        self.folder = Path(folder)

    def speak(self, text: str, beat_id: str) -> Any:
        from scenes.narration import Speech, reading_seconds

        raw, out = self._paths(beat_id)
        stem = f"{self.prefix}-{beat_id}"
        found = [self.folder / f"{stem}{s}" for s in AUDIO_SUFFIXES if (self.folder / f"{stem}{s}").is_file()]
        if not found:
            self.missing.append(stem)
            return Speech(round(reading_seconds(text, self.locale), 3), None)
        return Speech(normalise(found[0], out), str(out))


def make_voice(spec: dict[str, Any], workdir: Path, prefix: str, locale: str) -> Any:
    """The worker's voice for a job's ``voice`` field ({kind, path, …}); None for ``none``."""
    kind = spec.get("kind", "none")
    if kind == "espeak":
        return EspeakVoice(workdir, prefix, locale)
    if kind == "piper":
        return PiperVoice(workdir, prefix, locale, spec["path"])
    if kind == "recorded":
        return RecordedVoice(workdir, prefix, locale, spec["path"])
    return None
