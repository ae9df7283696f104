"""Unit tests of fastw2v._text: VocabHash, encode_block / encode_sentences, WordCounter, lookup_tokens.

The reference is plain Python: ``bytes.split()`` splits on exactly the six ASCII whitespace bytes
the C tokenizer uses, and a dict of byte strings does the lookup.
"""
import pickle
import sys
from collections import Counter

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

_text = pytest.importorskip("fastw2v._text", reason="fastw2v._text is not built (python setup.py build_ext)")

WORDS = ["the", "a", "bb", "é", "日本", "naïve", "x\x1cy", "\u00a0", "\x00", "zz"]
VOCAB = WORDS[:7]  # "\u00a0", "\0" and "zz" stay out of vocabulary
SEPARATORS = [b" ", b"\t", b"\n", b"\r", b"\v", b"\f", b"  \n\n", b"\r\n"]


def reference_encode(block: bytes, vocab: list, max_len: int):
    """(tokens, offsets, raw_words, n_sentences) by the documented rule, in plain Python."""
    ids = {w.encode("utf-8"): i for i, w in enumerate(vocab)}
    tokens, offsets, raw, n_sentences = [], [0], 0, 0
    for line in block.split(b"\n"):
        words = line.split()
        raw += len(words)
        for i in range(0, len(words), max_len):
            n_sentences += 1
            kept = [ids[w] for w in words[i:i + max_len] if w in ids]
            if kept:
                tokens.extend(kept)
                offsets.append(len(tokens))
    return tokens, offsets, raw, n_sentences


blocks = st.lists(
    st.one_of(
        st.sampled_from([w.encode("utf-8") for w in WORDS]),
        st.sampled_from(SEPARATORS),
        st.binary(max_size=3),  # arbitrary bytes, invalid UTF-8 included
    ),
    max_size=60,
).map(b"".join)


# --------------------------------------------------------------------------- VocabHash


def test_vocab_hash_lookup():
    h = _text.VocabHash(VOCAB)
    assert len(h) == len(VOCAB)
    for i, w in enumerate(VOCAB):
        assert h.lookup(w) == i
        assert h.lookup(w.encode("utf-8")) == i
        assert w in h
    assert h.lookup("zz") == -1
    assert h.lookup("") == -1
    assert h.lookup("th") == -1 and h.lookup("thee") == -1


def test_vocab_hash_capacity_is_power_of_two_at_least_twice_the_words():
    for n in (0, 1, 7, 8, 9, 1000):
        h = _text.VocabHash([f"w{i}" for i in range(n)])
        cap = h.capacity
        assert cap & (cap - 1) == 0 and cap >= 2 * n and cap >= 16


def test_vocab_hash_many_words_all_found():
    words = [f"word{i}" for i in range(20000)]
    h = _text.VocabHash(words)
    assert [h.lookup(w) for w in words] == list(range(20000))
    assert h.lookup("word20000") == -1


def test_vocab_hash_rejects_duplicates():
    with pytest.raises(ValueError, match="duplicate word"):
        _text.VocabHash(["a", "b", "a"])


def test_vocab_hash_empty_word_and_pickle():
    h = _text.VocabHash(["", "a"])
    assert h.lookup("") == 0
    h2 = pickle.loads(pickle.dumps(h))
    assert len(h2) == 2 and h2.lookup("a") == 1 and h2.words() == [b"", b"a"]


# --------------------------------------------------------------------------- encode_block


def test_encode_block_small_example():
    h = _text.VocabHash(["a", "bb", "ééé"])
    block = "a x bb\n\n a\tééé a a".encode("utf-8")
    tokens, offsets, raw = _text.encode_block(h, block, 2)
    # pieces of 2 raw tokens: [a x] [bb] | [a ééé] [a a]
    assert tokens.tolist() == [0, 1, 0, 2, 0, 0]
    assert offsets.tolist() == [0, 1, 2, 4, 6]
    assert raw == 7
    assert tokens.dtype == np.int32 and offsets.dtype == np.int64


def test_encode_block_empty_and_all_oov():
    h = _text.VocabHash(["a"])
    for block in (b"", b"   \n\n\t", b"x y\nz"):
        tokens, offsets, raw = _text.encode_block(h, block)
        assert tokens.tolist() == [] and offsets.tolist() == [0]
    assert _text.encode_block(h, b"x y\nz")[2] == 3


