"""Gradient descent on a quadratic: what the Hessian's eigenvalues decide.

For f(θ) = ½ (θ − θ*)ᵀ A (θ − θ*) a gradient step is e_{t+1} = (I − η A) e_t, e = θ − θ*, so along the
eigenvector of λ_i the error is multiplied by (1 − η λ_i) every step (Goodfellow, Bengio & Courville 2016,
§4.3.1, eq. 4.10; Nesterov 2004, §1.2.3). It shrinks along every direction iff |1 − η λ_i| < 1 for all i,
i.e. η < 2/λ_max; the best constant step η* = 2/(λ_min + λ_max) contracts by (κ − 1)/(κ + 1) per step,
κ = λ_max/λ_min the condition number. Heavy-ball momentum tuned for the quadratic (Polyak 1964) reaches
(√κ − 1)/(√κ + 1) instead.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Conditioning:
    eigenvalues: np.ndarray  # (2,)  λ_min, λ_max (ascending)
    eigenvectors: np.ndarray  # (2, 2)  column i belongs to eigenvalues[i]
    condition: float  # κ = λ_max / λ_min
    lr_limit: float  # 2 / λ_max: gradient descent diverges at or above this step
    lr_best: float  # 2 / (λ_min + λ_max): the constant step that contracts fastest
    rate_best: float  # (κ − 1)/(κ + 1): the error's contraction per step at lr_best
    rate_momentum: float  # (√κ − 1)/(√κ + 1): the same for tuned heavy-ball momentum (Polyak 1964)


def conditioning(A: np.ndarray) -> Conditioning:
    """The eigen-decomposition of the symmetric positive-definite Hessian ``A`` and what it implies."""
    lam, vec = np.linalg.eigh(A)  # (n,), (n, n)  ascending
    if lam[0] <= 0:
        raise ValueError("A must be positive definite")
    kappa = float(lam[-1] / lam[0])
    root = np.sqrt(kappa)
    return Conditioning(
        eigenvalues=lam,
        eigenvectors=vec,
        condition=kappa,
        lr_limit=float(2.0 / lam[-1]),
        lr_best=float(2.0 / (lam[0] + lam[-1])),
        rate_best=(kappa - 1) / (kappa + 1),
        rate_momentum=float((root - 1) / (root + 1)),
    )


def gd_factors(A: np.ndarray, lr: float) -> np.ndarray:
    """1 − η λ_i for each eigenvalue (ascending): the error's factor per step along each eigenvector."""
    return 1.0 - lr * np.linalg.eigvalsh(A)  # (n,)


def steps_to_tolerance(points: np.ndarray, minimum: np.ndarray, tol: float) -> int | None:
    """The first step t with ‖θ_t − θ*‖ < tol (``points`` (T+1, n) is θ_0 … θ_T), None if never reached."""
    dist = np.linalg.norm(points - minimum, axis=-1)  # (T+1,)
    hit = np.flatnonzero(dist < tol)
    return int(hit[0]) if hit.size else None


def distances(points: np.ndarray, minimum: np.ndarray) -> np.ndarray:
    """‖θ_t − θ*‖ for each step: (T+1, n) → (T+1,)."""
    return np.linalg.norm(points - minimum, axis=-1)  # (T+1,)
