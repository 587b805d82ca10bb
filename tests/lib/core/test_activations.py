"""lib/core/activations.py against torch (values and autograd derivatives, float64), the tails, by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from lib.core.activations import (
    ACTIVATIONS,
    activate,
    activation_grad,
    elu,
    gelu,
    relu,
    sigmoid,
    silu,
    swish,
)

TORCH = {
    "identity": lambda t: t,
    "relu": torch.relu,
    "tanh": torch.tanh,
    "sigmoid": torch.sigmoid,
    "silu": F.silu,
    "gelu": lambda t: F.gelu(t, approximate="none"),
    "gelu_tanh": lambda t: F.gelu(t, approximate="tanh"),
    "elu": F.elu,
}
# a wide range, the kink at 0 and both tails (no overflow anywhere)
X = np.concatenate(
    [np.linspace(-40.0, 40.0, 2001), np.random.default_rng(0).normal(size=300) * 3, [-800.0, 0.0, 800.0]]
)


def test_every_activation_has_a_torch_reference() -> None:
    assert set(TORCH) == set(ACTIVATIONS)


@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_values_and_derivatives_match_torch_autograd(name: str) -> None:
    xt = torch.tensor(X, requires_grad=True)
    yt = TORCH[name](xt)
    yt.sum().backward()
    with np.errstate(over="raise"):
        y = activate(X, name)
        dy = activation_grad(X, name)
    # absolute floors: in GELU's left tail 1 + erf(x/√2) and 1 + tanh(u) cancel (torch's erf, both tanh forms)
    np.testing.assert_allclose(y, yt.detach().numpy(), rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(dy, xt.grad.numpy(), rtol=1e-12, atol=1e-14)
    # with the forward value passed in (how backprop calls it) the derivative is the same
    np.testing.assert_allclose(activation_grad(X, name, a=y), dy, rtol=1e-13, atol=1e-15)


def test_sigmoid_keeps_relative_accuracy_in_the_left_tail() -> None:
    # σ(−40) = 1/(1 + e^40): the ½(1 + tanh(x/2)) form rounds it to 0; the e^{−|x|} form keeps it
    assert sigmoid(np.array(-40.0)) == pytest.approx(1.0 / (1.0 + math.exp(40.0)), rel=1e-15)
    assert sigmoid(np.array(-40.0)) > 0.0
    assert silu(np.array(-40.0)) == pytest.approx(-40.0 / (1.0 + math.exp(40.0)), rel=1e-15)


def test_gelu_left_tail_against_mpmath() -> None:
    mpmath = pytest.importorskip("mpmath")
    mpmath.mp.dps = 40
    for x in (-3.0, -8.0, -20.0):
        exact = float(x * mpmath.ncdf(x))  # x Φ(x)
        assert gelu(np.array(x)) == pytest.approx(exact, rel=1e-14)


def test_hand_values() -> None:
    np.testing.assert_array_equal(relu(np.array([-2.0, 0.0, 3.0])), [0.0, 0.0, 3.0])
    assert sigmoid(np.array(0.0)) == 0.5 and silu(np.array(0.0)) == 0.0
    assert sigmoid(np.array(math.log(3.0))) == pytest.approx(0.75, abs=1e-16)  # 1/(1 + 1/3)
    assert silu(np.array(math.log(3.0))) == pytest.approx(0.75 * math.log(3.0), abs=1e-16)
    assert elu(np.array(-math.log(2.0))) == pytest.approx(-0.5, abs=1e-16)  # e^{−ln 2} − 1
    assert elu(np.array(2.5)) == 2.5
    # GELU(1) = Φ(1) = ½(1 + erf(1/√2)) ≈ 0.8413447460685429 (standard normal table)
    assert gelu(np.array(1.0)) == pytest.approx(0.8413447460685429, abs=1e-16)
    assert gelu(np.array(1.0), "tanh") == pytest.approx(
        0.5 * (1 + math.tanh(math.sqrt(2 / math.pi) * 1.044715)), abs=1e-16
    )
    # derivatives: σ'(0) = ¼, SiLU'(0) = ½, GELU'(0) = Φ(0) = ½, tanh'(0) = 1, relu'(0) = 0, elu'(0) = 1
    at0 = {n: float(activation_grad(np.array(0.0), n)) for n in ACTIVATIONS}
    assert at0 == {
        "identity": 1.0, "relu": 0.0, "tanh": 1.0, "sigmoid": 0.25, "silu": 0.5, "gelu": 0.5,
        "gelu_tanh": 0.5, "elu": 1.0,
    }  # fmt: skip


def test_swish_beta_and_silu() -> None:
    x = np.linspace(-800, 800, 3201)
    np.testing.assert_allclose(swish(x, beta=2.0), x * torch.sigmoid(2 * torch.tensor(x)).numpy(), atol=1e-12)
    np.testing.assert_array_equal(swish(x), silu(x))


def test_dispatcher_names_and_errors() -> None:
    x = np.array([-1.0, 2.0])
    np.testing.assert_array_equal(activate(x, None), x)
    np.testing.assert_array_equal(activation_grad(x, None), [1.0, 1.0])
    for bad in ("swish", "Relu", "softmax"):
        with pytest.raises(ValueError, match="unknown activation"):
            activate(x, bad)
        with pytest.raises(ValueError, match="unknown activation"):
            activation_grad(x, bad)
    with pytest.raises(ValueError):
        gelu(x, "cubic")
