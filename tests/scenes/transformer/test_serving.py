"""transformer.serving: what the viewer reads — the model card, the KV-cache ladder, MHA vs GQA vs MQA, and
the prefill / decode table — against independent references that never call ``lib.arithmetic``:

* parameters: ``sum(p.numel())`` of a LLaMA-shaped GQA decoder built from torch modules on the meta device
  (the same module whose FLOPs tests/lib/arithmetic/test_cost_serving.py counts with FlopCounterMode);
* cache bytes: the ``nbytes`` of the K and V tensors (B, G, T, d_head) an inference loop keeps per layer,
  on the meta device in the dtype of the chosen width (Ainslie et al. 2023: only the G KV heads are kept);
* FLOPs and bytes moved: derived by hand below from the matrix shapes (2 FLOPs per multiply-accumulate;
  attention products dense, T_q × T_kv per head), with the roofline bound max(FLOPs/peak, bytes/bandwidth).
"""

from __future__ import annotations

import pytest
import torch

from scenes.kit import numbers
from scenes.transformer.serving import Serving
from tests.lib.arithmetic.test_cost_serving import GQADecoder

SETS = [None, *Serving.EXAMPLES]
LOCALES = ["en", "zh"]
CACHE, GQA, PHASES, RIDGE = range(4)  # the pauses
DTYPE = {1: torch.float8_e4m3fn, 2: torch.bfloat16, 4: torch.float32}


def size(n: float) -> str:
    return numbers.byte_size(n, 1)


def per_byte(x: float) -> str:
    return numbers.integer(x) if x >= 100 else numbers.fixed(x, 1)


def run(fast_run, raw, locale):
    scene, _ = fast_run("transformer.serving", raw, locale)
    assert len(scene.pictures) == RIDGE + 1
    return scene.pictures, Serving.Params.model_validate(raw or {}), Serving.STRINGS[locale]


def n_params(p) -> int:
    with torch.device("meta"):
        m = GQADecoder(p.vocab, p.d_model, p.n_layers, p.n_heads, p.n_kv_heads, p.d_ff)
    return sum(w.numel() for w in m.parameters())


def cache_bytes(p, g: int, tokens: int, batch: int, layers: int) -> int:
    """K and V of ``layers`` layers for ``batch`` sequences of ``tokens`` tokens, as meta tensors."""
    hd = p.d_model // p.n_heads
    k = torch.empty(batch, g, tokens, hd, dtype=DTYPE[p.bytes_per_elem], device="meta")
    return layers * 2 * k.nbytes


def phases(p) -> dict[str, dict[str, float]]:
    """Prefill (B·T prompt tokens in one pass) and one decode step (B tokens, cache of T), by hand."""
    L, d, H, G, F, V, T, B, b = (
        p.n_layers, p.d_model, p.n_heads, p.n_kv_heads, p.d_ff, p.vocab, p.context, p.batch, p.bytes_per_elem
    )  # fmt: skip
    hd = d // H
    matrices = L * (d * d + 2 * d * G * hd + d * d + 3 * d * F) + d * V  # Wq, Wk, Wv, Wo, SwiGLU, head
    norms = (2 * L + 1) * d
    per_token_layer_kv = 2 * G * hd * b
    out = {}
    for name, new, kv_read in (("prefill", T, 0), ("decode", 1, T - 1)):
        tokens = B * new
        flops = 2 * tokens * matrices + L * B * 2 * (2 * H * new * T * hd)  # projections, QKᵀ and AV
        weights = (matrices + norms + tokens * d) * b  # every matrix once, the embedding rows looked up
        kv = L * per_token_layer_kv * (B * kv_read + tokens)  # read the cache, write the new tokens
        nbytes = weights + kv
        seconds = max(flops / (p.peak_tflops * 1e12), nbytes / (p.bandwidth_tbs * 1e12))
        out[name] = dict(tokens=tokens, flops=flops, bytes=nbytes, seconds=seconds, intensity=flops / nbytes)
    return out


def test_llama3_8b_reference_numbers():
    p = Serving.Params()
    assert n_params(p) == 8_030_261_248
    assert cache_bytes(p, 8, 1, 1, 1) == 4096  # 4 KiB per token and layer
    assert cache_bytes(p, 8, 8192, 8, 32) == 8 * 2**30  # 8 GiB for 8 sequences of 8K tokens


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("raw", SETS)
def test_model_card_and_cache_ladder(fast_run, raw, locale):
    pics, p, s = run(fast_run, raw, locale)
    c = pics[CACHE]
    n = n_params(p)
    assert c.text("params") == s["m_params"].format(p=numbers.integer(n))
    assert c.text("weight_bytes") == s["m_weights"].format(w=size(n * p.bytes_per_elem))
    g, T, B, L = p.n_kv_heads, p.context, p.batch, p.n_layers
    expected = [
        cache_bytes(p, g, 1, 1, 1),
        cache_bytes(p, g, 1, 1, L),
        cache_bytes(p, g, T, 1, L),
        cache_bytes(p, g, T, B, L),
    ]
    assert list(c.array("kv_bytes")) == [size(v) for v in expected]
    hd = p.d_model // p.n_heads
    assert list(c.array("kv_how")) == [
        s["h_layer"].format(g=g, hd=hd, b=p.bytes_per_elem),
        s["h_token"].format(l=L),
        s["h_sequence"].format(t=numbers.integer(T)),
        s["h_batch"].format(n=B),
    ]


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("raw", SETS)
def test_mha_gqa_mqa(fast_run, raw, locale):
    pics, p, s = run(fast_run, raw, locale)
    g = pics[GQA]
    heads = [p.n_heads, p.n_kv_heads, 1]
    totals = [cache_bytes(p, h, p.context, p.batch, p.n_layers) for h in heads]
    assert list(g.array("variant_bytes")) == [size(v) for v in totals]
    labels = [s[k].format(g=h) for k, h in zip(("mha", "gqa", "mqa"), heads, strict=True)]
    assert list(g.array("variant_bytes_label")) == labels
    assert "kv_bytes" not in g  # the ladder made room


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("raw", SETS)
def test_prefill_and_decode_table(fast_run, raw, locale):
    pics, p, s = run(fast_run, raw, locale)
    ref = phases(p)
    ridge = p.peak_tflops / p.bandwidth_tbs
    for name in ("prefill", "decode"):
        r = ref[name]
        assert list(pics[PHASES].array(name)) == [
            numbers.integer(r["tokens"]),
            numbers.flops(r["flops"]),
            numbers.flops(r["flops"] / r["tokens"]),
            size(r["bytes"]),
            per_byte(r["intensity"]),
            numbers.duration(r["seconds"]),
            s["compute" if r["intensity"] >= ridge else "memory"],
        ], name
    assert ref["prefill"]["intensity"] > ridge > ref["decode"]["intensity"]  # the lecture's point holds
    assert pics[RIDGE].text("ridge") == s["ridge"].format(
        f=numbers.integer(p.peak_tflops), bw=numbers.fixed(p.bandwidth_tbs, 2), r=per_byte(ridge)
    )
    assert "ridge" not in pics[PHASES]
