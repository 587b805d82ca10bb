"""transformer.multi_head: the trained heads as drawn, against torch's nn.MultiheadAttention on the committed
weights (float64), head scores recomputed here by hand, and the parameter count of nn.MultiheadAttention."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from lib.models import induction
from lib.models.torch_models import causal_block
from scenes.kit import numbers
from scenes.transformer.multi_head import MultiHead
from tests.lib.models.torch_ref import induction_model, mha_weights

SETS = [None, *MultiHead.EXAMPLES]
LOCALES = ["en", "zh"]
SPLIT, HEADS, ZOOM, CONCAT = range(4)


def run(fast_run, raw, locale):
    scene, _ = fast_run("transformer.multi_head", raw, locale)
    assert len(scene.pictures) == CONCAT + 1
    return scene, MultiHead.Params.model_validate(raw or {}), MultiHead.STRINGS[locale]


def torch_attention(tokens: np.ndarray) -> np.ndarray:
    """(layers, H, T, T) per-head weights from torch's MultiheadAttention inside the torch model."""
    model = induction_model()
    x_t = torch.from_numpy(tokens)
    T = tokens.shape[1]
    out = []
    with torch.no_grad():
        x = model.embed(x_t) + model.pos.weight[:T]
        for layer in model.layers:
            z = layer.norm1(x)
            out.append(mha_weights(layer.self_attn, z, z, attn_mask=causal_block(T))[0])
            x = layer(x, src_mask=causal_block(T))
    return np.stack(out)


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("raw", SETS)
def test_head_scores_and_zoomed_heads_are_torch(fast_run, raw, locale):
    scene, p, s = run(fast_run, raw, locale)
    b = induction.example(p.seed, p.segment)
    tokens, F, S = b.tokens, int(b.start[0]), int(b.segment[0])
    assert S == p.segment
    att = torch_attention(tokens)  # (L, H, T, T)
    T = tokens.shape[1]
    # by hand: previous-token score = mean over t ≥ 1 of w(t → t − 1); induction = mean over the second
    # copy's queries t ∈ [F + S, F + 2S − 2] of w(t → t − S + 1)
    prev = np.array([[np.mean([att[la, h, t, t - 1] for t in range(1, T)]) for h in range(att.shape[1])]
                     for la in range(att.shape[0])])  # fmt: skip
    qs = range(F + S, F + 2 * S - 1)
    ind = np.array([[np.mean([att[la, h, t, t - S + 1] for t in qs]) for h in range(att.shape[1])]
                    for la in range(att.shape[0])])  # fmt: skip
    pic = scene.pictures[HEADS]
    for la in range(att.shape[0]):
        for h in range(att.shape[1]):
            assert pic.text("prev_score", (la, h)) == s["prev"].format(v=numbers.fixed(prev[la, h], 2))
            assert pic.text("ind_score", (la, h)) == s["ind"].format(v=numbers.fixed(ind[la, h], 2))
    pl, ph = np.unravel_index(np.argmax(prev), prev.shape)
    il, ih = np.unravel_index(np.argmax(ind), ind.shape)
    assert (pl, il) == (0, 1)  # what the trained model learned: previous-token in layer 1, induction in 2
    w = np.arange(max(F - 1, 0), F + 2 * S)
    zoom = scene.pictures[ZOOM]
    fmt = np.vectorize(lambda v: numbers.fixed(float(v), 2))
    assert (zoom.array("zoom_prev") == fmt(att[pl, ph][np.ix_(w, w)])).all()
    assert (zoom.array("zoom_ind") == fmt(att[il, ih][np.ix_(w, w)])).all()
    assert zoom.contains_text(s["learned_prev"].format(l=pl + 1, h=ph + 1))
    assert zoom.contains_text(s["learned_ind"].format(l=il + 1, h=ih + 1))
    names = ["ABCDEFGHIJKLMNOPQRSTUVWXYZαβγδεζ"[int(t)] for t in tokens[0, w]]  # as the decoding scene
    assert all(n in zoom.strings for n in names)


@pytest.mark.parametrize("locale", LOCALES)
def test_split_and_parameter_count(fast_run, locale):
    scene, _, _ = run(fast_run, None, locale)
    mha = induction_model().layers[0].self_attn
    d, h = mha.embed_dim, mha.num_heads
    split = scene.pictures[SPLIT]
    assert split.text("d_model") == f"= {d}"
    assert split.text("n_heads") == str(h)
    assert split.text("d_k") == str(d // h)
    assert [split.text("d_head", i) for i in range(h)] == [f"d_k = {d // h}"] * h
    end = scene.pictures[CONCAT]
    total = sum(p.numel() for p in torch.nn.MultiheadAttention(d, h).parameters())
    assert end.text("total_params") == numbers.integer(total)
    for part in ("q_proj", "k_proj", "v_proj", "out_proj"):
        assert end.text("part_params", part) == numbers.integer(d * d + d)
