"""Kit options the sequence tables and block diagrams need: chip cells in rows, column-by-column reveals,
signed bars, named bars and shares, and where each reading is drawn."""

from __future__ import annotations

import numpy as np
import pytest
from manim import DOWN, UP, FadeOut

from scenes.engine.base import LectureScene
from scenes.engine.probe import run_fast
from scenes.engine.registry import SceneParams
from scenes.kit import numbers, theme
from scenes.kit.anim import fade_in
from scenes.kit.bars import Bars, ShareBar
from scenes.kit.matrix import Heatmap


def test_heatmap_chip_cells_keep_their_pitch():
    hm = Heatmap([[1.5, -2.25, 3.0]], key="x", scale="plain", cell=1.0, cell_height=0.5, gap=0.1, digits=1)
    assert hm.cell_at(0, 0).width == pytest.approx(0.9) and hm.cell_at(0, 0).height == pytest.approx(0.4)
    assert hm.cell_at(0, 2).get_x() - hm.cell_at(0, 0).get_x() == pytest.approx(2.0)  # pitch = cell
    two = Heatmap(np.ones((2, 2)), key="h", cell=1.0, cell_height=0.5)
    assert two.cell_at(0, 0).get_y() - two.cell_at(1, 0).get_y() == pytest.approx(0.5)
    assert hm.number_at(0, 1).original_text == "−2.3"  # half away from zero on "−2.25"


def test_heatmap_gap_and_pad_decide_the_digits():
    v = [[-0.19, 0.5]]
    assert Heatmap(v, key="a", cell=0.64).digits == 1  # "−0.19" needs 0.53 + 2 × 0.08
    assert Heatmap(v, key="a", cell=0.64, pad=0.04).digits == 2
    assert Heatmap(v, key="a", cell=0.7).digits == 2
    assert Heatmap(v, key="a", cell=0.7, gap=0.1).digits == 1  # the gap is not room for digits


def test_heatmap_column_holds_that_column():
    hm = Heatmap(np.arange(6.0).reshape(2, 3), key="m", cell=0.8)
    col = hm.column(1)
    assert len(col) == 4
    assert {round(m.get_x(), 9) for m in col} == {round(hm.cell_at(0, 1).get_x(), 9)}
    assert [m.original_text for m in col[2:]] == ["1.00", "4.00"]


def test_signed_bars_hang_from_one_baseline():
    b = Bars([2.0, -1.0, 0.5], key="k", signed=True, length=1.0, show_values=False)
    base = b.baseline()
    assert b.bar(0).get_bottom()[1] == pytest.approx(base) and b.bar(0).height == pytest.approx(1.0)
    assert b.bar(1).get_top()[1] == pytest.approx(base) and b.bar(1).height == pytest.approx(0.5)
    assert len(b.values_text) == 0
    first_negative = Bars([-1.0, 1.0], key="k", signed=True).shift(UP)
    assert first_negative.bar(0).get_top()[1] == pytest.approx(first_negative.baseline())
    assert first_negative.bar(1).get_bottom()[1] == pytest.approx(first_negative.baseline())


def test_bar_labels_are_read_with_their_values():
    b = Bars([3.0, 1.0], key="f", labels=["in", "out"], label_color=[theme.FG, theme.STATE])
    assert b.item(1)[0] is b.bar(1) and len(b.item(1)) == 3
    share = ShareBar(
        [("projections", 3.0, theme.FG), ("SSM", 1.0, theme.STATE)], key="p", ids=["proj", "ssm"]
    )
    assert share.legend[1][1][1][0].original_text == "1"


class Drawn(LectureScene):
    class Params(SceneParams):
        pass

    def construct(self) -> None:
        hm = Heatmap([[1.0, 2.0, 3.0]], key="h", cell=0.8).to_edge(UP)
        bars = Bars([1.0, -2.0], key="b", labels=["p", "q"], signed=True).to_edge(DOWN)
        share = ShareBar([("one", 1.0, theme.FG), ("three", 3.0, theme.STATE)], key="s", ids=["a", "b"])
        for j in range(3):
            self.play(fade_in(hm.column(j)))
        self.play(bars.grow(), fade_in(share))
        self.next_slide()
        self.play(FadeOut(hm), FadeOut(bars), FadeOut(share))
        self.next_slide()


def test_readings_say_where_and_columns_leave_nothing_behind(tmp_path):
    scene = run_fast(Drawn, None, "en", media_dir=str(tmp_path))
    p0, p1, _ = scene.pictures
    assert p0.array("h").tolist() == [["1.00", "2.00", "3.00"]]
    xs = [c[0] for _, c in sorted(p0.centers("h").items())]
    assert xs == sorted(xs) and xs[1] - xs[0] == pytest.approx(0.8)  # drawn left to right, one cell apart
    assert p0.texts("b_label") == {(0,): "p", (1,): "q"} and p0.text("b", 1) == "−2.00"
    assert p0.centers("b")[(1,)][1] < p0.centers("b")[(0,)][1]  # the negative value sits below the line
    assert p0.text("s", "b") == "3" and p0.text("s_share", "a") == numbers.percent(0.25)
    assert p1.keys() == []  # the heatmap came in column by column and went out whole


def test_heatmap_draws_minus_infinity_as_a_masked_cell():
    from scenes.kit import theme

    hm = Heatmap([[1.5, -np.inf], [-0.5, 2.0]], key="s", digits=1, cell=0.8)
    assert hm.vmax == 2.0  # the scale ignores the masked cell
    assert hm.number_at(0, 1).original_text == "−∞"
    assert hm.cell_at(0, 1).get_fill_color().to_hex() == theme.MASK.to_hex()
    assert hm.cell_at(1, 1).get_fill_color().to_hex() != theme.MASK.to_hex()


def test_signed_vertical_bars_put_every_name_under_the_lowest_value():
    b = Bars([1.0, -2.0, 0.5], key="b", labels=["p", "q", "r"], signed=True)
    low = min(m.get_bottom()[1] for m in [*b.bars, *b.values_text])
    tops = {round(lab.get_top()[1], 9) for lab in b.labels}
    assert len(tops) == 1 and tops.pop() < low  # one line of names, below the hanging bar and its number
