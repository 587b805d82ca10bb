"""Normalisation layers: BatchNorm, LayerNorm and GroupNorm on one tensor

One small N × C × (H·W) feature map normalised three ways — which values share a mean and variance
(BatchNorm: a channel over the batch; LayerNorm: one example; GroupNorm: one example's group of channels),
the statistics and the normalised values — and BatchNorm's running statistics, train mode vs eval mode
(Ioffe & Szegedy 2015, Alg. 1–2; Ba et al. 2016, eq. 3–4; Wu & He 2018, eq. 1–3).
"""

from __future__ import annotations

from pydantic import Field, model_validator

from scenes.engine.registry import SceneParams


class Params(SceneParams):
    batch: int = Field(2, ge=2, le=3, description="examples N in the batch")
    channels: int = Field(4, ge=2, le=6, description="channels C")
    positions: int = Field(3, ge=2, le=4, description="spatial positions H·W per channel")
    groups: int = Field(2, ge=1, le=6, description="GroupNorm's groups G (C must be divisible by G)")
    channel: int = Field(
        1, ge=0, le=5, description="the channel (0-based) whose BatchNorm statistics are shown"
    )
    sample: int = Field(
        0, ge=0, le=2, description="the example (0-based) whose LayerNorm/GroupNorm group is shown"
    )
    momentum: float = Field(0.1, ge=0.01, le=0.9, description="BatchNorm's running-statistics momentum")
    steps: int = Field(4, ge=1, le=6, description="training batches seen before eval mode")
    seed: int = Field(
        0, ge=0, le=100_000, description="seed of the channels' offsets and scales and the data"
    )

    @model_validator(mode="after")
    def _check(self):
        if self.channels % self.groups:
            raise ValueError(f"channels ({self.channels}) must be divisible by groups ({self.groups})")
        if self.channel >= self.channels:
            raise ValueError(f"channel {self.channel} is not a channel (0 … {self.channels - 1})")
        if self.sample >= self.batch:
            raise ValueError(f"sample {self.sample} is not an example (0 … {self.batch - 1})")
        return self
