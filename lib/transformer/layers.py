"""Transformer encoder and decoder layers built from residual sublayers, pre-norm or post-norm.

References
- Vaswani et al. 2017, "Attention Is All You Need", §3.1 (encoder/decoder stacks, LayerNorm(x + Sublayer(x))),
  §3.2.2 eqs. for MultiHead(Q, K, V) = Concat(head₁…head_h)W^O, §3.3 eq. 2 (FFN).
- Xiong et al. 2020, "On Layer Normalization in the Transformer Architecture", Fig. 1 / Table 1:
  Post-LN  x_{l+1} = LN(x_l + F(x_l)),   Pre-LN  x_{l+1} = x_l + F(LN(x_l)).

Layer structure and parameter names follow ``torch.nn.TransformerEncoderLayer`` / ``TransformerDecoderLayer``
(``norm_first`` selects Pre-LN). Weights are stored for ``x @ W`` (input dimension first), i.e. transposed
from ``torch.nn.Linear``. The attention is ``lib.transformer.attention.multi_head_attention`` (through
:func:`_mha`). Masks here are boolean with torch's convention, True = "may not attend".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from lib.nets.norms import LayerNormResult, layer_norm
from lib.transformer import attention
from lib.transformer.ffn import Activation, FFNWeights, ffn, init_ffn_weights


@dataclass(frozen=True)
class MHAWeights:
    """Projections of one multi-head attention block (Vaswani et al. 2017, §3.2.2)."""

    W_q: np.ndarray  # (d_model, d_model)
    W_k: np.ndarray  # (d_model, d_model)
    W_v: np.ndarray  # (d_model, d_model)
    W_o: np.ndarray  # (d_model, d_model)
    b_q: np.ndarray  # (d_model,)
    b_k: np.ndarray  # (d_model,)
    b_v: np.ndarray  # (d_model,)
    b_o: np.ndarray  # (d_model,)


@dataclass(frozen=True)
class NormWeights:
    """Gain γ and bias β of one LayerNorm."""

    gamma: np.ndarray  # (d_model,)
    beta: np.ndarray  # (d_model,)


@dataclass(frozen=True)
class EncoderLayerWeights:
    """Self-attention, FFN and their two LayerNorms (torch names: self_attn, norm1, linear1/2, norm2)."""

    self_attn: MHAWeights
    norm1: NormWeights
    ffn: FFNWeights
    norm2: NormWeights


@dataclass(frozen=True)
class DecoderLayerWeights:
    """Masked self-attention, cross-attention over the memory, FFN, and three LayerNorms."""

    self_attn: MHAWeights
    norm1: NormWeights
    cross_attn: MHAWeights
    norm2: NormWeights
    ffn: FFNWeights
    norm3: NormWeights


@dataclass(frozen=True)
class MHAOutput:
    """What a sublayer trace keeps of its attention: the projections, per-head weights and the output."""

    q: np.ndarray  # (B, H, T, d_k)  x_q W^Q + b^Q, split into heads
    k: np.ndarray  # (B, H, S, d_k)  x_kv W^K + b^K
    v: np.ndarray  # (B, H, S, d_k)  x_kv W^V + b^V
    weights: np.ndarray  # (B, H, T, S)  softmax(QKᵀ/√d_k) per head
    y: np.ndarray  # (B, T, d_model)


@dataclass(frozen=True)
class SublayerTrace:
    """One residual sublayer. Pre-LN: y = x + F(LN(x)); Post-LN: y = LN(x + F(x))."""

    x: np.ndarray  # (B, T, d_model)  input to the residual block
    sublayer_in: np.ndarray  # (B, T, d_model)  LN(x) (pre-norm) or x (post-norm)
    detail: Any  # MHAOutput or FFNResult: the sublayer's own intermediates
    sublayer_out: np.ndarray  # (B, T, d_model)  F(·)
    residual: np.ndarray  # (B, T, d_model)  x + F(·)
    norm: LayerNormResult  # the LayerNorm of this block (of x for pre-norm, of the residual for post-norm)
    y: np.ndarray  # (B, T, d_model)  block output
    norm_first: bool


@dataclass(frozen=True)
class EncoderLayerTrace:
    self_attn: SublayerTrace
    ffn: SublayerTrace
    y: np.ndarray  # (B, T, d_model)


@dataclass(frozen=True)
class DecoderLayerTrace:
    self_attn: SublayerTrace
    cross_attn: SublayerTrace
    ffn: SublayerTrace
    y: np.ndarray  # (B, T, d_model)


def _mha(
    x_q: np.ndarray, x_kv: np.ndarray, w: MHAWeights, n_heads: int, mask: np.ndarray | None = None
) -> MHAOutput:
    """MultiHead(Q, K, V) = Concat(head_i)W^O (Vaswani et al. 2017, §3.2.2) on x_q (B, T, d), x_kv (B, S, d).

    ``mask`` (True = blocked) broadcasts to (B, H, T, S); it enters as the additive −∞ bias that torch uses
    for float masks, so a per-head or per-batch mask works as in ``torch.nn.MultiheadAttention``.
    """
    d = x_q.shape[-1]
    if d % n_heads:
        raise ValueError(f"d_model ({d}) must be divisible by n_heads ({n_heads})")
    p = attention.MultiHeadParams(w.W_q, w.W_k, w.W_v, w.b_q, w.b_k, w.b_v, w.W_o, w.b_o, n_heads)
    bias = None if mask is None else np.where(mask, -np.inf, 0.0)  # (…, T, S) → broadcasts to (B, H, T, S)
    r = attention.multi_head_attention(p, x_q, x_kv, bias=bias)
    return MHAOutput(q=r.q, k=r.k, v=r.v, weights=r.weights, y=r.output)


def pre_norm_sublayer(
    x: np.ndarray, sublayer: Callable[[np.ndarray], Any], norm: NormWeights, eps: float = 1e-5
) -> SublayerTrace:
    """Pre-LN residual block x + F(LN(x)) (Xiong et al. 2020, Fig. 1b).

    ``sublayer`` maps (B, T, d_model) to a result object whose ``.y`` is F's output (MHAOutput, FFNResult).
    """
    ln = layer_norm(x, norm.gamma, norm.beta, eps)  # y: (B, T, d_model)
    detail = sublayer(ln.y)
    residual = x + detail.y  # (B, T, d_model)
    return SublayerTrace(
        x=x, sublayer_in=ln.y, detail=detail, sublayer_out=detail.y, residual=residual, norm=ln, y=residual,
        norm_first=True,
    )  # fmt: skip


def post_norm_sublayer(
    x: np.ndarray, sublayer: Callable[[np.ndarray], Any], norm: NormWeights, eps: float = 1e-5
) -> SublayerTrace:
    """Post-LN residual block LN(x + F(x)) (Vaswani et al. 2017, §3.1; Xiong et al. 2020, Fig. 1a)."""
    detail = sublayer(x)
    residual = x + detail.y  # (B, T, d_model)
    ln = layer_norm(residual, norm.gamma, norm.beta, eps)  # y: (B, T, d_model)
    return SublayerTrace(
        x=x, sublayer_in=x, detail=detail, sublayer_out=detail.y, residual=residual, norm=ln, y=ln.y,
        norm_first=False,
    )  # fmt: skip


def residual_sublayer(
    x: np.ndarray,
    sublayer: Callable[[np.ndarray], Any],
    norm: NormWeights,
    norm_first: bool,
    eps: float = 1e-5,
) -> SublayerTrace:
    """Dispatch to :func:`pre_norm_sublayer` (norm_first) or :func:`post_norm_sublayer`."""
    return (pre_norm_sublayer if norm_first else post_norm_sublayer)(x, sublayer, norm, eps)


def causal_mask(t: int) -> np.ndarray:
    """Boolean (T, T) mask, True above the diagonal: position i may not attend to j > i (§3.2.3).

    torch's convention (True = blocked): the complement of ``lib.transformer.attention.causal_mask``.
    """
    return ~attention.causal_mask(t)  # (T, T)


def encoder_layer(
    x: np.ndarray,
    w: EncoderLayerWeights,
    n_heads: int,
    activation: Activation = "relu",
    norm_first: bool = False,
    eps: float = 1e-5,
    mask: np.ndarray | None = None,
) -> EncoderLayerTrace:
    """One encoder layer (Vaswani et al. 2017, §3.1): self-attention then FFN, each a residual sublayer.

    ``mask`` (bool, True = blocked) broadcasts to (B, H, T, T): pass (T, T) for an attention mask or
    (B, 1, 1, T) for key padding.
    """
    x = np.asarray(x, dtype=np.float64)  # (B, T, d_model)
    sa = residual_sublayer(x, lambda z: _mha(z, z, w.self_attn, n_heads, mask), w.norm1, norm_first, eps)
    ff = residual_sublayer(sa.y, lambda z: ffn(z, w.ffn, activation), w.norm2, norm_first, eps)
    return EncoderLayerTrace(self_attn=sa, ffn=ff, y=ff.y)


def decoder_layer(
    x: np.ndarray,
    memory: np.ndarray,
    w: DecoderLayerWeights,
    n_heads: int,
    activation: Activation = "relu",
    norm_first: bool = False,
    eps: float = 1e-5,
    causal: bool = True,
    memory_mask: np.ndarray | None = None,
) -> DecoderLayerTrace:
    """One decoder layer (Vaswani et al. 2017, §3.1): masked self-attention, cross-attention, FFN.

    Queries of the cross-attention come from the decoder stream, keys/values from ``memory`` (the encoder
    output, not normalised here, as in torch). ``memory_mask`` broadcasts to (B, H, T, S).
    """
    x = np.asarray(x, dtype=np.float64)  # (B, T, d_model)
    memory = np.asarray(memory, dtype=np.float64)  # (B, S, d_model)
    self_mask = causal_mask(x.shape[1]) if causal else None  # (T, T)
    sa = residual_sublayer(x, lambda z: _mha(z, z, w.self_attn, n_heads, self_mask), w.norm1, norm_first, eps)
    ca = residual_sublayer(
        sa.y, lambda z: _mha(z, memory, w.cross_attn, n_heads, memory_mask), w.norm2, norm_first, eps
    )
    ff = residual_sublayer(ca.y, lambda z: ffn(z, w.ffn, activation), w.norm3, norm_first, eps)
    return DecoderLayerTrace(self_attn=sa, cross_attn=ca, ffn=ff, y=ff.y)


def init_mha_weights(d_model: int, rng: np.random.Generator) -> MHAWeights:
    """U(±1/√d_model) projections and small uniform biases (seeded; not torch's exact init)."""
    a = d_model**-0.5

    def u(*shape: int) -> np.ndarray:
        return rng.uniform(-a, a, size=shape)

    return MHAWeights(
        W_q=u(d_model, d_model), W_k=u(d_model, d_model), W_v=u(d_model, d_model), W_o=u(d_model, d_model),
        b_q=u(d_model), b_k=u(d_model), b_v=u(d_model), b_o=u(d_model),
    )  # fmt: skip


def _init_norm(d_model: int, rng: np.random.Generator) -> NormWeights:
    return NormWeights(gamma=1.0 + 0.1 * rng.normal(size=d_model), beta=0.1 * rng.normal(size=d_model))


def init_encoder_layer_weights(d_model: int, d_ff: int, seed: int = 0) -> EncoderLayerWeights:
    """Seeded encoder-layer weights (γ near 1 and β near 0, perturbed so they matter in tests and scenes)."""
    rng = np.random.default_rng(seed)
    return EncoderLayerWeights(
        self_attn=init_mha_weights(d_model, rng),
        norm1=_init_norm(d_model, rng),
        ffn=init_ffn_weights(d_model, d_ff, seed=int(rng.integers(2**31))),
        norm2=_init_norm(d_model, rng),
    )


def init_decoder_layer_weights(d_model: int, d_ff: int, seed: int = 0) -> DecoderLayerWeights:
    """Seeded decoder-layer weights, as :func:`init_encoder_layer_weights` plus cross-attention and norm3."""
    rng = np.random.default_rng(seed)
    return DecoderLayerWeights(
        self_attn=init_mha_weights(d_model, rng),
        norm1=_init_norm(d_model, rng),
        cross_attn=init_mha_weights(d_model, rng),
        norm2=_init_norm(d_model, rng),
        ffn=init_ffn_weights(d_model, d_ff, seed=int(rng.integers(2**31))),
        norm3=_init_norm(d_model, rng),
    )
