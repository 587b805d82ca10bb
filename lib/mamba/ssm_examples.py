"""Small example state-space systems for the lectures, and the two views of an LTI SSM compared.

References
- Gu, Goel & Ré 2022, "Efficiently Modeling Long Sequences with Structured State Spaces" (S4):
  the HiPPO-LegS matrix (eq. 2, Theorem 1), the recurrence (eq. 3) and the convolution kernel K̄ (eqs. 4–5).
- Gu, Dao, Ermon, Rudra & Ré 2020, "HiPPO: Recurrent Memory with Optimal Polynomial Projections", eq. (8):
  A_nk = −√(2n+1)√(2k+1) if n > k, −(n+1) if n = k, 0 if n < k;  B_n = √(2n+1).
- The damped harmonic oscillator y'' + 2ζω y' + ω² y = ω² u in companion (controllable canonical) form,
  e.g. Franklin, Powell & Emami-Naeini, "Feedback Control of Dynamic Systems", §3.3 and §7.2.

The systems are built so that their entries read cleanly on a slide: the random parts are rounded to one
decimal, and stability is structural (every eigenvalue of A has a negative real part).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lib.mamba.ssm import causal_conv, lti_kernel, lti_recurrence


@dataclass(frozen=True)
class ContinuousSystem:
    A: np.ndarray  # (N, N)
    B: np.ndarray  # (N,)
    C: np.ndarray  # (N,)
    eigenvalues: np.ndarray  # (N,) complex, sorted by imaginary part then real part


def _sorted_eigs(A: np.ndarray) -> np.ndarray:
    lam = np.linalg.eigvals(A)  # (N,) complex
    return lam[np.lexsort((lam.real, -lam.imag))]


def hippo_legs(n: int) -> tuple[np.ndarray, np.ndarray]:
    """HiPPO-LegS (HiPPO eq. 8): A (n, n) lower triangular with diagonal −1, −2, …, −n; B (n,) = √(2k+1)."""
    r = np.sqrt(2 * np.arange(n) + 1.0)  # (n,)  √(2k+1)
    A = -np.tril(np.outer(r, r), -1) - np.diag(np.arange(1.0, n + 1))  # (n, n)
    return A, r


def oscillatory_system(n: int, decay: float, seed: int) -> ContinuousSystem:
    """A = −decay·I + S with S skew-symmetric (Sᵀ = −S), so every eigenvalue is −decay ± iω: damped rotations.

    S, B, C are seeded normals rounded to one decimal (S has its upper triangle drawn, the lower is −its
    transpose); B and C are kept away from zero so that every state is driven and read out.
    """
    if n < 1 or decay <= 0:
        raise ValueError("need n ≥ 1 and decay > 0")
    rng = np.random.default_rng(seed)
    U = np.triu(np.round(1.5 * rng.normal(size=(n, n)), 1), 1)  # (n, n) strictly upper
    A = -decay * np.eye(n) + U - U.T  # (n, n)  eig = −decay ± iω
    signs = np.where(rng.random(2 * n) < 0.5, -1.0, 1.0)  # (2n,)
    mags = np.round(0.3 + rng.random(2 * n), 1)  # (2n,)  in [0.3, 1.3]
    B, C = signs[:n] * mags[:n], signs[n:] * mags[n:]  # (n,), (n,)
    return ContinuousSystem(A=A, B=B, C=C, eigenvalues=_sorted_eigs(A))


def damped_oscillator(omega: float, damping: float) -> ContinuousSystem:
    """y'' + 2ζω y' + ω² y = ω² u as h = (y, y'): A = [[0, 1], [−ω², −2ζω]], B = (0, ω²), C = (1, 0).

    Transfer function ω²/(s² + 2ζωs + ω²): unit DC gain (a held input u settles at y = u), eigenvalues
    −ζω ± ω√(ζ² − 1) — a decaying oscillation of frequency ω√(1 − ζ²) for ζ < 1, no oscillation for ζ ≥ 1.
    """
    if omega <= 0 or damping < 0:
        raise ValueError(f"need omega > 0 and damping ≥ 0, got omega={omega}, damping={damping}")
    A = np.array([[0.0, 1.0], [-(omega**2), -2.0 * damping * omega]])  # (2, 2)
    B, C = np.array([0.0, omega**2]), np.array([1.0, 0.0])  # (2,), (2,)
    return ContinuousSystem(A=A, B=B, C=C, eigenvalues=_sorted_eigs(A))


def hippo_system(n: int, decay: float, seed: int) -> ContinuousSystem:
    """A = decay·A_LegS, B = B_LegS (time scale 1/decay); C seeded normals rounded to one decimal.

    A_LegS is lower triangular, so its eigenvalues are its diagonal −decay·(1, 2, …, n): all stable.
    """
    if n < 1 or decay <= 0:
        raise ValueError("need n ≥ 1 and decay > 0")
    A, B = hippo_legs(n)
    C = np.round(np.random.default_rng(seed).normal(size=n), 1)  # (n,)
    C = np.where(C == 0, 0.1, C)  # (n,)  every state is read out
    A = decay * A  # (n, n)
    return ContinuousSystem(A=A, B=B, C=C, eigenvalues=_sorted_eigs(A))


def example_input(length: int, seed: int) -> np.ndarray:
    """A seeded input x (length,) of normals rounded to one decimal, so dot products check by hand."""
    return np.round(np.random.default_rng(seed).normal(size=length), 1)


@dataclass(frozen=True)
class TwoViews:
    h: np.ndarray  # (L, N)  recurrent states
    y_recurrent: np.ndarray  # (L,)  y_t = C h_t, h_t = Ā h_{t−1} + B̄ x_t
    kernel: np.ndarray  # (L,)  K̄_k = C Ā^k B̄
    y_conv: np.ndarray  # (L,)  y = K̄ * x
    max_abs_diff: float  # max_t |y_recurrent − y_conv|


def two_views(A_bar: np.ndarray, B_bar: np.ndarray, C: np.ndarray, x: np.ndarray) -> TwoViews:
    """Run one LTI SSM both ways (S4 eqs. 3 and 4–5) and measure how far apart the outputs are."""
    x = np.asarray(x, dtype=np.float64)  # (L,)
    rec = lti_recurrence(A_bar, B_bar, C, x)  # h (L, N), y (L,)
    K = lti_kernel(A_bar, B_bar, C, x.shape[0])  # (L,)
    y_conv = causal_conv(K, x)  # (L,)
    return TwoViews(
        h=rec.h,
        y_recurrent=rec.y,
        kernel=K,
        y_conv=y_conv,
        max_abs_diff=float(np.max(np.abs(rec.y - y_conv))),
    )


def conv_terms(K: np.ndarray, x: np.ndarray, t: int) -> np.ndarray:
    """The terms K̄_{t−s} x_s, s = 0..t (0-based), of one output; they sum to y_t. Returns (t+1,)."""
    K, x = np.asarray(K, dtype=np.float64), np.asarray(x, dtype=np.float64)  # (L,), (L,)
    s = np.arange(t + 1)  # (t+1,)
    return K[t - s] * x[s]  # (t+1,)  the flipped kernel against the inputs
