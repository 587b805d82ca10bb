"""Autoregressive generation from the trained induction model, token by token through a real KV cache.

At step t only the newest token is run through the layers: each layer's LayerNorm, its query, key and
value, then attention of that one query over every cached key (Vaswani et al. 2017, eq. 1 with the causal
mask of §3.2.3: a past token never sees a later one, so its keys and values never change and can be kept).
The next token is then picked from p = softmax(logits / τ) (Hinton et al. 2015, eq. 1):

- greedy: argmax p (τ plays no role);
- sampling: the inverse-CDF pick of a uniform draw u ∈ [0, 1), over the tokens in order of decreasing
  probability (ties by id): the first token whose cumulative probability exceeds u. Any fixed order samples
  from p; this one puts the likeliest token first, so u < p_max picks the greedy token (what a scene can
  draw as one bar cut into segments). The u of step s is the s-th ``np.random.default_rng(seed).random()``,
  so a test can redraw it and check the pick.

``logits`` equal those of the full forward pass (``lib.models.induction.forward``) on the same prefix,
which the tests check (and both against the torch model).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from lib.core.softmax import softmax
from lib.models import induction
from lib.models.configs import INDUCTION_MODEL
from lib.nets.norms import layer_norm
from lib.transformer.attention import AttentionResult, causal_mask, scaled_dot_product_attention
from lib.transformer.ffn import ffn
from lib.transformer.kv_cache import KVCache, decode_step

BYTES_PER_NUMBER = 8  # float64, as lib computes


def symbols(tokens: np.ndarray | list[int]) -> tuple[str, ...]:
    """Readable names of the induction task's 32 token ids: A … Z, then α … ζ (ids carry no meaning)."""
    names = "ABCDEFGHIJKLMNOPQRSTUVWXYZαβγδεζ"
    return tuple(names[int(t)] for t in tokens)


def by_probability(probs: np.ndarray) -> np.ndarray:
    """Token ids in order of decreasing probability, ties by increasing id."""
    return np.lexsort((np.arange(len(probs)), -np.asarray(probs)))  # (V,)


def sample_index(probs: np.ndarray, u: float) -> int:
    """Inverse-CDF sampling over the tokens by decreasing probability: the first whose cumulative
    probability exceeds u (u uniform in [0, 1); the last token if rounding leaves the total below u)."""
    order = by_probability(probs)  # (V,)
    cdf = np.cumsum(np.asarray(probs)[order])  # (V,)
    return int(order[min(int(np.searchsorted(cdf, u, side="right")), len(order) - 1)])


@dataclass(frozen=True)
class CachedStep:
    """One token through the layers: its position, the logits it yields, the caches after it."""

    position: int
    logits: np.ndarray  # (V,)  for the token at position + 1
    caches: tuple[KVCache, ...]  # per layer: k, v (H, position + 1, d_head)
    weights: tuple[np.ndarray, ...]  # per layer: this query's attention over the cache (H, position + 1)


def step(w: induction.DecoderLMWeights, caches: tuple[KVCache, ...], token: int) -> CachedStep:
    """Run one token at position ``caches[0].length`` through the pre-norm layers, appending its k and v."""
    t = caches[0].length
    H, eps = w.n_heads, INDUCTION_MODEL.eps
    x = w.embed[token] + w.pos[t]  # (d,)
    new_caches, weights = [], []
    for lw, cache in zip(w.layers, caches, strict=True):
        a = lw.self_attn
        z = layer_norm(x, lw.norm1.gamma, lw.norm1.beta, eps).y  # (d,)
        q, k, v = (
            (z @ W + b).reshape(H, 1, -1) for W, b in ((a.W_q, a.b_q), (a.W_k, a.b_k), (a.W_v, a.b_v))
        )  # (H, 1, d_head) each
        cache, st = decode_step(cache, q, k, v, step=t)  # the one query attends to the whole cache
        x = x + st.output.reshape(-1) @ a.W_o + a.b_o  # (d,)  concat heads, W^O, residual
        x = x + ffn(layer_norm(x, lw.norm2.gamma, lw.norm2.beta, eps).y, lw.ffn).y  # (d,)
        new_caches.append(cache)
        weights.append(st.weights[:, 0])  # (H, t + 1)
    logits = layer_norm(x, w.norm.gamma, w.norm.beta, eps).y @ w.W_head + w.b_head  # (V,)
    return CachedStep(t, logits, tuple(new_caches), tuple(weights))


def head_scores(
    w: induction.DecoderLMWeights, tokens: list[int] | tuple[int, ...], layer: int, head: int
) -> AttentionResult:
    """One head's causal attention on ``tokens``: q kᵀ/√d_k, −∞ above the diagonal, softmax (eq. 1, §3.2.3).

    q and k are those of the full forward pass (``lib.models.induction.forward``), split into heads.
    """
    tr = induction.forward(w, np.asarray(tokens)[None])
    mha = tr.layers[layer].self_attn.detail  # MHAOutput
    q, k, v = mha.q[0, head], mha.k[0, head], mha.v[0, head]  # (T, d_head) each
    return scaled_dot_product_attention(q, k, v, mask=causal_mask(len(tokens)))  # (T, T) stages


def empty_caches(w: induction.DecoderLMWeights) -> tuple[KVCache, ...]:
    d_head = w.embed.shape[1] // w.n_heads
    return tuple(KVCache.empty(d_head, lead=(w.n_heads,)) for _ in w.layers)


@dataclass(frozen=True)
class GenStep:
    """One generated token: the distribution it came from and how it was picked."""

    position: int  # the position whose output predicts this token (its input is tokens[position])
    probs: np.ndarray  # (V,)  softmax(logits / τ)
    greedy: int  # argmax of the logits
    u: float | None  # the uniform draw (sampling), None for greedy
    token: int  # the token appended
    cache_length: int  # tokens whose keys and values are cached after this step
    cache_bytes: int  # their keys and values, every layer and head, float64


@dataclass(frozen=True)
class Generation:
    prompt: tuple[int, ...]
    tokens: tuple[int, ...]  # prompt + generated
    steps: tuple[GenStep, ...]
    temperature: float
    caches: tuple[KVCache, ...]  # after the last step


def generate(
    w: induction.DecoderLMWeights,
    prompt: list[int] | tuple[int, ...],
    steps: int,
    mode: Literal["greedy", "sample"] = "greedy",
    temperature: float = 1.0,
    seed: int = 0,
) -> Generation:
    """Prefill the prompt token by token, then generate ``steps`` tokens, each fed back in."""
    if len(prompt) + steps - 1 > w.pos.shape[0]:
        raise ValueError(f"prompt + steps − 1 must be ≤ {w.pos.shape[0]} positions")
    rng = np.random.default_rng(seed)
    caches = empty_caches(w)
    for tok in prompt:
        st = step(w, caches, tok)
        caches = st.caches
    tokens, out = list(prompt), []
    for _ in range(steps):
        probs = softmax(st.logits, temperature)  # (V,)
        greedy = int(np.argmax(st.logits))
        u = float(rng.random()) if mode == "sample" else None
        token = greedy if u is None else sample_index(probs, u)
        length = caches[0].length
        out.append(GenStep(st.position, probs, greedy, u, token, length, sum(c.nbytes for c in caches)))
        tokens.append(token)
        if len(out) < steps:
            st = step(w, caches, token)
            caches = st.caches
    return Generation(tuple(prompt), tuple(tokens), tuple(out), float(temperature), caches)
