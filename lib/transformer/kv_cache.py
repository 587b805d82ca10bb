"""Incremental (autoregressive) decoding with a key/value cache.

In a causal decoder the keys and values of past tokens never change, so at step t only the new token's
k_t, v_t are computed and appended; the new query attends to the whole cache:
    o_t = Σ_{j ≤ t} softmax_j(q_t · k_j / √d) v_j        (Vaswani et al. 2017, eq. 1 with the causal mask)
This is the "incremental state" of fairseq (Ott et al. 2019) and the ``past_key_values`` of GPT-2 (Radford
et al. 2019); each step costs O(t·d) instead of recomputing O(t²·d). Every step's output equals the
corresponding row of full causal attention, which the tests check.

The cache here is an immutable value: ``append`` returns a new, longer cache, so a scene can keep every
step's snapshot (at the cost of copying, fine at lecture sizes). A whole model's cache size is
``lib.arithmetic.cost.kv_cache_bytes``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lib.transformer.attention import causal_mask, scaled_dot_product_attention


@dataclass(frozen=True)
class KVCache:
    k: np.ndarray  # (..., T_cache, d)    keys of every token so far
    v: np.ndarray  # (..., T_cache, d_v)  values of every token so far

    @staticmethod
    def empty(d: int, d_v: int | None = None, lead: tuple[int, ...] = ()) -> KVCache:
        """A cache holding no tokens, for keys of size d and values of size d_v (default d)."""
        d_v = d if d_v is None else d_v
        return KVCache(np.zeros((*lead, 0, d)), np.zeros((*lead, 0, d_v)))  # (..., 0, d), (..., 0, d_v)

    @property
    def length(self) -> int:
        """Number of cached tokens."""
        return self.k.shape[-2]

    @property
    def nbytes(self) -> int:
        """Memory held by the cached keys and values."""
        return self.k.nbytes + self.v.nbytes

    def append(self, k_new: np.ndarray, v_new: np.ndarray) -> KVCache:
        """A new cache with n new tokens' keys (..., n, d) and values (..., n, d_v) appended."""
        k = np.concatenate([self.k, np.asarray(k_new, dtype=np.float64)], axis=-2)  # (..., T_cache + n, d)
        v = np.concatenate([self.v, np.asarray(v_new, dtype=np.float64)], axis=-2)  # (..., T_cache + n, d_v)
        return KVCache(k, v)


@dataclass(frozen=True)
class DecodeStep:
    """One call of the decoder: n new tokens at positions start … stop − 1 attend to the cache."""

    step: int
    start: int
    stop: int
    cache_length: int  # tokens in the cache after appending this step's keys/values (= stop)
    query: np.ndarray  # (..., n, d)
    weights: np.ndarray  # (..., n, cache_length)  attention of the new queries over the cache
    output: np.ndarray  # (..., n, d_v)


@dataclass(frozen=True)
class DecodeTrace:
    steps: tuple[DecodeStep, ...]
    output: np.ndarray  # (..., T, d_v)  every step's output, concatenated
    cache_lengths: tuple[int, ...]  # cache length after each step
    cache_bytes: tuple[int, ...]  # cache memory after each step


def decode_step(
    cache: KVCache, q_new: np.ndarray, k_new: np.ndarray, v_new: np.ndarray, step: int = 0
) -> tuple[KVCache, DecodeStep]:
    """Append k_new, v_new (..., n, ·) and attend q_new (..., n, d) to the whole cache, causally.

    With n > 1 (a prefill chunk) the new queries are the last n positions, so ``causal_mask(n, T)``
    (bottom-right aligned) lets query r see cache entries 0 … T − n + r.
    """
    cache = cache.append(k_new, v_new)
    n, T = np.shape(q_new)[-2], cache.length
    att = scaled_dot_product_attention(q_new, cache.k, cache.v, mask=causal_mask(n, T))  # (..., n, T)
    return cache, DecodeStep(step, T - n, T, T, np.asarray(q_new), att.weights, att.output)


def incremental_attention(q: np.ndarray, k: np.ndarray, v: np.ndarray, prefill: int = 1) -> DecodeTrace:
    """Causal attention computed token by token through a KV cache (plain sequential decoding).

    q, k (..., T, d), v (..., T, d_v). The first step processes ``prefill`` tokens at once (a prompt),
    every later step one token. ``output`` equals ``scaled_dot_product_attention(q, k, v,
    mask=causal_mask(T)).output``.
    """
    q, k, v = (np.asarray(a, dtype=np.float64) for a in (q, k, v))  # (..., T, d), (..., T, d), (..., T, d_v)
    T = q.shape[-2]
    if not 1 <= prefill <= T:
        raise ValueError(f"prefill must be in 1 … {T}, got {prefill}")
    cache = KVCache.empty(k.shape[-1], v.shape[-1], lead=k.shape[:-2])
    bounds = [(0, prefill)] + [(t, t + 1) for t in range(prefill, T)]
    steps = []
    for s, (a, b) in enumerate(bounds):
        cache, st = decode_step(cache, q[..., a:b, :], k[..., a:b, :], v[..., a:b, :], step=s)
        steps.append(st)
    output = np.concatenate([st.output for st in steps], axis=-2)  # (..., T, d_v)
    lengths = tuple(st.cache_length for st in steps)
    per_token = (k[..., :1, :].size + v[..., :1, :].size) * 8  # bytes per cached token (float64)
    return DecodeTrace(tuple(steps), output, lengths, tuple(n * per_token for n in lengths))
