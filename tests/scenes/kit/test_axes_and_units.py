"""Kit pieces for axes and units: log ranges with a tick step, nice linear ticks, scatter points, byte
sizes in one unit, duration decades, half-K lengths, tables with composite headers, word + symbol labels,
roomier blocks (cards), heatmaps with one number format over many steps and labels under their columns.

Every expected value is written by hand.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from manim import MathTex, Text

from scenes.engine.probe import picture
from scenes.kit import numbers as n
from scenes.kit import theme
from scenes.kit.diagram import Block
from scenes.kit.frame import column
from scenes.kit.matrix import Heatmap
from scenes.kit.plot import Plot, log_bounds, nice_step, nice_ticks
from scenes.kit.table import NumberTable
from scenes.kit.text import symbol_label, text

GB = 1 << 30


def test_duration_with_one_significant_digit_labels_decades():
    assert [n.duration(10.0**e, sig=1) for e in range(-5, 1)] == [
        "10 µs",
        "100 µs",
        "1 ms",
        "10 ms",
        "100 ms",
        "1 s",
    ]
    assert n.duration(0.000999, sig=1) == "1 ms"  # rounds up into the next unit
    assert n.duration(0.0123) == "12.3 ms"  # three digits stay the default


def test_length_says_halves_of_k_and_m():
    assert [n.length(t) for t in (512, 1024, 1536, 2560, 6144, 3 << 19)] == [
        "512",
        "1K",
        "1.5K",
        "2.5K",
        "6K",
        "1.5M",
    ]
    assert n.length(1280) == "1,280"  # a quarter is not said in K
    assert n.length(768) == "768"  # below 1K: plain


def test_byte_size_in_one_unit_and_the_unit_of_a_size():
    assert n.byte_size(GB // 2, 1, system="jedec", unit="GB") == "0.5 GB"
    assert n.byte_size(5 * GB // 2, 1, system="jedec", unit="GB") == "2.5 GB"
    assert n.byte_size(3 * GB, 0, system="jedec", unit="GB") == "3 GB"
    assert n.byte_size(1536, 2, unit="MiB") == "0.00 MiB"
    with pytest.raises(ValueError, match="'GiB' is not one of jedec"):
        n.byte_size(GB, system="jedec", unit="GiB")
    assert n.byte_unit(5 * GB // 2, system="jedec") == (GB, "GB")
    assert n.byte_unit(1023, system="jedec") == (1, "B")
    assert n.byte_unit(1000, system="si") == (1000, "kB")


def test_log_bounds_bracket_the_values_on_whole_powers():
    assert log_bounds([3e9, 7e13]) == (1e9, 1e14)
    assert log_bounds([3e9, 7e13], every=2) == (1e8, 1e14)
    assert log_bounds([1e9, 1e12]) == (1e9, 1e12)  # exact powers stay
    assert log_bounds([5.0, 6.0]) == (1.0, 10.0)  # at least one power apart
    assert log_bounds([3 * 2**25, 2**39], 2, 5) == (2.0**25, 2.0**40)


def test_nice_steps_and_ticks():
    assert [nice_step(s, 4) for s in (8, 2, 10, 3, 97.5)] == [2.0, 0.5, 2.5, 1.0, 25.0]
    assert nice_step(97.5, 1) == 100.0
    assert nice_ticks(8192, 4, 1024) == [2048.0, 4096.0, 6144.0, 8192.0]
    assert nice_ticks(100) == [25.0, 50.0, 75.0, 100.0]
    assert nice_ticks(2.7 * GB, 4, GB) == [GB, 2.0 * GB, 3.0 * GB]  # the last tick is the top, above 2.7
    assert nice_ticks(500, 4, cover=False) == [200.0, 400.0]  # an axis ending at 500: no tick past it
    assert nice_ticks(2048, 4, 1024, cover=False) == [512.0, 1024.0, 1536.0, 2048.0]


def test_log_axis_with_a_step_ticks_and_labels_every_step_powers():
    p = Plot(
        (256, 4096),
        (2**25, 2**40, 5),
        x_scale="log",
        x_base=2,
        y_scale="log",
        y_base=2,
        y_format=lambda v: n.byte_size(v, 0, system="jedec"),
    )
    assert [t.text for t in p.y_tick_labels] == ["32MB", "1GB", "32GB", "1TB"]  # Text.text drops spaces
    assert len(p.axes.y_axis.ticks) == 4
    assert len(p.axes.x_axis.ticks) == 5  # no step on x: every power of 2 from 2^8 to 2^12
    for label, e in zip(p.y_tick_labels, (25, 30, 35, 40), strict=True):
        assert label.get_y() == pytest.approx(p.c2p(256, 2.0**e)[1], abs=1e-9)


def test_scatter_points_are_tagged_where_they_are_drawn():
    p = Plot((0, 10, 2), (0, 100, 25), width=5, height=3)
    marks = p.scatter([1.0, 7.5], [20.0, 80.0], theme.ACCENT, key="pt")
    pic = picture([p, marks])
    np.testing.assert_allclose(pic.value_array("pt"), [[1.0, 20.0], [7.5, 80.0]], rtol=0, atol=1e-12)
    assert pic.texts("pt") == {(0,): None, (1,): None}  # marks without text
    assert len(marks) == 2 and all(math.isclose(d.radius, 0.06) for d in marks)


def test_table_headers_may_be_mobjects():
    head = column([text("attention", size=theme.SMALL), text("one head", size=theme.SMALL)], align="right")
    t = NumberTable(
        [[128, 256], [0.5, 0.25]], header=["T", head], formats=[n.length, n.fixed], keys=["t", "s"]
    )
    assert t.get_col_labels()[1] is head
    assert t.get_col_labels()[0].text == "T"
    pic = picture([t])
    assert list(pic.array("t")) == ["128", "256"] and list(pic.array("s")) == ["0.50", "0.25"]
    assert head.get_bottom()[1] > t.cell(0, 1).get_top()[1]  # the header stands above the first row


def test_symbol_label_is_a_word_then_a_symbol():
    label = symbol_label("decay", r"\bar A_t", theme.MAT_A, size=theme.LABEL)
    word, sym = label
    assert isinstance(word, Text) and word.text == "decay"
    assert isinstance(sym, MathTex) and sym.tex_string == r"\bar A_t"
    assert word.get_right()[0] < sym.get_left()[0]
    assert sym.get_left()[0] - word.get_right()[0] == pytest.approx(theme.BUFF_SMALL, abs=1e-9)
    assert sym.font_size == pytest.approx(theme.LABEL * 1.45)


def test_block_spacing_and_padding():
    lines = [text("Mamba", size=theme.HEADING), text("2.77 B parameters", size=theme.LABEL)]
    tight = Block(None, lines=[m.copy() for m in lines], width=6)
    roomy = Block(None, lines=[m.copy() for m in lines], width=6, spacing=0.2, pad=0.25)
    gap = roomy.texts[0].get_bottom()[1] - roomy.texts[1].get_top()[1]
    assert gap == pytest.approx(0.2, abs=1e-9)
    assert roomy.box.height == pytest.approx(roomy.texts.height + 0.5, abs=1e-9)
    assert tight.texts[0].get_bottom()[1] - tight.texts[1].get_top()[1] == pytest.approx(0.09, abs=1e-9)
    assert tight.box.height == pytest.approx(tight.texts.height + 0.3, abs=1e-9)  # the defaults are kept


def test_heatmap_digits_fitted_to_every_step():
    step0, all_steps = [[0.25, 0.5]], [0.25, 0.5, -0.987]
    alone = Heatmap(step0, key="h", cell=0.6)  # "0.25" fits a 0.6 cell, two decimals
    fixed = Heatmap(step0, key="h", cell=0.6, fit_values=all_steps)  # "−0.99" would not: one decimal
    assert alone.digits == 2 and [m.text for m in alone.numbers] == ["0.25", "0.50"]
    assert fixed.digits == 1 and [m.text for m in fixed.numbers] == ["0.3", "0.5"]  # 0.25 → 0.3 (half up)


def test_heatmap_column_labels_below():
    hm = Heatmap([[0.1, 0.2, 0.3]], key="h", cell=0.9, col_labels=["a", "b", "c"], col_labels_below=True)
    for j, lab in enumerate(hm.col_labels):
        assert lab.get_top()[1] == pytest.approx(
            hm.cell_at(0, j).get_bottom()[1] - theme.BUFF_SMALL, abs=1e-9
        )
        assert lab.get_x() == pytest.approx(hm.cell_at(0, j).get_x(), abs=1e-9)
    above = Heatmap([[0.1, 0.2, 0.3]], key="h", cell=0.9, col_labels=["a", "b", "c"])
    assert above.col_labels[0].get_bottom()[1] > above.cell_at(0, 0).get_top()[1]  # the default stays above
