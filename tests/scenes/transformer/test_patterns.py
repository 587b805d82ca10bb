"""transformer.patterns: what the viewer reads — masks built by hand in torch, cell counts of those masks,
and the learned patterns recomputed by the torch models with the committed weights (heads chosen in torch).

Nothing here calls the lib/ code that made the numbers (pattern_cost, heads, the NumPy forwards).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from lib.models import tasks
from lib.models.alignment import held_out_dates
from lib.models.torch_models import causal_block
from scenes.kit import numbers
from scenes.transformer.patterns import Patterns
from tests.lib.models.torch_ref import induction_model, mha_weights, translation_model

SETS = [None, *Patterns.EXAMPLES]
LOCALES = ["en", "zh"]
MASKS, COUNTS, COST, HEADS, ALIGN = range(5)  # the pauses
KINDS = ("full", "causal", "local", "global")
ATOL = 1e-10  # float64 torch vs NumPy forward of the same weights
CHUNK = 512  # rows of a long mask built at once


def torch_mask(kind: str, rows: torch.Tensor, T: int, w: int, g: tuple[int, ...]) -> torch.Tensor:
    """Rows ``rows`` of a T × T mask, True = attend, from the definitions (causal j ≤ i, band |i − j| ≤ w,
    global tokens' rows and columns)."""
    i, j = rows[:, None], torch.arange(T)[None, :]
    if kind == "full":
        return torch.ones(len(rows), T, dtype=torch.bool)
    if kind == "causal":
        return j <= i
    band = (i - j).abs() <= w
    if kind == "local":
        return band
    is_g = torch.zeros(T, dtype=torch.bool)
    is_g[list(g)] = True
    return band | is_g[rows][:, None] | is_g[None, :]


def cells(kind: str, T: int, w: int, g: tuple[int, ...]) -> int:
    return sum(
        int(torch_mask(kind, torch.arange(a, min(a + CHUNK, T)), T, w, g).sum()) for a in range(0, T, CHUNK)
    )


def run(fast_run, raw, locale):
    scene, _ = fast_run("transformer.patterns", raw, locale)
    assert len(scene.pictures) == ALIGN + 1
    return scene, Patterns.Params.model_validate(raw or {}), Patterns.STRINGS[locale]


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("raw", SETS)
def test_masks_counts_and_cost_table(fast_run, raw, locale):
    scene, p, s = run(fast_run, raw, locale)
    T, w, g = p.T, p.half_width, p.global_tokens
    for kind in ("causal", "local", "global"):
        ref = torch_mask(kind, torch.arange(T), T, w, g)
        drawn = scene.pictures[MASKS].value_array(f"mask_{kind}")  # read back from the cells' colours
        np.testing.assert_array_equal(drawn, ref.numpy().astype(float))
        assert scene.pictures[COUNTS].text(f"cells_{kind}") == s["cells"].format(
            n=numbers.integer(int(ref.sum())), total=numbers.integer(T * T)
        )
    table = scene.pictures[COST]
    short = [cells(k, T, w, g) for k in KINDS]
    long = [cells(k, p.long_T, p.long_half_width, g) for k in KINDS]
    assert list(table.array("short_cells")) == [numbers.integer(n) for n in short]
    assert list(table.array("short_share")) == [numbers.percent(n / T**2) for n in short]
    assert list(table.array("long_cells")) == [numbers.integer(n) for n in long]
    assert list(table.array("long_share")) == [numbers.percent(n / p.long_T**2) for n in long]


def test_long_counts_by_hand():
    # T = 4,096, w = 256: full 4,096²; causal 4,096·4,097/2; the band loses w(w + 1) cells at its two ends
    assert cells("full", 4096, 256, (0,)) == 16_777_216
    assert cells("causal", 4096, 256, (0,)) == 8_390_656
    assert cells("local", 4096, 256, (0,)) == 4096 * 513 - 256 * 257


@pytest.fixture(scope="module")
def induction_attention():
    """Per-head weights (B, layers, H, T, T) of torch's induction model on given tokens."""
    model = induction_model()

    def attend(tokens: np.ndarray) -> np.ndarray:
        T = tokens.shape[1]
        out = []
        with torch.no_grad():
            x = model.embed(torch.from_numpy(tokens)) + model.pos.weight[:T]
            for layer in model.layers:
                z = layer.norm1(x)
                out.append(mha_weights(layer.self_attn, z, z, attn_mask=causal_block(T)))
                x = layer(x, src_mask=causal_block(T))
        return np.stack(out, axis=1)

    return attend


def best_heads(attend):
    """The previous-token and induction heads, scored in torch on the 64 unseen sequences of seed 2024."""
    batch = tasks.induction_batch(np.random.default_rng(2024), 64)
    att = attend(batch.tokens)  # (B, layers, H, T, T)
    T = batch.tokens.shape[1]
    prev = np.mean([att[:, :, :, t, t - 1] for t in range(1, T)], axis=(0, 1))  # (layers, H)
    ind = np.mean(
        [
            att[b, :, :, t, t - batch.segment[b] + 1]
            for b in range(len(batch.tokens))
            for t in range(batch.start[b] + batch.segment[b], batch.start[b] + 2 * batch.segment[b] - 1)
        ],
        axis=0,
    )  # (layers, H)
    return (
        (np.unravel_index(prev.argmax(), prev.shape), prev.max()),
        (np.unravel_index(ind.argmax(), ind.shape), ind.max()),
    )


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("raw", SETS)
def test_learned_heads_are_torchs(fast_run, raw, locale, induction_attention):
    scene, p, s = run(fast_run, raw, locale)
    (prev_head, prev_score), (ind_head, ind_score) = best_heads(induction_attention)
    ex = tasks.induction_batch(
        np.random.default_rng(p.induction_seed),
        1,
        tasks.InductionConfig(min_segment=p.segment, max_segment=p.segment),
    )
    F, S = int(ex.start[0]), int(ex.segment[0])
    lo, hi = max(F - 1, 0), F + 2 * S
    att = induction_attention(ex.tokens)[0]  # (layers, H, T, T)
    pic = scene.pictures[HEADS]
    for which, (layer, head), score in (
        ("previous", prev_head, prev_score),
        ("induction", ind_head, ind_score),
    ):
        np.testing.assert_allclose(
            pic.value_array(f"{which}_head"), att[layer, head, lo:hi, lo:hi], atol=ATOL, rtol=0
        )
        assert pic.text(f"{which}_score") == s[f"{which}_score"].format(s=numbers.fixed(score, 2))
        assert pic.contains_text(s[f"{which}_head"].format(l=layer + 1, h=head + 1))  # counted from 1
    assert pic.contains_text(s["scored_on"].format(a=lo, b=hi - 1, t=ex.tokens.shape[1], n=64))
    labels = ["ABCDEFGHIJKLMNOPQRSTUVWXYZαβγδεζ"[int(t)] for t in ex.tokens[0, lo:hi]]  # as decoding
    assert all(lab in pic.strings for lab in labels)


@pytest.fixture(scope="module")
def translation_cross():
    """Cross-attention (B, layers, H, T, S) of torch's translator on every held-out date, teacher-forced."""
    dates = held_out_dates()
    batch = tasks.encode_dates(dates)
    model = translation_model()
    src, tgt = torch.from_numpy(batch.src), torch.from_numpy(batch.tgt_in)
    T = tgt.shape[1]
    out = []
    with torch.no_grad():
        memory = model.encode(src)
        y = model.tgt_embed(tgt) + model.tgt_pos.weight[:T]
        for layer in model.decoder:
            z = layer.norm1(y)
            y_sa = y + layer.self_attn(z, z, z, attn_mask=causal_block(T), need_weights=False)[0]
            out.append(
                mha_weights(layer.multihead_attn, layer.norm2(y_sa), memory, key_padding_mask=src == 0)
            )
            y = layer(y, memory, tgt_mask=causal_block(T), memory_key_padding_mask=src == 0)
    return dates, np.stack(out, axis=1)


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("raw", SETS)
def test_alignment_is_torchs_best_cross_attention_head(fast_run, raw, locale, translation_cross):
    scene, p, s = run(fast_run, raw, locale)
    dates, cross = translation_cross
    hits, count = np.zeros(cross.shape[1:3]), 0
    for b, date in enumerate(dates.tolist()):
        for k, src_pos in enumerate(
            tasks.date_alignment(*date)
        ):  # by hand: which source token each comes from
            if src_pos >= 0:
                hits += cross[b, :, :, k].argmax(-1) == src_pos
                count += 1
    rates = hits / count
    layer, head = np.unravel_index(rates.argmax(), rates.shape)
    date = dates[p.date_index].tolist()
    src, out = tasks.date_source(*date), tasks.date_target(*date)  # the model translates held-out dates right
    ref = cross[p.date_index, layer, head, : len(out), : len(src)].T  # rows: source tokens, columns: output
    pic = scene.pictures[ALIGN]
    assert pic.array("alignment").tolist() == [[numbers.fixed(v, 2) for v in r] for r in ref]
    assert pic.text("hit_rate") == s["hit_rate"].format(r=numbers.percent(rates.max()))
    assert pic.contains_text(s["alignment_title"].format(l=layer + 1, h=head + 1))  # counted from 1
    assert all(tok in pic.strings for tok in [*src, *out])
