"""Kit components: layout helpers, named equation terms, adaptive heatmaps, one-piece reveals."""

from __future__ import annotations

import numpy as np
import pytest
from manim import DOWN, LEFT, UP, FadeOut, ManimColor, Square, config

from scenes.engine.base import LectureScene
from scenes.engine.probe import run_fast
from scenes.engine.registry import SceneParams
from scenes.kit import theme
from scenes.kit.bars import Bars, ShareBar
from scenes.kit.equation import Equation, UnknownTerm
from scenes.kit.frame import SAFE, fit, fit_width, grid, keep_inside, safe_area, to_safe
from scenes.kit.matrix import Heatmap
from scenes.kit.plot import Plot
from scenes.kit.tokens import TokenStrip


# --- frame -------------------------------------------------------------------------------------------
def test_safe_area_is_the_frame_less_the_margin():
    assert SAFE.left == pytest.approx(-config.frame_width / 2 + theme.EDGE, abs=1e-12)
    assert SAFE.top == pytest.approx(config.frame_height / 2 - theme.EDGE, abs=1e-12)
    assert safe_area(0).width == pytest.approx(config.frame_width, abs=1e-12)
    assert SAFE.point(-1, 1) == pytest.approx(np.array([SAFE.left, SAFE.top, 0.0]))


def test_fit_only_shrinks():
    small, big = Square(1.0), Square(20.0)
    assert fit_width(small).width == pytest.approx(1.0)
    assert fit_width(big).width == pytest.approx(SAFE.width)
    assert fit_width(Square(3.0), 2.0).width == pytest.approx(2.0)
    tall = fit(Square(10.0))
    assert tall.height == pytest.approx(SAFE.height) and tall.width == pytest.approx(SAFE.height)


def test_to_safe_and_keep_inside():
    s = to_safe(Square(1.0), UP, LEFT)
    assert (s.get_left()[0], s.get_top()[1]) == pytest.approx((SAFE.left, SAFE.top))
    s = keep_inside(Square(1.0).move_to([100.0, -100.0, 0]))
    assert (s.get_right()[0], s.get_bottom()[1]) == pytest.approx((SAFE.right, SAFE.bottom))


def test_grid_places_row_by_row():
    g = grid([Square(1.0) for _ in range(6)], cols=3, buff=0.5)
    xs = [round(m.get_x(), 9) for m in g]
    ys = [round(m.get_y(), 9) for m in g]
    assert xs[:3] == xs[3:] and xs[0] < xs[1] < xs[2] and xs[1] - xs[0] == pytest.approx(1.5)
    assert ys[0] == ys[1] == ys[2] and ys[3] == pytest.approx(ys[0] - 1.5)


# --- equation ----------------------------------------------------------------------------------------
ATTN = r"\mathrm{softmax}\left(\frac{Q K^T}{\sqrt{d_k}}\right) V"


def test_terms_are_coloured_by_name():
    eq = Equation(ATTN, terms=["Q", "K^T", r"\sqrt{d_k}", "V"], colors={"K^T": theme.MAT_B})
    k = eq.term("K^T")
    assert len(k.submobjects) == 1 and len(k.family_members_with_points()) == 2  # K and T
    assert all(ManimColor(m.get_color()) == theme.MAT_B for m in k.family_members_with_points())
    others = [m for m in eq.family_members_with_points() if m not in k.family_members_with_points()]
    assert others and all(ManimColor(m.get_color()) == theme.FG for m in others)
    assert len(eq.term(r"\sqrt{d_k}").family_members_with_points()) == 4  # radical, bar, d, k


def test_named_terms_and_every_occurrence():
    eq = Equation(r"h_t = \Delta_t A + \Delta_t B", terms={"step": r"\Delta_t", "A": "A"})
    assert len(eq.term("step").submobjects) == 2  # both occurrences
    assert eq.term(r"\Delta_t").family_members_with_points() == eq.term("step").family_members_with_points()


def test_unknown_and_misplaced_terms_are_refused_by_name():
    eq = Equation(ATTN, terms=["Q"])
    with pytest.raises(UnknownTerm, match=r"no term 'W'; its terms: Q"):
        eq.term("W")
    with pytest.raises(UnknownTerm, match=r"term 'W_o' \('W_o'\) does not occur"):
        Equation(ATTN, terms=["W_o"])
    with pytest.raises(ValueError, match=r"'t' \('t'\) occurs inside the TeX command \\ma"):
        Equation(ATTN, terms=["t"])  # the t of \mathrm / \sqrt: isolating it would break the TeX


# --- heatmap -----------------------------------------------------------------------------------------
def test_heatmap_adapts_digits_to_the_cell():
    v = np.array([[-12.345, 0.5], [3.25, 100.0]])
    assert Heatmap(v, key="a", digits=2, cell=1.2).digits == 2
    assert Heatmap(v, key="a", digits=2, cell=0.55).digits == 0
    assert len(Heatmap(v, key="a", digits=2, cell=0.2).numbers) == 0  # nothing fits: colours only
    auto = Heatmap(np.zeros((4, 40)), key="a", max_width=8.0)
    assert auto.cell == pytest.approx(8.0 / 40)


