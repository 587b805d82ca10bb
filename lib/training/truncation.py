"""Shaping a next-token distribution before sampling: temperature, top-k and nucleus (top-p) cut-offs.

- Temperature: p_τ = softmax(z / τ) (Hinton, Vinyals & Dean 2015, eq. 1): τ < 1 sharpens, τ > 1 flattens.
- Top-k (Fan, Lewis & Dauphin 2018, "Hierarchical Neural Story Generation", §5.4): keep the k likeliest
  tokens, renormalise.
- Nucleus / top-p (Holtzman et al. 2020, "The Curious Case of Neural Text Degeneration", eq. 3): keep the
  smallest set V^(p) of likeliest tokens with Σ_{x ∈ V^(p)} p(x) ≥ p, and p'(x) = p(x) / Σ_{V^(p)} p.
- Entropy H(p) = −Σ p log p in nats (Shannon 1948): how spread the distribution is; exp(H) is its
  "effective number of choices".

Tokens are ordered by decreasing probability, ties by increasing id (as ``lib.models.generate`` samples).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def order(probs: np.ndarray) -> np.ndarray:
    """Token ids by decreasing probability, ties by increasing id."""
    probs = np.asarray(probs, dtype=np.float64)  # (V,)
    return np.lexsort((np.arange(len(probs)), -probs))  # (V,)


def entropy(probs: np.ndarray) -> float:
    """H(p) = −Σ_i p_i log p_i in nats; 0 · log 0 counts as 0."""
    p = np.asarray(probs, dtype=np.float64)  # (V,)
    nz = p[p > 0]
    return float(-(nz * np.log(nz)).sum())


@dataclass(frozen=True)
class Cutoff:
    """A truncated distribution: which tokens survive and their renormalised probabilities."""

    order: np.ndarray  # (V,)  ids, likeliest first
    cumulative: np.ndarray  # (V,)  Σ of the sorted probabilities up to and including each rank
    kept: int  # how many of the likeliest survive
    mass: float  # their total probability before renormalising
    probs: np.ndarray  # (V,)  renormalised: p_i / mass for survivors, 0 for the others (by id)


def _cut(probs: np.ndarray, ids: np.ndarray, kept: int) -> Cutoff:
    p = np.asarray(probs, dtype=np.float64)  # (V,)
    cumulative = np.cumsum(p[ids])  # (V,)
    mass = float(cumulative[kept - 1])
    out = np.zeros_like(p)  # (V,)
    out[ids[:kept]] = p[ids[:kept]] / mass
    return Cutoff(ids, cumulative, kept, mass, out)


def top_k(probs: np.ndarray, k: int) -> Cutoff:
    """Keep the k likeliest tokens and renormalise (Fan et al. 2018)."""
    if not 1 <= k <= len(probs):
        raise ValueError(f"k must be in [1, {len(probs)}], got {k}")
    return _cut(probs, order(probs), k)


def top_p(probs: np.ndarray, p: float) -> Cutoff:
    """Nucleus: the smallest prefix of the likeliest tokens whose total is ≥ p, renormalised
    (Holtzman et al. 2020, eq. 3). The likeliest token always survives."""
    if not 0.0 < p <= 1.0:
        raise ValueError(f"p must be in (0, 1], got {p}")
    ids = order(probs)  # (V,)
    cumulative = np.cumsum(np.asarray(probs, dtype=np.float64)[ids])  # (V,)
    kept = min(int(np.searchsorted(cumulative, p, side="left")) + 1, len(ids))  # first rank reaching p
    return _cut(probs, ids, kept)
