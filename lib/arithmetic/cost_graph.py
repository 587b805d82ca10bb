"""Parameters and FLOPs of one graph layer, F → F' features on a graph of N nodes and E undirected edges.

Counting convention (as lib.arithmetic.cost_layers): a multiply-add is 2 FLOPs, an elementwise op 1, exp 1;
the sparse aggregation touches each stored entry once (message passing, not a dense N×N product). Weights
only, as the papers write the layers (no bias). M = 2E directed messages.

- GCN (Kipf & Welling 2017, eq. 2): H' = Â H W. Params F·F'. FLOPs: H W 2·N·F·F'; Â(HW) over the
  M + N entries of Â (self-loops included) 2·(M + N)·F'.
- GAT (Veličković et al. 2018, eqs. 1–5), K heads of F'/K features concatenated. Params K·(F·F'/K + 2·F'/K)
  = F·F' + 2·F'. FLOPs: W h 2·N·F·F'; aᵀ halves per node 2·2·N·F' (a_dst·Wh_i and a_src·Wh_j, each a length
  F'/K dot product per head); per entry of N(i) ∪ {i} and head: add the two halves, LeakyReLU, then softmax
  5 (max, sub, exp, sum, div) = 7·K·(M + N); weighted sum 2·(M + N)·F'.
- GraphSAGE-mean (Hamilton et al. 2017, Alg. 1 lines 4–7): h' = σ([h ‖ mean_{N(v)} h] W) / ‖·‖₂.
  Params 2F·F'. FLOPs: the mean M·F adds + N·F divides; [h ‖ h_N] W 2·N·2F·F'; ReLU N·F'; ℓ₂ normalisation
  3·N·F' (square, sum, divide; the N square roots ignored, as row statistics are in cost_layers).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class GraphLayerCost:
    name: str
    params: int
    flops: int
    transform_flops: int  # the dense feature transform (H W)
    aggregate_flops: int  # everything that follows the graph's edges (and the normalisations)


def gcn_cost(nodes: int, edges: int, f_in: int, f_out: int) -> GraphLayerCost:
    """GCN, eq. 2 of Kipf & Welling 2017."""
    transform = 2 * nodes * f_in * f_out
    aggregate = 2 * (2 * edges + nodes) * f_out
    return GraphLayerCost("GCN", f_in * f_out, transform + aggregate, transform, aggregate)


def gat_cost(nodes: int, edges: int, f_in: int, f_out: int, heads: int) -> GraphLayerCost:
    """GAT with ``heads`` heads of f_out/heads features each, concatenated (eq. 5)."""
    if f_out % heads:
        raise ValueError(f"f_out = {f_out} is not divisible by heads = {heads}")
    entries = 2 * edges + nodes  # |N(i) ∪ {i}| summed over i
    transform = 2 * nodes * f_in * f_out
    aggregate = 2 * 2 * nodes * f_out + 7 * heads * entries + 2 * entries * f_out
    return GraphLayerCost("GAT", f_in * f_out + 2 * f_out, transform + aggregate, transform, aggregate)


def sage_cost(nodes: int, edges: int, f_in: int, f_out: int) -> GraphLayerCost:
    """GraphSAGE with the mean aggregator, concatenation, ReLU and ℓ₂ normalisation."""
    transform = 2 * nodes * 2 * f_in * f_out
    aggregate = 2 * edges * f_in + nodes * f_in + nodes * f_out + 3 * nodes * f_out
    return GraphLayerCost("GraphSAGE", 2 * f_in * f_out, transform + aggregate, transform, aggregate)
