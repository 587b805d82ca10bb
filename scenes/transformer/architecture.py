"""The whole architecture: the encoder–decoder of Vaswani et al. (2017), parameters per component adding up
to the base model, and GPT-2 small as the decoder-only contrast."""

from __future__ import annotations

import numpy as np
from manim import DOWN, LEFT, RIGHT, UP, Create, FadeIn, FadeOut, Indicate, Line, RoundedRectangle, VGroup

from lib.arithmetic.cost_encoder_decoder import encoder_decoder_cost, params_by_group
from lib.arithmetic.cost_models import transformer_decoder_cost
from scenes.engine.base import LectureScene
from scenes.engine.registry import register
from scenes.kit import numbers, theme
from scenes.kit.anim import fade_in
from scenes.kit.bars import Bars
from scenes.kit.diagram import Block, arrow
from scenes.kit.frame import SAFE, below, column, fit_width, row, to_safe
from scenes.kit.record import number, tag
from scenes.kit.table import NumberTable
from scenes.transformer.params.architecture import Params as ArchitectureParams

GPT_NAME = "GPT-2"  # said as a field: a template holds no digits
PAPER_TABLE = 3  # Vaswani et al. 2017, Table 3: the base and big models' sizes and parameter counts
HOLD = theme.HOLD_LONG  # seconds to read a slide (scenes/kit/theme.py)
SUBLAYER_H = 0.46  # height of an attention / FFN box in the stacks
NORM_H = 0.34  # an add & norm strip is thinner: it holds 2·d numbers, not d²
BLOCK_W = 2.35

# the sublayers of each stack, bottom to top (torch.nn.Transformer's names), and what colour they are
ENCODER = ("self_attn", "norm1", "ffn", "norm2")
DECODER = ("self_attn", "norm1", "cross_attn", "norm2", "ffn", "norm3")
ATTN_SHADES = theme.shades(theme.ATTN, 4)[1:]  # encoder self-, decoder self-, cross-attention: one family
FFN_COLOR = theme.GATE  # the position-wise feed-forward sublayers

# parameter groups of the encoder–decoder (dotted paths in lib's cost tree) and of GPT-2
BASE_GROUPS = {
    "embedding": ["embedding", "lm_head"],
    "enc_self_attn": ["encoder.layers.*.self_attn"],
    "dec_self_attn": ["decoder.layers.*.self_attn"],
    "cross_attn": ["decoder.layers.*.cross_attn"],
    "ffn": ["*.ffn"],
    "norms": ["*norm*"],
}
GPT_GROUPS = {
    "embedding": ["embedding", "lm_head"],
    "positions": ["pos_embedding"],
    "attn": ["layers.*.attn"],
    "mlp": ["layers.*.mlp"],
    "norms": ["*ln_*", "norm_f"],
}
BASE_COLORS = {
    "embedding": theme.INPUT,
    "enc_self_attn": ATTN_SHADES[0],
    "dec_self_attn": ATTN_SHADES[1],
    "cross_attn": ATTN_SHADES[2],
    "ffn": FFN_COLOR,
    "norms": theme.RESIDUAL,
}
GPT_COLORS = {
    "embedding": theme.INPUT,
    "positions": theme.INPUT,
    "attn": ATTN_SHADES[1],
    "mlp": FFN_COLOR,
    "norms": theme.RESIDUAL,
}
CMP_ROWS = ("layers", "d_model", "d_ff", "heads", "vocab", "positions", "params")


