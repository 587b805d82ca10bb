"""Inference memory: the KV cache grows with every generated token, Mamba's recurrent state does not."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from scenes.engine.registry import SceneParams


class Params(SceneParams):
    vocab: int = Field(50280, ge=1000, le=300_000, description="vocabulary size of both models")
    attn_d_model: int = Field(2560, ge=64, le=16384, description="Transformer width d")
    attn_layers: int = Field(32, ge=1, le=128, description="Transformer layers")
    n_heads: int = Field(32, ge=1, le=128, description="attention heads (must divide attn_d_model)")
    n_kv_heads: int = Field(32, ge=1, le=128, description="key/value heads (< n_heads: grouped-query)")
    ffn_mult: int = Field(4, ge=1, le=8, description="Transformer FFN width d_ff = ffn_mult·d")
    mamba_d_model: int = Field(2560, ge=64, le=16384, description="Mamba width d")
    mamba_layers: int = Field(64, ge=1, le=128, description="Mamba layers")
    d_state: int = Field(16, ge=1, le=256, description="Mamba state size N")
    d_conv: int = Field(4, ge=2, le=8, description="Mamba causal-conv width")
    expand: int = Field(2, ge=1, le=4, description="Mamba expansion E: d_inner = E·d")
    max_len: int = Field(8192, ge=64, le=1 << 20, description="longest generated length (multiple of 8)")
    bytes_per_elem: Literal[1, 2, 4] = Field(2, description="bytes per cached number (2 = fp16/bf16)")
    batch: int = Field(1, ge=1, le=64, description="sequences generated at once")

    @model_validator(mode="after")
    def _check(self):
        if self.attn_d_model % self.n_heads:
            raise ValueError("n_heads must divide attn_d_model")
        if self.n_heads % self.n_kv_heads:
            raise ValueError("n_kv_heads must divide n_heads")
        if self.max_len % 8:
            raise ValueError("max_len must be a multiple of 8")
        return self

    def readout_lengths(self) -> list[int]:
        return [self.max_len // 8, self.max_len // 4, self.max_len // 2, self.max_len]
