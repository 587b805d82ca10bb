"""layers.conv_pixel: every number the viewer reads, against torch's ``F.conv2d`` on the input as drawn.

The input, the kernel and the bias are whole numbers, so the test reads them back from the first pause,
checks that they are the seeded draw, and recomputes the rest in torch: the worked pixel's window ⊙ kernel
(sliced by hand at s·i, s·j), each channel's sum, the worked sum with its bias, and the whole output map.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from scenes.kit import numbers
from scenes.layers.conv_pixel import ConvPixel

SETS = [None, *ConvPixel.EXAMPLES]
INPUTS, PRODUCTS, SUM, FILL = range(4)  # the pauses


def ints(a) -> np.ndarray:
    return np.vectorize(lambda v: numbers.integer(float(v)))(np.asarray(a))


def parse(drawn: np.ndarray) -> torch.Tensor:
    return torch.tensor(np.vectorize(lambda s: float(s.replace("−", "-")))(drawn), dtype=torch.float64)


def run(fast_run, raw, locale):
    scene, _ = fast_run("layers.conv_pixel", raw, locale)
    assert len(scene.pictures) == FILL + 1
    return scene, ConvPixel.Params.model_validate(raw or {})


def drawn_inputs(scene, p):
    pic = scene.pictures[INPUTS]
    x = torch.stack([parse(pic.array(f"x{c}")) for c in range(p.channels)])[None]  # (1, C, H, W)
    w = torch.stack([parse(pic.array(f"w{c}")) for c in range(p.channels)])[None]  # (1, C, k, k)
    b = torch.tensor([float(pic.text("b").replace("−", "-"))], dtype=torch.float64)
    return x, w, b


@pytest.mark.parametrize("raw", SETS)
def test_inputs_are_the_seeded_whole_numbers(fast_run, raw):
    scene, p = run(fast_run, raw, "en")
    x, w, b = drawn_inputs(scene, p)
    rng = np.random.default_rng(p.seed)  # the example's contract: x in −2…3, then w in −2…2, then b in −2…2
    assert (x.numpy() == rng.integers(-2, 4, (1, p.channels, p.size, p.size))).all()
    assert (w.numpy() == rng.integers(-2, 3, (1, p.channels, p.kernel, p.kernel))).all()
    assert b.item() == rng.integers(-2, 3)


@pytest.mark.parametrize("locale", ["en", "zh"])
@pytest.mark.parametrize("raw", SETS)
def test_the_worked_pixel_is_the_window_times_the_kernel(fast_run, raw, locale):
    scene, p = run(fast_run, raw, locale)
    x, w, b = drawn_inputs(scene, p)
    r0, c0 = p.stride * p.row, p.stride * p.col
    window = x[0, :, r0 : r0 + p.kernel, c0 : c0 + p.kernel]  # (C, k, k)
    products = window * w[0]
    pic = scene.pictures[PRODUCTS]
    for c in range(p.channels):
        assert (pic.array(f"prod{c}") == ints(products[c])).all(), c
        assert pic.text("chan_sum", c) == numbers.integer(float(products[c].sum()))
    y = F.conv2d(x, w, b, stride=p.stride)[0, 0]
    s = scene.pictures[SUM]
    sums = products.sum(dim=(1, 2))
    assert s.text("term", 0) == numbers.integer(float(sums[0]), tex=True)
    for c in range(1, p.channels):
        assert (
            s.text("term", c) == f"{'+' if sums[c] >= 0 else ''}{numbers.integer(float(sums[c]), tex=True)}"
        )
    bias = numbers.integer(b.item(), tex=True)
    assert s.text("bias_term") == (bias if b.item() < 0 else "+" + bias)
    assert s.text("y_pixel") == numbers.integer(float(y[p.row, p.col]), tex=True)
    # the output map shows that one pixel, and it is the one F.conv2d puts there
    assert s.texts("y") == {(p.row, p.col): numbers.integer(float(y[p.row, p.col]))}


@pytest.mark.parametrize("locale", ["en", "zh"])
@pytest.mark.parametrize("raw", SETS)
def test_the_output_map_is_conv2d(fast_run, raw, locale):
    scene, p = run(fast_run, raw, locale)
    x, w, b = drawn_inputs(scene, p)
    y = F.conv2d(x, w, b, stride=p.stride)[0, 0]
    assert (scene.pictures[FILL].array("y") == ints(y)).all()
