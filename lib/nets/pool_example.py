"""A pooling example a lecture can work by hand: distinct whole numbers (no ties, so every window has one
clear maximum) and a whole-number upstream gradient δ = ∂L/∂y for the pooled map.

Max pooling (Jarrett et al. 2009 §2) routes δ to each window's argmax; average pooling (LeCun et al. 1998
§II.B, without the trainable scale) spreads δ / |window| over the window; both in ``lib.nets.pooling``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lib.core.shapes import conv_output_size

G_RANGE = (1, 4)  # δ: 1 … 4, positive so that a routed gradient reads as "where it went"


@dataclass(frozen=True)
class PoolExample:
    x: np.ndarray  # (1, 1, H, W)  a permutation of −⌊HW/2⌋ … HW − 1 − ⌊HW/2⌋
    dy: np.ndarray  # (1, 1, H_out, W_out)


def pool_example(size: int, kernel: int, stride: int, seed: int) -> PoolExample:
    """The seeded example: x = permutation(size²) − ⌊size²/2⌋ (distinct, centred on 0), then δ uniform."""
    rng = np.random.default_rng(seed)
    n = size * size
    x = (rng.permutation(n) - n // 2).reshape(1, 1, size, size).astype(float)  # (1, 1, H, W)
    out = conv_output_size(size, kernel, stride)
    dy = rng.integers(G_RANGE[0], G_RANGE[1] + 1, (1, 1, out, out)).astype(float)  # (1, 1, Ho, Wo)
    return PoolExample(x, dy)
