"""How the cost of mixing a sequence grows with its length T: attention quadratically, a scan linearly.

Attention compares every token with every other, QKᵀ is (T, T): FLOPs and (unless fused) memory ∝ T²
(Vaswani et al. 2017, eq. 1). The selective scan carries one state of size D×N from token to token:
FLOPs and memory ∝ T (Gu & Dao 2023, §3.3 and Alg. 2).

* ``cost_scaling``: the cost model (``lib/arithmetic/cost.py``) of one attention layer and one Mamba block
of the same
  width at each length — FLOPs, activation bytes, their ratios and the lengths at which attention becomes
  the dearer of the two.
* ``measure_scaling``: wall-clock seconds of ``lib.transformer.attention.scaled_dot_product_attention`` and
  ``lib.mamba.ssm.selective_scan_sequential`` at each length, best of a few repeats (``time.perf_counter``).
* ``power_law_exponent``: the slope k of log t = k·log T + c, by least squares.
"""

from __future__ import annotations

import contextlib
import ctypes
import itertools
import math
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from lib.arithmetic.cost import LayerCost, attention_cost, mamba_block_cost
from lib.mamba.ssm import selective_scan_sequential
from lib.transformer.attention import causal_mask, scaled_dot_product_attention

# ── the cost model ──────────────────────────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class CostScaling:
    """Per-layer cost of attention and of a Mamba block at each length (``lib.arithmetic.cost`` conventions).

    ``*_bytes`` are forward activation bytes; ``flops_crossover`` / ``bytes_crossover``: the shortest T at
    which attention's FLOPs / bytes are strictly larger than the Mamba block's.
    """

    lengths: tuple[int, ...]
    attention_flops: tuple[int, ...]
    mamba_flops: tuple[int, ...]
    attention_bytes: tuple[int, ...]
    mamba_bytes: tuple[int, ...]
    flops_crossover: int
    bytes_crossover: int

    @property
    def flops_ratio(self) -> tuple[float, ...]:
        """Attention FLOPs / Mamba-block FLOPs at each length."""
        return tuple(a / m for a, m in zip(self.attention_flops, self.mamba_flops, strict=True))

    @property
    def bytes_ratio(self) -> tuple[float, ...]:
        """Attention activation bytes / Mamba-block activation bytes at each length."""
        return tuple(a / m for a, m in zip(self.attention_bytes, self.mamba_bytes, strict=True))


def first_length_above(f: Callable[[int], float], g: Callable[[int], float], limit: int = 1 << 40) -> int:
    """The smallest T ≥ 1 with f(T) > g(T), given that once true it stays true (doubling, then bisection).

    Holds for a quadratic minus a linear-plus-constant cost: f − g = aT² + bT − c with a > 0, c ≥ 0 has one
    positive root. Raises ValueError if f never exceeds g below ``limit``.
    """
    if f(1) > g(1):
        return 1
    lo, hi = 1, 2  # f(lo) ≤ g(lo)
    while not f(hi) > g(hi):
        lo, hi = hi, 2 * hi
        if hi > limit:
            raise ValueError(f"no crossover below T = {limit}")
    while hi - lo > 1:  # invariant: f(lo) ≤ g(lo), f(hi) > g(hi)
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if f(mid) > g(mid) else (mid, hi)
    return hi


def cost_scaling(
    lengths: Sequence[int],
    d_model: int,
    n_heads: int,
    d_state: int = 16,
    d_conv: int = 4,
    expand: int = 2,
    batch: int = 1,
    bytes_per_elem: int = 2,
    fused_scan: bool = True,
) -> CostScaling:
    """``attention_cost`` vs ``mamba_block_cost`` of width ``d_model`` at every length in ``lengths``.

    Attention: FLOPs = 2·(4·T·d² + 2·T²·d) + elementwise, its B·H·T² scores and probabilities stored (no
    FlashAttention). Mamba block: FLOPs ≈ 2·3·E·T·d² + 8·T·E·d·N; ``fused_scan`` keeps the states in SRAM as
    the CUDA kernel does, so no B·T·D·N tensor is stored.
    """

    def attn(t: int) -> LayerCost:
        return attention_cost(t, d_model, n_heads, batch)

    def mamba(t: int) -> LayerCost:
        return mamba_block_cost(
            d_model, d_state, d_conv, expand, seq_len=t, batch=batch, fused_scan=fused_scan
        )

    a = [attn(t) for t in lengths]
    m = [mamba(t) for t in lengths]
    return CostScaling(
        lengths=tuple(int(t) for t in lengths),
        attention_flops=tuple(c.flops for c in a),
        mamba_flops=tuple(c.flops for c in m),
        attention_bytes=tuple(c.activation_bytes(bytes_per_elem) for c in a),
        mamba_bytes=tuple(c.activation_bytes(bytes_per_elem) for c in m),
        flops_crossover=first_length_above(lambda t: attn(t).flops, lambda t: mamba(t).flops),
        bytes_crossover=first_length_above(
            lambda t: attn(t).activation_elems, lambda t: mamba(t).activation_elems
        ),
    )


# ── measured wall-clock time ────────────────────────────────────────────────────────────────────────

MAX_REPEATS = 50


