"""The three toy tasks the repository's tiny models are trained on, as seeded NumPy batch generators.

- Induction (Olsson et al. 2022, "In-context Learning and Induction Heads", §2): a random segment of
  distinct tokens appears twice inside random filler; from the second copy on, the next token is predictable
  only by finding the previous occurrence of the current token and reading the token after it.
- Dates (a translation-like task with reordering): "March 12 , 2024" → "2024 年 3 月 12 日". The year moves
  from the end to the front and the month word becomes a number, so the learned cross-attention is not the
  diagonal.
- Selective Copying (Gu & Dao 2023, "Mamba", §4.1.1 and Fig. 2): K data tokens scattered at random positions
  among noise tokens, followed by K markers; at marker k the model outputs the k-th data token. The markers
  are numbered (#1 … #K: which token to recall), so that one block, with no convolution over time, can
  answer; the data must still be carried across the noise in the state.

Every generator takes a ``np.random.Generator`` and returns int64 arrays; no torch here (scenes use these).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass

import numpy as np

# ── induction ───────────────────────────────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class InductionConfig:
    vocab: int = 32  # token ids 0 … vocab − 1, all ordinary tokens
    length: int = 24  # T, every sequence
    min_segment: int = 4  # S is drawn per sequence from [min_segment, max_segment]
    max_segment: int = 10


@dataclass(frozen=True)
class InductionBatch:
    tokens: np.ndarray  # (B, T)  int64
    start: np.ndarray  # (B,)  F, where the first copy of the segment begins
    segment: np.ndarray  # (B,)  S, the segment length; the second copy begins at F + S
    target_mask: np.ndarray  # (B, T)  bool: position t predicts tokens[t + 1] inside the second copy


def induction_batch(
    rng: np.random.Generator, n: int, cfg: InductionConfig = InductionConfig()
) -> InductionBatch:
    """n sequences ``filler · seg · seg · filler``; the segment's tokens are distinct and not in the filler.

    So each token of the second copy has exactly one earlier occurrence (in the first copy), and the only
    way to predict tokens[t + 1] for t in [F + S, F + 2S − 2] is the induction rule: attend to the position
    after that occurrence (t − S + 1) and copy its token. The S − 1 such positions are ``target_mask``.
    """
    T = cfg.length
    tokens = np.empty((n, T), dtype=np.int64)  # (B, T)
    start = np.empty(n, dtype=np.int64)  # (B,)
    seg_len = rng.integers(cfg.min_segment, cfg.max_segment + 1, size=n)  # (B,)
    mask = np.zeros((n, T), dtype=bool)  # (B, T)
    for b in range(n):
        S = int(seg_len[b])
        perm = rng.permutation(cfg.vocab)  # (V,)
        seg, rest = perm[:S], perm[S:]  # segment tokens never appear in the filler
        tokens[b] = rng.choice(rest, size=T)  # (T,)  filler everywhere, then the two copies
        F = int(rng.integers(0, T - 2 * S + 1))
        tokens[b, F : F + S] = seg
        tokens[b, F + S : F + 2 * S] = seg
        start[b] = F
        mask[b, F + S : F + 2 * S - 1] = True  # predicts tokens F+S+1 … F+2S−1
    return InductionBatch(tokens=tokens, start=start, segment=seg_len.astype(np.int64), target_mask=mask)


# ── dates: "March 12 , 2024" → "2024 年 3 月 12 日" ──────────────────────────────────────────────────────

MONTHS = tuple(calendar.month_name[1:])  # ("January", …, "December")
DIGITS = tuple("0123456789")
PAD, BOS, EOS = "<pad>", "<s>", "</s>"
SRC_VOCAB = (PAD, *MONTHS, *DIGITS, ",")  # id 0 is padding
TGT_VOCAB = (PAD, BOS, EOS, *DIGITS, "年", "月", "日")
SRC_ID = {s: i for i, s in enumerate(SRC_VOCAB)}
TGT_ID = {s: i for i, s in enumerate(TGT_VOCAB)}
SRC_LEN = 8  # month, ≤ 2 day digits, comma, 4 year digits
TGT_LEN = 12  # BOS/EOS + 4 year digits, 年, ≤ 2 month digits, 月, ≤ 2 day digits, 日


@dataclass(frozen=True)
class DatesConfig:
    min_year: int = 1000
    max_year: int = 2999


def date_source(year: int, month: int, day: int) -> list[str]:
    """The English date as source tokens: month word, day digits, comma, year digits."""
    return [MONTHS[month - 1], *str(day), ",", *str(year)]


def date_target(year: int, month: int, day: int) -> list[str]:
    """The Chinese date as target tokens: year digits 年, month digits 月, day digits 日."""
    return [*str(year), "年", *str(month), "月", *str(day), "日"]


def date_alignment(year: int, month: int, day: int) -> list[int]:
    """For each target token, the source position it is read from (written from the two formats by hand).

    Year digit k ← year digit k (source position nd + 2 + k, after the month, nd day digits and the comma);
    month digits ← the month word (position 0); day digit k ← day digit k (position 1 + k). 年, 月 and 日
    have no one source token: −1.
    """
    nd = len(str(day))
    return [*(nd + 2 + k for k in range(4)), -1, *[0] * len(str(month)), -1, *(1 + k for k in range(nd)), -1]


@dataclass(frozen=True)
class DatesBatch:
    dates: np.ndarray  # (B, 3)  year, month, day
    src: np.ndarray  # (B, SRC_LEN)  padded with 0
    tgt_in: np.ndarray  # (B, TGT_LEN)  BOS + target, padded with 0
    tgt_out: np.ndarray  # (B, TGT_LEN)  target + EOS, padded with 0 (ignored in the loss)


def random_dates(rng: np.random.Generator, n: int, cfg: DatesConfig = DatesConfig()) -> np.ndarray:
    """n uniformly drawn (year, month, day) rows, each a real calendar date."""
    years = rng.integers(cfg.min_year, cfg.max_year + 1, size=n)  # (n,)
    months = rng.integers(1, 13, size=n)  # (n,)
    u = rng.random(n)  # (n,)
    days = [
        1 + int(u_i * calendar.monthrange(int(y), int(m))[1])
        for y, m, u_i in zip(years, months, u, strict=True)
    ]
    return np.stack([years, months, np.asarray(days)], axis=1).astype(np.int64)  # (n, 3)


def encode_dates(dates: np.ndarray) -> DatesBatch:
    """Token ids of each date's source, teacher-forced decoder input and expected output."""
    n = len(dates)
    src = np.zeros((n, SRC_LEN), dtype=np.int64)  # (B, S)
    tgt_in = np.zeros((n, TGT_LEN), dtype=np.int64)  # (B, T)
    tgt_out = np.zeros((n, TGT_LEN), dtype=np.int64)  # (B, T)
    for b, (y, m, d) in enumerate(dates.tolist()):
        s = [SRC_ID[w] for w in date_source(y, m, d)]
        t = [TGT_ID[w] for w in date_target(y, m, d)]
        src[b, : len(s)] = s
        tgt_in[b, : len(t) + 1] = [TGT_ID[BOS], *t]
        tgt_out[b, : len(t) + 1] = [*t, TGT_ID[EOS]]
    return DatesBatch(dates=np.asarray(dates, dtype=np.int64), src=src, tgt_in=tgt_in, tgt_out=tgt_out)


