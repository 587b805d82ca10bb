"""Gradient norm through depth: a deep stack of tanh layers with and without residual paths.

References
- He et al. 2016, "Deep Residual Learning for Image Recognition", eq. 1: x_{l+1} = x_l + F(x_l).
- He et al. 2016b, "Identity Mappings in Deep Residual Networks", eqs. 4–5: with identity skips
  ∂L/∂x_l = ∂L/∂x_L · (I + ∂/∂x_l Σ_{i=l}^{L−1} F(x_i)), so the gradient reaching layer l always keeps
  the term ∂L/∂x_L and cannot vanish; without skips it is a product of L − l Jacobians and can.
- Glorot & Bengio 2010, "Understanding the difficulty of training deep feedforward neural networks", §4:
  the gradient of a plain tanh stack shrinks layer by layer towards the input.

One layer is F_l(x) = tanh(x W_l + b_l); the plain stack is x_{l+1} = F_l(x_l), the residual stack
x_{l+1} = x_l + F_l(x_l). The loss is L = (1/B) Σ_b c · x_L[b] for a fixed random read-out c, so
∂L/∂x_L = c/B for every example. The backward pass is written out by hand (``lib`` has no autograd);
the tests compare it with torch autograd.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class StackWeights:
    """The weights of a depth-L stack and the loss read-out (seeded, see :func:`init_stack`)."""

    W: np.ndarray  # (L, d, d)  layer l computes x W[l] + b[l]
    b: np.ndarray  # (L, d)
    readout: np.ndarray  # (d,)  c in L = mean_b c · x_L[b]


@dataclass(frozen=True)
class DepthGradients:
    """Forward activations and the gradient at every depth of one stack."""

    xs: np.ndarray  # (L+1, B, d)  x_0 (the input) … x_L (the output)
    grads: np.ndarray  # (L+1, B, d)  ∂L/∂x_l
    grad_norms: np.ndarray  # (L+1,)  ‖∂L/∂x_l‖ (Frobenius over the batch), l = 0 … L
    loss: float
    residual: bool


def init_stack(depth: int, width: int, gain: float = 1.0, seed: int = 0) -> StackWeights:
    """W_l ~ N(0, gain²/width) (Glorot/LeCun scale times ``gain``), b_l ~ N(0, 0.01), c ~ N(0, 1)."""
    rng = np.random.default_rng(seed)
    W = rng.normal(0.0, gain / np.sqrt(width), size=(depth, width, width))  # (L, d, d)
    b = rng.normal(0.0, 0.1, size=(depth, width))  # (L, d)
    readout = rng.normal(size=width)  # (d,)
    return StackWeights(W=W, b=b, readout=readout)


def depth_gradients(x: np.ndarray, w: StackWeights, residual: bool) -> DepthGradients:
    """Forward through the stack, then back by the chain rule, keeping ‖∂L/∂x_l‖ at every depth.

    Forward: a_l = tanh(x_l W_l + b_l);  x_{l+1} = x_l + a_l (residual) or a_l (plain).
    Backward: g_L = c/B;  δ_l = g_{l+1} ⊙ (1 − a_l²);  g_l = δ_l W_lᵀ (+ g_{l+1} through the skip).
    """
    x = np.asarray(x, dtype=np.float64)  # (B, d)
    batch = x.shape[0]
    xs, acts = [x], []
    for W, b in zip(w.W, w.b, strict=True):
        a = np.tanh(xs[-1] @ W + b)  # (B, d)
        acts.append(a)
        xs.append(xs[-1] + a if residual else a)  # (B, d)
    loss = float((xs[-1] @ w.readout).mean())
    g = np.broadcast_to(w.readout / batch, x.shape).copy()  # (B, d)  ∂L/∂x_L
    grads = [g]
    for W, a in zip(w.W[::-1], acts[::-1], strict=True):
        delta = g * (1.0 - a**2)  # (B, d)  through tanh
        g = delta @ W.T + (g if residual else 0.0)  # (B, d)  the skip adds the identity path
        grads.append(g)
    grads_arr = np.stack(grads[::-1])  # (L+1, B, d)
    norms = np.sqrt((grads_arr**2).sum(axis=(1, 2)))  # (L+1,)
    return DepthGradients(xs=np.stack(xs), grads=grads_arr, grad_norms=norms, loss=loss, residual=residual)
