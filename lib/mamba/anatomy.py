"""Anatomy of one Mamba block: where its parameters and FLOPs sit, layer by layer.

A per-token, batch-free reading of ``lib.arithmetic.cost_models.mamba_block_cost`` (Gu & Dao 2023, Fig. 3
and §3.4),
grouped as the paper does in §3.4: "most of the parameters (3ED²) are in the linear projections (2ED² for
input projection, ED² for output projection) while the inner SSM contributes less" — the SSM being the
projections for Δ, B, C (x_proj, dt_proj) and the matrices A (A_log) and D. Plus ``trace_block``: one real
forward pass of ``lib.mamba.block.mamba_block`` on a few seeded random tokens, to show values flowing through.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from lib.arithmetic.cost_models import mamba_block_cost
from lib.core.activations import silu
from lib.mamba.block import MambaBlockTrace, init_mamba_params, mamba_block

# which group each part of mamba_block_cost belongs to (§3.4's split of the parameters)
GROUPS: dict[str, str] = {
    "in_proj": "projection",
    "conv1d": "conv",
    "act": "conv",
    "x_proj": "ssm",
    "dt_proj": "ssm",
    "dt_softplus": "ssm",
    "A_log": "ssm",
    "selective_scan": "ssm",
    "D": "ssm",
    "gate": "gate",
    "out_proj": "projection",
}


@dataclass(frozen=True)
class BlockPart:
    """One submodule of the block: its parameters, FLOPs per token and output shape (tokens first)."""

    name: str  # submodule name in mamba_simple.Mamba / mamba_block_cost
    group: str  # "projection", "conv", "ssm" or "gate" (see GROUPS)
    params: int
    flops_per_token: float  # total FLOPs (2·MACs + elementwise) / seq_len
    shape: tuple[int, ...]  # (L, features) for per-token tensors; (d_inner, N) for A


@dataclass(frozen=True)
class BlockAnatomy:
    d_model: int
    d_inner: int
    d_state: int
    d_conv: int
    dt_rank: int
    seq_len: int
    parts: tuple[BlockPart, ...]  # in forward order, as mamba_block_cost

    def part(self, name: str) -> BlockPart:
        for p in self.parts:
            if p.name == name:
                return p
        raise KeyError(name)

    @property
    def params(self) -> int:
        return sum(p.params for p in self.parts)

    @property
    def flops_per_token(self) -> float:
        return sum(p.flops_per_token for p in self.parts)

    def group_params(self, group: str) -> int:
        return sum(p.params for p in self.parts if p.group == group)

    def group_flops(self, group: str) -> float:
        return sum(p.flops_per_token for p in self.parts if p.group == group)

    def param_share(self, group: str) -> float:
        """Fraction of the block's parameters in ``group``."""
        return self.group_params(group) / self.params

    def flops_share(self, group: str) -> float:
        """Fraction of the block's FLOPs per token in ``group``."""
        return self.group_flops(group) / self.flops_per_token

    @property
    def selection_shapes(self) -> dict[str, tuple[int, int]]:
        """x_proj's output split into the low-rank Δ input, B and C: (L, dt_rank), (L, N), (L, N)."""
        L = self.seq_len
        return {"dt": (L, self.dt_rank), "B": (L, self.d_state), "C": (L, self.d_state)}

    @property
    def projection_to_ssm(self) -> float:
        """Parameters of in_proj + out_proj over those of the SSM (x_proj, dt_proj, A_log, D)."""
        return self.group_params("projection") / self.group_params("ssm")


def _tokens_first(name: str, shape: tuple[int, ...]) -> tuple[int, ...]:
    """Drop the batch axis; conv1d works channels-first (B, D, L), report it as (L, D) like the rest."""
    if name == "A_log":
        return shape
    if name == "conv1d":
        return (shape[2], shape[1])
    return shape[1:]


def mamba_block_anatomy(
    d_model: int,
    d_state: int = 16,
    d_conv: int = 4,
    expand: int = 2,
    dt_rank: int | None = None,
    seq_len: int = 1,
) -> BlockAnatomy:
    """Per-part parameters and FLOPs per token of one Mamba block, from ``mamba_block_cost`` (batch 1).

    FLOPs per token = the part's FLOPs over a length-``seq_len`` sequence / seq_len; every part is linear in
    L except A = −exp(A_log) (2·d_inner·N FLOPs once per sequence), whose share shrinks as 1/L.
    """
    cost = mamba_block_cost(d_model, d_state, d_conv, expand, dt_rank, seq_len)
    parts = tuple(
        BlockPart(p.name, GROUPS[p.name], p.params, p.flops / seq_len, _tokens_first(p.name, p.output_shape))
        for p in cost.parts
    )
    r = math.ceil(d_model / 16) if dt_rank is None else dt_rank
    return BlockAnatomy(d_model, expand * d_model, d_state, d_conv, r, seq_len, parts)


@dataclass(frozen=True)
class BlockRun:
    trace: MambaBlockTrace  # every intermediate of the forward pass
    gate: np.ndarray  # (L, d_inner)  SiLU(z), the multiplicative gate


def trace_block(
    d_model: int,
    d_state: int = 16,
    d_conv: int = 4,
    expand: int = 2,
    length: int = 6,
    seed: int = 0,
    dt_rank: int | None = None,
) -> BlockRun:
    """``mamba_block`` with ``init_mamba_params(..., seed)`` on u ~ N(0, 1) of shape (length, d_model).

    The input is drawn from ``default_rng(seed + 1)`` so it is independent of the weights' stream.
    """
    params = init_mamba_params(d_model, d_state, d_conv, expand, dt_rank, seed=seed)
    u = np.random.default_rng(seed + 1).standard_normal((length, d_model))  # (L, d_model)
    trace = mamba_block(u, params)
    return BlockRun(trace, silu(trace.z))  # gate (L, d_inner)
