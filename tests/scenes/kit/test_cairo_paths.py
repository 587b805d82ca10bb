"""The memoised subpath split (scenes/kit/cairo_paths.py) returns Manim's own answer, never a stale one, and
frames drawn with it are pixel-identical to frames drawn without it."""

from __future__ import annotations

import numpy as np
import pytest
from manim import Camera, Circle, Square, VGroup, VMobject

from scenes.kit import cairo_paths
from scenes.kit.text import text

MANIM = cairo_paths._compute  # Manim 0.21's VMobject.get_subpath_split_indices_from_points


def shapes() -> list[VMobject]:
    label = text("Adam + L2 ≠ AdamW 学习率")
    gapped = VMobject()
    gapped.set_points(np.concatenate([Square().points, Circle().shift([3, 0, 0]).points]))
    return [*label.family_members_with_points(), Square(), gapped]


@pytest.mark.parametrize("n_dims", [2, 3])
def test_memoised_splits_equal_manims_and_follow_in_place_changes(n_dims):
    cairo_paths.install()
    for mob in shapes():
        pts = mob.points.copy()
        first = VMobject.get_subpath_split_indices_from_points(mob, pts, n_dims=n_dims)
        np.testing.assert_array_equal(first, MANIM(mob, pts, n_dims))
        assert not first.flags.writeable  # shared between frames: nobody may change it
        # the same points again come from the memo; changed in place, they are computed afresh
        again = VMobject.get_subpath_split_indices_from_points(mob, pts, n_dims=n_dims)
        assert again is first
        pts[len(pts) // 2 :, 0] += 5.0  # break the path in the middle (if it was one)
        pts[-1, 1] = np.nan
        changed = VMobject.get_subpath_split_indices_from_points(mob, pts, n_dims=n_dims)
        np.testing.assert_array_equal(changed, MANIM(mob, pts, n_dims))


def test_cache_is_bounded(monkeypatch):
    monkeypatch.setattr(cairo_paths, "_MAX_ENTRIES", 4)
    cairo_paths._SPLITS.clear()
    sq = Square()
    for k in range(10):
        VMobject.get_subpath_split_indices_from_points(sq, sq.points + k, n_dims=2)
    assert 1 <= len(cairo_paths._SPLITS) <= 4


def frame(group: VGroup) -> np.ndarray:
    camera = Camera(pixel_width=320, pixel_height=180)
    camera.capture_mobjects(group.family_members_with_points())
    return camera.pixel_array.copy()


def test_frames_are_pixel_identical_with_and_without_the_memo(monkeypatch):
    group = VGroup(*shapes()).arrange_in_grid(cols=6).scale_to_fit_width(12)
    cairo_paths.install()
    drawn = [frame(group), frame(group)]  # the second frame reads the memo
    monkeypatch.setattr(VMobject, "get_subpath_split_indices_from_points", MANIM)
    plain = frame(group)
    assert plain.any()
    for d in drawn:
        np.testing.assert_array_equal(d, plain)
