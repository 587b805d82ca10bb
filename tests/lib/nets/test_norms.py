"""Tests for lib/nets/norms.py against torch.nn in float64, torch.autograd, loop references and a hand
case."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from lib.nets.norms import (
    batch_norm,
    group_norm,
    group_norm_loop,
    layer_norm,
    layer_norm_backward,
    rms_norm,
    rms_norm_backward,
)

ATOL = 1e-12


def t(a: np.ndarray) -> torch.Tensor:
    return torch.tensor(a, dtype=torch.float64)


shapes = st.tuples(st.integers(1, 3), st.integers(1, 4), st.integers(2, 9))


# ---------- LayerNorm ----------


def test_layer_norm_by_hand() -> None:
    # x = (1, 2, 3, 6): μ = 3, σ² = (4 + 1 + 0 + 9)/4 = 3.5, x̂ = (x − 3)/√3.5
    res = layer_norm(np.array([1.0, 2.0, 3.0, 6.0]), eps=0.0)
    assert res.mean.item() == 3.0
    assert res.var.item() == 3.5
    np.testing.assert_allclose(res.x_hat, np.array([-2.0, -1.0, 0.0, 3.0]) / np.sqrt(3.5), atol=ATOL)


@settings(max_examples=25, deadline=None)
@given(shape=shapes, seed=st.integers(0, 2**16), eps=st.sampled_from([1e-5, 1e-3, 0.1]))
def test_layer_norm_matches_torch(shape: tuple[int, ...], seed: int, eps: float) -> None:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=shape) * 3 + 1
    gamma, beta = rng.normal(size=shape[-1]), rng.normal(size=shape[-1])
    ln = torch.nn.LayerNorm(shape[-1], eps=eps, dtype=torch.float64)
    with torch.no_grad():
        ln.weight.copy_(t(gamma))
        ln.bias.copy_(t(beta))
        expected = ln(t(x)).numpy()
    res = layer_norm(x, gamma, beta, eps=eps)
    np.testing.assert_allclose(res.y, expected, atol=ATOL)
    # invariants: x̂ has zero mean and (almost) unit variance per row
    np.testing.assert_allclose(res.x_hat.mean(-1), 0.0, atol=ATOL)
    np.testing.assert_allclose(res.x_hat.var(-1), (res.var / (res.var + eps))[..., 0], atol=ATOL)


@settings(max_examples=20, deadline=None)
@given(shape=shapes, seed=st.integers(0, 2**16))
def test_layer_norm_backward_matches_autograd(shape: tuple[int, ...], seed: int) -> None:
    rng = np.random.default_rng(seed)
    x, dy = rng.normal(size=shape), rng.normal(size=shape)
    gamma, beta = rng.normal(size=shape[-1]), rng.normal(size=shape[-1])
    xt, gt, bt = (t(a).requires_grad_() for a in (x, gamma, beta))
    torch.nn.functional.layer_norm(xt, (shape[-1],), gt, bt, eps=1e-5).backward(t(dy))
    grads = layer_norm_backward(dy, layer_norm(x, gamma, beta, eps=1e-5), gamma)
    np.testing.assert_allclose(grads.dx, xt.grad.numpy(), atol=ATOL)
    np.testing.assert_allclose(grads.dgamma, gt.grad.numpy(), atol=ATOL)
    np.testing.assert_allclose(grads.dbeta, bt.grad.numpy(), atol=ATOL)


def test_layer_norm_backward_finite_difference() -> None:
    # independent of torch: central differences on L = Σ dy ⊙ y
    rng = np.random.default_rng(0)
    x, dy, gamma = rng.normal(size=(2, 5)), rng.normal(size=(2, 5)), rng.normal(size=5)
    dx = layer_norm_backward(dy, layer_norm(x, gamma), gamma).dx
    h = 1e-6
    num = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[idx] = h
        num[idx] = (np.sum(dy * layer_norm(x + e, gamma).y) - np.sum(dy * layer_norm(x - e, gamma).y)) / (
            2 * h
        )
    # central differences: O(h²) = 1e−12 truncation plus ε/h ≈ 1e−10 rounding
    np.testing.assert_allclose(dx, num, atol=1e-9)


# ---------- RMSNorm ----------


def test_rms_norm_by_hand() -> None:
    # x = (3, 4): mean(x²) = 12.5, RMS = √12.5
    res = rms_norm(np.array([3.0, 4.0]), eps=0.0)
    assert res.mean_square.item() == 12.5
    np.testing.assert_allclose(res.y, np.array([3.0, 4.0]) / np.sqrt(12.5), atol=ATOL)


@settings(max_examples=25, deadline=None)
@given(shape=shapes, seed=st.integers(0, 2**16), eps=st.sampled_from([1e-6, 1e-3]))
def test_rms_norm_matches_torch(shape: tuple[int, ...], seed: int, eps: float) -> None:
    rng = np.random.default_rng(seed)
    x, gamma = rng.normal(size=shape) * 2, rng.normal(size=shape[-1])
    rn = torch.nn.RMSNorm(shape[-1], eps=eps, dtype=torch.float64)
    with torch.no_grad():
        rn.weight.copy_(t(gamma))
        expected = rn(t(x)).numpy()
    res = rms_norm(x, gamma, eps=eps)
    np.testing.assert_allclose(res.y, expected, atol=ATOL)
    np.testing.assert_allclose((res.x_hat**2).mean(-1), (res.mean_square / res.rms**2)[..., 0], atol=ATOL)


@settings(max_examples=20, deadline=None)
@given(shape=shapes, seed=st.integers(0, 2**16))
def test_rms_norm_backward_matches_autograd(shape: tuple[int, ...], seed: int) -> None:
    rng = np.random.default_rng(seed)
    x, dy, gamma = rng.normal(size=shape), rng.normal(size=shape), rng.normal(size=shape[-1])
    xt, gt = t(x).requires_grad_(), t(gamma).requires_grad_()
    torch.nn.functional.rms_norm(xt, (shape[-1],), gt, eps=1e-6).backward(t(dy))
    grads = rms_norm_backward(dy, rms_norm(x, gamma, eps=1e-6), gamma)
    np.testing.assert_allclose(grads.dx, xt.grad.numpy(), atol=ATOL)
    np.testing.assert_allclose(grads.dgamma, gt.grad.numpy(), atol=ATOL)
    assert grads.dbeta is None


# ---------- BatchNorm ----------


@pytest.mark.parametrize(
    ("module", "shape"),
    [(torch.nn.BatchNorm1d, (6, 3)), (torch.nn.BatchNorm1d, (4, 3, 5)), (torch.nn.BatchNorm2d, (3, 2, 4, 5))],
)
@pytest.mark.parametrize("momentum", [0.1, 0.3, None])
def test_batch_norm_train_then_eval_matches_torch(
    module: type, shape: tuple[int, ...], momentum: float | None
) -> None:
    rng = np.random.default_rng(1)
    c = shape[1]
    gamma, beta = rng.normal(size=c), rng.normal(size=c)
    bn = module(c, eps=1e-5, momentum=momentum, dtype=torch.float64)
    with torch.no_grad():
        bn.weight.copy_(t(gamma))
        bn.bias.copy_(t(beta))
    run_mean, run_var, tracked = np.zeros(c), np.ones(c), 0
    bn.train()
    for step in range(4):
        x = rng.normal(size=shape) * (1 + step) + step
        with torch.no_grad():
            expected = bn(t(x)).numpy()
        res = batch_norm(x, gamma, beta, run_mean, run_var, True, momentum, num_batches_tracked=tracked)
        np.testing.assert_allclose(res.y, expected, atol=ATOL)
        np.testing.assert_allclose(res.running_mean, bn.running_mean.numpy(), atol=ATOL)
        np.testing.assert_allclose(res.running_var, bn.running_var.numpy(), atol=ATOL)
        assert res.num_batches_tracked == int(bn.num_batches_tracked) == step + 1
        run_mean, run_var, tracked = res.running_mean, res.running_var, res.num_batches_tracked
    bn.eval()
    x = rng.normal(size=shape)
    with torch.no_grad():
        expected = bn(t(x)).numpy()
    res = batch_norm(x, gamma, beta, run_mean, run_var, False, momentum, num_batches_tracked=tracked)
    assert res.num_batches_tracked == tracked
    np.testing.assert_allclose(res.y, expected, atol=ATOL)
    np.testing.assert_array_equal(res.running_mean, run_mean)
    np.testing.assert_array_equal(res.running_var, run_var)
    np.testing.assert_array_equal(res.mean, run_mean)


def test_batch_norm_by_hand() -> None:
    # one channel, batch (1, 3): μ = 2, biased σ² = 2/3, unbiased = 1; momentum 0.5 from (0, 1)
    x = np.array([[1.0], [2.0], [3.0]])
    res = batch_norm(x, None, None, np.zeros(1), np.ones(1), training=True, momentum=0.5, eps=0.0)
    np.testing.assert_allclose(res.mean, [2.0], atol=ATOL)
    np.testing.assert_allclose(res.var, [2.0 / 3.0], atol=ATOL)
    np.testing.assert_allclose(res.running_mean, [1.0], atol=ATOL)
    np.testing.assert_allclose(res.running_var, [1.0], atol=ATOL)
    np.testing.assert_allclose(res.y[:, 0], np.array([-1.0, 0.0, 1.0]) / np.sqrt(2.0 / 3.0), atol=ATOL)


def test_batch_norm_does_not_mutate_inputs() -> None:
    rm, rv = np.zeros(2), np.ones(2)
    batch_norm(np.random.default_rng(0).normal(size=(4, 2)), None, None, rm, rv, training=True)
    np.testing.assert_array_equal(rm, np.zeros(2))
    np.testing.assert_array_equal(rv, np.ones(2))


# ---------- GroupNorm ----------


@settings(max_examples=20, deadline=None)
@given(
    n=st.integers(1, 3),
    groups=st.integers(1, 3),
    per=st.integers(1, 3),
    spatial=st.sampled_from([(), (4,), (2, 3)]),
    seed=st.integers(0, 2**16),
)
def test_group_norm_matches_torch_and_loop(
    n: int, groups: int, per: int, spatial: tuple[int, ...], seed: int
) -> None:
    c = groups * per
    if per * int(np.prod(spatial)) < 2:
        spatial = (2,)
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, c, *spatial)) * 2 - 1
    gamma, beta = rng.normal(size=c), rng.normal(size=c)
    gn = torch.nn.GroupNorm(groups, c, eps=1e-5, dtype=torch.float64)
    with torch.no_grad():
        gn.weight.copy_(t(gamma))
        gn.bias.copy_(t(beta))
        expected = gn(t(x)).numpy()
    res = group_norm(x, groups, gamma, beta)
    np.testing.assert_allclose(res.y, expected, atol=ATOL)
    np.testing.assert_allclose(group_norm_loop(x, groups, gamma, beta), res.y, atol=ATOL)
    assert res.mean.shape == (n, groups)


def test_group_norm_one_group_is_layer_norm_over_channels_and_space() -> None:
    x = np.random.default_rng(3).normal(size=(2, 4, 3))
    np.testing.assert_allclose(group_norm(x, 1).y, layer_norm(x.reshape(2, -1)).y.reshape(x.shape), atol=ATOL)


def test_group_norm_rejects_indivisible_channels() -> None:
    with pytest.raises(ValueError):
        group_norm(np.zeros((1, 5, 2)), 2)
