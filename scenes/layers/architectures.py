"""Architectures compared: ResNet-18 vs ViT-Tiny on one image (parameters, FLOPs, activation memory), ViT's
patch embedding worked out, and RNN vs LSTM vs GRU vs a Transformer layer on one sequence task.

He et al. 2016 (ResNet-18, Table 1); Dosovitskiy et al. 2021, eq. 1 (patch embedding) with DeiT-Ti's sizes
(Touvron et al. 2021); Hochreiter & Schmidhuber 1997 (LSTM); Cho et al. 2014 (GRU); Vaswani et al. 2017.
FLOPs here are 2 × the multiply-accumulates of matmuls and convolutions: what FlopCounterMode reports.
"""

from __future__ import annotations

from manim import FadeIn, FadeOut, VGroup, Write

from lib.arithmetic.cost_vision import (
    ViTConfig,
    patch_embedding_cost,
    resnet18_cost,
    sequence_layers_cost,
    vit_cost,
)
from scenes.engine.base import LectureScene
from scenes.engine.registry import register
from scenes.kit import numbers, theme
from scenes.kit.bars import Bars
from scenes.kit.formula import Num, formula
from scenes.kit.frame import below, column, fit_width, row
from scenes.kit.record import tag
from scenes.layers.params.architectures import PATCH
from scenes.layers.params.architectures import Params as ArchitecturesParams

HOLD = theme.HOLD_SHORT  # seconds to read a slide (scenes/kit/theme.py)
VISION = ("cnn", "vit")
SEQUENCE = ("RNN", "LSTM", "GRU", "Transformer")
BAR_LENGTH = 2.6  # the tallest bar of each chart


def _tex_int(n: float) -> str:
    return numbers.integer(n, tex=True)


