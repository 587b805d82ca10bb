"""Shared drawing helpers of the convolution and pooling scenes: whole-number grids and sliding windows."""

from __future__ import annotations

import numpy as np
from manim import Rectangle

from scenes.kit import numbers, theme
from scenes.kit.matrix import PAD_TIGHT, Heatmap


def whole(v: float) -> str:
    """A whole number as the grids write it: "−2", "12"."""
    return numbers.integer(v)


def int_grid(values: np.ndarray, key: str, color, cell: float, fmt=whole) -> Heatmap:
    """Numbers in plain cells of the quantity's colour (whole numbers unless ``fmt`` says otherwise)."""
    return Heatmap(
        values, key=key, scale="plain", color=color, outline=color, cell=cell, fmt=fmt, pad=PAD_TIGHT
    )


def window_box(hm: Heatmap, r0: int, c0: int, rows: int, cols: int | None = None) -> Rectangle:
    """A "look here" frame around the ``rows`` × ``cols`` cells of ``hm`` whose top-left cell is (r0, c0)."""
    cols = rows if cols is None else cols
    first, last = hm.cell_at(r0, c0), hm.cell_at(r0 + rows - 1, c0 + cols - 1)
    box = Rectangle(width=cols * hm.cell, height=rows * hm.cell_height, color=theme.ACCENT, stroke_width=5)
    return box.move_to((first.get_center() + last.get_center()) / 2)
