"""lib/transformer/flash_io.py: the HBM counts equal a step-by-step simulation of Dao et al. 2022's Alg. 0
and Alg. 1 that counts every element it loads or stores — and whose tiles, computed in torch from what was
loaded only, give torch's scaled_dot_product_attention."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from lib.transformer.flash_io import compare_io, flash_attention_io, flash_block_sizes, standard_attention_io


class HBM:
    """Tensors in HBM; every load and store counts its elements."""

    def __init__(self) -> None:
        self.reads = self.writes = 0

    def load(self, x: torch.Tensor) -> torch.Tensor:
        self.reads += x.numel()
        return x.clone()

    def store(self, dst: torch.Tensor, x: torch.Tensor) -> None:
        self.writes += x.numel()
        dst.copy_(x)


def simulate_standard(q, k, v):
    N = q.shape[0]
    hbm = HBM()
    S = torch.empty(N, N, dtype=q.dtype)
    P = torch.empty(N, N, dtype=q.dtype)
    O = torch.empty_like(v)
    hbm.store(S, hbm.load(q) @ hbm.load(k).T / math.sqrt(q.shape[1]))
    hbm.store(P, torch.softmax(hbm.load(S), dim=-1))
    hbm.store(O, hbm.load(P) @ hbm.load(v))
    return O, hbm


def simulate_flash(q, k, v, M):
    N, d = q.shape
    hbm = HBM()
    b_c = math.ceil(M / (4 * d))  # line 1
    b_r = min(b_c, d)
    O, l, m = torch.empty_like(v), torch.empty(N, dtype=q.dtype), torch.empty(N, dtype=q.dtype)
    hbm.store(O, torch.zeros_like(v))  # line 2
    hbm.store(l, torch.zeros(N, dtype=q.dtype))
    hbm.store(m, torch.full((N,), -math.inf, dtype=q.dtype))
    for ks in range(0, N, b_c):  # line 5
        K_j, V_j = hbm.load(k[ks : ks + b_c]), hbm.load(v[ks : ks + b_c])  # line 6
        for qs in range(0, N, b_r):  # line 7
            sl = slice(qs, qs + b_r)
            Q_i, O_i, l_i, m_i = hbm.load(q[sl]), hbm.load(O[sl]), hbm.load(l[sl]), hbm.load(m[sl])  # line 8
            S = Q_i @ K_j.T / math.sqrt(d)  # line 9
            m_t = S.max(dim=1).values  # line 10
            P = torch.exp(S - m_t[:, None])
            l_t = P.sum(dim=1)
            m_new = torch.maximum(m_i, m_t)  # line 11
            l_new = torch.exp(m_i - m_new) * l_i + torch.exp(m_t - m_new) * l_t
            O_new = (
                (l_i * torch.exp(m_i - m_new))[:, None] * O_i + torch.exp(m_t - m_new)[:, None] * (P @ V_j)
            ) / l_new[:, None]
            hbm.store(O[sl], O_new)  # line 12
            hbm.store(l[sl], l_new)  # line 13
            hbm.store(m[sl], m_new)
    return O, hbm


@pytest.mark.parametrize(
    ("N", "d", "M"), [(1, 1, 4), (2, 1, 4), (8, 4, 32), (13, 4, 40), (64, 8, 256), (100, 16, 1000)]
)
def test_counts_equal_a_simulation_that_computes_attention(N, d, M):
    g = torch.Generator().manual_seed(N * 1000 + d)
    q, k, v = (torch.randn(N, d, generator=g, dtype=torch.float64) for _ in range(3))
    ref = F.scaled_dot_product_attention(q[None], k[None], v[None])[0]
    O_std, hbm_std = simulate_standard(q, k, v)
    O_fl, hbm_fl = simulate_flash(q, k, v, M)
    torch.testing.assert_close(O_std, ref, rtol=0, atol=1e-12)
    torch.testing.assert_close(O_fl, ref, rtol=0, atol=1e-12)
    std, fl = standard_attention_io(N, d), flash_attention_io(N, d, M)
    assert (std.reads, std.writes) == (hbm_std.reads, hbm_std.writes)
    assert (fl.reads, fl.writes) == (hbm_fl.reads, hbm_fl.writes)
    assert fl.total == fl.reads + fl.writes


def test_a_case_by_hand():
    # N = 2, d = 1, M = 4: B_c = B_r = 1, T_c = 2. Line 2 writes O, l, m: 6. Each outer step loads K_j, V_j
    # (2) and per query block Q_i, O_i, l_i, m_i (4, twice), then writes O_i, l_i, m_i (3, twice): 10 and 6.
    io = flash_attention_io(2, 1, 4)
    assert (io.block_r, io.block_c, io.n_blocks_c) == (1, 1, 2)
    assert (io.reads, io.writes) == (20, 18)
    # standard: Q, K (4) → S (4); S (4) → P (4); P, V (6) → O (2)
    std = standard_attention_io(2, 1)
    assert (std.reads, std.writes) == (14, 10)
    assert flash_block_sizes(64, 32768) == (64, 128)
    with pytest.raises(ValueError):
        flash_block_sizes(64, 100)


def test_theorem_2_scaling():
    # Θ(N²d²/M): doubling N quadruples the tiled count (up to the Nd terms), doubling M about halves it
    a, b = flash_attention_io(8192, 64, 32768), flash_attention_io(16384, 64, 32768)
    assert 3.9 < b.total / a.total < 4.0
    c = flash_attention_io(8192, 64, 65536)
    assert 1.9 < a.total / c.total < 2.0


def test_compare_io_is_the_two_counts_and_their_ratio():
    c = compare_io(4096, 64, 32768)
    std, fl = simulate_counts(4096, 64, 32768)
    assert (c.standard.reads, c.standard.writes) == std and (c.flash.reads, c.flash.writes) == fl
    assert c.ratio == (std[0] + std[1]) / (fl[0] + fl[1])


def simulate_counts(N: int, d: int, M: int) -> tuple[tuple[int, int], tuple[int, int]]:
    """Counts only (no tensors): Alg. 0's three passes, Alg. 1's loops over blocks of the sizes of line 1."""
    std = (2 * N * d + N * N + N * N + N * d, N * N + N * N + N * d)
    b_c = math.ceil(M / (4 * d))
    b_r = min(b_c, d)
    reads, writes = 0, N * d + 2 * N
    for ks in range(0, N, b_c):
        reads += 2 * min(b_c, N - ks) * d
        for qs in range(0, N, b_r):
            r = min(b_r, N - qs)
            reads += 2 * r * d + 2 * r
            writes += r * d + 2 * r
    return std, (reads, writes)
