"""Residual connections and LayerNorm"""

from __future__ import annotations

import numpy as np
from pydantic import Field

from scenes.engine.registry import SceneParams


class Params(SceneParams):
    d_model: int = Field(8, ge=4, le=10, description="length of the vector normalised on screen")
    offset: float = Field(0.8, ge=-2.0, le=2.0, description="mean of the random vector (so centring shows)")
    seed: int = Field(0, ge=0, le=1_000_000, description="seed of the vector, γ and β")
    depth: int = Field(32, ge=4, le=64, description="layers of the stack whose gradient is followed")
    width: int = Field(64, ge=8, le=256, description="width of each layer of that stack")
    batch: int = Field(32, ge=1, le=256, description="random examples the loss averages over")
    gain: float = Field(1.0, ge=0.5, le=1.5, description="weight scale: W ~ N(0, gain²/width)")
    grad_seed: int = Field(0, ge=0, le=1_000_000, description="seed of the stack's weights and data")

    def vector(self) -> np.ndarray:
        """The residual-stream vector x, (d_model,): N(offset, 1), seeded."""
        return np.random.default_rng(self.seed).normal(self.offset, 1.0, size=self.d_model)

    def gamma_beta(self) -> tuple[np.ndarray, np.ndarray]:
        """A learnt-looking gain γ ≈ 1 and bias β ≈ 0, (d_model,) each, seeded after the vector."""
        rng = np.random.default_rng(self.seed + 1)
        return 1.0 + 0.3 * rng.normal(size=self.d_model), 0.2 * rng.normal(size=self.d_model)

    def batch_input(self) -> np.ndarray:
        """The stack's random input, (batch, width): N(0, 1)."""
        return np.random.default_rng(self.grad_seed + 1).normal(size=(self.batch, self.width))
