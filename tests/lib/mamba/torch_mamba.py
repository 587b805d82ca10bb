"""A plain PyTorch Mamba block, the independent reference for ``lib/mamba/block.py`` and ``lib/mamba/ssm.py``.

Submodule names follow ``mamba_ssm.modules.mamba_simple.Mamba`` (in_proj, conv1d, x_proj, dt_proj, A_log, D,
out_proj), so ``sum(p.numel() for p in TorchMamba(...).parameters())`` is the reference parameter count.
The forward is mamba_simple's slow path with ``selective_scan_ref`` written as a Python loop, float64.
"""

from __future__ import annotations

import math
from typing import Literal

import torch
import torch.nn.functional as F
from torch import nn


def selective_scan_ref(
    u: torch.Tensor,
    delta: torch.Tensor,
    A: torch.Tensor,
    B: torch.Tensor,
    C: torch.Tensor,
    D: torch.Tensor | None = None,
    h0: torch.Tensor | None = None,
    discretization: Literal["zoh", "mamba"] = "mamba",
) -> tuple[torch.Tensor, torch.Tensor]:
    """Loop h_t = exp(Δ_t A) ⊙ h_{t−1} + B̄_t u_t, y_t = C_t·h_t + D u_t for one sequence.

    u, delta (L, D); A (D, N); B, C (L, N); D (D,); h0 (D, N). Returns (y (L, D), h (L, D, N)).
    "mamba": B̄ = Δ B (mamba's selective_scan_ref); "zoh": B̄ = (exp(ΔA) − 1)/A · B.
    """
    L, d = u.shape
    h = torch.zeros(d, A.shape[1], dtype=u.dtype) if h0 is None else h0.clone()
    ys, hs = [], []
    for t in range(L):
        dA = delta[t, :, None] * A  # (D, N)
        if discretization == "mamba":
            dB = delta[t, :, None] * B[t]  # (D, N)
        elif discretization == "zoh":
            dB = torch.expm1(dA) / A * B[t]  # (D, N)
        else:
            raise ValueError(discretization)
        h = torch.exp(dA) * h + dB * u[t, :, None]  # (D, N)
        y = h @ C[t]  # (D,)
        if D is not None:
            y = y + D * u[t]
        ys.append(y)
        hs.append(h)
    return torch.stack(ys), torch.stack(hs)


class TorchMamba(nn.Module):
    def __init__(
        self,
        d_model: int,
        d_state: int = 16,
        d_conv: int = 4,
        expand: int = 2,
        dt_rank: int | None = None,
        dtype: torch.dtype = torch.float64,
    ) -> None:
        super().__init__()
        self.d_model, self.d_state, self.d_conv = d_model, d_state, d_conv
        self.d_inner = expand * d_model
        self.dt_rank = math.ceil(d_model / 16) if dt_rank is None else dt_rank
        kw = {"dtype": dtype}
        self.in_proj = nn.Linear(d_model, 2 * self.d_inner, bias=False, **kw)
        self.conv1d = nn.Conv1d(
            self.d_inner, self.d_inner, d_conv, groups=self.d_inner, bias=True, padding=d_conv - 1, **kw
        )
        self.x_proj = nn.Linear(self.d_inner, self.dt_rank + 2 * d_state, bias=False, **kw)
        self.dt_proj = nn.Linear(self.dt_rank, self.d_inner, bias=True, **kw)
        A = torch.arange(1, d_state + 1, dtype=dtype).repeat(self.d_inner, 1)  # (d_inner, N)
        self.A_log = nn.Parameter(torch.log(A))
        self.D = nn.Parameter(torch.ones(self.d_inner, dtype=dtype))
        self.out_proj = nn.Linear(self.d_inner, d_model, bias=False, **kw)

    def forward(
        self, hidden_states: torch.Tensor, discretization: Literal["zoh", "mamba"] = "mamba"
    ) -> torch.Tensor:
        """(B, L, d_model) -> (B, L, d_model)."""
        batch, L, _ = hidden_states.shape
        xz = self.in_proj(hidden_states)  # (B, L, 2*d_inner)
        x, z = xz.chunk(2, dim=-1)  # (B, L, d_inner) each
        x = self.conv1d(x.transpose(1, 2))[..., :L].transpose(1, 2)  # (B, L, d_inner) causal
        x = F.silu(x)  # (B, L, d_inner)
        x_dbl = self.x_proj(x)  # (B, L, dt_rank + 2N)
        dt, B, C = torch.split(x_dbl, [self.dt_rank, self.d_state, self.d_state], dim=-1)
        delta = F.softplus(self.dt_proj(dt))  # (B, L, d_inner)
        A = -torch.exp(self.A_log)  # (d_inner, N)
        ys = [
            selective_scan_ref(x[i], delta[i], A, B[i], C[i], self.D, discretization=discretization)[0]
            for i in range(batch)
        ]
        y = torch.stack(ys) * F.silu(z)  # (B, L, d_inner)
        return self.out_proj(y)  # (B, L, d_model)


def load_params(module: TorchMamba, params) -> TorchMamba:
    """Copy a ``lib.mamba.block.MambaParams`` into ``module`` (weights are stored transposed in lib)."""
    as_t = lambda a: torch.as_tensor(a, dtype=module.D.dtype)
    targets = [
        (module.in_proj.weight, params.W_in.T),
        (module.conv1d.weight, params.conv_w[:, None, :]),
        (module.conv1d.bias, params.conv_b),
        (module.x_proj.weight, params.W_x.T),
        (module.dt_proj.weight, params.W_dt.T),
        (module.dt_proj.bias, params.b_dt),
        (module.A_log, params.A_log),
        (module.D, params.D),
        (module.out_proj.weight, params.W_out.T),
    ]
    with torch.no_grad():
        for p, value in targets:
            if tuple(p.shape) != tuple(value.shape):
                raise ValueError(f"shape mismatch: module {tuple(p.shape)} vs params {value.shape}")
            p.copy_(as_t(value))
    return module
