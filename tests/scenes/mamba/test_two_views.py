"""mamba.two_views: the numbers a viewer reads, against the LTI SSM solved in torch.

Ā = exp(ΔA) by ``torch.linalg.matrix_exp`` and B̄ = (ΔA)⁻¹(exp(ΔA) − I)ΔB by a solve; the recurrence as a
torch loop; the kernel K̄_k = C Ā^k B̄ by matrix powers and the convolution by ``conv1d`` on the
left-padded input. Each is formatted with the kit's formatter and compared with the exact string drawn,
and the table's columns are checked by where the numbers are drawn: y_t and h_t under x_t, and after the
flip K̄_{L−s} under x_s.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from lib.mamba.ssm_examples import example_input, oscillatory_system
from scenes.kit import numbers
from scenes.mamba.two_views import TwoViews

CASES = [None, *TwoViews.EXAMPLES]
IDS = ["defaults", *[f"example{i}" for i in range(len(TwoViews.EXAMPLES))]]
SYSTEM, RECURRENCE, KERNEL, FLIPPED, SLID, SAME, END = range(7)  # the pauses, in order


def reference(raw) -> dict[str, np.ndarray]:
    p = TwoViews.Params.model_validate(raw or {})
    s = oscillatory_system(p.state_size, p.decay, p.seed)  # the system and input are the scene's data
    A, B, C = (torch.from_numpy(v) for v in (s.A, s.B, s.C))
    x = torch.from_numpy(example_input(p.length, p.input_seed))
    dA = p.delta * A
    A_bar = torch.linalg.matrix_exp(dA)
    B_bar = torch.linalg.solve(dA, (A_bar - torch.eye(len(B), dtype=A.dtype)) @ (p.delta * B))
    h, hs = torch.zeros_like(B), []
    for t in range(p.length):
        h = A_bar @ h + B_bar * x[t]
        hs.append(h)
    H = torch.stack(hs)  # (L, N)
    K = torch.stack([C @ torch.linalg.matrix_power(A_bar, k) @ B_bar for k in range(p.length)])  # (L,)
    y_conv = F.conv1d(F.pad(x[None, None], (p.length - 1, 0)), K.flip(0)[None, None])[0, 0]
    return {
        "A_bar": A_bar.numpy(), "B_bar": B_bar.numpy(), "C": C.numpy(), "x": x.numpy(), "h": H.numpy(),
        "y_rec": (H @ C).numpy(), "kernel": K.numpy(), "terms": (K.flip(0) * x).numpy(),
        "y_conv": y_conv.numpy(), "L": p.length,
    }  # fmt: skip


def fixed(v, digits: int) -> list:
    return np.vectorize(lambda a: numbers.fixed(a, digits), otypes=[object])(v).tolist()


def xs(pic, key: str) -> dict[int, float]:
    """The x of each drawn element of a one-row key, by column."""
    return {i[-1]: c[0] for i, c in pic.centers(key).items()}


@pytest.fixture(scope="module")
def runs(fast_run):
    return lambda i, locale="en": fast_run("mamba.two_views", CASES[i], locale)


@pytest.mark.parametrize("locale", ["en", "zh"])
@pytest.mark.parametrize("i", range(len(CASES)), ids=IDS)
def test_system_matrices(runs, i, locale):
    scene, problems = runs(i, locale)
    assert problems == []
    ref = reference(CASES[i])
    pic = scene.pictures[SYSTEM]
    assert pic.text("A_bar") == r"\bar A = " + numbers.tex_matrix(ref["A_bar"], 2)
    assert pic.text("B_bar") == r"\bar B = " + numbers.tex_vector(ref["B_bar"], 2)
    assert pic.text("C") == "C = " + numbers.tex_vector(ref["C"], 1, column=False)


@pytest.mark.parametrize("i", range(len(CASES)), ids=IDS)
def test_recurrence_row_by_row(runs, i):
    scene, _ = runs(i)
    ref = reference(CASES[i])
    L = ref["L"]
    pic = scene.pictures[RECURRENCE]
    assert list(pic.array("step")) == [str(t + 1) for t in range(L)]
    assert pic.array("x").tolist() == [fixed(ref["x"], 1)]
    assert pic.array("h").tolist() == fixed(ref["h"].T, 2)  # one row per state component
    assert pic.array("y_rec").tolist() == [fixed(ref["y_rec"], 2)]
    # every column is one step: the step number, x_t, each h_{t,i} and y_t on one vertical
    x_at = xs(pic, "x")
    for key in ("step", "y_rec"):
        assert xs(pic, key) == pytest.approx(x_at, abs=1e-9), key
    for (comp, t), (cx, _) in pic.centers("h").items():
        assert cx == pytest.approx(x_at[t], abs=1e-9), (comp, t)
    ys = pic.centers("h")
    tops = [ys[(k, 0)][1] for k in range(ref["h"].shape[1])]
    assert tops == sorted(tops, reverse=True)  # h_{t,1} on top, then h_{t,2} …
    assert all(c[1] == pytest.approx(tops[k], abs=1e-9) for (k, _), c in ys.items())  # each one a row


@pytest.mark.parametrize("i", range(len(CASES)), ids=IDS)
def test_kernel_then_flipped_under_the_inputs(runs, i):
    scene, _ = runs(i)
    ref = reference(CASES[i])
    L = ref["L"]
    before, after = scene.pictures[KERNEL], scene.pictures[FLIPPED]
    kernel = before.array("kernel")
    assert kernel.tolist() == [fixed(ref["kernel"], 3)]  # three decimals: the kernel decays to small values
    x_at = xs(before, "x")
    assert xs(before, "kernel") == pytest.approx(x_at, abs=1e-9)  # K̄_{t−1} under step t
    assert after.array("kernel").tolist() == kernel.tolist()  # the same numbers, moved
    flipped = xs(after, "kernel")
    assert {k: flipped[k] for k in range(L)} == pytest.approx(
        {k: x_at[L - 1 - k] for k in range(L)}, abs=1e-9
    )
    assert after.array("terms").tolist() == [fixed(ref["terms"], 2)]
    assert xs(after, "terms") == pytest.approx(x_at, abs=1e-9)
    # only the last output so far, and the sum written out for it
    assert after.texts("y_conv") == {(0, L - 1): numbers.fixed(ref["y_conv"][-1], 2)}
    assert after.text("y_conv_sum") == numbers.fixed(ref["y_conv"][-1], 2, tex=True)
    np.testing.assert_allclose(ref["terms"].sum(), ref["y_conv"][-1], rtol=0, atol=1e-12)


@pytest.mark.parametrize("i", range(len(CASES)), ids=IDS)
def test_convolution_output_matches_the_recurrence(runs, i):
    scene, _ = runs(i)
    ref = reference(CASES[i])
    pic = scene.pictures[SLID]
    assert pic.array("y_conv").tolist() == [fixed(ref["y_conv"], 2)]
    assert xs(pic, "y_conv") == pytest.approx(xs(pic, "x"), abs=1e-9)
    np.testing.assert_allclose(ref["y_conv"], ref["y_rec"], rtol=0, atol=1e-12)  # torch agrees with itself


def _parse_tex_sci(s: str) -> float:
    m = re.fullmatch(r"(\d\.\d) \\times 10\^\{(-?\d+)\}", s)
    if m is None:
        assert s == "0.0", s
        return 0.0
    return float(m.group(1)) * 10.0 ** int(m.group(2))


@pytest.mark.parametrize("i", range(len(CASES)), ids=IDS)
def test_agreement(runs, i):
    scene, _ = runs(i)
    ref = reference(CASES[i])
    pic = scene.pictures[SAME]
    assert pic.array("y_conv").tolist() == pic.array("y_rec").tolist() == [fixed(ref["y_conv"], 2)]
    shown = pic.text("max_abs_diff")
    assert 0.0 <= _parse_tex_sci(shown) < 1e-12  # the two views agree to rounding
    rec, conv = (scene.views.y_recurrent, scene.views.y_conv)
    assert shown == numbers.sci(float(np.max(np.abs(rec - conv))), 1, tex=True)  # and it says by how much
    end = scene.pictures[END]
    assert set(end.keys()) == {"y_conv", "y_rec", "max_abs_diff"}  # the table has made way for the formulas


def test_strings_have_the_same_keys():
    assert TwoViews.STRINGS["en"].keys() == TwoViews.STRINGS["zh"].keys()
