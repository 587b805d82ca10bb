"""lib/transformer/attention.py against torch's scaled_dot_product_attention and nn.MultiheadAttention
(float64)."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from lib.transformer.attention import (
    MultiHeadParams,
    causal_mask,
    init_multi_head_params,
    multi_head_attention,
    multi_head_attention_loop,
    padding_mask,
    scaled_dot_product_attention,
    scaled_dot_product_attention_loop,
    sliding_window_mask,
)

ATOL = 1e-12
T = torch.tensor


def qkv(rng: np.random.Generator, lead: tuple[int, ...], T_q: int, T_k: int, d: int, d_v: int):
    return (
        rng.standard_normal((*lead, T_q, d)),
        rng.standard_normal((*lead, T_k, d)),
        rng.standard_normal((*lead, T_k, d_v)),
    )


def torch_sdpa(q, k, v, mask=None) -> np.ndarray:
    m = None if mask is None else T(np.asarray(mask))
    return F.scaled_dot_product_attention(T(q), T(k), T(v), attn_mask=m).numpy()


# ── masks ────────────────────────────────────────────────────────────────────────────────────────────


def test_mask_builders_by_hand() -> None:
    np.testing.assert_array_equal(causal_mask(3), [[1, 0, 0], [1, 1, 0], [1, 1, 1]])
    # two new queries at positions 2 and 3 of a 4-token sequence (bottom-right alignment)
    np.testing.assert_array_equal(causal_mask(2, 4), [[1, 1, 1, 0], [1, 1, 1, 1]])
    np.testing.assert_array_equal(
        padding_mask([2, 4, 1], 4)[:, 0], [[1, 1, 0, 0], [1, 1, 1, 1], [1, 0, 0, 0]]
    )
    assert padding_mask([2, 4], 4).shape == (2, 1, 4)
    np.testing.assert_array_equal(
        sliding_window_mask(5, 2),
        [[1, 0, 0, 0, 0], [1, 1, 0, 0, 0], [0, 1, 1, 0, 0], [0, 0, 1, 1, 0], [0, 0, 0, 1, 1]],
    )
    np.testing.assert_array_equal(
        sliding_window_mask(4, 2, causal=False), [[1, 1, 0, 0], [1, 1, 1, 0], [0, 1, 1, 1], [0, 0, 1, 1]]
    )
    np.testing.assert_array_equal(sliding_window_mask(6, 6), causal_mask(6))  # window ≥ T is plain causal
    with pytest.raises(ValueError):
        sliding_window_mask(4, 0)


# ── scaled dot-product attention ────────────────────────────────────────────────────────────────────


def test_hand_case() -> None:
    # q = e1 against k = (e1, e2), d = 2: scaled scores (1/√2, 0)
    q, k, v = np.array([[1.0, 0.0]]), np.eye(2), np.array([[1.0, 2.0], [3.0, 4.0]])
    w0 = math.exp(1 / math.sqrt(2)) / (math.exp(1 / math.sqrt(2)) + 1.0)
    r = scaled_dot_product_attention(q, k, v)
    np.testing.assert_array_equal(r.scores, [[1.0, 0.0]])
    np.testing.assert_allclose(r.scaled, [[1 / math.sqrt(2), 0.0]], atol=1e-15)
    np.testing.assert_allclose(r.weights, [[w0, 1 - w0]], atol=1e-15)
    np.testing.assert_allclose(r.output, [[w0 * 1 + (1 - w0) * 3, w0 * 2 + (1 - w0) * 4]], atol=1e-15)
    # masking the first key leaves all weight on the second: output = v[1]
    np.testing.assert_array_equal(
        scaled_dot_product_attention(q, k, v, mask=np.array([[False, True]])).output, [v[1]]
    )


@pytest.mark.parametrize(
    "kind", ["none", "causal", "causal_rect", "padding", "window", "window_sym", "random"]
)
def test_sdpa_matches_torch(kind: str) -> None:
    rng = np.random.default_rng(0)
    B, H, T_q, T_k, d, d_v = 2, 3, 7, 7, 8, 5
    if kind == "causal_rect":
        T_q = 4
    q, k, v = qkv(rng, (B, H), T_q, T_k, d, d_v)
    mask = {
        "none": None,
        "causal": causal_mask(T_q),
        "causal_rect": causal_mask(T_q, T_k),
        "padding": padding_mask([5, 7], T_k)[:, None],  # (B, 1, 1, T_k)
        "window": sliding_window_mask(T_q, 3),
        "window_sym": sliding_window_mask(T_q, 4, causal=False),
        "random": (rng.random((B, H, T_q, T_k)) < 0.6) | np.eye(T_q, T_k, dtype=bool),
    }[kind]
    r = scaled_dot_product_attention(q, k, v, mask=mask)
    np.testing.assert_allclose(r.output, torch_sdpa(q, k, v, mask), atol=ATOL, rtol=0)
    # intermediates are what they claim to be
    np.testing.assert_allclose(r.scores, np.einsum("bhqd,bhkd->bhqk", q, k), atol=ATOL)
    np.testing.assert_allclose(r.scaled, r.scores / math.sqrt(d), atol=ATOL)
    full = np.broadcast_to(True if mask is None else mask, r.masked.shape)
    assert np.all(np.isneginf(r.masked[~full])) and np.all(np.isfinite(r.masked[full]))
    np.testing.assert_allclose(r.weights.sum(-1), 1.0, atol=1e-14)
    assert np.all(r.weights[~full] == 0.0)


def test_causal_rect_matches_torch_tril_offset() -> None:
    # bottom-right causal = tril with diagonal offset T_k − T_q, built independently in torch
    rng = np.random.default_rng(1)
    q, k, v = qkv(rng, (2,), 3, 6, 4, 4)
    tmask = torch.ones(3, 6, dtype=torch.bool).tril(diagonal=3)
    ref = F.scaled_dot_product_attention(T(q), T(k), T(v), attn_mask=tmask).numpy()
    np.testing.assert_allclose(
        scaled_dot_product_attention(q, k, v, mask=causal_mask(3, 6)).output, ref, atol=ATOL
    )
    # square case agrees with torch's own is_causal
    q, k, v = qkv(rng, (2,), 6, 6, 4, 4)
    ref = F.scaled_dot_product_attention(T(q), T(k), T(v), is_causal=True).numpy()
    np.testing.assert_allclose(
        scaled_dot_product_attention(q, k, v, mask=causal_mask(6)).output, ref, atol=ATOL
    )


def test_bias_and_scale_match_torch() -> None:
    rng = np.random.default_rng(2)
    q, k, v = qkv(rng, (2, 2), 5, 5, 4, 3)
    bias = rng.standard_normal((2, 5, 5))  # per head
    mask = causal_mask(5)
    r = scaled_dot_product_attention(q, k, v, mask=mask, bias=bias, scale=0.3)
    float_mask = T(np.where(mask, bias, -np.inf))
    ref = F.scaled_dot_product_attention(T(q), T(k), T(v), attn_mask=float_mask, scale=0.3).numpy()
    np.testing.assert_allclose(r.output, ref, atol=ATOL)
    np.testing.assert_allclose(r.scaled, 0.3 * r.scores, atol=ATOL)


def test_fully_masked_rows_are_zero() -> None:
    """Documented convention: a query that may attend to nothing gets zero weights and zero output."""
    rng = np.random.default_rng(3)
    q, k, v = qkv(rng, (), 4, 5, 3, 2)
    mask = np.ones((4, 5), dtype=bool)
    mask[1] = False
    r = scaled_dot_product_attention(q, k, v, mask=mask)
    assert np.all(np.isneginf(r.masked[1]))
    np.testing.assert_array_equal(r.weights[1], np.zeros(5))
    np.testing.assert_array_equal(r.output[1], np.zeros(2))
    assert np.all(np.isfinite(r.output))
    ref = torch_sdpa(q, k, v, mask)  # torch: NaN on the masked row, same elsewhere
    keep = [0, 2, 3]
    np.testing.assert_allclose(r.output[keep], ref[keep], atol=ATOL)
    # causal with more queries than keys: the first T_q − T_k queries see nothing
    r = scaled_dot_product_attention(*qkv(rng, (), 5, 3, 2, 2), mask=causal_mask(5, 3))
    np.testing.assert_array_equal(r.output[:2], 0.0)
    np.testing.assert_allclose(r.weights[2:].sum(-1), 1.0, atol=1e-15, rtol=0)
    np.testing.assert_array_equal(
        scaled_dot_product_attention_loop(*qkv(rng, (), 2, 2, 2, 2), mask=np.zeros((2, 2), bool)), 0.0
    )


def test_huge_scores_stay_finite() -> None:
    rng = np.random.default_rng(4)
    q, k, v = qkv(rng, (), 6, 6, 4, 4)
    r = scaled_dot_product_attention(q * 1e3, k * 1e3, v, mask=causal_mask(6))
    assert np.all(np.isfinite(r.weights)) and np.all(np.isfinite(r.output))
    np.testing.assert_allclose(r.output, torch_sdpa(q * 1e3, k * 1e3, v, causal_mask(6)), atol=1e-12)


@settings(max_examples=25, deadline=None)
@given(
    lead=st.sampled_from([(), (2,), (2, 2)]),
    T_q=st.integers(1, 5),
    T_k=st.integers(1, 5),
    d=st.integers(1, 4),
    d_v=st.integers(1, 3),
    seed=st.integers(0, 2**16),
    masked=st.booleans(),
)
def test_vectorised_matches_loop(lead, T_q, T_k, d, d_v, seed, masked) -> None:
    rng = np.random.default_rng(seed)
    q, k, v = qkv(rng, lead, T_q, T_k, d, d_v)
    mask = rng.random((*lead, T_q, T_k)) < 0.6 if masked else None
    bias = rng.standard_normal((T_q, T_k))
    fast = scaled_dot_product_attention(q, k, v, mask=mask, bias=bias).output
    np.testing.assert_allclose(
        fast, scaled_dot_product_attention_loop(q, k, v, mask=mask, bias=bias), atol=ATOL
    )


def test_long_sequence_is_vectorised() -> None:
    # the timing scene runs T up to ~4096; a vectorised T = 1024 takes well under a second
    rng = np.random.default_rng(5)
    q, k, v = qkv(rng, (), 1024, 1024, 64, 64)
    r = scaled_dot_product_attention(q, k, v, mask=causal_mask(1024))
    np.testing.assert_allclose(r.output[-3:], torch_sdpa(q, k, v, causal_mask(1024))[-3:], atol=1e-12)


# ── multi-head attention ────────────────────────────────────────────────────────────────────────────


def torch_mha(p: MultiHeadParams, kdim: int, vdim: int) -> torch.nn.MultiheadAttention:
    mha = torch.nn.MultiheadAttention(
        p.d_model, p.n_heads, batch_first=True, kdim=kdim, vdim=vdim, dtype=torch.float64
    )
    with torch.no_grad():
        if mha._qkv_same_embed_dim:
            mha.in_proj_weight.copy_(T(np.concatenate([p.W_q.T, p.W_k.T, p.W_v.T])))
        else:
            mha.q_proj_weight.copy_(T(p.W_q.T))
            mha.k_proj_weight.copy_(T(p.W_k.T))
            mha.v_proj_weight.copy_(T(p.W_v.T))
        mha.in_proj_bias.copy_(T(np.concatenate([p.b_q, p.b_k, p.b_v])))
        mha.out_proj.weight.copy_(T(p.W_o.T))
        mha.out_proj.bias.copy_(T(p.b_o))
    return mha


@pytest.mark.parametrize("kind", ["none", "causal", "padding", "window"])
def test_self_attention_matches_torch(kind: str) -> None:
    rng = np.random.default_rng(6)
    B, L, d_model, H = 2, 6, 12, 3
    p = init_multi_head_params(d_model, H, seed=1)
    x = rng.standard_normal((B, L, d_model))
    mask, kw = None, {}
    if kind == "causal":
        mask = causal_mask(L)
        kw = {"attn_mask": T(~mask)}  # torch: True = NOT allowed
    elif kind == "padding":
        mask = padding_mask([4, 6], L)
        kw = {"key_padding_mask": T(~mask[:, 0, :])}
    elif kind == "window":
        mask = sliding_window_mask(L, 2)
        kw = {"attn_mask": T(~mask)}
    r = multi_head_attention(p, x, mask=mask)
    out, w = torch_mha(p, d_model, d_model)(T(x), T(x), T(x), average_attn_weights=False, **kw)
    np.testing.assert_allclose(r.output, out.detach().numpy(), atol=ATOL)
    np.testing.assert_allclose(r.weights, w.detach().numpy(), atol=ATOL)
    assert r.weights.shape == (B, H, L, L) and r.q.shape == (B, H, L, d_model // H)
    np.testing.assert_allclose(r.output, multi_head_attention_loop(p, x, mask=mask)[0], atol=ATOL)


@pytest.mark.parametrize("same_dims", [True, False])
def test_cross_attention_matches_torch(same_dims: bool) -> None:
    rng = np.random.default_rng(7)
    B, T_dec, T_enc, d_model, H = 2, 4, 7, 8, 2
    kdim, vdim = (d_model, d_model) if same_dims else (5, 3)
    p = init_multi_head_params(d_model, H, kdim=kdim, vdim=vdim, seed=2)
    x_dec = rng.standard_normal((B, T_dec, d_model))
    enc_k, enc_v = rng.standard_normal((B, T_enc, kdim)), rng.standard_normal((B, T_enc, vdim))
    mask = padding_mask([7, 5], T_enc)
    kpm = T(~mask[:, 0])  # torch: True = padding
    mha = torch_mha(p, kdim, vdim)
    if same_dims:  # one encoder sequence supplies keys and values
        r = multi_head_attention(p, x_dec, enc_k, mask=mask)
        out, w = mha(T(x_dec), T(enc_k), T(enc_k), key_padding_mask=kpm, average_attn_weights=False)
    else:  # kdim ≠ vdim: separate key and value inputs
        r = multi_head_attention(p, x_dec, enc_k, enc_v, mask=mask)
        out, w = mha(T(x_dec), T(enc_k), T(enc_v), key_padding_mask=kpm, average_attn_weights=False)
        np.testing.assert_allclose(
            r.output, multi_head_attention_loop(p, x_dec, enc_k, enc_v, mask)[0], atol=ATOL
        )
    np.testing.assert_allclose(r.output, out.detach().numpy(), atol=ATOL)
    np.testing.assert_allclose(r.weights, w.detach().numpy(), atol=ATOL)
    assert r.weights.shape == (B, H, T_dec, T_enc)


def torch_projections(mha: torch.nn.MultiheadAttention, x_q, x_k, x_v, H: int) -> list[np.ndarray]:
    """Q, K, V as torch projects them: F.linear with the module's in-projection weights, split into heads."""
    if mha._qkv_same_embed_dim:
        weights = mha.in_proj_weight.chunk(3)
    else:
        weights = (mha.q_proj_weight, mha.k_proj_weight, mha.v_proj_weight)
    out = []
    for x, W, b in zip((x_q, x_k, x_v), weights, mha.in_proj_bias.chunk(3), strict=True):
        y = F.linear(T(x), W, b).detach()  # (B, T, d_model)
        out.append(y.view(*y.shape[:-1], H, -1).transpose(-2, -3).numpy())  # (B, H, T, d_head)
    return out


