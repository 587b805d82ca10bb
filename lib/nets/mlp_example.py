"""A worked example of a small MLP: a seeded network, one input and target, forward, backward, gradient check.

Rumelhart, Hinton & Williams 1986 (Nature 323): forward x_j = Σ_i y_i w_ji + b_j, y_j = φ(x_j) (eq. 1–2);
backward δ_j = ∂E/∂y_j · φ'(x_j) (eq. 5), ∂E/∂w_ji = δ_j y_i (eq. 6), ∂E/∂y_i = Σ_j δ_j w_ji (eq. 7). The loss
is the MSE of ``lib.nets.mlp.mse_loss``; the check compares backprop with central differences
(f(θ + ε) − f(θ − ε)) / 2ε, whose truncation error is O(ε²) (so ε sets the size of the relative error).

This module only assembles ``lib.nets.mlp``: it picks the data (seeded) and keeps every intermediate a scene
shows, so that the scene selects numbers and computes none.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lib.core.activations import activation_grad
from lib.nets.mlp import (
    GradCheck,
    MLPGrads,
    MLPParams,
    MLPTrace,
    NeuronTrace,
    gradient_check,
    init_mlp,
    mlp_backward,
    mlp_forward,
    mse_loss,
    neuron_trace,
)


@dataclass(frozen=True)
class MLPExample:
    """A network of ``sizes`` on one example (batch of 1), with everything the lecture shows."""

    params: MLPParams
    x: np.ndarray  # (1, d_0)  the input
    target: np.ndarray  # (1, d_L)  the regression target
    trace: MLPTrace  # forward pass
    loss: float  # L = mean((y − t)²)
    d_out: np.ndarray  # (1, d_L)  ∂L/∂y = 2 (y − t) / d_L
    grads: MLPGrads  # backprop, layer by layer
    phi_prime: tuple[np.ndarray, ...]  # per layer (1, d_out): φ'(z), the local slope of each activation
    neuron: NeuronTrace  # the hidden unit worked out term by term
    neuron_sum: float  # Σ_i x_i w_i of that unit, before its bias
    check: GradCheck  # backprop vs central differences for every W, b and x


def mlp_example(
    sizes: tuple[int, ...], hidden: str = "tanh", unit: int = 0, seed: int = 0, eps: float = 1e-4
) -> MLPExample:
    """A seeded MLP (``init_mlp``: U(±1/√d_in), torch's default scale) on x ~ N(0, 1), target ~ N(0, 1).

    ``unit`` is the unit of the first hidden layer traced by ``neuron_trace``; ``eps`` the central
    difference step of the gradient check.
    """
    if len(sizes) < 3:
        raise ValueError("an MLP example needs an input, at least one hidden layer and an output")
    if not 0 <= unit < sizes[1]:
        raise ValueError(f"unit {unit} is not a unit of the first hidden layer (0 … {sizes[1] - 1})")
    params = init_mlp(sizes, hidden=hidden, output="identity", seed=seed)
    rng = np.random.default_rng(seed + 1)  # the data: its own stream, so changing sizes keeps it apart
    x = rng.standard_normal((1, sizes[0]))  # (1, d_0)
    target = rng.standard_normal((1, sizes[-1]))  # (1, d_L)
    trace = mlp_forward(params, x)
    loss, d_out = mse_loss(trace.out, target)  # scalar, (1, d_L)
    grads = mlp_backward(params, trace, d_out)
    phi_prime = tuple(
        activation_grad(t.z, act, t.a) for t, act in zip(trace.layers, params.activations, strict=True)
    )  # (1, d_out) per layer
    neuron = neuron_trace(params, trace, layer=0, sample=0, unit=unit)
    check = gradient_check(params, x, target, eps=eps)
    return MLPExample(
        params, x, target, trace, loss, d_out, grads, phi_prime, neuron, float(neuron.products.sum()), check
    )
