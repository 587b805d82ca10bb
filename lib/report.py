"""A torchinfo-like layer report from the command line: parameters, MACs/FLOPs, output shape, memory.

    python -m lib.report "Conv2d(3, 64, kernel_size=7, stride=2, padding=3)" --input 1,3,224,224
    python -m lib.report "Conv2d(3, 8, 3); ReLU(); MaxPool2d(2); Flatten(); Linear(1568, 10)" \
        --input 1,3,30,30

Layers are written as ``torch.nn`` constructor calls with literal arguments and parsed with ``ast`` (never
evaluated); several layers separated by ``;`` form a sequential model. The numbers come from ``lib.cost``:
MACs are matmul/conv multiply-accumulates, FLOPs = 2·MACs + elementwise work, forward memory counts every
layer's output (fp32 by default). Errors are one line on stderr, exit status 2.
"""

from __future__ import annotations

import argparse
import ast
import difflib
import inspect
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from lib import cost as C

Shape = tuple[int, ...]


class ReportError(ValueError):
    """A problem with the layer string or the input shape, phrased for the command line."""


@dataclass(frozen=True)
class LayerSpec:
    """One parsed layer call: ``name(*args, **kwargs)`` and the text it came from."""

    name: str
    args: tuple[Any, ...]
    kwargs: tuple[tuple[str, Any], ...]
    text: str


@dataclass(frozen=True)
class ReportRow:
    """A layer of the report with the shape it received and its cost."""

    index: int
    text: str
    input_shape: Shape
    cost: C.LayerCost


# ---------------------------------------------------------------- layer builders (torch.nn argument names)


def _no(what: str, **kw: Any) -> None:
    for k, (value, default) in kw.items():
        if value != default:
            raise ReportError(f"{what}: {k}={value!r} is not supported by the cost model")


def _bool(**kw: Any) -> None:
    for k, v in kw.items():
        if not isinstance(v, bool):
            raise ReportError(f"{k} must be True or False, got {v!r}")


def _linear(shape: Shape, in_features: int, out_features: int, bias: bool = True, device=None, dtype=None):
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
    device=None,
    dtype=None,
):
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
):
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
):
    _bool(ceil_mode=ceil_mode, count_include_pad=count_include_pad)
    return C.pool2d_cost("avg", kernel_size, shape, stride, padding, 1, ceil_mode, "AvgPool2d")


def _batchnorm2d(
    shape: Shape,
    num_features: int,
    eps: float = 1e-5,
    momentum: float | None = 0.1,
    affine: bool = True,
    track_running_stats: bool = True,
    device=None,
    dtype=None,
):
    _bool(affine=affine, track_running_stats=track_running_stats)
    return C.batchnorm2d_cost(num_features, shape, affine, "BatchNorm2d")


def _layernorm(
    shape: Shape,
    normalized_shape: Any,
    eps: float = 1e-5,
    elementwise_affine: bool = True,
    bias: bool = True,
    device=None,
    dtype=None,
):
    _bool(elementwise_affine=elementwise_affine, bias=bias)
    return C.layernorm_cost(normalized_shape, shape, elementwise_affine, bias, "LayerNorm")


def _rmsnorm(
    shape: Shape,
    normalized_shape: int,
    eps: float | None = None,
    elementwise_affine: bool = True,
    device=None,
    dtype=None,
):
    _bool(elementwise_affine=elementwise_affine)
    return C.rmsnorm_cost(normalized_shape, shape, elementwise_affine, "RMSNorm")


def _act(kind: str, name: str) -> Callable[..., C.LayerCost]:
    def build(shape: Shape, inplace: bool = False):
        _bool(inplace=inplace)
        return C.activation_cost(kind, shape, name)

    return build


def _gelu(shape: Shape, approximate: str = "none"):
    if approximate not in ("none", "tanh"):
        raise ReportError(f"approximate must be 'none' or 'tanh', got {approximate!r}")
    return C.activation_cost("gelu", shape, "GELU")


def _flatten(shape: Shape, start_dim: int = 1, end_dim: int = -1):
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
    device=None,
    dtype=None,
):
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
        device=None,
        dtype=None,
    ):
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
    device=None,
    dtype=None,
):
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


# ---------------------------------------------------------------- parsing


def _did_you_mean(word: str, options: Sequence[str]) -> str:
    lower = {o.lower(): o for o in options}
    match = [lower[word.lower()]] if word.lower() in lower else difflib.get_close_matches(word, options, n=1)
    return f" (did you mean {match[0]!r}?)" if match else ""


