"""Automated layout check: at every pause, no text leaves the frame and no two texts overlap.

Text objects are found by walking the scene's mobject tree and stopping at the first text-like object
(``Text``, ``MathTex``, ``Tex``, ``DecimalNumber`` …), so the glyphs of one label never count as
overlapping each other. Invisible objects (zero opacity) are ignored.
"""

from __future__ import annotations

from dataclasses import dataclass

from manim import (
    DecimalNumber,
    MarkupText,
    MathTex,
    Mobject,
    Paragraph,
    SingleStringMathTex,
    Tex,
    Text,
    config,
)

TEXT_TYPES = (Text, MarkupText, Paragraph, MathTex, Tex, SingleStringMathTex, DecimalNumber)


@dataclass(frozen=True)
class Box:
    label: str
    left: float
    right: float
    bottom: float
    top: float

    def overlaps(self, other: Box, tol: float) -> bool:
        return (
            min(self.right, other.right) - max(self.left, other.left) > tol
            and min(self.top, other.top) - max(self.bottom, other.bottom) > tol
        )


@dataclass(frozen=True)
class LayoutProblem:
    pause: int
    kind: str
    message: str

    def __str__(self) -> str:
        return f"pause {self.pause} ({self.kind}): {self.message}"


def is_visible(m: Mobject) -> bool:
    """Whether any part of ``m`` is drawn with more than 5 % fill or stroke opacity."""
    fam = m.get_family()
    for x in fam:
        if not x.has_points() or not hasattr(x, "get_fill_opacity"):
            continue
        if x.get_fill_opacity() > 0.05 or (x.get_stroke_opacity() > 0.05 and x.get_stroke_width() > 0):
            return True
    return False


def text_boxes(mobjects: list[Mobject]) -> list[Box]:
    """Bounding boxes of the visible text objects among ``mobjects`` (recursively)."""
    boxes: list[Box] = []

    def walk(m: Mobject) -> None:
        if isinstance(m, TEXT_TYPES):
            if m.has_points() or m.submobjects:
                if is_visible(m):
                    label = getattr(m, "text", None) or getattr(m, "tex_string", None) or type(m).__name__
                    boxes.append(
                        Box(
                            str(label)[:40],
                            m.get_left()[0],
                            m.get_right()[0],
                            m.get_bottom()[1],
                            m.get_top()[1],
                        )
                    )
            return
        for sub in m.submobjects:
            walk(sub)

    for m in mobjects:
        walk(m)
    return boxes


def check_layout(
    mobjects: list[Mobject], pause: int = 0, kind: str = "", margin: float = 0.05, overlap_tol: float = 0.02
) -> list[LayoutProblem]:
    """Problems at one pause: text outside the frame (by more than ``margin``) and overlapping texts."""
    w, h = config.frame_width / 2, config.frame_height / 2
    problems: list[LayoutProblem] = []
    boxes = text_boxes(mobjects)
    for b in boxes:
        if b.left < -w - margin or b.right > w + margin or b.bottom < -h - margin or b.top > h + margin:
            problems.append(
                LayoutProblem(
                    pause,
                    kind,
                    f"text {b.label!r} leaves the frame "
                    f"(x {b.left:.2f}..{b.right:.2f}, y {b.bottom:.2f}..{b.top:.2f})",
                )
            )
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            if a.overlaps(b, overlap_tol):
                problems.append(LayoutProblem(pause, kind, f"texts {a.label!r} and {b.label!r} overlap"))
    return problems


def _no_frame(*args, **kwargs) -> None:
    """Stands in for the renderer's frame updates in fast mode."""


def run_fast(
    cls, params=None, locale: str = "en", hooks: tuple = (), media_dir: str | None = None, narration=None
):
    """Construct a scene with every animation skipped and nothing written; return the scene.

    This is the fast mode of the layout tests: ``construct()`` runs for real (all ``lib/`` calls, every
    object built and placed), but no frame is rendered to a movie. At every pause (each ``next_slide()``
    and the end) the picture on screen is read into ``scene.pictures`` (``scenes.probe.Picture``, one per
    pause, in order) before ``hooks`` run. Pass a persistent ``media_dir`` to reuse compiled LaTeX and
    text between runs. ``narration`` (``scenes.narration.Overrides``) changes what the beats say.
    """
    import tempfile

    from manim import tempconfig

    from scenes.probe import record_pause

    hooks = (record_pause, *hooks)

    with (
        tempfile.TemporaryDirectory() as tmp,
        tempconfig(
            {
                "dry_run": True,
                "quality": "low_quality",
                "disable_caching": True,
                "media_dir": media_dir or tmp,
                "progress_bar": "none",
                "verbosity": "ERROR",
            }
        ),
    ):
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


def layout_problems(
    cls, params=None, locale: str = "en", media_dir: str | None = None, hooks: tuple = ()
) -> tuple[object, list[LayoutProblem]]:
    """Run ``cls`` in fast mode and collect the layout problems at every pause (``hooks`` run there too)."""
    problems: list[LayoutProblem] = []

    def hook(scene, kind: str, index: int) -> None:
        problems.extend(check_layout(scene.mobjects, index, kind))

    scene = run_fast(cls, params, locale, hooks=(hook, *hooks), media_dir=media_dir)
    return scene, problems
