"""The one way a scene is run: every caller builds Manim's config and constructs the scene here.

Two modes, one function each:

- :func:`run_skipping` — ``construct()`` for real (every ``lib/`` call, every object built and placed) with
  every animation skipped and no movie written; the caller's hooks run at each pause (every
  ``next_slide()`` and the end). The recording script (``--script``) and the animation count of a chunked
  entry (``pipeline.execution.count``) use it; :func:`scenes.engine.probe.run_fast` adds the picture at
  each pause, for the tests and ``python -m scenes.engine.check``.
- :func:`render` — the real render to a movie (and manim-slides' deck files), as the pipeline's worker
  does it: the caller passes the quality, folders and voice, and gets the rendered scene back.

Manim's config is process-global, so a process renders one scene at a time (the worker renders one per
process); the fast mode only changes it inside ``tempconfig``.
"""

from __future__ import annotations

import importlib
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from scenes.engine.narration import Overrides, Voice
from scenes.engine.registry import SceneParams, scene_class

PauseHook = Callable[[Any, str, int], None]


def load(scene_id: str, module: str, import_path: Iterable[str] = ()) -> Any:
    """The scene class registered as ``scene_id`` by ``module`` (imported here; ``import_path`` folders,
    a storyboard's plugins, are appended to ``sys.path`` first)."""
    import sys

    sys.path.extend(p for p in import_path if p not in sys.path)
    importlib.import_module(module)
    return scene_class(scene_id)


def _no_frame(*args: Any, **kwargs: Any) -> None:
    """Stands in for the renderer's frame updates in fast mode."""


def run_skipping(
    cls: Any,
    params: SceneParams | None = None,
    locale: str = "en",
    hooks: tuple[PauseHook, ...] = (),
    media_dir: str | None = None,
    narration: Overrides | None = None,
    svg_dirs: tuple[Path, Path] | None = None,
) -> Any:
    """Construct ``cls`` with every animation skipped and nothing written; return the scene.

    Pass a persistent ``media_dir`` to reuse compiled LaTeX and text between runs, or ``svg_dirs``
    (the ``tex_dir`` and ``text_dir``) to compile into given folders. ``narration`` changes what the
    beats say. ``scene.renderer.num_plays`` is the number of animations the scene plays silently.
    """
    from manim import tempconfig

    with tempfile.TemporaryDirectory() as tmp:
        config: dict[str, Any] = {
            "dry_run": True,
            "quality": "low_quality",
            "disable_caching": True,
            "media_dir": media_dir or tmp,
            "progress_bar": "none",
            "verbosity": "ERROR",
        }
        if svg_dirs is not None:
            config |= {"tex_dir": str(svg_dirs[0]), "text_dir": str(svg_dirs[1])}
        with tempconfig(config):
            scene = cls(params=params, locale=locale, pause_hooks=hooks, narration=narration)
            scene.renderer._original_skipping_status = True  # skip every animation: jump to its end state
            scene.renderer.skip_animations = True
            # Manim still rasterises the frame once per play while skipping (~30 % of a fast run); nothing
            # here reads those pixels: pictures come from the mobjects, and capture_frame draws on demand.
            scene.renderer.update_frame = _no_frame
            scene.renderer.save_static_frame_data = _no_frame
            scene.setup()
            scene.construct()
            scene.tear_down()
    return scene


def render(
    cls: Any,
    params: SceneParams,
    locale: str,
    *,
    quality: str,
    name: str,
    media_dir: Path,
    svg_dirs: tuple[Path, Path],
    output_folder: Path,
    hooks: tuple[PauseHook, ...] = (),
    voice: Voice | None = None,
    narration: Overrides | None = None,
    config: dict[str, Any] | None = None,
    prepare: Callable[[Any], None] | None = None,
) -> tuple[Any, Path, tuple[int, int, float]]:
    """Render ``cls`` to a movie at Manim's ``quality`` preset; returns the scene, the movie file and
    (width, height, fps). ``prepare(scene)`` runs before rendering (to add play hooks); ``config`` adds
    Manim settings (a chunk's animation range)."""
    from manim import config as manim_config
    from manim import tempconfig

    settings: dict[str, Any] = {
        "quality": quality,
        "media_dir": str(media_dir),
        "tex_dir": str(svg_dirs[0]),
        "text_dir": str(svg_dirs[1]),
        "disable_caching": True,
        "progress_bar": "none",
        "verbosity": "WARNING",
        "output_file": name,
        "write_to_movie": True,
        **(config or {}),
    }
    with tempconfig(settings):
        scene = cls(
            params=params,
            locale=locale,
            name=name,
            pause_hooks=hooks,
            output_folder=output_folder,
            voice=voice,
            narration=narration,
        )
        if prepare is not None:
            prepare(scene)
        scene.render()
        movie = Path(scene.renderer.file_writer.movie_file_path)
        size = (int(manim_config.pixel_width), int(manim_config.pixel_height), float(manim_config.frame_rate))
    return scene, movie, size
