"""transformer.cross_attention: what the viewer reads, against the torch encoder–decoder on the same weights.

The date is the validation set's (``lib.models.train.held_out_dates``, excluded from every training batch);
the written tokens are torch's greedy decoding; the weights are nn.MultiheadAttention's cross-attention of
the decoder layer, with torch's own self-attention sublayer before it; which source token each output token
comes from is written here by hand from the two date formats.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from lib.models import tasks
from lib.models.store import read_manifest
from lib.models.train import held_out_dates
from scenes.kit import numbers
from scenes.transformer.cross_attention import CrossAttention
from tests.lib.models.torch_ref import greedy_cross_attention, translation_model

SETS = [None, *CrossAttention.EXAMPLES]
LOCALES = ["en", "zh"]
SETUP, ALIGN, HEADS = 0, 1, 2  # the pauses
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December"]  # fmt: skip


def reference(index: int):
    """The held-out date, torch's greedy output and cross-attention weights (H, T, S), and by hand the
    source position each written token comes from (−1: none)."""
    y, m, d = (int(v) for v in held_out_dates(read_manifest()["models"]["translation"]["seed"])[index])
    source = [MONTHS[m - 1], *str(d), ",", *str(y)]
    src = torch.tensor([[tasks.SRC_ID[s] for s in source] + [0] * (tasks.SRC_LEN - len(source))])
    model = translation_model()
    out, w = greedy_cross_attention(model, src)
    written = [tasks.TGT_VOCAB[i] for i in out]
    nd = len(str(d))
    by_hand = [
        *(nd + 2 + k for k in range(4)),
        -1,
        *[0] * len(str(m)),
        -1,
        *(1 + k for k in range(nd)),
        -1,
        -1,
    ]
    return (y, m, d), source, written, w[:, :, : len(source)], by_hand


def run(fast_run, raw, locale):
    scene, _ = fast_run("transformer.cross_attention", raw, locale)
    assert len(scene.pictures) == HEADS + 1
    return scene, CrossAttention.Params.model_validate(raw or {}), CrossAttention.STRINGS[locale]


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("raw", SETS)
def test_tokens_and_shapes(fast_run, raw, locale):
    scene, p, s = run(fast_run, raw, locale)
    date, source, written, _, _ = reference(p.example)
    pic = scene.pictures[SETUP]
    assert list(pic.array("source")) == source
    assert list(pic.array("written")) == written
    assert written == [*str(date[0]), "年", *str(date[1]), "月", *str(date[2]), "日", "</s>"]  # correct
    T, S = len(written), len(source)
    assert pic.text("q_shape") == s["q_shape"].format(s=f"{T} × 16")  # d_k = 64 / 4 heads
    assert pic.text("k_shape") == s["k_shape"].format(s=f"{S} × 16")
    assert pic.text("w_shape") == s["w_shape"].format(s=f"{T} × {S}")


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("raw", SETS)
def test_alignment_is_torchs_cross_attention_of_the_best_head(fast_run, raw, locale):
    scene, p, s = run(fast_run, raw, locale)
    _, source, written, w, by_hand = reference(p.example)
    known = np.array(by_hand) >= 0
    hits = (w.argmax(-1)[:, known] == np.array(by_hand)[known]).sum(-1)  # (H,)
    head = int(np.argmax(hits))
    pic = scene.pictures[ALIGN]
    assert pic.array("cross_weights").tolist() == [[numbers.fixed(v, 2) for v in r] for r in w[head]]
    assert [pic.value("peak_of", t) for t in range(len(written))] == [source[j] for j in w[head].argmax(-1)]
    assert pic.text("peaks") == s["peaks"].format(n=hits[head], m=known.sum())
    assert pic.contains_text(s["learned"].format(layer=1, head=head + 1))
    heads = scene.pictures[HEADS]
    assert list(heads.array("hits")) == [s["hits"].format(k=k, m=known.sum()) for k in hits]
    assert heads.text("output") == s["output"].format(out="".join(written[:-1]))
    assert hits[head] >= known.sum() - 1  # the learned alignment: all but at most one output token
