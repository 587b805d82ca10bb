"""Tests for lib/nets/depth_gradients.py: the hand-written backward pass against torch autograd (float64)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from lib.nets.depth_gradients import StackWeights, depth_gradients, init_stack

ATOL = 1e-12


def torch_grad_norms(x: np.ndarray, w: StackWeights, residual: bool) -> tuple[np.ndarray, float]:
    """‖∂L/∂x_l‖ for l = 0 … L by autograd: every x_l is a leaf-like tensor whose .grad torch fills."""
    Ws, bs = torch.tensor(w.W), torch.tensor(w.b)
    xs = [torch.tensor(x, requires_grad=True)]
    for layer in range(len(Ws)):
        a = torch.tanh(xs[-1] @ Ws[layer] + bs[layer])
        nxt = xs[-1] + a if residual else a
        nxt.retain_grad()
        xs.append(nxt)
    loss = (xs[-1] @ torch.tensor(w.readout)).mean()
    loss.backward()
    return np.array([float(v.grad.norm()) for v in xs]), float(loss)


@pytest.mark.parametrize("residual", [False, True])
@pytest.mark.parametrize("gain", [0.8, 1.0, 1.5])
def test_gradient_norms_match_autograd(residual: bool, gain: float) -> None:
    w = init_stack(depth=12, width=10, gain=gain, seed=3)
    x = np.random.default_rng(4).normal(size=(6, 10))
    ours = depth_gradients(x, w, residual)
    ref, loss = torch_grad_norms(x, w, residual)
    np.testing.assert_allclose(ours.grad_norms, ref, rtol=1e-12, atol=ATOL)
    assert ours.loss == pytest.approx(loss, abs=ATOL)
    assert ours.grad_norms.shape == (13,) and ours.xs.shape == (13, 6, 10)


def test_one_layer_by_hand() -> None:
    # one plain layer, d = 1, B = 1: L = c·tanh(w x + b), ∂L/∂x = c·w·(1 − tanh²(w x + b))
    w = StackWeights(W=np.array([[[0.5]]]), b=np.array([[0.25]]), readout=np.array([2.0]))
    g = depth_gradients(np.array([[1.0]]), w, residual=False)
    assert g.grad_norms[1] == 2.0
    assert g.grad_norms[0] == pytest.approx(2.0 * 0.5 * (1 - np.tanh(0.75) ** 2), abs=ATOL)
    # with the skip, the identity path adds c itself
    r = depth_gradients(np.array([[1.0]]), w, residual=True)
    assert r.grad_norms[0] == pytest.approx(2.0 + 2.0 * 0.5 * (1 - np.tanh(0.75) ** 2), abs=ATOL)


def test_plain_stack_vanishes_and_residual_does_not() -> None:
    w = init_stack(depth=30, width=32, gain=1.0, seed=0)
    x = np.random.default_rng(1).normal(size=(16, 32))
    plain, res = depth_gradients(x, w, False).grad_norms, depth_gradients(x, w, True).grad_norms
    assert plain[0] < plain[-1] / 10  # the product of 30 contracting Jacobians
    assert np.all(res[:-1] >= res[-1] * 0.5)  # the identity path keeps ∂L/∂x_L in every layer's gradient
