"""layers.report: what the viewer reads, against torch — nn.Conv2d built from the same string (its parameter
counts, its kernel/stride/padding/dilation), a forward on the meta device (the output shape) and
FlopCounterMode (the MACs); the bias adds and bytes are counted here by hand. Nothing below calls lib.
"""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from scenes.engine.probe import Picture
from scenes.kit import numbers
from scenes.layers.report import Report

SETS = [None, *Report.EXAMPLES]
LOCALES = ["en", "zh"]
LAYER, SHAPE, PARAMS, COMPUTE, MEMORY, QUESTION = range(6)  # the pauses


def tex(n: int) -> str:
    return numbers.integer(n, tex=True)


def torch_conv(text: str) -> nn.Conv2d:
    """The layer as torch builds it from the same call (the test's own strings, so eval is safe here)."""
    text = text.strip().removeprefix("nn.")
    return eval("nn." + text, {"nn": nn})


def reference(p):
    """Everything the scene draws, from torch: shapes, counts and FlopCounterMode's MACs."""
    conv = torch_conv(p.layer)
    shape = tuple(int(s) for s in p.input_shape.split(","))
    with torch.device("meta"):
        meta = torch_conv(p.layer)
        out = meta(torch.empty(shape))
    with FlopCounterMode(display=False) as counter:
        torch_conv(p.layer)(torch.zeros(shape))
    macs = counter.get_total_flops() // 2  # FlopCounterMode counts 2 FLOPs per multiply-accumulate
    outputs = math.prod(out.shape)
    has_bias = conv.bias is not None
    q = torch_conv(p.question)
    return {
        "conv": conv,
        "in_shape": shape,
        "out_shape": tuple(out.shape),
        "weights": conv.weight.numel(),
        "biases": conv.bias.numel() if has_bias else 0,
        "params": sum(t.numel() for t in conv.parameters()),
        "macs": macs,
        "outputs": outputs,
        "bias_adds": outputs if has_bias else 0,  # one add per output element
        "flops": 2 * macs + (outputs if has_bias else 0),
        "memory": outputs * p.dtype_bytes,
        "q": q,
        "q_weights": q.weight.numel(),
        "q_biases": q.bias.numel(),
        "q_params": sum(t.numel() for t in q.parameters()),
    }


def run(fast_run, raw, locale):
    scene, _ = fast_run("layers.report", raw, locale)
    assert len(scene.pictures) == QUESTION + 1
    return scene, Report.Params.model_validate(raw or {})


@pytest.mark.parametrize("raw", SETS, ids=["defaults", "example"])
def test_card_and_shape_formula(fast_run, raw):
    scene, p = run(fast_run, raw, "en")
    ref = reference(p)
    pic = scene.pictures[SHAPE]
    assert pic.text("input_shape") == numbers.shape(ref["in_shape"])
    assert pic.text("out_shape") == numbers.shape(ref["out_shape"])
    conv = ref["conv"]
    for i, axis in enumerate(("H", "W")):
        assert pic.text("axis_in", axis) == tex(ref["in_shape"][2 + i])
        assert pic.text("axis_kernel", axis) == tex(conv.kernel_size[i])
        assert pic.text("axis_stride", axis) == tex(conv.stride[i])
        assert pic.text("axis_pad", axis) == tex(conv.padding[i])
        assert pic.text("axis_dil", axis) == tex(conv.dilation[i])
        assert pic.text("axis_out", axis) == tex(ref["out_shape"][2 + i])


@pytest.mark.parametrize("raw", SETS, ids=["defaults", "example"])
def test_parameters(fast_run, raw):
    scene, p = run(fast_run, raw, "en")
    ref = reference(p)
    pic = scene.pictures[PARAMS]
    conv = ref["conv"]
    assert pic.text("p_out") == tex(conv.out_channels)
    assert pic.text("p_in") == tex(conv.in_channels)
    assert [pic.text("p_kernel", k) for k in ("h", "w")] == [tex(k) for k in conv.kernel_size]
    assert pic.text("p_weights") == tex(ref["weights"])
    assert pic.text("p_biases") == pic.text("p_biases_sum") == tex(ref["biases"])
    assert pic.text("p_total") == tex(ref["params"])
    assert pic.text("params") == numbers.integer(ref["params"])