def test_encode_block_worst_case_sizes():
    """The preallocation bounds are tight here: one token per two bytes, one sentence per token."""
    h = _text.VocabHash(["a"])
    for block, n in ((b"a " * 5000, 5000), (b"a\n" * 5000, 5000), (b"a" + b"\na" * 4999, 5000), (b"a", 1)):
        tokens, offsets, raw = _text.encode_block(h, block, 1)
        assert len(tokens) == raw == n
        assert offsets.tolist() == list(range(n + 1))


def test_encode_block_rejects_bad_max_sentence_length():
    with pytest.raises(ValueError):
        _text.encode_block(_text.VocabHash(["a"]), b"a", 0)


@settings(max_examples=150, deadline=None)
@given(block=blocks, max_len=st.integers(1, 5))
def test_encode_block_equals_python_split_and_lookup(block, max_len):
    h = _text.VocabHash(VOCAB)
    tokens, offsets, raw = _text.encode_block(h, block, max_len)
    ref_tokens, ref_offsets, ref_raw, ref_sentences = reference_encode(block, VOCAB, max_len)
    assert tokens.tolist() == ref_tokens
    assert offsets.tolist() == ref_offsets
    assert raw == ref_raw
    assert _text.encode_sentences(h, block, max_len, True)[3] == ref_sentences


@settings(max_examples=150, deadline=None)
@given(block=blocks, max_len=st.integers(1, 5), cuts=st.lists(st.integers(0, 200), max_size=6))
def test_encode_sentences_in_pieces_equals_whole(block, max_len, cuts):
    """Feeding the block in arbitrary pieces, carrying the unconsumed rest (what iter_file_batches
    does), gives the same tokens, sentences and counts as one call."""
    h = _text.VocabHash(VOCAB)
    pieces, prev = [], 0
    for c in sorted(set(min(c, len(block)) for c in cuts)) + [len(block)]:
        pieces.append(block[prev:c])
        prev = c
    all_tokens, all_offsets, raw, n_sent, carry = [], [0], 0, 0, b""
    for i, piece in enumerate(pieces):
        buf = carry + piece
        final = i == len(pieces) - 1
        t, o, r, s, consumed = _text.encode_sentences(h, buf, max_len, final)
        assert 0 <= consumed <= len(buf) and (not final or consumed == len(buf))
        all_offsets.extend(x + len(all_tokens) for x in o.tolist()[1:])
        all_tokens.extend(t.tolist())
        raw += r
        n_sent += s
        carry = buf[consumed:]
    ref_tokens, ref_offsets, ref_raw, ref_sentences = reference_encode(block, VOCAB, max_len)
    assert (all_tokens, all_offsets, raw, n_sent) == (ref_tokens, ref_offsets, ref_raw, ref_sentences)


def test_encode_sentences_stops_at_last_boundary():
    h = _text.VocabHash(["a", "b"])
    t, o, r, s, consumed = _text.encode_sentences(h, b"a b\na b a", 10, False)
    assert (t.tolist(), o.tolist(), r, s, consumed) == ([0, 1], [0, 2], 2, 1, 4)
    # text8 style: no newline, the boundary is the token that completes a piece of 2
    t, o, r, s, consumed = _text.encode_sentences(h, b"a b a b a", 2, False)
    assert (t.tolist(), o.tolist(), r, s, consumed) == ([0, 1, 0, 1], [0, 2, 4], 4, 2, 7)
    assert _text.encode_sentences(h, b"a b a", 10, False)[4] == 0


def test_encode_block_accepts_buffers():
    h = _text.VocabHash(["a"])
    for block in (b"a a", bytearray(b"a a"), np.frombuffer(b"a a", np.uint8), memoryview(b"a a")):
        assert _text.encode_block(h, block)[0].tolist() == [0, 0]


# --------------------------------------------------------------------------- WordCounter


@settings(max_examples=100, deadline=None)
@given(block=blocks, max_len=st.integers(1, 5))
def test_word_counter_equals_counter(block, max_len):
    counter = _text.WordCounter()
    raw, n_sentences = counter.count_block(block, max_len)
    ref = Counter(block.split())
    assert counter.items() == list(ref.items())  # first-occurrence order, like a dict
    assert raw == sum(ref.values())
    assert n_sentences == reference_encode(block, [], max_len)[3]


