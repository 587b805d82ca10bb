"""Synthetic attention-weight patterns for the visualiser: local band, global tokens, translation alignment.

These are illustrative, not learned: each pattern is a support (which keys a query may attend to) and
seeded logits on that support, turned into weights by the stable softmax, so every row sums to 1 and is
exactly 0 off the support.
  * local   — Longformer's sliding window (Beltagy et al. 2020, §3.1, Fig. 2b): |i − j| ≤ w.
  * global  — Longformer's global attention (§3.1, Fig. 2d): a few chosen tokens attend to every token
              and every token attends to them, on top of the local band.
  * alignment — the near-monotonic soft alignment of neural machine translation (Bahdanau, Cho & Bengio
              2015, Fig. 3): target token t attends around a source position c_t that never moves
              backwards, from c_0 = 0 to c_{T_tgt−1} = T_src − 1.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lib.core.softmax import softmax


@dataclass(frozen=True)
class AttentionPattern:
    kind: str  # "local" | "global" | "alignment"
    support: np.ndarray  # (T_q, T_k) bool, where weights may be non-zero
    logits: np.ndarray  # (T_q, T_k)  −inf off the support
    weights: np.ndarray  # (T_q, T_k)  softmax of logits; rows sum to 1
    centers: np.ndarray | None = None  # (T_q,)  alignment only: source position each target row centres on


def _pattern(
    kind: str, support: np.ndarray, scores: np.ndarray, centers: np.ndarray | None = None
) -> AttentionPattern:
    """Mask the scores to the support and normalise each row with the stable softmax."""
    logits = np.where(support, scores, -np.inf)  # (T_q, T_k)
    return AttentionPattern(kind, support, logits, softmax(logits, axis=-1), centers)


def local_pattern(
    T: int, half_width: int, noise: float = 0.0, decay: float = 0.0, seed: int = 0
) -> AttentionPattern:
    """Band of keys |i − j| ≤ half_width around each query (Beltagy et al. 2020, Fig. 2b).

    Logits are −decay·|i − j| (nearer keys heavier) plus N(0, noise²) jitter; noise = decay = 0 gives
    uniform weights over the band.
    """
    rng = np.random.default_rng(seed)
    dist = np.abs(np.arange(T)[:, None] - np.arange(T)[None, :])  # (T, T)
    scores = -decay * dist + noise * rng.standard_normal((T, T))  # (T, T)
    return _pattern("local", dist <= half_width, scores)


def global_pattern(
    T: int, global_tokens: list[int] | tuple[int, ...], half_width: int = 1, noise: float = 0.0, seed: int = 0
) -> AttentionPattern:
    """Local band plus symmetric global attention for ``global_tokens`` (Beltagy et al. 2020, Fig. 2d).

    Rows of global tokens cover every key; columns of global tokens are covered by every query.
    """
    rng = np.random.default_rng(seed)
    g = np.zeros(T, dtype=bool)  # (T,)
    g[list(global_tokens)] = True
    dist = np.abs(np.arange(T)[:, None] - np.arange(T)[None, :])  # (T, T)
    support = (dist <= half_width) | g[:, None] | g[None, :]  # (T, T)
    return _pattern("global", support, noise * rng.standard_normal((T, T)))


def alignment_pattern(
    T_src: int, T_tgt: int, sharpness: float = 2.0, jitter: float = 0.5, seed: int = 0
) -> AttentionPattern:
    """Near-monotonic diagonal between a source (keys) and a target (queries) of different lengths.

    Centres c_t are the cumulative sum of positive random steps, rescaled to run from 0 to T_src − 1, so
    they never decrease; ``jitter`` ∈ [0, 1) sets how uneven the steps are (0 = straight diagonal).
    Weights are a Gaussian bump around c_t, logits = −sharpness · (j − c_t)², over the whole source.
    """
    if not 0.0 <= jitter < 1.0:
        raise ValueError(f"jitter must be in [0, 1), got {jitter}")
    rng = np.random.default_rng(seed)
    steps = 1.0 + jitter * rng.uniform(-1.0, 1.0, size=T_tgt - 1)  # (T_tgt − 1,)  all > 0
    c = np.concatenate([[0.0], np.cumsum(steps)])  # (T_tgt,)  non-decreasing
    centers = c / c[-1] * (T_src - 1) if T_tgt > 1 else c  # (T_tgt,)  0 … T_src − 1
    j = np.arange(T_src)[None, :]  # (1, T_src)
    scores = -sharpness * (j - centers[:, None]) ** 2  # (T_tgt, T_src)
    return _pattern("alignment", np.ones((T_tgt, T_src), dtype=bool), scores, centers)
