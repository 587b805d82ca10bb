"""RNN through time (Pascanu, Mikolov & Bengio 2013, eq. 5–7): ‖∂L/∂h_t‖ by BPTT for a recurrent matrix of
spectral radius below and above 1 on a log scale; one LSTM step gate by gate (Hochreiter & Schmidhuber 1997;
forget gate: Gers et al. 2000); and the cell path, ∂c_t/∂c_{t−1} = diag(f_t), which carries the gradient back
through forget gates instead of a matrix."""

from __future__ import annotations

import numpy as np
from manim import DOWN, LEFT, RIGHT, Create, VGroup, Write

from lib.nets.rnn_gradients import lstm_cell_path, rnn_gradient_run
from scenes.engine.base import LectureScene
from scenes.engine.registry import register
from scenes.kit import numbers, theme
from scenes.kit.anim import fade_in, fade_out
from scenes.kit.equation import Equation
from scenes.kit.formula import Num, formula, vector_pieces
from scenes.kit.frame import SAFE, column, fit_width, to_safe
from scenes.kit.matrix import Heatmap
from scenes.kit.plot import Plot, legend, log_bounds
from scenes.kit.record import tag
from scenes.layers.params.rnn import Params as RNNParams

HOLD = theme.HOLD_BRIEF  # seconds to read a slide (scenes/kit/theme.py)
FORMULA = 30  # TeX size of the formulas beside the plot
PLOT_W, PLOT_H = 5.6, 4.2
CELL, CELL_H = 0.72, 0.45  # a gate value's cell: room for "−0.40" at theme.NUMBER
LOW, HIGH = (
    theme.GRAD,
    theme.ACCENT,
)  # the two RNN curves: every ∂L/∂h is a gradient; the exploding one "look here"
CELL_PATH = theme.STATE  # the LSTM's cell state c and its gradient path


def _norm(v: float) -> str:
    """A gradient norm as the readouts write it: 8.6 × 10⁻⁴, 9.2 × 10¹."""
    return numbers.sci(v, 1)


def _factor(v: float) -> str:
    """A factor in a product, in TeX: a negative one in parentheses, 0.97 \\times (-1.63)."""
    s = numbers.fixed(v, 2, tex=True)
    return f"({s})" if s.startswith("-") else s


def _decade(v: float) -> str:
    """A log-axis tick: a power of ten."""
    return numbers.sci(v, 0).replace("1 × ", "") if v != 1 else "1"


