"""The NumPy encoder–decoder against torch on the committed weights; held-out dates; the learned alignment."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from lib.models import tasks, translation
from lib.models.store import read_manifest
from lib.models.torch_models import causal_block
from lib.models.train import exact_match, greedy_decode, held_out_dates
from tests.lib.models.torch_ref import mha_weights, translation_model


@pytest.fixture(scope="module")
def weights() -> translation.Seq2SeqWeights:
    return translation.load()


@pytest.fixture(scope="module")
def held_out() -> tasks.DatesBatch:
    seed = read_manifest()["models"]["translation"]["seed"]
    return tasks.encode_dates(held_out_dates(seed)[:120])  # never trained on


def test_numpy_forward_equals_torch_in_float64(weights, held_out):
    src, tgt_in = held_out.src[:8], held_out.tgt_in[:8]
    model = translation_model()
    ours = translation.forward(weights, src, tgt_in)
    s, t = torch.from_numpy(src), torch.from_numpy(tgt_in)
    with torch.no_grad():
        np.testing.assert_allclose(ours.logits, model(s, t).numpy(), atol=1e-10, rtol=0)
        memory = model.encode(s)
        np.testing.assert_allclose(ours.memory, memory.numpy(), atol=1e-10, rtol=0)
        T = t.shape[1]
        y = model.tgt_embed(t) + model.tgt_pos.weight[:T]
        for i, layer in enumerate(model.decoder):  # torch's own per-head weights, sublayer by sublayer
            z = layer.norm1(y)
            self_w = mha_weights(layer.self_attn, z, z, attn_mask=causal_block(T))
            np.testing.assert_allclose(ours.self_attention[:, i], self_w, atol=1e-10, rtol=0)
            y_sa = y + layer.self_attn(z, z, z, attn_mask=causal_block(T), need_weights=False)[0]
            cross_w = mha_weights(layer.multihead_attn, layer.norm2(y_sa), memory, key_padding_mask=s == 0)
            np.testing.assert_allclose(ours.cross_attention[:, i], cross_w, atol=1e-10, rtol=0)
            y = layer(y, memory, tgt_mask=causal_block(T), memory_key_padding_mask=s == 0)


def test_greedy_numpy_equals_greedy_torch_and_is_exact_on_held_out_dates(weights, held_out):
    ours = translation.greedy(weights, held_out.src)
    with torch.no_grad():
        ref = greedy_decode(translation_model(), torch.from_numpy(held_out.src)).numpy()
    words = translation.decoded(ours)
    for row, ids in zip(words, ref, strict=True):
        toks = [tasks.TGT_VOCAB[i] for i in ids]
        assert row == toks[: toks.index(tasks.EOS)]
    match = exact_match(ref, held_out.tgt_out)
    expected = [tasks.date_target(*d) for d in held_out.dates.tolist()]
    assert np.mean([w == e for w, e in zip(words, expected, strict=True)]) == match.mean() >= 0.95


def test_cross_attention_follows_the_reordering_not_the_diagonal(weights, held_out):
    tr = translation.forward(weights, held_out.src, held_out.tgt_in)
    hits = np.zeros(tr.cross_attention.shape[1:3])  # (layers, H)
    count = 0
    for b, date in enumerate(held_out.dates.tolist()):
        align = np.array(tasks.date_alignment(*date))  # (T_b,) source position per target token, −1 = none
        j = np.flatnonzero(align >= 0)
        peak = tr.cross_attention[b][:, :, j].argmax(-1)  # (layers, H, |j|)
        hits += (peak == align[j]).sum(-1)
        count += len(j)
        assert (align[:4] != np.arange(4)).all()  # the year digits come first in Chinese, last in English
    assert (hits / count).max() >= 0.9  # one head reads the source word each output token comes from
