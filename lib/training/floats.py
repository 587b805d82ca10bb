"""Binary floating-point formats fp32 / fp16 / bf16: bit fields, decoding, round-to-nearest-even casts.

IEEE 754-2019, §3.4 (binary interchange encoding: sign S, biased exponent E, trailing significand T;
value (−1)^S 2^(E−bias) (1 + 2^(1−p) T) for normal numbers, (−1)^S 2^(emin) (0 + 2^(1−p) T) for
subnormals) and §4.3.1 (roundTiesToEven). bfloat16 (Google Brain; Kalamkar et al. 2019, "A Study of
BFLOAT16 for Deep Learning Training", §2) is fp32 with the trailing significand cut to 7 bits.

``cast_bits`` rounds a float64 *directly* to the target format using integer arithmetic on the
float64 bit pattern (no numpy/torch float16 cast). PyTorch converts float64 → float16 / bfloat16 via
float32 (two roundings; a float64 just above a half-way point can round twice down), which
``cast_bits_torch`` reproduces bit for bit. The two agree whenever the input is exactly
representable in fp32.

NaN: the result is a quiet NaN with the input's sign and the top payload bits (what x86 ``cvtsd2ss``
and torch's fp32/fp16 conversions do). For bf16 torch's NaN bits depend on its code path (0x7FC0 from
the scalar c10 conversion, 0xFFFF from the vectorised one); ``cast_bits_torch`` returns 0x7FC0.
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class FloatFormat:
    """A binary format: 1 sign bit, ``exponent_bits`` exponent bits, ``mantissa_bits`` trailing bits."""

    name: str
    exponent_bits: int
    mantissa_bits: int

    @property
    def total_bits(self) -> int:
        return 1 + self.exponent_bits + self.mantissa_bits

    @property
    def bias(self) -> int:
        return 2 ** (self.exponent_bits - 1) - 1

    @property
    def exponent_field_max(self) -> int:
        """All-ones exponent field: infinities and NaNs."""
        return 2**self.exponent_bits - 1

    @property
    def emin(self) -> int:
        return 1 - self.bias

    @property
    def emax(self) -> int:
        return self.bias

    @property
    def max_value(self) -> float:
        """(2 − 2^−M) · 2^emax."""
        return math.ldexp(2 ** (self.mantissa_bits + 1) - 1, self.emax - self.mantissa_bits)

    @property
    def min_normal(self) -> float:
        """2^emin."""
        return math.ldexp(1.0, self.emin)

    @property
    def min_subnormal(self) -> float:
        """2^(emin − M)."""
        return math.ldexp(1.0, self.emin - self.mantissa_bits)

    @property
    def epsilon(self) -> float:
        """2^−M, the gap between 1 and the next representable number."""
        return math.ldexp(1.0, -self.mantissa_bits)


FP64 = FloatFormat("fp64", 11, 52)
FP32 = FloatFormat("fp32", 8, 23)
FP16 = FloatFormat("fp16", 5, 10)
BF16 = FloatFormat("bf16", 8, 7)
FORMATS = {f.name: f for f in (FP32, FP16, BF16)}


def float64_bits(x: float) -> int:
    """The 64-bit pattern of a Python float."""
    return struct.unpack("<Q", struct.pack("<d", x))[0]


def bits_to_float64(bits: int) -> float:
    return struct.unpack("<d", struct.pack("<Q", bits))[0]


def _split(bits: int, fmt: FloatFormat) -> tuple[int, int, int]:
    m = fmt.mantissa_bits
    return bits >> (fmt.total_bits - 1), (bits >> m) & fmt.exponent_field_max, bits & ((1 << m) - 1)


def _nan_bits(sign: int, payload64: int, fmt: FloatFormat) -> int:
    m = fmt.mantissa_bits
    quiet = 1 << (m - 1)
    return (sign << (fmt.total_bits - 1)) | (fmt.exponent_field_max << m) | quiet | (payload64 >> (52 - m))


def cast_bits(x: float, fmt: FloatFormat) -> int:
    """Round float64 ``x`` to ``fmt`` with roundTiesToEven (IEEE 754-2019 §4.3.1); return the bit pattern.

    x = sig · 2^q exactly (sig the 53-bit integer significand). The result's quantum is
    2^(max(E, emin) − M) with E = ⌊log2|x|⌋; shift sig right to that quantum, round on the dropped bits
    (above half → up; exactly half → to the even neighbour), then encode. A carry out of the top bit
    moves to the next binade; a biased exponent reaching all-ones overflows to ±inf.
    """
    b = float64_bits(x)
    sign, e64, m64 = _split(b, FP64)
    M, bias = fmt.mantissa_bits, fmt.bias
    sign_bit = sign << (fmt.total_bits - 1)
    if e64 == FP64.exponent_field_max:  # inf or NaN
        return sign_bit | (fmt.exponent_field_max << M) if m64 == 0 else _nan_bits(sign, m64, fmt)
    if e64 == 0 and m64 == 0:
        return sign_bit  # ±0
    sig = m64 | (1 << 52) if e64 else m64  # integer significand
    q = (e64 if e64 else 1) - FP64.bias - 52  # |x| = sig · 2^q
    E = q + sig.bit_length() - 1  # ⌊log2|x|⌋
    qt = max(E, fmt.emin) - M  # quantum (ulp exponent) of the result
    shift = qt - q
    if shift <= 0:
        r = sig << -shift  # exact
    else:
        r, rem, half = sig >> shift, sig & ((1 << shift) - 1), 1 << (shift - 1)
        if rem > half or (rem == half and r & 1):  # round half to even
            r += 1
    if r >> (M + 1):  # carry into the next binade: r = 2^(M+1)
        r, qt = r >> 1, qt + 1
    if r >> M:  # normal: r = 2^M + T
        e_field = qt + M + bias
        if e_field >= fmt.exponent_field_max:
            return sign_bit | (fmt.exponent_field_max << M)  # overflow → ±inf
        return sign_bit | (e_field << M) | (r - (1 << M))
    return sign_bit | r  # subnormal (or zero after underflow), exponent field 0


def decode_bits(bits: int, fmt: FloatFormat) -> float:
    """IEEE 754-2019 §3.4: (−1)^S 2^(E−bias)(1 + T/2^M) if E ≠ 0, (−1)^S 2^emin (T/2^M) if E = 0."""
    sign, e, t = _split(bits, fmt)
    M = fmt.mantissa_bits
    if e == fmt.exponent_field_max:
        mag = math.inf if t == 0 else math.nan
    elif e == 0:
        mag = math.ldexp(t, fmt.emin - M)
    else:
        mag = math.ldexp((1 << M) + t, e - fmt.bias - M)
    return -mag if sign else mag


def cast(x: float, fmt: FloatFormat) -> float:
    """The value of ``x`` rounded to ``fmt`` (as a float64)."""
    return decode_bits(cast_bits(x, fmt), fmt)


def cast_bits_torch(x: float, fmt: FloatFormat) -> int:
    """PyTorch's float64 → ``fmt`` conversion: round to fp32 first, then (for fp16/bf16) round again."""
    b32 = cast_bits(x, FP32)
    if fmt == FP32:
        return b32
    if math.isnan(x):
        return 0x7FC0 if fmt == BF16 else cast_bits(x, fmt)  # c10::BFloat16's canonical NaN
    return cast_bits(decode_bits(b32, FP32), fmt)


