"""Tests for lib/transformer/ffn.py against torch (float64), a per-position loop reference and hand-worked
values."""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from lib.transformer.ffn import (
    FFNWeights,
    SwiGLUWeights,
    ffn,
    ffn_per_position,
    init_ffn_weights,
    init_swiglu_weights,
    swiglu_ffn,
)

ATOL = 1e-12


def t(a: np.ndarray) -> torch.Tensor:
    return torch.tensor(a, dtype=torch.float64)


def _torch_ffn(x: np.ndarray, w: FFNWeights, activation: str) -> np.ndarray:
    d_model, d_ff = w.W1.shape
    lin1 = torch.nn.Linear(d_model, d_ff, dtype=torch.float64)
    lin2 = torch.nn.Linear(d_ff, d_model, dtype=torch.float64)
    with torch.no_grad():
        lin1.weight.copy_(t(w.W1.T))
        lin1.bias.copy_(t(w.b1))
        lin2.weight.copy_(t(w.W2.T))
        lin2.bias.copy_(t(w.b2))
        act = {
            "relu": F.relu,
            "gelu": lambda z: F.gelu(z, approximate="none"),
            "gelu_tanh": lambda z: F.gelu(z, approximate="tanh"),
        }[activation]
        return lin2(act(lin1(t(x)))).numpy()


@settings(max_examples=20, deadline=None)
@given(
    lead=st.sampled_from([(3,), (2, 4), (1, 2, 3)]),
    d_model=st.integers(1, 6),
    d_ff=st.integers(1, 12),
    activation=st.sampled_from(["relu", "gelu", "gelu_tanh"]),
    seed=st.integers(0, 2**16),
)
def test_ffn_matches_torch_and_per_position_loop(
    lead: tuple[int, ...], d_model: int, d_ff: int, activation: str, seed: int
) -> None:
    w = init_ffn_weights(d_model, d_ff, seed=seed)
    x = np.random.default_rng(seed + 1).normal(size=(*lead, d_model)) * 2
    res = ffn(x, w, activation)  # type: ignore[arg-type]
    np.testing.assert_allclose(res.y, _torch_ffn(x, w, activation), atol=ATOL)
    np.testing.assert_allclose(ffn_per_position(x, w, activation), res.y, atol=ATOL)  # type: ignore[arg-type]
    assert res.hidden.shape == (*lead, d_ff)
    if activation == "relu":
        assert np.all(res.hidden >= 0)
        np.testing.assert_array_equal(res.hidden == 0, res.pre_activation <= 0)


def test_ffn_relu_by_hand() -> None:
    # d_model = 1, d_ff = 2: W₁ = (1, −1), b₁ = 0, W₂ = (2, 3)ᵀ, b₂ = 1; x = 2 → h = (2, 0) → y = 5
    w = FFNWeights(
        W1=np.array([[1.0, -1.0]]), b1=np.zeros(2), W2=np.array([[2.0], [3.0]]), b2=np.array([1.0])
    )
    res = ffn(np.array([[2.0]]), w)
    np.testing.assert_array_equal(res.hidden, [[2.0, 0.0]])
    np.testing.assert_array_equal(res.y, [[5.0]])


def _torch_swiglu(x: np.ndarray, w: SwiGLUWeights) -> np.ndarray:
    xt = t(x)
    gate = xt @ t(w.W) + (0 if w.b is None else t(w.b))
    value = xt @ t(w.V) + (0 if w.c is None else t(w.c))
    return ((F.silu(gate) * value) @ t(w.W2) + (0 if w.b2 is None else t(w.b2))).numpy()


@settings(max_examples=20, deadline=None)
@given(
    lead=st.sampled_from([(4,), (2, 3)]),
    d_model=st.integers(1, 6),
    d_ff=st.integers(1, 10),
    biased=st.booleans(),
    seed=st.integers(0, 2**16),
)
def test_swiglu_matches_torch(
    lead: tuple[int, ...], d_model: int, d_ff: int, biased: bool, seed: int
) -> None:
    w = init_swiglu_weights(d_model, d_ff, seed=seed)
    if biased:
        rng = np.random.default_rng(seed + 2)
        w = SwiGLUWeights(
            W=w.W,
            V=w.V,
            W2=w.W2,
            b=rng.normal(size=d_ff),
            c=rng.normal(size=d_ff),
            b2=rng.normal(size=d_model),
        )
    x = np.random.default_rng(seed + 1).normal(size=(*lead, d_model)) * 2
    res = swiglu_ffn(x, w)
    np.testing.assert_allclose(res.y, _torch_swiglu(x, w), atol=ATOL)
    np.testing.assert_allclose(res.hidden, res.gate * res.value, atol=0)
    np.testing.assert_allclose(res.gate, F.silu(t(res.gate_pre)).numpy(), atol=ATOL)


def test_swiglu_by_hand() -> None:
    # d_model = d_ff = 1: xW = 0 → Swish(0) = 0 → y = 0; xW = 1, xV = 2 → hidden = 2σ(1)
    w = SwiGLUWeights(W=np.array([[1.0]]), V=np.array([[2.0]]), W2=np.array([[1.0]]))
    np.testing.assert_array_equal(swiglu_ffn(np.array([[0.0]]), w).y, [[0.0]])
    np.testing.assert_allclose(
        swiglu_ffn(np.array([[1.0]]), w).y, [[2.0 / (1.0 + math.exp(-1.0))]], atol=1e-15
    )
