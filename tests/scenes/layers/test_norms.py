"""layers.norms: what the viewer reads, against torch.nn.

The scene's feature map goes through nn.BatchNorm1d (training, then its running statistics over the scene's
training batches and eval mode), nn.LayerNorm([C, H·W]) and nn.GroupNorm, all without affine parameters;
the statistics are torch.var_mean over the axes each layer averages (biased), the running ones read from
the module's buffers.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from scenes.kit import numbers
from scenes.layers.norms import Norms

SETS = [None, *Norms.EXAMPLES]
LOCALES = ["en", "zh"]
BN, LN, GN, RUNNING = range(4)  # the pauses


def run(fast_run, raw, locale):
    scene, _ = fast_run("layers.norms", raw, locale)
    assert len(scene.pictures) == RUNNING + 1
    return scene, Norms.Params.model_validate(raw or {}), Norms.STRINGS[locale]


def f2(v) -> str:
    return numbers.fixed(float(v), 2)


def fmt(a: torch.Tensor) -> np.ndarray:
    return np.vectorize(f2)(a.detach().numpy())


def assert_blocks(pic, key: str, values: torch.Tensor) -> None:
    for n in range(values.shape[0]):
        assert (pic.array(f"{key}_{n}") == fmt(values[n])).all(), f"{key}_{n}"


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("raw", SETS)
def test_batch_layer_and_group_norm(fast_run, raw, locale):
    scene, p, strings = run(fast_run, raw, locale)
    x = torch.tensor(scene.x)  # (N, C, S), the scene's data
    n, c, s = x.shape
    assert (n, c, s) == (p.batch, p.channels, p.positions)
    assert_blocks(scene.pictures[BN], "x", x)

    bn = nn.BatchNorm1d(c, affine=False, momentum=p.momentum, dtype=torch.float64).train()
    var, mean = torch.var_mean(x, dim=(0, 2), unbiased=False)
    pic = scene.pictures[BN]
    assert_blocks(pic, "bn_xhat", bn(x))
    assert list(pic.array("bn_mean")) == list(fmt(mean))
    assert list(pic.array("bn_var")) == list(fmt(var))

    ln = nn.LayerNorm([c, s], elementwise_affine=False, dtype=torch.float64)
    var, mean = torch.var_mean(x, dim=(1, 2), unbiased=False)
    pic = scene.pictures[LN]
    assert_blocks(pic, "ln_xhat", ln(x))
    assert list(pic.array("ln_mean")) == list(fmt(mean))
    assert list(pic.array("ln_var")) == list(fmt(var))

    gn = nn.GroupNorm(p.groups, c, affine=False, dtype=torch.float64)
    var, mean = torch.var_mean(x.reshape(n, p.groups, -1), dim=2, unbiased=False)  # (N, G)
    pic = scene.pictures[GN]
    assert_blocks(pic, "gn_xhat", gn(x))
    assert list(pic.array("gn_mean")) == list(fmt(mean[p.sample]))
    assert list(pic.array("gn_var")) == list(fmt(var[p.sample]))
    per = c // p.groups
    assert pic.contains_text(strings["rule_gn"].format(g=p.groups, per=per).split("\n")[-1])


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("raw", SETS)
def test_running_statistics_train_vs_eval(fast_run, raw, locale):
    scene, p, strings = run(fast_run, raw, locale)
    pic = scene.pictures[RUNNING]
    x = torch.tensor(scene.x)
    bn = nn.BatchNorm1d(p.channels, affine=False, momentum=p.momentum, dtype=torch.float64).train()
    ch = p.channel
    batch_means, run_means, run_vars = [], [], []
    assert len(scene.run.batches) == p.steps
    for b in scene.run.batches:
        b = torch.tensor(b)
        bn(b)
        batch_means.append(b[:, ch].mean())
        run_means.append(bn.running_mean[ch].clone())
        run_vars.append(bn.running_var[ch].clone())
    assert list(pic.array("step_mean")) == [f2(v) for v in batch_means]
    assert list(pic.array("run_mean")) == [f2(v) for v in run_means]
    assert list(pic.array("run_var")) == [f2(v) for v in run_vars]
    evaluated = bn.eval()(x)
    trained = nn.BatchNorm1d(p.channels, affine=False, dtype=torch.float64).train()(x)
    assert (pic.array("eval_row") == fmt(evaluated[p.sample, ch])[None]).all()
    assert (pic.array("train_row") == fmt(trained[p.sample, ch])[None]).all()
    assert pic.text("run_rule") == strings["run_rule"].format(m=numbers.fixed(p.momentum, 2))
    assert pic.contains_text(strings["run_head"].format(c=ch + 1))
