"""A clip's voice track: speech normalised per beat, laid out on the clip's timeline, muxed as AAC.

Every spoken text is brought to the same loudness on its own (EBU R128 integrated loudness, measured with
ffmpeg's ``ebur128`` filter, then one linear gain and a true-peak limiter), so entries never jump in
volume and the whole video measures the target too: R128 gating leaves the silence between beats out of
the integral. Beats never overlap (a beat lasts at least as long as its speech), so the track is the
segments placed at their start sample in silence the exact length of the video — no drift, whatever the
number of beats — written block by block, so memory stays flat however long the clip. The video stream is
copied, never re-encoded, and the muxed file is probed before it is trusted.

Every path reaches ffmpeg and ffprobe as ``file:`` and absolute (:func:`media_arg`): neither tool has
``--``, so a relative name starting with ``-`` would be an option, and one with a colon a protocol.
"""

from __future__ import annotations

import json
import re
import subprocess
import wave
from pathlib import Path

import numpy as np

RATE = 48_000  # Hz: the rate video platforms expect
CHANNELS = 2
TARGET_LUFS = -16.0  # speech for online video (EBU R128 measured; the level podcast and video platforms use)
TRUE_PEAK = -1.5  # dBTP ceiling after the gain, in the published AAC too
AAC_MARGIN = 0.5  # dB under the ceiling for the WAV: the AAC encode was measured to add up to 0.3 dB of peak
AAC_BITRATE = "160k"
MONO_ON_TWO = 3.01  # LU: one signal on both channels of a stereo track (R128 sums the channels' power)
FADE = round(0.005 * RATE)  # frames: 5 ms of fade at each end of a spoken segment
BLOCK = 1 << 16  # frames the track is written in (65,536: 1.4 s, 512 KB while mixing)
MUX_TOLERANCE = 0.1  # seconds a muxed clip's duration may differ from its video's (AAC frames: 21 ms)


class AudioError(RuntimeError):
    pass


def media_arg(path: Path | str) -> str:
    """``path`` as ffmpeg and ffprobe must get it: ``file:`` and absolute, so no name is read as an option
    (``-f…``) or a protocol (``concat:…``, ``http:…``)."""
    return "file:" + str(Path(path).absolute())


def _ffmpeg(args: list[str]) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(["ffmpeg", "-hide_banner", "-nostdin", *args], capture_output=True, text=True)
    if proc.returncode != 0:
        raise AudioError(f"ffmpeg failed ({proc.returncode}): {proc.stderr.strip()[-600:]}")
    return proc


def _limit(seconds: float | None) -> list[str]:
    """ffmpeg's input option reading at most ``seconds`` (whatever the file's header claims)."""
    return [] if seconds is None else ["-t", f"{seconds:.3f}"]


def loudness(path: Path, max_seconds: float | None = None) -> float:
    """Integrated loudness of ``path``'s audio in LUFS (EBU R128; -70 for silence), of at most its first
    ``max_seconds``."""
    proc = _ffmpeg(
        [*_limit(max_seconds), "-i", media_arg(path), "-vn", "-af", "ebur128=framelog=verbose", "-f", "null",
         "-"]  # the summary only
    )  # fmt: skip
    found = re.findall(r"I:\s+(-?[\d.]+|-inf) LUFS", proc.stderr)
    if not found:
        raise AudioError(f"{path}: no loudness in ffmpeg's ebur128 summary")
    return -70.0 if found[-1] == "-inf" else float(found[-1])


