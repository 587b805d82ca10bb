import dataclasses
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from lib.mamba.block import causal_depthwise_conv, init_mamba_params, mamba_block, silu
from tests.lib.mamba.torch_mamba import TorchMamba, load_params


def perturbed(params, seed: int = 1):
    """Make D and A_log non-trivial so the test exercises them (init gives D = 1, A = −(1..N))."""
    rng = np.random.default_rng(seed)
    return dataclasses.replace(
        params,
        D=rng.normal(size=params.D.shape),
        A_log=params.A_log + 0.3 * rng.normal(size=params.A_log.shape),
        b_dt=params.b_dt + 2.0,  # larger Δ, so "zoh" and "mamba" differ visibly
    )


@pytest.mark.parametrize(
    "d_model,d_state,d_conv,expand,dt_rank",
    [(8, 4, 4, 2, None), (16, 16, 4, 2, None), (20, 3, 2, 1, 3), (6, 5, 3, 3, 1)],
)
@pytest.mark.parametrize("discretization", ["mamba", "zoh"])
def test_mamba_block_matches_torch(d_model, d_state, d_conv, expand, dt_rank, discretization):
    params = perturbed(init_mamba_params(d_model, d_state, d_conv, expand, dt_rank, seed=3))
    module = load_params(TorchMamba(d_model, d_state, d_conv, expand, dt_rank), params)
    u = np.random.default_rng(0).normal(size=(2, 11, d_model))
    with torch.no_grad():
        expected = module(torch.from_numpy(u), discretization=discretization).numpy()  # (2, L, d_model)
    for i in range(2):
        out = mamba_block(u[i], params, discretization=discretization).out
        np.testing.assert_allclose(out, expected[i], atol=1e-12, rtol=1e-12)


def test_zoh_and_mamba_discretisations_differ():
    params = perturbed(init_mamba_params(8, 4))
    u = np.random.default_rng(2).normal(size=(7, 8))
    zoh, mam = mamba_block(u, params, "zoh"), mamba_block(u, params, "mamba")
    np.testing.assert_array_equal(zoh.scan.A_bar, mam.scan.A_bar)
    # ΔA is of order one here, so B̄ = ΔB is far from the exact (e^{ΔA} − 1)/A·B ...
    assert np.abs(zoh.scan.Bx - mam.scan.Bx).max() > 0.1 * np.abs(mam.scan.Bx).max()
    # ... and the block's output moves far beyond rounding.
    assert np.abs(zoh.out - mam.out).max() > 1e-3 * np.abs(mam.out).max()


def test_trace_intermediates_are_consistent():
    params = init_mamba_params(8, d_state=4, seed=5)
    L = 9
    u = np.random.default_rng(4).normal(size=(L, 8))
    tr = mamba_block(u, params)
    d_inner = params.d_inner
    assert tr.x_in.shape == tr.z.shape == tr.x_conv.shape == tr.delta.shape == (L, d_inner)
    assert tr.B.shape == tr.C.shape == (L, 4) and tr.scan.h.shape == (L, d_inner, 4)
    np.testing.assert_array_equal(np.concatenate([tr.x_in, tr.z], axis=1), u @ params.W_in)
    np.testing.assert_array_equal(tr.x_act, silu(tr.x_conv))
    np.testing.assert_array_equal(tr.y_ssm, tr.scan.y)
    np.testing.assert_array_equal(tr.y_gated, tr.y_ssm * silu(tr.z))  # the same ops: bit for bit
    np.testing.assert_array_equal(tr.out, tr.y_gated @ params.W_out)
    np.testing.assert_array_equal(tr.scan.A_bar, np.exp(tr.delta[:, :, None] * -np.exp(params.A_log)))
    assert np.all(tr.delta > 0)


def test_block_is_causal():
    params = init_mamba_params(8, d_state=4)
    u = np.random.default_rng(6).normal(size=(10, 8))
    v = u.copy()
    v[6:] += 1.0
    np.testing.assert_array_equal(mamba_block(u, params).out[:6], mamba_block(v, params).out[:6])


def test_causal_depthwise_conv_by_hand_and_vs_torch():
    # One channel, kernel (1, 2, 3), w[K−1] on the current step: y_t = x_{t−2} + 2·x_{t−1} + 3·x_t + 10.
    out = causal_depthwise_conv(
        np.array([[1.0], [0.0], [0.0], [2.0]]), np.array([[1.0, 2.0, 3.0]]), np.array([10.0])
    )
    np.testing.assert_array_equal(out[:, 0], [13.0, 12.0, 11.0, 16.0])
    rng = np.random.default_rng(7)
    x, w, b = rng.normal(size=(6, 3)), rng.normal(size=(3, 4)), rng.normal(size=3)
    expected = F.conv1d(
        torch.from_numpy(x.T)[None], torch.from_numpy(w)[:, None], torch.from_numpy(b), padding=3, groups=3
    )
    np.testing.assert_allclose(causal_depthwise_conv(x, w, b), expected[0, :, :6].T.numpy(), atol=1e-14)


def test_init_mamba_params():
    p = init_mamba_params(40, d_state=8, d_conv=3, expand=2, seed=9)
    assert (p.d_model, p.d_inner, p.d_state, p.d_conv, p.dt_rank) == (40, 80, 8, 3, math.ceil(40 / 16))
    assert p.W_in.shape == (40, 160) and p.W_x.shape == (80, 3 + 16) and p.W_dt.shape == (3, 80)
    np.testing.assert_allclose(-np.exp(p.A_log), -np.tile(np.arange(1, 9), (80, 1)), rtol=1e-14)  # S4D-real
    dt = np.log1p(np.exp(p.b_dt))
    assert np.all((dt >= 1e-3 * (1 - 1e-12)) & (dt <= 1e-1 * (1 + 1e-12)))
    np.testing.assert_array_equal(p.D, np.ones(80))
    same, other = init_mamba_params(40, 8, 3, seed=9), init_mamba_params(40, 8, 3, seed=10)
    np.testing.assert_array_equal(same.W_in, p.W_in)
    assert not np.array_equal(other.W_in, p.W_in)


@pytest.mark.parametrize(
    "d_model,d_state,d_conv,expand,dt_rank", [(8, 16, 4, 2, None), (768, 16, 4, 2, None), (20, 3, 2, 1, 5)]
)
def test_parameter_count_matches_torch(d_model, d_state, d_conv, expand, dt_rank):
    params = init_mamba_params(d_model, d_state, d_conv, expand, dt_rank)
    module = TorchMamba(d_model, d_state, d_conv, expand, dt_rank)
    torch_count = sum(p.numel() for p in module.parameters())
    lib_count = sum(getattr(params, f.name).size for f in dataclasses.fields(params))
    assert lib_count == torch_count == params.num_params
    # By hand: in_proj + conv (w, b) + x_proj + dt_proj (w, b) + A_log + D + out_proj.
    di, R, N = expand * d_model, params.dt_rank, d_state
    by_hand = (
        d_model * 2 * di + di * d_conv + di + di * (R + 2 * N) + R * di + di + di * N + di + di * d_model
    )
    assert torch_count == by_hand
