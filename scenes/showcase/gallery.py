"""The kit gallery: every component of ``scenes/kit`` on one small worked example, a slide per family.

Not a lecture: a showcase that puts each component through the layout test (``tests/scenes/test_layout``)
in both locales and gives the golden-frame test (``tests/scenes/showcase/test_gallery.py``) a stable picture
of the kit. The numbers still come from ``lib/``: one causal attention pattern over a short sentence
(Vaswani et al. 2017, eq. 1, on seeded random queries and keys), the activations ReLU, GELU and SiLU, and
the cost model of a Transformer layer (attention and a SwiGLU MLP, LLaMA-7B widths by default).

Slides: 1 heatmaps (diverging scores, sequential weights) under a token strip with its cursor;
2 a linear and a log-log plot (series, legend, marker, readout); 3 a block diagram (elbow arrows, a gate
node) over its equation with named terms; 4 bars (vertical and horizontal) and a share bar; 5 tables and
every number format.
"""

from __future__ import annotations

import numpy as np
from manim import DOWN, RIGHT, UL, Create, Line, Mobject, VGroup

from lib.arithmetic.cost import kv_cache_bytes
from lib.arithmetic.cost_models import attention_cost, swiglu_cost
from lib.core.activations import gelu, relu, silu
from lib.transformer.attention import causal_mask, scaled_dot_product_attention
from scenes.engine.base import LectureScene
from scenes.engine.registry import register
from scenes.kit import numbers, theme
from scenes.kit.anim import fade_in, fade_out
from scenes.kit.bars import Bars, ShareBar
from scenes.kit.diagram import Block, GateNode, arrow, connect, elbow
from scenes.kit.equation import Equation
from scenes.kit.frame import SAFE, below, column, row, to_safe
from scenes.kit.matrix import Heatmap
from scenes.kit.plot import Plot, legend, log_bounds
from scenes.kit.record import number
from scenes.kit.table import NumberTable
from scenes.kit.tokens import TokenStrip
from scenes.showcase.params.gallery import Params as GalleryParams

PEAK_TFLOPS = 312  # A100 bf16 dense peak (NVIDIA data sheet): turns a FLOP count into the duration example
PLOT_LENGTHS = [1 << k for k in range(8, 18)]  # T = 256 … 128K for the log-log cost plot
TABLE_LENGTHS = (1024, 4096, 16384, 65536)


