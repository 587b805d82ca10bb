"""The feed-forward block: d → 4d → d with ReLU or GELU, and SwiGLU at the parameter-matched width 8d/3."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from scenes.engine.registry import SceneParams


class Params(SceneParams):
    d_model: int = Field(6, ge=3, le=6, description="model width d (the FFN's hidden width is 4d)")
    rounding: Literal["nearest", "down", "up"] = Field(
        "nearest", description="how SwiGLU's width 8d/3 is made an integer"
    )
    seed: int = Field(0, ge=0, le=1_000_000, description="seed of the weights (torch.nn.Linear's init scale)")
    token_seed: int = Field(1, ge=0, le=1_000_000, description="seed of the token vector x")
    curve_lo: float = Field(-4.0, ge=-6.0, le=-1.0, description="left end of the activation curves")
    curve_hi: float = Field(3.0, ge=1.0, le=6.0, description="right end of the activation curves")
    probe: float = Field(
        -1.0, ge=-3.0, le=-0.25, description="a negative input whose activations are read off"
    )
