"""Block diagrams: boxes with a title, a shape and a parameter count; straight and elbow arrows; gates.

    in_proj = Block("in_proj", name="in_proj", shape=("L", 3072), params=1_181_184, color=theme.FG)
    conv = Block("conv1d", name="conv1d", shape=("L", 1536), params=7_680, color=theme.INPUT)
    conv.next_to(in_proj, RIGHT, buff=LINK)                          # room for the arrow between them
    link = connect(in_proj, conv, theme.INPUT)                     # arrow from right edge to left edge
    up = elbow(in_proj.get_right(), conv.get_top(), first="x")     # right, then down into conv's top
    mul = GateNode(r"\\times", color=theme.GATE)

A block's parameter count is tagged ``("params", (name,))`` and its shape ``("shape", (name,))``, so a
test reads ``picture.text("params", "in_proj")``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from manim import DOWN, Arrow, Circle, DashedVMobject, Line, MathTex, Mobject, RoundedRectangle, VGroup

from scenes.kit import numbers, theme
from scenes.kit.record import tag
from scenes.kit.text import text

ARROW_WIDTH = 3  # stroke width of connectors
TIP = 0.16  # arrow tip length (scene units)
LINK = 0.5  # free length between two connected blocks: room for an arrow, its tip and a split (``buff=LINK``)


class Block(VGroup):
    """A rounded box with a title line, then (optionally) a shape line and a parameter-count line.

    Parameters (lengths in scene units):
        title: the layer's name as shown (in ``color``, theme.SMALL); ``None``: a box of lines only.
        name: the reading index of its numbers (default: ``title``).
        shape: a tensor shape, ints and symbols (``("L", 1536)`` → "L × 1,536"), or a ready string.
        params: a parameter count (drawn with thousands separators, theme.MUTED), or a ready string.
        lines: extra lines after those: ``(string, colour)``, or a ready mobject (a tagged number,
            ``record.number(a, 3, key="a", index=(k,), size=theme.SMALL)``, keeps its size and reading).
        color: outline, tint and title colour (what the layer *is*, from the theme).
        width, height: the box; ``height=None`` fits the lines. Text shrinks to the width, never grows.
        dashed: a dashed outline and no fill (a placeholder: padding, an element not computed yet).
        spacing, pad: the space between lines and above / below them (a card of a few large lines, a model
            and its size, wants ``spacing=theme.BUFF_SMALL, pad=theme.BUFF``).
    """

    def __init__(
        self,
        title: str | None,
        *,
        name: str | None = None,
        shape: Sequence[int | str] | str | None = None,
        params: int | str | None = None,
        lines: Sequence[tuple[str, object] | Mobject] = (),
        color=theme.FG,
        width: float = 1.6,
        height: float | None = None,
        corner_radius: float = 0.12,
        dashed: bool = False,
        spacing: float = 0.09,
        pad: float = 0.15,
    ) -> None:
        super().__init__()
        self.name = name or title
        self.title = text(title, size=theme.SMALL, color=color) if title is not None else None
        body = [self.title] if self.title is not None else []
        self.shape_text = self.params_text = None
        if shape is not None:
            s = shape if isinstance(shape, str) else numbers.shape(shape)
            self.shape_text = tag(text(s, size=theme.NUMBER, color=theme.FG), "shape", shape, (self.name,))
            body.append(self.shape_text)
        if params is not None:
            s = params if isinstance(params, str) else numbers.integer(params)
            self.params_text = tag(
                text(s, size=theme.NUMBER, color=theme.MUTED), "params", params, (self.name,)
            )
            body.append(self.params_text)
        body += [m if isinstance(m, Mobject) else text(m[0], size=theme.NUMBER, color=m[1]) for m in lines]
        texts = VGroup(*body).arrange(DOWN, buff=spacing)
        if texts.width > width - 0.16:
            texts.scale_to_fit_width(width - 0.16)
        h = height if height is not None else max(texts.height + 2 * pad, 0.6)
        self.box = RoundedRectangle(
            corner_radius=corner_radius, width=width, height=h, stroke_color=color, stroke_width=3
        ).set_fill(color, opacity=0.1)
        if dashed:
            self.box = DashedVMobject(self.box.set_fill(opacity=0), num_dashes=24)
        texts.move_to(self.box)
        self.texts = texts
        self.add(self.box, texts)


class GateNode(VGroup):
    """A small circle holding an operator (``r"\\times"``, ``r"\\odot"``, ``"+"``): where two paths meet."""

    def __init__(self, symbol: str = r"\times", *, color=theme.GATE, radius: float = 0.24) -> None:
        super().__init__()
        self.circle = Circle(radius=radius, color=color, stroke_width=3)
        self.symbol = MathTex(symbol, color=color, font_size=radius * 140).move_to(self.circle)
        self.add(self.circle, self.symbol)


def arrow(start: np.ndarray, end: np.ndarray, color=theme.MUTED) -> Arrow:
    """A straight arrow between two points, touching both (no gap)."""
    return Arrow(start, end, buff=0, stroke_width=ARROW_WIDTH, tip_length=TIP, color=color)


def connect(a: Mobject, b: Mobject, color=theme.MUTED) -> Arrow:
    """An arrow from ``a``'s right edge to ``b``'s left edge (left-to-right data flow)."""
    return arrow(a.get_right(), b.get_left(), color)


def elbow(start: np.ndarray, end: np.ndarray, color=theme.MUTED, first: str = "x") -> VGroup:
    """A right-angled connector ending in an arrow: along x then y (``first="x"``) or y then x."""
    start, end = np.asarray(start, float), np.asarray(end, float)
    corner = np.array([end[0], start[1], 0.0]) if first == "x" else np.array([start[0], end[1], 0.0])
    return VGroup(
        Line(start, corner, stroke_width=ARROW_WIDTH, color=color),
        Arrow(corner, end, buff=0, stroke_width=ARROW_WIDTH, tip_length=TIP, color=color),
    )


def tree_points(
    leaves: int, *, pitch: float, rise: float, origin: np.ndarray | None = None
) -> dict[tuple[int, int], np.ndarray]:
    """Centres of the nodes of a complete binary tree over ``leaves`` leaves (a power of two), to draw a
    reduction or a scan level by level. Node ``(level, j)`` stands for leaves ``[j·2^level, (j+1)·2^level)``:
    it sits ``level · rise`` above the leaf row, centred over its span; leaves are ``pitch`` apart, leaf 0
    at ``origin`` (default: the scene origin). ``tree_points(4, pitch=1, rise=1)[(1, 1)]`` → (2.5, 1, 0)."""
    if leaves < 1 or leaves & (leaves - 1):
        raise ValueError(f"a complete binary tree needs a power of two leaves, not {leaves}")
    base = np.zeros(3) if origin is None else np.asarray(origin, dtype=float)
    points = {}
    for level in range(leaves.bit_length()):
        span = 1 << level
        for j in range(leaves >> level):
            points[(level, j)] = base + np.array([(j * span + (span - 1) / 2) * pitch, level * rise, 0.0])
    return points
