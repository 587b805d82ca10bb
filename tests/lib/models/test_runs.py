"""The training runs kept as data: registered with their settings, digest-checked, their rates exactly lib's,
and a short retrain from scratch retraces the committed curves (as ``test_retrain`` does for the models).

The whole ``python -m lib.models.runs all`` takes minutes; here two schedules train their first steps and
the overfitting variants their first epochs (about a second in all).
"""

from __future__ import annotations

from dataclasses import asdict, replace

import numpy as np
import pytest

from lib.models.digests import SHA256
from lib.models.run_configs import OVERFIT_RUNS, SCHEDULE_RUNS, SCHEDULES, VARIANTS
from lib.models.runs import overfit_variant
from lib.models.store import WEIGHTS_DIR, read_manifest, read_npz, sha256
from lib.models.train import train_induction
from lib.training.schedules import exponential_lr, step_lr, warmup_cosine_lr

STEPS = 3  # induction steps retraced per schedule
EPOCHS = 3  # epochs retraced per overfitting variant


@pytest.fixture(scope="module")
def schedules() -> dict[str, np.ndarray]:
    return read_npz(WEIGHTS_DIR / "schedules.npz")


@pytest.fixture(scope="module")
def overfitting() -> dict[str, np.ndarray]:
    return read_npz(WEIGHTS_DIR / "overfitting.npz")


@pytest.mark.parametrize(("name", "cfg"), [("schedules", SCHEDULE_RUNS), ("overfitting", OVERFIT_RUNS)])
def test_each_run_is_registered_with_its_settings_and_digest(name, cfg):
    entry = read_manifest()["runs"][name]
    assert entry["config"] == asdict(cfg)  # the committed curves were trained with today's settings
    (file,) = entry["files"]
    assert SHA256[file] == entry["files"][file] == sha256(WEIGHTS_DIR / file)


def test_the_runs_used_exactly_libs_rates(schedules):
    c, t = SCHEDULE_RUNS, np.arange(SCHEDULE_RUNS.steps)
    expected = {
        "constant": np.full(c.steps, c.lr),
        "warmup_cosine": warmup_cosine_lr(t, c.lr, c.warmup, c.steps),
        "step": step_lr(t, c.lr, c.step_size, c.step_gamma),
        "exponential": exponential_lr(t, c.lr, c.exp_gamma),
    }
    for n in SCHEDULES:
        assert schedules[f"{n}_lr"].dtype == np.float64
        np.testing.assert_array_equal(schedules[f"{n}_lr"], expected[n])


def test_the_schedule_curves_have_one_value_per_step_and_per_evaluation(schedules):
    c = SCHEDULE_RUNS
    np.testing.assert_array_equal(schedules["val_step"], np.arange(c.eval_every, c.steps + 1, c.eval_every))
    for n in SCHEDULES:
        assert schedules[f"{n}_train_loss"].shape == (c.steps,)
        assert schedules[f"{n}_val_loss"].shape == schedules["val_step"].shape


@pytest.mark.parametrize("name", ["constant", "warmup_cosine"])
def test_a_short_retrain_retraces_the_schedule_run(name, schedules):
    lrs = schedules[f"{name}_lr"]
    result = train_induction(
        replace(SCHEDULE_RUNS.train_config(), steps=STEPS), True, lr_fn=lambda t: float(lrs[t])
    )
    np.testing.assert_allclose(
        result.curves["train_loss"], schedules[f"{name}_train_loss"][:STEPS], rtol=1e-4, atol=0
    )


@pytest.mark.parametrize("variant", VARIANTS)
def test_a_short_retrain_retraces_the_overfitting_run(variant, overfitting):
    c = overfit_variant(OVERFIT_RUNS, variant, epochs=EPOCHS)
    for k in ("train_loss", "val_loss"):
        np.testing.assert_allclose(c[k], overfitting[f"{variant}_{k}"][: EPOCHS + 1], rtol=1e-5, atol=0)


def test_the_variants_share_their_start_and_the_plain_run_overfits(overfitting):
    # epoch 0 is before any update: dropout and weight decay change nothing yet (same initial weights)
    start = {overfitting[f"{v}_val_loss"][0] for v in VARIANTS}
    assert len(start) == 1
    val, train = overfitting["plain_val_loss"], overfitting["plain_train_loss"]
    best = int(np.argmin(val))
    assert 0 < best < len(val) - 1 and val[-1] > val[best] * 1.5  # validation loss turns up, far
    assert train[-1] < train[best] / 10  # while the training loss keeps falling
