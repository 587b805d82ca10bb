"""The elementwise FLOP convention of lib/arithmetic, which FlopCounterMode cannot check (it counts matmuls).

Two kinds of evidence. (1) Reference computations written out scalar by scalar in the textbook form, run on
``Counted`` numbers that count every arithmetic op, comparison and transcendental they perform: pooling
windows, activations, bias adds, a norm's affine terms and the recurrent cells' gate arithmetic. (2) Small
cases worked by hand, the count written out in the comment, for the per-element conventions (norm
statistics, softmax, attention) where an exact count differs by a per-row constant the convention ignores.
"""

from __future__ import annotations

import itertools
import math

import pytest
import torch
import torch.nn.functional as F

from lib.arithmetic.cost import (
    activation_cost,
    attention_cost,
    batchnorm2d_cost,
    conv1d_cost,
    conv2d_cost,
    layernorm_cost,
    linear_cost,
    pool2d_cost,
    rmsnorm_cost,
    rnn_cell_cost,
)
from lib.arithmetic.report import build_report


class Counted:
    """A float that counts the ops done with it (class-wide tally in ``Counted.ops``)."""

    ops = 0

    def __init__(self, v: float) -> None:
        self.v = float(v)

    @staticmethod
    def _val(o: Counted | float) -> float:
        return o.v if isinstance(o, Counted) else float(o)

    def _op(self, value: float) -> Counted:
        Counted.ops += 1
        return Counted(value)

    def __add__(self, o):
        return self._op(self.v + self._val(o))

    __radd__ = __add__

    def __sub__(self, o):
        return self._op(self.v - self._val(o))

    def __rsub__(self, o):
        return self._op(self._val(o) - self.v)

    def __mul__(self, o):
        return self._op(self.v * self._val(o))

    __rmul__ = __mul__

    def __truediv__(self, o):
        return self._op(self.v / self._val(o))

    def __rtruediv__(self, o):
        return self._op(self._val(o) / self.v)

    def __neg__(self):
        return self._op(-self.v)


def greater(a: Counted, b: Counted | float) -> bool:
    Counted.ops += 1
    return a.v > Counted._val(b)


def unary(fn):
    def apply(x: Counted) -> Counted:
        return x._op(fn(x.v))

    return apply


exp, log, tanh, erf = unary(math.exp), unary(math.log), unary(math.tanh), unary(math.erf)


def counting(fn) -> int:
    """How many ops ``fn()`` performs on Counted numbers."""
    Counted.ops = 0
    fn()
    return Counted.ops


# ---------------------------------------------------------------- activations, in their textbook form

SCALAR = {
    "relu": lambda x: x if greater(x, 0.0) else Counted(0.0),
    "sigmoid": lambda x: 1.0 / (1.0 + exp(-x)),
    "silu": lambda x: x * SCALAR["sigmoid"](x),
    "tanh": tanh,
    "softplus": lambda x: log(1.0 + exp(x)),
    "gelu": lambda x: 0.5 * x * (1.0 + erf(x / math.sqrt(2.0))),
    "gelu_tanh": lambda x: 0.5 * x * (1.0 + tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * (x * x * x)))),
}


@pytest.mark.parametrize("kind", list(SCALAR))
def test_activation_flops_are_the_ops_of_the_formula(kind: str) -> None:
    shape = (2, 3, 5)
    xs = [Counted(0.1 * i - 1.0) for i in range(math.prod(shape))]
    ops = counting(lambda: [SCALAR[kind](x) for x in xs])
    c = activation_cost(kind, shape)
    assert (c.flops, c.macs, c.params) == (ops, 0, 0)


def test_activation_values_of_the_scalar_forms_are_the_functions() -> None:
    """The counted formulas compute what torch computes (so the count is of the right formula)."""
    xs = [-2.0, -0.3, 0.0, 0.7, 3.0]
    torch_fn = {
        "relu": torch.relu, "sigmoid": torch.sigmoid, "silu": F.silu, "tanh": torch.tanh,
        "softplus": F.softplus, "gelu": F.gelu, "gelu_tanh": lambda t: F.gelu(t, approximate="tanh"),
    }  # fmt: skip
    for kind, fn in torch_fn.items():
        ours = [SCALAR[kind](Counted(x)).v for x in xs]
        assert ours == pytest.approx(fn(torch.tensor(xs, dtype=torch.float64)).tolist(), abs=1e-15), kind


