"""transformer.tokenization: what the viewer reads, against a byte-level BPE written here in plain Python.

The reference reads ``lib/transformer/corpus.txt`` itself, learns merges minbpe-style (count every adjacent
pair, merge the most frequent, ties to the smallest (left id, right id) as ``lib.transformer.bpe`` documents,
stop when no pair occurs twice), and encodes a sentence by replaying the merges in training order. Every
number and every token chip on screen is compared, as the exact string drawn, with it: the learned-merges
table, the UTF-8 bytes, the last merge applied, the final ids, the Chinese characters' byte counts and the
comparison table; and the ids are checked to sit under their own chips.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from scenes.kit import numbers
from scenes.transformer.tokenization import Tokenization

CORPUS = Path(__file__).resolve().parents[3] / "lib" / "transformer" / "corpus.txt"
CASES = [None, *Tokenization.EXAMPLES]
IDS = ["defaults", *[f"example{i}" for i in range(len(Tokenization.EXAMPLES))]]
TRAINED, BYTES, MERGED, ZH_BYTES, ZH_TOKENS, COMPARE = range(6)  # the pauses, in order


def learn(text: str, n: int) -> tuple[list[tuple[int, int]], list[int], dict[int, bytes]]:
    """minbpe's BasicTokenizer.train: the merged pairs in order, their counts, and each id's bytes."""
    ids = list(text.encode("utf-8"))
    vocab = {i: bytes([i]) for i in range(256)}
    pairs, counts = [], []
    for k in range(n):
        stats: dict[tuple[int, int], int] = {}
        for p in zip(ids, ids[1:], strict=False):
            stats[p] = stats.get(p, 0) + 1
        if not stats or max(stats.values()) < 2:
            break
        top = max(stats.values())
        pair = sorted(p for p, c in stats.items() if c == top)[0]
        ids = replace(ids, pair, 256 + k)
        vocab[256 + k] = vocab[pair[0]] + vocab[pair[1]]
        pairs.append(pair)
        counts.append(top)
    return pairs, counts, vocab


def replace(ids: list[int], pair: tuple[int, int], new: int) -> list[int]:
    out, i = [], 0
    while i < len(ids):
        if ids[i : i + 2] == list(pair):
            out.append(new)
            i += 2
        else:
            out.append(ids[i])
            i += 1
    return out


def encode(text: str, pairs: list[tuple[int, int]]) -> tuple[list[int], list[int]]:
    """The final ids, and the ranks k of the merges that changed the sentence (in the order applied)."""
    ids, applied = list(text.encode("utf-8")), []
    for k, pair in enumerate(pairs):
        after = replace(ids, pair, 256 + k)
        if after != ids:
            applied.append(k)
        ids = after
    return ids, applied


def chip(b: bytes) -> str:
    """A token's chip as the lecture writes it: the text with spaces shown as ␣, or hex for a partial char."""
    try:
        return b.decode("utf-8").replace(" ", "␣")
    except UnicodeDecodeError:
        return " ".join(f"{x:02X}" for x in b)


def reference(raw):
    p = Tokenization.Params.model_validate(raw or {})
    corpus = CORPUS.read_bytes()
    pairs, counts, vocab = learn(corpus.decode("utf-8"), p.merges)
    out = {"p": p, "corpus_bytes": len(corpus), "pairs": pairs, "counts": counts, "vocab": vocab}
    for lang, s in (("en", p.sentence), ("zh", p.sentence_zh)):
        ids, applied = encode(s, pairs)
        out[lang] = {"s": s, "bytes": list(s.encode("utf-8")), "ids": ids, "applied": applied}
    return out


def ints(v) -> list[str]:
    return [numbers.integer(x) for x in v]


@pytest.fixture(scope="module")
def runs(fast_run):
    return lambda i, locale="en": fast_run("transformer.tokenization", CASES[i], locale)


def assert_strip(pic, key: str, ids: list[int], vocab: dict[int, bytes]) -> None:
    """The chips read the tokens' bytes and the number under each chip is that token's id."""
    assert pic.array(f"{key}_piece").tolist() == [chip(vocab[i]) for i in ids]
    assert pic.array(f"{key}_id").tolist() == ints(ids)
    pieces, under = pic.centers(f"{key}_piece"), pic.centers(f"{key}_id")
    for k in range(len(ids)):
        assert under[(k,)][0] == pytest.approx(pieces[(k,)][0], abs=1e-6), (key, k)
        assert under[(k,)][1] < pieces[(k,)][1], (key, k)


@pytest.mark.parametrize("locale", ["en", "zh"])
@pytest.mark.parametrize("i", range(len(CASES)), ids=IDS)
def test_learned_merges_table(runs, i, locale):
    scene, problems = runs(i, locale)
    assert problems == []
    ref, S = reference(CASES[i]), Tokenization.STRINGS[locale]
    pic = scene.pictures[TRAINED]
    n = len(pic.array("merge_id"))
    assert n == 6
    pairs, vocab = ref["pairs"][:n], ref["vocab"]
    assert pic.array("merge_id").tolist() == ints(range(256, 256 + n))
    assert pic.array("merge_left").tolist() == [chip(vocab[a]) for a, _ in pairs]
    assert pic.array("merge_right").tolist() == [chip(vocab[b]) for _, b in pairs]
    assert pic.array("merge_piece").tolist() == [chip(vocab[a] + vocab[b]) for a, b in pairs]
    assert pic.array("merge_count").tolist() == ints(ref["counts"][:n])
    assert pic.text("corpus_bytes") == S["corpus"].format(n=numbers.integer(ref["corpus_bytes"]))
    m = len(ref["pairs"])
    assert m == ref["p"].merges  # the corpus has enough pairs for every merge asked for
    assert pic.text("vocab") == S["vocab"].format(
        base="256", merges=numbers.integer(m), vocab=numbers.integer(256 + m)
    )


