"""Attention, step by step

X → Q, K, V; the scores Q K^T / √d_k; softmax row by row; weights × V; temperature; q · k in 3-D. One head
with d_k = 3 (so that q and k can be drawn in 3-D) on a few tokens with seeded embeddings and weights of one
decimal each (Vaswani et al. 2017, eq. 1).
"""

from __future__ import annotations

from pydantic import Field, model_validator

from scenes.engine.registry import SceneParams

D_K = 3  # the head width: three components, so the geometry beat draws q and k as they are


class Params(SceneParams):
    tokens: tuple[str, ...] = Field(
        ("the", "cat", "sat", "down"), min_length=3, max_length=6, description="the input tokens (3–6)"
    )
    d_model: int = Field(4, ge=2, le=5, description="embedding width d_model of X (the head width d_k is 3)")
    seed: int = Field(4, ge=0, le=100_000, description="seed of the embeddings X and of W_Q, W_K, W_V")
    query: int = Field(3, ge=0, le=5, description="the query token (0-based) whose softmax row is worked")
    temperatures: tuple[float, float, float] = Field(
        (0.5, 1.0, 2.0), description="three softmax temperatures τ, increasing, each in [0.1, 10]"
    )

    @model_validator(mode="after")
    def _check(self):
        if self.query >= len(self.tokens):
            raise ValueError(f"query {self.query} is not a token index (0 … {len(self.tokens) - 1})")
        if any(len(t) > 8 or not t.strip() for t in self.tokens):
            raise ValueError("each token must be 1–8 characters")
        t = self.temperatures
        if not (0.1 <= t[0] < t[1] < t[2] <= 10):
            raise ValueError("temperatures must increase, within [0.1, 10]")
        return self
