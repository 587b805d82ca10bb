"""lib/arithmetic/cost.py against PyTorch: parameter counts vs sum(p.numel()), matmul FLOPs vs
FlopCounterMode.

FlopCounterMode counts mm/addmm/bmm/convolution as 2 FLOPs per MAC and nothing else, so it is compared with
``LayerCost.matmul_flops``. RNNs run in float64 (the float32 CPU LSTM goes through a kernel the counter
does not see).
"""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from lib.arithmetic.cost import (
    LayerCost,
    attention_cost,
    batchnorm2d_cost,
    combine,
    compare_inference_memory,
    conv1d_cost,
    conv2d_cost,
    embedding_cost,
    ffn_cost,
    flatten_cost,
    kv_cache_bytes,
    layernorm_cost,
    linear_cost,
    mamba_block_cost,
    mamba_model_cost,
    mamba_state_bytes,
    pool2d_cost,
    rmsnorm_cost,
    rnn_cell_cost,
    rnn_cost,
    selective_scan_cost,
    swiglu_cost,
    transformer_decoder_cost,
)
from tests.lib.mamba.torch_mamba import TorchMamba

torch.manual_seed(0)
DT = torch.float64


def nparams(m: nn.Module) -> int:
    return sum(p.numel() for p in m.parameters())


def counted(fn) -> tuple[int, dict[str, int]]:
    """Total FLOPs and FLOPs per aten op that FlopCounterMode sees while running ``fn``."""
    with FlopCounterMode(display=False) as mode, torch.no_grad():
        out = fn()
    per_op = {str(k).split(".")[1]: v for k, v in mode.get_flop_counts()["Global"].items()}
    counted.out = out
    return mode.get_total_flops(), per_op


def walk(c: LayerCost):
    yield c
    for p in c.parts:
        yield from walk(p)


# ---------------------------------------------------------------- single layers


@settings(max_examples=25, deadline=None)
@given(
    fin=st.integers(1, 40),
    fout=st.integers(1, 40),
    lead=st.lists(st.integers(1, 4), min_size=1, max_size=3),
    bias=st.booleans(),
)
def test_linear_params_flops_shape_vs_torch(fin, fout, lead, bias):
    m = nn.Linear(fin, fout, bias=bias, dtype=DT)
    x = torch.randn(*lead, fin, dtype=DT)
    total, _ = counted(lambda: m(x))
    c = linear_cost(fin, fout, tuple(x.shape), bias)
    assert c.params == nparams(m)
    assert c.matmul_flops == total
    assert c.output_shape == tuple(counted.out.shape)
    assert c.activation_elems == counted.out.numel()
    assert c.elementwise_flops == (counted.out.numel() if bias else 0)


CONV_CONFIGS = [
    dict(in_channels=3, out_channels=64, kernel_size=7, stride=2, padding=3, bias=False),
    dict(in_channels=4, out_channels=6, kernel_size=3),
    dict(in_channels=6, out_channels=12, kernel_size=(3, 5), stride=(2, 1), padding=(1, 2), groups=3),
    dict(in_channels=8, out_channels=8, kernel_size=3, groups=8, dilation=2, padding=2),  # depthwise, dilated
    dict(in_channels=4, out_channels=4, kernel_size=3, padding="same", dilation=(1, 2)),
    dict(in_channels=5, out_channels=7, kernel_size=1, stride=3, padding="valid"),
]


@pytest.mark.parametrize("cfg", CONV_CONFIGS)
def test_conv2d_vs_torch(cfg):
    m = nn.Conv2d(**cfg, dtype=DT)
    shape = (2, cfg["in_channels"], 17, 19) if cfg["in_channels"] != 3 else (1, 3, 224, 224)
    x = torch.randn(*shape, dtype=DT)
    total, per_op = counted(lambda: m(x))
    args = {k: v for k, v in cfg.items() if k not in ("in_channels", "out_channels", "kernel_size")}
    c = conv2d_cost(cfg["in_channels"], cfg["out_channels"], cfg["kernel_size"], shape, **args)
    assert c.params == nparams(m)
    assert c.matmul_flops == total == per_op["convolution"]
    assert c.output_shape == tuple(counted.out.shape)
    assert c.activation_elems == counted.out.numel()


