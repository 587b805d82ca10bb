"""Cost model of deep-learning layers and models: parameters, MACs/FLOPs, activation and inference memory.

The import surface for ``lib/arithmetic/cost_layers.py`` (single layers), ``lib/arithmetic/cost_rnn.py``
(RNNs) and
``lib/arithmetic/cost_models.py`` (attention, FFNs, the selective scan, the Mamba block, whole decoders), plus
inference-time memory: a transformer's KV cache grows with the generated length T, a Mamba model's
recurrent state does not (Gu & Dao 2023, §3.5).

Counting conventions are in ``lib/arithmetic/cost_layers.py``: ``macs`` are matmul/conv multiply-accumulates
(``FlopCounterMode`` reports 2·macs), ``flops`` = 2·macs + elementwise FLOPs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from lib.arithmetic.cost_layers import (
    ELEMENTWISE_FLOPS,
    LayerCost,
    activation_cost,
    batchnorm2d_cost,
    combine,
    conv1d_cost,
    conv2d_cost,
    elementwise_cost,
    embedding_cost,
    flatten_cost,
    layernorm_cost,
    linear_cost,
    pool2d_cost,
    rmsnorm_cost,
)
from lib.arithmetic.cost_models import (
    attention_cost,
    ffn_cost,
    mamba_block_cost,
    mamba_model_cost,
    selective_scan_cost,
    swiglu_cost,
    transformer_decoder_cost,
)
from lib.arithmetic.cost_rnn import RNN_GATES, rnn_cell_cost, rnn_cost

__all__ = [
    "ELEMENTWISE_FLOPS",
    "RNN_GATES",
    "InferenceMemory",
    "LayerCost",
    "activation_cost",
    "attention_cost",
    "batchnorm2d_cost",
    "combine",
    "compare_inference_memory",
    "conv1d_cost",
    "conv2d_cost",
    "elementwise_cost",
    "embedding_cost",
    "ffn_cost",
    "flatten_cost",
    "kv_cache_bytes",
    "layernorm_cost",
    "linear_cost",
    "mamba_block_cost",
    "mamba_model_cost",
    "mamba_state_bytes",
    "pool2d_cost",
    "rmsnorm_cost",
    "rnn_cell_cost",
    "rnn_cost",
    "selective_scan_cost",
    "swiglu_cost",
    "transformer_decoder_cost",
]


def kv_cache_bytes(
    n_layers: int, seq_len: int, n_kv_heads: int, head_dim: int, batch: int = 1, bytes_per_elem: int = 2
) -> int:
    """KV cache size 2·L·T·h_kv·d_head·B·bytes: one K and one V vector per layer, token and KV head.

    Grows linearly with the number of cached tokens T (fp16/bf16 by default).
    """
    return 2 * n_layers * seq_len * n_kv_heads * head_dim * batch * bytes_per_elem


def mamba_state_bytes(
    n_layers: int,
    d_model: int,
    d_state: int = 16,
    d_conv: int = 4,
    expand: int = 2,
    batch: int = 1,
    bytes_per_elem: int = 2,
) -> int:
    """Mamba's recurrent inference state, L·B·d_inner·((d_conv − 1) + N)·bytes, independent of T.

    Per layer: the conv state (the last d_conv − 1 inputs of each of d_inner channels; the reference
    ``allocate_inference_cache`` allocates d_conv columns, one of them scratch) and the SSM state h
    (d_inner×N).
    """
    d_inner = expand * d_model
    return n_layers * batch * d_inner * ((d_conv - 1) + d_state) * bytes_per_elem


@dataclass(frozen=True)
class InferenceMemory:
    """KV cache vs Mamba state (bytes) over generated lengths; ``crossover_len``: first T with KV > state."""

    lengths: tuple[int, ...]
    kv_cache_bytes: tuple[int, ...]
    mamba_state_bytes: int
    kv_bytes_per_token: int
    crossover_len: int

    @property
    def ratios(self) -> tuple[float, ...]:
        """KV cache / Mamba state at each length."""
        return tuple(kv / self.mamba_state_bytes for kv in self.kv_cache_bytes)


def compare_inference_memory(
    lengths: Sequence[int],
    *,
    attn_layers: int,
    n_kv_heads: int,
    head_dim: int,
    mamba_layers: int,
    d_model: int,
    d_state: int = 16,
    d_conv: int = 4,
    expand: int = 2,
    batch: int = 1,
    bytes_per_elem: int = 2,
) -> InferenceMemory:
    """KV cache (``kv_cache_bytes``) vs Mamba state (``mamba_state_bytes``) at each generated length.

    crossover_len = ⌊S / k⌋ + 1 with S the Mamba state and k the KV bytes per token: the shortest length at
    which the cache is strictly larger.
    """
    per_token = kv_cache_bytes(attn_layers, 1, n_kv_heads, head_dim, batch, bytes_per_elem)
    state = mamba_state_bytes(mamba_layers, d_model, d_state, d_conv, expand, batch, bytes_per_elem)
    kv = tuple(kv_cache_bytes(attn_layers, t, n_kv_heads, head_dim, batch, bytes_per_elem) for t in lengths)
    return InferenceMemory(tuple(lengths), kv, state, per_token, state // per_token + 1)
