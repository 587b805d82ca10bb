"""What the trained Mamba computes on a scene's input, redone in torch: the toy scenes' tests' reference.

The committed weights go into the torch model (``lib/models/torch_models.py``, float64); its first block's
trace gives the scan input x, Δ, B and C per token. The channels shown are ranked here, in torch, by mean
Δ on data tokens minus mean Δ on noise tokens over the fixed reference sequences; A = −exp(A_log).
"""

from __future__ import annotations

import functools

import numpy as np
import torch

from lib.models import selective_copy, tasks
from tests.lib.models.torch_ref import copy_model


@functools.cache
def _model_and_order() -> tuple[torch.nn.Module, tuple[int, ...]]:
    model = copy_model()
    block = model.layers[0]
    block.trace = {}
    gaps = []
    with torch.no_grad():
        for seq in selective_copy.reference_batch():  # the input sequences only
            model(torch.from_numpy(seq[None]))
            gaps.append((block.trace["delta"][0], torch.from_numpy(seq)))
    data = torch.cat([d[s < tasks.NOISE_ID] for d, s in gaps]).mean(0)  # (D,)
    noise = torch.cat([d[s == tasks.NOISE_ID] for d, s in gaps]).mean(0)  # (D,)
    order = np.argsort(-(data - noise).numpy(), kind="stable")
    return model, tuple(int(c) for c in order)


def trained_reference(seed: int, d_inner: int) -> dict:
    """Tokens (symbols); x, Δ (L, d), A (d, N), B, C (L, N) of the d shown channels, as torch tensors."""
    model, order = _model_and_order()
    chans = list(order[:d_inner])
    seq = selective_copy.example(seed)
    L = len(seq) - tasks.CopyConfig().k
    block = model.layers[0]
    block.trace = {}
    with torch.no_grad():
        model(torch.from_numpy(seq[None]))
    tr = block.trace
    return {
        "tokens": list(tasks.copy_symbols(seq[:L])),
        "x": tr["x"][0, :L, chans],
        "delta": tr["delta"][0, :L, chans],
        "A": -torch.exp(block.A_log.detach()[chans]),
        "B": tr["B"][0, :L],
        "C": tr["C"][0, :L],
    }
