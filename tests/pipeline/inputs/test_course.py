"""Several storyboards in one run: a course file's validation (file:line, did-you-mean, as storyboards do),
and two storyboards rendered from one job queue, each into its own folder as a run of it alone would."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from pipeline.inputs.course import is_course, parse_course
from pipeline.inputs.storyboard import StoryboardError
from tests.pipeline.cli_run import render

BOARD = """\
title: {title}
name: {name}
quality: low
voice: none
plugins: [tests.pipeline.fixture_scenes]
scenes:
  - scene: fixture.shapes
    params: {{slides: {slides}, seconds: 0.3}}
  - scene: fixture.steps
    params: {{steps: {steps}}}
"""


def _problems(path: Path) -> list[str]:
    with pytest.raises(StoryboardError) as e:
        parse_course(path)
    return [str(p) for p in e.value.problems]


def test_course_problems_have_lines_and_suggestions(tmp_path):
    (tmp_path / "mamba.yaml").write_text("title: x\n")
    course = tmp_path / "course.yaml"
    course.write_text("course:\n  title: Sequence models\n  storyboard: [mamba.yaml]\n")
    assert _problems(course) == [
        f"{course}:1: course.storyboards: required key is missing",
        f"{course}:3: course.storyboard: unknown key 'storyboard'; expected one of: title, storyboards "
        "(did you mean 'storyboards'?)",
    ]
    course.write_text(
        "course:\n  title: T\n  storyboards:\n    - mamba.yaml\n    - mambo.yaml\n    - ./mamba.yaml\n"
    )
    assert _problems(course) == [
        f"{course}:5: course.storyboards[1]: no such storyboard file 'mambo.yaml' "
        "(did you mean 'mamba.yaml'?)",
        f"{course}:6: course.storyboards[2]: './mamba.yaml' is listed twice (also [0])",
    ]
    course.write_text("course:\n  title: T\n  storyboards: []\n")
    assert _problems(course) == [
        f"{course}:3: course.storyboards: List should have at least 1 item after validation, not 0"
    ]
    course.write_text("corse:\n  title: T\n")
    assert not is_course(course)  # not a course: read as a storyboard, which reports its own problems
    course.write_text("course:\n  title: T\n  storyboards: [mamba.yaml]\n")
    assert is_course(course)
    assert parse_course(course).storyboards == ((tmp_path / "mamba.yaml").resolve(),)


def test_course_problems_through_the_command_line(tmp_path):
    course = tmp_path / "course.yaml"
    course.write_text("course:\n  title: T\n  storyboards: [missing.yaml]\n")
    proc = render(course, tmp_path / "out")
    assert proc.returncode == 2
    assert proc.stderr.splitlines() == [
        f"{course}: 1 problem; nothing was rendered",
        f"  {course}:3: course.storyboards[0]: no such storyboard file 'missing.yaml'",
    ]
    assert not (tmp_path / "out").exists()


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.render
def test_two_storyboards_share_one_queue_and_keep_their_own_outputs(tmp_path):
    a, b = tmp_path / "a.yaml", tmp_path / "b.yaml"
    a.write_text(BOARD.format(title="First", name="first", slides=1, steps=4))
    b.write_text(BOARD.format(title="Second", name="second", slides=2, steps=4))  # entry 2 is a's entry 2
    course = tmp_path / "course.yaml"
    course.write_text("course:\n  title: Both\n  storyboards: [a.yaml, b.yaml]\n")
    proc = render(course, tmp_path / "course")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    # one queue: 3 distinct clips (the shared steps entry once), labelled by storyboard
    assert "3 to render, 2 at a time" in proc.stdout
    assert "first/e01_fixture_shapes: rendering" in proc.stdout
    assert "second/e01_fixture_shapes: rendering" in proc.stdout
    for name in ("first", "second"):
        report = json.loads((tmp_path / "course" / name / "last_run.json").read_text())
        assert [e["status"] for e in report["entries"]] == ["rendered", "rendered"]
    # each storyboard alone gives the same files
    for board, name in ((a, "first"), (b, "second")):
        alone = render(board, tmp_path / "alone")
        assert alone.returncode == 0, alone.stdout + alone.stderr
        assert _sha(tmp_path / "alone" / name / f"{name}.mp4") == _sha(
            tmp_path / "course" / name / f"{name}.mp4"
        )
        keys = [
            json.loads((root / name / "manifest.json").read_text())["keys"]
            for root in (tmp_path / "alone", tmp_path / "course")
        ]
        assert keys[0] == keys[1]
    # and the course again, with both storyboards named on the command line: all cached, per storyboard
    again = render(a, tmp_path / "course", str(b))
    assert again.returncode == 0, again.stdout + again.stderr
    assert again.stdout.count("all cached: nothing to render") == 2
