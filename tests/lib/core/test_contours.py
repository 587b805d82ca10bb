"""Marching squares: exact on a linear function, within the grid's interpolation error on a circle, and the
saddle resolved by the cell's centre, each checked by hand."""

from __future__ import annotations

import numpy as np

from lib.core.contours import contour_segments, grid_values


def test_level_set_of_a_linear_function_is_exact():
    xs, ys, z = grid_values(lambda p: 2.0 * p[..., 0] - 3.0 * p[..., 1], (-1, 1), (-1, 1), 11)
    segs = contour_segments(z, xs, ys, 0.7)
    ends = segs.reshape(-1, 2)
    np.testing.assert_allclose(2.0 * ends[:, 0] - 3.0 * ends[:, 1], 0.7, atol=1e-12, rtol=0)
    # the line 2x − 3y = 0.7 crosses the square; every piece lies along it and they cover it end to end
    length = np.linalg.norm(segs[:, 1] - segs[:, 0], axis=-1).sum()
    x_in, x_out = (0.7 - 3.0) / 2, (0.7 + 3.0) / 2  # where y = −1 and y = 1 meet the line
    assert np.isclose(
        length, np.hypot(min(x_out, 1) - max(x_in, -1), 2 * (min(x_out, 1) - max(x_in, -1)) / 3)
    )


def test_circle_is_closed_and_on_the_radius():
    xs, ys, z = grid_values(lambda p: (p**2).sum(-1), (-2, 2), (-2, 2), 80)  # no grid point on r = 1
    segs = contour_segments(z, xs, ys, 1.0)
    r = np.linalg.norm(segs.reshape(-1, 2), axis=-1)
    h = xs[1] - xs[0]
    assert np.all(np.abs(r - 1) < h**2)  # linear interpolation of r² along an edge: error O(h²)
    ends, counts = np.unique(np.round(segs.reshape(-1, 2), 12), axis=0, return_counts=True)
    assert (counts == 2).all()  # closed: every end is shared by exactly two pieces
    assert np.isclose(np.linalg.norm(segs[:, 1] - segs[:, 0], axis=-1).sum(), 2 * np.pi, rtol=1e-3)


def test_a_saddle_cell_is_split_by_its_centre_value():
    z = np.array([[1.0, 0.0], [0.0, 1.0]])  # corners (0,0), (1,1) above 0.4; centre mean 0.5 above too
    segs = contour_segments(z, np.array([0.0, 1.0]), np.array([0.0, 1.0]), 0.4)
    assert segs.shape == (2, 2, 2)
    got = sorted(tuple(sorted(map(tuple, np.round(s, 12)))) for s in segs)
    # centre above: the above corners join through the middle; the pieces cut off the corners (1,0), (0,1)
    assert got == [((0.0, 0.6), (0.4, 1.0)), ((0.6, 0.0), (1.0, 0.4))]
    segs = contour_segments(z, np.array([0.0, 1.0]), np.array([0.0, 1.0]), 0.6)  # centre 0.5 below
    got = sorted(tuple(sorted(map(tuple, np.round(s, 12)))) for s in segs)
    assert got == [((0.0, 0.4), (0.4, 0.0)), ((0.6, 1.0), (1.0, 0.6))]
