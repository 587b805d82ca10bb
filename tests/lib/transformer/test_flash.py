"""lib/transformer/flash.py: tiled online-softmax attention equals exact attention; trace invariants; hand
case."""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from lib.transformer.attention import (
    causal_mask,
    padding_mask,
    scaled_dot_product_attention,
    sliding_window_mask,
)
from lib.transformer.flash import flash_attention, online_softmax

ATOL = 1e-12


def qkv(rng: np.random.Generator, lead: tuple[int, ...], T_q: int, T_k: int, d: int, d_v: int):
    return (
        rng.standard_normal((*lead, T_q, d)),
        rng.standard_normal((*lead, T_k, d)),
        rng.standard_normal((*lead, T_k, d_v)),
    )


@settings(max_examples=40, deadline=None)
@given(
    T_q=st.integers(1, 20),
    T_k=st.integers(1, 20),
    block_q=st.integers(1, 24),
    block_k=st.integers(1, 24),
    causal=st.booleans(),
    lead=st.sampled_from([(), (2,), (2, 3)]),
    seed=st.integers(0, 2**16),
)
def test_equals_exact_attention(T_q, T_k, block_q, block_k, causal, lead, seed) -> None:
    rng = np.random.default_rng(seed)
    q, k, v = qkv(rng, lead, T_q, T_k, 4, 3)
    exact = scaled_dot_product_attention(q, k, v, mask=causal_mask(T_q, T_k) if causal else None)
    r = flash_attention(q, k, v, block_q=block_q, block_k=block_k, causal=causal)
    np.testing.assert_allclose(r.output, exact.output, atol=ATOL, rtol=0)
    # final statistics: m = row max of the masked scores, m + log l = logsumexp of the row
    seen = ~np.all(np.isneginf(exact.masked), axis=-1)  # (..., T_q) rows with at least one key
    np.testing.assert_allclose(r.m[seen], exact.masked.max(-1)[seen], atol=ATOL)
    lse = torch.logsumexp(torch.tensor(exact.masked), -1).numpy()
    np.testing.assert_allclose(r.m[seen] + np.log(r.l[seen]), lse[seen], atol=ATOL)
    assert np.all(r.l[~seen] == 0) and np.all(r.output[~seen] == 0)
    assert len(r.trace) == math.ceil(T_k / block_k)


def test_matches_torch_causal() -> None:
    rng = np.random.default_rng(0)
    q, k, v = qkv(rng, (2, 2), 33, 33, 8, 8)
    ref = F.scaled_dot_product_attention(*(torch.tensor(a) for a in (q, k, v)), is_causal=True).numpy()
    np.testing.assert_allclose(flash_attention(q, k, v, 8, 5, causal=True).output, ref, atol=ATOL)


def test_general_masks_and_huge_scores() -> None:
    rng = np.random.default_rng(1)
    q, k, v = qkv(rng, (2,), 12, 12, 4, 4)
    for mask in (
        padding_mask([12, 7], 12),
        sliding_window_mask(12, 3),
        sliding_window_mask(12, 4, causal=False),
    ):
        exact = scaled_dot_product_attention(q, k, v, mask=mask).output
        np.testing.assert_allclose(flash_attention(q, k, v, 5, 3, mask=mask).output, exact, atol=ATOL)
    big = flash_attention(q * 300, k * 300, v, 4, 4, causal=True)
    assert np.all(np.isfinite(big.output))
    exact = scaled_dot_product_attention(q * 300, k * 300, v, mask=causal_mask(12)).output
    np.testing.assert_allclose(big.output, exact, atol=1e-12)


def test_trace_invariants_and_causal_skipping() -> None:
    rng = np.random.default_rng(2)
    q, k, v = qkv(rng, (), 16, 16, 4, 4)
    r = flash_attention(q, k, v, block_q=4, block_k=4, causal=True)
    exact = scaled_dot_product_attention(q, k, v, mask=causal_mask(16))
    # 4×4 tiles of a causal 16×16 matrix: key block j is needed by query blocks j … 3 only
    assert [s.tiles_computed for s in r.trace] == [4, 3, 2, 1]
    assert [s.tiles_skipped for s in r.trace] == [0, 1, 2, 3]
    for s in r.trace:
        prefix = exact.masked[:, : s.key_stop]  # (T_q, key_stop) keys folded in so far
        seen = ~np.all(np.isneginf(prefix), axis=-1)
        # running max and sum over the keys seen so far, computed directly
        np.testing.assert_allclose(s.m[seen], prefix.max(-1)[seen], atol=ATOL)
        l_direct = np.exp(prefix[seen] - prefix[seen].max(-1, keepdims=True)).sum(-1)
        np.testing.assert_allclose(s.l[seen], l_direct, atol=ATOL)
        # normalised partial output = attention restricted to the prefix of keys
        part = scaled_dot_product_attention(
            q, k[: s.key_stop], v[: s.key_stop], mask=causal_mask(16)[:, : s.key_stop]
        )
        np.testing.assert_allclose(s.output, part.output, atol=ATOL)
    assert np.all(np.diff(np.stack([s.m for s in r.trace]), axis=0) >= 0)  # m never decreases


def test_hand_case_two_blocks() -> None:
    # one query, two key blocks of one key each, scale 1: scores (1, 3), values (10, 20)
    q, k, v = np.array([[1.0]]), np.array([[1.0], [3.0]]), np.array([[10.0], [20.0]])
    r = flash_attention(q, k, v, block_q=1, block_k=1, scale=1.0)
    s0, s1 = r.trace
    assert s0.m[0] == 1.0 and s0.l[0] == 1.0 and s0.output[0, 0] == 10.0  # after block 0: just key 0
    assert s1.m[0] == 3.0  # new max
    assert math.isclose(s1.l[0], math.exp(-2.0) + 1.0, abs_tol=1e-15)  # old sum rescaled by e^{1−3}
    w0 = math.exp(1) / (math.exp(1) + math.exp(3))
    assert math.isclose(r.output[0, 0], 10 * w0 + 20 * (1 - w0), abs_tol=1e-13)


def test_online_softmax() -> None:
    rng = np.random.default_rng(3)
    x = rng.standard_normal(11) * 5
    r = online_softmax(x)
    np.testing.assert_allclose(r.probs, torch.softmax(torch.tensor(x), 0).numpy(), atol=ATOL)
    np.testing.assert_array_equal(r.m, np.maximum.accumulate(x))
    for j in range(len(x)):
        np.testing.assert_allclose(r.d[j], np.exp(x[: j + 1] - r.m[j]).sum(), atol=ATOL)
    masked = online_softmax(np.array([-np.inf, 2.0, -np.inf, 2.0]))
    np.testing.assert_array_equal(masked.probs, [0, 0.5, 0, 0.5])
    assert masked.d[0] == 0.0
    np.testing.assert_array_equal(online_softmax(np.full(3, -np.inf)).probs, 0.0)