def cast_bits_array(x: np.ndarray, fmt: FloatFormat) -> np.ndarray:
    """``cast_bits`` elementwise, the plain loop (reference for ``cast_bits_vec``)."""
    x = np.asarray(x, dtype=np.float64)  # (...)
    out = np.fromiter((cast_bits(float(v), fmt) for v in x.ravel()), dtype=np.int64, count=x.size)  # (N,)
    return out.reshape(x.shape)  # (...)


def cast_bits_vec(x: np.ndarray, fmt: FloatFormat) -> np.ndarray:
    """Vectorised ``cast_bits`` on uint64 bit patterns (same steps, as array operations)."""
    u = np.uint64
    M, tb = fmt.mantissa_bits, fmt.total_bits
    b = np.ascontiguousarray(x, dtype=np.float64).view(u)  # (...)
    sign = b >> u(63)  # (...)
    e64 = (b >> u(52)) & u(0x7FF)  # (...)
    m64 = b & u((1 << 52) - 1)  # (...)
    sig = np.where(e64 > 0, m64 | u(1 << 52), m64)  # (...)  integer significand
    q = np.maximum(e64.astype(np.int64), 1) - (FP64.bias + 52)  # (...)  |x| = sig · 2^q
    bitlen = np.frexp(sig.astype(np.float64))[1].astype(np.int64)  # (...)  exact: sig < 2^53
    qt = np.maximum(q + bitlen - 1, fmt.emin) - M  # (...)  quantum exponent of the result
    shift = np.clip(qt - q, 1, 63).astype(u)  # (...)  ≥ 1 for fp32/fp16/bf16; sig >> 63 = 0
    r = sig >> shift  # (...)
    rem = sig & ((u(1) << shift) - u(1))  # (...)
    half = u(1) << (shift - u(1))  # (...)
    r = r + ((rem > half) | ((rem == half) & (r & u(1) == 1))).astype(u)  # (...)  ties to even
    carry = (r >> u(M + 1)) > 0  # (...)
    r = np.where(carry, r >> u(1), r)  # (...)
    qt = qt + carry  # (...)
    normal = (r >> u(M)) > 0  # (...)
    e_field = np.where(normal, qt + M + fmt.bias, 0)  # (...)
    inf_bits = u(fmt.exponent_field_max << M)
    body = np.where(normal, (e_field.astype(u) << u(M)) | (r - u(1 << M)), r)  # (...)
    body = np.where(normal & (e_field >= fmt.exponent_field_max), inf_bits, body)  # (...)  overflow
    body = np.where(sig == 0, u(0), body)  # (...)  ±0
    nan_body = inf_bits | u(1 << (M - 1)) | (m64 >> u(52 - M))  # (...)
    body = np.where(e64 == 0x7FF, np.where(m64 == 0, inf_bits, nan_body), body)  # (...)  inf / NaN
    return ((sign << u(tb - 1)) | body).astype(np.int64)  # (...)


