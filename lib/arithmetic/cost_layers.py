"""Cost of single layers: parameters, multiply-accumulates (MACs), FLOPs and activation memory.

Counting conventions (used by every function here and in ``lib/arithmetic/cost_models.py``):

* ``macs`` counts only the multiply-accumulates of matrix products and convolutions — exactly the work
  ``torch.utils.flop_counter.FlopCounterMode`` sees (it counts ``mm``, ``addmm``, ``bmm`` and ``convolution``
  as 2 FLOPs per MAC and ignores bias additions and all elementwise ops). So ``LayerCost.matmul_flops``
  (= 2·macs) is comparable to FlopCounterMode exactly.
* ``flops`` is the *total*: 2·macs + elementwise FLOPs. Elementwise work (bias adds, activations, norms,
  softmax, gates, scan updates) counts one FLOP per arithmetic op (add, sub, mul, div, neg, comparison)
  per element, with each transcendental (exp, log, tanh, erf, sqrt) counted as one op. Elementwise counts
  are a convention, not a measurement (``FlopCounterMode`` sees none of them);
  ``LayerCost.elementwise_flops`` isolates them. In detail:

  - activations: the ops of the textbook formula, per element (``ELEMENTWISE_FLOPS``): ReLU max(x, 0) 1;
    sigmoid 1/(1 + exp(−x)) 4; SiLU x·σ(x) 5; tanh 1; softplus log(1 + exp(x)) 3; GELU ½·x·(1 + erf(x/√2))
    5; its tanh form ½·x·(1 + tanh(√(2/π)(x + 0.044715·x³))) 9.
  - bias: one add per output element (Linear, Conv); none at all when ``bias=False``.
  - pooling: exact per output window of k_h·k_w taps: max pooling k_h·k_w − 1 comparisons, average
    pooling k_h·k_w − 1 adds and 1 divide. The whole window counts, also where it covers padding or runs
    past the input (``ceil_mode``).
  - norms: per element, normalising costs LayerNorm 5 (mean add, centre, square, variance add, scale),
    RMSNorm 3 (square, mean add, scale), eval-mode BatchNorm 2 (one folded multiply-add); the affine part
    adds 1 for γ (mul) and 1 for β (add) where the layer has them. A row statistic is counted as one op per
    element it reads: the one or two ops per row by which an exact count differs (the first term of a sum,
    the division by n, ε, the square root) are ignored — unlike the small windows of pooling, counted exactly.
  - softmax: 5 per element (max, subtract, exp, sum, divide), with the same per-row rounding.
* ``activation_elems`` counts the elements of every tensor a layer's forward pass produces (its output
  and, for composite layers, the named intermediates). Multiply by the dtype size for bytes.
* ``params`` counts learnable parameters, as ``sum(p.numel() for p in module.parameters())``
  (buffers such as BatchNorm's running statistics are not parameters).

Shapes follow PyTorch (``N, C, H, W`` for images, ``*, features`` for Linear); output sizes of convolutions
and pools are the formulas in the ``torch.nn.Conv2d`` / ``MaxPool2d`` documentation.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from lib.core.shapes import conv_output_size

# FLOPs per element, counting each arithmetic op (and each transcendental) once.
ELEMENTWISE_FLOPS: dict[str, int] = {
    "relu": 1,  # max(x, 0)
    "gelu": 5,  # 0.5·x·(1 + erf(x/√2)): div, erf, add, mul, mul
    # 0.5·x·(1 + tanh(√(2/π)(x + 0.044715·x³))): x³ (2 mul), ·c, +x, ·√(2/π), tanh, +1, ·x, ·½
    "gelu_tanh": 9,
    "sigmoid": 4,  # 1/(1 + exp(−x)): neg, exp, add, div
    "silu": 5,  # x·sigmoid(x)
    "tanh": 1,
    "softplus": 3,  # log(1 + exp(x)): exp, add, log
    "softmax": 5,  # max, sub, exp, sum, div
    "layernorm": 5,  # mean (add), centre (sub), square, var (add), scale by rsqrt (mul)
    "rmsnorm": 3,  # square, mean (add), scale by rsqrt (mul)
    "batchnorm": 2,  # eval mode, folded: x·(γ/σ) + (β − μγ/σ)
    "scale": 1,  # ·γ (a norm's elementwise weight)
    "shift": 1,  # + β (a norm's elementwise bias)
}


@dataclass(frozen=True)
class LayerCost:
    """Cost of one layer (or a block of ``parts``); see the module docstring for what each number counts.

    macs: matmul/conv multiply-accumulates; flops: total = 2·macs + elementwise FLOPs.
    """

    name: str
    params: int
    macs: int
    flops: int
    activation_elems: int
    output_shape: tuple[int, ...]
    parts: tuple[LayerCost, ...] = ()

    @property
    def matmul_flops(self) -> int:
        """2·MACs: the FLOPs ``FlopCounterMode`` reports (matmuls and convolutions only)."""
        return 2 * self.macs

    @property
    def elementwise_flops(self) -> int:
        """FLOPs outside matmuls/convolutions (bias adds, activations, norms, softmax, scans)."""
        return self.flops - 2 * self.macs

    def activation_bytes(self, dtype_bytes: int = 4) -> int:
        """Forward activation memory in bytes at ``dtype_bytes`` per element (4 = fp32)."""
        return self.activation_elems * dtype_bytes

    def param_bytes(self, dtype_bytes: int = 4) -> int:
        """Parameter memory in bytes at ``dtype_bytes`` per element."""
        return self.params * dtype_bytes

    def part(self, name: str) -> LayerCost:
        """The direct part called ``name`` (raises KeyError if there is none)."""
        for p in self.parts:
            if p.name == name:
                return p
        raise KeyError(f"{self.name} has no part {name!r}; parts: {[p.name for p in self.parts]}")

    def scaled(self, times: int, name: str | None = None) -> LayerCost:
        """The layer applied ``times`` times with shared weights: compute, activations scale; params don't."""
        return LayerCost(
            name or self.name,
            self.params,
            self.macs * times,
            self.flops * times,
            self.activation_elems * times,
            self.output_shape,
            self.parts,
        )


