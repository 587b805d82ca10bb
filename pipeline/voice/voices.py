"""The voices that speak a scene's narration, as the worker runs them: espeak-ng, Piper, the creator's
recordings. ``make_voice`` returns an object with the ``speak(text, beat_id)`` method a scene calls
(``scenes.engine.narration.Voice``); every voice writes 48 kHz stereo WAVs normalised to one loudness
(``pipeline.voice.audio``). What a voice *is* — parsing ``--voice`` and its cache identity — is
``pipeline.voice.spec`` (the main process's side, kept out of every clip's cache key).

A storyboard's text never reaches a command line as an option: espeak-ng gets it after ``--``. A recording
is read by ``resolved.open_take``'s rules (a regular file, no link, bounded), copied and checked against the
hash it was planned with, and held to ``MAX_TAKE_SECONDS``.
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
from pathlib import Path
from typing import Any

from pipeline.voice.audio import media_seconds, normalise
from pipeline.voice.resolved import (
    AUDIO_SUFFIXES,
    ESPEAK_VOICES,
    ESPEAK_WPM,
    MAX_TAKE_SECONDS,
    ResolvedVoice,
    TakeError,
    open_take,
    read_take,
)

# espeak-ng's Chinese voice (espeak_zh): the symbols a lecturer reads out and the units after a number, in
# words; everything else speaks through the lexicon (pipeline/voice/lexicons/).
ESPEAK_ZH_SYMBOLS = {
    "Δ": " delta ", "Ā": " A bar ", "B̄": " B bar ", "×": "乘", "·": "乘", "≈": "约", "→": "，",
    "−": "负", "≤": "不超过", "≥": "至少", "%": "%", "α": " alpha ", "λ": " lambda ", "σ": " sigma ",
    "ω": " omega ", "θ": " theta ", "∑": "求和", "ᵀ": "转置", "√": "根号", "=": "等于", "+": "加",
}  # fmt: skip
ESPEAK_ZH_UNITS = {
    "KiB": " KiB ", "MiB": " MiB ", "GiB": " GiB ", "TiB": " TiB ",
    "KB": "千字节", "MB": "兆字节", "GB": "吉字节", "TB": "太字节",
    "K": "千", "M": "百万", "B": "十亿", "T": "万亿", "s": "秒", "ms": "毫秒",
}  # fmt: skip
_UNIT = re.compile(r"(?<=\d)\s?(KiB|MiB|GiB|TiB|KB|MB|GB|TB|ms|K|M|B|T|s)\b")


def speakable(text: str, locale: str, kind: str = "piper") -> str:
    """``text`` as a ``kind`` voice should receive it: numbers, symbols, units and terms in words by the
    locale's lexicon (:mod:`pipeline.voice.lexicon`; captions, notes and the script keep the written form).

    One exception, measured: espeak-ng's Chinese voice reads Chinese numerals (一, 六, 百, 两) as spelt
    pinyin but digits well, so Chinese for espeak keeps the older rule: symbols and units in words, digits
    as written without their group separators (:func:`espeak_zh`).
    """
    if locale == "zh" and kind == "espeak":
        return espeak_zh(text)
    from pipeline.voice.lexicon import spoken

    return spoken(text, locale)


def espeak_zh(text: str) -> str:
    """Chinese for espeak-ng's ``cmn`` voice: symbols and units in words, digits as written."""
    out = _UNIT.sub(lambda m: f" {ESPEAK_ZH_UNITS[m.group(1)]}", text)
    out = out.replace("_", " ")
    for sym, word in ESPEAK_ZH_SYMBOLS.items():
        out = out.replace(sym, word)
    # espeak's cmn voice reads "1,792" digit group by digit group: drop the separators
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
        from scenes.engine.narration import Speech

        raw, out = self._paths(beat_id)
        cmd = [
            "espeak-ng", "-v", ESPEAK_VOICES[self.locale], "-s", str(ESPEAK_WPM[self.locale]),
            "-w", str(raw.absolute()),
            # the text, never an option ("-f FILE" would read FILE)
            "--", speakable(text, self.locale, "espeak"),
        ]  # fmt: skip
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            raise RuntimeError(f"espeak-ng failed on beat {beat_id!r}: {proc.stderr.strip()[-300:]}")
        return Speech(normalise(raw, out), str(out))


