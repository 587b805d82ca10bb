"""The probe reads the picture: what is visible at each pause, with the exact strings drawn.

Small in-test scenes (LectureScene subclasses, never registered) draw kit components, fade some out and
plant wrong drawings; every expected string below is written by hand.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from manim import FadeOut, ReplacementTransform, Text, VGroup

from scenes.engine.base import LectureScene
from scenes.engine.probe import Picture, UnknownKey, picture, run_fast
from scenes.engine.registry import SceneParams
from scenes.kit import numbers, theme
from scenes.kit.anim import fade_in, fade_out
from scenes.kit.diagram import Block
from scenes.kit.matrix import Heatmap
from scenes.kit.plot import Plot
from scenes.kit.record import number, tag
from scenes.kit.table import NumberTable
from scenes.kit.tokens import TokenStrip

M = "\u2212"
VALUES = np.array([[0.25, -0.5], [1.0, -0.004]])
DRAWN = [["0.25", M + "0.50"], ["1.00", "0.00"]]  # what a viewer reads (no "−0.00")


class _Scene(LectureScene):
    class Params(SceneParams):
        pass


def run(cls, media_dir):
    return run_fast(cls, None, "en", media_dir=media_dir)


class MatrixThenNumber(_Scene):
    """Pause 0: a heatmap and a number; pause 1: the heatmap faded out; pause 2 (end): one cell changed
    on a heatmap shown again, the number hidden by zero opacity."""

    def construct(self) -> None:
        hm = Heatmap(VALUES, key="m", digits=2, cell=0.8)
        total = number(1234.5, key="total", fmt=numbers.integer).next_to(hm, np.array([1.0, 0, 0]))
        self.play(fade_in(hm), fade_in(total))
        self.next_slide()
        self.play(FadeOut(hm))
        self.next_slide()
        hm2 = Heatmap(VALUES, key="m", digits=2, cell=0.8)
        self.play(fade_in(hm2))
        self.play(hm2.change(0, 1, 0.125))
        total.set_opacity(0)


def test_each_pause_shows_exactly_what_is_visible(media_dir):
    scene = run(MatrixThenNumber, media_dir)
    p0, p1, p2 = scene.pictures
    assert (p0.pause, p0.kind, p2.kind) == (0, "slide", "end")
    assert p0.keys() == ["m", "total"]
    assert p0.array("m").tolist() == DRAWN
    assert p0.value_array("m").tolist() == VALUES.tolist()
    assert p0.text("total") == "1,235"  # rounded half up, thousands separator
    assert p0.value("total") == 1234.5
    assert sorted(p0.strings) == sorted(["0.25", M + "0.50", "1.00", "0.00", "1,235"])

    assert p1.keys() == ["total"]  # the faded-out heatmap is gone
    with pytest.raises(UnknownKey, match="'m'.*keys shown: total"):
        p1.array("m")

    assert p2.keys() == ["m"]  # zero opacity: the number is not on screen
    assert p2.array("m").tolist() == [["0.25", "0.13"], ["1.00", "0.00"]]  # 0.125 → 0.13 (half up)
    assert p2.value("m", (0, 1)) == 0.125


def test_merge_keeps_the_last_reading_of_each_element(media_dir):
    scene = run(MatrixThenNumber, media_dir)
    all_pauses = Picture.merge(scene.pictures)
    assert all_pauses.array("m").tolist() == [["0.25", "0.13"], ["1.00", "0.00"]]
    assert all_pauses.text("total") == "1,235"
    assert all_pauses.strings.count("1,235") == 1


class Planted(_Scene):
    """Drawing bugs a reviewer might plant: a heatmap drawn from the transposed matrix, and a label that
    shows one number while claiming another."""

    def construct(self) -> None:
        wrong = Heatmap(VALUES.T, key="m", digits=2, cell=0.8)
        lying = tag(Text("0.30", font=theme.FONT), "ratio", 0.25)
        self.add(VGroup(wrong, lying.next_to(wrong, np.array([0, -1.0, 0]))))
        self.next_slide()


def test_planted_wrong_drawings_are_detected(media_dir):
    (p, _end) = run(Planted, media_dir).pictures
    assert p.array("m").tolist() != DRAWN  # the test of the real reference fails …
    assert p.array("m").tolist() == [["0.25", "1.00"], [M + "0.50", "0.00"]]  # … because this is drawn
    assert p.text("ratio") == "0.30"  # the string on screen, not the value it was tagged with
    assert p.text("ratio") != numbers.fixed(p.value("ratio"), 2)


class Twice(_Scene):
    def construct(self) -> None:
        a = number(0.5, 1, key="x")
        b = number(0.6, 1, key="x").shift(np.array([0, -1.0, 0]))
        self.add(a, b)
        self.next_slide()


def test_one_element_drawn_twice_with_different_strings_is_an_error(media_dir):
    p = run(Twice, media_dir).pictures[0]
    with pytest.raises(ValueError, match=r"x\[\] is drawn twice.*'0.5'.*'0.6'"):
        p.texts("x")


class Replaced(_Scene):
    """A number replaced by another (ReplacementTransform): the new one, with its tag, is on screen."""

    def construct(self) -> None:
        a = number(1.0, 2, key="y_last")
        self.add(a)
        self.next_slide()
        self.play(ReplacementTransform(a, number(-2.5, 2, key="y_last")))
        self.next_slide()


def test_replacement_transform_shows_the_new_reading(media_dir):
    p0, p1, _ = run(Replaced, media_dir).pictures
    assert p0.text("y_last") == "1.00"
    assert p1.text("y_last") == M + "2.50"
    assert p1.strings == (M + "2.50",)


LENGTHS = [256, 1024, 4096, 16384]
FLOPS = [2.0e9, 9.0e9, 5.0e10, 4.0e11]


class Plotted(_Scene):
    """A log-log series, a linear series drawn one step early (planted), a marker and a readout."""

    def construct(self) -> None:
        p = Plot((256, 16384), (1e9, 1e12), x_scale="log", x_base=2, y_scale="log", width=5, height=3)
        s = p.series(LENGTHS, FLOPS, theme.ATTN, key="flops")
        q = Plot((0, 4, 1), (0, 10, 5), width=4, height=2).shift(np.array([0, -3.0, 0]))
        xs, ys = np.arange(5.0), np.array([0.0, 1.0, 4.0, 9.0, 10.0])
        early = q.series(xs[1:], ys[:-1], theme.OUTPUT, key="y", dots=False)  # sampled one step early
        mark = p.marker(4096, key="cross")
        ro = q.readout(4.0, 10.0, key="y_end")
        self.add(p, q)
        self.play(s.grow(), early.grow())
        self.add(mark, ro)
        self.next_slide()
        self.play(fade_out(s))
        self.next_slide()


def test_plotted_points_are_read_back_from_where_they_are_drawn(media_dir):
    p0, p1, _ = run(Plotted, media_dir).pictures
    xy = p0.values("flops")
    for k, (x, y) in enumerate(zip(LENGTHS, FLOPS, strict=True)):
        assert math.isclose(xy[(k,)][0], x, rel_tol=1e-9) and math.isclose(xy[(k,)][1], y, rel_tol=1e-9)
    assert p0.texts("flops") == {(k,): None for k in range(4)}  # dots: marks, not text
    assert np.allclose(p0.value_array("flops"), np.array([LENGTHS, FLOPS]).T, rtol=1e-9, atol=0)
    assert math.isclose(p0.value("cross"), 4096, rel_tol=1e-9)
    line = p0.value("y")  # the line's vertices, read back
    assert np.allclose(line[:, 0], [1, 2, 3, 4], atol=1e-9)
    assert not np.allclose(line[:, 1], [1.0, 4.0, 9.0, 10.0])  # y(t) sampled one step early is caught
    assert p0.text("y_end") == "10.00"
    assert "flops" not in p1  # faded out


class Parts(_Scene):
    def construct(self) -> None:
        strip = TokenStrip(["Mamba", "lets", "some"])
        block = Block("in_proj", shape=("L", 1536), params=1_181_184).next_to(strip, np.array([0, -1.0, 0]))
        table = NumberTable(
            [[256, 4096], [0.0012, 1.9]],
            header=["T", "time"],
            formats=[numbers.length, numbers.duration],
            keys=["T", "seconds"],
        ).next_to(block, np.array([0, -1.0, 0]))
        self.add(strip, block, table)
        self.next_slide()


def test_tokens_blocks_and_tables_are_read(media_dir):
    p = run(Parts, media_dir).pictures[0]
    assert p.array("tokens").tolist() == ["Mamba", "lets", "some"]
    assert p.text("params", "in_proj") == "1,181,184"
    assert p.text("shape", "in_proj") == "L × 1,536"
    assert p.array("T").tolist() == ["256", "4K"]
    assert p.array("seconds").tolist() == ["1.20 ms", "1.90 s"]  # spaces kept: the string as drawn
    assert p.contains_text("time")


def test_picture_of_loose_mobjects_and_errors():
    hm = Heatmap([[1.0, 2.0, 3.0]], key="row", digits=0, cell=0.6)
    p = picture([hm])
    assert p.array("row").tolist() == [["1", "2", "3"]]
    with pytest.raises(UnknownKey, match="has no element"):
        p.text("row", (0, 5))
    hm.number_at(0, 1).set_opacity(0)
    with pytest.raises(ValueError, match=r"not drawn at \[\(0, 1\)\]"):
        picture([hm]).array("row")
    with pytest.raises(ValueError, match="non-integer"):
        picture([Block("a", params=3)]).array("params")
