"""LR schedules vs torch.optim.lr_scheduler at every step, closed vs recursive forms, a hand case."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from lib.training.schedules import (
    cosine_annealing_lr,
    cosine_annealing_lr_recursive,
    exponential_lr,
    exponential_lr_recursive,
    lr_trace,
    step_lr,
    step_lr_recursive,
    warmup_cosine_lr,
)


def _torch_lrs(base_lr, num_steps, make_scheduler):
    """The lr each optimizer.step() uses, for num_steps steps of a real torch training loop."""
    p = torch.nn.Parameter(torch.zeros(1, dtype=torch.float64))
    opt = torch.optim.SGD([p], lr=base_lr)
    sched = make_scheduler(opt)
    lrs = []
    for _ in range(num_steps):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    return np.array(lrs)


def _torch_warmup_cosine_lambda(base_lr, warmup, total, min_lr):
    def lam(t: int) -> float:
        if t < warmup:
            return t / warmup
        progress = min(1.0, (t - warmup) / (total - warmup))
        return (min_lr + (base_lr - min_lr) * 0.5 * (1.0 + math.cos(math.pi * progress))) / base_lr

    return lam


@settings(max_examples=20, deadline=None)
@given(
    base_lr=st.floats(1e-4, 1.0),
    warmup=st.integers(1, 30),
    decay=st.integers(1, 100),
    min_frac=st.sampled_from([0.0, 0.1]),
)
def test_warmup_cosine_matches_torch_lambdalr(base_lr, warmup, decay, min_frac):
    total, n = warmup + decay, warmup + decay + 20  # run past the end of the decay
    lam = _torch_warmup_cosine_lambda(base_lr, warmup, total, min_frac * base_lr)
    ref = _torch_lrs(base_lr, n, lambda o: torch.optim.lr_scheduler.LambdaLR(o, lam))
    ours = warmup_cosine_lr(np.arange(n), base_lr, warmup, total, min_frac * base_lr)
    np.testing.assert_allclose(ours, ref, atol=1e-12 * base_lr, rtol=1e-12)


@settings(max_examples=20, deadline=None)
@given(base_lr=st.floats(1e-4, 1.0), t_max=st.integers(1, 40), eta_frac=st.sampled_from([0.0, 0.05]))
def test_cosine_annealing_matches_torch(base_lr, t_max, eta_frac):
    n = 5 * t_max + 3  # several half-periods: torch keeps oscillating past T_max
    eta_min = eta_frac * base_lr
    ref = _torch_lrs(base_lr, n, lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, t_max, eta_min))
    ours = cosine_annealing_lr(np.arange(n), base_lr, t_max, eta_min)
    np.testing.assert_allclose(ours, ref, atol=1e-12 * base_lr, rtol=0)
    np.testing.assert_allclose(
        cosine_annealing_lr_recursive(n, base_lr, t_max, eta_min), ref, atol=1e-12 * base_lr, rtol=0
    )


@settings(max_examples=20, deadline=None)
@given(base_lr=st.floats(1e-4, 1.0), step_size=st.integers(1, 15), gamma=st.floats(0.1, 0.99))
def test_step_lr_matches_torch(base_lr, step_size, gamma):
    n = 80
    ref = _torch_lrs(base_lr, n, lambda o: torch.optim.lr_scheduler.StepLR(o, step_size, gamma))
    np.testing.assert_allclose(step_lr(np.arange(n), base_lr, step_size, gamma), ref, rtol=1e-12, atol=0)
    np.testing.assert_allclose(step_lr_recursive(n, base_lr, step_size, gamma), ref, rtol=1e-12, atol=0)


@settings(max_examples=20, deadline=None)
@given(base_lr=st.floats(1e-4, 1.0), gamma=st.floats(0.8, 0.999))
def test_exponential_lr_matches_torch(base_lr, gamma):
    n = 120
    ref = _torch_lrs(base_lr, n, lambda o: torch.optim.lr_scheduler.ExponentialLR(o, gamma))
    np.testing.assert_allclose(exponential_lr(np.arange(n), base_lr, gamma), ref, rtol=1e-12, atol=0)
    np.testing.assert_allclose(exponential_lr_recursive(n, base_lr, gamma), ref, rtol=1e-12, atol=0)


def test_warmup_cosine_by_hand():
    # η0 = 1, W = 4, T = 12:  t=0 → 0, t=2 → ½, t=4 → 1 (peak), t=8 → ½(1+cos(π/2)) = ½, t=12 → 0, stays 0.
    lrs = warmup_cosine_lr(np.array([0, 2, 4, 8, 12, 20]), 1.0, 4, 12)
    np.testing.assert_allclose(lrs, [0.0, 0.5, 1.0, 0.5, 0.0, 0.0], atol=1e-15)
    # with a floor: halfway through the decay the rate is the mean of base and floor
    assert warmup_cosine_lr(8, 1.0, 4, 12, min_lr=0.2) == pytest.approx(0.6, abs=1e-15)


def test_step_and_exponential_by_hand():
    np.testing.assert_array_equal(step_lr(np.arange(7), 1.0, 3, 0.5), [1, 1, 1, 0.5, 0.5, 0.5, 0.25])  # 2^-k
    np.testing.assert_array_equal(exponential_lr(np.arange(4), 2.0, 0.5), [2, 1, 0.5, 0.25])


def test_lr_trace():
    tr = lr_trace("warmup_cosine", 50, 3e-4, warmup_steps=5, total_steps=40, min_lr=3e-5)
    assert tr.steps.shape == tr.lrs.shape == (50,)
    assert tr.warmup_steps == 5 and tr.lrs.max() == pytest.approx(3e-4, rel=1e-15)
    assert tr.lrs[-1] == 3e-5  # past total_steps: min_lr + ½(η₀ − η_min)(1 + cos π) with cos π = −1 exactly
    assert np.argmax(tr.lrs) == 5
    with pytest.raises(ValueError):
        lr_trace("nope", 10, 1.0)
