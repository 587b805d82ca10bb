"""Narration end to end, at low quality with the fixture scene ``fixture.spoken``.

With espeak: every clip has an AAC track, the video's audio and video agree within a frame, the loudness is
the target, each beat lasts at least its speech, captions (parsed here, independently of the writer) lie
inside the video in order without overlap and say exactly the beats' texts, the deck's speaker notes are
the narration of each slide's beats. With recordings: a beat takes its recording's length; a missing one is
silence of the scripted length and is named. ``--script`` lists every beat. Changing one beat's text
re-renders that entry only. Bad voices and beat names end with one line and exit 2.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.publishing.media import probe
from tests.pipeline.cli_run import render

pytestmark = pytest.mark.render
ROOT = Path(__file__).resolve().parents[3]
TARGET_LUFS = -16.0  # the speech target (EBU R128), not read from the code under test
PAUSE = 0.35  # the breath after speech (scenes.engine.narration.PAUSE_AFTER), a documented contract

BOARD = """\
title: Spoken lecture
name: spoken
quality: low
plugins: [tests.pipeline.fixture_scenes]
{voice}
scenes:
  - scene: fixture.spoken
    chapter: Spoken
    params: {{squares: 3, seconds: 0.3}}
{narration}
  - scene: fixture.shapes
    chapter: Silent squares
    params: {{slides: 1, seconds: 0.3}}
