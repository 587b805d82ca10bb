"""showcase.gallery: what it draws (against torch and derivations by hand) and its golden frames.

One fast-mode run per locale, memoised for this module, gives the pictures, the layout problems and the
pause frames that every test here reads. The golden frames live in
``tests/golden/showcase_gallery/<locale>/``; ``make golden`` (``pytest --update-golden``) rewrites them. The
tolerance tests perturb the last frame the way a regression would (a table moved by half a pixel to three, a
column recoloured, one digit changed) and check that those fail while anti-aliasing noise passes.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
import pytest
import torch
from manim import LEFT, RIGHT, UP, Mobject

from scenes.engine.layout import LayoutProblem, layout_problems
from scenes.kit import numbers, theme
from scenes.kit.table import NumberTable
from scenes.kit.text import text
from scenes.showcase.params.gallery import Params
from tests.golden import frames as golden
from tests.scenes.conftest import REGISTRY

SCENE = "showcase.gallery"
GOLDEN = golden.ROOT / "showcase_gallery"
P = Params()  # the gallery's defaults: every number below is derived from these by hand
LENGTHS = [1 << k for k in range(8, 18)]  # the lengths the cost plot shows, 256 … 128K


@dataclass
class Run:
    scene: object
    problems: list[LayoutProblem]
    frames: dict[str, np.ndarray]  # "p00", "p01" … → (H, W, 3) uint8, one per pause


_RUNS: dict[str, Run] = {}


@pytest.fixture(scope="module")
def gallery(media_dir):
    """gallery(locale) -> Run: the scene with its defaults, run once per locale in fast mode."""

    def run(locale: str) -> Run:
        if locale not in _RUNS:
            grabbed: list[np.ndarray] = []
            spec = REGISTRY[SCENE]
            scene, problems = layout_problems(
                spec.cls,
                spec.params(),
                locale,
                media_dir,
                hooks=(lambda s, kind, i: grabbed.append(golden.rgb(s.capture_frame()).copy()),),
            )
            _RUNS[locale] = Run(scene, problems, {f"p{i:02d}": f for i, f in enumerate(grabbed)})
        return _RUNS[locale]

    return run


def capture(scene, mobjects: list[Mobject]) -> np.ndarray:
    """The frame ``mobjects`` make with the scene's camera, (H, W, 3)."""
    cam = scene.renderer.camera
    cam.reset()
    cam.capture_mobjects(mobjects)
    return golden.rgb(np.array(cam.pixel_array)).copy()


def pixel(scene) -> float:
    """One pixel in scene units."""
    cam = scene.renderer.camera
    return cam.frame_width / cam.pixel_width


# --- the golden frames -----------------------------------------------------------------------------------
@pytest.mark.parametrize("locale", ["en", "zh"])
def test_pause_frames_match_the_golden_frames(gallery, locale, update_golden, tmp_path):
    run = gallery(locale)
    assert not run.problems, "\n".join(map(str, run.problems))
    problems, written = golden.check_frames(
        run.frames, GOLDEN / locale, update=update_golden, out_dir=tmp_path
    )
    if written:
        warnings.warn("golden frames written:\n  " + "\n  ".join(written), stacklevel=1)
    assert not problems, (
        f"{SCENE} [{locale}]: {len(problems)} golden frame problem(s); if the change is intended, run "
        "`make golden` and review the PNGs in the diff\n  " + "\n  ".join(problems)
    )


# --- the tolerance: noise passes, regressions fail ---------------------------------------------------------
@pytest.fixture(scope="module")
def last(gallery):
    """(scene, its last pause frame, the cost table, the formats table) of the English run."""
    run = gallery("en")
    scene = run.scene
    frame = run.frames[max(run.frames)]
    assert np.array_equal(capture(scene, scene.mobjects), frame)  # what is on screen is the last frame
    tables = [m for m in scene.mobjects if isinstance(m, NumberTable)]
    assert len(tables) == 2
    return scene, frame, *tables


def _replace(mobjects: list[Mobject], old: Mobject, *new: Mobject) -> list[Mobject]:
    return [n for m in mobjects for n in ((*new,) if m is old else (m,))]


