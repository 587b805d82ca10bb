"""A scene that fails halfway, for the failure-isolation test (registered only when a test imports it)."""

from manim import Square

from scenes.base import LectureScene
from scenes.registry import SceneParams, register


@register("test.failing")
class Failing(LectureScene):
    """Always fails after one animation."""

    class Params(SceneParams):
        pass

    STRINGS = {"en": {}, "zh": {}}

    def construct(self) -> None:
        self.add(Square())
        self.wait(0.2)
        raise RuntimeError("this scene fails on purpose")
