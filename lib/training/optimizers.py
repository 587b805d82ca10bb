"""First-order optimisers as pure step functions: (params, grads, state) -> new params and state.

SGD with momentum / Nesterov (Sutskever et al. 2013, eq. 1-4, in PyTorch's formulation), Adam
(Kingma & Ba 2015, Algorithm 1; AMSGrad: Reddi et al. 2018, Algorithm 2), AdamW (Loshchilov & Hutter
2019, Algorithm 2, decoupled weight decay) and Lion (Chen et al. 2023, "Symbolic Discovery of
Optimization Algorithms", Algorithm 2). Each step function follows the operation order of the
corresponding ``torch.optim`` class (single-tensor path) so trajectories agree to rounding.

Arrays may have any shape ``(...)``; states are frozen dataclasses; nothing is mutated.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np


# ----------------------------------------------------------------------------------------- SGD
@dataclass(frozen=True)
class SGDState:
    step: int = 0
    momentum_buffer: np.ndarray | None = None  # (...)  b_t; None before the first step (as torch)


@dataclass(frozen=True)
class SGDStep:
    params: np.ndarray  # (...)  θ_t
    state: SGDState
    direction: np.ndarray  # (...)  the vector multiplied by −lr (g, b_t or g + μ b_t)
    update: np.ndarray  # (...)  θ_t − θ_{t−1}


def sgd_init(params: np.ndarray) -> SGDState:
    return SGDState()


def sgd_step(
    params: np.ndarray,
    grads: np.ndarray,
    state: SGDState,
    lr: float,
    momentum: float = 0.0,
    dampening: float = 0.0,
    nesterov: bool = False,
    weight_decay: float = 0.0,
) -> SGDStep:
    """SGD with heavy-ball / Nesterov momentum as in ``torch.optim.SGD`` (Sutskever et al. 2013, eq. 1-4).

    g ← g + λθ;  b_1 = g,  b_t = μ b_{t−1} + (1 − τ) g;  d = g + μ b_t (Nesterov) or b_t;  θ ← θ − lr·d.
    """
    if nesterov and (momentum <= 0 or dampening != 0):
        raise ValueError("Nesterov momentum requires momentum > 0 and dampening = 0")
    g = grads + weight_decay * params if weight_decay != 0 else grads  # (...)
    buf = state.momentum_buffer
    if momentum != 0:
        buf = g.copy() if buf is None else momentum * buf + (1 - dampening) * g  # (...)
        d = g + momentum * buf if nesterov else buf  # (...)
    else:
        d = g  # (...)
    new = params - lr * d  # (...)
    return SGDStep(new, SGDState(state.step + 1, buf), d, new - params)


# ----------------------------------------------------------------------------------- Adam(W)
@dataclass(frozen=True)
class AdamState:
    step: int
    exp_avg: np.ndarray  # (...)  m_t
    exp_avg_sq: np.ndarray  # (...)  v_t
    max_exp_avg_sq: np.ndarray | None = None  # (...)  v̂max_t (AMSGrad only)


@dataclass(frozen=True)
class AdamStep:
    params: np.ndarray  # (...)  θ_t
    state: AdamState
    m_hat: np.ndarray  # (...)  m_t / (1 − β1^t)
    v_hat: np.ndarray  # (...)  v_t / (1 − β2^t) (AMSGrad: running max of v_t, bias-corrected)
    update: np.ndarray  # (...)  θ_t − θ_{t−1}


def adam_init(params: np.ndarray, amsgrad: bool = False) -> AdamState:
    z = np.zeros_like(params, dtype=np.float64)  # (...)
    return AdamState(0, z, z.copy(), z.copy() if amsgrad else None)


def _adam_core(
    params: np.ndarray,
    g: np.ndarray,
    state: AdamState,
    lr: float,
    betas: tuple[float, float],
    eps: float,
    amsgrad: bool,
) -> AdamStep:
    b1, b2 = betas
    t = state.step + 1
    m = state.exp_avg + (1 - b1) * (g - state.exp_avg)  # (...)  m_t = β1 m + (1−β1) g  (torch lerp)
    v = b2 * state.exp_avg_sq + (1 - b2) * g * g  # (...)  v_t = β2 v + (1−β2) g²
    vmax: np.ndarray | None = None
    v_used = v  # (...)
    if amsgrad:
        prev = state.max_exp_avg_sq if state.max_exp_avg_sq is not None else np.zeros_like(v)  # (...)
        vmax = v_used = np.maximum(prev, v)  # (...)  AMSGrad: the running max of v_t
    bc1, bc2 = 1 - b1**t, 1 - b2**t
    denom = np.sqrt(v_used) / np.sqrt(bc2) + eps  # (...)  √v̂_t + ε
    new = params - (lr / bc1) * m / denom  # (...)  θ ← θ − α m̂ / (√v̂ + ε)
    return AdamStep(new, AdamState(t, m, v, vmax), m / bc1, v_used / bc2, new - params)


def adam_step(
    params: np.ndarray,
    grads: np.ndarray,
    state: AdamState,
    lr: float = 1e-3,
    betas: tuple[float, float] = (0.9, 0.999),
    eps: float = 1e-8,
    weight_decay: float = 0.0,
    amsgrad: bool = False,
) -> AdamStep:
    """Adam (Kingma & Ba 2015, Alg. 1); L2 weight decay added to the gradient (g ← g + λθ) as torch."""
    g = grads + weight_decay * params if weight_decay != 0 else grads  # (...)
    return _adam_core(params, g, state, lr, betas, eps, amsgrad)


def adamw_step(
    params: np.ndarray,
    grads: np.ndarray,
    state: AdamState,
    lr: float = 1e-3,
    betas: tuple[float, float] = (0.9, 0.999),
    eps: float = 1e-8,
    weight_decay: float = 1e-2,
    amsgrad: bool = False,
) -> AdamStep:
    """AdamW (Loshchilov & Hutter 2019, Alg. 2 line 12): θ ← θ(1 − lr·λ), then the Adam step on g."""
    decayed = params * (1 - lr * weight_decay)  # (...)
    out = _adam_core(decayed, grads, state, lr, betas, eps, amsgrad)
    return AdamStep(out.params, out.state, out.m_hat, out.v_hat, out.params - params)


# -------------------------------------------------------------------------------------- Lion
@dataclass(frozen=True)
class LionState:
    step: int
    exp_avg: np.ndarray  # (...)  m_t


@dataclass(frozen=True)
class LionStep:
    params: np.ndarray  # (...)  θ_t
    state: LionState
    c: np.ndarray  # (...)  c_t = β1 m_{t−1} + (1−β1) g_t, whose sign is the update direction
    update: np.ndarray  # (...)  θ_t − θ_{t−1}


def lion_init(params: np.ndarray) -> LionState:
    return LionState(0, np.zeros_like(params, dtype=np.float64))


def lion_step(
    params: np.ndarray,
    grads: np.ndarray,
    state: LionState,
    lr: float = 1e-4,
    betas: tuple[float, float] = (0.9, 0.99),
    weight_decay: float = 0.0,
) -> LionStep:
    """Lion (Chen et al. 2023, Alg. 2).

    c_t = β1 m_{t−1} + (1−β1) g_t;  θ_t = θ_{t−1} − η (sign(c_t) + λ θ_{t−1});  m_t = β2 m_{t−1} + (1−β2) g_t.
    """
    b1, b2 = betas
    c = b1 * state.exp_avg + (1 - b1) * grads  # (...)
    new = params - lr * (np.sign(c) + weight_decay * params)  # (...)
    m = b2 * state.exp_avg + (1 - b2) * grads  # (...)
    return LionStep(new, LionState(state.step + 1, m), c, new - params)


# ----------------------------------------------------------------------- uniform interface
@dataclass(frozen=True)
class Optimizer:
    """Hyper-parameters bound: ``init(params)`` and ``step(params, grads, state, lr)``."""

    name: str
    init: Callable[[np.ndarray], Any]
    step: Callable[[np.ndarray, np.ndarray, Any, float], Any]
    hparams: dict[str, Any] = field(default_factory=dict)


_REGISTRY: dict[str, tuple[Callable[..., Any], Callable[..., Any], tuple[str, ...]]] = {
    "sgd": (sgd_init, sgd_step, ()),
    "adam": (adam_init, adam_step, ("amsgrad",)),
    "adamw": (adam_init, adamw_step, ("amsgrad",)),
    "lion": (lion_init, lion_step, ()),
}


def make_optimizer(name: str, **hparams: Any) -> Optimizer:
    """Bind hyper-parameters, e.g. ``make_optimizer("sgd", momentum=0.9, nesterov=True)``."""
    if name not in _REGISTRY:
        raise ValueError(f"unknown optimizer {name!r}; choose from {sorted(_REGISTRY)}")
    init_fn, step_fn, init_keys = _REGISTRY[name]
    init_kw = {k: hparams[k] for k in init_keys if k in hparams}
    return Optimizer(
        name=name,
        init=lambda p: init_fn(p, **init_kw),
        step=lambda p, g, s, lr: step_fn(p, g, s, lr, **hparams),
        hparams=dict(hparams),
    )
