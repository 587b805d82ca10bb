"""Automated layout check: at every pause, no text leaves the frame and no two texts overlap.

Text objects are found by walking the scene's mobject tree and stopping at the first text-like object
(``Text``, ``MathTex``, ``Tex``, ``DecimalNumber`` …), so the glyphs of one label never count as
overlapping each other. Invisible objects (zero opacity) are ignored.
"""

from __future__ import annotations

from dataclasses import dataclass

from manim import Mobject, config

from scenes.engine.visible import TEXT_TYPES, is_visible


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


def layout_problems(
    cls, params=None, locale: str = "en", media_dir: str | None = None, hooks: tuple = ()
) -> tuple[object, list[LayoutProblem]]:
    """Run ``cls`` in fast mode and collect the layout problems at every pause (``hooks`` run there too)."""
    problems: list[LayoutProblem] = []

    def hook(scene, kind: str, index: int) -> None:
        problems.extend(check_layout(scene.mobjects, index, kind))

    from scenes.engine.probe import run_fast

    scene = run_fast(cls, params, locale, hooks=(hook, *hooks), media_dir=media_dir)
    return scene, problems
