"""Graph neural network layers on a dense adjacency matrix: GCN, GAT and GraphSAGE (mean aggregator).

- GCN: Kipf & Welling 2017, "Semi-Supervised Classification with Graph Convolutional Networks", eq. 2.
- GAT: Veličković et al. 2018, "Graph Attention Networks", eq. 1–4 (one head) and eq. 5–6 (K heads).
- GraphSAGE: Hamilton et al. 2017, "Inductive Representation Learning on Large Graphs", Alg. 1 with the
  mean aggregator and concatenation (lines 4, 5 and 7).

Conventions: x (N, F) node features; adj (N, N) with adj[i, j] ≠ 0 when j sends a message to i (j ∈ N(i));
weights are stored for ``x @ W`` (input dimension first). Each layer has a vectorised version and a
``*_ref`` that loops node by node over its neighbours, which is how a scene tells it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lib.core.activations import activate  # σ of every layer: None (identity), "relu", "elu" (GAT's), …


def neighbours(adj: np.ndarray, i: int) -> np.ndarray:
    """N(i): indices j with adj[i, j] ≠ 0."""
    return np.flatnonzero(adj[i])  # (|N(i)|,)


# ---------------------------------------------------------------- GCN


@dataclass(frozen=True)
class GCNResult:
    a_tilde: np.ndarray  # (N, N)  Ã = A + I
    degree: np.ndarray  # (N,)  D̃_ii = Σ_j Ã_ij
    a_hat: np.ndarray  # (N, N)  D̃^{-1/2} Ã D̃^{-1/2}
    xw: np.ndarray  # (N, F')  X W
    aggregated: np.ndarray  # (N, F')  Â X W (+ b)
    out: np.ndarray  # (N, F')  σ(Â X W + b)


def gcn_layer(
    adj: np.ndarray, x: np.ndarray, w: np.ndarray, b: np.ndarray | None = None, activation: str | None = None
) -> GCNResult:
    """GCN layer (Kipf & Welling 2017, eq. 2): H' = σ(D̃^{-1/2} Ã D̃^{-1/2} H W), Ã = A + I_N."""
    a_tilde = adj + np.eye(adj.shape[0])  # (N, N)
    degree = a_tilde.sum(axis=1)  # (N,)
    d_inv_sqrt = degree**-0.5  # (N,)
    a_hat = d_inv_sqrt[:, None] * a_tilde * d_inv_sqrt[None, :]  # (N, N)
    xw = x @ w  # (N, F')
    aggregated = a_hat @ xw  # (N, F')
    if b is not None:
        aggregated = aggregated + b  # (N, F')
    return GCNResult(a_tilde, degree, a_hat, xw, aggregated, activate(aggregated, activation))


def gcn_layer_ref(
    adj: np.ndarray, x: np.ndarray, w: np.ndarray, b: np.ndarray | None = None, activation: str | None = None
) -> np.ndarray:
    """Node by node: h'_i = σ(Σ_{j ∈ N(i) ∪ {i}} Ã_ij / √(d̃_i d̃_j) · W ᵀ h_j + b)."""
    n = adj.shape[0]
    a_tilde = adj + np.eye(n)  # (N, N)
    deg = [sum(a_tilde[i, j] for j in range(n)) for i in range(n)]
    out = np.zeros((n, w.shape[1]))  # (N, F')
    for i in range(n):
        for j in neighbours(a_tilde, i):
            out[i] += a_tilde[i, j] / np.sqrt(deg[i] * deg[j]) * (x[j] @ w)  # (F',)
        if b is not None:
            out[i] += b  # (F',)
    return activate(out, activation)


# ---------------------------------------------------------------- GAT


@dataclass(frozen=True)
class GATParams:
    """K attention heads. a = [a_dst ‖ a_src] splits the paper's a ∈ R^{2F'} into its two halves."""

    W: np.ndarray  # (K, F, F')  shared linear transform per head
    a_dst: np.ndarray  # (K, F')  half of a applied to W h_i (the receiving node)
    a_src: np.ndarray  # (K, F')  half of a applied to W h_j (the neighbour)


def init_gat_params(in_features: int, out_features: int, heads: int = 1, seed: int = 0) -> GATParams:
    """Seeded Glorot-uniform initialisation (as in the GAT reference code)."""
    rng = np.random.default_rng(seed)
    bw = np.sqrt(6.0 / (in_features + out_features))
    ba = np.sqrt(6.0 / (2 * out_features + 1))
    return GATParams(
        rng.uniform(-bw, bw, (heads, in_features, out_features)),
        rng.uniform(-ba, ba, (heads, out_features)),
        rng.uniform(-ba, ba, (heads, out_features)),
    )


@dataclass(frozen=True)
class GATResult:
    wh: np.ndarray  # (K, N, F')  W h_j for every node and head
    mask: np.ndarray  # (N, N)  True where j ∈ N(i) ∪ {i}
    scores: np.ndarray  # (K, N, N)  e_ij = LeakyReLU(aᵀ[W h_i ‖ W h_j]); −∞ outside the neighbourhood
    alpha: np.ndarray  # (K, N, N)  softmax_j(e_ij) over N(i) ∪ {i}; 0 outside
    heads: np.ndarray  # (K, N, F')  Σ_j α_ij W h_j
    out: np.ndarray  # (N, K·F') if concat else (N, F'); after σ


