"""Narration and voices against hostile or unlucky input (issue 24: items 5–8), without a render.

- the template language: only plain ``{field}`` names, ``{{``/``}}`` escapes; format specs, conversions,
  attributes, indexes, lone braces, control characters and typed numbers are refused where a text is
  filled and where an override is built, and a beat says at most 2,000 characters;
- captions never carry a control or direction character, and WebVTT text is escaped;
- espeak-ng reads a text starting with ``-f`` as words, not as the name of a file to read;
- a recordings folder is read without following links or blocking (a FIFO, a link to ``/dev/zero``), each
  take bounded in size (256 MiB) and length (300 s), and checked against the hash it was planned with;
- the track is laid out in blocks (the same samples as laid out at once; memory flat in its length);
- a mux that ffmpeg reports as done is probed before it is trusted.

The limits (2,000 characters, 300 s, 256 MiB) are the README's, written here, not read from the code.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import textwrap
import wave
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from pipeline.publishing.captions import cues, to_srt, to_vtt
from pipeline.voice import audio
from pipeline.voice.resolved import ResolvedVoice
from pipeline.voice.spec import VoiceError, VoiceSpec, identity
from pipeline.voice.voices import EspeakVoice, RecordedVoice, make_voice
from scenes.engine.narration import BeatRecord, Overrides, fill, literal_numbers

ROOT = Path(__file__).resolve().parents[3]
MAX_CHARS, MAX_SECONDS, MAX_BYTES = 2000, 300, 256 * 2**20  # README, "Limits"


# --- the template language ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("{n:0>50} squares", "not a plain {field}"),  # a format spec: {n:0>1000000000} took 3 GB
        ("{n.__class__.__mro__}", "not a plain {field}"),  # an attribute: Python's internals in captions
        ("{n!r}", "not a plain {field}"),  # a conversion
        ("{n[0]}", "not a plain {field}"),  # an index
        ("{}", "not a plain {field}"),  # positional fields
        ("a lone { brace", "lone '{'"),
        ("a lone } brace", "lone '}'"),
    ],
)
def test_fill_refuses_anything_but_plain_fields(template, message):
    with pytest.raises(ValueError, match=message):
        fill(template, {"n": 3})


def test_fill_takes_plain_fields_and_escaped_braces():
    assert fill("Now {n} squares; {{n}} is how a field is written.", {"n": 3}) == (
        "Now 3 squares; {n} is how a field is written."
    )
    assert fill("{a}{b}", {"a": "x", "b": 1.5}) == "x1.5"


def test_fill_strips_control_characters_a_parameter_brings():
    """A field's value may come from a storyboard parameter (a token): its controls are dropped."""
    assert fill("Look at {tok}.", {"tok": "ab\u202ec\x1b[31m"}) == "Look at abc[31m."


def test_a_beat_says_at_most_2000_characters():
    assert len(fill("x" * MAX_CHARS, {})) == MAX_CHARS
    with pytest.raises(ValueError, match="2,001 characters"):
        fill("x" * (MAX_CHARS - 1) + "{n}" + "y", {"n": 3})


@pytest.mark.parametrize(
    "text",
    [
        "{n:0>1000000000}",
        "{n.__class__}",
        "There are 42 squares.",  # a number the scene did not compute
        "A {n}5 typed after a field.",  # "5" typed, though it touches the field
        "NUL \0 here",
        "evil \u202e reversed",
        "isolate \u2066 here",
        "escape \x1b[2J",
        "C1 \x85 control",
        "x" * (MAX_CHARS + 1),
        "{",
    ],
)
def test_overrides_refuse_what_validation_refuses(text):
    """Whoever builds the overrides (a job from elsewhere, the script writer), the worker refuses them too."""
    with pytest.raises(ValueError):
        Overrides(replace={"count": text})
    with pytest.raises(ValueError):
        Overrides.from_mapping({"count+": text})


def test_overrides_allow_plain_sentences_names_and_folded_whitespace():
    o = Overrides.from_mapping({"count": "Now {n} squares, as S4 and fp16 say.\n", "intro+": "Tab\there."})
    assert o.replace == {"count": "Now {n} squares, as S4 and fp16 say.\n"}
    assert o.append == {"intro": "Tab\there."}


def test_a_number_typed_next_to_a_field_is_still_typed():
    assert literal_numbers("x{n}5") == ["5"]
    assert literal_numbers("S{n} and fp16") == []


# --- captions -------------------------------------------------------------------------------------


def _meta(*texts: str) -> SimpleNamespace:
    beats = [
        BeatRecord(id=f"b{k}", slide=0, start=2.0 * k, end=2.0 * k + 2, text=t, speech=1.5)
        for k, t in enumerate(texts)
    ]
    return SimpleNamespace(name="e01_x", beats=beats)