def test_tolerance_forgives_subpixel_antialiasing(last):
    scene, frame, _, _ = last
    nudge = 0.1 * pixel(scene) * (RIGHT + UP)  # every edge re-rasterised
    nudged = [m.copy().shift(nudge) for m in scene.mobjects]
    diff = golden.compare(capture(scene, nudged), frame)
    assert diff.max_delta > 0  # the frame did change …
    assert diff.matches(golden.Tolerance())  # … only by anti-aliasing


def _moved(last, px: float) -> np.ndarray:
    scene, _, _, formats = last
    return capture(scene, _replace(scene.mobjects, formats, formats.copy().shift(px * pixel(scene) * RIGHT)))


def _recoloured(last) -> np.ndarray:
    scene, _, costs, _ = last
    changed = costs.copy()
    changed.get_columns()[1].set_color(theme.OUTPUT)  # the attention column, ATTN before
    return capture(scene, _replace(scene.mobjects, costs, changed))


def _one_digit_changed(last) -> np.ndarray:
    scene, _, _, formats = last
    changed = formats.copy()
    cell = changed.cell(1, 1)
    assert cell.original_text == numbers.integer(4 * P.d_model**2)  # 67,108,864
    other = text(numbers.integer(4 * P.d_model**2 + 1), size=theme.SMALL).move_to(cell).align_to(cell, LEFT)
    cell.set_opacity(0)
    return capture(scene, [*_replace(scene.mobjects, formats, changed), other])


@pytest.mark.parametrize(
    "perturb",
    [
        pytest.param(lambda last: _moved(last, 0.5), id="table-moved-half-a-pixel"),
        pytest.param(lambda last: _moved(last, 1), id="table-moved-1px"),
        pytest.param(lambda last: _moved(last, 3), id="table-moved-3px"),
        pytest.param(_recoloured, id="column-recoloured"),
        pytest.param(_one_digit_changed, id="one-digit-changed"),
    ],
)
def test_tolerance_catches_a_moved_recoloured_or_changed_part(last, perturb):
    frame = last[1]
    diff = golden.compare(perturb(last), frame)
    assert not diff.matches(golden.Tolerance()), f"only {diff.differing} pixels differ"


def test_a_mismatch_writes_the_actual_frame_and_a_diff_and_names_them(last, tmp_path):
    _, frame, _, _ = last
    folder, out = tmp_path / "golden", tmp_path / "out"
    golden.save(folder / "p04.png", frame)
    moved = _moved(last, 3)
    problems, written = golden.check_frames({"p04": moved}, folder, update=False, out_dir=out)
    actual, diff = out / "p04_actual.png", out / "p04_diff.png"
    assert written == [] and len(problems) == 1
    assert f"actual: {actual}" in problems[0] and f"diff: {diff}" in problems[0]
    assert np.array_equal(golden.load(actual), moved)
    mask = np.all(golden.load(diff) == (255, 0, 255), axis=2)  # magenta where the frames differ
    assert np.array_equal(mask, golden.compare(moved, frame).mask)
    assert np.array_equal(golden.load(folder / "p04.png"), frame)  # the golden frame is left alone


def test_missing_golden_frames_fail_and_only_the_update_flag_writes_them(tmp_path):
    folder, out = tmp_path / "golden", tmp_path / "out"
    a, b = np.zeros((4, 6, 3), np.uint8), np.full((4, 6, 3), 200, np.uint8)
    problems, written = golden.check_frames({"p00": a}, folder, update=False, out_dir=out)
    assert "no golden frame" in problems[0] and written == [] and not folder.exists()

    problems, written = golden.check_frames({"p00": a, "p01": b}, folder, update=True, out_dir=out)
    assert problems == [] and len(written) == 2
    assert np.array_equal(golden.load(folder / "p01.png"), b)

    problems, written = golden.check_frames({"p00": a}, folder, update=False, out_dir=out)
    assert len(problems) == 1 and "p01.png: stale golden frame" in problems[0]
    problems, written = golden.check_frames({"p00": b}, folder, update=True, out_dir=out)
    assert sorted(p.name for p in folder.iterdir()) == ["p00.png"] and len(written) == 2
    assert np.array_equal(golden.load(folder / "p00.png"), b)
    problems, written = golden.check_frames({"p00": b}, folder, update=True, out_dir=out)
    assert problems == [] and written == []  # nothing changed: nothing rewritten


