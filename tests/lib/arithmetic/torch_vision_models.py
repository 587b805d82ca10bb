"""Torch references for the architecture costs (torchvision is not installed): ResNet-18 as torchvision lays
it out (He et al. 2016, Table 1), ViT (Dosovitskiy et al. 2021) with explicit attention so FlopCounterMode
sees every matmul, and counting helpers. Used by tests/lib/arithmetic/test_cost_vision.py and
tests/scenes/layers/test_architectures.py."""

from __future__ import annotations

import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from lib.arithmetic.cost_vision import ViTConfig


class BasicBlock(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.relu1 = nn.ReLU()
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.relu2 = nn.ReLU()
        self.down = (
            nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))
            if stride != 1 or cin != cout
            else nn.Identity()
        )

    def forward(self, x):
        y = self.bn2(self.conv2(self.relu1(self.bn1(self.conv1(x)))))
        return self.relu2(y + self.down(x))


def resnet18() -> nn.Module:
    """He et al. 2016, Table 1 (18-layer), as torchvision lays it out."""
    layers: list[nn.Module] = [
        nn.Conv2d(3, 64, 7, 2, 3, bias=False),
        nn.BatchNorm2d(64),
        nn.ReLU(),
        nn.MaxPool2d(3, 2, 1),
    ]
    cin = 64
    for cout, stride in ((64, 1), (128, 2), (256, 2), (512, 2)):
        layers += [BasicBlock(cin, cout, stride), BasicBlock(cout, cout, 1)]
        cin = cout
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(512, 1000)]
    return nn.Sequential(*layers)


class Attention(nn.Module):
    def __init__(self, d: int, heads: int) -> None:
        super().__init__()
        self.h = heads
        self.qkv, self.proj = nn.Linear(d, 3 * d), nn.Linear(d, d)

    def forward(self, x):
        b, t, d = x.shape
        q, k, v = self.qkv(x).reshape(b, t, 3, self.h, d // self.h).permute(2, 0, 3, 1, 4)
        a = (q @ k.transpose(-1, -2) / (d // self.h) ** 0.5).softmax(-1)
        return self.proj((a @ v).transpose(1, 2).reshape(b, t, d))


class Block(nn.Module):
    def __init__(self, d: int, heads: int, d_mlp: int) -> None:
        super().__init__()
        self.norm1, self.attn = nn.LayerNorm(d), Attention(d, heads)
        self.norm2 = nn.LayerNorm(d)
        self.mlp = nn.Sequential(nn.Linear(d, d_mlp), nn.GELU(), nn.Linear(d_mlp, d))

    def forward(self, x):
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


class ViT(nn.Module):
    def __init__(self, c: ViTConfig) -> None:
        super().__init__()
        self.embed = nn.Conv2d(c.channels, c.d_model, c.patch, c.patch)
        self.cls = nn.Parameter(torch.zeros(1, 1, c.d_model))
        self.pos = nn.Parameter(torch.zeros(1, (c.image // c.patch) ** 2 + 1, c.d_model))
        self.blocks = nn.Sequential(*[Block(c.d_model, c.heads, c.d_mlp) for _ in range(c.layers)])
        self.norm, self.head = nn.LayerNorm(c.d_model), nn.Linear(c.d_model, c.num_classes)

    def forward(self, x):
        x = self.embed(x).flatten(2).transpose(1, 2)
        x = torch.cat([self.cls.expand(x.shape[0], -1, -1), x], 1) + self.pos
        return self.head(self.norm(self.blocks(x))[:, 0])


def n_params(m: nn.Module) -> int:
    return sum(p.numel() for p in m.parameters())


def flops(m: nn.Module, x: torch.Tensor) -> int:
    with FlopCounterMode(display=False) as counter, torch.no_grad():
        m(x)
    return counter.get_total_flops()


def resnet_activation_elems(m: nn.Module, x: torch.Tensor) -> int:
    """Every leaf module's output elements plus each block's residual sum (not a module), by hooks."""
    seen: list[int] = []
    mods = [
        mod
        for mod in m.modules()
        if (not list(mod.children()) and not isinstance(mod, nn.Identity | nn.Flatten))
        or isinstance(mod, BasicBlock)
    ]
    hooks = [mod.register_forward_hook(lambda _m, _i, o: seen.append(o.numel())) for mod in mods]
    with torch.no_grad():
        m(x)
    for h in hooks:
        h.remove()
    return sum(seen)


def lstm_flops(d: int, t: int) -> int:
    """FlopCounterMode on nn.LSTMCell steps (it sees nothing of nn.LSTM's fused op, reporting 0), after
    checking that the steps compute what nn.LSTM computes with the same weights."""
    lstm, cell = nn.LSTM(d, d, batch_first=True), nn.LSTMCell(d, d)
    with torch.no_grad():
        for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            getattr(cell, name).copy_(getattr(lstm, f"{name}_l0"))
        x = torch.randn(1, t, d, generator=torch.Generator().manual_seed(0))
        with FlopCounterMode(display=False) as counter:
            h = c = torch.zeros(1, d)
            for step in range(t):
                h, c = cell(x[:, step], (h, c))
        assert torch.allclose(h, lstm(x)[0][:, -1], atol=1e-5)
    return counter.get_total_flops()
