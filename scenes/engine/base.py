"""The base class of every lecture scene.

A ``LectureScene`` is a manim-slides ``Slide`` (itself a Manim ``Scene``), so one class renders to a video
and to a slide deck. It carries the scene's typed parameters and locale, looks up every string a viewer
reads in the scene's ``STRINGS`` table, and calls *pause hooks* at each slide boundary and at the end:
the pipeline uses them to save preview frames, the tests to check the layout.

Narration (``scenes.engine.narration``): ``NARRATION`` holds what is said per beat; ``with self.beat(name,
**fields)`` plays a beat while its text is spoken by the scene's ``voice``, and each slide's speaker notes
are the texts of the beats on it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, ClassVar

import numpy as np
from manim import DOWN, LEFT, UP, VGroup, config
from manim_slides import Slide

from scenes.engine.narration import PAUSE_AFTER, BeatRecord, Overrides, Silent, Speech, Voice, fill
from scenes.engine.registry import SceneParams
from scenes.kit import cairo_paths, theme
from scenes.kit.text import text as kit_text

cairo_paths.install()  # the camera's subpath splits, memoised (scenes/kit/cairo_paths.py)

PauseHook = Callable[["LectureScene", str, int], None]
LOCALES = ("en", "zh")


class LectureScene(Slide):
    """Base of all scenes: ``Params`` (typed, bounded), ``STRINGS`` (per locale) and named beats."""

    Params: ClassVar[type[SceneParams]]
    STRINGS: ClassVar[dict[str, dict[str, str]]] = {"en": {}, "zh": {}}
    NARRATION: ClassVar[dict[str, dict[str, str]]] = {"en": {}, "zh": {}}  # beat → what is said
    scene_id: ClassVar[str]
    EXAMPLES: ClassVar[tuple[dict[str, Any], ...]] = ()  # other parameter sets the tests render
    skip_reversing = True  # decks play forwards; reversed clips would double the slide export time

    def __init__(
        self,
        params: SceneParams | None = None,
        locale: str = "en",
        name: str | None = None,
        pause_hooks: tuple[PauseHook, ...] = (),
        voice: Voice | None = None,
        narration: Overrides | None = None,
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
        self.pictures: list = []  # fast test runs: a scenes.engine.probe.Picture per pause, in order
        self.voice: Voice = voice or Silent()
        self.overrides = narration or Overrides()
        self.beats: list[BeatRecord] = []  # every beat as it played, in order
        self._in_beat: str | None = None
        self._slide = 0  # the slide being built (manim-slides counts the same way)
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

    # --- narration ----------------------------------------------------------------------------------
    def narration(self, beat_id: str, **fields: Any) -> str:
        """What is said during ``beat_id`` in this scene's locale ("" for a silent beat), fields filled in."""
        if self.overrides.off:
            return ""
        table = self.NARRATION.get(self.locale, {})
        template = self.overrides.replace.get(beat_id, table.get(beat_id, ""))
        extra = self.overrides.append.get(beat_id, "")
        template = f"{template} {extra}".strip() if extra else template
        return " ".join(fill(template, fields).split()) if template else ""

    @contextmanager
    def beat(self, beat_id: str, **fields: Any) -> Iterator[str]:
        """Play the animations inside the ``with`` block while the beat's narration is spoken.

        The beat lasts max(animation time, speech time + a breath): when the speech is longer, the scene
        holds its last frame until it ends. A beat may not contain a slide boundary (its speaker notes
        would belong to two slides). Yields the text.
        """
        if self._in_beat is not None:
            raise RuntimeError(f"beat {beat_id!r} starts inside beat {self._in_beat!r}")
        text = self.narration(beat_id, **fields)
        speech = self.voice.speak(text, beat_id) if text else Speech(0.0, None)
        start, slide = float(self.renderer.time), self._slide
        self._in_beat = beat_id
        try:
            yield text
        finally:
            self._in_beat = None
        if self._slide != slide:
            raise RuntimeError(f"beat {beat_id!r} contains a next_slide(); end the beat before it")
        if speech.duration > 0:
            rest = speech.duration + PAUSE_AFTER - (float(self.renderer.time) - start)
            if rest > 1e-6:
                self.wait(rest)
        self.beats.append(
            BeatRecord(
                id=beat_id,
                slide=slide,
                start=start,
                end=float(self.renderer.time),
                text=text,
                speech=speech.duration,
                audio=speech.audio,
            )
        )

    def _notes(self) -> str:
        """The speaker notes of the slide being built: the narration of its beats, one paragraph each."""
        return "\n\n".join(b.text for b in self.beats if b.slide == self._slide and b.text)

    # --- pauses --------------------------------------------------------------------------------------
    def next_slide(self, *args: Any, **kwargs: Any) -> None:
        if self._in_beat is not None:
            raise RuntimeError(f"next_slide() inside beat {self._in_beat!r}; end the beat before it")
        self._pause("slide")
        # manim-slides stores a slide's options when it closes: the notes of the slide ending here
        self._base_slide_config = self._base_slide_config.model_copy(update={"notes": self._notes()})
        super().next_slide(*args, **kwargs)
        self._slide += 1

    def tear_down(self) -> None:
        self._pause("end")
        self._base_slide_config = self._base_slide_config.model_copy(update={"notes": self._notes()})
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
