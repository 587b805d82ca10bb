"""Multi-head attention

d_model split into heads, the trained model's previous-token and induction heads, concatenation, W_O and the
parameter count 4·d² + 4·d (Vaswani et al. 2017, eq. 4–5).

The heads are those of the committed two-layer induction model (lib/models/induction.py) on a seeded
sequence in which a segment of tokens repeats.
"""

from __future__ import annotations

from pydantic import Field

from scenes.engine.registry import SceneParams


class Params(SceneParams):
    seed: int = Field(
        0, ge=0, le=100_000, description="seed of the example sequence (filler, segment, place)"
    )
    segment: int = Field(
        4, ge=3, le=6, description="length S of the repeated segment (the zoom shows 2S + 1)"
    )
