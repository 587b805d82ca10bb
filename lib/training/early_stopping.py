"""Early stopping on a validation curve, and the train–validation gap of a run.

Prechelt 1998, "Early Stopping — But When?" (Neural Networks: Tricks of the Trade, §2.1): keep the weights
of the epoch with the lowest validation error and stop once it has not improved for ``patience`` epochs in
a row (his criterion "UP"/"GL" family; here the patience form Keras' ``EarlyStopping`` implements:
an improvement must beat the best by more than ``min_delta``). Goodfellow, Bengio & Courville 2016, §7.8,
Algorithm 7.1 is the same loop.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class EarlyStop:
    """Where a patience rule stops a run (epochs are indices into the curve: 0 = before training)."""

    best_epoch: int  # argmin of the validation loss up to the stop: the weights kept
    best_loss: float
    stop_epoch: int  # the epoch at which training stops (the last epoch if the rule never fires)
    stopped: bool  # whether the rule fired before the curve ended


def early_stopping(val_loss: np.ndarray, patience: int, min_delta: float = 0.0) -> EarlyStop:
    """Walk the curve: an epoch improves when loss < best − min_delta; stop at the first epoch that is
    ``patience`` epochs after the last improvement."""
    if patience < 1:
        raise ValueError("patience must be at least 1")
    v = np.asarray(val_loss, dtype=np.float64)  # (E,)
    best, best_epoch = v[0], 0
    for e in range(1, len(v)):
        if v[e] < best - min_delta:
            best, best_epoch = v[e], e
        elif e - best_epoch >= patience:
            return EarlyStop(best_epoch, float(best), e, True)
    return EarlyStop(best_epoch, float(best), len(v) - 1, False)


@dataclass(frozen=True)
class Gap:
    """A run's end: train and validation loss at the last epoch and their difference (the overfit)."""

    train: float
    val: float
    gap: float  # val − train


def final_gap(train_loss: np.ndarray, val_loss: np.ndarray) -> Gap:
    """Generalisation gap at the last epoch: validation loss minus training loss."""
    t, v = float(train_loss[-1]), float(val_loss[-1])
    return Gap(t, v, v - t)
