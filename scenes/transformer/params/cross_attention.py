"""Cross-attention: decoder queries over encoder keys and values

The alignment a trained encoder–decoder learned, on a date it never saw in training.
"""

from __future__ import annotations

from pydantic import Field

from scenes.engine.registry import SceneParams

HELD_OUT = 500  # lib.models.alignment.HELD_OUT: dates the translation model never trained on


class Params(SceneParams):
    example: int = Field(
        0, ge=0, lt=HELD_OUT, description="which held-out date to translate (index into the validation dates)"
    )
