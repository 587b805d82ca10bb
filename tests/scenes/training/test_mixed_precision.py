"""training.mixed_precision: what the viewer reads against torch — casts float64 → float32 / float16 /
bfloat16 and their bits through ``.view(torch.int32/int16)``, ``torch.finfo`` for the range table, and
``torch.amp.GradScaler`` (CPU) driven over the same gradients for the loss-scaling table. The ties are
derived by hand (x = 1 + (2j + 1)·2⁻¹¹, its neighbours 2⁻¹⁰ apart)."""

from __future__ import annotations

import math

import pytest
import torch

from scenes.kit import numbers
from scenes.training.mixed_precision import MixedPrecision

CASES = [(None, "en"), (None, "zh")] + [(ex, "en") for ex in MixedPrecision.EXAMPLES]  # the layout test's
LAYOUTS, TIES, RANGE, SCALING = range(4)  # the pauses
DTYPES = {"fp32": (torch.float32, torch.int32, 32), "fp16": (torch.float16, torch.int16, 16),
          "bf16": (torch.bfloat16, torch.int16, 16)}  # fmt: skip


def run(fast_run, raw, locale):
    scene, _ = fast_run("training.mixed_precision", raw, locale)
    assert len(scene.pictures) == SCALING + 1
    return scene, MixedPrecision.Params.model_validate(raw or {}), MixedPrecision.STRINGS[locale]


def to(x: float, dtype: torch.dtype) -> torch.Tensor:
    return torch.tensor(x, dtype=torch.float64).to(dtype)


def value_text(v: float) -> str:
    return numbers.fixed(v, max(0, 11 - math.floor(math.log10(abs(v)))))


def sci(v: float) -> str:
    return numbers.sci(v, 2)


@pytest.mark.parametrize(("raw", "locale"), CASES)
def test_bit_layouts_values_and_errors(fast_run, raw, locale):
    scene, p, strings = run(fast_run, raw, locale)
    pic = scene.pictures[LAYOUTS]
    for name, (dtype, itype, width) in DTYPES.items():
        y = to(p.value, dtype)
        bits = y.view(itype).item() & ((1 << width) - 1)
        assert pic.text(f"bits_{name}") == " ".join(format(bits, f"0{width}b")), name
        v = y.item()
        assert pic.text(f"decoded_{name}") == strings["decoded"].format(
            value=value_text(v), err=sci(v - p.value)
        )
    assert pic.text("x") == strings["x_is"].format(x=value_text(p.value))


@pytest.mark.parametrize(("raw", "locale"), CASES)
def test_ties_round_to_even(fast_run, raw, locale):
    scene, p, _ = run(fast_run, raw, locale)
    pic = scene.pictures[TIES]
    for i, j in enumerate((p.tie_k, p.tie_k + 1)):
        x = 1 + (2 * j + 1) / 2048
        y = to(x, torch.float16)
        assert pic.text("tie_x", i) == numbers.fixed(x, 11)
        assert pic.text("tie_lower", i) == numbers.fixed(1 + j / 1024, 11)
        assert pic.text("tie_upper", i) == numbers.fixed(1 + (j + 1) / 1024, 11)
        assert pic.text("tie_rounded", i) == numbers.fixed(y.item(), 11)
        assert pic.text("tie_mantissa", i) == format(y.view(torch.int16).item() & 0x3FF, "010b")


@pytest.mark.parametrize(("raw", "locale"), CASES)
def test_range_table_and_underflow(fast_run, raw, locale):
    scene, p, strings = run(fast_run, raw, locale)
    pic = scene.pictures[RANGE]
    for i, (dtype, _, _) in enumerate(DTYPES.values()):
        fi = torch.finfo(dtype)
        assert pic.text("max", i) == sci(fi.max)
        assert pic.text("min_normal", i) == sci(fi.smallest_normal)
        assert pic.text("min_subnormal", i) == sci(fi.smallest_normal * fi.eps)  # 2^emin · 2^−M
        assert pic.text("eps", i) == sci(fi.eps)
    g, s = p.gradient, p.init_scale
    scaled = to(g * s, torch.float16)
    back = (scaled.float() * torch.tensor(1 / s, dtype=torch.float32)).item()
    want = [to(g, torch.float16).item(), to(g, torch.bfloat16).item(), scaled.item(), back]
    assert want[0] == 0.0 and want[1] != 0.0
    assert [pic.text("underflow", i) for i in range(4)] == [sci(v) for v in want]
    assert pic.text("g") == strings["col_stored"].format(g=sci(g))


@pytest.mark.parametrize(("raw", "locale"), CASES)
def test_dynamic_loss_scaling_as_gradscaler(fast_run, raw, locale):
    scene, p, strings = run(fast_run, raw, locale)
    pic = scene.pictures[SCALING]
    grads = [p.base_grad] * p.steps
    for t in range(p.spike_at, p.spike_at + p.spike_len):
        grads[t] = p.spike
    w = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([w], lr=1.0)
    scaler = torch.amp.GradScaler("cpu", init_scale=p.init_scale, growth_interval=p.growth_interval)
    scaler.scale(torch.ones(1))  # GradScaler creates its scale tensor on first use
    for t, g in enumerate(grads):
        s = scaler.get_scale()
        w.grad = to(s * g, torch.float16).float().reshape(1)  # the fp16 gradient of the scaled loss
        before, scaled = w.item(), w.grad.item()  # step() unscales the gradient in place
        scaler.step(opt)
        scaler.update()
        taken = w.item() != before
        assert pic.text("iter", t) == str(t + 1)
        g_text = numbers.fixed(g, 3) if g >= 1e-3 else numbers.sci(g, 1)
        assert pic.text("grad", t) == g_text
        assert pic.text("scale", t) == numbers.integer(s)
        assert pic.text("scaled_grad", t) == numbers.fixed(scaled, 2)
        assert pic.text("step_taken", t) == strings["ok" if taken else "skip"]
        assert pic.text("scale_after", t) == numbers.integer(scaler.get_scale())
    assert pic.text("scaling_note") == strings["scaling_note"].format(n=p.growth_interval)
