"""Sampled continuations from the trained induction model with temperature, top-k and top-p.

Each step runs the newest token through the KV-cached layers (``lib.models.generate.step``), forms
p = softmax(logits / τ) (Hinton et al. 2015, eq. 1), truncates it to the k likeliest tokens (Fan et al.
2018) and/or to the nucleus of mass ≥ p (Holtzman et al. 2020, eq. 3), renormalises, and picks by the
inverse CDF of the s-th draw u of ``np.random.default_rng(seed)`` over the tokens likeliest first
(``generate.sample_index``), so a test can redraw u and check every pick.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lib.core.softmax import softmax
from lib.models import generate, induction
from lib.training import truncation


@dataclass(frozen=True)
class Continuation:
    seed: int
    tokens: tuple[int, ...]  # the generated tokens only
    probs: tuple[float, ...]  # each one's probability under the truncated, renormalised distribution
    draws: tuple[float, ...]  # the uniform u of each step


def truncated(
    logits: np.ndarray, temperature: float = 1.0, k: int | None = None, p: float | None = None
) -> np.ndarray:
    """softmax(logits / τ), then top-k, then top-p (each optional), renormalised: (V,)."""
    probs = softmax(np.asarray(logits, dtype=np.float64), temperature)  # (V,)
    if k is not None:
        probs = truncation.top_k(probs, k).probs
    if p is not None:
        probs = truncation.top_p(probs, p).probs
    return probs


def continue_sequence(
    w: induction.DecoderLMWeights,
    prompt: list[int] | tuple[int, ...],
    steps: int,
    seed: int,
    temperature: float = 1.0,
    k: int | None = None,
    p: float | None = None,
) -> Continuation:
    """Prefill ``prompt`` through the cache, then sample ``steps`` tokens, each fed back in."""
    if len(prompt) + steps - 1 > w.pos.shape[0]:
        raise ValueError(f"prompt + steps − 1 must be ≤ {w.pos.shape[0]} positions")
    rng = np.random.default_rng(seed)
    caches = generate.empty_caches(w)
    for tok in prompt:
        st = generate.step(w, caches, tok)
        caches = st.caches
    toks, probs, draws = [], [], []
    for s in range(steps):
        dist = truncated(st.logits, temperature, k, p)  # (V,)
        u = float(rng.random())
        tok = generate.sample_index(dist, u)
        toks.append(tok)
        probs.append(float(dist[tok]))
        draws.append(u)
        if s < steps - 1:
            st = generate.step(w, caches, tok)
            caches = st.caches
    return Continuation(seed, tuple(toks), tuple(probs), tuple(draws))
