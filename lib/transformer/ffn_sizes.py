"""Sizes of the position-wise FFN and of SwiGLU: the hidden width that matches their parameter counts.

The FFN of Vaswani et al. 2017 (eq. 2) has two matrices, W₁ (d × d_ff) and W₂ (d_ff × d), and biases b₁, b₂:
2·d·d_ff weights and d_ff + d biases. SwiGLU (Shazeer 2020, eq. 6) has three bias-free matrices W, V
(d × h) and W₂ (h × d): 3·d·h weights. Shazeer keeps the weight count of a d_ff = 4d FFN by taking
h = 2·d_ff/3 = 8d/3 (§2, "we reduce the number of hidden units ... by a factor of 2/3"); an integer width
needs a rounding, which this module makes explicit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Rounding = Literal["nearest", "down", "up"]


def matched_swiglu_width(d_model: int, d_ff: int, rounding: Rounding = "nearest") -> int:
    """h with 3·d·h ≈ 2·d·d_ff, i.e. h ≈ 2·d_ff/3 (Shazeer 2020 §2), rounded as asked (half up)."""
    exact_num, den = 2 * d_ff, 3  # h = 2·d_ff / 3 kept as a fraction: no float rounding
    if rounding == "down":
        return exact_num // den
    if rounding == "up":
        return -(-exact_num // den)
    return (2 * exact_num + den) // (2 * den)  # ⌊x + ½⌋ for x = exact_num / den


@dataclass(frozen=True)
class ParamCount:
    """Parameters of one feed-forward block: its weight matrices and its bias vectors."""

    weights: int
    biases: int

    @property
    def total(self) -> int:
        return self.weights + self.biases


def ffn_params(d_model: int, d_ff: int, bias: bool = True) -> ParamCount:
    """W₁, W₂ (2·d·d_ff) and b₁, b₂ (d_ff + d) of act(xW₁ + b₁)W₂ + b₂ (Vaswani et al. 2017, eq. 2)."""
    return ParamCount(2 * d_model * d_ff, (d_ff + d_model) if bias else 0)


def swiglu_params(d_model: int, d_ff: int, bias: bool = False) -> ParamCount:
    """W, V, W₂ (3·d·d_ff) of (Swish₁(xW) ⊙ xV)W₂ (Shazeer 2020, eq. 6; bias-free as there)."""
    return ParamCount(3 * d_model * d_ff, (2 * d_ff + d_model) if bias else 0)


def exact_matched_width(d_ff: int) -> float:
    """2·d_ff/3 before rounding (8d/3 for d_ff = 4d)."""
    return 2 * d_ff / 3
