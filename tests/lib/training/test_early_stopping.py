"""Early stopping: hand-worked curves, and a brute-force restatement of the rule on random curves."""

from __future__ import annotations

import numpy as np
import pytest

from lib.training.early_stopping import early_stopping, final_gap


def test_a_curve_worked_by_hand():
    # best at epoch 2 (0.5); epochs 3, 4, 5 do not improve; patience 3 stops at epoch 5
    r = early_stopping(np.array([1.0, 0.7, 0.5, 0.6, 0.55, 0.8, 0.1]), patience=3)
    assert (r.best_epoch, r.best_loss, r.stop_epoch, r.stopped) == (2, 0.5, 5, True)


def test_a_new_best_resets_the_patience():
    r = early_stopping(np.array([1.0, 0.9, 0.95, 0.8, 0.85, 0.86]), patience=2)
    assert (r.best_epoch, r.stop_epoch, r.stopped) == (3, 5, True)


def test_min_delta_ignores_tiny_improvements():
    r = early_stopping(np.array([1.0, 0.999, 0.998, 0.997]), patience=2, min_delta=0.01)
    assert (r.best_epoch, r.stop_epoch) == (0, 2)


def test_a_curve_that_keeps_improving_never_stops():
    r = early_stopping(np.linspace(1.0, 0.1, 10), patience=2)
    assert (r.best_epoch, r.stop_epoch, r.stopped) == (9, 9, False)


@pytest.mark.parametrize("seed", range(20))
def test_agrees_with_the_rule_restated(seed):
    """Stop epoch = the first e with e − argmin(v[:e+1]) ≥ patience (first minimum), by brute force."""
    v = np.random.default_rng(seed).random(40)
    patience = 1 + seed % 6
    r = early_stopping(v, patience)
    stop = next((e for e in range(len(v)) if e - int(np.argmin(v[: e + 1])) >= patience), len(v) - 1)
    assert r.stop_epoch == stop
    assert r.best_epoch == int(np.argmin(v[: stop + 1]))
    assert r.best_loss == v[r.best_epoch]


def test_final_gap():
    g = final_gap(np.array([0.9, 0.25]), np.array([1.0, 1.5]))
    assert (g.train, g.val, g.gap) == (0.25, 1.5, 1.25)
