"""Tests for lib/nets/deep_mlp.py: activation spread and weight-gradient norms against torch autograd, with
torch.nn.BatchNorm1d (training mode) for the normalised stack (float64)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from lib.nets.deep_mlp import deep_mlp_stats, init_weights

ACT = {"sigmoid": torch.sigmoid, "relu": torch.relu, "tanh": torch.tanh}


def torch_stats(x, w, c, activation, batchnorm):
    ws = [torch.tensor(wl, requires_grad=True) for wl in w]
    h = torch.tensor(x)
    stds = [float(h.std(unbiased=False))]
    for wl in ws:
        z = h @ wl
        if batchnorm:
            bn = torch.nn.BatchNorm1d(z.shape[1], affine=False, dtype=torch.float64).train()
            z = bn(z)
        h = ACT[activation](z)
        stds.append(float(h.detach().std(unbiased=False)))
    loss = (h @ torch.tensor(c)).mean()
    loss.backward()
    return np.array(stds), np.array([float(wl.grad.norm()) for wl in ws]), float(loss)


@pytest.mark.parametrize(
    ("activation", "gain", "batchnorm"),
    [("sigmoid", 1.0, False), ("relu", 2**0.5, False), ("relu", 1.0, True), ("tanh", 1.5, True)],
)
def test_matches_autograd(activation, gain, batchnorm):
    depth, width = 12, 10
    x = np.random.default_rng(3).normal(size=(16, width))
    w, c = init_weights(depth, width, gain, seed=5)
    ours = deep_mlp_stats(x, w, c, activation, batchnorm)
    stds, grads, loss = torch_stats(x, w, c, activation, batchnorm)
    np.testing.assert_allclose(ours.act_std, stds, rtol=1e-12)
    np.testing.assert_allclose(ours.weight_grad_norms, grads, rtol=1e-9)
    assert ours.loss == pytest.approx(loss, rel=1e-12)


def test_relu_variance_halves_per_layer_without_he_gain():
    """He et al. 2015 eq. 10: for ReLU, E[h²] scales by gain²/2 per layer: gain 1 halves it, √2 keeps it."""
    x = np.random.default_rng(0).normal(size=(4096, 256))
    w, c = init_weights(6, 256, 1.0, seed=1)
    s = deep_mlp_stats(x, w, c, "relu")
    w2, _ = init_weights(6, 256, 2**0.5, seed=1)
    s2 = deep_mlp_stats(x, w2, c, "relu")
    assert s.act_std[-1] < 0.25 * s2.act_std[-1]  # five halvings of the second moment: ≈ 2^(-5/2) = 0.18
