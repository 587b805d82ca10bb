"""lib/transformer/flash_example.py: the example's output is torch's attention; the row statistics are the
online softmax worked by hand in plain Python."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from lib.transformer.flash_example import flash_example


@pytest.mark.parametrize(
    ("N", "d", "block", "row", "seed"), [(12, 4, 4, 5, 0), (10, 3, 3, 9, 2), (7, 2, 7, 0, 1)]
)
def test_example_against_torch_and_by_hand(N, d, block, row, seed):
    ex = flash_example(N, d, block, row, seed)
    q, k, v = (torch.from_numpy(a) for a in (ex.q, ex.k, ex.v))
    ref = F.scaled_dot_product_attention(q[None], k[None], v[None])[0].numpy()
    np.testing.assert_allclose(ex.flash.output, ref, atol=1e-12, rtol=0)
    np.testing.assert_allclose(ex.exact.output, ref, atol=1e-12, rtol=0)
    assert ex.max_abs_diff == float(np.abs(ex.flash.output - ex.exact.output).max()) < 1e-12
    s = [float(x) for x in (q[row] @ k.T / math.sqrt(d))]  # the row's scaled scores, in Python floats
    m, l = -math.inf, 0.0
    for j, a in enumerate(range(0, N, block)):
        blk = s[a : a + block]
        mt = max(blk)
        lt = sum(math.exp(x - mt) for x in blk)
        m_new = max(m, mt)
        l = (math.exp(m - m_new) * l if l else 0.0) + math.exp(mt - m_new) * lt
        m = m_new
        assert (ex.row_blocks.starts[j], ex.row_blocks.stops[j]) == (a, min(a + block, N))
        assert ex.row_blocks.block_max[j] == pytest.approx(mt, abs=1e-12)
        assert ex.row_blocks.block_sum[j] == pytest.approx(lt, abs=1e-12)
        assert ex.row_blocks.m[j] == pytest.approx(m, abs=1e-12)
        assert ex.row_blocks.l[j] == pytest.approx(l, abs=1e-12)
    assert m == max(s) and l == pytest.approx(sum(math.exp(x - max(s)) for x in s), abs=1e-12)
