"""The spectral view of a graph: the symmetric normalised Laplacian and its eigenvectors.

Kipf & Welling 2017, §2, eq. 3: a spectral graph convolution g_θ ⋆ x = U g_θ Uᵀ x, where U holds the
eigenvectors of L = I_N − D^{-1/2} A D^{-1/2} = U Λ Uᵀ (Chung 1997, "Spectral Graph Theory", §1.2). The
eigenvalues lie in [0, 2]; small ones belong to smooth eigenvectors (neighbours get similar values), the
first is 0 with u₀ ∝ D^{1/2} 1, and the second (the Fiedler vector) splits the graph where it is thinnest.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Spectrum:
    laplacian: np.ndarray  # (N, N)  L = I − D^{-1/2} A D^{-1/2}
    eigenvalues: np.ndarray  # (N,)  ascending, λ₀ = 0 ≤ λ₁ ≤ … ≤ 2
    eigenvectors: np.ndarray  # (N, N)  column k is u_k, unit length, its largest-magnitude entry positive


def normalized_laplacian(adj: np.ndarray) -> np.ndarray:
    """L = I − D^{-1/2} A D^{-1/2} (no isolated nodes: every degree > 0)."""
    d_inv_sqrt = adj.sum(axis=1) ** -0.5  # (N,)
    return np.eye(adj.shape[0]) - d_inv_sqrt[:, None] * adj * d_inv_sqrt[None, :]  # (N, N)


def fix_signs(vectors: np.ndarray) -> np.ndarray:
    """Each column flipped so its largest-magnitude entry (the first of equals) is positive: an eigenvector is
    defined only up to its sign, and a drawing needs one."""
    idx = np.argmax(np.abs(vectors) > np.abs(vectors).max(axis=0) - 1e-9, axis=0)  # (N,)
    signs = np.sign(vectors[idx, np.arange(vectors.shape[1])])  # (N,)
    return vectors * signs[None, :]  # (N, N)


def spectrum(adj: np.ndarray) -> Spectrum:
    """Eigen-decomposition L = U Λ Uᵀ, eigenvalues ascending."""
    lap = normalized_laplacian(adj)
    values, vectors = np.linalg.eigh(lap)  # (N,), (N, N)
    return Spectrum(lap, values, fix_signs(vectors))
