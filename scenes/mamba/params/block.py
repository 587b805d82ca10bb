"""The Mamba block: in_proj → conv → SiLU → selective SSM, gated by SiLU(z) → out_proj, with its costs."""

from __future__ import annotations

from pydantic import Field

from scenes.engine.registry import SceneParams


class Params(SceneParams):
    d_model: int = Field(768, ge=16, le=2560, description="model width d_model (2560 = Mamba-2.8B)")
    d_state: int = Field(16, ge=1, le=64, description="SSM state size N per channel")
    d_conv: int = Field(4, ge=2, le=8, description="kernel width of the causal depthwise conv1d")
    expand: int = Field(2, ge=1, le=4, description="d_inner = expand · d_model")
    seq_len: int = Field(2048, ge=1, le=1_000_000, description="sequence length L of the FLOPs count")
    trace_tokens: int = Field(5, ge=2, le=8, description="tokens in the real forward pass shown")
    seed: int = Field(0, ge=0, le=1_000_000, description="seed of the weights and the random input")
