"""lib/transformer/rope_view.py against torch (complex rotation with torch.polar) and by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from lib.transformer.rope_view import alibi_causal_bias, query_key, rope_angles, rope_score, rotated_pair


def torch_rotated(x: np.ndarray, m: int, base: float) -> torch.Tensor:
    """x's pairs as complex numbers times polar(1, m θ_i), θ_i = base^{−2i/d} (LLaMA's reference form)."""
    xt = torch.tensor(x, dtype=torch.float64)
    d = xt.shape[-1]
    theta = base ** (-torch.arange(0, d, 2, dtype=torch.float64) / d)
    z = torch.view_as_complex(xt.reshape(-1, 2).contiguous())
    return z * torch.polar(torch.ones(d // 2, dtype=torch.float64), m * theta)


@pytest.mark.parametrize("d, base", [(8, 10000.0), (16, 100.0)])
def test_rotated_pairs_and_scores_match_torch(d: int, base: float) -> None:
    q, k = query_key(d, seed=3)
    for m in (0, 1, 3, 7, 50):
        zq = torch_rotated(q, m, base)
        for i in range(d // 2):
            np.testing.assert_allclose(rotated_pair(q, i, m, base), [zq[i].real, zq[i].imag], atol=1e-12)
        for n in (0, 1, 5):
            ref = (zq * torch_rotated(k, n, base).conj()).real.sum().item()  # Re Σ q̃ conj(k̃): eq. 16
            assert rope_score(q, k, m, n, base) == pytest.approx(ref, abs=1e-12)


def test_scores_equal_for_equal_offsets_and_angles_by_hand() -> None:
    q, k = query_key(8, seed=0)
    assert rope_score(q, k, 3, 1) == pytest.approx(rope_score(q, k, 7, 5), abs=1e-12)
    assert abs(rope_score(q, k, 3, 1) - rope_score(q, k, 7, 1)) > 1e-3
    np.testing.assert_allclose(rope_angles(8), [1.0, 0.1, 0.01, 0.001], rtol=1e-15)
    # d = 2, θ_0 = 1: position m turns (1, 0) by m radians
    np.testing.assert_allclose(
        rotated_pair(np.array([1.0, 0.0]), 0, 2), [math.cos(2), math.sin(2)], atol=1e-15
    )


def test_alibi_causal_bias_by_hand() -> None:
    b = alibi_causal_bias(4, 3)  # slopes 2^{-2}, 2^{-4}, 2^{-6}, 2^{-8}
    for h in range(4):
        m = 2.0 ** (-8 * (h + 1) / 4)
        want = [[0, -np.inf, -np.inf], [-m, 0, -np.inf], [-2 * m, -m, 0]]
        np.testing.assert_array_equal(b[h], want)
