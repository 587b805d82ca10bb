"""State-space models: continuous system, discretisation, recurrence, convolution kernel, selective scan.

References
- Gu, Goel & Ré 2022, "Efficiently Modeling Long Sequences with Structured State Spaces" (S4):
  h'(t) = A h(t) + B u(t), y(t) = C h(t) (eq. 1); bilinear discretisation (eq. 3); kernel K̄ (eq. 5).
- Gu & Dao 2023, "Mamba: Linear-Time Sequence Modeling with Selective State Spaces": eqs. 1–4
  (ZOH: Ā = exp(ΔA), B̄ = (ΔA)⁻¹(exp(ΔA) − I)·ΔB) and Algorithm 2 (input-dependent Δ, B, C).
- Higham 2005, "The scaling and squaring method for the matrix exponential revisited" (expm).

Everything is NumPy float64. Sequence index first: x (L, D), h (L, D, N).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np

Method = Literal["zoh", "bilinear", "euler"]
DiagonalMethod = Literal["zoh", "bilinear", "euler", "mamba"]
SelectiveMethod = Literal["zoh", "mamba"]

# ---------------------------------------------------------------------------------------------------------
# Matrix exponential (Higham 2005: Padé [13/13] with scaling and squaring)

_THETA_13 = 5.371920351148152  # largest ‖M‖₁ for which the [13/13] Padé approximant is accurate to 2⁻⁵³
_PADE_13 = [  # c_j = (2m − j)! m! / ((2m)! j! (m − j)!), m = 13
    math.factorial(26 - j)
    * math.factorial(13)
    / (math.factorial(26) * math.factorial(j) * math.factorial(13 - j))
    for j in range(14)
]


def _expm_single(M: np.ndarray) -> np.ndarray:
    n = M.shape[0]
    norm = np.linalg.norm(M, 1)
    s = math.ceil(math.log2(norm / _THETA_13)) if norm > _THETA_13 else 0  # squarings
    X = M / 2.0**s  # (n, n)  ‖X‖₁ ≤ θ₁₃
    I = np.eye(n)  # (n, n)
    X2 = X @ X  # (n, n)
    powers = [I]  # X^{2k}, k = 0..6
    for _ in range(6):
        powers.append(powers[-1] @ X2)  # (n, n)
    U = X @ sum(_PADE_13[2 * k + 1] * powers[k] for k in range(7))  # (n, n)  odd part of the Padé numerator
    V = sum(_PADE_13[2 * k] * powers[k] for k in range(7))  # (n, n)  even part
    R = np.linalg.solve(V - U, V + U)  # (n, n)  r₁₃(X) = q(X)⁻¹ p(X), q(X) = p(−X)
    for _ in range(s):
        R = R @ R  # (n, n)  exp(M) = r(M / 2^s)^(2^s)
    return R


def expm(M: np.ndarray) -> np.ndarray:
    """Matrix exponential of (..., N, N) by scaling and squaring with the [13/13] Padé approximant."""
    M = np.asarray(M, dtype=np.float64)
    if M.ndim < 2 or M.shape[-1] != M.shape[-2]:
        raise ValueError(f"expm needs (..., N, N), got {M.shape}")
    flat = M.reshape(-1, *M.shape[-2:])  # (batch, N, N)
    return np.stack([_expm_single(m) for m in flat]).reshape(M.shape)  # (..., N, N)


# ---------------------------------------------------------------------------------------------------------
# Discretisation (Mamba eq. 4; S4 eq. 3)


@dataclass(frozen=True)
class Discretization:
    A_bar: np.ndarray  # (N, N) dense, or (..., N) diagonal
    B_bar: np.ndarray  # (N, P) dense, or (..., N) diagonal
    method: str
    delta: float | np.ndarray


def discretize(A: np.ndarray, B: np.ndarray, delta: float, method: Method) -> Discretization:
    """Discretise a dense continuous system (A (N, N), B (N, P)) with step Δ.

    zoh:      Ā = exp(ΔA),  B̄ = (ΔA)⁻¹(exp(ΔA) − I)·ΔB, read off the block exponential
              exp(Δ [[A, B], [0, 0]]) = [[Ā, B̄], [0, I]], which stays valid for singular A.
    bilinear: Ā = (I − Δ/2·A)⁻¹(I + Δ/2·A),  B̄ = (I − Δ/2·A)⁻¹·ΔB.
    euler:    Ā = I + ΔA,  B̄ = ΔB.
    """
    A = np.asarray(A, dtype=np.float64)  # (N, N)
    B = np.asarray(B, dtype=np.float64)  # (N, P)
    N, P = B.shape
    I = np.eye(N)  # (N, N)
    if method == "zoh":
        M = np.zeros((N + P, N + P))  # (N+P, N+P)
        M[:N, :N], M[:N, N:] = A, B
        E = expm(delta * M)  # (N+P, N+P) = [[Ā, B̄], [0, I]]
        A_bar, B_bar = E[:N, :N], E[:N, N:]  # (N, N), (N, P)
    elif method == "bilinear":
        left = I - delta / 2 * A  # (N, N)
        A_bar = np.linalg.solve(left, I + delta / 2 * A)  # (N, N)
        B_bar = np.linalg.solve(left, delta * B)  # (N, P)
    elif method == "euler":
        A_bar, B_bar = I + delta * A, delta * B  # (N, N), (N, P)
    else:
        raise ValueError(f"unknown method {method!r}")
    return Discretization(A_bar=A_bar, B_bar=B_bar, method=method, delta=delta)


def _expm1_over(z: np.ndarray) -> np.ndarray:
    """φ₁(z) = (eᶻ − 1)/z, with φ₁(0) = 1."""
    small = np.abs(z) < 1e-8
    safe = np.where(small, 1.0, z)
    return np.where(small, 1.0 + z / 2, np.expm1(safe) / safe)


def discretize_diagonal(
    A: np.ndarray, B: np.ndarray, delta: np.ndarray | float, method: DiagonalMethod
) -> Discretization:
    """Elementwise discretisation for a diagonal A, as the selective scan uses it.

    A (..., N), B (..., N), delta (...) broadcast as delta[..., None] (one Δ per channel, shared by its N
    states). Every output broadcasts to the common shape (..., N).
    zoh:      Ā = exp(ΔA),  B̄ = (exp(ΔA) − 1)/A · B   (exact; equals ΔB where A = 0)
    bilinear: Ā = (1 + ΔA/2)/(1 − ΔA/2),  B̄ = ΔB/(1 − ΔA/2)
    euler:    Ā = 1 + ΔA,  B̄ = ΔB
    mamba:    Ā = exp(ΔA),  B̄ = ΔB — the simplification in the reference CUDA/PyTorch code
              (selective_scan_ref): exact Ā, but B̄ only to first order in ΔA. Not the paper's ZOH.
    """
    A = np.asarray(A, dtype=np.float64)  # (..., N)
    B = np.asarray(B, dtype=np.float64)  # (..., N)
    d = np.asarray(delta, dtype=np.float64)[..., None]  # (..., 1)
    dA = d * A  # (..., N)
    if method == "zoh":
        A_bar, B_bar = np.exp(dA), d * _expm1_over(dA) * B  # (..., N)  (e^{ΔA} − 1)/(ΔA) · ΔB
    elif method == "bilinear":
        A_bar, B_bar = (1 + dA / 2) / (1 - dA / 2), d * B / (1 - dA / 2)  # (..., N)
    elif method == "euler":
        A_bar, B_bar = 1 + dA, d * B  # (..., N)
    elif method == "mamba":
        A_bar, B_bar = np.exp(dA), d * B  # (..., N)
    else:
        raise ValueError(f"unknown method {method!r}")
    return Discretization(A_bar=A_bar, B_bar=B_bar, method=method, delta=np.asarray(delta))


# ---------------------------------------------------------------------------------------------------------
# The continuous system, solved exactly (S4 eq. 1)


@dataclass(frozen=True)
class ContinuousTrajectory:
    t: np.ndarray  # (T,)
    u: np.ndarray  # (T,)   input at each sample time
    h: np.ndarray  # (T, N) state
    y: np.ndarray  # (T,)   output C h


def simulate_piecewise_constant(
    A: np.ndarray,
    B: np.ndarray,
    C: np.ndarray,
    u: np.ndarray,
    dt: float,
    substeps: int,
    h0: np.ndarray | None = None,
) -> ContinuousTrajectory:
    """Exact solution of h' = A h + B u, y = C h for u held at u_k on (k·dt, (k+1)·dt].

    Samples at t = k·dt + j·dt/substeps, j = 1..substeps, so T = L·substeps, and the last sample of
    interval k (index k·substeps + substeps − 1) is exactly the ZOH recurrence state h_k. Within an
    interval, the augmented state [h; u_k] evolves by exp(τ [[A, B], [0, 0]]).
    """
    A, B, C = (np.asarray(v, dtype=np.float64) for v in (A, B, C))  # (N, N), (N,), (N,)
    u = np.asarray(u, dtype=np.float64)  # (L,)
    N, L = A.shape[0], u.shape[0]
    M = np.zeros((N + 1, N + 1))  # (N+1, N+1)
    M[:N, :N], M[:N, N] = A, B
    taus = dt * np.arange(1, substeps + 1) / substeps  # (S,)
    E = expm(taus[:, None, None] * M)  # (S, N+1, N+1)
    h = np.zeros(N) if h0 is None else np.asarray(h0, dtype=np.float64)  # (N,)
    hs = []
    for k in range(L):
        z = E @ np.append(h, u[k])  # (S, N+1)  [h(k·dt + τ_j); u_k]
        hs.append(z[:, :N])
        h = z[-1, :N]  # (N,)
    h_all = np.concatenate(hs)  # (T, N)
    t = (np.arange(L)[:, None] * dt + taus[None, :]).reshape(-1)  # (T,)
    return ContinuousTrajectory(t=t, u=np.repeat(u, substeps), h=h_all, y=h_all @ C)


def simulate_sinusoids(
    A: np.ndarray,
    B: np.ndarray,
    C: np.ndarray,
    amplitudes: np.ndarray,
    freqs: np.ndarray,
    phases: np.ndarray,
    t: np.ndarray,
    h0: np.ndarray | None = None,
) -> ContinuousTrajectory:
    """Exact response of h' = A h + B u, y = C h (h(0) = h0, default 0) to u(t) = Σ_k a_k sin(ω_k t + φ_k).

    Each sinusoid is the first coordinate of an oscillator s_k = (sin, cos)(ω_k t + φ_k) with
    s_k' = [[0, ω_k], [−ω_k, 0]] s_k, so z = [h; s_1; …; s_K] obeys z' = M z and z(t) = exp(tM) z(0).
    """
    A, B, C = (np.asarray(v, dtype=np.float64) for v in (A, B, C))  # (N, N), (N,), (N,)
    a, w, phi = (np.atleast_1d(np.asarray(v, dtype=np.float64)) for v in (amplitudes, freqs, phases))  # (K,)
    t = np.asarray(t, dtype=np.float64)  # (T,)
    N, K = A.shape[0], a.shape[0]
    M = np.zeros((N + 2 * K, N + 2 * K))  # (N+2K, N+2K)
    M[:N, :N] = A
    for k in range(K):
        s = N + 2 * k
        M[:N, s] = B * a[k]  # h' += B a_k sin(ω_k t + φ_k)
        M[s, s + 1], M[s + 1, s] = w[k], -w[k]  # (sin)' = ω cos, (cos)' = −ω sin
    z0 = np.concatenate(
        [
            np.zeros(N) if h0 is None else np.asarray(h0, dtype=np.float64),
            np.stack([np.sin(phi), np.cos(phi)], axis=1).reshape(-1),
        ]
    )  # (N+2K,)
    z = expm(t[:, None, None] * M) @ z0  # (T, N+2K)
    h = z[:, :N]  # (T, N)
    u = np.sin(w[None, :] * t[:, None] + phi[None, :]) @ a  # (T,)
    return ContinuousTrajectory(t=t, u=u, h=h, y=h @ C)


# ---------------------------------------------------------------------------------------------------------
# LTI recurrence and its convolution kernel (S4 eqs. 2–5)


@dataclass(frozen=True)
class Recurrence:
    h: np.ndarray  # (L, N)
    y: np.ndarray  # (L,)


def lti_recurrence(
    A_bar: np.ndarray, B_bar: np.ndarray, C: np.ndarray, x: np.ndarray, h0: np.ndarray | None = None
) -> Recurrence:
    """h_t = Ā h_{t−1} + B̄ x_t, y_t = C h_t, with h_{−1} = h0 (default 0).

    Ā (N, N), B̄ (N,), C (N,), x (L,) -> h (L, N), y (L,).
    """
    A_bar, B_bar, C, x = (np.asarray(v, dtype=np.float64) for v in (A_bar, B_bar, C, x))
    h = np.zeros(A_bar.shape[0]) if h0 is None else np.asarray(h0, dtype=np.float64)  # (N,)
    hs = np.empty((x.shape[0], h.shape[0]))  # (L, N)
    for t, x_t in enumerate(x):
        h = A_bar @ h + B_bar * x_t  # (N,)
        hs[t] = h
    return Recurrence(h=hs, y=hs @ C)  # (L, N), (L,)


def lti_kernel(A_bar: np.ndarray, B_bar: np.ndarray, C: np.ndarray, L: int) -> np.ndarray:
    """K̄ = (C B̄, C Ā B̄, …, C Ā^{L−1} B̄) (S4 eq. 5). Returns (L,)."""
    A_bar, v = np.asarray(A_bar, dtype=np.float64), np.asarray(B_bar, dtype=np.float64)  # (N, N), (N,)
    K = np.empty(L)  # (L,)
    for k in range(L):
        K[k] = C @ v  # K_k = C Ā^k B̄
        v = A_bar @ v  # (N,)
    return K


def causal_conv(K: np.ndarray, x: np.ndarray) -> np.ndarray:
    """y_t = Σ_{k=0}^{t} K_k x_{t−k} (y = K̄ * x, S4 eq. 4). K (L,) or shorter, x (L,) -> (L,)."""
    x = np.asarray(x, dtype=np.float64)  # (L,)
    return np.convolve(x, np.asarray(K, dtype=np.float64))[: x.shape[0]]  # (L,)


# ---------------------------------------------------------------------------------------------------------
# Selection (Mamba Algorithm 2) and the selective scan


def softplus(x: np.ndarray) -> np.ndarray:
    """softplus(x) = log(1 + eˣ), computed as logaddexp(0, x): no overflow for large x, exact for small."""
    return np.logaddexp(0.0, x)


def inverse_softplus(y: np.ndarray) -> np.ndarray:
    """softplus⁻¹(y) = y + log(1 − e^{−y}) for y > 0 (how mamba_simple initialises the Δ bias)."""
    y = np.asarray(y, dtype=np.float64)
    return y + np.log(-np.expm1(-y))


@dataclass(frozen=True)
class SelectiveParams:
    delta_raw: np.ndarray  # (L, D)  before softplus
    delta: np.ndarray  # (L, D)
    B: np.ndarray  # (L, N)
    C: np.ndarray  # (L, N)


def selective_params(
    x: np.ndarray,
    W_dt_down: np.ndarray,
    W_dt_up: np.ndarray,
    b_dt: np.ndarray,
    W_B: np.ndarray,
    W_C: np.ndarray,
) -> SelectiveParams:
    """Mamba Algorithm 2, lines 2–4: B = s_B(x), C = s_C(x), Δ = τ_Δ(Parameter + s_Δ(x)).

    Δ = softplus(x W_dt_down W_dt_up + b_dt); with R = 1 this is the paper's Broadcast_D(Linear_1(x)).
    x (L, D), W_dt_down (D, R), W_dt_up (R, D), b_dt (D,), W_B, W_C (D, N).
    """
    x = np.asarray(x, dtype=np.float64)  # (L, D)
    delta_raw = x @ W_dt_down @ W_dt_up + b_dt  # (L, D)
    return SelectiveParams(delta_raw=delta_raw, delta=softplus(delta_raw), B=x @ W_B, C=x @ W_C)


@dataclass(frozen=True)
class ScanResult:
    A_bar: np.ndarray  # (L, D, N)  exp(Δ_t A)
    Bx: np.ndarray  # (L, D, N)  B̄_t x_t
    h: np.ndarray  # (L, D, N)
    y: np.ndarray  # (L, D)     C_t·h_t (+ D x_t)


def selective_discretize(
    x: np.ndarray, delta: np.ndarray, A: np.ndarray, B: np.ndarray, discretization: SelectiveMethod = "zoh"
) -> tuple[np.ndarray, np.ndarray]:
    """The recurrence coefficients of the selective scan: (Ā_t, B̄_t x_t), both (L, D, N).

    x, delta (L, D); A (D, N) diagonal per channel; B (L, N) shared by all channels.
    """
    if discretization not in ("zoh", "mamba"):
        raise ValueError(f"unknown discretization {discretization!r}")
    x = np.asarray(x, dtype=np.float64)  # (L, D)
    A = np.asarray(A, dtype=np.float64)[None]  # (1, D, N)
    B = np.asarray(B, dtype=np.float64)[:, None, :]  # (L, 1, N)
    disc = discretize_diagonal(A, B, delta, discretization)  # Δ (L, D) -> (L, D, 1)
    return disc.A_bar, disc.B_bar * x[:, :, None]  # (L, D, N), (L, D, N)


def selective_readout(
    h: np.ndarray, C: np.ndarray, x: np.ndarray, D_skip: np.ndarray | None = None
) -> np.ndarray:
    """y_t = C_t·h_t (+ D ⊙ x_t). h (L, D, N), C (L, N), x (L, D) -> (L, D)."""
    y = np.einsum("ldn,ln->ld", h, C)  # (L, D)
    return y if D_skip is None else y + D_skip * x  # (L, D)


def selective_scan_sequential(
    x: np.ndarray,
    delta: np.ndarray,
    A: np.ndarray,
    B: np.ndarray,
    C: np.ndarray,
    D_skip: np.ndarray | None = None,
    h0: np.ndarray | None = None,
    discretization: SelectiveMethod = "zoh",
) -> ScanResult:
    """Mamba Algorithm 2, line 5, as the plain loop h_t = Ā_t ⊙ h_{t−1} + B̄_t x_t, y_t = C_t·h_t (+ D x_t).

    x, delta (L, D); A (D, N); B, C (L, N); D_skip (D,); h0 (D, N) is h_{−1} (default 0).
    discretization "zoh" is the paper's exact B̄; "mamba" is the reference code's B̄ = ΔB.
    """
    A_bar, Bx = selective_discretize(x, delta, A, B, discretization)  # (L, D, N) each
    h = np.zeros(A_bar.shape[1:]) if h0 is None else np.asarray(h0, dtype=np.float64)  # (D, N)
    hs = np.empty_like(A_bar)  # (L, D, N)
    for t in range(A_bar.shape[0]):
        h = A_bar[t] * h + Bx[t]  # (D, N)
        hs[t] = h
    return ScanResult(A_bar=A_bar, Bx=Bx, h=hs, y=selective_readout(hs, C, x, D_skip))
