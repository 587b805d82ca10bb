"""lib/transformer/patterns.py: rows sum to 1, zero off the support, and each pattern's defining shape."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lib.transformer.patterns import alignment_pattern, global_pattern, local_pattern


def check_rows(p) -> None:
    np.testing.assert_allclose(p.weights.sum(-1), 1.0, atol=1e-14)
    assert np.all(p.weights >= 0)
    assert np.all(p.weights[~p.support] == 0.0)
    assert np.all(np.isneginf(p.logits[~p.support]))


@settings(max_examples=30, deadline=None)
@given(
    T=st.integers(1, 24),
    w=st.integers(0, 5),
    noise=st.floats(0, 2),
    decay=st.floats(0, 2),
    seed=st.integers(0, 99),
)
def test_local(T, w, noise, decay, seed) -> None:
    p = local_pattern(T, w, noise=noise, decay=decay, seed=seed)
    check_rows(p)
    i, j = np.indices((T, T))
    np.testing.assert_array_equal(p.support, np.abs(i - j) <= w)
    assert p.kind == "local"


def test_local_uniform_by_hand() -> None:
    p = local_pattern(4, 1)
    third, half = 1 / 3, 1 / 2
    expected = [[half, half, 0, 0], [third, third, third, 0], [0, third, third, third], [0, 0, half, half]]
    np.testing.assert_allclose(p.weights, expected, atol=1e-15)
    decayed = local_pattern(5, 2, decay=1.0)
    assert np.all(np.diff(decayed.weights[2, 2:]) < 0) and np.all(np.diff(decayed.weights[2, :3]) > 0)


@settings(max_examples=30, deadline=None)
@given(
    T=st.integers(2, 24),
    data=st.data(),
    w=st.integers(0, 3),
    noise=st.floats(0, 2),
    seed=st.integers(0, 99),
)
def test_global(T, data, w, noise, seed) -> None:
    g = data.draw(st.lists(st.integers(0, T - 1), min_size=1, max_size=3, unique=True))
    p = global_pattern(T, g, half_width=w, noise=noise, seed=seed)
    check_rows(p)
    assert np.all(p.support[g, :]) and np.all(p.support[:, g])  # attend everywhere / attended by all
    assert np.all(p.weights[:, g] > 0) and np.all(p.weights[g, :] > 0)
    others = [t for t in range(T) if t not in g]
    i, j = np.indices((T, T))
    band = np.abs(i - j) <= w
    expected = band | np.isin(i, g) | np.isin(j, g)
    np.testing.assert_array_equal(p.support, expected)
    if others and noise == 0:
        np.testing.assert_allclose(
            p.weights[others[0]][p.support[others[0]]], 1 / p.support[others[0]].sum(), atol=1e-15, rtol=0
        )


@settings(max_examples=30, deadline=None)
@given(
    T_src=st.integers(2, 30),
    T_tgt=st.integers(2, 30),
    sharp=st.floats(0.5, 5),
    jitter=st.floats(0, 0.9),
    seed=st.integers(0, 99),
)
def test_alignment(T_src, T_tgt, sharp, jitter, seed) -> None:
    p = alignment_pattern(T_src, T_tgt, sharpness=sharp, jitter=jitter, seed=seed)
    check_rows(p)
    assert p.weights.shape == (T_tgt, T_src)
    assert np.all(np.diff(p.centers) > 0)  # strictly monotonic centres
    assert p.centers[0] == 0 and abs(p.centers[-1] - (T_src - 1)) < 1e-13
    peaks = p.weights.argmax(-1)
    assert np.all(np.diff(peaks) >= 0)  # the bright diagonal never steps backwards
    assert peaks[0] == 0 and peaks[-1] == T_src - 1
    np.testing.assert_array_less(np.abs(peaks - p.centers), 0.5 + 1e-9)  # peak at the nearest source position


def test_alignment_straight_diagonal_by_hand() -> None:
    p = alignment_pattern(5, 3, sharpness=1.0, jitter=0.0)
    np.testing.assert_allclose(p.centers, [0.0, 2.0, 4.0], atol=1e-15, rtol=0)
    g = np.exp(-(np.arange(5.0) ** 2))  # row 0: exp(−j²) normalised
    np.testing.assert_allclose(p.weights[0], g / g.sum(), atol=1e-15)
    np.testing.assert_allclose(p.weights[1], p.weights[1][::-1], atol=1e-15)  # centred row is symmetric
    with pytest.raises(ValueError):
        alignment_pattern(5, 3, jitter=1.0)


def test_deterministic_given_seed() -> None:
    a, b = local_pattern(8, 2, noise=1.0, seed=3), local_pattern(8, 2, noise=1.0, seed=3)
    np.testing.assert_array_equal(a.weights, b.weights)
    assert not np.array_equal(a.weights, local_pattern(8, 2, noise=1.0, seed=4).weights)
