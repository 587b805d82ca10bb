"""The trained encoder–decoder on dates it never saw, and the alignment its cross-attention learned.

Cross-attention (Vaswani et al. 2017, §3.2.3, "encoder-decoder attention"): the queries come from the
decoder, the keys and values from the encoder's output, so each target position gets one weight per source
token, softmax(Q Kᵀ/√d_k) of shape (T_tgt, T_src). The held-out dates are the validation set of
``lib.models.train`` (``held_out_dates``): drawn from the seed in the manifest + 1000 and excluded from every
training batch. Reading them needs NumPy only, so scenes can use them without torch.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lib.models import tasks, translation
from lib.models.store import read_manifest

HELD_OUT = 500  # validation dates of the translation model


def held_out_dates() -> np.ndarray:
    """The (year, month, day) rows the translation model was validated on and never trained on (all of them:
    ``random_dates`` draws years, months and days as three arrays, so a shorter draw is not a prefix)."""
    seed = read_manifest()["models"]["translation"]["seed"]
    return tasks.random_dates(np.random.default_rng(seed + 1_000), HELD_OUT)  # (HELD_OUT, 3)


@dataclass(frozen=True)
class Alignment:
    date: tuple[int, int, int]
    source: tuple[str, ...]  # the English tokens (no padding)
    written: tuple[str, ...]  # what the decoder wrote, greedily, ending with EOS
    expected: tuple[str, ...]  # the right translation (tasks.date_target)
    weights: (
        np.ndarray
    )  # (H, T_tgt, T_src)  cross-attention of the (last) decoder layer, row t writes token t
    peaks: np.ndarray  # (H, T_tgt)  the source position each row attends to most
    by_hand: tuple[int, ...]  # per written token the source position it comes from (−1: none), by hand
    hits: np.ndarray  # (H,)  rows whose peak is the hand-written source position
    d_k: int


def align(w: translation.Seq2SeqWeights, index: int) -> Alignment:
    """Greedy-decode held-out date ``index`` and read the last decoder layer's cross-attention."""
    year, month, day = (int(v) for v in held_out_dates()[index])
    date = (year, month, day)
    batch = tasks.encode_dates(np.array([date]))
    tr = translation.greedy(w, batch.src)
    written = [*translation.decoded(tr)[0], tasks.EOS]
    S = len(tasks.date_source(*date))
    weights = tr.cross_attention[0, -1, :, : len(written), :S]  # (H, T_tgt, T_src), padding dropped
    peaks = weights.argmax(-1)  # (H, T_tgt)
    hand = (*tasks.date_alignment(*date), -1)  # EOS comes from no one token either
    known = np.array(hand) >= 0  # (T_tgt,)
    hits = (peaks[:, known] == np.array(hand)[known]).sum(-1) if len(hand) == len(written) else np.zeros(0)
    return Alignment(
        date=date, source=tuple(tasks.date_source(*date)), written=tuple(written),
        expected=(*tasks.date_target(*date), tasks.EOS), weights=weights, peaks=peaks, by_hand=hand,
        hits=hits, d_k=w.src_embed.shape[1] // w.n_heads,
    )  # fmt: skip
