"""The trained decoder-only Transformer of the induction task, in NumPy: logits and every head's attention.

A previous-token head attends from t to t − 1; an induction head attends from a token of the second copy to
the token *after* its earlier occurrence (t − S + 1 for a segment of length S), whose value, copied, is the
prediction (Olsson et al. 2022, "In-context Learning and Induction Heads", §2 and Fig. 1; Elhage et al.
2021, "A Mathematical Framework for Transformer Circuits", the two-layer induction circuit).
The layers are ``lib.transformer.layers.encoder_layer`` with a causal mask and pre-norm.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from lib.models import convert, tasks
from lib.models.configs import INDUCTION_MODEL
from lib.models.store import WEIGHTS_DIR, load_weights
from lib.nets.norms import layer_norm
from lib.transformer.layers import (
    EncoderLayerTrace,
    EncoderLayerWeights,
    NormWeights,
    causal_mask,
    encoder_layer,
)


@dataclass(frozen=True)
class DecoderLMWeights:
    embed: np.ndarray  # (V, d)
    pos: np.ndarray  # (T_max, d)  learned positions
    layers: tuple[EncoderLayerWeights, ...]
    norm: NormWeights  # the final LayerNorm
    W_head: np.ndarray  # (d, V)
    b_head: np.ndarray  # (V,)
    n_heads: int


@dataclass(frozen=True)
class DecoderLMTrace:
    tokens: np.ndarray  # (B, T)
    layers: tuple[EncoderLayerTrace, ...]
    attention: np.ndarray  # (B, n_layers, H, T, T)  each head's softmax weights
    logits: np.ndarray  # (B, T, V)  for the token at t + 1


def load(folder: Path = WEIGHTS_DIR) -> DecoderLMWeights:
    """The committed induction model (float64 copies of the trained float32 weights)."""
    sd = load_weights("induction", folder)
    n = convert.count_layers(sd, "layers")
    return DecoderLMWeights(
        embed=sd["embed.weight"], pos=sd["pos.weight"],
        layers=tuple(convert.encoder_layer(sd, f"layers.{i}") for i in range(n)),
        norm=convert.norm(sd, "norm"), W_head=sd["head.weight"].T, b_head=sd["head.bias"],
        n_heads=INDUCTION_MODEL.n_heads,
    )  # fmt: skip


def forward(w: DecoderLMWeights, tokens: np.ndarray) -> DecoderLMTrace:
    """Token + position embeddings, causal pre-norm layers, final LayerNorm, unembedding. tokens (B, T)."""
    tokens = np.atleast_2d(np.asarray(tokens))  # (B, T)
    T = tokens.shape[1]
    x = w.embed[tokens] + w.pos[:T]  # (B, T, d)
    traces = []
    for lw in w.layers:
        tr = encoder_layer(x, lw, w.n_heads, norm_first=True, mask=causal_mask(T), eps=INDUCTION_MODEL.eps)
        traces.append(tr)
        x = tr.y  # (B, T, d)
    logits = (
        layer_norm(x, w.norm.gamma, w.norm.beta, INDUCTION_MODEL.eps).y @ w.W_head + w.b_head
    )  # (B, T, V)
    attention = np.stack([tr.self_attn.detail.weights for tr in traces], axis=1)  # (B, n_layers, H, T, T)
    return DecoderLMTrace(tokens=tokens, layers=tuple(traces), attention=attention, logits=logits)


@dataclass(frozen=True)
class HeadScores:
    """Per (layer, head): the mean attention paid to the two positions that define the two head types."""

    previous_token: np.ndarray  # (n_layers, H)  mean over t ≥ 1 of weight(t → t − 1)
    induction: np.ndarray  # (n_layers, H)  mean over the second copy of weight(t → t − S + 1)


def head_scores(attention: np.ndarray, batch: tasks.InductionBatch) -> HeadScores:
    """Score every head on ``batch``: how much of its attention goes to t − 1, and to t − S + 1."""
    Bsz, T = batch.tokens.shape
    t = np.arange(1, T)  # (T−1,)
    prev = attention[:, :, :, t, t - 1].mean(axis=(0, 3))  # (n_layers, H)
    rows = []
    for b in range(Bsz):
        q = np.flatnonzero(batch.target_mask[b])  # (S−1,)  queries in the second copy
        rows.append(attention[b][:, :, q, q - batch.segment[b] + 1])  # (n_layers, H, S−1)
    induction = np.concatenate(rows, axis=-1).mean(-1)  # (n_layers, H)
    return HeadScores(previous_token=prev, induction=induction)


def accuracy(logits: np.ndarray, batch: tasks.InductionBatch) -> float:
    """Share of second-copy positions whose argmax is the next token."""
    nxt = np.roll(batch.tokens, -1, axis=1)  # (B, T)
    return float((logits.argmax(-1) == nxt)[batch.target_mask].mean())


def example(seed: int = 0, segment: int = 6) -> tasks.InductionBatch:
    """One reproducible sequence for a scene: a segment of ``segment`` tokens repeated in the filler."""
    rng = np.random.default_rng(seed)
    cfg = tasks.InductionConfig(min_segment=segment, max_segment=segment)
    return tasks.induction_batch(rng, 1, cfg)
