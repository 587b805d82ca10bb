"""One encoder layer and one decoder layer, end to end"""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import Field, model_validator

from scenes.engine.registry import SceneParams


class Params(SceneParams):
    d_model: int = Field(8, ge=4, le=16, description="model width d_model")
    n_heads: int = Field(2, ge=1, le=4, description="attention heads (must divide d_model)")
    d_ff: int = Field(32, ge=8, le=64, description="inner width of the FFN (4·d_model in the paper)")
    src_len: int = Field(4, ge=2, le=6, description="source tokens entering the encoder layer")
    tgt_len: int = Field(3, ge=2, le=6, description="target tokens entering the decoder layer")
    activation: Literal["relu", "gelu"] = Field("relu", description="the FFN's activation")
    shown_dims: int = Field(
        4, ge=2, le=5, description="leading dimensions of the first token drawn per stage"
    )
    seed: int = Field(0, ge=0, le=1_000_000, description="seed of the weights and of the random inputs")

    @model_validator(mode="after")
    def _check(self):
        if self.d_model % self.n_heads:
            raise ValueError("n_heads must divide d_model")
        if self.shown_dims > self.d_model:
            raise ValueError("shown_dims must not exceed d_model")
        return self

    def inputs(self) -> tuple[np.ndarray, np.ndarray]:
        """The encoder input (1, src_len, d) and the decoder input (1, tgt_len, d): seeded N(0, 1), standing
        for embedded tokens plus positions."""
        rng = np.random.default_rng(self.seed + 7)
        return (
            rng.normal(size=(1, self.src_len, self.d_model)),
            rng.normal(size=(1, self.tgt_len, self.d_model)),
        )
