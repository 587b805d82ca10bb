"""A small FlashAttention example to follow by hand: random Q, K, V, the tiled result next to exact attention,
and one query row's online-softmax statistics block by block (Dao et al. 2022, Alg. 1 lines 9–13).

For query row i and key block j (keys a … b − 1), with scaled scores s = Q_i K_jᵀ / √d:
    m̃_j = max_{a≤k<b} s_k,   l̃_j = Σ_{a≤k<b} exp(s_k − m̃_j)                    (line 10)
    m_j = max(m_{j−1}, m̃_j),  l_j = e^{m_{j−1} − m_j} l_{j−1} + e^{m̃_j − m_j} l̃_j   (line 11)
so after the last block m = max_k s_k and l = Σ_k exp(s_k − m): the softmax's own max and normaliser.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lib.transformer.attention import AttentionResult, scaled_dot_product_attention
from lib.transformer.flash import FlashResult, flash_attention


@dataclass(frozen=True)
class RowBlocks:
    """One query row's statistics per key block (index j)."""

    starts: np.ndarray  # (n_blocks,)  first key of block j
    stops: np.ndarray  # (n_blocks,)  one past its last key
    block_max: np.ndarray  # (n_blocks,)  m̃_j
    block_sum: np.ndarray  # (n_blocks,)  l̃_j
    m: np.ndarray  # (n_blocks,)  running max after block j
    l: np.ndarray  # (n_blocks,)  running sum after block j


@dataclass(frozen=True)
class FlashExample:
    q: np.ndarray  # (N, d)
    k: np.ndarray  # (N, d)
    v: np.ndarray  # (N, d)
    scaled: np.ndarray  # (N, N)  Q Kᵀ / √d (drawn only: the tiled pass never stores it)
    flash: FlashResult
    exact: AttentionResult
    max_abs_diff: float  # max |O_flash − O_exact|
    row: int
    row_blocks: RowBlocks


def example_qkv(N: int, d: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Q, K, V with standard normal entries (N, d) each."""
    rng = np.random.default_rng(seed)
    return rng.standard_normal((N, d)), rng.standard_normal((N, d)), rng.standard_normal((N, d))


def flash_example(N: int, d: int, block: int, row: int, seed: int = 0) -> FlashExample:
    """Tiles of ``block`` rows for Q and for K, V (B_r = B_c), and query ``row`` followed block by block."""
    q, k, v = example_qkv(N, d, seed)  # (N, d) each
    fl = flash_attention(q, k, v, block_q=block, block_k=block)
    exact = scaled_dot_product_attention(q, k, v)
    s = exact.scaled[row]  # (N,)  the row's scaled scores
    starts = np.arange(0, N, block)  # (n_blocks,)
    stops = np.minimum(starts + block, N)  # (n_blocks,)
    block_max = np.array([s[a:b].max() for a, b in zip(starts, stops, strict=True)])  # (n_blocks,)
    block_sum = np.array(
        [np.exp(s[a:b] - mt).sum() for a, b, mt in zip(starts, stops, block_max, strict=True)]
    )  # (n_blocks,)
    m = np.array([st.m[row] for st in fl.trace])  # (n_blocks,)  from the tiled pass itself
    l = np.array([st.l[row] for st in fl.trace])  # (n_blocks,)
    return FlashExample(
        q, k, v, exact.scaled, fl, exact,
        max_abs_diff=float(np.abs(fl.output - exact.output).max()),
        row=row, row_blocks=RowBlocks(starts, stops, block_max, block_sum, m, l),
    )  # fmt: skip
