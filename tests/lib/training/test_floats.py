"""fp32 / fp16 / bf16 encodings vs torch (bit for bit), numpy's direct float16 cast, and hand cases."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from lib.training.floats import (
    BF16,
    FP16,
    FP32,
    bit_fields,
    cast,
    cast_bits,
    cast_bits_array,
    cast_bits_torch,
    cast_bits_vec,
    decode_bits,
    float64_bits,
)

TORCH = {"fp16": (torch.float16, torch.int16, np.uint16), "bf16": (torch.bfloat16, torch.int16, np.uint16)}
TORCH["fp32"] = (torch.float32, torch.int32, np.uint32)
FMTS = [FP16, BF16, FP32]


def torch_bits(x64: np.ndarray, fmt) -> np.ndarray:
    """Bit patterns of torch.tensor(x, dtype=float64).to(dtype)."""
    dtype, int_dtype, np_uint = TORCH[fmt.name]
    t = torch.from_numpy(np.ascontiguousarray(x64, dtype=np.float64)).to(dtype)
    return t.view(int_dtype).numpy().astype(np_uint).astype(np.int64)


def assert_same_bits(x64: np.ndarray, fmt, fn) -> None:
    """Ours == torch bit for bit; for bf16 NaNs only NaN-ness is compared, because torch's own bf16 NaN
    pattern depends on its code path (0x7FC0 scalar, 0xFFFF vectorised)."""
    got, ref = ours(x64, fmt, fn), torch_bits(x64, fmt)
    if fmt == BF16:
        nan = np.isnan(x64)
        assert np.all((ref[nan] & 0x7F80 == 0x7F80) & (ref[nan] & 0x7F != 0))
        assert np.all((got[nan] & 0x7F80 == 0x7F80) & (got[nan] & 0x7F != 0))
        got, ref = got[~nan], ref[~nan]
    np.testing.assert_array_equal(got, ref)


def ours(x64: np.ndarray, fmt, fn=cast_bits) -> np.ndarray:
    return np.array([fn(float(v), fmt) for v in x64], dtype=np.int64)


def edge_values() -> np.ndarray:
    vals = [0.0, -0.0, math.inf, -math.inf, math.nan, 1.0, -1.0, 0.1, 1 / 3, 2.0**-149, 2.0**-150, 2.0**-151]
    for f in FMTS:
        for v in (f.max_value, f.min_normal, f.min_subnormal, f.epsilon):
            vals += [v, -v, v / 2, v * 1.5, np.nextafter(v, 0), np.nextafter(v, math.inf)]
        half_ulp_above_max = f.max_value + math.ldexp(1.0, f.emax - f.mantissa_bits - 1)
        vals += [half_ulp_above_max, np.nextafter(half_ulp_above_max, 0), 1e300, 5e-324]
    return np.array(vals, dtype=np.float64)


def random_values(seed: int, n: int) -> np.ndarray:
    """Log-uniform magnitudes over every range the formats care about, plus random bit patterns."""
    rng = np.random.default_rng(seed)
    mags = np.exp2(rng.uniform(-160, 140, n)) * rng.choice([-1.0, 1.0], n)  # (n,)
    raw = rng.integers(0, 2**63, n, dtype=np.uint64) | (rng.integers(0, 2, n, dtype=np.uint64) << 63)  # (n,)
    return np.concatenate([mags, raw.view(np.float64), edge_values()])  # (2n + E,)


# ----------------------------------------------------------------------------- constants
@pytest.mark.parametrize("fmt", FMTS, ids=lambda f: f.name)
def test_constants_match_torch_finfo(fmt):
    fi = torch.finfo(TORCH[fmt.name][0])
    assert fmt.max_value == fi.max
    assert fmt.min_normal == fi.tiny
    assert fmt.min_subnormal == math.ldexp(fi.tiny, -fmt.mantissa_bits)  # torch.finfo has no subnormal field
    if fmt != BF16:
        assert fmt.min_subnormal == np.finfo(np.float16 if fmt == FP16 else np.float32).smallest_subnormal
    assert fmt.epsilon == fi.eps
    assert fmt.total_bits == fi.bits


def test_constants_by_hand():
    assert (FP16.max_value, FP16.min_normal, FP16.min_subnormal, FP16.epsilon) == (
        65504.0,
        2.0**-14,
        2.0**-24,
        2.0**-10,
    )
    assert BF16.max_value == (2 - 2**-7) * 2.0**127 and BF16.min_normal == 2.0**-126


# ------------------------------------------------------------------------------ decoding
@pytest.mark.parametrize("fmt", [FP16, BF16], ids=lambda f: f.name)
def test_decode_exhaustive_16bit_and_round_trip(fmt):
    dtype = TORCH[fmt.name][0]
    patterns = np.arange(2**16, dtype=np.int64)  # (65536,)
    ref = torch.from_numpy(patterns.astype(np.uint16).view(np.int16)).view(dtype).to(torch.float64).numpy()
    dec = np.array([decode_bits(int(b), fmt) for b in patterns])  # (65536,)
    nan = np.isnan(ref)  # (65536,)
    np.testing.assert_array_equal(np.isnan(dec), nan)
    np.testing.assert_array_equal(dec[~nan], ref[~nan])
    np.testing.assert_array_equal(np.signbit(dec[~nan]), np.signbit(ref[~nan]))
    # every non-NaN pattern survives decode → cast_bits unchanged
    back = np.array([cast_bits(float(v), fmt) for v in dec[~nan]])
    np.testing.assert_array_equal(back, patterns[~nan])


def test_decode_fp32_random_patterns():
    rng = np.random.default_rng(3)
    pats = rng.integers(0, 2**32, 5000, dtype=np.uint64).astype(np.uint32)  # (N,)
    with np.errstate(invalid="ignore"):
        ref = pats.view(np.float32).astype(np.float64)  # (N,)
    dec = np.array([decode_bits(int(b), FP32) for b in pats])  # (N,)
    nan = np.isnan(ref)
    np.testing.assert_array_equal(np.isnan(dec), nan)
    np.testing.assert_array_equal(dec[~nan], ref[~nan])


# ---------------------------------------------------------------------- casts vs torch
@pytest.mark.parametrize("fmt", FMTS, ids=lambda f: f.name)
def test_torch_path_bit_for_bit_random_and_edges(fmt):
    x = random_values(seed=1, n=4000)
    assert_same_bits(x, fmt, cast_bits_torch)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(0, 2**64 - 1), min_size=1, max_size=64))
def test_torch_path_bit_for_bit_any_float64_pattern(patterns):
    x = np.array(patterns, dtype=np.uint64).view(np.float64)
    for fmt in FMTS:
        assert_same_bits(x, fmt, cast_bits_torch)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.floats(allow_nan=True, allow_infinity=True, allow_subnormal=True), min_size=1, max_size=64)
)
def test_direct_fp32_cast_equals_torch_for_all_float64(xs):
    x = np.array(xs, dtype=np.float64)
    assert_same_bits(x, FP32, cast_bits)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(width=32, allow_nan=False), min_size=1, max_size=64))
def test_direct_cast_equals_torch_on_fp32_representable_inputs(xs):
    # No double rounding is possible when x is already an fp32 value: direct == torch bit for bit.
    x = np.array(xs, dtype=np.float64)
    for fmt in (FP16, BF16):
        np.testing.assert_array_equal(ours(x, fmt), torch_bits(x, fmt))


def test_direct_fp32_representable_bulk_and_nan():
    with np.errstate(over="ignore", invalid="ignore"):
        x = random_values(seed=2, n=4000).astype(np.float32).astype(np.float64)
    x = x[~np.isnan(x)]
    for fmt in (FP16, BF16):
        np.testing.assert_array_equal(ours(x, fmt), torch_bits(x, fmt))
    for fmt in FMTS:  # the default quiet NaN
        assert cast_bits(math.nan, fmt) == int(torch_bits(np.array([math.nan]), fmt)[0])


def test_direct_fp16_equals_numpy_correctly_rounded_cast():
    # numpy's npy_double_to_half rounds float64 → float16 once: an independent correctly-rounded reference.
    x = random_values(seed=4, n=20000)
    x = x[~np.isnan(x)]
    with np.errstate(over="ignore"):
        ref = x.astype(np.float16).view(np.uint16).astype(np.int64)
    np.testing.assert_array_equal(cast_bits_array(x, FP16), ref)


# ------------------------------------------------------------------ hand-worked rounding
TIES_FP16 = [
    (1 + 2**-11, 0x3C00),  # halfway 1 ↔ 1+2^-10: mantissa 0 is even → down
    (1 + 3 * 2**-11, 0x3C02),  # halfway 1+2^-10 (odd) ↔ 1+2^-9 (even) → up
    (2049.0, 0x6800),  # ulp 2 at 2048: halfway 2048 ↔ 2050 → 2048
    (2051.0, 0x6802),  # halfway 2050 (odd) ↔ 2052 (even) → 2052
    (65520.0, 0x7C00),  # halfway 65504 (odd) ↔ 2^16: rounds to even = overflow → inf
    (-65520.0, 0xFC00),
    (65519.0, 0x7BFF),  # below the half-way point → max
    (2.0**-25, 0x0000),  # half the smallest subnormal → 0 (even)
    (-(2.0**-25), 0x8000),  # → −0
    (3 * 2.0**-25, 0x0002),  # halfway subnormals 1 ↔ 2 → 2
    ((2**10 - 0.5) * 2.0**-24, 0x0400),  # halfway max subnormal ↔ min normal → min normal (even)
    (2.0**-26, 0x0000),  # underflow
    (1e6, 0x7C00),  # overflow
]
TIES_BF16 = [
    (1 + 2**-8, 0x3F80),
    (1 + 3 * 2**-8, 0x3F82),
    (-(1 + 2**-8 + 2**-20), 0xBF81),  # above half-way → away from zero in magnitude
    ((2 - 2**-8) * 2.0**127, 0x7F80),  # halfway max (odd) ↔ 2^128 → inf
]


@pytest.mark.parametrize(("x", "expected"), TIES_FP16 + [(x, b) for x, b in TIES_BF16])
def test_ties_to_even_by_hand(x, expected):
    fmt = FP16 if (x, expected) in TIES_FP16 else BF16
    assert cast_bits(x, fmt) == expected
    assert torch_bits(np.array([x]), fmt)[0] == expected  # all fp32-representable: torch agrees


def test_double_rounding_difference_with_torch():
    # 1 + 2^-11 + 2^-40 is just above the fp16 half-way point: one rounding gives 1 + 2^-10 (0x3C01);
    # torch first rounds to fp32 (→ exactly 1 + 2^-11, a tie) and then to even (→ 1.0, 0x3C00).
    x = 1 + 2**-11 + 2**-40
    assert cast_bits(x, FP16) == 0x3C01
    assert cast_bits_torch(x, FP16) == 0x3C00 == torch_bits(np.array([x]), FP16)[0]
    y = 65519.99999  # rounds to fp32 65520 (a tie) → torch overflows; directly it is the fp16 max
    assert (
        cast_bits(y, FP16) == 0x7BFF
        and cast_bits_torch(y, FP16) == 0x7C00 == torch_bits(np.array([y]), FP16)[0]
    )
    z = 1 + 2**-8 + 2**-40
    assert cast_bits(z, BF16) == 0x3F81
    assert cast_bits_torch(z, BF16) == 0x3F80 == torch_bits(np.array([z]), BF16)[0]


def test_bit_fields_by_hand():
    f = bit_fields(1.0, FP16)
    assert (f.sign, f.exponent, f.mantissa, f.bits, f.kind) == (0, 15, 0, 0x3C00, "normal")
    assert f.bit_string == "0 01111 0000000000" and f.unbiased_exponent == 0 and f.rounding_error == 0
    f = bit_fields(-2.5, BF16)  # −1.25 · 2^1: S=1, E=128, T=0100000
    assert (f.sign, f.exponent, f.mantissa, f.value) == (1, 128, 0b0100000, -2.5)
    assert f.bit_string == "1 10000000 0100000"
    f = bit_fields(0.1, FP16)  # 0.1 ≈ 1.6 · 2^-4 → T = round(0.6 · 1024) = 614
    assert (f.exponent, f.mantissa, f.unbiased_exponent) == (11, 614, -4)
    assert f.value == 1638.0 / 16384 and f.rounding_error == pytest.approx(f.value - 0.1, abs=0)
    assert bit_fields(2.0**-24, FP16).kind == "subnormal" and bit_fields(2.0**-24, FP16).mantissa == 1
    assert bit_fields(1e9, FP16).kind == "inf" and bit_fields(math.nan, BF16).kind == "nan"
    assert bit_fields(-0.0, FP32).bits == 0x80000000 and bit_fields(-0.0, FP32).kind == "zero"


def test_cast_value_and_float64_bits():
    assert cast(0.1, FP32) == float(np.float32(0.1))
    assert float64_bits(1.0) == 0x3FF0000000000000


# ------------------------------------------------------------- vectorised vs plain loop
@pytest.mark.parametrize("fmt", FMTS, ids=lambda f: f.name)
def test_vectorised_cast_equals_scalar_loop(fmt):
    x = random_values(seed=7, n=5000).reshape(-1, 1)  # (N, 1): shapes are kept
    np.testing.assert_array_equal(cast_bits_vec(x, fmt), cast_bits_array(x, fmt))


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(0, 2**64 - 1), min_size=1, max_size=64))
def test_vectorised_cast_equals_scalar_any_pattern(patterns):
    x = np.array(patterns, dtype=np.uint64).view(np.float64)
    for fmt in FMTS:
        np.testing.assert_array_equal(cast_bits_vec(x, fmt), cast_bits_array(x, fmt))


def test_vectorised_cast_bulk_vs_torch_and_numpy():
    x = random_values(seed=8, n=100_000)  # (N,)
    np.testing.assert_array_equal(cast_bits_vec(x, FP32), torch_bits(x, FP32))  # NaN payloads included
    finite = x[~np.isnan(x)]  # (F,)
    with np.errstate(over="ignore"):
        ref = finite.astype(np.float16).view(np.uint16).astype(np.int64)  # (F,)
    np.testing.assert_array_equal(cast_bits_vec(finite, FP16), ref)
    with np.errstate(over="ignore", invalid="ignore"):
        x32 = finite.astype(np.float32).astype(np.float64)  # (F,)  no double rounding possible
    x32 = x32[~np.isnan(x32)]
    np.testing.assert_array_equal(cast_bits_vec(x32, BF16), torch_bits(x32, BF16))
