"""Learning-rate schedules: warm-up + cosine, step and exponential decay, and real runs under each."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from lib.models.run_configs import SCHEDULES
from scenes.engine.registry import SceneParams

Schedule = Literal["constant", "warmup_cosine", "step", "exponential"]


class Params(SceneParams):
    runs: tuple[Schedule, ...] = Field(
        SCHEDULES,
        min_length=2,
        max_length=4,
        description="the runs whose validation loss is compared (trained once, kept as data)",
    )
    readout: Literal["final", "best"] = Field(
        "final", description="which validation loss the table reads: after the last step, or the lowest"
    )
    log_loss: bool = Field(True, description="a logarithmic loss axis (the loss falls over two decades)")

    @field_validator("runs")
    @classmethod
    def _distinct(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        if len(set(v)) != len(v):
            raise ValueError("each run at most once")
        return v
