"""A small N × C × (H·W) tensor under BatchNorm, LayerNorm and GroupNorm; BatchNorm's running statistics.

Statistics as in ``lib.nets.norms`` (biased variances for normalising):
- BatchNorm (Ioffe & Szegedy 2015, Alg. 1): one (μ, σ²) per channel, over the N·H·W values of that channel;
  running statistics r ← (1 − m) r + m μ_B and r_σ² ← (1 − m) r_σ² + m σ²_B · n/(n − 1) (Alg. 2, torch's
  momentum convention), used instead of the batch statistics in eval mode.
- LayerNorm (Ba et al. 2016, eq. 3–4) on a feature map, as torch.nn.LayerNorm([C, H, W]): one (μ, σ²) per
  example, over its C·H·W values.
- GroupNorm (Wu & He 2018, eq. 1–3): one (μ, σ²) per example and group of C/G channels.

The data have their own offset and scale per channel (x_ncs = a_c + s_c z_ncs, z ~ N(0, 1)), as the channels
of a real feature map do: so per-channel and per-example statistics visibly differ.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lib.nets.norms import (
    BatchNormResult,
    GroupNormResult,
    LayerNormResult,
    batch_norm,
    group_norm,
    layer_norm,
)


def feature_batch(n: int, c: int, hw: int, seed: int, batch: int = 0) -> np.ndarray:
    """x (N, C, H·W): channel c is a_c + s_c · N(0, 1), a_c ~ U(−2, 2) and s_c ~ U(0.5, 2) fixed by ``seed``;
    ``batch`` draws a further batch of the same distribution (the running statistics' batches)."""
    rng = np.random.default_rng(seed)
    offset = rng.uniform(-2.0, 2.0, c)  # (C,)
    scale = rng.uniform(0.5, 2.0, c)  # (C,)
    z = np.random.default_rng([seed, batch]).standard_normal((n, c, hw))  # (N, C, H·W)
    return offset[None, :, None] + scale[None, :, None] * z  # (N, C, H·W)


@dataclass(frozen=True)
class NormComparison:
    x: np.ndarray  # (N, C, S)
    batch: BatchNormResult  # training mode: mean/var (C,)
    layer: LayerNormResult  # over (C·S) per example: mean/var (N, 1), x_hat (N, C·S)
    group: GroupNormResult  # mean/var (N, G)

    @property
    def layer_x_hat(self) -> np.ndarray:
        return self.layer.x_hat.reshape(self.x.shape)  # (N, C, S)


def compare_norms(x: np.ndarray, groups: int, eps: float = 1e-5) -> NormComparison:
    """BatchNorm (training), LayerNorm over (C, S) and GroupNorm with ``groups`` on one tensor x (N, C, S),
    all without affine parameters (γ = 1, β = 0)."""
    n, c = x.shape[:2]
    bn = batch_norm(x, None, None, np.zeros(c), np.ones(c), training=True, eps=eps)
    ln = layer_norm(x.reshape(n, -1), eps=eps)  # (N, C·S): torch.nn.LayerNorm([C, S])
    gn = group_norm(x, groups, eps=eps)
    return NormComparison(x, bn, ln, gn)


@dataclass(frozen=True)
class RunningStats:
    batches: tuple[np.ndarray, ...]  # K × (N, C, S)
    steps: tuple[BatchNormResult, ...]  # training step k: batch statistics and running statistics after it
    eval_result: BatchNormResult  # ``eval_x`` normalised with the final running statistics
    train_result: BatchNormResult  # ``eval_x`` normalised with its own batch statistics


def running_stats(
    batches: list[np.ndarray], eval_x: np.ndarray, momentum: float, eps: float = 1e-5
) -> RunningStats:
    """Train BatchNorm on ``batches`` one after another from torch's initial running statistics (0, 1),
    then normalise ``eval_x`` in eval mode (running statistics) and in training mode (its batch's own)."""
    c = batches[0].shape[1]
    r_mean, r_var, tracked = np.zeros(c), np.ones(c), 0  # (C,), (C,)
    steps = []
    for b in batches:
        res = batch_norm(b, None, None, r_mean, r_var, training=True, momentum=momentum, eps=eps,
                         num_batches_tracked=tracked)  # fmt: skip
        r_mean, r_var, tracked = res.running_mean, res.running_var, res.num_batches_tracked
        steps.append(res)
    ev = batch_norm(eval_x, None, None, r_mean, r_var, training=False, eps=eps)
    tr = batch_norm(eval_x, None, None, r_mean, r_var, training=True, momentum=momentum, eps=eps)
    return RunningStats(tuple(batches), tuple(steps), ev, tr)
