"""Numbers inside a formula are tagged parts of one MathTex, and the probe reads each as LaTeX typesets it.

Every expected string below is written by hand.
"""

from __future__ import annotations

import numpy as np
import pytest
from manim import FadeOut, MathTex

from scenes.engine.base import LectureScene
from scenes.engine.probe import run_fast
from scenes.engine.registry import SceneParams
from scenes.kit.formula import Num, formula, matrix_pieces, vector_pieces

A = np.array([[-0.25, 0.0], [1.04, -0.3]])


def test_each_number_is_its_own_tagged_part():
    m = formula("A = ", *matrix_pieces(A, key="A", digits=1, exact_zero="0"), r"\quad y = ", Num(-0.845, "y"))
    assert isinstance(m, MathTex)
    numbers = [part.tex_string for part in m.submobjects if hasattr(part, "kit_reading")]
    assert numbers == ["-0.3", "0", "1.0", "-0.3", "-0.85"]  # half away from zero: −0.25 → −0.3
    assert m.tex_string == (r"A =  \begin{pmatrix} -0.3 & 0 \\ 1.0 & -0.3 \end{pmatrix} \quad y =  -0.85")


def test_a_piece_that_manim_would_split_is_refused():
    with pytest.raises(ValueError, match="double-brace"):
        formula("x = ", "{{a}} + {{b}}", Num(1.0, "x"))


class _Scene(LectureScene):
    class Params(SceneParams):
        pass


class MatrixAndVector(_Scene):
    """Pause 0: a matrix and a vector in formulas; pause 1: the matrix faded out."""

    def construct(self) -> None:
        a = formula("A = ", *matrix_pieces(A, key="A", digits=2))
        b = formula("b = ", *vector_pieces([0.5, -1.0, 2.0], key="b", digits=1, column=False))
        b.next_to(a, np.array([0.0, -1.0, 0.0]))
        self.add(a, b)
        self.next_slide()
        self.play(FadeOut(a))


def test_the_probe_reads_each_number_of_a_formula(media_dir):
    p0, p1 = run_fast(MatrixAndVector, None, "en", media_dir=media_dir).pictures
    assert p0.array("A").tolist() == [["-0.25", "0.00"], ["1.04", "-0.30"]]
    assert p0.value_array("A").tolist() == A.tolist()
    assert p0.array("b").tolist() == ["0.5", "-1.0", "2.0"]
    assert p1.keys() == ["b"]  # the faded-out formula is gone with its numbers
    assert any("b =" in s for s in p1.strings)  # the formula itself still counts as one visible string
