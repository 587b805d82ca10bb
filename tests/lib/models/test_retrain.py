"""Training is deterministic: a short retrain from scratch retraces the committed curves step by step.

The whole retrain (``make retrain``) takes minutes; here each task trains its first steps (same seed, data,
initial weights and learning rates: the warm-up does not depend on the total) and must reproduce the
loss and accuracy the committed curves recorded at those steps.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from lib.models.configs import TASKS, TRAIN
from lib.models.store import WEIGHTS_DIR, read_manifest, read_npz
from lib.models.train import TRAINERS

STEPS = 15


@pytest.mark.parametrize("task", TASKS)
def test_a_short_retrain_retraces_the_committed_curves(task):
    entry = read_manifest()["models"][task]
    cfg = TRAIN[task]
    assert (cfg.seed, cfg.steps) == (entry["seed"], entry["steps"])  # the manifest describes these settings
    assert STEPS < cfg.warmup
    result = TRAINERS[task](replace(cfg, steps=STEPS), True)
    committed = read_npz(WEIGHTS_DIR / f"{task}_curves.npz")
    np.testing.assert_allclose(
        result.curves["train_loss"], committed["train_loss"][:STEPS], rtol=1e-4, atol=0
    )
    np.testing.assert_allclose(result.curves["train_acc"], committed["train_acc"][:STEPS], rtol=0, atol=0.02)
    assert result.curves["train_loss"][-1] < result.curves["train_loss"][0]  # it is learning
