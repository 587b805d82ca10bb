"""Learning-rate schedules, closed form (vectorised over steps) beside their step-by-step recursions.

* linear warmup (Goyal et al. 2017, "Accurate, Large Minibatch SGD", §2.2) then cosine decay
  (Loshchilov & Hutter 2017, "SGDR", eq. 5, a single cycle without restarts);
* cosine annealing, SGDR eq. 5: η_t = η_min + ½(η_max − η_min)(1 + cos(π t / T_max)), which for
  t > T_max keeps oscillating with period 2·T_max, as ``torch.optim.lr_scheduler.CosineAnnealingLR`` does;
* step decay η_t = η_0 γ^⌊t / s⌋ (``StepLR``) and exponential decay η_t = η_0 γ^t (``ExponentialLR``).

``t`` counts optimiser steps from 0: η_t is the rate used by the (t+1)-th ``optimizer.step()``.
The ``*_recursive`` functions are the plain sequential versions (each rate from the previous one, as
torch computes them); tests check both forms against each other and against torch.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np


def warmup_cosine_lr(
    t: np.ndarray | int, base_lr: float, warmup_steps: int, total_steps: int, min_lr: float = 0.0
) -> np.ndarray:
    """η_t = η_0 t / W for t < W;  else η_min + ½(η_0 − η_min)(1 + cos(π p)),  p = min(1, (t − W)/(T − W)).

    The warmup starts at 0 (HF ``get_cosine_schedule_with_warmup`` convention) and reaches η_0 at t = W;
    after ``total_steps`` the rate stays at ``min_lr``.
    """
    t = np.asarray(t, dtype=np.float64)  # (N,)
    warm = base_lr * t / max(1, warmup_steps)  # (N,)
    progress = np.clip((t - warmup_steps) / max(1, total_steps - warmup_steps), 0.0, 1.0)  # (N,)
    cos = min_lr + 0.5 * (base_lr - min_lr) * (1 + np.cos(np.pi * progress))  # (N,)
    return np.where(t < warmup_steps, warm, cos)  # (N,)


def cosine_annealing_lr(t: np.ndarray | int, base_lr: float, t_max: int, eta_min: float = 0.0) -> np.ndarray:
    """SGDR eq. 5 (Loshchilov & Hutter 2017) without restarts: η_min + ½(η_0 − η_min)(1 + cos(π t/T_max))."""
    t = np.asarray(t, dtype=np.float64)  # (N,)
    return eta_min + 0.5 * (base_lr - eta_min) * (1 + np.cos(np.pi * t / t_max))  # (N,)


def step_lr(t: np.ndarray | int, base_lr: float, step_size: int, gamma: float = 0.1) -> np.ndarray:
    """η_t = η_0 γ^⌊t / step_size⌋."""
    t = np.asarray(t)  # (N,)
    return base_lr * gamma ** (t // step_size).astype(np.float64)  # (N,)


def exponential_lr(t: np.ndarray | int, base_lr: float, gamma: float) -> np.ndarray:
    """η_t = η_0 γ^t."""
    t = np.asarray(t, dtype=np.float64)  # (N,)
    return base_lr * gamma**t  # (N,)


# ------------------------------------------------------------------ sequential (recursive) forms
def cosine_annealing_lr_recursive(
    num_steps: int, base_lr: float, t_max: int, eta_min: float = 0.0
) -> np.ndarray:
    """η_t = η_min + (η_{t−1} − η_min)(1 + cos(πt/T))/(1 + cos(π(t−1)/T)), with the additive form at the
    trough (t − 1 − T ≡ 0 mod 2T) where the ratio would be 0/0 — the recursion torch uses."""
    lrs = [base_lr]
    for t in range(1, num_steps):
        prev = lrs[-1]
        if (t - 1 - t_max) % (2 * t_max) == 0:
            lrs.append(prev + (base_lr - eta_min) * (1 - math.cos(math.pi / t_max)) / 2)
        else:
            ratio = (1 + math.cos(math.pi * t / t_max)) / (1 + math.cos(math.pi * (t - 1) / t_max))
            lrs.append(eta_min + ratio * (prev - eta_min))
    return np.array(lrs)  # (N,)


def step_lr_recursive(num_steps: int, base_lr: float, step_size: int, gamma: float = 0.1) -> np.ndarray:
    """η_t = γ η_{t−1} when t is a multiple of step_size, else η_{t−1}."""
    lrs = [base_lr]
    for t in range(1, num_steps):
        lrs.append(lrs[-1] * gamma if t % step_size == 0 else lrs[-1])
    return np.array(lrs)  # (N,)


def exponential_lr_recursive(num_steps: int, base_lr: float, gamma: float) -> np.ndarray:
    """η_t = γ η_{t−1}."""
    lrs = [base_lr]
    for _ in range(1, num_steps):
        lrs.append(lrs[-1] * gamma)
    return np.array(lrs)  # (N,)


# ------------------------------------------------------------------------------- traces
@dataclass(frozen=True)
class LRTrace:
    """A schedule over a run, for plotting: the rate used at each optimiser step."""

    name: str
    steps: np.ndarray  # (N,)  0 … N−1
    lrs: np.ndarray  # (N,)  η_t
    hparams: dict[str, Any] = field(default_factory=dict)
    warmup_steps: int = 0  # 0 unless the schedule has a warmup phase (to shade it in a scene)


_SCHEDULES: dict[str, Callable[..., np.ndarray]] = {
    "warmup_cosine": warmup_cosine_lr,
    "cosine": cosine_annealing_lr,
    "step": step_lr,
    "exponential": exponential_lr,
}


def lr_trace(name: str, num_steps: int, base_lr: float, **hparams: Any) -> LRTrace:
    """Evaluate schedule ``name`` (warmup_cosine, cosine, step, exponential) for t = 0 … num_steps−1."""
    if name not in _SCHEDULES:
        raise ValueError(f"unknown schedule {name!r}; choose from {sorted(_SCHEDULES)}")
    steps = np.arange(num_steps)  # (N,)
    lrs = _SCHEDULES[name](steps, base_lr, **hparams)  # (N,)
    return LRTrace(name, steps, lrs, dict(hparams, base_lr=base_lr), int(hparams.get("warmup_steps", 0)))