@contextlib.contextmanager
def single_threaded_blas() -> Iterator[bool]:
    """Run the body with OpenBLAS limited to one thread; yields whether that could be arranged.

    On a small shared machine a multi-threaded GEMM waits for a busy core and its time jumps by a scheduler
    slice; one thread gives steadier times, and compares fairly with the single-threaded scan loop. Finds
    the OpenBLAS that NumPy loaded (Linux ``/proc/self/maps``) and calls its ``*_set_num_threads*``, as
    threadpoolctl does; elsewhere it does nothing (yields False).
    """
    try:
        with open("/proc/self/maps") as f:
            paths = sorted({ln.split()[-1] for ln in f if "openblas" in ln.lower() and ".so" in ln})
    except OSError:
        paths = []
    calls = None
    for path, prefix, suffix in itertools.product(paths, ("scipy_openblas", "openblas"), ("64_", "")):
        lib = ctypes.CDLL(path)
        get = getattr(lib, f"{prefix}_get_num_threads{suffix}", None)
        put = getattr(lib, f"{prefix}_set_num_threads{suffix}", None)
        if get is not None and put is not None:
            calls = (get, put)
            break
    if calls is None:
        yield False
        return
    get, put = calls
    before = get()
    put(1)
    try:
        yield True
    finally:
        put(before)


def power_law_exponent(lengths: Sequence[float], values: Sequence[float]) -> float:
    """k in values ≈ c·lengths^k: the least-squares slope of log(values) against log(lengths)."""
    x = np.log(np.asarray(lengths, dtype=np.float64))  # (n,)
    y = np.log(np.asarray(values, dtype=np.float64))  # (n,)
    if x.size < 2:
        raise ValueError("need at least two points to fit an exponent")
    return float(np.polyfit(x, y, 1)[0])


@dataclass(frozen=True)
class MeasuredScaling:
    """Best-of-``repeats`` wall-clock seconds at each length, and what they were measured on."""

    lengths: tuple[int, ...]
    attention_s: tuple[float, ...]
    scan_s: tuple[float, ...]
    d_head: int
    d_inner: int
    d_state: int
    repeats: int
    single_threaded: bool = False  # True when OpenBLAS was held to one thread while timing

    @property
    def ratio(self) -> float:
        """Attention time / scan time at the longest length."""
        return self.attention_s[-1] / self.scan_s[-1]

    @property
    def attention_exponent(self) -> float:
        return power_law_exponent(self.lengths, self.attention_s)

    @property
    def scan_exponent(self) -> float:
        return power_law_exponent(self.lengths, self.scan_s)


def _best_of(fn: Callable[[], object], repeats: int, budget_s: float, timer: Callable[[], float]) -> float:
    """The shortest of at least ``repeats`` timed calls, repeating while their total is under ``budget_s``
    (at most ``MAX_REPEATS``): short runs are cheap to repeat, and the minimum filters out a busy machine."""
    best, spent, n = math.inf, 0.0, 0
    while n < repeats or (spent < budget_s and n < MAX_REPEATS):
        t0 = timer()
        fn()
        dt = timer() - t0
        best, spent, n = min(best, dt), spent + dt, n + 1
    return best


def measure_scaling(
    lengths: Sequence[int],
    d_head: int = 64,
    d_inner: int = 16,
    d_state: int = 16,
    repeats: int = 3,
    budget_s: float = 0.05,
    seed: int = 0,
    causal: bool = True,
    timer: Callable[[], float] = time.perf_counter,
) -> MeasuredScaling:
    """Time one head of causal attention (T, d_head) and the sequential selective scan (T, D, N) at each T.

    Each time is the best of at least ``repeats`` calls, more while they take less than ``budget_s`` in all.

    Inputs are seeded and well conditioned (A = −(0.1 + 0.5·rand), Δ = 0.01 + 0.1·rand, as mamba's tests);
    the mask and inputs are built outside the timed region, and each function runs once untimed first
    (import and allocation warm-up). Times depend on the machine and its load: only their growth with T
    is the point.
    """
    if repeats < 1:
        raise ValueError("repeats must be ≥ 1")
    with single_threaded_blas() as single:
        attention_s, scan_s = _time_lengths(
            lengths, d_head, d_inner, d_state, repeats, budget_s, seed, causal, timer
        )
    return MeasuredScaling(
        tuple(int(t) for t in lengths),
        tuple(attention_s),
        tuple(scan_s),
        d_head,
        d_inner,
        d_state,
        repeats,
        single,
    )


def _time_lengths(
    lengths: Sequence[int],
    d_head: int,
    d_inner: int,
    d_state: int,
    repeats: int,
    budget_s: float,
    seed: int,
    causal: bool,
    timer: Callable[[], float],
) -> tuple[list[float], list[float]]:
    rng = np.random.default_rng(seed)
    A = -(0.1 + 0.5 * rng.random((d_inner, d_state)))  # (D, N)
    attention_s: list[float] = []
    scan_s: list[float] = []
    for i, T in enumerate(lengths):
        q, k, v = (rng.standard_normal((T, d_head)) for _ in range(3))  # (T, d_head) each
        mask = causal_mask(T) if causal else None  # (T, T)
        x = rng.standard_normal((T, d_inner))  # (T, D)
        delta = 0.01 + 0.1 * rng.random((T, d_inner))  # (T, D)
        B, C = rng.standard_normal((T, d_state)), rng.standard_normal((T, d_state))  # (T, N) each

        def attend(
            q: np.ndarray = q, k: np.ndarray = k, v: np.ndarray = v, mask: np.ndarray | None = mask
        ) -> object:
            return scaled_dot_product_attention(q, k, v, mask=mask)

        def scan(
            x: np.ndarray = x, delta: np.ndarray = delta, B: np.ndarray = B, C: np.ndarray = C
        ) -> object:
            return selective_scan_sequential(x, delta, A, B, C)

        if i == 0:
            attend(), scan()  # warm-up
        attention_s.append(_best_of(attend, repeats, budget_s, timer))
        scan_s.append(_best_of(scan, repeats, budget_s, timer))
    return attention_s, scan_s
