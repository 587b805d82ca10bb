"""Kit gallery: every scene-kit component on one small worked example (layout and golden-frame checks)."""

from __future__ import annotations

from pydantic import Field, model_validator

from scenes.engine.registry import SceneParams

MIN_TOKENS, MAX_TOKENS = 3, 6  # a heatmap of 6 × 6 cells still fits two to a slide with readable numbers


class Params(SceneParams):
    sentence: str = Field(
        "the cat sat on the mat",
        min_length=1,
        max_length=60,
        description=f"tokens of the attention example, split on whitespace ({MIN_TOKENS} to {MAX_TOKENS})",
    )
    query: int = Field(4, ge=0, le=MAX_TOKENS - 1, description="the token whose attention row is shown")
    d_head: int = Field(4, ge=1, le=16, description="width of the seeded random queries and keys")
    seed: int = Field(0, ge=0, le=1_000_000, description="seed of the queries and keys")
    x0: float = Field(-1.0, ge=-3.5, le=2.5, description="where the activation plot is read out")
    d_model: int = Field(4096, ge=64, le=16384, description="model width d (diagram, costs, tables)")
    d_ff: int = Field(11008, ge=64, le=65536, description="hidden width of the SwiGLU MLP")
    n_heads: int = Field(32, ge=1, le=128, description="attention heads H (must divide d_model)")
    n_layers: int = Field(32, ge=1, le=128, description="layers of the model whose size is counted")
    seq_len: int = Field(4096, ge=256, le=65536, description="context length T of the FLOP shares (2^k)")

    @property
    def tokens(self) -> list[str]:
        return self.sentence.split()

    @model_validator(mode="after")
    def _check(self):
        n = len(self.tokens)
        if not MIN_TOKENS <= n <= MAX_TOKENS:
            raise ValueError(f"the sentence has {n} tokens; give {MIN_TOKENS} to {MAX_TOKENS}")
        if self.query >= n:
            raise ValueError(f"query {self.query} is past the last token (index {n - 1})")
        if self.d_model % self.n_heads:
            raise ValueError("n_heads must divide d_model")
        if self.seq_len & (self.seq_len - 1):
            raise ValueError(f"seq_len {self.seq_len} is not a power of two")
        return self
