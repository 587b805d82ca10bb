"""One next-token prediction of the trained induction model, and its loss over a batch of sequences.

The model was trained with cross-entropy on the positions of the second copy only (``target_mask``): there
the next token is predictable by the induction rule (Olsson et al. 2022, §2); the random filler is not.
So the loss and the perplexity exp(mean loss) (Vaswani et al. 2017, Table 3) are taken over those
positions, the others set to ``ignore_index`` as ``torch.nn.functional.cross_entropy`` does.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lib.models import induction, tasks
from lib.training.losses import CrossEntropyResult, cross_entropy

IGNORE = -100


@dataclass(frozen=True)
class Prediction:
    """The model at one predictable position t of a sequence: context tokens[: t + 1] → tokens[t + 1]."""

    tokens: np.ndarray  # (T,)  the whole sequence
    position: int  # t
    segment: int  # S
    start: int  # F, where the first copy begins
    logits: np.ndarray  # (V,)  for the token at t + 1
    target: int  # tokens[t + 1]
    sequence_logits: np.ndarray  # (T, V)  every position's logits
    sequence_targets: np.ndarray  # (T,)  the next token where predictable, IGNORE elsewhere


def targets(batch: tasks.InductionBatch) -> np.ndarray:
    """Next tokens at the second-copy positions (``target_mask``), IGNORE elsewhere: (B, T)."""
    nxt = np.roll(batch.tokens, -1, axis=1)  # (B, T)
    return np.where(batch.target_mask, nxt, IGNORE)  # (B, T)


def predict(w: induction.DecoderLMWeights, example: int, segment: int, step: int) -> Prediction:
    """The ``step``-th predictable position (0 … S − 2) of ``induction.example(example, segment)``."""
    if not 0 <= step <= segment - 2:
        raise ValueError(f"step must be in [0, {segment - 2}]")
    ex = induction.example(example, segment)
    logits = induction.forward(w, ex.tokens).logits[0]  # (T, V)
    t = int(np.flatnonzero(ex.target_mask[0])[step])
    return Prediction(
        tokens=ex.tokens[0], position=t, segment=segment, start=int(ex.start[0]), logits=logits[t],
        target=int(ex.tokens[0, t + 1]), sequence_logits=logits, sequence_targets=targets(ex)[0],
    )  # fmt: skip


def batch_loss(w: induction.DecoderLMWeights, n: int, seed: int) -> CrossEntropyResult:
    """Mean cross-entropy over the predictable positions of n fresh sequences (``tasks.induction_batch``)."""
    batch = tasks.induction_batch(np.random.default_rng(seed), n)
    logits = induction.forward(w, batch.tokens).logits  # (B, T, V)
    return cross_entropy(logits, targets(batch), ignore_index=IGNORE)