def test_word_counter_grows_and_accumulates():
    counter = _text.WordCounter()
    words = [f"w{i}".encode() for i in range(30000)]  # forces table, pool and array growth
    counter.count_block(b" ".join(words))
    counter.count_block(b"\n".join(words[:10]))
    items = counter.items()
    assert len(counter) == 30000 and [w for w, _ in items] == words
    assert [c for _, c in items[:11]] == [2] * 10 + [1]
    assert counter.to_dict()["w5"] == 2


def reference_pruned(block: bytes, max_vocab_size: int, max_len: int):
    """gensim's scan_vocab over the block's LineSentence sentences: (items, min_reduce)."""
    counts, min_reduce = {}, 1
    for line in block.split(b"\n"):
        words = line.split()
        for i in range(0, len(words), max_len):
            for w in words[i:i + max_len]:
                counts[w] = counts.get(w, 0) + 1
            if len(counts) > max_vocab_size:
                counts = {w: c for w, c in counts.items() if c >= min_reduce}
                min_reduce += 1
    return list(counts.items()), min_reduce


@settings(max_examples=150, deadline=None)
@given(block=blocks, max_len=st.integers(1, 5), max_vocab_size=st.integers(1, 6), cut=st.integers(0, 200))
def test_word_counter_prunes_like_gensim(block, max_len, max_vocab_size, cut):
    cut = block.rfind(b"\n", 0, cut) + 1   # two blocks of whole lines, counted in turn
    counter = _text.WordCounter(max_vocab_size)
    counter.count_block(block[:cut], max_len)
    counter.count_block(block[cut:], max_len)
    items, min_reduce = reference_pruned(block, max_vocab_size, max_len)
    assert counter.items() == items
    assert counter.min_reduce == min_reduce


def test_word_counter_pruning_keeps_memory_bounded():
    counter = _text.WordCounter(1000)
    for r in range(20):
        counter.count_block(b"\n".join(b"u%d_%d" % (r, i) for i in range(5000)) + b"\n")
    assert len(counter) <= 1000 and counter.min_reduce > 1
    small = _text.WordCounter()
    small.count_block(b"\n".join(b"u%d" % i for i in range(10000)))
    assert counter.nbytes < 2 * small.nbytes   # the pool and the table were reused, not grown


@settings(max_examples=100, deadline=None)
@given(block=blocks, cut=st.integers(0, 200))
def test_word_counter_merge_is_one_pass(block, cut):
    first, second, whole = _text.WordCounter(), _text.WordCounter(), _text.WordCounter()
    first.count_block(block[:cut])
    second.count_block(block[cut:])
    whole.count_block(block[:cut])
    whole.count_block(block[cut:])
    before = second.items()
    first.merge(second)
    assert first.items() == whole.items()
    assert second.items() == before


def test_word_counter_merge_and_readers():
    a, b = _text.WordCounter(), _text.WordCounter()
    a.count_block(b"x y x\n")
    b.count_block("z x \u00e9\n".encode())
    a.merge(b)
    assert a.items() == [(b"x", 3), (b"y", 1), (b"z", 1), ("\u00e9".encode(), 1)]
    assert a.str_items(1, 10) == [("y", 1), ("z", 1), ("\u00e9", 1)] and a.str_items(5, 9) == []
    assert a.counts().tolist() == [3, 1, 1, 1] and a.total() == 6
    words, counts = a.select(2)
    assert words == ["x"] and counts.tolist() == [3]
    assert a.get("x") == 3 and a.get(b"z") == 1 and a.get("nope", 0) == 0
    with pytest.raises(ValueError, match="itself"):
        a.merge(a)
    with pytest.raises(ValueError, match="max_vocab_size"):
        a.merge(_text.WordCounter(5))
    with pytest.raises(ValueError, match="max_vocab_size"):
        _text.WordCounter(-1)


# ---------------------------------------------------------------------------- lookup_tokens

class _Str(str):
    """A str subclass: looked up through the dict, whose rules (its own __hash__/__eq__) it may change."""


@pytest.mark.parametrize("with_hash", [False, True], ids=["dict", "vocab_hash"])
@settings(max_examples=60, deadline=None)
@given(sentences=st.lists(st.lists(st.sampled_from(
    WORDS + [3, None, b"the", ("a",), "a\ud800", _Str("the"), _Str("zz")]), max_size=12), max_size=8))
