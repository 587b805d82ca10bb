"""How many score cells an attention pattern computes: per query row, exactly, in O(T).

Full attention fills the whole T × T score matrix (Vaswani et al. 2017, eq. 1): T² cells. The causal mask
(§3.2.3) keeps j ≤ i: T(T + 1)/2. Longformer's sliding window (Beltagy et al. 2020, §3.1, Fig. 2b) keeps
|i − j| ≤ w, about T(2w + 1) cells — linear in T; its global attention (Fig. 2d) adds, for each of g global
tokens, a full row and a full column: about T(2w + 1) + 2gT. The counts here are row by row (band edges and
global tokens inside the band counted once), so they equal the number of True cells of the masks built by
``lib.transformer.attention`` / ``lib.transformer.patterns`` at any T, without building a T × T array.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

Kind = Literal["full", "causal", "local", "global"]
KINDS: tuple[Kind, ...] = ("full", "causal", "local", "global")


@dataclass(frozen=True)
class PatternCost:
    kind: Kind
    per_row: np.ndarray  # (T,)  keys query i attends to
    cells: int  # Σ per_row: score cells computed
    fraction: float  # cells / T²


def _band(T: int, half_width: int) -> np.ndarray:
    """Keys j with |i − j| ≤ w for each row i: the band clipped at both ends of the sequence."""
    i = np.arange(T)  # (T,)
    return np.minimum(i + half_width, T - 1) - np.maximum(i - half_width, 0) + 1  # (T,)


def row_counts(kind: Kind, T: int, half_width: int = 1, global_tokens: Sequence[int] = ()) -> np.ndarray:
    """Attended keys per query row (T,) for one pattern (``half_width`` and ``global_tokens`` as in
    ``lib.transformer.patterns.global_pattern``)."""
    i = np.arange(T)  # (T,)
    if kind == "full":
        return np.full(T, T, dtype=np.int64)  # (T,)
    if kind == "causal":
        return (i + 1).astype(np.int64)  # (T,)  keys 0 … i
    band = _band(T, half_width)  # (T,)
    if kind == "local":
        return band.astype(np.int64)
    if kind != "global":
        raise ValueError(f"unknown pattern {kind!r}")
    g = np.unique(np.asarray(global_tokens, dtype=np.int64))  # (G,)
    if g.size and (g.min() < 0 or g.max() >= T):
        raise ValueError(f"global tokens {g.tolist()} outside 0 … {T - 1}")
    outside = (np.abs(i[:, None] - g[None, :]) > half_width).sum(axis=1)  # (T,)  global columns off the band
    counts = band + outside  # (T,)
    counts[g] = T  # a global token's row attends to every key
    return counts.astype(np.int64)


def pattern_cost(kind: Kind, T: int, half_width: int = 1, global_tokens: Sequence[int] = ()) -> PatternCost:
    """Cells computed by ``kind`` at length T, and their share of the T² of full attention."""
    per_row = row_counts(kind, T, half_width, global_tokens)  # (T,)
    cells = int(per_row.sum())
    return PatternCost(kind, per_row, cells, cells / (T * T))
