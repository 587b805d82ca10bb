"""Where things may go: the safe area of the frame, shrink-to-fit, and simple grids.

Scenes type no frame coordinates: they place against ``SAFE`` (the frame minus ``theme.EDGE`` on every
side, from Manim's configured frame size) and let :func:`fit_width` shrink what is too wide.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from manim import DOWN, LEFT, ORIGIN, RIGHT, UP, Mobject, VGroup, config

from scenes.kit import theme


@dataclass(frozen=True)
class SafeArea:
    """The rectangle inside the frame margins, in scene units (origin at the frame centre)."""

    left: float
    right: float
    bottom: float
    top: float

    @property
    def width(self) -> float:
        return self.right - self.left

    @property
    def height(self) -> float:
        return self.top - self.bottom

    def point(self, x: float = 0.0, y: float = 0.0) -> np.ndarray:
        """A point given as fractions of the safe area: (−1, −1) bottom left, (1, 1) top right."""
        return np.array(
            [
                (self.left + self.right) / 2 + x * self.width / 2,
                (self.bottom + self.top) / 2 + y * self.height / 2,
                0.0,
            ]
        )


def safe_area(margin: float = theme.EDGE) -> SafeArea:
    """The frame (``config.frame_width`` × ``config.frame_height``) less ``margin`` on every side."""
    w, h = config.frame_width / 2, config.frame_height / 2
    return SafeArea(-w + margin, w - margin, -h + margin, h - margin)


SAFE = safe_area()  # 16:9 frame: x in [−6.76, 6.76], y in [−3.65, 3.65] with EDGE = 0.35


def fit_width(mob: Mobject, width: float | None = None) -> Mobject:
    """Shrink ``mob`` (keeping its aspect and centre) to at most ``width`` (default: the safe width);
    never enlarge. Returns ``mob``."""
    limit = SAFE.width if width is None else width
    if mob.width > limit:
        mob.scale_to_fit_width(limit)
    return mob


def fit(mob: Mobject, width: float | None = None, height: float | None = None) -> Mobject:
    """Shrink ``mob`` to fit inside ``width`` × ``height`` (defaults: the safe area); never enlarge."""
    w = SAFE.width if width is None else width
    h = SAFE.height if height is None else height
    k = min(1.0, w / mob.width if mob.width else 1.0, h / mob.height if mob.height else 1.0)
    if k < 1.0:
        mob.scale(k)
    return mob


def grid(
    mobs: Sequence[Mobject],
    cols: int,
    buff: float | tuple[float, float] = theme.BUFF,
    align: str = "center",
) -> VGroup:
    """Place ``mobs`` row by row in ``cols`` columns (column widths and row heights from the largest
    member); ``align`` is "left", "center" or "right" inside each cell. Returns the group (centred at the
    origin; move it as one)."""
    group = VGroup(*mobs)
    bx, by = (buff, buff) if isinstance(buff, int | float) else buff
    aligned = {"left": LEFT, "right": RIGHT, "center": None}[align]
    group.arrange_in_grid(
        cols=cols, buff=(bx, by), cell_alignment=aligned if aligned is not None else np.zeros(3)
    )
    return group


def column(mobs: Sequence[Mobject], buff: float = theme.BUFF_SMALL, align: str = "left") -> VGroup:
    """Stack ``mobs`` top to bottom, aligned on their ``align`` edge ("left", "center", "right")."""
    edge = {"left": LEFT, "right": RIGHT, "center": ORIGIN}[align]  # ORIGIN: arrange's own default
    return VGroup(*mobs).arrange(DOWN, buff=buff, aligned_edge=edge)


def row(mobs: Sequence[Mobject], buff: float = theme.BUFF, align: str = "center") -> VGroup:
    """Put ``mobs`` side by side, aligned on "top", "center" or "bottom"."""
    edge = {"top": UP, "bottom": DOWN, "center": ORIGIN}[align]
    return VGroup(*mobs).arrange(RIGHT, buff=buff, aligned_edge=edge)


def below(mob: Mobject, anchor: Mobject, buff: float = theme.BUFF, align: str = "left") -> Mobject:
    """Put ``mob`` under ``anchor`` with its ``align`` edge ("left", "center", "right") lined up."""
    mob.next_to(anchor, DOWN, buff=buff)
    if align == "left":
        mob.align_to(anchor, LEFT)
    elif align == "right":
        mob.align_to(anchor, RIGHT)
    else:
        mob.set_x(anchor.get_x())
    return mob


def to_safe(mob: Mobject, *edges: np.ndarray) -> Mobject:
    """Move ``mob`` against the safe-area edge(s) named by ``edges`` (``UP``, ``LEFT``, ``DL`` …)."""
    for e in edges:
        if e[0] < 0:
            mob.shift((SAFE.left - mob.get_left()[0]) * RIGHT)
        elif e[0] > 0:
            mob.shift((SAFE.right - mob.get_right()[0]) * RIGHT)
        if e[1] > 0:
            mob.shift((SAFE.top - mob.get_top()[1]) * UP)
        elif e[1] < 0:
            mob.shift((SAFE.bottom - mob.get_bottom()[1]) * UP)
    return mob


def clear_above(label: Mobject, curve: Mobject, gap: float = 0.1) -> Mobject:
    """Shift ``label`` up until it is ``gap`` above every point of ``curve`` beneath it (a value written
    beside a dot that a climbing curve leaves from). The curve's points, not its Bézier interior: meant for
    plotted series, whose corners are the data."""
    pts = curve.get_all_points()
    under = pts[(pts[:, 0] >= label.get_left()[0]) & (pts[:, 0] <= label.get_right()[0])]
    if len(under):
        label.shift(UP * max(0.0, under[:, 1].max() + gap - label.get_bottom()[1]))
    return label


def keep_inside(mob: Mobject) -> Mobject:
    """Shift ``mob`` back inside the safe area if it sticks out (after shrinking it if it cannot fit)."""
    fit(mob)
    dx = max(SAFE.left - mob.get_left()[0], 0.0) + min(SAFE.right - mob.get_right()[0], 0.0)
    dy = max(SAFE.bottom - mob.get_bottom()[1], 0.0) + min(SAFE.top - mob.get_top()[1], 0.0)
    return mob.shift(np.array([dx, dy, 0.0]))
