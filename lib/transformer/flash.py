"""Tiled attention with an online softmax: FlashAttention's forward pass, exact, in NumPy.

Milakov & Gimelshein 2018, "Online normalizer calculation for softmax", Alg. 3: one pass over x keeps a
running max m and a running normaliser d, rescaling d by exp(m_old − m_new) whenever the max grows:
    m_j = max(m_{j−1}, x_j),   d_j = d_{j−1} · exp(m_{j−1} − m_j) + exp(x_j − m_j).
Dao et al. 2022, "FlashAttention", Alg. 1 applies this per tile: the outer loop walks key/value blocks
K_j, V_j, the inner loop query blocks Q_i; each tile S_ij = τ Q_i K_jᵀ updates the row statistics
(m_i, l_i) and the output O_i, which is kept normalised (lines 9–13):
    m̃_ij = rowmax(S_ij),  P̃_ij = exp(S_ij − m̃_ij),  l̃_ij = rowsum(P̃_ij)
    m_new = max(m_i, m̃_ij),  l_new = e^{m_i − m_new} l_i + e^{m̃_ij − m_new} l̃_ij
    O_i ← diag(l_new)⁻¹ (diag(l_i) e^{m_i − m_new} O_i + e^{m̃_ij − m_new} P̃_ij V_j)
The result equals softmax(τ Q Kᵀ) V exactly (up to rounding) without ever forming the T_q × T_k matrix.
Masked entries are −inf; a tile whose mask is all False is skipped (block-sparse causal FlashAttention),
and fully masked rows end with l = 0 and output 0, matching ``lib.transformer.attention``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from lib.transformer.attention import causal_mask

# ── online softmax, one element at a time (Milakov & Gimelshein 2018, Alg. 3) ────────────────────────


@dataclass(frozen=True)
class OnlineSoftmaxResult:
    """Running statistics after each element, and the final probabilities."""

    m: np.ndarray  # (n,)  running max m_j
    d: np.ndarray  # (n,)  running normaliser d_j = Σ_{i≤j} exp(x_i − m_j)
    probs: np.ndarray  # (n,)  exp(x − m_n) / d_n


def online_softmax(x: np.ndarray) -> OnlineSoftmaxResult:
    """Softmax of a vector in one streaming pass — Milakov & Gimelshein 2018, Alg. 3 (sequential)."""
    x = np.asarray(x, dtype=np.float64)  # (n,)
    m_run, d_run = -math.inf, 0.0
    ms, ds = np.empty_like(x), np.empty_like(x)  # (n,), (n,)
    for j, xj in enumerate(x):
        m_new = max(m_run, float(xj))
        d_run = d_run * math.exp(m_run - m_new) + math.exp(xj - m_new) if m_new > -math.inf else 0.0
        m_run = m_new
        ms[j], ds[j] = m_run, d_run
    probs = np.exp(x - m_run) / d_run if d_run > 0 else np.zeros_like(x)  # (n,)
    return OnlineSoftmaxResult(ms, ds, probs)


# ── tiled attention (Dao et al. 2022, Alg. 1) ───────────────────────────────────────────────────────


@dataclass(frozen=True)
class FlashStep:
    """State of every query row after key/value block j has been folded in (Alg. 1, end of outer loop)."""

    block: int  # j
    key_start: int  # block j covers keys key_start … key_stop − 1
    key_stop: int
    m: np.ndarray  # (..., T_q)  running max
    l: np.ndarray  # (..., T_q)  running sum of exp(s − m)
    output: np.ndarray  # (..., T_q, d_v)  normalised running output O
    tiles_computed: int  # query tiles of this key block that were computed …
    tiles_skipped: int  # … and skipped because their mask was all False


@dataclass(frozen=True)
class FlashResult:
    output: np.ndarray  # (..., T_q, d_v)  = softmax(τ q kᵀ) v
    m: np.ndarray  # (..., T_q)  final row max
    l: np.ndarray  # (..., T_q)  final row normaliser; logsumexp = m + log l
    trace: tuple[FlashStep, ...]  # one entry per key/value block
    block_q: int
    block_k: int


def _safe(m: np.ndarray) -> np.ndarray:
    """Replace −inf by 0 so that x − m is −inf (not NaN) when x is also −inf."""
    return np.where(np.isneginf(m), 0.0, m)  # same shape as m


def flash_attention(
    q: np.ndarray,
    k: np.ndarray,
    v: np.ndarray,
    block_q: int = 16,
    block_k: int = 16,
    causal: bool = False,
    mask: np.ndarray | None = None,
    scale: float | None = None,
) -> FlashResult:
    """Exact attention by tiles with an online softmax — Dao et al. 2022, FlashAttention Alg. 1.

    q (..., T_q, d), k (..., T_k, d), v (..., T_k, d_v). ``causal`` uses
    ``lib.transformer.attention.causal_mask``
    (bottom-right aligned); ``mask`` (True = attend) broadcasts to (..., T_q, T_k) and is combined with it.
    """
    q, k, v = (
        np.asarray(a, dtype=np.float64) for a in (q, k, v)
    )  # (..., T_q, d), (..., T_k, d), (..., T_k, d_v)
    T_q, T_k, d_v = q.shape[-2], k.shape[-2], v.shape[-1]
    lead = np.broadcast_shapes(q.shape[:-2], k.shape[:-2], v.shape[:-2])
    tau = 1.0 / math.sqrt(q.shape[-1]) if scale is None else scale
    full = (
        np.ones((T_q, T_k), dtype=bool) if mask is None else np.asarray(mask, dtype=bool)
    )  # (..., T_q, T_k)
    if causal:
        full = full & causal_mask(T_q, T_k)  # (..., T_q, T_k)
    full = np.broadcast_to(full, (*lead, T_q, T_k))  # (..., T_q, T_k)

    O = np.zeros((*lead, T_q, d_v))  # (..., T_q, d_v)   Alg. 1 line 2
    l = np.zeros((*lead, T_q))  # (..., T_q)
    m = np.full((*lead, T_q), -np.inf)  # (..., T_q)
    trace = []
    for j, ks in enumerate(range(0, T_k, block_k)):  # outer loop over K_j, V_j (line 5)
        ke = min(ks + block_k, T_k)
        K_j, V_j = k[..., ks:ke, :], v[..., ks:ke, :]  # (..., B_c, d), (..., B_c, d_v)
        computed = skipped = 0
        for qs in range(0, T_q, block_q):  # inner loop over Q_i (line 7)
            qe = min(qs + block_q, T_q)
            tile_mask = full[..., qs:qe, ks:ke]  # (..., B_r, B_c)
            if not tile_mask.any():
                skipped += 1
                continue
            computed += 1
            S = tau * (q[..., qs:qe, :] @ K_j.swapaxes(-1, -2))  # (..., B_r, B_c)  line 9
            S = np.where(tile_mask, S, -np.inf)  # (..., B_r, B_c)
            m_i, l_i, O_i = m[..., qs:qe], l[..., qs:qe], O[..., qs:qe, :]  # (..., B_r), (..., B_r, d_v)
            m_t = S.max(axis=-1)  # (..., B_r)  m̃_ij, line 10
            P = np.exp(S - _safe(m_t)[..., None])  # (..., B_r, B_c)  P̃_ij
            l_t = P.sum(axis=-1)  # (..., B_r)  l̃_ij
            m_new = np.maximum(m_i, m_t)  # (..., B_r)  line 11
            alpha = np.exp(m_i - _safe(m_new))  # (..., B_r)  e^{m_i − m_new}  (0 if m_i = −inf)
            beta = np.exp(m_t - _safe(m_new))  # (..., B_r)  e^{m̃_ij − m_new}
            l_new = alpha * l_i + beta * l_t  # (..., B_r)
            acc = (l_i * alpha)[..., None] * O_i + beta[..., None] * (P @ V_j)  # (..., B_r, d_v)  line 12
            O[..., qs:qe, :] = acc / np.where(l_new == 0.0, 1.0, l_new)[..., None]  # (..., B_r, d_v)
            m[..., qs:qe], l[..., qs:qe] = m_new, l_new  # (..., B_r)  line 13
        trace.append(FlashStep(j, ks, ke, m.copy(), l.copy(), O.copy(), computed, skipped))
    return FlashResult(O, m, l, tuple(trace), block_q, block_k)
