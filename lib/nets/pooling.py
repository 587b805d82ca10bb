"""Max and average pooling in 2-D, forward (with the argmax of every window) and backward.

Max pooling as in Ranzato et al. 2007 and Jarrett et al. 2009 ("What is the best multi-stage architecture
for object recognition?", §2, max / average "subsampling"); average pooling is LeCun et al. 1998's
subsampling layer without its trainable scale. Window arithmetic as for convolution
(Dumoulin & Visin 2016, Relationship 15); layouts and padding rules follow
``torch.nn.functional.max_pool2d`` (pads with −∞) and ``avg_pool2d`` (pads with 0, ``count_include_pad``).
``ceil_mode`` and ``divisor_override`` are not supported.

    max:  y[n, c, i, j] = max_{u,v} x_pad[n, c, s_h i + d_h u, s_w j + d_w v]
    avg:  y[n, c, i, j] = (1/|window|) Σ_{u,v} x_pad[n, c, s_h i + u, s_w j + v]

Backward: max routes δ to the argmax of each window (summing where windows overlap); average spreads
δ/|window| over the window. ``*_ref`` functions are the plain loops the tests compare the fast ones to.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lib.nets.conv import Pair, as_pair, fold_windows, sliding_windows


@dataclass(frozen=True)
class MaxPool2dResult:
    """Max pooling with each window's winner, in the same flat-index convention as torch's return_indices."""

    windows: np.ndarray  # (N, C, kH, kW, H_out, W_out)  the (−∞-padded) window under each output
    out: np.ndarray  # (N, C, H_out, W_out)
    argmax_rows: np.ndarray  # (N, C, H_out, W_out)  input row of the winner (unpadded coordinates)
    argmax_cols: np.ndarray  # (N, C, H_out, W_out)  input column of the winner
    indices: np.ndarray  # (N, C, H_out, W_out)  row · W + col, as F.max_pool2d(return_indices=True)
    input_shape: tuple[int, int, int, int]
    kernel_size: tuple[int, int]
    stride: tuple[int, int]
    padding: tuple[int, int]
    dilation: tuple[int, int]


@dataclass(frozen=True)
class AvgPool2dResult:
    """Average pooling with the zero-padded windows and the divisor used for every output."""

    windows: np.ndarray  # (N, C, kH, kW, H_out, W_out)  the zero-padded window under each output
    counts: np.ndarray  # (H_out, W_out)  divisor: kH·kW, or the in-bounds count if not count_include_pad
    out: np.ndarray  # (N, C, H_out, W_out)
    input_shape: tuple[int, int, int, int]
    kernel_size: tuple[int, int]
    stride: tuple[int, int]
    padding: tuple[int, int]


def _check_padding(kernel: tuple[int, int], padding: tuple[int, int]) -> None:
    if padding[0] > kernel[0] // 2 or padding[1] > kernel[1] // 2:
        raise ValueError(f"padding {padding} must be at most half the kernel {kernel} (as in torch)")


def _pad(x: np.ndarray, padding: tuple[int, int], value: float) -> np.ndarray:
    ph, pw = padding
    return np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=value)  # (N, C, Hp, Wp)


def max_pool2d(
    x: np.ndarray, kernel_size: Pair, stride: Pair | None = None, padding: Pair = 0, dilation: Pair = 1
) -> MaxPool2dResult:
    """Max pooling (Jarrett et al. 2009 §2): y = max over each (dilated) window; records the argmax.

    Ties go to the first maximum in row-major window order, as in torch's CPU kernel.
    """
    k = as_pair(kernel_size)
    s = k if stride is None else as_pair(stride)
    p, d = as_pair(padding), as_pair(dilation)
    _check_padding(k, p)
    n, c, h, w = x.shape
    windows = sliding_windows(_pad(x, p, -np.inf), k, s, d)  # (N, C, kH, kW, Ho, Wo)
    ho, wo = windows.shape[-2:]
    flat = windows.reshape(n, c, k[0] * k[1], ho, wo)  # (N, C, kH·kW, Ho, Wo)
    best = flat.argmax(axis=2)  # (N, C, Ho, Wo)  first maximum in row-major order
    out = np.take_along_axis(flat, best[:, :, None], axis=2)[:, :, 0]  # (N, C, Ho, Wo)
    u, v = np.divmod(best, k[1])  # (N, C, Ho, Wo) each
    rows = s[0] * np.arange(ho)[:, None] + d[0] * u - p[0]  # (N, C, Ho, Wo)
    cols = s[1] * np.arange(wo)[None, :] + d[1] * v - p[1]  # (N, C, Ho, Wo)
    return MaxPool2dResult(windows, out, rows, cols, rows * w + cols, (n, c, h, w), k, s, p, d)


def max_pool2d_backward(res: MaxPool2dResult, dy: np.ndarray) -> np.ndarray:
    """∂L/∂x[n, c, r, q] = Σ_{(i,j): argmax(i,j) = (r,q)} δ[n, c, i, j]: only the winners get gradient."""
    n, c, h, w = res.input_shape
    dx = np.zeros((n, c, h * w))  # (N, C, H·W)
    nn, cc = np.meshgrid(np.arange(n), np.arange(c), indexing="ij")  # (N, C) each
    flat_idx = res.indices.reshape(n, c, -1)  # (N, C, Ho·Wo)
    np.add.at(dx, (nn[..., None], cc[..., None], flat_idx), dy.reshape(n, c, -1))  # (N, C, H·W)
    return dx.reshape(n, c, h, w)  # (N, C, H, W)


def avg_pool2d(
    x: np.ndarray,
    kernel_size: Pair,
    stride: Pair | None = None,
    padding: Pair = 0,
    count_include_pad: bool = True,
) -> AvgPool2dResult:
    """Average pooling (LeCun et al. 1998 §II.B subsampling, without the trainable coefficient).

    y = Σ window / count, count = kH·kW (count_include_pad) or the number of in-bounds taps.
    """
    k = as_pair(kernel_size)
    s = k if stride is None else as_pair(stride)
    p = as_pair(padding)
    _check_padding(k, p)
    n, c, h, w = x.shape
    windows = sliding_windows(_pad(x, p, 0.0), k, s, (1, 1))  # (N, C, kH, kW, Ho, Wo)
    if count_include_pad:
        counts = np.full(windows.shape[-2:], float(k[0] * k[1]))  # (Ho, Wo)
    else:
        ones = _pad(np.ones((1, 1, h, w)), p, 0.0)  # (1, 1, Hp, Wp)
        counts = sliding_windows(ones, k, s, (1, 1))[0, 0].sum(axis=(0, 1))  # (Ho, Wo)
    out = windows.sum(axis=(2, 3)) / counts  # (N, C, Ho, Wo)
    return AvgPool2dResult(windows, counts, out, (n, c, h, w), k, s, p)


def avg_pool2d_backward(res: AvgPool2dResult, dy: np.ndarray) -> np.ndarray:
    """∂L/∂x = col2im(δ / count broadcast over every window tap), cropped to the unpadded input."""
    n, c, h, w = res.input_shape
    (kh, kw), (ph, pw) = res.kernel_size, res.padding
    share = dy / res.counts  # (N, C, Ho, Wo)
    dcols = np.broadcast_to(
        share[:, :, None, None], (n, c, kh, kw, *share.shape[2:])
    )  # (N, C, kH, kW, Ho, Wo)
    dx_pad = fold_windows(dcols, (h + 2 * ph, w + 2 * pw), res.stride, (1, 1))  # (N, C, Hp, Wp)
    return dx_pad[:, :, ph : ph + h, pw : pw + w]  # (N, C, H, W)


def pool2d_ref(
    x: np.ndarray,
    dy: np.ndarray,
    mode: str,
    kernel_size: Pair,
    stride: Pair | None = None,
    padding: Pair = 0,
    dilation: Pair = 1,
    count_include_pad: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """Plain loops over output pixels for mode 'max' or 'avg'; returns (y, ∂L/∂x given δ = dy)."""
    (kh, kw) = as_pair(kernel_size)
    sh, sw = (kh, kw) if stride is None else as_pair(stride)
    (ph, pw), (dh, dw) = as_pair(padding), as_pair(dilation)
    n_b, c_b, h, w = x.shape
    ho, wo = dy.shape[2:]
    y = np.zeros((n_b, c_b, ho, wo))  # (N, C, Ho, Wo)
    dx = np.zeros_like(x)  # (N, C, H, W)
    for n in range(n_b):
        for c in range(c_b):
            for i in range(ho):
                for j in range(wo):
                    taps = [
                        (sh * i + dh * u - ph, sw * j + dw * v - pw) for u in range(kh) for v in range(kw)
                    ]
                    inside = [(r, q) for r, q in taps if 0 <= r < h and 0 <= q < w]
                    if mode == "max":
                        r, q = max(inside, key=lambda rq: x[n, c, rq[0], rq[1]])  # first max wins
                        y[n, c, i, j] = x[n, c, r, q]
                        dx[n, c, r, q] += dy[n, c, i, j]
                    else:
                        count = len(taps) if count_include_pad else len(inside)
                        y[n, c, i, j] = sum(x[n, c, r, q] for r, q in inside) / count
                        for r, q in inside:
                            dx[n, c, r, q] += dy[n, c, i, j] / count
    return y, dx
