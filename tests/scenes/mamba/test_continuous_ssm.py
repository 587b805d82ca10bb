"""mamba.continuous_ssm draws the exact response of the system it shows: read from the picture, checked
against a closed-form solution computed here with torch.

Reference: for x(t) = Σ a_k sin(ω_k t) and h(0) = 0, the state is
    h(t) = Σ_k a_k ( Im[G_k e^{iω_k t}] − e^{tA} Im[G_k] ),   G_k = (iω_k I − A)⁻¹ B,
(the steady-state response to e^{iωt} minus its free decay from h(0)), y = C h. Differentiating gives
h' = A h + B x back, so this is the exact solution, independent of the augmented-expm route lib takes.
The oscillatory system is read back from the drawn matrices (its entries are multiples of 0.1, drawn with
one decimal, so the strings are the exact numbers); the HiPPO-LegS matrix is written out here from its
definition (HiPPO eq. 8).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from scenes.kit import numbers
from scenes.mamba.continuous_ssm import SAMPLES, ContinuousSSM

SCENE = "mamba.continuous_ssm"
CASES = [None, *ContinuousSSM.EXAMPLES]
IDS = ["oscillatory", "hippo"]
GEOMETRY = 1e-12  # plotted points read back through scene coordinates: ~2e-14 off the closed form measured


def _params(raw):
    return ContinuousSSM.Params.model_validate(raw or {})


def _tex(v, digits: int) -> str:
    return numbers.fixed(v, digits, tex=True)


def _parse(s: str) -> float:
    return float(s)  # TeX strings use an ASCII minus


def _system(scene, p):
    """(A, B, C) as a viewer reads them, after checking the drawing against the definition where the drawn
    digits are rounded (HiPPO)."""
    pic = scene.pictures[0]
    n = p.state_size
    C = np.array([_parse(s) for s in pic.array("C")])
    if p.system == "oscillatory":
        A = np.vectorize(_parse)(pic.array("A"))
        B = np.array([_parse(s) for s in pic.array("B")])
        assert A.shape == (n, n) and B.shape == (n,)
        np.testing.assert_allclose(A + A.T, -2 * p.decay * np.eye(n), atol=1e-12, rtol=0)  # −decay·I + skew
        return A, B, C
    k = np.arange(n)
    r = np.sqrt(2 * k + 1.0)
    A = np.where(k[:, None] > k[None, :], -np.outer(r, r), 0.0) - np.diag(k + 1.0)
    A = p.decay * A
    expected = [["0" if A[i, j] == 0 else _tex(A[i, j], 2) for j in range(n)] for i in range(n)]
    assert pic.array("A").tolist() == expected
    assert pic.array("B").tolist() == [_tex(v, 2) for v in r]
    return A, r, C


def _solution(A, B, C, p, t):
    """h (T, N), y (T,), x (T,) by the closed form in the module docstring."""
    A_ = torch.tensor(A, dtype=torch.complex128)
    B_ = torch.tensor(B, dtype=torch.complex128)
    t_ = torch.tensor(t, dtype=torch.float64)
    eye = torch.eye(A.shape[0], dtype=torch.complex128)
    decay = torch.linalg.matrix_exp(t_[:, None, None] * torch.tensor(A))  # (T, N, N)
    h = torch.zeros(len(t), A.shape[0], dtype=torch.float64)
    x = torch.zeros(len(t), dtype=torch.float64)
    for a, w in zip(p.amplitudes, p.frequencies, strict=True):
        G = torch.linalg.solve(1j * w * eye - A_, B_)  # (N,)
        steady = (G[None, :] * torch.exp(1j * w * t_)[:, None]).imag  # (T, N)
        h += a * (steady - decay @ G.imag)
        x += a * torch.sin(w * t_)
    y = h @ torch.tensor(C)
    return h.numpy(), y.numpy(), x.numpy()


@pytest.fixture(scope="module")
def runs(fast_run):
    """scene, system and reference per case (each scene constructed once)."""
    out = {}
    for raw, name in zip(CASES, IDS, strict=True):
        scene, problems = fast_run(SCENE, raw, "en")
        p = _params(raw)
        A, B, C = _system(scene, p)
        t = np.linspace(0.0, p.duration, SAMPLES)
        out[name] = (scene, problems, p, (A, B, C), t, _solution(A, B, C, p, t))
    return out


@pytest.mark.parametrize("case", IDS)
def test_no_layout_problems(runs, case):
    assert runs[case][1] == []


@pytest.mark.parametrize("case", IDS)
def test_eigenvalues_drawn_are_those_of_the_drawn_A(runs, case):
    scene, _, _, (A, _, _), _, _ = runs[case]
    pic = scene.pictures[0]
    lam = torch.linalg.eigvals(torch.tensor(A)).numpy()
    expected = []  # one item per real eigenvalue and per conjugate pair: (real, |imag| or None)
    for z in lam:
        if abs(z.imag) < 1e-9:
            expected.append((_tex(z.real, 2), None))
        elif z.imag > 0:
            expected.append((_tex(z.real, 2), _tex(z.imag, 2)))
    re, im = pic.texts("eig_re"), pic.texts("eig_im") if "eig_im" in pic else {}
    drawn = [(re[k], im.get(k)) for k in sorted(re)]
    assert sorted(drawn, key=str) == sorted(expected, key=str)
    assert all(z.real < 0 for z in lam)  # the "stable" sentence under them


@pytest.mark.parametrize("case", IDS)
def test_input_formula_and_curve(runs, case):
    scene, _, p, _, t, (_, _, x) = runs[case]
    pic = scene.pictures[1]
    K = len(p.amplitudes)
    assert pic.array("amp").tolist() == [
        numbers.fixed(a, 1, tex=True, plus=k > 0) for k, a in enumerate(p.amplitudes)
    ]
    assert pic.array("freq").tolist() == [_tex(w, 1) for w in p.frequencies]
    assert K == len(pic.texts("amp"))
    pts = pic.value("x")  # (SAMPLES, 2): the curve's vertices read back through the axes
    np.testing.assert_allclose(pts[:, 0], t, atol=GEOMETRY, rtol=0)
    np.testing.assert_allclose(pts[:, 1], x, atol=GEOMETRY, rtol=0)


@pytest.mark.parametrize("case", IDS)
def test_state_and_output_curves_are_the_exact_solution(runs, case):
    scene, _, p, _, t, (h, y, x) = runs[case]
    pic = scene.pictures[2]
    curves = pic.value_array("h")  # (N, SAMPLES, 2)
    assert curves.shape == (p.state_size, SAMPLES, 2)
    for i in range(p.state_size):
        np.testing.assert_allclose(curves[i, :, 0], t, atol=GEOMETRY, rtol=0)
        np.testing.assert_allclose(curves[i, :, 1], h[:, i], atol=GEOMETRY, rtol=0)
    np.testing.assert_allclose(pic.value("y")[:, 1], y, atol=GEOMETRY, rtol=0)
    # the pins the time marker pushed along end on the last sample of each curve
    np.testing.assert_allclose(pic.value("pin_x"), (p.duration, x[-1]), atol=GEOMETRY, rtol=0)
    np.testing.assert_allclose(pic.value("pin_y"), (p.duration, y[-1]), atol=GEOMETRY, rtol=0)
    for i in range(p.state_size):
        np.testing.assert_allclose(pic.value("pin_h", i), (p.duration, h[-1, i]), atol=GEOMETRY, rtol=0)


@pytest.mark.parametrize("case", IDS)
def test_values_at_the_end(runs, case):
    scene, _, p, _, _, (h, y, _) = runs[case]
    pic = scene.pictures[-1]
    assert pic.array("h_end").tolist() == [_tex(v, 2) for v in h[-1]]
    assert pic.text("y_end") == _tex(y[-1], 2)
    assert pic.text("t_end") == ContinuousSSM.STRINGS["en"]["at_end"].format(t=numbers.fixed(p.duration, 0))


@pytest.mark.parametrize("raw", CASES, ids=IDS)
def test_zh_draws_the_same_numbers_in_its_own_words(fast_run, raw):
    zh, problems = fast_run(SCENE, raw, "zh")
    en, _ = fast_run(SCENE, raw, "en")
    assert problems == []
    for pz, pe in zip(zh.pictures, en.pictures, strict=True):
        assert pz.keys() == pe.keys()
        for key in ("A", "B", "C", "amp", "freq", "h_end", "y_end"):
            if key in pe:
                assert pz.texts(key) == pe.texts(key)
    T = _params(raw).duration
    assert zh.pictures[-1].text("t_end") == f"在 t = {numbers.fixed(T, 0)} 时："
    assert zh.pictures[-1].contains_text("精确求解")


def test_params_are_bounded():
    with pytest.raises(ValueError):
        ContinuousSSM.Params(amplitudes=(1.0,), frequencies=(1.0, 2.0))
    with pytest.raises(ValueError):
        ContinuousSSM.Params(state_size=5)
