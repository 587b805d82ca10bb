"""layers.graph: what the viewer reads, against dense torch ops written out by hand.

A and Â = D̃^{-1/2}(A + I)D̃^{-1/2} built from the edge list in torch, H W and the worked node's terms by torch
matmul, the Laplacian's eigenvectors by torch.linalg.eigh (sign fixed: largest entry positive), the layers'
parameters as torch modules and their FLOPs by FlopCounterMode (transform) plus a count by hand (edges).
"""

from __future__ import annotations

import pytest
import torch
from torch.utils.flop_counter import FlopCounterMode

from lib.nets.graph_examples import example_edges, features_and_weights
from scenes.kit import numbers
from scenes.layers.graph import GraphConv

SETS = [None, *GraphConv.EXAMPLES]
LOCALES = ["en", "zh"]
GRAPH, NORMALISE, STEP, SPECTRAL, COST = range(5)  # the pauses


def f2(v) -> str:
    return numbers.fixed(float(v), 2)


def vec(v) -> str:
    return "(" + ", ".join(f2(x) for x in v) + ")"


def run(fast_run, raw, locale):
    scene, _ = fast_run("layers.graph", raw, locale)
    assert len(scene.pictures) == COST + 1
    return scene, GraphConv.Params.model_validate(raw or {})


def reference(p):
    """The example graph's matrices by dense torch ops (float64)."""
    n, edges = example_edges(p.graph)
    a = torch.zeros(n, n, dtype=torch.float64)
    for i, j in edges:
        a[i, j] = a[j, i] = 1.0
    a_tilde = a + torch.eye(n, dtype=torch.float64)
    deg = a_tilde.sum(dim=1)
    a_hat = a_tilde / torch.sqrt(deg[:, None] * deg[None, :])
    h, w = (torch.tensor(m) for m in features_and_weights(n, p.features, p.out_features, p.seed))
    hw = h @ w
    d = a.sum(dim=1)
    lap = torch.eye(n, dtype=torch.float64) - a / torch.sqrt(d[:, None] * d[None, :])
    lam, u = torch.linalg.eigh(lap)
    for k in range(n):
        if u[int(torch.argmax(u[:, k].abs())), k] < 0:
            u[:, k] = -u[:, k]
    return {"n": n, "edges": edges, "a": a, "deg": deg, "a_hat": a_hat, "h": h, "w": w, "hw": hw,
            "out": a_hat @ hw, "lam": lam, "u": u}  # fmt: skip


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("raw", SETS)
def test_adjacency_and_normalised_adjacency(fast_run, raw, locale):
    scene, p = run(fast_run, raw, locale)
    ref = reference(p)
    a = scene.pictures[GRAPH].array("adj")
    assert a.tolist() == [[numbers.integer(int(v)) for v in r] for r in ref["a"].tolist()]
    pic = scene.pictures[NORMALISE]
    assert pic.array("a_hat").tolist() == [[f2(v) for v in r] for r in ref["a_hat"].tolist()]
    assert [r[0] for r in pic.array("degree").tolist()] == [numbers.integer(int(v)) for v in ref["deg"]]
    said = next(b.text for b in scene.beats if b.id == "normalise")
    i = p.node - 1
    assert f2(ref["a_hat"][i, i]) in said and numbers.integer(int(ref["deg"][i])) in said


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("raw", SETS)
def test_one_propagation_step(fast_run, raw, locale):
    scene, p = run(fast_run, raw, locale)
    ref, i = reference(p), p.node - 1
    pic = scene.pictures[STEP]
    assert pic.array("h").tolist() == [[f2(v) for v in r] for r in ref["h"].tolist()]
    assert pic.array("w").tolist() == [[f2(v) for v in r] for r in ref["w"].tolist()]
    assert pic.array("hw").tolist() == [[f2(v) for v in r] for r in ref["hw"].tolist()]
    sources = [i] + [j for e in ref["edges"] for j in e if i in e and j != i]
    sources.sort()
    assert list(pic.array("term_weight")) == [f2(ref["a_hat"][i, j]) for j in sources]
    assert list(pic.array("term_msg")) == [vec(ref["hw"][j]) for j in sources]
    assert list(pic.array("term")) == [vec(ref["a_hat"][i, j] * ref["hw"][j]) for j in sources]
    assert pic.text("h_new") == vec(ref["out"][i])
    said = next(b.text for b in scene.beats if b.id == "aggregate")
    assert vec(ref["out"][i]) in said


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("raw", SETS)
def test_spectrum_is_torch_eigh(fast_run, raw, locale):
    scene, p = run(fast_run, raw, locale)
    ref = reference(p)
    pic = scene.pictures[SPECTRAL]
    assert list(pic.array("eigenvalues")[0]) == [f2(v) for v in ref["lam"]]
    for k in range(3):
        assert list(pic.array(f"u{k}")) == [f2(v) for v in ref["u"][:, k]]
        assert pic.contains_text(f"= {f2(ref['lam'][k])}")


