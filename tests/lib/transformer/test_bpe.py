"""Byte-level BPE: round trip, a hand-worked example, merge order, tie-breaking."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lib.transformer.bpe import decode, encode, encode_sequential, encode_trace, train_bpe

CORPUS = (
    "the cat sat on the mat; the cat ate the rat. "
    "深度学习的训练需要分词器，分词器把文本变成整数。深度学习很有趣。 "
    "naïve café — ünïcödé 😀😀 emoji 😀 and tabs\tand\nnewlines. " * 3
)


@pytest.fixture(scope="module")
def trained():
    return train_bpe(CORPUS, num_merges=60)


def test_hand_worked_aaabdaaabac():
    # a=97 b=98 c=99 d=100.  Pairs in a a a b d a a a b a c: aa x4 (overlapping), ab x2, rest x1.
    # 1) aa -> 256:           [256 a b d 256 a b a c]   (256,a) x2 and (a,b) x2 tie -> (97,98) is smaller
    # 2) ab -> 257:           [256 257 d 256 257 a c]   (256,257) x2
    # 3) (256,257) -> 258:    [258 d 258 a c]           every pair now occurs once -> stop (min_count=2)
    r = train_bpe("aaabdaaabac", num_merges=10)
    assert [(m.pair, m.count, m.new_id) for m in r.merges] == [
        ((97, 97), 4, 256),
        ((97, 98), 2, 257),
        ((256, 257), 2, 258),
    ]
    assert [m.seq_len_after for m in r.merges] == [9, 7, 5]
    assert r.final_ids == (258, 100, 258, 97, 99)
    assert r.vocab[256] == b"aa" and r.vocab[257] == b"ab" and r.vocab[258] == b"aaab"
    assert decode(r.final_ids, r.vocab) == "aaabdaaabac"


def test_tie_break_smallest_pair_not_first_seen():
    # (c,d) appears first but (a,b) = (97,98) < (99,100): the documented rule picks (a,b).
    r = train_bpe("cdcdabab", num_merges=1)
    assert r.merges[0].pair == (97, 98) and r.merges[0].count == 2
    # all-ones tie with min_count=1: smallest pair is (a,a)
    r1 = train_bpe("bbaa", num_merges=1, min_count=1)
    assert r1.merges[0].pair == (97, 97)


def test_training_is_deterministic(trained):
    again = train_bpe(CORPUS, num_merges=60)
    assert again == trained


def test_vocab_is_concatenation_and_counts_match_recount(trained):
    assert len(trained.merges) == 60
    # a merge can only create pairs rarer than the merged one: the best count never increases
    counts = [m.count for m in trained.merges]
    assert counts == sorted(counts, reverse=True)
    for m in trained.merges:
        a, b = m.pair
        assert a < m.new_id and b < m.new_id
        assert trained.vocab[m.new_id] == trained.vocab[a] + trained.vocab[b]
    # The count of each merge equals an independent recount on the sequence before it.
    ids = list(trained.initial_ids)
    for m in trained.merges:
        naive = sum(1 for i in range(len(ids) - 1) if (ids[i], ids[i + 1]) == m.pair)
        assert naive == m.count
        out, i = [], 0
        while i < len(ids):
            if ids[i : i + 2] == list(m.pair):
                out.append(m.new_id)
                i += 2
            else:
                out.append(ids[i])
                i += 1
        ids = out
        assert len(ids) == m.seq_len_after
    assert tuple(ids) == trained.final_ids


def test_encode_training_text_uses_merges_in_order(trained):
    tr = encode_trace(CORPUS, trained.merges)
    assert tr.ids == trained.final_ids
    assert list(tr.ids) == encode_sequential(CORPUS, trained.merges)
    new_ids = [s.new_id for s in tr.steps]
    assert new_ids == sorted(new_ids)  # applied in training order
    # on the training text every learned merge occurs, so all are applied, exactly in order
    assert new_ids == [m.new_id for m in trained.merges]
    assert tr.byte_ids == tuple(CORPUS.encode("utf-8"))


@settings(max_examples=150, deadline=None)
@given(st.text())
def test_round_trip_any_unicode(trained, s):
    ids = encode(s, trained.merges)
    assert decode(ids, trained.vocab) == s
    assert ids == encode_sequential(s, trained.merges)
    assert len(ids) <= len(s.encode("utf-8"))


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet=st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF), max_size=40))
def test_round_trip_chinese(trained, s):
    ids = encode(s, trained.merges)
    assert decode(ids, trained.vocab) == s
    assert ids == encode_sequential(s, trained.merges)


def test_chinese_characters_get_merged(trained):
    # "深度学习" repeats in the corpus: its 12 UTF-8 bytes must compress.
    assert len(encode("深度学习", trained.merges)) < len("深度学习".encode())


def test_decode_invalid_utf8_is_replaced_not_raised(trained):
    assert decode([0xE6], trained.vocab) == "\ufffd"
