"""The number formatters: every expected string is written by hand."""

from __future__ import annotations

import numpy as np
import pytest

from scenes.kit import numbers as n
from scenes.kit import theme

M = "\u2212"  # the minus sign Text shows


@pytest.mark.parametrize(
    ("x", "digits", "text", "tex"),
    [
        (0.25, 2, "0.25", "0.25"),
        (-0.254, 2, M + "0.25", "-0.25"),
        (-0.001, 2, "0.00", "0.00"),  # rounds to zero: no sign
        (-0.0, 2, "0.00", "0.00"),
        (-0.004999, 2, "0.00", "0.00"),
        (-0.005, 2, M + "0.01", "-0.01"),  # half away from zero
        (0.995, 2, "1.00", "1.00"),  # the digit boundary (f-strings give 0.99: binary 0.99499…)
        (2.675, 2, "2.68", "2.68"),
        (9.9996, 3, "10.000", "10.000"),
        (3.0, 0, "3", "3"),
        (2.5, 0, "3", "3"),
        (-2.5, 0, M + "3", "-3"),
        (7, 2, "7.00", "7.00"),
    ],
)
def test_fixed(x, digits, text, tex):
    assert n.fixed(x, digits) == text
    assert n.fixed(x, digits, tex=True) == tex


def test_fixed_numpy_scalars_and_non_finite():
    assert n.fixed(np.float64(-0.5), 1) == M + "0.5"
    assert n.fixed(np.float32(0.1), 3) == "0.100"
    assert n.fixed(np.int64(5), 1) == "5.0"
    assert n.fixed(float("inf")) == "∞"
    assert n.fixed(float("-inf")) == M + "∞"
    assert n.fixed(float("-inf"), tex=True) == r"-\infty"
    assert n.fixed(float("nan")) == "NaN"


def test_thousands_separators():
    assert n.integer(0) == "0"
    assert n.integer(999) == "999"
    assert n.integer(1000) == "1,000"
    assert n.integer(1234567) == "1,234,567"
    assert n.integer(-1234567) == M + "1,234,567"
    assert n.integer(1234567, tex=True) == "1{,}234{,}567"
    assert n.integer(np.int64(10**12)) == "1,000,000,000,000"
    assert n.integer(999.5) == "1,000"  # floats rounded half up
    assert n.fixed(-1234.5, 1, grouped=True) == M + "1,234.5"


def test_si_prefixes():
    assert n.si(0) == "0"
    assert n.si(512) == "512"
    assert n.si(0.5) == "0.5"
    assert n.si(1234) == "1.2 K"
    assert n.si(-1500) == M + "1.5 K"
    assert n.si(2.5e6, 2) == "2.50 M"
    assert n.si(7.25e9) == "7.3 G"  # half up: 7.25 → 7.3
    assert n.si(3e12) == "3.0 T"
    assert n.si(999_949) == "999.9 K"
    assert n.si(999_950) == "1.0 M"  # rounds past 1000 K: the next prefix, never "1000.0 K"
    assert n.si(999_999_999) == "1.0 G"
    assert n.si(3.4e9, unit="FLOPs") == "3.4 GFLOPs"
    assert n.si(3.4e9, unit="FLOPs", tex=True) == r"3.4\,\text{GFLOPs}"
    assert n.si(-2e3, tex=True) == "-2.0\\,\\text{K}"


def test_flops():
    assert n.flops(120) == "120 FLOPs"
    assert n.flops(1.25e9, 2) == "1.25 GFLOPs"
    assert n.flops(4.2e12) == "4.2 TFLOPs"


@pytest.mark.parametrize(
    ("nbytes", "system", "expected"),
    [
        (0, "iec", "0 B"),
        (512, "iec", "512 B"),
        (1023, "iec", "1023 B"),
        (1024, "iec", "1.0 KiB"),
        (1536, "iec", "1.5 KiB"),
        (1536, "jedec", "1.5 KB"),
        (1500, "si", "1.5 kB"),
        (1_048_575, "iec", "1.0 MiB"),  # 1023.999 KiB rounds to the next unit
        (5 * 2**30, "iec", "5.0 GiB"),
        (5 * 2**30, "jedec", "5.0 GB"),
        (5 * 10**9, "si", "5.0 GB"),
        (3 * 2**40, "iec", "3.0 TiB"),
    ],
)
def test_bytes(nbytes, system, expected):
    assert n.byte_size(nbytes, system=system) == expected


