"""A corpus of bad storyboards: each gets exit status 2, one message per problem naming file:line, the key
path and what was expected (with a did-you-mean for misspellings), and nothing is written.

The corpus uses the fixture scenes (``plugins: [tests.pipeline.fixture_scenes]``), never lecture scenes, so
editing a lecture cannot break it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.cli import main
from pipeline.inputs.storyboard import StoryboardError, parse_storyboard

BAD = Path(__file__).parents[1] / "bad"
ROOT = Path(__file__).resolve().parents[3]

# file → list of (line or None, fragments that must all appear in that problem's message)
EXPECTED: dict[str, list[tuple[int | None, list[str]]]] = {
    "unknown_scene.yaml": [
        (
            4,
            [
                "scenes[1].scene",
                "unknown scene id 'fixture.tokesn'",
                "did you mean 'fixture.tokens'?",
            ],
        )
    ],
    "unknown_param.yaml": [
        (6, ["scenes[0].params.d_stat", "unknown key 'd_stat'", "did you mean 'd_state'?"])
    ],
    "out_of_bounds.yaml": [(4, ["scenes[0].params.d_state", "less than or equal to 6", "100"])],
    "wrong_type.yaml": [(5, ["scenes[0].params.steps", "valid integer", "'many'"])],
    "bad_locale.yaml": [(2, ["locale", "'en' or 'zh'", "'fr'"])],
    "bad_quality.yaml": [(2, ["quality", "'low', 'medium', 'high' or '4k'", "'ultra'"])],
    "missing_title.yaml": [(1, ["title", "required key is missing"])],
    "top_level_typo.yaml": [
        (1, ["unknown key 'titel'", "did you mean 'title'?"]),
        (1, ["title", "required key is missing"]),
    ],
    "entry_typo.yaml": [(4, ["scenes[0].chapte", "unknown key 'chapte'", "did you mean 'chapter'?"])],
    "empty_scenes.yaml": [(2, ["scenes", "at least 1 item"])],
    "python_tag.yaml": [(3, ["invalid YAML", "python/object/apply"])],
    "syntax_error.yaml": [(4, ["invalid YAML"])],
    "duplicate_key.yaml": [(4, ["invalid YAML", "duplicate key", "delta"])],
    "too_many_tokens.yaml": [(5, ["scenes[0].params.sentence", "2 to 8", "got 10"])],
    "cross_field.yaml": [(4, ["scenes[0].params", "delta_small must be smaller than delta_large"])],
    "not_a_mapping.yaml": [(1, ["expected a mapping"])],
    "many_problems.yaml": [
        (2, ["quality", "'hi'"]),
        (5, ["scenes[0].params.delta", "greater than 0"]),
        (6, ["scenes[1].scene", "unknown scene id 'fixture.unknown'", "known ids:"]),
        (8, ["scenes[2].params.colour", "unknown key 'colour'"]),
    ],
    "plugin_missing.yaml": [
        (4, ["plugins[1]", "cannot import plugin 'tests.pipeline.no_such_plugin'", "No module named"])
    ],
    "plugin_bad_name.yaml": [(2, ["plugins[1]", "should match pattern", "'../elsewhere/scenes'"])],
    "plugin_clash.yaml": [
        (
            4,
            [
                "plugins[1]",
                "scene id 'fixture.shapes' defined twice",
                "by tests.pipeline.fixture_scenes.fixture.params.shapes and by "
                "tests.pipeline.broken_plugins.clash.fixture.params.shapes",
            ],
        )
    ],
    # narration overrides: a small template language (plain {fields} of the beat), no control characters,
    # no number the scene did not compute; the last entry's "count+" is valid (an escaped brace, a field)
    "narration_templates.yaml": [
        (6, ["scenes[0].narration.intro", "lone '{'"]),
        (7, ["scenes[0].narration.count", "{n:0>1000000000}", "not a plain {field}"]),
        (8, ["scenes[0].narration.outro", "{n.__class__.__mro__}", "not a plain {field}"]),
        (11, ["scenes[1].narration.count", "no field {N}", "did you mean 'n'?"]),
        (12, ["scenes[1].narration.intro", "no field {n}", "it has no fields"]),
        (13, ["scenes[1].narration.outro", "the number 42"]),
        (16, ["scenes[2].narration.intro", "U+0000"]),
        (17, ["scenes[2].narration.outro", "U+202E"]),
    ],
    "plugin_orphans.yaml": [
        (
            3,
            [
                "plugins[0]",
                "params/ghost.py defines the parameters of scene 't.ghost'",
                "t/ghost.py does not exist",
            ],
        ),
        (
            4,
            [
                "plugins[1]",
                "t/lonely.py registers scene 't.lonely'",
                "no params module",
                "t/params/lonely.py",
            ],
        ),
    ],
}


def test_corpus_is_complete():
    assert {p.name for p in BAD.glob("*.yaml")} == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_bad_storyboard_reports_every_problem(name):
    path = BAD / name
    with pytest.raises(StoryboardError) as info:
        parse_storyboard(path)
    problems = info.value.problems
    texts = [str(p) for p in problems]
    assert len(texts) == len(EXPECTED[name]), "\n".join(texts)
    for line, fragments in EXPECTED[name]:
        prefix = f"{path}:{line}: " if line else f"{path}: "
        matches = [t for t in texts if t.startswith(prefix) and all(f in t for f in fragments)]
        assert len(matches) == 1, f"expected one problem at {prefix} with {fragments}; got:\n" + "\n".join(
            texts
        )


@pytest.mark.parametrize("name", ["unknown_scene.yaml", "many_problems.yaml", "python_tag.yaml"])
def test_cli_exits_2_and_writes_nothing(name, tmp_path, capsys):
    out = tmp_path / "out"
    code = main([str(BAD / name), "-o", str(out), "--slides-dir", str(tmp_path / "slides")])
    err = capsys.readouterr().err
    assert code == 2
    assert "nothing was rendered" in err and str(BAD / name) in err
    assert not out.exists() and not (tmp_path / "slides").exists()
    assert not Path("/tmp/pwned-by-storyboard").exists()


def test_real_process_exit_status_is_2(tmp_path):
    proc = subprocess.run(
        [sys.executable, "render.py", str(BAD / "unknown_param.yaml"), "-o", str(tmp_path / "o")],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2
    assert "did you mean 'd_state'?" in proc.stderr
    assert not (tmp_path / "o").exists()


PLUGIN = "plugins: [tests.pipeline.fixture_scenes]\n"


def test_bad_only_selection_is_an_error(tmp_path, capsys):
    board = tmp_path / "ok.yaml"
    board.write_text("title: t\nscenes:\n  - scene: fixture.steps\n" + PLUGIN)
    assert main([str(board), "--only", "7", "-o", str(tmp_path / "o")]) == 2
    assert "not an entry index" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_valid_storyboard_parses_with_defaults(tmp_path):
    board = tmp_path / "My Lecture.yaml"
    board.write_text("title: t\nscenes:\n  - scene: fixture.steps\n    params: {delta: 0.2}\n" + PLUGIN)
    sb = parse_storyboard(board)
    assert sb.name == "my-lecture" and sb.locale == "en" and sb.quality == "high"
    assert sb.entries[0].params.delta == 0.2 and sb.entries[0].params.steps == 8
    # the chapter defaults to the summary: the first line of the params module's docstring
    assert sb.entries[0].chapter.startswith("Steps: a step size and a number of steps, with a cross-field")
    assert sb.plugins == ("tests.pipeline.fixture_scenes",)


def test_params_are_validated_once(tmp_path, monkeypatch):
    """The storyboard's entries carry the models validated while collecting problems (no second pass)."""
    from tests.pipeline.fixture_scenes.fixture.params.steps import Params

    calls = []
    original = Params.model_validate.__func__

    def counting(cls, *args, **kwargs):
        calls.append(args[0])
        return original(cls, *args, **kwargs)

    monkeypatch.setattr(Params, "model_validate", classmethod(counting))
    board = tmp_path / "b.yaml"
    board.write_text("title: t\nscenes:\n  - scene: fixture.steps\n    params: {steps: 5}\n" + PLUGIN)
    sb = parse_storyboard(board)
    assert calls == [{"steps": 5}] and sb.entries[0].params.steps == 5