@settings(max_examples=40, deadline=None)
@given(
    g=st.integers(1, 3),
    cin_g=st.integers(1, 3),
    cout_g=st.integers(1, 3),
    k=st.tuples(st.integers(1, 4), st.integers(1, 4)),
    s=st.tuples(st.integers(1, 3), st.integers(1, 3)),
    p=st.tuples(st.integers(0, 2), st.integers(0, 2)),
    d=st.tuples(st.integers(1, 2), st.integers(1, 2)),
    bias=st.booleans(),
)
def test_conv2d_random_configs_vs_torch(g, cin_g, cout_g, k, s, p, d, bias):
    cin, cout, shape = g * cin_g, g * cout_g, (2, g * cin_g, 11, 12)
    with torch.device("meta"):  # FLOP counts and shapes without arithmetic
        m = nn.Conv2d(cin, cout, k, s, p, d, g, bias)
        total, _ = counted(lambda: m(torch.zeros(shape)))
    c = conv2d_cost(cin, cout, k, shape, s, p, d, g, bias)
    assert (c.params, c.matmul_flops, c.output_shape) == (nparams(m), total, tuple(counted.out.shape))


def test_conv2d_resnet_stem_by_hand():
    # 64 filters of 3·7·7 weights; 112·112 outputs each, 147 MACs per output.
    c = conv2d_cost(3, 64, 7, (1, 3, 224, 224), stride=2, padding=3, bias=False)
    assert (c.params, c.macs, c.output_shape) == (9408, 64 * 112 * 112 * 147, (1, 64, 112, 112))
    assert c.activation_bytes(4) == 64 * 112 * 112 * 4


def test_conv1d_depthwise_vs_torch():
    m = nn.Conv1d(6, 6, 4, groups=6, padding=3, dtype=DT)
    x = torch.randn(2, 6, 9, dtype=DT)
    total, _ = counted(lambda: m(x))
    c = conv1d_cost(6, 6, 4, (2, 6, 9), padding=3, groups=6)
    assert (c.params, c.matmul_flops, c.output_shape) == (nparams(m), total, tuple(counted.out.shape))


def test_conv_rejects_bad_shapes():
    with pytest.raises(ValueError, match="expects input"):
        conv2d_cost(3, 8, 3, (1, 4, 10, 10))
    with pytest.raises(ValueError, match="does not fit"):
        conv2d_cost(3, 8, 5, (1, 3, 3, 3))
    with pytest.raises(ValueError, match="groups"):
        conv2d_cost(3, 8, 3, (1, 3, 8, 8), groups=2)
    with pytest.raises(ValueError, match="expects input"):
        linear_cost(4, 2, (3, 5))


@settings(max_examples=30, deadline=None)
@given(
    kind=st.sampled_from(["max", "avg"]),
    k=st.integers(1, 4),
    s=st.integers(1, 3),
    p=st.integers(0, 2),
    dil=st.integers(1, 2),
    hw=st.tuples(st.integers(6, 12), st.integers(6, 12)),
    ceil=st.booleans(),
)
def test_pool_output_shape_vs_torch(kind, k, s, p, dil, hw, ceil):
    dil = dil if kind == "max" else 1  # AvgPool2d has no dilation
    m = nn.MaxPool2d(k, s, p, dil, ceil_mode=ceil) if kind == "max" else nn.AvgPool2d(k, s, p, ceil_mode=ceil)
    try:
        y = m(torch.randn(1, 2, *hw))
    except RuntimeError:  # torch rejects the configuration (padding > k/2, or the window does not fit)
        with pytest.raises(ValueError):
            pool2d_cost(kind, k, (1, 2, *hw), s, p, dil, ceil_mode=ceil)
        return
    c = pool2d_cost(kind, k, (1, 2, *hw), s, p, dil, ceil_mode=ceil)
    assert c.output_shape == tuple(y.shape)
    assert (c.params, c.macs) == (0, 0)


@pytest.mark.parametrize("affine,bias", [(True, True), (True, False), (False, True)])
def test_layernorm_params(affine, bias):
    m = nn.LayerNorm([5, 6], elementwise_affine=affine, bias=bias)
    c = layernorm_cost([5, 6], (2, 3, 5, 6), affine, bias)
    assert c.params == nparams(m)
    assert c.output_shape == tuple(m(torch.randn(2, 3, 5, 6)).shape)
    assert c.macs == 0


