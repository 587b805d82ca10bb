"""The residual highway

Per-layer gradient norms ‖∂L/∂x_l‖ of a deep tanh stack with and without residual connections, on the same
seeded weights and random data: the plain stack multiplies one Jacobian ∂F/∂x_l per layer, the residual stack
I + ∂F/∂x_l (He et al. 2016b, eqs. 4–5), so one loses the gradient and the other keeps it.
"""

from __future__ import annotations

import numpy as np
from pydantic import Field

from scenes.engine.registry import SceneParams


class Params(SceneParams):
    depth: int = Field(50, ge=8, le=100, description="layers L of the stack (the same for both)")
    width: int = Field(64, ge=8, le=256, description="width d of every layer")
    batch: int = Field(32, ge=1, le=256, description="random examples the loss averages over")
    gain: float = Field(1.0, ge=0.5, le=1.5, description="weight scale: W_l ~ N(0, gain²/d)")
    seed: int = Field(0, ge=0, le=1_000_000, description="seed of the weights and the read-out")
    data_seed: int = Field(1, ge=0, le=1_000_000, description="seed of the random input batch")

    def batch_input(self) -> np.ndarray:
        """The random input x_0, (batch, width): N(0, 1), seeded."""
        return np.random.default_rng(self.data_seed).normal(size=(self.batch, self.width))
