import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from lib.mamba.ssm import (
    causal_conv,
    discretize,
    discretize_diagonal,
    expm,
    inverse_softplus,
    lti_kernel,
    lti_recurrence,
    selective_params,
    selective_scan_sequential,
    simulate_piecewise_constant,
    simulate_sinusoids,
    softplus,
)
from tests.lib.mamba.torch_mamba import selective_scan_ref


def stable_system(rng: np.random.Generator, N: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A stable dense A: symmetric part Q diag(−0.5 … −2) Qᵀ is negative definite, plus a skew part. B, C."""
    Q = np.linalg.qr(rng.normal(size=(N, N)))[0]
    G = rng.normal(size=(N, N))
    A = Q @ np.diag(-0.5 - 1.5 * rng.random(N)) @ Q.T + 0.3 * (G - G.T)  # (N, N)
    return A, rng.normal(size=N), rng.normal(size=N)


def rk4(f, z0: np.ndarray, t0: float, t1: float, steps: int) -> np.ndarray:
    """Independent classic RK4 with a fixed step, returning z(t1)."""
    h, z, t = (t1 - t0) / steps, z0.copy(), t0
    for _ in range(steps):
        k1 = f(t, z)
        k2 = f(t + h / 2, z + h / 2 * k1)
        k3 = f(t + h / 2, z + h / 2 * k2)
        k4 = f(t + h, z + h * k3)
        z, t = z + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4), t + h
    return z


# --- expm -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("scale", [1e-3, 0.5, 3.0, 20.0])
def test_expm_matches_torch(scale):
    M = scale * np.random.default_rng(0).normal(size=(3, 2, 5, 5))
    expected = torch.linalg.matrix_exp(torch.from_numpy(M)).numpy()
    np.testing.assert_allclose(expm(M), expected, rtol=1e-11, atol=1e-13 * np.abs(expected).max())


def test_expm_invariants():
    rng = np.random.default_rng(1)
    M = rng.normal(size=(4, 4))
    np.testing.assert_allclose(expm(M) @ expm(-M), np.eye(4), atol=1e-13)
    np.testing.assert_allclose(expm(np.zeros((3, 3))), np.eye(3), atol=0)
    d = rng.normal(size=4)
    np.testing.assert_allclose(expm(np.diag(d)), np.diag(np.exp(d)), rtol=1e-14)
    # Nilpotent: exp([[0, 1], [0, 0]]) = [[1, 1], [0, 1]] exactly.
    np.testing.assert_allclose(expm(np.array([[0.0, 1.0], [0.0, 0.0]])), [[1.0, 1.0], [0.0, 1.0]], atol=1e-15)


# --- discretisation ---------------------------------------------------------------------------------------


def test_zoh_block_exponential_equals_closed_form_on_invertible_A():
    rng = np.random.default_rng(2)
    A, _, _ = stable_system(rng, 4)
    B = rng.normal(size=(4, 2))
    delta = 0.3
    d = discretize(A, B, delta, "zoh")
    dA = delta * A
    closed = np.linalg.solve(dA, expm(dA) - np.eye(4)) @ (delta * B)  # (ΔA)⁻¹(exp(ΔA) − I)ΔB
    np.testing.assert_allclose(d.A_bar, expm(dA), rtol=1e-13)
    np.testing.assert_allclose(d.B_bar, closed, rtol=1e-11, atol=1e-14)
    assert d.method == "zoh" and d.delta == delta


def test_zoh_singular_A_is_integrator():
    """A = 0: h' = B u, so Ā = I and B̄ = ΔB; the closed form would divide by zero."""
    B = np.array([[1.0], [2.0]])
    d = discretize(np.zeros((2, 2)), B, 0.25, "zoh")
    np.testing.assert_allclose(d.A_bar, np.eye(2), atol=1e-15)
    np.testing.assert_allclose(d.B_bar, 0.25 * B, atol=1e-15)


def test_bilinear_and_euler_formulas():
    rng = np.random.default_rng(3)
    A, B = rng.normal(size=(3, 3)), rng.normal(size=(3, 1))
    delta, I = 0.1, np.eye(3)
    bil = discretize(A, B, delta, "bilinear")
    inv = np.linalg.inv(I - delta / 2 * A)
    np.testing.assert_allclose(bil.A_bar, inv @ (I + delta / 2 * A), rtol=1e-12)
    np.testing.assert_allclose(bil.B_bar, inv @ (delta * B), rtol=1e-12)
    eul = discretize(A, B, delta, "euler")
    np.testing.assert_array_equal(eul.A_bar, I + delta * A)  # the formula itself: same ops, same rounding
    np.testing.assert_array_equal(eul.B_bar, delta * B)
    with pytest.raises(ValueError):
        discretize(A, B, delta, "rk4")


def test_all_methods_agree_to_their_order_for_small_delta():
    rng = np.random.default_rng(4)
    A, B = rng.normal(size=(3, 3)), rng.normal(size=(3, 1))
    delta = 1e-3
    zoh = discretize(A, B, delta, "zoh")
    bil = discretize(A, B, delta, "bilinear")
    eul = discretize(A, B, delta, "euler")
    assert np.abs(bil.A_bar - zoh.A_bar).max() < 1e-8  # bilinear is second order: O(Δ³)
    assert np.abs(eul.A_bar - zoh.A_bar).max() < 1e-5  # Euler is first order: O(Δ²)


@pytest.mark.parametrize("method", ["zoh", "bilinear", "euler"])
def test_diagonal_matches_dense(method):
    rng = np.random.default_rng(5)
    a, b, delta = -rng.random(4) - 0.1, rng.normal(size=4), 0.7
    dense = discretize(np.diag(a), np.diag(b), delta, method)  # B = diag(b): column j drives state j only
    diag = discretize_diagonal(a, b, delta, method)
    np.testing.assert_allclose(diag.A_bar, np.diag(dense.A_bar), rtol=1e-13)
    np.testing.assert_allclose(diag.B_bar, np.diag(dense.B_bar), rtol=1e-12)


def test_diagonal_broadcasting_and_mamba_simplification():
    rng = np.random.default_rng(6)
    A = -0.5 * rng.random((3, 4)) - 0.1  # (D, N)
    B = rng.normal(size=(5, 1, 4))  # (L, 1, N)
    delta = 0.5 * rng.random((5, 3))  # (L, D)
    zoh = discretize_diagonal(A, B, delta, "zoh")
    mam = discretize_diagonal(A, B, delta, "mamba")
    assert zoh.A_bar.shape == zoh.B_bar.shape == (5, 3, 4)
    np.testing.assert_array_equal(zoh.A_bar, mam.A_bar)
    dA = delta[..., None] * A
    np.testing.assert_allclose(mam.B_bar, delta[..., None] * B, rtol=1e-15, atol=0)
    np.testing.assert_allclose(zoh.B_bar, (np.exp(dA) - 1) / A * B, rtol=1e-12)
    # The reference code's B̄ = ΔB is ZOH's B̄ to first order: ZOH = ΔB (1 + ΔA/2 + O(Δ²A²)).
    np.testing.assert_allclose(zoh.B_bar / mam.B_bar, 1 + dA / 2, atol=np.abs(dA).max() ** 2)


def test_diagonal_zoh_at_zero_A_is_delta_B():
    d = discretize_diagonal(np.array([0.0, -1e-12, -1.0]), np.ones(3), 0.5, "zoh")
    np.testing.assert_allclose(d.B_bar, [0.5, 0.5, 1 - math.exp(-0.5)], rtol=1e-12)


# --- exact continuous simulation --------------------------------------------------------------------------


def test_piecewise_constant_matches_rk4():
    rng = np.random.default_rng(7)
    A, B, C = stable_system(rng, 3)
    u, dt, substeps = rng.normal(size=5), 0.4, 4
    h0 = rng.normal(size=3)
    traj = simulate_piecewise_constant(A, B, C, u, dt, substeps, h0=h0)
    assert traj.t.shape == traj.u.shape == traj.y.shape == (20,) and traj.h.shape == (20, 3)
    np.testing.assert_allclose(traj.t[:4], [0.1, 0.2, 0.3, 0.4], atol=1e-16, rtol=0)
    h, t, expected = h0, 0.0, []
    for k in range(5):  # RK4 per sub-interval: u is constant there, so the RHS is smooth
        for _ in range(substeps):
            h = rk4(lambda _t, z, k=k: A @ z + B * u[k], h, t, t + dt / substeps, 200)
            t += dt / substeps
            expected.append(h)
    np.testing.assert_allclose(traj.h, np.array(expected), atol=1e-12)
    np.testing.assert_allclose(traj.y, traj.h @ C, atol=1e-14)
    np.testing.assert_array_equal(traj.u, np.repeat(u, substeps))


def test_piecewise_constant_interval_ends_are_the_zoh_recurrence():
    """The continuous state at t = (k+1)·dt is the ZOH recurrence state h_k (Mamba eq. 4 is exact here)."""
    rng = np.random.default_rng(8)
    A, B, C = stable_system(rng, 4)
    u, dt, S = rng.normal(size=6), 0.25, 3
    traj = simulate_piecewise_constant(A, B, C, u, dt, S)
    d = discretize(A, B[:, None], dt, "zoh")
    rec = lti_recurrence(d.A_bar, d.B_bar[:, 0], C, u)
    np.testing.assert_allclose(traj.h[S - 1 :: S], rec.h, atol=1e-13)
    np.testing.assert_allclose(traj.y[S - 1 :: S], rec.y, atol=1e-13)


def test_sinusoids_match_rk4():
    rng = np.random.default_rng(9)
    A, B, C = stable_system(rng, 3)
    amps, freqs, phases = np.array([1.0, 0.5]), np.array([1.3, 4.0]), np.array([0.2, -1.0])
    h0 = rng.normal(size=3)
    t = np.linspace(0, 4, 9)
    traj = simulate_sinusoids(A, B, C, amps, freqs, phases, t, h0=h0)
    u_of = lambda s: float(np.sum(amps * np.sin(freqs * s + phases)))
    np.testing.assert_allclose(traj.u, [u_of(s) for s in t], atol=1e-14)
    h, expected = h0, [h0]
    for t0, t1 in zip(t[:-1], t[1:], strict=True):
        h = rk4(lambda s, z: A @ z + B * u_of(s), h, t0, t1, 500)
        expected.append(h)
    np.testing.assert_allclose(traj.h, np.array(expected), atol=1e-11)  # RK4's own error at 500 steps
    np.testing.assert_allclose(traj.y, traj.h @ C, atol=1e-14)


def test_sinusoid_scalar_by_hand():
    """h' = −h + sin t, h(0) = 0 ⇒ h(t) = (sin t − cos t + e^{−t}) / 2."""
    t = np.array([0.0, 0.5, 1.0, 3.0])
    traj = simulate_sinusoids([[-1.0]], [1.0], [1.0], [1.0], [1.0], [0.0], t)
    np.testing.assert_allclose(traj.y, (np.sin(t) - np.cos(t) + np.exp(-t)) / 2, atol=1e-14)


# --- LTI recurrence, kernel, convolution ------------------------------------------------------------------


def test_scalar_recurrence_worked_by_hand():
    """N = 1: A = −1, B = 1, Δ = ln 2 ⇒ Ā = 1/2, B̄ = (1/2 − 1)/(−1) = 1/2. With C = 2, x = (2, 0, 0, 4):
    h = (1, 1/2, 1/4, 1/8 + 2), y = 2h = (2, 1, 1/2, 17/4); K = C Āᵏ B̄ = (1, 1/2, 1/4, 1/8)."""
    d = discretize(np.array([[-1.0]]), np.array([[1.0]]), math.log(2), "zoh")
    np.testing.assert_allclose(d.A_bar, [[0.5]], rtol=1e-15)
    np.testing.assert_allclose(d.B_bar, [[0.5]], rtol=1e-15)
    x = np.array([2.0, 0.0, 0.0, 4.0])
    rec = lti_recurrence(d.A_bar, d.B_bar[:, 0], np.array([2.0]), x)
    np.testing.assert_allclose(rec.h[:, 0], [1.0, 0.5, 0.25, 2.125], rtol=1e-15)
    np.testing.assert_allclose(rec.y, [2.0, 1.0, 0.5, 4.25], rtol=1e-15)
    K = lti_kernel(d.A_bar, d.B_bar[:, 0], np.array([2.0]), 4)
    np.testing.assert_allclose(K, [1.0, 0.5, 0.25, 0.125], rtol=1e-15)


def test_kernel_convolution_equals_recurrence():
    rng = np.random.default_rng(10)
    A, B, C = stable_system(rng, 5)
    d = discretize(A, B[:, None], 0.2, "bilinear")
    x = rng.normal(size=32)
    rec = lti_recurrence(d.A_bar, d.B_bar[:, 0], C, x)
    K = lti_kernel(d.A_bar, d.B_bar[:, 0], C, 32)
    np.testing.assert_allclose(causal_conv(K, x), rec.y, atol=1e-12)
    # K_k = C Āᵏ B̄ directly.
    np.testing.assert_allclose(K[7], C @ np.linalg.matrix_power(d.A_bar, 7) @ d.B_bar[:, 0], rtol=1e-12)


def test_recurrence_initial_state():
    rng = np.random.default_rng(11)
    A_bar, B_bar, C = 0.3 * rng.normal(size=(3, 3)), rng.normal(size=3), rng.normal(size=3)
    x, h0 = rng.normal(size=6), rng.normal(size=3)
    rec = lti_recurrence(A_bar, B_bar, C, x, h0=h0)
    np.testing.assert_allclose(rec.h[0], A_bar @ h0 + B_bar * x[0], rtol=1e-14)
    # Linearity: response to (x, h0) = response to (x, 0) + free response of h0.
    free = np.stack([np.linalg.matrix_power(A_bar, t + 1) @ h0 for t in range(6)])
    np.testing.assert_allclose(rec.h, lti_recurrence(A_bar, B_bar, C, x).h + free, atol=1e-13)


def test_causal_conv_matches_torch_conv1d():
    rng = np.random.default_rng(12)
    K, x = rng.normal(size=9), rng.normal(size=9)
    # conv1d is cross-correlation: flip the kernel and pad L − 1 zeros on the left only.
    xt = F.pad(torch.from_numpy(x)[None, None], (len(K) - 1, 0))
    expected = F.conv1d(xt, torch.from_numpy(K.copy()).flip(0)[None, None])[0, 0].numpy()
    np.testing.assert_allclose(causal_conv(K, x), expected, atol=1e-13)


# --- selection and the selective scan ---------------------------------------------------------------------


def test_softplus_stable_and_matches_torch():
    x = np.array([-1000.0, -30.0, -1.0, 0.0, 1e-8, 2.0, 30.0, 1000.0])
    # torch returns x itself above its threshold 20; the exact value is max(x, 0) + log1p(e^{−|x|}).
    np.testing.assert_allclose(softplus(x), F.softplus(torch.from_numpy(x)).numpy(), rtol=1e-13)
    np.testing.assert_allclose(softplus(x), np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x))), rtol=1e-15)
    assert softplus(np.array(0.0)) == pytest.approx(math.log(2), rel=1e-15)
    assert np.all(np.isfinite(softplus(x)))
    y = np.array([1e-4, 1e-3, 0.1, 1.0, 20.0])
    np.testing.assert_allclose(softplus(inverse_softplus(y)), y, rtol=1e-12)


