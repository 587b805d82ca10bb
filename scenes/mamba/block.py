"""The Mamba block (Gu & Dao 2023, Fig. 3): shapes, parameters and FLOPs of every layer, and one real pass."""

from __future__ import annotations

import numpy as np
from manim import DOWN, LEFT, RIGHT, UP, Create, LaggedStart, SurroundingRectangle, VGroup, Write

from lib.mamba.anatomy import BlockAnatomy, mamba_block_anatomy, trace_block
from scenes.engine.base import LectureScene
from scenes.engine.registry import register
from scenes.kit import numbers, theme
from scenes.kit.anim import fade_in, fade_out
from scenes.kit.bars import Bars, ShareBar
from scenes.kit.diagram import LINK, Block, GateNode, arrow, elbow
from scenes.kit.equation import Equation
from scenes.kit.frame import SAFE, below, column, fit, fit_width, row, to_safe
from scenes.kit.matrix import PAD_TIGHT, Heatmap
from scenes.kit.record import number, tag
from scenes.kit.text import tex, text
from scenes.mamba.params.block import Params as MambaBlockParams

# colour of each group of layers, the same in the diagram, the parameter bar and the FLOPs bars
GROUP_COLOR = {"projection": theme.FG, "conv": theme.INPUT, "ssm": theme.STATE, "gate": theme.GATE}
BOX_H = 1.12  # every box of the diagram one height, whatever its glyphs
ROW_PITCH = 1.08  # from the projections' row up to the x branch and down to the z branch
CHIP_W = 1.95  # the six parts of the SSM, side by side under the diagram
SHOWN_CHANNELS = 6  # channels of the real pass drawn as heatmap columns
BAR_LENGTH = 7.4  # the longest FLOPs bar


