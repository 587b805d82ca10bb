"""The trained Mamba of the Selective Copying task, in NumPy: Δ, B, C per token, the scan and the outputs.

Gu & Dao 2023, "Mamba", §4.1.1 (Selective Copying) and §3.5.2 (interpretation of Δ): to carry the data
tokens across long runs of noise the model must keep its state on noise (small Δ_t: Ā_t = exp(Δ_t A) ≈ 1,
almost nothing let in) and let the data in (large Δ_t). The blocks are ``lib.mamba.block.mamba_block``
with the paper's ZOH discretisation (eq. 4), as trained; the residual stream is x + Mamba(RMSNorm(x)).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from lib.mamba.block import MambaBlockTrace, MambaParams, mamba_block
from lib.mamba.ssm import SelectiveParams, selective_params, selective_scan_sequential
from lib.mamba.toy_mamba import ToySelectiveSSM
from lib.models import convert, tasks
from lib.models.configs import COPY_MODEL
from lib.models.store import WEIGHTS_DIR, load_weights
from lib.nets.norms import rms_norm


@dataclass(frozen=True)
class MambaLMWeights:
    embed: np.ndarray  # (V, d_model)
    norms: tuple[np.ndarray, ...]  # RMSNorm γ (d_model,) before each block
    blocks: tuple[MambaParams, ...]
    norm_f: np.ndarray  # (d_model,)
    W_head: np.ndarray  # (d_model, V)
    b_head: np.ndarray  # (V,)


@dataclass(frozen=True)
class MambaLMTrace:
    tokens: np.ndarray  # (L,)
    blocks: tuple[MambaBlockTrace, ...]  # Δ, B, C, the scan input x and the scan per block
    logits: np.ndarray  # (L, V)


def load(folder: Path = WEIGHTS_DIR) -> MambaLMWeights:
    """The committed selective-copying model (float64 copies of the trained float32 weights)."""
    sd = load_weights("selective_copy", folder)
    n = convert.count_layers(sd, "layers")
    return MambaLMWeights(
        embed=sd["embed.weight"],
        norms=tuple(sd[f"norms.{i}.weight"] for i in range(n)),
        blocks=tuple(convert.mamba_block(sd, f"layers.{i}") for i in range(n)),
        norm_f=sd["norm_f.weight"],
        W_head=sd["head.weight"].T,
        b_head=sd["head.bias"],
    )


def forward(w: MambaLMWeights, tokens: np.ndarray) -> MambaLMTrace:
    """One sequence tokens (L,) → every block's trace and the logits (L, V)."""
    tokens = np.asarray(tokens)  # (L,)
    x = w.embed[tokens]  # (L, d)
    traces = []
    for gamma, p in zip(w.norms, w.blocks, strict=True):
        tr = mamba_block(rms_norm(x, gamma, COPY_MODEL.eps).y, p, discretization=COPY_MODEL.discretization)
        traces.append(tr)
        x = x + tr.out  # (L, d)
    logits = rms_norm(x, w.norm_f, COPY_MODEL.eps).y @ w.W_head + w.b_head  # (L, V)
    return MambaLMTrace(tokens=tokens, blocks=tuple(traces), logits=logits)


def copied(trace: MambaLMTrace, k: int = tasks.CopyConfig().k) -> np.ndarray:
    """The data tokens the model outputs at the K marker positions (K,)."""
    return trace.logits[-k:].argmax(-1)


@dataclass(frozen=True)
class DeltaByKind:
    """Mean Δ_t of each channel of the first block, over data tokens and over noise tokens."""

    data: np.ndarray  # (D,)
    noise: np.ndarray  # (D,)

    @property
    def selective_order(self) -> np.ndarray:
        """Channels by Δ(data) − Δ(noise), most selective first (D,)."""
        return np.argsort(-(self.data - self.noise), kind="stable")


def reference_batch(seed: int = 7, n: int = 16) -> list[np.ndarray]:
    """A fixed set of selective-copying sequences (n at each context length 8, 16, 24, 32)."""
    rng = np.random.default_rng(seed)
    return [row for lc in (8, 16, 24, 32) for row in tasks.copy_batch(rng, n, context=lc).tokens]


def delta_by_kind(w: MambaLMWeights, sequences: list[np.ndarray]) -> DeltaByKind:
    """Δ of the first block averaged over every data token and every noise token of ``sequences``."""
    on_data, on_noise = [], []
    for seq in sequences:
        delta = forward(w, seq).blocks[0].delta  # (L, D)
        on_data.append(delta[seq < tasks.NOISE_ID])
        on_noise.append(delta[seq == tasks.NOISE_ID])
    return DeltaByKind(data=np.concatenate(on_data).mean(0), noise=np.concatenate(on_noise).mean(0))


def example(seed: int = 0) -> np.ndarray:
    """A reproducible selective-copying sequence for the scenes: 8 context tokens (3 data), 3 markers."""
    return tasks.copy_batch(np.random.default_rng(seed), 1, context=8).tokens[0]  # (11,)


def trained_toy(seed: int = 0, d_inner: int = 4, d_state: int | None = None) -> ToySelectiveSSM:
    """The first block of the trained Mamba on ``example(seed)``'s context, as the Mamba scenes show it.

    The ``d_inner`` most selective channels (largest Δ(data) − Δ(noise) on ``reference_batch()``), in that
    order, and the first ``d_state`` states (default: all). x is the block's scan input (after in_proj, conv
    and SiLU); Δ, B, C and the scan are recomputed from x for those channels exactly as the block computes
    them (channels and diagonal states are independent); y_t = C_t·h_t without the D skip.
    """
    w = load()
    seq = example(seed)
    L = seq.shape[0] - tasks.CopyConfig().k  # the context: data and noise, before the markers
    p = w.blocks[0]
    N = p.d_state if d_state is None else d_state
    chans = delta_by_kind(w, reference_batch()).selective_order[:d_inner]  # (d,)
    x = forward(w, seq).blocks[0].x_act[:L]  # (L, D)  every channel: Δ, B and C read all of them
    R = p.dt_rank
    W_dt_down, W_B, W_C = np.split(p.W_x, [R, R + p.d_state], axis=1)  # (D, R), (D, N), (D, N)
    full = selective_params(x, W_dt_down, p.W_dt, p.b_dt, W_B, W_C)  # Δ (L, D); B, C (L, N)
    sel = SelectiveParams(
        delta_raw=full.delta_raw[:, chans], delta=full.delta[:, chans], B=full.B[:, :N], C=full.C[:, :N]
    )  # Δ (L, d); B, C (L, N)
    A = -np.exp(p.A_log[chans, :N])  # (d, N)
    x_shown = x[:, chans]  # (L, d)
    scan = selective_scan_sequential(
        x_shown, sel.delta, A, sel.B, sel.C, discretization=COPY_MODEL.discretization
    )
    return ToySelectiveSSM(
        tokens=tasks.copy_symbols(seq[:L]), x=x_shown, A=A, sel=sel, scan=scan,
        discretization=COPY_MODEL.discretization,
    )  # fmt: skip
