"""Formulas with numbers in them: each number its own part of one ``MathTex``, tagged with its reading.

A matrix or a solved value typeset by LaTeX (``A = (−0.3 …)``, ``y = −0.84``) keeps the look of a formula,
and the probe can still read every number in it: the formula is compiled once as Manim ``MathTex`` parts,
split at the numbers, and each number's part carries its reading (key, index, value). ``scenes.engine.probe``
reads the part's TeX string, i.e. the digits as typeset (ASCII minus, as ``numbers.fixed(..., tex=True)``).

    a = formula("A = ", *matrix_pieces(A, key="A", digits=1), color=theme.MAT_A)
    y = formula("y = ", Num(y_end, "y_end", digits=2), color=theme.OUTPUT)
    picture.array("A")        # [["-0.3", "1.0"], ["0.2", "-0.3"]]: what LaTeX typesets, entry by entry

Use :class:`scenes.kit.equation.Equation` for formulas whose *symbols* have names; this module is for the
numbers a formula shows.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from manim import MathTex

from scenes.kit import numbers, theme
from scenes.kit.equation import EQUATION_SIZE
from scenes.kit.record import tag


@dataclass(frozen=True)
class Num:
    """A number inside a formula: typeset as ``fmt(value)`` (default ``numbers.fixed(value, digits,
    tex=True, plus=plus)``; ``plus``: a term after another, "+0.6" / "-0.5") and tagged
    ``(key, index, value)``."""

    value: float
    key: str
    index: tuple[Hashable, ...] | Hashable = ()
    digits: int = 2
    fmt: Callable[[float], str] | None = None
    plus: bool = False

    def tex(self) -> str:
        if self.fmt is not None:
            return self.fmt(self.value)
        return numbers.fixed(self.value, self.digits, tex=True, plus=self.plus)


Piece = str | Num


def formula(*pieces: Piece, font_size: float = EQUATION_SIZE, color=theme.FG, **kwargs: Any) -> MathTex:
    """One ``MathTex`` of ``pieces`` (TeX strings and :class:`Num`), each ``Num`` a tagged part.

    Pieces are joined with a space, as ``MathTex(*strings)`` joins them; a piece may open an environment
    that a later piece closes (``r"\\begin{pmatrix}"`` … ``r"\\end{pmatrix}"``). ``kwargs`` go to ``MathTex``.
    """
    kept = [p for p in pieces if (p if isinstance(p, str) else p.tex())]  # MathTex drops empty strings
    strings = [p if isinstance(p, str) else p.tex() for p in kept]
    mob = MathTex(*strings, font_size=font_size, color=color, **kwargs)
    if len(mob.submobjects) != len(strings):
        raise ValueError(
            f"formula {strings!r}: MathTex made {len(mob.submobjects)} parts of {len(strings)} pieces "
            "(a piece starting with '{{' is split by Manim's double-brace notation)"
        )
    for part, p in zip(mob.submobjects, kept, strict=True):
        if isinstance(p, Num):
            tag(part, p.key, p.value, p.index)
    return mob


def matrix_pieces(
    m: np.ndarray | Sequence[Sequence[float]],
    *,
    key: str,
    digits: int = 2,
    fmt: Callable[[float], str] | None = None,
    exact_zero: str | None = None,
    env: str = "pmatrix",
) -> list[Piece]:
    """The pieces of a TeX matrix (``env``) of the 2-D ``m``, entry (i, j) tagged ``(key, (i, j))``.

    ``exact_zero`` writes entries that are exactly 0 as that string (``"0"``: the structural zeros of a
    triangular matrix read as zeros, not as rounded numbers).
    """
    rows = np.atleast_2d(np.asarray(m, dtype=float))
    out: list[Piece] = [rf"\begin{{{env}}}"]
    for i, row in enumerate(rows):
        if i:
            out.append(r"\\")
        for j, v in enumerate(row):
            if j:
                out.append("&")
            f = (lambda _v, z=exact_zero: z) if exact_zero is not None and v == 0 else fmt
            out.append(Num(float(v), key, (i, j), digits, f))
    out.append(rf"\end{{{env}}}")
    return out


def vector_pieces(
    v: np.ndarray | Sequence[float],
    *,
    key: str,
    digits: int = 2,
    column: bool = True,
    fmt: Callable[[float], str] | None = None,
    env: str = "pmatrix",
) -> list[Piece]:
    """The pieces of a TeX column (or row) vector, entry i tagged ``(key, (i,))``."""
    sep = r"\\" if column else "&"
    out: list[Piece] = [rf"\begin{{{env}}}"]
    for i, x in enumerate(np.asarray(v, dtype=float).ravel()):
        if i:
            out.append(sep)
        out.append(Num(float(x), key, (i,), digits, fmt))
    out.append(rf"\end{{{env}}}")
    return out
