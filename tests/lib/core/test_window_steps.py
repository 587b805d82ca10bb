"""lib.core.window_steps against torch: F.conv1d's output length (meta device) and, by autograd through an
explicitly padded input, the cells each output reads; and one case by hand."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from lib.core.window_steps import output_size_steps, window_taps

CONFIGS = [
    (224, 7, 2, 3, 1),
    (8, 3, 2, 1, 1),
    (7, 3, 1, 1, 2),
    (13, 3, 3, 1, 1),
    (10, 4, 3, 0, 2),
    (5, 5, 1, 0, 1),
]


@pytest.mark.parametrize("cfg", CONFIGS)
def test_output_length_matches_torch(cfg):
    w, k, s, p, d = cfg
    with torch.device("meta"):
        y = F.conv1d(torch.empty(1, 1, w), torch.empty(1, 1, k), stride=s, padding=p, dilation=d)
    steps = output_size_steps(*cfg)
    assert steps.out == y.shape[-1]
    assert steps.padded == w + 2 * p
    assert steps.room - steps.stride * steps.steps == steps.unused
    assert 0 <= steps.unused < s


@pytest.mark.parametrize("cfg", CONFIGS)
def test_taps_are_the_cells_autograd_reads(cfg):
    w, k, s, p, d = cfg
    x = torch.zeros(1, 1, w + 2 * p, dtype=torch.float64, requires_grad=True)  # padded coordinates
    y = F.conv1d(x, torch.ones(1, 1, k, dtype=torch.float64), stride=s, dilation=d)
    taps = window_taps(output_size_steps(*cfg))
    for j in range(y.shape[-1]):
        (g,) = torch.autograd.grad(y[0, 0, j], x, retain_graph=True)
        read = torch.nonzero(g[0, 0]).flatten().tolist()
        assert [int(t) + p for t in taps[j]] == read


def test_one_case_by_hand():
    s = output_size_steps(8, 3, 2, 1, 1)  # 10 padded cells, span 3, room 7, ⌊7/2⌋ = 3 steps, 4 outputs
    assert (s.padded, s.span, s.room, s.steps, s.out, s.unused) == (10, 3, 7, 3, 4, 1)
    assert window_taps(s).tolist() == [[-1, 0, 1], [1, 2, 3], [3, 4, 5], [5, 6, 7]]


def test_a_window_that_does_not_fit():
    with pytest.raises(ValueError, match="does not fit"):
        output_size_steps(3, 5)