def combine(
    name: str,
    parts: Sequence[LayerCost],
    output_shape: tuple[int, ...] | None = None,
    extra_flops: int = 0,
    extra_activation: int = 0,
) -> LayerCost:
    """Sum ``parts`` into one LayerCost (output shape of the last part unless given).

    ``extra_flops`` / ``extra_activation`` add elementwise work and tensors not owned by any part
    (e.g. residual additions).
    """
    parts = tuple(parts)
    return LayerCost(
        name=name,
        params=sum(p.params for p in parts),
        macs=sum(p.macs for p in parts),
        flops=sum(p.flops for p in parts) + extra_flops,
        activation_elems=sum(p.activation_elems for p in parts) + extra_activation,
        output_shape=output_shape if output_shape is not None else parts[-1].output_shape,
        parts=parts,
    )


def _pair(v: int | Sequence[int], what: str) -> tuple[int, int]:
    if isinstance(v, int):
        return (v, v)
    t = tuple(v)
    if len(t) != 2 or not all(isinstance(i, int) for i in t):
        raise ValueError(f"{what} must be an int or a pair of ints, got {v!r}")
    return t[0], t[1]


def require_positive(**kw: int) -> None:
    for k, v in kw.items():
        if not isinstance(v, int) or isinstance(v, bool) or v <= 0:
            raise ValueError(f"{k} must be a positive int, got {v!r}")


def elementwise_cost(name: str, input_shape: tuple[int, ...], flops_per_elem: int) -> LayerCost:
    """A parameter-free elementwise op (activation, gate, residual add): output shape = input shape."""
    n = math.prod(input_shape)
    return LayerCost(name, 0, 0, flops_per_elem * n, n, tuple(input_shape))


def activation_cost(kind: str, input_shape: tuple[int, ...], name: str | None = None) -> LayerCost:
    """ReLU / GELU / SiLU / sigmoid / tanh / softplus: ``ELEMENTWISE_FLOPS[kind]`` FLOPs per element."""
    if kind not in ELEMENTWISE_FLOPS:
        raise ValueError(f"unknown activation {kind!r}; known: {sorted(ELEMENTWISE_FLOPS)}")
    return elementwise_cost(name or kind, input_shape, ELEMENTWISE_FLOPS[kind])


def linear_cost(
    in_features: int, out_features: int, input_shape: tuple[int, ...], bias: bool = True, name: str = "Linear"
) -> LayerCost:
    """y = x Wᵀ + b on x of shape (*, in): MACs = N·in·out with N = ∏(*); bias adds N·out FLOPs (0 without).

    params = in·out (+ out with bias).
    """
    require_positive(in_features=in_features, out_features=out_features)
    if not input_shape or input_shape[-1] != in_features:
        raise ValueError(f"{name} expects input (..., {in_features}), got {list(input_shape)}")
    n = math.prod(input_shape[:-1])
    out_shape = (*input_shape[:-1], out_features)
    macs = n * in_features * out_features
    return LayerCost(
        name=name,
        params=in_features * out_features + (out_features if bias else 0),
        macs=macs,
        flops=2 * macs + (n * out_features if bias else 0),
        activation_elems=n * out_features,
        output_shape=out_shape,
    )


