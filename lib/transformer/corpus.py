"""The bundled training text of the lecture's byte-level BPE, and the tokenizer trained on it.

``corpus.txt`` (beside this module) is a few paragraphs about Transformers and attention, in English and in
Chinese, written for this project (< 4 KB of UTF-8). Its sha256 is pinned here because the clip cache hashes
the *sources* a scene imports, not data files: editing the text without updating ``SHA256`` fails loudly
instead of leaving stale clips that show merges of the old text.

The tokenizer is ``lib.transformer.bpe.train_bpe`` on these bytes (Sennrich et al. 2016, Alg. 1; GPT-2's
byte-level base vocabulary, Radford et al. 2019, §2.2).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from lib.transformer.bpe import BPETrainResult, EncodeTrace, encode_trace, train_bpe

CORPUS_FILE = Path(__file__).with_name("corpus.txt")
SHA256 = "1fbad3e4a86404e9faba5b665afcb93cef8682f8fc4ac3b78d701db61df51f6d"


@lru_cache(maxsize=1)
def load_corpus(path: Path = CORPUS_FILE) -> str:
    """The training text, checked against the pinned sha256 (see the module docstring for why)."""
    data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if path == CORPUS_FILE and digest != SHA256:
        raise ValueError(f"{path} changed (sha256 {digest}); update lib.transformer.corpus.SHA256")
    return data.decode("utf-8")


@lru_cache(maxsize=8)
def bundled_tokenizer(num_merges: int) -> BPETrainResult:
    """Byte-level BPE with up to ``num_merges`` merges learned on the bundled corpus (fewer if no pair is left
    that occurs twice)."""
    return train_bpe(load_corpus(), num_merges)


@dataclass(frozen=True)
class Tokenized:
    """A sentence through the tokenizer: its encoding trace and how much BPE shortened it."""

    text: str
    trace: EncodeTrace
    n_chars: int  # Unicode code points
    char_bytes: tuple[int, ...]  # UTF-8 length of each character: 1 for ASCII, 3 for a CJK character
    n_bytes: int  # UTF-8 bytes = length before any merge
    n_tokens: int  # length after the merges
    bytes_per_token: float  # n_bytes / n_tokens: the compression BPE bought on this sentence


def tokenize(text: str, num_merges: int) -> Tokenized:
    """Encode ``text`` with the bundled tokenizer (lowest-rank merge first, as minbpe / GPT-2 ``bpe()``)."""
    trace = encode_trace(text, bundled_tokenizer(num_merges).merges)
    return Tokenized(
        text=text, trace=trace, n_chars=len(text), char_bytes=tuple(len(c.encode("utf-8")) for c in text),
        n_bytes=len(trace.byte_ids), n_tokens=len(trace.ids),
        bytes_per_token=len(trace.byte_ids) / len(trace.ids),
    )  # fmt: skip
