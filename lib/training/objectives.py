"""2-D test objectives for optimiser comparisons, and a driver that records the trajectory.

Rosenbrock 1960, "An automatic method for finding the greatest or least value of a function":
f(x, y) = (a − x)² + b (y − x²)², minimum (a, a²). Ill-conditioned quadratic
f(p) = ½ (p − p*)ᵀ A (p − p*) with A = R(φ) diag(1, κ) R(φ)ᵀ (condition number κ, axes rotated by φ),
the standard model of a narrow valley (e.g. Goodfellow, Bengio & Courville 2016, §8.2.1, §4.3.1).
Values and gradients take points of shape ``(..., 2)`` so a scene can evaluate a contour grid.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from lib.training.optimizers import Optimizer, make_optimizer


@dataclass(frozen=True)
class Objective:
    name: str
    value: Callable[[np.ndarray], np.ndarray]  # (..., 2) -> (...)
    grad: Callable[[np.ndarray], np.ndarray]  # (..., 2) -> (..., 2)
    minimum: np.ndarray  # (2,)


def rosenbrock_value(p: np.ndarray, a: float = 1.0, b: float = 100.0) -> np.ndarray:
    """f = (a − x)² + b (y − x²)² (Rosenbrock 1960)."""
    x, y = p[..., 0], p[..., 1]  # (...), (...)
    return (a - x) ** 2 + b * (y - x**2) ** 2  # (...)


def rosenbrock_grad(p: np.ndarray, a: float = 1.0, b: float = 100.0) -> np.ndarray:
    """∇f = (−2(a − x) − 4b x (y − x²),  2b (y − x²))."""
    x, y = p[..., 0], p[..., 1]  # (...), (...)
    r = y - x**2  # (...)
    return np.stack([-2 * (a - x) - 4 * b * x * r, 2 * b * r], axis=-1)  # (..., 2)


def rosenbrock(a: float = 1.0, b: float = 100.0) -> Objective:
    return Objective(
        name=f"rosenbrock(a={a:g}, b={b:g})",
        value=lambda p: rosenbrock_value(p, a, b),
        grad=lambda p: rosenbrock_grad(p, a, b),
        minimum=np.array([a, a * a]),  # (2,)
    )


def quadratic_matrix(condition: float, angle: float) -> np.ndarray:
    """A = R(φ) diag(1, κ) R(φ)ᵀ, symmetric positive definite with eigenvalues 1 and κ."""
    c, s = np.cos(angle), np.sin(angle)
    rot = np.array([[c, -s], [s, c]])  # (2, 2)
    return rot @ np.diag([1.0, condition]) @ rot.T  # (2, 2)


def ill_conditioned_quadratic(
    condition: float = 20.0, angle: float = np.pi / 6, center: tuple[float, float] = (0.0, 0.0)
) -> Objective:
    """f(p) = ½ (p − p*)ᵀ A (p − p*),  ∇f = A (p − p*)."""
    A = quadratic_matrix(condition, angle)  # (2, 2)
    c = np.asarray(center, dtype=np.float64)  # (2,)

    def value(p: np.ndarray) -> np.ndarray:
        d = p - c  # (..., 2)
        return 0.5 * np.einsum("...i,ij,...j->...", d, A, d)  # (...)

    def grad(p: np.ndarray) -> np.ndarray:
        return (p - c) @ A.T  # (..., 2)

    return Objective(f"quadratic(kappa={condition:g})", value, grad, c.copy())


@dataclass(frozen=True)
class Trajectory2D:
    optimizer: str
    points: np.ndarray  # (steps+1, 2)  θ_0 … θ_steps
    values: np.ndarray  # (steps+1,)    f(θ_t)
    grads: np.ndarray  # (steps+1, 2)  ∇f(θ_t)
    updates: np.ndarray  # (steps, 2)    θ_{t+1} − θ_t


def optimize_2d(
    optimizer: Optimizer | str,
    fn: Objective,
    start: tuple[float, float] | np.ndarray,
    steps: int,
    lr: float,
    **hparams: Any,
) -> Trajectory2D:
    """Run ``steps`` optimiser steps from ``start`` on ``fn`` (gradients exact, no noise).

    ``optimizer`` is a bound :class:`Optimizer` or a name for ``make_optimizer(name, **hparams)``.
    ``result.points`` is the ``(steps+1, 2)`` trajectory.
    """
    if not isinstance(optimizer, str) and hparams:
        raise ValueError("pass hyper-parameters to make_optimizer, not with a bound Optimizer")
    opt = make_optimizer(optimizer, **hparams) if isinstance(optimizer, str) else optimizer
    p = np.asarray(start, dtype=np.float64).copy()  # (2,)
    state = opt.init(p)
    points, grads = [p], []
    for _ in range(steps):
        g = fn.grad(p)  # (2,)
        grads.append(g)
        out = opt.step(p, g, state, lr)
        p, state = out.params, out.state  # (2,)
        points.append(p)
    grads.append(fn.grad(p))
    pts = np.stack(points)  # (steps+1, 2)
    return Trajectory2D(opt.name, pts, fn.value(pts), np.stack(grads), np.diff(pts, axis=0))
