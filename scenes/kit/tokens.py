"""A sentence as a strip of token chips, with a cursor that moves from token to token.

strip = TokenStrip(tokens)                      # each token tagged ("tokens", (i,))
cursor = strip.cursor(0)                        # a frame around token 0 (add or fade it in)
self.play(strip.move_cursor(3))                 # slide it to token 3
"""

from __future__ import annotations

from collections.abc import Sequence

from manim import RIGHT, Animation, RoundedRectangle, SurroundingRectangle, Transform, VGroup

from scenes.kit import theme
from scenes.kit.frame import SAFE
from scenes.kit.record import tag
from scenes.kit.text import text

_BOXES: dict[tuple, RoundedRectangle] = {}


def _box(width: float, height: float, color) -> RoundedRectangle:
    """A chip's rounded box, built once per (size, colour) and then copied: rounding the corners costs
    ~20 ms a box, and a strip redrawn after every BPE merge draws hundreds of chips."""
    key = (round(width, 6), round(height, 6), str(color))
    proto = _BOXES.get(key)
    if proto is None:
        proto = _BOXES[key] = RoundedRectangle(
            corner_radius=0.1, width=width, height=height, stroke_color=color, stroke_width=2
        ).set_fill(color, opacity=0.12)
    return proto.copy()


class TokenStrip(VGroup):
    """Tokens as rounded chips in a row, shrunk to ``max_width`` (default: the safe width) if needed.

    Parameters:
        tokens: the token strings, drawn as given.
        key: reading key of the token strings (index ``(i,)``).
        color: chip outline and tint (theme.INPUT: tokens are the input).
        size: font size of the tokens.
        max_width: the widest the strip may be, in scene units.
    """

    def __init__(
        self,
        tokens: Sequence[str],
        *,
        key: str = "tokens",
        color=theme.INPUT,
        size: int = theme.LABEL,
        max_width: float | None = None,
        buff: float = theme.BUFF_SMALL,
    ) -> None:
        super().__init__()
        self.tokens = list(tokens)
        height = 0.62 * size / theme.LABEL  # one height for every chip, whatever the glyphs
        for i, tok in enumerate(self.tokens):
            label = tag(text(tok, size=size, color=theme.FG), key, tok, (i,))
            box = _box(max(label.width + 0.3, 0.6), height, color)
            label.move_to(box)
            self.add(VGroup(box, label))
        self.arrange(RIGHT, buff=buff)
        limit = SAFE.width if max_width is None else max_width
        if self.width > limit:
            self.scale_to_fit_width(limit)
        self._cursor: SurroundingRectangle | None = None
        self.position: int | None = None

    def chip(self, i: int) -> VGroup:
        """The chip (box and label) of token ``i``."""
        return self[i]

    def _frame(self, i: int, color) -> SurroundingRectangle:
        return SurroundingRectangle(self.chip(i), color=color, buff=0.06, corner_radius=0.12, stroke_width=4)

    def cursor(self, i: int = 0, color=theme.ACCENT) -> SurroundingRectangle:
        """The cursor, framing token ``i`` (made once; add it to the scene yourself)."""
        self._cursor = self._frame(i, color)
        self.position = i
        return self._cursor

    def move_cursor(self, i: int, **kwargs) -> Animation:
        """Slide the cursor to token ``i`` (resizing it to that chip)."""
        if self._cursor is None:
            raise ValueError("call cursor() before move_cursor()")
        self.position = i
        return Transform(self._cursor, self._frame(i, self._cursor.get_stroke_color()), **kwargs)