# ── selective copying ───────────────────────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class CopyConfig:
    n_data: int = 8  # data symbols
    min_context: int = 8  # L_c, the positions holding data or noise, is drawn per batch from this range:
    max_context: int = 32  # long noise runs are what make selection necessary
    k: int = 3  # data tokens to copy


DATA_SYMBOLS = tuple("ABCDEFGH")  # ids 0 … 7
NOISE = "·"  # id 8
MARKERS = ("#1", "#2", "#3")  # ids 9 … 11: recall the first, second, third data token
COPY_VOCAB = (*DATA_SYMBOLS, NOISE, *MARKERS)
NOISE_ID, MARKER_ID = len(DATA_SYMBOLS), len(DATA_SYMBOLS) + 1  # MARKER_ID + k is marker #(k + 1)


@dataclass(frozen=True)
class CopyBatch:
    tokens: np.ndarray  # (B, L_c + K)  context (data or noise), then K markers
    targets: np.ndarray  # (B, K)  the data tokens in order, expected at the K marker positions
    is_data: np.ndarray  # (B, L_c + K)  bool: a data token of the context


def copy_batch(
    rng: np.random.Generator, n: int, cfg: CopyConfig = CopyConfig(), context: int | None = None
) -> CopyBatch:
    """Selective Copying (Gu & Dao 2023, §4.1.1): K data tokens at random positions among noise, K markers.

    Needs K ≤ len(MARKERS).

    One context length L_c for the whole batch: ``context``, or drawn from [min_context, max_context].
    """
    Lc = int(rng.integers(cfg.min_context, cfg.max_context + 1)) if context is None else context
    K = cfg.k
    tokens = np.full((n, Lc + K), NOISE_ID, dtype=np.int64)  # (B, L)
    tokens[:, Lc:] = MARKER_ID + np.arange(K)  # #1 … #K
    targets = rng.integers(0, cfg.n_data, size=(n, K))  # (B, K)
    is_data = np.zeros((n, Lc + K), dtype=bool)  # (B, L)
    for b in range(n):
        pos = np.sort(rng.choice(Lc, size=K, replace=False))  # (K,)  random spacing, order kept
        tokens[b, pos] = targets[b]
        is_data[b, pos] = True
    return CopyBatch(tokens=tokens, targets=targets, is_data=is_data)


def copy_symbols(tokens: np.ndarray) -> tuple[str, ...]:
    """The readable symbols of a selective-copying sequence: letters for data, · for noise, #k for markers."""
    return tuple(COPY_VOCAB[int(t)] for t in tokens)