class PiperVoice(_FileVoice):
    """A Piper (VITS, ONNX) voice: the model is loaded once per worker, at its first beat (a silent scene
    never pays the ~1 s it takes); its pace and pauses are :data:`PIPER_PACE`."""

    def __init__(self, workdir: Path, prefix: str, locale: str, model: str) -> None:
        super().__init__(workdir, prefix, locale)
        self.model = model
        self._voice: Any = None

    def speak(self, text: str, beat_id: str) -> Any:
        import wave

        from scenes.engine.narration import Speech

        if self._voice is None:
            import onnxruntime  # type: ignore[import-untyped]
            from piper import PiperVoice as Piper  # piper-tts, imported only when this voice speaks

            # Piper samples noise inside the model: seeded before loading, a worker's beats come out the
            # same on every render (a chunk, which speaks every beat before its range in the same order,
            # hears what a whole render hears; a re-render after a lost cache gives the same clip)
            onnxruntime.set_seed(PIPER_SEED)
            try:
                self._voice = Piper.load(self.model)
            except Exception as e:  # a corrupt model: one line naming it
                raise RuntimeError(f"voice piper: cannot load the model {self.model}: {e}"[:400]) from None
        raw, out = self._paths(beat_id)
        with wave.open(str(raw), "wb") as w:
            said = speakable(text, self.locale, "piper")
            for k, chunk in enumerate(self._voice.synthesize(said, piper_pace())):
                if k == 0:
                    w.setframerate(chunk.sample_rate)
                    w.setsampwidth(chunk.sample_width)
                    w.setnchannels(chunk.sample_channels)
                else:  # Piper speaks sentence by sentence: a breath between them
                    gap = round(PIPER_PACE["sentence_silence"] * chunk.sample_rate)
                    w.writeframes(bytes(gap * chunk.sample_width * chunk.sample_channels))
                w.writeframes(chunk.audio_int16_bytes)
        return Speech(normalise(raw, out), str(out))


class RecordedVoice(_FileVoice):
    """The creator's recordings, ``DIR/<entry>-<beat>.<wav|flac|mp3|…>`` (the ids of ``--script``);
    a missing one is silence of the scripted length, and its id is reported.

    ``hashes`` are the recordings' sha256 as planned (the voice's identity, in the clip's key): a take that
    changed since, or appeared, is an error rather than a clip cached under a key that does not describe it.
    """

    def __init__(
        self, workdir: Path, prefix: str, locale: str, folder: str, hashes: dict[str, str] | None = None
    ) -> None:
        super().__init__(workdir, prefix, locale)
        self.folder = Path(folder)
        self.hashes = hashes

    def speak(self, text: str, beat_id: str) -> Any:
        from scenes.engine.narration import Speech, reading_seconds

        _, out = self._paths(beat_id)
        stem = f"{self.prefix}-{beat_id}"
        # lexists: a link or a FIFO is found (and refused by open_take), never silently skipped
        found = [
            self.folder / f"{stem}{s}" for s in AUDIO_SUFFIXES if os.path.lexists(self.folder / f"{stem}{s}")
        ]
        if not found:
            self.missing.append(stem)
            return Speech(round(reading_seconds(text, self.locale), 3), None)
        take = self._copy(found[0], self.workdir / f"{stem}.take{found[0].suffix.lower()}")
        claimed = media_seconds(take)
        if claimed is not None and claimed > MAX_TAKE_SECONDS:
            raise RuntimeError(self._too_long(found[0], claimed))
        seconds = normalise(take, out, max_seconds=MAX_TAKE_SECONDS + 1)  # whatever the header claims
        take.unlink()
        if seconds > MAX_TAKE_SECONDS:
            raise RuntimeError(self._too_long(found[0], seconds))
        return Speech(seconds, str(out))

    def _copy(self, src: Path, dest: Path) -> Path:
        """``src`` copied to ``dest`` by the rules of ``open_take``, checked against its planned hash."""
        h = hashlib.sha256()
        try:
            with open_take(src) as f, open(dest, "wb") as g:
                for block in read_take(f, src):
                    h.update(block)
                    g.write(block)
        except TakeError as e:
            raise RuntimeError(f"recording: {e}") from None
        if self.hashes is not None and self.hashes.get(src.name) != h.hexdigest():
            raise RuntimeError(f"recording {src} changed since the run was planned; run again")
        return dest

    @staticmethod
    def _too_long(path: Path, seconds: float) -> str:
        return f"recording {path} is {seconds:.0f} s long; a take may be at most {MAX_TAKE_SECONDS} s"


# Piper's pace for a lecture: the model's own noise settings (its .onnx.json), speech slowed by 5 % from the
# model's rate (a listener follows a term-dense sentence; measured by the intelligibility test), and a pause
# between the sentences of one beat.
PIPER_PACE = {"length_scale": 1.05, "sentence_silence": 0.25}
PIPER_SEED = 20241208  # onnxruntime's seed for the model's sampling noise


def piper_pace() -> Any:
    from piper import SynthesisConfig

    return SynthesisConfig(length_scale=PIPER_PACE["length_scale"])


def make_voice(spec: ResolvedVoice, workdir: Path, prefix: str, locale: str) -> Any:
    """The worker's voice for a job's resolved voice; None for ``none``."""
    kind = spec.kind
    if kind == "espeak":
        return EspeakVoice(workdir, prefix, locale)
    if kind == "piper":
        return PiperVoice(workdir, prefix, locale, spec.path)
    if kind == "recorded":
        files = spec.identity.get("files")  # the hashes it was planned with
        return RecordedVoice(
            workdir, prefix, locale, spec.path, dict(files) if isinstance(files, dict) else None
        )
    return None