def test_captions_carry_no_control_or_direction_character():
    """Defensively: a clip's metadata from anywhere (an older cache, a plugin) cannot put them in a file."""
    meta = _meta("Right\u202e to left\x00 and \x1b[31mred\u2069.", "\u2028Line\tseparated\u2029text.")
    items = cues([meta], [0.0])  # type: ignore[list-item]
    for text in (to_srt(items), to_vtt(items, "en")):
        assert not [c for c in text if c != "\n" and (ord(c) < 32 or 0x7F <= ord(c) <= 0x9F)], repr(text)
        direction = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u2028\u2029"
        assert not any(c in text for c in direction)
    assert "Right to left and [31mred." in to_srt(items)
    assert "Line separated text." in to_srt(items)


def test_vtt_cue_text_is_escaped():
    items = cues([_meta("If a < b & b > c then <c.red>a</c> wins.")], [0.0])  # type: ignore[list-item]
    vtt = to_vtt(items, "en")
    assert "If a &lt; b &amp; b &gt; c then &lt;c.red&gt;a&lt;/c&gt; wins." in " ".join(vtt.split("\n"))
    assert "<" not in vtt


# --- espeak-ng ------------------------------------------------------------------------------------


def test_espeak_reads_a_text_starting_with_dash_f_as_words(tmp_path, monkeypatch):
    """Before: ``espeak-ng … -fsecret`` read the file ``secret`` into the audio (the captions showed the
    innocent text). Its 300 words would take two minutes; the text itself, a second or two."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "secret").write_text("the password is swordfish " * 75)
    voice = EspeakVoice(tmp_path / "voice", "e01", "en")
    speech = voice.speak("-fsecret", "intro")
    assert 0 < speech.duration < 5, speech


# --- a recordings folder ----------------------------------------------------------------------------

_IDENTITY = textwrap.dedent(
    """
    import sys
    from pipeline.voice.spec import VoiceError, VoiceSpec, identity
    try:
        identity(VoiceSpec("recorded", sys.argv[1]), "en")
    except VoiceError as e:
        print(e)
    """
)


def _identity_in_a_process(folder: Path) -> str:
    """The folder's identity computed by a child with a timeout: before, it hung forever."""
    try:
        proc = subprocess.run(
            [sys.executable, "-c", _IDENTITY, str(folder)],
            cwd=ROOT, capture_output=True, text=True, timeout=30,
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        pytest.fail(f"reading {folder} hung")
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr
    return proc.stdout.strip()


def _tone(path: Path, seconds: float, rate: int = 8000) -> Path:
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", f"sine=frequency=300:duration={seconds}:"
         f"sample_rate={rate}", str(path)],
        check=True,
    )  # fmt: skip
    return path


def test_a_fifo_in_the_recordings_folder_is_refused_not_waited_on(tmp_path):
    _tone(tmp_path / "e01_x-intro.wav", 1.0)
    os.mkfifo(tmp_path / "e01_x-count.wav")
    message = _identity_in_a_process(tmp_path)
    assert "e01_x-count.wav" in message and "not a regular file" in message and "\n" not in message


def test_a_link_to_dev_zero_in_the_recordings_folder_is_refused_not_read(tmp_path):
    os.symlink("/dev/zero", tmp_path / "e01_x-intro.wav")
    message = _identity_in_a_process(tmp_path)
    assert "e01_x-intro.wav" in message and "symbolic link" in message


def test_a_take_over_256_mib_is_refused_before_it_is_read(tmp_path):
    big = tmp_path / "e01_x-intro.wav"
    with open(big, "wb") as f:
        f.truncate(MAX_BYTES + 1)  # sparse: costs no disk
    with pytest.raises(VoiceError, match="256 MiB") as info:
        identity(VoiceSpec("recorded", str(tmp_path)), "en")
    assert "e01_x-intro.wav" in str(info.value)


def test_regular_takes_are_identified_by_their_bytes(tmp_path):
    _tone(tmp_path / "e01_x-intro.wav", 0.5)
    (tmp_path / "notes.txt").write_text("ignored: not audio")
    os.mkfifo(tmp_path / "pipe.txt")  # not audio either: never opened
    first = identity(VoiceSpec("recorded", str(tmp_path)), "en")
    assert list(first["files"]) == ["e01_x-intro.wav"]
    _tone(tmp_path / "e01_x-intro.wav", 0.6)
    assert identity(VoiceSpec("recorded", str(tmp_path)), "en") != first


