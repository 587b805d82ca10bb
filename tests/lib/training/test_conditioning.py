"""Conditioning of a quadratic vs torch.linalg.eigvalsh, the step-size limit and steps-to-tolerance vs a
torch.optim.SGD run, and the per-step factors against the closed form (I − ηA)^t e_0."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from lib.training.conditioning import conditioning, distances, gd_factors, steps_to_tolerance
from lib.training.objectives import quadratic_matrix


def _torch_sgd(A: np.ndarray, start, lr: float, steps: int, **kw) -> np.ndarray:
    At = torch.tensor(A)
    p = torch.tensor(start, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.SGD([p], lr=lr, foreach=False, **kw)
    out = [p.detach().clone()]
    for _ in range(steps):
        opt.zero_grad()
        (0.5 * p @ At @ p).backward()
        opt.step()
        out.append(p.detach().clone())
    return torch.stack(out).numpy()


@pytest.mark.parametrize(("kappa", "angle"), [(20.0, np.pi / 6), (7.5, 1.0), (100.0, 0.0)])
def test_eigenvalues_condition_and_limits(kappa, angle):
    A = quadratic_matrix(kappa, angle)
    c = conditioning(A)
    lam = torch.linalg.eigvalsh(torch.tensor(A)).numpy()
    np.testing.assert_allclose(c.eigenvalues, lam, rtol=1e-12)
    assert abs(c.condition - kappa) < 1e-10 * kappa  # A was built with eigenvalues 1 and κ
    assert abs(c.lr_limit - 2 / kappa) < 1e-14
    assert abs(c.lr_best - 2 / (1 + kappa)) < 1e-14
    assert abs(c.rate_best - (kappa - 1) / (kappa + 1)) < 1e-12
    assert abs(c.rate_momentum - (np.sqrt(kappa) - 1) / (np.sqrt(kappa) + 1)) < 1e-12
    for i in range(2):  # A v = λ v
        np.testing.assert_allclose(A @ c.eigenvectors[:, i], lam[i] * c.eigenvectors[:, i], atol=1e-12)


def test_below_the_limit_converges_above_diverges():
    A = quadratic_matrix(20.0, np.pi / 6)
    lim = conditioning(A).lr_limit
    below = distances(_torch_sgd(A, [-4.0, 2.0], 0.95 * lim, 80), np.zeros(2))
    above = distances(_torch_sgd(A, [-4.0, 2.0], 1.05 * lim, 80), np.zeros(2))
    assert below[-1] < 1e-2 * below[0] and above[-1] > 1e2 * above[0]
    np.testing.assert_allclose(gd_factors(A, 0.95 * lim), [1 - 0.095, 1 - 1.9], atol=1e-12)


def test_closed_form_and_steps_to_tolerance_match_torch():
    A = quadratic_matrix(20.0, np.pi / 6)
    e0 = np.array([-4.0, 2.0])
    pts = _torch_sgd(A, e0.tolist(), 0.06, 150)
    closed = np.stack([np.linalg.matrix_power(np.eye(2) - 0.06 * A, t) @ e0 for t in range(151)])
    np.testing.assert_allclose(pts, closed, atol=1e-12)
    d = np.linalg.norm(pts, axis=1)
    np.testing.assert_allclose(distances(pts, np.zeros(2)), d, atol=1e-15)
    first = next(t for t in range(151) if d[t] < 1e-3)
    assert steps_to_tolerance(pts, np.zeros(2), 1e-3) == first
    assert steps_to_tolerance(pts[:first], np.zeros(2), 1e-3) is None
