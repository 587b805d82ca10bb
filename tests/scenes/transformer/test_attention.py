"""transformer.attention: every matrix the viewer reads, recomputed in torch from the inputs as drawn.

X, W_Q, W_K, W_V are drawn with one decimal, which is exact (the example rounds them), so the test reads
them back from the picture, checks them against the seeded draw, and computes everything else with torch
(``F.scaled_dot_product_attention``, ``F.softmax``, ``Categorical.entropy``, ``F.cosine_similarity``):
Q, K, V, the scaled scores, the worked softmax row, the weights, the output, the temperature sweep and the
geometry of the dot product. Every drawn string is compared with the reference formatted as the screen does.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from scenes.kit import numbers
from scenes.transformer.attention import Attention

SETS = [None, *Attention.EXAMPLES]
LOCALES = ["en", "zh"]
PROJ, SCORES, SOFTMAX, OUTPUT, TEMP, GEO = range(6)  # the pauses


def fmt(a) -> np.ndarray:
    """Heatmap text: two decimals, a real minus sign."""
    return np.vectorize(lambda v: numbers.fixed(float(v), 2))(np.asarray(a))


def parse(drawn: np.ndarray) -> torch.Tensor:
    return torch.tensor(np.vectorize(lambda s: float(s.replace("−", "-")))(drawn), dtype=torch.float64)


def run(fast_run, raw, locale):
    scene, _ = fast_run("transformer.attention", raw, locale)
    assert len(scene.pictures) == GEO + 1
    return scene, Attention.Params.model_validate(raw or {}), Attention.STRINGS[locale]


def reference(scene, p):
    """Torch, from the inputs as drawn at the first pause."""
    pic = scene.pictures[PROJ]
    x, wq, wk, wv = (parse(pic.array(k)) for k in ("x", "w_q", "w_k", "w_v"))
    q, k, v = x @ wq, x @ wk, x @ wv
    d_k = q.shape[-1]
    scaled = q @ k.T / math.sqrt(d_k)
    weights = F.softmax(scaled, dim=-1)
    out = F.scaled_dot_product_attention(q[None], k[None], v[None])[0]
    return {
        "x": x,
        "w": (wq, wk, wv),
        "q": q,
        "k": k,
        "v": v,
        "scaled": scaled,
        "weights": weights,
        "out": out,
    }


@pytest.mark.parametrize("raw", SETS)
def test_inputs_are_the_seeded_draw_with_one_decimal(fast_run, raw):
    scene, p, _ = run(fast_run, raw, "en")
    pic = scene.pictures[PROJ]
    rng = np.random.default_rng(p.seed)  # the example's contract: X ~ N(0, 1), then W ~ U(−1, 1), 1 decimal
    T = len(p.tokens)
    x = np.round(rng.standard_normal((T, p.d_model)), 1)
    assert (pic.array("x") == np.vectorize(lambda v: numbers.fixed(v, 1))(x)).all()
    assert pic.text("x_shape") == f"{T} × {p.d_model}"
    for key in ("w_q", "w_k", "w_v"):
        w = np.round(rng.uniform(-1, 1, (p.d_model, 3)), 1)
        assert (pic.array(key) == np.vectorize(lambda v: numbers.fixed(v, 1))(w)).all()


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("raw", SETS)
def test_projections_scores_weights_output_are_torch(fast_run, raw, locale):
    scene, p, strings = run(fast_run, raw, locale)
    ref = reference(scene, p)
    proj = scene.pictures[PROJ]
    for key in ("q", "k", "v"):
        assert (proj.array(key) == fmt(ref[key])).all(), key
    sc = scene.pictures[SCORES]
    assert (sc.array("q") == fmt(ref["q"])).all()
    assert (sc.array("k_t") == fmt(ref["k"].T)).all()
    assert (sc.array("scores") == fmt(ref["scaled"])).all()
    assert sc.contains_text(strings["scores_note"].format(sqrt=numbers.fixed(math.sqrt(3), 2)))
    assert (scene.pictures[SOFTMAX].array("weights") == fmt(ref["weights"])).all()
    out = scene.pictures[OUTPUT]
    assert (out.array("weights") == fmt(ref["weights"])).all()
    assert (out.array("v") == fmt(ref["v"])).all()
    assert (out.array("output") == fmt(ref["out"])).all()


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("raw", SETS)
def test_the_worked_softmax_row_is_exp_sum_divide(fast_run, raw, locale):
    scene, p, _ = run(fast_run, raw, locale)
    s = reference(scene, p)["scaled"][p.query]
    e = torch.exp(s)
    pic = scene.pictures[SOFTMAX]
    assert (pic.array("row_scores")[0] == fmt(s)).all()
    assert (pic.array("row_exps")[0] == fmt(e)).all()
    assert pic.text("row_total") == numbers.fixed(float(e.sum()), 2)
    assert (pic.array("row_probs")[0] == fmt(F.softmax(s, dim=0))).all()


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("raw", SETS)
def test_temperature_bars_and_entropies(fast_run, raw, locale):
    scene, p, strings = run(fast_run, raw, locale)
    s = reference(scene, p)["scaled"][p.query]
    pic = scene.pictures[TEMP]
    probs = pic.array("temp_probs")
    for i, tau in enumerate(p.temperatures):
        prob = F.softmax(s / tau, dim=0)
        assert (probs[i] == fmt(prob)).all(), tau
        h = float(torch.distributions.Categorical(probs=prob).entropy())
        assert pic.text("entropy", i) == strings["entropy"].format(h=numbers.fixed(h, 2))
        assert pic.text("tau", i) == f"{tau:g}"
    n = len(p.tokens)
    assert pic.text("max_entropy") == strings["uniform"].format(n=n, h=numbers.fixed(math.log(n), 2))


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("raw", SETS)
def test_geometry_of_the_best_and_worst_key(fast_run, raw, locale):
    scene, p, _ = run(fast_run, raw, locale)
    ref = reference(scene, p)
    w = ref["weights"][p.query]
    best, worst = int(w.argmax()), int(w.argmin())
    q = ref["q"][p.query]
    pic = scene.pictures[GEO]
    assert set(pic.texts("theta")) == {(best,), (worst,)}
    for j in (best, worst):
        k = ref["k"][j]
        cos = float(F.cosine_similarity(q, k, dim=0))
        deg = round(math.degrees(math.acos(cos)))
        assert pic.text("theta", j) == f"{deg}^\\circ"
        assert pic.text("norm_q", j) == numbers.fixed(float(q.norm()), 2, tex=True)
        assert pic.text("norm_k", j) == pic.text("norm_k2", j) == numbers.fixed(float(k.norm()), 2, tex=True)
        c = numbers.fixed(cos, 2, tex=True)
        assert pic.text("cos", j) == (f"({c})" if cos < 0 else c)
        assert pic.text("dot", j) == numbers.fixed(float(q @ k), 2, tex=True)
        assert pic.text("score_3d", j) == numbers.fixed(float(ref["scaled"][p.query, j]), 2, tex=True)
