"""KV cache and serving: memory per token, prefill vs decode, and grouped-query attention."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from scenes.engine.registry import SceneParams


class Params(SceneParams):
    # the model (default: Llama 3 8B, a grouped-query decoder)
    n_layers: int = Field(32, ge=1, le=160, description="decoder layers L")
    d_model: int = Field(4096, ge=64, le=32768, description="model width d")
    n_heads: int = Field(32, ge=2, le=256, description="query heads H (must divide d_model)")
    n_kv_heads: int = Field(8, ge=1, le=128, description="key/value heads G (1 < G < H, dividing H)")
    d_ff: int = Field(14336, ge=64, le=131072, description="SwiGLU hidden width")
    vocab: int = Field(128256, ge=1000, le=300_000, description="vocabulary (untied output layer)")
    bytes_per_elem: Literal[1, 2, 4] = Field(2, description="bytes per weight and cached number (2 = bf16)")
    # the serving setting
    context: int = Field(8192, ge=16, le=1 << 20, description="tokens in the cache per sequence T")
    batch: int = Field(8, ge=1, le=512, description="sequences served at once B")
    peak_tflops: float = Field(989.0, gt=0, le=10_000, description="accelerator peak, TFLOP/s (H100: bf16)")
    bandwidth_tbs: float = Field(3.35, gt=0, le=100, description="accelerator memory bandwidth, TB/s")

    @model_validator(mode="after")
    def _check(self):
        if self.d_model % self.n_heads:
            raise ValueError("n_heads must divide d_model")
        if self.n_heads % self.n_kv_heads or not 1 < self.n_kv_heads < self.n_heads:
            raise ValueError("n_kv_heads must divide n_heads and lie strictly between 1 and n_heads")
        return self
