"""Every number a viewer reads is formatted here: one rule for digits, signs, units and locales.

Conventions (one place, so a reference in a test can be formatted exactly like the screen):

- **Rounding** is decimal, half away from zero, applied to the *shortest decimal form* of the float
  (``repr``), i.e. the number as a person would write it: ``0.995`` → ``"1.00"`` and ``2.675`` → ``"2.68"``
  (Python's ``f"{x:.2f}"`` gives ``"0.99"`` and ``"2.67"``: it rounds the binary value 0.99499…).
  A value that rounds up past its unit moves to the next one: ``999_950`` → ``"1.0 M"``, never
  ``"1000.0 K"``.
- **Minus sign**: text for ``Text`` uses the real minus U+2212 (``"−0.25"``); ``tex=True`` gives ASCII
  for ``MathTex`` (LaTeX typesets ``-`` as a minus in math mode and rejects U+2212). A value that rounds
  to zero is written without a sign: never ``"−0.00"``.
- **Thousands separators**: ``1,234,567`` in both locales (Chinese technical writing groups digits by
  three as well, GB/T 15835); in TeX ``1{,}234{,}567`` so LaTeX adds no space after the comma.
- **SI prefixes** for units (FLOPs, bytes per second …): K, M, G, T, P with a space before the prefix:
  ``"3.4 GFLOPs"``, ``"1.2 K"``. K is upper case, as ML papers write it (SI's kilo is ``k``).
- **Bytes**: ``system="iec"`` (default, 1 KiB = 1024 B: KiB, MiB, GiB …), ``"jedec"`` (1 KB = 1024 B,
  labelled KB, MB, GB — what operating systems and the first Mamba lecture show; kept for them) or
  ``"si"`` (1 kB = 1000 B: kB, MB, GB). The label always says which base it is.
- **Counts in words** (parameters, tokens, :func:`count`): English uses K / M / B / T (thousand,
  million, billion, trillion: "2.65 B parameters", as papers write 2.8B); Chinese uses 万 (10⁴),
  亿 (10⁸) and 万亿 (10¹²), which is how Chinese technical text and video state model sizes
  ("26.5亿参数"), with no space before the unit. This is the only place where the locales differ.
- **Scientific notation**: ``"1.1 × 10⁻¹⁶"`` for ``Text`` (superscript digits and minus),
  ``"1.1 \\times 10^{-16}"`` for TeX.
- Not finite: ``"∞"``, ``"−∞"``, ``"NaN"`` (``\\infty``, ``-\\infty``, ``\\mathrm{NaN}`` in TeX).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal, localcontext
from typing import Literal

MINUS = "\u2212"  # the minus sign for Text; LaTeX wants ASCII "-"
TIMES = "\u00d7"
Locale = Literal["en", "zh"]
ByteSystem = Literal["iec", "jedec", "si"]

_SUPERSCRIPT = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")
_SUBSCRIPT = str.maketrans("0123456789-", "₀₁₂₃₄₅₆₇₈₉₋")
_SI = ("", "K", "M", "G", "T", "P", "E")
_BYTES = {
    "iec": (1024, ("B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB")),
    "jedec": (1024, ("B", "KB", "MB", "GB", "TB", "PB", "EB")),
    "si": (1000, ("B", "kB", "MB", "GB", "TB", "PB", "EB")),
}
_COUNT = {  # (step between units, unit names from 1 upward, separator between number and unit)
    "en": (1000, ("", "K", "M", "B", "T"), " "),
    "zh": (10_000, ("", "万", "亿", "万亿"), ""),
}


# --- the core: exact decimal rounding ---------------------------------------------------------------
def _dec(x: float | int) -> Decimal:
    """The number as written: ints exactly, floats by their shortest repr (0.995 stays 0.995)."""
    if isinstance(x, int):  # also bool and numpy ints converted by the caller
        return Decimal(x)
    return Decimal(repr(float(x)))


def _quantize(d: Decimal, digits: int) -> Decimal:
    with localcontext() as ctx:
        ctx.prec = 80
        q = d.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)
    return q.copy_abs() if q == 0 else q  # no negative zero


def _as_number(x) -> float | int:
    """Accept Python and NumPy scalars; keep integers exact."""
    if isinstance(x, bool):
        return int(x)
    if isinstance(x, int):
        return x
    if hasattr(x, "dtype") and getattr(x.dtype, "kind", None) in ("i", "u"):  # a torch dtype has no kind
        return int(x)
    return float(x)


def _nonfinite(x: float, tex: bool) -> str | None:
    if math.isnan(x):
        return r"\mathrm{NaN}" if tex else "NaN"
    if math.isinf(x):
        if tex:
            return r"\infty" if x > 0 else r"-\infty"
        return "∞" if x > 0 else MINUS + "∞"
    return None


def _sign(s: str, tex: bool) -> str:
    return s if tex else s.replace("-", MINUS)


def _group(digits_str: str, tex: bool) -> str:
    """'1234567.5' → '1,234,567.5' (the integer part grouped by three)."""
    sign = "-" if digits_str.startswith("-") else ""
    body = digits_str.lstrip("-")
    whole, _, frac = body.partition(".")
    sep = "{,}" if tex else ","
    groups: list[str] = []
    while len(whole) > 3:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    groups.insert(0, whole)
    return sign + sep.join(groups) + ("." + frac if frac else "")


# --- plain numbers ------------------------------------------------------------------------------------
def fixed(x: float, digits: int = 2, *, tex: bool = False, grouped: bool = False, plus: bool = False) -> str:
    """``x`` with exactly ``digits`` decimals: ``fixed(-0.254)`` → ``"−0.25"``,
    ``fixed(-0.001)`` → ``"0.00"``.

    ``tex=True`` gives an ASCII minus for ``MathTex``; ``grouped=True`` adds thousands separators;
    ``plus=True`` writes a sign on every value, for a term that follows another: ``"+0.60"``, ``"−0.50"``
    (zero reads ``"+0.00"``).
    """
    x = _as_number(x)
    if isinstance(x, float) and (bad := _nonfinite(x, tex)):
        return bad
    s = format(_quantize(_dec(x), digits), "f")
    s = _group(s, tex) if grouped else s
    return _sign("+" + s if plus and not s.startswith("-") else s, tex)


def integer(n: float, *, tex: bool = False) -> str:
    """A whole number with thousands separators: ``1234567`` → ``"1,234,567"`` (floats are rounded)."""
    return fixed(n, 0, tex=tex, grouped=True)


def percent(fraction: float, digits: int = 1, *, tex: bool = False) -> str:
    """A *fraction* as a percentage: ``percent(0.1234)`` → ``"12.3%"`` (``"12.3\\%"`` in TeX)."""
    x = _as_number(fraction)
    if isinstance(x, float) and (bad := _nonfinite(x, tex)):
        return bad
    with localcontext() as ctx:
        ctx.prec = 80
        s = format(_quantize(_dec(x) * 100, digits), "f")
    return _sign(s, tex) + (r"\%" if tex else "%")


def ratio(r: float) -> str:
    """How many times as much: ``"12×"`` from 10 up, ``"1.5×"`` below (one decimal)."""
    r = float(r)
    if (bad := _nonfinite(r, False)) is not None:
        return bad + TIMES
    # decide on the rounded value, so 9.96 reads "10×" rather than "10.0×"
    one = _quantize(_dec(r), 1)
    return (fixed(r, 0) if abs(one) >= 10 else fixed(r, 1)) + TIMES


# --- units ----------------------------------------------------------------------------------------------
def _round_sig(m: Decimal, sig: int) -> Decimal:
    """``m`` rounded to ``sig`` significant digits (9.996 → 10.0 with sig=3, not 10.00)."""
    if m == 0:
        return _quantize(m, sig - 1)
    places = sig - 1 - m.adjusted()
    q = _quantize(m, places)
    if q.adjusted() > m.adjusted():  # rounding carried into a new digit: one decimal fewer
        q = _quantize(m, places - 1)
    return q


def _scaled(
    x: float | int, step: int, units: Sequence[str], digits: int | None, sig: int | None
) -> tuple[str, str]:
    """(mantissa, unit) with the mantissa in [1, step) after rounding, the unit promoted when it rounds up.

    ``digits`` fixes the decimals after scaling; ``sig`` fixes significant digits instead (never fewer
    than the integer digits: 130 M stays "130"). Below the first unit a whole ``x`` has no decimals.
    """
    d = _dec(x)
    k = 0
    with localcontext() as ctx:
        ctx.prec = 80
        while k < len(units) - 1 and abs(d) >= Decimal(step) ** (k + 1):
            k += 1
        while True:
            m = d / Decimal(step) ** k
            if k == 0 and d == d.to_integral_value():
                q = _quantize(m, 0)
            elif sig is not None:
                q = _quantize(m, 0) if abs(m).adjusted() >= sig else _round_sig(m, sig)
            else:
                q = _quantize(m, digits or 0)
            if abs(q) >= step and k < len(units) - 1:
                k += 1
                continue
            return format(q, "f"), units[k]


def si(x: float, digits: int = 1, unit: str = "", *, tex: bool = False) -> str:
    """A quantity with an SI prefix: ``si(1234)`` → ``"1.2 K"``,
    ``si(3.4e9, unit="FLOPs")`` → ``"3.4 GFLOPs"``.

    ``digits`` decimals after scaling (values below 1000 that are whole print without decimals:
    ``si(512)`` → ``"512"``). Rounding promotes the prefix: ``si(999_950)`` → ``"1.0 M"``.
    """
    x = _as_number(x)
    if isinstance(x, float) and (bad := _nonfinite(x, tex)):
        return bad
    m, prefix = _scaled(x, 1000, _SI, digits, None)
    label = f"{prefix}{unit}"
    if tex and label:
        label = rf"\text{{{label}}}"
    return _sign(m, tex) + (f"\\,{label}" if tex and label else f" {label}" if label else "")


def flops(n: float, digits: int = 1) -> str:
    """A count of floating-point operations: ``flops(3.4e9)`` → ``"3.4 GFLOPs"``."""
    return si(n, digits, "FLOPs")


def byte_size(n: float, digits: int = 1, *, system: ByteSystem = "iec", unit: str | None = None) -> str:
    """A size in bytes: ``byte_size(1536)`` → ``"1.5 KiB"``; ``system="jedec"`` → ``"1.5 KB"`` (also 1024);
    ``system="si"`` → ``"1.5 kB"`` (1000). Whole bytes below the first unit print as ``"512 B"``.

    ``unit`` (one of the system's units) writes every size in that unit, as the ticks of one axis are:
    ``byte_size(512 * 2**20, 1, system="jedec", unit="GB")`` → ``"0.5 GB"`` (see :func:`byte_unit`).
    """
    n = _as_number(n)
    if isinstance(n, float) and (bad := _nonfinite(n, False)):
        return bad
    step, units = _BYTES[system]
    if unit is not None:
        if unit not in units:
            raise ValueError(f"unit {unit!r} is not one of {system}'s units {units}")
        with localcontext() as ctx:
            ctx.prec = 80
            m = format(_quantize(_dec(n) / Decimal(step) ** units.index(unit), digits), "f")
        return f"{_sign(m, False)} {unit}"
    m, unit = _scaled(n, step, units, digits, None)
    return f"{_sign(m, False)} {unit}"


def byte_unit(n: float, *, system: ByteSystem = "iec") -> tuple[int, str]:
    """``(bytes per unit, unit)`` of the largest unit in which ``n`` bytes is at least 1: the unit in
    which :func:`byte_size` writes ``n`` (before rounding), e.g. to label an axis up to ``n`` in one unit:
    ``byte_unit(2.5 * 2**30, system="jedec")`` → ``(1073741824, "GB")``."""
    step, units = _BYTES[system]
    k = 0
    while k < len(units) - 1 and abs(n) >= step ** (k + 1):
        k += 1
    return step**k, units[k]


def count(n: float, sig: int = 3, locale: Locale = "en") -> str:
    """A large count in words, ``sig`` significant digits: en ``"2.65 B"``, ``"130 M"``; zh ``"26.5亿"``,
    ``"1.30亿"``, ``"5.60万"``. Below the first unit: ``"999"`` (en), ``"9,999"`` (zh).
    """
    n = _as_number(n)
    if isinstance(n, float) and (bad := _nonfinite(n, False)):
        return bad
    step, units, sep = _COUNT[locale]
    m, unit = _scaled(n, step, units, None, sig)
    if not unit:
        return _sign(_group(m, False), False)
    return f"{_sign(m, False)}{sep}{unit}"


def sci(x: float, digits: int = 1, *, tex: bool = False) -> str:
    """Scientific notation with ``digits`` decimals in the mantissa: ``"1.1 × 10⁻¹⁶"``,
    ``tex=True`` → ``"1.1 \\times 10^{-16}"``. The mantissa stays in [1, 10) after rounding
    (9.96e3 → 1.0 × 10⁴).
    Zero is written plainly (``"0.0"``, no exponent).
    """
    x = _as_number(x)
    if isinstance(x, float) and (bad := _nonfinite(x, tex)):
        return bad
    d = _dec(x)
    if d == 0:
        return fixed(0, digits, tex=tex)
    e = d.adjusted()
    with localcontext() as ctx:
        ctx.prec = 80
        m = _quantize(d.scaleb(-e), digits)
        if abs(m) >= 10:
            e += 1
            m = _quantize(d.scaleb(-e), digits)
    mant = format(m, "f")
    if tex:
        return rf"{mant} \times 10^{{{e}}}"
    return f"{_sign(mant, False)} {TIMES} 10{str(e).translate(_SUPERSCRIPT)}"


def significant(x: float, sig: int = 3, *, tex: bool = False) -> str:
    """``sig`` significant digits for a value of any size: ``15.5``, ``1.36``, ``0.0109``; outside
    10⁻³ … 10⁴ in scientific notation, where plain digits would run long (``1.39 × 10⁻⁶``). The decade is
    the rounded value's: 9.996 → ``"10.0"``, not ``"10.00"``."""
    x = _as_number(x)
    if isinstance(x, float) and (bad := _nonfinite(x, tex)):
        return bad
    d = _dec(x)
    if d == 0:
        return fixed(0, sig - 1, tex=tex)
    with localcontext() as ctx:
        ctx.prec = 80
        r = _round_sig(abs(d), sig)
    if r < Decimal("1e-3") or r >= Decimal("1e4"):
        return sci(x, sig - 1, tex=tex)
    return fixed(x, max(0, sig - 1 - r.adjusted()), tex=tex)


def duration(seconds: float, sig: int = 3) -> str:
    """A wall-clock time with ``sig`` significant digits: ``"1.23 s"``, ``"123 ms"``, ``"12.3 ms"``,
    ``"1.23 ms"``, ``"123 µs"`` (µs below a millisecond; 999.96 ms → ``"1.00 s"``). ``sig=1`` labels the
    decades of a log time axis: ``"10 µs"``, ``"100 µs"``, ``"1 ms"``, ``"10 ms"``, ``"1 s"``."""
    s = float(seconds)
    if (bad := _nonfinite(s, False)) is not None:
        return bad
    d = _dec(s)
    with localcontext() as ctx:
        ctx.prec = 80
        for scale, unit in ((Decimal(1), "s"), (Decimal("1e-3"), "ms"), (Decimal("1e-6"), "µs")):
            if abs(d) >= scale or unit == "µs":
                m = _round_sig(d / scale, sig)
                if abs(m) >= 1000 and unit != "s":  # rounds up into the larger unit
                    m, unit = _round_sig(d / (scale * 1000), sig), "s" if unit == "ms" else "ms"
                return f"{_sign(format(m, 'f'), False)} {unit}"
    raise AssertionError


def length(t: int) -> str:
    """A power-of-two length as a reader says it: ``256``, ``"4K"``, ``"128K"``, ``"1M"`` (K = 1024), and
    their halves from 1K up, as axis ticks fall: ``1536`` → ``"1.5K"``, ``3 << 19`` → ``"1.5M"``;
    other lengths with separators (``"1,000"``, ``"1,280"``)."""
    t = int(t)
    for shift, unit in ((20, "M"), (10, "K")):
        if t >= 1 << shift and t % (1 << (shift - 1)) == 0:
            whole, half = divmod(t, 1 << shift)
            return f"{whole}{'.5' if half else ''}{unit}"
    return integer(t)


def subscript(n: int) -> str:
    """An index as Unicode subscript digits, for ``Text`` labels: ``f"h{subscript(12)}"`` → ``"h₁₂"``."""
    return str(int(n)).translate(_SUBSCRIPT)


def shape(dims: Sequence[int | str], *, tex: bool = False) -> str:
    """A tensor shape: ``("L", 1536)`` → ``"L × 1,536"`` (symbols kept as given)."""
    sep = r" \times " if tex else f" {TIMES} "
    return sep.join(d if isinstance(d, str) else integer(d, tex=tex) for d in dims)


# --- TeX vectors and matrices ------------------------------------------------------------------------------
def tex_matrix(m, digits: int = 2, *, env: str = "pmatrix") -> str:
    """A 2-D array as a TeX matrix, each entry through :func:`fixed` (ASCII minus)."""
    rows = [" & ".join(fixed(v, digits, tex=True) for v in row) for row in m]
    return rf"\begin{{{env}}}" + r" \\ ".join(rows) + rf"\end{{{env}}}"


def tex_vector(v, digits: int = 2, *, column: bool = True, env: str = "pmatrix") -> str:
    """A 1-D array as a TeX column (or row) vector."""
    vals = [[x] for x in v] if column else [list(v)]
    return tex_matrix(vals, digits, env=env)
