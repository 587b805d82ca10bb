"""mamba.continuous_ssm draws the exact response of the system lib/mamba/ssm_examples builds from its
parameters."""

import numpy as np
import pytest
import torch

from lib.mamba.ssm_examples import hippo_system, oscillatory_system
from scenes.mamba.continuous_ssm import SAMPLES, ContinuousSSM

CASES = [None, *ContinuousSSM.EXAMPLES]


def _params(raw):
    return ContinuousSSM.Params.model_validate(raw or {})


@pytest.mark.parametrize("raw", CASES)
def test_no_layout_problems(fast_run, raw):
    _, problems = fast_run("mamba.continuous_ssm", raw, "en")
    assert problems == []


@pytest.mark.parametrize("raw", CASES)
def test_system_matches_lib(fast_run, raw):
    scene, _ = fast_run("mamba.continuous_ssm", raw, "en")
    p = _params(raw)
    build = oscillatory_system if p.system == "oscillatory" else hippo_system
    s = build(p.state_size, p.decay, p.seed)
    np.testing.assert_array_equal(scene.shown["A"], s.A)
    np.testing.assert_array_equal(scene.shown["B"], s.B)
    np.testing.assert_array_equal(scene.shown["C"], s.C)
    np.testing.assert_array_equal(scene.shown["eig_real"], s.eigenvalues.real)
    np.testing.assert_array_equal(scene.shown["eig_imag"], s.eigenvalues.imag)
    assert np.all(scene.shown["eig_real"] < 0)


@pytest.mark.parametrize("raw", CASES)
def test_trajectory_is_the_exact_solution(fast_run, raw):
    """Independent check: h(t) = ∫₀ᵗ e^{(t−s)A} B x(s) ds by torch.linalg.matrix_exp and Simpson's rule."""
    scene, _ = fast_run("mamba.continuous_ssm", raw, "en")
    p = _params(raw)
    shown = scene.shown
    t = shown["t"]
    assert t.shape == (SAMPLES,) and t[0] == 0 and t[-1] == pytest.approx(p.duration)
    x_expected = sum(a * np.sin(w * t) for a, w in zip(p.amplitudes, p.frequencies, strict=True))
    np.testing.assert_allclose(shown["x"], x_expected, atol=1e-12)
    A, B, C = (torch.from_numpy(shown[k]) for k in ("A", "B", "C"))
    for k in (SAMPLES // 3, SAMPLES - 1):
        tk = float(t[k])
        s = torch.linspace(0.0, tk, 2001, dtype=torch.float64)  # odd count: Simpson's rule
        xs = sum(a * torch.sin(w * s) for a, w in zip(p.amplitudes, p.frequencies, strict=True))
        integrand = torch.linalg.matrix_exp((tk - s)[:, None, None] * A) @ B * xs[:, None]  # (S, N)
        wts = torch.ones(2001, dtype=torch.float64)
        wts[1:-1:2], wts[2:-1:2] = 4.0, 2.0
        h = (wts[:, None] * integrand).sum(0) * (tk / 2000) / 3
        np.testing.assert_allclose(shown["h"][k], h.numpy(), atol=1e-8)
        assert shown["y"][k] == pytest.approx(float(C @ h), abs=1e-8)
    np.testing.assert_array_equal(shown["h_end"], shown["h"][-1])
    assert shown["y_end"] == shown["y"][-1]


def test_zh_runs_clean(fast_run):
    _, problems = fast_run("mamba.continuous_ssm", None, "zh")
    assert problems == []


def test_params_are_bounded():
    with pytest.raises(ValueError):
        ContinuousSSM.Params(amplitudes=(1.0,), frequencies=(1.0, 2.0))
    with pytest.raises(ValueError):
        ContinuousSSM.Params(state_size=5)
