"""layers.mlp: what the viewer reads, against torch.

The reference is two torch.nn.Linear layers holding the scene's weights (copied into torch's (out, in)
layout), run on the scene's input in float64 with autograd: the forward values, the loss, every ∂L/∂·, the
unit's δ and weight gradients. The gradient check's central differences are computed here by hand on the torch
network, one coordinate at a time, and the relative errors from them and autograd's gradients.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from scenes.kit import numbers
from scenes.layers.mlp import MLP

SETS = [None, *MLP.EXAMPLES]
LOCALES = ["en", "zh"]
FORWARD, BACKWARD, CHECK = range(3)  # the pauses
ACT = {"tanh": torch.tanh, "sigmoid": torch.sigmoid, "relu": torch.relu}
ROUNDING = 1e-11  # relative errors below this are rounding noise: their digits are not reproducible


def run(fast_run, raw, locale):
    scene, _ = fast_run("layers.mlp", raw, locale)
    assert len(scene.pictures) == CHECK + 1
    return scene, MLP.Params.model_validate(raw or {}), MLP.STRINGS[locale]


def f(v, d: int) -> str:
    return numbers.fixed(float(v), d)


def ftex(v, d: int, plus: bool = False) -> str:
    return numbers.fixed(float(v), d, tex=True, plus=plus)


class Net(nn.Module):
    def __init__(self, scene, act: str) -> None:
        super().__init__()
        layers = scene.ex.params.layers
        self.l1 = nn.Linear(*layers[0].W.shape, dtype=torch.float64)
        self.l2 = nn.Linear(*layers[1].W.shape, dtype=torch.float64)
        with torch.no_grad():
            for lin, src in ((self.l1, layers[0]), (self.l2, layers[1])):
                lin.weight.copy_(torch.from_numpy(src.W.T))
                lin.bias.copy_(torch.from_numpy(src.b))
        self.act = ACT[act]

    def forward(self, x):
        self.z = self.l1(x)
        self.h = self.act(self.z)
        return self.l2(self.h)


def reference(scene, p):
    """Forward and autograd through the torch network; returns (net, x, y, loss, target)."""
    net = Net(scene, p.activation)
    x = torch.tensor(scene.ex.x, requires_grad=True)  # (1, d_0)
    target = torch.tensor(scene.ex.target)
    y = net(x)
    for t in (net.z, net.h, y):
        t.retain_grad()
    loss = F.mse_loss(y, target)
    loss.backward()
    return net, x, y, loss, target


def central_difference(net, x, target, tensor: torch.Tensor, eps: float) -> np.ndarray:
    """(L(θ + ε e_k) − L(θ − ε e_k)) / 2ε for every coordinate k of ``tensor`` (a parameter or x)."""
    out = np.zeros(tuple(tensor.shape))
    flat = out.reshape(-1)
    with torch.no_grad():
        view = tensor.view(-1)
        for k in range(view.numel()):
            old = view[k].item()
            view[k] = old + eps
            up = F.mse_loss(net(x), target).item()
            view[k] = old - eps
            down = F.mse_loss(net(x), target).item()
            view[k] = old
            flat[k] = (up - down) / (2 * eps)
    return out


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("raw", SETS)
def test_forward_values_and_the_worked_neuron(fast_run, raw, locale):
    scene, p, strings = run(fast_run, raw, locale)
    pic = scene.pictures[FORWARD]
    net, x, y, loss, _ = reference(scene, p)
    assert list(pic.array("x")) == [f(v, 2) for v in x[0].detach()]
    assert list(pic.array("h")) == [f(v, 2) for v in net.h[0].detach()]
    assert list(pic.array("y")) == [f(v, 2) for v in y[0].detach()]
    assert pic.text("loss_node") == f(loss.item(), 3)
    u = p.unit
    w = net.l1.weight[u].detach()  # the unit's incoming weights: row u of torch's (out, in) weight
    assert list(pic.array("n_x")) == [f(v, 3) for v in x[0].detach()]
    assert list(pic.array("n_w")) == [f(v, 3) for v in w]
    assert list(pic.array("n_prod")) == [f(a * b, 3) for a, b in zip(x[0].detach(), w, strict=True)]
    s = sum(float(a * b) for a, b in zip(x[0].detach(), w, strict=True))
    assert pic.text("n_sum") == ftex(s, 3)
    assert pic.text("n_bias") == ftex(net.l1.bias[u].item(), 3, plus=True)
    assert pic.text("n_z") == ftex(net.z[0, u].item(), 3)
    assert pic.text("n_a") == ftex(net.h[0, u].item(), 3)
    assert pic.contains_text(strings["neuron_head"].format(unit=u + 1))


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("raw", SETS)
def test_backward_by_the_chain_rule(fast_run, raw, locale):
    scene, p, strings = run(fast_run, raw, locale)
    pic = scene.pictures[BACKWARD]
    net, x, y, loss, target = reference(scene, p)
    assert list(pic.array("dy")) == [f(v, 2) for v in y.grad[0]]
    assert list(pic.array("dh")) == [f(v, 2) for v in net.h.grad[0]]
    assert list(pic.array("dx")) == [f(v, 2) for v in x.grad[0]]
    assert pic.text("loss") == ftex(loss.item(), 3)
    assert list(pic.array("target")) == [ftex(v, 2) for v in target[0]]
    assert list(pic.array("chain_dy")) == [ftex(v, 3) for v in y.grad[0]]
    u = p.unit
    z = net.z[0, u].detach().clone().requires_grad_(True)
    (slope,) = torch.autograd.grad(ACT[p.activation](z), z)  # φ'(z_u), by autograd on its own
    assert pic.text("chain_dh") == ftex(net.h.grad[0, u].item(), 3)
    assert pic.text("chain_dh_again") == ftex(net.h.grad[0, u].item(), 3)
    assert pic.text("chain_dphi") == ftex(slope.item(), 3)
    assert pic.text("chain_delta") == ftex(net.z.grad[0, u].item(), 3)
    assert list(pic.array("chain_dw")) == [ftex(v, 3) for v in net.l1.weight.grad[u]]
    assert pic.contains_text(strings["grad_note"])


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("raw", SETS)
def test_gradient_check(fast_run, raw, locale):
    scene, p, strings = run(fast_run, raw, locale)
    pic = scene.pictures[CHECK]
    net, x, _, _, target = reference(scene, p)
    assert pic.text("eps") == numbers.sci(p.eps, 0, tex=True)
    tensors = [
        ("W₁", net.l1.weight, lambda g: g.T),  # lib's order and (in, out) layout: W₁, b₁, W₂, b₂, x
        ("b₁", net.l1.bias, lambda g: g),
        ("W₂", net.l2.weight, lambda g: g.T),
        ("b₂", net.l2.bias, lambda g: g),
        ("x", x, lambda g: g),
    ]
    assert list(pic.array("rel_names")) == [name for name, _, _ in tensors]
    drawn = pic.array("rel_err")
    for k, (name, t, _) in enumerate(tensors):
        numeric = central_difference(net, x, target, t, p.eps)
        analytic = t.grad.numpy()
        rel = np.linalg.norm(analytic - numeric) / (np.linalg.norm(analytic) + np.linalg.norm(numeric))
        if rel > ROUNDING:
            assert drawn[k] == numbers.sci(rel, 1), name
        else:  # exact in ε (L is quadratic in the last layer): only the size of the rounding is checked
            mant, exp = drawn[k].split(" × 10")
            assert (
                float(mant) * 10 ** int(exp.translate(str.maketrans("⁻⁰¹²³⁴⁵⁶⁷⁸⁹", "-0123456789"))) < ROUNDING
            )
        if name == "W₁":
            i, u = p.weight_input, p.unit
            assert list(pic.array("w_check")) == [f(numeric[u, i], 7), f(analytic[u, i], 7)]
    assert pic.contains_text(strings["check_head"].format(i=p.weight_input + 1, unit=p.unit + 1))
