import numpy as np
import pytest
import torch
import torch.nn.functional as F

from lib.mamba.ssm import discretize, simulate_piecewise_constant
from lib.mamba.ssm_examples import (
    conv_terms,
    damped_oscillator,
    example_input,
    hippo_legs,
    hippo_system,
    oscillatory_system,
    two_views,
)


def test_hippo_legs_by_hand():
    A, B = hippo_legs(3)
    s3, s5, s15 = np.sqrt(3), np.sqrt(5), np.sqrt(15)
    expected = np.array([[-1, 0, 0], [-s3, -2, 0], [-s5, -s15, -3]])
    np.testing.assert_allclose(A, expected, atol=1e-15)
    np.testing.assert_allclose(B, [1, s3, s5], atol=1e-15)


def test_hippo_legs_matches_s4_transition():
    """S4's `transition('legs', N)`: M = −(tril(r) − diag(q)), A = T M T⁻¹, T = diag(√(2q+1))."""
    N = 6
    q = np.arange(N, dtype=np.float64)
    col, row = np.meshgrid(q, q)
    r = 2 * q + 1
    M = -(np.where(row >= col, r, 0) - np.diag(q))
    T = np.sqrt(np.diag(2 * q + 1))
    A, B = hippo_legs(N)
    np.testing.assert_allclose(A, T @ M @ np.linalg.inv(T), atol=1e-12)
    np.testing.assert_allclose(B, np.diag(T), atol=1e-15)


@pytest.mark.parametrize("n", [1, 2, 3, 4])
@pytest.mark.parametrize("seed", [0, 7])
def test_oscillatory_system_is_stable_with_the_given_decay(n, seed):
    s = oscillatory_system(n, 0.4, seed)
    np.testing.assert_allclose(s.A + s.A.T, -0.8 * np.eye(n), atol=1e-15)  # skew part cancels
    np.testing.assert_allclose(s.eigenvalues.real, -0.4, atol=1e-12)
    np.testing.assert_allclose(
        np.sort_complex(s.eigenvalues), np.sort_complex(np.linalg.eigvals(s.A)), atol=1e-13, rtol=0
    )
    assert np.all(np.abs(s.B) >= 0.3) and np.all(np.abs(s.C) >= 0.3)
    np.testing.assert_allclose(s.B, np.round(s.B, 1), atol=1e-15)
    # reproducible
    np.testing.assert_array_equal(oscillatory_system(n, 0.4, seed).A, s.A)


def test_hippo_system_eigenvalues_are_its_diagonal():
    s = hippo_system(4, 0.5, 3)
    np.testing.assert_allclose(np.sort(s.eigenvalues.real), [-2, -1.5, -1, -0.5], atol=1e-12)
    np.testing.assert_allclose(s.eigenvalues.imag, 0, atol=1e-12)
    assert np.all(s.C != 0)


def test_two_views_agree_and_match_torch():
    sysm = oscillatory_system(3, 0.3, 1)
    d = discretize(sysm.A, sysm.B[:, None], 0.5, "zoh")
    x = example_input(10, 2)
    v = two_views(d.A_bar, d.B_bar[:, 0], sysm.C, x)
    assert v.max_abs_diff < 1e-12
    # external reference: the kernel by matrix powers, the convolution by torch's conv1d (a correlation)
    K = np.array([sysm.C @ np.linalg.matrix_power(d.A_bar, k) @ d.B_bar[:, 0] for k in range(10)])
    np.testing.assert_allclose(v.kernel, K, atol=1e-13)
    xt = F.pad(torch.from_numpy(x)[None, None], (9, 0))
    y = F.conv1d(xt, torch.from_numpy(K[::-1].copy())[None, None])[0, 0].numpy()
    np.testing.assert_allclose(v.y_conv, y, atol=1e-13)
    np.testing.assert_allclose(v.y_recurrent, y, atol=1e-12)


def test_conv_terms_sum_to_the_output():
    x = example_input(6, 0)
    K = np.array([1.0, 0.5, 0.25, 0.125, 0.0625, 0.03125])
    for t in range(6):
        terms = conv_terms(K, x, t)
        assert terms.shape == (t + 1,)
        np.testing.assert_allclose(
            terms.sum(), sum(K[k] * x[t - k] for k in range(t + 1)), atol=1e-14, rtol=0
        )
    np.testing.assert_allclose(conv_terms(K, x, 1), [0.5 * x[0], x[1]], atol=1e-16, rtol=0)


def test_example_input_is_rounded_and_seeded():
    x = example_input(8, 5)
    np.testing.assert_allclose(x, np.round(x, 1), atol=0)
    np.testing.assert_array_equal(x, example_input(8, 5))


def oscillator_step_response(omega: float, zeta: float, t: np.ndarray) -> np.ndarray:
    """y(t) for u = 1 from rest, solved by hand from y'' + 2ζω y' + ω² y = ω² (roots λ of s² + 2ζωs + ω²)."""
    if zeta < 1:  # complex roots −ζω ± iω_d
        wd = omega * np.sqrt(1 - zeta**2)
        return 1 - np.exp(-zeta * omega * t) * (np.cos(wd * t) + zeta / np.sqrt(1 - zeta**2) * np.sin(wd * t))
    if zeta == 1:  # double root −ω
        return 1 - np.exp(-omega * t) * (1 + omega * t)
    l1, l2 = -omega * (zeta - np.sqrt(zeta**2 - 1)), -omega * (zeta + np.sqrt(zeta**2 - 1))
    return 1 - (l2 * np.exp(l1 * t) - l1 * np.exp(l2 * t)) / (l2 - l1)


@pytest.mark.parametrize(
    "omega,zeta", [(2.0, 0.25), (1.0, 0.8), (3.0, 0.0), (1.5, 1.0), (0.5, 2.0), (6.0, 0.05)]
)
def test_damped_oscillator_against_its_hand_solution(omega, zeta):
    sys = damped_oscillator(omega, zeta)
    np.testing.assert_array_equal(sys.A, [[0.0, 1.0], [-(omega**2), -2 * zeta * omega]])
    np.testing.assert_array_equal(sys.B, [0.0, omega**2])
    np.testing.assert_array_equal(sys.C, [1.0, 0.0])
    # eigenvalues: the roots of s² + 2ζωs + ω², by the quadratic formula
    disc = np.sqrt(complex(zeta**2 - 1))
    roots = sorted(
        [-zeta * omega + omega * disc, -zeta * omega - omega * disc], key=lambda z: (-z.imag, z.real)
    )
    np.testing.assert_allclose(sys.eigenvalues, roots, atol=1e-12)
    # transfer function C (sI − A)⁻¹ B = ω² / (s² + 2ζωs + ω²), at s = 0 (unit DC gain) and off the axis
    for s in (0.0, 0.7, 1.3 + 2.1j):
        G = sys.C @ np.linalg.solve(s * np.eye(2) - sys.A, sys.B)
        assert abs(G - omega**2 / (s**2 + 2 * zeta * omega * s + omega**2)) < 1e-13
    # the exact simulation of a held step input follows the hand-solved step response
    delta, substeps, steps = 0.1, 5, 40
    traj = simulate_piecewise_constant(sys.A, sys.B, sys.C, np.ones(steps), delta, substeps)
    np.testing.assert_allclose(traj.y, oscillator_step_response(omega, zeta, traj.t), atol=1e-12)


def test_damped_oscillator_rejects_bad_parameters():
    for omega, zeta in ((0.0, 0.5), (-1.0, 0.5), (1.0, -0.1)):
        with pytest.raises(ValueError):
            damped_oscillator(omega, zeta)