def conv2d_cost(
    in_channels: int,
    out_channels: int,
    kernel_size: int | Sequence[int],
    input_shape: tuple[int, ...],
    stride: int | Sequence[int] = 1,
    padding: int | Sequence[int] | str = 0,
    dilation: int | Sequence[int] = 1,
    groups: int = 1,
    bias: bool = True,
    name: str = "Conv2d",
) -> LayerCost:
    """2-D convolution on (N, C, H, W) or (C, H, W).

    MACs = N·C_out·H_out·W_out·(C_in/groups)·k_h·k_w; params = C_out·(C_in/groups)·k_h·k_w (+ C_out bias).
    Elementwise FLOPs: one bias add per output element, none when ``bias=False``.
    ``padding`` may be an int, a pair, "valid" or "same" (stride 1 only, as in torch).
    """
    require_positive(in_channels=in_channels, out_channels=out_channels, groups=groups)
    if in_channels % groups or out_channels % groups:
        raise ValueError(
            f"in_channels {in_channels} and out_channels {out_channels} must divide by groups {groups}"
        )
    kh, kw = _pair(kernel_size, "kernel_size")
    sh, sw = _pair(stride, "stride")
    dh, dw = _pair(dilation, "dilation")
    require_positive(kernel_h=kh, kernel_w=kw, stride_h=sh, stride_w=sw, dilation_h=dh, dilation_w=dw)
    if len(input_shape) not in (3, 4) or input_shape[-3] != in_channels:
        raise ValueError(f"{name} expects input (N, {in_channels}, H, W), got {list(input_shape)}")
    h, w = input_shape[-2:]
    if padding == "valid":
        ph = pw = 0
    elif padding == "same":
        if (sh, sw) != (1, 1):
            raise ValueError("padding='same' needs stride 1")
        h_out, w_out = h, w
    else:
        ph, pw = _pair(padding, "padding")  # type: ignore[arg-type]
    if padding != "same":
        h_out, w_out = conv_output_size(h, kh, sh, ph, dh), conv_output_size(w, kw, sw, pw, dw)
    out_shape = (*input_shape[:-3], out_channels, h_out, w_out)
    n_out = math.prod(out_shape)
    per_out = (in_channels // groups) * kh * kw
    macs = n_out * per_out
    return LayerCost(
        name=name,
        params=out_channels * per_out + (out_channels if bias else 0),
        macs=macs,
        flops=2 * macs + (n_out if bias else 0),
        activation_elems=n_out,
        output_shape=out_shape,
    )


def conv1d_cost(
    in_channels: int,
    out_channels: int,
    kernel_size: int,
    input_shape: tuple[int, ...],
    stride: int = 1,
    padding: int = 0,
    dilation: int = 1,
    groups: int = 1,
    bias: bool = True,
    name: str = "Conv1d",
) -> LayerCost:
    """1-D convolution on (N, C, L): a Conv2d with a 1×k kernel, MACs = N·C_out·L_out·(C_in/groups)·k."""
    if len(input_shape) not in (2, 3):
        raise ValueError(f"{name} expects input (N, {in_channels}, L), got {list(input_shape)}")
    c = conv2d_cost(
        in_channels,
        out_channels,
        (1, kernel_size),
        (*input_shape[:-1], 1, input_shape[-1]),
        (1, stride),
        (0, padding),
        (1, dilation),
        groups,
        bias,
        name,
    )
    return LayerCost(
        c.name, c.params, c.macs, c.flops, c.activation_elems, (*c.output_shape[:-2], c.output_shape[-1])
    )


def pool2d_cost(
    kind: str,
    kernel_size: int | Sequence[int],
    input_shape: tuple[int, ...],
    stride: int | Sequence[int] | None = None,
    padding: int | Sequence[int] = 0,
    dilation: int | Sequence[int] = 1,
    ceil_mode: bool = False,
    name: str | None = None,
) -> LayerCost:
    """Max or average pooling on (N, C, H, W): no params, no MACs.

    Elementwise FLOPs per output, exactly: k_h·k_w − 1 comparisons (max) or k_h·k_w − 1 adds + 1 divide
    (avg), for the whole window even where it covers padding or runs past the input.
    """
    if kind not in ("max", "avg"):
        raise ValueError(f"pool kind must be 'max' or 'avg', got {kind!r}")
    kh, kw = _pair(kernel_size, "kernel_size")
    sh, sw = _pair(stride if stride is not None else (kh, kw), "stride")
    ph, pw = _pair(padding, "padding")
    dh, dw = _pair(dilation, "dilation")
    require_positive(kernel_h=kh, kernel_w=kw, stride_h=sh, stride_w=sw)
    if len(input_shape) not in (3, 4):
        raise ValueError(f"pooling expects input (N, C, H, W), got {list(input_shape)}")

    def out(size: int, k: int, s: int, p: int, d: int) -> int:
        if 2 * p > k:  # torch's rule: half the kernel size itself, dilation or not
            raise ValueError(f"padding {p} must be at most half the kernel size {k}")
        span = size + 2 * p - d * (k - 1) - 1
        o = (-(-span // s) if ceil_mode else span // s) + 1
        if ceil_mode and (o - 1) * s >= size + p:  # the last window must start inside the input
            o -= 1
        if o <= 0:
            raise ValueError(f"pool kernel {k} does not fit input size {size}")
        return o

    h, w = input_shape[-2:]
    out_shape = (*input_shape[:-2], out(h, kh, sh, ph, dh), out(w, kw, sw, pw, dw))
    n_out = math.prod(out_shape)
    per_out = kh * kw - 1 if kind == "max" else kh * kw
    return LayerCost(name or f"{kind}pool", 0, 0, n_out * per_out, n_out, out_shape)


def layernorm_cost(
    normalized_shape: int | Sequence[int],
    input_shape: tuple[int, ...],
    elementwise_affine: bool = True,
    bias: bool = True,
    name: str = "LayerNorm",
) -> LayerCost:
    """LayerNorm (Ba et al. 2016) over the trailing ``normalized_shape``: params γ (and β) of that shape.

    FLOPs per element: 5 to normalise, + 1 for γ (``elementwise_affine``), + 1 for β (and ``bias``).
    """
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    if tuple(input_shape[len(input_shape) - len(shape) :]) != shape or len(input_shape) < len(shape):
        raise ValueError(f"{name}{list(shape)} does not match the trailing dims of input {list(input_shape)}")
    n, d = math.prod(input_shape), math.prod(shape)
    params = (d + (d if bias else 0)) if elementwise_affine else 0
    per = ELEMENTWISE_FLOPS["layernorm"]
    if elementwise_affine:
        per += ELEMENTWISE_FLOPS["scale"] + (ELEMENTWISE_FLOPS["shift"] if bias else 0)  # γ·x̂ (+ β)
    return LayerCost(name, params, 0, per * n, n, tuple(input_shape))


def rmsnorm_cost(
    d: int, input_shape: tuple[int, ...], elementwise_affine: bool = True, name: str = "RMSNorm"
) -> LayerCost:
    """RMSNorm (Zhang & Sennrich 2019): x / rms(x) · γ over the last dim; params γ (d).

    FLOPs per element: 3 to normalise, + 1 for γ (``elementwise_affine``).
    """
    if not input_shape or input_shape[-1] != d:
        raise ValueError(f"{name}({d}) expects input (..., {d}), got {list(input_shape)}")
    n = math.prod(input_shape)
    per = ELEMENTWISE_FLOPS["rmsnorm"] + (ELEMENTWISE_FLOPS["scale"] if elementwise_affine else 0)
    return LayerCost(name, d if elementwise_affine else 0, 0, per * n, n, tuple(input_shape))


def batchnorm2d_cost(
    num_features: int, input_shape: tuple[int, ...], affine: bool = True, name: str = "BatchNorm2d"
) -> LayerCost:
    """BatchNorm2d (Ioffe & Szegedy 2015) in eval mode; params γ, β (C each); running stats are buffers.

    FLOPs per element: 2 with or without γ, β — in eval mode statistics and affine fold into one
    multiply-add, x·(γ/σ) + (β − μγ/σ).
    """
    if len(input_shape) not in (3, 4) or input_shape[-3] != num_features:
        raise ValueError(
            f"{name}({num_features}) expects input (N, {num_features}, H, W), got {list(input_shape)}"
        )
    n = math.prod(input_shape)
    return LayerCost(
        name, 2 * num_features if affine else 0, 0, ELEMENTWISE_FLOPS["batchnorm"] * n, n, tuple(input_shape)
    )


def embedding_cost(
    num_embeddings: int, embedding_dim: int, input_shape: tuple[int, ...], name: str = "Embedding"
) -> LayerCost:
    """Table lookup: params V·d, no arithmetic; output (*input_shape, d)."""
    require_positive(num_embeddings=num_embeddings, embedding_dim=embedding_dim)
    out_shape = (*input_shape, embedding_dim)
    return LayerCost(name, num_embeddings * embedding_dim, 0, 0, math.prod(out_shape), out_shape)


def flatten_cost(input_shape: tuple[int, ...], start_dim: int = 1, end_dim: int = -1) -> LayerCost:
    """Flatten dims start_dim..end_dim: a view, so no FLOPs and no new activation memory."""
    nd = len(input_shape)
    s, e = start_dim % nd if nd else 0, end_dim % nd if nd else 0
    if nd == 0 or s > e:
        raise ValueError(f"cannot flatten dims {start_dim}..{end_dim} of shape {list(input_shape)}")
    out = (*input_shape[:s], math.prod(input_shape[s : e + 1]), *input_shape[e + 1 :])
    return LayerCost("Flatten", 0, 0, 0, 0, out)
