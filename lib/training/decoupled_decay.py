"""Adam + L2 against AdamW on one parameter: where the weight decay λθ enters, and how strongly it acts.

Loshchilov & Hutter 2019, "Decoupled Weight Decay Regularization", Algorithm 2: Adam with L2 adds λθ to
the gradient (line 6), so the decay is averaged into m, squared into v and divided by √v̂ like the rest of
the gradient (line 12); AdamW leaves the gradient alone and subtracts ηλθ from θ directly (line 12, the
decoupled term). §2 of the paper: with L2, "weights that tend to have large gradients in f do not get
regularized as much as they would with decoupled weight decay, since the gradient of the regularizer gets
scaled along with the gradient of f".

The *effective decay rate* is the fraction of θ that the λθ term removes per step once m has settled
(m̂ ≈ the gradient, so its λθ part is λθ): for AdamW it is ηλ, for Adam + L2 ηλ / (√v̂_t + ε).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from lib.training.optimizers import AdamStep, adam_init, adam_step, adamw_step


def noisy_gradients(steps: int, mean: float, std: float, seed: int) -> np.ndarray:
    """A seeded gradient sequence g_t = mean + std·z_t, z_t ~ N(0, 1) (NumPy's default_rng(seed))."""
    return mean + std * np.random.default_rng(seed).standard_normal(steps)  # (T,)


@dataclass(frozen=True)
class DecayRun:
    """One optimiser on one scalar parameter: the values after each step (index t − 1 for step t)."""

    theta: np.ndarray  # (T + 1,)  θ_0 … θ_T
    m: np.ndarray  # (T,)  m_t (torch's exp_avg)
    v: np.ndarray  # (T,)  v_t (torch's exp_avg_sq)
    v_hat: np.ndarray  # (T,)  v̂_t = v_t / (1 − β2^t)
    decay_rate: np.ndarray  # (T,)  effective decay rate at step t: ηλ/(√v̂_t + ε) (L2) or ηλ (AdamW)


@dataclass(frozen=True)
class DecayComparison:
    grads: np.ndarray  # (T,)  the shared gradient sequence g_1 … g_T of f (without the decay)
    adam_l2: DecayRun
    adamw: DecayRun


def _run(
    step_fn: Callable[..., AdamStep],
    theta0: float,
    grads: np.ndarray,
    lr: float,
    weight_decay: float,
    betas: tuple[float, float],
    eps: float,
    coupled: bool,
) -> DecayRun:
    theta = np.array(theta0, dtype=np.float64)  # ()
    state = adam_init(theta)
    thetas, ms, vs, vhats = [theta0], [], [], []
    for g in grads:
        out = step_fn(theta, np.array(g), state, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay)
        theta, state = out.params, out.state
        thetas.append(float(theta))
        ms.append(float(state.exp_avg))
        vs.append(float(state.exp_avg_sq))
        vhats.append(float(out.v_hat))
    v_hat = np.array(vhats)  # (T,)
    # L2: λθ is divided by √v̂ like the gradient it was added to; decoupled: θ shrinks by ηλ regardless
    rate = lr * weight_decay / (np.sqrt(v_hat) + eps) if coupled else np.full_like(v_hat, lr * weight_decay)
    return DecayRun(np.array(thetas), np.array(ms), np.array(vs), v_hat, rate)


def compare_decay(
    theta0: float,
    grads: np.ndarray,
    lr: float,
    weight_decay: float,
    betas: tuple[float, float] = (0.9, 0.999),
    eps: float = 1e-8,
) -> DecayComparison:
    """Adam with L2 (torch.optim.Adam(weight_decay=λ)) and AdamW (torch.optim.AdamW(weight_decay=λ)) from
    θ_0 on the same gradients of f (Loshchilov & Hutter 2019, Alg. 2)."""
    g = np.asarray(grads, dtype=np.float64)  # (T,)
    l2 = _run(adam_step, theta0, g, lr, weight_decay, betas, eps, coupled=True)
    w = _run(adamw_step, theta0, g, lr, weight_decay, betas, eps, coupled=False)
    return DecayComparison(g, l2, w)
