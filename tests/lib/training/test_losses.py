"""Tests for lib/training/losses.py vs F.cross_entropy and torch.autograd (float64), a loop reference, a
hand case."""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from lib.training.losses import cross_entropy, cross_entropy_grad, cross_entropy_loop, log_softmax, perplexity

ATOL = 1e-12
IGNORE = -100


def _torch_ce(
    logits: np.ndarray, targets: np.ndarray, eps: float, ignore_index: int
) -> tuple[float, np.ndarray]:
    c = logits.shape[-1]
    z = torch.tensor(logits.reshape(-1, c), dtype=torch.float64, requires_grad=True)
    y = torch.tensor(targets.reshape(-1), dtype=torch.long)
    loss = F.cross_entropy(z, y, label_smoothing=eps, ignore_index=ignore_index)
    loss.backward()
    return loss.item(), z.grad.numpy().reshape(logits.shape)


@st.composite
def ce_cases(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, float, int]:
    lead = draw(st.lists(st.integers(1, 4), min_size=1, max_size=3).map(tuple))
    c = draw(st.integers(1, 7))
    seed = draw(st.integers(0, 2**16))
    scale = draw(st.sampled_from([0.1, 1.0, 5.0, 30.0]))
    rng = np.random.default_rng(seed)
    logits = rng.normal(size=(*lead, c)) * scale
    targets = rng.integers(0, c, size=lead)
    ignore_index = draw(st.sampled_from([IGNORE, 0]))
    n_ignored = draw(st.integers(0, targets.size - 1))  # keep at least one position counted
    flat = targets.reshape(-1)
    flat[rng.choice(flat.size, size=n_ignored, replace=False)] = ignore_index
    if np.all(flat == ignore_index):  # class 0 drawn everywhere with ignore_index 0: nothing would count
        ignore_index = IGNORE
    eps = draw(st.sampled_from([0.0, 0.1, 0.25, 1.0]))
    return logits, flat.reshape(lead), eps, ignore_index


@settings(max_examples=60, deadline=None)
@given(case=ce_cases())
def test_cross_entropy_and_grad_match_torch(case: tuple[np.ndarray, np.ndarray, float, int]) -> None:
    logits, targets, eps, ignore_index = case
    expected_loss, expected_grad = _torch_ce(logits, targets, eps, ignore_index)
    res = cross_entropy(logits, targets, label_smoothing=eps, ignore_index=ignore_index)
    np.testing.assert_allclose(res.loss, expected_loss, atol=ATOL, rtol=1e-12)
    np.testing.assert_allclose(cross_entropy_grad(res), expected_grad, atol=ATOL)
    np.testing.assert_allclose(cross_entropy_loop(logits, targets, eps, ignore_index), res.loss, atol=ATOL)
    assert res.count == int(np.sum(targets != ignore_index))
    np.testing.assert_allclose(res.perplexity, math.exp(expected_loss), rtol=1e-12)
    # invariants: probs and (non-ignored) target rows sum to 1; gradient rows sum to 0
    np.testing.assert_allclose(res.probs.sum(-1), 1.0, atol=ATOL)
    np.testing.assert_allclose(res.target_dist.sum(-1), res.mask.astype(float), atol=ATOL)
    np.testing.assert_allclose(cross_entropy_grad(res).sum(-1), 0.0, atol=ATOL)


def test_unsmoothed_nll_matches_torch_and_gives_perplexity() -> None:
    rng = np.random.default_rng(0)
    logits, targets = rng.normal(size=(6, 5)), rng.integers(0, 5, size=6)
    targets[2] = IGNORE
    res = cross_entropy(logits, targets, label_smoothing=0.1)
    nll = F.nll_loss(F.log_softmax(torch.tensor(logits), -1), torch.tensor(targets), ignore_index=IGNORE)
    np.testing.assert_allclose(res.nll.sum() / res.count, nll.item(), atol=ATOL)
    assert res.nll[2] == 0 and res.token_loss[2] == 0
    np.testing.assert_allclose(perplexity(res.loss), res.perplexity, rtol=1e-15)


def test_cross_entropy_by_hand() -> None:
    # equal logits over C = 4 classes: p = 1/4 each, so CE = log 4 for any ε, and perplexity = 4
    res = cross_entropy(np.zeros((2, 4)), np.array([1, 3]), label_smoothing=0.2)
    np.testing.assert_allclose(res.loss, math.log(4.0), atol=1e-15)
    np.testing.assert_allclose(res.perplexity, 4.0, atol=1e-12)
    # gradient: (p − q')/n with q' = 0.8·onehot + 0.05 → target entry (0.25 − 0.85)/2 = −0.3, others 0.1
    g = cross_entropy_grad(res)
    np.testing.assert_allclose(g[0], [0.1, -0.3, 0.1, 0.1], atol=1e-15)
    # logits (0, log 3): p = (1/4, 3/4); target 1, no smoothing → CE = −log(3/4)
    res = cross_entropy(np.array([[0.0, math.log(3.0)]]), np.array([1]))
    np.testing.assert_allclose(res.loss, math.log(4.0 / 3.0), atol=1e-15)


def test_all_ignored_is_nan_with_zero_grad_like_torch() -> None:
    logits, targets = np.random.default_rng(1).normal(size=(3, 4)), np.full(3, IGNORE)
    expected_loss, expected_grad = _torch_ce(logits, targets, 0.1, IGNORE)
    res = cross_entropy(logits, targets, label_smoothing=0.1)
    assert math.isnan(res.loss) and math.isnan(expected_loss) and res.count == 0
    np.testing.assert_array_equal(cross_entropy_grad(res), expected_grad)


def test_log_softmax_is_stable_for_huge_logits() -> None:
    z = np.array([[1000.0, 0.0, -1000.0]])
    np.testing.assert_allclose(log_softmax(z), F.log_softmax(torch.tensor(z), -1).numpy(), atol=ATOL)
    res = cross_entropy(z, np.array([2]))
    np.testing.assert_allclose(res.loss, 2000.0, atol=ATOL)
    assert res.perplexity == math.inf