def _recorded(folder: Path, work: Path) -> RecordedVoice:
    """The worker's recorded voice, as make_voice builds it from the voice resolved at planning."""
    resolved = ResolvedVoice("recorded", str(folder), identity(VoiceSpec("recorded", str(folder)), "en"))
    voice = make_voice(resolved, work, "e01_x", "en")
    assert isinstance(voice, RecordedVoice)
    return voice


def test_a_take_longer_than_300_seconds_is_an_error(tmp_path):
    takes = tmp_path / "takes"
    takes.mkdir()
    _tone(takes / "e01_x-intro.wav", MAX_SECONDS + 1)
    _tone(takes / "e01_x-count.wav", 2.0)
    voice = _recorded(takes, tmp_path / "work")
    assert voice.speak("Two seconds.", "count").duration == pytest.approx(2.0, abs=0.01)
    with pytest.raises(RuntimeError, match="at most 300 s") as info:
        voice.speak("A square appears.", "intro")
    assert "e01_x-intro.wav" in str(info.value) and "\n" not in str(info.value)


def test_normalise_reads_no_more_than_it_is_allowed(tmp_path):
    """Whatever a file's header claims, normalising it with ``max_seconds`` reads at most that much."""
    src = _tone(tmp_path / "long.wav", 10.0)
    assert audio.normalise(src, tmp_path / "out.wav", max_seconds=2.0) == pytest.approx(2.0, abs=0.01)


def test_a_take_swapped_for_a_link_after_planning_is_not_followed(tmp_path):
    takes = tmp_path / "takes"
    takes.mkdir()
    _tone(takes / "e01_x-intro.wav", 1.0)
    voice = _recorded(takes, tmp_path / "work")
    (takes / "e01_x-intro.wav").unlink()
    os.symlink("/dev/zero", takes / "e01_x-intro.wav")
    with pytest.raises(RuntimeError, match="symbolic link"):
        voice.speak("A square appears.", "intro")


def test_a_take_changed_after_planning_is_not_used_under_the_old_key(tmp_path):
    takes = tmp_path / "takes"
    takes.mkdir()
    _tone(takes / "e01_x-intro.wav", 1.0)
    voice = _recorded(takes, tmp_path / "work")
    _tone(takes / "e01_x-intro.wav", 1.5)
    with pytest.raises(RuntimeError, match="changed since the run was planned"):
        voice.speak("A square appears.", "intro")


def test_a_fifo_where_a_take_should_be_is_refused_in_the_worker(tmp_path):
    takes = tmp_path / "takes"
    takes.mkdir()
    voice = RecordedVoice(tmp_path / "work", "e01_x", "en", str(takes))  # planned before the FIFO appeared
    os.mkfifo(takes / "e01_x-intro.wav")
    assert stat.S_ISFIFO(os.lstat(takes / "e01_x-intro.wav").st_mode)
    with pytest.raises(RuntimeError, match="not a regular file"):
        voice.speak("A square appears.", "intro")


# --- the track and the mux --------------------------------------------------------------------------


def _pcm(path: Path, data: np.ndarray) -> Path:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(48000)
        w.writeframes(data.astype("<i2").tobytes())
    return path


def test_the_track_laid_out_in_blocks_holds_every_sample(tmp_path, monkeypatch):
    """Against a reference built here at once: segments across block edges, two that share a sample (added
    and clipped), one cut at the end, one past the end."""
    rng = np.random.default_rng(7)
    lengths, starts = [1000, 2500, 700, 3000, 10], [0.0, 1000 / 48000, 3499 / 48000, 5000 / 48000, 9.0]
    datas = [rng.integers(-32768, 32767, size=(n, 2)) for n in lengths]
    pairs = enumerate(zip(starts, datas, strict=True))
    segments = [(s, _pcm(tmp_path / f"s{k}.wav", d)) for k, (s, d) in pairs]
    total = 7000
    ref = np.zeros((total, 2), dtype=np.int64)
    fade = 240  # 5 ms at 48 kHz: each segment ramps in over its first and out over its last 240 samples
    for s, d in zip(starts, datas, strict=True):
        i = round(s * 48000)
        if i < total:
            pos = np.arange(len(d))
            ramp = np.minimum(1.0, np.minimum(pos + 1, len(d) - pos) / fade)
            faded = np.round(d * ramp[:, None]).astype(np.int64)
            part = faded[: total - i]
            ref[i : i + len(part)] += part
    ref = np.clip(ref, -32768, 32767)
    monkeypatch.setattr(audio, "BLOCK", 333)  # many blocks, edges inside every segment
    audio.lay_out(segments, total / 48000, tmp_path / "track.wav")
    assert np.array_equal(audio.read_wav(tmp_path / "track.wav"), ref)


