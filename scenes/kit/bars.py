"""Bar charts with their values written on them, and a stacked share bar.

Not Manim's ``BarChart``: its bar names and numbers are TeX (no Chinese, and numbers formatted by
Manim rather than by ``scenes.kit.numbers``). These are plain rectangles, scaled to ``vmax``, each value
label tagged ``(key, (k,))``.

    b = Bars(delta_t, key="delta", labels=tokens, color=theme.DELTA, fmt=lambda v: numbers.fixed(v, 2))
    self.play(b.grow())
    share = ShareBar([("projections", 1.2e6, theme.FG), ("SSM", 1e5, theme.STATE)], key="params")
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Literal

from manim import DOWN, LEFT, RIGHT, UP, Rectangle, VGroup

from scenes.kit import numbers, theme
from scenes.kit.anim import Reveal
from scenes.kit.record import tag
from scenes.kit.text import text


class Bars(VGroup):
    """One bar per value, its value written at its end, its label at its base.

    Parameters (lengths in scene units):
        values: the numbers (≥ 0; a negative value draws a sliver unless ``signed``).
        key: reading key of the value labels (index ``(k,)``).
        labels: one category label per bar (strings, theme font), or ``None``; tagged ``key + "_label"``,
            index ``(k,)``, so a test reads which name stands beside which value.
        color: one colour, or one per bar.
        label_color: colour of the category labels, one or one per bar (default theme.MUTED).
        signed: negative values extend below (horizontal: left of) the common baseline, scaled by the
            largest |value|, their numbers beyond their ends (a kernel, a signed weight).
        show_values: write the values (``False``: bars only, when the numbers are shown elsewhere).
        fmt: ``value -> str`` (default ``numbers.fixed(v, 2)``).
        direction: "vertical" (bars grow up, labels under) or "horizontal" (bars grow right, labels left).
        length: the length of the longest bar (``vmax``).
        thickness, gap: bar thickness and the (least) space between bars; vertical bars move apart as
            far as their labels need.
        vmax: the value drawn at full ``length`` (default: the largest value).
        size: font size of value and category labels.
    """

    def __init__(
        self,
        values: Sequence[float],
        *,
        key: str,
        labels: Sequence[str] | None = None,
        color=theme.INPUT,
        label_color=theme.MUTED,
        signed: bool = False,
        show_values: bool = True,
        fmt: Callable[[float], str] | None = None,
        direction: Literal["vertical", "horizontal"] = "vertical",
        length: float = 2.5,
        thickness: float = 0.4,
        gap: float = 0.25,
        vmax: float | None = None,
        size: int = theme.SMALL,
    ) -> None:
        super().__init__()
        values = [float(v) for v in values]
        colors = list(color) if isinstance(color, list | tuple) else [color] * len(values)
        fmt = fmt or (lambda v: numbers.fixed(v, 2))
        top = vmax if vmax is not None else max(max(abs(v) if signed else v for v in values), 1e-300)
        self.direction, self.signed = direction, signed
        vertical = direction == "vertical"
        self.bars, self.values_text, self.labels = VGroup(), VGroup(), VGroup()
        label_colors = (
            list(label_color) if isinstance(label_color, list | tuple) else [label_color] * len(values)
        )
        label_mobs = (
            [text(s, size=size, color=c) for s, c in zip(labels, label_colors, strict=True)]
            if labels is not None
            else []
        )
        value_strs = [fmt(v) for v in values] if show_values else []
        pitch = thickness + gap
        if vertical:  # bars far enough apart for their labels and numbers to stay readable side by side
            widths = [m.width for m in label_mobs] + [text(s, size=size).width for s in value_strs]
            widest = max(widths, default=0.0)
            pitch = max(pitch, widest + theme.BUFF_SMALL)
        for k, (v, c) in enumerate(zip(values, colors, strict=True)):
            extent = max(length * (abs(v) if signed else v) / top, 0.02)  # a sliver keeps a zero visible
            w, h = (thickness, extent) if vertical else (extent, thickness)
            bar = Rectangle(width=w, height=h, stroke_color=c, stroke_width=2).set_fill(c, opacity=0.6)
            pos = k * pitch
            below = signed and v < 0  # grows the other way from the baseline
            out = (DOWN if below else UP) if vertical else (LEFT if below else RIGHT)
            if vertical:
                bar.move_to([pos, 0, 0], aligned_edge=-out)
            else:
                bar.move_to([0, -pos, 0], aligned_edge=-out)
            self.bars.add(bar)
            if show_values:
                val = tag(text(value_strs[k], size=size, color=c), key, v, (k,))
                self.values_text.add(val.next_to(bar, out, buff=theme.BUFF_TIGHT))
            if label_mobs:
                lab = tag(label_mobs[k], f"{key}_label", labels[k], (k,))
                if vertical:
                    lab.next_to(bar, DOWN, buff=theme.BUFF_TIGHT)
                else:
                    lab.next_to(bar, LEFT, buff=theme.BUFF_SMALL)
                self.labels.add(lab)
        if vertical and signed and len(self.labels):  # a bar hanging below the line would cover its name:
            low = min(m.get_bottom()[1] for m in [*self.bars, *self.values_text])  # names go under them all
            for lab in self.labels:
                lab.shift((low - theme.BUFF_TIGHT - lab.get_top()[1]) * UP)
        if not vertical and len(self.labels):  # right-align the names against the bars' base
            right = min(lab.get_right()[0] for lab in self.labels)
            for lab in self.labels:
                lab.shift((right - lab.get_right()[0]) * RIGHT)
        self.add(self.bars, self.values_text, self.labels)
        first_below = signed and values[0] < 0  # bar 0 hangs from the baseline: its base is its top / right
        self._start = (UP if first_below else DOWN) if vertical else (RIGHT if first_below else LEFT)

    def bar(self, k: int) -> Rectangle:
        return self.bars[k]

    def item(self, k: int) -> VGroup:
        """Bar ``k`` with its value and label (to frame it: ``SurroundingRectangle(b.item(k))``)."""
        parts = [self.bars[k]]
        if len(self.values_text):
            parts.append(self.values_text[k])
        if len(self.labels):
            parts.append(self.labels[k])
        return VGroup(*parts)

    def baseline(self) -> float:
        """Where every bar starts, as the chart now stands: a y (an x for horizontal bars)."""
        return float(self.bars[0].get_critical_point(self._start)[1 if self.direction == "vertical" else 0])

    def grow(self, run_time: float = 1.2) -> Reveal:
        """The bars grow from their base while their numbers and labels fade in (one animation); signed
        bars grow both ways out of the baseline."""
        edge = DOWN if self.direction == "vertical" else LEFT
        base = self.baseline() if self.signed else None
        return Reveal(self, grow=list(self.bars), edge=edge, base=base, run_time=run_time)


class ShareBar(VGroup):
    """One horizontal bar cut into segments proportional to ``parts`` = [(name, value, colour)], with a
    legend row under it: name, then "value · share %". Values tagged ``(key, (name,))``, shares
    ``(key + "_share", (name,))``; with ``ids`` (one per part) the index is the part's id instead of its
    shown name, so a test reads ``picture.text("params", "ssm")`` in every locale.

    ``fmt`` formats the values (default ``numbers.integer``); ``width``/``height`` in scene units.
    """

    def __init__(
        self,
        parts: Sequence[tuple[str, float, object]],
        *,
        key: str,
        width: float = 12.0,
        height: float = 0.42,
        fmt: Callable[[float], str] = numbers.integer,
        size: int = theme.SMALL,
        ids: Sequence[str] | None = None,
    ) -> None:
        super().__init__()
        total = float(sum(v for _, v, _ in parts))
        self.bar, self.legend = VGroup(), VGroup()
        names = list(ids) if ids is not None else [name for name, _, _ in parts]
        for (name, v, c), index in zip(parts, names, strict=True):
            share = v / total if total else 0.0
            self.bar.add(
                Rectangle(width=max(width * share, 0.04), height=height, stroke_width=0).set_fill(c, 0.85)
            )
            mark = Rectangle(width=0.3, height=0.22, stroke_width=0).set_fill(c, 0.85)
            name_t = text(name, size=size, color=c)
            val_t = tag(text(fmt(v), size=size, color=theme.FG), key, v, (index,))
            pct_t = tag(
                text(numbers.percent(share), size=size, color=theme.FG), f"{key}_share", share, (index,)
            )
            line = VGroup(val_t, text("·", size=size, color=theme.MUTED), pct_t).arrange(RIGHT, buff=0.12)
            self.legend.add(
                VGroup(mark, VGroup(name_t, line).arrange(DOWN, buff=0.06, aligned_edge=LEFT)).arrange(RIGHT)
            )
        self.bar.arrange(RIGHT, buff=0)
        self.legend.arrange(RIGHT, buff=theme.BUFF_SECTION, aligned_edge=UP)
        if self.legend.width > width:
            self.legend.scale_to_fit_width(width)
        self.legend.next_to(self.bar, DOWN, buff=theme.BUFF)
        self.add(self.bar, self.legend)

    def grow(self, run_time: float = 1.2) -> Reveal:
        """The bar grows from the left while the legend fades in (one animation)."""
        return Reveal(self, grow=[self.bar], edge=LEFT, run_time=run_time)