def test_report_counts_gelus_tanh_form_as_such() -> None:
    exact, approx = (build_report(f"GELU(approximate={a!r})", (2, 3))[0].cost for a in ("none", "tanh"))
    assert (exact.flops, approx.flops) == (6 * 5, 6 * 9)


# ---------------------------------------------------------------- pooling: literal windows


def pool_reference_ops(kind: str, h: int, w: int, k: int, s: int, p: int, d: int, ceil: bool) -> int:
    """Reduce every window tap by tap; the output grid is torch's, the window is the full k×k."""
    ho, wo = (
        F.max_pool2d(torch.zeros(1, 1, h, w), k, s, p, d, ceil_mode=ceil)
        if kind == "max"
        else F.avg_pool2d(torch.zeros(1, 1, h, w), k, s, p, ceil_mode=ceil)
    ).shape[-2:]
    fill = -math.inf if kind == "max" else 0.0
    big = h + w + 2 * p + 2 * d * k + 8  # room for windows that run past the input (ceil_mode)
    grid = [[Counted(fill) for _ in range(big)] for _ in range(big)]
    for r, c in itertools.product(range(h), range(w)):
        grid[r + p][c + p] = Counted(r * w + c)

    def run() -> None:
        for i, j in itertools.product(range(ho), range(wo)):
            window = [grid[s * i + d * u][s * j + d * v] for u in range(k) for v in range(k)]
            acc = window[0]
            for t in window[1:]:
                if kind == "max":
                    acc = t if greater(t, acc) else acc
                else:
                    acc = acc + t
            if kind == "avg":
                acc = acc / (k * k)

    return counting(run)


CASES = [  # (h, w, k, s, p, d, ceil)
    (4, 4, 2, 2, 0, 1, False),
    (5, 5, 3, 2, 1, 1, False),
    (7, 6, 3, 1, 1, 1, False),
    (7, 7, 3, 2, 1, 2, False),
    (6, 7, 3, 2, 1, 1, True),
    (5, 8, 2, 3, 0, 1, True),
]


@pytest.mark.parametrize(
    "kind,case",
    [("max", c) for c in CASES] + [("avg", c) for c in CASES if c[5] == 1],  # avg: no dilation
)
def test_pooling_counts_every_window_tap(kind: str, case: tuple) -> None:
    h, w, k, s, p, d, ceil = case
    c = pool2d_cost(kind, k, (1, 1, h, w), s, p, d, ceil)
    assert c.flops == pool_reference_ops(kind, h, w, k, s, p, d, ceil)


def test_pooling_by_hand() -> None:
    # MaxPool2d(2) on 4×4: 2×2 outputs, each the max of 4 values = 3 comparisons → 12 (not 16)
    assert pool2d_cost("max", 2, (1, 1, 4, 4)).flops == 12
    # two channels, batch 3: 3·2·4 outputs · 3 = 72
    assert pool2d_cost("max", 2, (3, 2, 4, 4)).flops == 72
    # MaxPool2d(3, 2, padding=1) on 5×5: 3×3 outputs · 8 comparisons (padded taps included) = 72
    assert pool2d_cost("max", 3, (1, 1, 5, 5), 2, 1).flops == 72
    # AvgPool2d(2) on 4×4: 4 outputs · (3 adds + 1 divide) = 16
    assert pool2d_cost("avg", 2, (1, 1, 4, 4)).flops == 16


# ---------------------------------------------------------------- bias adds


@pytest.mark.parametrize("bias", [True, False])
def test_bias_is_one_add_per_output_and_nothing_without(bias: bool) -> None:
    def with_bias(n_out: int) -> int:
        b = Counted(0.5)
        return counting(lambda: [Counted(1.0) + b for _ in range(n_out)]) if bias else 0

    c = conv2d_cost(2, 3, 3, (1, 2, 5, 5), bias=bias)  # 3 channels × 3 × 3 outputs = 27
    assert c.elementwise_flops == with_bias(27) == (27 if bias else 0)
    c = conv2d_cost(4, 6, (3, 1), (2, 4, 6, 5), stride=(2, 1), padding=(1, 0), groups=2, bias=bias)
    assert c.elementwise_flops == with_bias(2 * 6 * 3 * 5)  # N·C_out·H_out·W_out, H_out = ⌊7/2⌋ + 1
    c = conv1d_cost(3, 5, 2, (2, 3, 7), bias=bias)  # 2·5·6 outputs
    assert c.elementwise_flops == with_bias(60)
    assert linear_cost(4, 3, (2, 5, 4), bias).elementwise_flops == with_bias(30)