def gat_layer(
    adj: np.ndarray,
    x: np.ndarray,
    params: GATParams,
    concat: bool = True,
    activation: str | None = None,
    negative_slope: float = 0.2,
) -> GATResult:
    """Graph attention layer (Veličković et al. 2018):

    eq. 1  e_ij = a(W h_i, W h_j);   eq. 3  e_ij = LeakyReLU_{0.2}(aᵀ [W h_i ‖ W h_j]);
    eq. 2  α_ij = softmax_j(e_ij) = exp(e_ij) / Σ_{k ∈ N(i) ∪ {i}} exp(e_ik);
    eq. 4  h'_i = σ(Σ_j α_ij W h_j);   eq. 5 / 6  K heads concatenated (hidden) or averaged (final).
    """
    n = adj.shape[0]
    mask = (adj != 0) | np.eye(n, dtype=bool)  # (N, N)
    wh = np.einsum("nf,kfg->kng", x, params.W)  # (K, N, F')
    s_dst = np.einsum("kng,kg->kn", wh, params.a_dst)  # (K, N)  a_dstᵀ W h_i
    s_src = np.einsum("kng,kg->kn", wh, params.a_src)  # (K, N)  a_srcᵀ W h_j
    raw = s_dst[:, :, None] + s_src[:, None, :]  # (K, N, N)
    scores = np.where(mask, np.where(raw > 0, raw, negative_slope * raw), -np.inf)  # (K, N, N)
    shifted = np.exp(scores - scores.max(axis=-1, keepdims=True))  # (K, N, N)  0 where masked
    alpha = shifted / shifted.sum(axis=-1, keepdims=True)  # (K, N, N)
    heads = alpha @ wh  # (K, N, F')
    if concat:
        combined = heads.transpose(1, 0, 2).reshape(n, -1)  # (N, K·F')
    else:
        combined = heads.mean(axis=0)  # (N, F')
    return GATResult(wh, mask, scores, alpha, heads, activate(combined, activation))


def gat_layer_ref(
    adj: np.ndarray,
    x: np.ndarray,
    params: GATParams,
    concat: bool = True,
    activation: str | None = None,
    negative_slope: float = 0.2,
) -> np.ndarray:
    """Node by node, head by head: score each neighbour, softmax, weighted sum (eq. 3, 4, 5/6)."""
    n = adj.shape[0]
    heads = []
    for k in range(params.W.shape[0]):
        a = np.concatenate([params.a_dst[k], params.a_src[k]])  # (2F',)
        h_out = np.zeros((n, params.W.shape[2]))  # (N, F')
        for i in range(n):
            nbrs = sorted(set(neighbours(adj, i)) | {i})
            e = []
            for j in nbrs:
                z = a @ np.concatenate([x[i] @ params.W[k], x[j] @ params.W[k]])
                e.append(z if z > 0 else negative_slope * z)
            e = np.exp(np.array(e) - max(e))  # (|N(i)|+1,)
            for weight, j in zip(e / e.sum(), nbrs, strict=True):
                h_out[i] += weight * (x[j] @ params.W[k])  # (F',)
        heads.append(h_out)
    combined = np.concatenate(heads, axis=1) if concat else np.mean(heads, axis=0)  # (N, K·F') | (N, F')
    return activate(combined, activation)


# ---------------------------------------------------------------- GraphSAGE (mean, concat)


@dataclass(frozen=True)
class SAGEResult:
    neigh_mean: np.ndarray  # (N, F)  h_N(v) = mean_{u ∈ N(v)} h_u (0 for isolated nodes)
    concat: np.ndarray  # (N, 2F)  [h_v ‖ h_N(v)]
    pre: np.ndarray  # (N, F')  CONCAT(…) W (+ b)
    activated: np.ndarray  # (N, F')  σ(pre)
    out: np.ndarray  # (N, F')  activated / ‖activated‖₂ if normalize


def sage_mean_layer(
    adj: np.ndarray,
    x: np.ndarray,
    w: np.ndarray,
    b: np.ndarray | None = None,
    activation: str | None = "relu",
    normalize: bool = True,
) -> SAGEResult:
    """GraphSAGE, one iteration of Alg. 1 (Hamilton et al. 2017) with the mean aggregator:

    line 4  h_N(v) = mean({h_u, ∀u ∈ N(v)});  line 5  h_v = σ(W · CONCAT(h_v, h_N(v)));
    line 7  h_v = h_v / ‖h_v‖₂.  Here W is stored transposed, (2F, F'), so line 5 reads [h_v ‖ h_N(v)] W.
    """
    mask = (adj != 0).astype(np.float64)  # (N, N)
    count = mask.sum(axis=1, keepdims=True)  # (N, 1)
    neigh_mean = (mask @ x) / np.maximum(count, 1.0)  # (N, F)
    concat = np.concatenate([x, neigh_mean], axis=1)  # (N, 2F)
    pre = concat @ w  # (N, F')
    if b is not None:
        pre = pre + b  # (N, F')
    activated = activate(pre, activation)  # (N, F')
    out = activated
    if normalize:
        norm = np.linalg.norm(activated, axis=1, keepdims=True)  # (N, 1)
        out = activated / np.maximum(norm, 1e-12)  # (N, F')
    return SAGEResult(neigh_mean, concat, pre, activated, out)


def sage_mean_layer_ref(
    adj: np.ndarray,
    x: np.ndarray,
    w: np.ndarray,
    b: np.ndarray | None = None,
    activation: str | None = "relu",
    normalize: bool = True,
) -> np.ndarray:
    """Node by node version of ``sage_mean_layer``."""
    rows = []
    for v in range(adj.shape[0]):
        nbrs = neighbours(adj, v)
        h_n = np.mean(x[nbrs], axis=0) if len(nbrs) else np.zeros(x.shape[1])  # (F,)
        h = activate(np.concatenate([x[v], h_n]) @ w + (0.0 if b is None else b), activation)  # (F',)
        norm = np.sqrt(np.sum(h * h))
        rows.append(h / max(norm, 1e-12) if normalize else h)
    return np.stack(rows)  # (N, F')