@register("mamba.block")
class MambaBlock(LectureScene):
    """The Mamba block: in_proj → conv → SiLU → selective SSM, gated by SiLU(z) → out_proj, with its costs."""

    Params = MambaBlockParams

    EXAMPLES = ({"d_model": 64, "d_state": 4, "d_conv": 3, "expand": 1, "seq_len": 256, "seed": 5},)

    STRINGS = {
        "en": {
            "title": "The Mamba block",
            "subtitle": "Gu & Dao 2023, Fig. 3 — one layer of a Mamba model",
            "widths": "d_model = {d}   d_inner = {di}   N = {n}   d_conv = {k}   dt_rank = {r}",
            "key": "in each box: layer · output shape · parameters",
            "input": "input u",
            "output": "output",
            "ssm": "selective SSM",
            "gate": "gate",
            "inside": "inside the SSM: Δ, B, C are computed from x (selection), "
            "A and D are learnt per channel",
            "from_xproj": "part of x_proj",
            "skip": "D (skip)",
            "projections": "projections (in_proj + out_proj)",
            "ssm_group": "SSM (x_proj, dt_proj, A, D)",
            "conv_group": "conv1d",
            "share": "{n}  ·  {pct}%",
            "total": "total: {n} parameters",
            "ratio": "the projections hold {ratio}× the parameters of the SSM itself",
            "flops_title": "FLOPs per token, by layer (L = {L})",
            "flops_total": "total {n} FLOPs per token:  projections {p}%,  SSM {s}%",
            "flops_note": "a weight costs one multiply-add (2 FLOPs) per token; "
            "A = −exp(A_log) once per sequence",
            "trace_title": "one real forward pass: {L} random tokens through this block (seed {seed})",
            "trace_note": "same shapes as the diagram, with L = {L}",
            "y_ssm": "SSM output y",
            "gate_z": "gate SiLU(z)",
            "gated": "y ⊙ SiLU(z)",
            "axes": "rows: tokens · columns: the first {c} channels",
        },
        "zh": {
            "title": "Mamba 块",
            "subtitle": "Gu & Dao 2023，图 3 —— Mamba 模型中的一层",
            "widths": "d_model = {d}   d_inner = {di}   N = {n}   d_conv = {k}   dt_rank = {r}",
            "key": "每个方框：层 · 输出形状 · 参数量",
            "input": "输入 u",
            "output": "输出",
            "ssm": "选择性 SSM",
            "gate": "门控",
            "inside": "SSM 内部：Δ、B、C 由 x 计算得到（选择机制），A 和 D 是每个通道学到的参数",
            "from_xproj": "属于 x_proj",
            "skip": "D（跳连）",
            "projections": "投影层（in_proj + out_proj）",
            "ssm_group": "SSM（x_proj、dt_proj、A、D）",
            "conv_group": "conv1d",
            "share": "{n}  ·  {pct}%",
            "total": "合计：{n} 个参数",
            "ratio": "投影层的参数量是 SSM 本身的 {ratio} 倍",
            "flops_title": "每个 token 的 FLOPs，按层拆分（L = {L}）",
            "flops_total": "每个 token 共 {n} FLOPs：投影层 {p}%，SSM {s}%",
            "flops_note": "每个权重每个 token 做一次乘加（2 FLOPs）；A = −exp(A_log) 每个序列只算一次",
            "trace_title": "一次真实的前向计算：{L} 个随机 token 通过这个块（种子 {seed}）",
            "trace_note": "形状与框图一致，这里 L = {L}",
            "y_ssm": "SSM 输出 y",
            "gate_z": "门控 SiLU(z)",
            "gated": "y ⊙ SiLU(z)",
            "axes": "行：token · 列：前 {c} 个通道",
        },
    }

    # What the lecturer says per beat; every number comes in through a field the scene computed.
    NARRATION = {
        "en": {
            "input": "This is one Mamba block. Each token comes in as {d} numbers. The input projection "
            "widens it and splits it into two branches, x and z, each {di} wide.",
            "branches": "On the upper branch, x goes through a short causal convolution, a SiLU, and then "
            "the selective SSM. The lower branch, z, goes through its own SiLU and gates the SSM's output "
            "by multiplication. Finally the output projection brings the width back to {d}.",
            "inside": "Inside the SSM box is the selective recurrence. Δ, B and C are computed from x for "
            "every token: that is the selection. A and D are learnt per channel, the same for every token. "
            "All of it together holds {ssm} parameters.",
            "parameters": "Now count the parameters: {total} for the whole block. The two projections hold "
            "{proj_share} of them, {ratio} times as many as the SSM itself.",
            "flops": "The work per token, for a sequence of {L}: {n} FLOPs in all. The projections take {p} "
            "percent of it, the SSM {s} percent. A weight costs one multiply-add per token, so the layers "
            "with the most weights do the most work.",
            "trace": "Now a real forward pass: {L} random tokens through this very block. Every "
            "intermediate, from the input u to the output, has exactly the shape the diagram promised.",
            "gate": "Here are the first {c} channels, one row per token. The SSM output is multiplied, "
            "element by element, by the gate, SiLU of z, to give the gated output.",
            "follow": "Follow one value: {y} times {g} gives {out}. Where the gate is near zero, the SSM's "
            "output is shut off; where it is large, the output passes through.",
        },
        "zh": {
            "input": "这是一个 Mamba 块。每个 token 以 {d} 个数进入，输入投影把它加宽，再分成 x 和 z 两路，"
            "每路宽 {di}。",
            "branches": "上面一路，x 依次经过一个很短的因果卷积、一个 SiLU，再进入选择性 SSM。下面一路，z "
            "经过自己的 SiLU，再通过逐元素相乘给 SSM 的输出加上门控。最后，输出投影把宽度变回 {d}。",
            "inside": "SSM 方框里面是选择性递推。Δ、B、C 都由每个 token 的 x 算出来，这就是选择机制；A 和 D "
            "则是每个通道学到的参数，对所有 token 都一样。这些加起来一共 {ssm} 个参数。",
            "parameters": "再来数参数：整个块共有 {total} 个。两个投影层占了其中的 {proj_share}，是 SSM "
            "本身的 {ratio} 倍。",
            "flops": "在长度 {L} 的序列上，这个块每个 token 一共要 {n} 次浮点运算。投影层占 {p}%，SSM 占 "
            "{s}%。每个权重对每个 token 做一次乘加，所以权重越多的层，计算量也越大。",
            "trace": "下面是一次真实的前向计算：{L} 个随机 token 通过这个块。从输入 u 到输出，"
            "每个中间结果的形状都和框图里写的完全一致。",
            "gate": "这里画出前 {c} 个通道，每行一个 token。SSM 的输出和门控 SiLU(z) 逐元素相乘，"
            "得到门控后的输出。",
            "follow": "跟踪其中一个数：{y} 乘以 {g}，得到 {out}。门控接近零的地方，SSM 的输出被关掉；"
            "门控大的地方，它就顺利通过。",
        },
    }

    def construct(self) -> None:
        self.compute()
        self.show_diagram()
        self.show_ssm_inside()
        self.show_parameters()
        self.show_flops()
        self.show_trace()

    # --- numbers (all from lib/) -----------------------------------------------------------------
    def compute(self) -> None:
        p = self.params
        self.a: BlockAnatomy = mamba_block_anatomy(
            p.d_model, p.d_state, p.d_conv, p.expand, seq_len=p.seq_len
        )
        self.run = trace_block(p.d_model, p.d_state, p.d_conv, p.expand, p.trace_tokens, p.seed)
        tr = self.run.trace
        self.channels = min(SHOWN_CHANNELS, self.a.d_inner)
        self.trace_fields = {
            "u": tr.u.shape,
            "x": tr.x_in.shape,
            "z": tr.z.shape,
            "x_conv": tr.x_conv.shape,
            "x_act": tr.x_act.shape,
            "delta": tr.delta.shape,
            "B": tr.B.shape,
            "C": tr.C.shape,
            "h": tr.scan.h.shape,
            "y": tr.y_ssm.shape,
            "y_gated": tr.y_gated.shape,
            "out": tr.out.shape,
        }

    # --- building blocks ---------------------------------------------------------------------------
    def layer(self, name: str, title: str, color, width: float) -> Block:
        """The box of one part of the block: its name, output shape (length kept as "L": the parameters do
        not depend on it) and parameter count, all from the anatomy."""
        q = self.a.part(name)
        shape = ("L", *q.shape[1:]) if name != "A_log" else q.shape
        return Block(title, name=name, shape=shape, params=q.params, color=color, width=width, height=BOX_H)

    def end(self, key: str, shape: tuple, color) -> VGroup:
        """The input or output of the block: a caption over its shape (tagged ``("shape", (key,))``)."""
        dims = ("L", *shape[1:])
        s = tag(text(numbers.shape(dims), size=theme.NUMBER), "shape", dims, (key,))
        return column(
            [self.text(key, size=theme.SMALL, color=color), s], buff=theme.BUFF_TIGHT, align="center"
        )

    # --- beats -------------------------------------------------------------------------------------
    def show_diagram(self) -> None:
        a = self.a
        header = self.title_bar("title", "subtitle")
        widths = self.text(
            "widths",
            size=theme.SMALL,
            color=theme.MUTED,
            d=numbers.integer(a.d_model),
            di=numbers.integer(a.d_inner),
            n=a.d_state,
            k=a.d_conv,
            r=a.dt_rank,
        )
        tag(widths, "widths", (a.d_model, a.d_inner, a.d_state, a.d_conv, a.dt_rank))
        below(widths, header, buff=theme.BUFF)
        gate_color = theme.GATE
        # the projections' row: input → in_proj … × → out_proj → output; the x branch above, z below
        u = self.end("input", (a.seq_len, a.d_model), theme.INPUT)
        in_proj = self.layer("in_proj", "in_proj", GROUP_COLOR["projection"], 1.6)
        in_proj.next_to(u, RIGHT, buff=LINK)
        conv = self.layer("conv1d", "conv1d", theme.INPUT, 1.5)
        act = self.layer("act", "SiLU", theme.INPUT, 1.3)
        ssm = Block(
            self.t("ssm"),
            name="ssm",
            shape=("L", a.part("D").shape[1]),
            params=a.group_params("ssm"),
            color=theme.STATE,
            width=1.85,
            height=BOX_H,
        )
        x_row = row([conv, act, ssm], buff=theme.BUFF_LARGE)
        x_row.next_to(in_proj, RIGHT, buff=LINK).shift(UP * ROW_PITCH)
        z_act = self.layer("gate", "SiLU", gate_color, 1.3).move_to(act).shift(DOWN * 2 * ROW_PITCH)
        mul = GateNode(r"\times", color=gate_color).next_to(x_row, RIGHT, buff=LINK).set_y(in_proj.get_y())
        mul_label = self.text("gate", size=theme.SMALL, color=gate_color).next_to(
            mul, LEFT, buff=theme.BUFF_SMALL
        )
        out_proj = self.layer("out_proj", "out_proj", GROUP_COLOR["projection"], 1.6)
        out_proj.next_to(mul, RIGHT, buff=LINK)
        y = self.end("output", a.part("out_proj").shape, theme.OUTPUT).next_to(out_proj, RIGHT, buff=LINK)

        # in_proj's output splits into x (up) and z (down) half way to the next column
        split_x = in_proj.get_right()[0] + LINK / 2
        fork = BOX_H / 4  # x leaves in_proj above its middle, z below
        a_in = arrow(u.get_right() + RIGHT * theme.BUFF_TIGHT, in_proj.get_left(), theme.INPUT)
        a_x = elbow(in_proj.get_right() + UP * fork, [split_x, conv.get_y(), 0], theme.INPUT, first="x")
        a_x2 = arrow([split_x, conv.get_y(), 0], conv.get_left(), theme.INPUT)
        a_z = elbow(in_proj.get_right() + DOWN * fork, [split_x, z_act.get_y(), 0], gate_color, first="x")
        a_z2 = arrow([split_x, z_act.get_y(), 0], z_act.get_left(), gate_color)
        x_lab = tex("x", size=30, color=theme.INPUT).next_to(a_x2, UP, buff=theme.BUFF_TIGHT)
        z_lab = tex("z", size=30, color=gate_color).next_to(a_z2, DOWN, buff=theme.BUFF_TIGHT)
        a_c = arrow(conv.get_right(), act.get_left(), theme.INPUT)
        a_s = arrow(act.get_right(), ssm.get_left(), theme.INPUT)
        a_ym = elbow(ssm.get_right(), mul.get_top(), theme.STATE, first="x")
        a_zm = elbow(z_act.get_right(), mul.get_bottom(), gate_color, first="x")
        a_o = arrow(mul.get_right(), out_proj.get_left())
        a_out = arrow(out_proj.get_right(), y.get_left() + LEFT * theme.BUFF_TIGHT, theme.OUTPUT)
        diagram = VGroup(
            u, in_proj, x_row, z_act, mul, mul_label, out_proj, y,
            a_in, a_x, a_x2, a_z, a_z2, x_lab, z_lab, a_c, a_s, a_ym, a_zm, a_o, a_out,
        )  # fmt: skip
        fit_width(diagram)
        diagram.next_to(widths, DOWN, buff=theme.BUFF).set_x(0)
        key = self.text("key", size=theme.SMALL, color=theme.MUTED)
        key.next_to(VGroup(z_act, a_zm), DOWN, buff=theme.BUFF_LARGE).set_x(0)

        d, di = numbers.integer(a.d_model), numbers.integer(a.d_inner)
        with self.beat("input", d=d, di=di):
            self.play(fade_in(header), fade_in(widths))
            self.play(fade_in(u), Create(a_in), fade_in(in_proj))
            self.play(Create(a_x), Create(a_x2), Create(a_z), Create(a_z2), fade_in(x_lab), fade_in(z_lab))
        with self.beat("branches", d=d):
            self.play(fade_in(conv), Create(a_c), fade_in(act), Create(a_s))
            self.play(fade_in(ssm), fade_in(z_act))
            self.play(Create(a_ym), Create(a_zm), fade_in(mul), fade_in(mul_label))
            self.play(Create(a_o), fade_in(out_proj), Create(a_out), fade_in(y))
            self.play(fade_in(key))
            self.wait(1.5)
        self.next_slide()
        self.header, self.key, self.ssm_box, self.diagram = VGroup(header, widths), key, ssm, diagram

    def show_ssm_inside(self) -> None:
        a = self.a
        sel = a.selection_shapes
        focus = SurroundingRectangle(
            self.ssm_box, color=theme.ACCENT, buff=theme.BUFF_TIGHT, corner_radius=0.12
        )
        formula = Equation(
            r"h_t = \exp(\Delta_t A)\, h_{t-1} + \Delta_t B_t\, x_t \qquad y_t = C_t\, h_t + {D}\, x_t",
            terms=["h_t", "h_{t-1}", r"\Delta_t", "A", "B_t", "x_t", "y_t", "C_t", "{D}"],
            colors={
                "h_t": theme.STATE, "h_{t-1}": theme.STATE, r"\Delta_t": theme.DELTA, "A": theme.MAT_A,
                "B_t": theme.MAT_B, "x_t": theme.INPUT, "y_t": theme.OUTPUT, "C_t": theme.MAT_C,
                "{D}": theme.STATE,
            },
            font_size=32,
        )  # fmt: skip
        caption = self.text("inside", size=theme.SMALL, color=theme.MUTED)
        part_of = [(self.t("from_xproj"), theme.MUTED)]
        chip = {"width": CHIP_W, "height": BOX_H}
        chips = row(
            [
                self.layer("x_proj", "x_proj", theme.STATE, CHIP_W),
                self.layer("dt_proj", "dt_proj → Δ", theme.DELTA, CHIP_W),
                Block("B", name="B", shape=("L", sel["B"][1]), lines=part_of, color=theme.MAT_B, **chip),
                Block("C", name="C", shape=("L", sel["C"][1]), lines=part_of, color=theme.MAT_C, **chip),
                self.layer("A_log", "A = −exp(A_log)", theme.MAT_A, CHIP_W),
                Block(
                    self.t("skip"),
                    name="D",
                    shape=(a.d_inner,),
                    params=a.part("D").params,
                    color=theme.STATE,
                    **chip,
                ),
            ],
            buff=theme.BUFF,
        )
        fit_width(chips)
        panel = column([caption, formula, chips], buff=theme.BUFF, align="center")
        to_safe(panel, DOWN).set_x(0)
        with self.beat("inside", ssm=numbers.integer(a.group_params("ssm"))):
            self.play(fade_out(self.key), Create(focus))
            self.play(fade_in(caption), Write(formula))
            self.play(LaggedStart(*[fade_in(c) for c in chips], lag_ratio=0.2), run_time=2.0)
            self.wait(1.5)
        self.next_slide()
        self.play(fade_out(VGroup(focus, panel)))

    def show_parameters(self) -> None:
        a = self.a
        groups = ("projection", "ssm", "conv")
        names = {"projection": "projections", "ssm": "ssm_group", "conv": "conv_group"}
        share = ShareBar(
            [(self.t(names[g]), a.group_params(g), GROUP_COLOR[g]) for g in groups],
            key="group_params",
            ids=groups,
            width=12.6,
        )
        total = number(
            a.params,
            key="total_params",
            fmt=lambda n: self.t("total", n=numbers.integer(n)),
            size=theme.LABEL,
        )
        ratio = number(
            a.projection_to_ssm,
            key="projection_to_ssm",
            fmt=lambda r: self.t("ratio", ratio=numbers.fixed(r, 1)),
            size=theme.LABEL,
            color=theme.ACCENT,
        )
        group = column([row([total, ratio], buff=theme.BUFF_SECTION), share], buff=theme.BUFF, align="center")
        fit_width(group)
        to_safe(group, DOWN).set_x(0)
        with self.beat(
            "parameters",
            total=numbers.integer(a.params),
            proj_share=numbers.percent(a.param_share("projection")),  # as the share bar writes it
            ratio=numbers.fixed(a.projection_to_ssm, 1),
        ):
            self.play(fade_in(total))
            self.play(share.grow())
            self.play(fade_in(ratio))
            self.wait(1.5)
        self.next_slide()
        self.play(fade_out(VGroup(self.diagram, group)))

    def show_flops(self) -> None:
        a = self.a
        title = self.text("flops_title", size=theme.BODY, color=theme.FG, L=numbers.integer(a.seq_len))
        below(title, self.header, buff=theme.BUFF)
        colors = [GROUP_COLOR[q.group] for q in a.parts]
        bars = Bars(
            [q.flops_per_token for q in a.parts],
            key="flops",
            labels=[q.name for q in a.parts],
            color=colors,
            label_color=colors,
            fmt=numbers.integer,
            direction="horizontal",
            length=BAR_LENGTH,
            thickness=0.28,
            gap=0.12,
        )
        total = self.text(
            "flops_total",
            size=theme.LABEL,
            color=theme.ACCENT,
            n=numbers.integer(a.flops_per_token),
            p=numbers.fixed(100 * a.flops_share("projection"), 1),
            s=numbers.fixed(100 * a.flops_share("ssm"), 1),
        )
        tag(total, "flops_total", (a.flops_per_token, a.flops_share("projection"), a.flops_share("ssm")))
        note = self.text("flops_note", size=theme.SMALL, color=theme.MUTED)
        foot = fit_width(column([total, note], buff=theme.BUFF_SMALL, align="left"))
        to_safe(foot, DOWN).align_to(title, LEFT)
        room = title.get_bottom()[1] - foot.get_top()[1] - 2 * theme.BUFF
        fit(bars, height=room)
        bars.next_to(title, DOWN, buff=theme.BUFF).set_x(0)
        proj = VGroup(
            *[
                SurroundingRectangle(bars.item(k), color=theme.ACCENT, buff=theme.BUFF_TIGHT)
                for k, q in enumerate(a.parts)
                if q.group == "projection"
            ]
        )
        with self.beat(
            "flops",
            L=numbers.integer(a.seq_len),
            n=numbers.integer(a.flops_per_token),
            p=numbers.fixed(100 * a.flops_share("projection"), 1),
            s=numbers.fixed(100 * a.flops_share("ssm"), 1),
        ):
            self.play(fade_in(title))
            self.play(bars.grow(run_time=2.0))
            self.play(Create(proj), fade_in(foot))
            self.wait(1.5)
        self.next_slide()
        self.play(fade_out(VGroup(title, bars, foot, proj)))

    def show_trace(self) -> None:
        p, run = self.params, self.run
        tr = run.trace
        title = self.text("trace_title", size=theme.LABEL, color=theme.FG, L=p.trace_tokens, seed=p.seed)
        below(title, self.header, buff=theme.BUFF)
        field_color = {
            "u": theme.INPUT, "x": theme.INPUT, "z": theme.GATE, "x_conv": theme.INPUT, "x_act": theme.INPUT,
            "delta": theme.DELTA, "B": theme.MAT_B, "C": theme.MAT_C, "h": theme.STATE, "y": theme.STATE,
            "y_gated": theme.GATE, "out": theme.OUTPUT,
        }  # fmt: skip
        field_name = {"delta": "Δ", "y_gated": "y ⊙ SiLU(z)"}
        chips = [
            row(
                [
                    self.plain(field_name.get(f, f), size=theme.SMALL, color=field_color[f]),
                    tag(text(numbers.shape(shape), size=theme.NUMBER), "trace_shape", shape, (f,)),
                ],
                buff=theme.BUFF_SMALL,
            )
            for f, shape in self.trace_fields.items()
        ]
        half = (len(chips) + 1) // 2
        grid = column(
            [row(chips[:half], buff=theme.BUFF_LARGE), row(chips[half:], buff=theme.BUFF_LARGE)],
            buff=theme.BUFF_SMALL,
        )
        fit_width(grid)
        note = self.text("trace_note", size=theme.SMALL, color=theme.MUTED, L=p.trace_tokens)
        top = below(column([grid, note], buff=theme.BUFF_SMALL), title, buff=theme.BUFF_SMALL)

        c = self.channels
        labels = [
            self.text("y_ssm", size=theme.SMALL, color=theme.STATE),
            self.text("gate_z", size=theme.SMALL, color=theme.GATE),
            self.text("gated", size=theme.SMALL, color=theme.OUTPUT),
        ]
        axes = self.text("axes", size=theme.SMALL, color=theme.MUTED, c=c)
        ops = [tex(r"\odot", size=40), tex("=", size=40)]
        # the largest cells that fit between the shape chips and the caption under the maps, and across
        room_h = top.get_bottom()[1] - SAFE.bottom - labels[0].height - axes.height - 2 * theme.BUFF
        room_w = (SAFE.width - sum(o.width for o in ops) - 4 * theme.BUFF) / 3
        maps = [
            Heatmap(v, key=key, max_cell=0.64, pad=PAD_TIGHT, max_width=room_w, max_height=room_h)
            for key, v in (
                ("y_ssm", tr.y_ssm[:, :c]),
                ("gate", run.gate[:, :c]),
                ("y_gated", tr.y_gated[:, :c]),
            )
        ]
        band = row([maps[0], ops[0], maps[1], ops[1], maps[2]], buff=theme.BUFF)
        band.next_to(top, DOWN, buff=theme.BUFF + labels[0].height + theme.BUFF_SMALL).set_x(0)
        axes.next_to(band, DOWN, buff=theme.BUFF_SMALL)
        for lab, m in zip(labels, maps, strict=True):
            lab.next_to(m, UP, buff=theme.BUFF_SMALL)
        with self.beat("trace", L=p.trace_tokens):
            self.play(fade_in(title))
            self.play(LaggedStart(*[fade_in(ch) for ch in chips], lag_ratio=0.1), fade_in(note), run_time=1.5)
        self.next_slide()
        with self.beat("gate", c=c):
            self.play(fade_in(maps[0]), fade_in(labels[0]))
            self.play(fade_in(ops[0]), fade_in(maps[1]), fade_in(labels[1]))
            self.play(fade_in(ops[1]), fade_in(maps[2]), fade_in(labels[2]), fade_in(axes))
        # follow one value through the gate: the cell where the gated output is largest
        t, ch = np.unravel_index(np.argmax(np.abs(tr.y_gated[:, :c])), (p.trace_tokens, c))
        marks = [m.highlight_cell(int(t), int(ch)) for m in maps]
        said = [m.fmt(m.values[t, ch]) for m in maps]  # each value as its heatmap writes it
        with self.beat("follow", y=said[0], g=said[1], out=said[2]):
            self.play(LaggedStart(*[Create(mk) for mk in marks], lag_ratio=0.4), run_time=1.5)
            self.wait(2.0)
