"""Tests for lib/nets/graph_spectral.py and lib/nets/graph_examples.py: the normalised Laplacian and its
eigenvectors against torch.linalg.eigh on a Laplacian built by hand (float64)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from lib.nets.graph_examples import EDGES, adjacency, example_edges, features_and_weights
from lib.nets.graph_spectral import normalized_laplacian, spectrum

TOL = 1e-12


def torch_laplacian(n: int, edges) -> torch.Tensor:
    a = torch.zeros(n, n, dtype=torch.float64)
    for i, j in edges:
        a[i, j] = a[j, i] = 1.0
    d = a.sum(dim=1)
    return torch.eye(n, dtype=torch.float64) - a / torch.sqrt(d[:, None] * d[None, :])


@pytest.mark.parametrize("name", sorted(EDGES))
def test_spectrum_matches_torch_eigh(name: str) -> None:
    n, edges = example_edges(name)  # type: ignore[arg-type]
    s = spectrum(adjacency(n, edges))
    lap = torch_laplacian(n, edges)
    np.testing.assert_allclose(s.laplacian, lap.numpy(), atol=TOL)
    values, vectors = torch.linalg.eigh(lap)
    np.testing.assert_allclose(s.eigenvalues, values.numpy(), atol=TOL)
    assert np.diff(values.numpy()).min() > 1e-3  # distinct: each eigenvector is unique up to sign
    for k in range(n):
        v = vectors[:, k]
        v = v if v[int(torch.argmax(v.abs()))] > 0 else -v
        np.testing.assert_allclose(s.eigenvectors[:, k], v.numpy(), atol=1e-10)


def test_first_eigenvector_is_sqrt_degree() -> None:
    """λ₀ = 0 with u₀ = D^{1/2} 1 / ‖D^{1/2} 1‖ (Chung 1997), worked from the degrees."""
    n, edges = example_edges("communities")
    a = adjacency(n, edges)
    s = spectrum(a)
    deg = np.array([sum(1 for e in edges if k in e) for k in range(n)], dtype=float)
    assert s.eigenvalues[0] == pytest.approx(0.0, abs=TOL)
    np.testing.assert_allclose(s.eigenvectors[:, 0], np.sqrt(deg) / np.linalg.norm(np.sqrt(deg)), atol=TOL)
    np.testing.assert_allclose(
        normalized_laplacian(a) @ s.eigenvectors, s.eigenvectors * s.eigenvalues, atol=TOL
    )
    assert 0.0 <= s.eigenvalues.min() and s.eigenvalues.max() <= 2.0


def test_features_are_seeded() -> None:
    h, w = features_and_weights(7, 3, 2, seed=0)
    h2, w2 = features_and_weights(7, 3, 2, seed=0)
    assert h.shape == (7, 3) and w.shape == (3, 2)
    assert np.array_equal(h, h2) and np.array_equal(w, w2)
    assert np.abs(w).max() <= np.sqrt(6.0 / 5)  # Glorot-uniform bound
