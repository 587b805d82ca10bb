"""Small example graphs for the graph-convolution lecture: undirected, connected, with distinct Laplacian
eigenvalues (so every eigenvector is defined up to its sign), and seeded node features and weights.

- ``communities``: two triangles-and-a-bit joined through one node (7 nodes): the Fiedler vector splits them.
- ``ring``: an 8-cycle with two chords.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

GraphName = Literal["communities", "ring"]

EDGES: dict[str, tuple[int, tuple[tuple[int, int], ...]]] = {
    "communities": (7, ((0, 1), (0, 2), (1, 2), (1, 3), (2, 3), (3, 4), (4, 5), (4, 6), (5, 6))),
    "ring": (8, ((0, 1), (1, 2), (2, 3), (3, 4), (4, 5), (5, 6), (6, 7), (7, 0), (0, 4), (1, 6))),
}


def example_edges(name: GraphName) -> tuple[int, tuple[tuple[int, int], ...]]:
    """(number of nodes, undirected edges (i, j) with i < j)."""
    return EDGES[name]


def adjacency(n: int, edges: tuple[tuple[int, int], ...]) -> np.ndarray:
    """The symmetric 0/1 adjacency matrix A, (N, N), no self-loops."""
    a = np.zeros((n, n))  # (N, N)
    for i, j in edges:
        a[i, j] = a[j, i] = 1.0
    return a


def features_and_weights(n: int, f_in: int, f_out: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Node features H ~ N(0, 1), (N, F), and a Glorot-uniform weight matrix W, (F, F'), seeded."""
    rng = np.random.default_rng(seed)
    h = rng.normal(size=(n, f_in))  # (N, F)
    bound = np.sqrt(6.0 / (f_in + f_out))
    w = rng.uniform(-bound, bound, size=(f_in, f_out))  # (F, F')
    return h, w
