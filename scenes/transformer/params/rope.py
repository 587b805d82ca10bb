"""Rotary positions (RoPE) and ALiBi: the score depends only on the offset m − n."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from scenes.engine.registry import SceneParams


class Params(SceneParams):
    d_head: Literal[4, 8] = Field(8, description="width d of the query and key (d/2 rotating pairs)")
    base: float = Field(10000.0, ge=10.0, le=1e6, description="RoPE base: θ_i = base^(−2i/d)")
    slow_pair: int = Field(1, ge=1, le=3, description="the slower pair i drawn beside pair 0 (< d/2)")
    seed: int = Field(27, ge=0, le=1_000_000, description="seed of the query q and key k")
    m: int = Field(3, ge=0, le=20, description="query position m of the first position pair")
    n: int = Field(1, ge=0, le=20, description="key position n of the first position pair")
    shift: int = Field(4, ge=1, le=20, description="both positions moved by this: same offset m − n")
    n_heads: Literal[2, 4, 8] = Field(8, description="ALiBi heads H (slopes 2^(−8h/H))")
    alibi_len: int = Field(5, ge=3, le=6, description="sequence length T of the ALiBi bias matrices")

    @model_validator(mode="after")
    def _check(self):
        if self.slow_pair >= self.d_head // 2:
            raise ValueError("slow_pair must be less than d_head / 2")
        return self

    def position_pairs(self) -> list[tuple[int, int]]:
        """(m, n), the same pair shifted (equal offset), and the shifted query with the first key position."""
        return [(self.m, self.n), (self.m + self.shift, self.n + self.shift), (self.m + self.shift, self.n)]
