"""lib/nets/pooling.py vs F.max_pool2d / F.avg_pool2d and torch.autograd (float64), its loops, and by hand."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from lib.nets.pooling import avg_pool2d, avg_pool2d_backward, max_pool2d, max_pool2d_backward, pool2d_ref

ATOL = 1e-12

# (N, C, H, W, kernel, stride, padding, dilation)
MAX_CONFIGS = [
    (2, 3, 8, 8, 2, None, 0, 1),
    (2, 2, 7, 9, 3, 2, 1, 1),  # overlapping windows with padding
    (1, 3, 9, 8, (3, 2), (1, 2), (1, 1), 1),
    (2, 2, 10, 10, 3, 2, 1, 2),  # dilation
    (1, 2, 6, 6, 3, 1, 0, 1),  # heavy overlap
]
AVG_CONFIGS = [
    (2, 3, 8, 8, 2, None, 0, True),
    (2, 2, 7, 9, 3, 2, 1, True),
    (2, 2, 7, 9, 3, 2, 1, False),
    (1, 3, 9, 8, (3, 2), (1, 2), (1, 1), False),
    (1, 2, 6, 6, 3, 1, 0, True),
]


def _x(shape, seed):
    return np.random.default_rng(seed).standard_normal(shape)


@pytest.mark.parametrize("cfg", MAX_CONFIGS)
def test_max_pool_matches_torch_and_autograd(cfg):
    n, c, h, w, k, s, p, d = cfg
    x = _x((n, c, h, w), 0)
    xt = torch.tensor(x, requires_grad=True)
    yt, idx = F.max_pool2d(xt, k, s, p, d, return_indices=True)
    dy = _x(tuple(yt.shape), 1)
    yt.backward(torch.from_numpy(dy))

    res = max_pool2d(x, k, s, p, d)
    np.testing.assert_allclose(res.out, yt.detach().numpy(), atol=ATOL, rtol=0)
    np.testing.assert_array_equal(res.indices, idx.numpy())
    np.testing.assert_array_equal(
        x[
            np.arange(n)[:, None, None, None],
            np.arange(c)[None, :, None, None],
            res.argmax_rows,
            res.argmax_cols,
        ],
        res.out,
    )
    np.testing.assert_allclose(max_pool2d_backward(res, dy), xt.grad.numpy(), atol=ATOL, rtol=0)

    y_ref, dx_ref = pool2d_ref(x, dy, "max", k, s, p, d)
    np.testing.assert_allclose(res.out, y_ref, atol=ATOL, rtol=0)
    np.testing.assert_allclose(max_pool2d_backward(res, dy), dx_ref, atol=ATOL, rtol=0)


@pytest.mark.parametrize("cfg", AVG_CONFIGS)
def test_avg_pool_matches_torch_and_autograd(cfg):
    n, c, h, w, k, s, p, cip = cfg
    x = _x((n, c, h, w), 2)
    xt = torch.tensor(x, requires_grad=True)
    yt = F.avg_pool2d(xt, k, s, p, count_include_pad=cip)
    dy = _x(tuple(yt.shape), 3)
    yt.backward(torch.from_numpy(dy))

    res = avg_pool2d(x, k, s, p, count_include_pad=cip)
    np.testing.assert_allclose(res.out, yt.detach().numpy(), atol=ATOL, rtol=0)
    np.testing.assert_allclose(avg_pool2d_backward(res, dy), xt.grad.numpy(), atol=ATOL, rtol=0)

    y_ref, dx_ref = pool2d_ref(x, dy, "avg", k, s, p, count_include_pad=cip)
    np.testing.assert_allclose(res.out, y_ref, atol=ATOL, rtol=0)
    np.testing.assert_allclose(avg_pool2d_backward(res, dy), dx_ref, atol=ATOL, rtol=0)


@settings(max_examples=20, deadline=None, database=None)
@given(
    hw=st.integers(3, 9),
    k=st.integers(1, 3),
    s=st.integers(1, 3),
    p=st.integers(0, 1),
    seed=st.integers(0, 2**16),
)
def test_random_shapes_match_torch(hw, k, s, p, seed):
    p = min(p, k // 2)
    x = _x((1, 2, hw, hw), seed)
    mx, avg = max_pool2d(x, k, s, p), avg_pool2d(x, k, s, p)
    np.testing.assert_allclose(mx.out, F.max_pool2d(torch.from_numpy(x), k, s, p).numpy(), atol=ATOL, rtol=0)
    np.testing.assert_allclose(avg.out, F.avg_pool2d(torch.from_numpy(x), k, s, p).numpy(), atol=ATOL, rtol=0)
    # invariants: the max bounds the average from above; gradients conserve Σδ (no pixel lost or doubled)
    assert np.all(mx.out >= avg.out - 1e-12) or p > 0  # zero padding can lift the average above a −ve max
    dy = np.ones_like(mx.out)
    assert max_pool2d_backward(mx, dy).sum() == pytest.approx(dy.sum(), abs=1e-12)
    if p == 0:
        assert avg_pool2d_backward(avg, dy).sum() == pytest.approx(dy.sum(), abs=1e-12)


def test_hand_worked_4x4():
    x = np.array([[1.0, 3, 2, 0], [4, 2, 1, 5], [0, 1, 7, 2], [6, 2, 3, 3]])[None, None]  # (1, 1, 4, 4)
    mx = max_pool2d(x, 2)
    np.testing.assert_array_equal(mx.out[0, 0], [[4, 5], [6, 7]])
    np.testing.assert_array_equal(mx.argmax_rows[0, 0], [[1, 1], [3, 2]])
    np.testing.assert_array_equal(mx.argmax_cols[0, 0], [[0, 3], [0, 2]])
    np.testing.assert_array_equal(mx.indices[0, 0], [[4, 7], [12, 10]])
    dx = max_pool2d_backward(mx, np.array([[[[10.0, 20], [30, 40]]]]))
    expected = np.zeros((4, 4))
    expected[1, 0], expected[1, 3], expected[3, 0], expected[2, 2] = 10, 20, 30, 40
    np.testing.assert_array_equal(dx[0, 0], expected)

    avg = avg_pool2d(x, 2)
    np.testing.assert_array_equal(avg.out[0, 0], [[10 / 4, 8 / 4], [9 / 4, 15 / 4]])
    np.testing.assert_array_equal(
        avg_pool2d_backward(avg, np.ones((1, 1, 2, 2)))[0, 0], np.full((4, 4), 0.25)
    )


def test_tie_goes_to_first_in_window_like_torch():
    x = np.array([[5.0, 5.0], [5.0, 1.0]])[None, None]
    _, idx = F.max_pool2d(torch.from_numpy(x), 2, return_indices=True)
    assert max_pool2d(x, 2).indices[0, 0, 0, 0] == idx.item() == 0


def test_padding_limit():
    with pytest.raises(ValueError):
        max_pool2d(np.zeros((1, 1, 4, 4)), 2, padding=2)
