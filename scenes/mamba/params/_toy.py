"""Parameters shared by the toy Mamba scenes (selection, selective scan, parallel scan).

Two models: ``trained`` (default), the first block of the Mamba trained in this repository on Selective
Copying (``lib/models/selective_copy.py``), on a seeded input of 8 tokens (letters are data, · is noise);
``random``, seeded random projections of the words of ``sentence`` (``lib/mamba/toy_mamba.py``).
A helper of the params package (its name starts with `_`): it defines no scene of its own.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import Field, field_validator, model_validator

from lib.models.configs import COPY_MODEL
from scenes.engine.registry import SceneParams

if TYPE_CHECKING:  # the model is built in model(): validating a storyboard does not import NumPy
    from lib.mamba.toy_mamba import ToySelectiveSSM

DEFAULT_SENTENCE = "Mamba lets some tokens in and forgets others"

# The random model at full width (6 channels, 6 states) on a short sentence: the other parameter set the
# tests render for the selection, selective-scan and parallel-scan scenes (their ``EXAMPLES``).
RANDOM_EXAMPLE = {
    "model": "random",
    "sentence": "selective models choose",
    "d_inner": 6,
    "d_state": 6,
    "seed": 3,
    "discretization": "mamba",
}


class ToyParams(SceneParams):
    model: Literal["trained", "random"] = Field(
        "trained",
        description="trained: the Mamba trained on Selective Copying, its most selective channels; "
        "random: seeded random projections of the sentence's words",
    )
    sentence: str = Field(
        DEFAULT_SENTENCE,
        min_length=1,
        max_length=80,
        description="input sentence of the random model; whitespace-separated tokens (2 to 8)",
    )
    d_inner: int = Field(4, ge=1, le=6, description="channels D shown")
    d_state: int = Field(4, ge=2, le=6, description="state size N per channel (the trained model has 4)")
    seed: int = Field(
        0,
        ge=0,
        le=1_000_000,
        description="random: seed of the embeddings and projections; trained: of the selective-copying input",
    )
    discretization: Literal["zoh", "mamba"] = Field(
        "zoh", description="zoh: the paper's exact B̄; mamba: the reference code's B̄ = ΔB"
    )

    @field_validator("sentence")
    @classmethod
    def _two_to_eight_tokens(cls, v: str) -> str:
        tokens = v.split()  # lib.mamba.toy_mamba.tokenize's words (tests/scenes/mamba/test_params_toy.py)
        if not 2 <= len(tokens) <= 8:
            raise ValueError(f"expected 2 to 8 whitespace-separated tokens, got {len(tokens)}")
        if max(len(t) for t in tokens) > 12:
            raise ValueError("tokens must be at most 12 characters long")
        return v

    @model_validator(mode="after")
    def _as_trained(self):
        if self.model == "trained" and self.d_state != COPY_MODEL.d_state:
            raise ValueError(f"the trained model has d_state = {COPY_MODEL.d_state}")
        if self.model == "trained" and self.discretization != COPY_MODEL.discretization:
            raise ValueError(f"the trained model uses discretization = {COPY_MODEL.discretization}")
        return self

    def toy(self) -> ToySelectiveSSM:
        """The model the scene shows: tokens, scan input x, A, Δ, B, C and the scan."""
        if self.model == "trained":
            from lib.models.selective_copy import trained_toy

            return trained_toy(self.seed, self.d_inner, self.d_state)
        from lib.mamba.toy_mamba import toy_selective_ssm

        return toy_selective_ssm(
            self.sentence, self.d_inner, self.d_state, self.seed, discretization=self.discretization
        )


class ChannelParams(ToyParams):
    """ToyParams plus one (channel d, state n) pair to follow, which must exist in the model."""

    channel: int = Field(0, ge=0, le=5, description="channel d followed (0-based)")
    state: int = Field(0, ge=0, le=5, description="state n followed (0-based; A = −(n+1))")

    @model_validator(mode="after")
    def _inside_the_model(self):
        if self.channel >= self.d_inner:
            raise ValueError(f"channel must be below d_inner = {self.d_inner}")
        if self.state >= self.d_state:
            raise ValueError(f"state must be below d_state = {self.d_state}")
        return self
