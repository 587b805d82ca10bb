"""FlashAttention: exact attention in tiles, an online softmax, and far fewer reads and writes of HBM."""

from __future__ import annotations

from pydantic import Field, model_validator

from scenes.engine.registry import SceneParams


class Params(SceneParams):
    N: int = Field(12, ge=4, le=16, description="sequence length of the worked example")
    d: int = Field(4, ge=2, le=6, description="head dimension of the worked example")
    block: int = Field(4, ge=2, le=8, description="tile size B_r = B_c of the worked example (rows per tile)")
    row: int = Field(5, ge=0, le=15, description="the query row whose running max m and sum l are followed")
    seed: int = Field(0, ge=0, le=999, description="seed of the random Q, K, V")
    io_N: int = Field(4096, ge=256, le=1 << 20, description="sequence length N of the HBM count")
    io_d: int = Field(64, ge=16, le=256, description="head dimension d of the HBM count")
    sram: int = Field(32768, ge=1024, le=1 << 20, description="on-chip SRAM size M, in elements")

    @model_validator(mode="after")
    def _check(self):
        if self.row >= self.N:
            raise ValueError(f"row must be below N = {self.N}")
        if self.block >= self.N:
            raise ValueError("block must be smaller than N: at least two tiles")
        if self.sram < 4 * self.io_d:
            raise ValueError("sram must hold at least one row each of Q, K, V and O (M ≥ 4d)")
        return self
