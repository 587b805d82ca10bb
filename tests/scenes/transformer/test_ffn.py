"""transformer.ffn: what the viewer reads, against torch (nn.Linear with copied weights, F.relu, F.gelu,
F.silu) and parameter counts and the matched width worked out here by hand.

The weights are lib's seeded initialisation (the scene's input, copied into torch); the token x is re-drawn
here from its seed. Nothing below calls the lib functions that computed the drawn numbers.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from lib.transformer.ffn import init_ffn_weights, init_swiglu_weights
from scenes.kit import numbers
from scenes.transformer.ffn import FFN

SETS = [None, *FFN.EXAMPLES]
LOCALES = ["en", "zh"]
FFN_SLIDE, CURVES, SWIGLU = 0, 1, 2  # the pauses
READ_BACK = 1e-9  # curve vertices read back through the axes (float64 geometry)


def linear(W: np.ndarray, b: np.ndarray | None) -> nn.Linear:
    """nn.Linear computing x @ W + b (lib keeps W input-first: torch's weight is its transpose)."""
    lin = nn.Linear(*W.shape, bias=b is not None).double()
    with torch.no_grad():
        lin.weight.copy_(torch.tensor(W.T))
        if b is not None:
            lin.bias.copy_(torch.tensor(b))
    return lin


def matched_width(d: int, rounding: str) -> int:
    """8d/3 made an integer, as the note on the screen says."""
    exact = Fraction(8 * d, 3)
    if rounding == "down":
        return exact.numerator // exact.denominator
    if rounding == "up":
        return -(-exact.numerator // exact.denominator)
    return int(exact + Fraction(1, 2))  # nearest, half up


def reference(p):
    d = p.d_model
    x = torch.tensor(np.random.default_rng(p.token_seed).standard_normal(d))
    w = init_ffn_weights(d, 4 * d, p.seed)
    up, down = linear(w.W1, w.b1), linear(w.W2, w.b2)
    with torch.no_grad():
        pre = up(x)
        out = {
            "x": x,
            "pre": pre,
            "relu_hidden": F.relu(pre),
            "gelu_hidden": F.gelu(pre),
            "y_relu": down(F.relu(pre)),
            "y_gelu": down(F.gelu(pre)),
        }
        h = matched_width(d, p.rounding)
        s = init_swiglu_weights(d, h, p.seed)
        gate, value = F.silu(linear(s.W, None)(x)), linear(s.V, None)(x)
        out |= {
            "gate": gate,
            "value": value,
            "product": gate * value,
            "y_swiglu": linear(s.W2, None)(gate * value),
        }
    return out, h


def run(fast_run, raw, locale):
    scene, _ = fast_run("transformer.ffn", raw, locale)
    assert len(scene.pictures) == SWIGLU + 1
    return scene, FFN.Params.model_validate(raw or {}), FFN.STRINGS[locale]


def row(pic, key) -> list[str]:
    return list(pic.array(key)[0])


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("raw", SETS)
def test_one_token_through_relu_and_gelu(fast_run, raw, locale):
    scene, p, s = run(fast_run, raw, locale)
    ref, _ = reference(p)
    pic = scene.pictures[FFN_SLIDE]
    for key in ("x", "y_relu", "y_gelu"):
        assert row(pic, key) == [numbers.fixed(v, 2) for v in ref[key].tolist()], key
    for key in ("pre", "relu_hidden", "gelu_hidden"):
        assert row(pic, key) == [numbers.fixed(v, 1) for v in ref[key].tolist()], key
    assert len(row(pic, "pre")) == 4 * p.d_model
    assert pic.contains_text(s["pre"].format(d_ff=4 * p.d_model))


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("raw", SETS)
def test_activation_curves_and_probe(fast_run, raw, locale):
    scene, p, s = run(fast_run, raw, locale)
    pic = scene.pictures[CURVES]
    fns = {"relu": F.relu, "gelu": F.gelu, "silu": F.silu}
    for name, f in fns.items():
        drawn = pic.value_array(f"{name}_curve")  # (points, 2): the line's corners, read back
        xs = torch.linspace(p.curve_lo, p.curve_hi, drawn.shape[0], dtype=torch.float64)
        np.testing.assert_allclose(drawn[:, 0], xs.numpy(), atol=READ_BACK)
        np.testing.assert_allclose(drawn[:, 1], f(xs).numpy(), atol=READ_BACK)
        at = f(torch.tensor(p.probe, dtype=torch.float64)).item()
        assert pic.text("at_probe", name) == numbers.fixed(at, 2)
        np.testing.assert_allclose(pic.value(f"{name}_probe", 0), [p.probe, at], atol=READ_BACK)
    assert pic.text("probe") == s["probe"].format(x=numbers.fixed(p.probe, 2))


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("raw", SETS)
def test_swiglu_numbers_and_parameter_counts(fast_run, raw, locale):
    scene, p, s = run(fast_run, raw, locale)
    ref, h = reference(p)
    pic = scene.pictures[SWIGLU]
    for key in ("gate", "value", "product"):
        assert row(pic, key) == [numbers.fixed(v, 1) for v in ref[key].tolist()], key
    assert row(pic, "y_swiglu") == [numbers.fixed(v, 2) for v in ref["y_swiglu"].tolist()]
    d, d_ff = p.d_model, 4 * p.d_model
    # FFN: W₁ (d × 4d), W₂ (4d × d), b₁ (4d), b₂ (d); SwiGLU: W, V (d × h), W₂ (h × d), no biases
    weights, biases = [2 * d * d_ff, 3 * d * h], [d_ff + d, 0]
    assert list(pic.array("width")) == [numbers.integer(d_ff), numbers.integer(h)]
    assert list(pic.array("weights")) == [numbers.integer(v) for v in weights]
    assert list(pic.array("biases")) == [numbers.integer(v) for v in biases]
    assert list(pic.array("total")) == [numbers.integer(w + b) for w, b in zip(weights, biases, strict=True)]
    note = s[f"width_note_{p.rounding}"].format(exact=numbers.fixed(8 * d / 3, 2), h=h)
    assert pic.text("width_note") == note


def test_matched_width_by_hand():
    assert [matched_width(6, r) for r in ("nearest", "down", "up")] == [16, 16, 16]
    assert [matched_width(4, r) for r in ("nearest", "down", "up")] == [11, 10, 11]
    assert [matched_width(5, r) for r in ("nearest", "down", "up")] == [13, 13, 14]  # 13.33