def hand_costs(p) -> dict[str, tuple[int, int, int]]:
    """(params, FLOPs) per layer: torch modules' parameter counts; the transform counted by FlopCounterMode on
    meta tensors, the work along the edges by hand (M = 2E messages, M + N entries with self-loops)."""
    n, e, f, fo, k = p.cost_nodes, p.cost_edges, p.cost_in, p.cost_out, p.heads
    x = torch.empty(n, f, device="meta")
    with FlopCounterMode(display=False) as fc:
        x @ torch.empty(f, fo, device="meta")
    with FlopCounterMode(display=False) as fc2:
        torch.cat([x, x], dim=1) @ torch.empty(2 * f, fo, device="meta")
    xw, xw2 = fc.get_total_flops(), fc2.get_total_flops()
    m, entries = 2 * e, 2 * e + n
    gcn_p = sum(t.numel() for t in torch.nn.Linear(f, fo, bias=False, device="meta").parameters())
    gat_p = gcn_p + 2 * k * (fo // k)  # a = [a_dst ‖ a_src] per head
    sage_p = sum(t.numel() for t in torch.nn.Linear(2 * f, fo, bias=False, device="meta").parameters())
    gcn_edges = entries * fo * 2  # one multiply and one add per entry of Â and feature
    # attention halves (two dot products of F'/K per node and head), 7 ops per entry and head, weighted sum
    gat_edges = 2 * n * k * 2 * (fo // k) + entries * k * 7 + entries * fo * 2
    sage_edges = m * f + n * f + n * fo * 4  # neighbour sums, the mean's divide, ReLU + ℓ₂ (3 per element)
    return {
        "GCN": (gcn_p, xw + gcn_edges, gcn_edges),
        "GAT": (gat_p, xw + gat_edges, gat_edges),
        "GraphSAGE": (sage_p, xw2 + sage_edges, sage_edges),
    }


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("raw", SETS)
def test_cost_table(fast_run, raw, locale):
    scene, p = run(fast_run, raw, locale)
    pic = scene.pictures[COST]
    ref = list(hand_costs(p).values())
    assert list(pic.array("cost_params")) == [numbers.integer(r[0]) for r in ref]
    assert list(pic.array("cost_flops")) == [numbers.flops(r[1]) for r in ref]
    assert list(pic.array("cost_edge_flops")) == [numbers.flops(r[2]) for r in ref]
    said = next(b.text for b in scene.beats if b.id == "cost")
    assert numbers.integer(ref[0][0]) in said and numbers.flops(ref[1][2]) in said


def test_default_is_cora_sized():
    p = GraphConv.Params()
    assert (p.cost_nodes, p.cost_edges, p.cost_in) == (2708, 5278, 1433)
    assert hand_costs(p)["GCN"][0] == 1433 * 64
