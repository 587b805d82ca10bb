"""Tests for lib/transformer/layers.py against torch.nn.TransformerEncoderLayer / DecoderLayer in float64."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from lib.nets.norms import layer_norm
from lib.transformer.ffn import FFNWeights
from lib.transformer.layers import (
    DecoderLayerWeights,
    EncoderLayerWeights,
    MHAWeights,
    NormWeights,
    _mha,
    causal_mask,
    decoder_layer,
    encoder_layer,
    init_decoder_layer_weights,
    init_encoder_layer_weights,
    post_norm_sublayer,
    pre_norm_sublayer,
)

ATOL = 1e-12
D_MODEL, N_HEADS, D_FF = 8, 2, 12
TORCH_ACT = {"relu": "relu", "gelu": "gelu", "gelu_tanh": lambda z: F.gelu(z, approximate="tanh")}


def t(a: np.ndarray) -> torch.Tensor:
    return torch.tensor(a, dtype=torch.float64)


def _copy_mha(mod: torch.nn.MultiheadAttention, w: MHAWeights) -> None:
    mod.in_proj_weight.copy_(t(np.concatenate([w.W_q.T, w.W_k.T, w.W_v.T])))
    mod.in_proj_bias.copy_(t(np.concatenate([w.b_q, w.b_k, w.b_v])))
    mod.out_proj.weight.copy_(t(w.W_o.T))
    mod.out_proj.bias.copy_(t(w.b_o))


def _copy_norm(mod: torch.nn.LayerNorm, w: NormWeights) -> None:
    mod.weight.copy_(t(w.gamma))
    mod.bias.copy_(t(w.beta))


def _copy_ffn(layer: torch.nn.Module, w: FFNWeights) -> None:
    layer.linear1.weight.copy_(t(w.W1.T))
    layer.linear1.bias.copy_(t(w.b1))
    layer.linear2.weight.copy_(t(w.W2.T))
    layer.linear2.bias.copy_(t(w.b2))


def _torch_encoder(w: EncoderLayerWeights, activation: str, norm_first: bool) -> torch.nn.Module:
    layer = torch.nn.TransformerEncoderLayer(
        D_MODEL, N_HEADS, D_FF, dropout=0.0, activation=TORCH_ACT[activation], batch_first=True,
        norm_first=norm_first, dtype=torch.float64,
    )  # fmt: skip
    with torch.no_grad():
        _copy_mha(layer.self_attn, w.self_attn)
        _copy_norm(layer.norm1, w.norm1)
        _copy_norm(layer.norm2, w.norm2)
        _copy_ffn(layer, w.ffn)
    return layer.train()  # train mode with dropout 0 keeps torch off its fused inference fast path


def _torch_decoder(w: DecoderLayerWeights, activation: str, norm_first: bool) -> torch.nn.Module:
    layer = torch.nn.TransformerDecoderLayer(
        D_MODEL, N_HEADS, D_FF, dropout=0.0, activation=TORCH_ACT[activation], batch_first=True,
        norm_first=norm_first, dtype=torch.float64,
    )  # fmt: skip
    with torch.no_grad():
        _copy_mha(layer.self_attn, w.self_attn)
        _copy_mha(layer.multihead_attn, w.cross_attn)
        _copy_norm(layer.norm1, w.norm1)
        _copy_norm(layer.norm2, w.norm2)
        _copy_norm(layer.norm3, w.norm3)
        _copy_ffn(layer, w.ffn)
    return layer.train()


@pytest.mark.parametrize("norm_first", [True, False])
@pytest.mark.parametrize("activation", ["relu", "gelu", "gelu_tanh"])
def test_encoder_layer_matches_torch(norm_first: bool, activation: str) -> None:
    w = init_encoder_layer_weights(D_MODEL, D_FF, seed=1)
    x = np.random.default_rng(2).normal(size=(3, 5, D_MODEL))
    expected = _torch_encoder(w, activation, norm_first)(t(x)).detach().numpy()
    trace = encoder_layer(x, w, N_HEADS, activation, norm_first)  # type: ignore[arg-type]
    np.testing.assert_allclose(trace.y, expected, atol=ATOL)
    # the trace chains: the FFN block starts where the attention block ended
    np.testing.assert_array_equal(trace.ffn.x, trace.self_attn.y)
    np.testing.assert_allclose(trace.self_attn.detail.weights.sum(-1), 1.0, atol=ATOL)


def test_encoder_layer_key_padding_mask_matches_torch() -> None:
    w = init_encoder_layer_weights(D_MODEL, D_FF, seed=3)
    x = np.random.default_rng(4).normal(size=(2, 5, D_MODEL))
    pad = np.array([[False] * 5, [False, False, False, True, True]])  # (B, S)
    expected = _torch_encoder(w, "relu", False)(t(x), src_key_padding_mask=torch.tensor(pad)).detach().numpy()
    trace = encoder_layer(x, w, N_HEADS, mask=pad[:, None, None, :])
    np.testing.assert_allclose(trace.y, expected, atol=ATOL)
    assert np.all(trace.self_attn.detail.weights[1, :, :, 3:] == 0)


@pytest.mark.parametrize("norm_first", [True, False])
@pytest.mark.parametrize("activation", ["relu", "gelu"])
def test_decoder_layer_matches_torch(norm_first: bool, activation: str) -> None:
    w = init_decoder_layer_weights(D_MODEL, D_FF, seed=5)
    rng = np.random.default_rng(6)
    x, memory = rng.normal(size=(2, 4, D_MODEL)), rng.normal(size=(2, 6, D_MODEL))
    tgt_mask = torch.tensor(causal_mask(4))
    layer = _torch_decoder(w, activation, norm_first)
    expected = layer(t(x), t(memory), tgt_mask=tgt_mask, tgt_is_causal=True).detach().numpy()
    trace = decoder_layer(x, memory, w, N_HEADS, activation, norm_first)  # type: ignore[arg-type]
    np.testing.assert_allclose(trace.y, expected, atol=ATOL)
    assert trace.cross_attn.detail.weights.shape == (2, N_HEADS, 4, 6)
    assert np.all(np.triu(trace.self_attn.detail.weights, k=1) == 0)  # causal: nothing above the diagonal


def test_decoder_layer_is_causal() -> None:
    # changing the last target token must leave every earlier output unchanged
    w = init_decoder_layer_weights(D_MODEL, D_FF, seed=7)
    rng = np.random.default_rng(8)
    x, memory = rng.normal(size=(1, 5, D_MODEL)), rng.normal(size=(1, 3, D_MODEL))
    x2 = x.copy()
    x2[0, -1] += 1.0
    for norm_first in (True, False):
        y1 = decoder_layer(x, memory, w, N_HEADS, norm_first=norm_first).y
        y2 = decoder_layer(x2, memory, w, N_HEADS, norm_first=norm_first).y
        np.testing.assert_allclose(y1[0, :-1], y2[0, :-1], atol=1e-12)
        assert np.abs(y1[0, -1] - y2[0, -1]).max() > 1e-3


def test_mha_helper_matches_torch_multihead_attention() -> None:
    w = init_encoder_layer_weights(D_MODEL, D_FF, seed=9).self_attn
    rng = np.random.default_rng(10)
    q_in, kv_in = rng.normal(size=(2, 3, D_MODEL)), rng.normal(size=(2, 7, D_MODEL))
    mod = torch.nn.MultiheadAttention(D_MODEL, N_HEADS, batch_first=True, dtype=torch.float64)
    with torch.no_grad():
        _copy_mha(mod, w)
    out, attn = mod(t(q_in), t(kv_in), t(kv_in), average_attn_weights=False)
    res = _mha(q_in, kv_in, w, N_HEADS)
    np.testing.assert_allclose(res.y, out.detach().numpy(), atol=ATOL)
    np.testing.assert_allclose(res.weights, attn.detach().numpy(), atol=ATOL)
    # the projections too (a lost key bias would leave y and the weights unchanged)
    for got, x, W, b in zip(
        (res.q, res.k, res.v),
        (q_in, kv_in, kv_in),
        mod.in_proj_weight.chunk(3),
        mod.in_proj_bias.chunk(3),
        strict=True,
    ):
        y = torch.nn.functional.linear(t(x), W, b).detach()  # (B, n, d)
        np.testing.assert_allclose(got, y.view(2, -1, N_HEADS, D_MODEL // N_HEADS).transpose(1, 2), atol=ATOL)


def test_single_head_uniform_attention_by_hand() -> None:
    # W_q = W_k = 0 → all scores equal → weights uniform; W_v = W_o = I → output = mean of the values
    d = 2
    z, eye = np.zeros((d, d)), np.eye(d)
    w = MHAWeights(
        W_q=z, W_k=z, W_v=eye, W_o=eye, b_q=np.zeros(d), b_k=np.zeros(d), b_v=np.zeros(d), b_o=np.zeros(d)
    )
    kv = np.array([[[1.0, 2.0], [3.0, 6.0]]])
    res = _mha(np.zeros((1, 1, d)), kv, w, n_heads=1)
    np.testing.assert_array_equal(res.weights, [[[[0.5, 0.5]]]])
    np.testing.assert_allclose(res.y, [[[2.0, 4.0]]], atol=1e-15)


def test_pre_and_post_norm_with_a_zero_sublayer() -> None:
    # F ≡ 0: Pre-LN passes x through untouched (the identity path of Xiong et al. 2020); Post-LN gives LN(x)
    x = np.random.default_rng(11).normal(size=(1, 3, 4))
    norm = NormWeights(gamma=np.full(4, 2.0), beta=np.full(4, 0.5))

    class Zero:
        def __init__(self, z: np.ndarray) -> None:
            self.y = np.zeros_like(z)

    pre = pre_norm_sublayer(x, Zero, norm)
    post = post_norm_sublayer(x, Zero, norm)
    np.testing.assert_array_equal(pre.y, x)
    np.testing.assert_allclose(post.y, layer_norm(x, norm.gamma, norm.beta).y, atol=ATOL)
    np.testing.assert_allclose(pre.sublayer_in, layer_norm(x, norm.gamma, norm.beta).y, atol=ATOL)
    assert pre.norm_first and not post.norm_first


def test_decoder_layer_memory_padding_mask_matches_torch() -> None:
    w = init_decoder_layer_weights(D_MODEL, D_FF, seed=12)
    rng = np.random.default_rng(13)
    x, memory = rng.normal(size=(2, 3, D_MODEL)), rng.normal(size=(2, 5, D_MODEL))
    pad = np.array([[False] * 5, [False, False, True, True, True]])  # (B, S)
    layer = _torch_decoder(w, "relu", True)
    expected = (
        layer(
            t(x), t(memory), tgt_mask=torch.tensor(causal_mask(3)), memory_key_padding_mask=torch.tensor(pad)
        )
        .detach()
        .numpy()
    )
    trace = decoder_layer(x, memory, w, N_HEADS, norm_first=True, memory_mask=pad[:, None, None, :])
    np.testing.assert_allclose(trace.y, expected, atol=ATOL)
    assert np.all(trace.cross_attn.detail.weights[1, :, :, 2:] == 0)
