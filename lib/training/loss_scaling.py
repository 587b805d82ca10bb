"""Dynamic loss scaling for fp16 training, with the semantics of ``torch.amp.GradScaler``.

Micikevicius et al. 2018, "Mixed Precision Training", §3.2: multiply the loss by S so small gradients
survive fp16, divide the gradients by S before the update, and choose S dynamically — on an inf/NaN
gradient skip the step and shrink S (× backoff_factor); after ``growth_interval`` consecutive clean
steps grow S (× growth_factor). The update rule is that of ``torch._amp_update_scale_``:

    found_inf:  S ← S·backoff,  tracker ← 0
    otherwise:  tracker ← tracker + 1;  if tracker = growth_interval: S ← S·growth (kept only if
                finite), tracker ← 0

GradScaler keeps S in a float32 tensor, so S is rounded to fp32 after each change (``lib.training.floats``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from lib.training.floats import FP32, FloatFormat, cast


@dataclass(frozen=True)
class ScalerConfig:
    init_scale: float = 2.0**16
    growth_factor: float = 2.0
    backoff_factor: float = 0.5
    growth_interval: int = 2000


@dataclass(frozen=True)
class ScalerState:
    scale: float  # S (an fp32 value)
    growth_tracker: int  # clean steps since the last growth or backoff


def scaler_init(cfg: ScalerConfig) -> ScalerState:
    return ScalerState(cast(cfg.init_scale, FP32), 0)


def update_scale(state: ScalerState, found_inf: bool, cfg: ScalerConfig) -> ScalerState:
    """One ``GradScaler.update()`` (torch ``_amp_update_scale_``; Micikevicius et al. 2018 §3.2)."""
    if found_inf:
        return ScalerState(cast(state.scale * cfg.backoff_factor, FP32), 0)
    tracker = state.growth_tracker + 1
    if tracker == cfg.growth_interval:
        grown = cast(state.scale * cfg.growth_factor, FP32)
        return ScalerState(grown if math.isfinite(grown) else state.scale, 0)
    return ScalerState(state.scale, tracker)


@dataclass(frozen=True)
class ScalerStep:
    """One iteration: the scale used, the scaled gradient as stored, and what the scaler decided."""

    scale: float  # S used for this iteration's backward pass
    scaled_grads: np.ndarray  # (D,)  S·g, rounded to the gradient format (inf where it overflowed)
    grads: np.ndarray  # (D,)  unscaled gradient handed to the optimiser (scaled_grads / S)
    found_inf: bool  # any inf/NaN in scaled_grads
    skipped: bool  # the optimiser step was skipped (== found_inf)
    state: ScalerState  # after update_scale


def scaler_step(
    grads: np.ndarray, state: ScalerState, cfg: ScalerConfig, grad_format: FloatFormat | None = None
) -> ScalerStep:
    """Scale the true gradient ``g`` by S, store it in ``grad_format`` (None: float64, no rounding),
    check for inf/NaN, unscale (× fp32(1/S), as GradScaler.unscale_) and update S."""
    scaled = np.asarray(grads, dtype=np.float64) * state.scale  # (D,)
    if grad_format is not None:
        scaled = np.array([cast(float(v), grad_format) for v in scaled])  # (D,)  overflow → ±inf
    found_inf = not bool(np.all(np.isfinite(scaled)))
    inv_scale = cast(1.0 / state.scale, FP32)  # GradScaler keeps 1/S in float32 too
    unscaled = scaled * inv_scale  # (D,)
    return ScalerStep(
        state.scale, scaled, unscaled, found_inf, found_inf, update_scale(state, found_inf, cfg)
    )


@dataclass(frozen=True)
class LossScalingTrace:
    """A run of dynamic loss scaling, one row per iteration (for a scale-over-time plot)."""

    scales: np.ndarray  # (T,)  S used at iteration t
    scales_after: np.ndarray  # (T,)  S after update at iteration t
    growth_tracker: np.ndarray  # (T,)  tracker after update
    found_inf: np.ndarray  # (T,)  bool
    skipped: np.ndarray  # (T,)  bool
    scaled_grads: np.ndarray  # (T, D)
    grads: np.ndarray  # (T, D)  unscaled gradients passed to the optimiser


def run_loss_scaling(
    grad_sequence: np.ndarray, cfg: ScalerConfig, grad_format: FloatFormat | None = None
) -> LossScalingTrace:
    """Drive the scaler over gradients ``(T, D)`` (use ±inf/NaN entries to script overflows)."""
    state = scaler_init(cfg)
    steps: list[ScalerStep] = []
    for g in np.asarray(grad_sequence, dtype=np.float64):  # g: (D,)
        steps.append(scaler_step(g, state, cfg, grad_format))
        state = steps[-1].state
    return LossScalingTrace(
        scales=np.array([s.scale for s in steps]),  # (T,)
        scales_after=np.array([s.state.scale for s in steps]),  # (T,)
        growth_tracker=np.array([s.state.growth_tracker for s in steps]),  # (T,)
        found_inf=np.array([s.found_inf for s in steps]),  # (T,)
        skipped=np.array([s.skipped for s in steps]),  # (T,)
        scaled_grads=np.stack([s.scaled_grads for s in steps]),  # (T, D)
        grads=np.stack([s.grads for s in steps]),  # (T, D)
    )
