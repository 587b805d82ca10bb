"""Torch state dicts (NumPy arrays, torch names and layouts) → the weight dataclasses of ``lib/``.

torch.nn.Linear stores W as (out, in) for x Wᵀ; ``lib`` stores it for ``x @ W`` (in, out): every weight
matrix is transposed here, once. ``nn.MultiheadAttention`` keeps W_q, W_k, W_v stacked in
``in_proj_weight`` (3d, d).
"""

from __future__ import annotations

import numpy as np

from lib.mamba.block import MambaParams
from lib.transformer.ffn import FFNWeights
from lib.transformer.layers import DecoderLayerWeights, EncoderLayerWeights, MHAWeights, NormWeights

State = dict[str, np.ndarray]


def mha(sd: State, prefix: str) -> MHAWeights:
    """``<prefix>.in_proj_weight`` (3d, d), ``.in_proj_bias`` (3d,), ``.out_proj.{weight,bias}``."""
    W_q, W_k, W_v = np.split(sd[f"{prefix}.in_proj_weight"], 3)  # (d, d) each, (out, in)
    b_q, b_k, b_v = np.split(sd[f"{prefix}.in_proj_bias"], 3)  # (d,) each
    return MHAWeights(
        W_q=W_q.T, W_k=W_k.T, W_v=W_v.T, W_o=sd[f"{prefix}.out_proj.weight"].T,
        b_q=b_q, b_k=b_k, b_v=b_v, b_o=sd[f"{prefix}.out_proj.bias"],
    )  # fmt: skip


def norm(sd: State, prefix: str) -> NormWeights:
    return NormWeights(gamma=sd[f"{prefix}.weight"], beta=sd[f"{prefix}.bias"])


def ffn(sd: State, prefix: str) -> FFNWeights:
    """``linear1`` (d_ff, d) and ``linear2`` (d, d_ff) of a torch Transformer layer."""
    return FFNWeights(
        W1=sd[f"{prefix}.linear1.weight"].T, b1=sd[f"{prefix}.linear1.bias"],
        W2=sd[f"{prefix}.linear2.weight"].T, b2=sd[f"{prefix}.linear2.bias"],
    )  # fmt: skip


def encoder_layer(sd: State, prefix: str) -> EncoderLayerWeights:
    """One ``nn.TransformerEncoderLayer``."""
    return EncoderLayerWeights(
        self_attn=mha(sd, f"{prefix}.self_attn"), norm1=norm(sd, f"{prefix}.norm1"),
        ffn=ffn(sd, prefix), norm2=norm(sd, f"{prefix}.norm2"),
    )  # fmt: skip


def decoder_layer(sd: State, prefix: str) -> DecoderLayerWeights:
    """One ``nn.TransformerDecoderLayer`` (its cross-attention is ``multihead_attn``)."""
    return DecoderLayerWeights(
        self_attn=mha(sd, f"{prefix}.self_attn"), norm1=norm(sd, f"{prefix}.norm1"),
        cross_attn=mha(sd, f"{prefix}.multihead_attn"), norm2=norm(sd, f"{prefix}.norm2"),
        ffn=ffn(sd, prefix), norm3=norm(sd, f"{prefix}.norm3"),
    )  # fmt: skip


def mamba_block(sd: State, prefix: str) -> MambaParams:
    """One mamba_simple-style block: conv1d.weight (D, 1, K) → (D, K); Linear weights transposed."""
    return MambaParams(
        W_in=sd[f"{prefix}.in_proj.weight"].T,
        conv_w=sd[f"{prefix}.conv1d.weight"][:, 0, :],
        conv_b=sd[f"{prefix}.conv1d.bias"],
        W_x=sd[f"{prefix}.x_proj.weight"].T,
        W_dt=sd[f"{prefix}.dt_proj.weight"].T,
        b_dt=sd[f"{prefix}.dt_proj.bias"],
        A_log=sd[f"{prefix}.A_log"],
        D=sd[f"{prefix}.D"],
        W_out=sd[f"{prefix}.out_proj.weight"].T,
    )


def count_layers(sd: State, prefix: str) -> int:
    """How many ``<prefix>.<i>.…`` entries the state dict has."""
    return len({k.split(".")[1] for k in sd if k.startswith(prefix + ".")})
