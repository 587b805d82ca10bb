"""Tests for lib/nets/gcn_walkthrough.py: one node's terms against a dense torch GCN step built by hand."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from lib.nets.gcn_walkthrough import gcn_walkthrough

TOL = 1e-12


@pytest.mark.parametrize(("name", "node"), [("communities", 3), ("ring", 0), ("ring", 5)])
def test_node_terms_sum_to_torch_row(name: str, node: int) -> None:
    g = gcn_walkthrough(name, 3, 2, seed=4, node=node)
    a = torch.tensor(g.adj) + torch.eye(g.n, dtype=torch.float64)
    d = a.sum(dim=1)
    a_hat = a / torch.sqrt(d[:, None] * d[None, :])
    hw = torch.tensor(g.h) @ torch.tensor(g.w)
    out = a_hat @ hw
    np.testing.assert_allclose(g.layer.a_hat, a_hat.numpy(), atol=TOL)
    np.testing.assert_allclose(g.node.total, out[node].numpy(), atol=TOL)
    expected_sources = sorted({node} | {j for e in g.edges for j in e if node in e})
    assert list(g.node.sources) == expected_sources
    for k, j in enumerate(expected_sources):
        assert g.node.weights[k] == pytest.approx(1.0 / float(torch.sqrt(d[node] * d[j])), abs=TOL)
        np.testing.assert_allclose(g.node.terms[k], (a_hat[node, j] * hw[j]).numpy(), atol=TOL)


def test_node_outside_the_graph_is_an_error() -> None:
    with pytest.raises(ValueError, match="not in the graph"):
        gcn_walkthrough("communities", 3, 2, seed=0, node=7)
