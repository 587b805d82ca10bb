"""Why Mamba: attention's cost grows with T², a scan's with T — cost model and a live measurement."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from scenes.engine.registry import SceneParams

MIN_LEN = 256  # shortest length of the cost curves
TIME_MIN_LEN = 128  # shortest measured length


def _power_of_two(v: int) -> int:
    if v & (v - 1):
        raise ValueError(f"{v} is not a power of two")
    return v


class Params(SceneParams):
    d_model: int = Field(1024, ge=64, le=8192, description="model width d of both layers")
    n_heads: int = Field(16, ge=1, le=128, description="attention heads H (must divide d_model)")
    d_state: int = Field(16, ge=1, le=64, description="state size N per channel of the Mamba block")
    expand: int = Field(2, ge=1, le=4, description="Mamba expansion E: d_inner = E·d")
    max_len: int = Field(
        131072, ge=4096, le=1 << 20, description="longest sequence length of the cost curves (power of 2)"
    )
    bytes_per_elem: Literal[1, 2, 4] = Field(2, description="bytes per stored number (2 = fp16/bf16)")
    time_max_len: int = Field(
        2048, ge=512, le=2048, description="longest measured length (power of 2; from 128 up)"
    )
    time_d_inner: int = Field(16, ge=1, le=64, description="channels D of the measured scan")
    time_d_state: int = Field(16, ge=1, le=32, description="state size N of the measured scan")
    repeats: int = Field(3, ge=1, le=5, description="timed repeats per length (the best is kept)")

    @model_validator(mode="after")
    def _check(self):
        if self.d_model % self.n_heads:
            raise ValueError("n_heads must divide d_model")
        _power_of_two(self.max_len)
        _power_of_two(self.time_max_len)
        return self

    def lengths(self) -> list[int]:
        return [1 << k for k in range(MIN_LEN.bit_length() - 1, self.max_len.bit_length())]

    def time_lengths(self) -> list[int]:
        return [1 << k for k in range(TIME_MIN_LEN.bit_length() - 1, self.time_max_len.bit_length())]
