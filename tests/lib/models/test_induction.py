"""The NumPy decoder-only Transformer against torch on the committed weights, and what its heads learned."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from lib.models import induction, tasks
from lib.models.store import read_manifest
from lib.models.torch_models import causal_block
from tests.lib.models.torch_ref import induction_model, mha_weights


@pytest.fixture(scope="module")
def weights() -> induction.DecoderLMWeights:
    return induction.load()


@pytest.fixture(scope="module")
def batch() -> tasks.InductionBatch:
    return tasks.induction_batch(np.random.default_rng(2024), 200)  # not the training or validation seed


def test_numpy_forward_equals_torch_in_float64(weights):
    b = tasks.induction_batch(np.random.default_rng(5), 8)
    model = induction_model()
    x_t = torch.from_numpy(b.tokens)
    T = b.tokens.shape[1]
    ours = induction.forward(weights, b.tokens)
    with torch.no_grad():
        np.testing.assert_allclose(ours.logits, model(x_t).numpy(), atol=1e-10, rtol=0)
        x = model.embed(x_t) + model.pos.weight[:T]  # (B, T, d)
        for i, layer in enumerate(model.layers):  # each head's weights as torch computes them
            z = layer.norm1(x)
            ref = mha_weights(layer.self_attn, z, z, attn_mask=causal_block(T))  # (B, H, T, T)
            np.testing.assert_allclose(ours.attention[:, i], ref, atol=1e-10, rtol=0)
            x = layer(x, src_mask=causal_block(T))


def test_induction_accuracy_on_unseen_sequences(weights, batch):
    acc = induction.accuracy(induction.forward(weights, batch.tokens).logits, batch)
    assert acc >= 0.95
    committed = read_manifest()["models"]["induction"]["metrics"]["induction_accuracy"]
    assert acc == pytest.approx(committed, abs=0.02)


def test_a_previous_token_head_and_an_induction_head(weights, batch):
    att = induction.forward(weights, batch.tokens).attention  # (B, layers, H, T, T)
    # previous-token head: a layer-0 head whose attention peaks at t − 1 inside the two copies (where the
    # induction head reads what it wrote); elsewhere nothing depends on it
    prev = []
    for b in range(len(batch.tokens)):
        F, S = batch.start[b], batch.segment[b]
        t = np.arange(F + 1, F + 2 * S)
        prev.append(att[b, :, :, t].argmax(-1) == (t - 1)[:, None, None])  # (2S−1, layers, H)
    hits = np.concatenate(prev).mean(0)  # (layers, H)
    assert hits[0].max() >= 0.75 and hits[1].max() < 0.2
    # induction head: in layer 1, queries of the second copy peak at the token after the earlier occurrence
    rows = []
    for b in range(len(batch.tokens)):
        q = np.flatnonzero(batch.target_mask[b])  # second-copy queries
        rows.append(att[b, 1][:, q].argmax(-1) == (q - batch.segment[b] + 1))  # (H, S−1)
    assert np.concatenate(rows, axis=1).mean(axis=1).max() >= 0.95
    scores = induction.head_scores(att, batch)  # the same story in mean attention
    assert scores.previous_token[0].max() > 0.5 > scores.previous_token[1].max()
    assert scores.induction[1].max() > 0.8 > scores.induction[0].max()
