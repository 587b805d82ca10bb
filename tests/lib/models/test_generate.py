"""Generation through the KV cache against the torch model on the committed weights; the sampler by hand."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from lib.models import generate, induction
from lib.models.torch_models import causal_block
from tests.lib.models.torch_ref import induction_model, mha_weights

TIGHT = 1e-10  # float64 torch vs NumPy on the same weights


@pytest.fixture(scope="module")
def weights() -> induction.DecoderLMWeights:
    return induction.load()


@pytest.fixture(scope="module")
def prompt() -> list[int]:
    ex = induction.example(3, 5)
    return [int(t) for t in ex.tokens[0, : int(ex.start[0] + ex.segment[0]) + 1]]


def torch_logits(tokens: list[int]) -> torch.Tensor:
    with torch.no_grad():
        return induction_model()(torch.tensor([tokens]))[0]  # (T, V)


def test_cached_logits_and_cache_equal_the_full_torch_forward(weights, prompt):
    gen = generate.generate(weights, prompt, 4)
    seq = list(gen.tokens)
    ref = torch_logits(seq[:-1]).numpy()  # (T, V): row t predicts token t + 1
    caches = generate.empty_caches(weights)
    for t, tok in enumerate(seq[:-1]):
        st = generate.step(weights, caches, tok)
        caches = st.caches
        np.testing.assert_allclose(st.logits, ref[t], atol=TIGHT, rtol=0)
    model = induction_model()
    with torch.no_grad():  # the cached keys and values are torch's in_proj of LN(x), layer by layer
        x = model.embed(torch.tensor([seq[:-1]])) + model.pos.weight[: len(seq) - 1]
        for layer, cache in zip(model.layers, caches, strict=True):
            z = layer.norm1(x)[0]  # (T, d)
            _, k, v = F.linear(z, layer.self_attn.in_proj_weight, layer.self_attn.in_proj_bias).chunk(3, -1)
            H = layer.self_attn.num_heads
            np.testing.assert_allclose(cache.k, k.reshape(len(z), H, -1).transpose(0, 1), atol=TIGHT, rtol=0)
            np.testing.assert_allclose(cache.v, v.reshape(len(z), H, -1).transpose(0, 1), atol=TIGHT, rtol=0)
            x = layer(x, src_mask=causal_block(x.shape[1]))
    # the last pick reads a cache of every token but itself: 2 layers × (K and V) × d_model × 8 bytes each
    assert [s.cache_length for s in gen.steps] == list(range(len(prompt), len(seq)))
    assert gen.steps[-1].cache_bytes == 2 * 2 * (len(seq) - 1) * 64 * 8


def test_greedy_continues_the_repeated_segment(weights, prompt):
    gen = generate.generate(weights, prompt, 4)
    ex = induction.example(3, 5)
    assert list(gen.tokens) == [int(t) for t in ex.tokens[0, : len(prompt) + 4]]
    ref = torch_logits(list(gen.tokens[:-1])).numpy()
    assert [s.greedy for s in gen.steps] == list(ref[len(prompt) - 1 :].argmax(-1))


def test_sampled_token_is_the_inverse_cdf_pick_of_the_documented_uniform_draw(weights, prompt):
    tau, seed = 2.0, 7
    gen = generate.generate(weights, prompt, 5, "sample", tau, seed)
    logits = torch_logits(list(gen.tokens[:-1]))[len(prompt) - 1 :]  # (steps, V)
    probs = F.softmax(logits / tau, dim=-1).numpy()
    rng = np.random.default_rng(seed)
    for s, p in zip(gen.steps, probs, strict=True):
        u = rng.random()
        assert s.u == u
        np.testing.assert_allclose(s.probs, p, atol=TIGHT, rtol=0)
        order = sorted(range(len(p)), key=lambda i: (-p[i], i))  # likeliest first, ties by id
        total, pick = 0.0, order[-1]
        for i in order:
            total += p[i]
            if total > u:
                pick = i
                break
        assert s.token == pick


def test_sample_index_by_hand():
    p = np.array([0.1, 0.6, 0.3])  # by probability: id 1 (0 … 0.6), id 2 (… 0.9), id 0 (… 1.0)
    assert [generate.sample_index(p, u) for u in (0.0, 0.59, 0.6, 0.89, 0.9, 0.999)] == [1, 1, 2, 2, 0, 0]
    assert generate.sample_index(np.array([0.5, 0.5]), 0.2) == 0  # a tie goes to the lower id


def test_head_scores_are_torchs_masked_scores_and_weights(weights, prompt):
    model = induction_model()
    T = len(prompt)
    with torch.no_grad():
        x = model.embed(torch.tensor([prompt])) + model.pos.weight[:T]
        for li, layer in enumerate(model.layers):
            z = layer.norm1(x)
            q, k, _ = F.linear(z[0], layer.self_attn.in_proj_weight, layer.self_attn.in_proj_bias).chunk(
                3, -1
            )
            H = layer.self_attn.num_heads
            q, k = (a.reshape(T, H, -1).transpose(0, 1) for a in (q, k))  # (H, T, d_head)
            scores = q @ k.transpose(-1, -2) / q.shape[-1] ** 0.5
            masked = scores.masked_fill(causal_block(T), float("-inf")).numpy()
            ref_w = mha_weights(layer.self_attn, z, z, attn_mask=causal_block(T))[0]  # (H, T, T)
            for h in range(H):
                r = generate.head_scores(weights, prompt, li, h)
                assert (np.isneginf(r.masked) == np.triu(np.ones((T, T), bool), 1)).all()
                np.testing.assert_allclose(r.masked, masked[h], atol=TIGHT, rtol=0)
                np.testing.assert_allclose(r.weights, ref_w[h], atol=TIGHT, rtol=0)
            x = layer(x, src_mask=causal_block(T))


def test_symbols_are_distinct_names_for_every_id():
    names = generate.symbols(range(32))
    assert len(set(names)) == 32 and names[:3] == ("A", "B", "C")
