"""2-D convolution (cross-correlation, as every deep-learning library computes it), forward and backward.

LeCun et al. 1998, "Gradient-Based Learning Applied to Document Recognition", §II.A (convolutional layers),
with the hyper-parameters of Dumoulin & Visin 2016, "A guide to convolution arithmetic for deep learning"
(stride, zero padding, dilation: Relationship 15, ``lib.core.shapes.conv_output_size``) and the grouped
convolution of Krizhevsky et al. 2012 §3.5. Layouts follow ``torch.nn.functional.conv2d``:
x (N, C_in, H, W), w (C_out, C_in/groups, kH, kW), b (C_out,), y (N, C_out, H_out, W_out).

    y[n, o, i, j] = b[o] + Σ_{c, u, v} w[o, c, u, v] · x_pad[n, g(o)·C_g + c, s_h i + d_h u, s_w j + d_w v]

``conv2d`` is the fast (im2col + einsum) version; ``conv2d_ref`` and ``conv2d_backward_ref`` are the
plain loops over output pixels that the tests hold it against; ``conv2d_pixel`` is one pixel's story.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lib.core.shapes import conv_output_size

Pair = int | tuple[int, int]


def as_pair(v: Pair) -> tuple[int, int]:
    return (v, v) if isinstance(v, int) else (int(v[0]), int(v[1]))


def sliding_windows(
    x_pad: np.ndarray, kernel: tuple[int, int], stride: tuple[int, int], dilation: tuple[int, int]
) -> np.ndarray:
    """im2col: every kernel tap's view of a padded input, cols[n, c, u, v, i, j] = x_pad[n, c, s i + d u, …].

    Shared with pooling. Returns a fresh array of shape (N, C, kH, kW, H_out, W_out).
    """
    (kh, kw), (sh, sw), (dh, dw) = kernel, stride, dilation
    n, c, hp, wp = x_pad.shape
    ho = conv_output_size(hp, kh, sh, 0, dh)
    wo = conv_output_size(wp, kw, sw, 0, dw)
    cols = np.empty((n, c, kh, kw, ho, wo), dtype=x_pad.dtype)  # (N, C, kH, kW, Ho, Wo)
    for u in range(kh):
        for v in range(kw):
            r0, c0 = u * dh, v * dw
            rows, cols_ = slice(r0, r0 + sh * (ho - 1) + 1, sh), slice(c0, c0 + sw * (wo - 1) + 1, sw)
            cols[:, :, u, v] = x_pad[:, :, rows, cols_]  # (N, C, Ho, Wo)
    return cols


def fold_windows(
    cols: np.ndarray, padded_hw: tuple[int, int], stride: tuple[int, int], dilation: tuple[int, int]
) -> np.ndarray:
    """col2im, the adjoint of ``sliding_windows``: scatter-add every tap back to where it was read from."""
    n, c, kh, kw, ho, wo = cols.shape
    (sh, sw), (dh, dw) = stride, dilation
    out = np.zeros((n, c, *padded_hw), dtype=cols.dtype)  # (N, C, Hp, Wp)
    for u in range(kh):
        for v in range(kw):
            r0, c0 = u * dh, v * dw
            rows, cols_ = slice(r0, r0 + sh * (ho - 1) + 1, sh), slice(c0, c0 + sw * (wo - 1) + 1, sw)
            out[:, :, rows, cols_] += cols[:, :, u, v]  # (N, C, Ho, Wo)
    return out


@dataclass(frozen=True)
class Conv2dResult:
    """Forward pass with the intermediates a scene (and the backward pass) needs."""

    x_pad: np.ndarray  # (N, C_in, H + 2p_h, W + 2p_w)  zero-padded input
    cols: np.ndarray  # (N, C_in, kH, kW, H_out, W_out)  the input patch seen by every output pixel
    out: np.ndarray  # (N, C_out, H_out, W_out)
    stride: tuple[int, int]
    padding: tuple[int, int]
    dilation: tuple[int, int]
    groups: int


@dataclass(frozen=True)
class Conv2dGrads:
    """∂L/∂x, ∂L/∂w, ∂L/∂b given ∂L/∂y."""

    dx: np.ndarray  # (N, C_in, H, W)
    dw: np.ndarray  # (C_out, C_in/groups, kH, kW)
    db: np.ndarray  # (C_out,)


@dataclass(frozen=True)
class ConvPixelTrace:
    """One output pixel y[n, o, i, j]: the patch it reads, the kernel, their products and the sum + bias."""

    n: int
    o: int
    i: int
    j: int
    group: int
    in_channels: tuple[int, ...]  # input channels of this group
    rows: np.ndarray  # (kH,)  input rows read (unpadded coordinates; < 0 or ≥ H means zero padding)
    cols: np.ndarray  # (kW,)  input columns read
    patch: np.ndarray  # (C_in/groups, kH, kW)
    kernel: np.ndarray  # (C_in/groups, kH, kW)
    products: np.ndarray  # (C_in/groups, kH, kW)  patch ⊙ kernel
    total: float  # Σ products
    bias: float
    value: float  # total + bias = y[n, o, i, j]


def _check(x: np.ndarray, w: np.ndarray, groups: int) -> None:
    if x.ndim != 4 or w.ndim != 4:
        raise ValueError(f"expected x (N, C, H, W) and w (O, C/g, kH, kW), got {x.shape} and {w.shape}")
    if x.shape[1] % groups or w.shape[0] % groups or x.shape[1] // groups != w.shape[1]:
        raise ValueError(f"channels {x.shape[1]} → {w.shape[0]} with w {w.shape} do not fit groups={groups}")


def _pad(x: np.ndarray, padding: tuple[int, int]) -> np.ndarray:
    ph, pw = padding
    return np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))  # (N, C, H + 2ph, W + 2pw)


def conv2d(
    x: np.ndarray,
    w: np.ndarray,
    b: np.ndarray | None = None,
    stride: Pair = 1,
    padding: Pair = 0,
    dilation: Pair = 1,
    groups: int = 1,
) -> Conv2dResult:
    """Convolutional layer forward (LeCun et al. 1998 §II.A; grouped as in Krizhevsky et al. 2012 §3.5).

    y[n, o, i, j] = b[o] + Σ_{c,u,v} w[o, c, u, v] · x_pad[n, g·C_g + c, s_h i + d_h u, s_w j + d_w v].
    """
    _check(x, w, groups)
    stride, padding, dilation = as_pair(stride), as_pair(padding), as_pair(dilation)
    n, c_in, _, _ = x.shape
    c_out, c_g, kh, kw = w.shape
    x_pad = _pad(x, padding)  # (N, C_in, Hp, Wp)
    cols = sliding_windows(x_pad, (kh, kw), stride, dilation)  # (N, C_in, kH, kW, Ho, Wo)
    ho, wo = cols.shape[-2:]
    cols_g = cols.reshape(n, groups, c_g, kh, kw, ho, wo)  # (N, G, C_g, kH, kW, Ho, Wo)
    w_g = w.reshape(groups, c_out // groups, c_g, kh, kw)  # (G, O_g, C_g, kH, kW)
    out = np.einsum("ngcuvij,gocuv->ngoij", cols_g, w_g).reshape(n, c_out, ho, wo)  # (N, C_out, Ho, Wo)
    if b is not None:
        out = out + b[None, :, None, None]  # (N, C_out, Ho, Wo)
    return Conv2dResult(x_pad, cols, out, stride, padding, dilation, groups)


def conv2d_pixel(
    x: np.ndarray,
    w: np.ndarray,
    b: np.ndarray | None,
    n: int,
    o: int,
    i: int,
    j: int,
    stride: Pair = 1,
    padding: Pair = 0,
    dilation: Pair = 1,
    groups: int = 1,
) -> ConvPixelTrace:
    """One output pixel of the convolution sum above, term by term (LeCun et al. 1998 §II.A)."""
    _check(x, w, groups)
    (sh, sw), (ph, pw), (dh, dw) = as_pair(stride), as_pair(padding), as_pair(dilation)
    c_out, c_g, kh, kw = w.shape
    h_out = conv_output_size(x.shape[2], kh, sh, ph, dh)
    w_out = conv_output_size(x.shape[3], kw, sw, pw, dw)
    if not (0 <= i < h_out and 0 <= j < w_out):
        raise IndexError(f"output pixel ({i}, {j}) outside {h_out}×{w_out}")
    g = o // (c_out // groups)
    chans = tuple(range(g * c_g, (g + 1) * c_g))
    rows = sh * i + dh * np.arange(kh) - ph  # (kH,)
    cols = sw * j + dw * np.arange(kw) - pw  # (kW,)
    x_pad = _pad(x[n : n + 1, list(chans)], (ph, pw))[0]  # (C_g, Hp, Wp)
    patch = x_pad[:, (rows + ph)[:, None], (cols + pw)[None, :]]  # (C_g, kH, kW)
    kernel = w[o]  # (C_g, kH, kW)
    products = patch * kernel  # (C_g, kH, kW)
    total = float(products.sum())
    bias = 0.0 if b is None else float(b[o])
    return ConvPixelTrace(
        n, o, i, j, g, chans, rows, cols, patch, kernel, products, total, bias, total + bias
    )


def conv2d_ref(
    x: np.ndarray,
    w: np.ndarray,
    b: np.ndarray | None = None,
    stride: Pair = 1,
    padding: Pair = 0,
    dilation: Pair = 1,
    groups: int = 1,
) -> np.ndarray:
    """Plain loop over output pixels (reference for ``conv2d``). Returns y (N, C_out, H_out, W_out)."""
    (sh, sw), (ph, pw), (dh, dw) = as_pair(stride), as_pair(padding), as_pair(dilation)
    n_b, _, h, wd = x.shape
    c_out, c_g, kh, kw = w.shape
    ho, wo = conv_output_size(h, kh, sh, ph, dh), conv_output_size(wd, kw, sw, pw, dw)
    x_pad = _pad(x, (ph, pw))  # (N, C_in, Hp, Wp)
    out = np.zeros((n_b, c_out, ho, wo))  # (N, C_out, Ho, Wo)
    o_g = c_out // groups
    for n in range(n_b):
        for o in range(c_out):
            c0 = (o // o_g) * c_g
            for i in range(ho):
                for j in range(wo):
                    acc = 0.0 if b is None else float(b[o])
                    for c in range(c_g):
                        for u in range(kh):
                            for v in range(kw):
                                acc += w[o, c, u, v] * x_pad[n, c0 + c, sh * i + dh * u, sw * j + dw * v]
                    out[n, o, i, j] = acc
    return out


def conv2d_backward(res: Conv2dResult, w: np.ndarray, dy: np.ndarray) -> Conv2dGrads:
    """Backward pass of ``conv2d`` (LeCun et al. 1998 §II.A; Dumoulin & Visin 2016 §4, transposed conv).

    ∂L/∂b[o] = Σ_{n,i,j} δ[n,o,i,j];
    ∂L/∂w[o,c,u,v] = Σ_{n,i,j} δ[n,o,i,j] · x_pad[n, g·C_g+c, s i + d u, s j + d v];
    ∂L/∂x = col2im(Σ_o w[o] δ[o]) cropped to the unpadded input — the transposed convolution of δ with w.
    """
    n, c_in, kh, kw, ho, wo = res.cols.shape
    c_out, c_g, _, _ = w.shape
    g = res.groups
    dy_g = dy.reshape(n, g, c_out // g, ho, wo)  # (N, G, O_g, Ho, Wo)
    cols_g = res.cols.reshape(n, g, c_g, kh, kw, ho, wo)  # (N, G, C_g, kH, kW, Ho, Wo)
    w_g = w.reshape(g, c_out // g, c_g, kh, kw)  # (G, O_g, C_g, kH, kW)
    db = dy.sum(axis=(0, 2, 3))  # (C_out,)
    dw = np.einsum("ngoij,ngcuvij->gocuv", dy_g, cols_g).reshape(w.shape)  # (C_out, C_g, kH, kW)
    dcols = np.einsum("ngoij,gocuv->ngcuvij", dy_g, w_g).reshape(res.cols.shape)  # (N, C_in, kH, kW, Ho, Wo)
    dx_pad = fold_windows(dcols, res.x_pad.shape[2:], res.stride, res.dilation)  # (N, C_in, Hp, Wp)
    ph, pw = res.padding
    dx = dx_pad[:, :, ph : dx_pad.shape[2] - ph, pw : dx_pad.shape[3] - pw]  # (N, C_in, H, W)
    return Conv2dGrads(dx, dw, db)


def conv2d_backward_ref(
    x: np.ndarray,
    w: np.ndarray,
    dy: np.ndarray,
    stride: Pair = 1,
    padding: Pair = 0,
    dilation: Pair = 1,
    groups: int = 1,
) -> Conv2dGrads:
    """Plain loops: every output pixel sends δ·w back to its patch and δ·patch to the kernel."""
    (sh, sw), (ph, pw), (dh, dw) = as_pair(stride), as_pair(padding), as_pair(dilation)
    n_b, _, h, wd = x.shape
    c_out, c_g, kh, kw = w.shape
    x_pad = _pad(x, (ph, pw))  # (N, C_in, Hp, Wp)
    dx_pad = np.zeros_like(x_pad)  # (N, C_in, Hp, Wp)
    dwt = np.zeros_like(w)  # (C_out, C_g, kH, kW)
    db = np.zeros(c_out)  # (C_out,)
    o_g = c_out // groups
    for n in range(n_b):
        for o in range(c_out):
            c0 = (o // o_g) * c_g
            for i in range(dy.shape[2]):
                for j in range(dy.shape[3]):
                    d = dy[n, o, i, j]
                    db[o] += d
                    r = slice(sh * i, sh * i + dh * (kh - 1) + 1, dh)
                    c = slice(sw * j, sw * j + dw * (kw - 1) + 1, dw)
                    dwt[o] += d * x_pad[n, c0 : c0 + c_g, r, c]  # (C_g, kH, kW)
                    dx_pad[n, c0 : c0 + c_g, r, c] += d * w[o]  # (C_g, kH, kW)
    return Conv2dGrads(dx_pad[:, :, ph : ph + h, pw : pw + wd], dwt, db)
