"""Where a VMobject's path breaks into subpaths, remembered across frames.

Cairo draws every moving VMobject on every frame, and Manim 0.21 first finds where its Bézier curves stop
joining up (``VMobject.get_subpath_split_indices_from_points``: about ten small NumPy operations, ~0.2 ms a
call). Most moving mobjects keep their shape while they move — a label fading in, a cell changing colour —
and a 1080p60 profile spent ~40 % of Cairo's path building there. The result
is a function of the points' exact bytes, so it is memoised on them (a hash of a few KB, ~5 µs).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from manim import VMobject

_MAX_ENTRIES = 8192  # ~1.5 KB of points per glyph: at most ~15 MB held
_SPLITS: dict[tuple, np.ndarray] = {}
# Manim's own method (also when this module is imported again after installing the memo)
_current = VMobject.get_subpath_split_indices_from_points
_compute = getattr(_current, "__wrapped__", _current)


def _memoised_split_indices(self: VMobject, points: Any, n_dims: int = 3) -> np.ndarray:
    """``get_subpath_split_indices_from_points``, looked up by the points' bytes first (read-only result:
    the camera only iterates over it)."""
    arr = np.asarray(points)
    key = (self.n_points_per_cubic_curve, n_dims, arr.shape, arr.dtype.str, arr.tobytes())
    found = _SPLITS.get(key)
    if found is None:
        if len(_SPLITS) >= _MAX_ENTRIES:
            _SPLITS.clear()
        found = _compute(self, arr, n_dims)
        found.setflags(write=False)
        _SPLITS[key] = found
    return found


def install() -> None:
    """Route ``VMobject.get_subpath_split_indices_from_points`` through the memo (idempotent)."""
    if not getattr(VMobject.get_subpath_split_indices_from_points, "memoised", False):
        _memoised_split_indices.memoised = True  # type: ignore[attr-defined]
        _memoised_split_indices.__wrapped__ = _compute  # type: ignore[attr-defined]
        VMobject.get_subpath_split_indices_from_points = _memoised_split_indices  # type: ignore[method-assign]
