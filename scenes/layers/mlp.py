"""An MLP forward and backward, neuron by neuron (Rumelhart, Hinton & Williams 1986, eq. 1–2 and 5–7): one
hidden unit's weighted sum, bias and activation; the chain rule back to its δ and weight gradients; and a
gradient check, backprop against central differences (f(w + ε) − f(w − ε)) / 2ε, as relative errors."""

from __future__ import annotations

from manim import DOWN, LEFT, RIGHT, Circle, Create, Line, RoundedRectangle, VGroup, Write

from lib.nets.mlp_example import mlp_example
from scenes.engine.base import LectureScene
from scenes.engine.registry import register
from scenes.kit import numbers, theme
from scenes.kit.anim import fade_in, fade_out
from scenes.kit.formula import Num, formula, vector_pieces
from scenes.kit.frame import SAFE, column, fit, fit_width, row, to_safe
from scenes.kit.record import number
from scenes.kit.table import NumberTable
from scenes.layers.params.mlp import Params as MLPParams

HOLD = theme.HOLD_BRIEF  # seconds to read a slide (scenes/kit/theme.py)
RADIUS = 0.34  # a neuron's circle: room for "−0.27" at theme.NUMBER
PITCH = 1.1  # vertical distance between neurons of a layer: room for a gradient under each circle
LAYER_GAP = 1.7  # horizontal distance between layers
FORMULA = 30  # TeX size of the worked formulas
TEX_ACT = {"tanh": r"\tanh", "sigmoid": r"\sigma", "relu": r"\mathrm{ReLU}"}
DIGITS = 3  # the worked neuron and the chain rule: three decimals, so the sums visibly add up
CHECK_DIGITS = 7  # the checked derivative: enough decimals to see numeric and analytic agree


def _sci(v: float) -> str:
    return numbers.sci(v, 1)


def _eps_tex(v: float) -> str:
    return numbers.sci(v, 0, tex=True)


