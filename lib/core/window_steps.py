"""Why the convolution output-size formula is what it is: the window positions along one axis, step by step.

Dumoulin & Visin 2016, "A guide to convolution arithmetic for deep learning", Relationship 15:

    o = ⌊(i + 2p − d(k − 1) − 1)/s⌋ + 1

read as a count of window positions. Zero-padding gives i + 2p cells; a kernel of k taps spaced d apart
spans d(k − 1) + 1 of them; its first position starts at the first cell, and it may move on while its last
tap stays inside, i.e. over room = (i + 2p) − (d(k − 1) + 1) cells — the numerator. In steps of s that is
⌊room/s⌋ further positions (a partial step does not fit: the floor), plus the first one. The cells past the
last window (room − s·⌊room/s⌋ of them) are never read.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lib.core.shapes import conv_output_size


@dataclass(frozen=True)
class OutputSizeSteps:
    """One axis of a convolution or pooling: the numbers of the output-size formula, term by term."""

    size: int  # i, the input size
    kernel: int  # k
    stride: int  # s
    padding: int  # p, zeros on each side
    dilation: int  # d
    padded: int  # i + 2p
    span: int  # d(k − 1) + 1, the cells one window covers
    room: int  # i + 2p − d(k − 1) − 1: how far the window can move (the numerator)
    steps: int  # ⌊room / s⌋
    out: int  # steps + 1
    unused: int  # room − s·steps: padded cells past the last window, never read


def output_size_steps(
    size: int, kernel: int, stride: int = 1, padding: int = 0, dilation: int = 1
) -> OutputSizeSteps:
    """The output-size formula term by term (Dumoulin & Visin 2016, Rel. 15); ValueError if nothing fits."""
    out = conv_output_size(size, kernel, stride, padding, dilation)  # also checks that the window fits
    padded = size + 2 * padding
    span = dilation * (kernel - 1) + 1
    room = padded - span
    steps = room // stride
    assert steps + 1 == out  # the two readings of the formula agree
    return OutputSizeSteps(
        size, kernel, stride, padding, dilation, padded, span, room, steps, out, room - stride * steps
    )


def window_taps(steps: OutputSizeSteps) -> np.ndarray:
    """(out, k) input indices each output reads: tap t of window j sits at j·s − p + t·d (negative or ≥ i:
    a padding zero)."""
    j = np.arange(steps.out)[:, None]  # (out, 1)
    t = np.arange(steps.kernel)[None, :]  # (1, k)
    return j * steps.stride - steps.padding + t * steps.dilation  # (out, k)
