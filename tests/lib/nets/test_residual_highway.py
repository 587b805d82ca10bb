"""Tests for lib/nets/residual_highway.py: ratios and per-layer factors against torch autograd (float64)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from lib.nets.depth_gradients import init_stack
from lib.nets.residual_highway import highway

RTOL = 1e-12


def autograd_norms(
    x: np.ndarray, depth: int, width: int, gain: float, seed: int, residual: bool
) -> np.ndarray:
    """‖∂L/∂x_l‖ by torch autograd on the same seeded stack and the same read-out loss."""
    w = init_stack(depth, width, gain, seed)
    xs = [torch.tensor(x, requires_grad=True)]
    for W, b in zip(torch.tensor(w.W), torch.tensor(w.b), strict=True):
        a = torch.tanh(xs[-1] @ W + b)
        xs.append(xs[-1] + a if residual else a)
        xs[-1].retain_grad()
    (xs[-1] @ torch.tensor(w.readout)).mean().backward()
    return np.array([float(v.grad.norm()) for v in xs])


@pytest.mark.parametrize("gain", [0.8, 1.0, 1.3])
def test_ratios_and_factors_match_autograd(gain: float) -> None:
    depth, width = 20, 12
    x = np.random.default_rng(5).normal(size=(7, width))
    h = highway(x, depth, width, gain, seed=2)
    for summary, residual in ((h.plain, False), (h.residual, True)):
        ref = autograd_norms(x, depth, width, gain, 2, residual)
        np.testing.assert_allclose(summary.norms, ref, rtol=RTOL)
        assert summary.ratio == pytest.approx(ref[0] / ref[-1], rel=RTOL)
        steps = np.array([ref[i] / ref[i + 1] for i in range(depth)])
        np.testing.assert_allclose(summary.layer_factors, steps, rtol=RTOL)
        # the geometric mean of the per-layer factors, computed in logs: an independent route to ratio^(1/L)
        assert summary.per_layer == pytest.approx(float(np.exp(np.log(steps).mean())), rel=1e-11)


def test_one_linear_layer_by_hand() -> None:
    """Depth 1, width 1, W = 0 in effect through tanh'(·): with the skip the gradient passes unchanged."""
    x = np.random.default_rng(0).normal(size=(3, 4))
    h = highway(x, depth=1, width=4, gain=1e-9, seed=0)  # F ≈ constant: ∂F/∂x ≈ 0
    assert h.residual.ratio == pytest.approx(1.0, abs=1e-8)  # I + ∂F/∂x ≈ I
    assert h.plain.ratio < 1e-8  # only ∂F/∂x ≈ 0 is left


def test_deep_plain_stack_vanishes_where_residual_does_not() -> None:
    x = np.random.default_rng(1).normal(size=(32, 64))
    h = highway(x, depth=50, width=64, gain=1.0, seed=0)
    assert h.plain.ratio < 0.05 and h.residual.ratio > 1.0
    assert h.plain.per_layer < 1.0 < h.residual.per_layer
