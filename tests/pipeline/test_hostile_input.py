"""Hostile or unlucky input that once gave a traceback or a silent exit (issue 24, 9): Rich markup in a title,
a chapter or the output path; a YAML key that is a sequence or a mapping; ``--timeout inf`` / ``nan``; a
plugin that calls ``sys.exit()`` at import. Each is printed as written, or is one line and exit status 2."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.cli import main
from pipeline.inputs.storyboard import StoryboardError, parse_storyboard

ROOT = Path(__file__).resolve().parents[2]
PLUGIN = "plugins: [tests.pipeline.fixture_scenes]\n"
MARKUP = "[/] [bold]x[/bold] :thumbs_up: [red"  # a closing tag with nothing to close, a style, an emoji code


def _write(tmp_path: Path, text: str, name: str = "board.yaml") -> Path:
    board = tmp_path / name
    board.write_text(text, encoding="utf-8")
    return board


def _plain(text: str) -> str:
    """``text`` without the terminal's colour and cursor codes."""
    return re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", text)


# Rich markup in user text ------------------------------------------------------------------------------


def test_markup_in_the_title_chapter_and_output_path_is_printed_as_written(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "300")  # the plan's table keeps each cell on one line
    board = _write(
        tmp_path,
        f"title: '{MARKUP}'\nquality: low\n" + PLUGIN + f"scenes:\n  - scene: fixture.shapes\n"
        f"    chapter: 'chapter {MARKUP}'\n",
    )
    out = tmp_path / f"out {MARKUP}"
    assert main([str(board), "--dry-run", "-o", str(out)]) == 0
    printed = capsys.readouterr()
    assert f"{MARKUP} — plan (low, en)" in printed.out
    assert f"chapter {MARKUP}" in printed.out
    assert f"output: {out / 'board'}" in printed.out
    assert printed.err == ""


@pytest.mark.render
@pytest.mark.parametrize("terminal", ["1", "0"])  # the summary's table, or a CI log's plain lines
def test_markup_in_paths_and_errors_after_a_render_is_printed_as_written(
    tmp_path, capsys, monkeypatch, terminal
):
    monkeypatch.setenv("TTY_COMPATIBLE", terminal)
    monkeypatch.setenv("COLUMNS", "400")
    entries = "  - scene: fixture.shapes\n    params: {slides: 1, seconds: 0.2}\n"
    board = _write(
        tmp_path, f"title: '{MARKUP}'\nquality: low\nvoice: none\n" + PLUGIN + "scenes:\n" + entries
    )
    out = tmp_path / f"o {MARKUP}"
    assert main([str(board), "-o", str(out), "--jobs", "1"]) == 0
    printed = capsys.readouterr()
    assert f"video: {out / 'board' / 'board.mp4'}" in _plain(printed.out)
    assert "Traceback" not in printed.err
    failing = _write(
        tmp_path,
        f"title: '{MARKUP}'\nquality: low\nvoice: none\n" + PLUGIN + "scenes:\n" + entries
        + "  - scene: fixture.failing\n",
        "failing.yaml",
    )  # fmt: skip
    assert main([str(failing), "-o", str(out), "--jobs", "1"]) == 1
    printed = capsys.readouterr()
    log = out / "failing" / "logs" / "e02_fixture_failing.log"
    assert f"(log: {log})" in _plain(printed.out)
    assert "Traceback" not in printed.err


# YAML keys that are not plain values -----------------------------------------------------------------

HEAD = "title: T\nquality: low\n" + PLUGIN


@pytest.mark.parametrize(
    ("text", "line", "kind"),
    [
        (HEAD + "scenes:\n  - scene: fixture.shapes\n? [a, b]\n: 1\n", 6, "sequence"),  # top level, block
        ("{[1]: x}\n", 1, "sequence"),  # top level, flow
        (HEAD + "? {a: 1}\n: 2\nscenes:\n  - scene: fixture.shapes\n", 4, "mapping"),
        (HEAD + "scenes:\n  - scene: fixture.shapes\n    ? [chapter]\n    : x\n", 6, "sequence"),  # an entry
        (HEAD + "scenes:\n  - scene: fixture.shapes\n    params: {{a: 1}: 2}\n", 6, "mapping"),  # params
        (HEAD + "x: &k [1]\nscenes:\n  - scene: fixture.shapes\n    narration: {*k : t}\n", 7, "sequence"),
    ],
)
def test_a_key_that_is_a_sequence_or_mapping_is_one_problem_at_its_line(tmp_path, capsys, text, line, kind):
    board = _write(tmp_path, text)
    assert main([str(board), "--dry-run"]) == 2
    err = capsys.readouterr().err
    assert err.splitlines() == [
        f"{board}: 1 problem; nothing was rendered",
        f"  {board}:{line}: <document>: invalid YAML: a key must be a name, not a {kind}",
    ]


