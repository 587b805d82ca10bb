"""layers.residual: what the viewer reads, against torch autograd.

The gradient norm at every depth of both stacks is recomputed by torch autograd on the scene's seeded weights
and data; the plotted points, the readouts, the table (output, input, ratio, per-layer factor) and the
compounding formulas are compared with it, formatted as the screen formats them.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from lib.nets.depth_gradients import init_stack
from scenes.kit import numbers
from scenes.layers.residual import Residual

SETS = [None, *Residual.EXAMPLES]
LOCALES = ["en", "zh"]
READ_BACK = 1e-9  # plotted points are read back through the axes' log scaling
STACKS, CURVES, TABLE, WHY = range(4)  # the pauses


def norm_str(v: float, tex: bool = False) -> str:
    """Three significant digits, scientific outside 10⁻³ … 10⁴ (as the scene writes a norm)."""
    if v < 1e-3 or v >= 1e4:
        return numbers.sci(v, 2, tex=tex)
    return numbers.fixed(v, 2 - math.floor(math.log10(v)), tex=tex)


def run(fast_run, raw, locale):
    scene, _ = fast_run("layers.residual", raw, locale)
    assert len(scene.pictures) == WHY + 1
    return scene, Residual.Params.model_validate(raw or {})


def autograd_norms(p, residual: bool) -> np.ndarray:
    """‖∂L/∂x_l‖, l = 0 … L, by torch autograd on the scene's stack (weights, read-out and data as seeded)."""
    w = init_stack(p.depth, p.width, p.gain, p.seed)
    x0 = np.random.default_rng(p.data_seed).normal(size=(p.batch, p.width))
    xs = [torch.tensor(x0, requires_grad=True)]
    for W, b in zip(torch.tensor(w.W), torch.tensor(w.b), strict=True):
        a = torch.tanh(xs[-1] @ W + b)
        xs.append(xs[-1] + a if residual else a)
        xs[-1].retain_grad()
    (xs[-1] @ torch.tensor(w.readout)).mean().backward()
    return np.array([float(v.grad.norm()) for v in xs])


def summary(norms: np.ndarray) -> tuple[float, float]:
    """(input/output ratio, geometric mean of the per-layer factors ‖g_l‖/‖g_{l+1}‖) from autograd norms."""
    steps = norms[:-1] / norms[1:]
    return float(norms[0] / norms[-1]), float(np.exp(np.log(steps).mean()))


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("raw", SETS)
def test_curves_are_autograd_gradient_norms(fast_run, raw, locale):
    scene, p = run(fast_run, raw, locale)
    pic = scene.pictures[CURVES]
    for key, residual in (("grad_plain", False), ("grad_residual", True)):
        ref = autograd_norms(p, residual)
        drawn = pic.value_array(key)  # (L+1, 2): each dot's (layer, norm) read back from the axes
        np.testing.assert_allclose(drawn[:, 0], np.arange(p.depth + 1), atol=READ_BACK)
        np.testing.assert_allclose(drawn[:, 1], ref, rtol=READ_BACK)
        assert pic.text(f"grad_in_{key[5:]}") == norm_str(ref[0])
    assert pic.text("grad_out") == norm_str(autograd_norms(p, False)[-1])
    said = next(b.text for b in scene.beats if b.id == "curves")
    assert norm_str(autograd_norms(p, False)[0]) in said and norm_str(autograd_norms(p, True)[0]) in said


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("raw", SETS)
def test_table_and_compounding_match_autograd(fast_run, raw, locale):
    scene, p = run(fast_run, raw, locale)
    plain, res = autograd_norms(p, False), autograd_norms(p, True)
    table, why = scene.pictures[TABLE], scene.pictures[WHY]
    assert "grad_plain" not in table.keys()  # the plot is gone
    (rp, fp), (rr, fr) = summary(plain), summary(res)
    assert list(table.array("t_out")) == [norm_str(plain[-1]), norm_str(res[-1])]
    assert list(table.array("t_in")) == [norm_str(plain[0]), norm_str(res[0])]
    assert list(table.array("t_ratio")) == [norm_str(rp), norm_str(rr)]
    assert list(table.array("t_factor")) == [numbers.fixed(fp, 3), numbers.fixed(fr, 3)]
    assert list(why.array("pow_factor")) == [numbers.fixed(fp, 3, tex=True), numbers.fixed(fr, 3, tex=True)]
    assert list(why.array("pow_ratio")) == [norm_str(rp, tex=True), norm_str(rr, tex=True)]
    said = next(b.text for b in scene.beats if b.id == "why")
    assert numbers.fixed(fp, 3) in said and numbers.fixed(fr, 3) in said


@pytest.mark.parametrize("locale", LOCALES)
def test_setup_states_the_stack(fast_run, locale):
    scene, p = run(fast_run, None, locale)
    pic = scene.pictures[STACKS]
    for fragment in (f"{p.depth} ", "tanh(x W + b)", f" {p.width}", f"{p.batch}"):
        assert pic.contains_text(fragment)
    assert p.depth == 50  # the lecture's 50-layer stacks


def test_default_plain_stack_loses_the_gradient_and_residual_keeps_it():
    p = Residual.Params()
    (rp, fp), (rr, fr) = summary(autograd_norms(p, False)), summary(autograd_norms(p, True))
    assert rp < 0.02 and rr > 1.0 and fp < 1.0 < fr
