"""training.sampling: what the viewer reads, against the torch model on the committed weights.

Each distribution is torch's softmax(logits / τ) at the predicted position; entropies
torch.distributions.Categorical; top-k torch.topk, renormalised; the nucleus by torch.sort and cumsum
(a token survives while the mass before it is short of p); every continuation re-runs the torch model on
the whole growing sequence (no cache) and picks by the inverse CDF of the same seeded draws.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from lib.models import induction
from scenes.kit import numbers
from scenes.training.sampling import Sampling
from tests.lib.models.torch_ref import induction_model

SETS = [None, *Sampling.EXAMPLES]
TEMPS, TOPK, TOPP, SAMPLES = range(4)  # the pauses
NAMES = "ABCDEFGHIJKLMNOPQRSTUVWXYZαβγδεζ"
TAIL = 5


def fx(v: float, d: int = 3) -> str:
    return numbers.fixed(float(v), d)


def nucleus(probs: torch.Tensor, p: float) -> torch.Tensor:
    sp, idx = torch.sort(probs, descending=True, stable=True)
    keep = (torch.cumsum(sp, 0) - sp) < p
    out = torch.zeros_like(probs).scatter(0, idx, sp * keep)
    return out / out.sum()


def pick(probs: torch.Tensor, u: float) -> int:
    total, ids = 0.0, sorted(range(len(probs)), key=lambda i: (-probs[i].item(), i))
    for i in ids:
        total += probs[i].item()
        if total > u:
            return i
    return ids[-1]


_REF: dict = {}


def ref(raw):
    key = repr(raw)
    if key in _REF:
        return _REF[key]
    p = Sampling.Params.model_validate(raw or {})
    ex = induction.example(p.example, p.segment)
    toks = [int(t) for t in ex.tokens[0]]
    t = int(ex.start[0]) + p.segment + p.step
    model = induction_model()
    with torch.no_grad():
        z = model(torch.tensor([toks]))[0, t]
    conts = []
    for j in range(p.samples):
        rng, seq, probs_drawn = np.random.default_rng(p.first_seed + j), toks[: t + 1], []
        for _ in range(p.steps):
            with torch.no_grad():
                dist = nucleus(torch.softmax(model(torch.tensor([seq]))[0, -1] / p.tau, -1), p.top_p)
            tok = pick(dist, rng.random())
            seq.append(tok)
            probs_drawn.append(dist[tok].item())
        conts.append((p.first_seed + j, seq[-(TAIL + p.steps) :], probs_drawn))
    _REF[key] = (p, toks, t, z, conts)
    return _REF[key]


def run(fast_run, raw, locale):
    scene, _ = fast_run("training.sampling", raw, locale)
    assert len(scene.pictures) == SAMPLES + 1
    return scene


@pytest.mark.parametrize("locale", ["en", "zh"])
@pytest.mark.parametrize("raw", SETS)
def test_distributions_and_entropies_at_each_temperature(fast_run, raw, locale):
    p, toks, t, z, _ = ref(raw)
    pic = run(fast_run, raw, locale).pictures[TEMPS]
    assert list(pic.array("context")) == [NAMES[i] for i in toks[: t + 1]]
    first = torch.softmax(z / p.temperatures[0], -1)
    ids = sorted(range(32), key=lambda i: (-first[i].item(), i))[: p.shown]
    for j, tau in enumerate(p.temperatures):
        q = torch.softmax(z / tau, -1)
        assert list(pic.array(f"tau_{j}")) == [fx(q[i]) for i in ids]
        assert list(pic.array(f"tau_{j}_label")) == [NAMES[i] for i in ids]
        h = torch.distributions.Categorical(probs=q).entropy().item()
        assert pic.text("tau_head", j) == Sampling.STRINGS[locale]["tau_head"].format(
            tau=fx(tau, 1), h=fx(h, 2)
        )


@pytest.mark.parametrize("raw", SETS)
def test_top_k_and_top_p_tables_are_torchs(fast_run, raw):
    p, _, _, z, _ = ref(raw)
    pics = run(fast_run, raw, "en").pictures
    probs = torch.softmax(z / p.tau, -1)
    ids = sorted(range(32), key=lambda i: (-probs[i].item(), i))
    nuc = nucleus(probs, p.top_p)
    kept_p = int((nuc > 0).sum())
    n = max(p.rows, kept_p)
    vals, top = torch.topk(probs, p.top_k)
    topk = torch.zeros_like(probs).scatter(0, top, vals / vals.sum())
    for pic in (pics[TOPK], pics[TOPP]):
        assert list(pic.array("table_token")) == [NAMES[i] for i in ids[:n]]
        assert list(pic.array("table_p")) == [fx(probs[i]) for i in ids[:n]]
    assert list(pics[TOPK].array("top_k")) == [fx(topk[i]) if topk[i] > 0 else "—" for i in ids[:n]]
    assert pics[TOPK].contains_text(fx(vals.sum()))
    cum = torch.cumsum(probs[ids], 0)
    assert list(pics[TOPP].array("cumulative")) == [fx(c) for c in cum[:n]]
    assert list(pics[TOPP].array("top_p")) == [fx(nuc[i]) if nuc[i] > 0 else "—" for i in ids[:n]]
    assert pics[TOPP].contains_text(f"{kept_p} ") and pics[TOPP].contains_text(fx(cum[kept_p - 1]))


@pytest.mark.parametrize("raw", SETS)
def test_continuations_are_torchs_nucleus_samples(fast_run, raw):
    p, _, _, _, conts = ref(raw)
    pic = run(fast_run, raw, "en").pictures[SAMPLES]
    for j, (seed, seq, probs) in enumerate(conts):
        assert list(pic.array(f"sample_{j}")) == [NAMES[i] for i in seq]
        assert [pic.text("sample_p", (j, s)) for s in range(p.steps)] == [fx(v) for v in probs]
        assert pic.text("seed", j) == f"seed {seed}"
