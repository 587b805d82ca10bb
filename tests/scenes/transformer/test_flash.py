"""transformer.flash: what the viewer reads — Q, K, V and both outputs against torch's
scaled_dot_product_attention, one row's running max m and sum l recomputed by hand block by block, and the
HBM reads and writes counted by walking Dao et al. 2022's Alg. 0 and Alg. 1 loop by loop.

Nothing here calls lib/transformer/flash*.py: inputs are redrawn from the seed, everything else derived here.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from scenes.engine.probe import Picture
from scenes.kit import numbers
from scenes.transformer.flash import Flash

SETS = [None, *Flash.EXAMPLES]
LOCALES = ["en", "zh"]
TILES, ONLINE, RESULT, EXACT, IO = range(5)  # the pauses


def run(fast_run, raw, locale):
    scene, _ = fast_run("transformer.flash", raw, locale)
    assert len(scene.pictures) == IO + 1
    return scene, Flash.Params.model_validate(raw or {}), Flash.STRINGS[locale]


def inputs(p):
    rng = np.random.default_rng(p.seed)  # Q, K, V: standard normal, drawn in that order
    return [torch.from_numpy(rng.standard_normal((p.N, p.d))) for _ in range(3)]


def fmt(a, digits: int = 2) -> list:
    return np.vectorize(lambda v: numbers.fixed(float(v), digits))(np.asarray(a)).tolist()


def online_by_hand(scores: list[float], block: int) -> list[tuple[float, float, float, float]]:
    """(m̃_j, l̃_j, m_j, ℓ_j) per key block, Alg. 1 lines 10–11 in plain Python."""
    out, m, l = [], -math.inf, 0.0
    for a in range(0, len(scores), block):
        blk = scores[a : a + block]
        mt = max(blk)
        lt = sum(math.exp(x - mt) for x in blk)
        m_new = max(m, mt)
        l = (l * math.exp(m - m_new) if m > -math.inf else 0.0) + lt * math.exp(mt - m_new)
        m = m_new
        out.append((mt, lt, m, l))
    return out


def hbm_by_walking(N: int, d: int, M: int) -> tuple[tuple[int, int], tuple[int, int], int]:
    """(reads, writes) of Alg. 0 and of Alg. 1, adding up each load and store of the algorithms as written."""
    std_r = N * d + N * d  # 1. load Q, K by blocks …
    std_w = N * N  # … write S
    std_r += N * N  # 2. read S …
    std_w += N * N  # … write P
    std_r += N * N + N * d  # 3. load P and V …
    std_w += N * d  # … write O
    b_c = -(-M // (4 * d))  # line 1
    b_r = min(b_c, d)
    fl_r, fl_w = 0, N * d + N + N  # line 2: O, ℓ, m to HBM
    passes = 0
    for ks in range(0, N, b_c):  # line 5
        passes += 1
        rows_k = min(b_c, N - ks)
        fl_r += 2 * rows_k * d  # line 6: K_j, V_j
        for qs in range(0, N, b_r):  # line 7
            rows_q = min(b_r, N - qs)
            fl_r += rows_q * d + rows_q * d + rows_q + rows_q  # line 8: Q_i, O_i, ℓ_i, m_i
            fl_w += rows_q * d + rows_q + rows_q  # lines 12–13: O_i, ℓ_i, m_i
    return (std_r, std_w), (fl_r, fl_w), passes


def test_hbm_walk_on_a_case_by_hand():
    # N = 2, d = 1, M = 4: B_c = B_r = 1; two outer steps each read 2 + 2·4 and write 2·3, plus line 2's 6
    assert hbm_by_walking(2, 1, 4) == ((14, 10), (20, 18), 2)


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("raw", SETS)
def test_tiles_rows_and_outputs_against_torch(fast_run, raw, locale):
    scene, p, s = run(fast_run, raw, locale)
    q, k, v = inputs(p)
    for name, x in (("Q", q), ("K", k), ("V", v)):
        assert scene.pictures[TILES].array(name).tolist() == fmt(x, 1)
    assert scene.pictures[TILES].contains_text(s["tiles"].format(b=p.block))
    scores = (q @ k.T / math.sqrt(p.d))[p.row]
    online = scene.pictures[ONLINE]
    assert online.array("row_scores").tolist() == [fmt(scores)]
    by_hand = online_by_hand([float(x) for x in scores], p.block)
    for col, key in enumerate(("block_max", "block_sum", "m", "l")):
        assert list(online.array(key)) == [numbers.fixed(r[col], 3) for r in by_hand]
    assert by_hand[-1][2] == pytest.approx(float(scores.max()), abs=1e-12)  # m ends as the row max …
    assert by_hand[-1][3] == pytest.approx(
        float(torch.exp(scores - scores.max()).sum()), abs=1e-12
    )  # … ℓ the sum
    assert Picture.merge(scene.pictures[ONLINE : RESULT + 1]).array("l")[-1] == numbers.fixed(
        by_hand[-1][3], 3
    )
    ref = F.scaled_dot_product_attention(q[None], k[None], v[None])[0]
    exact = scene.pictures[EXACT]
    assert exact.array("O_tiled").tolist() == fmt(ref)
    assert exact.array("O_exact").tolist() == fmt(ref)
    diff = exact.value("max_diff")
    assert 0 <= diff < 1e-13
    assert exact.text("max_diff") == s["diff"].format(n=numbers.integer(p.N * p.d), e=numbers.sci(diff, 1))


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("raw", SETS)
def test_hbm_counts_are_the_algorithms_walked(fast_run, raw, locale):
    scene, p, s = run(fast_run, raw, locale)
    (std_r, std_w), (fl_r, fl_w), passes = hbm_by_walking(p.io_N, p.io_d, p.sram)
    io = scene.pictures[IO]
    assert list(io.array("reads")) == [numbers.integer(std_r), numbers.integer(fl_r)]
    assert list(io.array("writes")) == [numbers.integer(std_w), numbers.integer(fl_w)]
    assert list(io.array("total")) == [numbers.integer(std_r + std_w), numbers.integer(fl_r + fl_w)]
    assert io.text("ratio") == s["fewer"].format(r=numbers.ratio((std_r + std_w) / (fl_r + fl_w)))
    b_c = -(-p.sram // (4 * p.io_d))
    assert io.contains_text(s["blocks"].format(br=min(b_c, p.io_d), bc=b_c, tc=passes))
