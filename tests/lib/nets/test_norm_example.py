"""lib/nets/norm_example.py against torch.nn.BatchNorm1d / LayerNorm / GroupNorm."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from lib.nets.norm_example import compare_norms, feature_batch, running_stats


def test_three_norms_and_running_statistics_equal_torch():
    x = feature_batch(3, 4, 5, seed=2)
    cmp = compare_norms(x, groups=2)
    t = torch.tensor(x)
    bn = nn.BatchNorm1d(4, affine=False, dtype=torch.float64)
    np.testing.assert_allclose(cmp.batch.x_hat, bn(t).detach(), atol=1e-12)
    ln = nn.LayerNorm([4, 5], elementwise_affine=False, dtype=torch.float64)
    np.testing.assert_allclose(cmp.layer_x_hat, ln(t).detach(), atol=1e-12)
    gn = nn.GroupNorm(2, 4, affine=False, dtype=torch.float64)
    np.testing.assert_allclose(cmp.group.x_hat, gn(t).detach(), atol=1e-12)
    batches = [feature_batch(3, 4, 5, seed=2, batch=k) for k in (1, 2, 3)]
    r = running_stats(batches, x, momentum=0.2)
    bn = nn.BatchNorm1d(4, affine=False, momentum=0.2, dtype=torch.float64)
    for b, step in zip(batches, r.steps, strict=True):
        bn(torch.tensor(b))
        np.testing.assert_allclose(step.running_mean, bn.running_mean, atol=1e-12)
        np.testing.assert_allclose(step.running_var, bn.running_var, atol=1e-12)
    np.testing.assert_allclose(r.eval_result.x_hat, bn.eval()(t).detach(), atol=1e-12)
    assert not np.allclose(r.eval_result.x_hat, r.train_result.x_hat)  # the two modes differ
