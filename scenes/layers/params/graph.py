"""Graph convolution

A small graph, its adjacency A and Â = D̃^{-1/2}(A + I)D̃^{-1/2}, one GCN step H' = ÂHW worked out for one node
(Kipf & Welling 2017, eq. 2); the normalised Laplacian's smoothest eigenvectors coloured on the nodes; and the
parameters and FLOPs of GCN, GAT and GraphSAGE layers on a graph of a chosen size.
"""

from __future__ import annotations

from pydantic import Field, model_validator

from lib.nets.graph_examples import GraphName, example_edges
from scenes.engine.registry import SceneParams


class Params(SceneParams):
    graph: GraphName = Field("communities", description="the example graph drawn (lib.nets.graph_examples)")
    features: int = Field(3, ge=2, le=4, description="input features F per node")
    out_features: int = Field(2, ge=1, le=2, description="output features F' of the worked GCN step")
    seed: int = Field(0, ge=0, le=1_000_000, description="seed of the node features H and the weights W")
    node: int = Field(
        5, ge=1, le=8, description="the node (numbered from 1, as drawn) whose h' is worked out"
    )
    cost_nodes: int = Field(2708, ge=10, le=1_000_000_000, description="nodes N of the costed graph (Cora)")
    cost_edges: int = Field(5278, ge=10, le=10_000_000_000, description="undirected edges E of that graph")
    cost_in: int = Field(1433, ge=1, le=100_000, description="input features F of the costed layers")
    cost_out: int = Field(64, ge=1, le=100_000, description="output features F' of the costed layers")
    heads: int = Field(8, ge=1, le=64, description="GAT heads (F'/heads features each, concatenated)")

    @model_validator(mode="after")
    def _check(self) -> Params:
        n, _ = example_edges(self.graph)
        if self.node > n:
            raise ValueError(f"node {self.node}: the graph {self.graph!r} has nodes 1 … {n}")
        if self.cost_out % self.heads:
            raise ValueError(f"cost_out = {self.cost_out} must be divisible by heads = {self.heads}")
        return self
