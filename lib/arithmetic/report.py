"""A torchinfo-like layer report from the command line: parameters, MACs/FLOPs, output shape, memory.

    python -m lib.arithmetic.report "Conv2d(3, 64, kernel_size=7, stride=2, padding=3)" --input 1,3,224,224
    python -m lib.arithmetic.report "Conv2d(3, 8, 3); ReLU(); MaxPool2d(2); Flatten(); Linear(1568, 10)" \
        --input 1,3,30,30

Layers are written as ``torch.nn`` constructor calls with literal arguments and parsed with ``ast`` (never
evaluated); several layers separated by ``;`` form a sequential model. The numbers come from
``lib.arithmetic.cost``:
MACs are matmul/conv multiply-accumulates, FLOPs = 2·MACs + elementwise work, forward memory counts every
layer's output (fp32 by default). Errors are one line on stderr, exit status 2.
"""

from __future__ import annotations

import argparse
import ast
import inspect
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from common.suggest import closest
from lib.arithmetic import cost as C
from lib.arithmetic.report_layers import LAYERS, ReportError, Shape


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


# ---------------------------------------------------------------- parsing


def _did_you_mean(word: str, options: Sequence[str]) -> str:
    match = closest(word, options)  # the project's one suggestion rule (common/suggest.py)
    return f" (did you mean {match!r}?)" if match else ""


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
  python -m lib.arithmetic.report "Conv2d(3, 64, kernel_size=7, stride=2, padding=3)" --input 1,3,224,224
  python -m lib.arithmetic.report \\
      "Conv2d(3, 8, 3, padding=1); ReLU(); MaxPool2d(2); Flatten(); Linear(512, 10)" --input 1,3,16,16
"""


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line, print the report; on a bad layer string print one error line, return 2."""
    parser = argparse.ArgumentParser(
        prog="python -m lib.arithmetic.report",
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
