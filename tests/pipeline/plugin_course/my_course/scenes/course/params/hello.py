"""Hello: a lecturer's own scene, rendered from a plugin package beside the storyboard."""

from __future__ import annotations

from pydantic import Field

from scenes.engine.registry import SceneParams


class Params(SceneParams):
    circles: int = Field(2, ge=1, le=5, description="circles drawn, one after another")