@pytest.mark.parametrize("i", range(len(CASES)), ids=IDS)
def test_english_bytes_then_merged_step_by_step(runs, i):
    scene, _ = runs(i)
    ref, S = reference(CASES[i]), Tokenization.STRINGS["en"]
    en, vocab = ref["en"], ref["vocab"]
    pic = scene.pictures[BYTES]
    assert_strip(pic, "en", en["bytes"], vocab)
    assert pic.text("en_bytes_info") == S["bytes"].format(
        chars=numbers.integer(len(en["s"])), bytes=numbers.integer(len(en["bytes"]))
    )
    pic = scene.pictures[MERGED]
    assert_strip(pic, "en", en["ids"], vocab)
    steps, last = len(en["applied"]), en["applied"][-1]
    a, b = ref["pairs"][last]
    assert pic.text("step_k") == S["step"].format(k=numbers.integer(steps), n=numbers.integer(steps))
    assert pic.array("step_left").tolist() == [chip(vocab[a])]
    assert pic.array("step_right").tolist() == [chip(vocab[b])]
    assert pic.array("step_piece").tolist() == [chip(vocab[256 + last])]
    assert pic.text("step_id") == numbers.integer(256 + last)
    nb, nt = len(en["bytes"]), len(en["ids"])
    assert pic.text("en_result") == S["result"].format(
        bytes=numbers.integer(nb), tokens=numbers.integer(nt), bpt=numbers.fixed(nb / nt, 1)
    )


@pytest.mark.parametrize("locale", ["en", "zh"])
@pytest.mark.parametrize("i", range(len(CASES)), ids=IDS)
def test_chinese_three_bytes_a_character_then_tokens(runs, i, locale):
    scene, _ = runs(i, locale)
    ref, S = reference(CASES[i]), Tokenization.STRINGS[locale]
    zh, vocab = ref["zh"], ref["vocab"]
    pic = scene.pictures[ZH_BYTES]
    assert_strip(pic, "zh", zh["bytes"], vocab)
    assert all(len(c) == 2 for c in pic.array("zh_piece"))  # a lone byte of a CJK character is hex
    assert pic.array("zh_char").tolist() == list(zh["s"])
    widths = [len(c.encode("utf-8")) for c in zh["s"]]
    assert widths == [3] * len(zh["s"])  # U+4E00…U+9FFF: 1110xxxx 10xxxxxx 10xxxxxx
    assert pic.array("char_bytes").tolist() == [S["char_bytes"].format(n=numbers.integer(w)) for w in widths]
    # each character stands over the middle of its own bytes
    chars, pieces = pic.centers("zh_char"), pic.centers("zh_piece")
    start = 0
    for c, w in enumerate(widths):
        mid = (pieces[(start,)][0] + pieces[(start + w - 1,)][0]) / 2
        assert chars[(c,)][0] == pytest.approx(mid, abs=0.05)
        start += w
    assert pic.text("zh_bytes_info") == S["zh_bytes"].format(
        chars=numbers.integer(len(zh["s"])), bytes=numbers.integer(len(zh["bytes"]))
    )
    pic = scene.pictures[ZH_TOKENS]
    assert_strip(pic, "zh", zh["ids"], vocab)
    nb, nt = len(zh["bytes"]), len(zh["ids"])
    assert pic.text("zh_result") == S["result"].format(
        bytes=numbers.integer(nb), tokens=numbers.integer(nt), bpt=numbers.fixed(nb / nt, 1)
    )


@pytest.mark.parametrize("i", range(len(CASES)), ids=IDS)
def test_comparison(runs, i):
    scene, _ = runs(i)
    ref = reference(CASES[i])
    pic = scene.pictures[COMPARE]
    en, zh = ref["en"], ref["zh"]
    assert_strip(pic, "cmp_en", en["ids"], ref["vocab"])
    assert_strip(pic, "cmp_zh", zh["ids"], ref["vocab"])
    assert pic.array("cmp_chars").tolist() == ints([len(en["s"]), len(zh["s"])])
    assert pic.array("cmp_bytes").tolist() == ints([len(en["bytes"]), len(zh["bytes"])])
    assert pic.array("cmp_tokens").tolist() == ints([len(en["ids"]), len(zh["ids"])])
    assert pic.array("cmp_bpt").tolist() == [
        numbers.fixed(len(r["bytes"]) / len(r["ids"]), 1) for r in (en, zh)
    ]


def test_the_defaults_merge_more_than_once():
    """Guard on the defaults: the sentences do get shorter, so the lecture shows merges, not a no-op."""
    ref = reference(None)
    assert len(ref["en"]["applied"]) >= 8 and len(ref["zh"]["ids"]) < len(ref["zh"]["bytes"])


def test_strings_have_the_same_keys():
    assert Tokenization.STRINGS["en"].keys() == Tokenization.STRINGS["zh"].keys()
