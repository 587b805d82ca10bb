"""mamba.why_mamba: what the viewer reads — cost curves against a FLOP count made here by hand, the live
timings as they were measured, the fitted exponents by a least-squares fit made here.

The cost reference counts the ops of one attention layer and one Mamba block (batch 1) directly from their
definitions (Vaswani et al. 2017 §3.2; Gu & Dao 2023 Fig. 3 and Alg. 2, the submodules of
``mamba_simple.Mamba``), with the repository's convention: 2 FLOPs per multiply-accumulate, one per bias
add, per elementwise op and per transcendental (softmax 5, SiLU 5, softplus 3). It does not call
``lib.arithmetic.cost``. Every drawn string is compared with the reference formatted as the screen does.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from scenes.engine.probe import Picture
from scenes.kit import numbers
from scenes.mamba.why_mamba import WhyMamba

SETS = [None, *WhyMamba.EXAMPLES]
LOCALES = ["en", "zh"]
D_CONV = 4  # the Mamba block's causal-conv width in the scene's cost model
READ_BACK = 1e-12  # plotted points are read back through the axes' log scaling (a float64 round trip: ~4e-15)

# the pauses of the scene: formulas, cost curves, + ratios, measured times, + fitted exponents (end)
CURVES, RATIOS, TIMES, FITS = 1, 2, 3, 4


def attention_count(T: int, d: int, H: int) -> tuple[int, int]:
    """(FLOPs, activation elements) of self-attention with biased Q, K, V, O projections, by hand."""
    proj = 4 * (2 * T * d * d + T * d)  # 4 Linear(d, d): T·d² MACs and T·d bias adds each
    scores = 2 * T * T * d + H * T * T  # QKᵀ over all heads (H·T²·d/H MACs) and the 1/√d_k scale
    softmax = 5 * H * T * T  # max, subtract, exp, sum, divide per score
    context = 2 * T * T * d  # P·V over all heads
    elems = 4 * T * d + H * T * T + H * T * T + T * d  # Q, K, V, O; scores; probabilities; context
    return proj + scores + softmax + context, elems


def mamba_count(T: int, d: int, N: int, E: int, k: int = D_CONV) -> tuple[int, int]:
    """(FLOPs, activation elements) of a Mamba block with a fused scan (no T·D·N state kept), by hand."""
    D, r = E * d, -(-d // 16)  # d_inner; dt_rank = ⌈d/16⌉
    flops = (
        2 * T * d * 2 * D  # in_proj d → 2D, no bias
        + 2 * T * D * k
        + T * D  # depthwise causal conv, kernel k, bias
        + 5 * T * D  # SiLU
        + 2 * T * D * (r + 2 * N)  # x_proj D → r + 2N, no bias
        + 2 * T * r * D
        + T * D  # dt_proj r → D, bias
        + 3 * T * D  # softplus
        + 2 * D * N  # A = −exp(A_log): exp and negate, once
        + 8 * T * D * N  # scan: ΔA, exp, ΔB, ·u, ⊙h, +, C·h multiply and sum
        + 2 * T * D  # skip y + D ⊙ u
        + 6 * T * D  # gate y ⊙ SiLU(z)
        + 2 * T * D * d  # out_proj D → d
    )
    elems = (
        2 * T * D  # in_proj (x and z)
        + T * D  # conv
        + T * D  # SiLU
        + T * (r + 2 * N)  # x_proj (δ, B, C)
        + T * D  # dt_proj
        + T * D  # softplus
        + D * N  # A
        + T * D  # scan output y
        + T * D  # skip
        + 2 * T * D  # SiLU(z) and the gated product
        + T * d  # out_proj
    )
    return flops, elems


def first_length_above(diff) -> int:
    """The least T ≥ 1 with diff(T) > 0 for diff = αT² + βT − γ (α > 0, γ ≥ 0): from the positive root of
    the quadratic, then checked exactly in integers."""
    g = -diff(0)
    b = diff(1) + g - (diff(2) + g - 2 * (diff(1) + g)) // 2
    a = (diff(2) + g - 2 * (diff(1) + g)) // 2
    t = max(1, math.floor((-b + math.sqrt(b * b + 4 * a * g)) / (2 * a)))
    while diff(t) > 0 and t > 1:
        t -= 1
    while diff(t) <= 0:
        t += 1
    assert diff(t) > 0 and (t == 1 or diff(t - 1) <= 0)
    return t


def reference(p):
    lengths = [1 << k for k in range(8, p.max_len.bit_length())]  # 256 … max_len
    attn = [attention_count(t, p.d_model, p.n_heads) for t in lengths]
    mamba = [mamba_count(t, p.d_model, p.d_state, p.expand) for t in lengths]

    def crossover(i):
        return first_length_above(
            lambda t: (
                attention_count(t, p.d_model, p.n_heads)[i]
                - mamba_count(t, p.d_model, p.d_state, p.expand)[i]
            )
        )

    b = p.bytes_per_elem
    return {
        "lengths": lengths,
        "flops": ([a[0] for a in attn], [m[0] for m in mamba]),
        "bytes": ([a[1] * b for a in attn], [m[1] * b for m in mamba]),
        "crossover": {"flops": crossover(0), "bytes": crossover(1)},
    }


def least_squares_slope(x, y) -> float:
    """The slope of the least-squares line through (log x, log y): Σ(x − x̄)(y − ȳ) / Σ(x − x̄)²."""
    lx = [math.log(v) for v in x]
    ly = [math.log(v) for v in y]
    mx, my = sum(lx) / len(lx), sum(ly) / len(ly)
    return sum((a - mx) * (b - my) for a, b in zip(lx, ly, strict=True)) / sum((a - mx) ** 2 for a in lx)


def run(fast_run, raw, locale):
    scene, _ = fast_run("mamba.why_mamba", raw, locale)
    assert len(scene.pictures) == FITS + 1
    return scene, WhyMamba.Params.model_validate(raw or {}), WhyMamba.STRINGS[locale]


def test_the_counts_by_hand_match_a_worked_case():
    # T = 2, d = 16, H = 2: projections 4·(2·2·256 + 32) = 4,224; scores 2·4·16 + 8 = 136; softmax 40;
    # context 128 → 4,528 FLOPs; elements 4·32 + 8 + 8 + 32 = 176
    assert attention_count(2, 16, 2) == (4528, 176)
    # T = 1, d = 16, N = 1, E = 1 (D = 16, r = 1, k = 4): 1,024 + 128 + 16 + 80 + 96 + 32 + 16 + 48 + 32
    # + 128 + 32 + 96 + 512 = 2,240 FLOPs; elements 32 + 16 + 16 + 3 + 16 + 16 + 16 + 16 + 16 + 32 + 16 = 195
    assert mamba_count(1, 16, 1, 1) == (2240, 195)
    assert first_length_above(lambda t: t * t - 10) == 4


def test_default_flops_crossover_by_hand():
    # d = 1024, H = 16, E = 2, N = 16: attention overtakes the Mamba block between T = 1,231 and 1,232
    p = WhyMamba.Params()
    assert reference(p)["crossover"]["flops"] == 1232


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("raw", SETS)
def test_cost_curves_and_readouts_are_the_hand_count(fast_run, raw, locale):
    scene, p, s = run(fast_run, raw, locale)
    ref = reference(p)
    lengths, last = ref["lengths"], ref["lengths"][-1]
    for what in ("flops", "bytes"):
        attn, mamba = ref[what]
        for key, ys in ((f"attention_{what}", attn), (f"mamba_{what}", mamba)):
            drawn = scene.pictures[CURVES].value_array(key)  # (len, 2): the dots' (x, y), read back
            np.testing.assert_allclose(drawn[:, 0], lengths, rtol=READ_BACK)
            np.testing.assert_allclose(drawn[:, 1], ys, rtol=READ_BACK)
        cross = ref["crossover"][what]
        assert scene.pictures[CURVES].text(f"{what}_crossover") == s["crossover"].format(
            t=numbers.integer(cross)
        )
        if lengths[0] <= cross <= last:
            assert scene.pictures[CURVES].value(f"{what}_crossover_at") == pytest.approx(cross, rel=READ_BACK)
        assert scene.pictures[RATIOS].text(f"{what}_ratio") == s["ratio"].format(
            t=numbers.length(last), r=numbers.ratio(attn[-1] / mamba[-1])
        )


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("raw", SETS)
def test_timings_drawn_are_the_timings_measured(fast_run, raw, locale):
    scene, p, s = run(fast_run, raw, locale)
    m = scene.timing  # measured at render time: the reference is what was measured, read back from the screen
    lengths = [1 << k for k in range(7, p.time_max_len.bit_length())]  # 128 … time_max_len
    assert list(m.lengths) == lengths and len(m.attention_s) == len(m.scan_s) == len(lengths)
    times = scene.pictures[TIMES]
    assert list(times.array("time_len")) == [numbers.length(t) for t in lengths]
    for what, seconds in (("attention", m.attention_s), ("scan", m.scan_s)):
        assert list(times.array(f"{what}_time")) == [numbers.duration(v) for v in seconds]
        drawn = times.value_array(f"{what}_time_at")
        np.testing.assert_allclose(drawn[:, 0], lengths, rtol=READ_BACK)
        np.testing.assert_allclose(drawn[:, 1], seconds, rtol=READ_BACK)
    heading = "measured_title_1" if m.single_threaded else "measured_title"
    assert s[heading] in times.strings
    assert times.contains_text(s["time_attn_setup"].format(d=p.d_model // p.n_heads))


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("raw", SETS)
def test_fitted_exponents_and_ratio_are_those_of_the_measured_points(fast_run, raw, locale):
    scene, _, s = run(fast_run, raw, locale)
    m, fits = scene.timing, scene.pictures[FITS]
    for what, seconds in (("attention", m.attention_s), ("scan", m.scan_s)):
        k = least_squares_slope(m.lengths, seconds)
        assert fits.text(f"{what}_exponent") == rf"\propto T^{{{numbers.fixed(k, 2, tex=True)}}}"
    r = m.attention_s[-1] / m.scan_s[-1]
    assert fits.text("time_ratio") == s["time_ratio"].format(
        t=numbers.length(m.lengths[-1]), r=numbers.ratio(r)
    )
    assert fits.contains_text(s["fit"].format(name=s["attention"]))


def test_cost_slides_are_gone_when_the_measurement_shows(fast_run):
    scene, _, _ = run(fast_run, None, "en")
    keys = set(Picture.merge(scene.pictures[TIMES:]).keys())
    assert not keys & {"attention_flops", "mamba_bytes", "flops_crossover", "bytes_ratio"}
