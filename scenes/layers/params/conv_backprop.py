"""Backpropagation through a convolution

One channel, unit stride, no padding, seeded whole numbers: given δ = ∂L/∂y from the next layer, the bias
gradient is the sum of δ, the kernel gradient is the input correlated with δ, and the input gradient is the
full convolution of δ (padded by k − 1) with the kernel rotated by 180° (LeCun et al. 1998 §II.A;
Dumoulin & Visin 2016 §4.1; ``lib.nets.conv_example``).
"""

from __future__ import annotations

from pydantic import Field, model_validator

from scenes.engine.registry import SceneParams


class Params(SceneParams):
    size: int = Field(4, ge=3, le=5, description="input height = width H")
    kernel: int = Field(3, ge=2, le=3, description="kernel height = width k (the output is H − k + 1)")
    seed: int = Field(21, ge=0, le=100_000, description="seed of the input, kernel, bias and δ = ∂L/∂y")
    tap_row: int = Field(1, ge=0, le=2, description="the kernel weight whose gradient is worked: its row")
    tap_col: int = Field(2, ge=0, le=2, description="the kernel weight whose gradient is worked: its column")
    pixel_row: int = Field(1, ge=0, le=4, description="the input pixel whose gradient is worked: its row")
    pixel_col: int = Field(2, ge=0, le=4, description="the input pixel whose gradient is worked: its column")

    @model_validator(mode="after")
    def _check(self):
        if self.kernel >= self.size:
            raise ValueError(f"kernel {self.kernel} must be smaller than the input size {self.size}")
        if max(self.tap_row, self.tap_col) >= self.kernel:
            raise ValueError(
                f"tap ({self.tap_row}, {self.tap_col}) is outside the {self.kernel} × {self.kernel} kernel"
            )
        if max(self.pixel_row, self.pixel_col) >= self.size:
            raise ValueError(
                f"pixel ({self.pixel_row}, {self.pixel_col}) is outside the {self.size} × {self.size} input"
            )
        return self
