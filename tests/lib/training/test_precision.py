"""Ties, underflow and the spiky gradients vs torch casts (float64 → float16 / bfloat16) and by hand."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from lib.training.precision import spiky_gradients, ties, underflow


def _torch(x: float, dtype: torch.dtype) -> float:
    return torch.tensor(x, dtype=torch.float64).to(dtype).item()


@pytest.mark.parametrize("k", [0, 1, 7, 500, 1021])
def test_ties_round_to_the_even_neighbour_as_torch_does(k):
    a, b = ties(k)
    for t, j in ((a, k), (b, k + 1)):
        assert t.x == 1 + (j + 0.5) / 1024 and t.lower == 1 + j / 1024 and t.upper == 1 + (j + 1) / 1024
        assert t.rounded == _torch(t.x, torch.float16)  # exact in fp32, so torch's double rounding agrees
        assert t.mantissa % 2 == 0
        assert t.rounded == (t.lower if j % 2 == 0 else t.upper)
    assert {a.rounded == a.lower, b.rounded == b.lower} == {True, False}  # one down, one up


def test_ties_refuse_k_outside_the_binade():
    with pytest.raises(ValueError):
        ties(1023)


@pytest.mark.parametrize("g", [2e-8, 1e-9, 2.5e-8])
def test_underflow_against_torch(g):
    u = underflow(g, 65536.0)
    assert u.fp16 == _torch(g, torch.float16) == 0.0
    assert u.bf16 == _torch(g, torch.bfloat16) != 0.0
    scaled = torch.tensor(g * 65536.0, dtype=torch.float64).to(torch.float16)
    assert u.scaled_fp16 == scaled.item()
    inv = torch.tensor(1 / 65536.0, dtype=torch.float32)
    assert u.recovered == (scaled.float() * inv).item()
    assert abs(u.recovered - g) / g < 2**-10  # fp16's relative precision after scaling


def test_spiky_gradients():
    g = spiky_gradients(6, 1e-3, 2.0, 2, 2)
    np.testing.assert_array_equal(g[:, 0], [1e-3, 1e-3, 2.0, 2.0, 1e-3, 1e-3])
    assert g.shape == (6, 1)
