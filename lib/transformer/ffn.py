"""Position-wise feed-forward blocks: the Transformer FFN (ReLU / GELU) and the gated SwiGLU variant.

References
- Vaswani et al. 2017, "Attention Is All You Need", eq. 2: FFN(x) = max(0, xW₁ + b₁)W₂ + b₂.
- Hendrycks & Gimpel 2016, "Gaussian Error Linear Units (GELUs)", §2: GELU(x) = x Φ(x), and its
  tanh approximation 0.5 x (1 + tanh(√(2/π)(x + 0.044715 x³))).
- Shazeer 2020, "GLU Variants Improve Transformer", eqs. 5–6: FFN_SwiGLU(x) = (Swish₁(xW) ⊙ xV) W₂.
- Ramachandran et al. 2017, "Searching for Activation Functions": Swish_β(x) = x σ(βx) (β = 1 is SiLU).
The activations themselves live in ``lib/core/activations.py``.

Weights are stored for ``x @ W`` (input dimension first), i.e. transposed from ``torch.nn.Linear``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from lib.core.activations import activate, silu

Activation = Literal["relu", "gelu", "gelu_tanh"]  # the names of lib.core.activations an FFN uses


@dataclass(frozen=True)
class FFNWeights:
    """W₁, b₁, W₂, b₂ of the position-wise FFN (Vaswani et al. 2017, eq. 2)."""

    W1: np.ndarray  # (d_model, d_ff)
    b1: np.ndarray  # (d_ff,)
    W2: np.ndarray  # (d_ff, d_model)
    b2: np.ndarray  # (d_model,)


@dataclass(frozen=True)
class FFNResult:
    """Intermediates of FFN(x) = act(xW₁ + b₁)W₂ + b₂."""

    pre_activation: np.ndarray  # (..., d_ff)  xW₁ + b₁
    hidden: np.ndarray  # (..., d_ff)  act(xW₁ + b₁)
    y: np.ndarray  # (..., d_model)


@dataclass(frozen=True)
class SwiGLUWeights:
    """W (gate), V (value) and W₂ (down projection) of Shazeer 2020, eq. 6; biases optional (default 0)."""

    W: np.ndarray  # (d_model, d_ff)
    V: np.ndarray  # (d_model, d_ff)
    W2: np.ndarray  # (d_ff, d_model)
    b: np.ndarray | None = None  # (d_ff,)
    c: np.ndarray | None = None  # (d_ff,)
    b2: np.ndarray | None = None  # (d_model,)


@dataclass(frozen=True)
class SwiGLUResult:
    """Intermediates of FFN_SwiGLU(x) = (Swish₁(xW) ⊙ xV) W₂."""

    gate_pre: np.ndarray  # (..., d_ff)  xW (+ b)
    gate: np.ndarray  # (..., d_ff)  Swish₁(xW)
    value: np.ndarray  # (..., d_ff)  xV (+ c)
    hidden: np.ndarray  # (..., d_ff)  gate ⊙ value
    y: np.ndarray  # (..., d_model)


def init_ffn_weights(d_model: int, d_ff: int, seed: int = 0) -> FFNWeights:
    """Seeded U(±1/√fan_in) weights and biases, torch.nn.Linear's default scale."""
    rng = np.random.default_rng(seed)
    a1, a2 = d_model**-0.5, d_ff**-0.5
    return FFNWeights(
        W1=rng.uniform(-a1, a1, size=(d_model, d_ff)),
        b1=rng.uniform(-a1, a1, size=d_ff),
        W2=rng.uniform(-a2, a2, size=(d_ff, d_model)),
        b2=rng.uniform(-a2, a2, size=d_model),
    )


def ffn(x: np.ndarray, w: FFNWeights, activation: Activation = "relu") -> FFNResult:
    """Position-wise FFN (Vaswani et al. 2017, eq. 2): FFN(x) = act(xW₁ + b₁)W₂ + b₂, act ∈ {ReLU, GELU}."""
    x = np.asarray(x, dtype=np.float64)  # (..., d_model)
    pre = x @ w.W1 + w.b1  # (..., d_ff)
    hidden = activate(pre, activation)  # (..., d_ff)
    y = hidden @ w.W2 + w.b2  # (..., d_model)
    return FFNResult(pre_activation=pre, hidden=hidden, y=y)


def ffn_per_position(x: np.ndarray, w: FFNWeights, activation: Activation = "relu") -> np.ndarray:
    """Plain reference for :func:`ffn`: the same network applied to each position separately (eq. 2)."""
    x = np.asarray(x, dtype=np.float64)  # (..., d_model)
    flat = x.reshape(-1, x.shape[-1])  # (P, d_model)
    out = np.empty((flat.shape[0], w.W2.shape[1]))  # (P, d_model)
    for p in range(flat.shape[0]):
        h = activate(w.W1.T @ flat[p] + w.b1, activation)  # (d_ff,)
        out[p] = w.W2.T @ h + w.b2  # (d_model,)
    return out.reshape(x.shape[:-1] + (w.W2.shape[1],))  # (..., d_model)


def init_swiglu_weights(d_model: int, d_ff: int, seed: int = 0) -> SwiGLUWeights:
    """Seeded bias-free SwiGLU weights with torch.nn.Linear's default U(±1/√fan_in) scale."""
    rng = np.random.default_rng(seed)
    a1, a2 = d_model**-0.5, d_ff**-0.5
    return SwiGLUWeights(
        W=rng.uniform(-a1, a1, size=(d_model, d_ff)),
        V=rng.uniform(-a1, a1, size=(d_model, d_ff)),
        W2=rng.uniform(-a2, a2, size=(d_ff, d_model)),
    )


def swiglu_ffn(x: np.ndarray, w: SwiGLUWeights) -> SwiGLUResult:
    """SwiGLU FFN (Shazeer 2020, eq. 6): FFN_SwiGLU(x, W, V, W₂) = (Swish₁(xW) ⊙ xV) W₂."""
    x = np.asarray(x, dtype=np.float64)  # (..., d_model)
    gate_pre = x @ w.W + (0.0 if w.b is None else w.b)  # (..., d_ff)
    gate = silu(gate_pre)  # (..., d_ff)  Swish₁ = SiLU
    value = x @ w.V + (0.0 if w.c is None else w.c)  # (..., d_ff)
    hidden = gate * value  # (..., d_ff)
    y = hidden @ w.W2 + (0.0 if w.b2 is None else w.b2)  # (..., d_model)
    return SwiGLUResult(gate_pre=gate_pre, gate=gate, value=value, hidden=hidden, y=y)
