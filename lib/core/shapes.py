"""Sliding-window arithmetic shared by convolution and pooling, in the layers and in the cost model.

Dumoulin & Visin 2016, "A guide to convolution arithmetic for deep learning", Relationship 15: along one axis
a window of k taps spaced d apart (dilation), moved in steps of s over an input of size i zero-padded by p on
each side, fits o = ⌊(i + 2p − d(k − 1) − 1)/s⌋ + 1 times — the formula of the ``torch.nn.Conv2d`` docs.
"""

from __future__ import annotations


def conv_output_size(size: int, kernel: int, stride: int = 1, padding: int = 0, dilation: int = 1) -> int:
    """o = ⌊(size + 2·padding − dilation·(kernel − 1) − 1)/stride⌋ + 1 (Dumoulin & Visin 2016, Rel. 15).

    Raises ValueError when the (dilated) kernel does not fit the padded input, i.e. o ≤ 0.
    """
    out = (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1
    if out <= 0:
        raise ValueError(
            f"kernel {kernel} (dilation {dilation}) does not fit input size {size} + 2·{padding} "
            f"(stride {stride})"
        )
    return out
