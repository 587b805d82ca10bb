"""Serving a decoder-only Transformer: KV-cache memory, prefill vs decode FLOPs, bytes, arithmetic intensity.

The model is LLaMA-shaped (pre-norm RMSNorm, SwiGLU FFN, no biases, untied output layer) with grouped-query
attention (Ainslie et al. 2023, "GQA"): H query heads share G key/value heads (G = H: multi-head attention;
G = 1: multi-query attention, Shazeer 2019). Only K and V are cached, so per token and layer the cache holds

    2 · G · d_head · b  bytes          (one K and one V vector per KV head; b bytes per number)

and GQA divides the cache by H / G at the same query count. Counting conventions (``cost_layers.py``):
``macs``/``matmul_flops`` are the matrix products FlopCounterMode sees (attention products counted dense,
T_q × T_kv, as a plain QKᵀ computes them). Bytes moved per forward pass (the roofline's denominator,
Williams et al. 2009): every weight matrix is read once, the embedding only the looked-up rows; decode reads
the whole KV cache and writes the new token's K, V; prefill writes the prompt's K, V (a fused attention
kernel keeps its tiles on chip). Activations between layers are not counted.
"""

from __future__ import annotations

from dataclasses import dataclass

from lib.arithmetic.cost_layers import (
    ELEMENTWISE_FLOPS,
    LayerCost,
    combine,
    elementwise_cost,
    embedding_cost,
    linear_cost,
    rmsnorm_cost,
)
from lib.arithmetic.cost_models import swiglu_cost


def kv_bytes_per_token_layer(n_kv_heads: int, head_dim: int, bytes_per_elem: int) -> int:
    """2·G·d_head·b: one K and one V vector of d_head numbers per KV head."""
    return 2 * n_kv_heads * head_dim * bytes_per_elem


def gqa_attention_cost(
    q_len: int,
    kv_len: int,
    d_model: int,
    n_heads: int,
    n_kv_heads: int,
    batch: int = 1,
    name: str = "attn",
) -> LayerCost:
    """Grouped-query attention over a KV cache (Ainslie et al. 2023, §2.2; Vaswani et al. 2017, Eq. 1).

    q_len new tokens are projected (Q: d → d; K, V: d → G·d_head, no biases) and attend to kv_len cached
    positions (the new ones included); each of the H query heads reads the K, V of its group.
    MACs = B·q_len·(2·d² + 2·d·G·d_head) + 2·B·H·q_len·kv_len·d_head. params = 2·d² + 2·d·G·d_head.
    """
    if d_model % n_heads or n_heads % n_kv_heads:
        raise ValueError(
            f"need n_heads | d_model and n_kv_heads | n_heads: {d_model}, {n_heads}, {n_kv_heads}"
        )
    hd = d_model // n_heads
    x = (batch, q_len, d_model)
    n_scores = batch * n_heads * q_len * kv_len
    scores = LayerCost(
        "scores", 0, n_scores * hd, 2 * n_scores * hd + n_scores, n_scores, (batch, n_heads, q_len, kv_len)
    )
    return combine(
        name,
        [
            linear_cost(d_model, d_model, x, False, "q_proj"),
            linear_cost(d_model, n_kv_heads * hd, x, False, "k_proj"),
            linear_cost(d_model, n_kv_heads * hd, x, False, "v_proj"),
            scores,
            elementwise_cost("softmax", scores.output_shape, ELEMENTWISE_FLOPS["softmax"]),
            LayerCost("context", 0, n_scores * hd, 2 * n_scores * hd, batch * q_len * d_model, x),
            linear_cost(d_model, d_model, x, False, "o_proj"),
        ],
    )


def gqa_decoder_cost(
    vocab: int,
    d_model: int,
    n_layers: int,
    n_heads: int,
    n_kv_heads: int,
    d_ff: int,
    q_len: int,
    kv_len: int,
    batch: int = 1,
) -> LayerCost:
    """One forward pass of a LLaMA-shaped decoder: q_len new tokens per sequence over kv_len positions.

    embedding → n_layers × [x + attn(RMSNorm(x)); x + SwiGLU(RMSNorm(x))] → norm → lm_head (untied).
    Prefill of a T-token prompt: q_len = kv_len = T; one decode step at context T: q_len = 1, kv_len = T.
    """
    x = (batch, q_len, d_model)
    n = batch * q_len * d_model
    layer = [
        rmsnorm_cost(d_model, x, name="attention_norm"),
        gqa_attention_cost(q_len, kv_len, d_model, n_heads, n_kv_heads, batch),
        rmsnorm_cost(d_model, x, name="ffn_norm"),
        swiglu_cost(d_model, d_ff, q_len, batch, bias=False, name="mlp"),
    ]
    layers = [
        combine(f"layers.{i}", layer, x, extra_flops=2 * n, extra_activation=2 * n) for i in range(n_layers)
    ]
    return combine(
        "decoder",
        [
            embedding_cost(vocab, d_model, (batch, q_len), "embedding"),
            *layers,
            rmsnorm_cost(d_model, x, name="norm"),
            linear_cost(d_model, vocab, x, False, "lm_head"),
        ],
    )


