"""transformer.residual_norm: what the viewer reads, against PyTorch.

LayerNorm and RMSNorm numbers against ``torch.nn.LayerNorm`` / ``torch.nn.RMSNorm`` (and the statistics
computed by torch), the gradient-norm curves against torch autograd through the same stack, every drawn
string compared with the reference formatted as the screen formats it.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from lib.nets.depth_gradients import init_stack
from scenes.kit import numbers
from scenes.transformer.residual_norm import ResidualNorm

SETS = [None, *ResidualNorm.EXAMPLES]
LOCALES = ["en", "zh"]
READ_BACK = 1e-9  # plotted points are read back through the axes' log scaling
# the pauses: x̂ (0), γ β y (1), RMSNorm (2), pre/post (3), gradient axes (4), both curves (end, 5)
LN, AFFINE, RMS, PLACEMENT, AXES, CURVES = range(6)


def fixed2(values) -> list[str]:
    return [numbers.fixed(float(v), 2) for v in values]


def tex2(v: float) -> str:
    return numbers.fixed(float(v), 2, tex=True)


def sig3(v: float) -> str:
    """Three significant digits, no exponent (as the scene writes a gradient norm)."""
    return numbers.fixed(v, max(0, 2 - math.floor(math.log10(abs(v)))))


def run(fast_run, raw, locale):
    scene, _ = fast_run("transformer.residual_norm", raw, locale)
    assert len(scene.pictures) == CURVES + 1
    return scene, ResidualNorm.Params.model_validate(raw or {})


def torch_norms(p):
    x = torch.tensor(np.random.default_rng(p.seed).normal(p.offset, 1.0, size=p.d_model))
    gamma, beta = (torch.tensor(a) for a in p.gamma_beta())
    ln = torch.nn.LayerNorm(p.d_model, eps=1e-5, dtype=torch.float64)
    rms = torch.nn.RMSNorm(p.d_model, eps=1e-6, dtype=torch.float64)
    with torch.no_grad():
        ln.weight.copy_(gamma)
        ln.bias.copy_(beta)
        rms.weight.copy_(gamma)
        var = x.var(unbiased=False)
        ms = (x**2).mean()
        return {
            "x": x,
            "mean": x.mean(),
            "var": var,
            "std": torch.sqrt(var + 1e-5),
            "x_hat": torch.nn.functional.layer_norm(x, (p.d_model,), eps=1e-5),
            "ln_y": ln(x),
            "mean_square": ms,
            "rms": torch.sqrt(ms + 1e-6),
            "rms_hat": torch.nn.functional.rms_norm(x, (p.d_model,), eps=1e-6),
            "rms_y": rms(x),
        }


def torch_grad_norms(p, residual: bool) -> np.ndarray:
    """‖∂L/∂x_l‖ for l = 0 … L by torch autograd on the scene's stack (weights and data as seeded)."""
    w = init_stack(p.depth, p.width, p.gain, p.grad_seed)
    xs = [torch.tensor(p.batch_input(), requires_grad=True)]
    for W, b in zip(torch.tensor(w.W), torch.tensor(w.b), strict=True):
        a = torch.tanh(xs[-1] @ W + b)
        xs.append(xs[-1] + a if residual else a)
        xs[-1].retain_grad()
    (xs[-1] @ torch.tensor(w.readout)).mean().backward()
    return np.array([float(v.grad.norm()) for v in xs])


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("raw", SETS)
def test_layernorm_numbers_are_torch_layernorm(fast_run, raw, locale):
    scene, p = run(fast_run, raw, locale)
    ref = torch_norms(p)
    ln, aff = scene.pictures[LN], scene.pictures[AFFINE]
    assert list(ln.array("x")[0]) == fixed2(ref["x"])
    assert list(ln.array("x_hat")[0]) == fixed2(ref["x_hat"])
    for key in ("mean", "var", "std"):
        assert ln.text(key) == tex2(ref[key])
    assert list(aff.array("gamma")[0]) == fixed2(p.gamma_beta()[0])
    assert list(aff.array("beta")[0]) == fixed2(p.gamma_beta()[1])
    assert list(aff.array("ln_y")[0]) == fixed2(ref["ln_y"])
    # the highlighted pair is the first entry in and out, as the narration says
    said = next(b.text for b in scene.beats if b.id == "affine")
    assert fixed2(ref["x"])[0] in said and fixed2(ref["ln_y"])[0] in said


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("raw", SETS)
def test_rmsnorm_numbers_are_torch_rmsnorm(fast_run, raw, locale):
    scene, p = run(fast_run, raw, locale)
    ref = torch_norms(p)
    pic = scene.pictures[RMS]
    assert list(pic.array("x")[0]) == fixed2(ref["x"])  # the same vector stays on screen
    assert list(pic.array("rms_hat")[0]) == fixed2(ref["rms_hat"])
    assert list(pic.array("rms_y")[0]) == fixed2(ref["rms_y"])
    assert pic.text("mean_square") == tex2(ref["mean_square"])
    assert pic.text("rms") == tex2(ref["rms"])
    assert "ln_y" not in pic.keys() and "beta" not in pic.keys()  # LayerNorm's rows are gone


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("raw", SETS)
def test_gradient_curves_are_torch_autograd(fast_run, raw, locale):
    scene, p = run(fast_run, raw, locale)
    end = scene.pictures[CURVES]
    layers = np.arange(p.depth + 1)
    for key, residual in (("grad_plain", False), ("grad_residual", True)):
        ref = torch_grad_norms(p, residual)
        drawn = end.value_array(key)  # (L+1, 2): each dot's (layer, norm) read back from the axes
        np.testing.assert_allclose(drawn[:, 0], layers, atol=READ_BACK)
        np.testing.assert_allclose(drawn[:, 1], ref, rtol=READ_BACK)
        assert end.text(f"grad_in_{key[5:]}") == sig3(ref[0])
    plain = torch_grad_norms(p, False)
    assert end.text("grad_out") == sig3(plain[-1])
    assert scene.pictures[AXES].text("grad_out") == sig3(plain[-1])
    assert "grad_plain" not in scene.pictures[AXES].keys()  # the curves come with the comparison


def test_default_plain_stack_loses_its_gradient_and_residual_keeps_it():
    p = ResidualNorm.Params()
    plain, res = torch_grad_norms(p, False), torch_grad_norms(p, True)
    assert plain[0] < plain[-1] / 10 < res[0] / 10
