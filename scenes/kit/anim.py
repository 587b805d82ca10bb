"""Animations the kit needs beyond Manim's: copy-free fades for large groups.

Manim's ``FadeIn``/``FadeOut`` are Transforms that deep-copy the whole group twice (start and target);
for groups of hundreds of glyphs (tables of numbers) that copying dominates a scene's build time. These
fade by scaling the group's own opacities instead.
"""

from __future__ import annotations

from manim import Animation, Mobject, VGroup


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
