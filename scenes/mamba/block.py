"""The Mamba block (Gu & Dao 2023, Fig. 3): shapes, parameters and FLOPs of every layer, and one real pass."""

from __future__ import annotations

import numpy as np
from manim import (
    DOWN,
    LEFT,
    RIGHT,
    UP,
    Arrow,
    Circle,
    Create,
    GrowFromEdge,
    LaggedStart,
    Line,
    MathTex,
    Rectangle,
    RoundedRectangle,
    SurroundingRectangle,
    VGroup,
    Write,
)

from lib.mamba.anatomy import BlockAnatomy, mamba_block_anatomy, trace_block
from scenes.base import LectureScene
from scenes.kit import theme
from scenes.kit.widgets import Heatmap, fade_in, fade_out
from scenes.mamba.params.block import Params as MambaBlockParams
from scenes.registry import register

# colour of each group of layers, the same in the diagram, the parameter bar and the FLOPs bars
GROUP_COLOR = {"projection": theme.FG, "conv": theme.INPUT, "ssm": theme.STATE, "gate": theme.GATE}
Y_TOP, Y_MID, Y_BOT = 1.3, 0.22, -0.86  # rows of the diagram: x branch, in/out projections, z branch
SHOWN_CHANNELS = 6  # channels of the real pass drawn as heatmap columns


