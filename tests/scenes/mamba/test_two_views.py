"""mamba.two_views: the recurrence and the convolution of one LTI SSM, checked against lib/ and torch."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from lib.mamba.ssm import discretize, lti_recurrence
from lib.mamba.ssm_examples import example_input, oscillatory_system
from scenes.mamba.two_views import TwoViews

CASES = [None, *TwoViews.EXAMPLES]


def _system(raw):
    p = TwoViews.Params.model_validate(raw or {})
    s = oscillatory_system(p.state_size, p.decay, p.seed)
    d = discretize(s.A, s.B[:, None], p.delta, "zoh")
    return p, d.A_bar, d.B_bar[:, 0], s.C, example_input(p.length, p.input_seed)


@pytest.mark.parametrize("raw", CASES)
def test_no_layout_problems(fast_run, raw):
    _, problems = fast_run("mamba.two_views", raw, "en")
    assert problems == []


@pytest.mark.parametrize("raw", CASES)
def test_recurrence_matches_lib(fast_run, raw):
    scene, _ = fast_run("mamba.two_views", raw, "en")
    p, A_bar, B_bar, C, x = _system(raw)
    shown = scene.shown
    np.testing.assert_array_equal(shown["A_bar"], A_bar)
    np.testing.assert_array_equal(shown["B_bar"], B_bar)
    np.testing.assert_array_equal(shown["C"], C)
    np.testing.assert_array_equal(shown["x"], x)
    rec = lti_recurrence(A_bar, B_bar, C, x)
    np.testing.assert_allclose(shown["h"], rec.h, atol=1e-15)
    np.testing.assert_allclose(shown["y_recurrent"], rec.y, atol=1e-15)
    assert shown["h"].shape == (p.length, p.state_size)


@pytest.mark.parametrize("raw", CASES)
def test_convolution_matches_torch(fast_run, raw):
    """Kernel by torch matrix powers; output by torch conv1d on the left-padded input (causal)."""
    scene, _ = fast_run("mamba.two_views", raw, "en")
    p, A_bar, B_bar, C, x = _system(raw)
    shown = scene.shown
    A, B, Ct = (torch.from_numpy(v) for v in (A_bar, B_bar, C))
    K = torch.stack([Ct @ torch.linalg.matrix_power(A, k) @ B for k in range(p.length)])
    np.testing.assert_allclose(shown["kernel"], K.numpy(), atol=1e-13)
    np.testing.assert_allclose(shown["flipped_kernel"], K.numpy()[::-1], atol=1e-13)
    xt = F.pad(torch.from_numpy(x)[None, None], (p.length - 1, 0))
    y = F.conv1d(xt, K.flip(0)[None, None])[0, 0].numpy()
    np.testing.assert_allclose(shown["y_conv"], y, atol=1e-12)
    # the dot product shown for the last step: flipped kernel against the inputs
    np.testing.assert_allclose(shown["terms"], K.numpy()[::-1] * x, atol=1e-13)
    assert shown["terms"].sum() == pytest.approx(shown["y_conv"][-1], abs=1e-12)
    # both views agree, and the scene reports how closely
    diff = np.max(np.abs(shown["y_recurrent"] - shown["y_conv"]))
    assert shown["max_abs_diff"] == diff
    assert diff < 1e-12


def test_zh_runs_clean(fast_run):
    _, problems = fast_run("mamba.two_views", None, "zh")
    assert problems == []


def test_strings_have_the_same_keys():
    assert TwoViews.STRINGS["en"].keys() == TwoViews.STRINGS["zh"].keys()
