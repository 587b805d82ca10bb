"""The layers ``lib.arithmetic.report`` understands: one cost builder per ``torch.nn`` class, with its
argument names.

Each builder takes the input shape first, then the layer's constructor arguments exactly as ``torch.nn``
names them (so ``inspect.signature`` can bind a parsed call), and returns a ``lib.arithmetic.cost.LayerCost``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from lib.arithmetic import cost as C

Shape = tuple[int, ...]


class ReportError(ValueError):
    """A problem with the layer string or the input shape, phrased for the command line."""


# ---------------------------------------------------------------- layer builders (torch.nn argument names)


def _no(what: str, **kw: Any) -> None:
    for k, (value, default) in kw.items():
        if value != default:
            raise ReportError(f"{what}: {k}={value!r} is not supported by the cost model")


def _bool(**kw: Any) -> None:
    for k, v in kw.items():
        if not isinstance(v, bool):
            raise ReportError(f"{k} must be True or False, got {v!r}")


def _linear(
    shape: Shape,
    in_features: int,
    out_features: int,
    bias: bool = True,
    device: Any = None,
    dtype: Any = None,
) -> C.LayerCost:
    _bool(bias=bias)
    return C.linear_cost(in_features, out_features, shape, bias, "Linear")


def _conv2d(
    shape: Shape,
    in_channels: int,
    out_channels: int,
    kernel_size: Any,
    stride: Any = 1,
    padding: Any = 0,
    dilation: Any = 1,
    groups: int = 1,
    bias: bool = True,
    padding_mode: str = "zeros",
    device: Any = None,
    dtype: Any = None,
) -> C.LayerCost:
    _bool(bias=bias)
    if padding_mode not in ("zeros", "reflect", "replicate", "circular"):
        raise ReportError(
            f"padding_mode must be 'zeros', 'reflect', 'replicate' or 'circular', got {padding_mode!r}"
        )
    if isinstance(padding, str) and padding not in ("same", "valid"):
        raise ReportError(f"padding must be an int, a pair, 'same' or 'valid', got {padding!r}")
    return C.conv2d_cost(
        in_channels, out_channels, kernel_size, shape, stride, padding, dilation, groups, bias, "Conv2d"
    )


def _maxpool2d(
    shape: Shape,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    dilation: Any = 1,
    return_indices: bool = False,
    ceil_mode: bool = False,
) -> C.LayerCost:
    _bool(return_indices=return_indices, ceil_mode=ceil_mode)
    return C.pool2d_cost("max", kernel_size, shape, stride, padding, dilation, ceil_mode, "MaxPool2d")


def _avgpool2d(
    shape: Shape,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
    divisor_override: int | None = None,
) -> C.LayerCost:
    _bool(ceil_mode=ceil_mode, count_include_pad=count_include_pad)
    return C.pool2d_cost("avg", kernel_size, shape, stride, padding, 1, ceil_mode, "AvgPool2d")


def _batchnorm2d(
    shape: Shape,
    num_features: int,
    eps: float = 1e-5,
    momentum: float | None = 0.1,
    affine: bool = True,
    track_running_stats: bool = True,
    device: Any = None,
    dtype: Any = None,
) -> C.LayerCost:
    _bool(affine=affine, track_running_stats=track_running_stats)
    return C.batchnorm2d_cost(num_features, shape, affine, "BatchNorm2d")


def _layernorm(
    shape: Shape,
    normalized_shape: Any,
    eps: float = 1e-5,
    elementwise_affine: bool = True,
    bias: bool = True,
    device: Any = None,
    dtype: Any = None,
) -> C.LayerCost:
    _bool(elementwise_affine=elementwise_affine, bias=bias)
    return C.layernorm_cost(normalized_shape, shape, elementwise_affine, bias, "LayerNorm")


def _rmsnorm(
    shape: Shape,
    normalized_shape: int,
    eps: float | None = None,
    elementwise_affine: bool = True,
    device: Any = None,
    dtype: Any = None,
) -> C.LayerCost:
    _bool(elementwise_affine=elementwise_affine)
    return C.rmsnorm_cost(normalized_shape, shape, elementwise_affine, "RMSNorm")


def _act(kind: str, name: str) -> Callable[..., C.LayerCost]:
    def build(shape: Shape, inplace: bool = False) -> C.LayerCost:
        _bool(inplace=inplace)
        return C.activation_cost(kind, shape, name)

    return build


def _gelu(shape: Shape, approximate: str = "none") -> C.LayerCost:
    if approximate not in ("none", "tanh"):
        raise ReportError(f"approximate must be 'none' or 'tanh', got {approximate!r}")
    return C.activation_cost("gelu" if approximate == "none" else "gelu_tanh", shape, "GELU")


def _flatten(shape: Shape, start_dim: int = 1, end_dim: int = -1) -> C.LayerCost:
    return C.flatten_cost(shape, start_dim, end_dim)


def _embedding(
    shape: Shape,
    num_embeddings: int,
    embedding_dim: int,
    padding_idx: int | None = None,
    max_norm: float | None = None,
    norm_type: float = 2.0,
    scale_grad_by_freq: bool = False,
    sparse: bool = False,
    device: Any = None,
    dtype: Any = None,
) -> C.LayerCost:
    return C.embedding_cost(num_embeddings, embedding_dim, shape, "Embedding")


def _rnn_like(mode: str) -> Callable[..., C.LayerCost]:
    def build(
        shape: Shape,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        proj_size: int = 0,
        nonlinearity: str = "tanh",
        device: Any = None,
        dtype: Any = None,
    ) -> C.LayerCost:
        _bool(bias=bias, batch_first=batch_first, bidirectional=bidirectional)
        _no(mode, proj_size=(proj_size, 0))
        if mode != "RNN" and nonlinearity != "tanh":
            raise ReportError(f"{mode} has no argument 'nonlinearity'")
        if len(shape) not in (2, 3) or shape[-1] != input_size:
            layout = "(N, L, H_in)" if batch_first else "(L, N, H_in)"
            raise ReportError(
                f"{mode} expects input {layout} or (L, H_in) with H_in={input_size}, got {list(shape)}"
            )
        T, B = (shape[0], 1) if len(shape) == 2 else ((shape[1], shape[0]) if batch_first else shape[:2])
        c = C.rnn_cost(mode, input_size, hidden_size, T, B, num_layers, bias, bidirectional, mode)
        h = c.output_shape[-1]
        out = (T, h) if len(shape) == 2 else ((B, T, h) if batch_first else (T, B, h))
        return C.LayerCost(c.name, c.params, c.macs, c.flops, c.activation_elems, out, c.parts)

    return build


def _mha(
    shape: Shape,
    embed_dim: int,
    num_heads: int,
    dropout: float = 0.0,
    bias: bool = True,
    add_bias_kv: bool = False,
    add_zero_attn: bool = False,
    kdim: int | None = None,
    vdim: int | None = None,
    batch_first: bool = False,
    device: Any = None,
    dtype: Any = None,
) -> C.LayerCost:
    _bool(bias=bias, batch_first=batch_first)
    _no("MultiheadAttention", add_bias_kv=(add_bias_kv, False), add_zero_attn=(add_zero_attn, False))
    for k, v in (("kdim", kdim), ("vdim", vdim)):
        if v not in (None, embed_dim):
            raise ReportError(f"MultiheadAttention: {k}={v!r} is not supported (self-attention only)")
    if len(shape) not in (2, 3) or shape[-1] != embed_dim:
        layout = "(N, L, E)" if batch_first else "(L, N, E)"
        raise ReportError(
            f"MultiheadAttention expects input {layout} or (L, E) with E={embed_dim}, got {list(shape)}"
        )
    T, B = (shape[0], 1) if len(shape) == 2 else ((shape[1], shape[0]) if batch_first else shape[:2])
    c = C.attention_cost(T, embed_dim, num_heads, B, bias, "MultiheadAttention")
    return C.LayerCost(c.name, c.params, c.macs, c.flops, c.activation_elems, tuple(shape), c.parts)


LAYERS: dict[str, Callable[..., C.LayerCost]] = {
    "Linear": _linear,
    "Conv2d": _conv2d,
    "MaxPool2d": _maxpool2d,
    "AvgPool2d": _avgpool2d,
    "BatchNorm2d": _batchnorm2d,
    "LayerNorm": _layernorm,
    "RMSNorm": _rmsnorm,
    "ReLU": _act("relu", "ReLU"),
    "SiLU": _act("silu", "SiLU"),
    "Tanh": lambda shape: C.activation_cost("tanh", shape, "Tanh"),
    "Sigmoid": lambda shape: C.activation_cost("sigmoid", shape, "Sigmoid"),
    "GELU": _gelu,
    "Flatten": _flatten,
    "Embedding": _embedding,
    "RNN": _rnn_like("RNN"),
    "LSTM": _rnn_like("LSTM"),
    "GRU": _rnn_like("GRU"),
    "MultiheadAttention": _mha,
}
