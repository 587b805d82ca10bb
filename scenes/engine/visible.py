"""What counts as on screen: the text-like mobject types and the visibility rule shared by the layout
check (:mod:`scenes.engine.layout`) and the picture probe (:mod:`scenes.engine.probe`)."""

from __future__ import annotations

from manim import (
    DecimalNumber,
    MarkupText,
    MathTex,
    Mobject,
    Paragraph,
    SingleStringMathTex,
    Tex,
    Text,
)

TEXT_TYPES = (Text, MarkupText, Paragraph, MathTex, Tex, SingleStringMathTex, DecimalNumber)


def is_visible(m: Mobject) -> bool:
    """Whether any part of ``m`` is drawn with more than 5 % fill or stroke opacity."""
    fam = m.get_family()
    for x in fam:
        if not x.has_points() or not hasattr(x, "get_fill_opacity"):
            continue
        if x.get_fill_opacity() > 0.05 or (x.get_stroke_opacity() > 0.05 and x.get_stroke_width() > 0):
            return True
    return False