@register("layers.architectures")
class Architectures(LectureScene):
    """ResNet-18 vs ViT-Tiny, ViT's patch embedding, and four sequence layers: parameters, FLOPs, memory."""

    Params = ArchitecturesParams
    EXAMPLES = ({"image": 160, "seq_len": 64, "d_model": 128, "heads": 2},)

    STRINGS = {
        "en": {
            "title": "Architectures compared",
            "subtitle": "the same questions asked of different networks",
            "vision_head": "One {image} × {image} image, batch 1",
            "cnn": "ResNet-18",
            "vit": "ViT-Tiny",
            "params": "parameters",
            "flops": "FLOPs",
            "memory": "activations (fp32)",
            "patch_head": "ViT's patch embedding: the image becomes a sequence",
            "tokens": "{patches} patches + 1 class token = {tokens} tokens",
            "embed": "patch embedding: {params} parameters",
            "seq_head": "One sequence layer, T = {t} tokens of width d = {d}",
        },
        "zh": {
            "title": "架构对比",
            "subtitle": "对不同的网络问同样的问题",
            "vision_head": "一张 {image} × {image} 的图像，batch 为 1",
            "cnn": "ResNet-18",
            "vit": "ViT-Tiny",
            "params": "参数量",
            "flops": "FLOPs",
            "memory": "激活内存（fp32）",
            "patch_head": "ViT 的 patch embedding：把图像变成序列",
            "tokens": "{patches} 个 patch + 1 个分类 token = {tokens} 个 token",
            "embed": "patch embedding：{params} 个参数",
            "seq_head": "一层序列模型：T = {t} 个 token，宽度 d = {d}",
        },
    }

    NARRATION = {
        "en": {
            "vision": "Take two image classifiers. The residual network has {r_params} parameters, "
            "ViT-Tiny only {v_params}. Per image ResNet needs {r_flops} and ViT {v_flops}; "
            "the forward pass keeps {r_mem} of activations for ResNet and {v_mem} for ViT.",
            "vision_why": "The convolution reuses a small kernel everywhere, so few weights do a lot of work "
            "on large feature maps. The ViT works on a short sequence of wide tokens, and its attention "
            "stores a score for every pair of tokens in every layer.",
            "patch": "How does a Transformer read an image? Cut it into {patch} by {patch} pixel patches: "
            "{side} along each side, {patches} in all. Each patch is {values} numbers, projected to a "
            "vector of width {d}.",
            "tokens": "With the class token that is a sequence of {tokens} tokens. The projection is "
            "simply a convolution with stride equal to its kernel, and it holds {embed} parameters.",
            "sequence": "Now sequences: {t} tokens of width {d}. The RNN has {rnn} parameters. The LSTM "
            "has four gates, so four times as many, {lstm}; the GRU has three, {gru}.",
            "sequence_why": "The Transformer layer with its feed-forward block holds {tf} and needs "
            "{tf_flops} against the LSTM's {lstm_flops}. But it handles all tokens at once, while a "
            "recurrent layer must take its steps one after another.",
        },
        "zh": {
            "vision": "先看两个图像分类网络。残差网络有 {r_params} 个参数，ViT-Tiny 只有 {v_params}。"
            "每张图 ResNet 需要 {r_flops}，ViT 需要 {v_flops}；前向传播要保存的激活，ResNet 是 {r_mem}，"
            "ViT 是 {v_mem}。",
            "vision_why": "卷积在每个位置重复使用同一个小卷积核，少量权重就能在大特征图上做大量计算。"
            "ViT 处理的是一段较短但很宽的 token 序列，而注意力在每一层都要为每一对 token 存一个分数。",
            "patch": "Transformer 怎么读图像？把它切成 {patch} × {patch} 像素的小块：每边 {side} 块，"
            "一共 {patches} 块。每块有 {values} 个数，投影成宽度为 {d} 的向量。",
            "tokens": "加上分类 token，就是 {tokens} 个 token 的序列。这个投影其实就是步幅等于卷积核大小的"
            "卷积，它有 {embed} 个参数。",
            "sequence": "再看序列：{t} 个宽度为 {d} 的 token。RNN 有 {rnn} 个参数。LSTM 有四个门，"
            "所以是四倍，{lstm}；GRU 有三个门，{gru}。",
            "sequence_why": "带前馈层的 Transformer 层有 {tf} 个参数，需要 {tf_flops}，LSTM 是 {lstm_flops}。"
            "但它一次处理所有 token，而循环层只能一步接一步地算。",
        },
    }

    def construct(self) -> None:
        self.compute()
        self.header = self.title_bar("title", "subtitle")
        self.show_vision()
        self.show_patches()
        self.show_sequence()

    # --- numbers (all from lib/) -----------------------------------------------------------------
    def compute(self) -> None:
        p = self.params
        self.vit_cfg = ViTConfig(image=p.image, patch=PATCH)
        self.vision = {"cnn": resnet18_cost(p.image), "vit": vit_cost(self.vit_cfg)}
        self.embed = patch_embedding_cost(self.vit_cfg)
        self.seq = sequence_layers_cost(p.seq_len, p.d_model, p.heads, 4 * p.d_model)

    # --- helpers -------------------------------------------------------------------------------------
    def _count(self, n: float) -> str:
        return numbers.count(n, locale=self.locale)

    @staticmethod
    def _flops(n: float) -> str:
        return numbers.flops(n)

    @staticmethod
    def _mem(n: float) -> str:
        return numbers.byte_size(n, 1)

    def _chart(
        self, values: list[float], key: str, caption: str, names: list[str], colors: list, fmt
    ) -> VGroup:
        bars = Bars(
            values, key=key, labels=names, color=colors, fmt=fmt, length=BAR_LENGTH, size=theme.LABEL, gap=0.4
        )
        return column(
            [self.text(caption, size=theme.LABEL, color=theme.FG), bars], buff=theme.BUFF, align="center"
        )

    # --- beats ---------------------------------------------------------------------------------------
    def show_vision(self) -> None:
        p, v = self.params, self.vision
        head = self.text("vision_head", size=theme.BODY, image=p.image)
        below(head, self.header, buff=theme.BUFF_SECTION)
        names = [self.t(k) for k in VISION]
        colors = [theme.ARCH[k] for k in VISION]
        charts = [
            self._chart([v[k].params for k in VISION], "v_params", "params", names, colors, self._count),
            self._chart([v[k].matmul_flops for k in VISION], "v_flops", "flops", names, colors, self._flops),
            self._chart(
                [v[k].activation_bytes(4) for k in VISION], "v_memory", "memory", names, colors, self._mem
            ),
        ]
        body = fit_width(row(charts, buff=theme.BUFF_SECTION * 2, align="bottom"))
        below(body, head, buff=theme.BUFF_LARGE, align="center").set_x(0)
        r, t = v["cnn"], v["vit"]
        with self.beat(
            "vision",
            r_params=self._count(r.params),
            v_params=self._count(t.params),
            r_flops=self._flops(r.matmul_flops),
            v_flops=self._flops(t.matmul_flops),
            r_mem=self._mem(r.activation_bytes(4)),
            v_mem=self._mem(t.activation_bytes(4)),
        ):
            self.play(FadeIn(self.header), FadeIn(head))
            for c in charts:
                self.play(FadeIn(c[0]), c[1].grow())
        with self.beat("vision_why"):
            self.wait(HOLD)
        self.next_slide()
        self.play(FadeOut(VGroup(head, *charts)))

    def show_patches(self) -> None:
        c, e = self.vit_cfg, self.embed
        head = self.text("patch_head", size=theme.BODY)
        below(head, self.header, buff=theme.BUFF_SECTION)
        patch_colors = theme.INPUT
        pieces: list[tuple[str | Num, object]] = [
            ("N", theme.FG),
            (r"&= \left(", theme.FG),
            (Num(c.image, "f_image", fmt=_tex_int), patch_colors),
            ("/", theme.FG),
            (Num(c.patch, "f_patch", fmt=_tex_int), theme.WEIGHT),
            (r"\right)^2 =", theme.FG),
            (Num(c.side, "f_side", fmt=_tex_int), theme.FG),
            ("^2 =", theme.FG),
            (Num(c.patches, "f_patches", fmt=_tex_int), theme.FG),
            (r"\\ E &\in \mathbb{R}^{", theme.FG),
            (Num(c.patch, "f_patch_h", fmt=_tex_int), theme.WEIGHT),
            (r"\cdot", theme.FG),
            (Num(c.patch, "f_patch_w", fmt=_tex_int), theme.WEIGHT),
            (r"\cdot", theme.FG),
            (Num(c.channels, "f_channels", fmt=_tex_int), theme.INPUT),
            (r"\,\times\,", theme.FG),
            (Num(c.d_model, "f_d", fmt=_tex_int), theme.OUTPUT),
            (r"} = \mathbb{R}^{", theme.FG),
            (Num(c.patch_values, "f_values", fmt=_tex_int), theme.INPUT),
            (r"\times", theme.FG),
            (Num(c.d_model, "f_d2", fmt=_tex_int), theme.OUTPUT),
            ("}", theme.FG),
        ]
        eq = formula(*[pc for pc, _ in pieces], font_size=44)
        for part, col in zip(eq.submobjects, [col for _, col in pieces], strict=True):
            part.set_color(col)
        tokens = tag(
            self.text(
                "tokens",
                size=theme.BODY,
                patches=numbers.integer(c.patches),
                tokens=numbers.integer(c.tokens),
            ),
            "tokens",
            c.tokens,
        )
        embed = tag(
            self.text("embed", size=theme.BODY, color=theme.WEIGHT, params=numbers.integer(e.params)),
            "embed_params",
            e.params,
        )
        body = column([eq, tokens, embed], buff=theme.BUFF_LARGE, align="left")
        fit_width(body)
        below(body, head, buff=theme.BUFF_LARGE)
        with self.beat(
            "patch",
            patch=c.patch,
            side=c.side,
            patches=numbers.integer(c.patches),
            values=numbers.integer(c.patch_values),
            d=c.d_model,
        ):
            self.play(FadeIn(head), Write(eq))
            self.wait(HOLD / 2)
        with self.beat("tokens", tokens=numbers.integer(c.tokens), embed=numbers.integer(e.params)):
            self.play(FadeIn(tokens))
            self.play(FadeIn(embed))
            self.wait(HOLD)
        self.next_slide()
        self.play(FadeOut(VGroup(head, body)))

    def show_sequence(self) -> None:
        p, s = self.params, self.seq
        head = self.text(
            "seq_head", size=theme.BODY, t=numbers.integer(p.seq_len), d=numbers.integer(p.d_model)
        )
        below(head, self.header, buff=theme.BUFF_SECTION)
        names = list(SEQUENCE)
        colors = [theme.ARCH[k.lower()] for k in SEQUENCE]
        charts = [
            self._chart([s[k].params for k in SEQUENCE], "s_params", "params", names, colors, self._count),
            self._chart(
                [s[k].matmul_flops for k in SEQUENCE], "s_flops", "flops", names, colors, self._flops
            ),
        ]
        body = fit_width(row(charts, buff=theme.BUFF_SECTION * 2, align="bottom"))
        below(body, head, buff=theme.BUFF_LARGE, align="center").set_x(0)
        with self.beat(
            "sequence",
            t=numbers.integer(p.seq_len),
            d=numbers.integer(p.d_model),
            rnn=self._count(s["RNN"].params),
            lstm=self._count(s["LSTM"].params),
            gru=self._count(s["GRU"].params),
        ):
            self.play(FadeIn(head))
            self.play(FadeIn(charts[0][0]), charts[0][1].grow())
        with self.beat(
            "sequence_why",
            tf=self._count(s["Transformer"].params),
            tf_flops=self._flops(s["Transformer"].matmul_flops),
            lstm_flops=self._flops(s["LSTM"].matmul_flops),
        ):
            self.play(FadeIn(charts[1][0]), charts[1][1].grow())
            self.wait(HOLD)
