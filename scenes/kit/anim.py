"""Animations the kit needs beyond Manim's: copy-free fades for large groups, and one-piece reveals.

Manim's ``FadeIn``/``FadeOut`` are Transforms that deep-copy the whole group twice (start and target);
for groups of hundreds of glyphs (tables of numbers) that copying dominates a scene's build time. These
fade by scaling the group's own opacities instead.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from manim import DOWN, Animation, Mobject, VGroup, VMobject


class FadeInPlace(Animation):
    """Fade a (large) group in by scaling its own opacities — no deep copies."""

    out = False

    def __init__(self, mobject: Mobject, **kwargs) -> None:
        super().__init__(mobject, remover=self.out, introducer=not self.out, **kwargs)

    def create_starting_mobject(self) -> Mobject:
        return self.mobject  # never read: interpolate_mobject works from the recorded opacities

    def begin(self) -> None:
        self.opacities = [
            (m, m.fill_rgbas[:, 3].copy(), m.stroke_rgbas[:, 3].copy())
            for m in self.mobject.family_members_with_points()
            if hasattr(m, "fill_rgbas")
        ]
        super().begin()

    def interpolate_mobject(self, alpha: float) -> None:
        a = self.rate_func(alpha)
        k = 1.0 - a if self.out else a
        for m, fill, stroke in self.opacities:
            m.fill_rgbas[:, 3] = fill * k
            m.stroke_rgbas[:, 3] = stroke * k

    def clean_up_from_scene(self, scene) -> None:
        super().clean_up_from_scene(scene)
        if self.out:  # removed from the scene: restore its opacities in case it is shown again
            for m, fill, stroke in self.opacities:
                m.fill_rgbas[:, 3], m.stroke_rgbas[:, 3] = fill, stroke


class FadeOutPlace(FadeInPlace):
    """Fade a (large) group out by scaling its own opacities, then remove it — no deep copies."""

    out = True


def fade_in(*mobjects: Mobject, **kwargs) -> FadeInPlace:
    """``FadeInPlace`` of one mobject or of several as one group."""
    return FadeInPlace(mobjects[0] if len(mobjects) == 1 else VGroup(*mobjects), **kwargs)


def fade_out(*mobjects: Mobject, **kwargs) -> FadeOutPlace:
    """``FadeOutPlace`` of one mobject or of several as one group (removed from the scene at the end)."""
    return FadeOutPlace(mobjects[0] if len(mobjects) == 1 else VGroup(*mobjects), **kwargs)


class Reveal(Animation):
    """Bring a component in as *one* animation on the component itself.

    Parts listed in ``draw`` are drawn along their path (like ``Create``), parts in ``grow`` stretch out
    from their ``edge`` (bars growing from their base; with ``base``, from that coordinate along the growing
    axis instead — bars of either sign growing out of one baseline), everything else fades in. Why not an
    ``AnimationGroup`` of ``Create``/``GrowFromEdge``/``FadeIn``: those introduce each *part* into the
    scene on its own, Manim then splits the component into loose pieces, and a later ``FadeOut(component)``
    leaves the pieces on screen. Here the scene only ever holds the component.
    """

    def __init__(
        self,
        mobject: Mobject,
        *,
        draw: Sequence[VMobject] = (),
        grow: Sequence[Mobject] = (),
        edge: np.ndarray = DOWN,
        base: float | None = None,
        **kwargs,
    ) -> None:
        self.draw_parts, self.grow_parts, self.edge, self.base = list(draw), list(grow), edge, base
        super().__init__(mobject, introducer=True, **kwargs)

    def create_starting_mobject(self) -> Mobject:
        return self.mobject  # never read: interpolate_mobject works from the recorded states

    def begin(self) -> None:
        special = {id(m) for part in (*self.draw_parts, *self.grow_parts) for m in part.get_family()}
        self.opacities = [
            (m, m.fill_rgbas[:, 3].copy(), m.stroke_rgbas[:, 3].copy())
            for m in self.mobject.family_members_with_points()
            if hasattr(m, "fill_rgbas") and id(m) not in special
        ]
        self.full = {id(m): m.copy() for m in (*self.draw_parts, *self.grow_parts)}
        self.dim = 1 if abs(self.edge[1]) > abs(self.edge[0]) else 0
        self.anchor = {id(m): m.get_critical_point(self.edge) for m in self.grow_parts}
        if self.base is not None:
            for a in self.anchor.values():
                a[self.dim] = self.base
        super().begin()

    def interpolate_mobject(self, alpha: float) -> None:
        a = self.rate_func(alpha)
        for m, fill, stroke in self.opacities:
            m.fill_rgbas[:, 3] = fill * a
            m.stroke_rgbas[:, 3] = stroke * a
        for m in self.draw_parts:
            m.pointwise_become_partial(self.full[id(m)], 0, a)
        for m in self.grow_parts:
            m.become(self.full[id(m)])
            m.stretch(max(a, 1e-3), self.dim, about_point=self.anchor[id(m)])
