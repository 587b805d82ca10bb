"""Architectures compared: ResNet-18 vs ViT-Tiny, and RNN vs LSTM vs GRU vs a Transformer layer

Parameters, FLOPs (2 × the multiply-accumulates FlopCounterMode counts) and forward activation memory of
ResNet-18 (He et al. 2016) and ViT-Tiny (Dosovitskiy et al. 2021; DeiT-Ti sizes) on one image, ViT's patch
embedding worked out (eq. 1), and four sequence layers on one (T, d) task (``lib.arithmetic.cost_vision``).
"""

from __future__ import annotations

from pydantic import Field, model_validator

from scenes.engine.registry import SceneParams

PATCH = 16  # ViT-Tiny's patch size


class Params(SceneParams):
    image: int = Field(224, ge=64, le=512, description="image side in pixels (a multiple of the patch, 16)")
    seq_len: int = Field(512, ge=8, le=8192, description="sequence length T of the sequence task")
    d_model: int = Field(256, ge=16, le=2048, description="width d: RNN input and hidden size, Transformer d")
    heads: int = Field(4, ge=1, le=32, description="attention heads of the Transformer layer (divides d)")

    @model_validator(mode="after")
    def _check(self) -> Params:
        if self.image % PATCH:
            raise ValueError(f"image must be a multiple of the patch size {PATCH}, got {self.image}")
        if self.d_model % self.heads:
            raise ValueError(f"heads ({self.heads}) must divide d_model ({self.d_model})")
        return self