# --timeout ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["inf", "nan", "-inf", "1e10", "0", "-1", "604801"])
def test_a_timeout_that_is_not_a_finite_positive_number_of_seconds_is_one_line(tmp_path, capsys, value):
    board = _write(tmp_path, HEAD + "scenes:\n  - scene: fixture.shapes\n")
    assert main([str(board), "--dry-run", f"--timeout={value}"]) == 2
    err = capsys.readouterr().err
    assert err.splitlines() == [
        f"render.py: error: --timeout {float(value):g}: expected a number of seconds above 0 and at most "
        "604800 (a week)"
    ]


def test_a_timeout_of_a_week_is_accepted(tmp_path, capsys):
    board = _write(tmp_path, HEAD + "scenes:\n  - scene: fixture.shapes\n")
    assert main([str(board), "--dry-run", "--timeout", "604800"]) == 0
    assert capsys.readouterr().err == ""


# a plugin that exits or raises at import -------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "body", "raised"),  # a module name of its own each: nothing cached between cases
    [
        ("exits_3", "import sys\nsys.exit(3)\n", "SystemExit: 3"),
        ("exits_text", "raise SystemExit('bye\\nnow')\n", "SystemExit: bye now"),
        ("raises_odd", "class Odd(BaseException):\n    pass\nraise Odd('odd')\n", "Odd: odd"),
    ],
)
def test_a_plugin_that_exits_at_import_is_one_problem_naming_it(tmp_path, capsys, name, body, raised):
    (tmp_path / name).mkdir()
    (tmp_path / name / "__init__.py").write_text(body)
    board = _write(
        tmp_path, f"title: T\nquality: low\nplugins: [{name}]\nscenes:\n  - scene: fixture.shapes\n"
    )
    assert main([str(board), "--dry-run"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith(f"{board}: 2 problems")
    assert err[1] == f"  {board}:3: plugins[0]: importing plugin {name!r} failed: {raised}"


def test_a_ctrl_c_while_a_plugin_imports_still_stops_the_run(tmp_path, capsys):
    name = "interrupted_plugin"
    (tmp_path / name).mkdir()
    (tmp_path / name / "__init__.py").write_text("raise KeyboardInterrupt\n")
    board = _write(
        tmp_path, f"title: T\nquality: low\nplugins: [{name}]\nscenes:\n  - scene: fixture.shapes\n"
    )
    assert main([str(board), "--dry-run"]) == 130
    assert capsys.readouterr().err.splitlines() == [
        "render.py: interrupted (SIGINT): workers stopped, nothing half-written kept"
    ]


# found by the fuzzer (tests/pipeline/inputs/test_fuzz_validation.py) ----------------------------------


def _problems(capsys) -> list[str]:
    return capsys.readouterr().err.splitlines()


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("!!int x", "'x' is not a valid int (quote it to keep it as text)"),
        ("!!float x", "'x' is not a valid float (quote it to keep it as text)"),
        ("!!bool maybe", "'maybe' is not a valid bool (quote it to keep it as text)"),
        ("!!timestamp x", "'x' is not a valid timestamp (quote it to keep it as text)"),
        (
            "2020-13-45",
            "'2020-13-45' is not a valid timestamp: month must be in 1..12 (quote it to keep it as text)",
        ),
        ("9" * 5000, f"'{'9' * 37}...' is not a valid int (quote it to keep it as text)"),
    ],
)
def test_a_value_its_tag_cannot_read_is_one_problem_at_its_line(tmp_path, capsys, value, message):
    board = _write(tmp_path, HEAD + f"scenes:\n  - scene: fixture.shapes\n    chapter: {value}\n")
    assert main([str(board), "--dry-run"]) == 2
    assert _problems(capsys) == [
        f"{board}: 1 problem; nothing was rendered",
        f"  {board}:6: <document>: invalid YAML: {message}",
    ]


def test_a_character_yaml_does_not_allow_is_one_problem_at_its_line(tmp_path, capsys):
    board = _write(tmp_path, HEAD + 'scenes:\n  - scene: fixture.shapes\n    chapter: "a\x7fb"\n')
    assert main([str(board), "--dry-run"]) == 2
    assert _problems(capsys) == [
        f"{board}: 1 problem; nothing was rendered",
        f"  {board}:6: <document>: invalid YAML: the character U+007F is not allowed in YAML",
    ]


def test_an_escaped_surrogate_pair_is_its_character_and_a_lone_half_is_one_problem(tmp_path, capsys):
    # JSON writes 😀 as "\ud83d\ude00"; YAML's \u escapes alone would leave two halves no tool can take
    board = _write(
        tmp_path, HEAD + 'scenes:\n  - scene: fixture.shapes\n    chapter: "smile \\ud83d\\ude00"\n'
    )
    assert main([str(board), "--dry-run"]) == 0
    assert "smile 😀" in capsys.readouterr().out
    board.write_text(HEAD + 'scenes:\n  - scene: fixture.shapes\n    chapter: "half \\ud83d!"\n')
    assert main([str(board), "--dry-run"]) == 2
    assert _problems(capsys)[1] == (
        f"  {board}:6: <document>: invalid YAML: \\ud83d is half a character (a lone UTF-16 surrogate)"
    )


