"""Kit pieces added for the continuous-SSM, discretisation and parallel-scan scenes: stems and indexed
series on a plot, nice axis ranges, shades of a colour, subscripts and signed terms, boxes of numbers and
binary-tree layout. Expected values are worked by hand."""

from __future__ import annotations

import numpy as np
import pytest
from manim import DashedVMobject, ManimColor, interpolate_color

from scenes.engine.probe import picture
from scenes.kit import numbers, theme
from scenes.kit.diagram import Block, tree_points
from scenes.kit.plot import Plot, nice_range
from scenes.kit.record import number

M = "\u2212"


def test_nice_range_covers_the_values_and_zero():
    assert nice_range([-1.7, 1.2]) == (-2.0, 1.5, 0.5)  # span 2.9 → step 0.5 (≤ 6 steps)
    assert nice_range([3.1], 4) == (0.0, 4.0, 1.0)  # zero is always on the axis
    assert nice_range(np.array([[0.2, -0.05], [0.1, 0.0]])) == (-0.05, 0.2, 0.05)  # any shape
    assert nice_range([-0.26, 0.9]) == (-0.4, 1.0, 0.2)  # span 1.16 → step 0.2, ends rounded outwards
    assert nice_range([-2.0, 1.0]) == (-2.0, 1.0, 0.5)  # ends on a multiple stay there, no extra step


def test_stems_end_where_the_signal_is():
    plot = Plot((0, 6, 1), (0, 1, 0.5))
    stems = plot.stems([1, 2, 3, 4], [1.0, 0.0, 0.5, 1.0], theme.INPUT, key="x")
    assert len(stems) == 3  # a zero draws no stem
    ends = picture([plot, stems]).values("x")
    assert sorted(ends) == [(0,), (2,), (3,)]  # indexed by sample, the zero's index left out
    np.testing.assert_allclose(ends[(2,)], (3.0, 0.5), atol=1e-12, rtol=0)
    np.testing.assert_allclose(ends[(3,)], (4.0, 1.0), atol=1e-12, rtol=0)


def test_series_under_one_key_are_told_apart_by_index():
    plot = Plot((0, 2, 1), (-1, 1, 1))
    a = plot.series([0, 1, 2], [0.0, 0.5, -0.5], theme.STATE, key="h", index=(0,), dots=False)
    b = plot.series([0, 1, 2], [0.0, -0.25, 1.0], theme.STATE, key="h", index=(1,), dots=False)
    curves = picture([plot, a, b]).value_array("h")
    assert curves.shape == (2, 3, 2)
    np.testing.assert_allclose(curves[1, :, 1], [0.0, -0.25, 1.0], atol=1e-12, rtol=0)
    dotted = plot.series([0, 1], [0.0, 1.0], theme.STATE, key="d", index=(3,))
    assert sorted(picture([dotted]).values("d")) == [(3, 0), (3, 1)]  # dots: (*index, k)


def test_shades_run_from_darker_to_lighter():
    assert theme.shades(theme.STATE, 1) == [theme.STATE]
    s = theme.shades(theme.STATE, 3)
    assert s[0] == interpolate_color(theme.STATE, theme.BACKGROUND, 0.3)
    assert s[-1] == interpolate_color(theme.STATE, theme.FG, 0.55)
    lum = [sum(ManimColor(c).to_rgb()) for c in s]
    assert lum == sorted(lum)


def test_subscripts_and_signed_terms():
    assert numbers.subscript(1) == "₁"
    assert numbers.subscript(12) == "₁₂"
    assert numbers.fixed(0.6, 1, plus=True) == "+0.6"
    assert numbers.fixed(-0.5, 1, plus=True) == M + "0.5"
    assert numbers.fixed(-0.5, 1, plus=True, tex=True) == "-0.5"
    assert numbers.fixed(-0.001, 2, plus=True) == "+0.00"  # rounds to zero: no minus, a plus
    assert numbers.fixed(123456.5, 1, plus=True, grouped=True) == "+123,456.5"


def test_a_box_of_tagged_numbers():
    a = number(0.6613, 3, key="a", index=(0, 2), size=theme.SMALL, color=theme.MAT_A)
    b = number(-0.2254, 3, key="b", index=(0, 2), size=theme.SMALL, color=theme.MAT_B)
    node = Block(None, lines=[a, b], color=theme.GRID, width=1.2, height=0.66)
    assert node.title is None and len(node.texts) == 2
    pic = picture([node])
    assert (pic.text("a", (0, 2)), pic.text("b", (0, 2))) == ("0.661", M + "0.225")
    assert node.box.width == pytest.approx(1.2) and node.box.height == pytest.approx(0.66)
    pad = Block(None, lines=[("1.000", theme.MUTED)], color=theme.MUTED, width=1.2, dashed=True)
    assert isinstance(pad.box, DashedVMobject)


def test_tree_points_centre_each_node_over_its_span():
    p = tree_points(8, pitch=1.5, rise=1.0, origin=np.array([-5.0, -2.0, 0.0]))
    assert len(p) == 8 + 4 + 2 + 1
    np.testing.assert_allclose(p[(0, 0)], (-5.0, -2.0, 0.0), atol=1e-12, rtol=0)
    np.testing.assert_allclose(p[(0, 7)], (-5.0 + 7 * 1.5, -2.0, 0.0), atol=1e-12, rtol=0)
    np.testing.assert_allclose(
        p[(1, 1)], (-5.0 + 2.5 * 1.5, -1.0, 0.0), atol=1e-12, rtol=0
    )  # over leaves 2 and 3
    np.testing.assert_allclose(
        p[(3, 0)], (-5.0 + 3.5 * 1.5, 1.0, 0.0), atol=1e-12, rtol=0
    )  # the root, over all eight
    with pytest.raises(ValueError, match="power of two"):
        tree_points(6, pitch=1.0, rise=1.0)


def test_numbers_read_torch_and_numpy_scalars_by_their_kind():
    torch = pytest.importorskip("torch")
    assert numbers.fixed(torch.tensor(0.6613, dtype=torch.float64), 3) == "0.661"  # not taken for an int
    assert numbers.fixed(np.float32(0.25), 1) == "0.3"
    assert numbers.integer(np.int64(1234567)) == "1,234,567"


def test_segments_are_one_path_with_each_segment_where_its_data_is():
    plot = Plot((-2, 2, 1), (-1, 3, 1), width=4.0, height=4.0)
    segs = np.array([[[-1.0, 0.0], [1.0, 2.0]], [[0.5, -0.5], [1.5, -0.5]]])  # (2, 2, 2) two disjoint pieces
    path = plot.segments(segs, theme.MUTED)
    assert len(path.get_subpaths()) == 2
    for sub, seg in zip(path.get_subpaths(), segs, strict=True):
        np.testing.assert_allclose(plot.p2c(sub[0]), seg[0], atol=1e-12, rtol=0)
        np.testing.assert_allclose(plot.p2c(sub[-1]), seg[1], atol=1e-12, rtol=0)
        np.testing.assert_allclose(plot.p2c((sub[0] + sub[-1]) / 2), seg.mean(axis=0), atol=1e-12, rtol=0)
