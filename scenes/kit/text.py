"""Text in the theme font, built once per (string, size, colour, weight) and then copied.

Pango layout and SVG parsing cost ~10 ms a text, a copy ~2 ms, and scenes of numbers draw hundreds. Every
kit component and ``LectureScene.plain`` make their ``Text`` here, so ``zh`` and ``en`` share one font.
"""

from __future__ import annotations

from typing import Any

from manim import RIGHT, MathTex, Mobject, Text, VGroup
from manim.mobject.svg.svg_mobject import VMobjectFromSVGPath

from scenes.kit import theme

_CACHE: dict[tuple, Text] = {}


def _deepcopy_sharing_path(self: VMobjectFromSVGPath, memo: dict) -> VMobjectFromSVGPath:
    """Copy a glyph but share its parsed SVG path: ``path_obj`` (an svgelements tree of segments and
    points) is read once, when the glyph's points are built, and never changed after; deep-copying it was
    80 % of copying a ``Text`` (30 ms → 6 ms for a 25-glyph label). Every ``Text``/``MathTex`` copy and every
    ``Transform`` (which copies its mobjects) goes through here."""
    path = self.__dict__.get("path_obj")
    if path is not None:
        memo.setdefault(id(path), path)
    return Mobject.__deepcopy__(self, memo)


if "__deepcopy__" not in VMobjectFromSVGPath.__dict__:
    VMobjectFromSVGPath.__deepcopy__ = _deepcopy_sharing_path  # type: ignore[method-assign,assignment]


def text(s: str, size: int = theme.BODY, color=theme.FG, weight: str = "NORMAL") -> Text:
    """A ``Text`` of ``s`` at font size ``size`` (≥ theme.NUMBER to stay readable at 480p)."""
    key = (s, size, str(color), weight)
    proto = _CACHE.get(key)
    if proto is None:
        proto = _CACHE[key] = Text(s, font=theme.FONT, font_size=size, color=color, weight=weight)
    return proto.copy()


def tex(s: str, size: float = theme.BODY * 1.45, color=theme.FG, **kwargs: Any) -> MathTex:
    """A ``MathTex`` sized to sit beside theme text of the same nominal size (TeX glyphs run small:
    ``size=theme.BODY * 1.45`` matches ``text(..., theme.BODY)``)."""
    return MathTex(s, font_size=size, color=color, **kwargs)


def symbol_label(word: str, symbol: str, color=theme.FG, size: int = theme.SMALL) -> VGroup:
    """A word in the theme font and a TeX symbol after it at the matching size: "decay" + ``\\bar A_t``,
    "attention: time" + ``\\propto T^{2.25}``. ``label[1]`` is the ``MathTex`` (to tag a number in it)."""
    return VGroup(text(word, size=size, color=color), tex(symbol, size=size * 1.45, color=color)).arrange(
        RIGHT, buff=theme.BUFF_SMALL
    )
