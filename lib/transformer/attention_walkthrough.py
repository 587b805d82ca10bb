"""One attention head worked through by hand: inputs, projections, one softmax row, temperature, geometry.

Vaswani et al. 2017, "Attention Is All You Need":
    eq. 1   Attention(Q, K, V) = softmax(Q Kᵀ / √d_k) V,   Q = X W_Q, K = X W_K, V = X W_V (§3.2.2)
Temperature (Hinton, Vinyals & Dean 2015, eq. 1): p_j(τ) = exp(s_j/τ) / Σ_l exp(s_l/τ); its Shannon entropy
H = −Σ_j p_j ln p_j (nats) goes from 0 (all weight on one key) to ln T_k (uniform) as τ grows.
The score is a dot product, q·k = |q| |k| cos θ: a key scores high when it points where the query points.

The example's inputs and weights have ONE decimal (seeded draws, rounded), so Q = X W_Q shown with two
decimals is exact and a viewer can check any entry by hand.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from lib.core.softmax import softmax
from lib.transformer.attention import AttentionResult, scaled_dot_product_attention


@dataclass(frozen=True)
class Walkthrough:
    """Every stage of eq. 1 for one head, on an example small enough to print."""

    x: np.ndarray  # (T, d_model)  token embeddings X (one decimal)
    w_q: np.ndarray  # (d_model, d_k)  W_Q (one decimal)
    w_k: np.ndarray  # (d_model, d_k)  W_K
    w_v: np.ndarray  # (d_model, d_v)  W_V
    q: np.ndarray  # (T, d_k)  X W_Q
    k: np.ndarray  # (T, d_k)  X W_K
    v: np.ndarray  # (T, d_v)  X W_V
    attention: AttentionResult  # scores Q Kᵀ, scaled / √d_k, weights, output (T, d_v)

    @property
    def sqrt_dk(self) -> float:
        """√d_k, the divisor of eq. 1 (keeps the scores' variance independent of the head width)."""
        return math.sqrt(self.q.shape[-1])


def example_walkthrough(n_tokens: int, d_model: int, d_k: int, seed: int, scale: float = 1.0) -> Walkthrough:
    """Seeded X ~ N(0, 1) and W ~ U(−scale, scale), both rounded to one decimal, then eq. 1 (d_v = d_k)."""
    rng = np.random.default_rng(seed)
    x = np.round(rng.standard_normal((n_tokens, d_model)), 1)  # (T, d_model)
    w_q, w_k, w_v = (
        np.round(rng.uniform(-scale, scale, (d_model, d_k)), 1) for _ in range(3)
    )  # (d_model, d_k)
    q, k, v = x @ w_q, x @ w_k, x @ w_v  # (T, d_k) each
    return Walkthrough(x, w_q, w_k, w_v, q, k, v, scaled_dot_product_attention(q, k, v))


@dataclass(frozen=True)
class SoftmaxRow:
    """softmax of one row of scaled scores, the way it is done by hand: exponentiate, add up, divide."""

    logits: np.ndarray  # (n,)  s_j
    exps: np.ndarray  # (n,)  exp(s_j)
    total: float  # Σ_j exp(s_j)
    probs: np.ndarray  # (n,)  exp(s_j) / Σ


def softmax_by_hand(row: np.ndarray) -> SoftmaxRow:
    """exp, sum, divide — without the max shift (fine for the small scores of an example; the library's
    ``softmax`` subtracts the max so that large logits cannot overflow, with the same result)."""
    s = np.asarray(row, dtype=np.float64)  # (n,)
    e = np.exp(s)  # (n,)
    total = float(e.sum())
    return SoftmaxRow(s, e, total, e / total)


def entropy(p: np.ndarray) -> np.ndarray:
    """H(p) = −Σ_j p_j ln p_j in nats along the last axis (0 · ln 0 = 0)."""
    p = np.asarray(p, dtype=np.float64)  # (..., n)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(p > 0, -p * np.log(p), 0.0)  # (..., n)
    return terms.sum(-1)  # (...,)


@dataclass(frozen=True)
class TemperatureSweep:
    temperatures: np.ndarray  # (n_T,)
    probs: np.ndarray  # (n_T, n)  softmax(s / τ) per temperature
    entropy: np.ndarray  # (n_T,)  nats
    max_entropy: float  # ln n: the uniform distribution's


def temperature_sweep(row: np.ndarray, temperatures: tuple[float, ...] | list[float]) -> TemperatureSweep:
    """One row of scaled scores at several temperatures (Hinton et al. 2015, eq. 1) and each entropy."""
    s = np.asarray(row, dtype=np.float64)  # (n,)
    taus = np.asarray(temperatures, dtype=np.float64)  # (n_T,)
    probs = softmax(s[None, :] / taus[:, None], axis=-1)  # (n_T, n)
    return TemperatureSweep(taus, probs, entropy(probs), math.log(s.size))


@dataclass(frozen=True)
class Angle:
    """q·k = |q| |k| cos θ for one query and one key."""

    dot: float
    norm_q: float
    norm_k: float
    cos: float
    degrees: float


def angle_between(q: np.ndarray, k: np.ndarray) -> Angle:
    """|q|, |k|, cos θ = q·k / (|q| |k|) and θ in degrees (arccos, clipped against rounding past ±1)."""
    q, k = np.asarray(q, dtype=np.float64), np.asarray(k, dtype=np.float64)  # (d,), (d,)
    dot = float(q @ k)
    nq, nk = float(np.linalg.norm(q)), float(np.linalg.norm(k))
    c = dot / (nq * nk)
    return Angle(dot, nq, nk, c, math.degrees(math.acos(max(-1.0, min(1.0, c)))))
