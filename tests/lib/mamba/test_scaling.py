"""lib/mamba/scaling: cost curves against lib.arithmetic.cost and a hand derivation, crossover search,
exponent fit, timing."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from lib.arithmetic.cost import attention_cost, mamba_block_cost
from lib.mamba.scaling import (
    cost_scaling,
    first_length_above,
    measure_scaling,
    power_law_exponent,
    single_threaded_blas,
)


def test_cost_scaling_matches_lib_cost():
    lengths = [256, 1024, 4096]
    c = cost_scaling(lengths, d_model=512, n_heads=8, d_state=16, expand=2, bytes_per_elem=4)
    assert c.lengths == tuple(lengths)
    for i, t in enumerate(lengths):
        a = attention_cost(t, 512, 8)
        m = mamba_block_cost(512, 16, 4, 2, seq_len=t, fused_scan=True)
        assert c.attention_flops[i] == a.flops
        assert c.mamba_flops[i] == m.flops
        assert c.attention_bytes[i] == 4 * a.activation_elems
        assert c.mamba_bytes[i] == 4 * m.activation_elems
        assert c.flops_ratio[i] == a.flops / m.flops


def test_attention_flops_by_hand():
    # 2·(4·T·d² + 2·T²·d) matmul FLOPs, + 4·T·d bias adds, + H·T² for the 1/√d scale, + 5·H·T² softmax
    T, d, H = 300, 64, 4
    c = cost_scaling([T], d, H)
    assert c.attention_flops[0] == 2 * (4 * T * d * d + 2 * T * T * d) + 4 * T * d + 6 * H * T * T


def test_crossover_is_the_first_length_where_attention_costs_more():
    c = cost_scaling([1024], d_model=1024, n_heads=16)
    for x, key in ((c.flops_crossover, "flops"), (c.bytes_crossover, "activation_elems")):

        def cost(t, key=key):
            a = getattr(attention_cost(t, 1024, 16), key)
            m = getattr(mamba_block_cost(1024, 16, 4, 2, seq_len=t, fused_scan=True), key)
            return a, m

        a, m = cost(x)
        assert a > m
        a, m = cost(x - 1)
        assert a <= m


def test_first_length_above_by_hand():
    # T² > 10·T + 5 first at T = 11 (121 > 115; 100 ≤ 105)
    assert first_length_above(lambda t: t * t, lambda t: 10 * t + 5) == 11
    assert first_length_above(lambda t: 2, lambda t: 1) == 1
    with pytest.raises(ValueError):
        first_length_above(lambda t: 0, lambda t: 1, limit=1 << 10)


def test_power_law_exponent_exact_on_power_laws():
    T = np.array([128, 256, 512, 1024])
    assert power_law_exponent(T, 3e-9 * T**2.0) == pytest.approx(2.0, abs=1e-12)
    assert power_law_exponent(T, 5e-6 * T) == pytest.approx(1.0, abs=1e-12)
    with pytest.raises(ValueError):
        power_law_exponent([1], [1.0])


def test_measure_scaling_takes_best_of_repeats_with_a_fake_clock():
    ticks = itertools.count()
    calls: list[float] = []

    def timer():  # each timed call lasts 1, 2, 3, … ticks: the best of each group is its first
        n = next(ticks)
        calls.append(n)
        return float(n * (n + 1) // 2)

    m = measure_scaling([16, 32], d_head=8, d_inner=2, d_state=3, repeats=2, timer=timer)
    assert m.lengths == (16, 32)
    assert len(calls) == 2 * 2 * 2 * 2  # lengths × {attention, scan} × repeats × (start, stop)
    # durations t(n+1) − t(n) = n + 1 for the (start n, stop n + 1) pairs 0-1, 2-3, 4-5, …: best = first
    assert m.attention_s == (1.0, 9.0)
    assert m.scan_s == (5.0, 13.0)
    assert m.ratio == 9.0 / 13.0


def test_measure_scaling_real_clock():
    m = measure_scaling([64, 128, 256], d_head=16, d_inner=4, d_state=4, repeats=1)
    assert m.lengths == (64, 128, 256)
    assert len(m.attention_s) == len(m.scan_s) == 3
    assert all(t > 0 for t in m.attention_s + m.scan_s)
    assert np.isfinite(m.attention_exponent) and np.isfinite(m.scan_exponent)
    with pytest.raises(ValueError):
        measure_scaling([64], repeats=0)


def test_single_threaded_blas_is_reentrant_and_harmless():
    with single_threaded_blas() as first:
        assert isinstance(first, bool)
        with single_threaded_blas() as second:
            assert second == first
            a = np.arange(16.0).reshape(4, 4)
            assert np.array_equal(a @ np.eye(4), a)