def test_lookup_tokens_equals_dict_get(with_hash, sentences):
    key_to_index = {w: i for i, w in enumerate(VOCAB)}
    out = np.full(sum(map(len, sentences)), 99, np.int32)
    found = _text.lookup_tokens(sentences, key_to_index, out, _text.VocabHash(VOCAB) if with_hash else None)
    expected = [key_to_index.get(t, -1) for s in sentences for t in s]
    assert out.tolist() == expected
    assert found == sum(i >= 0 for i in expected)


_ANY_TEXT = st.text(st.characters(codec=None, exclude_categories=()), max_size=140)   # surrogates too


@settings(max_examples=80, deadline=None)
@given(st.lists(st.text(st.characters(codec="utf-8"), max_size=140), unique=True, max_size=12),
       st.lists(st.tuples(st.booleans(), st.integers(0, 11), _ANY_TEXT), max_size=30))
def test_lookup_tokens_through_the_vocab_hash_equals_dict_get_for_any_text(vocab, draws):
    # Tokens are fresh str objects (no identity shortcut): vocabulary words rebuilt from their
    # characters, or arbitrary text (any plane, lone surrogates, UTF-8 forms past the stack buffer).
    tokens = ["".join(list(vocab[i % len(vocab)])) if pick and vocab else text for pick, i, text in draws]
    key_to_index = {w: i for i, w in enumerate(vocab)}
    out = np.full(len(tokens), 99, np.int32)
    found = _text.lookup_tokens([tokens], key_to_index, out, _text.VocabHash(vocab))
    expected = [key_to_index.get(t, -1) for t in tokens]
    assert out.tolist() == expected
    assert found == sum(i >= 0 for i in expected)


def test_lookup_tokens_leaves_non_ascii_tokens_as_they_were():
    # Asking CPython for a non-ASCII str's UTF-8 caches a copy inside the str (sys.getsizeof grows),
    # which a user's in-memory corpus would keep: lookup_tokens builds the UTF-8 form itself.
    vocab = VOCAB + ["é" * 128, "é" * 129]   # 256 UTF-8 bytes (on the stack), 258 (through the dict)
    tokens = ["".join(["na", "ï", "ve"]), "".join(["日", "本"]), "é" * 128, "é" * 129, "é" * 130]
    sizes = [sys.getsizeof(t) for t in tokens]
    out = np.empty(len(tokens), np.int32)
    assert _text.lookup_tokens([tokens], {w: i for i, w in enumerate(vocab)}, out, _text.VocabHash(vocab)) == 4
    assert out.tolist() == [VOCAB.index("naïve"), VOCAB.index("日本"), len(VOCAB), len(VOCAB) + 1, -1]
    assert [sys.getsizeof(t) for t in tokens] == sizes


def test_lookup_tokens_reads_tuples_and_arrays_of_str():
    out = np.empty(4, np.int32)
    assert _text.lookup_tokens([("a", "zz"), np.array(["the", "bb"])], {"the": 0, "a": 1, "bb": 2}, out) == 3
    assert out.tolist() == [1, -1, 0, 2]


def test_lookup_tokens_rejects_bad_input():
    with pytest.raises(ValueError, match="out holds 1 ids"):
        _text.lookup_tokens([["a", "a"]], {"a": 0}, np.empty(1, np.int32))
    with pytest.raises(ValueError, match="out holds 3 ids but the sentences hold 2"):
        _text.lookup_tokens([["a", "a"]], {"a": 0}, np.empty(3, np.int32))
    with pytest.raises(ValueError, match="not a word id"):
        _text.lookup_tokens([["a"]], {"a": -1}, np.empty(1, np.int32))
    with pytest.raises(ValueError, match="not a word id"):
        _text.lookup_tokens([["a"]], {"a": 2**31}, np.empty(1, np.int32))
    with pytest.raises(TypeError, match="unhashable"):
        _text.lookup_tokens([[["a"]]], {"a": 0}, np.empty(1, np.int32))
    with pytest.raises(ValueError, match="dtype mismatch"):
        _text.lookup_tokens([["a"]], {"a": 0}, np.empty(1, np.int64))
