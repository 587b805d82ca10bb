"""One token through the Transformer FFN (ReLU and GELU) and through SwiGLU at the parameter-matched width.

- Vaswani et al. 2017, eq. 2: FFN(x) = max(0, xW₁ + b₁)W₂ + b₂ with d_ff = 4d; GELU (Hendrycks & Gimpel 2016)
  in place of the max, as BERT and GPT-2 do, on the same weights.
- Shazeer 2020, eq. 6: FFN_SwiGLU(x) = (Swish₁(xW) ⊙ xV)W₂ with h ≈ 2·d_ff/3 = 8d/3 hidden units, so the
  three matrices hold as many weights as the FFN's two (``lib.transformer.ffn_sizes``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lib.core.activations import activate
from lib.transformer.ffn import (
    FFNResult,
    SwiGLUResult,
    ffn,
    init_ffn_weights,
    init_swiglu_weights,
    swiglu_ffn,
)
from lib.transformer.ffn_sizes import ParamCount, Rounding, ffn_params, matched_swiglu_width, swiglu_params


@dataclass(frozen=True)
class FFNComparison:
    """The same token through the three blocks, and what each block costs in parameters."""

    x: np.ndarray  # (d,)
    d_ff: int  # the FFN's hidden width, expansion·d
    relu: FFNResult  # hidden (d_ff,), y (d,)
    gelu: FFNResult  # same W₁, b₁, W₂, b₂ as ``relu``
    width: int  # SwiGLU's hidden width h, 2·d_ff/3 rounded
    width_exact: float  # 2·d_ff/3 before rounding
    swiglu: SwiGLUResult  # gate (h,), value (h,), hidden (h,), y (d,)
    ffn_count: ParamCount
    swiglu_count: ParamCount


def token(d_model: int, seed: int = 0) -> np.ndarray:
    """A seeded standard-normal token vector x (one position of the residual stream)."""
    return np.random.default_rng(seed).standard_normal(d_model)  # (d,)


def compare_ffns(
    d_model: int, seed: int = 0, token_seed: int = 1, expansion: int = 4, rounding: Rounding = "nearest"
) -> FFNComparison:
    """x → FFN with ReLU, with GELU (eq. 2, shared weights) and → SwiGLU at h = round(2·d_ff/3) (eq. 6)."""
    d_ff = expansion * d_model
    x = token(d_model, token_seed)  # (d,)
    w = init_ffn_weights(d_model, d_ff, seed)
    h = matched_swiglu_width(d_model, d_ff, rounding)
    return FFNComparison(
        x=x,
        d_ff=d_ff,
        relu=ffn(x, w, "relu"),
        gelu=ffn(x, w, "gelu"),
        width=h,
        width_exact=2 * d_ff / 3,
        swiglu=swiglu_ffn(x, init_swiglu_weights(d_model, h, seed)),
        ffn_count=ffn_params(d_model, d_ff),
        swiglu_count=swiglu_params(d_model, h),
    )


def activation_curves(lo: float, hi: float, n: int, names: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
    """xs (n,) evenly from lo to hi and φ(xs) for each named activation, (len(names), n)."""
    xs = np.linspace(lo, hi, n)  # (n,)
    return xs, np.stack([activate(xs, name) for name in names])  # (A, n)
