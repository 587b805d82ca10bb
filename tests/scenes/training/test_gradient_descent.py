"""training.gradient_descent: what the viewer reads and where the paths are drawn, against torch.

The matrix A = R(φ) diag(1, κ) R(φ)ᵀ is built here by hand, its eigenvalues come from torch.linalg.eigvalsh,
and every trajectory is a torch.optim.SGD run (plain, momentum, nesterov) on ½ θᵀAθ from the same start, so
the drawn vertices (read back through the axes), the distances on the log plot, the step limit and the steps
to the tolerance are all checked against an independent computation, formatted as the screen formats them.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from scenes.kit import numbers
from scenes.training.gradient_descent import GradientDescent
from scenes.training.params.gradient_descent import VIEW

SETS = [None, *GradientDescent.EXAMPLES]
LOCALES = ["en", "zh"]
VALLEY, LIMIT, MOMENTUM = range(3)  # the pauses


def run(fast_run, raw, locale):
    scene, _ = fast_run("training.gradient_descent", raw, locale)
    assert len(scene.pictures) == MOMENTUM + 1
    return scene, GradientDescent.Params.model_validate(raw or {}), GradientDescent.STRINGS[locale]


def hessian(p) -> torch.Tensor:
    phi = math.radians(p.angle)
    c, s = math.cos(phi), math.sin(phi)
    rot = torch.tensor([[c, -s], [s, c]], dtype=torch.float64)
    return rot @ torch.diag(torch.tensor([1.0, p.condition], dtype=torch.float64)) @ rot.T


def sgd_path(p, lr: float, steps: int, **kw) -> np.ndarray:
    """θ_0 … θ_steps of torch.optim.SGD on ½ θᵀAθ (minimum at the origin)."""
    A = hessian(p)
    theta = torch.tensor(p.start, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.SGD([theta], lr=lr, foreach=False, **kw)
    out = [theta.detach().clone()]
    for _ in range(steps):
        opt.zero_grad()
        (0.5 * theta @ A @ theta).backward()
        opt.step()
        out.append(theta.detach().clone())
    return torch.stack(out).numpy()


def in_window(path: np.ndarray) -> np.ndarray:
    """The points before the first one outside the plotted window."""
    (x0, x1), (y0, y1) = VIEW
    inside = (path[:, 0] >= x0) & (path[:, 0] <= x1) & (path[:, 1] >= y0) & (path[:, 1] <= y1)
    return path if inside.all() else path[: int(np.argmin(inside))]


def lr_text(v: float) -> str:
    return f"{v:.3f}"


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("raw", SETS)
def test_matrix_eigenvalues_and_condition_number(fast_run, raw, locale):
    scene, p, _ = run(fast_run, raw, locale)
    pic = scene.pictures[VALLEY]
    A = hessian(p)
    tex = np.vectorize(lambda v: numbers.fixed(float(v), 2, tex=True))
    assert (pic.array("A") == tex(A.numpy())).all()
    lam = torch.linalg.eigvalsh(A)
    assert pic.text("lam_min") == numbers.fixed(float(lam[0]), 2, tex=True)
    assert pic.text("lam_max") == numbers.fixed(float(lam[1]), 2, tex=True)
    assert pic.text("kappa") == numbers.fixed(float(lam[1] / lam[0]), 1, tex=True)


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("raw", SETS)
def test_step_limit_and_the_runs_either_side(fast_run, raw, locale):
    scene, p, strings = run(fast_run, raw, locale)
    pic = scene.pictures[LIMIT]
    lam_max = float(torch.linalg.eigvalsh(hessian(p))[1])
    limit = 2 / lam_max
    assert pic.text("lr_limit") == lr_text(limit)
    for side, lr in (("below", (1 - p.margin) * limit), ("above", (1 + p.margin) * limit)):
        assert pic.text(side) == strings[side].format(lr=lr_text(lr))
        path = sgd_path(p, lr, p.limit_steps)
        np.testing.assert_allclose(pic.value(f"path_{side}"), in_window(path), atol=1e-9, rtol=0)
        dist = np.linalg.norm(path, axis=1)  # θ* = 0
        drawn = pic.value(f"dist_{side}")
        np.testing.assert_array_equal(np.round(drawn[:, 0], 9), np.arange(p.limit_steps + 1))
        np.testing.assert_allclose(drawn[:, 1], dist, rtol=1e-9)
    assert np.linalg.norm(sgd_path(p, (1 - p.margin) * limit, p.limit_steps)[-1]) < np.linalg.norm(p.start)
    assert np.linalg.norm(sgd_path(p, (1 + p.margin) * limit, p.limit_steps)[-1]) > np.linalg.norm(p.start)


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("raw", SETS)
def test_momentum_paths_and_steps_to_tolerance(fast_run, raw, locale):
    scene, p, strings = run(fast_run, raw, locale)
    pic = scene.pictures[MOMENTUM]
    settings = {"sgd": {}, "momentum": {"momentum": p.momentum},
                "nesterov": {"momentum": p.momentum, "nesterov": True}}  # fmt: skip
    for i, (m, kw) in enumerate(settings.items()):
        path = sgd_path(p, p.lr, p.steps, **kw)
        np.testing.assert_allclose(pic.value(f"path_{m}"), in_window(path), atol=1e-9, rtol=0)
        d = np.linalg.norm(path, axis=1)
        first = next((t for t in range(p.steps + 1) if d[t] < p.tol), None)
        want = str(first) if first is not None else strings["never"].format(n=p.steps)
        assert pic.text("steps_to_tol", i) == want, m
    assert pic.text("count_note") == strings["count_note"].format(
        lr=lr_text(p.lr), mu=f"{p.momentum:.2f}", tol=f"{p.tol:g}"
    )
