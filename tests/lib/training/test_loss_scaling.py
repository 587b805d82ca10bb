"""Dynamic loss scaling vs torch.amp.GradScaler("cpu") driven on the same scripted gradients."""

from __future__ import annotations

import math

import numpy as np
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from lib.training.floats import FP16
from lib.training.loss_scaling import ScalerConfig, run_loss_scaling, scaler_init, update_scale


def torch_run(grad_seq: np.ndarray, cfg: ScalerConfig, fp16: bool = False) -> dict[str, np.ndarray]:
    """Run a real GradScaler + SGD(lr=1) loop; the param is reset to 0 before each step, so after the
    step it holds −(unscaled gradient), or stays 0 when the scaler skipped the step."""
    D = grad_seq.shape[1]
    p = torch.nn.Parameter(torch.zeros(D, dtype=torch.float64))
    opt = torch.optim.SGD([p], lr=1.0)
    sc = torch.amp.GradScaler(
        "cpu",
        init_scale=cfg.init_scale,
        growth_factor=cfg.growth_factor,
        backoff_factor=cfg.backoff_factor,
        growth_interval=cfg.growth_interval,
    )
    out = {k: [] for k in ("scales", "scales_after", "growth_tracker", "skipped", "grads")}
    for g in grad_seq:
        loss = sc.scale(torch.ones((), dtype=torch.float64))  # loss · S (initialises the scale)
        scale = sc.get_scale()
        scaled = torch.tensor(g, dtype=torch.float64) * scale
        if fp16:
            scaled = scaled.to(torch.float16).to(torch.float64)
        with torch.no_grad():
            p.zero_()
        p.grad = scaled
        sc.step(opt)
        sc.update()
        after = p.detach().numpy().copy()
        out["scales"].append(scale)
        out["scales_after"].append(sc.get_scale())
        out["growth_tracker"].append(sc._get_growth_tracker())
        out["skipped"].append(bool(np.all(after == 0.0)))
        out["grads"].append(-after)
        del loss
    return {k: np.array(v) for k, v in out.items()}


def assert_matches_torch(seq: np.ndarray, cfg: ScalerConfig, fp16: bool = False) -> None:
    ours = run_loss_scaling(seq, cfg, FP16 if fp16 else None)
    ref = torch_run(seq, cfg, fp16)
    np.testing.assert_array_equal(ours.scales, ref["scales"])
    np.testing.assert_array_equal(ours.scales_after, ref["scales_after"])
    np.testing.assert_array_equal(ours.growth_tracker, ref["growth_tracker"])
    np.testing.assert_array_equal(ours.skipped, ref["skipped"])
    clean = ~ours.skipped
    np.testing.assert_allclose(ours.grads[clean], ref["grads"][clean], rtol=1e-12, atol=0)


def scripted(pattern: str, D: int = 4, seed: int = 0) -> np.ndarray:
    """'.' finite gradient, 'i' one +inf entry, '-' one −inf entry, 'n' one NaN entry."""
    rng = np.random.default_rng(seed)
    g = rng.uniform(0.1, 2.0, (len(pattern), D)) * rng.choice([-1.0, 1.0], (len(pattern), D))  # (T, D)
    for t, c in enumerate(pattern):
        if c != ".":
            g[t, rng.integers(D)] = {"i": math.inf, "-": -math.inf, "n": math.nan}[c]
    return g


def test_scripted_sequence_matches_torch_gradscaler():
    cfg = ScalerConfig(init_scale=2.0**10, growth_factor=2.0, backoff_factor=0.5, growth_interval=3)
    assert_matches_torch(scripted("....i..n.....-ii.......n....", seed=1), cfg)


@settings(max_examples=20, deadline=None)
@given(
    pattern=st.text(alphabet=".....in-", min_size=1, max_size=30),
    init_scale=st.sampled_from([1.0, 1000.0, 2.0**16, 3.0e5]),
    growth_factor=st.sampled_from([2.0, 1.5, 3.0]),
    backoff_factor=st.sampled_from([0.5, 0.25, 0.3]),
    growth_interval=st.integers(1, 5),
)
def test_random_sequences_match_torch_gradscaler(
    pattern, init_scale, growth_factor, backoff_factor, growth_interval
):
    # non-power-of-two factors exercise GradScaler's float32 storage of the scale
    cfg = ScalerConfig(init_scale, growth_factor, backoff_factor, growth_interval)
    assert_matches_torch(scripted(pattern, seed=len(pattern)), cfg)


def test_fp16_overflow_drives_the_scale_like_torch():
    # Gradients of size up to ~30 with S = 2^16 overflow fp16 (max 65504); the scaler must back off
    # until S·|g| fits, then creep back up; a spike at t = 25 overflows again.
    rng = np.random.default_rng(5)
    g = rng.standard_normal((60, 8)) * np.exp(rng.uniform(-8, 3, (60, 8)))  # (T, D)
    g[25, 3] = 5e3
    cfg = ScalerConfig(init_scale=2.0**16, growth_interval=4)
    assert_matches_torch(g, cfg, fp16=True)
    tr = run_loss_scaling(g, cfg, FP16)
    assert tr.skipped[1] and tr.skipped[25] and not tr.skipped[0]  # |g| ≤ 0.5 fits at t = 0
    assert tr.scales[-1] < tr.scales[0]
    assert np.all(np.isinf(tr.scaled_grads[tr.skipped]).any(axis=1))


def test_growth_stops_at_float32_max():
    # S = 2^127 cannot grow: 2^128 overflows float32, so GradScaler keeps the old scale.
    cfg = ScalerConfig(init_scale=2.0**127, growth_factor=2.0, growth_interval=1)
    seq = np.full((3, 2), 1e-40)
    assert_matches_torch(seq, cfg)
    assert run_loss_scaling(seq, cfg).scales_after.tolist() == [2.0**127] * 3


def test_update_rule_by_hand():
    # S0 = 4, ×2 after 2 clean steps, ×½ on overflow.  Steps: ok ok inf ok ok ok
    #   used:   4 4 8 4 4 8      after: 4 8 4 4 8 8      tracker: 1 0 0 1 0 1
    cfg = ScalerConfig(init_scale=4.0, growth_factor=2.0, backoff_factor=0.5, growth_interval=2)
    seq = np.ones((6, 1))
    seq[2, 0] = math.inf
    tr = run_loss_scaling(seq, cfg)
    assert tr.scales.tolist() == [4, 4, 8, 4, 4, 8]
    assert tr.scales_after.tolist() == [4, 8, 4, 4, 8, 8]
    assert tr.growth_tracker.tolist() == [1, 0, 0, 1, 0, 1]
    assert tr.skipped.tolist() == [False, False, True, False, False, False]
    np.testing.assert_array_equal(tr.grads[~tr.skipped], 1.0)  # unscaling recovers g exactly
    s = update_scale(scaler_init(cfg), True, cfg)
    assert (s.scale, s.growth_tracker) == (2.0, 0)
