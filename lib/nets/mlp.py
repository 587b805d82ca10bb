"""A small multilayer perceptron with an explicit forward trace, manual backprop and a gradient check.

Rumelhart, Hinton & Williams 1986, "Learning representations by back-propagating errors" (Nature 323):
forward x_j = Σ_i y_i w_ji (eq. 1), y_j = φ(x_j) (eq. 2); the backward pass propagates
∂E/∂x_j = ∂E/∂y_j · φ'(x_j) (eq. 5 for the logistic φ), ∂E/∂w_ji = ∂E/∂x_j · y_i (eq. 6) and
∂E/∂y_i = Σ_j ∂E/∂x_j · w_ji (eq. 7). Here, per layer with a batch: z = x W + b, a = φ(z),
δ = ∂L/∂a ⊙ φ'(z), ∂L/∂W = xᵀ δ, ∂L/∂b = Σ_batch δ, ∂L/∂x = δ Wᵀ. Weights are stored for ``x @ W``.

The gradient check is the central difference (f(θ + ε) − f(θ − ε)) / 2ε, error O(ε²), compared with the
relative error ‖g_analytic − g_numeric‖ / (‖g_analytic‖ + ‖g_numeric‖).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from lib.core.activations import activate, activation_grad


@dataclass(frozen=True)
class Linear:
    W: np.ndarray  # (d_in, d_out)
    b: np.ndarray  # (d_out,)


@dataclass(frozen=True)
class MLPParams:
    layers: tuple[Linear, ...]
    activations: tuple[str, ...]  # φ after each Linear, names of lib.core.activations (often 'identity' last)

    @property
    def sizes(self) -> tuple[int, ...]:
        return (self.layers[0].W.shape[0], *(lin.W.shape[1] for lin in self.layers))


def init_mlp(
    sizes: list[int] | tuple[int, ...], hidden: str = "tanh", output: str = "identity", seed: int = 0
) -> MLPParams:
    """Seeded U(±1/√d_in) weights and biases (torch.nn.Linear's default scale)."""
    rng = np.random.default_rng(seed)
    layers = []
    for d_in, d_out in zip(sizes[:-1], sizes[1:], strict=True):
        bound = d_in**-0.5
        layers.append(Linear(rng.uniform(-bound, bound, (d_in, d_out)), rng.uniform(-bound, bound, d_out)))
    acts = (hidden,) * (len(layers) - 1) + (output,)
    return MLPParams(tuple(layers), acts)


@dataclass(frozen=True)
class LayerTrace:
    x: np.ndarray  # (B, d_in)  layer input (the previous layer's a, or the network input)
    z: np.ndarray  # (B, d_out)  pre-activation x W + b
    a: np.ndarray  # (B, d_out)  φ(z)


@dataclass(frozen=True)
class MLPTrace:
    layers: tuple[LayerTrace, ...]
    out: np.ndarray  # (B, d_out)  last layer's a


@dataclass(frozen=True)
class NeuronTrace:
    """One unit of one layer for one example: y_j = φ(Σ_i x_i w_ij + b_j) term by term."""

    layer: int
    sample: int
    unit: int
    inputs: np.ndarray  # (d_in,)
    weights: np.ndarray  # (d_in,)  column `unit` of W
    products: np.ndarray  # (d_in,)  inputs ⊙ weights
    bias: float
    z: float  # Σ products + bias
    activation: str
    a: float  # φ(z)


@dataclass(frozen=True)
class LayerGrads:
    delta: np.ndarray  # (B, d_out)  ∂L/∂z = ∂L/∂a ⊙ φ'(z)
    dW: np.ndarray  # (d_in, d_out)
    db: np.ndarray  # (d_out,)
    dx: np.ndarray  # (B, d_in)  ∂L/∂(layer input)


@dataclass(frozen=True)
class MLPGrads:
    layers: tuple[LayerGrads, ...]

    @property
    def dx(self) -> np.ndarray:
        return self.layers[0].dx  # (B, d_0)


def mlp_forward(params: MLPParams, x: np.ndarray) -> MLPTrace:
    """Forward pass (Rumelhart et al. 1986, eq. 1–2): z = x W + b, a = φ(z), layer after layer."""
    traces = []
    for lin, act in zip(params.layers, params.activations, strict=True):
        z = x @ lin.W + lin.b  # (B, d_out)
        a = activate(z, act)  # (B, d_out)
        traces.append(LayerTrace(x, z, a))
        x = a  # (B, d_out)  input of the next layer
    return MLPTrace(tuple(traces), x)


def neuron_trace(params: MLPParams, trace: MLPTrace, layer: int, sample: int, unit: int) -> NeuronTrace:
    """The single neuron (layer, unit) on one example, as the sum a scene writes out."""
    lin, act = params.layers[layer], params.activations[layer]
    inputs = trace.layers[layer].x[sample]  # (d_in,)
    weights = lin.W[:, unit]  # (d_in,)
    products = inputs * weights  # (d_in,)
    z = float(products.sum() + lin.b[unit])
    return NeuronTrace(layer, sample, unit, inputs, weights, products, float(lin.b[unit]), z, act,
                       float(activate(np.array(z), act)))  # fmt: skip


def mlp_backward(params: MLPParams, trace: MLPTrace, d_out: np.ndarray) -> MLPGrads:
    """Backpropagation (Rumelhart et al. 1986, eq. 5–7), batched, given d_out = ∂L/∂out (B, d_out).

    δ = ∂L/∂a ⊙ φ'(z);  ∂L/∂W = xᵀ δ;  ∂L/∂b = Σ_batch δ;  ∂L/∂x = δ Wᵀ (the next ∂L/∂a down).
    """
    grads = []
    da = d_out  # (B, d_out)
    for lin, act, tr in reversed(list(zip(params.layers, params.activations, trace.layers, strict=True))):
        delta = da * activation_grad(tr.z, act, tr.a)  # (B, d_out)
        dW = tr.x.T @ delta  # (d_in, d_out)
        db = delta.sum(axis=0)  # (d_out,)
        da = delta @ lin.W.T  # (B, d_in)
        grads.append(LayerGrads(delta, dW, db, da))
    return MLPGrads(tuple(reversed(grads)))


def mlp_backward_per_example(params: MLPParams, trace: MLPTrace, d_out: np.ndarray) -> MLPGrads:
    """Plain version of ``mlp_backward``: one example and one weight at a time (eq. 6–7 literally)."""
    n_layers = len(params.layers)
    deltas: list[np.ndarray] = [np.zeros_like(t.z) for t in trace.layers]
    dxs: list[np.ndarray] = [np.zeros_like(t.x) for t in trace.layers]
    dWs = [np.zeros_like(lin.W) for lin in params.layers]
    for n in range(d_out.shape[0]):
        da = d_out[n]  # (d_out,)
        for layer in reversed(range(n_layers)):
            lin, tr, act = params.layers[layer], trace.layers[layer], params.activations[layer]
            d_in, d_o = lin.W.shape
            phi_prime = activation_grad(tr.z[n], act, tr.a[n])  # (d_out,)
            delta = np.array([da[j] * phi_prime[j] for j in range(d_o)])  # (d_out,)
            for i in range(d_in):
                for j in range(d_o):
                    dWs[layer][i, j] += delta[j] * tr.x[n, i]  # eq. 6
            da = np.array([sum(delta[j] * lin.W[i, j] for j in range(d_o)) for i in range(d_in)])  # eq. 7
            deltas[layer][n], dxs[layer][n] = delta, da  # (d_out,), (d_in,)
    return MLPGrads(
        tuple(LayerGrads(deltas[k], dWs[k], deltas[k].sum(axis=0), dxs[k]) for k in range(n_layers))
    )


def mse_loss(pred: np.ndarray, target: np.ndarray) -> tuple[float, np.ndarray]:
    """L = mean((pred − target)²) (torch's F.mse_loss) and ∂L/∂pred = 2 (pred − target) / size."""
    diff = pred - target  # (B, d_out)
    return float(np.mean(diff**2)), 2.0 * diff / diff.size


def numerical_gradient(f: Callable[[np.ndarray], float], theta: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """Central differences: ∂f/∂θ_k ≈ (f(θ + ε e_k) − f(θ − ε e_k)) / 2ε, one coordinate at a time."""
    grad = np.zeros_like(theta)  # same shape as θ
    probe = theta.astype(np.float64, copy=True)  # same shape as θ
    flat = probe.reshape(-1)  # (θ.size,) view into probe
    for k in range(flat.size):
        old = flat[k]
        flat[k] = old + eps
        f_plus = f(probe)
        flat[k] = old - eps
        f_minus = f(probe)
        flat[k] = old
        grad.reshape(-1)[k] = (f_plus - f_minus) / (2.0 * eps)
    return grad


def relative_error(a: np.ndarray, b: np.ndarray) -> float:
    """‖a − b‖ / (‖a‖ + ‖b‖), 0 when both are zero."""
    denom = np.linalg.norm(a) + np.linalg.norm(b)
    return 0.0 if denom == 0 else float(np.linalg.norm(a - b) / denom)


@dataclass(frozen=True)
class GradCheck:
    names: tuple[str, ...]  # 'W0', 'b0', 'W1', …, 'x'
    analytic: tuple[np.ndarray, ...]  # backprop gradients of the MSE loss, same order as names
    numeric: tuple[np.ndarray, ...]  # central-difference gradients
    rel_errors: tuple[float, ...]

    @property
    def max_rel_error(self) -> float:
        return max(self.rel_errors)


def gradient_check(params: MLPParams, x: np.ndarray, target: np.ndarray, eps: float = 1e-6) -> GradCheck:
    """Compare backprop with central differences of the MSE loss for every W, b and the input x."""

    def loss_with(k: int, kind: str) -> Callable[[np.ndarray], float]:
        def f(theta: np.ndarray) -> float:
            layers = list(params.layers)
            if kind == "W":
                layers[k] = Linear(theta, layers[k].b)
            elif kind == "b":
                layers[k] = Linear(layers[k].W, theta)
            inp = theta if kind == "x" else x
            out = mlp_forward(MLPParams(tuple(layers), params.activations), inp).out
            return mse_loss(out, target)[0]

        return f

    trace = mlp_forward(params, x)
    grads = mlp_backward(params, trace, mse_loss(trace.out, target)[1])
    names, analytic, numeric = [], [], []
    for k, (lin, g) in enumerate(zip(params.layers, grads.layers, strict=True)):
        for kind, value, grad in (("W", lin.W, g.dW), ("b", lin.b, g.db)):
            names.append(f"{kind}{k}")
            analytic.append(grad)
            numeric.append(numerical_gradient(loss_with(k, kind), value, eps))
    names.append("x")
    analytic.append(grads.dx)
    numeric.append(numerical_gradient(loss_with(-1, "x"), x, eps))
    errors = tuple(relative_error(a, n) for a, n in zip(analytic, numeric, strict=True))
    return GradCheck(tuple(names), tuple(analytic), tuple(numeric), errors)
