"""Tests for lib/arithmetic/cost_graph.py: parameter counts against torch modules built as the papers write
the layers, FLOPs against an op-by-op count of a node-by-node implementation (checked against torch)
and torch's FlopCounterMode for the dense transform."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch.utils.flop_counter import FlopCounterMode

from lib.arithmetic.cost_graph import gat_cost, gcn_cost, sage_cost

N, E, F, F_OUT, K = 6, 7, 5, 4, 2
EDGES = [(0, 1), (0, 2), (1, 2), (2, 3), (3, 4), (4, 5), (3, 5)]


def n_params(*tensors: torch.Tensor) -> int:
    return sum(t.numel() for t in tensors)


def test_params_are_torch_parameter_counts() -> None:
    gcn = torch.nn.Linear(F, F_OUT, bias=False)
    gat_w = torch.nn.Linear(F, F_OUT, bias=False)  # K heads of F'/K, stacked
    a_src, a_dst = (
        torch.nn.Parameter(torch.zeros(K, F_OUT // K)),
        torch.nn.Parameter(torch.zeros(K, F_OUT // K)),
    )
    sage = torch.nn.Linear(2 * F, F_OUT, bias=False)
    assert gcn_cost(N, E, F, F_OUT).params == n_params(*gcn.parameters())
    assert gat_cost(N, E, F, F_OUT, K).params == n_params(*gat_w.parameters(), a_src, a_dst)
    assert sage_cost(N, E, F, F_OUT).params == n_params(*sage.parameters())


def test_transform_flops_are_flop_counter() -> None:
    x, w, w2 = torch.randn(N, F), torch.randn(F, F_OUT), torch.randn(2 * F, F_OUT)
    with FlopCounterMode(display=False) as fc:
        x @ w
    assert gcn_cost(N, E, F, F_OUT).transform_flops == fc.get_total_flops()
    assert gat_cost(N, E, F, F_OUT, K).transform_flops == fc.get_total_flops()
    with FlopCounterMode(display=False) as fc2:
        torch.cat([x, x], dim=1) @ w2
    assert sage_cost(N, E, F, F_OUT).transform_flops == fc2.get_total_flops()


def counted_gcn_aggregate(xw: np.ndarray) -> tuple[np.ndarray, int]:
    """Â (XW) node by node over N(i) ∪ {i}, counting one op per multiply and per add into the sum."""
    nbrs = {i: {i} for i in range(N)}
    for i, j in EDGES:
        nbrs[i].add(j)
        nbrs[j].add(i)
    deg = {i: len(nbrs[i]) for i in range(N)}
    out, ops = np.zeros_like(xw), 0
    for i in range(N):
        for j in nbrs[i]:
            for f in range(xw.shape[1]):
                out[i, f] += xw[j, f] / np.sqrt(deg[i] * deg[j])
                ops += 2
    return out, ops


def test_gcn_aggregate_flops_by_counting() -> None:
    rng = np.random.default_rng(0)
    xw = rng.normal(size=(N, F_OUT))
    out, ops = counted_gcn_aggregate(xw)
    a = torch.zeros(N, N, dtype=torch.float64)
    for i, j in EDGES:
        a[i, j] = a[j, i] = 1.0
    a = a + torch.eye(N, dtype=torch.float64)
    d = a.sum(1)
    np.testing.assert_allclose(
        out, (a / torch.sqrt(d[:, None] * d[None, :]) @ torch.tensor(xw)).numpy(), atol=1e-12
    )
    assert gcn_cost(N, E, F, F_OUT).aggregate_flops == ops


def test_sage_and_gat_aggregate_by_hand() -> None:
    # SAGE: 2E neighbour rows of F summed (2E·F adds) and N·F divides; ReLU, square, sum, divide per output
    assert sage_cost(N, E, F, F_OUT).aggregate_flops == 2 * 7 * 5 + 6 * 5 + 4 * 6 * 4
    # GAT: a-halves 2·2·N·F'; per entry (2E + N = 20) and head: add, LeakyReLU, softmax 5; sum 2·20·F'
    assert gat_cost(N, E, F, F_OUT, K).aggregate_flops == 4 * 6 * 4 + 7 * 2 * 20 + 2 * 20 * 4
    with pytest.raises(ValueError):
        gat_cost(N, E, F, 5, 2)
