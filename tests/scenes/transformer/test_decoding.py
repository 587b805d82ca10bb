"""transformer.decoding: what the viewer reads, against the torch model on the committed weights.

The masked scores are torch's q·kᵀ/√d_k of the induction head (found here from torch's attention weights)
with masked_fill(−∞); the weights are nn.MultiheadAttention's; every generated token is the argmax (greedy)
or the inverse-CDF pick of the seeded uniform draw (sampling) over torch's softmax(logits / τ), re-run on
the growing sequence without any cache; the cache size is counted by hand.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from lib.models import induction
from lib.models.torch_models import causal_block
from scenes.engine.probe import Picture
from scenes.kit import numbers
from scenes.transformer.decoding import Decoding
from tests.lib.models.torch_ref import induction_model, mha_weights

SETS = [None, *Decoding.EXAMPLES]
LOCALES = ["en", "zh"]
MASK, GREEDY, SAMPLED = 0, 1, 2  # the pauses
NAMES = "ABCDEFGHIJKLMNOPQRSTUVWXYZαβγδεζ"  # the scene's names of the 32 token ids


def run(fast_run, raw, locale):
    scene, _ = fast_run("transformer.decoding", raw, locale)
    assert len(scene.pictures) == SAMPLED + 1
    return scene, Decoding.Params.model_validate(raw or {})


def prompt_of(p) -> tuple[list[int], int]:
    """The sequence up to the first token of the second copy, and the segment's start (by hand)."""
    ex = induction.example(p.example, p.segment)
    toks = [int(t) for t in ex.tokens[0]]
    F_ = int(ex.start[0])
    assert toks[F_ : F_ + p.segment] == toks[F_ + p.segment : F_ + 2 * p.segment]  # the repeat
    return toks[: F_ + p.segment + 1], F_


def torch_next_logits(model, tokens: list[int]) -> torch.Tensor:
    with torch.no_grad():
        return model(torch.tensor([tokens]))[0, -1]  # (V,)


def decimals(s: str) -> int:
    return len(s.split(".")[1]) if "." in s else 0


def test_masked_scores_and_weights_are_torchs_for_the_induction_head(fast_run):
    for raw in SETS:
        scene, p = run(fast_run, raw, "en")
        prompt, F_ = prompt_of(p)
        full = induction.example(p.example, p.segment).tokens  # (1, 24)
        model, T = induction_model(), len(prompt)
        with torch.no_grad():
            x = model.embed(torch.tensor(full)) + model.pos.weight[: full.shape[1]]
            x = model.layers[0](x, src_mask=causal_block(full.shape[1]))
            last = model.layers[-1]
            w = mha_weights(last.self_attn, last.norm1(x), last.norm1(x), attn_mask=causal_block(x.shape[1]))
            q_pos = np.arange(F_ + p.segment, F_ + 2 * p.segment - 1)  # second copy, but its last token
            head = int(np.argmax(w[0][:, q_pos, q_pos - p.segment + 1].mean(-1)))  # the induction head
            xp = model.embed(torch.tensor([prompt])) + model.pos.weight[:T]
            xp = model.layers[0](xp, src_mask=causal_block(T))
            z = last.norm1(xp)[0]
            q, k, _ = F.linear(z, last.self_attn.in_proj_weight, last.self_attn.in_proj_bias).chunk(3, -1)
            q, k = (a.reshape(T, 4, -1)[:, head] for a in (q, k))  # (T, d_head)
            scores = (q @ k.T / q.shape[-1] ** 0.5).masked_fill(causal_block(T), float("-inf")).numpy()
            weights = mha_weights(last.self_attn, last.norm1(xp), last.norm1(xp), attn_mask=causal_block(T))
        drawn = scene.pictures[MASK].array("masked_scores")
        d = decimals(drawn[-1, 0])
        assert drawn.tolist() == [[numbers.fixed(v, d) for v in r] for r in scores]
        assert (drawn == numbers.MINUS + "∞").tolist() == np.triu(np.ones((T, T), bool), 1).tolist()
        drawn_w = scene.pictures[MASK].array("mask_weights")
        d = decimals(drawn_w[0, 0])
        assert d >= 1
        assert drawn_w.tolist() == [[numbers.fixed(v, d) for v in r] for r in weights[0, head]]
        assert scene.pictures[MASK].contains_text(f"{head + 1} ")


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("raw", SETS)
def test_greedy_tokens_probabilities_and_cache_size(fast_run, raw, locale):
    scene, p = run(fast_run, raw, locale)
    prompt, _ = prompt_of(p)
    model, seq, picked = induction_model(), list(prompt), []
    for _ in range(p.steps):  # no cache: the whole sequence again at every step
        probs = F.softmax(torch_next_logits(model, seq), -1).numpy()
        seq.append(int(np.argmax(probs)))
        picked.append(probs)
    pic = scene.pictures[GREEDY]
    assert list(pic.array("greedy_tokens")) == [NAMES[t] for t in seq]
    assert list(pic.array("greedy_p")) == [numbers.fixed(pr.max(), 3) for pr in picked]
    top = sorted(range(32), key=lambda i: -picked[-1][i])[:4]  # the last step's distribution
    assert list(pic.array("top_p")) == [numbers.fixed(picked[-1][i], 3) for i in top]
    assert list(pic.array("top_p_label")) == [NAMES[i] for i in top]
    n = len(seq) - 1  # the last token was picked, never fed in
    assert pic.value("cache_size") == 2 * 2 * n * 64 * 8  # layers × (K, V) × tokens × d_model × float64
    size = numbers.byte_size(2 * 2 * n * 64 * 8, 1)
    line = Decoding.STRINGS[locale]["cache_size"]
    assert pic.text("cache_size") == line.format(n=n, layers=2, dm=64, b=8, bytes=size)


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("raw", SETS)
def test_sampled_tokens_are_the_inverse_cdf_picks_of_the_seeded_draws(fast_run, raw, locale):
    scene, p = run(fast_run, raw, locale)
    prompt, _ = prompt_of(p)
    model, seq, rng = induction_model(), list(prompt), np.random.default_rng(p.seed)
    us, ps = [], []
    for _ in range(p.steps):
        probs = F.softmax(torch_next_logits(model, seq) / p.temperature, -1).numpy()
        u = rng.random()
        total, pick = 0.0, None
        for i in sorted(range(32), key=lambda i: (-probs[i], i)):  # likeliest first
            total += probs[i]
            if total > u:
                pick = i
                break
        seq.append(pick)
        us.append(u)
        ps.append(probs[pick])
    pic = scene.pictures[SAMPLED]
    assert list(pic.array("sampled_tokens")) == [NAMES[t] for t in seq]
    assert list(pic.array("sampled_pick")) == [f"→ {NAMES[t]}" for t in seq[len(prompt) :]]
    assert list(pic.array("u")) == [numbers.fixed(u, 2) for u in us]
    assert list(pic.array("sampled_p")) == [numbers.fixed(v, 3) for v in ps]
    assert pic.contains_text(numbers.fixed(p.temperature, 1))


def test_the_default_sample_leaves_the_copy_once(fast_run):
    # the lecture's point: a draw beyond the likeliest token writes what the model thought unlikely
    scene, _ = run(fast_run, None, "en")
    greedy = Picture.merge(scene.pictures[GREEDY : GREEDY + 1]).array("greedy_tokens")
    sampled = scene.pictures[SAMPLED].array("sampled_tokens")
    assert (greedy != sampled).sum() == 1
