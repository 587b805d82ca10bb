"""Which heads of the trained tiny Transformers learned which pattern: the numbers a scene labels "learned".

Induction model (Olsson et al. 2022, §2; Elhage et al. 2021): the previous-token head is the head with the
most mean attention on t − 1, the induction head the one with the most on t − S + 1 from the second copy,
scored by ``lib.models.induction.head_scores`` on a fixed batch of unseen sequences.
Translation model (Vaswani et al. 2017, §3.2.3, encoder–decoder attention): the alignment head is the one
whose cross-attention row most often peaks at the source token the output token is read from
(``lib.models.tasks.date_alignment``), over all layers, on the held-out dates of ``lib.models.alignment``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lib.models import induction, tasks, translation
from lib.models.alignment import held_out_dates

SCORING_SEED = 2024  # the sequences heads are scored on: neither the training nor the validation seed
SCORING_SIZE = 64


@dataclass(frozen=True)
class InductionHeads:
    previous: tuple[int, int]  # (layer, head) with the highest mean weight on t − 1
    induction: tuple[int, int]  # (layer, head) with the highest mean weight on t − S + 1
    previous_score: float  # that mean weight, over the scoring batch
    induction_score: float


def induction_heads(w: induction.DecoderLMWeights) -> InductionHeads:
    """Score every head on ``SCORING_SIZE`` unseen sequences and name the two specialists."""
    batch = tasks.induction_batch(np.random.default_rng(SCORING_SEED), SCORING_SIZE)
    s = induction.head_scores(induction.forward(w, batch.tokens).attention, batch)  # (layers, H) each
    prev = np.unravel_index(int(s.previous_token.argmax()), s.previous_token.shape)
    ind = np.unravel_index(int(s.induction.argmax()), s.induction.shape)
    return InductionHeads(
        previous=(int(prev[0]), int(prev[1])),
        induction=(int(ind[0]), int(ind[1])),
        previous_score=float(s.previous_token[prev]),
        induction_score=float(s.induction[ind]),
    )


def alignment_hits(cross_attention: np.ndarray, dates: np.ndarray) -> np.ndarray:
    """(layers, H): share of aligned output tokens whose cross-attention peaks at their source token.

    cross_attention (B, layers, H, T, S) of teacher-forced targets; row t + 1 of the decoder input writes
    target token t (BOS comes first), so target token t's row is t + 1 − 1 = t of the output logits.
    """
    hits = np.zeros(cross_attention.shape[1:3])  # (layers, H)
    count = 0
    for b, date in enumerate(np.asarray(dates).tolist()):
        align = np.array(tasks.date_alignment(*date))  # (T_b,)  −1 = no single source token
        t = np.flatnonzero(align >= 0)  # (n,)
        peak = cross_attention[b][:, :, t].argmax(-1)  # (layers, H, n)
        hits += (peak == align[t]).sum(-1)
        count += len(t)
    return hits / count


@dataclass(frozen=True)
class Alignment:
    date: tuple[int, int, int]  # (year, month, day)
    source: list[str]  # the English tokens (keys)
    output: list[str]  # the greedy output tokens (queries), EOS excluded
    weights: np.ndarray  # (len(output), len(source))  the alignment head's cross-attention
    head: tuple[int, int]  # (layer, head)
    hit_rate: float  # that head's alignment_hits over all held-out dates


def alignment(w: translation.Seq2SeqWeights, index: int) -> Alignment:
    """Greedy translation of held-out date ``index`` and the cross-attention of the best alignment head."""
    dates = held_out_dates()
    batch = tasks.encode_dates(dates)
    rates = alignment_hits(translation.forward(w, batch.src, batch.tgt_in).cross_attention, dates)
    layer, head = (int(x) for x in np.unravel_index(int(rates.argmax()), rates.shape))
    year, month, day = (int(x) for x in dates[index])
    date = (year, month, day)
    source = tasks.date_source(*date)
    trace = translation.greedy(w, batch.src[index : index + 1])
    output = translation.decoded(trace)[0]
    weights = trace.cross_attention[0, layer, head, : len(output), : len(source)]  # (T_out, S)
    return Alignment(date, source, output, weights, (layer, head), float(rates[layer, head]))
