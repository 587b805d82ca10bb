"""Position information for attention: sinusoidal encodings, rotary embeddings (RoPE), ALiBi biases.

* Sinusoidal (Vaswani et al. 2017, §3.5): PE(pos, 2i) = sin(pos / base^{2i/d}), PE(pos, 2i+1) = cos(…),
  added to the token embeddings; PE(pos + k) is a fixed rotation of PE(pos) for every pos.
* RoPE (Su et al. 2021, "RoFormer", §3.2–3.4): rotate each consecutive pair (x_{2i}, x_{2i+1}) of a query
  or key at position m by the angle m·θ_i, θ_i = base^{−2i/d}. Three equal forms are kept: the complex
  product (x_{2i} + i x_{2i+1}) e^{i m θ_i} (eq. 12 generalised), the block-diagonal matrix R^d_{Θ,m}
  (eq. 15) and the element-wise form x ⊙ cos(mθ) + rot(x) ⊙ sin(mθ) (eq. 34), the fast one. Because
  R_mᵀ R_n = R_{n−m}, q_m · k_n depends on positions only through m − n.
* ALiBi (Press, Smith & Lewis 2022, "Train Short, Test Long", §3): no embedding at all; head h adds
  −m_h · (i − j) to the score of query i and key j, with geometric slopes m_h.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

# ── sinusoidal (Vaswani et al. 2017, §3.5) ──────────────────────────────────────────────────────────


def sinusoidal_frequencies(d: int, base: float = 10000.0) -> np.ndarray:
    """ω_i = 1 / base^{2i/d} for i = 0 … d/2 − 1 (wavelengths form a geometric progression 2π … base·2π)."""
    if d % 2:
        raise ValueError(f"d must be even, got {d}")
    return base ** (-np.arange(0, d, 2) / d)  # (d/2,)


def sinusoidal_encoding(T: int, d: int, base: float = 10000.0) -> np.ndarray:
    """PE(pos, 2i) = sin(pos ω_i), PE(pos, 2i+1) = cos(pos ω_i) — Vaswani et al. 2017, §3.5."""
    angles = np.arange(T)[:, None] * sinusoidal_frequencies(d, base)[None, :]  # (T, d/2)
    pe = np.empty((T, d))  # (T, d)
    pe[:, 0::2] = np.sin(angles)  # (T, d/2)
    pe[:, 1::2] = np.cos(angles)  # (T, d/2)
    return pe


def sinusoidal_shift_matrix(k: int, d: int, base: float = 10000.0) -> np.ndarray:
    """The linear map M_k with PE(pos + k) = M_k PE(pos) for every pos (the §3.5 motivation).

    Block i maps (sin pω, cos pω) to (sin (p+k)ω, cos (p+k)ω) = [[cos kω, sin kω], [−sin kω, cos kω]] · (…).
    """
    w = sinusoidal_frequencies(d, base) * k  # (d/2,)
    M = np.zeros((d, d))  # (d, d)
    M[0::2, 0::2] = np.diag(np.cos(w))  # (d/2, d/2)
    M[0::2, 1::2] = np.diag(np.sin(w))  # (d/2, d/2)
    M[1::2, 0::2] = np.diag(-np.sin(w))  # (d/2, d/2)
    M[1::2, 1::2] = np.diag(np.cos(w))  # (d/2, d/2)
    return M


# ── RoPE (Su et al. 2021) ───────────────────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class RopeTables:
    """What the rotation needs at each position, laid out as in eq. 34."""

    theta: np.ndarray  # (d/2,)  θ_i = base^{−2i/d}
    angles: np.ndarray  # (T, d/2)  m θ_i
    cos: np.ndarray  # (T, d)  (cos mθ_0, cos mθ_0, cos mθ_1, cos mθ_1, …)
    sin: np.ndarray  # (T, d)  (sin mθ_0, sin mθ_0, …)


def rope_tables(positions: np.ndarray, d: int, base: float = 10000.0) -> RopeTables:
    """Angles m θ_i and their interleaved cos/sin for each position m (Su et al. 2021, eq. 15/34)."""
    theta = sinusoidal_frequencies(d, base)  # (d/2,)  same frequencies as §3.5 of Vaswani et al.
    angles = np.asarray(positions, dtype=np.float64)[:, None] * theta[None, :]  # (T, d/2)
    return RopeTables(theta, angles, np.repeat(np.cos(angles), 2, -1), np.repeat(np.sin(angles), 2, -1))


def _positions(x: np.ndarray, positions: np.ndarray | None) -> np.ndarray:
    return np.arange(x.shape[-2]) if positions is None else np.asarray(positions)  # (T,)


def rotate_pairs(x: np.ndarray) -> np.ndarray:
    """(x_0, x_1, x_2, x_3, …) → (−x_1, x_0, −x_3, x_2, …): the second vector of eq. 34."""
    out = np.empty_like(x)  # (..., d)
    out[..., 0::2] = -x[..., 1::2]  # (..., d/2)
    out[..., 1::2] = x[..., 0::2]  # (..., d/2)
    return out


def apply_rope(x: np.ndarray, positions: np.ndarray | None = None, base: float = 10000.0) -> np.ndarray:
    """R^d_{Θ,m} x = x ⊙ cos(mθ) + rot(x) ⊙ sin(mθ) — Su et al. 2021, eq. 34 (vectorised).

    x (..., T, d) with d even; ``positions`` (T,) default 0 … T − 1.
    """
    x = np.asarray(x, dtype=np.float64)  # (..., T, d)
    tab = rope_tables(_positions(x, positions), x.shape[-1], base)
    return x * tab.cos + rotate_pairs(x) * tab.sin  # (..., T, d)


def rope_matrix(m: float, d: int, base: float = 10000.0) -> np.ndarray:
    """The block-diagonal rotation R^d_{Θ,m} of Su et al. 2021, eq. 15: blocks [[cos mθ_i, −sin mθ_i],
    [sin mθ_i, cos mθ_i]]."""
    a = m * sinusoidal_frequencies(d, base)  # (d/2,)
    R = np.zeros((d, d))  # (d, d)
    i = np.arange(0, d, 2)  # (d/2,)
    R[i, i], R[i, i + 1] = np.cos(a), -np.sin(a)  # (d/2,)
    R[i + 1, i], R[i + 1, i + 1] = np.sin(a), np.cos(a)  # (d/2,)
    return R


def apply_rope_matrix(
    x: np.ndarray, positions: np.ndarray | None = None, base: float = 10000.0
) -> np.ndarray:
    """R^d_{Θ,m} x_m with the explicit d×d matrix of eq. 15, one position at a time (the plain reference)."""
    x = np.asarray(x, dtype=np.float64)  # (..., T, d)
    pos = _positions(x, positions)  # (T,)
    out = np.empty_like(x)  # (..., T, d)
    for t, m in enumerate(pos):
        out[..., t, :] = x[..., t, :] @ rope_matrix(float(m), x.shape[-1], base).T  # (..., d)
    return out


def apply_rope_complex(
    x: np.ndarray, positions: np.ndarray | None = None, base: float = 10000.0
) -> np.ndarray:
    """Pairs as complex numbers z_i = x_{2i} + i x_{2i+1}, times e^{i m θ_i} (Su et al. 2021, §3.2)."""
    x = np.asarray(x, dtype=np.float64)  # (..., T, d)
    z = x[..., 0::2] + 1j * x[..., 1::2]  # (..., T, d/2)
    tab = rope_tables(_positions(x, positions), x.shape[-1], base)
    z = z * np.exp(1j * tab.angles)  # (..., T, d/2)
    out = np.empty_like(x)  # (..., T, d)
    out[..., 0::2], out[..., 1::2] = z.real, z.imag  # (..., T, d/2)
    return out


# ── ALiBi (Press et al. 2022) ───────────────────────────────────────────────────────────────────────


def alibi_slopes(n_heads: int) -> np.ndarray:
    """Head slopes m_h of Press et al. 2022, §3: the geometric sequence starting at 2^{−8/n} with that ratio.

    For n not a power of two, take the 2^⌊log₂ n⌋ slopes of that power, then fill up with every other slope
    of the sequence for twice that power (the paper's footnote recipe / its reference code).
    """

    def power_of_two(n: int) -> list[float]:
        start = 2.0 ** (-8.0 / n)
        return [start ** (h + 1) for h in range(n)]

    if n_heads < 1:
        raise ValueError(f"n_heads must be ≥ 1, got {n_heads}")
    p = 2 ** math.floor(math.log2(n_heads))
    slopes = power_of_two(p) + power_of_two(2 * p)[0::2][: n_heads - p]
    return np.array(slopes)  # (H,)


def alibi_bias(n_heads: int, T_q: int, T_k: int | None = None) -> np.ndarray:
    """Additive score bias −m_h · (i − j), Press et al. 2022, §3 (Fig. 3); add to q·kᵀ/√d before the mask.

    Queries sit at the last T_q key positions (as ``lib.transformer.attention.causal_mask``). Entries with
    j > i are
    positive and meant to be removed by the causal mask, as in the paper's causal language models.
    """
    T_k = T_q if T_k is None else T_k
    i = np.arange(T_q)[:, None] + (T_k - T_q)  # (T_q, 1)
    rel = np.arange(T_k)[None, :] - i  # (T_q, T_k)  j − i
    return alibi_slopes(n_heads)[:, None, None] * rel[None, :, :]  # (H, T_q, T_k)
