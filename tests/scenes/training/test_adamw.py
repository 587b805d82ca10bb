"""training.adamw: what the viewer reads against torch.optim.Adam(weight_decay=λ) (Adam + L2) and
torch.optim.AdamW(weight_decay=λ) stepping the same gradients.

The gradients are regenerated here from the seed (the scene's input data); θ, m and v come from the torch
optimisers' own state, v̂ = v/(1 − β2^t) and the effective decay rates ηλ/(√v̂ + ε) and ηλ are derived by hand
from it, and everything is formatted as the screen formats it.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from scenes.kit import numbers
from scenes.training.adamw import AdamW

CASES = [(None, "en"), (None, "zh")] + [(ex, "en") for ex in AdamW.EXAMPLES]  # the layout test's runs
RULES, RATES, TABLE = range(3)  # the pauses
EPS = 1e-8


def run(fast_run, raw, locale):
    scene, _ = fast_run("training.adamw", raw, locale)
    assert len(scene.pictures) == TABLE + 1
    return scene, AdamW.Params.model_validate(raw or {}), AdamW.STRINGS[locale]


def gradients(p) -> np.ndarray:
    return p.grad_mean + p.grad_std * np.random.default_rng(p.seed).standard_normal(p.steps)


def torch_run(p, cls) -> dict[str, np.ndarray]:
    """θ_0 … θ_T, m_t, v_t and v̂_t of a torch optimiser on one float64 scalar fed the gradients."""
    theta = torch.tensor(p.theta0, dtype=torch.float64, requires_grad=True)
    opt = cls([theta], lr=p.lr, betas=(p.beta1, p.beta2), eps=EPS, weight_decay=p.weight_decay, foreach=False)
    out: dict[str, list[float]] = {"theta": [p.theta0], "m": [], "v": [], "v_hat": []}
    for t, g in enumerate(gradients(p), start=1):
        theta.grad = torch.tensor(float(g), dtype=torch.float64)
        opt.step()
        state = opt.state[theta]
        out["theta"].append(theta.item())
        out["m"].append(state["exp_avg"].item())
        out["v"].append(state["exp_avg_sq"].item())
        out["v_hat"].append(state["exp_avg_sq"].item() / (1 - p.beta2**t))
    return {k: np.array(v) for k, v in out.items()}


@pytest.mark.parametrize(("raw", "locale"), CASES)
def test_rules_name_both_optimisers(fast_run, raw, locale):
    scene, _, strings = run(fast_run, raw, locale)
    pic = scene.pictures[RULES]
    for key in ("adam_l2", "adamw", "where_l2", "where_w"):
        assert pic.contains_text(strings[key].split("\n")[-1]), key


@pytest.mark.parametrize(("raw", "locale"), CASES)
def test_gradients_and_decay_rates(fast_run, raw, locale):
    scene, p, _ = run(fast_run, raw, locale)
    pic = scene.pictures[RATES]
    steps = np.arange(1, p.steps + 1)
    g = gradients(p)
    drawn = pic.values("grad")  # {(k,): (x, y)} of each stem's tip (a zero draws none)
    assert sorted(drawn) == [(k,) for k in range(p.steps) if g[k] != 0]
    for (k,), (x, y) in drawn.items():
        assert x == pytest.approx(steps[k], abs=1e-9) and y == pytest.approx(g[k], rel=1e-9)
    l2 = torch_run(p, torch.optim.Adam)
    rate_l2 = p.lr * p.weight_decay / (np.sqrt(l2["v_hat"]) + EPS)
    rate_w = np.full(p.steps, p.lr * p.weight_decay)
    for key, rate in (("rate_l2", rate_l2), ("rate_w", rate_w)):
        xy = pic.value_array(key)
        np.testing.assert_allclose(xy[:, 0], steps, atol=1e-9)
        np.testing.assert_allclose(xy[:, 1], rate, rtol=1e-9, atol=1e-12)
        assert pic.text(f"{key}_last") == numbers.fixed(rate[-1], 4)
    assert rate_l2[-1] < rate_w[-1]  # large gradients: L2's decay is divided down


@pytest.mark.parametrize(("raw", "locale"), CASES)
def test_table_of_theta_m_v(fast_run, raw, locale):
    scene, p, strings = run(fast_run, raw, locale)
    pic = scene.pictures[TABLE]
    g = gradients(p)
    assert [pic.text("step", (t,)) for t in range(p.steps + 1)] == [str(t) for t in range(p.steps + 1)]
    assert [pic.text("g", (t,)) for t in range(1, p.steps + 1)] == [numbers.fixed(v, 2) for v in g]
    for suffix, cls in (("l2", torch.optim.Adam), ("w", torch.optim.AdamW)):
        ref = torch_run(p, cls)
        theta = [pic.text(f"theta_{suffix}", (t,)) for t in range(p.steps + 1)]
        assert theta == [numbers.fixed(v, 3) for v in ref["theta"]], suffix
        m = [pic.text(f"m_{suffix}", (t,)) for t in range(1, p.steps + 1)]
        assert m == [numbers.fixed(v, 3) for v in ref["m"]], suffix
        v = [pic.text(f"v_{suffix}", (t,)) for t in range(1, p.steps + 1)]
        assert v == [numbers.fixed(x, 4) for x in ref["v"]], suffix
    assert pic.text("setting") == strings["setting"].format(
        lr=f"{p.lr:.3f}", wd=f"{p.weight_decay:.3f}", theta0=f"{p.theta0:.3f}"
    )
    assert pic.contains_text(strings["why"])