@pytest.mark.parametrize("kdim,vdim", [(8, 8), (5, 3)])
def test_projections_match_torch_in_proj(kdim: int, vdim: int) -> None:
    """Q, K and V themselves, not only the output: softmax ignores a per-query shift of the scores, so a lost
    key bias (q·b_k added to every score of a query) changes neither the weights nor the output."""
    rng = np.random.default_rng(9)
    B, T_q, T_k, d_model, H = 2, 3, 5, 8, 2
    p = init_multi_head_params(d_model, H, kdim=kdim, vdim=vdim, seed=4)
    x_q, x_k = rng.standard_normal((B, T_q, d_model)), rng.standard_normal((B, T_k, kdim))
    x_v = rng.standard_normal((B, T_k, vdim))
    r = multi_head_attention(p, x_q, x_k, x_v)
    q, k, v = torch_projections(torch_mha(p, kdim, vdim), x_q, x_k, x_v, H)
    np.testing.assert_allclose(r.q, q, atol=ATOL, rtol=0)
    np.testing.assert_allclose(r.k, k, atol=ATOL, rtol=0)
    np.testing.assert_allclose(r.v, v, atol=ATOL, rtol=0)
    # why: without the key bias the output is the same to rounding, but K is not
    no_bk = multi_head_attention(dataclasses.replace(p, b_k=np.zeros(d_model)), x_q, x_k, x_v)
    np.testing.assert_allclose(no_bk.output, r.output, atol=1e-12)
    assert np.abs(no_bk.k - r.k).max() > 0.1


def test_heads_match_loop_and_shapes() -> None:
    rng = np.random.default_rng(8)
    p = init_multi_head_params(8, 4, seed=3)
    x_q, x_kv = rng.standard_normal((3, 8)), rng.standard_normal((5, 8))
    r = multi_head_attention(p, x_q, x_kv)
    out, heads = multi_head_attention_loop(p, x_q, x_kv)
    np.testing.assert_allclose(r.output, out, atol=ATOL)
    for i, h in enumerate(heads):
        np.testing.assert_allclose(r.attention.output[i], h, atol=ATOL)
        np.testing.assert_allclose(r.concat[:, 2 * i : 2 * i + 2], h, atol=ATOL)
    with pytest.raises(ValueError):
        init_multi_head_params(10, 4)