def test_counts_per_locale():
    assert n.count(999) == "999"
    assert n.count(1234) == "1.23 K"
    assert n.count(130_000_000) == "130 M"
    assert n.count(2_648_000_000) == "2.65 B"
    assert n.count(999_999) == "1.00 M"  # rounds into the next unit
    assert n.count(9_996_000) == "10.0 M"  # carries into a new digit: still 3 significant digits
    assert n.count(1.2e12) == "1.20 T"
    # Chinese: 万 = 10^4, 亿 = 10^8, no space
    assert n.count(9999, locale="zh") == "9,999"
    assert n.count(56_000, locale="zh") == "5.60万"
    assert n.count(130_000_000, locale="zh") == "1.30亿"
    assert n.count(2_648_000_000, locale="zh") == "26.5亿"
    assert n.count(99_999_999, locale="zh") == "1.00亿"
    assert n.count(3e12, locale="zh") == "3.00万亿"
    assert n.count(2_648_000_000, 2, locale="zh") == "26亿"


def test_scientific():
    assert n.sci(1.1e-16) == "1.1 × 10⁻¹⁶"
    assert n.sci(1.1e-16, tex=True) == r"1.1 \times 10^{-16}"
    assert n.sci(-2.5e7) == M + "2.5 × 10⁷"
    assert n.sci(-2.5e7, tex=True) == r"-2.5 \times 10^{7}"
    assert n.sci(9.96e3) == "1.0 × 10⁴"  # mantissa rounds to 10: the exponent moves
    assert n.sci(123456, 2) == "1.23 × 10⁵"
    assert n.sci(0) == "0.0"


def test_significant_digits_and_the_switch_to_scientific():
    assert n.significant(15.54) == "15.5"
    assert n.significant(1.355) == "1.36"  # half away from zero on the written decimal
    assert n.significant(0.010925) == "0.0109"
    assert n.significant(9.996) == "10.0"  # the decade after rounding, not "10.00"
    assert n.significant(0.00099996) == "0.00100"  # rounds up into the plain range
    assert n.significant(9999.6) == "1.00 × 10⁴"  # rounds up out of it
    assert n.significant(1.3949e-6) == "1.39 × 10⁻⁶"
    assert n.significant(7.0551e-63) == "7.06 × 10⁻⁶³"
    assert n.significant(-42.84) == M + "42.8"
    assert n.significant(3.14159, 2, tex=True) == "3.1"
    assert n.significant(2.5e-5, tex=True) == r"2.50 \times 10^{-5}"
    assert n.significant(float("inf")) == "∞"


def test_percent_ratio_duration_length_shape():
    assert n.percent(0.1234) == "12.3%"
    assert n.percent(0.99995, 2) == "100.00%"
    assert n.percent(-0.0001) == "0.0%"
    assert n.percent(0.5, 0, tex=True) == r"50\%"
    assert n.ratio(12.3) == "12×"
    assert n.ratio(1.46) == "1.5×"
    assert n.ratio(9.96) == "10×"
    assert n.duration(1.234) == "1.23 s"
    assert n.duration(0.1234) == "123 ms"
    assert n.duration(0.01234) == "12.3 ms"
    assert n.duration(0.001234) == "1.23 ms"
    assert n.duration(0.000123) == "123 µs"
    assert n.duration(0.99996) == "1.00 s"
    assert n.length(256) == "256"
    assert n.length(4096) == "4K"
    assert n.length(131072) == "128K"
    assert n.length(1 << 20) == "1M"
    assert n.length(1000) == "1,000"
    assert n.shape(("L", 1536)) == "L × 1,536"
    assert n.shape((4, 16), tex=True) == r"4 \times 16"


def test_tex_matrix_and_vector():
    assert n.tex_matrix([[1, -0.5], [0, 2]], 1) == r"\begin{pmatrix}1.0 & -0.5 \\ 0.0 & 2.0\end{pmatrix}"
    assert n.tex_vector([0.25, -0.001]) == r"\begin{pmatrix}0.25 \\ 0.00\end{pmatrix}"
    assert n.tex_vector([1, 2], 0, column=False) == r"\begin{pmatrix}1 & 2\end{pmatrix}"


def test_theme_aliases_are_the_kit_formatters():
    assert theme.fmt(-0.254) == M + "0.25"
    assert theme.fmt_tex(-0.254) == "-0.25"
    assert theme.fmt_int(1234567) == "1,234,567"
    assert theme.fmt_bytes(1536) == "1.5 KB"  # the Mamba lecture's JEDEC labels (1 KB = 1024 B)
    assert theme.fmt_si(999_950) == "1.0 M"
