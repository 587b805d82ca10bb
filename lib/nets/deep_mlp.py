"""A deep plain MLP measured layer by layer: activation spread forward, weight-gradient norms backward, with
and without batch normalisation. The numbers of the "museum of failures".

References
- Glorot & Bengio 2010, "Understanding the difficulty of training deep feedforward neural networks", §4–5:
  with sigmoid units and W ~ N(0, 1/n) the back-propagated gradient shrinks layer by layer (σ′ ≤ 1/4).
- He et al. 2015, "Delving Deep into Rectifiers", eqs. 10 and 14: for ReLU, Var[W] = 2/n keeps the forward
  and backward variances constant; with 1/n they halve per layer (activations die), with more they grow.
- Ioffe & Szegedy 2015, "Batch Normalization", Alg. 1 (forward: ẑ = (z − μ_B)/√(σ²_B + ε)) and §3 (its
  backward pass): each layer's pre-activations are re-standardised over the batch, whatever the scale of W.

One layer: z_l = h_l W_l (no bias); optionally ẑ_l = BN(z_l) (train mode, γ = 1, β = 0); h_{l+1} = φ(ẑ_l).
The loss is L = (1/B) Σ_b c · h_L[b] for a fixed random read-out c (as lib.nets.depth_gradients). The
backward pass is written out by hand; the tests compare it with torch autograd (and nn.BatchNorm1d).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

Activation = Literal["sigmoid", "relu", "tanh"]
BN_EPS = 1e-5  # torch.nn.BatchNorm1d's default ε
HE_GAIN = 2.0**0.5  # He et al. 2015, eq. 10: Var[W] = 2/n keeps a ReLU stack's variance constant


@dataclass(frozen=True)
class DeepMLPStats:
    act_std: np.ndarray  # (L+1,)  std of h_l over batch and units, l = 0 (input) … L
    weight_grad_norms: np.ndarray  # (L,)  ‖∂L/∂W_l‖_F, l = 0 … L−1 (layer l+1 counted from 1)
    loss: float


def _phi(z: np.ndarray, activation: Activation) -> tuple[np.ndarray, np.ndarray]:
    """φ(z) and φ′(z)."""
    if activation == "sigmoid":
        s = 1.0 / (1.0 + np.exp(-z))
        return s, s * (1.0 - s)
    if activation == "relu":
        return np.maximum(z, 0.0), (z > 0).astype(np.float64)
    t = np.tanh(z)
    return t, 1.0 - t**2


def init_weights(depth: int, width: int, gain: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """W_l ~ N(0, gain²/width), (L, d, d), and the read-out c ~ N(0, 1), (d,)."""
    rng = np.random.default_rng(seed)
    w = rng.normal(0.0, gain / np.sqrt(width), size=(depth, width, width))  # (L, d, d)
    return w, rng.normal(size=width)


def deep_mlp_stats(
    x: np.ndarray, w: np.ndarray, readout: np.ndarray, activation: Activation, batchnorm: bool = False
) -> DeepMLPStats:
    """Forward h_{l+1} = φ(BN?(h_l W_l)), then back by the chain rule; per layer std(h_l) and ‖∂L/∂W_l‖.

    BN backward (γ = 1): ∂L/∂z = (g − mean_B(g) − ẑ · mean_B(g ⊙ ẑ)) / √(σ²_B + ε), g = ∂L/∂ẑ.
    """
    h = np.asarray(x, dtype=np.float64)  # (B, d)
    batch = h.shape[0]
    hs, caches = [h], []
    for wl in w:
        z = hs[-1] @ wl  # (B, d)
        zhat, inv = z, None
        if batchnorm:
            mu = z.mean(axis=0)  # (d,)
            inv = 1.0 / np.sqrt(z.var(axis=0) + BN_EPS)  # (d,)  biased variance, as BN's training mode
            zhat = (z - mu) * inv  # (B, d)
        a, da = _phi(zhat, activation)  # (B, d) each
        caches.append((zhat, inv, da))
        hs.append(a)
    loss = float((hs[-1] @ readout).mean())
    g = np.broadcast_to(readout / batch, h.shape).copy()  # (B, d)  ∂L/∂h_L
    grads = []
    for layer in range(len(w) - 1, -1, -1):
        zhat, inv, da = caches[layer]
        gz = g * da  # (B, d)  ∂L/∂ẑ
        if batchnorm:
            gz = (gz - gz.mean(axis=0) - zhat * (gz * zhat).mean(axis=0)) * inv  # (B, d)  ∂L/∂z
        grads.append(np.linalg.norm(hs[layer].T @ gz))  # ‖∂L/∂W_l‖, ∂L/∂W_l = h_lᵀ ∂L/∂z  (d, d)
        g = gz @ w[layer].T  # (B, d)  ∂L/∂h_l
    return DeepMLPStats(
        act_std=np.array([float(a.std()) for a in hs]),
        weight_grad_norms=np.array(grads[::-1]),
        loss=loss,
    )