@register("layers.rnn")
class RNN(LectureScene):
    """Vanishing and exploding gradients through time, one LSTM step, and the LSTM's cell path."""

    Params = RNNParams

    EXAMPLES = (
        {"hidden": 3, "steps": 20, "radius_low": 0.6, "radius_high": 1.3, "input_scale": 0.005,
         "lstm_hidden": 4, "forget_bias": 1.0, "unit": 3, "seed": 3},
    )  # fmt: skip

    STRINGS = {
        "en": {
            "title": "RNN through time",
            "subtitle": "how the gradient travels back, and why the LSTM keeps it",
            "y_axis": "gradient norm at step t: ‖∂L/∂hₜ‖, ‖∂L/∂cₜ‖",
            "x_axis": "step t",
            "low": "ρ(W_hh) = {rho}:  at t = 1, {first}",
            "high": "ρ(W_hh) = {rho}:  at t = 1, {first}",
            "cell": "LSTM cell, b_f = {bf}:  at t = 1, {first}",
            "bptt_note": "L = Σ h_T. Each step back multiplies by diag(1 − h²) W_hhᵀ:\n"
            "about ρ per step while tanh is near linear",
            "lstm_head": "one LSTM step, t = {t}",
            "gates": "gates",
            "values": "candidate and state",
            "cell_note": "unit {k}: the new cell state is the kept old one plus the written new one",
            "path_note": "no matrix, no tanh on the cell path: only the forget gates multiply",
        },
        "zh": {
            "title": "循环神经网络：沿时间反向传播",
            "subtitle": "梯度怎样往回走，LSTM 又为什么能留住它",
            "y_axis": "第 t 步的梯度范数：‖∂L/∂hₜ‖，‖∂L/∂cₜ‖",
            "x_axis": "时间步 t",
            "low": "ρ(W_hh) = {rho}：t = 1 处为 {first}",
            "high": "ρ(W_hh) = {rho}：t = 1 处为 {first}",
            "cell": "LSTM 细胞，b_f = {bf}：t = 1 处为 {first}",
            "bptt_note": "L = Σ h_T。每往回一步都乘以 diag(1 − h²) W_hhᵀ：\ntanh 接近线性时约等于每步乘以 ρ",
            "lstm_head": "LSTM 的一步，t = {t}",
            "gates": "门",
            "values": "候选值与状态",
            "cell_note": "单元 {k}：新的细胞状态 = 保留的旧状态 + 写入的新内容",
            "path_note": "细胞通路上没有矩阵，也没有 tanh：只有遗忘门在相乘",
        },
    }

    # What the lecturer says per beat; every number comes in through a field the scene computed.
    NARRATION = {
        "en": {
            "unroll": "Unroll a recurrent network over time. Going backwards, every step multiplies the "
            "gradient by the recurrent matrix and the slope of tanh, so after many steps what matters is "
            "the spectral radius of that matrix.",
            "vanish": "With a spectral radius of {rho_low}, the gradient that starts at the last step is "
            "down to {low_first} by the first step. The early inputs get almost no learning signal.",
            "explode": "With {rho_high}, the same product grows instead, to {high_first}. One large update "
            "can then throw the weights far away, which is why people clip gradients.",
            "gates": "The LSTM adds a second state, the cell. At step {t}, the input gate, forget gate and "
            "output gate are sigmoids between zero and one, and g is a tanh candidate.",
            "cell": "For unit {k}: the forget gate {f} keeps that much of the old cell {c_prev}, the input "
            "gate {i} writes that much of the candidate {g}, and the new cell is {c}. The output is {h}.",
            "path": "Now the gradient. The derivative of the new cell with respect to the old one is just "
            "the forget gate: {f_list}. No matrix and no tanh slope on this path.",
            "carry": "With the forget gate open, the gradient carried back along the cell path is still "
            "{cell_first} at the first step, where the plain network had {low_first}.",
        },
        "zh": {
            "unroll": "把循环网络沿时间展开。往回传时，每一步都要把梯度乘以循环矩阵和 tanh 的斜率，"
            "所以走过很多步之后，起决定作用的是这个矩阵的谱半径。",
            "vanish": "谱半径为 {rho_low} 时，从最后一步出发的梯度，传到第一步只剩 {low_first}。"
            "前面的输入几乎得不到学习信号。",
            "explode": "谱半径为 {rho_high} 时，同样的连乘反而变大，到了 {high_first}。"
            "一次大的更新就可能把权重甩得很远，所以大家会做梯度裁剪。",
            "gates": "LSTM 多了一个状态：细胞。在第 {t} 步，输入门、遗忘门和输出门都是介于零和一之间的 "
            "sigmoid，g 是一个 tanh 候选值。",
            "cell": "看单元 {k}：遗忘门 {f} 决定保留多少旧细胞 {c_prev}，输入门 {i} 决定写入多少候选值 "
            "{g}，新的细胞是 {c}。输出是 {h}。",
            "path": "再看梯度。新细胞对旧细胞的导数就是遗忘门本身：{f_list}。这条通路上没有矩阵，"
            "也没有 tanh 的斜率。",
            "carry": "遗忘门打开时，沿细胞通路传回第一步的梯度仍有 {cell_first}，"
            "而普通循环网络只剩 {low_first}。",
        },
    }

    def construct(self) -> None:
        self.compute()
        self.show_bptt()
        self.show_lstm_step()
        self.show_cell_path()

    # --- numbers (all from lib/) -----------------------------------------------------------------
    def compute(self) -> None:
        p = self.params
        common = {"hidden": p.hidden, "input_size": 2, "steps": p.steps, "input_scale": p.input_scale}
        self.low = rnn_gradient_run(radius=p.radius_low, seed=p.seed, **common)
        self.high = rnn_gradient_run(radius=p.radius_high, seed=p.seed, **common)
        self.path = lstm_cell_path(p.lstm_hidden, 2, p.steps, p.forget_bias, 1.0, p.seed)
        self.step = self.path.last  # the LSTM's last step, gate by gate

    # --- building blocks -------------------------------------------------------------------------------
    def plot(self) -> Plot:
        p = self.params
        values = np.concatenate([self.low.grad_norms, self.high.grad_norms, self.path.cell_grad_norms])
        lo, hi = log_bounds(values)
        span = round(np.log10(hi / lo))
        ticks = [lo * 10**k for k in range(0, span + 1, 1 if span <= 6 else 2)]
        plot = Plot(
            (0, p.steps, 5 if p.steps <= 30 else 10), (lo, hi), width=PLOT_W, height=PLOT_H, y_scale="log",
            y_ticks=ticks, y_format=_decade, x_label=self.t("x_axis"), y_label=self.t("y_axis"),
        )  # fmt: skip
        return plot

    def first_dot(self, v: float, color, key: str) -> VGroup:
        """The curve's value at t = 1 marked with a dot (tagged with its position read back)."""
        return self.gplot.scatter([1], [v], color, key=key, radius=0.08)

    # --- beats -------------------------------------------------------------------------------------
    def show_bptt(self) -> None:
        p = self.params
        self.header = self.title_bar("title", "subtitle")
        self.gplot = self.plot()
        self.gplot.next_to(self.header, DOWN, buff=theme.BUFF_SECTION)
        to_safe(self.gplot, LEFT)
        t = np.arange(1, p.steps + 1)
        low = self.gplot.series(t, self.low.grad_norms, LOW, key="norm_low", dots=False)
        high = self.gplot.series(t, self.high.grad_norms, HIGH, key="norm_high", dots=False)
        r_low = self.first_dot(float(self.low.grad_norms[0]), LOW, "first_low")
        r_high = self.first_dot(float(self.high.grad_norms[0]), HIGH, "first_high")
        rho_low, rho_high = numbers.fixed(self.low.radius, 2), numbers.fixed(self.high.radius, 2)
        eq = Equation(
            r"\frac{\partial L}{\partial h_{t-1}} = \frac{\partial L}{\partial h_t}\,"
            r"\mathrm{diag}(1 - h_t^2)\, W_{hh}^T",
            font_size=FORMULA, color=theme.GRAD,
        )  # fmt: skip
        note = self.text("bptt_note", size=theme.SMALL, color=theme.MUTED)
        first_low, first_high = _norm(self.low.grad_norms[0]), _norm(self.high.grad_norms[0])
        leg = legend(
            [(self.t("low", rho=rho_low, first=first_low), LOW),
             (self.t("high", rho=rho_high, first=first_high), HIGH)]
        )  # fmt: skip
        tag(leg[0][1], "legend_low", (self.low.radius, self.low.grad_norms[0]))
        tag(leg[1][1], "legend_high", (self.high.radius, self.high.grad_norms[0]))
        self.legend = leg
        panel = column([eq, note, leg], buff=theme.BUFF_LARGE)
        fit_width(panel, SAFE.right - self.gplot.get_right()[0] - theme.BUFF_LARGE)
        panel.next_to(self.header, DOWN, buff=theme.BUFF_SECTION)
        to_safe(panel, RIGHT)
        with self.beat("unroll"):
            self.play(fade_in(self.header))
            self.play(Create(self.gplot), Write(eq), fade_in(note))
            self.wait(HOLD)
        with self.beat("vanish", rho_low=rho_low, low_first=first_low):
            self.play(fade_in(leg[0]), low.grow(run_time=2.0))
            self.play(fade_in(r_low))
            self.wait(HOLD)
        with self.beat("explode", rho_high=rho_high, high_first=first_high):
            self.play(fade_in(leg[1]), high.grow(run_time=2.0))
            self.play(fade_in(r_high))
            self.wait(HOLD)
        self.next_slide()
        self.curves = VGroup(low, high, r_low, r_high)
        self.play(fade_out(VGroup(self.gplot, self.curves, eq, note, leg)))

    def show_lstm_step(self) -> None:
        p, s = self.params, self.step
        k = p.unit
        eq = Equation(
            r"\begin{aligned} i &= \sigma(x W_{ii} + h_{t-1} W_{hi} + b_i) \\"
            r" f &= \sigma(x W_{if} + h_{t-1} W_{hf} + b_f) \\"
            r" g &= \tanh(x W_{ig} + h_{t-1} W_{hg} + b_g) \\"
            r" o &= \sigma(x W_{io} + h_{t-1} W_{ho} + b_o) \\"
            r" c_t &= f \odot c_{t-1} + i \odot g \\"
            r" h_t &= o \odot \tanh(c_t) \end{aligned}",
            font_size=FORMULA,
        )  # fmt: skip
        unit_labels = [numbers.integer(j + 1) for j in range(p.lstm_hidden)]
        gates = Heatmap(
            np.stack([s.i[0], s.f[0], s.o[0]]), key="gates", scale="sequential", cell=CELL,
            cell_height=CELL_H, digits=2,
            adaptive=False, row_labels=["i", "f", "o"], col_labels=unit_labels,
        )  # fmt: skip
        vals = Heatmap(
            np.stack([s.g[0], s.c_prev[0], s.c[0], s.h[0]]), key="cell_values", scale="diverging",
            cell=CELL, cell_height=CELL_H, digits=2, adaptive=False, row_labels=["g", "cₜ₋₁", "cₜ", "hₜ"],
        )  # fmt: skip
        head = self.text("lstm_head", size=theme.LABEL, color=theme.FG, t=numbers.integer(p.steps))
        g_cap = self.text("gates", size=theme.SMALL, color=theme.MUTED)
        v_cap = self.text("values", size=theme.SMALL, color=theme.MUTED)
        tables = column([g_cap, gates, v_cap, vals], buff=theme.BUFF_SMALL)
        cell_eq = formula(
            r"c_t =", Num(float(s.f[0, k]), "w_f"), r"\times",
            Num(float(s.c_prev[0, k]), "w_c_prev", fmt=_factor), "+", Num(float(s.i[0, k]), "w_i"), r"\times",
            Num(float(s.g[0, k]), "w_g", fmt=_factor), "=",
            Num(float(s.c[0, k]), "w_c"), font_size=FORMULA, color=CELL_PATH,
        )  # fmt: skip
        h_eq = formula(
            r"h_t =", Num(float(s.o[0, k]), "w_o"), r"\times \tanh(", Num(float(s.c[0, k]), "w_c_again"),
            ") =", Num(float(s.h[0, k]), "w_h"), font_size=FORMULA, color=theme.OUTPUT,
        )  # fmt: skip
        note = self.text("cell_note", size=theme.SMALL, color=theme.MUTED, k=numbers.integer(k + 1))
        vals.shift((gates.cells.get_left()[0] - vals.cells.get_left()[0]) * RIGHT)  # one column of cells
        worked = column([note, cell_eq, h_eq], buff=theme.BUFF)
        left = column([head, eq, worked], buff=theme.BUFF_LARGE)
        tables.next_to(self.header, DOWN, buff=theme.BUFF_SECTION)
        to_safe(tables, RIGHT)
        fit_width(left, tables.get_left()[0] - theme.BUFF_LARGE - SAFE.left)
        left.next_to(self.header, DOWN, buff=theme.BUFF_SECTION)
        to_safe(left, LEFT)
        boxes = VGroup(gates.highlight_col(k), vals.highlight_col(k))
        with self.beat("gates", t=numbers.integer(p.steps)):
            self.play(fade_in(head), Write(eq))
            self.play(fade_in(g_cap), fade_in(gates), fade_in(v_cap), fade_in(vals))
            self.wait(HOLD)
        f2 = lambda v: numbers.fixed(float(v), 2)
        with self.beat(
            "cell", k=numbers.integer(k + 1), f=f2(s.f[0, k]), c_prev=f2(s.c_prev[0, k]), i=f2(s.i[0, k]),
            g=f2(s.g[0, k]), c=f2(s.c[0, k]), h=f2(s.h[0, k]),
        ):  # fmt: skip
            self.play(Create(boxes), fade_in(note))
            self.play(Write(cell_eq))
            self.play(Write(h_eq))
            self.wait(HOLD)
        self.next_slide()
        self.play(fade_out(VGroup(left, tables, worked, boxes)))

    def show_cell_path(self) -> None:
        p, s = self.params, self.step
        jac = formula(
            r"\frac{\partial c_t}{\partial c_{t-1}} = \mathrm{diag}(f_t) = \mathrm{diag}",
            *vector_pieces(s.f[0], key="jac_f", digits=2, column=False), font_size=FORMULA, color=CELL_PATH,
        )  # fmt: skip
        prod = Equation(
            r"\frac{\partial c_T}{\partial c_t} = \mathrm{diag}\Big(\prod_{k=t+1}^{T} f_k\Big)",
            font_size=FORMULA, color=CELL_PATH,
        )  # fmt: skip
        note = self.text("path_note", size=theme.SMALL, color=theme.MUTED)
        t = np.arange(1, p.steps + 1)
        cell = self.gplot.series(t, self.path.cell_grad_norms, CELL_PATH, key="norm_cell", dots=False)
        r_cell = self.first_dot(float(self.path.cell_grad_norms[0]), CELL_PATH, "first_cell")
        bf = numbers.fixed(p.forget_bias, 1)
        first_cell = _norm(self.path.cell_grad_norms[0])
        leg = legend([(self.t("cell", bf=bf, first=first_cell), CELL_PATH)])
        tag(leg[0][1], "legend_cell", (p.forget_bias, self.path.cell_grad_norms[0]))
        leg.next_to(self.legend, DOWN, buff=theme.BUFF_SMALL).align_to(self.legend, LEFT)
        room = SAFE.right - self.gplot.get_right()[0] - theme.BUFF_LARGE
        top = column([jac, prod, note], buff=theme.BUFF_LARGE)
        fit_width(top, room)
        legends = VGroup(self.legend, leg)
        top.next_to(self.header, DOWN, buff=theme.BUFF_SECTION)
        to_safe(top, RIGHT)
        legends.next_to(top, DOWN, buff=theme.BUFF_LARGE).align_to(top, LEFT)
        f_list = ", ".join(numbers.fixed(float(v), 2) for v in s.f[0])
        with self.beat("path", f_list=f_list):
            self.play(Write(jac))
            self.play(Write(prod), fade_in(note))
            self.wait(HOLD)
        with self.beat("carry", cell_first=first_cell, low_first=_norm(self.low.grad_norms[0])):
            self.play(fade_in(self.gplot), fade_in(self.curves), fade_in(legends))
            self.play(cell.grow(run_time=2.0))
            self.play(fade_in(r_cell))
            self.wait(HOLD)
