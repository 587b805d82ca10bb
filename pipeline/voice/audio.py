"""A clip's voice track: speech normalised per beat, laid out on the clip's timeline, muxed as AAC.

Every spoken text is brought to the same loudness on its own (EBU R128 integrated loudness, measured with
ffmpeg's ``ebur128`` filter, then one linear gain and a true-peak limiter), so entries never jump in
volume and the whole video measures the target too: R128 gating leaves the silence between beats out of
the integral. Beats never overlap (a beat lasts at least as long as its speech), so the track is the
segments placed at their start sample in a buffer of silence the exact length of the video — no drift,
whatever the number of beats. The video stream is copied, never re-encoded.
"""

from __future__ import annotations

import re
import subprocess
import wave
from pathlib import Path

import numpy as np

RATE = 48_000  # Hz: the rate video platforms expect
CHANNELS = 2
TARGET_LUFS = -16.0  # speech for online video (EBU R128 measured; the level podcast and video platforms use)
TRUE_PEAK = -1.5  # dBTP ceiling after the gain
AAC_BITRATE = "160k"


class AudioError(RuntimeError):
    pass


def _ffmpeg(args: list[str]) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(["ffmpeg", "-hide_banner", "-nostdin", *args], capture_output=True, text=True)
    if proc.returncode != 0:
        raise AudioError(f"ffmpeg failed ({proc.returncode}): {proc.stderr.strip()[-600:]}")
    return proc


def loudness(path: Path) -> float:
    """Integrated loudness of ``path``'s audio in LUFS (EBU R128; -70 for silence)."""
    proc = _ffmpeg(
        ["-i", str(path), "-vn", "-af", "ebur128=framelog=verbose", "-f", "null", "-"]  # summary only
    )
    found = re.findall(r"I:\s+(-?[\d.]+|-inf) LUFS", proc.stderr)
    if not found:
        raise AudioError(f"{path}: no loudness in ffmpeg's ebur128 summary")
    return -70.0 if found[-1] == "-inf" else float(found[-1])


def normalise(src: Path, dest: Path) -> float:
    """Write ``src`` as 48 kHz stereo 16-bit WAV at :data:`TARGET_LUFS`; return its duration in seconds.

    A linear gain keeps the voice's dynamics; the limiter only catches the peaks the gain pushes over the
    ceiling (espeak's peaks reach 0 dBFS at -19 LUFS). Limiting takes a little loudness away, so the result
    is measured once more and the gain corrected (a second pass lands within ~0.2 LU).
    """
    level = loudness(src)
    if level <= -69.0:  # silence: nothing to scale
        gain = 0.0
    else:
        gain = TARGET_LUFS - level
    for _ in range(2):
        _apply(src, dest, gain)
        got = loudness(dest)
        if got <= -69.0 or abs(got - TARGET_LUFS) < 0.3:
            break
        gain += TARGET_LUFS - got
    return wav_duration(dest)


def _apply(src: Path, dest: Path, gain: float) -> None:
    limit = 10 ** (TRUE_PEAK / 20)
    _ffmpeg(
        [
            "-y", "-i", str(src),
            "-af", f"volume={gain:.2f}dB,alimiter=limit={limit:.4f}:level=false:attack=2:release=40,"
            f"aresample={RATE}",
            "-ac", str(CHANNELS), "-ar", str(RATE), "-c:a", "pcm_s16le", str(dest),
        ]
    )  # fmt: skip


def video_duration(path: Path) -> float:
    """The duration of ``path``'s first video stream in seconds (what the voice track must match)."""
    proc = subprocess.run(
        ["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries", "stream=duration",
         "-of", "csv=p=0", str(path)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    try:
        return float(proc.stdout.strip().splitlines()[0])
    except (ValueError, IndexError):
        raise AudioError(f"{path}: ffprobe found no video duration: {proc.stderr.strip()[-300:]}") from None


def wav_duration(path: Path) -> float:
    with wave.open(str(path), "rb") as w:
        return w.getnframes() / w.getframerate()


def read_wav(path: Path) -> np.ndarray:
    """A 48 kHz stereo 16-bit WAV (as :func:`normalise` writes) as an (n, 2) int16 array."""
    with wave.open(str(path), "rb") as w:
        if (w.getframerate(), w.getnchannels(), w.getsampwidth()) != (RATE, CHANNELS, 2):
            raise AudioError(f"{path}: expected 48 kHz stereo 16-bit PCM")
        data = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
    return data.reshape(-1, CHANNELS)


def lay_out(segments: list[tuple[float, Path]], duration: float, dest: Path) -> None:
    """Write a WAV of ``duration`` seconds with each (start, wav) segment placed at its start sample."""
    n = round(duration * RATE)
    track = np.zeros((n, CHANNELS), dtype="<i2")
    for start, path in segments:
        seg = read_wav(path)
        i = round(start * RATE)
        if i >= n:
            continue
        seg = seg[: n - i]
        # beats never overlap, but a segment may meet the next one's first sample: add, don't overwrite
        track[i : i + len(seg)] = np.clip(track[i : i + len(seg)].astype(np.int32) + seg, -32768, 32767)
    with wave.open(str(dest), "wb") as w:
        w.setnchannels(CHANNELS)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(track.tobytes())


def mux(video: Path, track: Path, dest: Path) -> None:
    """``video``'s stream copied, ``track`` encoded as AAC-LC 48 kHz stereo, into ``dest`` (MP4)."""
    _ffmpeg(
        [
            "-y", "-i", str(video), "-i", str(track),
            "-map", "0:v:0", "-map", "1:a:0", "-c:v", "copy",
            "-c:a", "aac", "-b:a", AAC_BITRATE, "-ar", str(RATE), "-ac", str(CHANNELS),
            "-shortest", "-movflags", "+faststart", "-f", "mp4", str(dest),
        ]
    )  # fmt: skip
