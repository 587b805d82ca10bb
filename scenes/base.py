"""The base class of every lecture scene.

A ``LectureScene`` is a manim-slides ``Slide`` (itself a Manim ``Scene``), so one class renders to a video
and to a slide deck. It carries the scene's typed parameters and locale, looks up every string a viewer
reads in the scene's ``STRINGS`` table, and calls *pause hooks* at each slide boundary and at the end:
the pipeline uses them to save preview frames, the tests to check the layout.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

import numpy as np
from manim import DOWN, LEFT, UP, VGroup, config
from manim_slides import Slide

from scenes.kit import theme
from scenes.kit.text import text as kit_text
from scenes.registry import SceneParams

PauseHook = Callable[["LectureScene", str, int], None]
LOCALES = ("en", "zh")


class LectureScene(Slide):
    """Base of all scenes: ``Params`` (typed, bounded), ``STRINGS`` (per locale) and named beats."""

    Params: ClassVar[type[SceneParams]]
    STRINGS: ClassVar[dict[str, dict[str, str]]] = {"en": {}, "zh": {}}
    scene_id: ClassVar[str]
    EXAMPLES: ClassVar[tuple[dict[str, Any], ...]] = ()  # other parameter sets the tests render
    skip_reversing = True  # decks play forwards; reversed clips would double the slide export time

    def __init__(
        self,
        params: SceneParams | None = None,
        locale: str = "en",
        name: str | None = None,
        pause_hooks: tuple[PauseHook, ...] = (),
        **kwargs: Any,
    ) -> None:
        if locale not in LOCALES:
            raise ValueError(f"locale must be one of {LOCALES}, not {locale!r}")
        self.params = params if params is not None else self.Params()
        self.locale = locale
        self._name = name or type(self).__name__
        self.pause_hooks = list(pause_hooks)
        self.play_hooks: list[Callable[[LectureScene], None]] = []
        self.pause_count = 0
        self.shown: dict[str, Any] = {}  # the values this scene drew, for tests to compare with lib/
        self.pictures: list = []  # fast test runs: a scenes.probe.Picture per pause, in order
        config.background_color = theme.BACKGROUND  # one process renders one scene: global is fine
        super().__init__(**kwargs)

    def __str__(self) -> str:  # manim-slides names the slide files after str(scene)
        return self._name

    # --- strings and text ------------------------------------------------------------------------
    def t(self, key: str, **fmt: Any) -> str:
        """The viewer-facing string ``key`` in this scene's locale."""
        s = self.STRINGS[self.locale][key]
        return s.format(**fmt) if fmt else s

    def text(self, key: str, size: int = theme.BODY, color=theme.FG, **fmt: Any):
        return self.plain(self.t(key, **fmt), size=size, color=color)

    @staticmethod
    def plain(s: str, size: int = theme.BODY, color=theme.FG, weight: str = "NORMAL"):
        """A ``Text`` in the theme font. Built once per (string, size, colour, weight), then copied:
        Pango layout and SVG parsing cost ~10 ms a text, a copy ~2 ms, and scenes of numbers draw hundreds.
        """
        return kit_text(s, size=size, color=color, weight=weight)

    def title_bar(self, key: str = "title", subtitle_key: str | None = None) -> VGroup:
        """The scene title at the top edge (and an optional muted subtitle under it)."""
        title = self.text(key, size=theme.TITLE)
        group = VGroup(title)
        if subtitle_key:
            group.add(self.text(subtitle_key, size=theme.LABEL, color=theme.MUTED))
            group.arrange(DOWN, buff=0.12, aligned_edge=LEFT)
        group.to_edge(UP, buff=theme.EDGE).to_edge(LEFT, buff=theme.EDGE + 0.15)
        return group

    def play(self, *args: Any, **kwargs: Any) -> None:
        super().play(*args, **kwargs)
        for hook in self.play_hooks:
            hook(self)

    # --- pauses --------------------------------------------------------------------------------------
    def next_slide(self, *args: Any, **kwargs: Any) -> None:
        self._pause("slide")
        super().next_slide(*args, **kwargs)

    def tear_down(self) -> None:
        self._pause("end")
        super().tear_down()

    def _pause(self, kind: str) -> None:
        for hook in self.pause_hooks:
            hook(self, kind, self.pause_count)
        self.pause_count += 1

    def capture_frame(self) -> np.ndarray:
        """The frame as it stands now, (H, W, 4) uint8, even while animations are being skipped."""
        self.renderer.camera.reset()
        self.renderer.camera.capture_mobjects(self.mobjects)
        return np.array(self.renderer.camera.pixel_array)
