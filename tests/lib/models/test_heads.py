"""lib/models/heads.py: the heads it names are the ones torch's own attention weights single out."""

from __future__ import annotations

import numpy as np
import torch

from lib.models import heads, induction, tasks, translation
from lib.models.torch_models import causal_block
from tests.lib.models.torch_ref import induction_model, mha_weights, translation_model


def test_induction_heads_are_torchs_best_scoring_heads():
    batch = tasks.induction_batch(np.random.default_rng(heads.SCORING_SEED), heads.SCORING_SIZE)
    model = induction_model()
    T = batch.tokens.shape[1]
    x_t = torch.from_numpy(batch.tokens)
    att = []
    with torch.no_grad():
        x = model.embed(x_t) + model.pos.weight[:T]
        for layer in model.layers:
            z = layer.norm1(x)
            att.append(mha_weights(layer.self_attn, z, z, attn_mask=causal_block(T)))  # (B, H, T, T)
            x = layer(x, src_mask=causal_block(T))
    att = np.stack(att, axis=1)  # (B, layers, H, T, T)
    prev = np.mean([att[:, :, :, t, t - 1] for t in range(1, T)], axis=(0, 1))  # (layers, H)
    ind = np.zeros(prev.shape)
    n = 0
    for b in range(len(batch.tokens)):
        F, S = int(batch.start[b]), int(batch.segment[b])
        for t in range(F + S, F + 2 * S - 1):  # second-copy queries; the token after the first occurrence
            ind += att[b, :, :, t, t - S + 1]
            n += 1
    ind /= n
    got = heads.induction_heads(induction.load())
    assert got.previous == np.unravel_index(prev.argmax(), prev.shape)
    assert got.induction == np.unravel_index(ind.argmax(), ind.shape)
    assert abs(got.previous_score - prev.max()) < 1e-10 and abs(got.induction_score - ind.max()) < 1e-10
    assert got.previous[0] == 0 and got.induction[0] == 1  # previous-token head first, induction head second


def test_alignment_head_from_torch_cross_attention():
    w = translation.load()
    got = heads.alignment(w, 3)
    dates = heads.held_out_dates()
    batch = tasks.encode_dates(dates)
    model = translation_model()
    s, t = torch.from_numpy(batch.src), torch.from_numpy(batch.tgt_in)
    T = t.shape[1]
    with torch.no_grad():
        memory = model.encode(s)
        y = model.tgt_embed(t) + model.tgt_pos.weight[:T]
        cross = []
        for layer in model.decoder:
            z = layer.norm1(y)
            y_sa = y + layer.self_attn(z, z, z, attn_mask=causal_block(T), need_weights=False)[0]
            cross.append(
                mha_weights(layer.multihead_attn, layer.norm2(y_sa), memory, key_padding_mask=s == 0)
            )
            y = layer(y, memory, tgt_mask=causal_block(T), memory_key_padding_mask=s == 0)
    cross = np.stack(cross, axis=1)  # (B, layers, H, T, S)
    hits, count = np.zeros(cross.shape[1:3]), 0
    for b, date in enumerate(dates.tolist()):
        for k, src_pos in enumerate(tasks.date_alignment(*date)):
            if src_pos >= 0:
                hits += cross[b, :, :, k].argmax(-1) == src_pos
                count += 1
    rates = hits / count
    assert got.head == np.unravel_index(rates.argmax(), rates.shape)
    assert abs(got.hit_rate - rates.max()) < 1e-12 and got.hit_rate > 0.95
    assert got.date == tuple(dates[3]) and got.source == tasks.date_source(*got.date)
    assert got.output == tasks.date_target(*got.date)  # held out, and translated right
    layer, head = got.head
    np.testing.assert_allclose(
        got.weights, cross[3, layer, head, : len(got.output), : len(got.source)], atol=1e-10
    )
