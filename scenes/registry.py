"""The scene registry: one id ↔ one scene class ↔ one typed parameter model.

Kept free of Manim so the pipeline can list ids and validate parameters cheaply; the scene modules
themselves register on import (``scenes.discover()`` imports them all).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict


class SceneParams(BaseModel):
    """Base of every scene's parameter model: frozen, unknown keys rejected, bounds declared per field."""

    model_config = ConfigDict(frozen=True, extra="forbid")


@dataclass(frozen=True)
class SceneSpec:
    """A registered scene: its id, class, parameter model and the file it is defined in."""

    scene_id: str
    cls: type
    params: type[SceneParams]
    module: str
    summary: str


REGISTRY: dict[str, SceneSpec] = {}


def register(scene_id: str) -> Callable[[type], type]:
    """Class decorator: register ``cls`` (which must define ``Params``) under ``scene_id``."""

    def wrap(cls: type) -> type:
        params = getattr(cls, "Params", None)
        if not (isinstance(params, type) and issubclass(params, SceneParams)):
            raise TypeError(f"scene {cls.__name__} must define a nested `Params(SceneParams)` model")
        if scene_id in REGISTRY and REGISTRY[scene_id].cls.__qualname__ != cls.__qualname__:
            raise ValueError(f"scene id {scene_id!r} registered twice")
        doc = (cls.__doc__ or "").strip().splitlines()
        REGISTRY[scene_id] = SceneSpec(scene_id, cls, params, cls.__module__, doc[0] if doc else "")
        cls.scene_id = scene_id
        return cls

    return wrap


def get(scene_id: str) -> SceneSpec:
    return REGISTRY[scene_id]


def params_of(scene_id: str, raw: dict[str, Any]) -> SceneParams:
    return REGISTRY[scene_id].params.model_validate(raw)
