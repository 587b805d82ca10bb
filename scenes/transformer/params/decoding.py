"""Causal mask and autoregressive decoding

A trained Transformer writes token by token (greedy, then sampled at a temperature) with a KV cache.
"""

from __future__ import annotations

from pydantic import Field, model_validator

from lib.models import induction
from scenes.engine.registry import SceneParams

MAX_PROMPT = 12  # the masked score matrix is prompt × prompt cells with a number in each


class Params(SceneParams):
    example: int = Field(
        0, ge=0, le=999, description="seed of the induction sequence (lib.models.induction.example)"
    )
    segment: int = Field(6, ge=3, le=8, description="length S of the segment the sequence repeats")
    steps: int = Field(5, ge=2, le=7, description="tokens generated (at most S − 1: what the copy predicts)")
    temperature: float = Field(1.5, gt=0.0, le=5.0, description="softmax temperature τ of the sampling run")
    seed: int = Field(6, ge=0, le=2**31 - 1, description="seed of the sampler's uniform draws")

    @model_validator(mode="after")
    def _check(self):
        if self.steps > self.segment - 1:
            raise ValueError(f"steps must be ≤ segment − 1 = {self.segment - 1}")
        if len(self.prompt()) > MAX_PROMPT:
            raise ValueError(
                f"example {self.example} puts the second copy too late: its prompt has {len(self.prompt())} "
                f"tokens (at most {MAX_PROMPT}); pick another example"
            )
        return self

    def prompt(self) -> list[int]:
        """The sequence up to the first token of the second copy: what comes next is predictable."""
        ex = induction.example(self.example, self.segment)
        return [int(t) for t in ex.tokens[0, : int(ex.start[0]) + self.segment + 1]]
