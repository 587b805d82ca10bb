"""The cases a mixed-precision lecture shows: round-to-nearest-even ties, a gradient that underflows in fp16,
and a gradient sequence with a spike for dynamic loss scaling.

IEEE 754-2019 §4.3.1 (roundTiesToEven: a value exactly halfway between two neighbours goes to the one whose
last significand bit is 0); Micikevicius et al. 2018, "Mixed Precision Training", §3.2 (gradients below
fp16's smallest subnormal 2^−24 become zero; scaling the loss by S shifts them into range, and dividing by
S in fp32 recovers them). Casts come from ``lib.training.floats`` (exact integer rounding).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from lib.training.floats import BF16, FP16, FP32, FloatFormat, bit_fields, cast


@dataclass(frozen=True)
class Tie:
    """x exactly halfway between two neighbours of ``fmt`` in the binade [1, 2), and where it rounds."""

    x: float  # 1 + (k + ½)·2^−M
    lower: float  # 1 + k·2^−M
    upper: float  # 1 + (k + 1)·2^−M
    rounded: float  # the even neighbour
    mantissa: int  # trailing significand field of the result (even)


def ties(k: int, fmt: FloatFormat = FP16) -> tuple[Tie, Tie]:
    """The halfway points after the k-th and (k+1)-th numbers of [1, 2): one of the two rounds down, the
    other up, because each goes to the neighbour with an even last bit (IEEE 754-2019 §4.3.1)."""
    M = fmt.mantissa_bits
    if not 0 <= k <= 2**M - 3:
        raise ValueError(f"k must lie in [0, {2**M - 3}]")
    out = []
    for j in (k, k + 1):
        x = 1 + math.ldexp(2 * j + 1, -M - 1)  # exact in float64: M + 1 < 52 bits
        f = bit_fields(x, fmt)
        out.append(Tie(x, 1 + math.ldexp(j, -M), 1 + math.ldexp(j + 1, -M), f.value, f.mantissa))
    return out[0], out[1]


@dataclass(frozen=True)
class Underflow:
    """A gradient g stored three ways: fp16, bf16, and fp16 after loss scaling (then unscaled in fp32)."""

    g: float
    fp16: float  # fp16(g): 0 when g < 2^−25, half the smallest subnormal
    bf16: float  # bf16(g): fp32's exponent range keeps it
    scaled_fp16: float  # fp16(S·g)
    recovered: float  # fp16(S·g) · fp32(1/S), as GradScaler.unscale_ computes it


def underflow(g: float, scale: float) -> Underflow:
    """Micikevicius et al. 2018 §3.2: the same gradient without and with the loss scale S."""
    scaled = cast(g * scale, FP16)
    return Underflow(g, cast(g, FP16), cast(g, BF16), scaled, scaled * cast(1.0 / scale, FP32))


def spiky_gradients(steps: int, base: float, spike: float, spike_at: int, spike_len: int) -> np.ndarray:
    """A gradient of size ``base`` at every iteration but ``spike`` for ``spike_len`` iterations from
    ``spike_at`` (0-based): what makes S·g overflow fp16 and the scaler back off. Shape (T, 1)."""
    g = np.full(steps, base, dtype=np.float64)  # (T,)
    g[spike_at : spike_at + spike_len] = spike
    return g[:, None]  # (T, 1)
