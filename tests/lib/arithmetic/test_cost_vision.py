"""lib.arithmetic.cost_vision against torch modules built here (torchvision is not installed): ResNet-18 and
ViT-Tiny parameter counts, FlopCounterMode on a forward pass (= 2·MACs), ResNet-18's activation elements
from forward hooks, ViT-Tiny's by hand; RNN/LSTM/GRU and a Transformer layer likewise."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from lib.arithmetic.cost_vision import (
    ViTConfig,
    patch_embedding_cost,
    resnet18_cost,
    sequence_layers_cost,
    vit_cost,
)
from tests.lib.arithmetic.torch_vision_models import (
    ViT,
    flops,
    lstm_flops,
    n_params,
    resnet18,
    resnet_activation_elems,
)


def test_resnet18():
    m, c = resnet18().eval(), resnet18_cost(224)
    assert c.params == n_params(m) == 11_689_512
    x = torch.zeros(1, 3, 224, 224)
    assert 2 * c.macs == flops(m, x)
    assert c.activation_elems == resnet_activation_elems(m, x)


def test_vit_tiny():
    cfg = ViTConfig()
    m, c = ViT(cfg).eval(), vit_cost(cfg)
    assert c.params == n_params(m) == 5_717_416
    assert 2 * c.macs == flops(m, torch.zeros(1, 3, 224, 224))
    emb = patch_embedding_cost(cfg)
    assert (cfg.patches, cfg.tokens, cfg.patch_values) == (196, 197, 768)
    assert emb.params == n_params(m.embed) == 16 * 16 * 3 * 192 + 192
    t, d, h = 197, 192, 3
    n = t * d
    per_block = n + 3 * n + 2 * h * t * t + n + n + n + n + 4 * n + 4 * n + n + n  # by hand, forward order
    assert c.activation_elems == 196 * d + 2 * n + 12 * per_block + n + 1000


@pytest.mark.parametrize(("t", "d", "heads"), [(32, 64, 4), (16, 32, 2)])
def test_sequence_layers(t, d, heads):
    costs = sequence_layers_cost(t, d, heads, 4 * d)
    x = torch.zeros(1, t, d)
    for mode, mod in (("RNN", nn.RNN), ("LSTM", nn.LSTM), ("GRU", nn.GRU)):
        assert costs[mode].params == n_params(mod(d, d, batch_first=True))
    assert 2 * costs["RNN"].macs == flops(nn.RNN(d, d, batch_first=True), x)
    assert 2 * costs["GRU"].macs == flops(nn.GRU(d, d, batch_first=True), x)
    assert 2 * costs["LSTM"].macs == lstm_flops(d, t)
