import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from lib.mamba.scan import blelloch_scan, combine, selective_scan_parallel
from lib.mamba.ssm import selective_scan_sequential
from tests.lib.mamba.test_ssm import random_scan_inputs
from tests.lib.mamba.torch_mamba import selective_scan_ref

finite = st.floats(-2.0, 2.0, allow_nan=False, allow_infinity=False)
element = st.tuples(arrays(np.float64, 3, elements=finite), arrays(np.float64, 3, elements=finite))


@settings(max_examples=200, deadline=None)
@given(element, element, element)
def test_combine_is_associative(e1, e2, e3):
    left = combine(combine(e1, e2), e3)
    right = combine(e1, combine(e2, e3))
    for l, r in zip(left, right, strict=True):
        np.testing.assert_allclose(l, r, rtol=1e-12, atol=1e-12)


@settings(max_examples=100, deadline=None)
@given(element, element, arrays(np.float64, 3, elements=finite))
def test_combine_composes_the_affine_maps(e1, e2, h):
    """(e1 ∘ e2)(h) = e2(e1(h)): the pair applies e1 first."""
    a, b = combine(e1, e2)
    np.testing.assert_allclose(a * h + b, e2[0] * (e1[0] * h + e1[1]) + e2[1], rtol=1e-12, atol=1e-12)


def test_combine_identity_and_order():
    e = (np.array([0.5, 2.0]), np.array([1.0, -3.0]))
    identity = (np.ones(2), np.zeros(2))
    for out in (combine(identity, e), combine(e, identity)):
        np.testing.assert_array_equal(out[0], e[0])
        np.testing.assert_array_equal(out[1], e[1])
    f = (np.array([3.0, 3.0]), np.array([1.0, 1.0]))
    assert np.abs(combine(e, f)[1] - combine(f, e)[1]).max() > 1.0  # not commutative


def sequential(a: np.ndarray, b: np.ndarray, h0=None) -> np.ndarray:
    h = np.zeros(a.shape[1:]) if h0 is None else h0
    out = []
    for a_t, b_t in zip(a, b, strict=True):
        h = a_t * h + b_t
        out.append(h)
    return np.array(out)


@pytest.mark.parametrize("L", [1, 2, 3, 5, 7, 8, 9, 13, 16, 31, 33, 64, 100])
def test_blelloch_equals_sequential(L):
    rng = np.random.default_rng(L)
    a, b = rng.uniform(0.2, 1.0, size=(L, 2, 3)), rng.normal(size=(L, 2, 3))
    h0 = rng.normal(size=(2, 3))
    tr = blelloch_scan(a, b)
    n = 1 << (L - 1).bit_length()
    assert tr.length == L and tr.padded_length == n and tr.h.shape == (L, 2, 3)
    np.testing.assert_allclose(tr.h, sequential(a, b), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(blelloch_scan(a, b, h0).h, sequential(a, b, h0), rtol=1e-12, atol=1e-12)


def test_blelloch_prefix_sum_worked_by_hand():
    """a = 1 turns the recurrence into a running sum: Blelloch's own example on b = (1, 2, 3, 4)."""
    tr = blelloch_scan(np.ones(4), np.array([1.0, 2.0, 3.0, 4.0]))
    as_b = lambda level: [(n.index, float(n.b)) for n in level]
    assert [as_b(lv) for lv in tr.up] == [[(1, 3.0), (3, 7.0)], [(3, 10.0)]]
    # Root reset to 0, then level 2 writes (left=0, right=0+3), level 1 gives the exclusive sums.
    assert [as_b(lv) for lv in tr.down] == [[(1, 0.0), (3, 3.0)], [(0, 0.0), (1, 1.0), (2, 3.0), (3, 6.0)]]
    np.testing.assert_array_equal(tr.h, [1.0, 3.0, 6.0, 10.0])


def test_blelloch_trace_shape_for_a_tree_of_eight():
    rng = np.random.default_rng(0)
    L = 6  # padded to 8 with identities
    a, b = rng.uniform(0.2, 1.0, size=L), rng.normal(size=L)
    tr = blelloch_scan(a, b)
    assert tr.padded_length == 8
    assert [n.index for n in tr.leaves] == list(range(8))
    assert [(float(n.a), float(n.b)) for n in tr.leaves[6:]] == [(1.0, 0.0), (1.0, 0.0)]
    assert [[n.index for n in lv] for lv in tr.up] == [[1, 3, 5, 7], [3, 7], [7]]
    assert [[n.level for n in lv] for lv in tr.up] == [[1] * 4, [2] * 2, [3]]
    assert [[n.index for n in lv] for lv in tr.down] == [[3, 7], [1, 3, 5, 7], list(range(8))]
    assert [lv[0].level for lv in tr.down] == [3, 2, 1]
    # The up-sweep root is the whole sequence composed: its b-part is h_{L−1}.
    root = tr.up[-1][0]
    np.testing.assert_allclose(root.b, sequential(a, b)[-1], rtol=1e-13)
    np.testing.assert_allclose(root.a, np.prod(a), rtol=1e-13)
    # After the down-sweep, position t holds the exclusive prefix: b-part h_{t−1} (h_{−1} = 0).
    excl_b = [float(n.b) for n in tr.down[-1]]
    np.testing.assert_allclose(excl_b[: L + 1], np.concatenate([[0.0], sequential(a, b)]), atol=1e-13)


def test_blelloch_rejects_bad_input():
    with pytest.raises(ValueError):
        blelloch_scan(np.ones(0), np.ones(0))
    with pytest.raises(ValueError):
        blelloch_scan(np.ones(3), np.ones(4))


@pytest.mark.parametrize("L", [1, 6, 8, 17])
@pytest.mark.parametrize("discretization", ["zoh", "mamba"])
def test_selective_scan_parallel_equals_sequential_and_torch(L, discretization):
    inp = random_scan_inputs(100 + L, L=L)
    par = selective_scan_parallel(**inp, discretization=discretization)
    seq = selective_scan_sequential(**inp, discretization=discretization)
    np.testing.assert_array_equal(par.A_bar, seq.A_bar)
    np.testing.assert_array_equal(par.Bx, seq.Bx)
    np.testing.assert_allclose(par.h, seq.h, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(par.y, seq.y, rtol=1e-12, atol=1e-12)
    t = {k: torch.from_numpy(v) for k, v in inp.items()}
    y, h = selective_scan_ref(
        t["x"], t["delta"], t["A"], t["B"], t["C"], t["D_skip"], t["h0"], discretization=discretization
    )
    np.testing.assert_allclose(par.y, y.numpy(), atol=1e-12)
    np.testing.assert_allclose(par.h, h.numpy(), atol=1e-12)
