"""Scene registration: the parameter base class and the ``@register`` decorator.

Free of Manim, and the only part of the registry a scene module imports (so it is all of the registry that
enters a clip's cache key). Finding scenes without importing them is :mod:`scenes.engine.discovery`'s job.

The convention, checked here when a scene module is imported: the scene with id ``<topic>.<name>`` is a
class in ``<package>/<topic>/<name>.py`` registered as ``@register("<topic>.<name>")``, and its ``Params``
is the ``Params`` class of the light module ``<package>/<topic>/params/<name>.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from pydantic import BaseModel, ConfigDict


class SceneParams(BaseModel):
    """Base of every scene's parameter model: frozen, unknown keys rejected, bounds declared per field."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class RegistrationError(TypeError):
    """A scene class that breaks the registration convention (the message says which rule and where)."""


# scene id → class, filled as scene modules are imported (only a worker or a test imports them)
_CLASSES: dict[str, type] = {}

C = TypeVar("C", bound=type)


def params_module_of(scene_module: str) -> str:
    """``pkg.topic.name`` → ``pkg.topic.params.name``: where a scene's parameter model lives."""
    topic_pkg, _, name = scene_module.rpartition(".")
    return f"{topic_pkg}.params.{name}"


def scene_id_of(scene_module: str) -> str:
    """``pkg.topic.name`` → ``topic.name``: the id a scene module must register."""
    topic_pkg, _, name = scene_module.rpartition(".")
    return f"{topic_pkg.rpartition('.')[2]}.{name}"


def register(scene_id: str) -> Callable[[C], C]:
    """Class decorator: register ``cls`` under ``scene_id``, checking the convention above."""

    def wrap(cls: C) -> C:
        where = f"{cls.__module__}.{cls.__qualname__}"
        expected_id = scene_id_of(cls.__module__)
        if scene_id != expected_id:
            raise RegistrationError(
                f"{where}: registered as {scene_id!r}, but a scene in {cls.__module__} is {expected_id!r} "
                "(ids follow the file: <topic>/<name>.py is <topic>.<name>)"
            )
        params = getattr(cls, "Params", None)
        expected_params = params_module_of(cls.__module__)
        if not (isinstance(params, type) and issubclass(params, SceneParams)):
            raise RegistrationError(f"{where}: set `Params = ` the Params class of {expected_params}")
        if params.__module__ != expected_params:
            raise RegistrationError(
                f"{where}: scene {scene_id!r} takes its Params from {params.__module__}; it must be the "
                f"`Params` class of its params module {expected_params}"
            )
        old = _CLASSES.get(scene_id)
        if old is not None and old.__module__ != cls.__module__:
            raise RegistrationError(
                f"scene id {scene_id!r} registered twice: by {old.__module__} and by {cls.__module__}"
            )
        _CLASSES[scene_id] = cls
        cls.scene_id = scene_id  # type: ignore[attr-defined]
        return cls

    return wrap


def scene_class(scene_id: str) -> type:
    """The class registered under ``scene_id`` (its module must have been imported)."""
    try:
        return _CLASSES[scene_id]
    except KeyError:
        raise KeyError(f"no scene class registered as {scene_id!r} (is its module imported?)") from None