_LAYOUT_PEAK = textwrap.dedent(
    """
    import resource, sys
    from pathlib import Path
    from pipeline.voice import audio
    seg, dest, seconds = Path(sys.argv[1]), Path(sys.argv[2]), float(sys.argv[3])
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    audio.lay_out([(0.5, seg)], seconds, dest)
    print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024)
    """
)


def test_laying_out_a_long_track_keeps_memory_flat(tmp_path):
    """Five minutes of speech in a five-minute clip: the whole track at once was 55 MB of samples (and
    twice that while adding); in blocks the process grows by a few MB at most."""
    seg = tmp_path / "seg.wav"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "sine=frequency=300:duration=300:sample_rate=48000",
         "-ac", "2", "-c:a", "pcm_s16le", str(seg)],
        check=True,
    )  # fmt: skip
    proc = subprocess.run(
        [sys.executable, "-c", _LAYOUT_PEAK, str(seg), str(tmp_path / "track.wav"), "301"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    )  # fmt: skip
    grown_mb = float(proc.stdout.strip())
    assert grown_mb < 16, f"lay_out grew the process by {grown_mb:.0f} MB"
    assert audio.wav_duration(tmp_path / "track.wav") == pytest.approx(301.0)


def _video(path: Path, seconds: float) -> Path:
    subprocess.run(
        ["ffmpeg", "-v", "error", "-f", "lavfi", "-i", f"testsrc=duration={seconds}:size=160x90:rate=15",
         "-c:v", "libx264", "-pix_fmt", "yuv420p", str(path)],
        check=True,
    )  # fmt: skip
    return path


def test_mux_checks_what_ffmpeg_wrote(tmp_path, monkeypatch):
    """ffmpeg can exit 0 with a broken file (a full disk at the trailer). A stand-in ffmpeg that does the
    work and then cuts the file short, exiting 0: the mux is refused, in one line."""
    video = _video(tmp_path / "v.mp4", 2.0)
    audio.lay_out([], 2.0, tmp_path / "track.wav")
    audio.mux(video, tmp_path / "track.wav", tmp_path / "good.mp4")  # the real one passes its own check
    kinds = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "stream=codec_type", "-of", "csv=p=0",
         str(tmp_path / "good.mp4")],
        capture_output=True, text=True, check=True,
    ).stdout.split()  # fmt: skip
    assert sorted(kinds) == ["audio", "video"]
    fake = tmp_path / "bin"
    fake.mkdir()
    real = subprocess.run(["which", "ffmpeg"], capture_output=True, text=True, check=True).stdout.strip()
    (fake / "ffmpeg").write_text(
        f'#!/bin/sh\n"{real}" "$@" || exit $?\nfor a; do last="$a"; done\n'
        'f="${last#file:}"\nhead -c 2000 "$f" > "$f.cut" && mv "$f.cut" "$f"\nexit 0\n'
    )
    (fake / "ffmpeg").chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake}{os.pathsep}{os.environ['PATH']}")
    with pytest.raises(audio.AudioError) as info:
        audio.mux(video, tmp_path / "track.wav", tmp_path / "bad.mp4")
    assert "bad.mp4" in str(info.value) and "\n" not in str(info.value)


def test_paths_reach_ffmpeg_as_files_never_as_options(tmp_path, monkeypatch):
    """A relative path starting with ``-`` (an output folder named so): ffmpeg and ffprobe have no ``--``."""
    monkeypatch.chdir(tmp_path)
    _tone(tmp_path / "-f.wav", 1.0)
    assert audio.normalise(Path("-f.wav"), Path("-y.wav")) == pytest.approx(1.0, abs=0.01)
    assert audio.wav_duration(tmp_path / "-y.wav") == pytest.approx(1.0, abs=0.01)
    assert audio.media_seconds(Path("-y.wav")) == pytest.approx(1.0, abs=0.01)


def test_speech_starts_and_ends_without_a_click(tmp_path):
    """A segment that starts and ends at full scale (a click if placed as is) ramps over 5 ms at each end."""
    seg = _pcm(tmp_path / "loud.wav", np.full((4800, 2), 20000))
    audio.lay_out([(0.01, seg)], 0.2, tmp_path / "track.wav")
    track = audio.read_wav(tmp_path / "track.wav")[:, 0].astype(int)
    start = 480
    assert track[start - 1] == 0 and 0 < track[start] <= 20000 / 240 + 1  # the first sample: 1/240 of it
    assert track[start + 239] == 20000 and track[start + 2400] == 20000
    end = start + 4800
    assert 0 < track[end - 1] <= 20000 / 240 + 1 and track[end] == 0
    assert np.all(np.abs(np.diff(track)) <= 20000 / 240 + 1)  # no step larger than one ramp increment
