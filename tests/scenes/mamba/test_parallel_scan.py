"""mamba.parallel_scan draws lib's Blelloch trace; its h_t equal the sequential scan and the step-6 scene."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from lib.mamba.toy_mamba import toy_selective_ssm
from scenes.mamba.parallel_scan import ParallelScan

CASES = [None, *ParallelScan.EXAMPLES]
IDS = ["defaults", *[f"example{i}" for i in range(len(CASES) - 1)]]
TOY_KEYS = ("sentence", "d_inner", "d_state", "seed", "discretization")


def _fold(elems):
    """Compose (a, b) pairs left to right, h ↦ a h + b, with torch scalars: the independent reference."""
    a, b = torch.tensor(1.0, dtype=torch.float64), torch.tensor(0.0, dtype=torch.float64)
    for ea, eb in elems:
        a, b = ea * a, ea * b + eb
    return float(a), float(b)


@pytest.mark.parametrize("params", CASES, ids=IDS)
def test_tree_values_match_an_independent_fold(fast_run, params):
    scene, problems = fast_run("mamba.parallel_scan", params, "en")
    assert not problems
    p = ParallelScan.Params.model_validate(params or {})
    m = toy_selective_ssm(p.sentence, p.d_inner, p.d_state, p.seed, discretization=p.discretization)
    L = len(m.tokens)
    n = 1 << (L - 1).bit_length()
    a = torch.tensor(m.scan.A_bar[:, p.channel, p.state])
    b = torch.tensor(m.scan.Bx[:, p.channel, p.state])
    leaves = [(a[t], b[t]) for t in range(L)] + [(torch.tensor(1.0), torch.tensor(0.0))] * (n - L)
    s = scene.shown
    assert s["pads"] == n - L
    np.testing.assert_allclose(s["leaves"], [(float(x), float(y)) for x, y in leaves], atol=1e-15)
    for d, level in enumerate(s["up"], start=1):  # up level d: node at index i holds its span's total
        assert len(level) == n >> d
        for i, na, nb in level:
            np.testing.assert_allclose((na, nb), _fold(leaves[i + 1 - 2**d : i + 1]), atol=1e-13)
    depth = n.bit_length() - 1
    for k, level in enumerate(s["down"]):  # down level d writes spans of 2^(d−1): each gets its prefix
        size = 2 ** (depth - k - 1)
        for i, na, nb in level:
            np.testing.assert_allclose((na, nb), _fold(leaves[: i + 1 - size]), atol=1e-13)
    last = s["down"][-1]
    assert [i for i, _, _ in last] == list(range(n))
    for i, na, nb in last:
        np.testing.assert_allclose((na, nb), _fold(leaves[:i]), atol=1e-13)
    # the drawn strip: parallel h_t = sequential h_t, and both = a torch loop
    h, ref = torch.tensor(0.0, dtype=torch.float64), []
    for t in range(L):
        h = a[t] * h + b[t]
        ref.append(float(h))
    np.testing.assert_allclose(s["h_parallel"], ref, atol=1e-13)
    np.testing.assert_allclose(s["h_sequential"], ref, atol=1e-13)
    if s["assoc"] is not None:
        left, right = s["assoc"]
        np.testing.assert_allclose(left, _fold(leaves[:3]), atol=1e-14)
        np.testing.assert_allclose(right, left, atol=1e-14)


@pytest.mark.parametrize("params", CASES, ids=IDS)
def test_final_h_equals_the_selective_scan_scene(fast_run, params):
    par, _ = fast_run("mamba.parallel_scan", params, "en")
    p = ParallelScan.Params.model_validate(params or {})
    toy = {k: v for k, v in (params or {}).items() if k in TOY_KEYS}
    seq, _ = fast_run("mamba.selective_scan", toy or None, "en")
    np.testing.assert_allclose(par.shown["h_parallel"], seq.shown["h"][:, p.channel, p.state], atol=1e-13)
    assert par.shown["tokens"] == seq.shown["tokens"]


def test_channel_and_state_are_bounded_by_the_model():
    with pytest.raises(ValueError):
        ParallelScan.Params(d_inner=2, channel=2)
    with pytest.raises(ValueError):
        ParallelScan.Params(d_state=2, state=5)