# --- what the gallery shows ------------------------------------------------------------------------------
SLIDE_KEYS = [
    {"tokens", "scores", "weights"},
    {"relu", "gelu", "silu", "x0", "silu_x0", "attn_flops", "mlp_flops", "seq_len", "attn_flops_last"},
    {"shape", "params", "mlp_params"},
    {"query_weights", "layer_flops", "attn_parts", "attn_parts_share"},
    {"table_len", "table_attn", "table_mlp", "table_ratio", "table_kv", "format_a", "format_b"},
]


@pytest.mark.parametrize("locale", ["en", "zh"])
def test_each_slide_shows_its_components_and_nothing_left_over(gallery, locale):
    pictures = gallery(locale).scene.pictures
    assert len(pictures) == len(SLIDE_KEYS)
    for i, (p, wanted) in enumerate(zip(pictures, SLIDE_KEYS, strict=True)):
        others = set().union(*SLIDE_KEYS[:i], *SLIDE_KEYS[i + 1 :])
        assert wanted <= set(p.keys()), f"pause {i} lacks {wanted - set(p.keys())}"
        assert not others & set(p.keys()), f"pause {i} still shows {others & set(p.keys())}"


def attention() -> tuple[torch.Tensor, torch.Tensor]:
    """Scaled scores and causal softmax weights of the gallery's seeded queries and keys, in torch."""
    n = len(P.tokens)
    rng = np.random.default_rng(P.seed)
    q = torch.tensor(rng.standard_normal((n, P.d_head)))  # the scene's draws, in its order
    k = torch.tensor(rng.standard_normal((n, P.d_head)))
    scores = q @ k.T / math.sqrt(P.d_head)  # (T, T)
    causal = torch.ones(n, n, dtype=torch.bool).tril()
    return scores, torch.softmax(scores.masked_fill(~causal, float("-inf")), dim=-1)


def attn_flops(t: int) -> int:
    """Q, K, V, O projections 2·t·d² each; QKᵀ and AV 2·t²·d each; ×1/√d_k 1 and softmax 5 per score."""
    d, h = P.d_model, P.n_heads
    return 4 * 2 * t * d * d + 2 * 2 * t * t * d + (1 + 5) * h * t * t


def mlp_flops(t: int) -> int:
    """w1, w3, w2 2·t·d·d_ff each; SiLU 5 and the gate's product 1 per hidden element."""
    return 3 * 2 * t * P.d_model * P.d_ff + (5 + 1) * t * P.d_ff


def test_heatmaps_show_torch_attention(gallery):
    p = gallery("en").scene.pictures[0]
    scores, weights = attention()
    # two decimals do not fit a score's cell (−1.94 …): the heatmap shows one; weights keep two
    assert p.array("scores").tolist() == [[numbers.fixed(v, 1) for v in r] for r in scores.tolist()]
    assert p.array("weights").tolist() == [[numbers.fixed(v, 2) for v in r] for r in weights.tolist()]
    assert p.array("tokens").tolist() == P.tokens


