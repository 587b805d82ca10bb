"""layers.output_size: what the viewer reads, against torch — F.conv1d's output length on the meta device
for every table row, and autograd through an explicitly padded input for the cells each drawn window reads
(its output cell must sit under their centre); the worked row's terms are derived here by hand."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from scenes.engine.probe import Picture
from scenes.kit import numbers
from scenes.layers.output_size import OutputSize

SETS = [None, *OutputSize.EXAMPLES]
TABLE, WORKED, WINDOWS = range(3)  # the pauses
GEOMETRY = 1e-9  # scene units


def torch_out(w: int, k: int, s: int, p: int, d: int) -> int:
    with torch.device("meta"):
        y = F.conv1d(torch.empty(1, 1, w), torch.empty(1, 1, k), stride=s, padding=p, dilation=d)
    return int(y.shape[-1])


def torch_taps(w: int, k: int, s: int, p: int, d: int) -> list[list[int]]:
    """Cells (−P … W+P−1) each output reads: the nonzero gradient of y_j through a padded input."""
    x = torch.zeros(1, 1, w + 2 * p, dtype=torch.float64, requires_grad=True)
    y = F.conv1d(x, torch.ones(1, 1, k, dtype=torch.float64), stride=s, dilation=d)
    out = []
    for j in range(y.shape[-1]):
        (g,) = torch.autograd.grad(y[0, 0, j], x, retain_graph=True)
        out.append([i - p for i in torch.nonzero(g[0, 0]).flatten().tolist()])
    return out


def run(fast_run, raw, locale="en"):
    scene, _ = fast_run("layers.output_size", raw, locale)
    assert len(scene.pictures) == WINDOWS + 1
    return scene, OutputSize.Params.model_validate(raw or {})


@pytest.mark.parametrize("raw", SETS, ids=["defaults", "example"])
def test_table_rows_match_torch(fast_run, raw):
    scene, p = run(fast_run, raw)
    pic = scene.pictures[TABLE]
    for col, key in enumerate(("t_w", "t_k", "t_s", "t_p", "t_d")):
        assert list(pic.array(key)) == [numbers.integer(c[col]) for c in p.configs]
    assert list(pic.array("t_out")) == [numbers.integer(torch_out(*c)) for c in p.configs]


@pytest.mark.parametrize("raw", SETS, ids=["defaults", "example"])
def test_worked_row_by_hand(fast_run, raw):
    scene, p = run(fast_run, raw)
    w, k, s, pad, d = p.configs[p.worked - 1]
    room = w + 2 * pad - d * (k - 1) - 1
    pic = scene.pictures[WORKED]

    def tex(n: int) -> str:
        return numbers.integer(n, tex=True)

    drawn = [pic.text(key) for key in ("w_in", "w_pad", "w_dil", "w_kernel", "w_stride", "w_stride2")]
    assert drawn == [tex(w), tex(pad), tex(d), tex(k), tex(s), tex(s)]
    assert pic.text("w_room") == tex(room)
    assert pic.text("w_steps") == tex(room // s)
    assert pic.text("w_out") == tex(torch_out(w, k, s, pad, d))


@pytest.mark.parametrize("raw", SETS, ids=["defaults", "example"])
@pytest.mark.parametrize("locale", ["en", "zh"])
def test_windows_sit_over_the_cells_torch_reads(fast_run, raw, locale):
    scene, p = run(fast_run, raw, locale)
    w, k, s, pad, d = p.configs[p.worked - 1]
    pic = scene.pictures[WINDOWS]
    cells = pic.texts("cell")
    assert sorted(i for (i,) in cells) == list(range(-pad, w + pad))
    assert all(t == ("x" + numbers.subscript(i) if 0 <= i < w else "0") for (i,), t in cells.items())
    taps = torch_taps(w, k, s, pad, d)
    outs = pic.texts("out")
    assert [outs[(j,)] for j in range(len(taps))] == ["y" + numbers.subscript(j) for j in range(len(taps))]
    assert len(outs) == len(taps)
    cx, ox = pic.centers("cell"), pic.centers("out")
    for j, read in enumerate(taps):
        assert abs(ox[(j,)][0] - np.mean([cx[(i,)][0] for i in read])) < GEOMETRY
    # the counts under the picture, each as its sentence says it
    room = w + 2 * pad - d * (k - 1) - 1
    table = OutputSize.STRINGS[locale]
    n = numbers.integer
    expected = {
        "padded": table["padded"].format(w=n(w), p=n(pad), padded=n(w + 2 * pad)),
        "span": table["span"].format(d=n(d), k=n(k), span=n(d * (k - 1) + 1)),
        "room": table["room"].format(room=n(room), steps=n(room // s), s=n(s)),
        "positions": table["positions"].format(steps=n(room // s), out=n(len(taps))),
        "unused": table["unused"].format(unused=n(room % s)),
    }
    for key, sentence in expected.items():
        assert pic.text(key) == sentence


def test_zh_table_matches_en(fast_run):
    en = Picture.merge(run(fast_run, None, "en")[0].pictures)
    zh = Picture.merge(run(fast_run, None, "zh")[0].pictures)
    for key in ("t_w", "t_out", "w_room", "w_out"):
        assert zh.texts(key) == en.texts(key)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"configs": ((3, 5, 1, 0, 1), (8, 3, 1, 0, 1))}, "row 1: kernel 5"),
        ({"worked": 7}, "there are 6 rows"),
        ({"worked": 1}, "W \\+ 2P must be"),
    ],
)
def test_bad_params_fail_validation(raw, message):
    with pytest.raises(ValueError, match=message):
        OutputSize.Params.model_validate(raw)