# ---------------------------------------------------------------- norms: affine counted, statistics by hand


@pytest.mark.parametrize("affine,bias", [(True, True), (True, False), (False, True)])
def test_layernorm_affine_terms(affine: bool, bias: bool) -> None:
    n = 2 * 3 * 4
    gamma, beta = Counted(1.5), Counted(-0.5)

    def affine_part() -> None:  # y = γ·x̂ (+ β), element by element
        for i in range(n):
            y = Counted(i) * gamma if affine else Counted(i)
            if affine and bias:
                y = y + beta

    c = layernorm_cost(4, (2, 3, 4), affine, bias)
    # 5 per element to normalise (mean add, centre, square, variance add, scale)
    assert c.flops == 5 * n + counting(affine_part)


def test_norms_by_hand() -> None:
    # LayerNorm(4) on (2, 3, 4): 24 elements × (5 + γ 1 + β 1) = 168; without β 144; without affine 120
    assert layernorm_cost(4, (2, 3, 4)).flops == 168
    assert layernorm_cost(4, (2, 3, 4), bias=False).flops == 144
    assert layernorm_cost(4, (2, 3, 4), elementwise_affine=False).flops == 120
    # RMSNorm(4) on (2, 3, 4): 24 × (square, mean add, scale + γ) = 96; without γ 72
    assert rmsnorm_cost(4, (2, 3, 4)).flops == 96
    assert rmsnorm_cost(4, (2, 3, 4), elementwise_affine=False).flops == 72
    # BatchNorm2d(3), eval, on (2, 3, 2, 2): 24 × one folded multiply-add = 48, γ and β folded in
    assert batchnorm2d_cost(3, (2, 3, 2, 2)).flops == 48
    assert batchnorm2d_cost(3, (2, 3, 2, 2), affine=False).flops == 48


def test_attention_elementwise_by_hand() -> None:
    # T = 3, d = 4, 2 heads, batch 1: 4 projections × 3·4 bias adds = 48; 2·3·3 = 18 scores, each scaled (1)
    # and soft-maxed (5) = 108 → 156 with bias, 108 without
    assert attention_cost(3, 4, 2, 1, bias=True).elementwise_flops == 156
    assert attention_cost(3, 4, 2, 1, bias=False).elementwise_flops == 108


# ---------------------------------------------------------------- recurrent cells: gate arithmetic


def cell_ops(mode: str, bias: bool) -> int:
    """One hidden unit of one step, torch's cell equations, given the matvec results (MACs not counted)."""
    gates = {"RNN": 1, "LSTM": 4, "GRU": 3}[mode]
    wx, uh = [Counted(0.1 * g) for g in range(gates)], [Counted(-0.2 * g) for g in range(gates)]
    b_ih, b_hh = Counted(0.3), Counted(-0.1)
    c_prev, h_prev = Counted(0.4), Counted(-0.6)
    sigma = SCALAR["sigmoid"]

    def run() -> None:
        a_ih = [x + b_ih for x in wx] if bias else wx  # x W_ih + b_ih
        a_hh = [x + b_hh for x in uh] if bias else uh  # h W_hh + b_hh
        if mode == "RNN":
            tanh(a_ih[0] + a_hh[0])
        elif mode == "LSTM":
            i, f, g, o = (a + b for a, b in zip(a_ih, a_hh, strict=True))
            i, f, g, o = sigma(i), sigma(f), tanh(g), sigma(o)
            c = f * c_prev + i * g
            o * tanh(c)
        else:  # GRU: r, z from the sums; n = tanh(x W_in + b_in + r ⊙ (h W_hn + b_hn))
            r, z = sigma(a_ih[0] + a_hh[0]), sigma(a_ih[1] + a_hh[1])
            n = tanh(a_ih[2] + r * a_hh[2])
            (1.0 - z) * n + z * h_prev

    return counting(run)


@pytest.mark.parametrize("mode", ["RNN", "LSTM", "GRU"])
@pytest.mark.parametrize("bias", [True, False])
def test_rnn_cell_elementwise_is_the_gate_arithmetic(mode: str, bias: bool) -> None:
    batch, hidden = 3, 5
    c = rnn_cell_cost(mode, 4, hidden, batch, bias)
    assert c.elementwise_flops == batch * hidden * cell_ops(mode, bias)