@register("showcase.gallery")
class Gallery(LectureScene):
    """Every kit component on one worked example: heatmaps, tokens, plots, diagram, equation, bars, tables."""

    Params = GalleryParams

    EXAMPLES = (
        {
            "sentence": "big cats nap a lot",
            "query": 2,
            "seed": 3,
            "x0": 1.5,
            "d_model": 768,
            "d_ff": 2048,
            "n_heads": 12,
            "n_layers": 12,
            "seq_len": 1024,
        },
    )

    STRINGS = {
        "en": {
            "title": "Kit gallery",
            "sub_matrix": "1. heatmaps and a token strip",
            "scores": "scores qkᵀ/√d — diverging scale",
            "weights": "causal softmax weights — sequential 0–1",
            "sub_plot": "2. plots: linear and log axes",
            "activation": "activation",
            "relu": "ReLU",
            "gelu": "GELU",
            "silu": "SiLU",
            "at_x": "x = {x}",
            "flops": "FLOPs per layer",
            "attention": "attention",
            "mlp": "SwiGLU MLP",
            "at_t": "T = {t}",
            "sub_diagram": "3. a block diagram and its equation",
            "input": "input x",
            "output": "output",
            "mlp_params": "parameters of the MLP:",
            "gate_is": "the gate node is the ⊙ of the equation",
            "sub_bars": "4. bars and shares",
            "query_weights": 'attention of "{token}" to each token',
            "layer_flops": "FLOPs per layer at T = {t}",
            "attn_parts": "where attention's FLOPs go at T = {t}",
            "projections": "Q, K, V, O projections",
            "qk": "scores QKᵀ",
            "softmax": "softmax",
            "av": "weights × V",
            "sub_table": "5. tables and number formats",
            "length": "T",
            "kv": "KV cache",
            "ratio": "attention / MLP",
            "format": "format",
            "example": "example",
            "f_fixed": "decimals",
            "f_integer": "integer",
            "f_si": "SI prefix",
            "f_flops": "FLOPs",
            "f_bytes": "bytes",
            "f_count": "count",
            "f_sci": "scientific",
            "f_percent": "percent",
            "f_ratio": "ratio",
            "f_duration": "duration",
            "f_length": "length",
            "f_shape": "shape",
        },
        "zh": {
            "title": "组件一览",
            "sub_matrix": "1. 热力图与词元条",
            "scores": "分数 qkᵀ/√d —— 发散色标",
            "weights": "因果 softmax 权重 —— 顺序色标 0–1",
            "sub_plot": "2. 图表：线性轴与对数轴",
            "activation": "激活值",
            "relu": "ReLU",
            "gelu": "GELU",
            "silu": "SiLU",
            "at_x": "x = {x}",
            "flops": "每层 FLOPs",
            "attention": "注意力",
            "mlp": "SwiGLU MLP",
            "at_t": "T = {t}",
            "sub_diagram": "3. 结构框图及其公式",
            "input": "输入 x",
            "output": "输出",
            "mlp_params": "MLP 参数量：",
            "gate_is": "门控节点就是公式中的 ⊙",
            "sub_bars": "4. 柱状图与占比条",
            "query_weights": "“{token}” 对各词元的注意力",
            "layer_flops": "T = {t} 时每层的 FLOPs",
            "attn_parts": "T = {t} 时注意力 FLOPs 的去向",
            "projections": "Q、K、V、O 投影",
            "qk": "分数 QKᵀ",
            "softmax": "softmax",
            "av": "权重 × V",
            "sub_table": "5. 表格与数字格式",
            "length": "T",
            "kv": "KV 缓存",
            "ratio": "注意力 / MLP",
            "format": "格式",
            "example": "示例",
            "f_fixed": "小数",
            "f_integer": "整数",
            "f_si": "SI 前缀",
            "f_flops": "浮点运算",
            "f_bytes": "字节",
            "f_count": "数量",
            "f_sci": "科学计数",
            "f_percent": "百分比",
            "f_ratio": "倍数",
            "f_duration": "时长",
            "f_length": "长度",
            "f_shape": "形状",
        },
    }

    def construct(self) -> None:
        self.compute()
        self.show_matrices()
        self.show_plots()
        self.show_diagram()
        self.show_bars()
        self.show_tables()

    # --- numbers (all from lib/) -----------------------------------------------------------------------
    def compute(self) -> None:
        p = self.params
        self.tokens = p.tokens
        n = len(self.tokens)
        rng = np.random.default_rng(p.seed)
        q = rng.standard_normal((n, p.d_head))  # (T, d)
        k = rng.standard_normal((n, p.d_head))  # (T, d)
        self.attn = scaled_dot_product_attention(q, k, k, mask=causal_mask(n))  # weights (T, T)
        self.xs = np.linspace(-4.0, 3.0, 71)  # (71,) the activation curves
        self.acts = {"relu": relu(self.xs), "gelu": gelu(self.xs), "silu": silu(self.xs)}
        self.silu_x0 = float(silu(np.array(p.x0)))

        def costs(t: int):
            return attention_cost(t, p.d_model, p.n_heads, bias=False), swiglu_cost(p.d_model, p.d_ff, t)

        self.curve = [costs(t) for t in PLOT_LENGTHS]
        self.attn_T, self.mlp_T = costs(p.seq_len)
        self.table = [costs(t) for t in TABLE_LENGTHS]
        head_dim = p.d_model // p.n_heads
        self.kv = [kv_cache_bytes(p.n_layers, t, p.n_heads, head_dim) for t in TABLE_LENGTHS]
        self.kv_T = kv_cache_bytes(p.n_layers, p.seq_len, p.n_heads, head_dim)
        self.model_params = p.n_layers * (self.attn_T.params + self.mlp_T.params)
        self.shown.update(
            scores=self.attn.scaled,
            weights=self.attn.weights,
            silu_x0=self.silu_x0,
            attn_flops=[a.flops for a, _ in self.curve],
            mlp_flops=[m.flops for _, m in self.curve],
            mlp_params=self.mlp_T.params,
            model_params=self.model_params,
        )

    # --- helpers ---------------------------------------------------------------------------------------
    def header(self, subtitle_key: str) -> VGroup:
        return self.title_bar("title", subtitle_key)

    def caption(self, key: str, **fmt) -> Mobject:
        return self.text(key, size=theme.LABEL, color=theme.FG, **fmt)

    def room_below(self, mob: Mobject) -> float:
        """Height left between ``mob`` and the bottom of the safe area, less the gap between groups."""
        return mob.get_bottom()[1] - theme.BUFF_LARGE - SAFE.bottom

    # --- 1: heatmaps and the token strip -------------------------------------------------------------
    def show_matrices(self) -> None:
        p = self.params
        head = self.header("sub_matrix")
        strip = TokenStrip(self.tokens)
        below(strip, head, buff=theme.BUFF_LARGE, align="center").set_x(0)
        cursor = strip.cursor(0)
        cap_s, cap_w = self.caption("scores"), self.caption("weights")
        room_h = self.room_below(strip) - cap_s.height - theme.BUFF_SMALL
        room_w = (SAFE.width - theme.BUFF_SECTION) / 2
        scores = Heatmap(
            self.attn.scaled,
            key="scores",
            scale="diverging",
            row_labels=self.tokens,
            col_labels=self.tokens,
            max_width=room_w,
            max_height=room_h,
        )
        weights = Heatmap(
            self.attn.weights,
            key="weights",
            scale="sequential",
            row_labels=self.tokens,
            col_labels=self.tokens,
            max_width=room_w,
            max_height=room_h,
        )
        panels = row(
            [column([cap_s, scores], align="center"), column([cap_w, weights], align="center")],
            buff=theme.BUFF_SECTION,
            align="top",
        )
        below(panels, strip, buff=theme.BUFF_LARGE, align="center").set_x(0)
        best = int(np.argmax(self.attn.scaled[p.query, : p.query + 1]))  # the key the query attends most
        self.play(fade_in(head), fade_in(strip), fade_in(cursor))
        self.play(fade_in(panels))
        self.play(strip.move_cursor(p.query))
        self.play(Create(scores.highlight_cell(p.query, best)), Create(weights.highlight_row(p.query)))
        self.next_slide()
        self.play(fade_out(*self.mobjects))

    # --- 2: plots --------------------------------------------------------------------------------------
    def show_plots(self) -> None:
        p = self.params
        head = self.header("sub_plot")
        act = Plot(
            (-4, 3, 1),
            (-1, 3, 1),
            width=5.2,
            height=3.4,
            x_label="x",
            y_label=self.t("activation"),
        )
        colors = {"relu": theme.FG, "gelu": theme.INPUT, "silu": theme.GATE}
        curves = [act.series(self.xs, self.acts[name], colors[name], key=name, dots=False) for name in colors]
        act_legend = legend([(self.t(name), c) for name, c in colors.items()], direction=RIGHT)
        x0 = act.marker(p.x0, label=self.t("at_x", x=numbers.fixed(p.x0, 2)), key="x0")
        read = act.readout(p.x0, self.silu_x0, key="silu_x0", color=theme.GATE, direction=DOWN + RIGHT)

        attn_y = [a.flops for a, _ in self.curve]
        mlp_y = [m.flops for _, m in self.curve]
        cost = Plot(
            (PLOT_LENGTHS[0], PLOT_LENGTHS[-1]),
            log_bounds(mlp_y + attn_y),
            width=5.2,
            height=3.4,
            x_scale="log",
            x_base=2,
            y_scale="log",
            x_format=numbers.length,
            y_format=lambda v: numbers.si(v, 0),
            x_label="T",
            y_label=self.t("flops"),
        )
        attn = cost.series(PLOT_LENGTHS, attn_y, theme.ATTN, key="attn_flops")
        mlp = cost.series(PLOT_LENGTHS, mlp_y, theme.FG, key="mlp_flops")
        cost_legend = legend([(self.t("attention"), theme.ATTN), (self.t("mlp"), theme.FG)], direction=RIGHT)
        at_t = cost.marker(p.seq_len, label=self.t("at_t", t=numbers.length(p.seq_len)), key="seq_len")
        last = cost.readout(
            PLOT_LENGTHS[-1], attn_y[-1], numbers.flops, key="attn_flops_last", color=theme.ATTN, direction=UL
        )

        left = column([VGroup(act, *curves, x0, read), act_legend], buff=theme.BUFF, align="center")
        right = column([VGroup(cost, attn, mlp, at_t, last), cost_legend], buff=theme.BUFF, align="center")
        panels = row([left, right], buff=theme.BUFF_SECTION, align="top")
        below(panels, head, buff=theme.BUFF_SECTION, align="center").set_x(0)
        self.play(fade_in(head), Create(act), Create(cost))
        self.play(*[c.grow() for c in curves], attn.grow(), mlp.grow())
        self.play(fade_in(act_legend), fade_in(cost_legend), fade_in(x0), fade_in(at_t))
        self.play(fade_in(read), fade_in(last))
        self.next_slide()
        self.play(fade_out(*self.mobjects))

    # --- 3: block diagram and equation -------------------------------------------------------------------
    def show_diagram(self) -> None:
        p = self.params
        head = self.header("sub_diagram")
        parts = {part.name: part for part in self.mlp_T.parts}
        hidden, width = ("T", p.d_ff), ("T", p.d_model)
        w1 = Block("w1", shape=hidden, params=parts["w1"].params, color=theme.INPUT, width=2.1)
        w3 = Block("w3", shape=hidden, params=parts["w3"].params, color=theme.MAT_B, width=2.1)
        act = Block("SiLU", shape=hidden, color=theme.GATE, width=2.1)
        w2 = Block("w2", shape=width, params=parts["w2"].params, color=theme.OUTPUT, width=2.1)
        gate = GateNode(r"\odot", color=theme.GATE)
        x_in = column(
            [
                self.text("input", size=theme.SMALL, color=theme.INPUT),
                self.plain(numbers.shape(width), theme.NUMBER),
            ],
            buff=theme.BUFF_TIGHT,
            align="center",
        )
        y_out = column(
            [
                self.text("output", size=theme.SMALL, color=theme.OUTPUT),
                self.plain(numbers.shape(width), theme.NUMBER),
            ],
            buff=theme.BUFF_TIGHT,
            align="center",
        )
        branches = column([row([w1, act], buff=theme.BUFF_SECTION), w3], buff=theme.BUFF_LARGE, align="left")
        flow = row([x_in, branches, gate, w2, y_out], buff=theme.BUFF_SECTION)
        gate.set_y(branches.get_y())  # the two branches meet half-way between them
        w2.set_y(gate.get_y())
        y_out.set_y(gate.get_y())
        x_in.set_y(gate.get_y())
        split = x_in.get_right() + RIGHT * theme.BUFF
        wires = VGroup(
            Line(x_in.get_right(), split, stroke_width=3, color=theme.MUTED),
            elbow(split, w1.get_left(), first="y"),
            elbow(split, w3.get_left(), first="y"),
            connect(w1, act),
            elbow(act.get_right(), gate.get_top(), first="x"),
            elbow(w3.get_right(), gate.get_bottom(), first="x"),
            arrow(gate.get_right(), w2.get_left()),
            connect(w2, y_out),
        )
        diagram = VGroup(flow, wires)
        below(diagram, head, buff=theme.BUFF_SECTION, align="center").set_x(0)

        eq = Equation(
            r"\mathrm{SwiGLU}(x) = \left(\mathrm{SiLU}(x W_1) \odot x W_3\right) W_2",
            terms={"W_1": "W_1", "W_3": "W_3", "W_2": "W_2", "SiLU": r"\mathrm{SiLU}", "gate": r"\odot"},
            colors={
                "W_1": theme.INPUT,
                "W_3": theme.MAT_B,
                "W_2": theme.OUTPUT,
                "SiLU": theme.GATE,
                "gate": theme.GATE,
            },
        )
        below(eq, diagram, buff=theme.BUFF_SECTION, align="center").set_x(0)
        frame = eq.highlight("gate")
        gate_is = self.text("gate_is", size=theme.SMALL, color=theme.ACCENT)
        below(gate_is, eq, buff=theme.BUFF, align="center")
        count = row(
            [
                self.text("mlp_params", size=theme.LABEL, color=theme.MUTED),
                number(self.mlp_T.params, key="mlp_params", fmt=numbers.integer, size=theme.LABEL),
            ],
            buff=theme.BUFF_SMALL,
        )
        below(count, gate_is, buff=theme.BUFF_LARGE, align="center")
        self.play(fade_in(head), fade_in(flow))
        self.play(Create(wires))
        self.play(fade_in(eq), fade_in(count))
        self.play(Create(frame), eq.indicate("gate"), fade_in(gate_is))
        self.next_slide()
        self.play(fade_out(*self.mobjects))

    # --- 4: bars and a share bar ------------------------------------------------------------------------
    def show_bars(self) -> None:
        p = self.params
        t = numbers.length(p.seq_len)
        head = self.header("sub_bars")
        row_w = self.attn.weights[p.query, : p.query + 1]  # the causal row: keys up to the query
        weights = Bars(
            row_w,
            key="query_weights",
            labels=self.tokens[: p.query + 1],
            color=theme.SEQ_HIGH,
            length=2.2,
        )
        cap_w = self.caption("query_weights", token=self.tokens[p.query])
        flops = Bars(
            [self.attn_T.flops, self.mlp_T.flops],
            key="layer_flops",
            labels=[self.t("attention"), self.t("mlp")],
            color=[theme.ATTN, theme.FG],
            fmt=numbers.flops,
            direction="horizontal",
            length=3.2,
        )
        cap_f = self.caption("layer_flops", t=t)
        a = {part.name: part.flops for part in self.attn_T.parts}
        share = ShareBar(
            [
                (self.t("projections"), a["q_proj"] + a["k_proj"] + a["v_proj"] + a["out_proj"], theme.INPUT),
                (self.t("qk"), a["scores"], theme.ATTN),
                (self.t("softmax"), a["softmax"], theme.ACCENT),
                (self.t("av"), a["context"], theme.OUTPUT),
            ],
            key="attn_parts",
            fmt=numbers.flops,
            width=SAFE.width - 2 * theme.BUFF_LARGE,
        )
        cap_s = self.caption("attn_parts", t=t)
        top = row(
            [
                column([cap_w, weights], buff=theme.BUFF, align="center"),
                column([cap_f, flops], buff=theme.BUFF, align="center"),
            ],
            buff=theme.BUFF_SECTION * 2,
            align="top",
        )
        below(top, head, buff=theme.BUFF_SECTION, align="center").set_x(0)
        bottom = column([cap_s, share], buff=theme.BUFF, align="center")
        to_safe(bottom, DOWN)
        self.play(fade_in(head), fade_in(cap_w), fade_in(cap_f), fade_in(cap_s))
        self.play(weights.grow(), flops.grow(), share.grow())
        self.next_slide()
        self.play(fade_out(*self.mobjects))

    # --- 5: tables and number formats ---------------------------------------------------------------------
    def show_tables(self) -> None:
        p = self.params
        head = self.header("sub_table")
        costs = NumberTable(
            [
                list(TABLE_LENGTHS),
                [a.flops for a, _ in self.table],
                [m.flops for _, m in self.table],
                [a.flops / m.flops for a, m in self.table],
                self.kv,
            ],
            header=[self.t("length"), self.t("attention"), self.t("mlp"), self.t("ratio"), self.t("kv")],
            formats=[numbers.length, numbers.flops, numbers.flops, numbers.ratio, numbers.byte_size],
            colors=[theme.FG, theme.ATTN, theme.FG, theme.ACCENT, theme.STATE],
            keys=["table_len", "table_attn", "table_mlp", "table_ratio", "table_kv"],
            size=theme.SMALL,
        )
        a, m = self.attn_T, self.mlp_T
        examples = [
            ("f_fixed", numbers.fixed(self.attn.scaled[p.query, 0], 2)),
            ("f_integer", numbers.integer(a.params)),
            ("f_si", numbers.si(m.params)),
            ("f_flops", numbers.flops(a.flops)),
            ("f_bytes", numbers.byte_size(self.kv_T)),
            ("f_count", numbers.count(self.model_params, locale=self.locale)),
            ("f_sci", numbers.sci(a.flops)),
            ("f_percent", numbers.percent(float(self.attn.weights[p.query].max()))),
            ("f_ratio", numbers.ratio(a.flops / m.flops)),
            ("f_duration", numbers.duration(a.flops / (PEAK_TFLOPS * 1e12))),
            ("f_length", numbers.length(p.seq_len)),
            ("f_shape", numbers.shape(("T", p.d_model))),
        ]
        half = len(examples) // 2
        names = [self.t(k) for k, _ in examples]
        shown = [s for _, s in examples]
        formats = NumberTable(
            [names[:half], shown[:half], names[half:], shown[half:]],
            header=[self.t("format"), self.t("example")] * 2,
            colors=[theme.MUTED, theme.FG, theme.MUTED, theme.FG],
            keys=[None, "format_a", None, "format_b"],
            size=theme.SMALL,
        )
        below(costs, head, buff=theme.BUFF_SECTION, align="center").set_x(0)
        below(formats, costs, buff=theme.BUFF_SECTION, align="center")
        self.play(fade_in(head), fade_in(costs))
        self.play(fade_in(formats))
