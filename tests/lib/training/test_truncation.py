"""lib.training.truncation against torch: top-k with torch.topk, the nucleus written in torch as in
Holtzman et al. 2020 (sort, cumsum, drop the tail past mass p), entropy from torch.distributions."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from lib.training import truncation


def dist(seed: int, n: int = 12, scale: float = 2.0) -> np.ndarray:
    z = np.random.default_rng(seed).normal(size=n) * scale
    return torch.softmax(torch.from_numpy(z), -1).numpy()


def torch_top_k(p: np.ndarray, k: int) -> np.ndarray:
    t = torch.from_numpy(p)
    vals, idx = torch.topk(t, k)
    out = torch.zeros_like(t).scatter(0, idx, vals)
    return (out / out.sum()).numpy()


def torch_top_p(p: np.ndarray, top: float) -> np.ndarray:
    t = torch.from_numpy(p)
    sorted_p, idx = torch.sort(t, descending=True, stable=True)
    before = torch.cumsum(sorted_p, 0) - sorted_p  # mass of the likelier tokens
    keep = before < top  # a token survives while the mass before it is still short of p
    out = torch.zeros_like(t).scatter(0, idx, sorted_p * keep)
    return (out / out.sum()).numpy()


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("k", [1, 3, 7])
def test_top_k_equals_torch_topk(seed, k):
    p = dist(seed)
    cut = truncation.top_k(p, k)
    np.testing.assert_allclose(cut.probs, torch_top_k(p, k), rtol=0, atol=1e-15)
    assert cut.kept == k and np.isclose(cut.mass, np.sort(p)[::-1][:k].sum(), rtol=0, atol=1e-15)


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("top", [0.3, 0.75, 0.9, 0.99, 1.0])
def test_top_p_equals_torch_nucleus(seed, top):
    p = dist(seed)
    cut = truncation.top_p(p, top)
    np.testing.assert_allclose(cut.probs, torch_top_p(p, top), rtol=0, atol=1e-15)
    assert cut.mass >= top - 1e-12 and (cut.kept == 1 or cut.cumulative[cut.kept - 2] < top)


def test_top_p_by_hand():
    p = np.array([0.1, 0.5, 0.25, 0.15])  # sorted: 0.5, 0.25, 0.15, 0.1 → cumulative 0.5, 0.75, 0.9, 1.0
    cut = truncation.top_p(p, 0.8)
    assert cut.order.tolist() == [1, 2, 3, 0] and cut.kept == 3
    np.testing.assert_allclose(cut.probs, [0.0, 0.5 / 0.9, 0.25 / 0.9, 0.15 / 0.9], rtol=0, atol=1e-15)
    assert truncation.top_p(p, 0.5).kept == 1  # exactly reaching p is enough


@pytest.mark.parametrize("seed", range(5))
def test_entropy_equals_torch_categorical(seed):
    p = dist(seed)
    ref = torch.distributions.Categorical(probs=torch.from_numpy(p)).entropy().item()
    assert abs(truncation.entropy(p) - ref) < 1e-12
    assert abs(truncation.entropy(np.full(8, 1 / 8)) - np.log(8)) < 1e-12  # uniform: log V
