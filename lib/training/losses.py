"""Softmax cross-entropy with label smoothing and ignore_index, its gradient, and perplexity.

References
- Szegedy et al. 2016, "Rethinking the Inception Architecture for Computer Vision", §7 (label-smoothing
  regularisation): q'(k) = (1 − ε) δ_{k,y} + ε/K, loss H(q', p) = −Σ_k q'(k) log p(k).
- Vaswani et al. 2017, "Attention Is All You Need", §5.4 (ε_ls = 0.1) and Table 3 (perplexity).
- Goodfellow, Bengio & Courville 2016, "Deep Learning", §6.2.2.3: ∂H(q, softmax(z))/∂z = softmax(z) − q.

Conventions follow ``torch.nn.functional.cross_entropy`` with reduction="mean": positions whose target
equals ``ignore_index`` contribute neither loss nor gradient, and the mean divides by the number of the
remaining positions. Classes are on the last axis here (logits (..., C)), not on axis 1 as in torch.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from lib.core.softmax import log_softmax


@dataclass(frozen=True)
class CrossEntropyResult:
    """Intermediates of the mean label-smoothed cross-entropy over non-ignored positions."""

    log_probs: np.ndarray  # (..., C)  log softmax(z)
    probs: np.ndarray  # (..., C)  softmax(z)
    target_dist: np.ndarray  # (..., C)  smoothed one-hot q' (rows of ignored positions are 0)
    mask: np.ndarray  # (...)     True where the target is not ignore_index
    nll: np.ndarray  # (...)     −log p(y), 0 where ignored (no smoothing)
    token_loss: np.ndarray  # (...)     −Σ_k q'(k) log p(k), 0 where ignored
    count: int  # number of non-ignored positions
    loss: float  # Σ token_loss / count  (nan when count = 0, as in torch)
    perplexity: float  # exp(loss)


def cross_entropy(
    logits: np.ndarray, targets: np.ndarray, label_smoothing: float = 0.0, ignore_index: int = -100
) -> CrossEntropyResult:
    """Mean softmax cross-entropy with label smoothing (Szegedy et al. 2016, §7) and ignored positions.

    q' = (1 − ε) onehot(y) + ε/C,  ℓ_i = −Σ_k q'_k log softmax(z_i)_k,  L = Σ_{i: y_i ≠ ignore} ℓ_i / n,
    where n counts the non-ignored positions. Perplexity is reported as exp(L) (with ε > 0 this is the
    perplexity of the smoothed loss; exp(mean nll) is the usual unsmoothed one).
    """
    logits = np.asarray(logits, dtype=np.float64)  # (..., C)
    targets = np.asarray(targets)  # (...)
    c = logits.shape[-1]
    log_probs = log_softmax(logits)  # (..., C)  z − logsumexp(z), max-shifted (lib.core.softmax)
    probs = np.exp(log_probs)  # (..., C)
    mask = targets != ignore_index  # (...)
    safe = np.where(mask, targets, 0)  # (...)  any valid class where ignored
    onehot = (np.arange(c) == safe[..., None]).astype(np.float64)  # (..., C)
    target_dist = ((1.0 - label_smoothing) * onehot + label_smoothing / c) * mask[..., None]  # (..., C)
    nll = -np.take_along_axis(log_probs, safe[..., None], axis=-1)[..., 0] * mask  # (...)
    token_loss = -(target_dist * log_probs).sum(axis=-1)  # (...)
    count = int(mask.sum())
    loss = float(token_loss.sum() / count) if count else math.nan
    return CrossEntropyResult(
        log_probs=log_probs, probs=probs, target_dist=target_dist, mask=mask, nll=nll, token_loss=token_loss,
        count=count, loss=loss, perplexity=perplexity(loss),
    )  # fmt: skip


def cross_entropy_grad(res: CrossEntropyResult) -> np.ndarray:
    """∂L/∂z = (softmax(z) − q') / n on non-ignored positions, 0 on ignored ones (GBC 2016, §6.2.2.3)."""
    if res.count == 0:
        return np.zeros_like(res.probs)  # (..., C)
    return (res.probs - res.target_dist) * res.mask[..., None] / res.count  # (..., C)


def perplexity(mean_loss: float) -> float:
    """Perplexity = exp(mean cross-entropy in nats) (Vaswani et al. 2017, Table 3); inf past float range."""
    if math.isnan(mean_loss):
        return math.nan
    try:
        return math.exp(mean_loss)
    except OverflowError:
        return math.inf


def cross_entropy_loop(
    logits: np.ndarray, targets: np.ndarray, label_smoothing: float = 0.0, ignore_index: int = -100
) -> float:
    """Plain reference for :func:`cross_entropy`: one position at a time with ``math``, no broadcasting."""
    logits = np.asarray(logits, dtype=np.float64)  # (..., C)
    rows = logits.reshape(-1, logits.shape[-1]).tolist()
    total, count = 0.0, 0
    for row, y in zip(rows, np.asarray(targets).ravel().tolist(), strict=True):
        if y == ignore_index:
            continue
        m = max(row)
        lse = m + math.log(sum(math.exp(v - m) for v in row))
        smooth = sum(lse - v for v in row) / len(row)  # −(1/C) Σ_k log p_k
        total += (1.0 - label_smoothing) * (lse - row[y]) + label_smoothing * smooth
        count += 1
    return total / count if count else math.nan
