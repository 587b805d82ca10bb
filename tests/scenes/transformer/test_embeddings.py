"""transformer.embeddings: what the viewer reads, against torch.

The token table is the trained induction model's ``embed.weight`` read from the committed ``.npz`` into a
``torch.nn.Embedding``; the positional encoding is written out with ``torch.sin``/``torch.cos`` as in the
Annotated Transformer (div_term = exp(−2i · ln(base) / d)); the wavelengths are 2π / div_term. Numbers are
compared as the exact strings drawn (at the decimals the heatmap chose, the same for every number of one
slide), the PE heatmap by the colour each cell is drawn in, the wavelength curve by where its dots sit.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import torch

from scenes.kit import numbers, theme
from scenes.transformer.embeddings import Embeddings

WEIGHTS = Path(__file__).resolve().parents[3] / "lib" / "models" / "weights" / "induction.npz"
CASES = [None, *Embeddings.EXAMPLES]
IDS = ["defaults", *[f"example{i}" for i in range(len(Embeddings.EXAMPLES))]]
LOOKUP, PE, WAVES, SUM = range(4)  # the pauses, in order


def torch_pe(T: int, d: int, base: float) -> torch.Tensor:
    pos = torch.arange(T, dtype=torch.float64)[:, None]
    div = torch.exp(torch.arange(0, d, 2, dtype=torch.float64) * -(math.log(base) / d))
    pe = torch.zeros(T, d, dtype=torch.float64)
    pe[:, 0::2] = torch.sin(pos * div)
    pe[:, 1::2] = torch.cos(pos * div)
    return pe


def reference(raw) -> dict:
    p = Embeddings.Params.model_validate(raw or {})
    with np.load(WEIGHTS) as z:
        E = torch.from_numpy(z["embed.weight"].astype(np.float64))
    d = E.shape[1]
    tok = torch.nn.Embedding.from_pretrained(E)(torch.tensor(p.tokens))
    pe = torch_pe(len(p.tokens), d, p.base)
    div = torch.exp(torch.arange(0, d, 2, dtype=torch.float64) * -(math.log(base := p.base) / d))
    return {
        "p": p, "d": d, "tok": tok.numpy(), "pe": pe.numpy(), "x": (tok + pe).numpy(),
        "pe_map": torch_pe(p.positions, d, base).numpy(), "lam": (2 * math.pi / div).numpy(),
    }  # fmt: skip


def decimals(drawn: np.ndarray) -> int:
    """The decimals the heatmap chose (one for all its numbers)."""
    ds = {len(s.split(".")[1]) if "." in s else 0 for s in drawn.flat}
    assert len(ds) == 1, ds
    return ds.pop()


def fixed(v: np.ndarray, digits: int) -> list:
    return np.vectorize(lambda a: numbers.fixed(a, digits), otypes=[object])(v).tolist()


@pytest.fixture(scope="module")
def runs(fast_run):
    return lambda i, locale="en": fast_run("transformer.embeddings", CASES[i], locale)


@pytest.mark.parametrize("locale", ["en", "zh"])
@pytest.mark.parametrize("i", range(len(CASES)), ids=IDS)
def test_lookup_rows_are_the_trained_table(runs, i, locale):
    scene, problems = runs(i, locale)
    assert problems == []
    ref = reference(CASES[i])
    k = ref["p"].dims_shown
    pic = scene.pictures[LOOKUP]
    assert pic.array("tokens").tolist() == [numbers.integer(t) for t in ref["p"].tokens]
    drawn = pic.array("lookup")
    assert drawn.shape == (len(ref["p"].tokens), k)
    digits = decimals(drawn)
    assert digits >= 1
    assert drawn.tolist() == fixed(ref["tok"][:, :k], digits)


@pytest.mark.parametrize("i", range(len(CASES)), ids=IDS)
def test_pe_heatmap_colours(runs, i):
    scene, _ = runs(i)
    ref = reference(CASES[i])
    drawn = scene.pictures[PE].values("pe_color")  # {(pos, dim): the cell's fill, read at the pause}
    colours = np.empty((ref["p"].positions, ref["d"]), dtype=object)
    assert sorted(drawn) == [(i, j) for i in range(colours.shape[0]) for j in range(colours.shape[1])]
    for ij, c in drawn.items():
        colours[ij] = c
    expected = np.vectorize(lambda v: theme.diverging(v, 1.0).to_hex().upper(), otypes=[object])(
        ref["pe_map"]
    )
    assert (colours == expected).all()


@pytest.mark.parametrize("i", range(len(CASES)), ids=IDS)
def test_wavelengths(runs, i):
    scene, _ = runs(i)
    ref = reference(CASES[i])
    pic = scene.pictures[WAVES]
    pts = pic.value_array("wavelength")  # (d/2, 2): (pair i, λ_i) read back from where each dot is drawn
    lam = ref["lam"]
    np.testing.assert_allclose(pts[:, 0], np.arange(len(lam)), atol=1e-6)
    np.testing.assert_allclose(pts[:, 1], lam, rtol=1e-6)
    assert lam[0] == pytest.approx(2 * math.pi)
    assert pic.text("lambda_first") == numbers.fixed(lam[0], 2)
    assert pic.text("lambda_last") == numbers.integer(lam[-1])


@pytest.mark.parametrize("locale", ["en", "zh"])
@pytest.mark.parametrize("i", range(len(CASES)), ids=IDS)
def test_sum_token_plus_position(runs, i, locale):
    scene, _ = runs(i, locale)
    ref = reference(CASES[i])
    k = ref["p"].dims_shown
    pic = scene.pictures[SUM]
    drawn = {key: pic.array(key) for key in ("emb", "pe_rows", "x")}
    digits = decimals(np.concatenate(list(drawn.values())))
    assert digits >= 1
    assert drawn["emb"].tolist() == fixed(ref["tok"][:, :k], digits)
    assert drawn["pe_rows"].tolist() == fixed(ref["pe"][:, :k], digits)
    assert drawn["x"].tolist() == fixed(ref["x"][:, :k], digits)
    # the repeated token: one embedding row, two different inputs
    toks = list(ref["p"].tokens)
    b = next(t for t in range(len(toks)) if toks[t] in toks[:t])
    a = toks.index(toks[b])
    assert drawn["emb"][a].tolist() == drawn["emb"][b].tolist()
    assert drawn["x"][a].tolist() != drawn["x"][b].tolist()


def test_strings_have_the_same_keys():
    assert Embeddings.STRINGS["en"].keys() == Embeddings.STRINGS["zh"].keys()
