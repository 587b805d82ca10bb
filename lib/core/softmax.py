"""Numerically stable softmax with temperature, log-sum-exp, and the softmax Jacobian.

softmax(x / τ)_i = exp(x_i/τ − m) / Σ_j exp(x_j/τ − m),   m = max_j x_j/τ
(Bridle 1990, "Probabilistic interpretation of feedforward classification network outputs"; the
temperature form is Hinton, Vinyals & Dean 2015, "Distilling the Knowledge in a Neural Network", eq. 1).
Subtracting the max changes nothing mathematically (the factor exp(−m) cancels) but keeps every exponent
≤ 0, so nothing overflows; ``softmax_naive`` keeps the textbook form to show what goes wrong without it.

Convention for rows that are entirely −inf (a fully masked attention row): softmax returns zeros there
(there is nothing to distribute probability over), and logsumexp returns −inf.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class SoftmaxSteps:
    """Every stage of the stable softmax, for a scene that animates it."""

    logits: np.ndarray  # (..., n)  input x
    scaled: np.ndarray  # (..., n)  x / τ
    row_max: np.ndarray  # (..., 1)  m = max x/τ (0 for fully −inf rows)
    shifted: np.ndarray  # (..., n)  x/τ − m, every entry ≤ 0
    exps: np.ndarray  # (..., n)  exp(x/τ − m) ∈ [0, 1]
    total: np.ndarray  # (..., 1)  Σ exp(x/τ − m) ≥ 1 unless the row is fully −inf
    probs: np.ndarray  # (..., n)  exps / total
    temperature: float


def _safe_max(x: np.ndarray, axis: int) -> np.ndarray:
    """Max along ``axis`` (kept), with fully −inf rows mapped to 0 so that x − m stays −inf, never NaN."""
    m = np.max(x, axis=axis, keepdims=True)  # (..., 1)
    return np.where(np.isneginf(m), 0.0, m)  # (..., 1)


def softmax_steps(x: np.ndarray, temperature: float = 1.0, axis: int = -1) -> SoftmaxSteps:
    """Stable softmax(x/τ) keeping every intermediate (Hinton et al. 2015, eq. 1)."""
    if temperature <= 0:
        raise ValueError(f"temperature must be positive, got {temperature}")
    x = np.asarray(x, dtype=np.float64)  # (..., n)
    scaled = x / temperature  # (..., n)
    m = _safe_max(scaled, axis)  # (..., 1)
    shifted = scaled - m  # (..., n)  ≤ 0
    exps = np.exp(shifted)  # (..., n)
    total = np.sum(exps, axis=axis, keepdims=True)  # (..., 1)
    probs = exps / np.where(total == 0.0, 1.0, total)  # (..., n)  zeros for fully −inf rows
    return SoftmaxSteps(x, scaled, m, shifted, exps, total, probs, float(temperature))


def softmax(x: np.ndarray, temperature: float = 1.0, axis: int = -1) -> np.ndarray:
    """softmax(x/τ) along ``axis``, max-subtracted so it is finite for any finite input.

    The fast path of ``softmax_steps`` (one work array, updated in place; attention calls it on T×T
    scores). Fully −inf rows give zeros. Hinton et al. 2015, eq. 1 (τ = 1 is the ordinary softmax).
    """
    if temperature <= 0:
        raise ValueError(f"temperature must be positive, got {temperature}")
    x = np.asarray(x, dtype=np.float64)  # (..., n)
    m = _safe_max(x, axis)  # (..., 1)  max x; max(x/τ) = max(x)/τ since τ > 0
    p = x - m  # (..., n)  fresh work array, ≤ 0
    if temperature != 1.0:
        p /= temperature  # (..., n)  (x − m)/τ = x/τ − m/τ
    np.exp(p, out=p)  # (..., n)
    total = np.sum(p, axis=axis, keepdims=True)  # (..., 1)
    p /= np.where(total == 0.0, 1.0, total)  # (..., n)
    return p


def logsumexp(x: np.ndarray, axis: int = -1, keepdims: bool = False) -> np.ndarray:
    """log Σ_i exp(x_i) = m + log Σ_i exp(x_i − m), m = max_i x_i; −inf for fully −inf rows."""
    x = np.asarray(x, dtype=np.float64)  # (..., n)
    m = _safe_max(x, axis)  # (..., 1)
    total = np.sum(np.exp(x - m), axis=axis, keepdims=True)  # (..., 1)
    with np.errstate(divide="ignore"):
        out = m + np.log(total)  # (..., 1)  log 0 = −inf for fully −inf rows
    return out if keepdims else np.squeeze(out, axis=axis)


def log_softmax(x: np.ndarray, temperature: float = 1.0, axis: int = -1) -> np.ndarray:
    """log softmax(x/τ) = x/τ − logsumexp(x/τ), computed without ever forming exp of a large number."""
    scaled = np.asarray(x, dtype=np.float64) / temperature  # (..., n)
    return scaled - logsumexp(scaled, axis=axis, keepdims=True)  # (..., n)


def softmax_naive(x: np.ndarray, temperature: float = 1.0, axis: int = -1) -> np.ndarray:
    """Textbook exp(x/τ)/Σ exp(x/τ) with no max shift: overflows to NaN for x ≳ 710 (kept for the scene)."""
    with np.errstate(over="ignore", invalid="ignore"):
        e = np.exp(np.asarray(x, dtype=np.float64) / temperature)  # (..., n)
        return e / np.sum(e, axis=axis, keepdims=True)  # (..., n)


def softmax_jacobian(p: np.ndarray) -> np.ndarray:
    """∂p_i/∂x_j = p_i (δ_ij − p_j), i.e. J = diag(p) − p pᵀ for τ = 1 (divide by τ otherwise)."""
    p = np.asarray(p, dtype=np.float64)  # (..., n)
    return p[..., :, None] * np.eye(p.shape[-1]) - p[..., :, None] * p[..., None, :]  # (..., n, n)


def softmax_backward(p: np.ndarray, grad_p: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    """Vector–Jacobian product gᵀJ along the last axis: ∂L/∂x = p ⊙ (g − Σ_j g_j p_j) / τ."""
    p = np.asarray(p, dtype=np.float64)  # (..., n)
    dot = np.sum(grad_p * p, axis=-1, keepdims=True)  # (..., 1)
    return p * (grad_p - dot) / temperature  # (..., n)
