"""Cost of blocks and whole models: attention, FFN/SwiGLU, the selective scan, the Mamba block, decoders.

Same conventions as ``lib/arithmetic/cost_layers.py``: ``macs`` = matmul/conv multiply-accumulates (what
``FlopCounterMode`` counts, as 2·MACs), ``flops`` = 2·macs + elementwise FLOPs, ``activation_elems`` =
elements of every tensor the forward pass produces. All results are ``LayerCost`` trees whose ``parts``
carry the submodule names a scene labels.

References: Vaswani et al. 2017 (attention, §3.2); Shazeer 2020 "GLU Variants Improve Transformer" (SwiGLU);
Gu & Dao 2023 "Mamba" (Alg. 2, §3.4) with the module structure of ``mamba_ssm.modules.mamba_simple.Mamba``
and ``mamba_ssm.models.mixer_seq_simple.MambaLMHeadModel``.
"""

from __future__ import annotations

import math

from lib.arithmetic.cost_layers import (
    ELEMENTWISE_FLOPS,
    LayerCost,
    activation_cost,
    combine,
    conv1d_cost,
    elementwise_cost,
    embedding_cost,
    layernorm_cost,
    linear_cost,
    rmsnorm_cost,
)


def attention_cost(
    seq_len: int, d_model: int, n_heads: int, batch: int = 1, bias: bool = True, name: str = "attn"
) -> LayerCost:
    """Multi-head self-attention, softmax(Q Kᵀ/√d_k) V (Vaswani et al. 2017, Eq. 1 and §3.2.2).

    MACs = 4·B·T·d² (Q, K, V, output projections) + 2·B·T²·d (QKᵀ and AV, summed over heads: H·T·T·d_k each).
    Elementwise FLOPs: the projections' bias adds (4·B·T·d, none without bias), one multiply by 1/√d_k per
    score and softmax's 5 per score (``ELEMENTWISE_FLOPS``).
    The B·H·T·T score and probability matrices are counted in activation memory — the quadratic term.
    params = 4·d² (+ 4·d with bias), as ``torch.nn.MultiheadAttention``.
    """
    if d_model % n_heads:
        raise ValueError(f"d_model {d_model} must be divisible by n_heads {n_heads}")
    x = (batch, seq_len, d_model)
    hd = d_model // n_heads
    n_scores = batch * n_heads * seq_len * seq_len
    qk_macs = n_scores * hd  # (B, H, T, d_k) @ (B, H, d_k, T)
    scores = LayerCost(
        "scores", 0, qk_macs, 2 * qk_macs + n_scores, n_scores, (batch, n_heads, seq_len, seq_len)
    )
    softmax = elementwise_cost("softmax", scores.output_shape, ELEMENTWISE_FLOPS["softmax"])
    av_macs = n_scores * hd  # (B, H, T, T) @ (B, H, T, d_k)
    context = LayerCost("context", 0, av_macs, 2 * av_macs, batch * seq_len * d_model, x)
    return combine(
        name,
        [
            linear_cost(d_model, d_model, x, bias, "q_proj"),
            linear_cost(d_model, d_model, x, bias, "k_proj"),
            linear_cost(d_model, d_model, x, bias, "v_proj"),
            scores,
            softmax,
            context,
            linear_cost(d_model, d_model, x, bias, "out_proj"),
        ],
    )


def ffn_cost(
    d_model: int,
    d_ff: int,
    seq_len: int,
    batch: int = 1,
    activation: str = "gelu",
    bias: bool = True,
    name: str = "mlp",
) -> LayerCost:
    """Position-wise FFN, act(x W₁ + b₁) W₂ + b₂ (Vaswani et al. 2017, Eq. 2): MACs = 2·B·T·d·d_ff."""
    x = (batch, seq_len, d_model)
    fc1 = linear_cost(d_model, d_ff, x, bias, "fc1")
    return combine(
        name,
        [
            fc1,
            activation_cost(activation, fc1.output_shape, "act"),
            linear_cost(d_ff, d_model, fc1.output_shape, bias, "fc2"),
        ],
    )


def swiglu_cost(
    d_model: int, d_ff: int, seq_len: int, batch: int = 1, bias: bool = False, name: str = "mlp"
) -> LayerCost:
    """SwiGLU FFN, (SiLU(x W₁) ⊙ x W₃) W₂ (Shazeer 2020, Eq. 6; LLaMA naming): MACs = 3·B·T·d·d_ff.

    ``d_ff`` is the hidden width itself (LLaMA uses ≈ 8d/3 to match a 4d GELU FFN's parameter count).
    """
    x = (batch, seq_len, d_model)
    w1 = linear_cost(d_model, d_ff, x, bias, "w1")
    return combine(
        name,
        [
            w1,
            linear_cost(d_model, d_ff, x, bias, "w3"),
            activation_cost("silu", w1.output_shape, "silu"),
            elementwise_cost("mul", w1.output_shape, 1),
            linear_cost(d_ff, d_model, w1.output_shape, bias, "w2"),
        ],
    )


