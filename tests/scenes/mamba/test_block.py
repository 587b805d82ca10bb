"""mamba.block: the numbers a viewer reads, against a PyTorch Mamba block and counts worked by hand.

References: parameter counts and widths from ``TorchMamba`` (submodules named as mamba_simple.Mamba);
matmul and convolution FLOPs measured by ``torch.utils.flop_counter.FlopCounterMode`` on its modules,
elementwise FLOPs by hand from the convention stated in ``lib/arithmetic/cost_layers.py`` (one op per
element, SiLU 5, softplus 3, …); the real forward pass recomputed in torch with the same weights. Every
reference is formatted with the kit's formatter and compared with the exact string drawn.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch.utils.flop_counter import FlopCounterMode

from lib.mamba.block import init_mamba_params
from scenes.engine.probe import Picture
from scenes.kit import numbers
from scenes.mamba.block import MambaBlock
from tests.lib.mamba.torch_mamba import TorchMamba, load_params, selective_scan_ref

CASES = [None, *MambaBlock.EXAMPLES]
IDS = ["defaults", *[f"example{i}" for i in range(len(MambaBlock.EXAMPLES))]]
DIAGRAM, INSIDE, PARAMS, FLOPS, CHIPS, TRACE = range(6)  # the pauses, in order
# forward order of mamba_simple.Mamba, and §3.4's split: in/out projections vs the SSM (x_proj … D)
PARTS = [
    "in_proj", "conv1d", "act", "x_proj", "dt_proj", "dt_softplus", "A_log", "selective_scan", "D", "gate",
    "out_proj",
]  # fmt: skip
SSM = ["x_proj", "dt_proj", "dt_softplus", "A_log", "selective_scan", "D"]


def _params(raw):
    return MambaBlock.Params.model_validate(raw or {})


def _module(p) -> TorchMamba:
    return TorchMamba(p.d_model, p.d_state, p.d_conv, p.expand)


def _count(mod: torch.nn.Module) -> int:
    return sum(q.numel() for q in mod.parameters())


def _counts(m: TorchMamba) -> dict[str, int]:
    c = {name: _count(mod) for name, mod in m.named_children()}
    c.update(A_log=m.A_log.numel(), D=m.D.numel(), act=_count(torch.nn.SiLU()), gate=0)  # SiLU(z)·y: none
    c["ssm"] = c["x_proj"] + c["dt_proj"] + c["A_log"] + c["D"]
    c["projection"] = c["in_proj"] + c["out_proj"]
    c["conv"] = c["conv1d"]
    return c


def _measured(fn, *args) -> int:
    """FLOPs FlopCounterMode sees (matmuls and convolutions, 2 per multiply-accumulate)."""
    with FlopCounterMode(display=False) as fc, torch.no_grad():
        fn(*args)
    return fc.get_total_flops()


def _flops_per_token(m: TorchMamba, seq_len: int) -> dict[str, float]:
    D, N, k = m.d_inner, m.d_state, m.d_conv
    T = 3  # tokens of the measuring pass: every part but A is linear in the length
    x = torch.zeros(1, T, m.d_model, dtype=torch.float64)
    xi = torch.zeros(1, T, D, dtype=torch.float64)
    causal = F.pad(xi.transpose(1, 2), (k - 1, 0))  # (1, D, T + k − 1): the kept outputs only
    conv = _measured(lambda v: F.conv1d(v, m.conv1d.weight, groups=D), causal) / T
    return {
        "in_proj": _measured(m.in_proj, x) / T,
        "conv1d": conv + D,  # + one bias add per output
        "act": 5 * D,  # SiLU x·σ(x)
        "x_proj": _measured(m.x_proj, xi) / T,
        "dt_proj": _measured(m.dt_proj, torch.zeros(1, T, m.dt_rank, dtype=torch.float64)) / T + D,
        "dt_softplus": 3 * D,  # log(1 + exp(x))
        "A_log": 2 * D * N / seq_len,  # A = −exp(A_log): exp and negate, once per sequence
        "selective_scan": 8 * D * N,  # ΔA, exp, ΔB, ·u; h update (mul, add); C·h (mul, add)
        "D": 2 * D,  # y + D ⊙ u
        "gate": (5 + 1) * D,  # SiLU(z), then y ⊙ it
        "out_proj": _measured(m.out_proj, xi) / T,
    }


@pytest.fixture(scope="module")
def runs(fast_run):
    """(scene, problems) per (case index, locale)."""
    return lambda i, locale: fast_run("mamba.block", CASES[i], locale)


@pytest.mark.parametrize("locale", ["en", "zh"])
@pytest.mark.parametrize("i", range(len(CASES)), ids=IDS)
def test_diagram_shows_torch_counts_and_shapes(runs, i, locale):
    scene, problems = runs(i, locale)
    assert problems == []
    p = _params(CASES[i])
    m = _module(p)
    c = _counts(m)
    pic = scene.pictures[DIAGRAM]
    for name in ("in_proj", "conv1d", "act", "ssm", "gate", "out_proj"):
        assert pic.text("params", name) == numbers.integer(c[name]), name
    D = m.conv1d.out_channels
    shapes = {
        "input": ("L", m.in_proj.in_features),
        "in_proj": ("L", m.in_proj.out_features),
        "conv1d": ("L", D),
        "act": ("L", D),
        "ssm": ("L", m.D.numel()),
        "gate": ("L", m.in_proj.out_features // 2),
        "out_proj": ("L", m.out_proj.out_features),
        "output": ("L", m.out_proj.out_features),
    }
    assert pic.texts("shape") == {(k,): numbers.shape(v) for k, v in shapes.items()}
    widths = MambaBlock.STRINGS[locale]["widths"].format(
        d=numbers.integer(m.d_model), di=numbers.integer(m.d_inner), n=p.d_state, k=p.d_conv, r=m.dt_rank
    )
    assert pic.text("widths") == widths


@pytest.mark.parametrize("i", range(len(CASES)), ids=IDS)
def test_inside_the_ssm(runs, i):
    scene, _ = runs(i, "en")
    m = _module(_params(CASES[i]))
    c = _counts(m)
    pic = scene.pictures[INSIDE]
    for name in ("x_proj", "dt_proj", "A_log", "D"):
        assert pic.text("params", name) == numbers.integer(c[name]), name
    N, D = m.d_state, m.d_inner
    assert {k: pic.text("shape", k) for k in ("x_proj", "dt_proj", "B", "C", "A_log", "D")} == {
        "x_proj": numbers.shape(("L", m.x_proj.out_features)),
        "dt_proj": numbers.shape(("L", m.dt_proj.out_features)),
        "B": numbers.shape(("L", N)),
        "C": numbers.shape(("L", N)),
        "A_log": numbers.shape(tuple(m.A_log.shape)),
        "D": numbers.shape((D,)),
    }
    assert m.x_proj.out_features == m.dt_rank + 2 * N  # the chip's x_proj output is Δ's input, B and C


@pytest.mark.parametrize("locale", ["en", "zh"])
@pytest.mark.parametrize("i", range(len(CASES)), ids=IDS)
def test_parameter_totals_and_shares(runs, i, locale):
    scene, _ = runs(i, locale)
    m = _module(_params(CASES[i]))
    c = _counts(m)
    total = _count(m)
    strings = MambaBlock.STRINGS[locale]
    pic = scene.pictures[PARAMS]
    assert pic.text("total_params") == strings["total"].format(n=numbers.integer(total))
    assert pic.text("projection_to_ssm") == strings["ratio"].format(
        ratio=numbers.fixed(c["projection"] / c["ssm"], 1)
    )
    for g in ("projection", "ssm", "conv"):
        assert pic.text("group_params", g) == numbers.integer(c[g])
        assert pic.text("group_params_share", g) == numbers.percent(c[g] / total)
    assert c["projection"] + c["ssm"] + c["conv"] == total  # the bar covers the whole block


@pytest.mark.parametrize("locale", ["en", "zh"])
@pytest.mark.parametrize("i", range(len(CASES)), ids=IDS)
def test_flops_per_token(runs, i, locale):
    scene, _ = runs(i, locale)
    p = _params(CASES[i])
    ref = _flops_per_token(_module(p), p.seq_len)
    pic = scene.pictures[FLOPS]
    assert list(pic.array("flops_label")) == PARTS  # each name beside its own bar, in forward order
    assert list(pic.array("flops")) == [numbers.integer(ref[name]) for name in PARTS]
    total = sum(ref.values())
    proj = ref["in_proj"] + ref["out_proj"]
    assert pic.text("flops_total") == MambaBlock.STRINGS[locale]["flops_total"].format(
        n=numbers.integer(total),
        p=numbers.fixed(100 * proj / total, 1),
        s=numbers.fixed(100 * sum(ref[k] for k in SSM) / total, 1),
    )


@pytest.mark.parametrize("i", range(len(CASES)), ids=IDS)
def test_trace_shapes(runs, i):
    scene, _ = runs(i, "en")
    p = _params(CASES[i])
    T, d, N, D = p.trace_tokens, p.d_model, p.d_state, p.expand * p.d_model
    expected = {
        "u": (T, d), "x": (T, D), "z": (T, D), "x_conv": (T, D), "x_act": (T, D), "delta": (T, D),
        "B": (T, N), "C": (T, N), "h": (T, D, N), "y": (T, D), "y_gated": (T, D), "out": (T, d),
    }  # fmt: skip
    assert scene.pictures[CHIPS].texts("trace_shape") == {(k,): numbers.shape(v) for k, v in expected.items()}


def _torch_pass(p):
    """The scene's pass recomputed in torch: same weights (seed), same input (default_rng(seed + 1))."""
    m = load_params(_module(p), init_mamba_params(p.d_model, p.d_state, p.d_conv, p.expand, seed=p.seed))
    u = torch.from_numpy(np.random.default_rng(p.seed + 1).standard_normal((p.trace_tokens, p.d_model)))
    L = p.trace_tokens
    with torch.no_grad():
        x, z = m.in_proj(u).chunk(2, dim=-1)  # (L, D) each
        x = F.silu(m.conv1d(x.T[None])[0, :, :L].T)  # causal depthwise conv, then SiLU
        dt, B, C = torch.split(m.x_proj(x), [m.dt_rank, m.d_state, m.d_state], dim=-1)
        delta = F.softplus(m.dt_proj(dt))
        y, _ = selective_scan_ref(x, delta, -torch.exp(m.A_log), B, C, m.D, discretization="mamba")
        gate = F.silu(z)
    return {"y_ssm": y.numpy(), "gate": gate.numpy(), "y_gated": (y * gate).numpy()}


