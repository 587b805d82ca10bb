"""lib/transformer/positions.py: sinusoidal PE, RoPE and ALiBi against independent torch formulations and
by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from lib.transformer.attention import causal_mask, scaled_dot_product_attention
from lib.transformer.positions import (
    alibi_bias,
    alibi_slopes,
    apply_rope,
    apply_rope_complex,
    apply_rope_matrix,
    rope_matrix,
    rope_tables,
    rotate_pairs,
    sinusoidal_encoding,
    sinusoidal_shift_matrix,
)

ATOL = 1e-12

# ── sinusoidal ──────────────────────────────────────────────────────────────────────────────────────


def torch_sinusoidal(T: int, d: int) -> np.ndarray:
    """The Annotated Transformer's formulation: div_term = exp(2i · −ln(10000)/d)."""
    pe = torch.zeros(T, d, dtype=torch.float64)
    position = torch.arange(0, T, dtype=torch.float64).unsqueeze(1)
    div_term = torch.exp(torch.arange(0, d, 2, dtype=torch.float64) * -(math.log(10000.0) / d))
    pe[:, 0::2] = torch.sin(position * div_term)
    pe[:, 1::2] = torch.cos(position * div_term)
    return pe.numpy()


@pytest.mark.parametrize("T,d", [(1, 2), (17, 8), (50, 64), (9, 6)])
def test_sinusoidal_matches_two_formulations(T: int, d: int) -> None:
    pe = sinusoidal_encoding(T, d)
    np.testing.assert_allclose(pe, torch_sinusoidal(T, d), atol=1e-12, rtol=0)
    loop = [
        [
            math.sin(pos / 10000 ** (c / d)) if c % 2 == 0 else math.cos(pos / 10000 ** ((c - 1) / d))
            for c in range(d)
        ]
        for pos in range(T)
    ]
    np.testing.assert_allclose(pe, loop, atol=1e-12, rtol=0)


def test_sinusoidal_by_hand_and_shift() -> None:
    pe = sinusoidal_encoding(3, 4)
    np.testing.assert_array_equal(pe[0], [0, 1, 0, 1])  # sin 0, cos 0
    np.testing.assert_allclose(pe[1], [math.sin(1), math.cos(1), math.sin(0.01), math.cos(0.01)], atol=1e-15)
    # §3.5: PE(pos + k) is a linear function of PE(pos), the same map for every pos
    pe = sinusoidal_encoding(40, 16)
    for k in (1, 3, 7):
        np.testing.assert_allclose(pe[: 40 - k] @ sinusoidal_shift_matrix(k, 16).T, pe[k:], atol=ATOL)
    with pytest.raises(ValueError):
        sinusoidal_encoding(3, 5)


# ── RoPE ────────────────────────────────────────────────────────────────────────────────────────────


