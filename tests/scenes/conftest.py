"""Fast-mode scene runs, memoised per test process: the layout test and a scene's own numeric test share one
construction. Compiled LaTeX and text are reused through one media folder for the session."""

from __future__ import annotations

import json

import pytest

from scenes.engine.discovery import discover
from scenes.engine.layout import layout_problems

REGISTRY = discover()
_RUNS: dict[tuple, tuple] = {}


@pytest.fixture(scope="session")
def media_dir(tmp_path_factory) -> str:
    return str(tmp_path_factory.mktemp("manim_media"))


@pytest.fixture(scope="session")
def fast_run(media_dir):
    """fast_run(scene_id, params: dict | None, locale) -> (scene, [LayoutProblem]).

    ``scene.pictures`` holds what was on screen at each pause (``scenes.engine.probe.Picture``, in order):
    ``scene.pictures[2].array("y_conv")`` are the strings drawn under that key; ``Picture.merge(
    scene.pictures)`` is every pause at once (the last reading of each element wins)."""

    def run(scene_id: str, params: dict | None = None, locale: str = "en"):
        key = (scene_id, json.dumps(params or {}, sort_keys=True), locale)
        if key not in _RUNS:
            spec = REGISTRY[scene_id]
            _RUNS[key] = layout_problems(
                spec.cls, spec.params.model_validate(params or {}), locale, media_dir
            )
        return _RUNS[key]

    return run