"""


def write_board(path: Path, voice: str = "", narration: str = "") -> Path:
    path.write_text(BOARD.format(voice=voice, narration=narration))
    return path


@pytest.fixture(scope="module")
def spoken(tmp_path_factory):
    root = tmp_path_factory.mktemp("narration")
    board = write_board(root / "spoken.yaml", "voice: espeak")
    proc = render(board, root / "out", "--slides")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = root / "out" / "spoken"
    manifest = json.loads((out / "manifest.json").read_text())
    metas = [
        json.loads((root / "out" / ".cache" / "clips" / k / "meta.json").read_text())
        for k in manifest["keys"]
    ]
    return {"root": root, "board": board, "out": out, "manifest": manifest, "metas": metas, "proc": proc}


def streams(path: Path) -> list[dict]:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-show_streams", "-of", "json", str(path)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return json.loads(out)["streams"]


def integrated_loudness(path: Path) -> float:
    err = subprocess.run(
        ["ffmpeg", "-nostdin", "-i", str(path), "-vn", "-af", "ebur128", "-f", "null", "-"],
        capture_output=True,
        text=True,
    ).stderr
    return float(re.findall(r"I:\s+(-?[\d.]+) LUFS", err)[-1])


def parse_srt(text: str) -> list[tuple[float, float, str]]:
    """(start, end, text) of each cue; raises on anything malformed or wider than a caption line."""

    def secs(stamp: str) -> float:
        h, m, rest = stamp.split(":")
        s, ms = rest.split(",")
        assert len(ms) == 3
        return int(h) * 3600 + int(m) * 60 + int(s) + int(ms) / 1000

    cues = []
    for k, block in enumerate(text.strip().split("\n\n"), 1):
        lines = block.split("\n")
        assert lines[0] == str(k), f"cue {k} is numbered {lines[0]!r}"
        m = re.fullmatch(r"(\d\d:\d\d:\d\d,\d\d\d) --> (\d\d:\d\d:\d\d,\d\d\d)", lines[1])
        assert m, lines[1]
        assert 1 <= len(lines[2:]) <= 2, f"cue {k} has {len(lines[2:])} lines"
        assert all(len(line) <= 42 for line in lines[2:]), lines  # Latin text: a character is a column
        cues.append((secs(m.group(1)), secs(m.group(2)), " ".join(lines[2:])))
    return cues


def test_every_clip_has_a_voice_track_matching_the_video(spoken):
    out = spoken["out"]
    for entry in spoken["manifest"]["entries"]:
        kinds = {s["codec_type"]: s for s in streams(out / entry["clip"])}
        assert kinds["audio"]["codec_name"] == "aac" and kinds["audio"]["sample_rate"] == "48000"
        assert kinds["audio"]["channels"] == 2
    video = out / "spoken.mp4"
    assert spoken["manifest"]["stitch"]["method"] == "copy"
    by_kind = {
        s["codec_type"]: float(s["duration"]) for s in streams(video) if s["codec_type"] in ("audio", "video")
    }
    fps = probe(video).fps
    frame = 1 / (int(fps.split("/")[0]) / int(fps.split("/")[1]))
    assert abs(by_kind["audio"] - by_kind["video"]) <= frame, by_kind
    assert integrated_loudness(video) == pytest.approx(TARGET_LUFS, abs=1.0)


def test_beats_last_as_long_as_their_speech(spoken):
    beats = {b["id"]: b for b in spoken["metas"][0]["beats"]}
    assert set(beats) == {"intro", "quiet", "count", "outro"}
    assert beats["quiet"]["text"] == "" and beats["quiet"]["speech"] == 0
    assert beats["quiet"]["end"] - beats["quiet"]["start"] == pytest.approx(0.3, abs=0.07)  # its animation
    assert beats["count"]["text"] == "Now there are 3 squares on the screen."
    for b in beats.values():
        if b["text"]:
            # espeak at ~150 words a minute: a sentence of w words takes a few tenths of a second a word
            assert b["speech"] > 0.15 * len(b["text"].split()), b
            assert b["end"] - b["start"] == pytest.approx(max(0.3, b["speech"] + PAUSE), abs=0.07), b
    order = [spoken["metas"][0]["beats"][k]["start"] for k in range(4)]
    assert order == sorted(order)


def test_captions_parse_and_follow_the_voice(spoken):
    out, metas, manifest = spoken["out"], spoken["metas"], spoken["manifest"]
    cues = parse_srt((out / "spoken.srt").read_text())
    duration = probe(out / "spoken.mp4").duration
    for (_, e0, _), (s1, _, _) in zip(cues, cues[1:], strict=False):
        assert e0 <= s1 + 1e-9, "cues overlap or are out of order"
    assert all(0 <= s < e <= duration + 1e-3 for s, e, _ in cues)
    # the cues, in order, say the narrated beats' texts: one beat's cues lie within its speech
    narrated = [
        (
            manifest["entries"][i]["start"] + b["start"],
            manifest["entries"][i]["start"] + b["start"] + b["speech"],
            b["text"],
        )
        for i, m in enumerate(metas)
        for b in m["beats"]
        if b["text"]
    ]
    assert len(narrated) == 3
    for start, end, text in narrated:
        inside = [c for c in cues if start - 1e-3 <= c[0] and c[1] <= end + 1e-3]
        assert " ".join(c[2] for c in inside) == text
    assert sum(
        len([c for c in cues if s - 1e-3 <= c[0] and c[1] <= e + 1e-3]) for s, e, _ in narrated
    ) == len(cues)
    vtt = (out / "spoken.vtt").read_text()
    assert vtt.startswith("WEBVTT\n")
    stamps = re.findall(r"(\d\d:\d\d:\d\d\.\d\d\d) --> (\d\d:\d\d:\d\d\.\d\d\d)", vtt)
    assert len(stamps) == len(cues)


def test_speaker_notes_are_the_narration_of_each_slide(spoken):
    cfg = json.loads((spoken["root"] / "slides" / "spoken" / "e01_fixture_spoken.json").read_text())
    notes = [s["notes"] for s in cfg["slides"]]
    assert notes == [
        "A square appears.",
        "Now there are 3 squares on the screen.",
        spoken["metas"][0]["beats"][3]["text"],
    ]
    html = (spoken["out"] / "slides" / "index.html").read_text()
    asides = re.findall(r'<aside class="notes"[^>]*>(.*?)</aside>', html, re.S)
    assert [a.strip() for a in asides] == notes  # the silent entry's slide has no notes


def test_script_lists_every_beat_with_its_target(spoken, tmp_path):
    proc = subprocess.run(
        [sys.executable, "render.py", str(spoken["board"]), "-o", str(tmp_path), "--script"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for locale, count_text in (
        ("en", "Now there are 3 squares on the screen."),
        ("zh", "现在屏幕上有 3 个正方形。"),
    ):
        data = json.loads((tmp_path / "spoken" / f"script.{locale}.json").read_text())
        beats = {b["id"]: b for b in data["beats"]}
        assert list(beats) == [
            "e01_fixture_spoken-intro",
            "e01_fixture_spoken-count",
            "e01_fixture_spoken-outro",
        ]
        assert beats["e01_fixture_spoken-count"]["text"] == count_text
        assert [b["slide"] for b in data["beats"]] == [1, 2, 3]
        for b in data["beats"]:
            assert b["target"] >= b["animation"] > 0
        md = (tmp_path / "spoken" / f"script.{locale}.md").read_text()
        assert all(f"`{i}`" in md for i in beats)
    assert not (tmp_path / "spoken" / "spoken.mp4").exists(), "--script renders nothing"


def test_recorded_voice_takes_the_recordings_lengths(spoken, tmp_path):
    takes = tmp_path / "takes"
    takes.mkdir()
    lengths = {"intro": 1.5, "outro": 2.25}  # "count" has no recording
    for beat, secs in lengths.items():
        subprocess.run(
            ["ffmpeg", "-v", "error", "-f", "lavfi",
             "-i", f"sine=frequency=440:duration={secs}:sample_rate=22050",
             str(takes / f"e01_fixture_spoken-{beat}.wav")],
            check=True,
        )  # fmt: skip
    board = write_board(tmp_path / "spoken.yaml")
    proc = render(board, tmp_path / "out", "--voice", f"recorded:{takes}")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "e01_fixture_spoken-count" in " ".join(proc.stdout.split())  # the missing one is named
    key = json.loads((tmp_path / "out" / "spoken" / "last_run.json").read_text())["entries"][0]["key"]
    meta = json.loads((tmp_path / "out" / ".cache" / "clips" / key / "meta.json").read_text())
    beats = {b["id"]: b for b in meta["beats"]}
    for beat, secs in lengths.items():
        assert beats[beat]["speech"] == pytest.approx(secs, abs=0.01)
        assert beats[beat]["end"] - beats[beat]["start"] == pytest.approx(secs + PAUSE, abs=0.07)
    assert meta["missing_recordings"] == ["e01_fixture_spoken-count"]
    words = len(beats["count"]["text"].split())
    assert beats["count"]["speech"] == pytest.approx(words / 2.6, abs=0.01)  # the scripted reading time
    # the tone is heard where the recording was placed: loud inside intro's speech, silent in the quiet beat
    clip = tmp_path / "out" / "spoken" / "clips" / "e01_fixture_spoken.mp4"
    quiet = beats["quiet"]
    assert _mean_volume(clip, beats["intro"]["start"] + 0.2, 1.0) > -30
    assert _mean_volume(clip, quiet["start"] + 0.02, quiet["end"] - quiet["start"] - 0.05) < -80


def _mean_volume(path: Path, start: float, length: float) -> float:
    err = subprocess.run(
        ["ffmpeg", "-nostdin", "-ss", f"{start:.3f}", "-t", f"{length:.3f}", "-i", str(path), "-vn",
         "-af", "volumedetect", "-f", "null", "-"],
        capture_output=True, text=True,
    ).stderr  # fmt: skip
    m = re.search(r"mean_volume: (-?[\d.]+|-inf) dB", err)
    return -200.0 if m is None or m.group(1) == "-inf" else float(m.group(1))


def test_editing_one_beat_rerenders_that_entry_only(spoken):
    root = spoken["root"]
    board = write_board(root / "edited.yaml", "voice: espeak", '    narration: {"intro+": "Watch it."}')
    proc = render(board, root / "out")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    report = json.loads((root / "out" / "spoken" / "last_run.json").read_text())
    assert [e["status"] for e in report["entries"]] == ["rendered", "cached"]
    srt = (root / "out" / "spoken" / "spoken.srt").read_text()
    assert "A square appears. Watch it." in " ".join(srt.split())


def test_silent_voice_and_narration_off(tmp_path):
    board = write_board(tmp_path / "spoken.yaml", "voice: none")
    proc = render(board, tmp_path / "out")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    clip = tmp_path / "out" / "spoken" / "clips" / "e01_fixture_spoken.mp4"
    assert not probe(clip).has_audio
    assert (
        tmp_path / "out" / "spoken" / "spoken.srt"
    ).is_file()  # the text is still there, timed by the beats
    off = write_board(tmp_path / "off.yaml", "narration: false")
    proc = render(off, tmp_path / "out2")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert not (tmp_path / "out2" / "spoken" / "spoken.srt").exists()
    assert not probe(tmp_path / "out2" / "spoken" / "clips" / "e01_fixture_spoken.mp4").has_audio


@pytest.mark.parametrize(
    ("voice", "narration", "expect"),
    [
        ("voice: espaek", "", "did you mean 'espeak'"),
        ("voice: piper:missing.onnx", "", "no model file"),
        ("voice: recorded:nowhere", "", "no folder"),
        ("", '    narration: {intor: "Hello."}', "did you mean 'intro'"),
    ],
)
def test_bad_voices_and_beats_end_with_one_line(tmp_path, voice, narration, expect):
    board = write_board(tmp_path / "bad.yaml", voice, narration)
    proc = render(board, tmp_path / "out")
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert expect in proc.stderr and "Traceback" not in proc.stderr
    assert len([ln for ln in proc.stderr.splitlines() if expect in ln]) == 1
    assert not (tmp_path / "out").exists()


def test_piper_voice_speaks_with_a_model_file(tmp_path):
    """piper-tts runs for real on a stand-in model (tests/pipeline/piper/tiny_voice.py): loaded from the
    file, phonemised by Piper's espeak, synthesised by onnxruntime, normalised and laid out like any voice."""
    from tests.pipeline.piper.tiny_voice import HOP, RATE, build

    model = build(tmp_path)
    board = write_board(tmp_path / "spoken.yaml", f"voice: piper:{model.name}")  # relative to the board
    proc = render(board, tmp_path / "out")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    key = json.loads((tmp_path / "out" / "spoken" / "last_run.json").read_text())["entries"][0]["key"]
    beats = json.loads((tmp_path / "out" / ".cache" / "clips" / key / "meta.json").read_text())["beats"]
    for b in beats:
        if b["text"]:
            # one HOP of samples per phoneme id: at least one id per letter spoken
            letters = sum(c.isalpha() for c in b["text"])
            assert b["speech"] >= letters * HOP / RATE * 0.5, b
    clip = tmp_path / "out" / "spoken" / "clips" / "e01_fixture_spoken.mp4"
    intro = next(b for b in beats if b["id"] == "intro")
    assert _mean_volume(clip, intro["start"] + 0.1, intro["speech"] - 0.2) > -30


