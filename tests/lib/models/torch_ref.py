"""The committed weights loaded into the torch models in float64: the reference for the NumPy forwards."""

from __future__ import annotations

import numpy as np
import torch

from lib.models import tasks
from lib.models.configs import COPY_MODEL, INDUCTION_MODEL, TRANSLATION_MODEL
from lib.models.store import WEIGHTS_DIR, read_npz
from lib.models.torch_models import DecoderLM, MambaLM, Seq2Seq, causal_block
from lib.models.train import greedy_decode


def _load(model: torch.nn.Module, task: str) -> torch.nn.Module:
    sd = {k: torch.from_numpy(v.astype(np.float64)) for k, v in read_npz(WEIGHTS_DIR / f"{task}.npz").items()}
    model = model.double()
    model.load_state_dict(sd)
    return model.train()  # dropout is 0: train mode keeps torch off its fused inference fast path


def induction_model() -> DecoderLM:
    cfg = tasks.InductionConfig()
    return _load(DecoderLM(cfg.vocab, cfg.length, INDUCTION_MODEL), "induction")


def translation_model() -> Seq2Seq:
    return _load(
        Seq2Seq(len(tasks.SRC_VOCAB), len(tasks.TGT_VOCAB), tasks.SRC_LEN, tasks.TGT_LEN, TRANSLATION_MODEL),
        "translation",
    )


def copy_model() -> MambaLM:
    return _load(MambaLM(len(tasks.COPY_VOCAB), COPY_MODEL), "selective_copy")


def mha_weights(mha: torch.nn.MultiheadAttention, q: torch.Tensor, kv: torch.Tensor, **masks) -> np.ndarray:
    """Per-head attention weights (B, H, T, S) straight from torch's MultiheadAttention."""
    _, w = mha(q, kv, kv, need_weights=True, average_attn_weights=False, **masks)
    return w.detach().numpy()


def greedy_cross_attention(model: Seq2Seq, src: torch.Tensor) -> tuple[list[int], np.ndarray]:
    """Torch's greedy output for ``src`` (1, S_max): target ids up to and including EOS; and the first
    decoder layer's cross-attention weights (H, T, S_max) reading that output (teacher-forced, pre-norm)."""
    with torch.no_grad():
        out = greedy_decode(model, src)[0].tolist()  # tokens … EOS, then padding
        out = out[: out.index(tasks.TGT_ID[tasks.EOS]) + 1]
        tgt_in = torch.tensor([[tasks.TGT_ID[tasks.BOS], *out[:-1]]])
        memory = model.encode(src)
        T = tgt_in.shape[1]
        y = model.tgt_embed(tgt_in) + model.tgt_pos.weight[:T]
        layer = model.decoder[0]
        z = layer.norm1(y)
        y = y + layer.self_attn(z, z, z, attn_mask=causal_block(T), need_weights=False)[0]
        w = mha_weights(layer.multihead_attn, layer.norm2(y), memory, key_padding_mask=src == 0)[0]
    return out, w