@dataclass(frozen=True)
class FloatFields:
    """The encoding of ``x`` rounded to ``fmt``, field by field, as a bit-layout scene shows it."""

    fmt: str
    x: float  # the float64 input
    bits: int  # the full pattern, e.g. 0x3C00 for fp16 1.0
    sign: int  # S
    exponent: int  # biased exponent field E
    mantissa: int  # trailing significand field T
    unbiased_exponent: int  # E − bias (normal) or emin (subnormal/zero); 0 for inf/NaN
    kind: str  # "zero" | "subnormal" | "normal" | "inf" | "nan"
    value: float  # decoded value of ``bits``
    rounding_error: float  # value − x (nan if either is not finite)
    bit_string: str  # "S EEEEE TTTTTTTTTT"


def bit_fields(x: float, fmt: FloatFormat) -> FloatFields:
    """Round ``x`` to ``fmt`` and split the result into sign, exponent and mantissa fields."""
    bits = cast_bits(x, fmt)
    sign, e, t = _split(bits, fmt)
    if e == fmt.exponent_field_max:
        kind, unb = ("inf" if t == 0 else "nan"), 0
    elif e == 0:
        kind, unb = ("zero" if t == 0 else "subnormal"), fmt.emin
    else:
        kind, unb = "normal", e - fmt.bias
    value = decode_bits(bits, fmt)
    err = value - x if math.isfinite(value) and math.isfinite(x) else math.nan
    s = format(bits, f"0{fmt.total_bits}b")
    bit_string = f"{s[0]} {s[1 : 1 + fmt.exponent_bits]} {s[1 + fmt.exponent_bits :]}"
    return FloatFields(fmt.name, x, bits, sign, e, t, unb, kind, value, err, bit_string)
