"""Kit tests build Text and MathTex outside a scene: compile them into the session's media folder, never
into ./media of the checkout."""

from __future__ import annotations

import pytest
from manim import tempconfig


@pytest.fixture(autouse=True)
def _media_in_tmp(media_dir):
    with tempconfig({"media_dir": media_dir, "verbosity": "ERROR"}):
        yield
