"""The continuous SSM: an input signal drives N states, read out as y — solved exactly by expm."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from scenes.engine.registry import SceneParams

Amplitude = Annotated[float, Field(ge=-2.0, le=2.0)]
Frequency = Annotated[float, Field(gt=0.0, le=6.0)]


class Params(SceneParams):
    system: Literal["oscillatory", "hippo"] = Field(
        "oscillatory",
        description="oscillatory: A = −decay·I + skew (damped rotations); hippo: A = decay·A_LegS",
    )
    state_size: int = Field(3, ge=2, le=4, description="state size N")
    decay: float = Field(0.3, ge=0.05, le=2.0, description="decay rate (−Re of A's eigenvalues / LegS scale)")
    amplitudes: tuple[Amplitude, ...] = Field(
        (1.0, 0.6), min_length=1, max_length=3, description="amplitudes a_k of x(t) = Σ a_k sin(ω_k t)"
    )
    frequencies: tuple[Frequency, ...] = Field(
        (0.8, 3.0), min_length=1, max_length=3, description="angular frequencies ω_k of the input"
    )
    duration: float = Field(12.0, ge=4.0, le=24.0, description="simulated time span [0, T]")
    seed: int = Field(0, ge=0, le=1_000_000, description="seed of the random parts of A, B, C")

    @model_validator(mode="after")
    def _one_frequency_per_amplitude(self):
        if len(self.amplitudes) != len(self.frequencies):
            raise ValueError("amplitudes and frequencies must have the same length")
        return self
