"""mamba.inference_memory: what the viewer reads — parameter counts against torch modules, the KV cache and
the Mamba state against caches built as torch tensors, every label, table cell, plotted line and the
crossover as drawn, in both locales.

The references do not call ``lib.arithmetic.cost``: parameters are ``sum(p.numel())`` of torch modules
built on the meta device (no memory), the memories are the byte sizes of the tensors an inference loop keeps
(one K and one V of shape (B, h_kv, T, d_head) per layer, as Hugging Face's cache; per Mamba layer the
last d_conv − 1 inputs of each channel and the state h of shape (B, E·d, N), Gu & Dao 2023 §3.5).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from scenes.kit import numbers
from scenes.mamba.inference_memory import InferenceMemory
from tests.lib.mamba.torch_mamba import TorchMamba

SETS = [None, *InferenceMemory.EXAMPLES]
LOCALES = ["en", "zh"]
DTYPE = {1: torch.float8_e4m3fn, 2: torch.bfloat16, 4: torch.float32}  # bytes per number → a torch dtype
READ_BACK = 1e-12  # plotted points are read back through the axes (a float64 round trip)
MODELS, FORMULAS, GROWTH, CROSSOVER, FINAL = range(5)  # the pauses


def nbytes(*shape: int, b: int) -> int:
    return torch.empty(shape, dtype=DTYPE[b], device="meta").nbytes


def transformer_params(p) -> int:
    """GPT-2-style pre-norm decoder with tied embeddings and no position table, counted by torch."""
    d = p.attn_d_model
    with torch.device("meta"):
        layer = nn.ModuleList(
            [nn.LayerNorm(d), nn.MultiheadAttention(d, p.n_heads), nn.LayerNorm(d)]
            + [nn.Linear(d, p.ffn_mult * d), nn.Linear(p.ffn_mult * d, d)]
        )
        ends = nn.ModuleList([nn.Embedding(p.vocab, d), nn.LayerNorm(d)])  # the LM head is the embedding
    count = sum(x.numel() for x in layer.parameters())
    return p.attn_layers * count + sum(x.numel() for x in ends.parameters())


def mamba_params(p) -> int:
    """MambaLMHeadModel: embedding, n × (RMSNorm weight + mamba_simple.Mamba), final RMSNorm, tied head."""
    d = p.mamba_d_model
    with torch.device("meta"):
        block = TorchMamba(d, p.d_state, p.d_conv, p.expand)
    count = sum(x.numel() for x in block.parameters()) + d
    return p.vocab * d + p.mamba_layers * count + d


def kv_cache(p, T: int) -> int:
    """Bytes of a KV cache of T tokens: a K and a V tensor (B, h_kv, T, d_head) per layer."""
    d_head = p.attn_d_model // p.n_heads
    return p.attn_layers * 2 * nbytes(p.batch, p.n_kv_heads, T, d_head, b=p.bytes_per_elem)


def mamba_state(p) -> int:
    """Bytes of Mamba's inference state: per layer the conv window (B, E·d, d_conv − 1) and h (B, E·d, N)."""
    D = p.expand * p.mamba_d_model
    window = nbytes(p.batch, D, p.d_conv - 1, b=p.bytes_per_elem)
    return p.mamba_layers * (window + nbytes(p.batch, D, p.d_state, b=p.bytes_per_elem))


def first_length_above(p) -> int:
    """The first T whose cache is strictly larger than the state, counting up."""
    state, t = mamba_state(p), 1
    while kv_cache(p, t) <= state:
        t += 1
    return t


BYTES = {"system": "jedec"}  # the lecture's sizes: 1 KB = 1024 B, one decimal


def size(n: int) -> str:
    return numbers.byte_size(n, 1, **BYTES)


def assert_points(drawn, expected) -> None:
    """Drawn (x, y) points equal ``expected`` to READ_BACK of each axis's largest value (0 stays 0)."""
    drawn, expected = np.asarray(drawn, dtype=float), np.asarray(expected, dtype=float)
    scale = np.abs(expected).max(axis=0)
    np.testing.assert_allclose(drawn / scale, expected / scale, rtol=0, atol=READ_BACK)


