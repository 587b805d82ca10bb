"""The whole architecture: 6 + 6 layers, where the base model's 65 M parameters sit, and GPT-2 small."""

from __future__ import annotations

from pydantic import Field, model_validator

from scenes.engine.registry import SceneParams


class Params(SceneParams):
    # the encoder–decoder (Vaswani et al. 2017, Table 3 "base"; §5.1: a shared vocabulary of ~37,000 tokens)
    vocab: int = Field(37000, ge=100, le=300_000, description="shared source/target vocabulary V")
    d_model: int = Field(512, ge=16, le=8192, description="model width d_model")
    n_heads: int = Field(8, ge=1, le=128, description="attention heads h (must divide d_model)")
    d_ff: int = Field(2048, ge=16, le=65536, description="inner width of the feed-forward layers d_ff")
    n_encoder: int = Field(6, ge=1, le=48, description="encoder layers N")
    n_decoder: int = Field(6, ge=1, le=48, description="decoder layers N")
    paper_millions: int = Field(
        65, ge=1, le=100_000, description="the total the paper reports for these sizes, in millions (Table 3)"
    )
    # the decoder-only contrast (Radford et al. 2019, GPT-2 small: 124,439,808 parameters)
    gpt_vocab: int = Field(
        50257, ge=100, le=300_000, description="GPT-2 vocabulary (tied to its output layer)"
    )
    gpt_d_model: int = Field(768, ge=16, le=8192, description="GPT-2 width")
    gpt_layers: int = Field(12, ge=1, le=96, description="GPT-2 decoder layers")
    gpt_heads: int = Field(12, ge=1, le=128, description="GPT-2 attention heads (must divide gpt_d_model)")
    gpt_positions: int = Field(1024, ge=16, le=32768, description="GPT-2 learned position table (context)")

    @model_validator(mode="after")
    def _check(self):
        if self.d_model % self.n_heads:
            raise ValueError("n_heads must divide d_model")
        if self.gpt_d_model % self.gpt_heads:
            raise ValueError("gpt_heads must divide gpt_d_model")
        return self
