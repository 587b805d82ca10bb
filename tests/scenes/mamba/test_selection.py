"""mamba.selection shows lib's Δ_t, B_t, C_t and the keep / let-in factors, checked against torch."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from lib.mamba.toy_mamba import toy_selective_ssm
from scenes.mamba.selection import Selection

CASES = [None, *Selection.EXAMPLES]


def _model(params: dict):
    p = Selection.Params.model_validate(params)
    m = toy_selective_ssm(p.sentence, p.d_inner, p.d_state, p.seed, discretization=p.discretization)
    return p, m


@pytest.mark.parametrize("params", CASES, ids=["defaults", *[f"example{i}" for i in range(len(CASES) - 1)]])
def test_selection_shows_lib_numbers(fast_run, params):
    scene, problems = fast_run("mamba.selection", params, "en")
    assert not problems
    p, m = _model(params or {})
    s = scene.shown
    assert s["tokens"] == p.sentence.split()
    np.testing.assert_array_equal(s["delta_all"], m.sel.delta)
    np.testing.assert_array_equal(s["B"], m.sel.B)
    np.testing.assert_array_equal(s["C"], m.sel.C)
    # torch: Δ = softplus(raw), Ā = exp(ΔA), B̄/B = (exp(ΔA) − 1)/A (zoh) or Δ (mamba)
    delta = torch.nn.functional.softplus(torch.tensor(m.sel.delta_raw[:, p.channel]))
    a = torch.tensor(-(p.state + 1.0))
    gain = torch.expm1(delta * a) / a if p.discretization == "zoh" else delta
    np.testing.assert_allclose(s["delta"], delta.numpy(), atol=1e-12)
    np.testing.assert_allclose(s["keep"], torch.exp(delta * a).numpy(), atol=1e-12)
    np.testing.assert_allclose(s["let_in"], gain.numpy(), atol=1e-12)
    assert s["most"] == int(torch.argmax(delta)) and s["least"] == int(torch.argmin(delta))
    lti = delta.mean()
    lti_gain = torch.expm1(lti * a) / a if p.discretization == "zoh" else lti
    assert s["lti_delta"] == pytest.approx(float(lti))
    assert s["lti_keep"] == pytest.approx(float(torch.exp(lti * a)))
    assert s["lti_let_in"] == pytest.approx(float(lti_gain))
    for row, v in zip(s["lti_bars"], (s["lti_delta"], s["lti_keep"], s["lti_let_in"]), strict=True):
        np.testing.assert_array_equal(row, np.full(len(s["tokens"]), v))  # flat: every token the same


def test_selection_keep_is_the_scan_decay(fast_run):
    scan, _ = fast_run("mamba.selective_scan", None, "en")
    sel, _ = fast_run("mamba.selection", None, "en")
    np.testing.assert_array_equal(sel.shown["keep"], scan.shown["A_bar"][:, 0, 0])
    np.testing.assert_array_equal(sel.shown["delta"], scan.shown["delta"][:, 0])


def test_channel_and_state_are_bounded_by_the_model():
    with pytest.raises(ValueError):
        Selection.Params(d_inner=2, channel=2)
    with pytest.raises(ValueError):
        Selection.Params(d_state=3, state=3)
