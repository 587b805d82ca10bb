"""lib/arithmetic/cost_serving.py against PyTorch: a small LLaMA-shaped GQA decoder with a KV cache (params
by ``sum(p.numel())``, matmul FLOPs of prefill and of one decode step by FlopCounterMode), cache bytes by
torch tensors on the meta device, and published sizes by hand."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from lib.arithmetic.cost_serving import gqa_decoder_cost, kv_bytes_per_token_layer, serving_cost

DT = torch.float64


class GQALayer(nn.Module):
    """Pre-norm layer: x + attn(RMSNorm(x)) with G shared K/V heads, x + SwiGLU(RMSNorm(x)); no biases."""

    def __init__(self, d: int, h: int, g: int, dff: int) -> None:
        super().__init__()
        self.h, self.g, self.hd = h, g, d // h
        self.attention_norm, self.ffn_norm = nn.RMSNorm(d, dtype=DT), nn.RMSNorm(d, dtype=DT)
        self.wq, self.wo = nn.Linear(d, d, bias=False, dtype=DT), nn.Linear(d, d, bias=False, dtype=DT)
        self.wk, self.wv = (nn.Linear(d, g * self.hd, bias=False, dtype=DT) for _ in range(2))
        self.w1, self.w3 = (nn.Linear(d, dff, bias=False, dtype=DT) for _ in range(2))
        self.w2 = nn.Linear(dff, d, bias=False, dtype=DT)

    def forward(self, x: torch.Tensor, cache: list) -> torch.Tensor:
        B, T, d = x.shape
        a = self.attention_norm(x)
        q = self.wq(a).view(B, T, self.h, self.hd).transpose(1, 2)  # (B, H, T, hd)
        k = self.wk(a).view(B, T, self.g, self.hd).transpose(1, 2)  # (B, G, T, hd)
        v = self.wv(a).view(B, T, self.g, self.hd).transpose(1, 2)
        if cache:
            k, v = torch.cat([cache[0], k], 2), torch.cat([cache[1], v], 2)  # (B, G, T_kv, hd)
        cache[:] = [k, v]
        rep = self.h // self.g  # each KV head serves a group of rep query heads
        k, v = k.repeat_interleave(rep, 1), v.repeat_interleave(rep, 1)  # (B, H, T_kv, hd)
        s = q @ k.transpose(-1, -2) / self.hd**0.5  # (B, H, T, T_kv); causality does not change the count
        y = (F.softmax(s, -1) @ v).transpose(1, 2).reshape(B, T, d)
        x = x + self.wo(y)
        f = self.ffn_norm(x)
        return x + self.w2(F.silu(self.w1(f)) * self.w3(f))


class GQADecoder(nn.Module):
    def __init__(self, V: int, d: int, L: int, h: int, g: int, dff: int) -> None:
        super().__init__()
        self.emb = nn.Embedding(V, d, dtype=DT)
        self.layers = nn.ModuleList(GQALayer(d, h, g, dff) for _ in range(L))
        self.norm = nn.RMSNorm(d, dtype=DT)
        self.head = nn.Linear(d, V, bias=False, dtype=DT)

    def forward(self, ids: torch.Tensor, caches: list) -> torch.Tensor:
        x = self.emb(ids)
        for layer, cache in zip(self.layers, caches, strict=True):
            x = layer(x, cache)
        return self.head(self.norm(x))


def flops(fn) -> int:
    with FlopCounterMode(display=False) as mode, torch.no_grad():
        fn()
    return mode.get_total_flops()


@pytest.mark.parametrize("V,d,L,h,g,dff,T,B", [(50, 24, 2, 6, 2, 40, 7, 3), (30, 16, 3, 4, 1, 24, 5, 1)])
def test_prefill_and_decode_vs_torch(V, d, L, h, g, dff, T, B):
    m = GQADecoder(V, d, L, h, g, dff)
    caches = [[] for _ in range(L)]
    prompt = torch.randint(0, V, (B, T - 1))
    prefill = flops(lambda: m(prompt, caches))
    assert gqa_decoder_cost(V, d, L, h, g, dff, T - 1, T - 1, B).matmul_flops == prefill
    assert tuple(caches[0][0].shape) == (B, g, T - 1, d // h)
    step = flops(lambda: m(torch.randint(0, V, (B, 1)), caches))  # one token per sequence, cache → T
    assert gqa_decoder_cost(V, d, L, h, g, dff, 1, T, B).matmul_flops == step
    assert gqa_decoder_cost(V, d, L, h, g, dff, 1, T, B).params == sum(p.numel() for p in m.parameters())
    # the cache tensors' bytes equal the per-token-and-layer formula at float64
    kv = sum(t.numel() * t.element_size() for c in caches for t in c)
    assert kv == L * B * T * kv_bytes_per_token_layer(g, d // h, 8)


def test_llama3_8b_by_hand():
    # Llama 3 8B: 32 layers, d 4096, 32 heads, 8 KV heads, SwiGLU 14,336, vocab 128,256, untied: 8,030,261,248
    c = gqa_decoder_cost(128256, 4096, 32, 32, 8, 14336, 1, 1)
    assert c.params == 8_030_261_248
    with torch.device("meta"):  # one layer's K and V for one token, bf16
        k, v = (
            torch.empty(1, 8, 1, 128, dtype=torch.bfloat16),
            torch.empty(1, 8, 1, 128, dtype=torch.bfloat16),
        )
    assert kv_bytes_per_token_layer(8, 128, 2) == k.nbytes + v.nbytes == 4096


def test_serving_bytes_and_roofline_by_hand():
    V, d, L, h, g, dff, T, B, b = 100, 64, 2, 8, 2, 128, 10, 3, 2
    s = serving_cost(vocab=V, d_model=d, n_layers=L, n_heads=h, n_kv_heads=g, d_ff=dff, context=T, batch=B,
                     bytes_per_elem=b, peak_flops=1e12, bandwidth=1e10)  # fmt: skip
    hd = d // h
    per_token = L * 2 * g * hd * b
    assert (s.kv_per_token, s.kv_per_sequence, s.kv_total) == (per_token, T * per_token, B * T * per_token)
    matrices = L * (2 * d * d + 2 * d * g * hd + 3 * d * dff) + d * V  # every matrix but the embedding
    norms = L * 2 * d + d
    assert s.params == matrices + norms + V * d
    # decode: every weight once, B embedding rows; read B·(T − 1) cached tokens, write B new ones
    assert s.decode.weight_bytes == (matrices + norms + B * d) * b
    assert s.decode.kv_bytes == B * T * per_token
    assert s.prefill.weight_bytes == (matrices + norms + B * T * d) * b
    assert s.prefill.kv_bytes == B * T * per_token
    assert s.decode.tokens == B and s.prefill.tokens == B * T
    assert s.ridge == 100.0
    assert s.decode.seconds == max(s.decode.flops / 1e12, s.decode.bytes / 1e10)


def test_prefill_compute_bound_decode_memory_bound_and_gqa_shrinks_the_cache():
    kw = dict(vocab=128256, d_model=4096, n_layers=32, n_heads=32, d_ff=14336, context=8192, batch=8)
    gqa, mha = serving_cost(n_kv_heads=8, **kw), serving_cost(n_kv_heads=32, **kw)
    assert gqa.prefill.compute_bound and not gqa.decode.compute_bound
    assert mha.kv_total == 4 * gqa.kv_total == 4 * 8 * 2**30  # 32 GiB vs 8 GiB for 8 × 8K tokens
    assert gqa.decode.intensity > mha.decode.intensity  # less cache to read per token generated
