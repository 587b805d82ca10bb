"""The bundled BPE corpus and its tokenizer, against a BPE written here from Sennrich et al. 2016, Alg. 1.

The reference works on byte strings (a token *is* its bytes) instead of integer ids, merges with
``bytes.join``-style replacement, and encodes by replaying the merges in training order (minbpe's
``encode`` picks the lowest-rank pair present, which gives the same result). Ties: the pair of smallest
(left id, right id), as ``lib.transformer.bpe`` documents.
"""

from __future__ import annotations

import hashlib

import pytest

from lib.transformer import corpus


def reference_bpe(text: str, num_merges: int) -> tuple[list[bytes], list[int]]:
    """The learned tokens (bytes) in merge order, and each merge's pair count."""
    seq = [bytes([b]) for b in text.encode("utf-8")]
    ident = {bytes([b]): b for b in range(256)}
    learned, counts = [], []
    for k in range(num_merges):
        freq: dict[tuple[bytes, bytes], int] = {}
        for a, b in zip(seq, seq[1:], strict=False):
            freq[(a, b)] = freq.get((a, b), 0) + 1
        if not freq:
            break
        top = max(freq.values())
        if top < 2:
            break
        a, b = min((p for p, c in freq.items() if c == top), key=lambda p: (ident[p[0]], ident[p[1]]))
        out, i = [], 0
        while i < len(seq):
            if i + 1 < len(seq) and seq[i] == a and seq[i + 1] == b:
                out.append(a + b)
                i += 2
            else:
                out.append(seq[i])
                i += 1
        seq = out
        ident[a + b] = 256 + k
        learned.append(a + b)
        counts.append(top)
    return learned, counts


def reference_encode(text: str, learned: list[bytes], rules: list[tuple[bytes, bytes]]) -> list[bytes]:
    seq = [bytes([b]) for b in text.encode("utf-8")]
    for a, b in rules:
        out, i = [], 0
        while i < len(seq):
            if i + 1 < len(seq) and seq[i] == a and seq[i + 1] == b:
                out.append(a + b)
                i += 2
            else:
                out.append(seq[i])
                i += 1
        seq = out
    return seq


def test_corpus_is_small_pinned_utf8_in_two_languages():
    raw = corpus.CORPUS_FILE.read_bytes()
    assert len(raw) < 4096
    assert hashlib.sha256(raw).hexdigest() == corpus.SHA256
    text = corpus.load_corpus()
    assert "attention" in text and "注意力" in text
    assert sum(ord(c) > 0x2E80 for c in text) > 100  # a real Chinese paragraph, not a word


def test_changed_corpus_is_refused(tmp_path, monkeypatch):
    f = tmp_path / "corpus.txt"
    f.write_text("changed", encoding="utf-8")
    monkeypatch.setattr(corpus, "CORPUS_FILE", f)
    corpus.load_corpus.cache_clear()
    try:
        with pytest.raises(ValueError, match="changed"):
            corpus.load_corpus(f)
    finally:
        corpus.load_corpus.cache_clear()


@pytest.mark.parametrize("n", [40, 120])
def test_bundled_tokenizer_matches_the_reference(n):
    learned, counts = reference_bpe(corpus.load_corpus(), n)
    r = corpus.bundled_tokenizer(n)
    assert [r.vocab[m.new_id] for m in r.merges] == learned
    assert [m.count for m in r.merges] == counts
    assert [m.new_id for m in r.merges] == list(range(256, 256 + len(learned)))


@pytest.mark.parametrize("sentence", ["the attention of a token", "注意力机制", "tokens of the sentence"])
def test_tokenize_matches_the_reference(sentence):
    n = 120
    r = corpus.bundled_tokenizer(n)
    learned, _ = reference_bpe(corpus.load_corpus(), n)
    rules = [(r.vocab[m.pair[0]], r.vocab[m.pair[1]]) for m in r.merges]
    assert [a + b for a, b in rules] == learned
    pieces = reference_encode(sentence, learned, rules)
    tok = corpus.tokenize(sentence, n)
    assert [r.vocab[i] for i in tok.trace.ids] == pieces
    assert b"".join(pieces).decode("utf-8") == sentence  # a round trip
    assert tok.n_bytes == len(sentence.encode("utf-8")) and tok.n_tokens == len(pieces)
    assert tok.bytes_per_token == len(sentence.encode("utf-8")) / len(pieces)
    assert tok.n_chars == len(sentence)


def test_hand_worked_chinese_character_is_three_bytes():
    tok = corpus.tokenize("注", 0)
    assert tok.trace.byte_ids == (
        0xE6,
        0xB3,
        0xA8,
    )  # U+6CE8 = 0110 110011 101000 → 1110_0110 10_110011 10_101000
    assert tok.n_chars == 1 and tok.char_bytes == (3,) and tok.n_bytes == 3 and tok.n_tokens == 3
