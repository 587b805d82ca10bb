"""Attention patterns: causal, local and global masks, their cost, and the patterns trained heads learned."""

from __future__ import annotations

from pydantic import Field, model_validator

from lib.models.alignment import HELD_OUT
from lib.models.tasks import InductionConfig
from scenes.engine.registry import SceneParams

_INDUCTION = InductionConfig()


class Params(SceneParams):
    T: int = Field(12, ge=6, le=16, description="sequence length T of the drawn masks (T × T cells)")
    half_width: int = Field(2, ge=1, le=4, description="sliding window: keys |i − j| ≤ w around each query")
    global_tokens: tuple[int, ...] = Field(
        (0, 6),
        min_length=1,
        max_length=3,
        description="positions with global attention (a full row and column)",
    )
    long_T: int = Field(4096, ge=256, le=1 << 20, description="a realistic length for the cost table")
    long_half_width: int = Field(256, ge=1, le=4096, description="the window's w at that length")
    induction_seed: int = Field(0, ge=0, le=999, description="seed of the induction model's example sequence")
    segment: int = Field(
        6,
        ge=_INDUCTION.min_segment,
        le=8,
        description="length S of the repeated segment in that sequence (drawn window: 2S + 1 positions)",
    )
    date_index: int = Field(
        0, ge=0, lt=HELD_OUT, description="which held-out date the translation model writes"
    )

    @model_validator(mode="after")
    def _check(self):
        if len(set(self.global_tokens)) != len(self.global_tokens) or max(self.global_tokens) >= self.T:
            raise ValueError(f"global_tokens must be distinct positions below T = {self.T}")
        if min(self.global_tokens) < 0:
            raise ValueError("global_tokens must be ≥ 0")
        if 2 * self.long_half_width + 1 >= self.long_T:
            raise ValueError("the long window 2w + 1 must be shorter than long_T")
        if 2 * self.half_width + 1 >= self.T:
            raise ValueError("the window 2w + 1 must be shorter than T")
        return self
