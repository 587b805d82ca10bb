"""lib/nets/conv.py vs F.conv2d and torch.autograd (float64), vs its loop reference, and a hand-worked
case."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from lib.core.shapes import conv_output_size
from lib.nets.conv import (
    conv2d,
    conv2d_backward,
    conv2d_backward_ref,
    conv2d_pixel,
    conv2d_ref,
)

ATOL = 1e-12

# (N, C_in, H, W, C_out, kH, kW, stride, padding, dilation, groups)
CONFIGS = [
    (2, 3, 7, 6, 4, 3, 3, 1, 0, 1, 1),
    (2, 3, 9, 8, 5, 3, 3, 2, 0, 1, 1),  # stride 2
    (1, 2, 6, 7, 3, 3, 2, 1, 1, 1, 1),  # padding, non-square kernel
    (2, 2, 9, 9, 2, 3, 3, 1, 0, 2, 1),  # dilation
    (2, 4, 6, 6, 6, 3, 3, 1, 1, 1, 2),  # groups
    (1, 4, 5, 5, 4, 3, 3, 1, 1, 1, 4),  # depthwise
    (2, 6, 10, 9, 6, 3, 2, (2, 1), (1, 2), (2, 1), 3),  # everything, asymmetric
]


def _setup(cfg, seed=0):
    n, c_in, h, w, c_out, kh, kw, s, p, d, g = cfg
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, c_in, h, w))
    wt = rng.standard_normal((c_out, c_in // g, kh, kw))
    b = rng.standard_normal(c_out)
    return x, wt, b, dict(stride=s, padding=p, dilation=d, groups=g)


@pytest.mark.parametrize("cfg", CONFIGS)
def test_forward_matches_torch(cfg):
    x, w, b, kw = _setup(cfg)
    ref = F.conv2d(torch.from_numpy(x), torch.from_numpy(w), torch.from_numpy(b), **kw).numpy()
    res = conv2d(x, w, b, **kw)
    assert res.out.shape == ref.shape
    np.testing.assert_allclose(res.out, ref, atol=ATOL, rtol=0)


@pytest.mark.parametrize("cfg", CONFIGS)
def test_backward_matches_autograd(cfg):
    x, w, b, kw = _setup(cfg, seed=1)
    xt, wt, bt = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    yt = F.conv2d(xt, wt, bt, **kw)
    dy = np.random.default_rng(2).standard_normal(tuple(yt.shape))
    yt.backward(torch.from_numpy(dy))
    grads = conv2d_backward(conv2d(x, w, b, **kw), w, dy)
    np.testing.assert_allclose(grads.dx, xt.grad.numpy(), atol=ATOL, rtol=0)
    np.testing.assert_allclose(grads.dw, wt.grad.numpy(), atol=ATOL, rtol=0)
    np.testing.assert_allclose(grads.db, bt.grad.numpy(), atol=ATOL, rtol=0)


@pytest.mark.parametrize("cfg", CONFIGS[::2] + [CONFIGS[-1]])
def test_fast_matches_loop_reference(cfg):
    x, w, b, kw = _setup(cfg, seed=3)
    res = conv2d(x, w, b, **kw)
    np.testing.assert_allclose(res.out, conv2d_ref(x, w, b, **kw), atol=ATOL, rtol=0)
    dy = np.random.default_rng(4).standard_normal(res.out.shape)
    fast, slow = conv2d_backward(res, w, dy), conv2d_backward_ref(x, w, dy, **kw)
    for a, r in ((fast.dx, slow.dx), (fast.dw, slow.dw), (fast.db, slow.db)):
        np.testing.assert_allclose(a, r, atol=ATOL, rtol=0)


@pytest.mark.parametrize("cfg", CONFIGS)
def test_pixel_trace_reproduces_every_output(cfg):
    x, w, b, kw = _setup(cfg, seed=5)
    out = F.conv2d(torch.from_numpy(x), torch.from_numpy(w), torch.from_numpy(b), **kw).numpy()
    rng = np.random.default_rng(6)
    for _ in range(5):
        n, o, i, j = (int(rng.integers(0, s)) for s in out.shape)
        t = conv2d_pixel(x, w, b, n, o, i, j, **kw)
        np.testing.assert_allclose(t.products, t.patch * t.kernel, atol=0)
        assert t.value == pytest.approx(out[n, o, i, j], abs=ATOL)
        assert t.total + t.bias == t.value
        # every in-bounds tap of the patch is the input at (rows, cols); out-of-bounds taps are zero padding
        for ci, c in enumerate(t.in_channels):
            for u, r in enumerate(t.rows):
                for v, cc in enumerate(t.cols):
                    inside = 0 <= r < x.shape[2] and 0 <= cc < x.shape[3]
                    assert t.patch[ci, u, v] == (x[n, c, r, cc] if inside else 0.0)


@settings(max_examples=25, deadline=None, database=None)
@given(
    h=st.integers(1, 40),
    k=st.integers(1, 7),
    s=st.integers(1, 4),
    p=st.integers(0, 3),
    d=st.integers(1, 3),
)
def test_output_size_formula(h, k, s, p, d):
    if h + 2 * p < d * (k - 1) + 1:
        with pytest.raises(ValueError):
            conv_output_size(h, k, s, p, d)
        return
    # count window starts directly: start r = s·i must leave room for the dilated kernel in the padded input
    expected = len([r for r in range(0, h + 2 * p, s) if r + d * (k - 1) < h + 2 * p])
    assert conv_output_size(h, k, s, p, d) == expected
    zeros = lambda *shape: torch.zeros(*shape, dtype=torch.float64)
    assert (
        F.conv2d(zeros(1, 1, h, h), zeros(1, 1, k, k), stride=s, padding=p, dilation=d).shape[-1] == expected
    )


@settings(max_examples=15, deadline=None, database=None)
@given(
    n=st.integers(1, 2),
    cg=st.integers(1, 3),
    g=st.integers(1, 2),
    og=st.integers(1, 2),
    hw=st.integers(4, 8),
    k=st.integers(1, 3),
    s=st.integers(1, 2),
    p=st.integers(0, 1),
    d=st.integers(1, 2),
    seed=st.integers(0, 2**16),
)
def test_random_shapes_match_torch(n, cg, g, og, hw, k, s, p, d, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, cg * g, hw, hw))
    w = rng.standard_normal((og * g, cg, k, k))
    b = rng.standard_normal(og * g)
    kw = dict(stride=s, padding=p, dilation=d, groups=g)
    try:
        ref = F.conv2d(torch.from_numpy(x), torch.from_numpy(w), torch.from_numpy(b), **kw).numpy()
    except RuntimeError:  # torch refuses (the dilated kernel is larger than the padded input): so must lib
        with pytest.raises(ValueError):
            conv2d(x, w, b, **kw)
        return
    np.testing.assert_allclose(conv2d(x, w, b, **kw).out, ref, atol=ATOL, rtol=0)


def test_hand_worked_3x3_box_filter():
    # x = [[1,2,3],[4,5,6],[7,8,9]], 3×3 all-ones kernel, padding 1: every output is the sum of its
    # in-bounds 3×3 neighbourhood, e.g. corner 1+2+4+5 = 12, centre 1+…+9 = 45.
    x = np.arange(1.0, 10.0).reshape(1, 1, 3, 3)
    w = np.ones((1, 1, 3, 3))
    b = np.array([0.5])
    res = conv2d(x, w, b, padding=1)
    expected = np.array([[12, 21, 16], [27, 45, 33], [24, 39, 28]]) + 0.5
    np.testing.assert_array_equal(res.out[0, 0], expected)

    t = conv2d_pixel(x, w, b, 0, 0, 0, 0, padding=1)
    np.testing.assert_array_equal(t.rows, [-1, 0, 1])
    np.testing.assert_array_equal(t.patch[0], [[0, 0, 0], [0, 1, 2], [0, 4, 5]])
    assert (t.total, t.bias, t.value) == (12.0, 0.5, 12.5)

    # dL/dy = 1 everywhere: dx counts how many windows cover each pixel (corner 4, edge 6, centre 9);
    # dw[u, v] sums the input under tap (u, v) over all outputs (centre tap sees all of x: 45); db = 9.
    g = conv2d_backward(res, w, np.ones((1, 1, 3, 3)))
    np.testing.assert_array_equal(g.dx[0, 0], [[4, 6, 4], [6, 9, 6], [4, 6, 4]])
    np.testing.assert_array_equal(g.dw[0, 0], [[12, 21, 16], [27, 45, 33], [24, 39, 28]])
    assert g.db[0] == 9.0


def test_hand_worked_2x2_kernel_no_padding():
    # y[i, j] = x[i, j] + 2·x[i, j+1] − x[i+1, j+1] + 0.5 on x = 1..9
    x = np.arange(1.0, 10.0).reshape(1, 1, 3, 3)
    w = np.array([[[[1.0, 2.0], [0.0, -1.0]]]])
    res = conv2d(x, w, np.array([0.5]))
    np.testing.assert_array_equal(res.out[0, 0], [[0.5, 2.5], [6.5, 8.5]])


def test_rejects_bad_groups():
    with pytest.raises(ValueError):
        conv2d(np.zeros((1, 3, 4, 4)), np.zeros((2, 1, 3, 3)), groups=2)
