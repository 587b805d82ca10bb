"""lib/transformer/ffn_view.py against torch: nn.Linear with copied weights, F.relu / F.gelu / F.silu."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from lib.transformer.ffn import init_ffn_weights, init_swiglu_weights
from lib.transformer.ffn_view import activation_curves, compare_ffns


def linear(W: np.ndarray, b: np.ndarray | None) -> nn.Linear:
    """nn.Linear computing x @ W + b (lib stores W input-first; torch stores its transpose)."""
    lin = nn.Linear(*W.shape, bias=b is not None).double()
    with torch.no_grad():
        lin.weight.copy_(torch.tensor(W.T))
        if b is not None:
            lin.bias.copy_(torch.tensor(b))
    return lin


@pytest.mark.parametrize("d, seed, rounding", [(6, 0, "nearest"), (4, 3, "down"), (5, 7, "up")])
def test_three_blocks_match_torch(d: int, seed: int, rounding: str) -> None:
    c = compare_ffns(d, seed=seed, token_seed=seed + 1, rounding=rounding)
    x = torch.tensor(np.random.default_rng(seed + 1).standard_normal(d))
    w = init_ffn_weights(d, 4 * d, seed)
    up, down = linear(w.W1, w.b1), linear(w.W2, w.b2)
    for res, act in ((c.relu, F.relu), (c.gelu, F.gelu)):
        hid = act(up(x))
        np.testing.assert_allclose(res.hidden, hid.detach().numpy(), atol=1e-12)
        np.testing.assert_allclose(res.y, down(hid).detach().numpy(), atol=1e-12)
    s = init_swiglu_weights(d, c.width, seed)
    gate, value = F.silu(linear(s.W, None)(x)), linear(s.V, None)(x)
    np.testing.assert_allclose(c.swiglu.gate, gate.detach().numpy(), atol=1e-12)
    np.testing.assert_allclose(c.swiglu.hidden, (gate * value).detach().numpy(), atol=1e-12)
    np.testing.assert_allclose(c.swiglu.y, linear(s.W2, None)(gate * value).detach().numpy(), atol=1e-12)
    assert c.d_ff == 4 * d and c.width_exact == pytest.approx(8 * d / 3, rel=1e-15)


def test_curves_match_torch() -> None:
    xs, ys = activation_curves(-4.0, 3.0, 71, ("relu", "gelu", "silu"))
    t = torch.linspace(-4.0, 3.0, 71, dtype=torch.float64)
    np.testing.assert_allclose(xs, t.numpy(), atol=1e-15)
    for y, f in zip(ys, (F.relu, F.gelu, F.silu), strict=True):
        np.testing.assert_allclose(y, f(t).numpy(), atol=1e-12)
