"""lib.nets.conv_example: the integer example's contract, and the full-convolution / correlation views of the
gradients against torch autograd (integers: exact equality)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from lib.nets.conv import conv2d_pixel
from lib.nets.conv_example import (
    bias_grad,
    channel_sums,
    conv_example,
    input_grad_full,
    input_grad_pixel,
    weight_grad,
    weight_grad_pixel,
)

CASES = [(2, 5, 3, 1, 0), (3, 4, 2, 1, 7), (1, 6, 3, 2, 3)]


@pytest.mark.parametrize(("c", "n", "k", "s", "seed"), CASES)
def test_example_is_integer_and_seeded(c, n, k, s, seed):
    ex = conv_example(c, n, k, s, seed)
    rng = np.random.default_rng(seed)
    assert (ex.x == rng.integers(-2, 4, (1, c, n, n))).all()
    assert (ex.w == rng.integers(-2, 3, (1, c, k, k))).all()
    assert (ex.b == rng.integers(-2, 3, (1,))).all()
    out = (n - k) // s + 1
    assert ex.dy.shape == (1, 1, out, out)
    assert (ex.dy == rng.integers(-2, 3, (1, 1, out, out))).all()


def autograd(x, w, b, dy):
    xt = torch.tensor(x, requires_grad=True)
    wt = torch.tensor(w, requires_grad=True)
    bt = torch.tensor(b, requires_grad=True)
    y = F.conv2d(xt, wt, bt)
    (y * torch.tensor(dy)).sum().backward()
    return xt.grad.numpy(), wt.grad.numpy(), bt.grad.numpy()


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_gradient_views_equal_autograd(seed):
    rng = np.random.default_rng(seed)
    x = rng.integers(-3, 4, (1, 3, 6, 5)).astype(float)
    w = rng.integers(-2, 3, (2, 3, 3, 2)).astype(float)
    b = rng.integers(-2, 3, (2,)).astype(float)
    dy = rng.integers(-2, 3, (1, 2, 4, 4)).astype(float)
    dx, dw, db = autograd(x, w, b, dy)
    assert (input_grad_full(dy, w, (6, 5)) == dx).all()
    assert (weight_grad(x, dy) == dw).all()
    assert (bias_grad(dy) == db).all()
    for c, r, q in [(0, 0, 0), (2, 5, 4), (1, 3, 2)]:
        assert input_grad_pixel(dy, w, (6, 5), c, r, q).value == dx[0, c, r, q]
    for o, c, u, v in [(0, 0, 0, 0), (1, 2, 2, 1)]:
        t = weight_grad_pixel(x, dy, o, c, u, v)
        assert t.value == dw[o, c, u, v]
        assert (t.patch[0] == x[0, c, u : u + 4, v : v + 4]).all()  # the window of x_c at (u, v)


def test_channel_sums_by_hand():
    x = np.arange(18, dtype=float).reshape(1, 2, 3, 3)
    w = np.ones((1, 2, 2, 2))
    t = conv2d_pixel(x, w, np.array([1.0]), 0, 0, 1, 0)
    # channel 0 rows 1–2, cols 0–1: 3 + 4 + 6 + 7; channel 1 adds 9 to each of the four
    assert list(channel_sums(t)) == [20.0, 56.0]
    assert t.value == 77.0


def test_mismatched_gradient_shape_is_rejected():
    with pytest.raises(ValueError, match="unit-stride"):
        input_grad_full(np.zeros((1, 1, 2, 2)), np.zeros((1, 1, 3, 3)), (5, 5))