def normalise(src: Path, dest: Path, max_seconds: float | None = None) -> float:
    """Write ``src`` (at most its first ``max_seconds``) as 48 kHz stereo 16-bit WAV at :data:`TARGET_LUFS`;
    return its duration in seconds.

    A linear gain keeps the voice's dynamics; the limiter only catches the peaks the gain pushes over the
    ceiling (espeak's peaks reach 0 dBFS at -19 LUFS). Limiting takes a little loudness away, so the result
    is measured once more and the gain corrected (a second pass lands within ~0.3 LU; a third at most).
    """
    level = loudness(src, max_seconds)
    if level <= -69.0:  # silence: nothing to scale
        gain = 0.0
    else:  # a synthesiser's mono on both channels measures 3 LU louder than on one
        gain = TARGET_LUFS - level - MONO_ON_TWO
    for _ in range(3):
        _apply(src, dest, gain, max_seconds)
        got = loudness(dest)
        if got <= -69.0 or abs(got - TARGET_LUFS) < 0.3:
            break
        gain += TARGET_LUFS - got
    return wav_duration(dest)


def _apply(src: Path, dest: Path, gain: float, max_seconds: float | None = None) -> None:
    limit = 10 ** ((TRUE_PEAK - AAC_MARGIN) / 20)
    _ffmpeg(
        [
            "-y", *_limit(max_seconds), "-i", media_arg(src),
            # resampled with SoX's resampler, limited at 4x the output rate so the ceiling holds for the true
            # (inter-sample) peak too, then brought to 48 kHz
            # one channel (a stereo take mixed down), resampled with SoX's resampler and limited at 4x the
            # output rate, so the ceiling holds for the true (inter-sample) peak too; then 48 kHz, and the
            # same signal on both channels (ffmpeg's own mono-to-stereo would take 3 dB off each)
            "-af", f"aformat=channel_layouts=mono,aresample={4 * RATE}:resampler=soxr:precision=28,"
            f"volume={gain:.2f}dB,alimiter=limit={limit:.4f}:level=false:attack=2:release=40,"
            f"aresample={RATE}:resampler=soxr:precision=28,pan=stereo|c0=c0|c1=c0",
            "-ac", str(CHANNELS), "-ar", str(RATE), "-c:a", "pcm_s16le", "-f", "wav", media_arg(dest),
        ]
    )  # fmt: skip