def test_only_suggests_a_close_scene_id_and_not_a_mere_prefix_match(tmp_path, capsys):
    board = tmp_path / "two.yaml"
    board.write_text("title: t\nscenes:\n  - scene: fixture.steps\n  - scene: fixture.tokens\n" + PLUGIN)
    assert main([str(board), "--only", "fixture.tokesn", "-o", str(tmp_path / "o")]) == 2
    assert "did you mean 'fixture.tokens'?" in capsys.readouterr().err
    assert main([str(board), "--only", "fixture.unknown", "-o", str(tmp_path / "o")]) == 2
    assert "did you mean" not in capsys.readouterr().err


def test_list_with_a_storyboard_reports_its_broken_plugin_by_line(capsys):
    assert main([str(BAD / "plugin_missing.yaml"), "--list"]) == 2
    err = capsys.readouterr().err
    assert f"{BAD / 'plugin_missing.yaml'}:4: plugins[1]: cannot import plugin" in err


def test_narration_longer_than_a_beat_may_say_is_refused_by_line(tmp_path):
    """A beat says at most 2,000 characters (the README's limit): an override over it, or a replacing and an
    appended sentence that together go over it, is a problem of the board, not of the worker's memory."""
    long, half = "word " * 401, "talk " * 200  # 2,005 and 1,000 characters
    board = tmp_path / "long.yaml"
    board.write_text(
        "title: t\n" + PLUGIN + "scenes:\n  - scene: fixture.spoken\n    narration:\n"
        f"      intro: '{long}'\n      count: '{half} {{n}}'\n"
        f"      count+: '{half}'\n      outro+: '{half}'\n"
    )
    with pytest.raises(StoryboardError) as info:
        parse_storyboard(board)
    texts = [str(p) for p in info.value.problems]
    assert len(texts) == 2, texts
    assert texts[0].startswith(f"{board}:6: scenes[0].narration.intro: ") and "2,005 characters" in texts[0]
    assert texts[1].startswith(f"{board}:8: scenes[0].narration.count+: ") and "2,005 characters" in texts[1]
    assert all("2,000" in t for t in texts)


def test_a_scene_whose_own_narration_is_outside_the_language_is_named(tmp_path, monkeypatch):
    """A plugin's scene with ``{x:.2f}`` in its own NARRATION cannot be filled: overriding that beat says so
    at validation."""
    from scenes.engine.discovery import SceneSpec

    monkeypatch.setattr(SceneSpec, "narration", lambda self: {"en": {"intro": "A step of {x:.2f}."}})
    board = tmp_path / "b.yaml"
    board.write_text(
        "title: t\n" + PLUGIN + "scenes:\n  - scene: fixture.spoken\n    narration:\n"
        "      intro+: 'And on.'\n"
    )
    with pytest.raises(StoryboardError) as info:
        parse_storyboard(board)
    [text] = [str(p) for p in info.value.problems]
    assert text.startswith(f"{board}:6: scenes[0].narration.intro+: ") and "{x:.2f}" in text
