"""Tests for lib/arithmetic/classifier_head.py: parameter counts against torch.nn.Linear, by hand."""

from __future__ import annotations

import torch

from lib.arithmetic.classifier_head import compare_heads


def test_vgg_head_against_torch():
    h = compare_heads(512, 7, 7, 4096)
    fc = torch.nn.Linear(512 * 7 * 7, 4096, device="meta")
    gap_fc = torch.nn.Linear(512, 4096, device="meta")
    assert h.flatten_fc.params == sum(p.numel() for p in fc.parameters()) == 102_764_544
    assert h.gap_fc.params == sum(p.numel() for p in gap_fc.parameters()) == 2_101_248
    assert h.ratio == 102_764_544 / 2_101_248
    assert h.weight_bytes(h.flatten_fc) == 4 * 102_764_544
