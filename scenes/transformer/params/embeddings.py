"""Embeddings and sinusoidal positions: a learned vector per token, plus sines and cosines of the position."""

from __future__ import annotations

from pydantic import Field, field_validator

from lib.models.tasks import InductionConfig
from scenes.engine.registry import SceneParams

VOCAB = InductionConfig().vocab  # the trained induction model's token ids 0 … VOCAB − 1


class Params(SceneParams):
    tokens: tuple[int, ...] = Field(
        (5, 12, 27, 5, 12), min_length=3, max_length=6,
        description=f"token ids of the trained induction model (0 … {VOCAB - 1}), one of them repeated",
    )  # fmt: skip
    dims_shown: int = Field(6, ge=4, le=8, description="embedding dimensions written out with numbers")
    positions: int = Field(24, ge=8, le=40, description="positions (rows) of the PE heatmap")
    base: float = Field(10000.0, ge=100.0, le=100000.0, description="the PE base (10000 in Vaswani et al.)")

    @field_validator("tokens")
    @classmethod
    def _ids(cls, v: tuple[int, ...]) -> tuple[int, ...]:
        if any(not 0 <= t < VOCAB for t in v):
            raise ValueError(f"token ids must lie in 0 … {VOCAB - 1}")
        if len(set(v)) == len(v):
            raise ValueError("repeat one token id: the scene shows that only the position tells them apart")
        return v