def test_norm_and_embedding_params():
    assert rmsnorm_cost(24, (2, 3, 24)).params == nparams(nn.RMSNorm(24))
    bn = nn.BatchNorm2d(16)
    assert batchnorm2d_cost(16, (2, 16, 5, 5)).params == nparams(bn) == 32  # running stats are buffers
    emb = nn.Embedding(100, 12)
    c = embedding_cost(100, 12, (2, 7))
    assert c.params == nparams(emb)
    assert c.output_shape == tuple(emb(torch.zeros(2, 7, dtype=torch.long)).shape)
    assert flatten_cost((2, 3, 4, 5)).output_shape == tuple(nn.Flatten()(torch.zeros(2, 3, 4, 5)).shape)


# ---------------------------------------------------------------- attention and FFNs


@pytest.mark.parametrize("T,d,h,B,bias", [(5, 8, 2, 2, True), (7, 12, 3, 1, False), (1, 16, 4, 3, True)])
def test_attention_vs_multiheadattention(T, d, h, B, bias):
    m = nn.MultiheadAttention(d, h, bias=bias, batch_first=True, dtype=DT)
    x = torch.randn(B, T, d, dtype=DT)
    total, _ = counted(lambda: m(x, x, x, need_weights=True))
    c = attention_cost(T, d, h, B, bias)
    assert c.params == nparams(m)
    assert c.matmul_flops == total
    assert c.output_shape == (B, T, d)


