"""lib/core/softmax.py against torch.softmax / torch.logsumexp / autograd, plus invariants and a hand case."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from lib.core.softmax import (
    log_softmax,
    logsumexp,
    softmax,
    softmax_backward,
    softmax_jacobian,
    softmax_naive,
    softmax_steps,
)

ATOL = 1e-12
finite = st.floats(-50.0, 50.0, allow_nan=False)
shapes = st.tuples(st.integers(1, 4), st.integers(1, 9))


@settings(max_examples=40, deadline=None)
@given(x=arrays(np.float64, shapes, elements=finite), tau=st.floats(0.05, 20.0))
def test_softmax_matches_torch(x: np.ndarray, tau: float) -> None:
    ref = torch.softmax(torch.tensor(x) / tau, dim=-1).numpy()
    np.testing.assert_allclose(softmax(x, temperature=tau), ref, atol=ATOL, rtol=0)
    np.testing.assert_allclose(softmax_steps(x, temperature=tau).probs, ref, atol=ATOL, rtol=0)
    ref_log = torch.log_softmax(torch.tensor(x) / tau, dim=-1).numpy()
    np.testing.assert_allclose(log_softmax(x, temperature=tau), ref_log, atol=1e-12, rtol=0)


@settings(max_examples=40, deadline=None)
@given(x=arrays(np.float64, shapes, elements=st.floats(-1e4, 1e4)), axis=st.sampled_from([0, 1, -1]))
def test_logsumexp_matches_torch(x: np.ndarray, axis: int) -> None:
    ref = torch.logsumexp(torch.tensor(x), dim=axis).numpy()
    np.testing.assert_allclose(logsumexp(x, axis=axis), ref, atol=1e-12, rtol=1e-14)
    assert logsumexp(x, axis=axis, keepdims=True).shape == torch.tensor(x).logsumexp(axis, keepdim=True).shape


def test_softmax_axis_matches_torch() -> None:
    x = np.random.default_rng(0).standard_normal((3, 4, 5))
    for axis in (0, 1, 2):
        np.testing.assert_allclose(
            softmax(x, axis=axis), torch.softmax(torch.tensor(x), axis).numpy(), atol=ATOL
        )


def test_huge_inputs_stay_finite() -> None:
    x = np.array([[1e4, 1e4 - 1.0, -1e4], [1e4, 1e4, 1e4], [-1e4, -1e4 + 2.0, -1e4]])
    p = softmax(x)
    assert np.all(np.isfinite(p))
    np.testing.assert_allclose(p, torch.softmax(torch.tensor(x), -1).numpy(), atol=ATOL)
    np.testing.assert_allclose(logsumexp(x), torch.logsumexp(torch.tensor(x), -1).numpy(), rtol=1e-15)
    with np.errstate(all="ignore"):
        assert np.isnan(softmax_naive(x[:1])).any()  # the unshifted form overflows: why the max is subtracted
    steps = softmax_steps(x)
    assert np.all(steps.shifted <= 0) and np.all(steps.total >= 1)


def test_hand_case() -> None:
    # logits (0, ln 2, ln 5): exp gives (1, 2, 5), so softmax = (1, 2, 5) / 8 and logsumexp = ln 8
    x = np.array([0.0, math.log(2.0), math.log(5.0)])
    np.testing.assert_allclose(softmax(x), [1 / 8, 2 / 8, 5 / 8], atol=1e-15)
    assert logsumexp(x) == pytest.approx(math.log(8.0), abs=1e-15)
    # temperature 2 takes square roots of the unnormalised weights: (1, √2, √5) / (1 + √2 + √5)
    w = np.array([1.0, math.sqrt(2.0), math.sqrt(5.0)])
    np.testing.assert_allclose(softmax(x, temperature=2.0), w / w.sum(), atol=1e-15)


def test_temperature_limits() -> None:
    x = np.array([0.3, 2.0, -1.0, 1.9])
    np.testing.assert_allclose(softmax(x, temperature=1e-3), [0, 1, 0, 0], atol=1e-12)
    # τ = 10⁶: not quite uniform (x/τ ~ 10⁻⁶); the exact weights from math.exp, one term at a time
    e = [math.exp(v / 1e6) for v in x]
    np.testing.assert_allclose(softmax(x, temperature=1e6), [v / sum(e) for v in e], atol=1e-16, rtol=0)
    assert np.abs(softmax(x, temperature=1e6) - 0.25).max() > 1e-7
    with pytest.raises(ValueError):
        softmax(x, temperature=0.0)


def test_fully_masked_rows_give_zeros() -> None:
    x = np.array([[-np.inf, -np.inf, -np.inf], [0.0, -np.inf, 0.0]])
    p = softmax(x)
    np.testing.assert_array_equal(p[0], np.zeros(3))
    np.testing.assert_allclose(p[1], [0.5, 0.0, 0.5], atol=1e-15)
    assert logsumexp(x)[0] == -np.inf
    assert logsumexp(x)[1] == pytest.approx(math.log(2.0), abs=1e-15)
    np.testing.assert_array_equal(softmax_steps(x).probs, p)


def test_steps_invariants() -> None:
    x = np.random.default_rng(1).standard_normal((5, 7)) * 10
    s = softmax_steps(x, temperature=0.7)
    np.testing.assert_array_equal(s.scaled, x / 0.7)  # one division, the same rounding
    np.testing.assert_array_equal(s.row_max[:, 0], (x / 0.7).max(-1))
    np.testing.assert_allclose(s.probs.sum(-1), 1.0, atol=1e-15)
    np.testing.assert_allclose(softmax(x + 123.0, 0.7), s.probs, atol=1e-14)  # shift invariance


def test_backward_matches_autograd() -> None:
    rng = np.random.default_rng(2)
    x, g, tau = rng.standard_normal((3, 6)), rng.standard_normal((3, 6)), 0.8
    xt = torch.tensor(x, requires_grad=True)
    (torch.softmax(xt / tau, -1) * torch.tensor(g)).sum().backward()
    p = softmax(x, tau)
    np.testing.assert_allclose(softmax_backward(p, g, tau), xt.grad.numpy(), atol=ATOL)
    jac = torch.autograd.functional.jacobian(lambda t: torch.softmax(t, -1), torch.tensor(x[0])).numpy()
    np.testing.assert_allclose(softmax_jacobian(softmax(x[0])), jac, atol=ATOL)
