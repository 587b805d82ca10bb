"""Read the picture: what is on screen at a pause, as the viewer reads it.

``picture(mobjects)`` walks the scene's mobjects (visible ones only: zero-opacity objects are not on
screen, by the same rule as the layout check) and collects

- every *reading*: a mobject tagged by the kit (``scenes.kit.record``) with a semantic key, an index and
  the value it stands for, together with the string it actually shows at this pause (``Text.text``,
  ``MathTex.tex_string``; a tagged group shows its text parts joined by a space);
- every visible string (``Picture.strings``), tagged or not, for text the scene wrote itself.

The fast test harness (``scenes.engine.probe.run_fast``) stores one ``Picture`` per pause in
``scene.pictures``, in order, so a test reads the drawn picture instead of a record kept beside it::

    scene, _ = fast_run("mamba.two_views", None, "en")
    drawn = scene.pictures[2].array("y_conv")            # the strings the viewer reads
    assert list(drawn) == [fmt(v, 2) for v in torch_reference]

``Picture.merge(scene.pictures)`` unions all pauses: for each (key, index) the reading of the *last*
pause that showed it wins (a value animated from one number to the next ends on the last one), and the
strings of every pause are kept once each, in order of first appearance.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from manim import DecimalNumber, MathTex, Mobject
from manim.mobject.text.tex_mobject import MathTexPart

from scenes.engine.visible import TEXT_TYPES, is_visible
from scenes.kit.record import tag_of


@dataclass(frozen=True)
class Drawn:
    """One reading on screen: ``key`` and ``index`` name the quantity, ``value`` is what it stands for,
    ``text`` the exact string drawn (``None`` for a mark without text, e.g. a plotted dot) and ``center``
    where it is drawn (scene units, at this pause), so a test can check *where* as well as *what*."""

    key: str
    index: tuple[Hashable, ...]
    value: Any
    text: str | None
    center: tuple[float, float] | None = None


class UnknownKey(KeyError):
    """A key the picture does not show; the message lists the keys it does show."""

    def __str__(self) -> str:
        return str(self.args[0])


def drawn_string(m: Mobject) -> str | None:
    """The string a text-like mobject shows (a group: its visible text parts joined by a space)."""
    if isinstance(m, MathTexPart):  # one part of a formula (a tagged number of scenes.kit.formula)
        return m.tex_string
    if isinstance(m, DecimalNumber):
        return m.get_tex_string() if hasattr(m, "get_tex_string") else str(m.number)
    if isinstance(m, TEXT_TYPES):
        # Text keeps the string as given in original_text (its .text has the spaces removed)
        for attr in ("original_text", "text", "tex_string"):
            s = getattr(m, attr, None)
            if isinstance(s, str):
                return s
        return None
    parts = [s for sub in m.submobjects if is_visible(sub) and (s := drawn_string(sub)) is not None]
    return " ".join(parts) if parts else None


@dataclass(frozen=True)
class Picture:
    """What is on screen at one pause (or, merged, over several)."""

    drawn: tuple[Drawn, ...] = ()
    strings: tuple[str, ...] = ()
    pause: int = -1  # the pause index (-1 for a merged picture)
    kind: str = ""  # "slide" or "end"
    _by_key: dict[str, list[Drawn]] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        for d in self.drawn:
            self._by_key.setdefault(d.key, []).append(d)

    # --- keys --------------------------------------------------------------------------------------------
    def keys(self) -> list[str]:
        """The keys shown, sorted."""
        return sorted(self._by_key)

    def __contains__(self, key: object) -> bool:
        return key in self._by_key

    def readings(self, key: str) -> list[Drawn]:
        """Every reading of ``key`` (raises :class:`UnknownKey`, listing the keys shown, if none)."""
        if key not in self._by_key:
            where = f"at pause {self.pause}" if self.pause >= 0 else "in these pictures"
            shown = ", ".join(self.keys()) or "(none)"
            raise UnknownKey(f"nothing is drawn under the key {key!r} {where}; keys shown: {shown}")
        return self._by_key[key]

    def _unique(self, key: str) -> dict[tuple, Drawn]:
        out: dict[tuple, Drawn] = {}
        for d in self.readings(key):
            prev = out.get(d.index)
            if prev is not None and prev.text != d.text:
                raise ValueError(
                    f"{key}{list(d.index)} is drawn twice with different strings: "
                    f"{prev.text!r} and {d.text!r}"
                )
            out[d.index] = d
        return out

    # --- strings and values by index ---------------------------------------------------------------------
    def texts(self, key: str) -> dict[tuple, str | None]:
        """``{index: drawn string}`` of ``key``."""
        return {i: d.text for i, d in self._unique(key).items()}

    def centers(self, key: str) -> dict[tuple, tuple[float, float] | None]:
        """``{index: (x, y)}``: where each element of ``key`` is drawn (e.g. that y_t sits under x_t)."""
        return {i: d.center for i, d in self._unique(key).items()}

    def values(self, key: str) -> dict[tuple, Any]:
        """``{index: value}`` of ``key`` (for marks located by their geometry: the value read back)."""
        return {i: d.value for i, d in self._unique(key).items()}

    def text(self, key: str, index: tuple | Hashable = ()) -> str | None:
        """The string drawn for one element (``index`` may be a tuple or a single int/str)."""
        index = index if isinstance(index, tuple) else (index,)
        texts = self.texts(key)
        if index not in texts:
            raise UnknownKey(f"{key!r} has no element {index}; drawn: {sorted(texts, key=repr)}")
        return texts[index]

    def value(self, key: str, index: tuple | Hashable = ()) -> Any:
        """The value recorded for one element."""
        index = index if isinstance(index, tuple) else (index,)
        values = self.values(key)
        if index not in values:
            raise UnknownKey(f"{key!r} has no element {index}; drawn: {sorted(values, key=repr)}")
        return values[index]

    def array(self, key: str) -> np.ndarray:
        """The drawn strings of ``key`` as an array shaped by its integer indices (``(i, j)`` → 2-D, ``()`` →
        0-d). Every position of the bounding shape must be drawn, else a ValueError names the missing ones."""
        return self._as_array(key, self.texts(key), str)

    def value_array(self, key: str) -> np.ndarray:
        """The recorded values of ``key`` as a float array shaped like :meth:`array` (plotted points add a
        trailing axis: ``value_array("flops")[:, 1]`` are the y values read back)."""
        return self._as_array(key, self.values(key), float)

    @staticmethod
    def _as_array(key: str, items: dict[tuple, Any], dtype) -> np.ndarray:
        idx = list(items)
        if not all(all(isinstance(k, int | np.integer) for k in i) for i in idx):
            raise ValueError(f"{key!r} has non-integer indices {idx[:4]}; use texts()/values()")
        ndims = {len(i) for i in idx}
        if len(ndims) != 1:
            raise ValueError(f"{key!r} mixes indices of different lengths: {sorted(ndims)}")
        (nd,) = ndims
        shape = tuple(max(i[k] for i in idx) + 1 for k in range(nd))
        missing = [i for i in np.ndindex(*shape) if i not in items]
        if missing:
            raise ValueError(f"{key!r} is not drawn at {missing[:8]} (of shape {shape})")
        ordered = [items[i] for i in np.ndindex(*shape)]
        if dtype is str:
            out = np.empty(len(ordered), dtype=object)
            out[:] = ordered
            return out.astype(str).reshape(shape)
        arr = np.asarray(ordered, dtype=float)  # points (x, y) keep their trailing axis
        return arr.reshape(shape + arr.shape[1:])

    def contains_text(self, fragment: str) -> bool:
        """Whether any visible string contains ``fragment``."""
        return any(fragment in s for s in self.strings)

    # --- several pauses ------------------------------------------------------------------------------------
    @staticmethod
    def merge(pictures: Sequence[Picture]) -> Picture:
        """All pauses in one: the last reading per (key, index) wins; strings kept once, in order."""
        last: dict[tuple[str, tuple], Drawn] = {}
        for p in pictures:
            for d in p.drawn:
                last.pop((d.key, d.index), None)
                last[(d.key, d.index)] = d
        strings = tuple(dict.fromkeys(s for p in pictures for s in p.strings))
        return Picture(tuple(last.values()), strings)


def picture(mobjects: Iterable[Mobject], pause: int = -1, kind: str = "") -> Picture:
    """The picture made by ``mobjects`` (a scene's ``self.mobjects``): visible readings and strings."""
    drawn: list[Drawn] = []
    strings: list[str] = []

    def walk(m: Mobject) -> None:
        t = tag_of(m)
        if t is not None and is_visible(m):
            value = t.locate(m) if t.locate is not None else t.value
            x, y = m.get_center()[:2]
            drawn.append(Drawn(t.key, t.index, value, drawn_string(m), (float(x), float(y))))
        if isinstance(m, TEXT_TYPES):
            if (m.has_points() or m.submobjects) and is_visible(m):
                s = drawn_string(m)
                if s:
                    strings.append(s)
            if isinstance(m, MathTex):  # numbers inside a formula are tagged parts (scenes.kit.formula)
                for part in m.submobjects:
                    if tag_of(part) is not None:
                        walk(part)
            return
        for sub in m.submobjects:
            walk(sub)

    for m in mobjects:
        walk(m)
    return Picture(tuple(drawn), tuple(strings), pause, kind)


def run_fast(
    cls, params=None, locale: str = "en", hooks: tuple = (), media_dir: str | None = None, narration=None
):
    """The fast mode of the tests (:func:`scenes.engine.runner.run_skipping`: every animation skipped, nothing
    written) with the picture on screen read into ``scene.pictures`` at every pause, before ``hooks`` run."""
    from scenes.engine.runner import run_skipping

    return run_skipping(cls, params, locale, (record_pause, *hooks), media_dir, narration)


def record_pause(scene, kind: str, index: int) -> None:
    """A pause hook: append the picture at this pause to ``scene.pictures``."""
    scene.pictures.append(picture(scene.mobjects, index, kind))
