"""lib/transformer/pattern_cost.py: the row counts equal the True cells of masks built by hand in torch, and
of the masks lib/ draws; a case counted by hand."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from lib.transformer.attention import causal_mask, sliding_window_mask
from lib.transformer.pattern_cost import pattern_cost, row_counts
from lib.transformer.patterns import global_pattern


def torch_masks(T: int, w: int, g: list[int]) -> dict[str, torch.Tensor]:
    i = torch.arange(T)[:, None]
    j = torch.arange(T)[None, :]
    band = (i - j).abs() <= w
    is_g = torch.zeros(T, dtype=torch.bool)
    is_g[g] = True
    return {
        "full": torch.ones(T, T, dtype=torch.bool),
        "causal": torch.tril(torch.ones(T, T, dtype=torch.bool)),
        "local": band,
        "global": band | is_g[:, None] | is_g[None, :],
    }


@pytest.mark.parametrize(
    ("T", "w", "g"), [(1, 1, [0]), (7, 1, [0]), (12, 2, [0, 6]), (16, 3, [2, 3, 15]), (4096, 256, [0, 1000])]
)
def test_row_counts_are_the_cells_of_torch_masks(T, w, g):
    for kind, mask in torch_masks(T, w, g).items():
        per_row = row_counts(kind, T, w, g)
        np.testing.assert_array_equal(per_row, mask.sum(dim=1).numpy())
        cost = pattern_cost(kind, T, w, g)
        assert cost.cells == int(mask.sum())
        assert cost.fraction == int(mask.sum()) / T**2


@pytest.mark.parametrize(("T", "w", "g"), [(8, 1, (0,)), (12, 2, (0, 6)), (10, 4, (9,))])
def test_row_counts_match_the_masks_lib_draws(T, w, g):
    assert (row_counts("causal", T) == causal_mask(T).sum(1)).all()
    assert (row_counts("local", T, w) == sliding_window_mask(T, 2 * w + 1, causal=False).sum(1)).all()
    assert (row_counts("global", T, w, g) == global_pattern(T, list(g), w).support.sum(1)).all()


def test_a_case_by_hand():
    # T = 5, w = 1: band rows 2 3 3 3 2 = 13; global token 4 adds column 4 to rows 0, 1, 2 and a full row 4
    assert row_counts("local", 5, 1).tolist() == [2, 3, 3, 3, 2]
    assert row_counts("global", 5, 1, [4]).tolist() == [3, 4, 4, 3, 5]
    assert pattern_cost("causal", 5).cells == 15
    with pytest.raises(ValueError):
        row_counts("global", 5, 1, [5])
