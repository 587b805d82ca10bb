"""Contour lines of a function sampled on a grid: marching squares (Lorensen & Cline 1987, in 2-D).

Each grid cell whose corners lie on both sides of the level contributes one line segment (two at a saddle),
its ends placed on the cell's edges by linear interpolation: on the edge from corner a to corner b the
crossing is at t = (level − z_a) / (z_b − z_a). The segments are returned unjoined; a drawing joins nothing,
it draws them all as one path with many pieces. Exact for a function linear on each cell.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

# the four edges of a cell as (corner, corner); corners 0 (i, j), 1 (i, j+1), 2 (i+1, j+1), 3 (i+1, j)
_EDGES = ((0, 1), (1, 2), (3, 2), (0, 3))


def contour_segments(z: np.ndarray, xs: np.ndarray, ys: np.ndarray, level: float) -> np.ndarray:
    """The segments of the level set z = ``level``, shape (n, 2, 2): segment, end, (x, y).

    ``z[i, j]`` is the value at (xs[j], ys[i]); ``xs`` and ``ys`` increase. A saddle cell (corners alternating
    above and below) is split by the mean of its corners, the cell's centre value on a bilinear patch.
    """
    z = np.asarray(z, dtype=np.float64)  # (ny, nx)
    xs, ys = np.asarray(xs, dtype=np.float64), np.asarray(ys, dtype=np.float64)  # (nx,), (ny,)
    corner_z = np.stack([z[:-1, :-1], z[:-1, 1:], z[1:, 1:], z[1:, :-1]], axis=-1)  # (ny-1, nx-1, 4)
    gx, gy = np.meshgrid(xs, ys)  # (ny, nx) each
    corner_x = np.stack([gx[:-1, :-1], gx[:-1, 1:], gx[1:, 1:], gx[1:, :-1]], axis=-1)  # (ny-1, nx-1, 4)
    corner_y = np.stack([gy[:-1, :-1], gy[:-1, 1:], gy[1:, 1:], gy[1:, :-1]], axis=-1)  # (ny-1, nx-1, 4)
    above = corner_z > level  # (ny-1, nx-1, 4)

    crossed, points = [], []
    for a, b in _EDGES:
        za, zb = corner_z[..., a], corner_z[..., b]  # (ny-1, nx-1)
        cut = above[..., a] != above[..., b]  # (ny-1, nx-1)
        with np.errstate(divide="ignore", invalid="ignore"):
            t = np.where(cut, (level - za) / (zb - za), 0.0)  # (ny-1, nx-1)  where along a → b
        x = corner_x[..., a] + t * (corner_x[..., b] - corner_x[..., a])  # (ny-1, nx-1)
        y = corner_y[..., a] + t * (corner_y[..., b] - corner_y[..., a])  # (ny-1, nx-1)
        crossed.append(cut)
        points.append(np.stack([x, y], axis=-1))
    cut = np.stack(crossed, axis=-1)  # (ny-1, nx-1, 4)
    pts = np.stack(points, axis=-2)  # (ny-1, nx-1, 4, 2)  the crossing on each edge
    n_cut = cut.sum(axis=-1)  # (ny-1, nx-1)  0, 2 or 4

    # two crossed edges: one segment between them
    two = n_cut == 2  # (ny-1, nx-1)
    edge_order = np.argsort(~cut[two], axis=-1, kind="stable")[:, :2]  # (k, 2)  the crossed edges
    segs = [np.take_along_axis(pts[two], edge_order[..., None], axis=1)]  # (k, 2, 2)

    # four crossed edges (a saddle): the centre value says which corners are joined across the cell
    four = n_cut == 4  # (ny-1, nx-1)
    if four.any():
        p4 = pts[four]  # (s, 4, 2)
        centre_above = corner_z[four].mean(axis=-1) > level  # (s,)
        joined = centre_above == above[four][:, 0]  # (s,)  corner 0 joined to corner 2 through the middle
        # joined: cut off corners 1 (edges 0, 1) and 3 (edges 2, 3); else corners 0 (3, 0) and 2 (1, 2)
        first = np.where(joined[:, None], [0, 1], [3, 0])  # (s, 2)
        second = np.where(joined[:, None], [2, 3], [1, 2])  # (s, 2)
        for pair in (first, second):
            segs.append(np.take_along_axis(p4, pair[..., None], axis=1))  # (s, 2, 2)
    return np.concatenate(segs, axis=0)  # (n, 2, 2)


def grid_values(
    value: Callable[[np.ndarray], np.ndarray],
    x_range: tuple[float, float],
    y_range: tuple[float, float],
    n: int = 121,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(xs, ys, z)``: an n × n grid over the ranges and ``value`` at every point (``value`` takes points of
    shape (..., 2), as the objectives of ``lib.training.objectives`` do)."""
    xs = np.linspace(x_range[0], x_range[1], n)  # (n,)
    ys = np.linspace(y_range[0], y_range[1], n)  # (n,)
    gx, gy = np.meshgrid(xs, ys)  # (n, n)
    return xs, ys, np.asarray(value(np.stack([gx, gy], axis=-1)), dtype=np.float64)  # (n,), (n,), (n, n)
