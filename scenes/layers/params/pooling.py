"""Pooling: max and average, forward and backward

A small input of distinct whole numbers (so every window has one clear maximum): max pooling keeps each
window's largest value, average pooling its mean; backward, max pooling routes each δ = ∂L/∂y to the argmax
of its window and average pooling spreads δ / |window| over it (Jarrett et al. 2009 §2; LeCun et al. 1998
§II.B; ``lib.nets.pooling``).
"""

from __future__ import annotations

from pydantic import Field, model_validator

from scenes.engine.registry import SceneParams


class Params(SceneParams):
    size: int = Field(4, ge=3, le=6, description="input height = width H")
    kernel: int = Field(2, ge=2, le=3, description="window height = width k")
    stride: int = Field(2, ge=1, le=3, description="stride s (no padding)")
    seed: int = Field(0, ge=0, le=100_000, description="seed of the input and of δ = ∂L/∂y")

    @model_validator(mode="after")
    def _check(self):
        if self.kernel > self.size:
            raise ValueError(f"window {self.kernel} is larger than the input {self.size}")
        if self.stride > self.kernel:
            raise ValueError(f"stride {self.stride} > window {self.kernel} would skip inputs")
        if (self.size - self.kernel) // self.stride + 1 > 3:
            raise ValueError("at most 3 × 3 outputs: every window is walked on screen")
        return self
