"""Settings of the training runs kept as data (``lib.models.runs``), and the schedules' learning rates.

NumPy only (no torch): scenes' parameter modules and the tests read these without importing the trainer.

- ``schedules``: the tiny induction Transformer trained under four learning-rate schedules from the same
  start — constant, linear warm-up + cosine decay (Goyal et al. 2017 §2.2; Loshchilov & Hutter 2017, eq. 5),
  step decay η_0 γ^⌊t/s⌋ and exponential decay η_0 γ^t — the rates from ``lib.training.schedules``.
- ``overfitting``: a small MLP on a small noisy classification set (a linear teacher, a fifth of the labels
  flipped), trained far past its best validation loss, three times from the same initial weights: plain,
  with decoupled weight decay (AdamW, Loshchilov & Hutter 2019, Alg. 2 line 12) and with dropout
  (Srivastava et al. 2014, eq. in §4: r ~ Bernoulli(1 − p), the kept units scaled by 1/(1 − p)).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lib.models.configs import TrainConfig
from lib.training.schedules import exponential_lr, step_lr, warmup_cosine_lr

SCHEDULES = ("constant", "warmup_cosine", "step", "exponential")
VARIANTS = ("plain", "weight_decay", "dropout")


@dataclass(frozen=True)
class ScheduleRuns:
    """The induction model (``lib.models.train``'s AdamW loop) under each schedule, peak rate ``lr``."""

    steps: int = 400
    batch: int = 64
    lr: float = 1e-2  # η_0: the constant rate, the warm-up's peak, the decays' start
    warmup: int = 40  # warm-up steps W of warmup_cosine (then cosine to 0 at the last step)
    step_size: int = 100  # s: step decay multiplies the rate by step_gamma every s steps
    step_gamma: float = 0.5
    exp_gamma: float = 0.995  # γ of exponential decay, per step
    eval_every: int = 20  # validation loss every this many steps (1000 held-out sequences)
    weight_decay: float = 0.01
    seed: int = 0

    def train_config(self) -> TrainConfig:
        return TrainConfig(
            steps=self.steps,
            batch=self.batch,
            lr=self.lr,
            warmup=self.warmup,
            weight_decay=self.weight_decay,
            eval_every=self.eval_every,
            seed=self.seed,
        )


def schedule_lrs(name: str, cfg: ScheduleRuns = ScheduleRuns()) -> np.ndarray:
    """η_t for t = 0 … steps − 1 of schedule ``name`` (the rate of the (t+1)-th optimiser step)."""
    t = np.arange(cfg.steps)  # (N,)
    if name == "constant":
        return np.full(cfg.steps, cfg.lr)  # (N,)
    if name == "warmup_cosine":
        return warmup_cosine_lr(t, cfg.lr, cfg.warmup, cfg.steps)  # (N,)
    if name == "step":
        return step_lr(t, cfg.lr, cfg.step_size, cfg.step_gamma)  # (N,)
    if name == "exponential":
        return exponential_lr(t, cfg.lr, cfg.exp_gamma)  # (N,)
    raise ValueError(f"unknown schedule {name!r}; choose from {SCHEDULES}")


@dataclass(frozen=True)
class OverfitRuns:
    """A 2-hidden-layer ReLU MLP on ``n_train`` noisy examples, mini-batch AdamW, ``epochs`` epochs."""

    dim: int = 10  # input features, standard normal
    n_train: int = 100
    n_val: int = 1000
    label_noise: float = 0.2  # each label flipped with this probability (train and validation alike)
    hidden: int = 128
    epochs: int = 100
    batch: int = 20
    lr: float = 5e-4
    weight_decay: float = 10.0  # λ of the weight-decay run: each step shrinks the weights by lr·λ = 0.5 %
    dropout: float = 0.5  # p of the dropout run (after each hidden ReLU)
    seed: int = 0

    def variant(self, name: str) -> tuple[float, float]:
        """(weight decay, dropout p) of a variant; everything else is shared."""
        return {
            "plain": (0.0, 0.0),
            "weight_decay": (self.weight_decay, 0.0),
            "dropout": (0.0, self.dropout),
        }[name]


def noisy_teacher_data(cfg: OverfitRuns, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """n examples x ~ N(0, I) labelled by the sign of a fixed random direction, a ``label_noise`` fraction
    flipped: (n, dim) float32 and (n,) int64. The best possible validation loss is the noise's entropy."""
    w = np.random.default_rng(cfg.seed + 7).standard_normal(cfg.dim)  # (dim,)  the teacher
    x = rng.standard_normal((n, cfg.dim))  # (n, dim)
    clean = (x @ w > 0).astype(np.int64)  # (n,)
    flip = rng.random(n) < cfg.label_noise  # (n,)
    return x.astype(np.float32), np.where(flip, 1 - clean, clean)


SCHEDULE_RUNS = ScheduleRuns()
OVERFIT_RUNS = OverfitRuns()
