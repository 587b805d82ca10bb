"""Discretisation: ZOH, bilinear and Euler side by side; small Δ remembers, large Δ resets."""

from __future__ import annotations

from pydantic import Field, model_validator

from scenes.engine.registry import SceneParams


class Params(SceneParams):
    omega: float = Field(2.0, ge=0.5, le=6.0, description="natural frequency ω of the example system")
    damping: float = Field(0.25, ge=0.0, le=2.0, description="damping ratio ζ of the example system")
    delta: float = Field(0.4, gt=0.0, le=1.5, description="step Δ compared across the three methods")
    steps: int = Field(16, ge=4, le=40, description="number of discrete steps plotted")
    delta_small: float = Field(0.1, gt=0.0, le=1.0, description="the small Δ of the memory comparison")
    delta_large: float = Field(2.0, gt=0.0, le=10.0, description="the large Δ of the memory comparison")

    @model_validator(mode="after")
    def _small_below_large(self):
        if self.delta_small >= self.delta_large:
            raise ValueError("delta_small must be smaller than delta_large")
        return self