def llama_rope(x: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """Meta's LLaMA reference: consecutive pairs as complex numbers times polar(1, m θ_i)."""
    xt = torch.tensor(x)
    d = xt.shape[-1]
    freqs = 1.0 / (10000.0 ** (torch.arange(0, d, 2, dtype=torch.float64) / d))
    freqs_cis = torch.polar(
        torch.ones(len(positions), d // 2, dtype=torch.float64),
        torch.outer(torch.tensor(positions, dtype=torch.float64), freqs),
    )
    xc = torch.view_as_complex(xt.reshape(*xt.shape[:-1], -1, 2).contiguous())
    return torch.view_as_real(xc * freqs_cis).flatten(-2).numpy()


@pytest.mark.parametrize("lead", [(), (3,), (2, 2)])
def test_rope_three_forms_and_torch_agree(lead) -> None:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((*lead, 7, 8))
    pos = np.array([0, 1, 2, 5, 11, 100, 3000])
    fast = apply_rope(x, pos)
    np.testing.assert_allclose(apply_rope_matrix(x, pos), fast, atol=ATOL)
    np.testing.assert_allclose(apply_rope_complex(x, pos), fast, atol=ATOL)
    np.testing.assert_allclose(llama_rope(x, pos), fast, atol=1e-12)
    np.testing.assert_allclose(
        np.linalg.norm(fast, axis=-1), np.linalg.norm(x, axis=-1), atol=ATOL
    )  # rotation
    np.testing.assert_array_equal(apply_rope(x), apply_rope(x, np.arange(7)))


def test_rope_by_hand() -> None:
    # d = 2: θ_0 = 1, so position m rotates the pair by m radians
    np.testing.assert_allclose(
        apply_rope(np.array([[1.0, 0.0], [1.0, 0.0]]), np.array([0, 1])),
        [[1, 0], [math.cos(1), math.sin(1)]],
        atol=1e-15,
    )
    np.testing.assert_array_equal(rotate_pairs(np.array([1.0, 2.0, 3.0, 4.0])), [-2, 1, -4, 3])
    # d = 4: θ = (1, 1/100); eq. 15 blocks
    R = rope_matrix(2.0, 4)
    c, s, c2, s2 = math.cos(2), math.sin(2), math.cos(0.02), math.sin(0.02)
    np.testing.assert_allclose(R, [[c, -s, 0, 0], [s, c, 0, 0], [0, 0, c2, -s2], [0, 0, s2, c2]], atol=1e-15)
    tab = rope_tables(np.array([2.0]), 4)
    np.testing.assert_allclose(tab.cos, [[c, c, c2, c2]], atol=1e-15)
    np.testing.assert_allclose(tab.theta, [1.0, 0.01], atol=0, rtol=1e-15)


@settings(max_examples=40, deadline=None)
@given(
    m=st.integers(0, 2000), n=st.integers(0, 2000), shift=st.integers(-500, 500), seed=st.integers(0, 2**16)
)
def test_rope_score_depends_only_on_offset(m: int, n: int, shift: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    q, k = rng.standard_normal((1, 16)), rng.standard_normal((1, 16))
    score = (apply_rope(q, np.array([m])) @ apply_rope(k, np.array([n])).T).item()
    moved = (apply_rope(q, np.array([m + shift])) @ apply_rope(k, np.array([n + shift])).T).item()
    # angles m·θ reach 2500 rad, whose rounding (~3e−13 rad) bounds the agreement
    assert math.isclose(score, moved, abs_tol=1e-11)
    # eq. 16: q_mᵀ k_n = qᵀ R_{n−m} k
    assert math.isclose(score, (q @ rope_matrix(n - m, 16) @ k.T).item(), abs_tol=1e-11)
    np.testing.assert_allclose(rope_matrix(m, 16).T @ rope_matrix(n, 16), rope_matrix(n - m, 16), atol=1e-12)


# ── ALiBi ───────────────────────────────────────────────────────────────────────────────────────────


def torch_slopes(n: int) -> torch.Tensor:
    """Press et al.'s recipe, written from the paper: n = 2^k → 2^{−8h/n}, h = 1 … n; else interleave."""

    def pow2(n: int) -> torch.Tensor:
        return torch.pow(
            torch.tensor(2.0, dtype=torch.float64), -8.0 * torch.arange(1, n + 1, dtype=torch.float64) / n
        )

    if math.log2(n).is_integer():
        return pow2(n)
    closest = 2 ** int(math.floor(math.log2(n)))
    return torch.cat([pow2(closest), pow2(2 * closest)[0::2][: n - closest]])


def test_alibi_slopes_by_hand() -> None:
    np.testing.assert_allclose(alibi_slopes(8), [2.0**-h for h in range(1, 9)], rtol=1e-15)
    np.testing.assert_allclose(alibi_slopes(4), [2.0**-2, 2.0**-4, 2.0**-6, 2.0**-8], rtol=1e-15)
    np.testing.assert_allclose(
        alibi_slopes(6), [2.0**-2, 2.0**-4, 2.0**-6, 2.0**-8, 2.0**-1, 2.0**-3], rtol=1e-15
    )
    np.testing.assert_array_equal(alibi_slopes(1), [2.0**-8])
    with pytest.raises(ValueError):
        alibi_slopes(0)


@pytest.mark.parametrize("n", [1, 2, 3, 5, 6, 8, 12, 16, 20, 24, 32])
def test_alibi_slopes_vs_torch(n: int) -> None:
    np.testing.assert_allclose(alibi_slopes(n), torch_slopes(n).numpy(), rtol=1e-14)
    assert len(np.unique(alibi_slopes(n))) == n


def test_alibi_bias_vs_torch_and_attention() -> None:
    H, Tq = 6, 7
    bias = alibi_bias(H, Tq)
    i = torch.arange(Tq, dtype=torch.float64)
    ref = -torch_slopes(H)[:, None, None] * (i[None, :, None] - i[None, None, :])  # −m (i − j)
    np.testing.assert_allclose(bias, ref.numpy(), atol=ATOL)
    np.testing.assert_allclose(bias[2, 4, :5], -alibi_slopes(H)[2] * np.array([4, 3, 2, 1, 0]), atol=ATOL)
    # rectangular (decoding): the last T_q rows of the square bias
    np.testing.assert_allclose(alibi_bias(H, 3, Tq), bias[:, -3:], atol=ATOL)
    # attention with the bias vs torch sdpa given the bias as a float mask, and vs fairseq's m·j form
    # (it differs from −m(i − j) by a constant per row, which softmax ignores)
    rng = np.random.default_rng(1)
    q, k, v = (rng.standard_normal((2, H, Tq, 4)) for _ in range(3))
    ours = scaled_dot_product_attention(q, k, v, mask=causal_mask(Tq), bias=bias).output
    fmask = torch.tensor(np.where(causal_mask(Tq), bias, -np.inf))
    ref_out = F.scaled_dot_product_attention(*(torch.tensor(a) for a in (q, k, v)), attn_mask=fmask).numpy()
    np.testing.assert_allclose(ours, ref_out, atol=ATOL)
    fairseq = torch_slopes(H)[:, None, None] * i[None, None, :]  # (H, 1, T)
    fmask = torch.where(torch.tensor(causal_mask(Tq)), fairseq, -torch.inf)
    ref_out = F.scaled_dot_product_attention(*(torch.tensor(a) for a in (q, k, v)), attn_mask=fmask).numpy()
    np.testing.assert_allclose(ours, ref_out, atol=1e-12)
