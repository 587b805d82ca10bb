import numpy as np
import pytest
import torch

from lib.mamba.selection import selection_gates
from lib.mamba.toy_mamba import toy_selective_ssm


@pytest.mark.parametrize("method", ["zoh", "mamba"])
@pytest.mark.parametrize("d,n", [(0, 0), (2, 3)])
def test_gates_match_torch(method, d, n):
    m = toy_selective_ssm("large steps reset small steps remember", 3, 4, seed=5, discretization=method)
    g = selection_gates(m, d, n)
    delta = torch.tensor(m.sel.delta[:, d])
    a = torch.tensor(m.A[d, n])
    gain = torch.expm1(delta * a) / a if method == "zoh" else delta
    np.testing.assert_allclose(g.keep, torch.exp(delta * a).numpy(), rtol=0, atol=1e-14)
    np.testing.assert_allclose(g.let_in, gain.numpy(), rtol=0, atol=1e-14)
    lti = delta.mean()
    assert g.lti_delta == pytest.approx(float(lti), rel=1e-15)
    assert g.lti_keep == pytest.approx(float(torch.exp(lti * a)), rel=1e-14)
    assert g.lti_let_in == pytest.approx(
        float(torch.expm1(lti * a) / a if method == "zoh" else lti), rel=1e-14
    )


def test_let_in_times_B_x_is_the_scan_input():
    m = toy_selective_ssm("one two three four five", 2, 3, seed=2)
    for d in range(2):
        for n in range(3):
            g = selection_gates(m, d, n)
            np.testing.assert_allclose(g.let_in * m.sel.B[:, n] * m.x[:, d], m.scan.Bx[:, d, n], atol=1e-14)


def test_hand_case_unit_decay():
    # A = −1 (state n = 0): zoh keeps e^{−Δ} and lets in 1 − e^{−Δ}: the two add up to one.
    m = toy_selective_ssm("a b c d", 2, 2, seed=0)
    g = selection_gates(m, 0, 0)
    assert g.A == -1.0
    np.testing.assert_allclose(g.keep + g.let_in, 1.0, atol=1e-14)
    assert g.delta[g.most] == g.delta.max() and g.delta[g.least] == g.delta.min()
    with pytest.raises(ValueError):
        selection_gates(m, 2, 0)
