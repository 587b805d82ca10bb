"""Mixed precision: the bit layouts of fp32 / fp16 / bf16 (IEEE 754-2019 §3.4; bf16: Kalamkar et al. 2019,
§2), round to nearest even (§4.3.1), range and precision, fp16 underflow and dynamic loss scaling as
torch.amp.GradScaler does it (Micikevicius et al. 2018, "Mixed Precision Training", §3.2)."""

from __future__ import annotations

import math

from manim import DOWN, LEFT, RIGHT, Rectangle, VGroup

from lib.training.floats import BF16, FP16, FP32, FloatFormat, bit_fields
from lib.training.loss_scaling import ScalerConfig, run_loss_scaling
from lib.training.precision import spiky_gradients, ties, underflow
from scenes.engine.base import LectureScene
from scenes.engine.registry import register
from scenes.kit import numbers, theme
from scenes.kit.anim import fade_in, fade_out
from scenes.kit.frame import column, fit_width, row, to_safe
from scenes.kit.plot import legend
from scenes.kit.record import tag
from scenes.kit.table import NumberTable
from scenes.kit.text import text
from scenes.training.params.mixed_precision import Params as MixedPrecisionParams

HOLD = theme.HOLD_BRIEF  # seconds to read a slide (scenes/kit/theme.py)
BOX = 0.3  # side of one bit's box, the same in every format so that the fields line up
FORMATS = (FP32, FP16, BF16)
FIELD_COLORS = (theme.SIGN_BITS, theme.EXPONENT_BITS, theme.MANTISSA_BITS)


def _value(v: float) -> str:
    """12 significant digits: enough to see where each format's rounding lands."""
    return numbers.fixed(v, max(0, 11 - math.floor(math.log10(abs(v))))) if v else numbers.fixed(0, 1)


def _sci(v: float) -> str:
    return numbers.sci(v, 2)


def _grad(v: float) -> str:
    """Gradients as a lecturer writes them: 0.001 and 2.000, small ones in powers of ten."""
    return numbers.fixed(v, 3) if abs(v) >= 1e-3 or v == 0 else numbers.sci(v, 1)


def _tie(v: float) -> str:
    return numbers.fixed(v, 11)  # 1 + j·2⁻¹¹ is exact with 11 decimals


def bit_boxes(bits: int, fmt: FloatFormat, key: str) -> VGroup:
    """One box per bit, coloured by field (sign, exponent, mantissa), the digit inside; the digits are
    tagged ``key`` as one group (read as the bits, left to right, separated by spaces)."""
    sizes = (1, fmt.exponent_bits, fmt.mantissa_bits)
    digits = format(bits, f"0{fmt.total_bits}b")
    boxes, glyphs = VGroup(), VGroup()
    i = 0
    for size, color in zip(sizes, FIELD_COLORS, strict=True):
        for _ in range(size):
            box = Rectangle(width=BOX, height=BOX * 1.3, stroke_color=color, stroke_width=2)
            box.set_fill(color, opacity=0.25)
            boxes.add(box)
            glyphs.add(text(digits[i], size=theme.NUMBER, color=theme.FG))
            i += 1
    boxes.arrange(RIGHT, buff=0)
    for box, g in zip(boxes, glyphs, strict=True):
        g.move_to(box)
    tag(glyphs, key, bits)
    return VGroup(boxes, glyphs)