def selective_scan_cost(
    seq_len: int,
    d_inner: int,
    d_state: int,
    batch: int = 1,
    fused: bool = False,
    name: str = "selective_scan",
) -> LayerCost:
    """Selective scan h_t = exp(Δ_t A) ⊙ h_{t−1} + (Δ_t B_t) u_t, y_t = C_t · h_t (Gu & Dao 2023, Alg. 2).

    Per (batch, step, channel, state) element: discretise 4 FLOPs (Δ·A, exp, Δ·B, ·u), recurrence 2 (mul,add),
    readout 2 (C·h multiply and sum) — 8·B·L·D·N FLOPs in all, linear in L. There is no GEMM (``macs`` = 0):
    the readout is a length-N dot product per channel and step. The D skip and z gate belong to the block.
    Activations: y (B·L·D); unless ``fused``, also ΔA, ΔB·u and every state h (B·L·D·N each) as a plain
    autograd loop like ``selective_scan_ref`` keeps them — the fused CUDA kernel holds them in SRAM instead.
    """
    elems = batch * seq_len * d_inner * d_state
    keep = 0 if fused else elems
    y = (batch, seq_len, d_inner)
    return combine(
        name,
        [
            LayerCost("discretize", 0, 0, 4 * elems, 2 * keep, (batch, seq_len, d_inner, d_state)),
            LayerCost("recurrence", 0, 0, 2 * elems, keep, (batch, seq_len, d_inner, d_state)),
            LayerCost("readout", 0, 0, 2 * elems, math.prod(y), y),
        ],
    )


def mamba_block_cost(
    d_model: int,
    d_state: int = 16,
    d_conv: int = 4,
    expand: int = 2,
    dt_rank: int | None = None,
    seq_len: int = 1,
    batch: int = 1,
    fused_scan: bool = False,
    name: str = "mixer",
) -> LayerCost:
    """The Mamba block (Gu & Dao 2023, Fig. 3) with the submodules of ``mamba_simple.Mamba``.

    d_inner = expand·d_model, dt_rank = ⌈d_model/16⌉ by default. Parts, in forward order:
    in_proj (d → 2·d_inner, no bias), conv1d (depthwise causal, kernel d_conv, bias; counted for the L outputs
    kept — the reference pads both sides and discards d_conv − 1 extra outputs), act (SiLU), x_proj
    (d_inner → dt_rank + 2N, no bias), dt_proj (dt_rank → d_inner, bias), dt_softplus, A_log (A = −exp(A_log),
    d_inner×N params), selective_scan, D (skip y += D ⊙ u), gate (y ⊙ SiLU(z)), out_proj (d_inner → d,
    no bias).
    params = d_inner·(3·d + d_conv + 2·dt_rank + 3·N + 3).
    """
    d_inner = expand * d_model
    r = math.ceil(d_model / 16) if dt_rank is None else dt_rank
    tok = (batch, seq_len)
    in_proj = linear_cost(d_model, 2 * d_inner, (*tok, d_model), False, "in_proj")
    # causal conv = left-pad by d_conv − 1, then a valid convolution producing L outputs
    conv = conv1d_cost(
        d_inner, d_inner, d_conv, (batch, d_inner, seq_len + d_conv - 1), groups=d_inner, name="conv1d"
    )
    x = (*tok, d_inner)
    a_log = LayerCost(
        "A_log", d_inner * d_state, 0, 2 * d_inner * d_state, d_inner * d_state, (d_inner, d_state)
    )
    n_x = math.prod(x)
    return combine(
        name,
        [
            in_proj,
            conv,
            activation_cost("silu", x, "act"),
            linear_cost(d_inner, r + 2 * d_state, x, False, "x_proj"),
            linear_cost(r, d_inner, (*tok, r), True, "dt_proj"),
            activation_cost("softplus", x, "dt_softplus"),
            a_log,
            selective_scan_cost(seq_len, d_inner, d_state, batch, fused_scan),
            LayerCost("D", d_inner, 0, 2 * n_x, n_x, x),
            LayerCost("gate", 0, 0, (ELEMENTWISE_FLOPS["silu"] + 1) * n_x, 2 * n_x, x),
            linear_cost(d_inner, d_model, x, False, "out_proj"),
        ],
    )