def test_heatmap_scales():
    seq = Heatmap([[0.0, 1.0]], key="p", scale="sequential", cell=1.0)
    assert ManimColor(seq.cell_at(0, 0).get_fill_color()) == ManimColor(theme.SEQ_LOW)
    assert ManimColor(seq.cell_at(0, 1).get_fill_color()) == ManimColor(theme.SEQ_HIGH)
    ink = seq.number_at(0, 1).family_members_with_points()[0].get_fill_color()
    assert ManimColor(ink) == theme.BACKGROUND  # dark ink on the bright cell
    div = Heatmap([[-2.0, 0.0, 2.0]], key="s", cell=1.0)
    assert [ManimColor(div.cell_at(0, j).get_fill_color()) for j in range(3)] == [
        ManimColor(theme.NEG),
        ManimColor(theme.ZERO),
        ManimColor(theme.POS),
    ]


def test_heatmap_labels_and_highlights_sit_on_their_cells():
    hm = Heatmap(np.ones((2, 3)), key="a", cell=0.8, row_labels=["x", "y"], col_labels=["a", "b", "c"])
    assert hm.row_labels[1].get_y() == pytest.approx(hm.cell_at(1, 0).get_y())
    assert hm.col_labels[2].get_x() == pytest.approx(hm.cell_at(0, 2).get_x())
    assert hm.highlight_row(1).get_y() == pytest.approx(hm.cell_at(1, 1).get_y())
    assert hm.highlight_col(2).get_x() == pytest.approx(hm.cell_at(1, 2).get_x())


# --- bars, tokens ------------------------------------------------------------------------------------
def test_bars_are_proportional_and_labelled():
    b = Bars([1.0, 0.5, 0.0], key="d", length=2.0)
    assert [round(r.height, 9) for r in b.bars] == [2.0, 1.0, 0.02]  # a zero keeps a visible sliver
    h = Bars([4.0, 1.0], key="f", direction="horizontal", length=3.0, labels=["long name", "x"])
    assert h.bar(1).width == pytest.approx(0.75)
    assert h.labels[0].get_right()[0] == pytest.approx(h.labels[1].get_right()[0])
    share = ShareBar([("a", 3.0, theme.FG), ("b", 1.0, theme.STATE)], key="p", width=8.0)
    assert share.bar[0].width == pytest.approx(6.0) and share.bar[1].width == pytest.approx(2.0)


def test_token_cursor_moves_onto_the_token():
    strip = TokenStrip(["a", "bb", "ccc"])
    cur = strip.cursor(0)
    anim = strip.move_cursor(2)
    anim.begin()
    anim.finish()
    assert cur.get_center() == pytest.approx(strip.chip(2).get_center())
    assert strip.position == 2


# --- one-piece reveals: a later FadeOut leaves nothing behind --------------------------------------------
class GrowThenFade(LectureScene):
    class Params(SceneParams):
        pass

    def construct(self) -> None:
        bars = Bars([1.0, 2.0], key="b", labels=["p", "q"])
        plot = Plot((0, 2, 1), (0, 2, 1), width=3, height=2).to_edge(DOWN)
        series = plot.series([0, 1, 2], [0, 1, 2], theme.OUTPUT, key="s")
        hm = Heatmap([[1.0, 2.0]], key="h", cell=0.8).to_edge(UP)
        self.add(plot, hm)
        self.play(bars.grow(), series.grow(), hm.change(0, 1, -1.0))
        self.next_slide()
        self.play(FadeOut(bars), FadeOut(series), FadeOut(hm))
        self.next_slide()


def test_grown_components_leave_no_loose_pieces(tmp_path):
    scene = run_fast(GrowThenFade, None, "en", media_dir=str(tmp_path))
    p0, p1, _ = scene.pictures
    assert p0.keys() == ["b", "b_label", "h", "s"] and p0.text("h", (0, 1)) == "\u22121.00"
    assert p1.keys() == []  # everything that grew or changed is gone with its component


def test_token_chips_are_independent_copies_sized_to_their_labels():
    a, b = TokenStrip(["tok", "x"]), TokenStrip(["tok"], color=theme.ACCENT)
    box_a, box_b = a.chip(0)[0], b.chip(0)[0]
    assert box_a is not box_b and box_a.width == pytest.approx(box_b.width)
    assert box_a.get_stroke_color() != box_b.get_stroke_color()  # the colour is part of the cached box
    before = box_b.get_center().copy()
    box_a.shift([1.0, 0.0, 0.0])
    assert box_b.get_center() == pytest.approx(before)  # a cached prototype is never shared
    assert a.chip(0)[0].width == pytest.approx(max(a.chip(0)[1].width + 0.3, 0.6))
    assert a.chip(1)[0].width == pytest.approx(0.6)  # a short token keeps the minimum chip width


def test_clear_above_lifts_a_label_off_the_curve_beneath_it_and_leaves_a_clear_one():
    from manim import Square, VMobject

    from scenes.kit.frame import clear_above

    xs = np.linspace(0, 4, 401)
    curve = VMobject().set_points_as_corners(np.c_[xs, xs / 2, 0 * xs])  # a plotted series: climbs 0.5 a unit
    label = Square(side_length=1).move_to([1.5, 0.2, 0])  # spans x 1 … 2, where the curve reaches y = 1
    clear_above(label, curve, gap=0.1)
    assert abs(label.get_bottom()[1] - 1.1) < 1e-9 and abs(label.get_center()[0] - 1.5) < 1e-9
    high = Square(side_length=1).move_to([1.5, 3, 0])
    clear_above(high, curve)
    assert abs(high.get_center()[1] - 3) < 1e-9  # already clear: not moved