def test_selective_params_matches_torch():
    rng = np.random.default_rng(13)
    L, D, N, R = 6, 5, 3, 2
    x = rng.normal(size=(L, D))
    Wd, Wu, b = rng.normal(size=(D, R)), rng.normal(size=(R, D)), rng.normal(size=D)
    WB, WC = rng.normal(size=(D, N)), rng.normal(size=(D, N))
    sp = selective_params(x, Wd, Wu, b, WB, WC)
    t = lambda a: torch.from_numpy(a)
    np.testing.assert_allclose(sp.delta_raw, (t(x) @ t(Wd) @ t(Wu) + t(b)).numpy(), rtol=1e-13)
    np.testing.assert_allclose(sp.delta, F.softplus(t(x) @ t(Wd) @ t(Wu) + t(b)).numpy(), rtol=1e-13)
    np.testing.assert_array_equal(sp.B, x @ WB)  # one matmul, computed the same way
    np.testing.assert_array_equal(sp.C, x @ WC)
    assert sp.delta.shape == (L, D) and sp.B.shape == sp.C.shape == (L, N) and np.all(sp.delta > 0)
    # R = 1: the paper's Broadcast_D(Linear_1(x)) — every channel gets the same raw Δ up to its own scale.
    sp1 = selective_params(x, Wd[:, :1], np.ones((1, D)), np.zeros(D), WB, WC)
    np.testing.assert_allclose(sp1.delta_raw, np.repeat(x @ Wd[:, :1], D, axis=1), atol=1e-15, rtol=0)


