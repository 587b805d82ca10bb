"""A layer report: one Conv2d call on an (N, C, H, W) input — its output shape, parameters, MACs, FLOPs and
forward memory, each number substituted into its formula; then why ``Conv2d(3, 64, 3)`` has 1,792 parameters.

Output size per axis ⌊(H + 2P − D(K − 1) − 1)/S⌋ + 1 (Dumoulin & Visin 2016, Rel. 15; the torch.nn.Conv2d
docs); parameters C_out·C_in·K_h·K_w + C_out; MACs N·C_out·H_out·W_out·C_in·K_h·K_w, FLOPs 2·MACs + one bias
add per output (the counting conventions of ``lib/arithmetic/cost_layers.py``).
"""

from __future__ import annotations

from collections.abc import Sequence

from manim import DOWN, LEFT, RIGHT, UP, FadeIn, FadeOut, MathTex, Mobject, VGroup, Write

from lib.arithmetic.conv_report import conv_args, conv_report
from scenes.engine.base import LectureScene
from scenes.engine.registry import register
from scenes.kit import numbers, theme
from scenes.kit.formula import Num, formula
from scenes.kit.frame import SAFE, below, column, fit_width, grid, row
from scenes.kit.record import number, tag
from scenes.layers.params.report import Params as ReportParams

HOLD = theme.HOLD_SHORT  # seconds to read a slide (scenes/kit/theme.py)
FORMULA_SIZE = 40  # TeX size of the formulas (shrunk to the width right of the card when longer)
CARD_WIDTH = 4.6  # the report card on the left; the formulas get the rest of the width


def _int_tex(n: float) -> str:
    return numbers.integer(n, tex=True)


def _n(value: int, key: str, index: tuple = ()) -> Num:
    """A whole number inside a formula, grouped by thousands as the card writes it."""
    return Num(value, key, index, fmt=_int_tex)


