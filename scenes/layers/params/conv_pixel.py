"""Convolution, one output pixel at a time

A small multi-channel input of seeded whole numbers and a kernel with one slice per channel: the kernel
slides to one output pixel, each channel's window is multiplied by its kernel slice and summed, the channel
sums and the bias are added, and the output map fills position by position (LeCun et al. 1998 §II.A;
``lib.nets.conv``).
"""

from __future__ import annotations

from pydantic import Field, model_validator

from lib.core.shapes import conv_output_size
from scenes.engine.registry import SceneParams

MAX_ROWS = 12  # channels × size: the channel rows must fit the frame's height with readable cells


class Params(SceneParams):
    channels: int = Field(2, ge=1, le=3, description="input channels C")
    size: int = Field(5, ge=3, le=6, description="input height = width H")
    kernel: int = Field(3, ge=2, le=3, description="kernel height = width k")
    stride: int = Field(1, ge=1, le=2, description="stride s (no padding)")
    seed: int = Field(5, ge=0, le=100_000, description="seed of the input, the kernel and the bias")
    row: int = Field(1, ge=0, le=4, description="the output pixel worked term by term: its row (0-based)")
    col: int = Field(2, ge=0, le=4, description="the output pixel worked term by term: its column (0-based)")

    @model_validator(mode="after")
    def _check(self):
        if self.channels * self.size > MAX_ROWS:
            raise ValueError(f"channels × size must be at most {MAX_ROWS} (the rows must fit the frame)")
        if self.kernel >= self.size:
            raise ValueError(f"kernel {self.kernel} must be smaller than the input size {self.size}")
        out = conv_output_size(self.size, self.kernel, self.stride)
        if self.row >= out or self.col >= out:
            raise ValueError(f"pixel ({self.row}, {self.col}) is outside the {out} × {out} output")
        return self
