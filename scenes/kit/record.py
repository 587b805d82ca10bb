"""What is drawn is recorded: a number on screen carries a *reading* (key, index, value) on its mobject.

A kit component that writes a number tags the ``Text`` it drew; scene code that writes a number itself
uses :func:`number` (format, draw and tag in one call) or :func:`tag` (tag a mobject it built). At each
pause of a test run ``scenes.engine.probe`` walks the visible mobjects and collects the readings together with
the string each tagged mobject *actually* shows (``Text.text`` / ``MathTex.tex_string``, read at the pause,
not remembered from when it was tagged), so a test compares what the viewer reads with a reference:

    scene, _ = fast_run("mamba.two_views", None, "en")
    drawn = scene.pictures[2].array("y_conv")                 # strings the viewer reads
    assert list(drawn) == [fmt(v, 2) for v in torch_reference]

Keys are semantic names (``"h"``, ``"kernel"``, ``"total_params"``); the index says where in that
quantity the number is: ``(i, j)`` for a matrix cell, ``(t,)`` for a sequence, ``()`` for a scalar, or
names (``("in_proj",)``). Tag the mobject that shows the string (a ``Text`` or ``MathTex``); a tagged
group is read as the strings of its text parts joined by a space.

Transforms: ``ReplacementTransform(a, b)`` puts ``b`` (and its tag) on screen. ``Transform(a, b)`` keeps
``a`` with ``a``'s tag and ``a.text`` while it *looks* like ``b`` — use the replacing forms (or the kit's
``Heatmap.change``), which is also what Manim recommends for text.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

from manim import Mobject

from scenes.kit import numbers, theme
from scenes.kit.text import text as make_text

ATTR = "kit_reading"  # the attribute a tagged mobject carries


@dataclass(frozen=True)
class Tag:
    """What a tagged mobject stands for. ``locate``, when given, derives the value from the drawn geometry
    at probe time (a plotted dot reads its position back through the axes), so the value cannot drift
    from the picture."""

    key: str
    index: tuple[Hashable, ...]
    value: Any
    locate: Callable[[Mobject], Any] | None = None


def tag(mob: Mobject, key: str, value: Any, index: tuple[Hashable, ...] | Hashable = ()) -> Mobject:
    """Record on ``mob`` that it shows ``value`` as element ``index`` of the quantity ``key``; return ``mob``.

    ``index`` may be a tuple or a single int/str (wrapped in a tuple).
    """
    if not isinstance(index, tuple):
        index = (index,)
    setattr(mob, ATTR, Tag(key, index, value))
    return mob


def tag_located(
    mob: Mobject, key: str, locate: Callable[[Mobject], Any], index: tuple[Hashable, ...] | Hashable = ()
) -> Mobject:
    """Like :func:`tag` for a mark whose value is where it is drawn: ``locate(mob)`` runs at each pause."""
    if not isinstance(index, tuple):
        index = (index,)
    setattr(mob, ATTR, Tag(key, index, None, locate))
    return mob


def tag_of(mob: Mobject) -> Tag | None:
    """The tag a mobject carries, if any."""
    return getattr(mob, ATTR, None)


def number(
    value: float,
    digits: int = 2,
    key: str | None = None,
    index: tuple[Hashable, ...] | Hashable = (),
    *,
    size: int = theme.NUMBER,
    color=theme.FG,
    fmt: Callable[[float], str] | None = None,
) -> Mobject:
    """Format ``value`` (``numbers.fixed(value, digits)`` unless ``fmt`` is given), draw it as a theme
    ``Text`` and, with a ``key``, tag it. ``number(y[-1], 2, key="y_last")``;
    ``number(n, key="total_params", fmt=numbers.integer)``."""
    s = fmt(value) if fmt is not None else numbers.fixed(value, digits)
    mob = make_text(s, size=size, color=color)
    return tag(mob, key, value, index) if key is not None else mob