def test_a_narration_starting_with_dash_f_is_said_not_read_from_a_file(tmp_path):
    """Before: espeak-ng took ``-fMakefile`` as its option ``-f`` and read the repository's Makefile (the
    worker's folder) into the audio — minutes of speech — while the captions showed the innocent text."""
    board = write_board(tmp_path / "dash.yaml", "voice: espeak", '    narration: {intro: "-fMakefile"}')
    proc = render(board, tmp_path / "out")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    key = json.loads((tmp_path / "out" / "spoken" / "last_run.json").read_text())["entries"][0]["key"]
    beats = json.loads((tmp_path / "out" / ".cache" / "clips" / key / "meta.json").read_text())["beats"]
    intro = next(b for b in beats if b["id"] == "intro")
    assert intro["text"] == "-fMakefile"
    assert 0 < intro["speech"] < 5, intro  # a word or two; the Makefile's ~370 words take minutes


HOSTILE = """\
    narration:
      intro: "{n:0>100}"
      count: "Now {n.__class__.__mro__} squares."
      outro: "There are 42 squares."
      count+: "And \\u202Eevil."
      intro+: "A lone { brace."
"""


def test_hostile_overrides_end_at_validation_with_file_and_line(tmp_path):
    """Before: the format spec and the attribute were filled (padding and Python's internals in the captions),
    the typed number was said, the lone brace failed mid-render (exit 1)."""
    board = write_board(tmp_path / "hostile.yaml", "voice: none", HOSTILE.rstrip("\n"))
    proc = render(board, tmp_path / "out")
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr and not (tmp_path / "out").exists()
    lines = proc.stderr.splitlines()
    for line, key, fragment in (
        (11, "narration.intro", "{n:0>100}"),
        (12, "narration.count", "{n.__class__.__mro__}"),
        (13, "narration.outro", "42"),
        (14, "narration.count+", "U+202E"),
        (15, "narration.intro+", "lone '{'"),
    ):
        found = [x for x in lines if f"{board}:{line}: scenes[0].{key}: " in x and fragment in x]
        assert len(found) == 1, (line, key, proc.stderr)