def video_duration(path: Path) -> float:
    """The duration of ``path``'s first video stream in seconds (what the voice track must match)."""
    proc = subprocess.run(
        ["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries", "stream=duration",
         "-of", "csv=p=0", media_arg(path)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    try:
        return float(proc.stdout.strip().splitlines()[0])
    except (ValueError, IndexError):
        raise AudioError(f"{path}: ffprobe found no video duration: {proc.stderr.strip()[-300:]}") from None


def wav_duration(path: Path) -> float:
    with wave.open(str(path), "rb") as w:
        return w.getnframes() / w.getframerate()


def media_seconds(path: Path) -> float | None:
    """The duration ``path``'s container states (ffprobe), None if it states none or is unreadable: cheap,
    but only a claim (:func:`normalise` with ``max_seconds`` bounds what is actually read)."""
    proc = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", media_arg(path)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    try:
        return float(proc.stdout.strip().splitlines()[0])
    except (ValueError, IndexError):
        return None


def _reader(path: Path) -> wave.Wave_read:
    """``path`` opened as a 48 kHz stereo 16-bit WAV (as :func:`normalise` writes it)."""
    w = wave.open(str(path), "rb")
    if (w.getframerate(), w.getnchannels(), w.getsampwidth()) != (RATE, CHANNELS, 2):
        w.close()
        raise AudioError(f"{path}: expected 48 kHz stereo 16-bit PCM")
    return w


def read_wav(path: Path) -> np.ndarray:
    """A 48 kHz stereo 16-bit WAV (as :func:`normalise` writes) as an (n, 2) int16 array."""
    with _reader(path) as w:
        data = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
    return data.reshape(-1, CHANNELS)


def lay_out(segments: list[tuple[float, Path]], duration: float, dest: Path) -> None:
    """Write a WAV of ``duration`` seconds with each (start, wav) segment placed at its start sample.

    Written in blocks of :data:`BLOCK` frames: each block is silence plus the parts of the segments that
    fall into it, read from their files as needed, so memory does not grow with the clip or the speech.
    """
    n = round(duration * RATE)
    placed = sorted((round(start * RATE), Path(path)) for start, path in segments)
    readers: dict[int, tuple[int, int, wave.Wave_read]] = {}  # segment index → (first, end, reader)
    nxt = 0  # the first segment not opened yet
    try:
        with wave.open(str(dest), "wb") as out:
            out.setnchannels(CHANNELS)
            out.setsampwidth(2)
            out.setframerate(RATE)
            for b0 in range(0, n, BLOCK):
                b1 = min(b0 + BLOCK, n)
                while nxt < len(placed) and placed[nxt][0] < b1:
                    first, path = placed[nxt]
                    w = _reader(path)
                    readers[nxt] = (first, first + w.getnframes(), w)
                    nxt += 1
                block = np.zeros((b1 - b0, CHANNELS), dtype=np.int32)
                for k, (first, end, w) in list(readers.items()):
                    lo, hi = max(first, b0), min(end, b1)
                    if lo < hi:
                        w.setpos(lo - first)
                        part = np.frombuffer(w.readframes(hi - lo), dtype="<i2").reshape(-1, CHANNELS)
                        part = _faded(part, lo - first, end - first)
                        # beats never overlap, but a segment may meet the next one's first sample: add
                        block[lo - b0 : lo - b0 + len(part)] += part
                    if end <= b1:
                        w.close()
                        del readers[k]
                out.writeframes(np.clip(block, -32768, 32767).astype("<i2").tobytes())
    finally:
        for _, _, w in readers.values():
            w.close()


def _faded(part: np.ndarray, at: int, length: int) -> np.ndarray:
    """``part`` (frames ``at`` … of a segment ``length`` frames long) with the segment's first and last
    :data:`FADE` frames ramped from and to silence: no click where speech starts or ends off zero."""
    pos = np.arange(at, at + len(part))
    ramp = np.minimum(1.0, np.minimum(pos + 1, length - pos) / FADE)
    if ramp.min() >= 1.0:
        return part
    return np.round(part * ramp[:, None]).astype(np.int32)


def mux(video: Path, track: Path, dest: Path) -> None:
    """``video``'s stream copied, ``track`` encoded as AAC-LC 48 kHz stereo, into ``dest`` (MP4); then
    ``dest`` probed — it parses, holds a video and an audio stream, and lasts as long as ``video`` — since
    ffmpeg can exit 0 having written a broken file (a full disk at the trailer). Raises AudioError."""
    _ffmpeg(
        [
            "-y", "-i", media_arg(video), "-i", media_arg(track),
            "-map", "0:v:0", "-map", "1:a:0", "-c:v", "copy",
            "-c:a", "aac", "-b:a", AAC_BITRATE, "-ar", str(RATE), "-ac", str(CHANNELS),
            "-shortest", "-movflags", "+faststart", "-f", "mp4", media_arg(dest),
        ]
    )  # fmt: skip
    expected = video_duration(video)
    proc = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "stream=codec_type,duration:format=duration", "-of",
         "json", media_arg(dest)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    try:
        data = json.loads(proc.stdout) if proc.returncode == 0 else {}
        kinds = {s.get("codec_type") for s in data.get("streams", [])}
        got = float(data["format"]["duration"])
    except (ValueError, KeyError, TypeError):
        detail = " ".join(proc.stderr.split())[-200:]
        raise AudioError(f"the muxed clip {dest} does not parse: {detail or 'no duration'}") from None
    if not {"video", "audio"} <= kinds:
        missing = " and ".join(sorted({"video", "audio"} - kinds))
        raise AudioError(f"the muxed clip {dest} has no {missing} stream")
    if abs(got - expected) > MUX_TOLERANCE:
        raise AudioError(f"the muxed clip {dest} lasts {got:.3f} s, its video {expected:.3f} s")
