"""Temperature and sampling: the next-token distribution at several τ, top-k and top-p cut-offs, samples

The trained induction Transformer at the same unsure position as the cross-entropy chapter
(lib.training.truncation, lib.models.sampling).
"""

from __future__ import annotations

from pydantic import Field, model_validator

from lib.models import induction
from scenes.engine.registry import SceneParams

MAX_POSITIONS = 24  # the induction model's learned positions


class Params(SceneParams):
    example: int = Field(
        27, ge=0, le=999, description="seed of the induction sequence (lib.models.induction.example)"
    )
    segment: int = Field(4, ge=3, le=8, description="length S of the segment the sequence repeats")
    step: int = Field(2, ge=0, le=6, description="which predictable position of the second copy (0 … S − 2)")
    temperatures: tuple[float, float, float] = Field(
        (0.5, 1.0, 2.0), description="three softmax temperatures τ drawn side by side (each in (0, 5])"
    )
    shown: int = Field(6, ge=3, le=7, description="likeliest tokens drawn as bars at each τ")
    rows: int = Field(7, ge=4, le=8, description="likeliest tokens listed in the cut-off tables")
    tau: float = Field(1.0, gt=0.0, le=5.0, description="temperature of the cut-offs and the samples")
    top_k: int = Field(3, ge=1, le=8, description="k of the top-k cut-off")
    top_p: float = Field(0.9, gt=0.0, le=1.0, description="p of the nucleus (top-p) cut-off")
    samples: int = Field(
        4, ge=2, le=6, description="sampled continuations (seeds first_seed, first_seed + 1, …)"
    )
    first_seed: int = Field(0, ge=0, le=2**31 - 1, description="seed of the first continuation")
    steps: int = Field(2, ge=1, le=4, description="tokens each continuation samples")

    @model_validator(mode="after")
    def _check(self):
        if self.step > self.segment - 2:
            raise ValueError(f"step must be ≤ segment − 2 = {self.segment - 2}")
        if not all(0.0 < t <= 5.0 for t in self.temperatures):
            raise ValueError("every temperature must be in (0, 5]")
        ex = induction.example(self.example, self.segment)
        t = int(ex.start[0]) + self.segment + self.step  # the position whose next token is drawn
        if t + self.steps > MAX_POSITIONS:
            raise ValueError(f"steps must be ≤ {MAX_POSITIONS - t}: the model has {MAX_POSITIONS} positions")
        if self.top_k > self.rows:
            raise ValueError("top_k must be ≤ rows (the table lists the kept tokens)")
        return self