def _lm_ends(
    vocab: int, d_model: int, seq_len: int, batch: int, tied: bool, n_positions: int = 0
) -> tuple[list[LayerCost], LayerCost]:
    """Token (and learned position) embeddings, and the LM head (params 0 when tied to the embedding)."""
    emb = [embedding_cost(vocab, d_model, (batch, seq_len), "embedding")]
    if n_positions:
        if seq_len > n_positions:
            raise ValueError(f"seq_len {seq_len} exceeds n_positions {n_positions}")
        pos = embedding_cost(n_positions, d_model, (batch, seq_len), "pos_embedding")
        n = batch * seq_len * d_model
        emb.append(LayerCost("pos_embedding", pos.params, 0, n, n, pos.output_shape))  # + the add
    head = linear_cost(d_model, vocab, (batch, seq_len, d_model), False, "lm_head")
    if tied:
        head = LayerCost("lm_head", 0, head.macs, head.flops, head.activation_elems, head.output_shape)
    return emb, head


def transformer_decoder_cost(
    vocab: int,
    d_model: int,
    n_layers: int,
    n_heads: int,
    d_ff: int,
    seq_len: int,
    batch: int = 1,
    ffn: str = "gelu",
    tied_embeddings: bool = True,
    n_positions: int = 0,
    norm: str = "layernorm",
    bias: bool = True,
) -> LayerCost:
    """A pre-norm decoder-only transformer (GPT-2 layout; LLaMA-like: ffn="swiglu", norm="rmsnorm", no bias).

    embedding (+ pos_embedding if ``n_positions`` > 0, learned absolute positions) → n_layers ×
    [x + attn(norm(x)); x + mlp(norm(x))] → norm_f → lm_head (tied to the embedding by default).
    Total MACs ≈ n_layers·(4·B·T·d² + 2·B·T²·d + k·B·T·d·d_ff) + B·T·d·V with k = 2 (ReLU/GELU) or 3 (SwiGLU).
    """
    if ffn not in ("relu", "gelu", "swiglu"):
        raise ValueError(f"ffn must be 'relu', 'gelu' or 'swiglu', got {ffn!r}")
    x = (batch, seq_len, d_model)

    def norm_cost(nm: str) -> LayerCost:
        if norm == "layernorm":
            return layernorm_cost(d_model, x, bias=bias, name=nm)
        if norm == "rmsnorm":
            return rmsnorm_cost(d_model, x, name=nm)
        raise ValueError(f"norm must be 'layernorm' or 'rmsnorm', got {norm!r}")

    if ffn == "swiglu":
        mlp = swiglu_cost(d_model, d_ff, seq_len, batch, bias)
    else:
        mlp = ffn_cost(d_model, d_ff, seq_len, batch, ffn, bias)
    attn = attention_cost(seq_len, d_model, n_heads, batch, bias)
    n = math.prod(x)
    layer_parts = [norm_cost("ln_1"), attn, norm_cost("ln_2"), mlp]
    layers = [
        combine(f"layers.{i}", layer_parts, x, extra_flops=2 * n, extra_activation=2 * n)
        for i in range(n_layers)
    ]
    emb, head = _lm_ends(vocab, d_model, seq_len, batch, tied_embeddings, n_positions)
    return combine("transformer_decoder", [*emb, *layers, norm_cost("norm_f"), head])


def mamba_model_cost(
    vocab: int,
    d_model: int,
    n_layers: int,
    d_state: int,
    d_conv: int,
    expand: int,
    seq_len: int,
    batch: int = 1,
    tied_embeddings: bool = True,
    dt_rank: int | None = None,
    fused_scan: bool = False,
) -> LayerCost:
    """A Mamba language model as ``MambaLMHeadModel``: embedding → n_layers × [x + mixer(RMSNorm(x))]
    → norm_f (RMSNorm) → lm_head (tied). Pass ``vocab`` already padded if mimicking pad_vocab_size_multiple.
    """
    x = (batch, seq_len, d_model)
    n = math.prod(x)
    mixer = mamba_block_cost(d_model, d_state, d_conv, expand, dt_rank, seq_len, batch, fused_scan)
    layer_parts = [rmsnorm_cost(d_model, x, name="norm"), mixer]
    layers = [
        combine(f"layers.{i}", layer_parts, x, extra_flops=n, extra_activation=n) for i in range(n_layers)
    ]
    emb, head = _lm_ends(vocab, d_model, seq_len, batch, tied_embeddings)
    return combine("mamba_model", [*emb, *layers, rmsnorm_cost(d_model, x, name="norm_f"), head])