class ExplicitAttention(nn.Module):
    """softmax(QKᵀ/√d_k)V with explicit matmuls, so FlopCounterMode can attribute each product."""

    def __init__(self, d: int, h: int) -> None:
        super().__init__()
        self.h = h
        self.q_proj, self.k_proj, self.v_proj, self.out_proj = (nn.Linear(d, d, dtype=DT) for _ in range(4))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        B, T, d = x.shape
        split = lambda t: t.view(B, T, self.h, d // self.h).transpose(1, 2)  # (B, H, T, d_k)
        q, k, v = split(self.q_proj(x)), split(self.k_proj(x)), split(self.v_proj(x))
        s = q @ k.transpose(-1, -2) / math.sqrt(d // self.h)  # (B, H, T, T)
        y = (F.softmax(s, dim=-1) @ v).transpose(1, 2).reshape(B, T, d)  # (B, T, d)
        return self.out_proj(y)


def test_attention_parts_vs_explicit_matmuls():
    B, T, d, h = 2, 6, 12, 3
    m = ExplicitAttention(d, h)
    _, per_op = counted(lambda: m(torch.randn(B, T, d, dtype=DT)))
    c = attention_cost(T, d, h, B)
    assert c.part("scores").matmul_flops + c.part("context").matmul_flops == per_op["bmm"]
    projections = sum(c.part(n).matmul_flops for n in ("q_proj", "k_proj", "v_proj", "out_proj"))
    assert projections == per_op["addmm"]
    # activations by hand: Q, K, V, context, output (B·T·d each) + scores, probabilities (B·H·T·T each)
    assert c.activation_elems == 5 * B * T * d + 2 * B * h * T * T


def test_attention_quadratic_scan_linear():
    a1, a2 = attention_cost(64, 32, 4), attention_cost(128, 32, 4)
    assert a2.part("scores").macs == 4 * a1.part("scores").macs
    assert a2.part("scores").activation_elems == 4 * a1.part("scores").activation_elems
    assert a2.part("q_proj").macs == 2 * a1.part("q_proj").macs
    s1, s2 = selective_scan_cost(64, 32, 16), selective_scan_cost(128, 32, 16)
    assert (s2.flops, s2.activation_elems) == (2 * s1.flops, 2 * s1.activation_elems)


@pytest.mark.parametrize("act", ["gelu", "relu"])
def test_ffn_vs_torch(act):
    d, dff, B, T = 8, 20, 2, 3
    m = nn.Sequential(
        nn.Linear(d, dff, dtype=DT), nn.GELU() if act == "gelu" else nn.ReLU(), nn.Linear(dff, d, dtype=DT)
    )
    total, _ = counted(lambda: m(torch.randn(B, T, d, dtype=DT)))
    c = ffn_cost(d, dff, T, B, act)
    assert (c.params, c.matmul_flops) == (nparams(m), total)
    assert [p.name for p in c.parts] == ["fc1", "act", "fc2"]


class SwiGLU(nn.Module):
    def __init__(self, d: int, dff: int, bias: bool) -> None:
        super().__init__()
        self.w1, self.w3 = nn.Linear(d, dff, bias=bias, dtype=DT), nn.Linear(d, dff, bias=bias, dtype=DT)
        self.w2 = nn.Linear(dff, d, bias=bias, dtype=DT)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.w2(F.silu(self.w1(x)) * self.w3(x))


@pytest.mark.parametrize("bias", [False, True])
def test_swiglu_vs_torch(bias):
    d, dff, B, T = 8, 22, 2, 5
    m = SwiGLU(d, dff, bias)
    total, _ = counted(lambda: m(torch.randn(B, T, d, dtype=DT)))
    c = swiglu_cost(d, dff, T, B, bias)
    assert (c.params, c.matmul_flops) == (nparams(m), total)


# ---------------------------------------------------------------- recurrent nets

RNN_CLASSES = {"RNN": (nn.RNN, nn.RNNCell), "LSTM": (nn.LSTM, nn.LSTMCell), "GRU": (nn.GRU, nn.GRUCell)}


@pytest.mark.parametrize("mode", ["RNN", "LSTM", "GRU"])
@pytest.mark.parametrize("layers,bidir,bias", [(1, False, True), (2, True, True), (2, False, False)])
def test_rnn_over_sequence_vs_torch(mode, layers, bidir, bias):
    I, H, T, B = 5, 7, 6, 3
    m = RNN_CLASSES[mode][0](
        I, H, num_layers=layers, bias=bias, bidirectional=bidir, batch_first=True, dtype=DT
    )
    total, _ = counted(lambda: m(torch.randn(B, T, I, dtype=DT)))
    c = rnn_cost(mode, I, H, T, B, layers, bias, bidir)
    assert c.params == nparams(m)
    assert c.matmul_flops == total
    assert c.output_shape == tuple(counted.out[0].shape)


@pytest.mark.parametrize("mode", ["RNN", "LSTM", "GRU"])
def test_rnn_cell_one_step_vs_torch(mode):
    I, H, B = 6, 4, 2
    m = RNN_CLASSES[mode][1](I, H, dtype=DT)
    total, _ = counted(lambda: m(torch.randn(B, I, dtype=DT)))
    c = rnn_cell_cost(mode, I, H, B)
    assert (c.params, c.matmul_flops) == (nparams(m), total)
    # over a sequence the weights are shared: params stay, compute scales with T
    seq = rnn_cost(mode, I, H, seq_len=10, batch=B)
    assert (seq.params, seq.macs) == (c.params, 10 * c.macs)


# ---------------------------------------------------------------- Mamba


@pytest.mark.parametrize(
    "d_model,d_state,d_conv,expand,dt_rank", [(16, 4, 4, 2, None), (40, 8, 3, 3, 5), (33, 16, 4, 2, None)]
)
def test_mamba_block_params_vs_torch(d_model, d_state, d_conv, expand, dt_rank):
    m = TorchMamba(d_model, d_state, d_conv, expand, dt_rank)
    c = mamba_block_cost(d_model, d_state, d_conv, expand, dt_rank, seq_len=3)
    assert c.params == nparams(m)
    for name, module in m.named_children():
        assert c.part(name).params == nparams(module), name
    for name, p in m.named_parameters(recurse=False):
        assert c.part(name).params == p.numel(), name


def test_mamba_block_matmul_flops_vs_torch():
    d_model, d_state, d_conv, L, B = 16, 4, 4, 7, 2
    m = TorchMamba(d_model, d_state, d_conv)
    _, per_op = counted(lambda: m(torch.randn(B, L, d_model, dtype=DT)))
    c = mamba_block_cost(d_model, d_state, d_conv, seq_len=L, batch=B)
    linears = sum(c.part(n).matmul_flops for n in ("in_proj", "x_proj", "dt_proj", "out_proj"))
    assert linears == per_op.get("mm", 0) + per_op.get("addmm", 0)
    # TorchMamba pads both sides and computes L + d_conv − 1 outputs, then keeps the first L
    assert c.part("conv1d").matmul_flops * (L + d_conv - 1) == per_op["convolution"] * L
    assert c.output_shape == tuple(counted.out.shape)


def test_mamba_block_params_formula_by_hand():
    # d=768 (Mamba-130m layer): d_inner 1536, dt_rank 48, N 16, d_conv 4
    # = 1536·(3·768 + 4 + 2·48 + 3·16 + 3)
    assert mamba_block_cost(768).params == 1536 * (2304 + 4 + 96 + 48 + 3)


def test_selective_scan_small_case_by_hand():
    # L=2, D=3, N=4, B=1: 24 (step, channel, state) elements × (4 discretise + 2 update + 2 readout) FLOPs
    c = selective_scan_cost(2, 3, 4)
    assert (c.macs, c.flops, c.params) == (0, 24 * 8, 0)
    assert c.activation_elems == 3 * 24 + 6  # ΔA, ΔB·u, h for every element, plus y
    assert selective_scan_cost(2, 3, 4, fused=True).activation_elems == 6


class TorchMambaLM(nn.Module):
    """MambaLMHeadModel's layout: embedding, n × (x + mixer(RMSNorm(x))), norm_f, tied lm_head."""

    def __init__(self, vocab: int, d: int, n: int, d_state: int, d_conv: int, expand: int) -> None:
        super().__init__()
        self.embedding = nn.Embedding(vocab, d, dtype=DT)
        self.norms = nn.ModuleList(nn.RMSNorm(d, dtype=DT) for _ in range(n))
        self.mixers = nn.ModuleList(TorchMamba(d, d_state, d_conv, expand) for _ in range(n))
        self.norm_f = nn.RMSNorm(d, dtype=DT)
        self.lm_head = nn.Linear(d, vocab, bias=False, dtype=DT)
        self.lm_head.weight = self.embedding.weight

    def forward(self, idx: torch.Tensor) -> torch.Tensor:
        x = self.embedding(idx)
        for norm, mixer in zip(self.norms, self.mixers, strict=True):
            x = x + mixer(norm(x))
        return self.lm_head(self.norm_f(x))


def test_mamba_model_vs_torch():
    vocab, d, n, N, K, E, L, B = 50, 16, 2, 4, 3, 2, 5, 2
    m = TorchMambaLM(vocab, d, n, N, K, E)
    _, per_op = counted(lambda: m(torch.randint(0, vocab, (B, L))))
    c = mamba_model_cost(vocab, d, n, N, K, E, L, B)
    assert c.params == nparams(m)
    conv = sum(layer.part("mixer").part("conv1d").matmul_flops for layer in c.parts[1:-2])
    assert c.matmul_flops - conv == per_op["mm"] + per_op.get("addmm", 0)
    assert c.output_shape == (B, L, vocab)
    untied = mamba_model_cost(vocab, d, n, N, K, E, L, B, tied_embeddings=False)
    assert untied.params - c.params == vocab * d


# ---------------------------------------------------------------- transformer decoder


class TorchDecoder(nn.Module):
    """GPT-2-style pre-norm decoder: wte + wpe, n × [x + attn(ln_1 x); x + mlp(ln_2 x)], ln_f, tied head."""

    def __init__(self, vocab: int, d: int, n: int, h: int, dff: int, n_pos: int, ffn: str) -> None:
        super().__init__()
        self.wte = nn.Embedding(vocab, d, dtype=DT)
        self.wpe = nn.Embedding(n_pos, d, dtype=DT)
        self.ln_1 = nn.ModuleList(nn.LayerNorm(d, dtype=DT) for _ in range(n))
        self.attn = nn.ModuleList(nn.MultiheadAttention(d, h, batch_first=True, dtype=DT) for _ in range(n))
        self.ln_2 = nn.ModuleList(nn.LayerNorm(d, dtype=DT) for _ in range(n))
        if ffn == "swiglu":
            self.mlp = nn.ModuleList(SwiGLU(d, dff, bias=True) for _ in range(n))
        else:
            self.mlp = nn.ModuleList(
                nn.Sequential(nn.Linear(d, dff, dtype=DT), nn.GELU(), nn.Linear(dff, d, dtype=DT))
                for _ in range(n)
            )
        self.ln_f = nn.LayerNorm(d, dtype=DT)
        self.head = nn.Linear(d, vocab, bias=False, dtype=DT)
        self.head.weight = self.wte.weight

    def forward(self, idx: torch.Tensor) -> torch.Tensor:
        T = idx.shape[1]
        x = self.wte(idx) + self.wpe(torch.arange(T))
        mask = torch.triu(torch.ones(T, T, dtype=torch.bool), 1)
        for ln_1, attn, ln_2, mlp in zip(self.ln_1, self.attn, self.ln_2, self.mlp, strict=True):
            a = ln_1(x)
            x = x + attn(a, a, a, attn_mask=mask, need_weights=True)[0]
            x = x + mlp(ln_2(x))
        return self.head(self.ln_f(x))


@pytest.mark.parametrize("ffn", ["gelu", "swiglu"])
def test_transformer_decoder_vs_torch(ffn):
    vocab, d, n, h, dff, n_pos, T, B = 40, 16, 2, 4, 24, 12, 9, 2
    m = TorchDecoder(vocab, d, n, h, dff, n_pos, ffn)
    total, _ = counted(lambda: m(torch.randint(0, vocab, (B, T))))
    c = transformer_decoder_cost(vocab, d, n, h, dff, T, B, ffn=ffn, n_positions=n_pos)
    assert c.params == nparams(m)
    assert c.matmul_flops == total
    assert c.output_shape == tuple(counted.out.shape)


def test_gpt2_small_published_param_count():
    # GPT-2 small (124M): the Hugging Face checkpoint has 124,439,808 parameters.
    c = transformer_decoder_cost(50257, 768, 12, 12, 3072, 1024, n_positions=1024)
    assert c.params == 124_439_808


def test_llama_style_decoder_params_by_hand():
    V, d, n, h, dff = 100, 32, 3, 4, 88
    c = transformer_decoder_cost(
        V, d, n, h, dff, 8, ffn="swiglu", norm="rmsnorm", bias=False, tied_embeddings=False
    )
    per_layer = 4 * d * d + 3 * d * dff + 2 * d  # attention, SwiGLU, two RMSNorm weights
    assert c.params == V * d + n * per_layer + d + d * V


# ---------------------------------------------------------------- invariants and inference memory


def test_costs_are_consistent_trees():
    for c in (
        transformer_decoder_cost(50, 16, 2, 4, 32, 8, 2),
        mamba_model_cost(50, 16, 2, 4, 4, 2, 8, 2),
        rnn_cost("LSTM", 5, 7, 4, 2, 2, True, True),
    ):
        for node in walk(c):
            assert node.flops >= 2 * node.macs >= 0
            if node.parts:
                assert node.params == sum(p.params for p in node.parts)
                assert node.macs == sum(p.macs for p in node.parts)
                assert node.flops >= sum(p.flops for p in node.parts)
    a, b = linear_cost(4, 3, (2, 4)), linear_cost(3, 5, (2, 3))
    s = combine("seq", [a, b])
    assert (s.params, s.macs, s.output_shape) == (a.params + b.params, a.macs + b.macs, (2, 5))


def test_kv_cache_llama2_7b_by_hand():
    # 32 layers, 32 KV heads of 128 dims, 4096 tokens, fp16: K and V → 2·32·4096·32·128·2 bytes = 2 GiB
    assert kv_cache_bytes(32, 4096, 32, 128) == 2 * 2**30
    k = torch.zeros(1, 32, 4096, 128, dtype=torch.float16)  # one layer's K as a real tensor
    assert kv_cache_bytes(1, 4096, 32, 128) == 2 * k.numel() * k.element_size()


def test_mamba_state_vs_torch_tensors_and_comparison():
    d, n_layers, B = 64, 3, 2
    m = TorchMamba(d, 16, 4, 2)
    conv_state = torch.zeros(B, m.d_inner, m.d_conv - 1, dtype=torch.float16)
    ssm_state = torch.zeros(B, m.d_inner, m.d_state, dtype=torch.float16)
    per_layer = conv_state.numel() * 2 + ssm_state.numel() * 2
    assert mamba_state_bytes(n_layers, d, batch=B) == n_layers * per_layer
    lengths = list(range(1, 400))
    cmp = compare_inference_memory(
        lengths, attn_layers=n_layers, n_kv_heads=4, head_dim=16, mamba_layers=n_layers, d_model=d, batch=B
    )
    assert set(cmp.kv_cache_bytes) != {cmp.kv_cache_bytes[0]}  # grows
    first = next(t for t, kv in zip(lengths, cmp.kv_cache_bytes, strict=True) if kv > cmp.mamba_state_bytes)
    assert cmp.crossover_len == first
    assert cmp.ratios[-1] == cmp.kv_cache_bytes[-1] / cmp.mamba_state_bytes


def test_pool_padding_rule_is_torchs_even_with_dilation():
    """k=3, dilation 2, padding 2: the dilated window (5) would allow it, torch does not."""
    with pytest.raises(RuntimeError):
        nn.MaxPool2d(3, 1, 2, 2)(torch.randn(1, 1, 8, 8))
    with pytest.raises(ValueError):
        pool2d_cost("max", 3, (1, 1, 8, 8), 1, 2, 2)