def test_a_duplicate_key_with_a_line_break_in_it_is_one_line(tmp_path, capsys):
    board = _write(tmp_path, HEAD + 'scenes:\n  - scene: fixture.shapes\n"a\\nb": 1\n"a\\nb": 2\n')
    with pytest.raises(StoryboardError) as e:  # the message itself, whoever prints it
        parse_storyboard(board)
    assert [str(p) for p in e.value.problems] == [f"{board}:7: <document>: invalid YAML: duplicate key a\\nb"]


@pytest.mark.parametrize("mode", ["--list", "--schema", "--dry-run"])
def test_a_fifo_as_the_storyboard_is_one_line_not_a_wait_for_a_writer(tmp_path, mode):
    fifo = tmp_path / "board.yaml"
    os.mkfifo(fifo)
    try:  # a subprocess: a hang here must not hang the test run
        proc = subprocess.run([sys.executable, "render.py", str(fifo), mode], cwd=ROOT, capture_output=True,
                              text=True, timeout=60)  # fmt: skip
    except subprocess.TimeoutExpired:
        pytest.fail(f"render.py FIFO {mode} waits for a writer")
    assert proc.returncode == 2
    if mode == "--dry-run":  # the storyboard's check comes first
        assert proc.stderr.splitlines()[1] == f"  {fifo}: <document>: no such storyboard file"
    else:
        assert proc.stderr.splitlines() == [f"render.py: error: {fifo}: not a regular file but a FIFO"]


def test_a_line_break_or_bidi_override_in_a_file_name_stays_on_its_line(tmp_path, capsys):
    folder = tmp_path / "x\ny\u202e"
    folder.mkdir()
    board = _write(folder, HEAD + "scenes:\n  - scene: fixture.shapez\n")
    assert main([str(board), "--dry-run"]) == 2
    shown = str(board).replace("\n", "\\n").replace("\u202e", "\\u202e")
    assert _problems(capsys) == [
        f"{shown}: 1 problem; nothing was rendered",
        f"  {shown}:5: scenes[0].scene: unknown scene id 'fixture.shapez' (did you mean 'fixture.shapes'?)",
    ]
    assert main([str(folder), "--list"]) == 2
    shown = str(folder).replace("\n", "\\n").replace("\u202e", "\\u202e")
    assert _problems(capsys) == [f"render.py: error: {shown}: cannot read the file: Is a directory"]


def test_a_file_name_that_is_not_utf8_gets_a_folder_and_prints(tmp_path, capsys, monkeypatch):
    board = tmp_path / os.fsdecode(b"caf\xe9.yaml")  # a Latin-1 file name on a UTF-8 system
    board.write_text(HEAD + "scenes:\n  - scene: fixture.shapes\n")
    assert main([str(board), "--dry-run", "-o", str(tmp_path / "out")]) == 0
    assert "output: " in capsys.readouterr().out
    # stdout as a UTF-8 terminal takes it (strict): an -o folder that is not UTF-8 is printed with an escape
    out = io.TextIOWrapper(io.BytesIO(), encoding="utf-8", errors="strict")
    monkeypatch.setattr(sys, "stdout", out)
    output = tmp_path / os.fsdecode(b"out\xfe")
    assert main([str(board), "--dry-run", "-o", str(output)]) == 0
    out.flush()
    assert (
        f"output: {str(output).encode('utf-8', 'backslashreplace').decode()}"
        in out.buffer.getvalue().decode()
    )


def test_a_course_listing_a_fifo_a_folder_a_link_loop_or_a_nul_is_one_problem_each(tmp_path, capsys):
    os.mkfifo(tmp_path / "pipe.yaml")
    (tmp_path / "dir.yaml").mkdir()
    (tmp_path / "l1.yaml").symlink_to(tmp_path / "l2.yaml")
    (tmp_path / "l2.yaml").symlink_to(tmp_path / "l1.yaml")
    course = _write(tmp_path, 'course:\n  title: C\n  storyboards: [pipe.yaml, dir.yaml, l1.yaml, "a\\0b"]\n')
    assert main([str(course), "--dry-run"]) == 2
    assert _problems(capsys) == [
        f"{course}: 4 problems; nothing was rendered",
        f"  {course}:3: course.storyboards[0]: 'pipe.yaml' is not a regular file",
        f"  {course}:3: course.storyboards[1]: 'dir.yaml' is not a regular file",
        f"  {course}:3: course.storyboards[2]: cannot follow 'l1.yaml': a link loop",
        f"  {course}:3: course.storyboards[3]: cannot follow 'a\\x00b': embedded null byte",
    ]
