"""The Mamba block: in-projection, causal depthwise conv, selective SSM, gate, out-projection.

Gu & Dao 2023, "Mamba: Linear-Time Sequence Modeling with Selective State Spaces", Fig. 3 and §3.4,
with the structure (and parameter names) of the reference ``mamba_ssm.modules.mamba_simple.Mamba``.
Weights are stored for ``x @ W`` (input dimension first), i.e. transposed from ``torch.nn.Linear``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

import numpy as np

from lib.core.activations import silu
from lib.mamba.ssm import (
    ScanResult,
    SelectiveMethod,
    inverse_softplus,
    selective_params,
    selective_scan_sequential,
)


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
    b_dt = inverse_softplus(dt)  # (d_inner,)  softplus(b_dt) = dt
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


@dataclass(frozen=True)
class MambaBlockTrace:
    u: np.ndarray  # (L, d_model)   block input
    x_in: np.ndarray  # (L, d_inner)   SSM branch after in_proj
    z: np.ndarray  # (L, d_inner)   gate branch after in_proj
    x_conv: np.ndarray  # (L, d_inner)   after causal depthwise conv + bias
    x_act: np.ndarray  # (L, d_inner)   SiLU(x_conv), the scan input
    delta: np.ndarray  # (L, d_inner)   Δ = softplus(dt W_dt + b_dt)
    B: np.ndarray  # (L, d_state)
    C: np.ndarray  # (L, d_state)
    scan: ScanResult  # A_bar, Bx, h (L, d_inner, d_state); y (L, d_inner)
    y_ssm: np.ndarray  # (L, d_inner)   scan output, D skip included
    y_gated: np.ndarray  # (L, d_inner)   y_ssm ⊙ SiLU(z)
    out: np.ndarray  # (L, d_model)   after out_proj


def causal_depthwise_conv(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> np.ndarray:
    """out[t, c] = b[c] + Σ_k w[c, k] · x[t − (K−1) + k, c], zeros before t = 0 (left padding K − 1).

    x (L, D), w (D, K), b (D,) -> (L, D). Equals torch Conv1d(groups=D, padding=K−1) cut to the first L.
    """
    L, K = x.shape[0], w.shape[1]
    x_pad = np.concatenate([np.zeros((K - 1, x.shape[1])), x])  # (L+K−1, D)
    windows = np.stack([x_pad[k : k + L] for k in range(K)], axis=-1)  # (L, D, K)
    return np.einsum("ldk,dk->ld", windows, w) + b  # (L, D)


def mamba_block(
    u: np.ndarray, params: MambaParams, discretization: SelectiveMethod = "mamba"
) -> MambaBlockTrace:
    """One Mamba block (Gu & Dao 2023, Fig. 3; Algorithm 2 for the selective SSM) on u (L, d_model).

    discretization "mamba" (default) matches the reference code's B̄ = ΔB; "zoh" uses the paper's exact B̄.
    """
    p, R, N = params, params.dt_rank, params.d_state
    u = np.asarray(u, dtype=np.float64)  # (L, d_model)
    xz = u @ p.W_in  # (L, 2*d_inner)
    x_in, z = np.split(xz, 2, axis=-1)  # (L, d_inner) each
    x_conv = causal_depthwise_conv(x_in, p.conv_w, p.conv_b)  # (L, d_inner)
    x_act = silu(x_conv)  # (L, d_inner)
    W_dt_down, W_B, W_C = np.split(p.W_x, [R, R + N], axis=1)  # (d_inner, R), (d_inner, N), (d_inner, N)
    sel = selective_params(x_act, W_dt_down, p.W_dt, p.b_dt, W_B, W_C)  # Δ (L, d_inner); B, C (L, N)
    A = -np.exp(p.A_log)  # (d_inner, N)
    scan = selective_scan_sequential(x_act, sel.delta, A, sel.B, sel.C, p.D, discretization=discretization)
    y_gated = scan.y * silu(z)  # (L, d_inner)
    out = y_gated @ p.W_out  # (L, d_model)
    return MambaBlockTrace(
        u=u,
        x_in=x_in,
        z=z,
        x_conv=x_conv,
        x_act=x_act,
        delta=sel.delta,
        B=sel.B,
        C=sel.C,
        scan=scan,
        y_ssm=scan.y,
        y_gated=y_gated,
        out=out,
    )
