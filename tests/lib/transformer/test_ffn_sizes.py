"""lib/transformer/ffn_sizes.py: parameter counts against torch modules, the matched width by hand."""

from __future__ import annotations

import pytest
from torch import nn

from lib.transformer.ffn_sizes import ffn_params, matched_swiglu_width, swiglu_params


def numel(*mods: nn.Module) -> tuple[int, int]:
    """(weights, biases) of some nn.Linear layers, as torch counts them."""
    w = sum(m.weight.numel() for m in mods)
    b = sum(m.bias.numel() for m in mods if m.bias is not None)
    return w, b


@pytest.mark.parametrize("d, d_ff", [(6, 24), (8, 32), (512, 2048), (7, 19)])
def test_counts_match_torch_linears(d: int, d_ff: int) -> None:
    c = ffn_params(d, d_ff)
    assert (c.weights, c.biases) == numel(nn.Linear(d, d_ff), nn.Linear(d_ff, d))
    assert c.total == sum(
        p.numel() for p in nn.Sequential(nn.Linear(d, d_ff), nn.Linear(d_ff, d)).parameters()
    )
    s = swiglu_params(d, d_ff)
    assert (s.weights, s.biases) == numel(
        nn.Linear(d, d_ff, bias=False), nn.Linear(d, d_ff, bias=False), nn.Linear(d_ff, d, bias=False)
    )
    sb = swiglu_params(d, d_ff, bias=True)
    assert (sb.weights, sb.biases) == numel(nn.Linear(d, d_ff), nn.Linear(d, d_ff), nn.Linear(d_ff, d))


def test_matched_width_by_hand() -> None:
    # 8d/3: d = 6 → 16 exactly; d = 8 → 21.33 (nearest 21, up 22); d = 4 → 10.67 (nearest 11, down 10)
    assert matched_swiglu_width(6, 24) == 16
    assert [matched_swiglu_width(8, 32, r) for r in ("nearest", "down", "up")] == [21, 21, 22]
    assert [matched_swiglu_width(4, 16, r) for r in ("nearest", "down", "up")] == [11, 10, 11]
    assert matched_swiglu_width(3, 3) == 2  # 2 exactly
    assert matched_swiglu_width(1, 3, "nearest") == 2  # 2·3/3 = 2
    # LLaMA-7B's d = 4096: 8d/3 = 10922.67 → 10923 (LLaMA then rounds up to a multiple of 256: 11008)
    assert matched_swiglu_width(4096, 4 * 4096) == 10923
    # equal weights when 3 divides 2·d_ff
    for d in (3, 6, 9, 12):
        assert swiglu_params(d, matched_swiglu_width(d, 4 * d)).weights == ffn_params(d, 4 * d).weights
