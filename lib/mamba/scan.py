"""The parallel (Blelloch) scan of the linear recurrence h_t = a_t h_{t−1} + b_t.

References
- Blelloch 1990, "Prefix sums and their applications": work-efficient up-sweep / down-sweep scan.
- Martin & Cundy 2018, "Parallelizing linear recurrent neural nets over sequence length": the operator.
- Smith, Warrington & Linderman 2023, "Simplified State Space Layers" (S5), §2 / Appendix H: the same
  operator on (Ā_t, B̄_t x_t) pairs, which is how the selective scan is parallelised.

Each element e_t = (a_t, b_t) is the affine map h ↦ a_t h + b_t. Composing "first e1, then e2" is
(a1, b1) ∘ (a2, b2) = (a2·a1, a2·b1 + b2): associative (composition of maps), not commutative, with
identity (1, 0). The inclusive scan e_0 ∘ … ∘ e_t, applied to h_{−1} = 0, has b-part h_t.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lib.mamba.ssm import ScanResult, SelectiveMethod, selective_discretize, selective_readout


def combine(
    e1: tuple[np.ndarray, np.ndarray], e2: tuple[np.ndarray, np.ndarray]
) -> tuple[np.ndarray, np.ndarray]:
    """(a1, b1) ∘ (a2, b2) = (a2·a1, a2·b1 + b2): apply e1, then e2 (elementwise over trailing dims)."""
    (a1, b1), (a2, b2) = e1, e2
    return a2 * a1, a2 * b1 + b2


@dataclass(frozen=True)
class ScanNode:
    level: int  # 0 = leaf; up-sweep level d combines spans of 2^d; down-sweep level d splits spans of 2^d
    index: int  # position in the padded array that was written
    a: np.ndarray  # (...)
    b: np.ndarray  # (...)


@dataclass(frozen=True)
class BlellochTrace:
    """Every value the work-efficient scan writes, level by level, for drawing it as a tree.

    up[d−1]: nodes written at up-sweep level d = 1..log₂n (index i·2^d + 2^d − 1 holds its span's total).
    down[k]: nodes written at down-sweep level d = log₂n − k (both children of every span of 2^d);
        before the down-sweep the root is set to the identity (1, 0). After the last level, position t
        holds the exclusive prefix e_0 ∘ … ∘ e_{t−1}, whose b-part is h_{t−1}.
    h: the inclusive scan h_t = a_t h_{t−1} + b_t for t < length.
    leaves: the padded inputs (level 0), with h0 folded into b_0 and identities (1, 0) as padding.
    """

    length: int
    padded_length: int
    up: tuple[tuple[ScanNode, ...], ...]
    down: tuple[tuple[ScanNode, ...], ...]
    h: np.ndarray  # (L, ...)
    leaves: tuple[ScanNode, ...]


def _nodes(level: int, indices: np.ndarray, A: np.ndarray, B: np.ndarray) -> tuple[ScanNode, ...]:
    return tuple(ScanNode(level, int(i), A[i].copy(), B[i].copy()) for i in sorted(indices))


def blelloch_scan(a: np.ndarray, b: np.ndarray, h0: np.ndarray | None = None) -> BlellochTrace:
    """Inclusive scan of h_t = a_t h_{t−1} + b_t (h_{−1} = h0, default 0) by Blelloch's up/down sweeps.

    a, b (L, ...); the sequence is padded to n = 2^⌈log₂L⌉ with identities. Each level is one vectorised
    step over all of its (independent) nodes: O(n) work, O(log n) depth.
    """
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)  # (L, ...)
    L = a.shape[0]
    if L == 0 or a.shape != b.shape:
        raise ValueError(f"need equal non-empty shapes, got {a.shape} and {b.shape}")
    n = 1 << (L - 1).bit_length()  # smallest power of two ≥ L
    depth = n.bit_length() - 1  # log₂ n
    A = np.ones((n, *a.shape[1:]))  # (n, ...)
    B = np.zeros((n, *a.shape[1:]))  # (n, ...)
    A[:L], B[:L] = a, b
    if h0 is not None:
        B[0] = a[0] * h0 + b[0]  # e_{−1} = (·, h0) folded into the first element
    leaves = _nodes(0, np.arange(n), A, B)
    a_leaf, b_leaf = A[:L].copy(), B[:L].copy()  # (L, ...)

    up = []
    for d in range(1, depth + 1):
        right = np.arange(2**d - 1, n, 2**d)  # (n / 2^d,)  span ends
        left = right - 2 ** (d - 1)  # (n / 2^d,)  left halves' ends
        A[right], B[right] = combine((A[left], B[left]), (A[right], B[right]))  # span = left ∘ right
        up.append(_nodes(d, right, A, B))

    A[n - 1], B[n - 1] = 1.0, 0.0  # the root's exclusive prefix: identity
    down = []
    for d in range(depth, 0, -1):
        right = np.arange(2**d - 1, n, 2**d)  # (n / 2^d,)
        left = right - 2 ** (d - 1)  # (n / 2^d,)
        left_total = (A[left].copy(), B[left].copy())  # (n / 2^d, ...)  the left half's total
        A[left], B[left] = A[right], B[right]  # left child: the parent's prefix P
        A[right], B[right] = combine((A[right], B[right]), left_total)  # right child: P ∘ left total
        down.append(_nodes(d, np.concatenate([left, right]), A, B))

    h = a_leaf * B[:L] + b_leaf  # (L, ...)  (exclusive prefix) ∘ e_t: h_t = a_t h_{t−1} + b_t
    return BlellochTrace(length=L, padded_length=n, up=tuple(up), down=tuple(down), h=h, leaves=leaves)


def selective_scan_parallel(
    x: np.ndarray,
    delta: np.ndarray,
    A: np.ndarray,
    B: np.ndarray,
    C: np.ndarray,
    D_skip: np.ndarray | None = None,
    h0: np.ndarray | None = None,
    discretization: SelectiveMethod = "zoh",
) -> ScanResult:
    """``selective_scan_sequential``, computed by ``blelloch_scan`` on the (L, D, N) pairs (Ā_t, B̄_t x_t)."""
    A_bar, Bx = selective_discretize(x, delta, A, B, discretization)  # (L, D, N) each
    h = blelloch_scan(A_bar, Bx, h0).h  # (L, D, N)
    return ScanResult(A_bar=A_bar, Bx=Bx, h=h, y=selective_readout(h, C, x, D_skip))
