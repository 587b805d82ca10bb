"""lib/transformer/attention_walkthrough.py against torch (float64) and small cases worked by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from lib.transformer.attention_walkthrough import (
    angle_between,
    entropy,
    example_walkthrough,
    softmax_by_hand,
    temperature_sweep,
)

ATOL = 1e-12


@pytest.mark.parametrize(("T", "d", "dk", "seed"), [(4, 4, 3, 4), (6, 5, 2, 1), (3, 8, 4, 9)])
def test_walkthrough_is_torch_sdpa_on_the_same_inputs(T, d, dk, seed):
    w = example_walkthrough(T, d, dk, seed)
    # one decimal: every input is a multiple of 0.1 (printed exactly)
    for a in (w.x, w.w_q, w.w_k, w.w_v):
        np.testing.assert_allclose(a * 10, np.round(a * 10), atol=1e-9)
    x = torch.from_numpy(w.x)
    q, k, v = (x @ torch.from_numpy(m) for m in (w.w_q, w.w_k, w.w_v))
    np.testing.assert_allclose(w.q, q.numpy(), atol=ATOL)
    np.testing.assert_allclose(w.k, k.numpy(), atol=ATOL)
    np.testing.assert_allclose(w.v, v.numpy(), atol=ATOL)
    assert w.sqrt_dk == math.sqrt(dk)
    scaled = (q @ k.T) / math.sqrt(dk)
    np.testing.assert_allclose(w.attention.scaled, scaled.numpy(), atol=ATOL)
    np.testing.assert_allclose(w.attention.weights, F.softmax(scaled, dim=-1).numpy(), atol=ATOL)
    ref = F.scaled_dot_product_attention(q[None], k[None], v[None])[0]
    np.testing.assert_allclose(w.attention.output, ref.numpy(), atol=ATOL)


def test_softmax_by_hand_worked_case_and_torch():
    r = softmax_by_hand(np.array([0.0, math.log(3.0)]))  # e⁰ = 1, e^{ln 3} = 3: total 4, p = (1/4, 3/4)
    assert r.total == pytest.approx(4.0, abs=1e-15)
    np.testing.assert_allclose(r.probs, [0.25, 0.75], atol=1e-15)
    s = np.random.default_rng(0).standard_normal(7)
    r = softmax_by_hand(s)
    np.testing.assert_allclose(r.exps, torch.exp(torch.from_numpy(s)).numpy(), rtol=1e-15)
    np.testing.assert_allclose(r.probs, F.softmax(torch.from_numpy(s), dim=0).numpy(), atol=ATOL)


def test_entropy_by_hand_and_torch():
    assert entropy(np.array([1.0, 0.0, 0.0])) == 0.0
    assert entropy(np.full(4, 0.25)) == pytest.approx(math.log(4), abs=1e-15)
    assert entropy(np.array([0.5, 0.5, 0.0])) == pytest.approx(math.log(2), abs=1e-15)
    p = F.softmax(torch.randn(5, 6, dtype=torch.float64), dim=-1)
    ref = torch.distributions.Categorical(probs=p).entropy()
    np.testing.assert_allclose(entropy(p.numpy()), ref.numpy(), atol=ATOL)


def test_temperature_sweep_against_torch():
    s = np.array([0.3, -1.2, 2.0, 0.7])
    sw = temperature_sweep(s, (0.5, 1.0, 2.0))
    for i, tau in enumerate((0.5, 1.0, 2.0)):
        p = F.softmax(torch.from_numpy(s) / tau, dim=0)
        np.testing.assert_allclose(sw.probs[i], p.numpy(), atol=ATOL)
        assert sw.entropy[i] == pytest.approx(
            float(torch.distributions.Categorical(probs=p).entropy()), abs=ATOL
        )
    assert sw.max_entropy == pytest.approx(math.log(4), abs=1e-15)
    assert sw.entropy[0] < sw.entropy[1] < sw.entropy[2] < sw.max_entropy  # hotter: flatter


def test_angle_by_hand_and_torch():
    a = angle_between(np.array([1.0, 0.0, 0.0]), np.array([1.0, 1.0, 0.0]))  # 45°, cos = 1/√2
    assert a.degrees == pytest.approx(45.0, abs=1e-12)
    assert a.cos == pytest.approx(1 / math.sqrt(2), abs=1e-15)
    assert (a.dot, a.norm_q) == (1.0, 1.0)
    q, k = np.random.default_rng(3).standard_normal((2, 3))
    a = angle_between(q, k)
    tq, tk = torch.from_numpy(q), torch.from_numpy(k)
    assert a.cos == pytest.approx(float(F.cosine_similarity(tq, tk, dim=0)), abs=ATOL)
    assert a.norm_q * a.norm_k * a.cos == pytest.approx(float(tq @ tk), abs=ATOL)
    assert angle_between(q, -q).degrees == pytest.approx(180.0, abs=1e-6)
