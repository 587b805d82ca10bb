"""Manim scenes. A scene draws; every number it shows comes from a ``lib/`` call on its parameters."""

from __future__ import annotations

import importlib
import pkgutil

from scenes.registry import REGISTRY, SceneSpec

_SKIP = {"registry", "base", "theme", "layout", "widgets", "check", "common"}


def discover() -> dict[str, SceneSpec]:
    """Import every scene module under ``scenes/`` so that each registers itself; return the registry."""
    for info in pkgutil.walk_packages(__path__, prefix="scenes."):
        if info.name.rsplit(".", 1)[-1] not in _SKIP:
            importlib.import_module(info.name)
    return REGISTRY