def test_plots_show_torch_activations_and_the_costs_by_hand(gallery):
    p = gallery("en").scene.pictures[1]
    for key, fn in (
        ("relu", torch.relu),
        ("gelu", torch.nn.functional.gelu),
        ("silu", torch.nn.functional.silu),
    ):
        xy = p.value(key)  # the curve's corners, read back from where they are drawn
        # the round trip through scene coordinates costs a few ulps of the plot's range
        np.testing.assert_allclose(xy[:, 1], fn(torch.tensor(xy[:, 0])).numpy(), rtol=0, atol=1e-12)
    assert p.value("x0") == pytest.approx(P.x0, abs=1e-12)
    silu_x0 = torch.nn.functional.silu(torch.tensor(P.x0, dtype=torch.float64)).item()
    assert p.text("silu_x0") == numbers.fixed(silu_x0, 2)
    for key, fn in (("attn_flops", attn_flops), ("mlp_flops", mlp_flops)):
        xy = p.value_array(key)  # (10, 2)
        np.testing.assert_allclose(xy[:, 0], LENGTHS, rtol=1e-12)  # log axes: relative round-trip error
        np.testing.assert_allclose(xy[:, 1], [fn(t) for t in LENGTHS], rtol=1e-12)
    assert p.value("seq_len") == pytest.approx(P.seq_len, rel=1e-12)
    assert p.text("attn_flops_last") == numbers.flops(attn_flops(LENGTHS[-1]))


def test_diagram_shows_the_swiglu_shapes_and_parameters(gallery):
    p = gallery("en").scene.pictures[2]
    d, f = P.d_model, P.d_ff
    assert p.texts("params") == {(w,): numbers.integer(d * f) for w in ("w1", "w3", "w2")}
    assert p.texts("shape") == {
        ("w1",): f"T × {numbers.integer(f)}",
        ("w3",): f"T × {numbers.integer(f)}",
        ("SiLU",): f"T × {numbers.integer(f)}",
        ("w2",): f"T × {numbers.integer(d)}",
    }
    assert p.text("mlp_params") == numbers.integer(3 * d * f)


def test_bars_and_shares_by_hand(gallery):
    p = gallery("en").scene.pictures[3]
    t, d, h = P.seq_len, P.d_model, P.n_heads
    weights = attention()[1][P.query, : P.query + 1].tolist()
    assert p.array("query_weights").tolist() == [numbers.fixed(w, 2) for w in weights]
    assert p.array("layer_flops").tolist() == [numbers.flops(attn_flops(t)), numbers.flops(mlp_flops(t))]
    parts = [8 * t * d * d, 2 * t * t * d + h * t * t, 5 * h * t * t, 2 * t * t * d]  # proj, QKᵀ, softmax, AV
    assert sum(parts) == attn_flops(t)
    assert sorted(p.texts("attn_parts").values()) == sorted(numbers.flops(v) for v in parts)
    shares = sorted(p.texts("attn_parts_share").values())
    assert shares == sorted(numbers.percent(v / sum(parts)) for v in parts)


@pytest.mark.parametrize("locale", ["en", "zh"])
def test_tables_and_number_formats_by_hand(gallery, locale):
    p = gallery(locale).scene.pictures[4]
    t, d, f = P.seq_len, P.d_model, P.d_ff
    kv = [2 * P.n_layers * n * d * 2 for n in (1024, 4096, 16384, 65536)]  # K and V, fp16: 2 B a number
    assert p.array("table_kv").tolist() == [numbers.byte_size(b) for b in kv]
    assert p.array("table_attn").tolist() == [
        numbers.flops(attn_flops(n)) for n in (1024, 4096, 16384, 65536)
    ]
    scores, weights = attention()
    model_params = P.n_layers * (
        4 * d * d + 3 * d * f
    )  # attention 4·d² (no bias) + SwiGLU 3·d·d_ff per layer
    assert p.array("format_a").tolist() == [
        numbers.fixed(scores[P.query, 0].item(), 2),
        numbers.integer(4 * d * d),
        numbers.si(3 * d * f),
        numbers.flops(attn_flops(t)),
        numbers.byte_size(2 * P.n_layers * t * d * 2),
        numbers.count(model_params, locale=locale),
    ]
    assert p.array("format_b").tolist() == [
        numbers.sci(attn_flops(t)),
        numbers.percent(weights[P.query].max().item()),
        numbers.ratio(attn_flops(t) / mlp_flops(t)),
        numbers.duration(attn_flops(t) / 312e12),  # at an A100's 312 TFLOP/s
        numbers.length(t),
        f"T × {numbers.integer(d)}",
    ]
    assert p.text("format_a", 5) == {"en": "6.48 B", "zh": "64.8亿"}[locale]  # 6,476,005,376 parameters
