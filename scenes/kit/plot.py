"""One plot widget for every lecture: linear or log axes, labelled series, legend, markers, readouts.

Built on Manim's ``Axes`` (log axes with ``LogBase`` scaling); tick labels are theme ``Text`` (so ``zh``
and ``en`` look alike, unlike Manim's TeX numbers). Coordinates are always *values*: on a log axis
``plot.c2p(4096, 1e9)`` places the point, the exponents stay inside.

    p = Plot((256, 131072), (1e8, 1e13), x_scale="log", x_base=2, y_scale="log",
             x_format=numbers.length, y_format=lambda v: numbers.si(v, 0), x_label="T", y_label="FLOPs")
    s = p.series(lengths, flops, theme.ATTN, key="attn_flops")      # dots record (x, y) read back
    self.play(Create(p)); self.play(s.grow())
    p.marker(crossover, label="T = 2,048"); p.readout(lengths[-1], flops[-1], numbers.si, key="last")

Plotted dots and markers are tagged with readings whose value is *read back from where they are drawn*
(``plot.p2c``), so a test catches a point plotted at the wrong place, not only a wrong label.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Sequence
from typing import Literal

import numpy as np
from manim import (
    DOWN,
    LEFT,
    RIGHT,
    UP,
    UR,
    Axes,
    DashedLine,
    Dot,
    Line,
    LogBase,
    Mobject,
    VGroup,
    VMobject,
)

from scenes.kit import numbers, theme
from scenes.kit.anim import Reveal
from scenes.kit.record import tag, tag_located
from scenes.kit.text import text

AxisScale = Literal["linear", "log"]


def _default_ticks(lo: float, hi: float, step: float | None, scale: AxisScale, base: float) -> list[float]:
    if scale == "log":
        e0, e1 = math.ceil(math.log(lo, base) - 1e-9), math.floor(math.log(hi, base) + 1e-9)
        if step:  # a label at every tick mark, counted from lo (log_bounds aligns lo to the step)
            return [base**e for e in range(e0, e1 + 1, int(step))]
        every = 1 if e1 - e0 <= 7 else 2
        return [base**e for e in range(e1, e0 - 1, -every)][::-1]  # counted from the top: hi is labelled
    step = step or (hi - lo) / 4
    return [float(v) for v in np.arange(lo, hi + step * 1e-6, step)]


def _default_format(ticks: Sequence[float], scale: AxisScale) -> Callable[[float], str]:
    if scale == "log":
        return lambda v: numbers.si(v, 0)
    whole = all(abs(v - round(v)) < 1e-9 for v in ticks)
    return (lambda v: numbers.fixed(v, 0)) if whole else (lambda v: numbers.fixed(v, 1))


class Series(VGroup):
    """A plotted line with optional dots and end label; ``grow()`` draws it in."""

    def __init__(self, line: VMobject, dots: VGroup, label: Mobject | None) -> None:
        super().__init__(line, dots)
        self.line, self.dots, self.label = line, dots, label
        if label is not None:
            self.add(label)

    def grow(self, run_time: float = 1.4) -> Reveal:
        """Draw the line from its start while the dots and the label fade in (one animation)."""
        return Reveal(self, draw=[self.line], run_time=run_time)


class Plot(VGroup):
    """Axes with labelled ticks, an x label under the right end and a y label (title) above the y axis.

    Parameters (lengths in scene units; ranges in data values):
        x_range, y_range: ``(lo, hi)`` or ``(lo, hi, step)``; on a log axis lo and hi must be > 0 and the
            tick marks fall on whole powers of the base, every ``step``-th power when a step is given
            (``(2**20, 2**45, 5)``: a tick at every power of 32). :func:`log_bounds` finds lo and hi.
        width, height: the axes' size.
        x_scale, y_scale: "linear" or "log"; x_base, y_base: the log base (2 for lengths, 10 for counts).
        x_ticks, y_ticks: the values that get a label (default: every step; on a log axis every power,
            every other one when there are more than 7, or every tick mark when a step is given);
            ``[]`` for none.
        x_format, y_format: ``value -> str`` for tick labels (default: ``numbers.fixed`` / ``numbers.si``).
        x_label, y_label: axis captions (the y label sits above the axis, where it reads as a title).
        size: font size of tick labels and captions.
        label_origin: label the x tick at x = 0 (off by default: it would touch the y labels).
    """

    def __init__(
        self,
        x_range: Sequence[float],
        y_range: Sequence[float],
        *,
        width: float = 6.0,
        height: float = 3.5,
        x_scale: AxisScale = "linear",
        y_scale: AxisScale = "linear",
        x_base: float = 10,
        y_base: float = 10,
        x_ticks: Sequence[float] | None = None,
        y_ticks: Sequence[float] | None = None,
        x_format: Callable[[float], str] | None = None,
        y_format: Callable[[float], str] | None = None,
        x_label: str = "",
        y_label: str = "",
        y_label_color=theme.FG,
        size: int = theme.SMALL,
        label_origin: bool = False,
    ) -> None:
        super().__init__()
        self.x_scale, self.y_scale = x_scale, y_scale
        self.x_base, self.y_base = x_base, y_base
        self.x_lo, self.x_hi = float(x_range[0]), float(x_range[1])
        self.y_lo, self.y_hi = float(y_range[0]), float(y_range[1])
        self.axes = Axes(
            x_range=self._manim_range(x_range, x_scale, x_base),
            y_range=self._manim_range(y_range, y_scale, y_base),
            x_length=width,
            y_length=height,
            tips=False,
            axis_config={"color": theme.MUTED, "stroke_width": 2, "include_ticks": True},
            x_axis_config={"scaling": LogBase(x_base, custom_labels=False)} if x_scale == "log" else {},
            y_axis_config={"scaling": LogBase(y_base, custom_labels=False)} if y_scale == "log" else {},
        )
        self.add(self.axes)
        xs = (
            list(x_ticks)
            if x_ticks is not None
            else _default_ticks(
                self.x_lo, self.x_hi, x_range[2] if len(x_range) > 2 else None, x_scale, x_base
            )
        )
        ys = (
            list(y_ticks)
            if y_ticks is not None
            else _default_ticks(
                self.y_lo, self.y_hi, y_range[2] if len(y_range) > 2 else None, y_scale, y_base
            )
        )
        if not label_origin and x_scale == "linear":
            xs = [v for v in xs if abs(v) > 1e-12 or self.y_lo != 0]
        xf, yf = x_format or _default_format(xs, x_scale), y_format or _default_format(ys, y_scale)
        self.x_tick_labels = VGroup(
            *[
                text(xf(v), size=size, color=theme.MUTED).next_to(self.c2p(v, self.y_lo), DOWN, buff=0.12)
                for v in xs
            ]
        )
        self.y_tick_labels = VGroup(
            *[
                text(yf(v), size=size, color=theme.MUTED).next_to(self.c2p(self.x_lo, v), LEFT, buff=0.12)
                for v in ys
            ]
        )
        self.add(self.x_tick_labels, self.y_tick_labels)
        self.x_caption = self.y_caption = None
        if x_label:
            self.x_caption = text(x_label, size=size, color=theme.MUTED)
            below = self.x_tick_labels if len(self.x_tick_labels) else self.axes.x_axis
            self.x_caption.next_to(below, DOWN, buff=theme.BUFF_SMALL).align_to(self.axes.x_axis, RIGHT)
            self.add(self.x_caption)
        if y_label:
            self.y_caption = text(
                y_label, size=theme.LABEL if size >= theme.SMALL else size, color=y_label_color
            )
            self.y_caption.next_to(self.axes.y_axis, UP, buff=0.2).align_to(self.axes.y_axis, LEFT)
            self.add(self.y_caption)

    @staticmethod
    def _manim_range(r: Sequence[float], scale: AxisScale, base: float) -> list[float]:
        if scale == "log":
            lo, hi = math.log(r[0], base), math.log(r[1], base)
            return [lo, hi, float(r[2]) if len(r) > 2 else 1]
        lo, hi = float(r[0]), float(r[1])
        return [lo, hi, float(r[2]) if len(r) > 2 else (hi - lo) / 4]

    # --- coordinates --------------------------------------------------------------------------------
    def c2p(self, x: float, y: float) -> np.ndarray:
        """The scene point of data (x, y)."""
        return self.axes.c2p(x, y)

    def p2c(self, point: np.ndarray) -> tuple[float, float]:
        """The data (x, y) at a scene point (the inverse of :meth:`c2p`, log scaling included).

        Computed here rather than by ``Axes.p2c``: Manim's ``NumberLine.point_to_number`` interpolates
        linearly between the *scaled* ends, which is wrong on a log axis."""
        return self._along(self.axes.x_axis, point), self._along(self.axes.y_axis, point)

    @staticmethod
    def _along(axis, point: np.ndarray) -> float:
        start, end = axis.get_start_and_end()
        u = end - start
        t = float(np.dot(np.asarray(point) - start, u) / np.dot(u, u))
        lo, hi = axis.x_range[0], axis.x_range[1]  # unscaled: exponents on a log axis
        return float(axis.scaling.function(lo + t * (hi - lo)))

    # --- content -----------------------------------------------------------------------------------------
    def series(
        self,
        xs: Sequence[float],
        ys: Sequence[float],
        color,
        *,
        key: str | None = None,
        index: tuple[Hashable, ...] = (),
        label: str | None = None,
        dots: bool = True,
        width: float = 4,
        dot_radius: float = 0.06,
    ) -> Series:
        """A polyline through (xs, ys) with a dot at each point (``dots=False``: the line only) and an
        optional ``label`` at its right end. With a ``key``, each dot (or, without dots, the line's
        vertices as one array) is tagged with the (x, y) read back from its drawn position. ``index`` names
        the series inside its key (state ``(i,)`` of several under one key): dots get ``(*index, k)``, the
        line ``index``."""
        pts = [self.c2p(x, y) for x, y in zip(xs, ys, strict=True)]
        line = VMobject(stroke_color=color, stroke_width=width)
        line.set_points_as_corners(pts)
        marks = VGroup()
        if dots:
            for k, p in enumerate(pts):
                d = Dot(p, radius=dot_radius, color=color)
                if key is not None:
                    tag_located(d, key, lambda m: self.p2c(m.get_center()), (*index, k))
                marks.add(d)
        elif key is not None:
            tag_located(line, key, lambda m: np.array([self.p2c(p) for p in self._vertices(m)]), index)
        lab = None
        if label is not None:
            lab = text(label, size=theme.SMALL, color=color).next_to(pts[-1], RIGHT, buff=theme.BUFF_SMALL)
        return Series(line, marks, lab)

    @staticmethod
    def _vertices(line: VMobject) -> list[np.ndarray]:
        """The corners of a polyline made by ``set_points_as_corners``."""
        return [*line.get_start_anchors(), line.get_end()]

    def scatter(
        self,
        xs: Sequence[float],
        ys: Sequence[float],
        color,
        *,
        key: str | None = None,
        radius: float = 0.06,
    ) -> VGroup:
        """A dot at each (x, y), no line (marks on a curve drawn with ``dots=False``, a point of interest).
        With a ``key`` each dot is tagged, index ``(k,)``, with the (x, y) read back from where it is drawn.
        """
        marks = VGroup()
        for k, (x, y) in enumerate(zip(xs, ys, strict=True)):
            d = Dot(self.c2p(x, y), radius=radius, color=color)
            if key is not None:
                tag_located(d, key, lambda m: self.p2c(m.get_center()), (k,))
            marks.add(d)
        return marks

    def stems(
        self,
        xs: Sequence[float],
        ys: Sequence[float],
        color,
        *,
        key: str | None = None,
        width: float = 10,
    ) -> VGroup:
        """A stem plot of a discrete signal: a vertical line from y = 0 up (or down) to y at each x (a zero
        draws nothing). With a ``key`` each stem is tagged, index ``(k,)`` of its (x, y), with the (x, y)
        of its far end read back from where it is drawn."""
        stems = VGroup()
        for k, (x, y) in enumerate(zip(xs, ys, strict=True)):
            if y == 0:
                continue
            s = Line(self.c2p(x, 0), self.c2p(x, y), color=color, stroke_width=width)
            if key is not None:
                tag_located(s, key, lambda m: self.p2c(m.get_end()), (k,))
            stems.add(s)
        return stems

    def segments(self, segs: np.ndarray, color, *, width: float = 1.5, opacity: float = 1.0) -> VMobject:
        """Disjoint line segments ``segs`` (n, 2, 2) in data coordinates — a contour line from
        ``lib.core.contours`` — drawn as ONE path of n pieces (one mobject, however many segments). Linear
        axes only."""
        segs = np.asarray(segs, dtype=np.float64).reshape(-1, 2, 2)  # (n, 2, 2)
        o = self.c2p(0.0, 0.0)
        ux, uy = self.c2p(1.0, 0.0) - o, self.c2p(0.0, 1.0) - o  # a data unit along x and along y
        ends = o + segs[..., 0:1] * ux + segs[..., 1:2] * uy  # (n, 2, 3)
        t = np.array([0.0, 1 / 3, 2 / 3, 1.0])[None, :, None]  # a straight cubic Bézier: 4 points on the line
        pts = ends[:, :1] + t * (ends[:, 1:] - ends[:, :1])  # (n, 4, 3)
        path = VMobject(stroke_color=color, stroke_width=width, stroke_opacity=opacity)
        path.set_points(pts.reshape(-1, 3))  # pieces that do not meet become separate sub-paths
        return path

    def marker(
        self, x: float, *, color=theme.ACCENT, label: str | None = None, key: str | None = None
    ) -> VGroup:
        """A dashed vertical line at ``x`` across the y range (with an optional label above it). With a
        ``key`` the line is tagged with the x read back from where it is drawn."""
        line = DashedLine(
            self.c2p(x, self.y_lo), self.c2p(x, self.y_hi), color=color, stroke_width=2, dash_length=0.1
        )
        if key is not None:
            tag_located(line, key, lambda m: self.p2c(m.get_start())[0])
        group = VGroup(line)
        if label is not None:
            lab = text(label, size=theme.SMALL, color=color)
            group.add(lab.next_to(line.get_top(), RIGHT, buff=theme.BUFF_TIGHT).align_to(line, UP))
        return group

    def readout(
        self,
        x: float,
        y: float,
        fmt: Callable[[float], str] = lambda v: numbers.fixed(v, 2),
        *,
        key: str | None = None,
        color=theme.ACCENT,
        direction: np.ndarray = UR,
        size: int = theme.SMALL,
    ) -> VGroup:
        """A dot at (x, y) and the value ``fmt(y)`` written beside it (tagged ``key`` with value y)."""
        dot = Dot(self.c2p(x, y), radius=0.07, color=color)
        label = text(fmt(y), size=size, color=color).next_to(dot, direction, buff=theme.BUFF_TIGHT)
        if key is not None:
            tag(label, key, y)
        return VGroup(dot, label)


def log_bounds(values: Sequence[float], base: float = 10, every: int = 1) -> tuple[float, float]:
    """The powers of ``base`` just below and just above ``values`` (at least one power apart), their
    exponents rounded outwards to multiples of ``every``: the range of a log axis whose ticks fall every
    ``every`` powers. ``log_bounds([3e9, 7e13])`` → ``(1e9, 1e14)``; ``log_bounds([3e9, 7e13], every=2)`` →
    ``(1e8, 1e14)``."""
    lo = math.floor(math.log(min(values), base) + 1e-9)
    hi = max(math.ceil(math.log(max(values), base) - 1e-9), lo + 1)
    lo, hi = lo - lo % every, hi + (-hi) % every
    return float(base) ** lo, float(base) ** hi


def nice_step(span: float, count: int = 4) -> float:
    """The smallest 1, 2, 2.5 or 5 × 10^k step that cuts ``span`` into at most ``count`` intervals (a
    linear axis's tick step; ``count=1`` gives the round number at or above ``span``).
    ``nice_step(8, 4)`` → 2.0; ``nice_step(97.5, 1)`` → 100.0."""
    raw = span / count
    mag = 10.0 ** math.floor(math.log10(raw))
    return next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw * (1 - 1e-12))


def nice_ticks(hi: float, count: int = 4, unit: float = 1.0, *, cover: bool = True) -> list[float]:
    """Ticks of a linear axis from 0: the multiples of a :func:`nice_step` counted in ``unit`` (1024 for
    lengths in K, bytes per GB for sizes), from one step up to the first tick at or above ``hi``
    (``cover=False``: up to the last tick at or below ``hi``, for an axis that ends at ``hi``).
    ``nice_ticks(8192, 4, 1024)`` → [2048.0, 4096.0, 6144.0, 8192.0]; the last tick is the axis's top.
    ``nice_ticks(500, 4, cover=False)`` → [200.0, 400.0]."""
    step = nice_step(hi / unit, count)
    n = math.ceil(hi / unit / step - 1e-9) if cover else math.floor(hi / unit / step + 1e-9)
    return [k * step * unit for k in range(1, max(n, 1) + 1)]


def nice_range(values: Sequence[float] | np.ndarray, count: int = 6) -> tuple[float, float, float]:
    """``(lo, hi, step)`` of a linear axis showing ``values`` and 0: a :func:`nice_step` cutting the span
    into at most ``count`` steps, lo and hi rounded outwards to multiples of it (a signal's y axis).
    ``nice_range([-1.7, 1.2])`` → ``(-2.0, 1.5, 0.5)``; ``nice_range([3.1], 4)`` → ``(0.0, 4.0, 1.0)``."""
    v = np.asarray(values, dtype=float)  # any shape: every value counts
    lo, hi = min(0.0, float(v.min())), max(0.0, float(v.max()))
    step = nice_step(max(hi - lo, 1e-3), count)
    return math.floor(lo / step + 1e-9) * step, math.ceil(hi / step - 1e-9) * step, step


def legend(
    items: Sequence[tuple[str, object]], *, size: int = theme.SMALL, direction: np.ndarray = DOWN
) -> VGroup:
    """A legend: a short line in each colour and its label, stacked (``direction=RIGHT``: in a row)."""
    rows = VGroup()
    for label, color in items:
        line = Line(LEFT * 0.22, RIGHT * 0.22, color=color, stroke_width=5)
        rows.add(VGroup(line, text(label, size=size, color=color)).arrange(RIGHT, buff=theme.BUFF_SMALL))
    if np.allclose(direction, RIGHT):
        return rows.arrange(RIGHT, buff=theme.BUFF_LARGE)
    return rows.arrange(DOWN, aligned_edge=LEFT, buff=theme.BUFF_SMALL)
