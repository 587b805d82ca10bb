"""One theme for every scene: what each colour means, font sizes, spacing, number formatting.

A colour means one thing everywhere: the input x is always INPUT, the hidden state h always STATE, and so
on, so a viewer who learnt it in one scene can read the next. Sizes are chosen to stay readable at 480p
(one Manim unit is 60 px there; font size 16 is the smallest we allow).
"""

from __future__ import annotations

from manim import ManimColor, interpolate_color

FONT = "Noto Sans CJK SC"  # covers Latin and CJK, so `zh` renders with the same metrics

# --- colour meanings -------------------------------------------------------------------------------
BACKGROUND = ManimColor("#0F1117")
FG = ManimColor("#ECEFF4")  # plain text
MUTED = ManimColor("#8A93A6")  # captions, axes, secondary text
GRID = ManimColor("#3B4252")  # cell borders, guides
ACCENT = ManimColor("#FFD166")  # "look here": highlights, the current step

INPUT = ManimColor("#58C4DD")  # x, tokens, u(t)
STATE = ManimColor("#B48EF0")  # h, the hidden state
OUTPUT = ManimColor("#83C167")  # y
DELTA = ManimColor("#F4A259")  # Δ, the step size
MAT_A = ManimColor("#FC6255")  # A, Ā (decay)
MAT_B = ManimColor("#5CD0B3")  # B, B̄ (what enters)
MAT_C = ManimColor("#E8C11C")  # C (what is read out)
GATE = ManimColor("#F28DB2")  # z, SiLU(z) gates
ATTN = ManimColor("#FF8C69")  # attention / Transformer side of a comparison
SSM = ManimColor("#6FA8DC")  # scan / Mamba side of a comparison

# discretisation methods (one scene compares them; each keeps its colour in every plot)
METHOD = {
    "continuous": FG,
    "zoh": ManimColor("#83C167"),
    "bilinear": ManimColor("#58C4DD"),
    "euler": ManimColor("#FC6255"),
}

# diverging map for signed values in heatmaps: negative → MAT_A-ish, zero → background grey, positive → blue
NEG = ManimColor("#D1495B")
ZERO = ManimColor("#2E3440")
POS = ManimColor("#3D9BE9")

# --- sizes -----------------------------------------------------------------------------------------
TITLE = 40
HEADING = 30
BODY = 26
LABEL = 22
SMALL = 18
NUMBER = 16  # numbers inside heatmap cells: the floor for readability at 480p

EDGE = 0.35  # margin kept free at the frame border
GAP = 0.25


def diverging(value: float, vmax: float):
    """Colour for a signed value on the symmetric scale [-vmax, vmax]."""
    if vmax <= 0:
        return ZERO
    s = max(-1.0, min(1.0, value / vmax))
    return interpolate_color(ZERO, POS if s >= 0 else NEG, abs(s))


def fmt(x: float, digits: int = 2) -> str:
    """Format a number for the screen: fixed digits, a real minus sign, no '-0.00'."""
    s = f"{x:.{digits}f}"
    if float(s) == 0:
        s = f"{0:.{digits}f}"
    return s.replace("-", "\u2212")


def fmt_tex(x: float, digits: int = 2) -> str:
    """Like :func:`fmt`, for use inside ``MathTex`` (LaTeX wants an ASCII minus)."""
    return fmt(x, digits).replace("\u2212", "-")


def fmt_int(n: int) -> str:
    return f"{n:,}"


def fmt_bytes(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if abs(n) < 1024 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    raise AssertionError


def fmt_si(n: float) -> str:
    """1.2 K, 3.4 M, 5.6 G: short counts for axes and labels."""
    for unit, scale in (("T", 1e12), ("G", 1e9), ("M", 1e6), ("K", 1e3)):
        if abs(n) >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{n:.0f}"
