"""The Mamba block: in-projection, causal depthwise conv, selective SSM, gate, out-projection.

Gu & Dao 2023, "Mamba: Linear-Time Sequence Modeling with Selective State Spaces", Fig. 3 and §3.4,
with the structure (and parameter names) of the reference ``mamba_ssm.modules.mamba_simple.Mamba``.
Weights are stored for ``x @ W`` (input dimension first), i.e. transposed from ``torch.nn.Linear``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

import numpy as np


@dataclass(frozen=True)
class MambaParams:
    """All learnable tensors of one Mamba block (no bias on in/x/out projections, as in mamba_simple)."""

    W_in: np.ndarray  # (d_model, 2*d_inner)   in_proj: u -> (x, z)
    conv_w: np.ndarray  # (d_inner, d_conv)      depthwise causal conv1d kernel
    conv_b: np.ndarray  # (d_inner,)             conv1d bias
    W_x: np.ndarray  # (d_inner, dt_rank + 2*d_state)  x_proj: x -> (dt, B, C)
    W_dt: np.ndarray  # (dt_rank, d_inner)      dt_proj weight (low-rank up-projection of Δ)
    b_dt: np.ndarray  # (d_inner,)             dt_proj bias = softplus⁻¹(initial Δ)
    A_log: np.ndarray  # (d_inner, d_state)     A = −exp(A_log)
    D: np.ndarray  # (d_inner,)             skip connection y += D ⊙ x
    W_out: np.ndarray  # (d_inner, d_model)     out_proj

    @property
    def d_model(self) -> int:
        return self.W_in.shape[0]

    @property
    def d_inner(self) -> int:
        return self.W_in.shape[1] // 2

    @property
    def d_state(self) -> int:
        return self.A_log.shape[1]

    @property
    def d_conv(self) -> int:
        return self.conv_w.shape[1]

    @property
    def dt_rank(self) -> int:
        return self.W_dt.shape[0]

    @property
    def num_params(self) -> int:
        """Total number of scalar entries over all fields (the block's parameter count)."""
        return sum(getattr(self, f.name).size for f in fields(self))


def init_mamba_params(
    d_model: int,
    d_state: int = 16,
    d_conv: int = 4,
    expand: int = 2,
    dt_rank: int | None = None,
    seed: int = 0,
    dt_min: float = 1e-3,
    dt_max: float = 1e-1,
) -> MambaParams:
    """Seeded initialisation following mamba_simple.

    A_log = log(1..N) in every channel (S4D-real: A = −(1, 2, …, N)); b_dt = softplus⁻¹(dt) with dt
    log-uniform in [dt_min, dt_max]; D = 1; dt_proj weight U(±dt_rank^-½); the remaining weights
    U(±1/√fan_in), PyTorch's default Linear/Conv1d scale.
    """
    d_inner = expand * d_model
    dt_rank = math.ceil(d_model / 16) if dt_rank is None else dt_rank
    rng = np.random.default_rng(seed)

    def uniform(shape: tuple[int, ...], bound: float) -> np.ndarray:
        return rng.uniform(-bound, bound, size=shape)

    dt = np.exp(rng.uniform(math.log(dt_min), math.log(dt_max), size=d_inner))  # (d_inner,)
    dt = np.maximum(dt, 1e-4)  # (d_inner,)  mamba_simple's dt_init_floor
    b_dt = dt + np.log(-np.expm1(-dt))  # (d_inner,)  softplus⁻¹(dt) = dt + log(1 − e^{−dt})
    A_log = np.tile(np.log(np.arange(1, d_state + 1, dtype=np.float64)), (d_inner, 1))  # (d_inner, N)
    return MambaParams(
        W_in=uniform((d_model, 2 * d_inner), d_model**-0.5),
        conv_w=uniform((d_inner, d_conv), d_conv**-0.5),
        conv_b=uniform((d_inner,), d_conv**-0.5),
        W_x=uniform((d_inner, dt_rank + 2 * d_state), d_inner**-0.5),
        W_dt=uniform((dt_rank, d_inner), dt_rank**-0.5),
        b_dt=b_dt,
        A_log=A_log,
        D=np.ones(d_inner),
        W_out=uniform((d_inner, d_model), d_inner**-0.5),
    )
