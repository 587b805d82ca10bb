"""Reusable drawing pieces: heatmaps with their numbers, token strips, legends, plots.

Widgets only draw values they are given; they compute nothing beyond layout and colour.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from manim import (
    DOWN,
    LEFT,
    RIGHT,
    UP,
    Axes,
    Dot,
    Line,
    RoundedRectangle,
    Square,
    VGroup,
    VMobject,
)

from scenes.base import LectureScene
from scenes.kit import theme
from scenes.kit.anim import FadeInPlace, FadeOutPlace, fade_in, fade_out  # noqa: F401  (moved to the kit)


class Heatmap(VGroup):
    """A matrix as coloured cells with each value written in its cell (diverging colour scale)."""

    def __init__(
        self,
        values: np.ndarray,
        vmax: float | None = None,
        cell: float = 0.62,
        digits: int = 2,
        font_size: int = theme.NUMBER,
        show_numbers: bool = True,
    ) -> None:
        super().__init__()
        values = np.atleast_2d(np.asarray(values, dtype=float))
        self.values = values
        self.vmax = float(np.max(np.abs(values))) if vmax is None else vmax
        rows, cols = values.shape
        self.cells = VGroup()
        self.numbers = VGroup()
        for i in range(rows):
            for j in range(cols):
                sq = Square(side_length=cell, stroke_color=theme.GRID, stroke_width=1.5)
                sq.set_fill(theme.diverging(values[i, j], self.vmax), opacity=1.0)
                sq.move_to(np.array([j * cell, -i * cell, 0.0]))
                self.cells.add(sq)
                if show_numbers:
                    num = LectureScene.plain(theme.fmt(values[i, j], digits), size=font_size)
                    if num.width > cell * 0.92:
                        num.scale_to_fit_width(cell * 0.92)
                    num.move_to(sq)
                    self.numbers.add(num)
        self.add(self.cells, self.numbers)
        self.shape = (rows, cols)
        self.cell = cell

    def cell_at(self, i: int, j: int) -> Square:
        return self.cells[i * self.shape[1] + j]


def symbol_label(word: str, tex: str, color, size: int = theme.SMALL) -> VGroup:
    """A caption made of a word in the theme font and a symbol in TeX, e.g. "decay" + Ā_t."""
    from manim import MathTex

    parts = VGroup(
        LectureScene.plain(word, size=size, color=color), MathTex(tex, font_size=size * 1.45, color=color)
    )
    return parts.arrange(RIGHT, buff=0.12)


def token_strip(
    tokens: Sequence[str], color=theme.INPUT, size: int = theme.LABEL, max_width: float = 12.5
) -> VGroup:
    """The input tokens as rounded chips in a row (scaled down to ``max_width`` if needed)."""
    chips = VGroup()
    for tok in tokens:
        label = LectureScene.plain(tok, size=size, color=theme.FG)
        height = 0.62 * size / theme.LABEL  # one height for every chip, whatever the glyphs
        box = RoundedRectangle(
            corner_radius=0.1,
            width=max(label.width + 0.3, 0.6),
            height=height,
            stroke_color=color,
            stroke_width=2,
        ).set_fill(color, opacity=0.12)
        label.move_to(box)
        chips.add(VGroup(box, label))
    chips.arrange(RIGHT, buff=0.15)
    if chips.width > max_width:
        chips.scale_to_fit_width(max_width)
    return chips


def legend(items: Sequence[tuple[str, object]], size: int = theme.SMALL) -> VGroup:
    """A compact legend: a short line in each colour followed by its label."""
    rows = VGroup()
    for label, color in items:
        line = Line(LEFT * 0.22, RIGHT * 0.22, color=color, stroke_width=5)
        rows.add(VGroup(line, LectureScene.plain(label, size=size, color=color)).arrange(RIGHT, buff=0.12))
    return rows.arrange(DOWN, aligned_edge=LEFT, buff=0.12)


def plot_axes(
    x_range: Sequence[float],
    y_range: Sequence[float],
    width: float,
    height: float,
    x_label: str = "",
    y_label: str = "",
    tick_size: int = theme.SMALL,
) -> VGroup:
    """Axes with numbered ticks (numbers drawn with the theme font, so `zh` and `en` look alike)."""
    axes = Axes(
        x_range=list(x_range),
        y_range=list(y_range),
        x_length=width,
        y_length=height,
        tips=False,
        axis_config={"color": theme.MUTED, "stroke_width": 2, "include_ticks": True},
    )
    group = VGroup(axes)
    for x in np.arange(x_range[0], x_range[1] + 1e-9, x_range[2]):
        if abs(x - x_range[0]) < 1e-12 and x_range[0] == 0:
            continue
        lab = LectureScene.plain(_tick(x), size=tick_size, color=theme.MUTED)
        lab.next_to(axes.c2p(x, y_range[0]), DOWN, buff=0.1)
        group.add(lab)
    for y in np.arange(y_range[0], y_range[1] + 1e-9, y_range[2]):
        lab = LectureScene.plain(_tick(y), size=tick_size, color=theme.MUTED)
        lab.next_to(axes.c2p(x_range[0], y), LEFT, buff=0.1)
        group.add(lab)
    if x_label:
        xl = LectureScene.plain(x_label, size=tick_size, color=theme.MUTED)
        xl.next_to(axes.c2p(x_range[1], y_range[0]), DOWN, buff=0.45).align_to(axes.c2p(x_range[1], 0), RIGHT)
        group.add(xl)
    if y_label:
        yl = LectureScene.plain(y_label, size=tick_size, color=theme.MUTED)
        yl.next_to(axes.y_axis.get_top(), UP, buff=0.12)
        group.add(yl)
    group.axes = axes
    return group


def _tick(v: float) -> str:
    return theme.fmt(v, 0) if abs(v - round(v)) < 1e-9 else theme.fmt(v, 1)


def polyline(axes: Axes, xs: np.ndarray, ys: np.ndarray, color, width: float = 3) -> VMobject:
    pts = [axes.c2p(x, y) for x, y in zip(xs, ys, strict=True)]
    line = VMobject(stroke_color=color, stroke_width=width)
    line.set_points_as_corners(pts)
    return line


def dots(axes: Axes, xs: np.ndarray, ys: np.ndarray, color, radius: float = 0.05) -> VGroup:
    return VGroup(*[Dot(axes.c2p(x, y), radius=radius, color=color) for x, y in zip(xs, ys, strict=True)])
