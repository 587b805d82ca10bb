"""Cost of two image classifiers and of four sequence layers, from the layer costs of ``cost_layers``.

* ResNet-18 (He et al. 2016, Table 1; the module layout of ``torchvision.models.resnet18``): conv1 7×7/2 →
  BN → ReLU → max pool 3×3/2 → four stages of two BasicBlocks (64, 128, 256, 512 channels; the first block
  of stages 2–4 halves the size, with a 1×1/2 conv + BN shortcut) → global average pool → fc.
* ViT-Tiny (Dosovitskiy et al. 2021, eq. 1–4; DeiT-Ti's sizes, Touvron et al. 2021: d = 192, 12 layers,
  3 heads, MLP 768): a 16×16/16 conv as the patch embedding, a class token, learned positions, pre-norm
  blocks x + MSA(LN(x)), x + MLP(LN(x)), a final LN and a linear head on the class token.
* RNN, LSTM, GRU (``cost_rnn``) and one pre-norm Transformer encoder layer on the same sequence.

Conventions as in ``cost_layers``: ``macs`` are what FlopCounterMode counts (×2), ``flops`` add elementwise
work, ``activation_elems`` counts every tensor the forward produces (each ReLU output too, as autograd keeps
it without ``inplace``; residual sums included).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from lib.arithmetic.cost_layers import (
    LayerCost,
    activation_cost,
    batchnorm2d_cost,
    combine,
    conv2d_cost,
    layernorm_cost,
    linear_cost,
    pool2d_cost,
)
from lib.arithmetic.cost_models import attention_cost, ffn_cost
from lib.arithmetic.cost_rnn import rnn_cost

RESNET18_STAGES = ((64, 1), (128, 2), (256, 2), (512, 2))  # (channels, stride of the stage's first block)


def _basic_block(x: tuple[int, ...], out_ch: int, stride: int, name: str) -> LayerCost:
    """BasicBlock: relu(bn(conv3×3(relu(bn(conv3×3/s(x))))) + shortcut(x)) (He et al. 2016, Fig. 2)."""
    in_ch = x[1]
    c1 = conv2d_cost(in_ch, out_ch, 3, x, stride, 1, bias=False, name="conv1")
    y = c1.output_shape
    parts = [
        c1,
        batchnorm2d_cost(out_ch, y, name="bn1"),
        activation_cost("relu", y, "relu1"),
        conv2d_cost(out_ch, out_ch, 3, y, 1, 1, bias=False, name="conv2"),
        batchnorm2d_cost(out_ch, y, name="bn2"),
    ]
    if stride != 1 or in_ch != out_ch:  # the projection shortcut (option B)
        parts += [
            conv2d_cost(in_ch, out_ch, 1, x, stride, 0, bias=False, name="downsample.0"),
            batchnorm2d_cost(out_ch, y, name="downsample.1"),
        ]
    n = math.prod(y)
    parts.append(activation_cost("relu", y, "relu2"))
    return combine(name, parts, y, extra_flops=n, extra_activation=n)  # the residual add


def resnet18_cost(image: int = 224, batch: int = 1, num_classes: int = 1000) -> LayerCost:
    """ResNet-18 on (batch, 3, image, image): 11,689,512 parameters with 1000 classes."""
    x: tuple[int, ...] = (batch, 3, image, image)
    stem = [conv2d_cost(3, 64, 7, x, 2, 3, bias=False, name="conv1")]
    y = stem[0].output_shape
    stem += [
        batchnorm2d_cost(64, y, name="bn1"),
        activation_cost("relu", y, "relu"),
        pool2d_cost("max", 3, y, 2, 1, name="maxpool"),
    ]
    x = stem[-1].output_shape
    stages = []
    for i, (ch, stride) in enumerate(RESNET18_STAGES, start=1):
        b0 = _basic_block(x, ch, stride, "0")
        b1 = _basic_block(b0.output_shape, ch, 1, "1")
        stages.append(combine(f"layer{i}", [b0, b1]))
        x = b1.output_shape
    pool = pool2d_cost("avg", x[2:], x, 1, name="avgpool")  # global average pooling to 1×1
    fc = linear_cost(x[1], num_classes, (batch, x[1]), True, "fc")
    return combine("resnet18", [combine("stem", stem), *stages, pool, fc], fc.output_shape)


@dataclass(frozen=True)
class ViTConfig:
    """ViT sizes; the defaults are ViT-Tiny / DeiT-Ti."""

    image: int = 224
    patch: int = 16
    channels: int = 3
    d_model: int = 192
    layers: int = 12
    heads: int = 3
    d_mlp: int = 768
    num_classes: int = 1000

    @property
    def side(self) -> int:
        """Patches along each side of the image: image / patch."""
        if self.image % self.patch:
            raise ValueError(f"image {self.image} is not a whole number of {self.patch}-pixel patches")
        return self.image // self.patch

    @property
    def patches(self) -> int:
        """(image / patch)² patches (the image must divide into whole patches)."""
        return self.side**2

    @property
    def patch_values(self) -> int:
        """patch·patch·channels numbers in one flattened patch."""
        return self.patch * self.patch * self.channels

    @property
    def tokens(self) -> int:
        """The patches and the class token."""
        return self.patches + 1


def patch_embedding_cost(cfg: ViTConfig, batch: int = 1) -> LayerCost:
    """x_p E (Dosovitskiy et al. 2021, eq. 1): each P×P×C patch flattened and projected to d — a P×P conv with
    stride P, params P²·C·d + d."""
    x = (batch, cfg.channels, cfg.image, cfg.image)
    return conv2d_cost(cfg.channels, cfg.d_model, cfg.patch, x, cfg.patch, 0, name="patch_embed")


def vit_cost(cfg: ViTConfig = ViTConfig(), batch: int = 1) -> LayerCost:
    """ViT (Dosovitskiy et al. 2021, eq. 1–4): patch embedding, [class] token, positions, blocks, head.

    params = P²Cd + d (patches) + d (class token) + (N + 1)·d (positions) + L·(12d² + 13d with an MLP of 4d)
    + 2d (final LN) + d·classes + classes.
    """
    d, t = cfg.d_model, cfg.tokens
    emb = patch_embedding_cost(cfg, batch)
    seq = (batch, t, d)
    n = math.prod(seq)
    cls_pos = LayerCost("cls_pos", d + t * d, 0, n, 2 * n, seq)  # concat the class token, add positions
    blocks = [
        combine(
            f"blocks.{i}",
            [
                layernorm_cost(d, seq, name="norm1"),
                attention_cost(t, d, cfg.heads, batch, True, "attn"),
                layernorm_cost(d, seq, name="norm2"),
                ffn_cost(d, cfg.d_mlp, t, batch, "gelu", True, "mlp"),
            ],
            seq,
            extra_flops=2 * n,
            extra_activation=2 * n,  # the two residual sums
        )
        for i in range(cfg.layers)
    ]
    norm = layernorm_cost(d, seq, name="norm")
    head = linear_cost(d, cfg.num_classes, (batch, d), True, "head")  # the class token only
    return combine("vit", [emb, cls_pos, *blocks, norm, head], head.output_shape)


def transformer_layer_cost(seq_len: int, d_model: int, heads: int, d_ff: int, batch: int = 1) -> LayerCost:
    """One pre-norm encoder layer x + MSA(LN(x)), x + FFN(LN(x)) (Vaswani et al. 2017, §3.1; GELU FFN)."""
    seq = (batch, seq_len, d_model)
    n = math.prod(seq)
    parts = [
        layernorm_cost(d_model, seq, name="norm1"),
        attention_cost(seq_len, d_model, heads, batch, True, "attn"),
        layernorm_cost(d_model, seq, name="norm2"),
        ffn_cost(d_model, d_ff, seq_len, batch, "gelu", True, "mlp"),
    ]
    return combine("Transformer", parts, seq, extra_flops=2 * n, extra_activation=2 * n)


def sequence_layers_cost(
    seq_len: int, d_model: int, heads: int, d_ff: int, batch: int = 1
) -> dict[str, LayerCost]:
    """RNN, LSTM, GRU (input = hidden = d) and one Transformer layer on the same (batch, seq_len, d) task."""
    out = {m: rnn_cost(m, d_model, d_model, seq_len, batch, name=m) for m in ("RNN", "LSTM", "GRU")}
    out["Transformer"] = transformer_layer_cost(seq_len, d_model, heads, d_ff, batch)
    return out
