"""A lecturer's scene outside this repository: the same layout and base class as ours."""

from __future__ import annotations

from manim import Circle, Create, VGroup

from my_course.scenes.course.params.hello import Params as HelloParams
from scenes.engine.base import LectureScene
from scenes.engine.registry import register


@register("course.hello")
class Hello(LectureScene):
    """Circles, one after another."""

    Params = HelloParams
    EXAMPLES = ({"circles": 1},)
    STRINGS = {"en": {}, "zh": {}}

    def construct(self) -> None:
        circles = VGroup(*(Circle(radius=0.5) for _ in range(self.params.circles))).arrange()
        for c in circles:
            self.play(Create(c), run_time=0.4)
        self.next_slide()
