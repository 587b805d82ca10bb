"""Adam + L2 and AdamW on one parameter vs torch.optim.Adam / AdamW stepping the same gradients, and the
effective decay rates derived by hand from torch's own state."""

from __future__ import annotations

import numpy as np
import torch

from lib.training.decoupled_decay import compare_decay, noisy_gradients


def _torch_run(cls: type[torch.optim.Optimizer], theta0: float, grads: np.ndarray, lr: float, wd: float):
    p = torch.tensor(theta0, dtype=torch.float64, requires_grad=True)
    opt = cls([p], lr=lr, weight_decay=wd, foreach=False)
    thetas, ms, vs = [theta0], [], []
    for g in grads:
        p.grad = torch.tensor(float(g), dtype=torch.float64)
        opt.step()
        st = opt.state[p]
        thetas.append(p.item())
        ms.append(st["exp_avg"].item())
        vs.append(st["exp_avg_sq"].item())
    return np.array(thetas), np.array(ms), np.array(vs)


def test_both_runs_match_torch_and_the_decay_rates_follow_v_hat():
    grads = noisy_gradients(30, 0.5, 4.0, 7)
    lr, wd, b2 = 0.1, 0.1, 0.999
    out = compare_decay(1.5, grads, lr, wd)
    for run, cls in ((out.adam_l2, torch.optim.Adam), (out.adamw, torch.optim.AdamW)):
        theta, m, v = _torch_run(cls, 1.5, grads, lr, wd)
        np.testing.assert_allclose(run.theta, theta, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(run.m, m, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(run.v, v, rtol=1e-12, atol=1e-14)
        v_hat = v / (1 - b2 ** np.arange(1, 31))
        np.testing.assert_allclose(run.v_hat, v_hat, rtol=1e-12)
    v_hat_l2 = _torch_run(torch.optim.Adam, 1.5, grads, lr, wd)[2] / (1 - b2 ** np.arange(1, 31))
    np.testing.assert_allclose(out.adam_l2.decay_rate, lr * wd / (np.sqrt(v_hat_l2) + 1e-8), rtol=1e-12)
    assert (out.adamw.decay_rate == lr * wd).all()


def test_first_step_by_hand():
    """Step 1: m̂ = g, v̂ = g², so Adam moves θ by −η·sign(g) (ε aside); AdamW first shrinks θ by ηλθ."""
    out = compare_decay(2.0, np.array([3.0]), lr=0.1, weight_decay=0.5, eps=0.0)
    g_l2 = 3.0 + 0.5 * 2.0  # the L2 term joins the gradient
    assert np.isclose(out.adam_l2.m[0], 0.1 * g_l2, rtol=1e-15)
    assert np.isclose(out.adam_l2.theta[1], 2.0 - 0.1, rtol=0, atol=1e-15)
    assert np.isclose(out.adamw.theta[1], 2.0 * (1 - 0.05) - 0.1, rtol=0, atol=1e-15)
    assert np.isclose(out.adam_l2.decay_rate[0], 0.05 / g_l2, rtol=1e-15)


def test_noisy_gradients_are_seeded():
    a, b = noisy_gradients(5, 1.0, 2.0, 3), noisy_gradients(5, 1.0, 2.0, 3)
    assert (a == b).all() and not (a == noisy_gradients(5, 1.0, 2.0, 4)).all()
    np.testing.assert_array_equal(a, 1.0 + 2.0 * np.random.default_rng(3).standard_normal(5))
