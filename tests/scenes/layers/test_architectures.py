"""layers.architectures: what the viewer reads, against torch modules built in the tests (ResNet-18, ViT-Tiny,
nn.RNN / nn.LSTM / nn.GRU and a pre-norm Transformer block): parameter counts, FlopCounterMode on a forward
pass, ResNet-18's activations by forward hooks and ViT's counted by hand. Nothing below calls lib's costs."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from lib.arithmetic.cost_vision import ViTConfig
from scenes.kit import numbers
from scenes.layers.architectures import Architectures
from tests.lib.arithmetic.torch_vision_models import (
    Block,
    ViT,
    flops,
    lstm_flops,
    n_params,
    resnet18,
    resnet_activation_elems,
)

SETS = [None, *Architectures.EXAMPLES]
VISION, PATCHES, SEQUENCE = range(3)  # the pauses


def run(fast_run, raw, locale="en"):
    scene, _ = fast_run("layers.architectures", raw, locale)
    assert len(scene.pictures) == SEQUENCE + 1
    return scene, Architectures.Params.model_validate(raw or {})


def vit_activations(image: int, patch: int = 16, d: int = 192, heads: int = 3, layers: int = 12) -> int:
    """By hand, in forward order: patches, +cls, +pos; per block LN, q/k/v, scores and softmax (H·T² each),
    context, out-projection, residual, LN, fc1, GELU (4n each), fc2, residual; final LN; 1000 logits."""
    t = (image // patch) ** 2 + 1
    n = t * d
    block = n + 3 * n + 2 * heads * t * t + n + n + n + n + 4 * n + 4 * n + n + n
    return (t - 1) * d + 2 * n + layers * block + n + 1000


@pytest.mark.parametrize("raw", SETS, ids=["defaults", "example"])
@pytest.mark.parametrize("locale", ["en", "zh"])
def test_resnet_vs_vit(fast_run, raw, locale):
    scene, p = run(fast_run, raw, locale)
    pic = scene.pictures[VISION]
    x = torch.zeros(1, 3, p.image, p.image)
    res, vit = resnet18().eval(), ViT(ViTConfig(image=p.image)).eval()
    assert list(pic.array("v_params")) == [numbers.count(n_params(m), locale=locale) for m in (res, vit)]
    assert list(pic.array("v_flops")) == [numbers.flops(flops(m, x)) for m in (res, vit)]
    mem = [4 * resnet_activation_elems(res, x), 4 * vit_activations(p.image)]
    assert list(pic.array("v_memory")) == [numbers.byte_size(b, 1) for b in mem]
    assert list(pic.array("v_params_label")) == ["ResNet-18", "ViT-Tiny"]


@pytest.mark.parametrize("raw", SETS, ids=["defaults", "example"])
def test_patch_embedding(fast_run, raw):
    scene, p = run(fast_run, raw, "en")
    pic = scene.pictures[PATCHES]
    side = p.image // 16
    vit = ViT(ViTConfig(image=p.image))
    with torch.device("meta"):
        tokens = vit.embed.to("meta")(torch.empty(1, 3, p.image, p.image)).flatten(2).shape[-1]
    assert tokens == side * side

    def tex(n: int) -> str:
        return numbers.integer(n, tex=True)

    drawn = [pic.text(k) for k in ("f_image", "f_patch", "f_side", "f_patches", "f_values", "f_d")]
    assert drawn == [tex(p.image), tex(16), tex(side), tex(tokens), tex(16 * 16 * 3), tex(192)]
    assert pic.text("tokens") == Architectures.STRINGS["en"]["tokens"].format(
        patches=numbers.integer(tokens), tokens=numbers.integer(tokens + 1)
    )
    assert pic.text("embed_params") == Architectures.STRINGS["en"]["embed"].format(
        params=numbers.integer(n_params(vit.embed))
    )


@pytest.mark.parametrize("raw", SETS, ids=["defaults", "example"])
@pytest.mark.parametrize("locale", ["en", "zh"])
def test_sequence_layers(fast_run, raw, locale):
    scene, p = run(fast_run, raw, locale)
    pic = scene.pictures[SEQUENCE]
    d, t = p.d_model, p.seq_len
    x = torch.zeros(1, t, d)
    mods = [nn.RNN(d, d, batch_first=True), nn.LSTM(d, d, batch_first=True), nn.GRU(d, d, batch_first=True)]
    block = Block(d, p.heads, 4 * d)
    params = [n_params(m) for m in mods] + [n_params(block)]
    assert list(pic.array("s_params")) == [numbers.count(n, locale=locale) for n in params]
    fl = [flops(mods[0], x), lstm_flops(d, t), flops(mods[2], x), flops(block, x)]
    assert list(pic.array("s_flops")) == [numbers.flops(f) for f in fl]
    assert list(pic.array("s_params_label")) == ["RNN", "LSTM", "GRU", "Transformer"]
