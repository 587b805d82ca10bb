"""HBM reads and writes of standard attention and of FlashAttention, counted exactly for the algorithms as
written in Dao et al. 2022, "FlashAttention" (numbers of elements moved between HBM and on-chip SRAM).

Standard attention (Alg. 0): 1. load Q, K, write S = QKᵀ; 2. read S, write P = softmax(S); 3. load P, V,
write O = PV:   reads 3Nd + 2N², writes 2N² + Nd  →  Θ(Nd + N²)  (Theorem 2).
FlashAttention (Alg. 1) with SRAM of M elements: B_c = ⌈M / 4d⌉, B_r = min(⌈M / 4d⌉, d) (line 1),
T_c = ⌈N / B_c⌉ key/value blocks. Line 2 writes O, ℓ, m (Nd + 2N); each of the T_c outer steps loads
K_j, V_j (line 6) and, for every query block, loads Q_i, O_i, ℓ_i, m_i (line 8: 2Nd + 2N over all i) and
writes O_i, ℓ_i, m_i back (lines 12–13: Nd + 2N):   reads 2Nd + T_c(2Nd + 2N), writes (T_c + 1)(Nd + 2N)
→ Θ(N²d²M⁻¹) (Theorem 2), since T_c ≈ 4Nd/M.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class HBMAccesses:
    reads: int  # elements read from HBM
    writes: int  # elements written to HBM

    @property
    def total(self) -> int:
        return self.reads + self.writes


@dataclass(frozen=True)
class FlashIO(HBMAccesses):
    block_r: int  # B_r, query rows per tile
    block_c: int  # B_c, key/value rows per tile
    n_blocks_c: int  # T_c, outer-loop steps


def _ceil_div(a: int, b: int) -> int:
    return -(-a // b)


def standard_attention_io(N: int, d: int) -> HBMAccesses:
    """Alg. 0 of Dao et al. 2022: S and P (N × N) each written to HBM and read back."""
    return HBMAccesses(reads=2 * N * d + N * N + N * N + N * d, writes=N * N + N * N + N * d)


def flash_block_sizes(d: int, M: int) -> tuple[int, int]:
    """(B_r, B_c) of Alg. 1 line 1 for head dimension d and an SRAM of M elements."""
    if M < 4 * d:
        raise ValueError(f"an SRAM of {M} elements cannot hold one row of Q, K, V and O at d = {d}")
    b_c = _ceil_div(M, 4 * d)
    return min(b_c, d), b_c


def flash_attention_io(N: int, d: int, M: int) -> FlashIO:
    """Alg. 1 of Dao et al. 2022 as written: the running O, ℓ, m of every query block go to HBM and back
    once per key/value block — which is why the count grows with T_c = ⌈N / B_c⌉."""
    b_r, b_c = flash_block_sizes(d, M)
    t_c = _ceil_div(N, b_c)
    state = N * d + 2 * N  # O, ℓ and m of all rows
    reads = 2 * N * d + t_c * state + t_c * N * d  # K_j, V_j once; per outer step Q and (O, ℓ, m)
    writes = state + t_c * state  # line 2, then lines 12–13 per outer step
    return FlashIO(reads=reads, writes=writes, block_r=b_r, block_c=b_c, n_blocks_c=t_c)


@dataclass(frozen=True)
class IOComparison:
    standard: HBMAccesses
    flash: FlashIO
    ratio: float  # standard.total / flash.total: how many times fewer elements the tiled pass moves


def compare_io(N: int, d: int, M: int) -> IOComparison:
    """Both counts for one layer's attention (one head: N × d) and an SRAM of M elements."""
    std, fl = standard_attention_io(N, d), flash_attention_io(N, d, M)
    return IOComparison(std, fl, std.total / fl.total)