@register("transformer.architecture")
class Architecture(LectureScene):
    """Encoder and decoder stacks with every sublayer's parameters, the base model's total by component,
    and GPT-2 small beside it."""

    Params = ArchitectureParams

    # the "big" model of Table 3 (213 × 10⁶) against GPT-2 medium
    EXAMPLES = (
        {
            "d_model": 1024,
            "n_heads": 16,
            "d_ff": 4096,
            "paper_millions": 213,
            "gpt_d_model": 1024,
            "gpt_layers": 24,
            "gpt_heads": 16,
        },
    )

    STRINGS = {
        "en": {
            "title": "The whole Transformer",
            "subtitle": "Vaswani et al. 2017: an encoder and a decoder stack, and where the parameters sit",
            "encoder": "encoder",
            "decoder": "decoder",
            "stack_name": "{s} × {n}",
            "embedding": "embedding + positions",
            "head": "linear (tied) + softmax",
            "self_attn": "self-attention",
            "masked_self_attn": "masked self-attention",
            "cross_attn": "cross-attention",
            "ffn": "feed-forward",
            "norm": "add & norm",
            "cfg_d_model": "d_model = {v}",
            "cfg_d_ff": "d_ff = {v}",
            "cfg_heads": "h = {v} heads",
            "cfg_vocab": "vocabulary {v}, shared",
            "cfg_layers": "N = {e} + {d} layers",
            "row_one_layer": "one layer",
            "row_n": "layers",
            "row_stack": "stack + final norm",
            "bar_embedding": "embedding (shared)",
            "bar_enc_self_attn": "encoder self-attention",
            "bar_dec_self_attn": "decoder self-attention",
            "bar_cross_attn": "cross-attention",
            "bar_ffn": "feed-forward",
            "bar_norms": "LayerNorms",
            "base_heading": "encoder–decoder, {e} + {d} layers",
            "total": "total {v} ({c})",
            "paper": "Table {t} of the paper: {m} × 10⁶",
            "conventions": "counted with",
            "conv_shared": "one V × d matrix for source, target and pre-softmax",
            "conv_bias": "biases in every projection",
            "conv_norm": "LayerNorm γ, β; a final norm per stack",
            "conv_pos": "sinusoidal positions: no parameters",
            "gpt_heading": "GPT-2: decoder only, {n} layers",
            "gbar_embedding": "token embedding (tied)",
            "gbar_positions": "position table",
            "gbar_attn": "self-attention",
            "gbar_mlp": "MLP",
            "gbar_norms": "LayerNorms",
            "gpt_total": "total {v} ({c})",
            "col_what": "",
            "col_base": "Transformer",
            "col_gpt": "GPT-2",
            "row_layers": "layers",
            "row_d_model": "d_model",
            "row_d_ff": "d_ff",
            "row_heads": "heads",
            "row_vocab": "vocabulary",
            "row_positions": "positions",
            "row_params": "parameters",
            "enc_dec": "{e} + {d}",
            "sinusoid": "sinusoids",
        },
        "zh": {
            "title": "完整的 Transformer",
            "subtitle": "Vaswani 等 2017：编码器栈与解码器栈，参数都在哪里",
            "encoder": "编码器",
            "decoder": "解码器",
            "stack_name": "{s} × {n}",
            "embedding": "嵌入 + 位置编码",
            "head": "线性层（共享）+ softmax",
            "self_attn": "自注意力",
            "masked_self_attn": "掩码自注意力",
            "cross_attn": "交叉注意力",
            "ffn": "前馈网络",
            "norm": "残差 & 归一化",
            "cfg_d_model": "d_model = {v}",
            "cfg_d_ff": "d_ff = {v}",
            "cfg_heads": "h = {v} 个头",
            "cfg_vocab": "词表 {v}，两端共享",
            "cfg_layers": "N = {e} + {d} 层",
            "row_one_layer": "每层",
            "row_n": "层数",
            "row_stack": "整个栈 + 末尾归一化",
            "bar_embedding": "嵌入（共享）",
            "bar_enc_self_attn": "编码器自注意力",
            "bar_dec_self_attn": "解码器自注意力",
            "bar_cross_attn": "交叉注意力",
            "bar_ffn": "前馈网络",
            "bar_norms": "LayerNorm",
            "base_heading": "编码器–解码器，{e} + {d} 层",
            "total": "合计 {v}（{c}）",
            "paper": "论文表 {t}：{m} × 10⁶",
            "conventions": "计数约定",
            "conv_shared": "源端、目标端和 softmax 前共用一个 V × d 矩阵",
            "conv_bias": "每个投影都带偏置",
            "conv_norm": "LayerNorm 的 γ、β；每个栈末尾一个归一化",
            "conv_pos": "正弦位置编码：没有参数",
            "gpt_heading": "GPT-2：只有解码器，{n} 层",
            "gbar_embedding": "词嵌入（与输出层共享）",
            "gbar_positions": "位置表",
            "gbar_attn": "自注意力",
            "gbar_mlp": "MLP",
            "gbar_norms": "LayerNorm",
            "gpt_total": "合计 {v}（{c}）",
            "col_what": "",
            "col_base": "Transformer",
            "col_gpt": "GPT-2",
            "row_layers": "层数",
            "row_d_model": "d_model",
            "row_d_ff": "d_ff",
            "row_heads": "头数",
            "row_vocab": "词表",
            "row_positions": "位置",
            "row_params": "参数量",
            "enc_dec": "{e} + {d}",
            "sinusoid": "正弦函数",
        },
    }

    NARRATION = {
        "en": {
            "stacks": "Here is the whole model of Vaswani and colleagues: an encoder of {n_enc} identical "
            "layers on the left, a decoder of {n_dec} on the right. Vectors are {d} numbers wide, the "
            "feed-forward layers widen them to {d_ff}, and attention splits them into {h} heads.",
            "cross": "The stacks meet in the cross-attention: queries from the decoder, keys and values "
            "from the encoder's output. That is how each target word looks at the source.",
            "sublayers": "Now count. An attention sublayer is four d by d projections with biases: {attn} "
            "parameters. The feed-forward sublayer, d to d_ff and back: {ffn}. A LayerNorm, a scale and a "
            "shift per dimension: {norm}.",
            "stacks_total": "So an encoder layer holds {enc_layer}, a decoder layer, with its "
            "cross-attention, {dec_layer}. With a final norm each, the encoder stack holds {enc} and the "
            "decoder {dec}.",
            "components": "By component, the feed-forward layers weigh most, {ffn_total}. The embedding, "
            "{emb}, does three jobs: it embeds source and target tokens and, transposed, scores the "
            "output vocabulary.",
            "total": "In all, {total} parameters; Table {table} of the paper rounds the base model to "
            "{paper} million. Our count shares the embedding, has biases and LayerNorms everywhere, and "
            "sinusoidal positions, which cost nothing.",
            "gpt2": "For contrast, a decoder-only model, {gpt}: no encoder, no cross-attention, "
            "{gpt_layers} decoder layers of width {gpt_d}. Its {gpt_vocab}-token embedding is tied to the "
            "output, and it learns {gpt_pos} positions.",
            "gpt2_total": "That adds up to {gpt_total} parameters, on the same scale as the bars on the "
            "left.",
            "compare": "Side by side: {base} parameters against {gpt_total} for {gpt}. The same building "
            "blocks, arranged differently.",
        },
        "zh": {
            "stacks": "这就是 Vaswani 等人的完整模型：左边是 {n_enc} 个相同层组成的编码器，右边是 {n_dec} "
            "层的解码器。向量有 {d} 维，前馈层把它扩展到 {d_ff} 维，注意力把它拆成 {h} 个头。",
            "cross": "两个栈在交叉注意力处相遇：查询来自解码器，键和值来自编码器的输出。目标端的每个词就"
            "是这样去看源句子的。",
            "sublayers": "现在来数参数。注意力子层是四个带偏置的 d 乘 d 投影，共 {attn} 个；前馈子层从 d "
            "到 d_ff 再变回来，共 {ffn} 个；LayerNorm 每一维一个缩放一个平移，共 {norm} 个。",
            "stacks_total": "所以一个编码器层有 {enc_layer} 个参数，多了交叉注意力的解码器层有 "
            "{dec_layer} 个。各加一个末尾归一化，编码器栈共 {enc} 个，解码器栈共 {dec} 个。",
            "components": "按组件看，前馈层最重，{ffn_total}。嵌入有 {emb}，一个矩阵身兼三职：嵌入源端和"
            "目标端的 token，转置后再给输出词表打分。",
            "total": "总共 {total} 个参数；论文表 {table} 把基础模型写成约 {paper} 百万。我们的计数共享嵌"
            "入，处处带偏置和 LayerNorm，正弦位置编码不占参数。",
            "gpt2": "作为对照，只有解码器的 {gpt}：没有编码器，也没有交叉注意力，只有 {gpt_layers} 个宽度"
            "为 {gpt_d} 的解码器层。{gpt_vocab} 个 token 的嵌入与输出层共享，位置则学一张 {gpt_pos} 行的"
            "表。",
            "gpt2_total": "合起来是 {gpt_total} 个参数，和左边的柱子用的是同一个刻度。",
            "compare": "并排来看：{base} 个参数对 {gpt} 的 {gpt_total} 个。积木还是同样的积木，只是搭法不"
            "同。",
        },
    }

    def construct(self) -> None:
        self.compute()
        self.show_stacks()
        self.show_layer_params()
        self.show_components()
        self.show_gpt2()

    # --- numbers (all from lib/) -----------------------------------------------------------------
    def compute(self) -> None:
        p = self.params
        self.base = encoder_decoder_cost(
            p.vocab, p.d_model, p.n_encoder, p.n_decoder, p.n_heads, p.d_ff, 1, 1
        )
        self.base_groups = params_by_group(self.base, BASE_GROUPS)
        self.enc = self.base.part("encoder")
        self.dec = self.base.part("decoder")
        self.gpt = transformer_decoder_cost(
            p.gpt_vocab,
            p.gpt_d_model,
            p.gpt_layers,
            p.gpt_heads,
            4 * p.gpt_d_model,  # GPT-2's MLP is 4·d wide
            1,
            n_positions=p.gpt_positions,
        )
        self.gpt_groups = params_by_group(self.gpt, GPT_GROUPS)

    def count(self, n: int) -> str:
        return numbers.count(n, 3, locale=self.locale)

    # --- beats -------------------------------------------------------------------------------------
    def _stack(self, side: str, names: tuple[str, ...], layer, n: int, outside) -> VGroup:
        """One stack, bottom to top: its sublayer boxes in a frame named "encoder × n", and each sublayer's
        parameter count on the ``outside`` (shown from the second slide on; part of the layout from the
        start so that nothing moves when they appear)."""
        boxes, counts = VGroup(), VGroup()
        for name in names:
            is_norm = name.startswith("norm")
            if is_norm:
                color, label = theme.RESIDUAL, "norm"
            elif name == "ffn":
                color, label = FFN_COLOR, "ffn"
            elif name == "cross_attn":
                color, label = ATTN_SHADES[2], "cross_attn"
            else:
                decoder = side == "decoder"
                color, label = ATTN_SHADES[int(decoder)], "masked_self_attn" if decoder else "self_attn"
            boxes.add(
                Block(self.t(label), color=color, width=BLOCK_W, height=NORM_H if is_norm else SUBLAYER_H)
            )
            counts.add(
                number(
                    layer.part(name).params,
                    key="sublayer_params",
                    index=(side, name),
                    fmt=numbers.integer,
                    size=theme.SMALL,
                    color=color,
                )
            )
        boxes.arrange(UP, buff=theme.BUFF_SMALL)
        for box, c in zip(boxes, counts, strict=True):
            c.next_to(box, outside, buff=theme.BUFF_SMALL)
        frame = RoundedRectangle(
            corner_radius=0.15,
            width=boxes.width + 2 * theme.BUFF,
            height=boxes.height + 2 * theme.BUFF,
            stroke_color=theme.MUTED,
            stroke_width=2,
        ).move_to(boxes)
        name = tag(self.text("stack_name", size=theme.LABEL, s=self.t(side), n=n), "stack_layers", n, side)
        name.next_to(frame, UP, buff=theme.BUFF_TIGHT).align_to(frame, outside)
        group = VGroup(frame, boxes, name, counts)
        group.frame, group.boxes, group.name, group.counts = frame, boxes, name, counts
        return group

    def show_stacks(self) -> None:
        p = self.params
        self.header = self.title_bar("title", "subtitle")
        enc = self._stack("encoder", ENCODER, self.enc.part("layers.0"), p.n_encoder, LEFT)
        dec = self._stack("decoder", DECODER, self.dec.part("layers.0"), p.n_decoder, RIGHT)
        emb_e, emb_d = (
            Block(self.t("embedding"), color=theme.INPUT, width=BLOCK_W, height=0.5) for _ in "ed"
        )
        head = Block(self.t("head"), color=theme.OUTPUT, width=BLOCK_W + 0.7, height=0.5)
        for emb, stack in ((emb_e, enc), (emb_d, dec)):
            emb.next_to(stack.frame, DOWN, buff=theme.BUFF_LARGE)
        head.next_to(dec.name, UP, buff=theme.BUFF)
        columns = row(
            [VGroup(enc, emb_e), VGroup(dec, emb_d, head)], buff=1.5 * theme.BUFF_SECTION, align="bottom"
        )
        below(columns, self.header, buff=theme.BUFF)
        to_safe(columns, LEFT)
        links = VGroup(
            arrow(emb_e.get_top(), enc.frame.get_bottom()),
            arrow(emb_d.get_top(), dec.frame.get_bottom()),
            arrow(dec.name.get_top(), head.get_bottom()),
        )
        # the encoder's output climbs out of its stack and enters every decoder layer's cross-attention
        cross = dec.boxes[DECODER.index("cross_attn")]
        out = enc.frame.get_top() + (enc.frame.width / 2 - theme.BUFF_LARGE) * RIGHT
        rise = out + theme.BUFF * UP
        mid_x = (enc.frame.get_right()[0] + dec.frame.get_left()[0]) / 2
        bend, drop = np.array([mid_x, rise[1], 0.0]), np.array([mid_x, cross.get_y(), 0.0])
        memory = VGroup(
            *(
                Line(a, b, color=theme.ACCENT, stroke_width=3)
                for a, b in ((out, rise), (rise, bend), (bend, drop))
            ),
            arrow(drop, cross.get_left(), theme.ACCENT),
        )
        fmt = numbers.integer
        cfg = [
            ("layers", self.t("cfg_layers", e=p.n_encoder, d=p.n_decoder), (p.n_encoder, p.n_decoder)),
            ("d_model", self.t("cfg_d_model", v=fmt(p.d_model)), p.d_model),
            ("d_ff", self.t("cfg_d_ff", v=fmt(p.d_ff)), p.d_ff),
            ("heads", self.t("cfg_heads", v=fmt(p.n_heads)), p.n_heads),
            ("vocab", self.t("cfg_vocab", v=fmt(p.vocab)), p.vocab),
        ]
        card = Block(
            None,
            lines=[tag(self.plain(s, size=theme.LABEL), "config", v, k) for k, s, v in cfg],
            width=SAFE.right - columns.get_right()[0] - theme.BUFF_LARGE,
            spacing=theme.BUFF_SMALL,
            pad=theme.BUFF,
        )
        to_safe(card, RIGHT)
        card.align_to(columns, UP)
        self.diagram = VGroup(
            *(VGroup(s.frame, s.boxes, s.name) for s in (enc, dec)), emb_e, emb_d, head, links
        )
        self.enc_stack, self.dec_stack, self.card, self.memory = enc, dec, card, memory
        with self.beat(
            "stacks",
            n_enc=p.n_encoder,
            n_dec=p.n_decoder,
            d=fmt(p.d_model),
            d_ff=fmt(p.d_ff),
            h=p.n_heads,
        ):
            self.play(FadeIn(self.header))
            self.play(fade_in(self.diagram), FadeIn(card, shift=0.2 * LEFT))
            self.wait(HOLD)
        with self.beat("cross"):
            self.play(Create(memory))
            self.play(Indicate(cross, color=theme.ACCENT, scale_factor=1.05))
            self.wait(HOLD)
        self.next_slide()

    def show_layer_params(self) -> None:
        p, enc, dec = self.params, self.enc_stack, self.dec_stack
        stacks, layers = (self.enc, self.dec), (p.n_encoder, p.n_decoder)
        totals_col = NumberTable(  # one column per stack: a layer, how many, the stack with its final norm
            [
                [self.t("row_one_layer"), self.t("row_n"), self.t("row_stack")],
                *([c.part("layers.0").params, n, c.params] for c, n in zip(stacks, layers, strict=True)),
            ],
            header=["", self.t("encoder"), self.t("decoder")],
            formats=numbers.integer,
            colors=[theme.MUTED, theme.FG, theme.FG],
            key="stack_table",
            size=theme.SMALL,
            h_buff=0.3,
        )
        below(totals_col, self.card, buff=theme.BUFF_LARGE, align="right")
        fit_width(totals_col, SAFE.right - self.dec_stack.get_right()[0] - theme.BUFF)
        totals_col.align_to(self.card, RIGHT)
        layer = self.enc.part("layers.0")
        with self.beat(
            "sublayers",
            attn=numbers.integer(layer.part("self_attn").params),
            ffn=numbers.integer(layer.part("ffn").params),
            norm=numbers.integer(layer.part("norm1").params),
        ):
            self.play(FadeIn(enc.counts), FadeIn(dec.counts))
            self.wait(HOLD)
        with self.beat(
            "stacks_total",
            enc_layer=numbers.integer(self.enc.part("layers.0").params),
            dec_layer=numbers.integer(self.dec.part("layers.0").params),
            enc=numbers.integer(self.enc.params),
            dec=numbers.integer(self.dec.params),
        ):
            self.play(FadeIn(totals_col, shift=0.1 * UP))
            self.wait(HOLD)
        self.next_slide()
        self.play(FadeOut(VGroup(self.diagram, self.memory, self.card, enc.counts, dec.counts, totals_col)))

    def _bars(self, groups: dict[str, int], colors: dict, prefix: str, key: str, vmax: float) -> Bars:
        ids = list(groups)
        return Bars(
            [groups[g] for g in ids],
            key=key,
            labels=[self.t(f"{prefix}_{g}") for g in ids],
            color=[colors[g] for g in ids],
            label_color=[colors[g] for g in ids],
            fmt=numbers.integer,
            direction="horizontal",
            length=2.6,
            thickness=0.36,
            gap=0.2,
            vmax=vmax,
        )

    def show_components(self) -> None:
        p, g = self.params, self.base_groups
        vmax = max(*g.values(), *self.gpt_groups.values())  # one scale for both models' bars
        bars = self._bars(g, BASE_COLORS, "bar", "base_params", vmax)
        heading = self.text("base_heading", size=theme.LABEL, e=p.n_encoder, d=p.n_decoder)
        total = tag(
            self.text(
                "total",
                size=theme.LABEL,
                color=theme.ACCENT,
                v=numbers.integer(self.base.params),
                c=self.count(self.base.params),
            ),
            "base_total",
            self.base.params,
        )
        paper = tag(
            self.text("paper", size=theme.SMALL, color=theme.MUTED, t=PAPER_TABLE, m=p.paper_millions),
            "paper",
            p.paper_millions,
        )
        chart = column([heading, bars, total, paper], buff=theme.BUFF)
        below(chart, self.header, buff=theme.BUFF_SECTION)
        to_safe(chart, LEFT)
        conv = Block(
            None,
            lines=[
                self.text("conventions", size=theme.LABEL, color=theme.MUTED),
                *(
                    self.text(k, size=theme.SMALL, color=c)
                    for k, c in (
                        ("conv_shared", theme.INPUT),
                        ("conv_bias", theme.FG),
                        ("conv_norm", theme.RESIDUAL),
                        ("conv_pos", theme.INPUT),
                    )
                ),
            ],
            width=SAFE.right - chart.get_right()[0] - theme.BUFF_LARGE,
            spacing=theme.BUFF_SMALL,
            pad=theme.BUFF,
        )
        to_safe(conv, RIGHT)
        conv.align_to(bars, UP)
        with self.beat(
            "components",
            ffn_total=numbers.integer(g["ffn"]),
            emb=numbers.integer(g["embedding"]),
        ):
            self.play(FadeIn(heading), bars.grow())
            self.wait(HOLD)
        with self.beat(
            "total",
            total=numbers.integer(self.base.params),
            paper=p.paper_millions,
            table=PAPER_TABLE,
        ):
            self.play(FadeIn(total), FadeIn(paper))
            self.play(FadeIn(conv, shift=0.2 * LEFT))
            self.wait(HOLD)
        self.next_slide()
        self.base_chart, self.conv = chart, conv

    def show_gpt2(self) -> None:
        p, g = self.params, self.gpt_groups
        vmax = max(*self.base_groups.values(), *g.values())
        bars = self._bars(g, GPT_COLORS, "gbar", "gpt_params", vmax)
        heading = self.text("gpt_heading", size=theme.LABEL, n=p.gpt_layers)
        total = tag(
            self.text(
                "gpt_total",
                size=theme.LABEL,
                color=theme.ACCENT,
                v=numbers.integer(self.gpt.params),
                c=self.count(self.gpt.params),
            ),
            "gpt_total",
            self.gpt.params,
        )
        fmt = numbers.integer
        base_col = [
            self.t("enc_dec", e=p.n_encoder, d=p.n_decoder),
            fmt(p.d_model),
            fmt(p.d_ff),
            fmt(p.n_heads),
            fmt(p.vocab),
            self.t("sinusoid"),
            fmt(self.base.params),
        ]
        gpt_col = [
            fmt(p.gpt_layers),
            fmt(p.gpt_d_model),
            fmt(4 * p.gpt_d_model),
            fmt(p.gpt_heads),
            fmt(p.gpt_vocab),
            fmt(p.gpt_positions),
            fmt(self.gpt.params),
        ]
        table = NumberTable(
            [[self.t(f"row_{r}") for r in CMP_ROWS], base_col, gpt_col],
            header=[self.t("col_what"), self.t("col_base"), self.t("col_gpt")],
            colors=[theme.MUTED, theme.FG, theme.FG],
            keys=[None, "cmp_base", "cmp_gpt"],
            size=theme.SMALL,
        )
        chart = column([heading, bars, total], buff=theme.BUFF)
        below(chart, self.header, buff=theme.BUFF_SECTION)
        to_safe(chart, RIGHT)  # beside the base model's bars, on the same scale
        to_safe(table, LEFT)  # later, where the base model's bars were
        table.align_to(chart, UP)
        with self.beat(
            "gpt2",
            gpt=GPT_NAME,
            gpt_layers=p.gpt_layers,
            gpt_d=fmt(p.gpt_d_model),
            gpt_vocab=fmt(p.gpt_vocab),
            gpt_pos=fmt(p.gpt_positions),
        ):
            self.play(FadeOut(self.conv))
            self.play(FadeIn(heading), bars.grow())
            self.wait(HOLD)
        with self.beat("gpt2_total", gpt=GPT_NAME, gpt_total=fmt(self.gpt.params)):
            self.play(FadeIn(total, shift=0.1 * UP))
            self.wait(HOLD)
        self.next_slide()
        with self.beat("compare", gpt=GPT_NAME, base=fmt(self.base.params), gpt_total=fmt(self.gpt.params)):
            self.play(FadeOut(self.base_chart), fade_in(table))
            self.wait(HOLD)