def _digits(drawn: np.ndarray) -> int:
    return len(str(drawn.flat[0]).split(".")[1]) if "." in str(drawn.flat[0]) else 0


@pytest.mark.parametrize("locale", ["en", "zh"])
@pytest.mark.parametrize("i", range(len(CASES)), ids=IDS)
def test_trace_values(runs, i, locale):
    scene, _ = runs(i, locale)
    p = _params(CASES[i])
    ref = _torch_pass(p)
    c = min(6, p.expand * p.d_model)
    pic = scene.pictures[TRACE]
    for key, v in ref.items():
        drawn = pic.array(key)
        digits = _digits(drawn)
        assert drawn.shape == (p.trace_tokens, c)
        assert drawn.tolist() == [[numbers.fixed(a, digits) for a in r] for r in v[:, :c]], key
        if CASES[i] is None:
            assert digits == 2  # the default pass keeps two decimals in its cells


def test_every_pause_shows_what_it_should(runs):
    """Each beat cleans up: a number is on screen only while its beat is."""
    scene, _ = runs(0, "en")
    keys = [set(pic.keys()) for pic in scene.pictures]
    assert keys[DIAGRAM] == {"params", "shape", "widths"}
    assert keys[PARAMS] == {"params", "shape", "widths", "total_params", "projection_to_ssm", "group_params",
                            "group_params_share"}  # fmt: skip
    assert keys[FLOPS] == {"widths", "flops", "flops_label", "flops_total"}
    assert keys[TRACE] == {"widths", "trace_shape", "y_ssm", "gate", "y_gated"}
    assert "total_params" in Picture.merge(scene.pictures)
