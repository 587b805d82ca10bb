"""training.overfitting: what the viewer reads — the curves, the early-stopping point and the table of the
three runs — against the committed run file read here with ``np.load`` (not through lib), early stopping
re-derived with a Keras-style wait counter, every number formatted as the screen formats it.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from scenes.training.overfitting import Overfitting

RUN_FILE = Path(__file__).parents[3] / "lib" / "models" / "weights" / "overfitting.npz"
VARIANTS = ("plain", "weight_decay", "dropout")
CURVES, EARLY_STOP, TABLE = 0, 1, 2  # the pauses
CASES = [({}, "en"), ({}, "zh"), (Overfitting.EXAMPLES[0], "en")]


def f3(v: float) -> str:
    return f"{v:.3f}"


def keras_early_stop(val: np.ndarray, patience: int, min_delta: float) -> tuple[int, int]:
    """(epoch kept, epoch stopped) as keras.callbacks.EarlyStopping counts: a wait counter reset by every
    improvement (loss < best − min_delta), stopping when it reaches the patience."""
    best, best_epoch, wait = math.inf, 0, 0
    for epoch, loss in enumerate(val):
        if loss < best - min_delta:
            best, best_epoch, wait = float(loss), epoch, 0
        else:
            wait += 1
            if wait >= patience:
                return best_epoch, epoch
    return best_epoch, len(val) - 1


@pytest.fixture(scope="module")
def run() -> dict[str, np.ndarray]:
    with np.load(RUN_FILE) as f:
        return {k: f[k].astype(np.float64) for k in f.files}


@pytest.mark.parametrize(("params", "locale"), CASES)
def test_the_plain_runs_curves_and_their_ends(fast_run, run, params, locale):
    scene, _ = fast_run("training.overfitting", params or None, locale)
    pic = scene.pictures[CURVES]
    epochs = np.arange(len(run["plain_val_loss"]))
    for key in ("train", "val"):
        drawn = np.asarray(pic.value(key, ("plain",)))  # (E+1, 2) the polyline's corners, read back
        np.testing.assert_allclose(drawn[:, 0], epochs, rtol=0, atol=1e-9)
        np.testing.assert_allclose(drawn[:, 1], run[f"plain_{key}_loss"], rtol=0, atol=1e-12)
    assert pic.text("train_end") == f3(run["plain_train_loss"][-1])
    assert pic.text("val_end") == f3(run["plain_val_loss"][-1])


@pytest.mark.parametrize(("params", "locale"), CASES)
def test_the_early_stopping_point(fast_run, run, params, locale):
    scene, _ = fast_run("training.overfitting", params or None, locale)
    patience, min_delta = params.get("patience", 10), params.get("min_delta", 0.0)
    best, stop = keras_early_stop(run["plain_val_loss"], patience, min_delta)
    pic = scene.pictures[EARLY_STOP]
    assert pic.value("best_epoch") == pytest.approx(best, abs=1e-9)  # the dashed lines, read back
    assert pic.value("stop_epoch") == pytest.approx(stop, abs=1e-9)
    assert pic.text("best_loss") == f3(run["plain_val_loss"][best])
    keep = {"en": f"keep the weights of epoch {best}", "zh": f"保留第 {best} 轮的权重"}[locale]
    stops = {"en": f"stop: epoch {stop}", "zh": f"停止：第 {stop} 轮"}[locale]
    assert pic.contains_text(keep) and pic.contains_text(stops)


@pytest.mark.parametrize(("params", "locale"), CASES)
def test_the_three_runs_and_the_table(fast_run, run, params, locale):
    scene, _ = fast_run("training.overfitting", params or None, locale)
    pic = scene.pictures[TABLE]
    for v in VARIANTS:
        for key in ("train", "val"):
            drawn = np.asarray(pic.value(key, (v,)))
            np.testing.assert_allclose(drawn[:, 1], run[f"{v}_{key}_loss"], rtol=0, atol=1e-12)
    val = [run[f"{v}_val_loss"] for v in VARIANTS]
    train = [run[f"{v}_train_loss"] for v in VARIANTS]
    assert list(pic.array("lowest")) == [f3(x.min()) for x in val]
    assert list(pic.array("lowest_epoch")) == [str(int(np.argmin(x))) for x in val]
    assert list(pic.array("final_train")) == [f3(t[-1]) for t in train]
    assert list(pic.array("final_val")) == [f3(x[-1]) for x in val]
    assert list(pic.array("gap")) == [f3(x[-1] - t[-1]) for x, t in zip(val, train, strict=True)]


def test_the_narration_states_the_gaps_and_the_best_run(fast_run, run):
    scene, _ = fast_run("training.overfitting", None, "en")
    (said,) = [b.text for b in scene.beats if b.id == "table"]
    gap = {v: f3(run[f"{v}_val_loss"][-1] - run[f"{v}_train_loss"][-1]) for v in VARIANTS}
    assert f"ends {gap['plain']} above" in said
    assert f"gap to {gap['weight_decay']}, dropout to {gap['dropout']}." in said
    lowest = {v: float(run[f"{v}_val_loss"].min()) for v in VARIANTS}
    best = min(lowest, key=lowest.__getitem__)
    name = {"plain": "no regularisation", "weight_decay": "weight decay λ = 10", "dropout": "dropout p = 0.5"}
    assert f"loss, {f3(lowest[best])}, belongs to the run with {name[best]}." in said
