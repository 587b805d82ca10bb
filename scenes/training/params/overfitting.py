"""Overfitting: train and validation loss of a real run, early stopping, weight decay and dropout."""

from __future__ import annotations

from pydantic import Field

from scenes.engine.registry import SceneParams


class Params(SceneParams):
    patience: int = Field(
        10,
        ge=1,
        le=40,
        description="early stopping: epochs without a new lowest validation loss before it stops",
    )
    min_delta: float = Field(
        0.0, ge=0.0, le=0.05, description="early stopping: how much lower a validation loss must be to count"
    )
