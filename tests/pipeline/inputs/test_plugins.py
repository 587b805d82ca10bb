"""A lecturer's own scenes: ``plugins: [my_course.scenes]`` in a storyboard imports that package relative to
the storyboard's folder, finds its scenes by our rule, renders them in a worker that sees the same folder,
and keys their clips on the plugin's sources. The fixture is a copy of ``tests/pipeline/plugin_course``."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.publishing.media import frame_count

ROOT = Path(__file__).resolve().parents[3]
COURSE = Path(__file__).parents[1] / "plugin_course"
BOARD = """\
title: My course
quality: low
plugins: [my_course.scenes]
scenes:
  - scene: course.hello
    params: {circles: 2}
"""


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Path:
    """The plugin package beside a storyboard, somewhere outside this repository."""
    folder = tmp_path_factory.mktemp("course")
    shutil.copytree(COURSE / "my_course", folder / "my_course")
    (folder / "lecture.yaml").write_text(BOARD)
    return folder


def render(course: Path, *extra: str) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "render.py", str(course / "lecture.yaml"), "-o", str(course / "out"), *extra]
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300)


def test_list_shows_the_plugin_scenes_beside_ours(course):
    proc = render(course, "--list")
    assert proc.returncode == 0, proc.stderr
    assert "course.hello" in proc.stdout and "Hello: a lecturer's own scene" in proc.stdout
    assert "mamba.two_views" in proc.stdout  # the built-in scenes are always there


def test_schema_for_a_plugin_storyboard_knows_its_scenes(course):
    proc = render(course, "--schema")
    schema = json.loads(proc.stdout)
    assert schema["$defs"]["course.hello"]["properties"]["circles"]["maximum"] == 5


def test_plugin_params_are_validated_with_file_and_line(tmp_path, course):
    bad = course / "bad.yaml"
    bad.write_text(BOARD.replace("circles: 2", "circles: 9"))
    proc = subprocess.run(
        [sys.executable, "render.py", str(bad), "-o", str(tmp_path / "o")],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2
    assert f"{bad}:6: scenes[0].params.circles: Input should be less than or equal to 5" in proc.stderr
    assert not (tmp_path / "o").exists()


@pytest.mark.render
def test_a_plugin_scene_renders_and_its_sources_key_the_clip(course):
    proc = render(course)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    video = course / "out" / "lecture" / "lecture.mp4"
    assert frame_count(video) == 2 * round(0.4 * 15)  # two circles, 0.4 s each, at 15 fps
    assert "0 to render, 1 cached" in render(course, "--dry-run").stdout
    # an edit in the plugin's own scene module re-renders its clip
    scene = course / "my_course" / "scenes" / "course" / "hello.py"
    scene.write_text(scene.read_text().replace("run_time=0.4", "run_time=0.6"))
    assert "1 to render, 0 cached" in render(course, "--dry-run").stdout
    proc = render(course)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert frame_count(video) == 2 * round(0.6 * 15)


def test_plugin_sources_are_looked_up_where_the_plugin_was_imported_from(monkeypatch):
    """A plugin inside this repository's tree but not at its top (storyboards/my_course) is still hashed."""
    import types

    from pipeline.inputs.plugins import SourceRoots, source_roots

    inside = ROOT / "storyboards" / "fake_course"
    monkeypatch.setitem(sys.modules, "fake_course", types.SimpleNamespace(__path__=[str(inside)]))
    assert source_roots(["fake_course.scenes"]) == SourceRoots(ROOT, (("fake_course", ROOT / "storyboards"),))
    # a plugin that is a package of the project itself needs no extra root
    assert source_roots(["tests.pipeline.fixture_scenes"]) == SourceRoots(ROOT, ())
