"""One theme for every scene: what each colour means, font sizes, spacing, number formatting.

A colour means one thing everywhere: the input x is always INPUT, the hidden state h always STATE, and so
on, so a viewer who learnt it in one scene can read the next. Sizes are chosen to stay readable at 480p
(one Manim unit is 60 px there; font size 16 is the smallest we allow).
"""

from __future__ import annotations

from manim import ManimColor, interpolate_color

from scenes.kit import numbers

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

# the Transformer: queries, keys and values keep these colours in every scene (their matrices, their vectors,
# the W_Q / W_K / W_V that make them); attention weights use the sequential map (SEQ_HIGH), masked cells MASK
QUERY = ManimColor("#5B9BF8")  # q, Q, W_Q
KEY = ManimColor("#F5A35C")  # k, K, W_K
VALUE = ManimColor("#B07CF0")  # v, V, W_V
RESIDUAL = ManimColor("#9FB3C8")  # the residual stream x + F(x): what every sublayer reads and adds to
MASK = ManimColor("#4C566A")  # a masked score (−∞): never attended

# training: each optimiser keeps its colour in every scene (trajectories, loss curves, update rules)
OPTIMIZER = {
    "sgd": ManimColor("#9FB3C8"),
    "momentum": ManimColor("#58C4DD"),
    "nesterov": ManimColor("#5CD0B3"),
    "adam": ManimColor("#F5A35C"),
    "adamw": ManimColor("#FC6255"),
    "lion": ManimColor("#B07CF0"),
}
# learning-rate schedules (their lr curves and the loss curves of the runs trained under them)
SCHEDULE = {
    "constant": ManimColor("#9FB3C8"),
    "warmup_cosine": ManimColor("#F6C85F"),
    "step": ManimColor("#58C4DD"),
    "exponential": ManimColor("#F28DB2"),
}
TRAIN_CURVE = ManimColor("#58C4DD")  # a training loss / accuracy curve
VAL_CURVE = ManimColor("#F5A35C")  # the validation curve of the same run
# the fields of a floating-point number's bit layout
SIGN_BITS = ManimColor("#FC6255")
EXPONENT_BITS = ManimColor("#F6C85F")
MANTISSA_BITS = ManimColor("#5CD0B3")
TARGET = ManimColor("#83C167")  # the correct class / target token (its probability, its one-hot entry)

# layer arithmetic: what a layer reads (INPUT), its weights, its output (OUTPUT), and gradients flowing back
WEIGHT = ManimColor("#F5A35C")  # a kernel, a weight matrix W
BIAS = ManimColor("#E8C11C")  # b
GRAD = ManimColor("#EF6F9A")  # ∂L/∂· : every gradient, whatever it is the gradient of
PLAIN = ManimColor("#FC6255")  # a plain (non-residual) deep stack, beside RESIDUAL
FIX = ManimColor("#A3E635")  # the fixed version beside a failing one (He init, global pooling, BatchNorm)
# architectures compared (params, FLOPs, memory bars): each family keeps its colour; Transformers are ATTN
ARCH = {
    "cnn": ManimColor("#6FA8DC"),
    "vit": ATTN,
    "rnn": ManimColor("#9FB3C8"),
    "lstm": ManimColor("#B48EF0"),
    "gru": ManimColor("#5CD0B3"),
    "transformer": ATTN,
}

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

# named spacings (scene units) instead of literal ``buff=`` values: pick by what is being separated
BUFF_TIGHT = 0.08  # a caption and the thing it names (a number under its label, a symbol beside its word)
BUFF_SMALL = 0.15  # items inside one component (legend rows, chips of a strip, a label to its axis)
BUFF = GAP  # neighbouring components of one beat (a heatmap and the operator beside it)
BUFF_LARGE = 0.45  # separate groups on one slide (a plot and its table)
BUFF_SECTION = 0.6  # the title bar and the content under it

# --- timing ----------------------------------------------------------------------------------------
# Seconds a viewer is given to read a slide before the lecturer moves on (a scene's ``HOLD``), by how much
# there is to read: a title or one number, a formula, a chart with its labels, a table, a dense comparison.
HOLD_BRIEF = 1.0
HOLD_SHORT = 1.5
HOLD = 2.0
HOLD_LONG = 2.5
HOLD_LONGEST = 3.0


# sequential map for values in [0, 1] (attention weights, probabilities): background grey → warm yellow
SEQ_LOW = ZERO
SEQ_HIGH = ManimColor("#F6C85F")


def diverging(value: float, vmax: float):
    """Colour for a signed value on the symmetric scale [-vmax, vmax]."""
    if vmax <= 0:
        return ZERO
    s = max(-1.0, min(1.0, value / vmax))
    return interpolate_color(ZERO, POS if s >= 0 else NEG, abs(s))


def sequential(value: float, vmin: float = 0.0, vmax: float = 1.0, high=SEQ_HIGH):
    """Colour for a value on the scale [vmin, vmax] (default 0–1: weights, probabilities), clipped."""
    if vmax <= vmin:
        return SEQ_LOW
    s = max(0.0, min(1.0, (value - vmin) / (vmax - vmin)))
    return interpolate_color(SEQ_LOW, high, s)


def ink_on(fill) -> ManimColor:
    """FG or BACKGROUND, whichever reads better on ``fill`` (dark text on light cells)."""
    r, g, b = ManimColor(fill).to_rgb()
    return BACKGROUND if 0.2126 * r + 0.7152 * g + 0.0722 * b > 0.55 else FG


def shades(color, n: int) -> list[ManimColor]:
    """``n`` shades of one colour, darker to lighter (the coordinates of one quantity, e.g. the states
    h₁ … h_N, all reading as STATE): from 30 % towards the background to 55 % towards FG."""
    fs = [0.0] if n == 1 else [-0.3 + 0.85 * k / (n - 1) for k in range(n)]
    return [
        interpolate_color(color, BACKGROUND, -f) if f < 0 else interpolate_color(color, FG, f) for f in fs
    ]


# --- number formatting: thin aliases of scenes.kit.numbers (the one implementation) ---------------------
def fmt(x: float, digits: int = 2) -> str:
    """Fixed digits with a real minus sign, no '−0.00' (see :func:`scenes.kit.numbers.fixed`)."""
    return numbers.fixed(x, digits)


def fmt_tex(x: float, digits: int = 2) -> str:
    """Like :func:`fmt`, for use inside ``MathTex`` (LaTeX wants an ASCII minus)."""
    return numbers.fixed(x, digits, tex=True)


def fmt_int(n: int) -> str:
    """Thousands separators: 1,234,567."""
    return numbers.integer(n)


def fmt_bytes(n: float) -> str:
    """Binary sizes labelled KB, MB, GB (1 KB = 1024 B, JEDEC) as the Mamba lecture shows them; new scenes
    use ``numbers.byte_size`` (KiB, MiB … by default)."""
    return numbers.byte_size(n, 1, system="jedec")


def fmt_si(n: float) -> str:
    """1.2 K, 3.4 M, 5.6 G: short counts for axes and labels."""
    return numbers.si(n, 1)
