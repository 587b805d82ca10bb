"""Byte-level byte-pair encoding: training trace, encode, decode.

Sennrich, Haddow & Birch 2016, "Neural Machine Translation of Rare Words with Subword Units", §3.1
(Algorithm 1: repeatedly replace the most frequent adjacent pair by a new symbol); byte-level base
vocabulary of 256 byte values as in GPT-2 (Radford et al. 2019, §2.2). No regex pre-splitting is done
(this is minbpe's ``BasicTokenizer``): the whole text is one UTF-8 byte sequence.

Counting: every adjacent position counts, so ``aaa`` holds the pair ``(a, a)`` twice. Merging replaces
non-overlapping occurrences left to right, so ``aaa`` becomes ``[Z, a]``.

Tie-breaking (deterministic, documented): among pairs with the highest count, the smallest pair in
lexicographic order of ``(left_id, right_id)`` wins. With this rule the textbook example
``aaabdaaabac`` merges ``aa``, then ``ab`` (not ``Za``), then ``(aa)(ab)``.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

N_BYTES = 256  # base vocabulary: one token per byte value


@dataclass(frozen=True)
class BPEMerge:
    """One training step: ``pair`` (most frequent adjacent ids) became token ``new_id``."""

    pair: tuple[int, int]
    count: int  # occurrences of ``pair`` in the training sequence just before this merge
    new_id: int
    seq_len_after: int  # length of the training sequence after the merge


@dataclass(frozen=True)
class BPETrainResult:
    """The merge trace, the vocabulary it builds and the training sequence before and after."""

    merges: tuple[BPEMerge, ...]
    vocab: tuple[bytes, ...]  # vocab[i] = the bytes token i stands for; len = 256 + len(merges)
    initial_ids: tuple[int, ...]  # UTF-8 bytes of the training text
    final_ids: tuple[int, ...]  # training text after all merges

    @property
    def merge_ranks(self) -> dict[tuple[int, int], int]:
        """pair -> new token id (smaller id = learned earlier = higher priority)."""
        return {m.pair: m.new_id for m in self.merges}


def pair_counts(ids: list[int] | tuple[int, ...]) -> Counter[tuple[int, int]]:
    """Count every adjacent pair (overlapping), Sennrich et al. 2016 Alg. 1 ``get_stats``."""
    return Counter(zip(ids, ids[1:], strict=False))


def merge_pair(ids: list[int] | tuple[int, ...], pair: tuple[int, int], new_id: int) -> list[int]:
    """Replace non-overlapping occurrences of ``pair`` (left to right) by ``new_id``."""
    out: list[int] = []
    i = 0
    while i < len(ids):
        if i + 1 < len(ids) and ids[i] == pair[0] and ids[i + 1] == pair[1]:
            out.append(new_id)
            i += 2
        else:
            out.append(ids[i])
            i += 1
    return out


def best_pair(counts: Counter[tuple[int, int]]) -> tuple[tuple[int, int], int]:
    """Highest count; ties broken by the lexicographically smallest ``(left_id, right_id)``."""
    pair = min(counts, key=lambda p: (-counts[p], p))
    return pair, counts[pair]


def train_bpe(text: str, num_merges: int, min_count: int = 2) -> BPETrainResult:
    """Learn up to ``num_merges`` merges on ``text`` (Sennrich et al. 2016, Alg. 1, on bytes).

    Stops early when no pair occurs at least ``min_count`` times (with the default 2, a merge never
    just renames a single occurrence).
    """
    initial = list(text.encode("utf-8"))
    ids = list(initial)
    vocab = [bytes([b]) for b in range(N_BYTES)]
    merges: list[BPEMerge] = []
    for k in range(num_merges):
        counts = pair_counts(ids)
        if not counts:
            break
        pair, count = best_pair(counts)
        if count < min_count:
            break
        new_id = N_BYTES + k
        ids = merge_pair(ids, pair, new_id)
        vocab.append(vocab[pair[0]] + vocab[pair[1]])
        merges.append(BPEMerge(pair=pair, count=count, new_id=new_id, seq_len_after=len(ids)))
    return BPETrainResult(
        merges=tuple(merges), vocab=tuple(vocab), initial_ids=tuple(initial), final_ids=tuple(ids)
    )


@dataclass(frozen=True)
class EncodeStep:
    """One merge applied while encoding: which learned merge, and the sequence after it."""

    pair: tuple[int, int]
    new_id: int
    ids_after: tuple[int, ...]


@dataclass(frozen=True)
class EncodeTrace:
    """Encoding of a string: its bytes, every merge applied (in order) and the final ids."""

    byte_ids: tuple[int, ...]
    steps: tuple[EncodeStep, ...]
    ids: tuple[int, ...]


def encode_trace(text: str, merges: tuple[BPEMerge, ...]) -> EncodeTrace:
    """Encode by repeatedly merging the present pair with the lowest rank (minbpe / GPT-2 ``bpe()``).

    A merge creating token ``256 + k`` only enables pairs of rank > k, so this applies the learned
    merges in training order, skipping the absent ones (see ``encode_sequential``).
    """
    ranks = {m.pair: m.new_id for m in merges}
    ids = list(text.encode("utf-8"))
    byte_ids = tuple(ids)
    steps: list[EncodeStep] = []
    while len(ids) >= 2:
        present = set(zip(ids, ids[1:], strict=False)) & ranks.keys()
        if not present:
            break
        pair = min(present, key=ranks.__getitem__)
        ids = merge_pair(ids, pair, ranks[pair])
        steps.append(EncodeStep(pair=pair, new_id=ranks[pair], ids_after=tuple(ids)))
    return EncodeTrace(byte_ids=byte_ids, steps=tuple(steps), ids=tuple(ids))


def encode(text: str, merges: tuple[BPEMerge, ...]) -> list[int]:
    """Token ids of ``text`` under the learned ``merges``."""
    return list(encode_trace(text, merges).ids)


def encode_sequential(text: str, merges: tuple[BPEMerge, ...]) -> list[int]:
    """Plain reference: apply every learned merge once, in training order, to the whole sequence."""
    ids = list(text.encode("utf-8"))
    for m in merges:
        ids = merge_pair(ids, m.pair, m.new_id)
    return ids


def decode(ids: list[int] | tuple[int, ...], vocab: tuple[bytes, ...]) -> str:
    """Concatenate the bytes of each token and decode as UTF-8 (invalid sequences -> U+FFFD)."""
    return b"".join(vocab[i] for i in ids).decode("utf-8", errors="replace")
