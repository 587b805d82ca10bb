"""mamba.inference_memory shows lib.arithmetic.cost's KV cache and Mamba state, recomputed here from the
formulas."""

from __future__ import annotations

import pytest

from lib.arithmetic.cost import compare_inference_memory, mamba_model_cost, transformer_decoder_cost
from scenes.mamba.inference_memory import InferenceMemory

SETS = [None, *InferenceMemory.EXAMPLES]


@pytest.mark.parametrize("raw", SETS)
def test_shown_memory_matches_the_formulas(fast_run, raw):
    scene, problems = fast_run("mamba.inference_memory", raw, "en")
    assert problems == []
    p = InferenceMemory.Params.model_validate(raw or {})
    s = scene.shown
    head_dim = p.attn_d_model // p.n_heads
    b = p.bytes_per_elem * p.batch
    # 2·L·h_kv·d_head·B·b per token; L·E·d·(d_conv − 1 + N)·B·b in all (Gu & Dao 2023 §3.5)
    per_token = 2 * p.attn_layers * p.n_kv_heads * head_dim * b
    state = p.mamba_layers * p.expand * p.mamba_d_model * (p.d_conv - 1 + p.d_state) * b
    assert s["kv_bytes_per_token"] == per_token
    assert s["mamba_state_bytes"] == state
    assert s["readout_lengths"] == (p.max_len // 8, p.max_len // 4, p.max_len // 2, p.max_len)
    assert s["readout_kv_bytes"] == tuple(t * per_token for t in s["readout_lengths"])
    assert s["readout_ratios"] == pytest.approx([t * per_token / state for t in s["readout_lengths"]])
    assert s["ratio_at_max"] == pytest.approx(p.max_len * per_token / state)
    assert s["curve_lengths"][0] == 0 and s["curve_lengths"][-1] == p.max_len
    assert s["curve_kv_bytes"] == tuple(t * per_token for t in s["curve_lengths"])
    # crossover: the first T whose cache is strictly larger than the state
    x = s["crossover_len"]
    assert x * per_token > state >= (x - 1) * per_token
    assert s["kv_bytes_at_crossover"] == x * per_token


@pytest.mark.parametrize("raw", SETS)
def test_shown_values_equal_lib_cost(fast_run, raw):
    scene, _ = fast_run("mamba.inference_memory", raw, "en")
    p = InferenceMemory.Params.model_validate(raw or {})
    ref = compare_inference_memory(
        scene.shown["readout_lengths"],
        attn_layers=p.attn_layers,
        n_kv_heads=p.n_kv_heads,
        head_dim=p.attn_d_model // p.n_heads,
        mamba_layers=p.mamba_layers,
        d_model=p.mamba_d_model,
        d_state=p.d_state,
        d_conv=p.d_conv,
        expand=p.expand,
        batch=p.batch,
        bytes_per_elem=p.bytes_per_elem,
    )
    assert scene.shown["crossover_len"] == ref.crossover_len
    assert scene.shown["readout_ratios"] == ref.ratios
    t = transformer_decoder_cost(
        p.vocab, p.attn_d_model, p.attn_layers, p.n_heads, p.ffn_mult * p.attn_d_model, 1
    )
    m = mamba_model_cost(p.vocab, p.mamba_d_model, p.mamba_layers, p.d_state, p.d_conv, p.expand, 1)
    assert scene.shown["transformer_params"] == t.params
    assert scene.shown["mamba_params"] == m.params


def test_default_models_are_of_similar_size(fast_run):
    scene, _ = fast_run("mamba.inference_memory", None, "en")
    s = scene.shown
    assert 0.8 < s["transformer_params"] / s["mamba_params"] < 1.25
    assert s["crossover_len"] == 39  # 12,451,840 B of state / 327,680 B per token = 38.0 → 39


def test_zh_runs_clean(fast_run):
    _, problems = fast_run("mamba.inference_memory", None, "zh")
    assert problems == []
