import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from lib.mamba.anatomy import GROUPS, mamba_block_anatomy, trace_block
from lib.mamba.block import init_mamba_params
from tests.lib.mamba.torch_mamba import TorchMamba, load_params

CASES = [(768, 16, 4, 2, 2048), (64, 4, 3, 1, 256), (40, 8, 2, 3, 7)]


def numel(module: torch.nn.Module, names: tuple[str, ...]) -> int:
    return sum(p.numel() for n, p in module.named_parameters() if n.split(".")[0] in names)


@pytest.mark.parametrize(("d", "n", "k", "e", "L"), CASES)
def test_params_by_group_match_torch(d, n, k, e, L):
    a = mamba_block_anatomy(d, n, k, e, seq_len=L)
    m = TorchMamba(d, n, k, e)
    assert a.params == sum(p.numel() for p in m.parameters())
    assert a.group_params("projection") == numel(m, ("in_proj", "out_proj"))
    assert a.group_params("ssm") == numel(m, ("x_proj", "dt_proj", "A_log", "D"))
    assert a.group_params("conv") == numel(m, ("conv1d",))
    assert a.projection_to_ssm == numel(m, ("in_proj", "out_proj")) / numel(
        m, ("x_proj", "dt_proj", "A_log", "D")
    )


@pytest.mark.parametrize(("d", "n", "k", "e", "L"), CASES)
def test_by_hand(d, n, k, e, L):
    a = mamba_block_anatomy(d, n, k, e, seq_len=L)
    D, r = e * d, math.ceil(d / 16)
    assert a.params == D * (3 * d + k + 2 * r + 3 * n + 3)  # §3.4 / mamba_block_cost docstring
    assert a.group_params("projection") == 3 * D * d  # 3·E·D² with E = expand
    assert a.part("in_proj").flops_per_token == 2 * d * 2 * D
    assert a.part("out_proj").flops_per_token == 2 * D * d
    assert a.part("selective_scan").flops_per_token == 8 * D * n
    assert a.part("A_log").flops_per_token == 2 * D * n / L  # one int division, correctly rounded
    assert [p.name for p in a.parts] == list(GROUPS)
    shapes = {p.name: p.shape for p in a.parts}
    assert shapes["in_proj"] == (L, 2 * D)
    assert shapes["conv1d"] == shapes["act"] == shapes["gate"] == (L, D)
    assert shapes["x_proj"] == (L, r + 2 * n)
    assert shapes["A_log"] == (D, n)
    assert shapes["out_proj"] == (L, d)


def test_trace_matches_torch():
    d, n, k, e, L, seed = 32, 4, 4, 2, 5, 3
    run = trace_block(d, n, k, e, length=L, seed=seed)
    tr = run.trace
    assert tr.u.shape == (L, d) and tr.z.shape == (L, e * d) and tr.B.shape == (L, n)
    assert tr.scan.h.shape == (L, e * d, n) and tr.out.shape == (L, d)
    np.testing.assert_allclose(run.gate, F.silu(torch.as_tensor(tr.z)).numpy(), atol=1e-12)
    np.testing.assert_allclose(tr.y_gated, tr.y_ssm * run.gate, atol=1e-12)
    m = load_params(TorchMamba(d, n, k, e), init_mamba_params(d, n, k, e, seed=seed))
    with torch.no_grad():
        out = m(torch.as_tensor(tr.u)[None])[0].numpy()
    np.testing.assert_allclose(tr.out, out, atol=1e-12)
    np.testing.assert_array_equal(tr.u, np.random.default_rng(seed + 1).standard_normal((L, d)))


def test_shares_sum_to_one():
    a = mamba_block_anatomy(768, 16, 4, 2, seq_len=2048)
    groups = set(GROUPS.values())
    assert sum(a.param_share(g) for g in groups) == pytest.approx(1.0, abs=1e-15)
    assert sum(a.flops_share(g) for g in groups) == pytest.approx(1.0, abs=1e-15)
    # d = 768 (Mamba-130m): 1536·(3·768 + 4 + 2·48 + 3·16 + 3) parameters, 3·1536·768 in the projections
    assert a.param_share("projection") == 3 * 1536 * 768 / (1536 * (3 * 768 + 4 + 2 * 48 + 3 * 16 + 3))
    sel = a.selection_shapes
    assert sel["dt"][1] + sel["B"][1] + sel["C"][1] == a.part("x_proj").shape[1]
