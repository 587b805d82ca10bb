"""The residual highway: how much of the output gradient reaches the input of a plain and a residual stack.

References
- He et al. 2016b, "Identity Mappings in Deep Residual Networks", eqs. 4–5: with x_{l+1} = x_l + F(x_l) the
  Jacobian of one layer is ∂x_{l+1}/∂x_l = I + ∂F/∂x_l, and ∂L/∂x_l = ∂L/∂x_L (I + ∂/∂x_l Σ_i F(x_i)):
  the identity term carries ∂L/∂x_L to every depth. A plain stack has ∂x_{l+1}/∂x_l = ∂F/∂x_l only, so
  ‖∂L/∂x_0‖ is a product of L factors and shrinks (or grows) geometrically.
- Glorot & Bengio 2010, §4: the gradient of a plain tanh stack fades towards the input.

The gradients themselves come from :func:`lib.nets.depth_gradients.depth_gradients` (a hand-written
backward pass, torch-checked); this module summarises one pair of runs on the same weights and data:
the input/output ratio ‖∂L/∂x_0‖ / ‖∂L/∂x_L‖ and the per-layer factor, its L-th root, i.e. the geometric mean
of the per-layer ratios ‖∂L/∂x_l‖ / ‖∂L/∂x_{l+1}‖ (a product of L such factors is the whole ratio).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lib.nets.depth_gradients import DepthGradients, depth_gradients, init_stack


@dataclass(frozen=True)
class StackSummary:
    """One stack's gradient through depth, reduced to the numbers a lecturer quotes."""

    norms: np.ndarray  # (L+1,)  ‖∂L/∂x_l‖, l = 0 (input) … L (output)
    ratio: float  # ‖∂L/∂x_0‖ / ‖∂L/∂x_L‖: what fraction of the output gradient reaches the input
    layer_factors: np.ndarray  # (L,)  ‖∂L/∂x_l‖ / ‖∂L/∂x_{l+1}‖, l = 0 … L−1
    per_layer: float  # ratio^(1/L): the geometric mean of layer_factors


@dataclass(frozen=True)
class Highway:
    """The same weights and data through a plain stack and a residual stack."""

    plain: StackSummary
    residual: StackSummary
    depth: int


def summarise(run: DepthGradients) -> StackSummary:
    """Ratio and per-layer factor of one run: ratio = Π_l factor_l, per_layer = ratio^(1/L)."""
    norms = run.grad_norms  # (L+1,)
    depth = len(norms) - 1
    ratio = float(norms[0] / norms[-1])
    factors = norms[:-1] / norms[1:]  # (L,)  how much one layer scales the gradient on its way back
    return StackSummary(norms=norms, ratio=ratio, layer_factors=factors, per_layer=ratio ** (1.0 / depth))


def highway(x: np.ndarray, depth: int, width: int, gain: float = 1.0, seed: int = 0) -> Highway:
    """Run one seeded tanh stack (W_l ~ N(0, gain²/width)) with and without skips on the batch ``x``."""
    w = init_stack(depth, width, gain, seed)
    plain = summarise(depth_gradients(x, w, residual=False))
    residual = summarise(depth_gradients(x, w, residual=True))
    return Highway(plain=plain, residual=residual, depth=depth)
