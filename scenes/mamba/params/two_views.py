"""One LTI SSM, two ways: the recurrence step by step, and the convolution with the kernel K̄."""

from __future__ import annotations

from pydantic import Field

from scenes.engine.registry import SceneParams


class Params(SceneParams):
    length: int = Field(8, ge=4, le=12, description="sequence length L")
    state_size: int = Field(2, ge=2, le=4, description="state size N")
    delta: float = Field(0.5, gt=0.0, le=2.0, description="step Δ of the zero-order-hold discretisation")
    decay: float = Field(0.3, ge=0.05, le=2.0, description="decay rate of the continuous A (−Re λ)")
    seed: int = Field(0, ge=0, le=1_000_000, description="seed of the system A, B, C")
    input_seed: int = Field(1, ge=0, le=1_000_000, description="seed of the input sequence x")
