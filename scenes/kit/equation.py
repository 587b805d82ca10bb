"""An equation whose terms have names: colour or highlight ``"K^T"``, never glyph number 7.

Built on ``MathTex(substrings_to_isolate=...)``: each named term is compiled as its own group of glyphs,
so editing the formula cannot make a colour land on the wrong symbol.

    eq = Equation(r"\\mathrm{softmax}\\left(\\frac{Q K^T}{\\sqrt{d_k}}\\right) V",
                  terms=["Q", "K^T", r"\\sqrt{d_k}", "V"],
                  colors={"Q": theme.INPUT, "K^T": theme.MAT_B, "V": theme.OUTPUT})
    self.play(Create(eq.highlight(r"\\sqrt{d_k}")))
    eq.term("Q")                # the glyphs of every occurrence of Q

Terms may also be named: ``terms={"scale": r"\\sqrt{d_k}"}``, then ``eq.term("scale")``. A term is matched as
text, so it must not sit inside a TeX command (``"t"`` inside ``\\sqrt``): that is refused with an error.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from manim import Indicate, MathTex, SurroundingRectangle, VGroup
from manim.mobject.text.tex_mobject import MATHTEX_SUBSTRING

from scenes.kit import theme

EQUATION_SIZE = 40  # default font size of a displayed formula


class UnknownTerm(KeyError):
    def __str__(self) -> str:
        return str(self.args[0])


class Equation(MathTex):
    """A ``MathTex`` with named terms.

    Parameters:
        tex: the formula (ASCII TeX; format numbers with ``numbers.fixed(..., tex=True)``).
        terms: the substrings to isolate, as a list (each named by itself) or a ``{name: tex}`` mapping.
        colors: ``{name: colour}`` applied to every occurrence of the term.
        font_size: TeX font size (theme text of size s matches TeX of about 1.45 s).
        color: the colour of everything else.
    """

    def __init__(
        self,
        tex: str,
        *,
        terms: Sequence[str] | Mapping[str, str] = (),
        colors: Mapping[str, object] | None = None,
        font_size: float = EQUATION_SIZE,
        color=theme.FG,
    ) -> None:
        self.terms = dict(terms) if isinstance(terms, Mapping) else {t: t for t in terms}
        for name, sub in self.terms.items():
            _check_term(tex, name, sub)
        super().__init__(
            tex, substrings_to_isolate=list(self.terms.values()), font_size=font_size, color=color
        )
        for name, c in (colors or {}).items():
            self.color_term(name, c)

    def term(self, name: str) -> VGroup:
        """The glyphs of every occurrence of term ``name`` (by name, or by its TeX when unnamed)."""
        sub = self._tex_of(name)
        parts = [
            self.id_to_vgroup_dict[i]
            for s, i in self.matched_strings_and_ids
            if s == sub and i.endswith(MATHTEX_SUBSTRING)
        ]
        return VGroup(*parts)

    def color_term(self, name: str, color) -> Equation:
        """Colour every occurrence of ``name``; returns self."""
        self.term(name).set_color(color)
        return self

    def highlight(self, name: str, color=theme.ACCENT) -> SurroundingRectangle:
        """A frame around term ``name`` (all its occurrences); not added to the scene."""
        return SurroundingRectangle(self.term(name), color=color, buff=0.06, corner_radius=0.06)

    def indicate(self, name: str, color=theme.ACCENT, **kwargs) -> Indicate:
        """Manim's ``Indicate`` on term ``name``."""
        return Indicate(self.term(name), color=color, **kwargs)

    def _tex_of(self, name: str) -> str:
        if name in self.terms:
            return self.terms[name]
        if name in self.terms.values():
            return name
        known = ", ".join(self.terms) or "(none)"
        raise UnknownTerm(f"the equation {self.tex_string!r} has no term {name!r}; its terms: {known}")


def _check_term(tex: str, name: str, sub: str) -> None:
    """Refuse a term missing from ``tex`` or found only inside a TeX control word (``t`` in ``\\sqrt``)."""
    if not sub:
        raise ValueError(f"term {name!r} is empty")
    starts = [m.start() for m in re.finditer(re.escape(sub), tex)]
    if not starts:
        raise UnknownTerm(f"term {name!r} ({sub!r}) does not occur in the equation {tex!r}")
    for s in starts:
        word = re.search(r"\\[A-Za-z]*$", tex[:s])
        if word and sub[0].isalpha():
            raise ValueError(
                f"term {name!r} ({sub!r}) occurs inside the TeX command {word.group()}… of {tex!r}"
            )
