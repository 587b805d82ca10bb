import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from lib.arithmetic.cost import mamba_block_cost
from lib.mamba.block import init_mamba_params, mamba_block
from scenes.mamba.block import MambaBlock
from tests.lib.mamba.torch_mamba import TorchMamba

DEFAULTS = MambaBlock.Params().model_dump()
CASES = [None, *MambaBlock.EXAMPLES]


def full(params):
    return {**DEFAULTS, **(params or {})}


@pytest.mark.parametrize("params", CASES)
def test_parameter_counts_match_torch(fast_run, params):
    scene, problems = fast_run("mamba.block", params, "en")
    assert problems == []
    p = full(params)
    m = TorchMamba(p["d_model"], p["d_state"], p["d_conv"], p["expand"])
    count = {name: sum(q.numel() for q in mod.parameters()) for name, mod in m.named_children()}
    shown = scene.shown
    assert shown["total_params"] == sum(q.numel() for q in m.parameters())
    assert shown["projection_params"] == count["in_proj"] + count["out_proj"]
    assert shown["ssm_params"] == count["x_proj"] + count["dt_proj"] + m.A_log.numel() + m.D.numel()
    assert shown["conv_params"] == count["conv1d"]
    for name in ("in_proj", "conv1d", "x_proj", "dt_proj", "out_proj"):
        assert shown["parts"][name]["params"] == count[name]
    assert shown["parts"]["A_log"]["params"] == m.A_log.numel()
    assert shown["projection_to_ssm"] == pytest.approx(shown["projection_params"] / shown["ssm_params"])


@pytest.mark.parametrize("params", CASES)
def test_shapes_and_flops_match_cost_model(fast_run, params):
    scene, _ = fast_run("mamba.block", params, "en")
    p = full(params)
    d, n, e, L = p["d_model"], p["d_state"], p["expand"], p["seq_len"]
    D, r = e * d, math.ceil(d / 16)
    cost = mamba_block_cost(d, n, p["d_conv"], e, None, L)
    parts = scene.shown["parts"]
    assert list(parts) == [q.name for q in cost.parts]
    for q in cost.parts:
        assert parts[q.name]["flops_per_token"] == pytest.approx(q.flops / L)
    assert scene.shown["total_flops_per_token"] == pytest.approx(cost.flops / L)
    assert parts["in_proj"]["shape"] == (L, 2 * D)
    assert parts["conv1d"]["shape"] == parts["gate"]["shape"] == parts["D"]["shape"] == (L, D)
    assert parts["x_proj"]["shape"] == (L, r + 2 * n)
    assert parts["A_log"]["shape"] == (D, n)
    assert parts["out_proj"]["shape"] == (L, d)
    assert scene.shown["selection_shapes"] == {"dt": (L, r), "B": (L, n), "C": (L, n)}
    share = scene.shown["flops_share"]
    assert share["projection"] == pytest.approx(6 * d * D * L / cost.flops)  # 2·(2dD + Dd) FLOPs per token
    assert sum(share.values()) == pytest.approx(1.0)


@pytest.mark.parametrize("params", CASES)
def test_trace_values(fast_run, params):
    scene, _ = fast_run("mamba.block", params, "en")
    p = full(params)
    d, n, k, e, T = p["d_model"], p["d_state"], p["d_conv"], p["expand"], p["trace_tokens"]
    u = np.random.default_rng(p["seed"] + 1).standard_normal((T, d))
    tr = mamba_block(u, init_mamba_params(d, n, k, e, seed=p["seed"]))
    c = min(6, e * d)
    gate = F.silu(torch.as_tensor(tr.z)).numpy()[:, :c]
    np.testing.assert_allclose(scene.shown["gate"], gate, atol=1e-12)
    np.testing.assert_allclose(scene.shown["y_ssm"], tr.y_ssm[:, :c], atol=1e-12)
    np.testing.assert_allclose(scene.shown["y_gated"], tr.y_ssm[:, :c] * gate, atol=1e-12)
    shapes = scene.shown["trace_shapes"]
    assert shapes["u"] == shapes["out"] == (T, d)
    assert shapes["z"] == shapes["delta"] == shapes["y_gated"] == (T, e * d)
    assert shapes["B"] == shapes["C"] == (T, n)
    assert shapes["h"] == (T, e * d, n)


def test_zh_draws_the_same_numbers(fast_run):
    en, _ = fast_run("mamba.block", None, "en")
    zh, problems = fast_run("mamba.block", None, "zh")
    assert problems == []
    assert zh.shown["total_params"] == en.shown["total_params"]
