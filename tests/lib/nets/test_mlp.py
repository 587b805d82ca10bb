"""lib/nets/mlp.py vs torch.nn (copied weights) and torch.autograd in float64, central differences, and by
hand."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from lib.core.activations import ACTIVATIONS
from lib.nets.mlp import (
    Linear,
    MLPParams,
    gradient_check,
    init_mlp,
    mlp_backward,
    mlp_backward_per_example,
    mlp_forward,
    mse_loss,
    neuron_trace,
    numerical_gradient,
    relative_error,
)

ATOL = 1e-12
TORCH_ACT = {
    "identity": lambda t: t,
    "relu": torch.relu,
    "tanh": torch.tanh,
    "sigmoid": torch.sigmoid,
    "silu": F.silu,
    "gelu": F.gelu,
    "gelu_tanh": lambda t: F.gelu(t, approximate="tanh"),
    "elu": F.elu,
}


def _torch_run(params: MLPParams, x: np.ndarray, d_out: np.ndarray):
    """Independent torch forward with autograd; returns out, [(dW, db)], [∂L/∂(layer input)]."""
    Ws = [torch.tensor(lin.W.T, requires_grad=True) for lin in params.layers]  # nn.Linear layout
    bs = [torch.tensor(lin.b, requires_grad=True) for lin in params.layers]
    h = torch.tensor(x, requires_grad=True)
    inputs = []
    for W, b, act in zip(Ws, bs, params.activations, strict=True):
        h.retain_grad()
        inputs.append(h)
        h = TORCH_ACT[act](F.linear(h, W, b))
    (h * torch.from_numpy(d_out)).sum().backward()
    return (
        h.detach().numpy(),
        [(W.grad.numpy().T, b.grad.numpy()) for W, b in zip(Ws, bs, strict=True)],
        [t.grad.numpy() for t in inputs],
    )


@settings(max_examples=20, deadline=None, database=None)
@given(
    sizes=st.lists(st.integers(1, 6), min_size=2, max_size=5),
    acts=st.lists(st.sampled_from(list(ACTIVATIONS)), min_size=4, max_size=4),
    batch=st.integers(1, 4),
    seed=st.integers(0, 2**16),
)
def test_forward_and_backward_match_torch_autograd(sizes, acts, batch, seed):
    n_layers = len(sizes) - 1
    base = init_mlp(sizes, seed=seed)
    params = MLPParams(base.layers, tuple(acts[:n_layers]))
    rng = np.random.default_rng(seed + 1)
    x, d_out = rng.standard_normal((batch, sizes[0])), rng.standard_normal((batch, sizes[-1]))
    out, param_grads, input_grads = _torch_run(params, x, d_out)

    trace = mlp_forward(params, x)
    np.testing.assert_allclose(trace.out, out, atol=ATOL, rtol=0)
    grads = mlp_backward(params, trace, d_out)
    for g, (dW, db), dx in zip(grads.layers, param_grads, input_grads, strict=True):
        np.testing.assert_allclose(g.dW, dW, atol=ATOL, rtol=0)
        np.testing.assert_allclose(g.db, db, atol=ATOL, rtol=0)
        np.testing.assert_allclose(g.dx, dx, atol=ATOL, rtol=0)


def test_forward_matches_nn_sequential():
    params = init_mlp([4, 8, 6, 3], hidden="relu", output="sigmoid", seed=0)
    mods = []
    for lin, act in zip(params.layers, params.activations, strict=True):
        layer = torch.nn.Linear(*lin.W.shape, dtype=torch.float64)
        with torch.no_grad():
            layer.weight.copy_(torch.from_numpy(lin.W.T))
            layer.bias.copy_(torch.from_numpy(lin.b))
        mods += [layer, {"relu": torch.nn.ReLU(), "sigmoid": torch.nn.Sigmoid()}[act]]
    x = np.random.default_rng(1).standard_normal((5, 4))
    expected = torch.nn.Sequential(*mods)(torch.from_numpy(x)).detach().numpy()
    np.testing.assert_allclose(mlp_forward(params, x).out, expected, atol=ATOL, rtol=0)


@pytest.mark.parametrize(
    ("hidden", "output"), [("tanh", "identity"), ("sigmoid", "tanh"), ("relu", "identity")]
)
def test_gradient_check_central_differences(hidden, output):
    params = init_mlp([3, 5, 4, 2], hidden=hidden, output=output, seed=2)
    rng = np.random.default_rng(3)
    x, target = rng.standard_normal((4, 3)), rng.standard_normal((4, 2))
    check = gradient_check(params, x, target)
    assert check.names == ("W0", "b0", "W1", "b1", "W2", "b2", "x")
    assert check.max_rel_error < 1e-6, dict(zip(check.names, check.rel_errors, strict=True))
    # and the analytic side equals autograd of F.mse_loss
    Ws = [torch.tensor(lin.W, requires_grad=True) for lin in params.layers]
    bs = [torch.tensor(lin.b, requires_grad=True) for lin in params.layers]
    h = torch.tensor(x, requires_grad=True)
    x_t = h
    for W, b, act in zip(Ws, bs, params.activations, strict=True):
        h = TORCH_ACT[act](h @ W + b)
    F.mse_loss(h, torch.from_numpy(target)).backward()
    expected = [t.grad.numpy() for pair in zip(Ws, bs, strict=True) for t in pair] + [x_t.grad.numpy()]
    for a, e in zip(check.analytic, expected, strict=True):
        np.testing.assert_allclose(a, e, atol=ATOL, rtol=0)


def test_numerical_gradient_of_known_function():
    theta = np.array([[0.5, -1.0], [2.0, 0.1]])
    g = numerical_gradient(lambda t: float(np.sum(t**3) + np.sin(t[0, 1])), theta, eps=1e-5)
    expected = 3 * theta**2
    expected[0, 1] += math.cos(theta[0, 1])
    assert relative_error(g, expected) < 1e-9
    assert np.array_equal(theta, [[0.5, -1.0], [2.0, 0.1]])  # θ is left untouched


def test_relative_error_detects_a_wrong_gradient():
    params = init_mlp([2, 3, 1], seed=4)
    x, target = np.ones((2, 2)), np.zeros((2, 1))
    check = gradient_check(params, x, target)
    assert relative_error(2 * check.analytic[0], check.numeric[0]) > 0.3


def test_per_example_loops_match_batched():
    params = init_mlp([3, 4, 2], hidden="sigmoid", output="tanh", seed=5)
    rng = np.random.default_rng(6)
    x, d_out = rng.standard_normal((3, 3)), rng.standard_normal((3, 2))
    trace = mlp_forward(params, x)
    fast, slow = mlp_backward(params, trace, d_out), mlp_backward_per_example(params, trace, d_out)
    for f, s in zip(fast.layers, slow.layers, strict=True):
        for a, b in ((f.delta, s.delta), (f.dW, s.dW), (f.db, s.db), (f.dx, s.dx)):
            np.testing.assert_allclose(a, b, atol=1e-13, rtol=0)


def test_neuron_trace_matches_layer():
    params = init_mlp([4, 3, 2], hidden="tanh", seed=7)
    trace = mlp_forward(params, np.random.default_rng(8).standard_normal((2, 4)))
    for layer, sample, unit in ((0, 1, 2), (1, 0, 1)):
        nt = neuron_trace(params, trace, layer, sample, unit)
        np.testing.assert_array_equal(nt.products, nt.inputs * nt.weights)
        assert nt.z == pytest.approx(trace.layers[layer].z[sample, unit], abs=1e-14)
        assert nt.a == pytest.approx(trace.layers[layer].a[sample, unit], abs=1e-14)


def test_hand_worked_two_layer_relu():
    # x = [1, 2]; layer 0: W = [[1, −1], [1, 1]], b = [0, −1] ⇒ z = [3, 0] ⇒ relu [3, 0]
    # layer 1: W = [[2], [5]], b = [1] ⇒ out = 7. MSE vs target 5: L = 4, ∂L/∂out = 4.
    # δ1 = 4 ⇒ dW1 = [3, 0]ᵀ·4 = [[12], [0]], db1 = 4, ∂L/∂a0 = 4·[2, 5] = [8, 20]
    # δ0 = [8, 20] ⊙ relu'([3, 0]) = [8, 0] ⇒ dW0 = [1, 2]ᵀ[8, 0] = [[8, 0], [16, 0]], dx = δ0 W0ᵀ = [8, 8]
    params = MLPParams(
        (
            Linear(np.array([[1.0, -1.0], [1.0, 1.0]]), np.array([0.0, -1.0])),
            Linear(np.array([[2.0], [5.0]]), np.array([1.0])),
        ),
        ("relu", "identity"),
    )
    x = np.array([[1.0, 2.0]])
    trace = mlp_forward(params, x)
    np.testing.assert_array_equal(trace.layers[0].z, [[3, 0]])
    assert trace.out.item() == 7.0
    loss, d_out = mse_loss(trace.out, np.array([[5.0]]))
    assert (loss, d_out.item()) == (4.0, 4.0)
    g = mlp_backward(params, trace, d_out)
    np.testing.assert_array_equal(g.layers[1].dW, [[12], [0]])
    np.testing.assert_array_equal(g.layers[1].db, [4])
    np.testing.assert_array_equal(g.layers[1].dx, [[8, 20]])
    np.testing.assert_array_equal(g.layers[0].dW, [[8, 0], [16, 0]])
    np.testing.assert_array_equal(g.layers[0].db, [8, 0])
    np.testing.assert_array_equal(g.dx, [[8, 8]])


def test_unknown_activation():
    with pytest.raises(ValueError):
        mlp_forward(MLPParams((Linear(np.ones((1, 1)), np.zeros(1)),), ("swish",)), np.ones((1, 1)))
