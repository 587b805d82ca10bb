"""lib.arithmetic.conv_report against torch: nn.Conv2d's parameter counts, a meta-device forward's output
shape and FlopCounterMode's MACs, on several layer strings; and the report's error messages."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from lib.arithmetic.conv_report import conv_args, conv_report
from lib.arithmetic.report_layers import ReportError

CASES = [
    ("Conv2d(3, 64, kernel_size=7, stride=2, padding=3)", (1, 3, 224, 224)),
    ("nn.Conv2d(3, 64, 3)", (2, 3, 32, 32)),
    ("Conv2d(16, 32, kernel_size=(3, 5), stride=(2, 1), padding=(1, 2), dilation=2)", (8, 16, 56, 48)),
    ("Conv2d(8, 4, 1, bias=False)", (1, 8, 7, 9)),
]


def build(text: str) -> nn.Conv2d:
    return eval("nn." + text.removeprefix("nn."), {"nn": nn})


@pytest.mark.parametrize(("text", "shape"), CASES)
def test_against_torch(text, shape):
    r = conv_report(text, ",".join(map(str, shape)))
    conv = build(text)
    assert r.args.weights == conv.weight.numel()
    assert r.args.biases == (0 if conv.bias is None else conv.bias.numel())
    assert r.cost.params == sum(p.numel() for p in conv.parameters())
    assert (r.args.kernel, r.args.stride, r.args.padding, r.args.dilation) == (
        conv.kernel_size,
        conv.stride,
        conv.padding,
        conv.dilation,
    )
    with torch.device("meta"):
        out = build(text)(torch.empty(shape))
    assert r.output_shape == tuple(out.shape)
    with FlopCounterMode(display=False) as counter:
        conv(torch.zeros(shape))
    assert 2 * r.cost.macs == counter.get_total_flops()
    n_out = math.prod(out.shape)
    assert r.outputs == n_out
    assert r.bias_adds == (n_out if conv.bias is not None else 0)
    assert r.memory_bytes(2) == 2 * n_out


def test_the_seeds_numbers_by_hand():
    r = conv_report("Conv2d(3, 64, kernel_size=7, stride=2, padding=3)", "1,3,224,224")
    assert (r.args.weights, r.cost.params) == (64 * 3 * 7 * 7, 64 * 3 * 7 * 7 + 64) == (9408, 9472)
    assert r.cost.macs == 64 * 112 * 112 * 3 * 49 == 118_013_952
    assert r.memory_bytes(4) == 64 * 112 * 112 * 4 == 3_211_264
    q = conv_args("Conv2d(3, 64, 3)")
    assert (q.weights, q.weights + q.biases) == (1728, 1792)


@pytest.mark.parametrize(
    ("text", "shape", "message"),
    [
        ("Conv2d(3, 64)", "1,3,8,8", "missing a required argument: 'kernel_size'"),
        ("Conv2d(3, 64, kernel=3)", "1,3,8,8", "unexpected argument 'kernel'"),
        ("Conv2x(3, 64, 3)", "1,3,8,8", "did you mean 'Conv2d'"),
        ("Linear(3, 4)", "1,3,8,8", "expected one Conv2d layer, got Linear"),
        ("Conv2d(3, 4, 3); ReLU()", "1,3,8,8", "expected one Conv2d layer, got Conv2d; ReLU"),
        ("Conv2d(3, 4, 3, padding='same')", "1,3,8,8", "give the padding as a number"),
        ("Conv2d(3, 4, 3)", "3,8,8", "N, C, H, W"),
        ("Conv2d(3, 4, 9)", "1,3,8,8", "does not fit"),
    ],
)
def test_errors(text, shape, message):
    with pytest.raises(ReportError, match=message.replace("(", r"\(").replace(")", r"\)")):
        conv_report(text, shape)