@dataclass(frozen=True)
class Pass:
    """One forward pass: the tokens it produces, its matmul FLOPs, the bytes it moves, and the roofline."""

    tokens: int  # new tokens processed (all sequences of the batch)
    flops: int  # matmul FLOPs (2·MACs)
    weight_bytes: int  # weights read (matrices once; embedding rows looked up)
    kv_bytes: int  # KV cache read and written
    peak_flops: float  # FLOP/s of the accelerator
    bandwidth: float  # bytes/s of its memory

    @property
    def bytes(self) -> int:
        return self.weight_bytes + self.kv_bytes

    @property
    def intensity(self) -> float:
        """Arithmetic intensity, FLOPs per byte moved."""
        return self.flops / self.bytes

    @property
    def compute_bound(self) -> bool:
        """Whether the pass sits right of the roofline's ridge (peak FLOP/s ÷ bandwidth)."""
        return self.intensity >= self.peak_flops / self.bandwidth

    @property
    def seconds(self) -> float:
        """Roofline lower bound on the pass's time: max(FLOPs / peak, bytes / bandwidth)."""
        return max(self.flops / self.peak_flops, self.bytes / self.bandwidth)

    @property
    def flops_per_token(self) -> float:
        return self.flops / self.tokens


@dataclass(frozen=True)
class Serving:
    """A model served at a context length and batch: cache sizes, parameters, prefill and decode passes."""

    params: int
    kv_per_token_layer: int  # bytes: 2·G·d_head·b
    kv_per_token: int  # × layers
    kv_per_sequence: int  # × context
    kv_total: int  # × batch
    weight_bytes: int  # all parameters at b bytes
    prefill: Pass  # the whole prompt (context tokens) of every sequence at once
    decode: Pass  # one new token per sequence, the cache holding the context

    @property
    def ridge(self) -> float:
        """FLOPs per byte at which the accelerator stops waiting for memory."""
        return self.prefill.peak_flops / self.prefill.bandwidth


def serving_cost(
    *,
    vocab: int,
    d_model: int,
    n_layers: int,
    n_heads: int,
    n_kv_heads: int,
    d_ff: int,
    context: int,
    batch: int = 1,
    bytes_per_elem: int = 2,
    peak_flops: float = 989e12,
    bandwidth: float = 3.35e12,
) -> Serving:
    """KV cache and the two phases of serving (conventions in the module docstring).

    Prefill runs the prompt of ``context`` tokens per sequence in one pass (matrix–matrix products: each
    weight read once serves B·T tokens, so it is compute-bound); decode produces one token per sequence,
    reading every weight and the whole cache for B tokens (matrix–vector products: memory-bound unless the
    batch is large). Defaults: an H100 SXM's dense bf16 peak (989 TFLOP/s) and HBM3 bandwidth (3.35 TB/s).
    """
    hd = d_model // n_heads
    per_layer = kv_bytes_per_token_layer(n_kv_heads, hd, bytes_per_elem)
    per_token = n_layers * per_layer
    b = bytes_per_elem

    def one_pass(q_len: int, kv_read: int) -> Pass:
        cost = gqa_decoder_cost(vocab, d_model, n_layers, n_heads, n_kv_heads, d_ff, q_len, context, batch)
        emb = cost.part("embedding")
        rows = batch * q_len * d_model  # the embedding rows looked up
        weights = (cost.params - emb.params + rows) * b
        kv = (kv_read + batch * q_len) * per_token  # read kv_read cached tokens, write the new ones
        return Pass(batch * q_len, cost.matmul_flops, weights, kv, peak_flops, bandwidth)

    prefill = one_pass(context, 0)
    decode = one_pass(1, batch * (context - 1))  # the cache before this step holds context − 1 tokens
    params = gqa_decoder_cost(vocab, d_model, n_layers, n_heads, n_kv_heads, d_ff, 1, 1).params
    return Serving(
        params=params,
        kv_per_token_layer=per_layer,
        kv_per_token=per_token,
        kv_per_sequence=context * per_token,
        kv_total=batch * context * per_token,
        weight_bytes=params * b,
        prefill=prefill,
        decode=decode,
    )
