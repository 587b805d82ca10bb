"""RoPE one pair at a time, and ALiBi with its causal mask: the quantities a lecture on positions draws.

* RoPE (Su et al. 2021, "RoFormer", eq. 13–16): the pair (x_{2i}, x_{2i+1}) of a query or key at position
  m is turned by the angle m·θ_i, θ_i = base^{−2i/d} (eq. 15). The score (R_m q)ᵀ(R_n k) = qᵀ R_{n−m} k
  (eq. 16) depends on the positions only through the offset m − n; :func:`rope_score` evaluates its left
  side, so equal offsets giving equal scores is a property of the numbers, not of the formula used.
* ALiBi (Press, Smith & Lewis 2022, §3): a causal language model adds −m_h·(i − j) to the score of query i
  and key j ≤ i, and −∞ (the causal mask of Vaswani et al. 2017, §3.2.3) to keys j > i.
"""

from __future__ import annotations

import numpy as np

from lib.transformer.attention import causal_mask
from lib.transformer.positions import alibi_bias, apply_rope, sinusoidal_frequencies


def rope_angles(d: int, base: float = 10000.0) -> np.ndarray:
    """θ_i = base^{−2i/d}, the angle per position of pair i (Su et al. 2021, eq. 15)."""
    return sinusoidal_frequencies(d, base)  # (d/2,)  the frequencies of Vaswani et al. §3.5


def query_key(d: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A seeded standard-normal query q and key k of width d (what one head would project)."""
    rng = np.random.default_rng(seed)
    qk = rng.standard_normal((2, d))  # (2, d)
    return qk[0], qk[1]


def rotated_pair(x: np.ndarray, pair: int, position: int, base: float = 10000.0) -> np.ndarray:
    """Pair ``pair`` of R^d_{Θ,m} x at position m: (x_{2i}, x_{2i+1}) turned by m·θ_i (eq. 13)."""
    rx = apply_rope(np.asarray(x, dtype=np.float64)[None, :], np.array([position]), base)[0]  # (d,)
    return rx[2 * pair : 2 * pair + 2]  # (2,)


def rope_score(q: np.ndarray, k: np.ndarray, m: int, n: int, base: float = 10000.0) -> float:
    """q_mᵀ k_n = (R_m q)ᵀ (R_n k), RoFormer eq. 16 (the unscaled score; attention divides it by √d)."""
    qm = apply_rope(np.asarray(q, dtype=np.float64)[None, :], np.array([m]), base)[0]  # (d,)
    kn = apply_rope(np.asarray(k, dtype=np.float64)[None, :], np.array([n]), base)[0]  # (d,)
    return float(qm @ kn)


def alibi_causal_bias(n_heads: int, T: int) -> np.ndarray:
    """What a causal ALiBi model adds to its scores: −m_h·(i − j) for j ≤ i, −∞ for j > i (Press et al. 2022,
    §3, Fig. 3, with the decoder mask of Vaswani et al. 2017, §3.2.3)."""
    return np.where(causal_mask(T)[None, :, :], alibi_bias(n_heads, T), -np.inf)  # (H, T, T)
