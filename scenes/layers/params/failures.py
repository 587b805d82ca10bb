"""A museum of failures

Three ways a deep network breaks, each beside its fix and measured the same way: a 100-layer sigmoid MLP whose
weight gradients vanish layer by layer vs ReLU with He initialisation (Glorot & Bengio 2010; He et al. 2015);
a fully connected layer on a flattened 512·7·7 feature map vs global average pooling (Simonyan & Zisserman
2015; Lin et al. 2014); activations dying or blowing up through a deep ReLU stack vs BatchNorm (Ioffe &
Szegedy 2015).
"""

from __future__ import annotations

import numpy as np
from pydantic import Field

from scenes.engine.registry import SceneParams


class Params(SceneParams):
    depth: int = Field(100, ge=20, le=150, description="layers of the vanishing-gradient MLP")
    width: int = Field(64, ge=16, le=256, description="width of every layer of both deep stacks")
    batch: int = Field(64, ge=8, le=256, description="random examples per forward pass")
    seed: int = Field(0, ge=0, le=1_000_000, description="seed of the weights and the read-out")
    data_seed: int = Field(1, ge=0, le=1_000_000, description="seed of the random input batch")
    channels: int = Field(512, ge=1, le=4096, description="channels C of the last convolution's feature map")
    spatial: int = Field(7, ge=1, le=32, description="its height = width")
    hidden: int = Field(4096, ge=1, le=16384, description="units of the first fully connected layer")
    norm_depth: int = Field(
        50, ge=10, le=100, description="layers of the ReLU stack whose activations we follow"
    )
    small_gain: float = Field(1.0, ge=0.5, le=1.3, description="too small a weight scale: W ~ N(0, gain²/d)")
    large_gain: float = Field(2.0, ge=1.6, le=3.0, description="too large a weight scale")

    def batch_input(self) -> np.ndarray:
        """The random input x_0, (batch, width): N(0, 1), seeded."""
        return np.random.default_rng(self.data_seed).normal(size=(self.batch, self.width))
