"""Cross-entropy: logits → softmax → −log p(target), its gradient, label smoothing and perplexity

One real prediction of the trained induction Transformer (lib.models.next_token), at a position of the
repeated segment where the model is unsure.
"""

from __future__ import annotations

from pydantic import Field, model_validator

from scenes.engine.registry import SceneParams


class Params(SceneParams):
    example: int = Field(
        27, ge=0, le=999, description="seed of the induction sequence (lib.models.induction.example)"
    )
    segment: int = Field(4, ge=3, le=8, description="length S of the segment the sequence repeats")
    step: int = Field(
        2, ge=0, le=6, description="which predictable position of the second copy (0 … S − 2) is shown"
    )
    shown: int = Field(
        6, ge=3, le=8, description="tokens drawn as bars (the likeliest, the target among them)"
    )
    smoothing: float = Field(0.1, gt=0.0, le=0.5, description="label smoothing ε (Szegedy et al. 2016, §7)")
    batch: int = Field(64, ge=8, le=256, description="sequences of the batch whose perplexity is shown")
    batch_seed: int = Field(0, ge=0, le=2**31 - 1, description="seed of that batch")

    @model_validator(mode="after")
    def _check(self):
        if self.step > self.segment - 2:
            raise ValueError(f"step must be ≤ segment − 2 = {self.segment - 2}")
        return self
