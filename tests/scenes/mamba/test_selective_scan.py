"""mamba.selective_scan: the numbers the viewer reads at each step — Ā_t, B̄_t x_t, h_t and y_t in the maps,
the step's Δ in the caption, the state h_t[1, 1] over the sentence — against a scan computed here in torch
(float64) from the toy model's inputs (the embeddings x, Δ, A, B, C), in both locales.

The torch reference discretises and scans on its own (``selective_scan_ref``, the loop of mamba's
reference code): Ā_t = exp(Δ_t A), B̄_t = Δ_t B_t ("mamba") or (exp(Δ_t A) − 1)/A · B_t ("zoh", Gu & Dao
2023 eq. 4 for a diagonal A), h_t = Ā_t ⊙ h_{t−1} + B̄_t x_t, y_t = C_t · h_t. For the trained model (the
default) the inputs come from the torch model on the committed weights (``trained_ref.py``).
"""

from __future__ import annotations

import pytest
import torch

from scenes.kit import numbers
from scenes.mamba.selective_scan import SelectiveScan
from tests.lib.mamba.torch_mamba import selective_scan_ref
from tests.scenes.mamba.trained_ref import trained_reference

EXAMPLE = SelectiveScan.EXAMPLES[0]
# (params, the decimals a viewer reads in the maps): two in the random model's 4 × 4 maps, one in the smaller
# 6 × 6 cells and in the trained model's maps (its B̄_t x_t and h_t reach 10 and more)
CASES = [(None, 1), ({"model": "random"}, 2), (EXAMPLE, 1)]
LOCALES = ["en", "zh"]
TRACK_DIGITS = 3  # the closing strip of h_t[1, 1] has room for three decimals


def reference(raw):
    p = SelectiveScan.Params.model_validate(raw or {})
    if p.model == "trained":  # the trained block's inputs, from torch
        t = trained_reference(p.seed, p.d_inner)
        tokens, x, delta, A, B, C = (t[k] for k in ("tokens", "x", "delta", "A", "B", "C"))
    else:  # the random toy model's inputs: x (L, D), Δ (L, D), A (D, N), B, C (L, N)
        m = p.toy()
        tokens = p.sentence.split()
        x, delta, A, B, C = (torch.from_numpy(a) for a in (m.x, m.sel.delta, m.A, m.sel.B, m.sel.C))
    dA = delta[:, :, None] * A  # (L, D, N)
    if p.discretization == "mamba":
        dB = delta[:, :, None] * B[:, None, :]  # (L, D, N)
    else:
        dB = torch.expm1(dA) / A * B[:, None, :]  # (L, D, N)
    y, h = selective_scan_ref(x, delta, A, B, C, discretization=p.discretization)  # (L, D), (L, D, N)
    return {
        "tokens": tokens,
        "A_bar": torch.exp(dA),
        "Bx": dB * x[:, :, None],
        "h": h,
        "y": y[:, :, None],  # drawn as a column
        "delta_mean": delta.mean(dim=1),
    }


def fmt(t: torch.Tensor, digits: int) -> list:
    return [[numbers.fixed(v, digits) for v in row] for row in t.tolist()]


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize(("raw", "digits"), CASES)
def test_every_step_draws_the_torch_scan(fast_run, raw, digits, locale):
    scene, _ = fast_run("mamba.selective_scan", raw, locale)
    ref = reference(raw)
    L = len(ref["tokens"])
    assert len(scene.pictures) == L + 1  # one pause per token, then the end
    step = SelectiveScan.STRINGS[locale]["step"]
    for t in range(L):
        pic = scene.pictures[t]
        for key in ("A_bar", "Bx", "h", "y"):
            assert pic.array(key).tolist() == fmt(ref[key][t], digits), (key, t)
        caption = step.format(
            t=t + 1, tok=ref["tokens"][t], delta=numbers.fixed(float(ref["delta_mean"][t]), 3)
        )
        assert pic.texts("step") == {(t,): caption}  # this step's caption, and only it
        assert list(pic.array("tokens")) == ref["tokens"]


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize(("raw", "digits"), CASES)
def test_the_closing_strip_follows_one_state_over_the_sentence(fast_run, raw, digits, locale):
    scene, _ = fast_run("mamba.selective_scan", raw, locale)
    ref = reference(raw)
    end = scene.pictures[-1]
    assert end.kind == "end"
    assert end.array("h_track").tolist() == [
        [numbers.fixed(v, TRACK_DIGITS) for v in ref["h"][:, 0, 0].tolist()]
    ]
    assert not {"A_bar", "Bx", "h", "y", "step"} & set(end.keys())  # the maps made room for it
    assert SelectiveScan.STRINGS[locale]["track"] in end.strings
