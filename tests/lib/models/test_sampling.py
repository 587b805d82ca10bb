"""lib.models.sampling against the torch model re-run on the whole growing sequence (no cache), the
distribution truncated in torch (topk; the nucleus by sort and cumsum) and picked by the inverse CDF of
the same seeded draws, likeliest first."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from lib.models import induction, sampling
from tests.lib.models.torch_ref import induction_model


def torch_pick(probs: torch.Tensor, u: float) -> int:
    ids = sorted(range(len(probs)), key=lambda i: (-probs[i].item(), i))
    total = 0.0
    for i in ids:
        total += probs[i].item()
        if total > u:
            return i
    return ids[-1]


def torch_dist(logits: torch.Tensor, tau: float, k: int | None, p: float | None) -> torch.Tensor:
    probs = torch.softmax(logits / tau, -1)
    if k is not None:
        vals, idx = torch.topk(probs, k)
        probs = torch.zeros_like(probs).scatter(0, idx, vals)
        probs = probs / probs.sum()
    if p is not None:
        sp, idx = torch.sort(probs, descending=True, stable=True)
        keep = (torch.cumsum(sp, 0) - sp) < p
        probs = torch.zeros_like(probs).scatter(0, idx, sp * keep)
        probs = probs / probs.sum()
    return probs


@pytest.mark.parametrize(("tau", "k", "p"), [(1.0, None, 0.9), (1.5, 3, None), (0.7, 5, 0.8)])
def test_continuations_equal_torch_without_cache(tau, k, p):
    w, model = induction.load(), induction_model()
    prompt = [int(t) for t in induction.example(27, 4).tokens[0, :18]]
    for seed in range(3):
        got = sampling.continue_sequence(w, prompt, 4, seed, tau, k, p)
        rng, seq = np.random.default_rng(seed), list(prompt)
        for s in range(4):
            with torch.no_grad():
                logits = model(torch.tensor([seq]))[0, -1]
            probs = torch_dist(logits, tau, k, p)
            u = rng.random()
            tok = torch_pick(probs, u)
            assert got.tokens[s] == tok and got.draws[s] == u
            assert abs(got.probs[s] - probs[tok].item()) < 1e-10
            seq.append(tok)
