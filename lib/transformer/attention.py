"""Scaled dot-product attention, its masks, and multi-head attention.

Vaswani et al. 2017, "Attention Is All You Need":
    eq. 1   Attention(Q, K, V) = softmax(Q Kᵀ / √d_k) V
    eq. 4–5 MultiHead(Q, K, V) = Concat(head_1, …, head_h) W^O,  head_i = Attention(Q W_i^Q, K W_i^K, V W_i^V)
Weights are stored for ``x @ W`` (input dimension first), i.e. transposed from ``torch.nn.Linear``; the h
per-head matrices W_i^Q are the column blocks of one (d_in, d_model) matrix, which is how
``torch.nn.MultiheadAttention`` stores them.

Masks are boolean with True = attend, broadcastable to (..., T_q, T_k) (PyTorch's ``attn_mask`` uses the
same convention for bool masks in ``scaled_dot_product_attention``, the opposite one in
``nn.MultiheadAttention``). A fully masked query row has nothing to attend to: we define its weights and
its output to be zeros (PyTorch returns NaN there); ``AttentionResult.masked`` keeps the −inf row.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from lib.core.softmax import softmax

# ── masks ────────────────────────────────────────────────────────────────────────────────────────────


def causal_mask(T_q: int, T_k: int | None = None) -> np.ndarray:
    """Decoder mask of Vaswani et al. 2017 §3.2.3: query i attends keys j ≤ i (True = attend).

    With T_q ≠ T_k the queries are the *last* T_q positions of the key sequence (bottom-right alignment,
    as in decoding with a KV cache): query i sits at position i + T_k − T_q. PyTorch's ``is_causal`` aligns
    top-left instead; the two agree when T_q = T_k.
    """
    T_k = T_q if T_k is None else T_k
    i = np.arange(T_q)[:, None] + (T_k - T_q)  # (T_q, 1)  absolute query positions
    j = np.arange(T_k)[None, :]  # (1, T_k)
    return j <= i  # (T_q, T_k)


def padding_mask(lengths: np.ndarray | list[int], T: int) -> np.ndarray:
    """Key-padding mask for a batch of sequences padded to length T: key j is real iff j < length_b.

    Returned as (B, 1, T) so it broadcasts over queries against (B, T_q, T) scores; insert a head axis
    (``mask[:, None]``) for (B, H, T_q, T) scores.
    """
    lengths = np.asarray(lengths)  # (B,)
    return (np.arange(T)[None, :] < lengths[:, None])[:, None, :]  # (B, 1, T)


def sliding_window_mask(T: int, window: int, causal: bool = True) -> np.ndarray:
    """Local attention band of width ``window`` (True = attend).

    causal=True (Mistral-style, Jiang et al. 2023 §2): query i sees the ``window`` most recent keys
    including itself, i − window < j ≤ i. causal=False (Longformer, Beltagy et al. 2020 §3.1): a symmetric
    band, |i − j| ≤ window // 2, i.e. window/2 keys on each side.
    """
    if window < 1:
        raise ValueError(f"window must be ≥ 1, got {window}")
    d = np.arange(T)[:, None] - np.arange(T)[None, :]  # (T, T)  i − j
    if causal:
        return (d >= 0) & (d < window)  # (T, T)
    return np.abs(d) <= window // 2  # (T, T)


# ── scaled dot-product attention (eq. 1) ────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class AttentionResult:
    """The stages of eq. 1 that a scene draws. With no mask and no bias ``masked`` is ``scaled`` itself."""

    scores: np.ndarray  # (..., T_q, T_k)  q kᵀ
    scaled: np.ndarray  # (..., T_q, T_k)  q kᵀ / √d
    masked: np.ndarray  # (..., T_q, T_k)  scaled (+ bias), −inf where the mask is False
    weights: np.ndarray  # (..., T_q, T_k)  softmax over keys; rows sum to 1 (0 for fully masked rows)
    output: np.ndarray  # (..., T_q, d_v)  weights @ v


def scaled_dot_product_attention(
    q: np.ndarray,
    k: np.ndarray,
    v: np.ndarray,
    mask: np.ndarray | None = None,
    bias: np.ndarray | None = None,
    scale: float | None = None,
) -> AttentionResult:
    """Attention(Q, K, V) = softmax(Q Kᵀ / √d_k + bias) V — Vaswani et al. 2017, eq. 1.

    q (..., T_q, d), k (..., T_k, d), v (..., T_k, d_v); ``mask`` bool (True = attend) and ``bias`` (an
    additive term such as ALiBi's) broadcast to (..., T_q, T_k); ``scale`` defaults to 1/√d. Vectorised over
    every axis (no Python loop over T); fully masked rows give zero weights and zero output.
    """
    q, k, v = (
        np.asarray(a, dtype=np.float64) for a in (q, k, v)
    )  # (..., T_q, d), (..., T_k, d), (..., T_k, d_v)
    scale = 1.0 / math.sqrt(q.shape[-1]) if scale is None else scale
    scores = q @ k.swapaxes(-1, -2)  # (..., T_q, T_k)
    scaled = scores * scale  # (..., T_q, T_k)
    masked = scaled if bias is None else scaled + bias  # (..., T_q, T_k)
    if mask is not None:
        masked = np.where(mask, masked, -np.inf)  # (..., T_q, T_k)
    weights = softmax(masked, axis=-1)  # (..., T_q, T_k)
    output = weights @ v  # (..., T_q, d_v)
    return AttentionResult(scores, scaled, masked, weights, output)


def scaled_dot_product_attention_loop(
    q: np.ndarray,
    k: np.ndarray,
    v: np.ndarray,
    mask: np.ndarray | None = None,
    bias: np.ndarray | None = None,
    scale: float | None = None,
) -> np.ndarray:
    """Plain sequential eq. 1, one query and one key at a time with scalar math (the reference).

    Returns only the output (..., T_q, d_v); the intermediates are those of the vectorised version.
    """
    q, k, v = (
        np.asarray(a, dtype=np.float64) for a in (q, k, v)
    )  # (..., T_q, d), (..., T_k, d), (..., T_k, d_v)
    *batch, T_q, d = q.shape
    T_k = k.shape[-2]
    scale = 1.0 / math.sqrt(d) if scale is None else scale
    full = tuple(batch) + (T_q, T_k)
    mask = np.broadcast_to(True if mask is None else mask, full)  # (..., T_q, T_k)
    bias = np.broadcast_to(0.0 if bias is None else bias, full)  # (..., T_q, T_k)
    k = np.broadcast_to(k, (*batch, T_k, d))  # (..., T_k, d)
    v = np.broadcast_to(v, (*batch, T_k, v.shape[-1]))  # (..., T_k, d_v)
    out = np.zeros((*batch, T_q, v.shape[-1]))  # (..., T_q, d_v)
    for b in np.ndindex(*batch):
        for i in range(T_q):
            logits = [
                sum(float(q[b][i, c]) * float(k[b][j, c]) for c in range(d)) * scale + float(bias[b][i, j])
                for j in range(T_k)
            ]
            keep = [j for j in range(T_k) if mask[b][i, j]]
            if not keep:
                continue  # fully masked row → zero output
            m = max(logits[j] for j in keep)
            e = {j: math.exp(logits[j] - m) for j in keep}
            z = sum(e.values())
            for j in keep:
                out[b][i] += (e[j] / z) * v[b][j]
    return out


# ── multi-head attention (eq. 4–5) ──────────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class MultiHeadParams:
    """Projections of one multi-head attention layer, stored for ``x @ W``."""

    W_q: np.ndarray  # (d_q_in, d_model)  column block i is W_i^Q
    W_k: np.ndarray  # (d_k_in, d_model)  (d_k_in = kdim for cross-attention)
    W_v: np.ndarray  # (d_v_in, d_model)
    b_q: np.ndarray  # (d_model,)
    b_k: np.ndarray  # (d_model,)
    b_v: np.ndarray  # (d_model,)
    W_o: np.ndarray  # (d_model, d_model)  W^O
    b_o: np.ndarray  # (d_model,)
    n_heads: int

    @property
    def d_model(self) -> int:
        return self.W_o.shape[0]

    @property
    def d_head(self) -> int:
        return self.d_model // self.n_heads


def init_multi_head_params(
    d_model: int, n_heads: int, kdim: int | None = None, vdim: int | None = None, seed: int = 0
) -> MultiHeadParams:
    """Seeded init: Xavier-uniform projections (as torch's MultiheadAttention), biases U(±1/√d_model).

    PyTorch zeroes the biases at init; ours are random so that scenes and tests exercise them.
    """
    if d_model % n_heads:
        raise ValueError(f"d_model={d_model} is not divisible by n_heads={n_heads}")
    kdim, vdim = kdim or d_model, vdim or d_model
    rng = np.random.default_rng(seed)

    def xavier(fan_in: int, fan_out: int) -> np.ndarray:
        bound = math.sqrt(6.0 / (fan_in + fan_out))
        return rng.uniform(-bound, bound, size=(fan_in, fan_out))  # (fan_in, fan_out)

    def small(n: int) -> np.ndarray:
        return rng.uniform(-1.0, 1.0, size=n) / math.sqrt(d_model)  # (n,)

    return MultiHeadParams(
        W_q=xavier(d_model, d_model),
        W_k=xavier(kdim, d_model),
        W_v=xavier(vdim, d_model),
        b_q=small(d_model),
        b_k=small(d_model),
        b_v=small(d_model),
        W_o=xavier(d_model, d_model),
        b_o=small(d_model),
        n_heads=n_heads,
    )


@dataclass(frozen=True)
class MultiHeadResult:
    """Every stage of eq. 4–5; ``attention`` holds all heads' scores and weights at once."""

    q: np.ndarray  # (..., H, T_q, d_head)  x_q W_i^Q for every head i
    k: np.ndarray  # (..., H, T_k, d_head)
    v: np.ndarray  # (..., H, T_k, d_head)
    attention: AttentionResult  # weights (..., H, T_q, T_k), output = head_i (..., H, T_q, d_head)
    concat: np.ndarray  # (..., T_q, d_model)  Concat(head_1, …, head_h)
    output: np.ndarray  # (..., T_q, d_model)  concat W^O + b_o

    @property
    def weights(self) -> np.ndarray:
        """Per-head attention weights (..., H, T_q, T_k)."""
        return self.attention.weights


def _split_heads(x: np.ndarray, n_heads: int) -> np.ndarray:
    """(..., T, d_model) → (..., H, T, d_head): head i takes columns i·d_head … (i+1)·d_head − 1."""
    *lead, T, d_model = x.shape
    return x.reshape(*lead, T, n_heads, d_model // n_heads).swapaxes(-2, -3)  # (..., H, T, d_head)


def multi_head_attention(
    params: MultiHeadParams,
    x_q: np.ndarray,
    x_k: np.ndarray | None = None,
    x_v: np.ndarray | None = None,
    mask: np.ndarray | None = None,
    bias: np.ndarray | None = None,
) -> MultiHeadResult:
    """MultiHead(Q, K, V) = Concat(head_1, …, head_h) W^O — Vaswani et al. 2017, eq. 4–5.

    x_q (..., T_q, d_q_in) gives the queries, x_k (..., T_k, d_k_in) the keys and x_v (..., T_k, d_v_in)
    the values (defaults: x_k = x_q, self-attention; x_v = x_k). A decoder's x_q with an encoder's output
    as x_k = x_v is cross-attention. ``mask`` (True = attend) broadcasts to (..., T_q, T_k) and is shared
    by all heads; ``bias`` (e.g. ALiBi's, per head) broadcasts to (..., H, T_q, T_k).
    """
    x_q = np.asarray(x_q, dtype=np.float64)  # (..., T_q, d_q_in)
    x_k = x_q if x_k is None else np.asarray(x_k, dtype=np.float64)  # (..., T_k, d_k_in)
    x_v = x_k if x_v is None else np.asarray(x_v, dtype=np.float64)  # (..., T_k, d_v_in)
    H = params.n_heads
    q = _split_heads(x_q @ params.W_q + params.b_q, H)  # (..., H, T_q, d_head)
    k = _split_heads(x_k @ params.W_k + params.b_k, H)  # (..., H, T_k, d_head)
    v = _split_heads(x_v @ params.W_v + params.b_v, H)  # (..., H, T_k, d_head)
    head_mask = None if mask is None else np.asarray(mask)[..., None, :, :]  # (..., 1, T_q, T_k)
    att = scaled_dot_product_attention(q, k, v, mask=head_mask, bias=bias)  # output (..., H, T_q, d_head)
    heads = att.output.swapaxes(-2, -3)  # (..., T_q, H, d_head)
    concat = heads.reshape(*heads.shape[:-2], params.d_model)  # (..., T_q, d_model)
    output = concat @ params.W_o + params.b_o  # (..., T_q, d_model)
    return MultiHeadResult(q, k, v, att, concat, output)


def multi_head_attention_loop(
    params: MultiHeadParams,
    x_q: np.ndarray,
    x_k: np.ndarray | None = None,
    x_v: np.ndarray | None = None,
    mask: np.ndarray | None = None,
) -> tuple[np.ndarray, list[np.ndarray]]:
    """Eq. 4–5 written head by head, with per-head matrices W_i^Q sliced out (the sequential reference).

    Returns (output (..., T_q, d_model), [head_i (..., T_q, d_head) for each head i]).
    """
    x_k = x_q if x_k is None else x_k
    x_v = x_k if x_v is None else x_v
    dh = params.d_head
    heads = []
    for i in range(params.n_heads):
        cols = slice(i * dh, (i + 1) * dh)
        Q = x_q @ params.W_q[:, cols] + params.b_q[cols]  # (..., T_q, d_head)  Q W_i^Q
        K = x_k @ params.W_k[:, cols] + params.b_k[cols]  # (..., T_k, d_head)  K W_i^K
        V = x_v @ params.W_v[:, cols] + params.b_v[cols]  # (..., T_k, d_head)  V W_i^V
        heads.append(scaled_dot_product_attention_loop(Q, K, V, mask=mask))  # (..., T_q, d_head)
    concat = np.concatenate(heads, axis=-1)  # (..., T_q, d_model)
    return concat @ params.W_o + params.b_o, heads  # (..., T_q, d_model)
