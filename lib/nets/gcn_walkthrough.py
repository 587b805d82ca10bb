"""One GCN propagation step told node by node, and the spectral view of the same graph (the numbers of the
graph-convolution lecture).

Kipf & Welling 2017, eq. 2: H' = Â H W with Â = D̃^{-1/2} (A + I) D̃^{-1/2}; for one node i,
h'_i = Σ_{j ∈ N(i) ∪ {i}} Â_ij (H W)_j, Â_ij = 1 / √(d̃_i d̃_j). The layer itself is
:func:`lib.nets.graph.gcn_layer`; this module picks one node's terms out of it, and pairs the graph with its
normalised Laplacian's spectrum (:mod:`lib.nets.graph_spectral`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lib.nets.graph import GCNResult, gcn_layer
from lib.nets.graph_examples import GraphName, adjacency, example_edges, features_and_weights
from lib.nets.graph_spectral import Spectrum, spectrum


@dataclass(frozen=True)
class NodeTerms:
    """h'_i as the sum of its terms Â_ij (H W)_j, one per j ∈ N(i) ∪ {i} in ascending j."""

    node: int
    sources: np.ndarray  # (k,)  j ∈ N(i) ∪ {i}
    weights: np.ndarray  # (k,)  Â_ij
    messages: np.ndarray  # (k, F')  (H W)_j
    terms: np.ndarray  # (k, F')  Â_ij (H W)_j
    total: np.ndarray  # (F',)  h'_i = Σ_j Â_ij (H W)_j


@dataclass(frozen=True)
class GCNWalkthrough:
    n: int
    edges: tuple[tuple[int, int], ...]
    adj: np.ndarray  # (N, N)  A
    h: np.ndarray  # (N, F)  H
    w: np.ndarray  # (F, F')  W
    layer: GCNResult  # Â, HW, ÂHW
    node: NodeTerms
    spectrum: Spectrum


def node_terms(layer: GCNResult, i: int) -> NodeTerms:
    """The terms of h'_i: the non-zero entries of row i of Â times the rows of H W they pick."""
    sources = np.flatnonzero(layer.a_hat[i])  # (k,)
    weights = layer.a_hat[i, sources]  # (k,)
    messages = layer.xw[sources]  # (k, F')
    terms = weights[:, None] * messages  # (k, F')
    return NodeTerms(i, sources, weights, messages, terms, terms.sum(axis=0))


def gcn_walkthrough(name: GraphName, f_in: int, f_out: int, seed: int, node: int) -> GCNWalkthrough:
    """The example graph ``name`` with seeded features (N, f_in) and weights (f_in, f_out); node 0-based."""
    n, edges = example_edges(name)
    if not 0 <= node < n:
        raise ValueError(f"node {node} is not in the graph {name!r} (nodes 0 … {n - 1})")
    adj = adjacency(n, edges)
    h, w = features_and_weights(n, f_in, f_out, seed)
    layer = gcn_layer(adj, h, w)
    return GCNWalkthrough(n, edges, adj, h, w, layer, node_terms(layer, node), spectrum(adj))