def test_a_fifo_in_the_recordings_folder_ends_a_dry_run_with_one_line(tmp_path):
    """Before: the voice's identity hashed every file, and reading the FIFO waited forever (even with
    --dry-run)."""
    takes = tmp_path / "takes"
    takes.mkdir()
    os.mkfifo(takes / "e01_fixture_spoken-intro.wav")
    board = write_board(tmp_path / "spoken.yaml")
    try:
        proc = render(board, tmp_path / "out", "--voice", f"recorded:{takes}", "--dry-run", timeout=60)
    except subprocess.TimeoutExpired:
        pytest.fail("the run hung on a FIFO in the recordings folder")
    assert proc.returncode == 2, proc.stdout + proc.stderr
    found = [x for x in proc.stderr.splitlines() if "e01_fixture_spoken-intro.wav" in x]
    assert len(found) == 1 and "not a regular file" in found[0] and "Traceback" not in proc.stderr


def test_a_take_longer_than_the_limit_fails_its_entry_in_one_line(tmp_path):
    """Before: a take of any length was laid into the clip (2 hours: a 7,215 s clip, a 6.8 GB worker). The
    README's limit is 300 s a take."""
    takes = tmp_path / "takes"
    takes.mkdir()
    subprocess.run(
        ["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "sine=frequency=440:duration=301:sample_rate=8000",
         str(takes / "e01_fixture_spoken-intro.wav")],
        check=True,
    )  # fmt: skip
    board = write_board(tmp_path / "spoken.yaml")
    proc = render(board, tmp_path / "out", "--voice", f"recorded:{takes}")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    out = " ".join((proc.stdout + proc.stderr).split())
    assert "e01_fixture_spoken-intro.wav is 301 s long; a take may be at most 300 s" in out
    assert "Traceback" not in proc.stdout + proc.stderr
