"""Normalisation layers: LayerNorm, RMSNorm, BatchNorm and GroupNorm, forward (and backward where asked).

References
- Ba, Kiros & Hinton 2016, "Layer Normalization", eqs. 3–4 (statistics over the features of one example).
- Zhang & Sennrich 2019, "Root Mean Square Layer Normalization", eq. 4 (no centring, no bias).
- Ioffe & Szegedy 2015, "Batch Normalization", Algorithm 1 (train) and Algorithm 2 (inference).
- Wu & He 2018, "Group Normalization", eqs. 1–3 and Fig. 2 (statistics over groups of channels).

Every function returns a frozen dataclass holding the statistics, the normalised values x̂ and the output
y, so a scene can show each stage. Conventions follow ``torch.nn``: LayerNorm and RMSNorm normalise the
last axis; BatchNorm and GroupNorm take (N, C, *spatial) with channels on axis 1; variances used for
normalising are biased (divide by n); BatchNorm's running variance uses the unbiased estimate n/(n−1).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class LayerNormResult:
    """Intermediates of y = γ ⊙ (x − μ)/√(σ² + ε) + β over the last axis."""

    mean: np.ndarray  # (..., 1)  μ
    var: np.ndarray  # (..., 1)  σ² (biased)
    std: np.ndarray  # (..., 1)  √(σ² + ε)
    x_hat: np.ndarray  # (..., D)  normalised input
    y: np.ndarray  # (..., D)  output


@dataclass(frozen=True)
class RMSNormResult:
    """Intermediates of y = γ ⊙ x / RMS(x), RMS(x) = √(mean(x²) + ε), over the last axis."""

    mean_square: np.ndarray  # (..., 1)  mean(x²)
    rms: np.ndarray  # (..., 1)  √(mean(x²) + ε)
    x_hat: np.ndarray  # (..., D)  x / rms
    y: np.ndarray  # (..., D)  output


@dataclass(frozen=True)
class NormGrads:
    """Gradients of a scalar loss through LayerNorm / RMSNorm (dbeta is None for RMSNorm)."""

    dx: np.ndarray  # (..., D)
    dgamma: np.ndarray  # (D,)
    dbeta: np.ndarray | None  # (D,) or None


@dataclass(frozen=True)
class BatchNormResult:
    """Intermediates of BatchNorm; ``mean``/``var`` are the statistics actually used to normalise."""

    mean: np.ndarray  # (C,)  batch mean (train) or running mean (eval)
    var: np.ndarray  # (C,)  biased batch variance (train) or running variance (eval)
    x_hat: np.ndarray  # (N, C, *S)
    y: np.ndarray  # (N, C, *S)
    running_mean: np.ndarray  # (C,)  after this step's update (unchanged in eval)
    running_var: np.ndarray  # (C,)  after this step's update (unchanged in eval)
    num_batches_tracked: int  # training steps seen so far, including this one


@dataclass(frozen=True)
class GroupNormResult:
    """Intermediates of GroupNorm: one (μ, σ²) per example and group of C/G channels."""

    mean: np.ndarray  # (N, G)
    var: np.ndarray  # (N, G)  biased
    x_hat: np.ndarray  # (N, C, *S)
    y: np.ndarray  # (N, C, *S)


def layer_norm(
    x: np.ndarray, gamma: np.ndarray | None = None, beta: np.ndarray | None = None, eps: float = 1e-5
) -> LayerNormResult:
    """LayerNorm over the last axis (Ba et al. 2016, eqs. 3–4, with the gain γ and bias β of §3.1).

    μ = (1/D) Σ_i x_i,  σ² = (1/D) Σ_i (x_i − μ)²,  x̂ = (x − μ)/√(σ² + ε),  y = γ ⊙ x̂ + β.
    """
    x = np.asarray(x, dtype=np.float64)  # (..., D)
    d = x.shape[-1]
    gamma = np.ones(d) if gamma is None else np.asarray(gamma, dtype=np.float64)  # (D,)
    beta = np.zeros(d) if beta is None else np.asarray(beta, dtype=np.float64)  # (D,)
    mean = x.mean(axis=-1, keepdims=True)  # (..., 1)
    var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)  # (..., 1)
    std = np.sqrt(var + eps)  # (..., 1)
    x_hat = (x - mean) / std  # (..., D)
    y = gamma * x_hat + beta  # (..., D)
    return LayerNormResult(mean=mean, var=var, std=std, x_hat=x_hat, y=y)


def layer_norm_backward(dy: np.ndarray, res: LayerNormResult, gamma: np.ndarray | None = None) -> NormGrads:
    """Analytic backward pass of :func:`layer_norm` (chain rule through μ and σ of Ba et al. 2016, eq. 3).

    With g = dy ⊙ γ:  ∂L/∂x = (1/σ) (g − mean(g) − x̂ ⊙ mean(g ⊙ x̂)),
    ∂L/∂γ = Σ dy ⊙ x̂,  ∂L/∂β = Σ dy  (sums over every axis but the last).
    """
    dy = np.asarray(dy, dtype=np.float64)  # (..., D)
    d = dy.shape[-1]
    gamma = np.ones(d) if gamma is None else np.asarray(gamma, dtype=np.float64)  # (D,)
    g = dy * gamma  # (..., D)
    g_mean = g.mean(axis=-1, keepdims=True)  # (..., 1)
    gx_mean = (g * res.x_hat).mean(axis=-1, keepdims=True)  # (..., 1)
    dx = (g - g_mean - res.x_hat * gx_mean) / res.std  # (..., D)
    dgamma = (dy * res.x_hat).reshape(-1, d).sum(axis=0)  # (D,)
    dbeta = dy.reshape(-1, d).sum(axis=0)  # (D,)
    return NormGrads(dx=dx, dgamma=dgamma, dbeta=dbeta)


def rms_norm(x: np.ndarray, gamma: np.ndarray | None = None, eps: float = 1e-6) -> RMSNormResult:
    """RMSNorm over the last axis (Zhang & Sennrich 2019, eq. 4).

    RMS(x) = √((1/D) Σ_i x_i² + ε),  x̂ = x / RMS(x),  y = γ ⊙ x̂.  (ε inside the root, as in torch.nn.RMSNorm.)
    """
    x = np.asarray(x, dtype=np.float64)  # (..., D)
    gamma = np.ones(x.shape[-1]) if gamma is None else np.asarray(gamma, dtype=np.float64)  # (D,)
    mean_square = (x**2).mean(axis=-1, keepdims=True)  # (..., 1)
    rms = np.sqrt(mean_square + eps)  # (..., 1)
    x_hat = x / rms  # (..., D)
    y = gamma * x_hat  # (..., D)
    return RMSNormResult(mean_square=mean_square, rms=rms, x_hat=x_hat, y=y)


def rms_norm_backward(dy: np.ndarray, res: RMSNormResult, gamma: np.ndarray | None = None) -> NormGrads:
    """Analytic backward pass of :func:`rms_norm` (chain rule through RMS(x) of Zhang & Sennrich 2019, eq. 4).

    With g = dy ⊙ γ:  ∂L/∂x = (1/RMS) (g − x̂ ⊙ mean(g ⊙ x̂)),  ∂L/∂γ = Σ dy ⊙ x̂.
    """
    dy = np.asarray(dy, dtype=np.float64)  # (..., D)
    d = dy.shape[-1]
    gamma = np.ones(d) if gamma is None else np.asarray(gamma, dtype=np.float64)  # (D,)
    g = dy * gamma  # (..., D)
    gx_mean = (g * res.x_hat).mean(axis=-1, keepdims=True)  # (..., 1)
    dx = (g - res.x_hat * gx_mean) / res.rms  # (..., D)
    dgamma = (dy * res.x_hat).reshape(-1, d).sum(axis=0)  # (D,)
    return NormGrads(dx=dx, dgamma=dgamma, dbeta=None)


def _channel_view(v: np.ndarray, ndim: int) -> np.ndarray:
    """Reshape a per-channel vector (C,) to (1, C, 1, …) so it broadcasts against (N, C, *S)."""
    return v.reshape((1, -1) + (1,) * (ndim - 2))  # (1, C, 1, …)


def batch_norm(
    x: np.ndarray,
    gamma: np.ndarray | None,
    beta: np.ndarray | None,
    running_mean: np.ndarray,
    running_var: np.ndarray,
    training: bool,
    momentum: float | None = 0.1,
    eps: float = 1e-5,
    num_batches_tracked: int = 0,
) -> BatchNormResult:
    """BatchNorm over (N, C, *S), channels on axis 1 (Ioffe & Szegedy 2015, Algorithms 1 and 2).

    Train (Alg. 1): μ_B = mean over the n = N·|S| values of a channel, σ²_B their biased variance,
    x̂ = (x − μ_B)/√(σ²_B + ε), y = γ x̂ + β; running stats (torch's convention, m = momentum):
    r_μ ← (1 − m) r_μ + m μ_B,  r_σ² ← (1 − m) r_σ² + m σ²_B · n/(n − 1)  (unbiased, Alg. 2 step 10).
    momentum=None gives torch's cumulative average, m = 1/(number of training steps including this one).
    Eval (Alg. 2): normalise with the running statistics instead; they are returned unchanged.
    Inputs are not modified; the updated running statistics are new arrays in the result.
    """
    x = np.asarray(x, dtype=np.float64)  # (N, C, *S)
    c = x.shape[1]
    gamma = np.ones(c) if gamma is None else np.asarray(gamma, dtype=np.float64)  # (C,)
    beta = np.zeros(c) if beta is None else np.asarray(beta, dtype=np.float64)  # (C,)
    running_mean = np.asarray(running_mean, dtype=np.float64)  # (C,)
    running_var = np.asarray(running_var, dtype=np.float64)  # (C,)
    axes = (0,) + tuple(range(2, x.ndim))
    if training:
        n = x.size // c
        if n < 2:
            raise ValueError("BatchNorm in training mode needs more than one value per channel")
        mean = x.mean(axis=axes)  # (C,)
        var = ((x - _channel_view(mean, x.ndim)) ** 2).mean(axis=axes)  # (C,)
        num_batches_tracked += 1
        m = 1.0 / num_batches_tracked if momentum is None else momentum
        new_running_mean = (1 - m) * running_mean + m * mean  # (C,)
        new_running_var = (1 - m) * running_var + m * var * n / (n - 1)  # (C,)
    else:
        mean, var = running_mean.copy(), running_var.copy()  # (C,), (C,)
        new_running_mean, new_running_var = running_mean.copy(), running_var.copy()  # (C,), (C,)
    x_hat = (x - _channel_view(mean, x.ndim)) / np.sqrt(_channel_view(var, x.ndim) + eps)  # (N, C, *S)
    y = _channel_view(gamma, x.ndim) * x_hat + _channel_view(beta, x.ndim)  # (N, C, *S)
    return BatchNormResult(
        mean=mean, var=var, x_hat=x_hat, y=y, running_mean=new_running_mean, running_var=new_running_var,
        num_batches_tracked=num_batches_tracked,
    )  # fmt: skip


def group_norm(
    x: np.ndarray,
    num_groups: int,
    gamma: np.ndarray | None = None,
    beta: np.ndarray | None = None,
    eps: float = 1e-5,
) -> GroupNormResult:
    """GroupNorm over (N, C, *S) (Wu & He 2018, eqs. 1–3 with the group set S_i of eq. 7).

    Channels split into G groups of C/G; μ and σ² (biased) are taken over one group's C/G·|S| values
    of one example; x̂ = (x − μ)/√(σ² + ε); y = γ_c x̂ + β_c with per-channel γ, β (eq. 4).
    G = 1 is LayerNorm over (C, *S); G = C is InstanceNorm.
    """
    x = np.asarray(x, dtype=np.float64)  # (N, C, *S)
    n, c = x.shape[:2]
    if c % num_groups:
        raise ValueError(f"channels ({c}) must be divisible by num_groups ({num_groups})")
    gamma = np.ones(c) if gamma is None else np.asarray(gamma, dtype=np.float64)  # (C,)
    beta = np.zeros(c) if beta is None else np.asarray(beta, dtype=np.float64)  # (C,)
    xg = x.reshape(n, num_groups, -1)  # (N, G, C/G·|S|)
    mean = xg.mean(axis=-1)  # (N, G)
    var = ((xg - mean[..., None]) ** 2).mean(axis=-1)  # (N, G)
    x_hat = ((xg - mean[..., None]) / np.sqrt(var[..., None] + eps)).reshape(x.shape)  # (N, C, *S)
    y = _channel_view(gamma, x.ndim) * x_hat + _channel_view(beta, x.ndim)  # (N, C, *S)
    return GroupNormResult(mean=mean, var=var, x_hat=x_hat, y=y)


def group_norm_loop(
    x: np.ndarray,
    num_groups: int,
    gamma: np.ndarray | None = None,
    beta: np.ndarray | None = None,
    eps: float = 1e-5,
) -> np.ndarray:
    """Plain reference for :func:`group_norm`: one example, one group, one channel at a time (eq. 1)."""
    x = np.asarray(x, dtype=np.float64)  # (N, C, *S)
    n, c = x.shape[:2]
    per = c // num_groups
    gamma = np.ones(c) if gamma is None else np.asarray(gamma, dtype=np.float64)  # (C,)
    beta = np.zeros(c) if beta is None else np.asarray(beta, dtype=np.float64)  # (C,)
    y = np.empty_like(x)  # (N, C, *S)
    for i in range(n):
        for g in range(num_groups):
            block = x[i, g * per : (g + 1) * per]  # (C/G, *S)
            values = block.ravel().tolist()
            mu = sum(values) / len(values)
            var = sum((v - mu) ** 2 for v in values) / len(values)
            for k in range(per):
                ch = g * per + k
                y[i, ch] = gamma[ch] * (x[i, ch] - mu) / np.sqrt(var + eps) + beta[ch]  # (*S)
    return y