def random_scan_inputs(seed: int, L: int = 10, D: int = 3, N: int = 4) -> dict:
    rng = np.random.default_rng(seed)
    return {
        "x": rng.normal(size=(L, D)),
        "delta": 0.5 * rng.random((L, D)),
        "A": -0.5 * rng.random((D, N)),
        "B": rng.normal(size=(L, N)),
        "C": rng.normal(size=(L, N)),
        "D_skip": rng.normal(size=D),
        "h0": rng.normal(size=(D, N)),
    }


@pytest.mark.parametrize("discretization", ["zoh", "mamba"])
@pytest.mark.parametrize("with_extras", [False, True])
def test_selective_scan_sequential_matches_torch_loop(discretization, with_extras):
    inp = random_scan_inputs(14)
    if not with_extras:
        inp["D_skip"] = inp["h0"] = None
    res = selective_scan_sequential(**inp, discretization=discretization)
    t = {k: None if v is None else torch.from_numpy(v) for k, v in inp.items()}
    y, h = selective_scan_ref(
        t["x"], t["delta"], t["A"], t["B"], t["C"], t["D_skip"], t["h0"], discretization=discretization
    )
    np.testing.assert_allclose(res.y, y.numpy(), atol=1e-12)
    np.testing.assert_allclose(res.h, h.numpy(), atol=1e-12)
    assert res.A_bar.shape == res.Bx.shape == res.h.shape == (10, 3, 4) and res.y.shape == (10, 3)


def test_selective_scan_with_constant_params_is_lti():
    """Δ, B, C constant in t and one channel: the selective scan is the LTI recurrence of its diagonal A."""
    rng = np.random.default_rng(15)
    L, N = 8, 3
    a, b, c, delta = -rng.random(N) - 0.2, rng.normal(size=N), rng.normal(size=N), 0.4
    x = rng.normal(size=(L, 1))
    res = selective_scan_sequential(
        x, np.full((L, 1), delta), a[None], np.tile(b, (L, 1)), np.tile(c, (L, 1))
    )
    d = discretize(np.diag(a), b[:, None], delta, "zoh")
    rec = lti_recurrence(d.A_bar, d.B_bar[:, 0], c, x[:, 0])
    np.testing.assert_allclose(res.y[:, 0], rec.y, atol=1e-13)
    np.testing.assert_allclose(res.h[:, 0], rec.h, atol=1e-13)


def test_selective_scan_rejects_unknown_discretization():
    with pytest.raises(ValueError):
        selective_scan_sequential(**random_scan_inputs(16), discretization="euler")
