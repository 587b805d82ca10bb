"""A matrix drawn as a heatmap: coloured cells, each value written in its cell, optional row/column labels.

Every number drawn is tagged (``key``, ``(i, j)``) so tests read it back from the picture. Colour scales:

- ``"diverging"`` (signed values: state, outputs): blue for positive, red for negative, grey at zero,
  symmetric in ``[−vmax, vmax]``;
- ``"sequential"`` (0–1 values: attention weights, probabilities): grey at ``vmin`` → warm at ``vmax``;
- ``"plain"``: every cell in ``color`` at low opacity (a table of numbers with a hue).

A −∞ cell (a masked attention score) is drawn in ``theme.MASK`` with "−∞" on any scale, and the colour
range ignores it.

Cell size and digits adapt: with ``cell=None`` the cells are as large as ``max_cell`` allows inside
``max_width`` × ``max_height``, and the digits drop (from ``digits`` towards 0) until the widest number
fits its cell at ``font_size``; if even whole numbers do not fit, numbers are left out (colours only).

    attn = Heatmap(weights, key="attn", scale="sequential", row_labels=tokens, col_labels=tokens)
    self.play(FadeIn(attn)); self.play(Create(attn.highlight_row(2)))
    self.play(attn.change(2, 3, new_value))      # the cell's number and colour move to the new value
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Literal

import numpy as np
from manim import (
    DOWN,
    LEFT,
    UP,
    AnimationGroup,
    Mobject,
    Rectangle,
    SurroundingRectangle,
    Transform,
    VGroup,
)

from scenes.kit import numbers, theme
from scenes.kit.frame import SAFE
from scenes.kit.record import tag, tag_of
from scenes.kit.text import text

Scale = Literal["diverging", "sequential", "plain"]
_PAD = 0.08  # free space a number keeps to its cell border (scene units)
PAD_TIGHT = 0.03  # ``pad=PAD_TIGHT``: numbers nearly fill their cells, so dense tables keep two decimals


class _Retext(Transform):
    """Transform a number into another in place and, at the end, give it the new string and reading."""

    def __init__(self, old: Mobject, new: Mobject, **kwargs) -> None:
        super().__init__(old, new, **kwargs)
        self._new = new

    def clean_up_from_scene(self, scene) -> None:
        super().clean_up_from_scene(scene)
        self.mobject.text, self.mobject.original_text = self._new.text, self._new.original_text
        t = tag_of(self._new)
        if t is not None:
            tag(self.mobject, t.key, t.value, t.index)


class Heatmap(VGroup):
    """A 2-D array as coloured cells with numbers (``values`` of shape (rows, cols); 1-D becomes one row).

    Parameters (lengths in scene units):
        values: the numbers, as computed by ``lib/``.
        key: the reading key of the drawn numbers (``picture.array(key)`` gives them back).
        scale: "diverging", "sequential" or "plain" (see the module docstring).
        vmin, vmax: the colour range (diverging: ``vmax`` = max |value| by default; sequential: 0 and 1).
        color: the hue of "plain" cells and the high end of "sequential" (default theme.SEQ_HIGH).
        digits: decimals wanted; fewer are used if the numbers would not fit (``adaptive=False`` forbids).
        fmt: a formatter ``value -> str`` instead of ``numbers.fixed(value, digits)`` (then no adapting).
        fit_values: the values whose widest number must fit when adapting (default: ``values``): a heatmap
            redrawn step after step passes every step's values, so its digits never change mid-scene.
        cell: the cell side; ``None`` = as large as fits, up to ``max_cell``.
        cell_height: rectangular cells ``cell`` wide and this tall (a row of numbers along a time axis,
            where square cells would leave no room for the rows below); ``None`` = square.
        gap: free space between neighbouring cells: each cell becomes a separate chip.
        outline: the cells' border colour (default theme.GRID; a chip outlined in the quantity's colour).
        pad: the free space a number keeps to each side of its cell (less keeps more digits in small cells).
        max_width, max_height: the room for the whole heatmap, labels included (default: the safe area).
        row_labels, col_labels: strings (theme font) or mobjects placed left of rows / above columns.
        col_labels_below: put the column labels under the last row instead (a strip of values over tokens).
        label_color: colour of string labels.
        font_size: size of the numbers (≥ theme.NUMBER).
        show_numbers: draw the numbers (else colours only).
    """

    def __init__(
        self,
        values: np.ndarray | Sequence,
        *,
        key: str,
        scale: Scale = "diverging",
        vmin: float | None = None,
        vmax: float | None = None,
        color=None,
        digits: int = 2,
        adaptive: bool = True,
        fmt: Callable[[float], str] | None = None,
        fit_values: np.ndarray | Sequence | None = None,
        cell: float | None = None,
        cell_height: float | None = None,
        gap: float = 0.0,
        outline=theme.GRID,
        pad: float = _PAD,
        max_cell: float = 0.7,
        max_width: float | None = None,
        max_height: float | None = None,
        row_labels: Sequence[str | Mobject] | None = None,
        col_labels: Sequence[str | Mobject] | None = None,
        col_labels_below: bool = False,
        label_color=theme.MUTED,
        font_size: int = theme.NUMBER,
        show_numbers: bool = True,
    ) -> None:
        super().__init__()
        values = np.atleast_2d(
            np.array(values, dtype=float)
        )  # a copy: change() must not write to lib's array
        self.values, self.key, self.scale_kind = values, key, scale
        self.fit_values = values if fit_values is None else np.asarray(fit_values, dtype=float)
        rows, cols = values.shape
        self.shape = (rows, cols)
        if scale == "diverging":
            finite = np.abs(values[np.isfinite(values)])  # a masked −∞ must not stretch the scale
            self.vmin, self.vmax = None, float(finite.max(initial=0.0)) if vmax is None else float(vmax)
        else:
            self.vmin = 0.0 if vmin is None else float(vmin)
            self.vmax = 1.0 if vmax is None else float(vmax)
        self.color = color if color is not None else (theme.SEQ_HIGH if scale == "sequential" else theme.FG)
        self.font_size = font_size

        row_mobs = [self._label(s, label_color) for s in row_labels] if row_labels is not None else []
        col_mobs = [self._label(s, label_color) for s in col_labels] if col_labels is not None else []
        label_w = max((m.width for m in row_mobs), default=0.0) + (theme.BUFF_SMALL if row_mobs else 0.0)
        label_h = max((m.height for m in col_mobs), default=0.0) + (theme.BUFF_SMALL if col_mobs else 0.0)
        if cell is None:
            room_w = (SAFE.width if max_width is None else max_width) - label_w
            room_h = (SAFE.height if max_height is None else max_height) - label_h
            cell = min(max_cell, room_w / cols, room_h / rows if cell_height is None else room_w)
        self.cell, self.gap, self.pad = cell, gap, pad
        self.cell_height = cell if cell_height is None else cell_height

        self.digits: int | None = None if fmt is not None else digits
        if not show_numbers:
            self.fmt = None
        else:
            self.fmt = fmt or self._fitting_format(digits, adaptive)
        self.cells = VGroup()
        self.numbers = VGroup()
        for i in range(rows):
            for j in range(cols):
                sq = Rectangle(
                    width=cell - gap, height=self.cell_height - gap, stroke_color=outline, stroke_width=1.5
                )
                sq.set_fill(*self._fill(values[i, j]))
                sq.move_to(np.array([j * cell, -i * self.cell_height, 0.0]))
                self.cells.add(sq)
                if self.fmt is not None:
                    self.numbers.add(self._number(values[i, j], i, j).move_to(sq))
        self.add(self.cells, self.numbers)
        self.row_labels = VGroup(*row_mobs)
        self.col_labels = VGroup(*col_mobs)
        for i, m in enumerate(row_mobs):
            m.next_to(self.cell_at(i, 0), LEFT, buff=theme.BUFF_SMALL)
        for j, m in enumerate(col_mobs):
            if m.width > cell - _PAD:  # long column labels: shrink to stay over their own column
                m.scale_to_fit_width(cell - _PAD)
            if col_labels_below:
                m.next_to(self.cell_at(rows - 1, j), DOWN, buff=theme.BUFF_SMALL)
            else:
                m.next_to(self.cell_at(0, j), UP, buff=theme.BUFF_SMALL)
        self.add(self.row_labels, self.col_labels)

    # --- building ------------------------------------------------------------------------------------
    @staticmethod
    def _label(s: str | Mobject, color) -> Mobject:
        return text(s, size=theme.SMALL, color=color) if isinstance(s, str) else s

    def _fill(self, v: float) -> tuple:
        if v == -np.inf:  # a masked score: never attended, one colour in every scene
            return theme.MASK, 1.0
        if self.scale_kind == "diverging":
            return theme.diverging(v, self.vmax), 1.0
        if self.scale_kind == "sequential":
            return theme.sequential(v, self.vmin, self.vmax, self.color), 1.0
        return self.color, 0.14

    def _ink(self, v: float):
        fill, opacity = self._fill(v)
        return theme.ink_on(fill) if opacity == 1.0 else theme.FG

    def _fitting_format(self, digits: int, adaptive: bool) -> Callable[[float], str] | None:
        """The formatter with the most decimals (≤ ``digits``) whose widest number fits a cell."""
        room = self.cell - self.gap - 2 * self.pad
        for d in range(digits, -1, -1) if adaptive else (digits,):
            widest = max((numbers.fixed(v, d) for v in self.fit_values.flat), key=len)
            if not adaptive or text(widest, size=self.font_size).width <= room:
                self.digits = d
                return lambda v, d=d: numbers.fixed(v, d)
        self.digits = None
        return None  # not even whole numbers fit: colours only

    def _number(self, v: float, i: int, j: int) -> Mobject:
        num = text(self.fmt(v), size=self.font_size, color=self._ink(v))
        if num.width > self.cell - self.gap - 2 * self.pad:  # only with adaptive=False or a custom fmt
            num.scale_to_fit_width(self.cell - self.gap - 2 * self.pad)
        return tag(num, self.key, float(v), (i, j))

    # --- access and highlights --------------------------------------------------------------------------
    def cell_at(self, i: int, j: int) -> Rectangle:
        """The square (or rectangle) of cell (i, j)."""
        return self.cells[i * self.shape[1] + j]

    def column(self, j: int) -> VGroup:
        """Column ``j``'s cells and numbers, to reveal a table step by step (``fade_in(hm.column(t))``):
        the step's column comes in while the component stays one group for a later ``FadeOut``."""
        rows = range(self.shape[0])
        nums = [self.number_at(i, j) for i in rows] if len(self.numbers) else []
        return VGroup(*[self.cell_at(i, j) for i in rows], *nums)

    def number_at(self, i: int, j: int) -> Mobject:
        """The number drawn in cell (i, j)."""
        if not len(self.numbers):
            raise ValueError(f"heatmap {self.key!r} draws no numbers")
        return self.numbers[i * self.shape[1] + j]

    def highlight_cell(self, i: int, j: int, color=theme.ACCENT) -> SurroundingRectangle:
        """A frame around cell (i, j) (not added: ``self.play(Create(hm.highlight_cell(i, j)))``)."""
        return SurroundingRectangle(self.cell_at(i, j), color=color, buff=0.03, stroke_width=4)

    def highlight_row(self, i: int, color=theme.ACCENT) -> Rectangle:
        """A frame around row ``i``."""
        return SurroundingRectangle(
            VGroup(self.cell_at(i, 0), self.cell_at(i, self.shape[1] - 1)),
            color=color,
            buff=0.03,
            stroke_width=4,
        )

    def highlight_col(self, j: int, color=theme.ACCENT) -> Rectangle:
        """A frame around column ``j``."""
        return SurroundingRectangle(
            VGroup(self.cell_at(0, j), self.cell_at(self.shape[0] - 1, j)),
            color=color,
            buff=0.03,
            stroke_width=4,
        )

    def change(self, i: int, j: int, value: float, **kwargs) -> AnimationGroup:
        """An animation moving cell (i, j) to ``value``: its number turns into the new one (in place, so the
        heatmap stays one group) and its colour follows. The reading is updated when the animation ends."""
        old = self.number_at(i, j) if self.fmt is not None else None
        self.values[i, j] = value
        sq = self.cell_at(i, j)
        fill, opacity = self._fill(value)
        anims = [sq.animate.set_fill(fill, opacity)]
        if old is not None:
            anims.append(_Retext(old, self._number(value, i, j).move_to(sq)))
        return AnimationGroup(*anims, group=self, **kwargs)  # group=self: no stray Group left in the scene


def column_heatmap(values: np.ndarray | Sequence, *, key: str, **kwargs) -> Heatmap:
    """A vector as one column of cells (index ``(i, 0)``); ``Heatmap(values, ...)`` gives one row."""
    return Heatmap(np.asarray(values, dtype=float)[:, None], key=key, **kwargs)
