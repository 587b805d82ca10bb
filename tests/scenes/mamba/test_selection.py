"""mamba.selection: the numbers a viewer reads, against the toy model's projections redone in torch.

The toy model's weights are seeded draws (``lib/mamba/toy_mamba.py``: a rank-1 Δ projection, W_B, W_C,
bias −1, A[d, n] = −(n + 1)); the test draws them again from the seed and computes, in torch,
Δ = softplus(x W_down W_up + b), B = x W_B, C = x W_C, keep Ā = exp(ΔA) and let-in B̄/B
((exp(ΔA) − 1)/A for zoh, Δ for "mamba"), and the LTI twin at the sentence's mean Δ. Each is formatted
with the kit's formatter and compared with the exact string drawn, in both locales where strings differ.
For the trained model (the default) Δ, B, C and A come from the torch model on the committed weights
(``trained_ref.py``), and the rest is computed from them as above.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from lib.mamba.toy_mamba import embed, tokenize
from scenes.kit import numbers
from scenes.mamba.selection import Selection
from tests.scenes.mamba.trained_ref import trained_reference

CASES = [None, {"model": "random"}, *Selection.EXAMPLES]
IDS = ["defaults", "random", *[f"example{i}" for i in range(len(Selection.EXAMPLES))]]
PROJECTIONS, GATES, EXTREMES, LTI = range(4)  # the pauses, in order


def reference(raw) -> dict:
    p = Selection.Params.model_validate(raw or {})
    if p.model == "trained":
        t = trained_reference(p.seed, p.d_inner)
        return _gates(p, t["tokens"], t["delta"], t["B"], t["C"], float(t["A"][p.channel, p.state]))
    tokens = tokenize(p.sentence)
    D, N = p.d_inner, p.d_state
    x = torch.from_numpy(embed(tokens, D, p.seed))  # (L, D): each word's fixed embedding (the input data)
    rng = np.random.default_rng(p.seed)  # the toy model's weights, drawn in its order
    scale = 1.0 / np.sqrt(D)
    W_down = torch.from_numpy(rng.standard_normal((D, 1)) * scale)
    W_up = torch.from_numpy(np.abs(rng.standard_normal((1, D))) + 0.5)
    W_B = torch.from_numpy(rng.standard_normal((D, N)) * scale)
    W_C = torch.from_numpy(rng.standard_normal((D, N)) * scale)
    delta = F.softplus(x @ W_down @ W_up - 1.0)  # (L, D)
    a = -(p.state + 1.0)  # S4D-real A[d, n] = −(n + 1)
    return _gates(p, list(tokens), delta, x @ W_B, x @ W_C, a)


def _gates(p, tokens: list, delta: torch.Tensor, B: torch.Tensor, C: torch.Tensor, a: float) -> dict:
    """Keep and let-in of channel p.channel, state p.state (A = a), per token and for the LTI twin."""

    def gates(d: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        keep = torch.exp(d * a)
        return keep, (torch.expm1(d * a) / a if p.discretization == "zoh" else d)

    dc = delta[:, p.channel]
    keep, let_in = gates(dc)
    lti = dc.mean()
    lti_keep, lti_let_in = gates(lti)
    return {
        "p": p, "tokens": tokens, "delta_all": delta.numpy(), "B": B.numpy(), "C": C.numpy(), "a": a,
        "delta": dc.numpy(), "keep": keep.numpy(), "let_in": let_in.numpy(),
        "most": int(torch.argmax(dc)), "least": int(torch.argmin(dc)),
        "lti": (float(lti), float(lti_keep), float(lti_let_in)),
    }  # fmt: skip


def fixed(v, digits: int = 2) -> list:
    return np.vectorize(lambda a: numbers.fixed(a, digits), otypes=[object])(v).tolist()


@pytest.fixture(scope="module")
def runs(fast_run):
    return lambda i, locale="en": fast_run("mamba.selection", CASES[i], locale)


@pytest.mark.parametrize("i", range(len(CASES)), ids=IDS)
def test_projections(runs, i):
    scene, problems = runs(i)
    assert problems == []
    ref = reference(CASES[i])
    pic = scene.pictures[PROJECTIONS]
    for key in ("delta_all", "B", "C"):
        assert pic.array(key).tolist() == fixed(ref[key]), key  # two decimals, as reviewed
    rows = {t: c[1] for (t, _), c in pic.centers("delta_all").items()}
    for t, tok in enumerate(ref["tokens"]):  # each token labels its own row, in sentence order
        assert tok in pic.strings
        assert pic.centers("B")[(t, 0)][1] == pytest.approx(rows[t]) == pic.centers("C")[(t, 0)][1]
    assert [rows[t] for t in range(len(ref["tokens"]))] == sorted(rows.values(), reverse=True)


@pytest.mark.parametrize("locale", ["en", "zh"])
@pytest.mark.parametrize("i", range(len(CASES)), ids=IDS)
def test_gates_per_token(runs, i, locale):
    scene, problems = runs(i, locale)
    assert problems == []
    ref = reference(CASES[i])
    p = ref["p"]
    pic = scene.pictures[GATES]
    assert list(pic.array("tokens")) == ref["tokens"]
    for key in ("delta", "keep", "let_in"):
        assert list(pic.array(key)) == fixed(ref[key]), key
        # each value stands over its own token
        tok_x = {k: c[0] for (k,), c in pic.centers("tokens").items()}
        assert {k: c[0] for (k,), c in pic.centers(key).items()} == pytest.approx(tok_x), key
    assert pic.text("which") == Selection.STRINGS[locale]["which"].format(
        d=p.channel + 1, n=p.state + 1, a=numbers.fixed(ref["a"], 0)
    )


@pytest.mark.parametrize("locale", ["en", "zh"])
@pytest.mark.parametrize("i", range(len(CASES)), ids=IDS)
def test_the_token_let_in_and_the_token_ignored(runs, i, locale):
    scene, _ = runs(i, locale)
    ref = reference(CASES[i])
    pic = scene.pictures[EXTREMES]
    for key in ("most", "least"):
        k = ref[key]
        assert pic.text(key) == Selection.STRINGS[locale][key].format(
            tok=ref["tokens"][k],
            delta=numbers.fixed(ref["delta"][k], 2),
            keep=numbers.fixed(ref["keep"][k], 2),
            gain=numbers.fixed(ref["let_in"][k], 2),
        )
    assert ref["delta"][ref["most"]] > ref["delta"][ref["least"]]


@pytest.mark.parametrize("locale", ["en", "zh"])
@pytest.mark.parametrize("i", range(len(CASES)), ids=IDS)
def test_lti_has_one_step_for_every_token(runs, i, locale):
    scene, _ = runs(i, locale)
    ref = reference(CASES[i])
    L = len(ref["tokens"])
    delta, keep, let_in = ref["lti"]
    pic = scene.pictures[LTI]
    assert list(pic.array("lti_delta")) == [numbers.fixed(delta, 2)] * L
    assert list(pic.array("lti_keep")) == [numbers.fixed(keep, 2)] * L
    assert list(pic.array("lti_let_in")) == [numbers.fixed(let_in, 2)] * L
    assert pic.text("lti") == Selection.STRINGS[locale]["lti"].format(
        delta=numbers.fixed(delta, 2), keep=numbers.fixed(keep, 2), gain=numbers.fixed(let_in, 2)
    )
    assert not {"delta", "keep", "let_in", "most", "least"} & set(pic.keys())  # the selective bars made way


def test_strings_have_the_same_keys():
    assert Selection.STRINGS["en"].keys() == Selection.STRINGS["zh"].keys()


def test_channel_and_state_are_bounded_by_the_model():
    with pytest.raises(ValueError):
        Selection.Params(d_inner=2, channel=2)
    with pytest.raises(ValueError):
        Selection.Params(d_state=3, state=3)


def test_the_trained_model_lets_the_letters_in_and_keeps_its_state_on_the_dots():
    """The learned selection itself, on the default input: every data token a large step, every dot ≈ 0."""
    ref = reference(None)
    data = np.array([tok != "·" for tok in ref["tokens"]])
    assert data.any() and (~data).any()
    assert ref["delta"][data].min() > 0.5 > 0.01 > ref["delta"][~data].max()
    assert ref["keep"][~data].min() > 0.99 and ref["let_in"][~data].max() < 0.01
    assert ref["tokens"][ref["most"]] != "·" and ref["tokens"][ref["least"]] == "·"


def test_the_trained_model_needs_its_own_state_size_and_discretisation():
    with pytest.raises(ValueError, match="d_state"):
        Selection.Params(d_state=6)
    with pytest.raises(ValueError, match="discretization"):
        Selection.Params(discretization="mamba")
    Selection.Params(model="random", d_state=6, discretization="mamba")
