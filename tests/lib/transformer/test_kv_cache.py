"""lib/transformer/kv_cache.py: incremental decoding through a KV cache equals full causal attention (and
torch)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from lib.arithmetic.cost import kv_cache_bytes
from lib.transformer.attention import causal_mask, scaled_dot_product_attention
from lib.transformer.kv_cache import KVCache, decode_step, incremental_attention

ATOL = 1e-12


def qkv(rng: np.random.Generator, lead: tuple[int, ...], T: int, d: int, d_v: int):
    return (
        rng.standard_normal((*lead, T, d)),
        rng.standard_normal((*lead, T, d)),
        rng.standard_normal((*lead, T, d_v)),
    )


@settings(max_examples=30, deadline=None)
@given(
    T=st.integers(1, 12),
    prefill_frac=st.floats(0.0, 1.0),
    lead=st.sampled_from([(), (2,), (2, 3)]),
    seed=st.integers(0, 2**16),
)
def test_steps_equal_full_causal_attention(T, prefill_frac, lead, seed) -> None:
    rng = np.random.default_rng(seed)
    q, k, v = qkv(rng, lead, T, 4, 3)
    prefill = max(1, round(prefill_frac * T))
    tr = incremental_attention(q, k, v, prefill=prefill)
    full = scaled_dot_product_attention(q, k, v, mask=causal_mask(T))
    np.testing.assert_allclose(tr.output, full.output, atol=ATOL, rtol=0)
    assert len(tr.steps) == T - prefill + 1
    assert tr.cache_lengths == (prefill, *range(prefill + 1, T + 1))
    for st_ in tr.steps:
        # each step's weights are the matching rows of the full causal weight matrix, cut at the cache
        np.testing.assert_allclose(
            st_.weights, full.weights[..., st_.start : st_.stop, : st_.cache_length], atol=ATOL
        )
        np.testing.assert_allclose(st_.output, full.output[..., st_.start : st_.stop, :], atol=ATOL)


def test_matches_torch_is_causal() -> None:
    rng = np.random.default_rng(0)
    q, k, v = qkv(rng, (2, 2), 9, 8, 8)
    ref = F.scaled_dot_product_attention(*(torch.tensor(a) for a in (q, k, v)), is_causal=True).numpy()
    np.testing.assert_allclose(incremental_attention(q, k, v).output, ref, atol=ATOL)
    np.testing.assert_allclose(incremental_attention(q, k, v, prefill=4).output, ref, atol=ATOL)


def test_cache_sizes_and_bytes() -> None:
    rng = np.random.default_rng(1)
    q, k, v = qkv(rng, (3,), 5, 4, 2)
    tr = incremental_attention(q, k, v, prefill=2)
    assert tr.cache_lengths == (2, 3, 4, 5)
    per_token = 3 * (4 + 2) * 8  # lead 3, d + d_v floats of 8 bytes
    assert tr.cache_bytes == tuple(n * per_token for n in (2, 3, 4, 5))
    # the cost model's formula is the size of this real cache: 1 layer, batch 2, 3 heads, d = d_v = 4, float64
    q, k, v = qkv(rng, (2, 3), 5, 4, 4)
    real = KVCache.empty(4, 4, lead=(2, 3)).append(k, v).nbytes  # numpy's own count of the arrays' bytes
    assert real == incremental_attention(q, k, v).cache_bytes[-1]
    assert real == kv_cache_bytes(1, 5, 3, 4, batch=2, bytes_per_elem=8) == 2 * 5 * 2 * 3 * 4 * 8
    with pytest.raises(ValueError):
        incremental_attention(q, k, v, prefill=0)


def test_cache_is_immutable_value_and_hand_step() -> None:
    c0 = KVCache.empty(d=1)
    assert c0.length == 0 and c0.nbytes == 0
    c1, s1 = decode_step(c0, np.array([[1.0]]), np.array([[0.0]]), np.array([[5.0]]))
    assert c0.length == 0 and c1.length == 1  # append returned a new cache
    assert s1.output[0, 0] == 5.0 and s1.weights[0, 0] == 1.0  # one key: all weight on it
    # second token: q = 1, keys (0, 2), d = 1 → scaled scores (0, 2); values (5, 7)
    c2, s2 = decode_step(c1, np.array([[1.0]]), np.array([[2.0]]), np.array([[7.0]]), step=1)
    w1 = math.exp(2) / (1 + math.exp(2))
    np.testing.assert_allclose(s2.weights, [[1 - w1, w1]], atol=1e-15)
    assert math.isclose(s2.output[0, 0], 5 * (1 - w1) + 7 * w1, abs_tol=1e-14)
    assert (s2.start, s2.stop, s2.cache_length, c2.length) == (1, 2, 2, 2)
    np.testing.assert_array_equal(c2.k[:, 0], [0.0, 2.0])