@register("training.mixed_precision")
class MixedPrecision(LectureScene):
    """One number in three formats, ties, range and precision, underflow and dynamic loss scaling."""

    Params = MixedPrecisionParams

    EXAMPLES = (
        {"value": 3.14159, "tie_k": 6, "gradient": 5e-9, "init_scale": 1024.0, "growth_interval": 2,
         "steps": 7, "base_grad": 5e-3, "spike": 100.0, "spike_at": 1, "spike_len": 1},
    )  # fmt: skip

    STRINGS = {
        "en": {
            "title": "Mixed precision",
            "subtitle": "fewer bits per number: what is kept, what is lost",
            "sign": "sign",
            "exponent": "exponent",
            "mantissa": "mantissa",
            "x_is": "x = {x}",
            "decoded": "= {value}   error {err}",
            "tie_note": "fp16 between 1 and 2: neighbours 2⁻¹⁰ apart; a tie goes to the even mantissa",
            "col_x": "x (a tie)",
            "col_lower": "lower",
            "col_upper": "upper",
            "col_rounded": "rounds to",
            "col_mantissa": "mantissa bits",
            "col_format": "format",
            "col_max": "largest",
            "col_normal": "smallest normal",
            "col_sub": "smallest subnormal",
            "col_eps": "epsilon",
            "col_stored": "g = {g} stored as",
            "col_value": "value",
            "row_fp16": "fp16",
            "row_bf16": "bf16",
            "row_scaled": "fp16, × S = {s}",
            "row_back": "… then ÷ S in fp32",
            "col_t": "iteration",
            "col_g": "gradient g",
            "col_s": "scale S",
            "col_sg": "S·g in fp16",
            "col_step": "step",
            "col_after": "S after",
            "ok": "taken",
            "skip": "skipped: inf",
            "scaling_note": "inf → skip the step, halve S; after {n} clean steps in a row, double S",
        },
        "zh": {
            "title": "混合精度",
            "subtitle": "每个数用更少的位：保留了什么，丢掉了什么",
            "sign": "符号",
            "exponent": "指数",
            "mantissa": "尾数",
            "x_is": "x = {x}",
            "decoded": "= {value}   误差 {err}",
            "tie_note": "fp16 在 1 与 2 之间：相邻两数相差 2⁻¹⁰；恰在中点时取尾数为偶数的那个",
            "col_x": "x（中点）",
            "col_lower": "下邻",
            "col_upper": "上邻",
            "col_rounded": "舍入为",
            "col_mantissa": "尾数位",
            "col_format": "格式",
            "col_max": "最大值",
            "col_normal": "最小正规数",
            "col_sub": "最小次正规数",
            "col_eps": "机器精度 ε",
            "col_stored": "g = {g} 存为",
            "col_value": "值",
            "row_fp16": "fp16",
            "row_bf16": "bf16",
            "row_scaled": "fp16，先乘 S = {s}",
            "row_back": "…… 再在 fp32 中除以 S",
            "col_t": "迭代",
            "col_g": "梯度 g",
            "col_s": "缩放 S",
            "col_sg": "fp16 中的 S·g",
            "col_step": "这一步",
            "col_after": "更新后的 S",
            "ok": "执行",
            "skip": "跳过：inf",
            "scaling_note": "出现 inf → 跳过这一步，S 减半；连续 {n} 步正常，S 加倍",
        },
    }

    NARRATION = {
        "en": {
            "layout": "A float is three fields: a sign bit, an exponent that sets the scale, and a mantissa "
            "that holds the digits. Here is {x} in fp32.",
            "formats": "fp16 keeps five exponent bits and ten mantissa bits; bf16 keeps fp32's eight "
            "exponent bits but only seven mantissa bits. Neither holds {x} exactly: the error is what was "
            "cut off.",
            "ties": "A number exactly halfway between two neighbours goes to the one whose last mantissa bit "
            "is zero. So one tie rounds down, the next rounds up, and the errors do not drift one way.",
            "range": "Exponent bits give range, mantissa bits precision. fp16 tops out at {max16}; bf16 "
            "reaches as far as fp32, but its epsilon is {eps_bf16}.",
            "underflow": "A gradient of {g} is below anything fp16 can store, so it becomes zero; bf16 "
            "keeps it. Scale the loss by {s} first, and it fits in fp16; dividing by the scale in fp32 "
            "recovers it.",
            "scaling": "GradScaler picks the scale on the fly. It starts at {s0}; when a gradient overflows, "
            "the step is skipped and the scale halves, here down to {s_min}.",
            "growth": "After {n} clean steps in a row it doubles again, probing for the largest safe scale.",
        },
        "zh": {
            "layout": "浮点数由三部分组成：符号位、决定数量级的指数、存放有效数字的尾数。"
            "这是 {x} 的 fp32 表示。",
            "formats": "fp16 有五位指数、十位尾数；bf16 保留 fp32 的八位指数，尾数只剩七位。"
            "两者都存不下精确的 {x}，误差就是被截掉的部分。",
            "ties": "恰好落在两个相邻数正中间的数，取最后一位尾数为零的那个。"
            "于是这个中点向下舍入，下一个向上舍入，误差不会朝一个方向漂移。",
            "range": "指数位决定范围，尾数位决定精度。fp16 最大只到 {max16}；bf16 的范围和 fp32 一样大，"
            "但它的机器精度是 {eps_bf16}。",
            "underflow": "大小为 {g} 的梯度比 fp16 能存的任何数都小，于是变成零；bf16 能保住它。"
            "先把损失乘以 {s}，它就能放进 fp16；再在 fp32 中除以缩放因子，就把它找回来了。",
            "scaling": "GradScaler 动态地选择缩放因子。它从 {s0} 开始；一旦梯度溢出，这一步就被跳过，"
            "缩放因子减半，这里降到 {s_min}。",
            "growth": "连续 {n} 步正常之后，它再加倍，试探不会溢出的最大缩放因子。",
        },
    }

    def construct(self) -> None:
        self.compute()
        self.header = self.title_bar("title", "subtitle")
        self.show_layouts()
        self.show_ties()
        self.show_range()
        self.show_scaling()

    # --- numbers (all from lib/) -----------------------------------------------------------------
    def compute(self) -> None:
        p = self.params
        self.fields = {f.name: bit_fields(p.value, f) for f in FORMATS}
        self.ties = ties(p.tie_k, FP16)
        self.under = underflow(p.gradient, p.init_scale)
        self.grads = spiky_gradients(p.steps, p.base_grad, p.spike, p.spike_at, p.spike_len)  # (T, 1)
        cfg = ScalerConfig(init_scale=p.init_scale, growth_interval=p.growth_interval)
        self.trace = run_loss_scaling(self.grads, cfg, FP16)

    # --- beats -------------------------------------------------------------------------------------
    def show_layouts(self) -> None:
        p = self.params
        cols, names = [], []
        for fmt in FORMATS:
            f = self.fields[fmt.name]
            boxes = bit_boxes(f.bits, fmt, f"bits_{fmt.name}")
            value = self.text(
                "decoded",
                size=theme.SMALL,
                color=theme.MUTED,
                value=_value(f.value),
                err=_sci(f.rounding_error),
            )
            tag(value, f"decoded_{fmt.name}", (f.value, f.rounding_error))
            cols.append(column([boxes, value], buff=theme.BUFF_SMALL))
            names.append(self.plain(fmt.name, size=theme.LABEL, color=theme.FG))
        stack = column(cols, buff=theme.BUFF_LARGE)
        for name, col in zip(names, cols, strict=True):
            name.next_to(col[0], LEFT, buff=theme.BUFF)  # right-aligned beside its boxes
        rows = [VGroup(n, c) for n, c in zip(names, cols, strict=True)]
        x_line = self.text("x_is", size=theme.BODY, color=theme.ACCENT, x=_value(p.value))
        tag(x_line, "x", p.value)
        fields = zip(("sign", "exponent", "mantissa"), FIELD_COLORS, strict=True)
        leg = legend([(self.t(k), c) for k, c in fields], direction=RIGHT)
        body = column(
            [row([x_line, leg], buff=theme.BUFF_SECTION), VGroup(stack, *names)], buff=theme.BUFF_LARGE
        )
        fit_width(body)
        body.next_to(self.header, DOWN, buff=theme.BUFF_SECTION)
        to_safe(body, LEFT)
        with self.beat("layout", x=_value(p.value)):
            self.play(fade_in(self.header))
            self.play(fade_in(x_line), fade_in(leg), fade_in(rows[0]))
            self.wait(HOLD)
        with self.beat("formats", x=_value(p.value)):
            self.play(fade_in(rows[1]))
            self.play(fade_in(rows[2]))
            self.wait(HOLD)
        self.next_slide()
        self.play(fade_out(body))

    def show_ties(self) -> None:
        a, b = self.ties
        table = NumberTable(
            [[a.x, b.x], [a.lower, b.lower], [a.upper, b.upper], [a.rounded, b.rounded],
             [format(a.mantissa, "010b"), format(b.mantissa, "010b")]],
            header=[self.t(k) for k in ("col_x", "col_lower", "col_upper", "col_rounded", "col_mantissa")],
            formats=[_tie, _tie, _tie, _tie, None],
            colors=[theme.ACCENT, theme.FG, theme.FG, theme.ACCENT, theme.MANTISSA_BITS],
            keys=["tie_x", "tie_lower", "tie_upper", "tie_rounded", "tie_mantissa"],
        )  # fmt: skip
        note = self.text("tie_note", size=theme.LABEL, color=theme.MUTED)
        block = fit_width(column([note, table], buff=theme.BUFF_LARGE))
        block.next_to(self.header, DOWN, buff=theme.BUFF_SECTION)
        to_safe(block, LEFT)
        with self.beat("ties"):
            self.play(fade_in(note), fade_in(table))
            self.wait(HOLD)
        self.next_slide()
        self.play(fade_out(block))

    def show_range(self) -> None:
        p, u = self.params, self.under
        table = NumberTable(
            [[f.name for f in FORMATS], [f.max_value for f in FORMATS], [f.min_normal for f in FORMATS],
             [f.min_subnormal for f in FORMATS], [f.epsilon for f in FORMATS]],
            header=[self.t(k) for k in ("col_format", "col_max", "col_normal", "col_sub", "col_eps")],
            formats=[None, _sci, _sci, _sci, _sci],
            colors=[theme.FG, theme.EXPONENT_BITS, theme.EXPONENT_BITS, theme.EXPONENT_BITS,
                    theme.MANTISSA_BITS],
            keys=[None, "max", "min_normal", "min_subnormal", "eps"],
        )  # fmt: skip
        s = numbers.integer(p.init_scale)
        under = NumberTable(
            [[self.t("row_fp16"), self.t("row_bf16"), self.t("row_scaled", s=s), self.t("row_back")],
             [u.fp16, u.bf16, u.scaled_fp16, u.recovered]],
            header=[self.t("col_stored", g=_sci(u.g)), self.t("col_value")],
            formats=[None, _sci],
            colors=[theme.FG, theme.GRAD],
            keys=[None, "underflow"],
        )  # fmt: skip
        under.cell(0, 1).set_color(theme.ACCENT)  # the gradient lost
        tag(under.get_col_labels()[0], "g", u.g)
        block = fit_width(column([table, under], buff=theme.BUFF_SECTION))
        block.next_to(self.header, DOWN, buff=theme.BUFF_SECTION)
        to_safe(block, LEFT)
        with self.beat("range", max16=_sci(FP16.max_value), eps_bf16=_sci(BF16.epsilon)):
            self.play(fade_in(table))
            self.wait(HOLD)
        with self.beat("underflow", g=_sci(u.g), s=s):
            self.play(fade_in(under))
            self.wait(HOLD)
        self.next_slide()
        self.play(fade_out(block))

    def show_scaling(self) -> None:
        p, tr = self.params, self.trace
        T = p.steps
        table = NumberTable(
            [list(range(1, T + 1)), list(self.grads[:, 0]), list(tr.scales), list(tr.scaled_grads[:, 0]),
             [self.t("skip") if s else self.t("ok") for s in tr.skipped], list(tr.scales_after)],
            header=[self.t(k) for k in ("col_t", "col_g", "col_s", "col_sg", "col_step", "col_after")],
            formats=[numbers.integer, _grad, numbers.integer, lambda v: numbers.fixed(v, 2), None,
                     numbers.integer],
            colors=[theme.MUTED, theme.GRAD, theme.FG, theme.GRAD, theme.FG, theme.FG],
            keys=["iter", "grad", "scale", "scaled_grad", "step_taken", "scale_after"],
            size=theme.SMALL, v_buff=0.16,
        )  # fmt: skip
        for i, s in enumerate(tr.skipped):
            if s:  # the overflowing iterations, "look here"
                for j in (3, 4):
                    table.cell(i, j).set_color(theme.ACCENT)
        note = self.text("scaling_note", size=theme.LABEL, color=theme.MUTED,
                         n=numbers.integer(p.growth_interval))  # fmt: skip
        tag(note, "scaling_note", p.growth_interval)
        block = fit_width(column([table, note], buff=theme.BUFF_LARGE))
        block.next_to(self.header, DOWN, buff=theme.BUFF_LARGE)
        to_safe(block, LEFT)
        with self.beat(
            "scaling", s0=numbers.integer(tr.scales[0]), s_min=numbers.integer(min(tr.scales_after))
        ):
            self.play(fade_in(table))
            self.wait(HOLD)
        with self.beat("growth", n=numbers.integer(p.growth_interval)):
            self.play(fade_in(note))
            self.wait(HOLD)
