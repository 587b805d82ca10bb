"""Small integer convolution examples and the two textbook views of the convolution's gradients.

The lecture works a convolution by hand, so its numbers are small integers: every product and sum is exact
in float64 and readable on screen. The gradients of a unit-stride, unpadded convolution
y = b + Σ_c x_c ⋆ w_c (⋆: cross-correlation, LeCun et al. 1998 §II.A) are themselves convolutions
(Dumoulin & Visin 2016, "A guide to convolution arithmetic for deep learning", §4.1, Relationship 8: the
transpose of a unit-stride, unpadded convolution is a "full" convolution, padded by k − 1, with the
kernel flipped):

    ∂L/∂b[o]    = Σ_{i,j} δ[o, i, j]
    ∂L/∂w[o, c] = x_c ⋆ δ_o                      (the input correlated with δ: a window of δ's size)
    ∂L/∂x_c     = Σ_o pad_{k−1}(δ_o) ⋆ rot180(w[o, c])

``lib.nets.conv.conv2d_backward`` computes the same gradients by scatter-adding (col2im); this module
writes them in the form a lecture draws and traces single entries of each, term by term.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lib.core.shapes import conv_output_size
from lib.nets.conv import ConvPixelTrace, conv2d, conv2d_pixel

X_RANGE = (-2, 3)  # input values −2 … 3
W_RANGE = (-2, 2)  # kernel values −2 … 2
B_RANGE = (-2, 2)  # bias −2 … 2
G_RANGE = (-2, 2)  # the upstream gradient δ = ∂L/∂y: −2 … 2


@dataclass(frozen=True)
class ConvExample:
    """One image, one output channel: every array holds whole numbers (as float64)."""

    x: np.ndarray  # (1, C, H, W)
    w: np.ndarray  # (1, C, k, k)
    b: np.ndarray  # (1,)
    dy: np.ndarray  # (1, 1, H_out, W_out)  ∂L/∂y, as if handed down by the next layer
    stride: int


def conv_example(channels: int, size: int, kernel: int, stride: int, seed: int) -> ConvExample:
    """The seeded example: x, then w, then b, then δ, each uniform over its integer range (inclusive)."""
    rng = np.random.default_rng(seed)
    x = rng.integers(X_RANGE[0], X_RANGE[1] + 1, (1, channels, size, size)).astype(float)  # (1, C, H, W)
    w = rng.integers(W_RANGE[0], W_RANGE[1] + 1, (1, channels, kernel, kernel)).astype(float)  # (1, C, k, k)
    b = rng.integers(B_RANGE[0], B_RANGE[1] + 1, (1,)).astype(float)  # (1,)
    out = conv_output_size(size, kernel, stride)
    dy = rng.integers(G_RANGE[0], G_RANGE[1] + 1, (1, 1, out, out)).astype(float)  # (1, 1, Ho, Wo)
    return ConvExample(x, w, b, dy, stride)


def channel_sums(trace: ConvPixelTrace) -> np.ndarray:
    """Σ_{u,v} x_c[window] · w_c for each input channel c of one output pixel: (C_g,). Their sum plus the
    bias is the pixel (LeCun et al. 1998 §II.A)."""
    return trace.products.sum(axis=(1, 2))  # (C_g,)


def _unit_stride(w: np.ndarray, dy: np.ndarray, x_hw: tuple[int, int]) -> None:
    k_h, k_w = w.shape[-2:]
    if dy.shape[-2:] != (x_hw[0] - k_h + 1, x_hw[1] - k_w + 1):
        raise ValueError(f"δ {dy.shape} is not the unit-stride, unpadded output of {x_hw} with {w.shape}")


def flipped_kernel(w: np.ndarray) -> np.ndarray:
    """rot180 of every kernel slice, as the full convolution reads it: (C_in, C_out, kH, kW)."""
    return w[:, :, ::-1, ::-1].transpose(1, 0, 2, 3).copy()  # (C_in, C_out, kH, kW)


def padded_grad(dy: np.ndarray, kernel: tuple[int, int]) -> np.ndarray:
    """δ padded by k − 1 zeros on every side: the input of the full convolution, (N, C_out, Ho+2kH−2, …)."""
    ph, pw = kernel[0] - 1, kernel[1] - 1
    return np.pad(dy, ((0, 0), (0, 0), (ph, ph), (pw, pw)))  # (N, C_out, Ho + 2ph, Wo + 2pw)


def input_grad_full(dy: np.ndarray, w: np.ndarray, x_hw: tuple[int, int]) -> np.ndarray:
    """∂L/∂x_c = Σ_o pad_{k−1}(δ_o) ⋆ rot180(w[o, c]) (Dumoulin & Visin 2016 §4.1), unit stride, no
    padding, one group. Returns (N, C_in, H, W)."""
    _unit_stride(w, dy, x_hw)
    return conv2d(padded_grad(dy, w.shape[-2:]), flipped_kernel(w)).out  # (N, C_in, H, W)


def input_grad_pixel(
    dy: np.ndarray, w: np.ndarray, x_hw: tuple[int, int], c: int, r: int, q: int
) -> ConvPixelTrace:
    """One entry ∂L/∂x[0, c, r, q] of the full convolution: the window of padded δ, the flipped kernel,
    their products and sum (the ``o`` of the trace is the input channel c)."""
    _unit_stride(w, dy, x_hw)
    return conv2d_pixel(padded_grad(dy, w.shape[-2:]), flipped_kernel(w), None, 0, c, r, q)


def weight_grad(x: np.ndarray, dy: np.ndarray) -> np.ndarray:
    """∂L/∂w[o, c] = Σ_n x[n, c] ⋆ δ[n, o]: the input correlated with δ (unit stride, no padding).
    Returns (C_out, C_in, kH, kW)."""
    # batch and channels swap roles: the input channels become the "images", δ's channels the "kernels"
    return conv2d(x.transpose(1, 0, 2, 3), dy.transpose(1, 0, 2, 3)).out.transpose(1, 0, 2, 3)


def weight_grad_pixel(x: np.ndarray, dy: np.ndarray, o: int, c: int, u: int, v: int) -> ConvPixelTrace:
    """One entry ∂L/∂w[o, c, u, v]: the window of x_c at offset (u, v) (δ's size), δ_o, their products."""
    return conv2d_pixel(x.transpose(1, 0, 2, 3), dy.transpose(1, 0, 2, 3), None, c, o, u, v)


def bias_grad(dy: np.ndarray) -> np.ndarray:
    """∂L/∂b[o] = Σ_{n,i,j} δ[n, o, i, j]: (C_out,)."""
    return dy.sum(axis=(0, 2, 3))  # (C_out,)
