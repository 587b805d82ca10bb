"""One encoder layer and one decoder layer end to end (Vaswani et al. 2017, §3.1 and Fig. 1): the data path
with the shape after every box and the first token's first numbers after every sublayer, then the
cross-attention weights. The numbers are ``lib.transformer.layers``'; the tests check them against
``torch.nn.TransformerEncoderLayer`` / ``TransformerDecoderLayer`` with the same weights.
"""

from __future__ import annotations

import numpy as np
from manim import RIGHT, UP, Create, LaggedStart, Line, VGroup

from lib.transformer.layers import (
    decoder_layer,
    encoder_layer,
    init_decoder_layer_weights,
    init_encoder_layer_weights,
)
from scenes.engine.base import LectureScene
from scenes.engine.registry import register
from scenes.kit import numbers, theme
from scenes.kit.anim import fade_in, fade_out
from scenes.kit.diagram import LINK, Block, arrow, elbow
from scenes.kit.frame import below, column, fit_width, row
from scenes.kit.matrix import Heatmap, column_heatmap
from scenes.kit.record import tag
from scenes.kit.text import text
from scenes.transformer.params.layers import Params as LayersParams

HOLD = theme.HOLD  # seconds to read a slide (scenes/kit/theme.py)
BLOCK_W = 1.7  # every box of the data path one size, whatever its title
BLOCK_H = 1.15
VALUE_CELL, VALUE_CELL_H = 0.78, 0.46  # a value chip under a box: "−1.23" at theme.NUMBER fits
ARC_RISE = 0.4  # how far a residual skip runs above the boxes
ENC_SEED_OFFSET, DEC_SEED_OFFSET = 0, 1  # encoder and decoder weights from neighbouring seeds


