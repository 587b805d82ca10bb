"""lib/nets/graph.py vs independent edge-list (scatter) torch implementations, node loops, and a 3-node graph.

PyTorch Geometric is not installed, so each reference below is written from the papers with
``index_add_`` / ``scatter_reduce`` over an edge list, unlike the dense matrices in lib/nets/graph.py.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from lib.nets.graph import (
    GATParams,
    gat_layer,
    gat_layer_ref,
    gcn_layer,
    gcn_layer_ref,
    init_gat_params,
    sage_mean_layer,
    sage_mean_layer_ref,
)

ATOL = 1e-12
PATH = np.array([[0.0, 1, 0], [1, 0, 1], [0, 1, 0]])  # 0 — 1 — 2


def _graph(n, p, seed, symmetric=True):
    rng = np.random.default_rng(seed)
    adj = (rng.random((n, n)) < p).astype(np.float64)
    np.fill_diagonal(adj, 0.0)
    if symmetric:
        adj = np.maximum(adj, adj.T)
    return adj


def _edges(adj):
    dst, src = np.nonzero(adj)  # adj[i, j] ≠ 0: message j → i
    return torch.from_numpy(src), torch.from_numpy(dst)


# ---------------------------------------------------------------- torch edge-list references


def torch_gcn(adj, x, w, b):
    n = adj.shape[0]
    src, dst = _edges(adj + np.eye(n))
    weight = torch.from_numpy((adj + np.eye(n))[dst.numpy(), src.numpy()])
    deg = torch.zeros(n, dtype=torch.float64).index_add_(0, dst, weight)
    xw = torch.from_numpy(x) @ torch.from_numpy(w)
    msg = (weight / torch.sqrt(deg[dst] * deg[src]))[:, None] * xw[src]
    return torch.zeros_like(xw).index_add_(0, dst, msg) + torch.from_numpy(b)


def torch_gat(adj, x, p: GATParams, concat):
    n = adj.shape[0]
    src, dst = _edges(np.maximum(adj != 0, np.eye(n)))
    outs = []
    for k in range(p.W.shape[0]):
        wh = torch.from_numpy(x) @ torch.from_numpy(p.W[k])
        e = F.leaky_relu(wh[dst] @ torch.from_numpy(p.a_dst[k]) + wh[src] @ torch.from_numpy(p.a_src[k]), 0.2)
        e_max = torch.full((n,), -math.inf, dtype=torch.float64).scatter_reduce(0, dst, e, "amax")
        ex = torch.exp(e - e_max[dst])
        denom = torch.zeros(n, dtype=torch.float64).index_add_(0, dst, ex)
        alpha = ex / denom[dst]
        outs.append(torch.zeros_like(wh).index_add_(0, dst, alpha[:, None] * wh[src]))
    return torch.cat(outs, dim=1) if concat else torch.stack(outs).mean(0)


def torch_sage(adj, x, w):
    n = adj.shape[0]
    src, dst = _edges(adj)
    xt = torch.from_numpy(x)
    total = torch.zeros_like(xt).index_add_(0, dst, xt[src])
    count = torch.zeros(n, dtype=torch.float64).index_add_(0, dst, torch.ones(len(src), dtype=torch.float64))
    mean = total / count.clamp(min=1)[:, None]
    # PyG-style split of W into a self part and a neighbour part instead of concatenating
    f = x.shape[1]
    wt = torch.from_numpy(w)
    h = torch.relu(xt @ wt[:f] + mean @ wt[f:])
    return F.normalize(h, p=2, dim=1)


# ---------------------------------------------------------------- GCN


@settings(max_examples=15, deadline=None, database=None)
@given(n=st.integers(1, 12), p=st.floats(0.0, 1.0), seed=st.integers(0, 2**16))
def test_gcn_matches_edge_list_torch_and_loop(n, p, seed):
    adj = _graph(n, p, seed)
    rng = np.random.default_rng(seed + 1)
    x, w, b = rng.standard_normal((n, 4)), rng.standard_normal((4, 3)), rng.standard_normal(3)
    res = gcn_layer(adj, x, w, b)
    np.testing.assert_allclose(res.out, torch_gcn(adj, x, w, b).numpy(), atol=ATOL, rtol=0)
    np.testing.assert_allclose(
        gcn_layer(adj, x, w, b, "relu").out, gcn_layer_ref(adj, x, w, b, "relu"), atol=ATOL
    )
    # Â is symmetric with spectrum in (−1, 1] (Kipf & Welling §2.1, the renormalisation trick)
    np.testing.assert_allclose(res.a_hat, res.a_hat.T, atol=1e-15)
    eig = np.linalg.eigvalsh(res.a_hat)
    assert eig.max() == pytest.approx(1.0, abs=1e-12) and eig.min() > -1.0


def test_gcn_weighted_directed_matches_torch():
    rng = np.random.default_rng(0)
    adj = _graph(8, 0.4, 1, symmetric=False) * rng.uniform(0.5, 2.0, (8, 8))
    x, w, b = rng.standard_normal((8, 5)), rng.standard_normal((5, 2)), np.zeros(2)
    np.testing.assert_allclose(gcn_layer(adj, x, w).out, torch_gcn(adj, x, w, b).numpy(), atol=ATOL, rtol=0)


def test_gcn_hand_worked_path():
    # degrees of Ã = [2, 3, 2]; Â = [[1/2, 1/√6, 0], [1/√6, 1/3, 1/√6], [0, 1/√6, 1/2]]; X = [1, 2, 3]ᵀ, W = 1
    res = gcn_layer(PATH, np.array([[1.0], [2.0], [3.0]]), np.array([[1.0]]))
    np.testing.assert_array_equal(res.degree, [2, 3, 2])
    r6 = math.sqrt(6)
    np.testing.assert_allclose(
        res.a_hat, [[1 / 2, 1 / r6, 0], [1 / r6, 1 / 3, 1 / r6], [0, 1 / r6, 1 / 2]], atol=1e-15
    )
    np.testing.assert_allclose(res.out[:, 0], [1 / 2 + 2 / r6, 4 / r6 + 2 / 3, 2 / r6 + 3 / 2], atol=1e-15)


# ---------------------------------------------------------------- GAT


@settings(max_examples=15, deadline=None, database=None)
@given(
    n=st.integers(1, 10),
    p=st.floats(0.0, 1.0),
    heads=st.integers(1, 3),
    concat=st.booleans(),
    symmetric=st.booleans(),
    seed=st.integers(0, 2**16),
)
def test_gat_matches_edge_list_torch_and_loop(n, p, heads, concat, symmetric, seed):
    adj = _graph(n, p, seed, symmetric)
    x = np.random.default_rng(seed + 1).standard_normal((n, 4))
    params = init_gat_params(4, 3, heads, seed=seed + 2)
    res = gat_layer(adj, x, params, concat=concat)
    np.testing.assert_allclose(res.out, torch_gat(adj, x, params, concat).numpy(), atol=ATOL, rtol=0)
    np.testing.assert_allclose(res.out, gat_layer_ref(adj, x, params, concat), atol=ATOL, rtol=0)
    # α is a distribution over N(i) ∪ {i} and zero elsewhere
    np.testing.assert_allclose(res.alpha.sum(-1), 1.0, atol=1e-14)
    assert np.all(res.alpha[:, ~res.mask] == 0.0) and np.all(res.alpha[:, res.mask] > 0.0)
    assert res.out.shape == (n, 3 * heads if concat else 3)


def test_gat_elu_output():
    adj, x = _graph(6, 0.5, 3), np.random.default_rng(4).standard_normal((6, 4))
    params = init_gat_params(4, 3, 2, seed=5)
    expected = F.elu(torch_gat(adj, x, params, True)).numpy()
    np.testing.assert_allclose(gat_layer(adj, x, params, activation="elu").out, expected, atol=ATOL, rtol=0)


def test_gat_hand_worked_path():
    # W = 1, a_dst = 0, a_src = 1 ⇒ e_ij = LeakyReLU(h_j). x = [1, 2, −1].
    # node 0 attends to {0, 1}: scores (1, 2) ⇒ α = (1, e)/(1 + e), h'_0 = (1 + 2e)/(1 + e)
    # node 2 attends to {1, 2}: scores (2, −0.2) ⇒ h'_2 = (2e² − e^{−0.2})/(e² + e^{−0.2})
    params = GATParams(np.ones((1, 1, 1)), np.zeros((1, 1)), np.ones((1, 1)))
    res = gat_layer(PATH, np.array([[1.0], [2.0], [-1.0]]), params)
    e = math.e
    np.testing.assert_allclose(res.alpha[0, 0], [1 / (1 + e), e / (1 + e), 0.0], atol=1e-15)
    assert res.scores[0, 2, 2] == pytest.approx(-0.2, abs=1e-15)
    assert res.scores[0, 0, 2] == -math.inf
    assert res.out[0, 0] == pytest.approx((1 + 2 * e) / (1 + e), abs=1e-14)
    s = math.exp(-0.2)
    assert res.out[2, 0] == pytest.approx((2 * e**2 - s) / (e**2 + s), abs=1e-14)


# ---------------------------------------------------------------- GraphSAGE


@settings(max_examples=15, deadline=None, database=None)
@given(n=st.integers(1, 12), p=st.floats(0.0, 1.0), symmetric=st.booleans(), seed=st.integers(0, 2**16))
def test_sage_matches_edge_list_torch_and_loop(n, p, symmetric, seed):
    adj = _graph(n, p, seed, symmetric)
    rng = np.random.default_rng(seed + 1)
    x, w = rng.standard_normal((n, 3)), rng.standard_normal((6, 4))
    res = sage_mean_layer(adj, x, w)
    np.testing.assert_allclose(res.out, torch_sage(adj, x, w).numpy(), atol=ATOL, rtol=0)
    np.testing.assert_allclose(res.out, sage_mean_layer_ref(adj, x, w), atol=ATOL, rtol=0)
    norms = np.linalg.norm(res.out, axis=1)
    assert np.all((np.abs(norms - 1) < 1e-12) | (norms == 0))  # Alg. 1 line 7


def test_sage_hand_worked_path():
    # W = [I; I] ⇒ h_v = relu(x_v + mean of neighbours), then ℓ2-normalised.
    x = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    res = sage_mean_layer(PATH, x, np.vstack([np.eye(2), np.eye(2)]))
    np.testing.assert_array_equal(res.neigh_mean, [[0, 1], [1, 0.5], [0, 1]])
    np.testing.assert_array_equal(res.activated, [[1, 1], [1, 1.5], [1, 2]])
    np.testing.assert_allclose(
        res.out,
        [
            [1 / math.sqrt(2)] * 2,
            [1 / math.sqrt(3.25), 1.5 / math.sqrt(3.25)],
            [1 / math.sqrt(5), 2 / math.sqrt(5)],
        ],
        atol=1e-15,
    )


# ---------------------------------------------------------------- invariants shared by all three


@settings(max_examples=10, deadline=None, database=None)
@given(n=st.integers(2, 9), seed=st.integers(0, 2**16))
def test_permutation_equivariance(n, seed):
    adj = _graph(n, 0.4, seed)
    rng = np.random.default_rng(seed + 1)
    x, w = rng.standard_normal((n, 3)), rng.standard_normal((3, 2))
    perm = rng.permutation(n)
    adj_p, x_p = adj[perm][:, perm], x[perm]
    params = init_gat_params(3, 2, 2, seed=seed)
    w2 = rng.standard_normal((6, 2))
    pairs = [
        (gcn_layer(adj, x, w).out, gcn_layer(adj_p, x_p, w).out),
        (gat_layer(adj, x, params).out, gat_layer(adj_p, x_p, params).out),
        (sage_mean_layer(adj, x, w2).out, sage_mean_layer(adj_p, x_p, w2).out),
    ]
    for out, out_p in pairs:
        np.testing.assert_allclose(out[perm], out_p, atol=1e-12, rtol=0)


def test_unknown_activation():
    with pytest.raises(ValueError):
        gcn_layer(PATH, np.ones((3, 1)), np.ones((1, 1)), activation="swish")
