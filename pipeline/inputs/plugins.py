"""Users' own scenes: the scene packages a storyboard names under ``plugins:``.

A plugin is imported like any Python package, with the storyboard's folder added to the import path —
after this project's own folders, so a plugin cannot shadow ``lib`` or ``scenes`` — and its scenes are
found by the same rule as ours (:mod:`scenes.engine.discovery`). The worker that renders a plugin scene gets
the same folder on its path (``Job.import_path``), and the plugin's sources enter the clip's cache key
(:func:`source_roots`).
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pipeline import ROOT
from scenes.engine.discovery import DiscoveryError, SceneSpec, discover


def module_file(name: str, root: Path = ROOT) -> Path | None:
    """The source file of module ``name`` under ``root`` (``a.b`` → a/b.py or a/b/__init__.py), if any."""
    base = os.path.join(root, *name.split("."))  # os.path, not pathlib: called for every import name
    for cand in (base + ".py", os.path.join(base, "__init__.py")):
        if os.path.isfile(cand):
            return Path(cand)
    return None


@dataclass(frozen=True)
class SourceRoots:
    """Where the sources of a clip live: the project, and the folder holding each plugin package.

    A module whose top-level package is a plugin's is looked up only in that plugin's folder; anything
    else only in the project. Third-party packages (numpy, manim) are covered by their versions instead.
    """

    project: Path = ROOT
    plugins: tuple[tuple[str, Path], ...] = ()  # (top-level package name, the folder that holds it)

    def find(self, name: str) -> Path | None:
        top = name.partition(".")[0]
        for pkg, folder in self.plugins:
            if pkg == top:
                return module_file(name, folder)
        return module_file(name, self.project)


BUILTIN = "scenes"


def add_import_path(folder: Path) -> None:
    """Append ``folder`` to ``sys.path`` (once): after the project, like the worker does."""
    entry = str(Path(folder).resolve())
    if entry not in sys.path:
        sys.path.append(entry)
        importlib.invalidate_caches()


def load_scenes(plugins: Sequence[str], folder: Path) -> tuple[dict[str, SceneSpec], list[tuple[int, str]]]:
    """The built-in scenes plus each plugin's; and the problems, as (index in ``plugins``, message).

    A plugin that cannot be imported or breaks the convention is reported and skipped, so the storyboard's
    other problems are still found.
    """
    registry = discover((BUILTIN,))
    problems: list[tuple[int, str]] = []
    if plugins:
        add_import_path(folder)
    for i, name in enumerate(plugins):
        if name == BUILTIN or name in plugins[:i]:
            problems.append((i, f"plugin {name!r} is listed twice (the built-in scenes are always loaded)"))
            continue
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as e:
            where = Path(folder).resolve()
            problems.append((i, f"cannot import plugin {name!r} from {where} or the Python path ({e})"))
            continue
        except KeyboardInterrupt:  # Ctrl-C or SIGTERM while importing: the user's stop, not the plugin's
            raise
        except BaseException as e:  # inside the plugin (sys.exit() too): report it, neither crash nor exit
            problems.append((i, f"importing plugin {name!r} failed: {_why(e)}"))
            continue
        if not hasattr(module, "__path__"):
            problems.append((i, f"plugin {name!r} is a module ({module.__file__}), not a package of topics"))
            continue
        try:
            found = discover((name,))
        except DiscoveryError as e:
            problems.append((i, str(e)))
            continue
        except KeyboardInterrupt:
            raise
        except BaseException as e:
            problems.append((i, f"loading the scenes of plugin {name!r} failed: {_why(e)}"))
            continue
        for scene_id, spec in found.items():
            if scene_id in registry:
                problems.append(
                    (
                        i,
                        f"scene id {scene_id!r} defined twice: by {registry[scene_id].params_module} "
                        f"and by {spec.params_module}",
                    )
                )
            else:
                registry[scene_id] = spec
    return dict(sorted(registry.items())), problems


def _why(e: BaseException) -> str:
    """What a plugin raised, on one line: ``SystemExit: 3``, ``ValueError: bad``."""
    text = " ".join(str(e).split())
    return f"{type(e).__name__}: {text}" if text else type(e).__name__


def source_roots(plugins: Sequence[str]) -> SourceRoots:
    """Where the cache key finds the sources of these (imported) plugins: each top-level package's folder."""
    folders = []
    for name in plugins:
        top = name.partition(".")[0]
        module = sys.modules.get(top)
        paths = list(getattr(module, "__path__", ()))
        folder = Path(paths[0]).resolve().parent if paths else None
        if folder is not None and folder != ROOT:  # e.g. storyboards/ holding my_course/
            folders.append((top, folder))
    return SourceRoots(ROOT, tuple(dict.fromkeys(folders)))