def _shape(shape: tuple[int, ...], symbolic_len: bool = True) -> str:
    """(L, 1536) → "L × 1,536" (the length kept symbolic: parameters do not depend on it)."""
    dims = ["L" if symbolic_len and i == 0 else theme.fmt_int(n) for i, n in enumerate(shape)]
    return " × ".join(dims)


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
        a, tr = self.a, self.run.trace
        self.channels = min(SHOWN_CHANNELS, a.d_inner)
        c = self.channels
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
        self.shown.update(
            widths={"d_model": a.d_model, "d_inner": a.d_inner, "d_state": a.d_state, "dt_rank": a.dt_rank},
            parts={
                q.name: {"params": q.params, "flops_per_token": q.flops_per_token, "shape": q.shape}
                for q in a.parts
            },
            ssm_params=a.group_params("ssm"),
            projection_params=a.group_params("projection"),
            conv_params=a.group_params("conv"),
            total_params=a.params,
            param_share={g: a.param_share(g) for g in GROUP_COLOR},
            projection_to_ssm=a.projection_to_ssm,
            total_flops_per_token=a.flops_per_token,
            flops_share={g: a.flops_share(g) for g in GROUP_COLOR},
            selection_shapes=a.selection_shapes,
            trace_shapes=self.trace_fields,
            y_ssm=tr.y_ssm[:, :c],
            gate=self.run.gate[:, :c],
            y_gated=tr.y_gated[:, :c],
        )

    # --- drawing helpers ---------------------------------------------------------------------------
    def _box(self, lines: list[tuple[str, object]], color, width: float, height: float = 1.12) -> VGroup:
        """A rounded box with one text per line: (string, colour); the first line is the layer's name."""
        rect = RoundedRectangle(
            corner_radius=0.12, width=width, height=height, stroke_color=color, stroke_width=3
        )
        rect.set_fill(color, opacity=0.1)
        texts = VGroup(
            *[
                self.plain(s, size=theme.SMALL if i == 0 else theme.NUMBER, color=c)
                for i, (s, c) in enumerate(lines)
            ]
        ).arrange(DOWN, buff=0.09)
        if texts.width > width - 0.16:
            texts.scale_to_fit_width(width - 0.16)
        texts.move_to(rect)
        return VGroup(rect, texts)

    def _layer_box(self, name: str, label: str, color, width: float) -> VGroup:
        q = self.a.part(name)
        return self._box(
            [(label, color), (_shape(q.shape), theme.FG), (theme.fmt_int(q.params), theme.MUTED)],
            color,
            width,
        )

    @staticmethod
    def _arrow(start, end, color=theme.MUTED) -> Arrow:
        return Arrow(start, end, buff=0, stroke_width=3, tip_length=0.16, color=color)

    @staticmethod
    def _elbow(start, end, color=theme.MUTED, first: str = "x") -> VGroup:
        """A right-angled connector ending in an arrow: along x then y (or y then x)."""
        start, end = np.asarray(start, float), np.asarray(end, float)
        corner = np.array([end[0], start[1], 0.0]) if first == "x" else np.array([start[0], end[1], 0.0])
        return VGroup(
            Line(start, corner, stroke_width=3, color=color),
            Arrow(corner, end, buff=0, stroke_width=3, tip_length=0.16, color=color),
        )

    # --- beats -------------------------------------------------------------------------------------
    def show_diagram(self) -> None:
        a = self.a
        header = self.title_bar("title", "subtitle")
        widths = self.text(
            "widths",
            size=theme.SMALL,
            color=theme.MUTED,
            d=theme.fmt_int(a.d_model),
            di=theme.fmt_int(a.d_inner),
            n=a.d_state,
            k=a.d_conv,
            r=a.dt_rank,
        )
        widths.next_to(header, DOWN, buff=0.22).align_to(header, LEFT)
        ssm_color, gate_color = theme.STATE, theme.GATE
        u = VGroup(
            self.text("input", size=theme.SMALL, color=theme.INPUT),
            self.plain(_shape((a.seq_len, a.d_model)), size=theme.NUMBER, color=theme.FG),
        ).arrange(DOWN, buff=0.08)
        u.move_to([-6.3, Y_MID, 0])
        in_proj = self._layer_box("in_proj", "in_proj", GROUP_COLOR["projection"], 1.6).move_to(
            [-4.55, Y_MID, 0]
        )
        conv = self._layer_box("conv1d", "conv1d", theme.INPUT, 1.5).move_to([-2.4, Y_TOP, 0])
        act = self._layer_box("act", "SiLU", theme.INPUT, 1.3).move_to([-0.55, Y_TOP, 0])
        ssm = self._box(
            [
                (self.t("ssm"), ssm_color),
                (_shape(a.part("D").shape), theme.FG),
                (theme.fmt_int(a.group_params("ssm")), theme.MUTED),
            ],
            ssm_color,
            1.85,
        ).move_to([1.35, Y_TOP, 0])
        z_act = self._box(
            [("SiLU", gate_color), (_shape(a.part("gate").shape), theme.FG), ("0", theme.MUTED)],
            gate_color,
            1.3,
        ).move_to([-0.55, Y_BOT, 0])
        mul = VGroup(
            Circle(radius=0.24, color=gate_color, stroke_width=3), MathTex(r"\times", color=gate_color)
        )
        mul.move_to([3.05, Y_MID, 0])
        mul_label = self.text("gate", size=theme.SMALL, color=gate_color).next_to(mul, LEFT, buff=0.15)
        out_proj = self._layer_box("out_proj", "out_proj", GROUP_COLOR["projection"], 1.6).move_to(
            [4.6, Y_MID, 0]
        )
        y = VGroup(
            self.text("output", size=theme.SMALL, color=theme.OUTPUT),
            self.plain(_shape(a.part("out_proj").shape), size=theme.NUMBER, color=theme.FG),
        ).arrange(DOWN, buff=0.08)
        y.move_to([6.35, Y_MID, 0])

        split_x = in_proj.get_right()[0] + 0.3
        a_in = self._arrow(u.get_right() + RIGHT * 0.05, in_proj.get_left(), theme.INPUT)
        a_x = self._elbow(
            in_proj.get_right() + UP * 0.28, [split_x, Y_TOP, 0], theme.INPUT, first="x"
        )  # up to the x row
        a_x2 = self._arrow([split_x, Y_TOP, 0], conv.get_left(), theme.INPUT)
        a_z = self._elbow(in_proj.get_right() + DOWN * 0.28, [split_x, Y_BOT, 0], gate_color, first="x")
        a_z2 = self._arrow([split_x, Y_BOT, 0], z_act.get_left(), gate_color)
        x_lab = MathTex("x", font_size=30, color=theme.INPUT).next_to(a_x2, UP, buff=0.08)
        z_lab = MathTex("z", font_size=30, color=gate_color).next_to(a_z2, DOWN, buff=0.08)
        a_c = self._arrow(conv.get_right(), act.get_left(), theme.INPUT)
        a_s = self._arrow(act.get_right(), ssm.get_left(), theme.INPUT)
        a_ym = self._elbow(ssm.get_right(), mul.get_top(), ssm_color, first="x")
        a_zm = self._elbow(z_act.get_right(), mul.get_bottom(), gate_color, first="x")
        a_o = self._arrow(mul.get_right(), out_proj.get_left())
        a_out = self._arrow(out_proj.get_right(), y.get_left() + LEFT * 0.05, theme.OUTPUT)
        key = self.text("key", size=theme.SMALL, color=theme.MUTED)
        key.next_to(VGroup(z_act, a_zm), DOWN, buff=0.3).set_x(0)

        self.play(fade_in(header), fade_in(widths))
        self.play(fade_in(u), Create(a_in), fade_in(in_proj))
        self.play(Create(a_x), Create(a_x2), Create(a_z), Create(a_z2), fade_in(x_lab), fade_in(z_lab))
        self.play(fade_in(conv), Create(a_c), fade_in(act), Create(a_s))
        self.play(fade_in(ssm), fade_in(z_act))
        self.play(Create(a_ym), Create(a_zm), fade_in(mul), fade_in(mul_label))
        self.play(Create(a_o), fade_in(out_proj), Create(a_out), fade_in(y))
        self.play(fade_in(key))
        self.wait(1.5)
        self.next_slide()
        self.header, self.key, self.ssm_box = VGroup(header, widths), key, ssm
        self.diagram = VGroup(
            u, in_proj, conv, act, ssm, z_act, mul, mul_label, out_proj, y,
            a_in, a_x, a_x2, a_z, a_z2, x_lab, z_lab, a_c, a_s, a_ym, a_zm, a_o, a_out,
        )  # fmt: skip

    def show_ssm_inside(self) -> None:
        a = self.a
        sel = a.selection_shapes
        focus = SurroundingRectangle(self.ssm_box, color=theme.ACCENT, buff=0.08, corner_radius=0.12)
        formula = MathTex(
            "h_t", "=", r"\exp(", r"\Delta_t", "A", r")\,", "h_{t-1}", "+", r"\Delta_t", "B_t", r"\,x_t",
            r"\qquad", "y_t", "=", "C_t", r"\,h_t", "+", "D", r"\,x_t",
            font_size=32,
        )  # fmt: skip
        colors = {
            0: theme.STATE, 3: theme.DELTA, 4: theme.MAT_A, 6: theme.STATE, 8: theme.DELTA,
            9: theme.MAT_B, 10: theme.INPUT, 12: theme.OUTPUT, 14: theme.MAT_C, 15: theme.STATE,
            17: theme.STATE, 18: theme.INPUT,
        }  # fmt: skip
        for i, c in colors.items():
            formula[i].set_color(c)
        caption = self.text("inside", size=theme.SMALL, color=theme.MUTED)
        part_of = (self.t("from_xproj"), theme.MUTED)
        w = 1.95
        chips = VGroup(
            self._layer_box("x_proj", "x_proj", theme.STATE, w),
            self._box(
                [
                    ("dt_proj → Δ", theme.DELTA),
                    (_shape(a.part("dt_proj").shape), theme.FG),
                    (theme.fmt_int(a.part("dt_proj").params), theme.MUTED),
                ],
                theme.DELTA,
                w,
            ),
            self._box([("B", theme.MAT_B), (_shape(sel["B"]), theme.FG), part_of], theme.MAT_B, w),
            self._box([("C", theme.MAT_C), (_shape(sel["C"]), theme.FG), part_of], theme.MAT_C, w),
            self._box(
                [
                    ("A = −exp(A_log)", theme.MAT_A),
                    (_shape(a.part("A_log").shape, symbolic_len=False), theme.FG),
                    (theme.fmt_int(a.part("A_log").params), theme.MUTED),
                ],
                theme.MAT_A,
                w,
            ),
            self._box(
                [
                    (self.t("skip"), theme.STATE),
                    (theme.fmt_int(a.d_inner), theme.FG),
                    (theme.fmt_int(a.part("D").params), theme.MUTED),
                ],
                theme.STATE,
                w,
            ),
        ).arrange(RIGHT, buff=0.22)
        if chips.width > 13.4:
            chips.scale_to_fit_width(13.4)
        panel = VGroup(caption, formula, chips).arrange(DOWN, buff=0.2)
        panel.to_edge(DOWN, buff=theme.EDGE).set_x(0)
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
        total_w, h = 12.6, 0.42
        bar = VGroup()
        for g in groups:
            seg_w = max(total_w * a.param_share(g), 0.04)  # keep a sliver of the tiniest group visible
            seg = Rectangle(width=seg_w, height=h, stroke_width=0).set_fill(GROUP_COLOR[g], opacity=0.85)
            bar.add(seg)
        bar.arrange(RIGHT, buff=0.0)
        labels = VGroup()
        for g in groups:
            mark = Rectangle(width=0.3, height=0.22, stroke_width=0).set_fill(GROUP_COLOR[g], opacity=0.85)
            name = self.text(names[g], size=theme.SMALL, color=GROUP_COLOR[g])
            val = self.text(
                "share",
                size=theme.SMALL,
                color=theme.FG,
                n=theme.fmt_int(a.group_params(g)),
                pct=theme.fmt(100 * a.param_share(g), 1),
            )
            labels.add(
                VGroup(mark, VGroup(name, val).arrange(DOWN, buff=0.06, aligned_edge=LEFT)).arrange(RIGHT)
            )
        labels.arrange(RIGHT, buff=0.6, aligned_edge=UP)
        if labels.width > 13.2:
            labels.scale_to_fit_width(13.2)
        total = self.text("total", size=theme.LABEL, color=theme.FG, n=theme.fmt_int(a.params))
        ratio = self.text(
            "ratio", size=theme.LABEL, color=theme.ACCENT, ratio=theme.fmt(a.projection_to_ssm, 1)
        )
        group = VGroup(VGroup(total, ratio).arrange(RIGHT, buff=0.6), bar, labels).arrange(DOWN, buff=0.2)
        if group.width > 13.4:
            group.scale_to_fit_width(13.4)
        group.to_edge(DOWN, buff=theme.EDGE).set_x(0)
        self.play(fade_in(total))
        self.play(GrowFromEdge(bar, LEFT), fade_in(labels))
        self.play(fade_in(ratio))
        self.wait(1.5)
        self.next_slide()
        self.play(fade_out(VGroup(self.diagram, group)))

    def show_flops(self) -> None:
        a = self.a
        title = self.text("flops_title", size=theme.BODY, color=theme.FG, L=theme.fmt_int(a.seq_len))
        title.next_to(self.header, DOWN, buff=0.3).to_edge(LEFT, buff=theme.EDGE + 0.15)
        top = title.get_bottom()[1] - 0.3
        row_h = min(0.4, (top - (-2.9)) / len(a.parts))
        vmax = max(q.flops_per_token for q in a.parts)
        x0, bar_max = -3.3, 7.4
        rows = VGroup()
        for i, q in enumerate(a.parts):
            yy = top - (i + 0.5) * row_h
            color = GROUP_COLOR[q.group]
            name = self.plain(q.name, size=theme.SMALL, color=color)
            name.move_to([x0 - 0.2, yy, 0], aligned_edge=RIGHT)
            w = max(bar_max * q.flops_per_token / vmax, 0.02)
            bar = Rectangle(width=w, height=row_h * 0.7, stroke_width=0).set_fill(color, opacity=0.85)
            bar.move_to([x0, yy, 0], aligned_edge=LEFT)
            val = self.plain(theme.fmt_int(round(q.flops_per_token)), size=theme.SMALL, color=theme.FG)
            val.next_to(bar, RIGHT, buff=0.12)
            rows.add(VGroup(name, bar, val))
        total = self.text(
            "flops_total",
            size=theme.LABEL,
            color=theme.ACCENT,
            n=theme.fmt_int(round(a.flops_per_token)),
            p=theme.fmt(100 * a.flops_share("projection"), 1),
            s=theme.fmt(100 * a.flops_share("ssm"), 1),
        )
        note = self.text("flops_note", size=theme.SMALL, color=theme.MUTED)
        foot = VGroup(total, note).arrange(DOWN, buff=0.12, aligned_edge=LEFT)
        if foot.width > 13.2:
            foot.scale_to_fit_width(13.2)
        foot.to_edge(DOWN, buff=theme.EDGE).to_edge(LEFT, buff=theme.EDGE + 0.15)
        self.play(fade_in(title))
        self.play(LaggedStart(*[fade_in(r) for r in rows], lag_ratio=0.12), run_time=2.0)
        proj = VGroup(
            *[
                SurroundingRectangle(r, color=theme.ACCENT, buff=0.08)
                for r, q in zip(rows, a.parts, strict=True)
                if q.group == "projection"
            ]
        )
        self.play(Create(proj), fade_in(foot))
        self.wait(1.5)
        self.next_slide()
        self.play(fade_out(VGroup(title, rows, foot, proj)))

    def show_trace(self) -> None:
        p, run = self.params, self.run
        tr = run.trace
        title = self.text("trace_title", size=theme.LABEL, color=theme.FG, L=p.trace_tokens, seed=p.seed)
        title.next_to(self.header, DOWN, buff=0.25).to_edge(LEFT, buff=theme.EDGE + 0.15)
        field_color = {
            "u": theme.INPUT, "x": theme.INPUT, "z": theme.GATE, "x_conv": theme.INPUT, "x_act": theme.INPUT,
            "delta": theme.DELTA, "B": theme.MAT_B, "C": theme.MAT_C, "h": theme.STATE, "y": theme.STATE,
            "y_gated": theme.GATE, "out": theme.OUTPUT,
        }  # fmt: skip
        field_name = {"delta": "Δ", "y_gated": "y ⊙ SiLU(z)"}
        chips = VGroup()
        for f, shape in self.trace_fields.items():
            chips.add(
                VGroup(
                    self.plain(field_name.get(f, f), size=theme.SMALL, color=field_color[f]),
                    self.plain(_shape(shape, symbolic_len=False), size=theme.NUMBER, color=theme.FG),
                ).arrange(RIGHT, buff=0.15)
            )
        half = (len(chips) + 1) // 2
        grid = VGroup(
            VGroup(*chips[:half]).arrange(RIGHT, buff=0.45), VGroup(*chips[half:]).arrange(RIGHT, buff=0.45)
        ).arrange(DOWN, buff=0.16, aligned_edge=LEFT)
        if grid.width > 13.2:
            grid.scale_to_fit_width(13.2)
        note = self.text("trace_note", size=theme.SMALL, color=theme.MUTED, L=p.trace_tokens)
        top = VGroup(grid, note).arrange(DOWN, buff=0.14, aligned_edge=LEFT)
        top.next_to(title, DOWN, buff=0.2).align_to(title, LEFT)

        c = self.channels
        labels = VGroup(
            self.text("y_ssm", size=theme.SMALL, color=theme.STATE),
            self.text("gate_z", size=theme.SMALL, color=theme.GATE),
            self.text("gated", size=theme.SMALL, color=theme.OUTPUT),
        )
        axes = self.text("axes", size=theme.SMALL, color=theme.MUTED, c=c)
        # the largest cells that fit between the shape chips and the bottom edge (and across the frame)
        room = top.get_bottom()[1] - 0.3 - labels.height - 0.1 - (-4 + theme.EDGE + axes.height + 0.15)
        cell = min(0.64, room / p.trace_tokens, (13.2 - 1.8) / (3 * c))
        digits = 2 if cell >= 0.58 else 1  # keep the numbers at a readable size in small cells
        maps = VGroup(
            *[
                Heatmap(v, vmax=float(np.max(np.abs(v))) or 1.0, cell=cell, digits=digits)
                for v in (tr.y_ssm[:, :c], run.gate[:, :c], tr.y_gated[:, :c])
            ]
        )
        ops = VGroup(MathTex(r"\odot", font_size=40), MathTex("=", font_size=40))
        row = VGroup(maps[0], ops[0], maps[1], ops[1], maps[2]).arrange(RIGHT, buff=0.3)
        row.next_to(top, DOWN, buff=0.3 + labels.height + 0.1).set_x(0)
        axes.next_to(row, DOWN, buff=0.15)
        for lab, m in zip(labels, maps, strict=True):
            lab.next_to(m, UP, buff=0.12)
        self.play(fade_in(title))
        self.play(LaggedStart(*[fade_in(ch) for ch in chips], lag_ratio=0.1), fade_in(note), run_time=1.5)
        self.next_slide()
        self.play(fade_in(maps[0]), fade_in(labels[0]))
        self.play(fade_in(ops[0]), fade_in(maps[1]), fade_in(labels[1]))
        self.play(fade_in(ops[1]), fade_in(maps[2]), fade_in(labels[2]), fade_in(axes))
        # follow one value through the gate: the cell where the gated output is largest
        t, ch = np.unravel_index(np.argmax(np.abs(tr.y_gated[:, :c])), (p.trace_tokens, c))
        marks = VGroup(
            *[SurroundingRectangle(m.cell_at(int(t), int(ch)), color=theme.ACCENT, buff=0.02) for m in maps]
        )
        self.play(LaggedStart(*[Create(mk) for mk in marks], lag_ratio=0.4), run_time=1.5)
        self.wait(2.0)
