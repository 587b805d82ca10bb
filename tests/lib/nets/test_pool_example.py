"""lib.nets.pool_example: distinct values (every window has a single maximum), and torch agrees with
lib.nets.pooling on it, forward and backward (whole numbers: exact for max; k² divides for average)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from lib.nets.pool_example import pool_example
from lib.nets.pooling import avg_pool2d, avg_pool2d_backward, max_pool2d, max_pool2d_backward


@pytest.mark.parametrize(("n", "k", "s", "seed"), [(4, 2, 2, 0), (5, 3, 2, 1), (6, 2, 1, 2)])
def test_example_is_distinct_seeded_and_pools_as_torch(n, k, s, seed):
    ex = pool_example(n, k, s, seed)
    assert sorted(ex.x.ravel()) == list(range(-(n * n // 2), n * n - n * n // 2))
    rng = np.random.default_rng(seed)
    assert (ex.x.ravel() == rng.permutation(n * n) - n * n // 2).all()
    o = (n - k) // s + 1
    assert (ex.dy == rng.integers(1, 5, (1, 1, o, o))).all()
    for pool, back, tf in (
        (max_pool2d, max_pool2d_backward, F.max_pool2d),
        (avg_pool2d, avg_pool2d_backward, F.avg_pool2d),
    ):
        xt = torch.tensor(ex.x, requires_grad=True)
        y = tf(xt, k, s)
        (y * torch.tensor(ex.dy)).sum().backward()
        res = pool(ex.x, k, s)
        assert np.allclose(res.out, y.detach().numpy(), rtol=0, atol=1e-12)
        assert np.allclose(back(res, ex.dy), xt.grad.numpy(), rtol=0, atol=1e-12)