def parse_layer(text: str) -> LayerSpec:
    """Parse ``Name(arg, ..., key=value)`` (or a bare ``Name``) with ``ast``; arguments must be literals."""
    text = text.strip()
    try:
        node = ast.parse(text, mode="eval").body
    except SyntaxError as e:
        raise ReportError(f"cannot parse layer {text!r}: {e.msg}") from None
    if isinstance(node, ast.Name | ast.Attribute):
        node = ast.Call(func=node, args=[], keywords=[])
    if not isinstance(node, ast.Call):
        raise ReportError(f"expected a layer call like Linear(4, 2), got {text!r}")
    func = node.func
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id == "nn":
        name = func.attr
    elif isinstance(func, ast.Name):
        name = func.id
    else:
        raise ReportError(f"expected a layer name such as Conv2d or nn.Conv2d in {text!r}")
    if name not in LAYERS:
        raise ReportError(f"unknown layer {name!r}{_did_you_mean(name, list(LAYERS))}")

    def literal(n: ast.expr, what: str) -> Any:
        try:
            return ast.literal_eval(n)
        except ValueError:
            raise ReportError(
                f"{name}: {what} must be a literal (number, bool, string, tuple), got {ast.unparse(n)!r}"
            ) from None

    args = tuple(literal(a, f"argument {i + 1}") for i, a in enumerate(node.args))
    kwargs = []
    for kw in node.keywords:
        if kw.arg is None:
            raise ReportError(f"{name}: **kwargs are not supported")
        kwargs.append((kw.arg, literal(kw.value, f"argument {kw.arg!r}")))
    return LayerSpec(name, args, tuple(kwargs), text)


def parse_model(text: str) -> list[LayerSpec]:
    """Split on ``;`` and parse each layer."""
    parts = [p for p in text.split(";") if p.strip()]
    if not parts:
        raise ReportError("no layers given")
    return [parse_layer(p) for p in parts]


def parse_shape(text: str) -> Shape:
    """``1,3,224,224`` (brackets and spaces allowed) → (1, 3, 224, 224); every dimension positive."""
    items = [s.strip() for s in text.strip().strip("[]()").split(",") if s.strip()]
    try:
        shape = tuple(int(s) for s in items)
    except ValueError:
        raise ReportError(
            f"--input must be comma-separated positive integers like 1,3,224,224, got {text!r}"
        ) from None
    if not shape or min(shape) <= 0:
        raise ReportError(f"--input must be comma-separated positive integers like 1,3,224,224, got {text!r}")
    return shape


def layer_cost(spec: LayerSpec, input_shape: Shape) -> C.LayerCost:
    """Bind ``spec`` to the torch.nn signature of its layer and cost it on ``input_shape``."""
    build = LAYERS[spec.name]
    sig = inspect.signature(build)
    names = [p for p in list(sig.parameters)[1:] if p not in ("device", "dtype")]
    for key, _ in spec.kwargs:
        if key not in names:
            raise ReportError(f"{spec.name}: unexpected argument {key!r}{_did_you_mean(key, names)}")
    try:
        bound = sig.bind(input_shape, *spec.args, **dict(spec.kwargs))
    except TypeError as e:
        raise ReportError(f"{spec.name}: {e}") from None
    try:
        return build(*bound.args, **bound.kwargs)
    except ReportError:
        raise
    except (ValueError, TypeError) as e:
        msg = str(e)
        raise ReportError(msg if msg.startswith(spec.name) else f"{spec.name}: {msg}") from None


def build_report(text: str, input_shape: Shape) -> list[ReportRow]:
    """Cost each layer of ``text`` in turn, feeding each output shape to the next layer."""
    rows, shape = [], tuple(input_shape)
    texts = [p for p in text.split(";") if p.strip()]
    if not texts:
        raise ReportError("no layers given")
    for i, layer_text in enumerate(texts, start=1):
        where = f"layer {i} `{layer_text.strip()}`" if len(texts) > 1 else f"`{layer_text.strip()}`"
        try:
            spec = parse_layer(layer_text)
            c = layer_cost(spec, shape)
        except ReportError as e:
            raise ReportError(f"{where}: {e}") from None
        rows.append(ReportRow(i, spec.text, shape, c))
        shape = c.output_shape
    return rows


# ---------------------------------------------------------------- formatting


def _n(x: int) -> str:
    return f"{x:,}"


def _shape(s: Shape) -> str:
    return "[" + ", ".join(str(d) for d in s) + "]"


def _mib(n_bytes: int) -> str:
    """Binary units: 3,211,264 bytes → "3.06 MiB"."""
    for unit, size in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if n_bytes >= size:
            return f"{n_bytes / size:,.2f} {unit}"
    return f"{n_bytes} B"


