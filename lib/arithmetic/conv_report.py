"""One ``Conv2d`` layer string explained term by term: the arguments as ``torch.nn.Conv2d`` binds them, and
the report's numbers (output shape, weights and biases, MACs, FLOPs, forward memory) with each factor kept.

The layer string is parsed by ``lib.arithmetic.report`` (``ast``, never evaluated; its error messages), and
the totals come from ``lib.arithmetic.cost_layers.conv2d_cost``; this module keeps the factors a lecture
substitutes into each formula:

* output size per axis, o = ⌊(i + 2p − d(k − 1) − 1)/s⌋ + 1 (Dumoulin & Visin 2016, Rel. 15; the
  ``torch.nn.Conv2d`` docs);
* weights = C_out·(C_in/g)·k_h·k_w, biases = C_out;
* MACs = N·C_out·H_out·W_out·(C_in/g)·k_h·k_w, FLOPs = 2·MACs + N·C_out·H_out·W_out (the bias adds);
* forward memory = N·C_out·H_out·W_out elements at ``dtype_bytes`` each.
"""

from __future__ import annotations

import inspect
import math
from dataclasses import dataclass

from lib.arithmetic.cost_layers import LayerCost
from lib.arithmetic.report import build_report, parse_layer, parse_model, parse_shape
from lib.arithmetic.report_layers import LAYERS, ReportError, Shape

Pair = tuple[int, int]


@dataclass(frozen=True)
class ConvArgs:
    """The arguments of one ``Conv2d(...)`` call as torch binds them, each spatial one as an (h, w) pair."""

    text: str
    in_channels: int
    out_channels: int
    kernel: Pair
    stride: Pair
    padding: Pair
    dilation: Pair
    groups: int
    bias: bool

    @property
    def weights(self) -> int:
        """C_out·(C_in/g)·k_h·k_w: the kernel tensor's elements."""
        return self.out_channels * (self.in_channels // self.groups) * self.kernel[0] * self.kernel[1]

    @property
    def biases(self) -> int:
        """C_out with ``bias=True`` (PyTorch's default), else 0."""
        return self.out_channels if self.bias else 0


@dataclass(frozen=True)
class ConvReport:
    """A Conv2d layer on an (N, C, H, W) input: its arguments, output shape and cost (``cost``)."""

    args: ConvArgs
    input_shape: tuple[int, int, int, int]
    cost: LayerCost

    @property
    def output_shape(self) -> tuple[int, ...]:
        return self.cost.output_shape

    @property
    def outputs(self) -> int:
        """N·C_out·H_out·W_out: output elements (one bias add each, one activation each)."""
        return math.prod(self.cost.output_shape)

    @property
    def bias_adds(self) -> int:
        """The elementwise FLOPs of the layer: one add per output element when it has a bias."""
        return self.cost.flops - 2 * self.cost.macs

    def memory_bytes(self, dtype_bytes: int = 4) -> int:
        """Forward memory of the output at ``dtype_bytes`` per element (4 = fp32)."""
        return self.cost.activation_bytes(dtype_bytes)


def _pair(v: object, what: str) -> Pair:
    if isinstance(v, int) and not isinstance(v, bool):
        return (v, v)
    if isinstance(v, tuple) and len(v) == 2 and all(isinstance(x, int) for x in v):
        return (v[0], v[1])
    raise ReportError(f"Conv2d: {what} must be an int or a pair of ints here, got {v!r}")


def conv_args(text: str) -> ConvArgs:
    """Parse ``Conv2d(...)`` (or ``nn.Conv2d(...)``) and bind it to torch's signature.

    Raises ``ReportError`` with the report's messages for a bad string, and for what this explanation
    leaves out: another layer, several layers, padding given as "same"/"valid".
    """
    if ";" in text:
        raise ReportError(f"expected one Conv2d layer, got several: {text!r}")
    spec = parse_layer(text)
    if spec.name != "Conv2d":
        raise ReportError(f"expected a Conv2d layer, got {spec.name}")
    sig = inspect.signature(LAYERS["Conv2d"])
    try:
        bound = sig.bind(None, *spec.args, **dict(spec.kwargs))
    except TypeError as e:
        raise ReportError(f"Conv2d: {e}") from None
    bound.apply_defaults()
    a = bound.arguments
    if isinstance(a["padding"], str):
        raise ReportError(f"Conv2d: padding={a['padding']!r} — give the padding as a number here")
    return ConvArgs(
        text=spec.text,
        in_channels=a["in_channels"],
        out_channels=a["out_channels"],
        kernel=_pair(a["kernel_size"], "kernel_size"),
        stride=_pair(a["stride"], "stride"),
        padding=_pair(a["padding"], "padding"),
        dilation=_pair(a["dilation"], "dilation"),
        groups=a["groups"],
        bias=a["bias"],
    )


def conv_report(text: str, input_shape: str | Shape) -> ConvReport:
    """The report of one Conv2d layer on an (N, C, H, W) input (a string such as ``"1,3,224,224"``)."""
    shape = parse_shape(input_shape) if isinstance(input_shape, str) else tuple(input_shape)
    if len(shape) != 4:
        raise ReportError(f"the input must be N, C, H, W (four numbers), got {list(shape)}")
    specs = parse_model(text)  # the report's parse errors and name suggestions come first
    if len(specs) != 1 or specs[0].name != "Conv2d":
        raise ReportError(f"expected one Conv2d layer, got {'; '.join(s.name for s in specs)}")
    (row,) = build_report(text, shape)  # the report's checks and messages (arguments, channels, fit)
    args = conv_args(text)
    n, c, h, w = shape
    return ConvReport(args, (n, c, h, w), row.cost)
