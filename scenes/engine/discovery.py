"""Find every scene of a package by one rule, without importing Manim.

A *scene package* (``scenes`` here, or a lecturer's own, e.g. ``my_course.scenes``) holds topic packages;
each topic that has scenes has a ``params/`` package with one light module per scene::

    scenes/mamba/params/two_views.py   Params(SceneParams) + a docstring whose first line is the summary
    scenes/mamba/two_views.py          the Manim scene, @register("mamba.two_views"), Params = that Params

Discovery imports every module of every ``<package>/<topic>/params/`` (pydantic and ``lib`` only; names
starting with ``_`` are shared helpers) and records, per scene id, its parameter model, summary and scene
module. The scene module itself, and Manim with it, is imported only when a scene is rendered or a test
asks for :attr:`SceneSpec.cls`.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from scenes.engine.registry import SceneParams, scene_class

# a `@register("<id>")` line: how discovery notices a scene module that lacks its params module
_REGISTER = re.compile(r"""^@register\(\s*["']([^"']+)["']""", re.MULTILINE)


class DiscoveryError(Exception):
    """A scene package that breaks the convention; the message names the file(s) and the rule."""


@dataclass(frozen=True)
class SceneSpec:
    """A discovered scene: id, parameter model, summary, and the module that draws it."""

    scene_id: str
    params: type[SceneParams]
    summary: str
    module: str  # the scene module, e.g. "scenes.mamba.two_views" (imports Manim)
    params_module: str  # e.g. "scenes.mamba.params.two_views" (does not)

    def narration(self) -> dict[str, dict[str, str]]:
        """The scene's ``NARRATION`` table ({locale: {beat: text}}), read from its source without
        importing it (so a storyboard's narration overrides are checked without Manim)."""
        import importlib.util

        from scenes.engine.narration import narration_table

        found = importlib.util.find_spec(self.module)
        return narration_table(Path(found.origin)) if found and found.origin else {}

    @property
    def cls(self) -> type:
        """The scene class: imports the scene module (and Manim)."""
        importlib.import_module(self.module)
        cls = scene_class(self.scene_id)
        if cls.__module__ != self.module:
            raise DiscoveryError(
                f"scene id {self.scene_id!r} registered twice: by {cls.__module__} and by {self.module}"
            )
        return cls


def discover(packages: Iterable[str] = ("scenes",)) -> dict[str, SceneSpec]:
    """Every scene of ``packages`` (importable scene packages), by id; :class:`DiscoveryError` if the
    convention is broken or two packages define one id."""
    found: dict[str, SceneSpec] = {}
    for package in packages:
        for spec in _package_scenes(package):
            old = found.get(spec.scene_id)
            if old is not None:
                raise DiscoveryError(
                    f"scene id {spec.scene_id!r} defined twice: by {old.params_module} and by "
                    f"{spec.params_module}"
                )
            found[spec.scene_id] = spec
    return dict(sorted(found.items()))


def _package_scenes(package: str) -> list[SceneSpec]:
    pkg = importlib.import_module(package)
    if not hasattr(pkg, "__path__"):
        raise DiscoveryError(
            f"{package} ({pkg.__file__}) is a module; a scene package is a package of topics"
        )
    specs = []
    for topic in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda m: m.name):
        if topic.ispkg:
            topic_dir = Path(topic.module_finder.path) / topic.name  # type: ignore[union-attr]
            specs += _topic_scenes(f"{package}.{topic.name}", topic_dir)
    return specs


def _topic_scenes(topic_pkg: str, topic_dir: Path) -> list[SceneSpec]:
    topic = topic_pkg.rpartition(".")[2]
    params_dir = topic_dir / "params"
    names = (
        sorted(m.name for m in pkgutil.iter_modules([str(params_dir)]) if not m.name.startswith("_"))
        if (params_dir / "__init__.py").is_file()
        else []
    )
    specs = []
    for name in names:
        params_mod = importlib.import_module(f"{topic_pkg}.params.{name}")
        where = _file(params_mod)
        model = getattr(params_mod, "Params", None)
        if not (isinstance(model, type) and issubclass(model, SceneParams)):
            raise DiscoveryError(f"{where}: a params module defines `class Params(SceneParams)`")
        if model.__module__ != params_mod.__name__:
            raise DiscoveryError(
                f"{where}: `Params` must be defined in this module (subclass {model.__module__}.Params "
                "if the model is shared)"
            )
        summary = (params_mod.__doc__ or "").strip().splitlines()
        if not summary:
            raise DiscoveryError(
                f"{where}: the module docstring's first line is the scene's summary; add one"
            )
        if not ((topic_dir / f"{name}.py").is_file() or (topic_dir / name / "__init__.py").is_file()):
            raise DiscoveryError(
                f"{where} defines the parameters of scene '{topic}.{name}', but its scene module "
                f"{topic_dir / f'{name}.py'} does not exist"
            )
        specs.append(
            SceneSpec(f"{topic}.{name}", model, summary[0], f"{topic_pkg}.{name}", params_mod.__name__)
        )
    # the other direction: a scene module registering an id that has no params module
    for path in sorted(topic_dir.glob("*.py")):
        match = _REGISTER.search(path.read_text(encoding="utf-8"))
        if match and path.stem not in names:
            raise DiscoveryError(
                f"{path} registers scene {match.group(1)!r}, but has no params module "
                f"{params_dir / path.name} (with `class Params(SceneParams)` and a summary docstring)"
            )
    return specs


def _file(module: ModuleType) -> str:
    return str(module.__file__ or module.__name__)