@register("transformer.layers")
class Layers(LectureScene):
    """An encoder layer (self-attention, add & norm, FFN, add & norm) and a decoder layer (masked
    self-attention, cross-attention over the encoder output, FFN), shapes and values at every step."""

    Params = LayersParams

    EXAMPLES = (
        {
            "d_model": 12,
            "n_heads": 3,
            "d_ff": 48,
            "src_len": 5,
            "tgt_len": 4,
            "activation": "gelu",
            "seed": 4,
        },
    )

    STRINGS = {
        "en": {
            "title": "One encoder layer, one decoder layer",
            "subtitle": "Vaswani et al. 2017, §3.1 — post-norm, as in the paper and in PyTorch's default",
            "enc_head": "Encoder layer: {T} source tokens of width {d}, {h} heads",
            "dec_head": "Decoder layer: {T} target tokens; keys and values from the encoder's output",
            "input_src": "source x",
            "input_tgt": "target y",
            "self_attn": "self-\nattention",
            "masked_attn": "masked\nself-attention",
            "cross_attn": "cross-\nattention",
            "add_norm": "add & norm",
            "ffn": "FFN",
            "ffn_width": "{d} → {f} → {d}",
            "memory": "encoder output: K, V",
            "values": "under each box: token 1, dimensions 1–{k}, after it",
            "cross_head": "Cross-attention weights: each target token over the source tokens",
            "head": "head {h}",
            "src_tok": "x{i}",
            "tgt_tok": "y{i}",
            "torch": "These are the numbers of PyTorch's nn.TransformerEncoderLayer and "
            "nn.TransformerDecoderLayer\nwith the same weights (the tests check every value drawn here).",
        },
        "zh": {
            "title": "一个编码器层，一个解码器层",
            "subtitle": "Vaswani 等 2017，§3.1 —— 后置归一化，与论文及 PyTorch 默认一致",
            "enc_head": "编码器层：{T} 个源 token，宽度 {d}，{h} 个头",
            "dec_head": "解码器层：{T} 个目标 token；键和值来自编码器的输出",
            "input_src": "源序列 x",
            "input_tgt": "目标序列 y",
            "self_attn": "自注意力",
            "masked_attn": "掩码\n自注意力",
            "cross_attn": "交叉注意力",
            "add_norm": "残差 + 归一化",
            "ffn": "FFN",
            "ffn_width": "{d} → {f} → {d}",
            "memory": "编码器输出：K、V",
            "values": "每个方框下方：第 1 个 token 在该步之后的前 {k} 维",
            "cross_head": "交叉注意力权重：每个目标 token 对各源 token 的注意力",
            "head": "第 {h} 个头",
            "src_tok": "x{i}",
            "tgt_tok": "y{i}",
            "torch": "这些数与 PyTorch 的 nn.TransformerEncoderLayer 和 nn.TransformerDecoderLayer\n"
            "在相同权重下的结果一致（测试逐一核对了这里画出的每个数）。",
        },
    }

    NARRATION = {
        "en": {
            "enc_path": "Here is one encoder layer, end to end. {T} source tokens of width {d} go through "
            "self-attention, then the input is added back and normalised. The feed-forward network widens "
            "each token to {f} and back, and again we add and normalise. Every box keeps the shape: "
            "that is what lets us stack layers.",
            "enc_values": "Follow the first token's numbers. Its first entry enters as {x0}; after "
            "attention and the residual addition with normalisation it is {n0}, and it leaves the layer "
            "as {y0}.",
            "dec_path": "The decoder layer has three sublayers. Masked self-attention lets each of the {T} "
            "target tokens look only at earlier ones. Cross-attention takes its queries from the decoder "
            "and its keys and values from the encoder's output. Then the same feed-forward network.",
            "dec_values": "The first target token enters as {x0} in its first entry and leaves as {y0}. "
            "Each sublayer adds to the stream, and each norm brings it back to a steady scale.",
            "cross": "These are the cross-attention weights: one row per target token, one column per "
            "source token. In head one, the first target token gives {w} of its attention to source "
            "token {tok}. The projections here are random, not trained, so no pattern is to be expected.",
            "torch": "Every number in this scene equals what PyTorch's own encoder and decoder layers "
            "compute with the same weights; the tests check each one.",
        },
        "zh": {
            "enc_path": "这是一个完整的编码器层。{T} 个宽度为 {d} 的源 token 先经过自注意力，"
            "再把输入加回来并做归一化。前馈网络把每个 token 扩展到 {f} 维再压回来，"
            "然后再次相加、归一化。每个方框都保持形状不变，所以层才能一层层堆叠。",
            "enc_values": "跟着第一个 token 的数走。它的第一个分量进入时是 {x0}；经过注意力、"
            "残差相加和归一化后变成 {n0}；离开这一层时是 {y0}。",
            "dec_path": "解码器层有三个子层。掩码自注意力让 {T} 个目标 token 只能看到前面的 token。"
            "交叉注意力的查询来自解码器，键和值来自编码器的输出。最后是同样的前馈网络。",
            "dec_values": "第一个目标 token 的第一个分量进入时是 {x0}，离开时是 {y0}。"
            "每个子层都往残差流上加东西，每次归一化再把它拉回稳定的尺度。",
            "cross": "这是交叉注意力的权重：每行是一个目标 token，每列是一个源 token。"
            "在第一个头里，第一个目标 token 把 {w} 的注意力给了源 token {tok}。"
            "这里的投影矩阵是随机的、未经训练，所以不要期待看出什么规律。",
            "torch": "这个场景里的每个数，都等于 PyTorch 自带的编码器层和解码器层在相同权重下的计算结果；"
            "测试逐一核对过。",
        },
    }

    def construct(self) -> None:
        self.compute()
        self.header = self.title_bar("title", "subtitle")
        self.add(self.header)
        self.show_encoder()
        self.show_decoder()
        self.show_cross_weights()

    def compute(self) -> None:
        p = self.params
        self.src, self.tgt = p.inputs()  # (1, S, d), (1, T, d)
        w_enc = init_encoder_layer_weights(p.d_model, p.d_ff, seed=p.seed + ENC_SEED_OFFSET)
        w_dec = init_decoder_layer_weights(p.d_model, p.d_ff, seed=p.seed + DEC_SEED_OFFSET)
        self.enc = encoder_layer(self.src, w_enc, p.n_heads, p.activation)
        self.dec = decoder_layer(self.tgt, self.enc.y, w_dec, p.n_heads, p.activation)

    # --- the data path ----------------------------------------------------------------------------------
    def stage_block(self, key: str, name: str, color, rows: int) -> Block:
        """A box of the path with the shape of what leaves it (tagged ``("shape", (name,))``)."""
        p = self.params
        lines = []
        if key == "ffn":
            lines = [(self.t("ffn_width", d=p.d_model, f=p.d_ff), theme.MUTED)]
        return Block(
            self.t(key), name=name, shape=(rows, p.d_model), lines=lines, color=color, width=BLOCK_W,
            height=BLOCK_H,
        )  # fmt: skip

    def data_path(self, prefix: str, stages: list[tuple[str, str, object, np.ndarray]], rows: int) -> VGroup:
        """The input and its boxes left to right, a residual skip over every sublayer into its add & norm,
        and under every node a column of the first token's first numbers after it.

        ``stages``: (string key, reading name, colour, the (T, d) values after it); the first is the input.
        """
        k = self.params.shown_dims
        in_key, in_name, in_color, in_values = stages[0]
        inp = column(
            [
                self.text(in_key, size=theme.SMALL, color=in_color),
                tag(
                    text(numbers.shape((rows, self.params.d_model)), size=theme.NUMBER),
                    "shape",
                    None,
                    (f"{prefix}_{in_name}",),
                ),
            ],
            buff=theme.BUFF_TIGHT,
            align="center",
        )
        nodes = [inp] + [
            self.stage_block(key, f"{prefix}_{name}", color, rows) for key, name, color, _ in stages[1:]
        ]
        row(nodes, buff=LINK)
        links = VGroup(
            *[
                arrow(a.get_right(), b.get_left(), theme.RESIDUAL if i else theme.INPUT)
                for i, (a, b) in enumerate(zip(nodes, nodes[1:], strict=False))
            ]
        )
        skips = VGroup()
        top = max(n.get_top()[1] for n in nodes) + ARC_RISE
        for i, (key, *_) in enumerate(stages):
            if key != "add_norm":
                continue
            sub_in = links[i - 2]  # the arrow into the sublayer before this add & norm
            start = sub_in.get_center()
            rise = Line(start, [start[0], top, 0.0], color=theme.RESIDUAL, stroke_width=3)
            skips.add(VGroup(rise, elbow(rise.get_end(), nodes[i].get_top(), theme.RESIDUAL, first="x")))
        values = VGroup()
        top = min(n.get_bottom()[1] for n in nodes) - theme.BUFF  # every column starts on one line
        for node, (_, name, _, v) in zip(nodes, stages, strict=True):
            col = column_heatmap(
                v[0, 0, :k], key=f"{prefix}_{name}", cell=VALUE_CELL, cell_height=VALUE_CELL_H,
                fmt=lambda x: numbers.fixed(x, 2),
            )  # fmt: skip
            col.set_x(node.get_x()).shift((top - col.get_top()[1]) * UP)
            values.add(col)
        return VGroup(VGroup(*nodes), links, skips, values)

    def show_encoder(self) -> None:
        p, enc = self.params, self.enc
        head = self.text("enc_head", size=theme.LABEL, T=p.src_len, d=p.d_model, h=p.n_heads)
        below(head, self.header, buff=theme.BUFF)
        stages = [
            ("input_src", "in", theme.INPUT, self.src),
            ("self_attn", "attn", theme.FG, enc.self_attn.sublayer_out),
            ("add_norm", "norm1", theme.RESIDUAL, enc.self_attn.y),
            ("ffn", "ffn", theme.FG, enc.ffn.sublayer_out),
            ("add_norm", "norm2", theme.OUTPUT, enc.ffn.y),
        ]
        path = self.data_path("enc", stages, p.src_len)
        note = self.text("values", size=theme.SMALL, color=theme.MUTED, k=p.shown_dims)
        body = fit_width(column([path, note], buff=theme.BUFF, align="center"))
        below(body, head, buff=theme.BUFF_LARGE + ARC_RISE).set_x(0)
        nodes, links, skips, values = path
        with self.beat(
            "enc_path", T=numbers.integer(p.src_len), d=numbers.integer(p.d_model), f=numbers.integer(p.d_ff)
        ):
            self.play(fade_in(head), fade_in(nodes[0]))
            for link, node in zip(links, nodes[1:], strict=True):
                self.play(Create(link), fade_in(node), run_time=0.6)
            self.play(LaggedStart(*[Create(s) for s in skips], lag_ratio=0.5))
        said = [numbers.fixed(v[0, 0, 0], 2) for *_, v in stages]  # each value as its column writes it
        with self.beat("enc_values", x0=said[0], n0=said[2], y0=said[4]):
            self.play(LaggedStart(*[fade_in(v) for v in values], lag_ratio=0.3), fade_in(note), run_time=2.0)
            self.wait(HOLD)
        self.next_slide()
        self.play(fade_out(VGroup(head, body)))

    def show_decoder(self) -> None:
        p, dec = self.params, self.dec
        head = self.text("dec_head", size=theme.LABEL, T=p.tgt_len)
        below(head, self.header, buff=theme.BUFF)
        stages = [
            ("input_tgt", "in", theme.INPUT, self.tgt),
            ("masked_attn", "self", theme.FG, dec.self_attn.sublayer_out),
            ("add_norm", "norm1", theme.RESIDUAL, dec.self_attn.y),
            ("cross_attn", "cross", theme.FG, dec.cross_attn.sublayer_out),
            ("add_norm", "norm2", theme.RESIDUAL, dec.cross_attn.y),
            ("ffn", "ffn", theme.FG, dec.ffn.sublayer_out),
            ("add_norm", "norm3", theme.OUTPUT, dec.ffn.y),
        ]
        path = self.data_path("dec", stages, p.tgt_len)
        nodes, links, skips, values = path
        cross = nodes[3]
        memory = VGroup(
            self.text("memory", size=theme.SMALL, color=theme.VALUE),
            tag(text(numbers.shape((p.src_len, p.d_model)), size=theme.NUMBER), "shape", None, ("memory",)),
        ).arrange(RIGHT, buff=theme.BUFF_SMALL)
        memory.next_to(cross, UP, buff=2 * ARC_RISE + theme.BUFF).set_x(cross.get_x())
        feed = arrow(memory.get_bottom(), cross.get_top(), theme.VALUE)
        note = self.text("values", size=theme.SMALL, color=theme.MUTED, k=p.shown_dims)
        body = fit_width(column([VGroup(memory, feed, path), note], buff=theme.BUFF, align="center"))
        below(body, head, buff=theme.BUFF).set_x(0)
        with self.beat("dec_path", T=numbers.integer(p.tgt_len)):
            self.play(fade_in(head), fade_in(nodes[0]))
            for link, node in zip(links, nodes[1:], strict=True):
                self.play(Create(link), fade_in(node), run_time=0.5)
            self.play(LaggedStart(*[Create(s) for s in skips], lag_ratio=0.4))
            self.play(fade_in(memory), Create(feed))
        said = [numbers.fixed(v[0, 0, 0], 2) for *_, v in stages]
        with self.beat("dec_values", x0=said[0], y0=said[-1]):
            self.play(LaggedStart(*[fade_in(v) for v in values], lag_ratio=0.25), fade_in(note), run_time=2.0)
            self.wait(HOLD)
        self.next_slide()
        self.play(fade_out(VGroup(head, body)))

    def show_cross_weights(self) -> None:
        p = self.params
        weights = self.dec.cross_attn.detail.weights[0]  # (H, T, S)
        head = self.text("cross_head", size=theme.LABEL)
        below(head, self.header, buff=theme.BUFF)
        src = [self.t("src_tok", i=i + 1) for i in range(p.src_len)]
        tgt = [self.t("tgt_tok", i=i + 1) for i in range(p.tgt_len)]
        maps = []
        for h in range(p.n_heads):
            hm = Heatmap(
                weights[h], key="cross_weights_" + str(h), scale="sequential", cell=0.66,
                fmt=lambda x: numbers.fixed(x, 2), row_labels=tgt, col_labels=src,
            )  # fmt: skip
            maps.append(column([self.text("head", size=theme.SMALL, h=h + 1), hm], align="center"))
        grid = fit_width(row(maps, buff=theme.BUFF_SECTION, align="top"))
        below(grid, head, buff=theme.BUFF_LARGE).set_x(0)
        torch_note = self.text("torch", size=theme.SMALL, color=theme.ACCENT)
        fit_width(torch_note)
        below(torch_note, grid, buff=theme.BUFF_LARGE).set_x(0)
        j = int(np.argmax(weights[0, 0]))  # the source token the first target token attends to most (head 1)
        mark = maps[0][1].highlight_cell(0, j)
        with self.beat("cross", w=numbers.fixed(weights[0, 0, j], 2), tok=src[j]):
            self.play(fade_in(head))
            self.play(LaggedStart(*[fade_in(m) for m in maps], lag_ratio=0.3))
            self.play(Create(mark))
        self.next_slide()
        with self.beat("torch"):
            self.play(fade_in(torch_note))
            self.wait(HOLD)
