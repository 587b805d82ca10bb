"""layers.failures: what the viewer reads, against torch.

The weight-gradient norms of both 100-layer MLPs and the activation spread of the three ReLU stacks by torch
autograd (torch.nn.BatchNorm1d in training mode for the fix) on the scene's seeded weights and data; the
classifier heads' parameters as torch.nn.Linear parameter counts.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from scenes.kit import numbers
from scenes.layers.failures import Failures

SETS = [None, *Failures.EXAMPLES]
LOCALES = ["en", "zh"]
READ_BACK = 1e-9  # plotted points are read back through the axes' log scaling
VANISH, HEAD, ACTS = range(3)  # the pauses


def norm_str(v: float) -> str:
    if v < 1e-3 or v >= 1e4:
        return numbers.sci(v, 2)
    return numbers.fixed(v, 2 - math.floor(math.log10(v)))


def run(fast_run, raw, locale):
    scene, _ = fast_run("layers.failures", raw, locale)
    assert len(scene.pictures) == ACTS + 1
    return scene, Failures.Params.model_validate(raw or {})


def torch_stack(p, depth, gain, act, batchnorm=False):
    """(activation std per layer, ‖∂L/∂W_l‖ per layer) by autograd; weights W_l ~ N(0, gain²/d) as seeded."""
    rng = np.random.default_rng(p.seed)
    draws = rng.normal(0.0, gain / math.sqrt(p.width), size=(depth, p.width, p.width))
    ws = [torch.tensor(w, requires_grad=True) for w in draws]
    c = torch.tensor(rng.normal(size=p.width))
    h = torch.tensor(np.random.default_rng(p.data_seed).normal(size=(p.batch, p.width)))
    stds = [float(h.std(unbiased=False))]
    for w in ws:
        z = h @ w
        if batchnorm:
            z = torch.nn.BatchNorm1d(p.width, affine=False, dtype=torch.float64).train()(z)
        h = act(z)
        stds.append(float(h.detach().std(unbiased=False)))
    (h @ c).mean().backward()
    return np.array(stds), np.array([float(w.grad.norm()) for w in ws])


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("raw", SETS)
def test_vanishing_gradients_are_autograd(fast_run, raw, locale):
    scene, p = run(fast_run, raw, locale)
    pic = scene.pictures[VANISH]
    _, fail = torch_stack(p, p.depth, 1.0, torch.sigmoid)
    _, fix = torch_stack(p, p.depth, math.sqrt(2.0), torch.relu)
    for key, ref in (("grad_fail", fail), ("grad_fix", fix)):
        drawn = pic.value_array(key)  # (L, 2): (layer, norm) read back from the axes
        np.testing.assert_allclose(drawn[:, 0], np.arange(1, p.depth + 1), atol=READ_BACK)
        np.testing.assert_allclose(drawn[:, 1], ref, rtol=1e-8)
    for key, v in (
        ("first_fail", fail[0]),
        ("last_fail", fail[-1]),
        ("first_fix", fix[0]),
        ("last_fix", fix[-1]),
    ):
        assert pic.text(key) == norm_str(v)
    said = " ".join(b.text for b in scene.beats if b.id.startswith("vanish"))
    assert all(norm_str(v) in said for v in (fail[0], fail[-1], fix[0], fix[-1]))


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("raw", SETS)
def test_classifier_heads_are_torch_linear(fast_run, raw, locale):
    scene, p = run(fast_run, raw, locale)
    pic = scene.pictures[HEAD]
    n_in = p.channels * p.spatial * p.spatial
    flat = sum(t.numel() for t in torch.nn.Linear(n_in, p.hidden, device="meta").parameters())
    gap = sum(t.numel() for t in torch.nn.Linear(p.channels, p.hidden, device="meta").parameters())
    assert list(pic.array("fc_inputs")) == [numbers.integer(n_in), numbers.integer(p.channels)]
    assert list(pic.array("fc_params")) == [numbers.integer(flat), numbers.integer(gap)]
    assert list(pic.array("fc_bytes")) == [numbers.byte_size(4 * flat), numbers.byte_size(4 * gap)]
    assert pic.text("head_ratio") == numbers.ratio(flat / gap)


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("raw", SETS)
def test_activation_spread_is_autograd_forward(fast_run, raw, locale):
    scene, p = run(fast_run, raw, locale)
    pic = scene.pictures[ACTS]
    refs = {
        "small": torch_stack(p, p.norm_depth, p.small_gain, torch.relu)[0],
        "large": torch_stack(p, p.norm_depth, p.large_gain, torch.relu)[0],
        "bn": torch_stack(p, p.norm_depth, p.small_gain, torch.relu, batchnorm=True)[0],
    }
    for name, ref in refs.items():
        drawn = pic.value_array(f"std_{name}")
        np.testing.assert_allclose(drawn[:, 0], np.arange(p.norm_depth + 1), atol=READ_BACK)
        np.testing.assert_allclose(drawn[:, 1], ref, rtol=1e-8)
        assert pic.text(f"end_{name}") == norm_str(ref[-1])
    said = " ".join(b.text for b in scene.beats if b.id.startswith("acts"))
    assert all(norm_str(r[-1]) in said for r in refs.values())


def test_defaults_are_the_lecture_cases():
    p = Failures.Params()
    assert (p.depth, p.channels, p.spatial, p.hidden) == (100, 512, 7, 4096)
    _, fail = torch_stack(p, p.depth, 1.0, torch.sigmoid)
    assert fail[0] < 1e-30 * fail[-1]  # vanished