def test_default_parameters_are_the_seeds_numbers(fast_run):
    """The issue's numbers, written out by hand: 64·3·7·7 = 9,408 weights, + 64 biases = 9,472."""
    scene, _ = run(fast_run, None, "en")
    pic = scene.pictures[PARAMS]
    assert pic.text("p_weights") == tex(64 * 3 * 7 * 7) == "9{,}408"
    assert pic.text("params") == "9,472"
    assert scene.pictures[SHAPE].text("out_shape") == numbers.shape((1, 64, 112, 112))


@pytest.mark.parametrize("raw", SETS, ids=["defaults", "example"])
def test_macs_flops_and_memory(fast_run, raw):
    scene, p = run(fast_run, raw, "en")
    ref = reference(p)
    pic = scene.pictures[COMPUTE]
    n, c, h, w = ref["out_shape"]
    conv = ref["conv"]
    assert [pic.text(k) for k in ("m_n", "m_out", "m_in")] == [tex(n), tex(c), tex(conv.in_channels)]
    assert [pic.text("m_hw", k) for k in ("h", "w")] == [tex(h), tex(w)]
    assert [pic.text("m_kernel", k) for k in ("h", "w")] == [tex(k) for k in conv.kernel_size]
    assert pic.text("m_macs") == pic.text("f_macs") == tex(ref["macs"])
    assert pic.text("f_bias_adds") == tex(ref["bias_adds"])
    assert pic.text("f_flops") == tex(ref["flops"])
    assert pic.text("macs") == numbers.integer(ref["macs"])
    assert pic.text("flops") == numbers.integer(ref["flops"])
    mem = scene.pictures[MEMORY]
    assert [mem.text(k) for k in ("b_n", "b_out")] == [tex(n), tex(c)]
    assert [mem.text("b_hw", k) for k in ("h", "w")] == [tex(h), tex(w)]
    assert mem.text("b_bytes") == tex(p.dtype_bytes)
    assert mem.text("b_total") == tex(ref["memory"])
    assert mem.text("outputs") == numbers.integer(ref["outputs"])
    assert mem.text("memory") == numbers.byte_size(ref["memory"], 2)


@pytest.mark.parametrize("raw", SETS, ids=["defaults", "example"])
def test_the_question(fast_run, raw):
    scene, p = run(fast_run, raw, "en")
    ref = reference(p)
    pic = scene.pictures[QUESTION]
    q = ref["q"]
    assert pic.text("q_out") == tex(q.out_channels)
    assert pic.text("q_in") == tex(q.in_channels)
    assert [pic.text("q_kernel", k) for k in ("h", "w")] == [tex(k) for k in q.kernel_size]
    assert pic.text("q_weights_tex") == tex(ref["q_weights"])
    assert pic.text("q_weights") == numbers.integer(ref["q_weights"])
    assert pic.text("q_biases") == numbers.integer(ref["q_biases"])
    assert pic.text("q_params") == numbers.integer(ref["q_params"])
    if raw is None:  # the seed's claim and its correction
        assert (pic.text("q_weights"), pic.text("q_params")) == ("1,728", "1,792")


@pytest.mark.parametrize("raw", SETS, ids=["defaults", "example"])
def test_zh_draws_the_same_numbers(fast_run, raw):
    en = Picture.merge(run(fast_run, raw, "en")[0].pictures)
    zh = Picture.merge(run(fast_run, raw, "zh")[0].pictures)
    for key in ("out_shape", "params", "macs", "flops", "memory", "q_weights", "q_biases", "q_params"):
        assert zh.texts(key) == en.texts(key)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("layer", "Conv2d(3, 64, kernal_size=7)", "unexpected argument 'kernal_size'"),
        ("layer", "Conv3d(3, 64, 3)", "did you mean 'Conv2d'"),
        ("layer", "Conv2d(4, 64, 3)", "expects input (N, 4, H, W)"),
        ("layer", "Linear(3, 64)", "expected one Conv2d layer, got Linear"),
        ("input_shape", "1,3,224", "N, C, H, W"),
        ("question", "Conv2d(3, 64, 3, bias=False)", "default bias"),
    ],
)
def test_bad_strings_fail_validation_with_the_reports_message(field, value, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        Report.Params.model_validate({field: value})