@register("layers.report")
class Report(LectureScene):
    """The layer report of one Conv2d call, every number with its formula, and the 1,728 vs 1,792 question."""

    Params = ReportParams
    EXAMPLES = (
        {
            "layer": "nn.Conv2d(16, 32, kernel_size=(3, 5), stride=(2, 1), padding=(1, 2), dilation=2)",
            "input_shape": "8,16,56,48",
            "question": "nn.Conv2d(1, 32, 5)",
            "dtype_bytes": 2,
        },
    )

    STRINGS = {
        "en": {
            "title": "A layer report",
            "subtitle": "what one layer outputs, holds, computes and stores",
            "on_input": "on an input of shape",
            "card_shape": "output shape",
            "card_params": "parameters",
            "card_macs": "MACs",
            "card_flops": "FLOPs",
            "card_memory": "forward memory",
            "shape_head": "Output size: how many window positions fit along each axis",
            "params_head": "Parameters: a kernel per (input, output) channel pair, a bias per output channel",
            "params_nobias": "Parameters: a kernel per (input, output) channel pair, no bias",
            "compute_head": "Compute: every output element is one dot product over channels and kernel",
            "memory_head": "Memory: the output tensor, kept for the backward pass",
            "dtype": "{bytes} bytes per element",
            "question_head": "“Why does {layer} have {weights} parameters?”",
            "weights": "weights",
            "biases": "biases",
            "total": "parameters",
            "params_note": "{weights} weights + {biases} biases",
        },
        "zh": {
            "title": "一层的体检报告",
            "subtitle": "一层输出什么、存了什么、算了多少、占多少内存",
            "on_input": "输入形状",
            "card_shape": "输出形状",
            "card_params": "参数量",
            "card_macs": "乘加数 MACs",
            "card_flops": "浮点运算 FLOPs",
            "card_memory": "前向内存",
            "shape_head": "输出尺寸：窗口沿每个轴能放下多少个位置",
            "params_head": "参数：每对（输入，输出）通道一个卷积核，每个输出通道一个偏置",
            "params_nobias": "参数：每对（输入，输出）通道一个卷积核，没有偏置",
            "compute_head": "计算量：每个输出元素都是跨通道、跨卷积核的一次点积",
            "memory_head": "内存：输出张量，要留给反向传播用",
            "dtype": "每个元素 {bytes} 字节",
            "question_head": "“为什么 {layer} 有 {weights} 个参数？”",
            "weights": "权重",
            "biases": "偏置",
            "total": "参数",
            "params_note": "{weights} 个权重 + {biases} 个偏置",
        },
    }

    NARRATION = {
        "en": {
            "layer": "Here is one convolution layer, written the way PyTorch writes it, and an input batch. "
            "Let's work out everything a profiler would report about it, by hand.",
            "shape": "The kernel slides over the padded image in steps of the stride. Along the height it "
            "fits {h_out} positions and along the width {w_out}, so the output has shape {shape}.",
            "params": "Each output channel owns one kernel for every input channel: that is {weights} "
            "weights. Add {biases} biases and the layer holds {params} parameters.",
            "compute": "Every output element is one dot product. Multiplying out gives {macs} "
            "multiply-accumulates. Many tools print that number as FLOPs, but a multiply-accumulate is two "
            "operations, so with the bias adds it is {flops} FLOPs.",
            "memory": "The forward pass must keep its output for the backward pass: {outputs} numbers at "
            "{bytes} bytes each, {memory}.",
            "question": "Now the question from the start: how many parameters does {layer} have? The "
            "weights are {q_weights}, which is the number people quote.",
            "answer": "But PyTorch adds a bias by default, {q_biases} of them, so the layer has {q_params} "
            "parameters. Counting by formula catches exactly this kind of slip.",
        },
        "zh": {
            "layer": "这是一层卷积，按 PyTorch 的写法写出来，再加上一批输入。我们来手算一遍，"
            "性能分析工具会报告的每个数字都算出来。",
            "shape": "卷积核在补零后的图像上按步幅滑动。沿高度能放下 {h_out} 个位置，沿宽度 {w_out} 个，"
            "所以输出形状是 {shape}。",
            "params": "每个输出通道对每个输入通道都有一个卷积核，一共 {weights} 个权重。"
            "再加上 {biases} 个偏置，这一层共有 {params} 个参数。",
            "compute": "每个输出元素就是一次点积。全部乘起来是 {macs} 次乘加。很多工具把这个数叫作 FLOPs，"
            "但一次乘加是两次运算，再加上偏置的加法，一共是 {flops} 次浮点运算。",
            "memory": "前向传播必须把输出留给反向传播：{outputs} 个数，每个 {bytes} 字节，共 {memory}。",
            "question": "回到开头的问题：{layer} 有多少个参数？权重是 {q_weights} 个，这正是大家常说的数字。",
            "answer": "但 PyTorch 默认带偏置，还有 {q_biases} 个，所以这一层共有 {q_params} 个参数。"
            "按公式逐项去数，正好能发现这种疏漏。",
        },
    }

    def construct(self) -> None:
        self.compute()
        self.show_layer()
        self.show_shape()
        self.show_params()
        self.show_compute()
        self.show_memory()
        self.show_question()

    # --- numbers (all from lib/) -----------------------------------------------------------------
    def compute(self) -> None:
        p = self.params
        self.r = conv_report(p.layer, p.input_shape)
        self.q = conv_args(p.question)

    # --- helpers -------------------------------------------------------------------------------------
    def _formula(self, pieces: Sequence[tuple[str | Num, object]]) -> MathTex:
        """One MathTex (align*: ``&`` and ``\\\\`` allowed) of (piece, colour) pairs: each symbol keeps the
        colour of its meaning, and each substituted number the colour of its symbol."""
        mob = formula(*[pc for pc, _ in pieces], font_size=FORMULA_SIZE)
        kept = [c for pc, c in pieces if (pc if isinstance(pc, str) else pc.tex())]
        for part, c in zip(mob.submobjects, kept, strict=True):
            part.set_color(c)
        return mob

    def _card_row(self, label_key: str, value: Mobject) -> list[Mobject]:
        return [self.text(label_key, size=theme.LABEL, color=theme.MUTED), value]

    def _card_value(self, value: object, key: str, fmt, color=theme.FG) -> Mobject:
        return number(value, key=key, fmt=fmt, size=theme.LABEL, color=color)  # type: ignore[arg-type]

    def _head(self, key: str, **fmt: object) -> Mobject:
        return self.text(key, size=theme.BODY, color=theme.FG, **fmt)

    def _place(self, head: Mobject, body: Mobject) -> VGroup:
        """The current quantity: its heading under the layer line, its formula right of the card."""
        fit_width(head)
        below(head, self.line, buff=theme.BUFF_LARGE)
        fit_width(body, SAFE.right - self.card.get_right()[0] - theme.BUFF_SECTION)
        body.next_to(self.card, RIGHT, buff=theme.BUFF_SECTION).align_to(self.card, UP)
        return VGroup(head, body)

    # --- beats ---------------------------------------------------------------------------------------
    def show_layer(self) -> None:
        r = self.r
        self.header = self.title_bar("title", "subtitle")
        code = self.plain(r.args.text, size=theme.BODY, color=theme.WEIGHT)
        shape_txt = tag(
            self.plain(numbers.shape(r.input_shape), size=theme.BODY, color=theme.INPUT),
            "input_shape",
            numbers.shape(r.input_shape),
        )
        line = fit_width(
            row(
                [code, self.text("on_input", size=theme.LABEL, color=theme.MUTED), shape_txt], buff=theme.BUFF
            )
        )
        below(line, self.header, buff=theme.BUFF_SECTION)
        self.line = line
        # the report card: filled in row by row as each quantity is worked out
        out_shape = numbers.shape(r.output_shape)
        self.card_values = {
            "shape": self._card_value(out_shape, "out_shape", str, theme.OUTPUT),
            "params": self._card_value(r.cost.params, "params", numbers.integer),
            "macs": self._card_value(r.cost.macs, "macs", numbers.integer),
            "flops": self._card_value(r.cost.flops, "flops", numbers.integer),
            "memory": self._card_value(r.memory_bytes(self.params.dtype_bytes), "memory", self._bytes),
        }
        self.card_rows = {k: self._card_row(f"card_{k}", v) for k, v in self.card_values.items()}
        self.card = grid(
            [m for pair in self.card_rows.values() for m in pair],
            cols=2,
            buff=(theme.BUFF_LARGE, theme.BUFF),
            align="left",
        )
        fit_width(self.card, CARD_WIDTH)
        # the card sits under the line and the quantity's heading (one text line of theme.BODY)
        below(self.card, line, buff=theme.BUFF_LARGE * 2 + self._head("shape_head").height)
        with self.beat("layer"):
            self.play(FadeIn(self.header))
            self.play(FadeIn(line))
            self.wait(HOLD)
        self.next_slide()

    @staticmethod
    def _bytes(n: float) -> str:
        return numbers.byte_size(n, 2)

    def _reveal_card(self, key: str) -> FadeIn:
        return FadeIn(VGroup(*self.card_rows[key]))

    def show_shape(self) -> None:
        a, r = self.r.args, self.r
        head = self._head("shape_head")
        pieces: list[tuple[str | Num, object]] = [
            (r"H_{out}", theme.OUTPUT),
            (r"&= \lfloor (", theme.FG),
            (r"H_{in}", theme.INPUT),
            (r"+ 2P - D\,(", theme.FG),
            ("K", theme.WEIGHT),
            (r"- 1) - 1) \,/\, S \rfloor + 1", theme.FG),
        ]
        for i, axis in enumerate(("H", "W")):
            pieces += [
                (rf"\\ {axis}_{{out}}", theme.OUTPUT),
                (r"&= \lfloor (", theme.FG),
                (_n(r.input_shape[2 + i], "axis_in", (axis,)), theme.INPUT),
                (r"+ 2 \cdot", theme.FG),
                (_n(a.padding[i], "axis_pad", (axis,)), theme.FG),
                ("-", theme.FG),
                (_n(a.dilation[i], "axis_dil", (axis,)), theme.FG),
                (r"\cdot (", theme.FG),
                (_n(a.kernel[i], "axis_kernel", (axis,)), theme.WEIGHT),
                (r"- 1) - 1) \,/\,", theme.FG),
                (_n(a.stride[i], "axis_stride", (axis,)), theme.FG),
                (r"\rfloor + 1 =", theme.FG),
                (_n(r.output_shape[2 + i], "axis_out", (axis,)), theme.OUTPUT),
            ]
        eq = self._formula(pieces)
        panel = self._place(head, eq)
        with self.beat(
            "shape",
            h_out=r.output_shape[2],
            w_out=r.output_shape[3],
            shape=numbers.shape(r.output_shape),
        ):
            self.play(FadeIn(head), Write(eq))
            self.play(self._reveal_card("shape"))
            self.wait(HOLD)
        self.next_slide()
        self.play(FadeOut(panel))

    def show_params(self) -> None:
        a, r = self.r.args, self.r
        head = self._head("params_head" if a.bias else "params_nobias")
        pieces: list[tuple[str | Num, object]] = [
            ("P", theme.FG),
            ("&=", theme.FG),
            (r"C_{out}", theme.OUTPUT),
            (r"\cdot", theme.FG),
            (r"C_{in}", theme.INPUT),
            (r"\cdot", theme.FG),
            (r"K_h \cdot K_w", theme.WEIGHT),
        ]
        if a.bias:
            pieces += [("+", theme.FG), (r"C_{out}", theme.BIAS)]
        pieces += [
            (r"\\ &=", theme.FG),
            (_n(a.out_channels, "p_out"), theme.OUTPUT),
            (r"\cdot", theme.FG),
            (_n(a.in_channels, "p_in"), theme.INPUT),
            (r"\cdot", theme.FG),
            (_n(a.kernel[0], "p_kernel", ("h",)), theme.WEIGHT),
            (r"\cdot", theme.FG),
            (_n(a.kernel[1], "p_kernel", ("w",)), theme.WEIGHT),
        ]
        if a.bias:
            pieces += [("+", theme.FG), (_n(a.biases, "p_biases"), theme.BIAS)]
            pieces += [
                (r"\\ &=", theme.FG),
                (_n(a.weights, "p_weights"), theme.WEIGHT),
                ("+", theme.FG),
                (_n(a.biases, "p_biases_sum"), theme.BIAS),
            ]
        pieces += [("=", theme.FG), (_n(r.cost.params, "p_total"), theme.FG)]
        eq = self._formula(pieces)
        note = tag(
            self.text(
                "params_note",
                size=theme.LABEL,
                color=theme.MUTED,
                weights=numbers.integer(a.weights),
                biases=numbers.integer(a.biases),
            ),
            "params_note",
            a.weights,
        )
        eq = VGroup(eq, note).arrange(DOWN, aligned_edge=LEFT, buff=theme.BUFF)
        panel = self._place(head, eq)
        with self.beat(
            "params",
            weights=numbers.integer(a.weights),
            biases=numbers.integer(a.biases),
            params=numbers.integer(r.cost.params),
        ):
            self.play(FadeIn(head), Write(eq))
            self.play(self._reveal_card("params"))
            self.wait(HOLD)
        self.next_slide()
        self.play(FadeOut(panel))

    def show_compute(self) -> None:
        a, r = self.r.args, self.r
        n, _, h, w = r.output_shape
        head = self._head("compute_head")
        pieces: list[tuple[str | Num, object]] = [
            (r"\mathrm{MACs}", theme.FG),
            ("&=", theme.FG),
            (r"N \cdot C_{out} \cdot H_{out} \cdot W_{out}", theme.OUTPUT),
            (r"\cdot", theme.FG),
            (r"C_{in}", theme.INPUT),
            (r"\cdot", theme.FG),
            (r"K_h \cdot K_w", theme.WEIGHT),
            (r"\\ &=", theme.FG),
            (_n(n, "m_n"), theme.OUTPUT),
            (r"\cdot", theme.FG),
            (_n(a.out_channels, "m_out"), theme.OUTPUT),
            (r"\cdot", theme.FG),
            (_n(h, "m_hw", ("h",)), theme.OUTPUT),
            (r"\cdot", theme.FG),
            (_n(w, "m_hw", ("w",)), theme.OUTPUT),
            (r"\cdot", theme.FG),
            (_n(a.in_channels, "m_in"), theme.INPUT),
            (r"\cdot", theme.FG),
            (_n(a.kernel[0], "m_kernel", ("h",)), theme.WEIGHT),
            (r"\cdot", theme.FG),
            (_n(a.kernel[1], "m_kernel", ("w",)), theme.WEIGHT),
            ("=", theme.FG),
            (_n(r.cost.macs, "m_macs"), theme.FG),
            (r"\\ \mathrm{FLOPs}", theme.FG),
            (r"&= 2 \cdot \mathrm{MACs}", theme.FG),
            ("+", theme.FG),
            (r"N \cdot C_{out} \cdot H_{out} \cdot W_{out}" if a.bias else "0", theme.BIAS),
            (r"\\ &= 2 \cdot", theme.FG),
            (_n(r.cost.macs, "f_macs"), theme.FG),
            ("+", theme.FG),
            (_n(r.bias_adds, "f_bias_adds"), theme.BIAS),
            ("=", theme.FG),
            (_n(r.cost.flops, "f_flops"), theme.FG),
        ]
        eq = self._formula(pieces)
        panel = self._place(head, eq)
        with self.beat("compute", macs=numbers.integer(r.cost.macs), flops=numbers.integer(r.cost.flops)):
            self.play(FadeIn(head), Write(eq))
            self.play(self._reveal_card("macs"), self._reveal_card("flops"))
            self.wait(HOLD)
        self.next_slide()
        self.play(FadeOut(panel))

    def show_memory(self) -> None:
        r, b = self.r, self.params.dtype_bytes
        n, c, h, w = r.output_shape
        mem = r.memory_bytes(b)
        head = self._head("memory_head")
        pieces: list[tuple[str | Num, object]] = [
            ("M", theme.FG),
            ("&=", theme.FG),
            (r"N \cdot C_{out} \cdot H_{out} \cdot W_{out}", theme.OUTPUT),
            (r"\cdot b", theme.FG),
            (r"\\ &=", theme.FG),
            (_n(n, "b_n"), theme.OUTPUT),
            (r"\cdot", theme.FG),
            (_n(c, "b_out"), theme.OUTPUT),
            (r"\cdot", theme.FG),
            (_n(h, "b_hw", ("h",)), theme.OUTPUT),
            (r"\cdot", theme.FG),
            (_n(w, "b_hw", ("w",)), theme.OUTPUT),
            (r"\cdot", theme.FG),
            (_n(b, "b_bytes"), theme.FG),
            (r"\,\mathrm{B} =", theme.FG),
            (_n(mem, "b_total"), theme.FG),
            (r"\,\mathrm{B}", theme.FG),
        ]
        eq = self._formula(pieces)
        outputs = tag(
            self.plain(numbers.integer(r.outputs), size=theme.LABEL, color=theme.OUTPUT), "outputs", r.outputs
        )
        dtype = self.text("dtype", size=theme.LABEL, color=theme.MUTED, bytes=b)
        note = row(
            [outputs, self.plain("×", size=theme.LABEL, color=theme.MUTED), dtype], buff=theme.BUFF_SMALL
        )
        panel = self._place(head, column([eq, note], buff=theme.BUFF, align="left"))
        with self.beat("memory", outputs=numbers.integer(r.outputs), bytes=b, memory=self._bytes(mem)):
            self.play(FadeIn(head), Write(eq), FadeIn(note))
            self.play(self._reveal_card("memory"))
            self.wait(HOLD)
        self.next_slide()
        self.play(FadeOut(panel))

    def show_question(self) -> None:
        q = self.q
        head = self._head("question_head", layer=q.text, weights=numbers.integer(q.weights))
        pieces: list[tuple[str | Num, object]] = [
            (_n(q.out_channels, "q_out"), theme.OUTPUT),
            (r"\cdot", theme.FG),
            (_n(q.in_channels, "q_in"), theme.INPUT),
            (r"\cdot", theme.FG),
            (_n(q.kernel[0], "q_kernel", ("h",)), theme.WEIGHT),
            (r"\cdot", theme.FG),
            (_n(q.kernel[1], "q_kernel", ("w",)), theme.WEIGHT),
            ("=", theme.FG),
            (_n(q.weights, "q_weights_tex"), theme.WEIGHT),
        ]
        eq = self._formula(pieces)
        weights = number(q.weights, key="q_weights", fmt=numbers.integer, size=theme.BODY, color=theme.WEIGHT)
        biases = number(q.biases, key="q_biases", fmt=numbers.integer, size=theme.BODY, color=theme.BIAS)
        total = number(
            q.weights + q.biases, key="q_params", fmt=numbers.integer, size=theme.BODY, color=theme.FG
        )
        words = [
            column([weights, self.text("weights", size=theme.LABEL, color=theme.MUTED)], align="center"),
            self.plain("+", size=theme.BODY),
            column([biases, self.text("biases", size=theme.LABEL, color=theme.MUTED)], align="center"),
            self.plain("=", size=theme.BODY),
            column([total, self.text("total", size=theme.LABEL, color=theme.MUTED)], align="center"),
        ]
        answer = row(words, buff=theme.BUFF, align="top")
        self._place(head, column([eq, answer], buff=theme.BUFF_LARGE, align="left"))
        with self.beat("question", layer=q.text, q_weights=numbers.integer(q.weights)):
            self.play(FadeIn(head), Write(eq))
            self.play(FadeIn(VGroup(*words[:1])))
            self.wait(HOLD / 2)
        with self.beat(
            "answer",
            q_biases=numbers.integer(q.biases),
            q_params=numbers.integer(q.weights + q.biases),
        ):
            self.play(FadeIn(VGroup(*words[1:])))
            self.wait(HOLD)
