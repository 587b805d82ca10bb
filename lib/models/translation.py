"""The trained encoder–decoder Transformer of the dates task, in NumPy: greedy decoding and cross-attention.

"March 12 , 2024" → "2024 年 3 月 12 日": the year moves to the front, so a decoder position's
cross-attention (Vaswani et al. 2017, §3.2.3, "encoder-decoder attention") looks far from the diagonal.
Built from ``lib.transformer.layers`` (pre-norm encoder and decoder layers) with torch's layout.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from lib.models import convert, tasks
from lib.models.configs import TRANSLATION_MODEL
from lib.models.store import WEIGHTS_DIR, load_weights
from lib.nets.norms import layer_norm
from lib.transformer.layers import (
    DecoderLayerTrace,
    DecoderLayerWeights,
    EncoderLayerTrace,
    EncoderLayerWeights,
    NormWeights,
    decoder_layer,
    encoder_layer,
)

EPS = TRANSLATION_MODEL.eps


@dataclass(frozen=True)
class Seq2SeqWeights:
    src_embed: np.ndarray  # (V_src, d)
    src_pos: np.ndarray  # (S_max, d)
    tgt_embed: np.ndarray  # (V_tgt, d)
    tgt_pos: np.ndarray  # (T_max, d)
    encoder: tuple[EncoderLayerWeights, ...]
    enc_norm: NormWeights
    decoder: tuple[DecoderLayerWeights, ...]
    dec_norm: NormWeights
    W_head: np.ndarray  # (d, V_tgt)
    b_head: np.ndarray  # (V_tgt,)
    n_heads: int


@dataclass(frozen=True)
class Seq2SeqTrace:
    src: np.ndarray  # (B, S)
    tgt_in: np.ndarray  # (B, T)
    encoder: tuple[EncoderLayerTrace, ...]
    decoder: tuple[DecoderLayerTrace, ...]
    memory: np.ndarray  # (B, S, d)
    self_attention: np.ndarray  # (B, n_layers, H, T, T)  decoder, causal
    cross_attention: np.ndarray  # (B, n_layers, H, T, S)  decoder queries over the source
    logits: np.ndarray  # (B, T, V_tgt)


def load(folder: Path = WEIGHTS_DIR) -> Seq2SeqWeights:
    """The committed translation model (float64 copies of the trained float32 weights)."""
    sd = load_weights("translation", folder)
    n_enc, n_dec = convert.count_layers(sd, "encoder"), convert.count_layers(sd, "decoder")
    return Seq2SeqWeights(
        src_embed=sd["src_embed.weight"], src_pos=sd["src_pos.weight"],
        tgt_embed=sd["tgt_embed.weight"], tgt_pos=sd["tgt_pos.weight"],
        encoder=tuple(convert.encoder_layer(sd, f"encoder.{i}") for i in range(n_enc)),
        enc_norm=convert.norm(sd, "enc_norm"),
        decoder=tuple(convert.decoder_layer(sd, f"decoder.{i}") for i in range(n_dec)),
        dec_norm=convert.norm(sd, "dec_norm"),
        W_head=sd["head.weight"].T, b_head=sd["head.bias"], n_heads=TRANSLATION_MODEL.n_heads,
    )  # fmt: skip


def forward(w: Seq2SeqWeights, src: np.ndarray, tgt_in: np.ndarray) -> Seq2SeqTrace:
    """Teacher-forced pass: src (B, S) with 0 = padding, tgt_in (B, T) starting with BOS."""
    src, tgt_in = np.atleast_2d(np.asarray(src)), np.atleast_2d(np.asarray(tgt_in))  # (B, S), (B, T)
    pad = (src == 0)[:, None, None, :]  # (B, 1, 1, S)  True = blocked, for every head and query
    x = w.src_embed[src] + w.src_pos[: src.shape[1]]  # (B, S, d)
    enc = []
    for ew in w.encoder:
        enc.append(encoder_layer(x, ew, w.n_heads, norm_first=True, eps=EPS, mask=pad))
        x = enc[-1].y  # (B, S, d)
    memory = layer_norm(x, w.enc_norm.gamma, w.enc_norm.beta, EPS).y  # (B, S, d)
    y = w.tgt_embed[tgt_in] + w.tgt_pos[: tgt_in.shape[1]]  # (B, T, d)
    dec = []
    for dw in w.decoder:
        dec.append(decoder_layer(y, memory, dw, w.n_heads, norm_first=True, eps=EPS, memory_mask=pad))
        y = dec[-1].y  # (B, T, d)
    logits = layer_norm(y, w.dec_norm.gamma, w.dec_norm.beta, EPS).y @ w.W_head + w.b_head  # (B, T, V)
    return Seq2SeqTrace(
        src=src, tgt_in=tgt_in, encoder=tuple(enc), decoder=tuple(dec), memory=memory,
        self_attention=np.stack([t.self_attn.detail.weights for t in dec], axis=1),
        cross_attention=np.stack([t.cross_attn.detail.weights for t in dec], axis=1),
        logits=logits,
    )  # fmt: skip


def greedy(w: Seq2SeqWeights, src: np.ndarray) -> Seq2SeqTrace:
    """Greedy decoding from BOS until every sequence has produced EOS (at most TGT_LEN tokens).

    Returns the teacher-forced trace of the decoded prefix: its logits' argmax is the output, its
    cross-attention the alignment the model used while writing each token.
    """
    src = np.atleast_2d(np.asarray(src))  # (B, S)
    out = np.full((src.shape[0], 1), tasks.TGT_ID[tasks.BOS])  # (B, 1)
    eos = tasks.TGT_ID[tasks.EOS]
    for _ in range(tasks.TGT_LEN):
        nxt = forward(w, src, out).logits[:, -1].argmax(-1)  # (B,)
        out = np.concatenate([out, nxt[:, None]], axis=1)  # (B, t + 1)
        if (out == eos).any(axis=1).all():
            break
    return forward(w, src, out[:, :-1])


def decoded(trace: Seq2SeqTrace) -> list[list[str]]:
    """The output tokens of a greedy trace, up to (not including) EOS."""
    words = []
    for row in trace.logits.argmax(-1):  # (T,)
        toks = [tasks.TGT_VOCAB[i] for i in row]
        words.append(toks[: toks.index(tasks.EOS)] if tasks.EOS in toks else toks)
    return words
