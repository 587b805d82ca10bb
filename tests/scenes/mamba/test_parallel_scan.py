"""mamba.parallel_scan draws a Blelloch scan whose every node is checked, from the picture, against a fold of
the leaves done here in torch; the strips at the end equal a plain torch loop h_t = a_t h_{t−1} + b_t.

The leaves (a_t, b_t) = (Ā_t, B̄_t x_t)[d, n] are the scene's input, taken from lib's toy model (the selection
scene's numbers), or for the trained model, the default, Ā_t = exp(Δ_t A) and B̄_t x_t = (exp(Δ_t A) − 1)/A ·
B_t x_t from the torch model on the committed weights. What is checked is what the scan makes of them:
up-sweep node (level, j) holds the composition of its span, down-sweep node (level, j) the composition of
every leaf before its span, and the padding is the identity (1, 0).
"""

from __future__ import annotations

import pytest
import torch

from lib.mamba.toy_mamba import toy_selective_ssm
from scenes.kit import numbers
from scenes.mamba.parallel_scan import ParallelScan
from tests.scenes.mamba.trained_ref import trained_reference

SCENE = "mamba.parallel_scan"
CASES = [None, {"model": "random"}, *ParallelScan.EXAMPLES]
IDS = ["defaults", "random", *[f"example{i}" for i in range(len(CASES) - 2)]]
STRINGS = ParallelScan.STRINGS
NUMBER_KEYS = {f"{k}_{x}" for k in ("leaf", "up", "down") for x in "ab"} | {
    "assoc_left",
    "assoc_right",
    "h_parallel",
    "h_sequential",
}


def _fold(elems) -> tuple[float, float]:
    """Compose (a, b) pairs left to right, h ↦ a h + b (the empty composition is the identity (1, 0))."""
    a, b = torch.tensor(1.0, dtype=torch.float64), torch.tensor(0.0, dtype=torch.float64)
    for ea, eb in elems:
        a, b = ea * a, ea * b + eb
    return float(a), float(b)


def _fmt(v: float) -> str:
    return numbers.fixed(v, 3)


def _reference(raw):
    p = ParallelScan.Params.model_validate(raw or {})
    if p.model == "trained":
        t = trained_reference(p.seed, p.d_inner)
        tokens = tuple(t["tokens"])
        A = t["A"][p.channel, p.state]
        dA = t["delta"][:, p.channel] * A  # (L,)
        a = torch.exp(dA)  # Ā_t
        b = torch.expm1(dA) / A * t["B"][:, p.state] * t["x"][:, p.channel]  # B̄_t x_t, ZOH
    else:
        m = toy_selective_ssm(p.sentence, p.d_inner, p.d_state, p.seed, discretization=p.discretization)
        tokens = m.tokens
        a = torch.tensor(m.scan.A_bar[:, p.channel, p.state], dtype=torch.float64)
        b = torch.tensor(m.scan.Bx[:, p.channel, p.state], dtype=torch.float64)
    L = len(tokens)
    n = 1 << (L - 1).bit_length()  # leaves, padded to a power of two
    depth = n.bit_length() - 1
    one, zero = torch.tensor(1.0, dtype=torch.float64), torch.tensor(0.0, dtype=torch.float64)
    leaves = [(a[t], b[t]) for t in range(L)] + [(one, zero)] * (n - L)
    h, hs = zero, []
    for t in range(L):
        h = a[t] * h + b[t]
        hs.append(float(h))
    return p, tokens, leaves, n, depth, hs


def _pairs(pic, key: str) -> dict[tuple, tuple[str, str]]:
    a, b = pic.texts(f"{key}_a"), pic.texts(f"{key}_b")
    assert a.keys() == b.keys()
    return {i: (a[i], b[i]) for i in a}


def _formatted(pair) -> tuple[str, str]:
    return _fmt(pair[0]), _fmt(pair[1])


@pytest.fixture(scope="module")
def runs(fast_run):
    return {
        name: (*fast_run(SCENE, raw, "en"), *_reference(raw)) for raw, name in zip(CASES, IDS, strict=True)
    }


@pytest.mark.parametrize("case", IDS)
def test_no_layout_problems(runs, case):
    assert runs[case][1] == []


