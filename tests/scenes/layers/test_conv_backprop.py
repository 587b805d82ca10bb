"""layers.conv_backprop: every gradient the viewer reads, against torch autograd on the numbers as drawn.

x, w, b and δ = ∂L/∂y are whole numbers, so the test reads them back from the first pause, checks the seeded
draw, and lets autograd differentiate L = Σ δ ⊙ conv2d(x, w, b): ∂L/∂b, ∂L/∂w and ∂L/∂x must be the maps
drawn. The worked entries are derived by hand in torch: the window of x at (u, v) times δ, and the window
of δ zero-padded by k − 1 (``F.pad``) times the kernel flipped with ``torch.flip``.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from scenes.kit import numbers
from scenes.layers.conv_backprop import ConvBackprop

SETS = [None, *ConvBackprop.EXAMPLES]
FORWARD, BIAS, WEIGHT, WEIGHT_FILL, INPUT, INPUT_FILL = range(6)  # the pauses


def ints(a) -> np.ndarray:
    return np.vectorize(lambda v: numbers.integer(float(v)))(np.asarray(a))


def parse(drawn) -> torch.Tensor:
    return torch.tensor(np.vectorize(lambda s: float(s.replace("−", "-")))(drawn), dtype=torch.float64)


def run(fast_run, raw, locale):
    scene, _ = fast_run("layers.conv_backprop", raw, locale)
    assert len(scene.pictures) == INPUT_FILL + 1
    return scene, ConvBackprop.Params.model_validate(raw or {})


def autograd(scene):
    """The drawn forward inputs, and their gradients by torch autograd."""
    pic = scene.pictures[FORWARD]
    x = parse(pic.array("x"))[None, None].requires_grad_()
    w = parse(pic.array("w"))[None, None].requires_grad_()
    b = parse(np.array([pic.text("b")])).requires_grad_()
    dy = parse(pic.array("delta"))[None, None]
    y = F.conv2d(x, w, b)
    (y * dy).sum().backward()
    return {"x": x.detach()[0, 0], "w": w.detach()[0, 0], "dy": dy[0, 0], "y": y.detach()[0, 0],
            "dx": x.grad[0, 0], "dw": w.grad[0, 0], "db": b.grad[0]}  # fmt: skip


@pytest.mark.parametrize("raw", SETS)
def test_inputs_are_the_seeded_whole_numbers(fast_run, raw):
    scene, p = run(fast_run, raw, "en")
    g = autograd(scene)
    rng = np.random.default_rng(p.seed)  # the example's contract: x in −2…3, w, b, δ in −2…2, in this order
    o = p.size - p.kernel + 1
    assert (g["x"].numpy() == rng.integers(-2, 4, (1, 1, p.size, p.size))[0, 0]).all()
    assert (g["w"].numpy() == rng.integers(-2, 3, (1, 1, p.kernel, p.kernel))[0, 0]).all()
    rng.integers(-2, 3, (1,))  # b, read back below
    assert (g["dy"].numpy() == rng.integers(-2, 3, (1, 1, o, o))[0, 0]).all()
    assert (scene.pictures[FORWARD].array("y") == ints(g["y"])).all()


@pytest.mark.parametrize("locale", ["en", "zh"])
@pytest.mark.parametrize("raw", SETS)
def test_bias_and_kernel_gradients_are_autograd(fast_run, raw, locale):
    scene, p = run(fast_run, raw, locale)
    g = autograd(scene)
    assert scene.pictures[BIAS].text("db") == numbers.integer(float(g["db"]), tex=True)
    o = g["dy"].shape[0]
    worked = scene.pictures[WEIGHT]
    window = g["x"][p.tap_row : p.tap_row + o, p.tap_col : p.tap_col + o]
    assert (worked.array("dw_prod") == ints(window * g["dy"])).all()
    assert worked.text("dw_sum") == numbers.integer(float(g["dw"][p.tap_row, p.tap_col]))
    assert worked.texts("dw") == {
        (p.tap_row, p.tap_col): numbers.integer(float(g["dw"][p.tap_row, p.tap_col]))
    }
    assert (scene.pictures[WEIGHT_FILL].array("dw") == ints(g["dw"])).all()


@pytest.mark.parametrize("locale", ["en", "zh"])
@pytest.mark.parametrize("raw", SETS)
def test_input_gradient_is_the_full_convolution_and_autograd(fast_run, raw, locale):
    scene, p = run(fast_run, raw, locale)
    g = autograd(scene)
    k = p.kernel
    padded = F.pad(g["dy"], (k - 1, k - 1, k - 1, k - 1))
    flipped = torch.flip(g["w"], dims=(0, 1))
    worked = scene.pictures[INPUT]
    assert (worked.array("delta_pad") == ints(padded)).all()
    assert (worked.array("w_flip") == ints(flipped)).all()
    r, q = p.pixel_row, p.pixel_col
    products = padded[r : r + k, q : q + k] * flipped
    assert (worked.array("dx_prod") == ints(products)).all()
    assert (
        worked.text("dx_sum")
        == numbers.integer(float(g["dx"][r, q]))
        == numbers.integer(float(products.sum()))
    )
    assert worked.texts("dx") == {(r, q): numbers.integer(float(g["dx"][r, q]))}
    assert (scene.pictures[INPUT_FILL].array("dx") == ints(g["dx"])).all()
