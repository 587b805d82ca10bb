"""A toy selective SSM on a sentence: the numbers the Mamba lecture's selection and scan scenes show.

Tokens are whitespace-split words; each word has a fixed embedding (seeded by the word itself, so a
repeated word gets the same vector), and seeded random projections give Δ_t, B_t and C_t as in Mamba
Algorithm 2 (Gu & Dao 2023): B = x W_B, C = x W_C, Δ = softplus(x W_Δ + b_Δ). A is S4D-real,
A[d, n] = −(n + 1) (Gu et al. 2022, "On the Parameterization and Initialization of Diagonal SSMs").
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np

from lib.mamba.scan import BlellochTrace, blelloch_scan
from lib.mamba.ssm import (
    ScanResult,
    SelectiveMethod,
    SelectiveParams,
    selective_params,
    selective_scan_sequential,
)


@dataclass(frozen=True)
class ToySelectiveSSM:
    tokens: tuple[str, ...]
    x: np.ndarray  # (L, D) token embeddings
    A: np.ndarray  # (D, N) negative reals
    sel: SelectiveParams  # Δ (L, D), B (L, N), C (L, N)
    scan: ScanResult  # Ā_t, B̄_t x_t, h_t, y_t
    discretization: SelectiveMethod


def tokenize(sentence: str) -> tuple[str, ...]:
    return tuple(sentence.split())


def embed(tokens: tuple[str, ...], d: int, seed: int) -> np.ndarray:
    """One fixed vector per distinct word: N(0, 1) entries seeded by crc32(word) and ``seed``."""
    rows = [np.random.default_rng([zlib.crc32(w.lower().encode()), seed]).standard_normal(d) for w in tokens]
    return np.stack(rows) if rows else np.zeros((0, d))  # (L, D)


def toy_selective_ssm(
    sentence: str,
    d_inner: int = 4,
    d_state: int = 4,
    seed: int = 0,
    delta_bias: float = -1.0,
    discretization: SelectiveMethod = "zoh",
) -> ToySelectiveSSM:
    """Build the toy model for ``sentence`` and run the sequential selective scan over it."""
    tokens = tokenize(sentence)
    if not tokens:
        raise ValueError("the sentence has no tokens")
    D, N = d_inner, d_state
    x = embed(tokens, D, seed)  # (L, D)
    rng = np.random.default_rng(seed)
    scale = 1.0 / np.sqrt(D)
    W_dt_down = rng.standard_normal((D, 1)) * scale  # (D, 1)  rank-1 Δ projection (Linear_1, broadcast)
    W_dt_up = (
        np.abs(rng.standard_normal((1, D))) + 0.5
    )  # (1, D)  positive: one token score drives all channels
    b_dt = np.full(D, delta_bias)  # (D,)
    W_B = rng.standard_normal((D, N)) * scale  # (D, N)
    W_C = rng.standard_normal((D, N)) * scale  # (D, N)
    sel = selective_params(x, W_dt_down, W_dt_up, b_dt, W_B, W_C)
    A = -np.tile(np.arange(1, N + 1, dtype=np.float64), (D, 1))  # (D, N) S4D-real
    scan = selective_scan_sequential(x, sel.delta, A, sel.B, sel.C, discretization=discretization)
    return ToySelectiveSSM(tokens, x, A, sel, scan, discretization)


def channel_scan(model: ToySelectiveSSM, d: int, n: int) -> BlellochTrace:
    """The Blelloch scan of one (channel d, state n) recurrence h_t = Ā_t h_{t−1} + B̄_t x_t of ``model``."""
    return blelloch_scan(model.scan.A_bar[:, d, n], model.scan.Bx[:, d, n])  # a, b (L,)
