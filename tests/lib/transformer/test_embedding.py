"""Token embedding + sinusoidal PE against torch: nn.Embedding with copied weights and the positional
encoding written as in the Annotated Transformer (div_term = exp(−2i · ln(base) / d), sin on even and cos on
odd columns); the wavelengths 2π / div_term; and one value worked by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from lib.transformer.embedding import embed_with_sinusoids, sinusoidal_wavelengths


def torch_pe(T: int, d: int, base: float) -> torch.Tensor:
    pos = torch.arange(T, dtype=torch.float64)[:, None]
    div = torch.exp(torch.arange(0, d, 2, dtype=torch.float64) * -(math.log(base) / d))
    pe = torch.zeros(T, d, dtype=torch.float64)
    pe[:, 0::2] = torch.sin(pos * div)
    pe[:, 1::2] = torch.cos(pos * div)
    return pe


@pytest.mark.parametrize(("d", "base", "scale"), [(64, 10000.0, 1.0), (16, 1000.0, 4.0), (8, 100.0, 1.0)])
def test_sum_matches_torch(d, base, scale):
    rng = np.random.default_rng(0)
    E = rng.normal(size=(32, d))
    tokens = np.array([5, 12, 27, 5, 12, 0, 31])
    got = embed_with_sinusoids(E, tokens, base, scale)
    emb = torch.nn.Embedding.from_pretrained(torch.from_numpy(E))
    tok = scale * emb(torch.from_numpy(tokens))
    pe = torch_pe(len(tokens), d, base)
    np.testing.assert_allclose(got.token_embedding, tok.numpy(), rtol=0, atol=1e-12)
    np.testing.assert_allclose(got.positional, pe.numpy(), rtol=0, atol=1e-12)
    np.testing.assert_allclose(got.x, (tok + pe).numpy(), rtol=0, atol=1e-12)
    # the same token at two positions: one embedding row, two different inputs
    np.testing.assert_array_equal(got.token_embedding[0], got.token_embedding[3])
    assert np.abs(got.x[0] - got.x[3]).max() > 0.1


def test_wavelengths_match_torch_and_the_paper():
    d, base = 64, 10000.0
    div = torch.exp(torch.arange(0, d, 2, dtype=torch.float64) * -(math.log(base) / d))
    lam = sinusoidal_wavelengths(d, base)
    np.testing.assert_allclose(lam, (2 * math.pi / div).numpy(), rtol=1e-13, atol=0)
    assert lam[0] == pytest.approx(2 * math.pi, abs=1e-15)  # "from 2π …"
    np.testing.assert_allclose(lam[1:] / lam[:-1], base ** (2 / d), rtol=1e-13)  # a geometric progression
    assert lam[-1] < 2 * math.pi * base  # "… to 10000 · 2π" (approached, never reached: i < d/2)
    assert sinusoidal_wavelengths(8, 100.0)[1] == pytest.approx(
        2 * math.pi * math.sqrt(10.0), rel=1e-14
    )  # 100^{2/8}


def test_hand_worked_first_positions():
    got = embed_with_sinusoids(np.zeros((2, 4)), np.array([0, 1]), base=10000.0)
    # pos 0: sin 0 = 0, cos 0 = 1; pos 1, pair 0: (sin 1, cos 1); pair 1: ω = 10000^{-2/4} = 0.01
    np.testing.assert_allclose(got.x[0], [0.0, 1.0, 0.0, 1.0], atol=1e-15)
    np.testing.assert_allclose(
        got.x[1], [math.sin(1), math.cos(1), math.sin(0.01), math.cos(0.01)], atol=1e-15
    )
