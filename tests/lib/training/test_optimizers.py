"""Optimisers vs torch.optim (float64, 100-step trajectories), Lion vs an independent torch version,
objectives' gradients vs autograd, and small cases worked by hand."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from lib.training.objectives import (
    ill_conditioned_quadratic,
    optimize_2d,
    quadratic_matrix,
    rosenbrock,
    rosenbrock_grad,
    rosenbrock_value,
)
from lib.training.optimizers import (
    adam_init,
    adam_step,
    adamw_step,
    lion_init,
    lion_step,
    make_optimizer,
    sgd_init,
    sgd_step,
)

STEPS = 100
DIM = 6


def _problem(seed: int = 0):
    """Random convex quadratic L(θ) = ½ θᵀAθ + bᵀθ (A SPD, condition ≈ 10) and a start point."""
    rng = np.random.default_rng(seed)
    Q, _ = np.linalg.qr(rng.standard_normal((DIM, DIM)))  # (D, D)
    A = Q @ np.diag(np.linspace(0.5, 5.0, DIM)) @ Q.T  # (D, D)
    b = rng.standard_normal(DIM)  # (D,)
    theta0 = rng.standard_normal(DIM)  # (D,)
    return A, b, theta0


def _torch_trajectory(opt_cls, kwargs, A, b, theta0, steps=STEPS):
    At, bt = torch.tensor(A), torch.tensor(b)
    p = torch.tensor(theta0, dtype=torch.float64, requires_grad=True)
    opt = opt_cls([p], foreach=False, **kwargs)
    traj = [p.detach().clone()]
    for _ in range(steps):
        opt.zero_grad()
        loss = 0.5 * p @ At @ p + bt @ p
        loss.backward()
        opt.step()
        traj.append(p.detach().clone())
    return torch.stack(traj).numpy()  # (steps+1, D)


def _numpy_trajectory(init, step, kwargs, A, b, theta0, steps=STEPS):
    p = theta0.copy()
    state = init(p)
    traj = [p]
    for _ in range(steps):
        out = step(p, A @ p + b, state, **kwargs)
        p, state = out.params, out.state
        traj.append(p)
    return np.stack(traj)  # (steps+1, D)


SGD_CASES = [
    dict(lr=0.05),
    dict(lr=0.05, momentum=0.9),
    dict(lr=0.05, momentum=0.9, dampening=0.3),
    dict(lr=0.02, momentum=0.6, dampening=0.9, weight_decay=0.2),  # a second dampening case
    dict(lr=0.05, momentum=0.9, nesterov=True),
    dict(lr=0.05, momentum=0.8, weight_decay=0.1),
    dict(lr=0.03, momentum=0.9, nesterov=True, weight_decay=0.05),
]


@pytest.mark.parametrize("kw", SGD_CASES)
def test_sgd_matches_torch(kw):
    A, b, theta0 = _problem(1)
    ours = _numpy_trajectory(sgd_init, sgd_step, kw, A, b, theta0)
    ref = _torch_trajectory(torch.optim.SGD, kw, A, b, theta0)
    np.testing.assert_allclose(ours, ref, atol=1e-12, rtol=0)


ADAM_CASES = [
    dict(lr=0.05),
    dict(lr=0.05, amsgrad=False, betas=(0.8, 0.99), eps=1e-6),
    dict(lr=0.05, weight_decay=0.1),
    dict(lr=0.05, amsgrad=True),
    dict(lr=0.02, betas=(0.5, 0.9), eps=1e-3, weight_decay=0.05, amsgrad=True),  # second betas/eps/decay case
]


@pytest.mark.parametrize("kw", ADAM_CASES)
def test_adam_matches_torch(kw):
    A, b, theta0 = _problem(2)
    init = lambda p: adam_init(p, amsgrad=kw.get("amsgrad", False))
    ours = _numpy_trajectory(init, adam_step, kw, A, b, theta0)
    ref = _torch_trajectory(torch.optim.Adam, kw, A, b, theta0)
    np.testing.assert_allclose(ours, ref, atol=1e-12, rtol=0)


@pytest.mark.parametrize("kw", [dict(lr=0.05), dict(lr=0.05, weight_decay=0.3), dict(lr=0.02, amsgrad=True)])
def test_adamw_matches_torch(kw):
    A, b, theta0 = _problem(3)
    init = lambda p: adam_init(p, amsgrad=kw.get("amsgrad", False))
    ours = _numpy_trajectory(init, adamw_step, kw, A, b, theta0)
    ref = _torch_trajectory(torch.optim.AdamW, kw, A, b, theta0)
    np.testing.assert_allclose(ours, ref, atol=1e-12, rtol=0)


def _torch_lion_reference(A, b, theta0, lr, betas, weight_decay, steps=STEPS):
    """Independent torch transcription (lucidrains/lion-pytorch style: decay as a multiplication)."""
    At, bt = torch.tensor(A), torch.tensor(b)
    p = torch.tensor(theta0, dtype=torch.float64, requires_grad=True)
    exp_avg = torch.zeros_like(p)
    traj = [p.detach().clone()]
    for _ in range(steps):
        p.grad = None
        (0.5 * p @ At @ p + bt @ p).backward()
        with torch.no_grad():
            g = p.grad
            p.mul_(1 - lr * weight_decay)
            upd = torch.lerp(g, exp_avg, betas[0]).sign()  # β1·m + (1−β1)·g
            p.add_(upd, alpha=-lr)
            exp_avg.lerp_(g, 1 - betas[1])
        traj.append(p.detach().clone())
    return torch.stack(traj).numpy()


@pytest.mark.parametrize("wd", [0.0, 0.5])
def test_lion_matches_independent_torch(wd):
    A, b, theta0 = _problem(4)
    kw = dict(lr=0.01, betas=(0.9, 0.99), weight_decay=wd)
    ours = _numpy_trajectory(lion_init, lion_step, kw, A, b, theta0)
    ref = _torch_lion_reference(A, b, theta0, **kw)
    np.testing.assert_allclose(ours, ref, atol=1e-12, rtol=0)


def test_sgd_momentum_by_hand():
    # L = θ²/2 ⇒ g = θ.  θ0 = 1, lr = 0.1, μ = 0.5:
    # step 1: b = g = 1,               θ1 = 1 − 0.1·1 = 0.9
    # step 2: b = 0.5·1 + 0.9 = 1.4,   θ2 = 0.9 − 0.14 = 0.76
    p, s = np.array([1.0]), sgd_init(np.array([1.0]))
    o = sgd_step(p, p, s, lr=0.1, momentum=0.5)
    assert o.params[0] == pytest.approx(0.9, abs=1e-15)
    o = sgd_step(o.params, o.params, o.state, lr=0.1, momentum=0.5)
    assert o.state.momentum_buffer[0] == pytest.approx(1.4, abs=1e-15)
    assert o.params[0] == pytest.approx(0.76, abs=1e-15)


def test_sgd_dampening_by_hand():
    # as torch: the first step stores b = g undamped; later b = μ b + (1 − τ) g.  L = θ²/2 ⇒ g = θ.
    # θ0 = 1, lr = 0.1, μ = τ = 0.5: b1 = 1, θ1 = 0.9; b2 = 0.5 + 0.5·0.9 = 0.95, θ2 = 0.9 − 0.095 = 0.805
    p, s = np.array([1.0]), sgd_init(np.array([1.0]))
    o = sgd_step(p, p, s, lr=0.1, momentum=0.5, dampening=0.5)
    assert o.state.momentum_buffer[0] == 1.0 and o.params[0] == pytest.approx(0.9, abs=1e-15)
    o = sgd_step(o.params, o.params, o.state, lr=0.1, momentum=0.5, dampening=0.5)
    assert o.state.momentum_buffer[0] == pytest.approx(0.95, abs=1e-15)
    assert o.params[0] == pytest.approx(0.805, abs=1e-15)


def test_adam_first_step_is_lr_times_sign():
    # t = 1: m̂ = g, v̂ = g², so Δθ = −lr·g/(|g| + ε) ≈ −lr·sign(g) whatever the scale of g.
    g = np.array([3.0, -1e-3, 250.0])
    o = adam_step(np.zeros(3), g, adam_init(np.zeros(3)), lr=0.1, eps=0.0)
    np.testing.assert_allclose(o.update, -0.1 * np.sign(g), atol=1e-15)
    np.testing.assert_allclose(o.m_hat, g, rtol=1e-14)
    np.testing.assert_allclose(o.v_hat, g * g, rtol=1e-14)


def test_lion_first_step_by_hand():
    # m0 = 0 ⇒ c1 = (1−β1) g, so Δθ = −lr (sign(g) + λθ).
    p, g = np.array([2.0, -1.0, 0.5]), np.array([0.3, 0.7, 0.0])
    o = lion_step(p, g, lion_init(p), lr=0.1, weight_decay=0.5)
    np.testing.assert_allclose(o.update, -0.1 * (np.array([1.0, 1.0, 0.0]) + 0.5 * p), atol=1e-15)
    np.testing.assert_allclose(o.state.exp_avg, 0.01 * g, atol=1e-15)


def test_nesterov_requires_momentum():
    with pytest.raises(ValueError):
        sgd_step(np.zeros(2), np.ones(2), sgd_init(np.zeros(2)), lr=0.1, nesterov=True)


# ------------------------------------------------------------------------------ objectives
def _torch_rosenbrock(p, a=1.0, b=100.0):
    return (a - p[..., 0]) ** 2 + b * (p[..., 1] - p[..., 0] ** 2) ** 2


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 2**31 - 1))
def test_objective_gradients_match_autograd(seed):
    rng = np.random.default_rng(seed)
    pts = rng.uniform(-2, 2, size=(7, 2))  # (N, 2)
    pt = torch.tensor(pts, requires_grad=True)
    _torch_rosenbrock(pt, 1.5, 30.0).sum().backward()
    np.testing.assert_allclose(rosenbrock_grad(pts, 1.5, 30.0), pt.grad.numpy(), atol=1e-12, rtol=1e-12)
    np.testing.assert_allclose(
        rosenbrock_value(pts, 1.5, 30.0), _torch_rosenbrock(pt, 1.5, 30.0).detach().numpy(), atol=1e-12
    )

    kappa, angle, center = rng.uniform(1, 50), rng.uniform(0, np.pi), rng.uniform(-1, 1, 2)
    q = ill_conditioned_quadratic(kappa, angle, tuple(center))
    A = torch.tensor(quadratic_matrix(kappa, angle))
    pt = torch.tensor(pts, requires_grad=True)
    d = pt - torch.tensor(center)
    f = 0.5 * torch.einsum("ni,ij,nj->n", d, A, d)
    f.sum().backward()
    np.testing.assert_allclose(q.grad(pts), pt.grad.numpy(), atol=1e-12)
    np.testing.assert_allclose(q.value(pts), f.detach().numpy(), atol=1e-12)
    np.testing.assert_allclose(np.linalg.eigvalsh(quadratic_matrix(kappa, angle)), [1.0, kappa], rtol=1e-12)


def test_objectives_vectorise_over_a_grid_and_vanish_at_minimum():
    grid = np.stack(np.meshgrid(np.linspace(-2, 2, 5), np.linspace(-1, 3, 4)), axis=-1)  # (4, 5, 2)
    for fn in (rosenbrock(), ill_conditioned_quadratic(center=(0.5, -0.5))):
        assert fn.value(grid).shape == (4, 5)
        assert fn.grad(grid).shape == (4, 5, 2)
        assert fn.value(fn.minimum) == 0.0
        np.testing.assert_array_equal(fn.grad(fn.minimum), [0.0, 0.0])
    assert rosenbrock_value(np.array([0.0, 1.0])) == 1.0 + 100.0  # (1−0)² + 100(1−0)²


def test_optimize_2d_equals_manual_loop_and_converges():
    fn = rosenbrock()
    tr = optimize_2d("adam", fn, (-1.5, 2.0), steps=50, lr=0.05, betas=(0.9, 0.99))
    assert tr.points.shape == (51, 2) and tr.values.shape == (51,) and tr.updates.shape == (50, 2)
    np.testing.assert_array_equal(tr.points[0], [-1.5, 2.0])
    p, s = np.array([-1.5, 2.0]), adam_init(np.zeros(2))
    for t in range(50):
        o = adam_step(p, rosenbrock_grad(p), s, lr=0.05, betas=(0.9, 0.99))
        p, s = o.params, o.state
        np.testing.assert_array_equal(tr.points[t + 1], p)

    q = ill_conditioned_quadratic(condition=10.0)
    for opt in (make_optimizer("sgd", momentum=0.5), make_optimizer("lion"), make_optimizer("adamw")):
        lr = {"sgd": 0.1, "lion": 0.01, "adamw": 0.05}[opt.name]
        tr = optimize_2d(opt, q, (2.0, 1.0), steps=400, lr=lr)
        assert tr.values[-1] < 1e-2 * tr.values[0], opt.name
