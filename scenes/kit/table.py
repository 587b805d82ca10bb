"""A table of numbers on Manim's ``Table``: theme-font cells, right-aligned columns, a header rule.

    t = NumberTable(
        [lengths, attn_seconds, scan_seconds],  # columns
        header=["T", "attention", "scan"],
        formats=[numbers.length, numbers.duration, numbers.duration],
        colors=[theme.FG, theme.ATTN, theme.SSM],
        keys=["time_len", "attn_s", "scan_s"],  # each column's reading key, index (row,)
    )

Give ``key=`` instead of ``keys=`` to tag the whole body as one matrix, index ``(row, col)``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Literal

from manim import RIGHT, Mobject, Table, VGroup

from scenes.kit import numbers, theme
from scenes.kit.record import tag
from scenes.kit.text import text

Format = Callable[[Any], str]


class NumberTable(Table):
    """Columns of numbers (or strings) under a header, every cell a theme ``Text``, each tagged.

    Parameters (lengths in scene units):
        columns: one sequence per column (all the same length); numbers go through that column's format.
        header: one caption per column (theme font; ``None`` for no header row); a caption may also be a
            ready mobject (e.g. a name over the setting it was measured with, stacked by ``frame.column``).
        formats: one ``value -> str`` per column, or one for all (default ``numbers.fixed(v, 2)``;
            strings are drawn as they are).
        colors: one colour per column, or one for all.
        keys: one reading key per column (``None`` leaves a column untagged), index ``(row,)``;
        key: alternatively one key for the whole body, index ``(row, col)``.
        size, header_size: font sizes of cells and header.
        rules: "header" (a rule under the header), "all" (Manim's grid) or "none".
        h_buff, v_buff: horizontal / vertical space between cells.
    """

    def __init__(
        self,
        columns: Sequence[Sequence[Any]],
        *,
        header: Sequence[str | Mobject] | None = None,
        formats: Sequence[Format] | Format | None = None,
        colors: Sequence[object] | object = theme.FG,
        keys: Sequence[str | None] | None = None,
        key: str | None = None,
        size: int = theme.LABEL,
        header_size: int = theme.SMALL,
        rules: Literal["header", "all", "none"] = "header",
        h_buff: float = 0.6,
        v_buff: float = 0.22,
    ) -> None:
        ncol = len(columns)
        nrow = len(columns[0]) if ncol else 0
        if any(len(c) != nrow for c in columns):
            raise ValueError("every column needs the same number of rows")
        fmts = list(formats) if isinstance(formats, list | tuple) else [formats] * ncol
        cols = list(colors) if isinstance(colors, list | tuple) else [colors] * ncol
        if keys is not None and len(keys) != ncol:
            raise ValueError("keys needs one entry per column")
        self.raw = [list(c) for c in columns]

        def fmt(j: int, v: Any) -> str:
            if isinstance(v, str):
                return v
            return fmts[j](v) if fmts[j] is not None else numbers.fixed(v, 2)

        body = [[fmt(j, self.raw[j][i]) for j in range(ncol)] for i in range(nrow)]
        col_labels = (
            [
                text(h, size=header_size, color=cols[j]) if isinstance(h, str) else h
                for j, h in enumerate(header)
            ]
            if header
            else None
        )
        super().__init__(
            body,
            col_labels=col_labels,
            element_to_mobject=lambda s: text(s, size=size),
            include_outer_lines=False,
            h_buff=h_buff,
            v_buff=v_buff,
            line_config={"stroke_color": theme.GRID, "stroke_width": 1.5},
            arrange_in_grid_config={"cell_alignment": RIGHT},
        )
        for i in range(nrow):
            for j in range(ncol):
                cell = self.get_entries_without_labels((i + 1, j + 1))
                cell.set_color(cols[j])
                v = self.raw[j][i]
                if key is not None:
                    tag(cell, key, v, (i, j))
                elif keys is not None and keys[j] is not None:
                    tag(cell, keys[j], v, (i,))
        if rules != "all":
            hl, vl = self.get_horizontal_lines(), self.get_vertical_lines()
            keep = [hl[0]] if rules == "header" and header and len(hl) else []
            self.remove(*hl, *vl)  # Table adds each line on its own
            self.rules = VGroup(*keep)
            self.add(*keep)

    def cell(self, row: int, col: int):
        """The body cell at (row, col), 0-based, header excluded."""
        return self.get_entries_without_labels((row + 1, col + 1))