def run(fast_run, raw, locale):
    scene, _ = fast_run("mamba.inference_memory", raw, locale)
    assert len(scene.pictures) == FINAL + 1
    return scene.pictures, InferenceMemory.Params.model_validate(raw or {}), InferenceMemory.STRINGS[locale]


def test_known_sizes():
    # state-spaces/mamba-130m (d 768, 24 layers, vocab 50,280) has 129,135,360 parameters; mamba-2.8b
    # (d 2560, 64 layers) 2,768,345,600; a 2560-wide, 32-layer fp16 KV cache holds 320 KiB per token
    p = InferenceMemory.Params(mamba_d_model=768, mamba_layers=24)
    assert mamba_params(p) == 129_135_360
    assert mamba_params(InferenceMemory.Params()) == 2_768_345_600
    assert kv_cache(InferenceMemory.Params(), 1) == 320 * 1024
    assert first_length_above(InferenceMemory.Params()) == 39  # 12,451,840 B / 327,680 B = 38.0 → 39


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("raw", SETS)
def test_model_cards(fast_run, raw, locale):
    pics, p, s = run(fast_run, raw, locale)
    for name, n in (("transformer", transformer_params(p)), ("mamba", mamba_params(p))):
        assert pics[MODELS].text("params", name) == s["n_params"].format(p=numbers.count(n, 3, locale=locale))
    formulas = pics[FORMULAS]
    assert formulas.text("kv_bytes_per_token") == s["per_token"].format(v=size(kv_cache(p, 1)))
    assert formulas.text("state_total") == s["constant"].format(v=size(mamba_state(p)))
    assert s["bytes_note"].format(b=p.batch, n=p.bytes_per_elem) in formulas.strings


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("raw", SETS)
def test_growth_table_and_lines(fast_run, raw, locale):
    pics, p, _ = run(fast_run, raw, locale)
    lengths = [p.max_len // 8, p.max_len // 4, p.max_len // 2, p.max_len]
    kv, state = [kv_cache(p, t) for t in lengths], mamba_state(p)
    g = pics[GROWTH]
    assert list(g.array("readout_len")) == [numbers.length(t) for t in lengths]
    assert list(g.array("kv_bytes")) == [size(b) for b in kv]
    assert list(g.array("state_bytes")) == [size(state)] * 4
    assert list(g.array("ratio")) == [numbers.ratio(b / state) for b in kv]
    assert_points(g.value("kv_line"), [(0, 0), *zip(lengths, kv, strict=True)])
    assert_points(g.value_array("kv_marks"), list(zip(lengths, kv, strict=True)))
    assert_points(g.value("state_line"), [(0, state), (p.max_len, state)])


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("raw", SETS)
def test_crossover_and_final_line(fast_run, raw, locale):
    pics, p, s = run(fast_run, raw, locale)
    cross, state = first_length_above(p), mamba_state(p)
    c = pics[CROSSOVER]
    assert c.text("crossover") == s["crossover"].format(t=numbers.integer(cross))
    assert c.value("crossover_at") == pytest.approx(cross, rel=READ_BACK)
    assert_points(c.value_array("crossover_point"), [(cross, kv_cache(p, cross))])
    zoom = c.value("zoom_kv_line")  # the zoomed lines run from 0 to a round length past the crossover
    end = round(zoom[-1][0])
    assert end > cross
    assert_points(zoom, [(0, 0), (end, kv_cache(p, end))])
    assert_points(c.value("zoom_state_line"), [(0, state), (end, state)])
    assert "readout_len" not in c  # the table made room for the zoom
    T = p.max_len
    assert pics[FINAL].text("final") == s["final"].format(
        t=numbers.integer(T), kv=size(kv_cache(p, T)), s=size(state), r=numbers.ratio(kv_cache(p, T) / state)
    )
