"""mamba.why_mamba: the cost curves equal lib.arithmetic.cost; the live timings have the promised shape."""

from __future__ import annotations

import pytest

from lib.arithmetic.cost import attention_cost, mamba_block_cost
from lib.mamba.scaling import power_law_exponent
from scenes.mamba.why_mamba import WhyMamba

SETS = [None, *WhyMamba.EXAMPLES]


@pytest.mark.parametrize("raw", SETS)
def test_cost_curves_equal_lib_cost(fast_run, raw):
    scene, problems = fast_run("mamba.why_mamba", raw, "en")
    assert problems == []
    p = WhyMamba.Params.model_validate(raw or {})
    s = scene.shown
    lengths = s["lengths"]
    assert lengths[0] == 256 and lengths[-1] == p.max_len
    assert all(b == 2 * a for a, b in zip(lengths[:-1], lengths[1:], strict=True))
    for i, t in enumerate(lengths):
        a = attention_cost(t, p.d_model, p.n_heads)
        m = mamba_block_cost(p.d_model, p.d_state, 4, p.expand, seq_len=t, fused_scan=True)
        assert s["attention_flops"][i] == a.flops
        assert s["mamba_flops"][i] == m.flops
        assert s["attention_bytes"][i] == a.activation_elems * p.bytes_per_elem
        assert s["mamba_bytes"][i] == m.activation_elems * p.bytes_per_elem
    assert s["flops_ratio"] == pytest.approx(s["attention_flops"][-1] / s["mamba_flops"][-1])
    assert s["bytes_ratio"] == pytest.approx(s["attention_bytes"][-1] / s["mamba_bytes"][-1])


@pytest.mark.parametrize("raw", SETS)
def test_crossovers_are_first_lengths_where_attention_costs_more(fast_run, raw):
    scene, _ = fast_run("mamba.why_mamba", raw, "en")
    p = WhyMamba.Params.model_validate(raw or {})

    def costs(t):
        return attention_cost(t, p.d_model, p.n_heads), mamba_block_cost(
            p.d_model, p.d_state, 4, p.expand, seq_len=t, fused_scan=True
        )

    x = scene.shown["flops_crossover"]
    (a, m), (a0, m0) = costs(x), costs(x - 1)
    assert a.flops > m.flops and a0.flops <= m0.flops
    x = scene.shown["bytes_crossover"]
    (a, m), (a0, m0) = costs(x), costs(x - 1)
    assert a.activation_elems > m.activation_elems and a0.activation_elems <= m0.activation_elems


def test_default_flops_crossover_by_hand(fast_run):
    # d = 1024, H = 16, E = 2, N = 16: attention overtakes the Mamba block between T = 1,231 and 1,232
    scene, _ = fast_run("mamba.why_mamba", None, "en")
    assert scene.shown["flops_crossover"] == 1232


@pytest.mark.parametrize("raw", SETS)
def test_measured_times_have_the_promised_shape(fast_run, raw):
    scene, _ = fast_run("mamba.why_mamba", raw, "en")
    p = WhyMamba.Params.model_validate(raw or {})
    s = scene.shown
    lengths = s["time_lengths"]
    assert lengths[0] == 128 and lengths[-1] == p.time_max_len
    assert len(s["attention_s"]) == len(s["scan_s"]) == len(lengths)
    assert all(t > 0 for t in s["attention_s"] + s["scan_s"])
    assert s["time_ratio"] == pytest.approx(s["attention_s"][-1] / s["scan_s"][-1])
    assert s["attention_exponent"] == pytest.approx(power_law_exponent(lengths, s["attention_s"]))
    assert s["scan_exponent"] == pytest.approx(power_law_exponent(lengths, s["scan_s"]))
    assert s["d_head"] == p.d_model // p.n_heads


def test_zh_runs_clean(fast_run):
    _, problems = fast_run("mamba.why_mamba", None, "zh")
    assert problems == []
