"""mamba.discretization draws what the three discretisations compute: read from the picture, checked against
references worked out here with torch.

- The system is written out from its definition, y'' + 2ζω y' + ω² y = ω² u in companion form.
- ZOH by its closed form Ā = e^{ΔA}, B̄ = A⁻¹(e^{ΔA} − I) B (torch.linalg.matrix_exp; A is invertible,
  det A = ω²) — not the block exponential lib reads it from; bilinear and Euler by their formulas.
- The continuous output for an input held over each step, h(kΔ + τ) = e^{τA} h(kΔ) + A⁻¹(e^{τA} − I) B u_k.
- The memory example by hand: a = −1, B = 1 gives ā = e^{−Δ}, b̄ = 1 − e^{−Δ}.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from scenes.kit import numbers
from scenes.mamba.discretization import METHODS, PULSE, SUBSTEPS, Discretization

SCENE = "mamba.discretization"
CASES = [None, *Discretization.EXAMPLES]
IDS = ["defaults", "example0"]
GEOMETRY = 1e-12  # plotted points read back through scene coordinates (float64)
STRINGS = Discretization.STRINGS


def _params(raw):
    return Discretization.Params.model_validate(raw or {})


def _tex(v, digits: int) -> str:
    return numbers.fixed(float(v), digits, tex=True)


def _reference(p):
    w, z, d = p.omega, p.damping, p.delta
    A = torch.tensor([[0.0, 1.0], [-(w**2), -2.0 * z * w]], dtype=torch.float64)
    B = torch.tensor([0.0, w**2], dtype=torch.float64)
    C = torch.tensor([1.0, 0.0], dtype=torch.float64)
    I = torch.eye(2, dtype=torch.float64)
    Ad_zoh = torch.linalg.matrix_exp(d * A)
    left = I - d / 2 * A
    disc = {
        "zoh": (Ad_zoh, torch.linalg.solve(A, (Ad_zoh - I) @ B)),
        "bilinear": (torch.linalg.solve(left, I + d / 2 * A), torch.linalg.solve(left, d * B)),
        "euler": (I + d * A, d * B),
    }
    u = [1.0 if k < p.steps // 2 else 0.0 for k in range(p.steps)]
    y = {}
    for m, (Ad, Bd) in disc.items():
        h, ys = torch.zeros(2, dtype=torch.float64), []
        for uk in u:
            h = Ad @ h + Bd * uk
            ys.append(float(C @ h))
        y[m] = np.array(ys)
    # the continuous solution at t = jΔ/S, j = 0 … L·S, the input held at u_k over step k
    h, exact = torch.zeros(2, dtype=torch.float64), [0.0]
    for uk in u:
        h0 = h
        for j in range(1, SUBSTEPS + 1):
            E = torch.linalg.matrix_exp(j * d / SUBSTEPS * A)
            h = E @ h0 + torch.linalg.solve(A, (E - I) @ B) * uk
            exact.append(float(C @ h))
    exact = np.array(exact)
    return {m: (Ad.numpy(), Bd.numpy()) for m, (Ad, Bd) in disc.items()}, y, exact


@pytest.fixture(scope="module")
def runs(fast_run):
    out = {}
    for raw, name in zip(CASES, IDS, strict=True):
        scene, problems = fast_run(SCENE, raw, "en")
        p = _params(raw)
        out[name] = (scene, problems, p, *_reference(p))
    return out


@pytest.mark.parametrize("case", IDS)
def test_no_layout_problems(runs, case):
    assert runs[case][1] == []


@pytest.mark.parametrize("case", IDS)
def test_discretised_matrices(runs, case):
    scene, _, p, disc, _, _ = runs[case]
    pic = scene.pictures[0]
    for m in METHODS:
        Ad, Bd = disc[m]
        assert pic.array(f"A_bar_{m}").tolist() == [[_tex(v, 3) for v in row] for row in Ad], m
        assert pic.array(f"B_bar_{m}").tolist() == [_tex(v, 3) for v in Bd], m
    assert pic.text("delta") == STRINGS["en"]["input_note"].format(delta=numbers.fixed(p.delta, 2))


@pytest.mark.parametrize("case", IDS)
def test_outputs_and_errors(runs, case):
    scene, _, p, _, y, exact = runs[case]
    pic = scene.pictures[1]
    lo, hi = scene.out_plot.y_lo, scene.out_plot.y_hi  # the axes' range: points beyond sit on its edge
    t = np.arange(p.steps * SUBSTEPS + 1) * p.delta / SUBSTEPS
    curve = pic.value("y_exact")  # (1 + L·S, 2) the continuous curve's vertices, read back
    np.testing.assert_allclose(curve[:, 0], t, atol=GEOMETRY, rtol=0)
    np.testing.assert_allclose(curve[:, 1], np.clip(exact, lo, hi), atol=GEOMETRY, rtol=0)
    at_steps = exact[SUBSTEPS::SUBSTEPS]  # y((k+1)Δ): the output after step k
    np.testing.assert_allclose(
        y["zoh"], at_steps, atol=1e-12, rtol=0
    )  # "ZOH is exact when the input is held"
    tk = (np.arange(p.steps) + 1) * p.delta
    for m in METHODS:
        dots = pic.value_array(f"y_{m}")  # (L, 2)
        np.testing.assert_allclose(dots[:, 0], tk, atol=GEOMETRY, rtol=0)
        np.testing.assert_allclose(dots[:, 1], np.clip(y[m], lo, hi), atol=GEOMETRY, rtol=0)
        err = np.max(np.abs(y[m] - at_steps))
        assert pic.text("max_err", m) == STRINGS["en"]["max_err"].format(err=numbers.fixed(err, 3)), m
    assert pic.text("max_err", "zoh") == STRINGS["en"]["max_err"].format(err="0.000")


def _memory(d: float) -> tuple[float, float, np.ndarray]:
    a, b = math.exp(-d), 1.0 - math.exp(-d)
    h, hs = 0.0, []
    for t in range(PULSE):
        h = a * h + b * (1.0 if t < 4 else 0.0)
        hs.append(h)
    return a, b, np.array(hs)


def _memory_sentence(locale: str, key: str, d: float) -> str:
    a, b, _ = _memory(d)
    return STRINGS[locale][key].format(
        d=numbers.fixed(d, 2), keep=numbers.fixed(100 * a, 1), inp=numbers.fixed(100 * b, 1)
    )


@pytest.mark.parametrize("case", IDS)
def test_memory_small_and_large_delta(runs, case):
    scene, _, p, _, _, _ = runs[case]
    pic = scene.pictures[-1]
    assert pic.text("memory", "remembers") == _memory_sentence("en", "remembers", p.delta_small)
    assert pic.text("memory", "resets") == _memory_sentence("en", "resets", p.delta_large)
    steps = np.arange(1, PULSE + 1)
    for key, d in (("h_small", p.delta_small), ("h_large", p.delta_large)):
        dots = pic.value_array(key)  # (PULSE, 2)
        np.testing.assert_allclose(dots[:, 0], steps, atol=GEOMETRY, rtol=0)
        np.testing.assert_allclose(dots[:, 1], _memory(d)[2], atol=GEOMETRY, rtol=0)
    pulse = pic.values("pulse")  # a stem per nonzero input, ending at (t, x_t)
    assert sorted(pulse) == [(0,), (1,), (2,), (3,)]
    for (k,), end in pulse.items():
        np.testing.assert_allclose(end, (k + 1, 1.0), atol=GEOMETRY, rtol=0)


@pytest.mark.parametrize("raw", CASES, ids=IDS)
def test_zh_draws_the_same_numbers_in_its_own_words(fast_run, raw):
    zh, problems = fast_run(SCENE, raw, "zh")
    en, _ = fast_run(SCENE, raw, "en")
    assert problems == []
    p = _params(raw)
    _, y, exact = _reference(p)
    for m in METHODS:
        assert zh.pictures[0].texts(f"A_bar_{m}") == en.pictures[0].texts(f"A_bar_{m}")
        zh_dots, en_dots = zh.pictures[1].value_array(f"y_{m}"), en.pictures[1].value_array(f"y_{m}")
        np.testing.assert_allclose(
            zh_dots, en_dots, atol=GEOMETRY, rtol=0
        )  # the plot sits elsewhere: ~1e-16 apart
        err = np.max(np.abs(y[m] - exact[SUBSTEPS::SUBSTEPS]))
        assert zh.pictures[1].text("max_err", m) == STRINGS["zh"]["max_err"].format(err=numbers.fixed(err, 3))
    assert zh.pictures[0].text("delta") == STRINGS["zh"]["input_note"].format(delta=numbers.fixed(p.delta, 2))
    assert zh.pictures[-1].text("memory", "remembers") == _memory_sentence("zh", "remembers", p.delta_small)
    assert zh.pictures[-1].text("memory", "resets") == _memory_sentence("zh", "resets", p.delta_large)


def test_params_are_bounded():
    with pytest.raises(ValueError):
        Discretization.Params(delta_small=2.0, delta_large=1.0)
    with pytest.raises(ValueError):
        Discretization.Params(steps=41)