@pytest.mark.parametrize("case", IDS)
def test_associativity_check(runs, case):
    scene, _, _, _, leaves, n, _, _ = runs[case]
    pic = scene.pictures[1]
    if n < 3:
        assert "assoc_left" not in pic
        return
    expected = [numbers.fixed(v, 3, tex=True) for v in _fold(leaves[:3])]
    assert pic.array("assoc_left").tolist() == expected
    assert pic.array("assoc_right").tolist() == expected  # e1 ∘ (e2 ∘ e3), the same pair


@pytest.mark.parametrize("case", IDS)
def test_leaves_and_padding(runs, case):
    scene, _, p, tokens, leaves, n, depth, _ = runs[case]
    pic = scene.pictures[2]
    assert _pairs(pic, "leaf") == {(0, k): _formatted(e) for k, e in enumerate(leaves)}
    L = len(tokens)
    assert [pic.text("leaf_tokens", k) for k in range(n)] == [*tokens, *["pad"] * (n - L)]
    if n > L:
        assert pic.text("pads") == STRINGS["en"]["pads"].format(n=n, depth=depth)
        assert all(_pairs(pic, "leaf")[(0, k)] == ("1.000", "0.000") for k in range(L, n))
    else:
        assert "pads" not in pic


@pytest.mark.parametrize("case", IDS)
def test_up_sweep_nodes_hold_their_span(runs, case):
    scene, _, _, _, leaves, n, depth, hs = runs[case]
    pic = scene.pictures[3]
    expected = {
        (lv, j): _formatted(_fold(leaves[j << lv : (j + 1) << lv]))
        for lv in range(1, depth + 1)
        for j in range(n >> lv)
    }
    assert _pairs(pic, "up") == expected
    root_b = _fold(leaves)[1]
    assert abs(root_b - hs[-1]) < 1e-13  # the root's b is the last state
    assert pic.text("root_b") == STRINGS["en"]["root"].format(h=_fmt(hs[-1]))


@pytest.mark.parametrize("case", IDS)
def test_down_sweep_nodes_hold_everything_before_their_span(runs, case):
    scene, _, _, _, leaves, n, depth, hs = runs[case]
    pic = scene.pictures[4]
    expected = {
        (lv, j): _formatted(_fold(leaves[: j << lv])) for lv in range(depth + 1) for j in range(n >> lv)
    }
    assert _pairs(pic, "down") == expected
    for t in range(1, len(hs)):  # leaf t's b is the state before token t
        assert _pairs(pic, "down")[(0, t)][1] == _fmt(hs[t - 1])


@pytest.mark.parametrize("case", IDS)
def test_strips_equal_a_sequential_loop(runs, case):
    scene, _, _, tokens, _, _, depth, hs = runs[case]
    pic = scene.pictures[-1]
    expected = [_fmt(h) for h in hs]
    assert pic.array("h_parallel").tolist() == [expected]
    assert pic.array("h_sequential").tolist() == [expected]
    assert pic.array("tokens").tolist() == list(tokens)
    L = len(tokens)
    levels = max(1, (L - 1).bit_length())  # ⌈log₂ L⌉ levels up, as many down
    assert depth == levels
    assert pic.text("equal") == STRINGS["en"]["equal"].format(depth=levels, L=L)


@pytest.mark.parametrize("raw", CASES, ids=IDS)
def test_zh_draws_the_same_numbers_in_its_own_words(fast_run, raw):
    zh, problems = fast_run(SCENE, raw, "zh")
    en, _ = fast_run(SCENE, raw, "en")
    assert problems == []
    p, tokens, leaves, n, depth, hs = _reference(raw)
    for pz, pe in zip(zh.pictures, en.pictures, strict=True):
        assert pz.keys() == pe.keys()
        for key in set(pe.keys()) & NUMBER_KEYS:
            assert pz.texts(key) == pe.texts(key), key
    L = len(tokens)
    assert [zh.pictures[2].text("leaf_tokens", k) for k in range(n)] == [*tokens, *["补齐"] * (n - L)]
    assert zh.pictures[3].text("root_b") == STRINGS["zh"]["root"].format(h=_fmt(hs[-1]))
    assert zh.pictures[-1].text("equal") == STRINGS["zh"]["equal"].format(depth=depth, L=L)
    if n > L:
        assert zh.pictures[2].text("pads") == STRINGS["zh"]["pads"].format(n=n, depth=depth)


def test_channel_and_state_are_bounded_by_the_model():
    with pytest.raises(ValueError):
        ParallelScan.Params(d_inner=2, channel=2)
    with pytest.raises(ValueError):
        ParallelScan.Params(d_state=2, state=5)