def format_report(rows: Sequence[ReportRow], dtype_bytes: int = 4) -> str:
    """One layer: a labelled block. Several: a per-layer table and a total line."""
    dt = {2: "fp16", 4: "fp32", 8: "fp64"}.get(dtype_bytes, f"{dtype_bytes}-byte")
    params = sum(r.cost.params for r in rows)
    macs = sum(r.cost.macs for r in rows)
    flops = sum(r.cost.flops for r in rows)
    mem = sum(r.cost.activation_bytes(dtype_bytes) for r in rows)
    lines = []
    if len(rows) == 1:
        r = rows[0]
        lines.append(f"Layer:          {r.text}")
    else:
        header = ("#", "Layer", "Output shape", "Params", "MACs", "FLOPs", f"Memory ({dt})")
        table = [
            (
                str(r.index),
                r.text,
                _shape(r.cost.output_shape),
                _n(r.cost.params),
                _n(r.cost.macs),
                _n(r.cost.flops),
                _mib(r.cost.activation_bytes(dtype_bytes)),
            )
            for r in rows
        ]
        total = ("", "Total", "", _n(params), _n(macs), _n(flops), _mib(mem))
        widths = [max(len(row[i]) for row in [header, *table, total]) for i in range(len(header))]

        def fmt(row: Sequence[str]) -> str:
            cells = [
                c.ljust(w) if i in (1, 2) else c.rjust(w)
                for i, (c, w) in enumerate(zip(row, widths, strict=True))
            ]
            return "  ".join(cells).rstrip()

        rule = "-" * len(fmt(header))
        lines += [fmt(header), rule, *map(fmt, table), rule, fmt(total), ""]
    lines += [
        f"Input shape:    {_shape(rows[0].input_shape)}",
        f"Output shape:   {_shape(rows[-1].cost.output_shape)}",
        f"Parameters:     {_n(params)}  ({_mib(params * dtype_bytes)} in {dt})",
        f"MACs:           {_n(macs)}  (multiply-accumulates in matmuls and convolutions)",
        f"FLOPs:          {_n(flops)}  (= 2 x MACs {_n(2 * macs)} + elementwise {_n(flops - 2 * macs)})",
        f"Forward memory: {_n(mem)} bytes = {_mib(mem)}  ({dt} activations; 1 MiB = 2^20 bytes)",
    ]
    return "\n".join(lines)


EPILOG = f"""\
grammar:
  MODEL := LAYER {{ ";" LAYER }}
  LAYER := Name "(" [ARG {{"," ARG}}] [KEY "=" ARG {{"," KEY "=" ARG}}] ")"   (or just Name)
  ARG   := a Python literal: int, float, True/False/None, 'string' or a tuple of these
  Names and argument names are those of torch.nn (an "nn." prefix is allowed). Arguments are parsed
  with ast, never evaluated. Each layer receives the previous layer's output shape.

layers: {", ".join(LAYERS)}

counting: MACs = multiply-accumulates of matmuls/convolutions; FLOPs = 2 x MACs + elementwise ops
(bias adds, activations, norms, softmax). Forward memory = every layer's output (plus the score matrices
of attention and the gates of recurrent layers), at --bytes per element; Flatten is a view (0 bytes).

example:
  python -m lib.report "Conv2d(3, 64, kernel_size=7, stride=2, padding=3)" --input 1,3,224,224
  python -m lib.report "Conv2d(3, 8, 3, padding=1); ReLU(); MaxPool2d(2); Flatten(); Linear(512, 10)" \\
      --input 1,3,16,16
"""


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line, print the report; on a bad layer string print one error line, return 2."""
    parser = argparse.ArgumentParser(
        prog="python -m lib.report",
        description="Parameters, MACs/FLOPs, output shape and forward memory of torch.nn layers, "
        "computed without torch.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("layers", help='layer(s), e.g. "Linear(784, 10)" or "Conv2d(1, 8, 3); ReLU()"')
    parser.add_argument("--input", required=True, help="input shape, comma-separated, e.g. 1,3,224,224")
    parser.add_argument(
        "--bytes", type=int, default=4, help="bytes per element for memory (default 4 = fp32)"
    )
    args = parser.parse_args(argv)
    try:
        if args.bytes <= 0:
            raise ReportError(f"--bytes must be positive, got {args.bytes}")
        rows = build_report(args.layers, parse_shape(args.input))
    except ReportError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(format_report(rows, args.bytes))
    return 0


if __name__ == "__main__":
    sys.exit(main())
