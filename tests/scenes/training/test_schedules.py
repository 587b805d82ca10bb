"""training.schedules: what the viewer reads — the learning-rate curves against torch's own schedulers
stepping an optimiser, the validation losses and the table against the committed run file read here with
``np.load`` (not through lib), formatted as the screen formats them.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import torch

from scenes.kit import numbers
from scenes.training.schedules import Schedules

SETS = [None, *Schedules.EXAMPLES]
RUN_FILE = Path(__file__).parents[3] / "lib" / "models" / "weights" / "schedules.npz"
LR, W, T, S, G_STEP, G_EXP = 1e-2, 40, 400, 100, 0.5, 0.995  # the settings the lecture states
LR_CURVES, LOSSES, TABLE = 0, 1, 2  # the pauses
ALL = ("constant", "warmup_cosine", "step", "exponential")


def torch_rates(name: str) -> np.ndarray:
    """η_t for t = 0 … T−1 from torch.optim.lr_scheduler stepping an SGD optimiser (read before each step)."""
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=LR)
    sched: torch.optim.lr_scheduler.LRScheduler
    if name == "constant":
        sched = torch.optim.lr_scheduler.ConstantLR(opt, factor=1.0, total_iters=0)
    elif name == "warmup_cosine":  # by hand: linear from 0 over W steps, then half a cosine down to 0 at T

        def factor(t: int) -> float:
            return t / W if t < W else 0.5 * (1 + math.cos(math.pi * (t - W) / (T - W)))

        sched = torch.optim.lr_scheduler.LambdaLR(opt, factor)
    elif name == "step":
        sched = torch.optim.lr_scheduler.StepLR(opt, step_size=S, gamma=G_STEP)
    else:
        sched = torch.optim.lr_scheduler.ExponentialLR(opt, gamma=G_EXP)
    rates = []
    for _ in range(T):
        rates.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    return np.array(rates)


@pytest.fixture(scope="module")
def run() -> dict[str, np.ndarray]:
    with np.load(RUN_FILE) as f:
        return {k: f[k] for k in f.files}


@pytest.mark.parametrize("locale", ["en", "zh"])
def test_the_lr_curves_are_torchs_schedules(fast_run, locale):
    scene, _ = fast_run("training.schedules", None, locale)
    pic = scene.pictures[LR_CURVES]
    for name in ALL:
        drawn = np.asarray(pic.value("lr", (name,)))  # (T, 2) corners of the polyline, read back
        np.testing.assert_allclose(drawn[:, 0], np.arange(T), rtol=0, atol=1e-9)
        np.testing.assert_allclose(drawn[:, 1], torch_rates(name), rtol=0, atol=1e-14)
    assert pic.text("lr_end") == numbers.fixed(torch_rates("exponential")[-1], 4)
    for caption in ("η₀ = 0.01", "s = 100", "γ = 0.5", "γ = 0.995"):
        assert pic.contains_text(caption), caption


def test_the_runs_trained_with_those_rates(run):
    for name in ALL:  # the optimiser's rate at every step of the committed run is torch's
        np.testing.assert_allclose(
            run[f"{name}_lr"], torch_rates(name), rtol=1e-13, atol=0
        )  # ulps: γ^t vs γ·η


@pytest.mark.parametrize(("params", "locale"), [(None, "en"), (None, "zh"), (SETS[1], "en")])
def test_the_loss_curves_and_the_table_are_the_runs(fast_run, run, params, locale):
    scene, _ = fast_run("training.schedules", params, locale)
    runs = (params or {}).get("runs", ALL)
    readout = (params or {}).get("readout", "final")
    steps = run["val_step"]
    curves = scene.pictures[LOSSES]
    for name in runs:
        loss = run[f"{name}_val_loss"].astype(np.float64)
        drawn = np.array([curves.value("val_loss", (name, k)) for k in range(len(steps))])  # (E, 2)
        np.testing.assert_allclose(drawn[:, 0], steps, rtol=0, atol=1e-9)
        np.testing.assert_allclose(drawn[:, 1], loss, rtol=1e-9, atol=1e-12)
    table = scene.pictures[TABLE]
    picks = [len(steps) - 1 if readout == "final" else int(np.argmin(run[f"{n}_val_loss"])) for n in runs]
    loss = [float(run[f"{n}_val_loss"][i]) for n, i in zip(runs, picks, strict=True)]
    acc = [float(run[f"{n}_val_acc"][i]) for n, i in zip(runs, picks, strict=True)]
    assert list(table.array("loss")) == [f"{v:.3f}" for v in loss]
    assert list(table.array("step")) == [str(int(steps[i])) for i in picks]
    assert list(table.array("acc")) == [f"{100 * v:.1f}%" for v in acc]
    marks = table.value_array("readout_pt")  # (R, 2): a dot on each curve where the table reads it
    np.testing.assert_allclose(marks[:, 0], [steps[i] for i in picks], atol=1e-9)
    np.testing.assert_allclose(marks[:, 1], loss, rtol=1e-9)


def test_the_narration_names_the_best_and_the_worst_run(fast_run, run):
    scene, _ = fast_run("training.schedules", None, "en")
    (said,) = [b.text for b in scene.beats if b.id == "table"]
    final = {n: float(run[f"{n}_val_loss"][-1]) for n in ALL}
    best, worst = min(final, key=final.get), max(final, key=final.get)  # type: ignore[arg-type]
    names = {"constant": "constant", "warmup_cosine": "warm-up + cosine", "step": "step decay",
             "exponential": "exponential decay"}  # fmt: skip
    assert f"with {names[best]}, {final[best]:.3f}," in said
    assert f"with {names[worst]}, {final[worst]:.3f}." in said


@pytest.mark.parametrize("locale", ["en", "zh"])
def test_constant_and_step_decay_are_one_run_until_the_first_cut(fast_run, run, locale):
    """The overlapping curves are explained with the run's own numbers: the same first S steps (so the
    same loss at step S), the marker drawn at S."""
    np.testing.assert_array_equal(run["constant_train_loss"][:S], run["step_train_loss"][:S])
    i = int(np.flatnonzero(run["val_step"] == S)[0])
    v_const, v_step = float(run["constant_val_loss"][i]), float(run["step_val_loss"][i])
    assert f"{v_const:.3f}" == f"{v_step:.3f}"
    scene, _ = fast_run("training.schedules", None, locale)
    assert scene.pictures[LOSSES].value("first_cut") == pytest.approx(S, abs=1e-9)
    assert scene.pictures[LOSSES].text("overlap_loss") == f"{v_const:.3f}"
    (said,) = [b.text for b in scene.beats if b.id == "overlap"]
    assert f"{v_const:.3f}" in said and str(S) in said


def test_without_step_decay_nothing_claims_an_overlap(fast_run):
    scene, _ = fast_run("training.schedules", {"runs": ("constant", "warmup_cosine")}, "en")
    assert not [b for b in scene.beats if b.id == "overlap"]
