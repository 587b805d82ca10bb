"""transformer.rope: what the viewer reads, against torch and a derivation by hand.

RoPE: each pair of q and k as a complex number times torch.polar(1, m·θ_i) (LLaMA's reference form), the
score Re Σ_i q̃_i conj(k̃_i) (RoFormer eq. 16), θ_i = base^{−2i/d} written here. ALiBi: the slopes 2^{−8h/H}
of Press et al. 2022 §3 written here, the bias −m_h·(i − j) below the diagonal and −∞ (masked) above it.
q and k are re-drawn here from the seed (numpy's default_rng, standard normal), not taken from lib/.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from scenes.kit import numbers
from scenes.transformer.rope import Rope

SETS = [None, *Rope.EXAMPLES]
LOCALES = ["en", "zh"]
ROTATION, OFFSETS, ALIBI = 0, 1, 2  # the pauses
TIP = 1e-9  # an arrow's tip read back through the plane's axes (float64 geometry)


def reference(p):
    qk = np.random.default_rng(p.seed).standard_normal((2, p.d_head))
    q, k = torch.tensor(qk[0]), torch.tensor(qk[1])
    theta = p.base ** (-torch.arange(0, p.d_head, 2, dtype=torch.float64) / p.d_head)  # (d/2,)

    def rotated(x: torch.Tensor, pos: int) -> torch.Tensor:  # (d/2,) complex
        z = torch.view_as_complex(x.reshape(-1, 2).contiguous())
        return z * torch.polar(torch.ones_like(theta), pos * theta)

    pairs = [(p.m, p.n), (p.m + p.shift, p.n + p.shift), (p.m + p.shift, p.n)]
    scores = [(rotated(q, a) * rotated(k, b).conj()).real.sum().item() for a, b in pairs]
    slopes = [2.0 ** (-8.0 * h / p.n_heads) for h in range(1, p.n_heads + 1)]
    return q, k, theta, rotated, pairs, scores, slopes


def run(fast_run, raw, locale):
    scene, _ = fast_run("transformer.rope", raw, locale)
    assert len(scene.pictures) == ALIBI + 1
    return scene, Rope.Params.model_validate(raw or {}), Rope.STRINGS[locale]


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("raw", SETS)
def test_vectors_angles_and_rotated_pairs(fast_run, raw, locale):
    scene, p, s = run(fast_run, raw, locale)
    q, k, theta, rotated, pairs, _, _ = reference(p)
    first = scene.pictures[ROTATION]
    assert list(first.array("q")[0]) == [numbers.fixed(v, 1) for v in q.tolist()]
    assert list(first.array("k")[0]) == [numbers.fixed(v, 1) for v in k.tolist()]
    assert list(first.array("theta")[0]) == [numbers.fixed(t, 4) for t in theta.tolist()]
    for pic, (m, n) in ((first, pairs[0]), (scene.pictures[OFFSETS], pairs[2])):
        for plane, i in enumerate((0, p.slow_pair)):
            t = theta[i].item()
            assert pic.text("q_angle", plane) == s["q_angle"].format(m=m, a=numbers.fixed(m * t, 2))
            assert pic.text("k_angle", plane) == s["k_angle"].format(n=n, a=numbers.fixed(n * t, 2))
            for key, x, pos in (("q_pair", q, m), ("k_pair", k, n)):
                z = rotated(x, pos)[i]
                drawn = pic.value(key, plane)
                np.testing.assert_allclose(drawn, [z.real.item(), z.imag.item()], atol=TIP)


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("raw", SETS)
def test_scores_of_equal_offsets_are_equal_digits(fast_run, raw, locale):
    scene, p, _ = run(fast_run, raw, locale)
    *_, pairs, scores, _ = reference(p)
    table = scene.pictures[OFFSETS]
    assert list(table.array("pos_m")) == [numbers.integer(a) for a, _ in pairs]
    assert list(table.array("pos_n")) == [numbers.integer(b) for _, b in pairs]
    assert list(table.array("offset")) == [numbers.integer(a - b) for a, b in pairs]
    drawn = list(table.array("score"))
    assert drawn == [numbers.fixed(v, 3) for v in scores]
    assert drawn[0] == drawn[1] != drawn[2]


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("raw", SETS)
def test_alibi_slopes_and_causal_bias(fast_run, raw, locale):
    scene, p, s = run(fast_run, raw, locale)
    *_, slopes = reference(p)
    pic = scene.pictures[ALIBI]
    assert list(pic.array("slope")[:, 0]) == [numbers.fixed(v, 4) for v in slopes]
    T = p.alibi_len
    for h in (1, p.n_heads):
        drawn = pic.texts(f"bias_{h}")
        want = {
            (i, j): numbers.fixed(-slopes[h - 1] * (i - j), 2) if j <= i else "−∞"
            for i in range(T)
            for j in range(T)
        }
        assert drawn == want
        assert pic.contains_text(s["head"].format(h=h))
    assert not {"q_pair", "score", "theta"} & set(pic.keys())  # RoPE's slides are gone
