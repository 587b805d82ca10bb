"""layers.pooling: the pooled maps and both input gradients as drawn, against torch.

The input and δ are whole numbers, read back from the picture (and checked against the seeded draw);
``F.max_pool2d`` / ``F.avg_pool2d`` pool them, and autograd of Σ δ ⊙ y gives ∂L/∂x for each — the max
gradient in whole numbers, the average one with two decimals, as the screen writes them.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from scenes.kit import numbers
from scenes.layers.pooling import Pooling

SETS = [None, *Pooling.EXAMPLES]
MAX, AVG, MAX_BACK, AVG_BACK = range(4)  # the pauses


def fmt(a, digits: int) -> np.ndarray:
    return np.vectorize(lambda v: numbers.fixed(float(v), digits))(np.asarray(a))


def parse(drawn) -> torch.Tensor:
    return torch.tensor(np.vectorize(lambda s: float(s.replace("−", "-")))(drawn), dtype=torch.float64)


def run(fast_run, raw, locale):
    scene, _ = fast_run("layers.pooling", raw, locale)
    assert len(scene.pictures) == AVG_BACK + 1
    return scene, Pooling.Params.model_validate(raw or {})


def pooled(scene, p, pool):
    """y = pool(x) and ∂(Σ δ ⊙ y)/∂x by autograd, from x and δ as drawn."""
    x = parse(scene.pictures[MAX].array("x"))[None, None].requires_grad_()
    dy = parse(scene.pictures[MAX_BACK].array("delta"))[None, None]
    y = pool(x, p.kernel, p.stride)
    (y * dy).sum().backward()
    return y.detach()[0, 0], x.grad[0, 0]


@pytest.mark.parametrize("raw", SETS)
def test_inputs_are_the_seeded_draw(fast_run, raw):
    scene, p = run(fast_run, raw, "en")
    rng = np.random.default_rng(p.seed)  # the example's contract: a centred permutation, then δ in 1…4
    n = p.size * p.size
    x = (rng.permutation(n) - n // 2).reshape(p.size, p.size)
    assert (scene.pictures[MAX].array("x") == fmt(x, 0)).all()
    o = (p.size - p.kernel) // p.stride + 1
    assert (scene.pictures[MAX_BACK].array("delta") == fmt(rng.integers(1, 5, (1, 1, o, o))[0, 0], 0)).all()


@pytest.mark.parametrize("locale", ["en", "zh"])
@pytest.mark.parametrize("raw", SETS)
def test_forward_maps_are_torch_pooling(fast_run, raw, locale):
    scene, p = run(fast_run, raw, locale)
    y_max, _ = pooled(scene, p, F.max_pool2d)
    y_avg, _ = pooled(scene, p, F.avg_pool2d)
    assert (scene.pictures[MAX].array("y_max") == fmt(y_max, 0)).all()
    assert (scene.pictures[AVG].array("y_avg") == fmt(y_avg, 2)).all()
    assert scene.pictures[AVG].contains_text(f"÷ {p.kernel * p.kernel}")


@pytest.mark.parametrize("locale", ["en", "zh"])
@pytest.mark.parametrize("raw", SETS)
def test_gradients_are_autograd(fast_run, raw, locale):
    scene, p = run(fast_run, raw, locale)
    _, dx_max = pooled(scene, p, F.max_pool2d)
    _, dx_avg = pooled(scene, p, F.avg_pool2d)
    assert (scene.pictures[MAX_BACK].array("dx_max") == fmt(dx_max, 0)).all()
    assert (scene.pictures[AVG_BACK].array("dx_avg") == fmt(dx_avg, 2)).all()
    # by hand: each window's (distinct) maximum receives that window's δ, summed where windows share it
    x = parse(scene.pictures[MAX].array("x"))
    dy = parse(scene.pictures[MAX_BACK].array("delta"))
    routed = torch.zeros_like(x)
    for i in range(dy.shape[0]):
        for j in range(dy.shape[1]):
            r0, c0 = p.stride * i, p.stride * j
            win = x[r0 : r0 + p.kernel, c0 : c0 + p.kernel]
            u, v = divmod(int(win.argmax()), p.kernel)
            routed[r0 + u, c0 + v] += dy[i, j]
    assert (scene.pictures[MAX_BACK].array("dx_max") == fmt(routed, 0)).all()