@register("layers.mlp")
class MLP(LectureScene):
    """A small MLP on one example: forward value by value, backward by the chain rule, a gradient check."""

    Params = MLPParams

    EXAMPLES = (
        {"inputs": 2, "hidden": 3, "outputs": 1, "activation": "sigmoid", "seed": 7, "unit": 2,
         "weight_input": 1, "eps": 2e-3},
    )  # fmt: skip

    STRINGS = {
        "en": {
            "title": "An MLP, forward and backward",
            "subtitle": "one example, every number of one neuron and of its gradient",
            "net_note": "h = {act}(x W₁ + b₁),   y = h W₂ + b₂",
            "neuron_head": "hidden unit {unit}: weighted sum, bias, activation",
            "col_i": "i",
            "col_x": "xᵢ",
            "col_w": "wᵢ",
            "col_prod": "xᵢ · wᵢ",
            "loss": "L",
            "grad_note": "pink: ∂L/∂· of each value, computed from right to left",
            "check_head": "the weight from input {i} to hidden unit {unit}",
            "numeric": "central difference",
            "analytic": "backprop",
            "rel": "relative error",
            "col_tensor": "tensor",
            "col_shape": "shape",
            "col_rel": "relative error",
            "rel_note": "‖g_backprop − g_numeric‖ / (‖g_backprop‖ + ‖g_numeric‖)",
            "exact_note": "L is quadratic in W₂ and b₂: there the difference is exact, only rounding is left",
        },
        "zh": {
            "title": "多层感知机：前向与反向",
            "subtitle": "一个样本，一个神经元及其梯度的每一个数",
            "net_note": "h = {act}(x W₁ + b₁)，  y = h W₂ + b₂",
            "neuron_head": "隐藏单元 {unit}：加权求和、加偏置、过激活函数",
            "col_i": "i",
            "col_x": "xᵢ",
            "col_w": "wᵢ",
            "col_prod": "xᵢ · wᵢ",
            "loss": "L",
            "grad_note": "粉色：每个值的 ∂L/∂·，从右往左算",
            "check_head": "从输入 {i} 到隐藏单元 {unit} 的权重",
            "numeric": "中心差分",
            "analytic": "反向传播",
            "rel": "相对误差",
            "col_tensor": "张量",
            "col_shape": "形状",
            "col_rel": "相对误差",
            "rel_note": "‖g_反向传播 − g_数值‖ / (‖g_反向传播‖ + ‖g_数值‖)",
            "exact_note": "L 对 W₂ 和 b₂ 是二次函数：差分在那里是精确的，只剩舍入误差",
        },
    }

    # What the lecturer says per beat; every number comes in through a field the scene computed.
    NARRATION = {
        "en": {
            "network": "A small network and one example. The input on the left flows through a hidden layer "
            "to the outputs; each circle holds the value computed for this example.",
            "neuron": "Take hidden unit {unit}. Each input is multiplied by its weight, the products add up "
            "to {sum}, the bias {bias} is added, and z is {z}. The activation turns that into {a}, the "
            "number in the unit's circle.",
            "loss": "The outputs are compared with the targets: the loss is {loss}. Its gradient with "
            "respect to each output is simply two times the error over n, and that is where backpropagation "
            "starts.",
            "chain": "Going backwards, unit {unit} collects the output gradients through its outgoing "
            "weights: {dh}. Multiplying by the slope of the activation, {dphi}, gives its delta, {delta}. "
            "Each incoming weight's gradient is its input times that delta.",
            "numeric": "How do we know backprop is right? Nudge one weight up and down by epsilon and "
            "measure the loss. For this weight the central difference gives {numeric}, backprop {analytic}.",
            "check": "Doing this for every parameter, the relative errors stay around {err} or below: the "
            "size epsilon squared predicts. A bug in backprop shows up as an error near one, not at this "
            "scale.",
        },
        "zh": {
            "network": "一个小网络和一个样本。输入从左边进来，经过一个隐藏层到达输出；"
            "每个圆圈里都是这个样本算出来的值。",
            "neuron": "看隐藏单元 {unit}。每个输入乘以自己的权重，乘积加起来是 {sum}，再加上偏置 "
            "{bias}，得到 z 等于 {z}。激活函数把它变成 {a}，也就是这个单元圆圈里的数。",
            "loss": "把输出和目标比较，损失是 {loss}。它对每个输出的梯度就是误差的两倍除以 n，"
            "反向传播就从这里开始。",
            "chain": "往回走，单元 {unit} 通过它的输出权重把各个输出的梯度收集起来，得到 {dh}。"
            "再乘以激活函数的斜率 {dphi}，就是它的 delta，{delta}。每个输入权重的梯度就是对应输入乘以这个 "
            "delta。",
            "numeric": "怎么知道反向传播算对了？把一个权重加减 epsilon，看损失怎么变。"
            "对这个权重，中心差分给出 {numeric}，反向传播给出 {analytic}。",
            "check": "对每个参数都这样检查，相对误差都在 {err} 左右或更小，正是 epsilon 平方的量级。"
            "如果反向传播有错，误差会接近一，而不是这个量级。",
        },
    }

    def construct(self) -> None:
        self.compute()
        self.show_forward()
        self.show_backward()
        self.show_check()

    # --- numbers (all from lib/) -----------------------------------------------------------------
    def compute(self) -> None:
        p = self.params
        self.ex = mlp_example((p.inputs, p.hidden, p.outputs), p.activation, p.unit, p.seed, p.eps)

    # --- building blocks -------------------------------------------------------------------------------
    def network(self) -> None:
        """The neurons as circles with their forward values, the weights as lines, the loss as a box."""
        ex, p = self.ex, self.params
        values = [ex.x[0], ex.trace.layers[0].a[0], ex.trace.out[0]]  # (d_0,), (d_1,), (d_2,)
        colors = [theme.INPUT, theme.FG, theme.OUTPUT]
        self.nodes: list[VGroup] = []
        for k, (vals, key, color) in enumerate(zip(values, ("x", "h", "y"), colors, strict=True)):
            layer = VGroup()
            for i, v in enumerate(vals):
                c = Circle(radius=RADIUS, color=color, stroke_width=3).set_fill(color, opacity=0.12)
                num = number(float(v), 2, key=key, index=(i,), color=theme.FG).move_to(c)
                layer.add(VGroup(c, num))
            layer.arrange(DOWN, buff=PITCH - 2 * RADIUS).set_x(k * LAYER_GAP)
            self.nodes.append(layer)
        top = max(layer.get_top()[1] for layer in self.nodes)  # one line of names over the tallest layer
        names = VGroup(
            *[
                self.plain(s, size=theme.LABEL, color=c).set_x(layer.get_x()).set_y(top + theme.BUFF_LARGE)
                for s, c, layer in zip(("x", "h", "y"), colors, self.nodes, strict=True)
            ]
        )
        self.edges = VGroup()
        self.into_unit = VGroup()
        for k in range(2):
            for a in self.nodes[k]:
                for j, b in enumerate(self.nodes[k + 1]):
                    hot = k == 0 and j == p.unit
                    e = Line(
                        a[0].get_center(), b[0].get_center(), buff=RADIUS,
                        color=theme.WEIGHT if hot else theme.GRID, stroke_width=3 if hot else 1.5,
                    )  # fmt: skip
                    (self.into_unit if hot else self.edges).add(e)
        box = RoundedRectangle(corner_radius=0.1, width=1.3, height=0.75, color=theme.FG, stroke_width=3)
        box.next_to(self.nodes[2], RIGHT, buff=LAYER_GAP - 2 * RADIUS)
        loss = row([self.text("loss", size=theme.LABEL), number(ex.loss, DIGITS, key="loss_node")],
                   buff=theme.BUFF_SMALL).move_to(box)  # fmt: skip
        self.loss_box = VGroup(box, loss)
        self.loss_edges = VGroup(
            *[
                Line(n[0].get_right(), box.get_left(), color=theme.GRID, stroke_width=1.5)
                for n in self.nodes[2]
            ]
        )
        self.names = names
        self.net = VGroup(self.edges, self.into_unit, *self.nodes, names, self.loss_edges, self.loss_box)
        self.net_note = self.text("net_note", size=theme.SMALL, color=theme.MUTED, act=p.activation)
        body = column([self.net, self.net_note], buff=theme.BUFF_LARGE, align="left")
        fit(body, height=self.header.get_bottom()[1] - theme.BUFF_SECTION - SAFE.bottom)  # 5 hidden units
        body.next_to(self.header, DOWN, buff=theme.BUFF_SECTION)
        to_safe(body, LEFT)
        self.panel_left = self.net.get_right()[0] + theme.BUFF_LARGE

    def place_panel(self, panel: VGroup) -> VGroup:
        """Right of the network, under the title."""
        fit_width(panel, SAFE.right - self.panel_left)
        panel.next_to(self.header, DOWN, buff=theme.BUFF_SECTION)
        return to_safe(panel, RIGHT)

    # --- beats -------------------------------------------------------------------------------------
    def show_forward(self) -> None:
        p, n = self.params, self.ex.neuron
        self.header = self.title_bar("title", "subtitle")
        self.network()
        unit = numbers.integer(p.unit + 1)
        head = self.text("neuron_head", size=theme.LABEL, color=theme.ACCENT, unit=unit)
        idx = [numbers.integer(i + 1) for i in range(p.inputs)]
        fmt = lambda v: numbers.fixed(v, DIGITS)
        table = NumberTable(
            [idx, n.inputs, n.weights, n.products],
            header=[self.t("col_i"), self.t("col_x"), self.t("col_w"), self.t("col_prod")],
            formats=[None, fmt, fmt, fmt],
            colors=[theme.MUTED, theme.INPUT, theme.WEIGHT, theme.FG],
            keys=[None, "n_x", "n_w", "n_prod"],
            size=theme.SMALL,
        )
        j = p.unit + 1
        z_line = formula(
            rf"z_{{{j}}} = \sum_i x_i w_i + b =", Num(self.ex.neuron_sum, "n_sum", digits=DIGITS),
            Num(n.bias, "n_bias", digits=DIGITS, plus=True), "=", Num(n.z, "n_z", digits=DIGITS),
            font_size=FORMULA,
        )  # fmt: skip
        z_line[2].set_color(theme.BIAS)
        a_line = formula(
            rf"h_{{{j}}} = {TEX_ACT[p.activation]}(z_{{{j}}}) =", Num(n.a, "n_a", digits=DIGITS),
            font_size=FORMULA,
        )  # fmt: skip
        panel = self.place_panel(column([head, table, z_line, a_line], buff=theme.BUFF_LARGE))
        unit_ring = Circle(radius=RADIUS + 0.04, color=theme.ACCENT, stroke_width=4).move_to(
            self.nodes[1][p.unit]
        )
        with self.beat("network"):
            self.play(fade_in(self.header))
            self.play(Create(self.edges), Create(self.into_unit), *[fade_in(layer) for layer in self.nodes],
                      fade_in(self.names), fade_in(self.net_note))  # fmt: skip
            self.play(Create(self.loss_edges), fade_in(self.loss_box))
            self.wait(HOLD)
        with self.beat(
            "neuron", unit=unit, sum=numbers.fixed(self.ex.neuron_sum, DIGITS),
            bias=numbers.fixed(n.bias, DIGITS), z=numbers.fixed(n.z, DIGITS), a=numbers.fixed(n.a, DIGITS),
        ):  # fmt: skip
            self.play(Create(unit_ring), fade_in(head))
            self.play(fade_in(table))
            self.play(Write(z_line))
            self.play(Write(a_line))
            self.wait(HOLD)
        self.next_slide()
        self.play(fade_out(panel))
        self.unit_ring = unit_ring

    def show_backward(self) -> None:
        p, ex = self.params, self.ex
        j = p.unit + 1
        grads = [ex.grads.dx[0], ex.grads.layers[1].dx[0], ex.d_out[0]]  # ∂L/∂x, ∂L/∂h, ∂L/∂y
        marks = VGroup()
        for layer, g, key in zip(self.nodes, grads, ("dx", "dh", "dy"), strict=True):
            for i, node in enumerate(layer):
                marks.add(number(float(g[i]), 2, key=key, index=(i,), color=theme.GRAD).next_to(
                    node, DOWN, buff=theme.BUFF_SMALL))  # fmt: skip
        marks_out = VGroup(*marks[-p.outputs :])
        marks_back = VGroup(*marks[: -p.outputs])
        grad_note = self.text("grad_note", size=theme.SMALL, color=theme.GRAD)
        grad_note.move_to(self.net_note).align_to(self.net_note, LEFT)  # in place of the forward formulas
        L = formula(r"L = \tfrac{1}{n} \sum_k (y_k - t_k)^2 =", Num(ex.loss, "loss", digits=DIGITS),
                    font_size=FORMULA)  # fmt: skip
        t = formula("t =", *vector_pieces(ex.target[0], key="target", digits=2, column=False),
                    font_size=FORMULA, color=theme.TARGET)  # fmt: skip
        dy = formula(r"\partial L / \partial y = \tfrac{2}{n} (y - t) =",
                     *vector_pieces(ex.d_out[0], key="chain_dy", digits=DIGITS, column=False),
                     font_size=FORMULA, color=theme.GRAD)  # fmt: skip
        dh_v = float(ex.grads.layers[1].dx[0, p.unit])
        dphi_v = float(ex.phi_prime[0][0, p.unit])
        delta_v = float(ex.grads.layers[0].delta[0, p.unit])
        dh = formula(
            rf"\partial L / \partial h_{{{j}}} = \sum_k \frac{{\partial L}}{{\partial y_k}}"
            rf" W^{{(2)}}_{{{j}k}} =",
            Num(dh_v, "chain_dh", digits=DIGITS), font_size=FORMULA, color=theme.GRAD,
        )  # fmt: skip
        delta = formula(
            rf"\delta_{{{j}}} = \frac{{\partial L}}{{\partial h_{{{j}}}}} \, \varphi'(z_{{{j}}}) =",
            Num(dh_v, "chain_dh_again", digits=DIGITS), r"\times", Num(dphi_v, "chain_dphi", digits=DIGITS),
            "=", Num(delta_v, "chain_delta", digits=DIGITS), font_size=FORMULA, color=theme.GRAD,
        )  # fmt: skip
        dw = formula(
            rf"\partial L / \partial W^{{(1)}}_{{i{j}}} = x_i \, \delta_{{{j}}} =",
            *vector_pieces(ex.grads.layers[0].dW[:, p.unit], key="chain_dw", digits=DIGITS, column=False),
            font_size=FORMULA, color=theme.GRAD,
        )  # fmt: skip
        first = column([L, t, dy], buff=theme.BUFF)
        second = column([dh, delta, dw], buff=theme.BUFF)
        panel = self.place_panel(column([first, second], buff=theme.BUFF_LARGE))
        with self.beat("loss", loss=numbers.fixed(ex.loss, DIGITS)):
            self.play(fade_in(L), fade_in(t))
            self.play(fade_in(dy), fade_in(marks_out), fade_out(self.net_note), fade_in(grad_note))
            self.wait(HOLD)
        with self.beat(
            "chain", unit=numbers.integer(j), dh=numbers.fixed(dh_v, DIGITS),
            dphi=numbers.fixed(dphi_v, DIGITS), delta=numbers.fixed(delta_v, DIGITS),
        ):  # fmt: skip
            self.play(fade_in(marks_back))
            self.play(Write(dh))
            self.play(Write(delta))
            self.play(Write(dw))
            self.wait(HOLD)
        self.next_slide()
        self.play(fade_out(VGroup(panel, self.net, marks, grad_note, self.unit_ring)))

    def show_check(self) -> None:
        p, ck = self.params, self.ex.check
        eq = formula(
            r"\frac{\partial L}{\partial w} \approx"
            r" \frac{L(w + \varepsilon) - L(w - \varepsilon)}{2 \varepsilon},"
            r"\quad \varepsilon =", Num(p.eps, "eps", fmt=_eps_tex), font_size=FORMULA,
        )  # fmt: skip
        k = ck.names.index("W0")
        w_num = float(ck.numeric[k][p.weight_input, p.unit])
        w_ana = float(ck.analytic[k][p.weight_input, p.unit])
        head = self.text("check_head", size=theme.LABEL, color=theme.WEIGHT,
                         i=numbers.integer(p.weight_input + 1), unit=numbers.integer(p.unit + 1))  # fmt: skip
        one = NumberTable(
            [[self.t("numeric"), self.t("analytic")], [w_num, w_ana]],
            header=None, formats=[None, lambda v: numbers.fixed(v, CHECK_DIGITS)],
            colors=[theme.FG, theme.GRAD], keys=[None, "w_check"], size=theme.LABEL,
        )  # fmt: skip
        shapes = [numbers.shape(a.shape) for a in ck.analytic]
        names = [_tensor_name(s) for s in ck.names]
        table = NumberTable(
            [names, shapes, list(ck.rel_errors)],
            header=[self.t("col_tensor"), self.t("col_shape"), self.t("col_rel")],
            formats=[None, None, _sci], colors=[theme.FG, theme.MUTED, theme.ACCENT],
            keys=["rel_names", None, "rel_err"], size=theme.LABEL,
        )  # fmt: skip
        rel_note = self.text("rel_note", size=theme.SMALL, color=theme.MUTED)
        exact_note = self.text("exact_note", size=theme.SMALL, color=theme.MUTED)
        left = column([head, one], buff=theme.BUFF)
        body = row([left, table], buff=theme.BUFF_SECTION, align="top")
        content = column([eq, body, rel_note, exact_note], buff=theme.BUFF_LARGE, align="left")
        fit_width(content)
        content.next_to(self.header, DOWN, buff=theme.BUFF_SECTION)
        to_safe(content, LEFT)
        big = max(ck.rel_errors)
        with self.beat("numeric", numeric=numbers.fixed(w_num, CHECK_DIGITS),
                       analytic=numbers.fixed(w_ana, CHECK_DIGITS)):  # fmt: skip
            self.play(Write(eq))
            self.play(fade_in(head), fade_in(one))
            self.wait(HOLD)
        with self.beat("check", err=_sci(big)):
            self.play(fade_in(table), fade_in(rel_note))
            self.play(fade_in(exact_note))
            self.wait(HOLD)


def _tensor_name(name: str) -> str:
    """lib's 0-based 'W0', 'b1', 'x' as the lecture writes them: W₁, b₂, x."""
    if name == "x":
        return "x"
    return name[0] + numbers.subscript(int(name[1:]) + 1)
