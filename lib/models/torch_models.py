"""The three tiny models in PyTorch: what ``lib.models.train`` trains and what the tests check NumPy against.

Only training and the tests import this module (rendering never needs torch). Layer and parameter names
are torch's own (``nn.TransformerEncoderLayer`` …) and mamba_simple's for the Mamba block, so a state dict
is the weight file's vocabulary.

References
- Vaswani et al. 2017, "Attention Is All You Need" (encoder–decoder, §3.1); Xiong et al. 2020 (pre-norm).
- Gu & Dao 2023, "Mamba", Fig. 3 and Algorithm 2; ZOH discretisation, eq. 4.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from lib.models.configs import MambaConfig, TransformerConfig


def _encoder_layer(cfg: TransformerConfig) -> nn.TransformerEncoderLayer:
    return nn.TransformerEncoderLayer(
        cfg.d_model, cfg.n_heads, cfg.d_ff, dropout=0.0, batch_first=True, norm_first=True,
        layer_norm_eps=cfg.eps,
    )  # fmt: skip


def causal_block(T: int) -> torch.Tensor:
    """(T, T) bool, True above the diagonal: position i may not attend to j > i (torch's convention)."""
    return torch.triu(torch.ones(T, T, dtype=torch.bool), diagonal=1)


class DecoderLM(nn.Module):
    """A decoder-only (GPT-style) pre-norm Transformer: token + learned position embeddings, causal layers.

    The layers are ``nn.TransformerEncoderLayer`` with a causal mask (a decoder without cross-attention).
    """

    def __init__(self, vocab: int, length: int, cfg: TransformerConfig) -> None:
        super().__init__()
        self.embed = nn.Embedding(vocab, cfg.d_model)
        self.pos = nn.Embedding(length, cfg.d_model)
        self.layers = nn.ModuleList([_encoder_layer(cfg) for _ in range(cfg.n_layers)])
        self.norm = nn.LayerNorm(cfg.d_model, eps=cfg.eps)
        self.head = nn.Linear(cfg.d_model, vocab)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        """tokens (B, T) → logits (B, T, V) for the next token at every position."""
        T = tokens.shape[1]
        x = self.embed(tokens) + self.pos.weight[:T]  # (B, T, d)
        mask = causal_block(T)  # (T, T)
        for layer in self.layers:
            x = layer(x, src_mask=mask)  # (B, T, d)
        return self.head(self.norm(x))  # (B, T, V)


class Seq2Seq(nn.Module):
    """An encoder–decoder pre-norm Transformer (Vaswani et al. 2017, Fig. 1) with learned positions.

    Source id 0 is padding (masked as keys); the decoder is causal; both stacks end in a LayerNorm.
    """

    def __init__(self, src_vocab: int, tgt_vocab: int, src_len: int, tgt_len: int, cfg: TransformerConfig):
        super().__init__()
        d = cfg.d_model
        self.src_embed, self.src_pos = nn.Embedding(src_vocab, d), nn.Embedding(src_len, d)
        self.tgt_embed, self.tgt_pos = nn.Embedding(tgt_vocab, d), nn.Embedding(tgt_len, d)
        self.encoder = nn.ModuleList([_encoder_layer(cfg) for _ in range(cfg.n_layers)])
        self.enc_norm = nn.LayerNorm(d, eps=cfg.eps)
        self.decoder = nn.ModuleList(
            [
                nn.TransformerDecoderLayer(
                    d,
                    cfg.n_heads,
                    cfg.d_ff,
                    dropout=0.0,
                    batch_first=True,
                    norm_first=True,
                    layer_norm_eps=cfg.eps,
                )  # fmt: skip
                for _ in range(cfg.n_layers)
            ]
        )
        self.dec_norm = nn.LayerNorm(d, eps=cfg.eps)
        self.head = nn.Linear(d, tgt_vocab)

    def encode(self, src: torch.Tensor) -> torch.Tensor:
        """src (B, S) → memory (B, S, d)."""
        x = self.src_embed(src) + self.src_pos.weight[: src.shape[1]]  # (B, S, d)
        pad = src == 0  # (B, S)
        for layer in self.encoder:
            x = layer(x, src_key_padding_mask=pad)  # (B, S, d)
        return self.enc_norm(x)  # (B, S, d)

    def decode(self, tgt_in: torch.Tensor, memory: torch.Tensor, src: torch.Tensor) -> torch.Tensor:
        """tgt_in (B, T), memory (B, S, d) → logits (B, T, V)."""
        T = tgt_in.shape[1]
        y = self.tgt_embed(tgt_in) + self.tgt_pos.weight[:T]  # (B, T, d)
        mask = causal_block(T)  # (T, T)
        for layer in self.decoder:
            y = layer(y, memory, tgt_mask=mask, memory_key_padding_mask=src == 0)  # (B, T, d)
        return self.head(self.dec_norm(y))  # (B, T, V)

    def forward(self, src: torch.Tensor, tgt_in: torch.Tensor) -> torch.Tensor:
        return self.decode(tgt_in, self.encode(src), src)


class MambaBlock(nn.Module):
    """One Mamba block (Gu & Dao 2023, Fig. 3), mamba_simple's names, a batched sequential ZOH scan.

    ``trace`` (set by the caller) collects Δ, B, C and the scan input of the last forward, for the tests.
    """

    def __init__(self, cfg: MambaConfig) -> None:
        super().__init__()
        D, N, R = cfg.d_inner, cfg.d_state, cfg.dt_rank
        self.dt_rank, self.d_state = R, N
        self.in_proj = nn.Linear(cfg.d_model, 2 * D, bias=False)
        self.conv1d = nn.Conv1d(D, D, cfg.d_conv, groups=D, padding=cfg.d_conv - 1)
        self.x_proj = nn.Linear(D, R + 2 * N, bias=False)
        self.dt_proj = nn.Linear(R, D)
        self.A_log = nn.Parameter(torch.log(torch.arange(1, N + 1, dtype=torch.float32)).repeat(D, 1))
        self.D = nn.Parameter(torch.ones(D))
        self.out_proj = nn.Linear(D, cfg.d_model, bias=False)
        with torch.no_grad():  # mamba_simple's Δ init: softplus(b_dt) log-uniform in [dt_min, dt_max]
            lo, hi = math.log(cfg.dt_min), math.log(cfg.dt_max)
            dt = torch.exp(torch.rand(D) * (hi - lo) + lo)  # (D,)
            self.dt_proj.bias.copy_(dt + torch.log(-torch.expm1(-dt)))  # softplus⁻¹(dt)
            self.dt_proj.weight.uniform_(-(R**-0.5), R**-0.5)
        self.trace: dict[str, torch.Tensor] | None = None

    def forward(self, u: torch.Tensor) -> torch.Tensor:
        """u (B, L, d_model) → (B, L, d_model)."""
        L = u.shape[1]
        x, z = self.in_proj(u).chunk(2, dim=-1)  # (B, L, D) each
        x = F.silu(self.conv1d(x.transpose(1, 2))[..., :L].transpose(1, 2))  # (B, L, D) causal conv
        dt, B, C = self.x_proj(x).split([self.dt_rank, self.d_state, self.d_state], dim=-1)  # (B, L, R|N|N)
        delta = F.softplus(self.dt_proj(dt))  # (B, L, D)
        A = -torch.exp(self.A_log)  # (D, N)
        dA = delta[..., None] * A  # (B, L, D, N)
        Bx = torch.expm1(dA) / A * B[:, :, None, :] * x[..., None]  # (B, L, D, N)  ZOH B̄_t x_t
        h = torch.zeros_like(Bx[:, 0])  # (B, D, N)
        ys = []
        for t in range(L):
            h = torch.exp(dA[:, t]) * h + Bx[:, t]  # (B, D, N)
            ys.append((h * C[:, t, None, :]).sum(-1))  # (B, D)  C_t · h_t
        y = torch.stack(ys, dim=1) + self.D * x  # (B, L, D)
        if self.trace is not None:
            self.trace.update(x=x, delta=delta, B=B, C=C, y=y)
        return self.out_proj(y * F.silu(z))  # (B, L, d_model)


class MambaLM(nn.Module):
    """Embedding, n residual blocks x + Mamba(RMSNorm(x)), a final RMSNorm and a linear head."""

    def __init__(self, vocab: int, cfg: MambaConfig) -> None:
        super().__init__()
        self.embed = nn.Embedding(vocab, cfg.d_model)
        self.norms = nn.ModuleList([nn.RMSNorm(cfg.d_model, eps=cfg.eps) for _ in range(cfg.n_layers)])
        self.layers = nn.ModuleList([MambaBlock(cfg) for _ in range(cfg.n_layers)])
        self.norm_f = nn.RMSNorm(cfg.d_model, eps=cfg.eps)
        self.head = nn.Linear(cfg.d_model, vocab)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        """tokens (B, L) → logits (B, L, V)."""
        x = self.embed(tokens)  # (B, L, d)
        for norm, layer in zip(self.norms, self.layers, strict=True):
            x = x + layer(norm(x))  # (B, L, d)
        return self.head(self.norm_f(x))  # (B, L, V)
