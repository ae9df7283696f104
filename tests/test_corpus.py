"""Tests of fastw2v.corpus: file opening, readers (LineSentence, Text8Corpus), id batches in both
modes (iterable and file), and their agreement."""
import bz2
import gzip
import logging
import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fastw2v import corpus
from fastw2v.corpus import (
    IdBatch,
    LineSentence,
    Text8Corpus,
    file_partitions,
    iter_file_batches,
    iter_id_batches,
    iter_line_blocks,
    iter_lines,
    iter_text_blocks,
    open_text,
)


def write(path, data: bytes):
    """Write ``data`` to ``path``, compressed according to its suffix."""
    opener = gzip.open if str(path).endswith(".gz") else bz2.open if str(path).endswith(".bz2") else open
    with opener(path, "wb") as f:
        f.write(data)
    return path


def random_text(seed: int, n_lines: int = 300, long_every: int = 50) -> bytes:
    """Lines of vocabulary and out-of-vocabulary words (unicode included), mixed ASCII whitespace,
    blank lines, CRLF, an occasional very long line, no final newline."""
    rng = random.Random(seed)
    words = ["the", "of", "and", "naïve", "日本", "café", "x", "yy", "oov1", "oov2", "rare"]
    lines = []
    for i in range(n_lines):
        n = rng.choice([0, 1, 3, 8, 20]) if i % long_every else 57
        seps = [" ", "  ", "\t", " \v", "\f ", "\r "]
        line = "".join(rng.choice(words) + rng.choice(seps) for _ in range(n))
        lines.append(line + rng.choice(["", "\r"]))
    return "\n".join(lines).encode("utf-8")


VOCAB = ["the", "of", "and", "naïve", "日本", "café", "x", "yy"]


def flatten(batches):
    """Concatenate batches: (tokens, absolute sentence offsets, raw_words, n_sentences)."""
    tokens, offsets, raw, n = [], [0], 0, 0
    for b in batches:
        assert b.tokens.dtype == np.int32 and b.offsets.dtype == np.int64
        assert b.offsets[0] == 0 and b.offsets[-1] == len(b.tokens)
        assert np.all(np.diff(b.offsets) > 0)
        offsets.extend((b.offsets[1:] + len(tokens)).tolist())
        tokens.extend(b.tokens.tolist())
        raw += b.raw_words
        n += b.n_sentences
    return tokens, offsets, raw, n


# --------------------------------------------------------------------------- opening and lines


@pytest.mark.parametrize("name", ["plain.txt", "c.txt.gz", "c.txt.bz2", "gzip-without-suffix.txt"])
def test_open_text_decompresses(tmp_path, name):
    data = random_text(1)
    path = tmp_path / name
    if name.startswith("gzip-without"):
        path.write_bytes(gzip.compress(data))
    else:
        write(path, data)
    with open_text(path) as f:
        assert f.read() == data
    with open_text(str(path).encode()) as f:  # bytes paths too
        assert f.read() == data


def test_open_text_missing_file_names_it(tmp_path):
    missing = tmp_path / "nope.txt"
    with pytest.raises(FileNotFoundError, match="nope.txt"):
        open_text(missing)
    with pytest.raises(FileNotFoundError, match="nope.txt"):
        list(LineSentence(missing))


def test_truncated_gzip_names_the_file(tmp_path):
    path = tmp_path / "cut.txt.gz"
    path.write_bytes(gzip.compress(random_text(2) * 20)[:-40])
    with pytest.raises(OSError, match="cut.txt.gz"):
        list(iter_lines(path))


def test_iter_lines(tmp_path):
    path = write(tmp_path / "l.txt.gz", b"a b\r\n\nc\xc3\xa9 d\n  \nlast")
    assert list(iter_lines(path)) == ["a b", "", "cé d", "  ", "last"]
    path = write(tmp_path / "m.txt", b"one\ntwo\n")
    assert list(iter_lines(path)) == ["one", "two"]  # no phantom empty last line


@pytest.mark.parametrize("suffix", ["", ".gz", ".bz2"])
def test_non_utf8_names_file_and_line(tmp_path, suffix):
    data = b"ok line\n" * 56 + b"caf\xe9 latin-1\nmore\n"
    path = write(tmp_path / f"bad.txt{suffix}", data)
    for read in (lambda p: list(iter_lines(p)), lambda p: list(LineSentence(p)), lambda p: list(Text8Corpus(p))):
        with pytest.raises(ValueError, match=r"bad\.txt.*line 57 is not valid UTF-8"):
            read(path)
    # the line number is right across small blocks too
    with pytest.raises(ValueError, match="line 57"):
        for _ in iter_text_blocks(path, block_bytes=5):
            pass


def test_line_blocks_end_at_newlines_and_rebuild_the_file(tmp_path):
    data = b"short\n" + b"x" * 50 + b"\n\nend"  # a line longer than the block
    path = write(tmp_path / "b.txt", data)
    blocks = list(iter_line_blocks(path, block_bytes=7))
    assert b"".join(b for _, b in blocks) == data
    assert all(b.endswith(b"\n") for _, b in blocks[:-1])
    assert [n for n, _ in blocks] == [1 + b"".join(b for _, b in blocks[:i]).count(b"\n") for i in range(len(blocks))]


# --------------------------------------------------------------------------- LineSentence / Text8Corpus


def test_line_sentence_splits_long_lines_and_skips_empty(tmp_path):
    path = write(tmp_path / "ls.txt", b"a b c d e\n\n   \nf g\n")
    assert list(LineSentence(path, max_sentence_length=2)) == [["a", "b"], ["c", "d"], ["e"], ["f", "g"]]
    assert list(LineSentence(path)) == [["a", "b", "c", "d", "e"], ["f", "g"]]
    assert list(LineSentence(path, max_sentence_length=2, limit=1)) == [["a", "b"], ["c", "d"], ["e"]]
    ls = LineSentence(path)
    assert list(ls) == list(ls)  # restartable


def test_line_sentence_splits_on_ascii_whitespace_only(tmp_path):
    """Documented divergence from gensim's str.split(): Unicode spaces stay inside tokens, so that
    iterable and file modes agree."""
    path = write(tmp_path / "u.txt", "a\u00a0b c\x1cd\u3000e\tf\vg\fh\ri".encode("utf-8"))
    assert list(LineSentence(path)) == [["a\u00a0b", "c\x1cd\u3000e", "f", "g", "h", "i"]]


def test_line_sentence_file_objects(tmp_path):
    path = write(tmp_path / "fo.txt", "a b\nc é\n".encode("utf-8"))
    with open(path, "rb") as fb, open(path, encoding="utf-8") as ft:
        for f in (fb, ft):
            ls = LineSentence(f)
            assert list(ls) == [["a", "b"], ["c", "é"]] == list(ls)


@pytest.mark.parametrize("suffix", ["", ".gz", ".bz2"])
def test_line_sentence_matches_gensim_on_ascii_whitespace(tmp_path, suffix):
    gensim_word2vec = pytest.importorskip("gensim.models.word2vec", reason="gensim is not installed")
    path = write(tmp_path / f"g.txt{suffix}", random_text(3))
    for max_len in (5, 10000):
        ours = list(LineSentence(path, max_sentence_length=max_len))
        theirs = list(gensim_word2vec.LineSentence(str(path), max_sentence_length=max_len))
        assert ours == theirs


def test_text8_corpus_streams_across_lines(tmp_path):
    path = write(tmp_path / "t8.txt", b"a b c\nd e\n\nf g h")
    assert list(Text8Corpus(path, max_sentence_length=3)) == [["a", "b", "c"], ["d", "e", "f"], ["g", "h"]]
    assert list(Text8Corpus(path)) == [list("abcdefgh")]


def test_text8_corpus_matches_gensim_across_blocks(tmp_path):
    gensim_word2vec = pytest.importorskip("gensim.models.word2vec", reason="gensim is not installed")
    rng = random.Random(4)
    words = ["anarchism", "originated", "as", "a", "term", "of", "abuse", "é"]
    data = " ".join(rng.choice(words) for _ in range(260_000)).encode("utf-8")  # > 1 MiB: several blocks
    path = write(tmp_path / "text8", data)
    ours = list(Text8Corpus(path, max_sentence_length=1000))
    assert ours == list(gensim_word2vec.Text8Corpus(str(path), max_sentence_length=1000))
    assert sum(map(len, ours)) == 260_000


# --------------------------------------------------------------------------- iter_id_batches


def reference_batches(sentences, key_to_index, batch_words, max_len):
    """The documented batch rule, sentence piece by piece."""
    pieces = []
    for s in sentences:
        n = max(1, -(-len(s) // max_len))
        for k in range(n):
            seg = s[k * max_len:(k + 1) * max_len]
            pieces.append(([key_to_index[w] for w in seg if w in key_to_index], len(seg), k == n - 1))
    batches, current, current_iv = [], [], 0
    for p in pieces:
        if current and current_iv + len(p[0]) > batch_words:
            batches.append(current)
            current, current_iv = [], 0
        current.append(p)
        current_iv += len(p[0])
    if current:
        batches.append(current)
    out = []
    for b in batches:
        tokens = [t for p in b for t in p[0]]
        offsets = [0]
        for p in b:
            if p[0]:
                offsets.append(offsets[-1] + len(p[0]))
        out.append((tokens, offsets, sum(p[1] for p in b), sum(p[2] for p in b)))
    return out


sentences_strategy = st.lists(st.lists(st.sampled_from(["a", "b", "c", "oov", "d", "é"]), max_size=12), max_size=40)


@settings(max_examples=150, deadline=None)
@given(sentences=sentences_strategy, batch_words=st.integers(1, 15), max_len=st.integers(1, 6))
def test_iter_id_batches_follow_the_batch_rule(sentences, batch_words, max_len):
    key_to_index = {"a": 0, "b": 1, "c": 2, "é": 3, "d": 4}
    got = [
        (b.tokens.tolist(), b.offsets.tolist(), b.raw_words, b.n_sentences)
        for b in iter_id_batches(sentences, key_to_index, batch_words=batch_words, max_sentence_length=max_len)
    ]
    assert got == reference_batches(sentences, key_to_index, batch_words, max_len)


def test_iter_id_batches_large_corpus_bounded_batches():
    rng = random.Random(5)
    vocab = {f"w{i}": i for i in range(100)}
    sentences = [[f"w{rng.randrange(130)}" for _ in range(rng.randrange(0, 40))] for _ in range(5000)]
    batches = list(iter_id_batches(sentences, vocab, batch_words=1000, max_sentence_length=25))
    assert all(len(b.tokens) <= 1000 for b in batches)
    assert all(len(b.tokens) > 1000 - 25 for b in batches[:-1])  # full up to one piece
    tokens, _, raw, n = flatten(batches)
    assert raw == sum(map(len, sentences)) and n == len(sentences)
    assert tokens == [vocab[w] for s in sentences for w in s if w in vocab]


def test_iter_id_batches_sentence_errors():
    with pytest.raises(TypeError, match="sentence 1 is a str; each sentence must be a list of tokens"):
        list(iter_id_batches([["a"], "a b"], {"a": 0}))
    with pytest.raises(TypeError, match="sentence 0 is None"):
        list(iter_id_batches([None], {"a": 0}))
    with pytest.raises(TypeError, match="sentence 0 is not iterable"):
        list(iter_id_batches([5], {"a": 0}))
    # tuples, generators and numpy arrays of str are accepted as sentences
    batches = list(iter_id_batches([("a", "a"), (w for w in ["a"]), np.array(["a", "z"])], {"a": 0}))
    assert flatten(batches)[:3] == ([0, 0, 0, 0], [0, 2, 3, 4], 5)


def test_iter_id_batches_all_oov_gives_one_empty_batch():
    batches = list(iter_id_batches([["x"], ["y", "z"]], {"a": 0}))
    assert len(batches) == 1
    assert batches[0].tokens.tolist() == [] and batches[0].offsets.tolist() == [0]
    assert (batches[0].raw_words, batches[0].n_sentences) == (3, 2)
    assert list(iter_id_batches([], {"a": 0})) == []


def test_check_restartable():
    corpus.check_restartable([["a"]])
    with pytest.raises(TypeError, match="restartable iterable"):
        corpus.check_restartable(iter([["a"]]))
    with pytest.raises(TypeError, match="restartable iterable"):
        corpus.check_restartable(s for s in [["a"]])
    with pytest.raises(TypeError, match="corpus_file"):
        corpus.check_restartable("some/path.txt")


# --------------------------------------------------------------------------- file mode == iterable mode


try:
    from fastw2v import _text
except ImportError:  # pragma: no cover
    _text = None
needs_text = pytest.mark.skipif(_text is None, reason="fastw2v._text is not built (python setup.py build_ext)")


def assert_modes_agree(path, batch_bytes, max_len, vocab=VOCAB):
    key_to_index = {w: i for i, w in enumerate(vocab)}
    expected = flatten(iter_id_batches(LineSentence(path, max_len), key_to_index, max_sentence_length=max_len))
    got = flatten(iter_file_batches(path, _text.VocabHash(vocab), batch_bytes=batch_bytes, max_sentence_length=max_len))
    assert got == expected
    return got


@needs_text
@pytest.mark.parametrize("suffix", ["", ".gz", ".bz2"])
@pytest.mark.parametrize("batch_bytes", [1, 37, 1 << 20])
@pytest.mark.parametrize("max_len", [3, 10000])
def test_file_batches_equal_id_batches(tmp_path, suffix, batch_bytes, max_len):
    path = write(tmp_path / f"f.txt{suffix}", random_text(6))
    tokens, offsets, raw, n = assert_modes_agree(path, batch_bytes, max_len)
    assert len(tokens) > 100 and raw > len(tokens)


@needs_text
@pytest.mark.parametrize("suffix", ["", ".gz", ".bz2"])
def test_file_batches_text8_style_equal_id_batches(tmp_path, suffix):
    """One line without newline: blocks are cut after the token completing a piece, so there are
    no forced boundaries and the result is LineSentence's exactly."""
    rng = random.Random(7)
    data = " ".join(rng.choice(VOCAB + ["oov"]) for _ in range(20000)).encode("utf-8")
    path = write(tmp_path / f"text8{suffix}", data)
    for batch_bytes, max_len in ((1000, 100), (4096, 10000), (50, 7)):
        tokens, offsets, raw, n = assert_modes_agree(path, batch_bytes, max_len)
        assert raw == 20000 and n == -(-20000 // max_len)


@needs_text
def test_file_batches_one_batch_per_block(tmp_path):
    path = write(tmp_path / "blocks.txt", b"the of\n" * 1000)
    batches = list(iter_file_batches(path, _text.VocabHash(VOCAB), batch_bytes=700))
    assert len(batches) == 10 and all(isinstance(b, IdBatch) for b in batches)
    assert [b.n_sentences for b in batches] == [100] * 10


@needs_text
def test_file_batches_force_a_boundary_only_beyond_max_carry(tmp_path, monkeypatch, caplog):
    monkeypatch.setattr(corpus, "MAX_CARRY_BYTES", 100)
    path = write(tmp_path / "huge-line.txt", b"the " * 200)
    with caplog.at_level(logging.WARNING, logger="fastw2v.corpus"):
        batches = list(iter_file_batches(path, _text.VocabHash(VOCAB), batch_bytes=40, max_sentence_length=10**6))
    tokens, offsets, raw, n = flatten(batches)
    assert tokens == [0] * 200 and raw == 200  # nothing lost
    assert n > 1  # but the line became several sentences
    assert "forcing a sentence boundary" in caplog.text


@needs_text
def test_file_batches_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="missing.txt"):
        list(iter_file_batches(tmp_path / "missing.txt", _text.VocabHash(VOCAB)))


# --------------------------------------------------------------------------- partitioned reading


@needs_text
@pytest.mark.parametrize("parts", [1, 2, 3, 7])
@pytest.mark.parametrize("batch_bytes,max_len", [(1, 3), (37, 10000), (1 << 20, 5)])
def test_file_partitions_read_in_order_give_the_file(tmp_path, parts, batch_bytes, max_len):
    data = random_text(11)
    path = write(tmp_path / "f.txt", data)
    ranges = file_partitions(path, parts)
    assert len(ranges) == parts                      # 300 lines: every cut finds a line start
    starts = [a for a, _ in ranges]
    assert starts[0] == 0 and starts == sorted(set(starts))
    assert all(data[a - 1:a] == b"\n" for a in starts[1:])
    assert [b for _, b in ranges] == starts[1:] + [None]
    sizes = np.diff(starts + [len(data)])
    assert sizes.max() <= 2 * len(data) / parts      # about equal (lines are < 1 KB here)
    vocab_hash = _text.VocabHash(VOCAB)
    pieces = [flatten(iter_file_batches(path, vocab_hash, batch_bytes=batch_bytes, max_sentence_length=max_len,
                                        start=a, end=b)) for a, b in ranges]
    tokens, offsets, raw, n = [], [0], 0, 0
    for t, o, r, k in pieces:
        offsets.extend(x + len(tokens) for x in o[1:])
        tokens.extend(t)
        raw, n = raw + r, n + k
    assert (tokens, offsets, raw, n) == flatten(iter_file_batches(path, vocab_hash, batch_bytes=batch_bytes,
                                                                  max_sentence_length=max_len))


@needs_text
@pytest.mark.parametrize("name,data", [
    ("f.txt.gz", b"the of\n" * 500),             # compressed: not seekable
    ("f.txt.bz2", b"the of\n" * 500),
    ("text8", b"the of " * 500),                  # no newline to cut at
    ("short.txt", b"the of\n"),                  # one line
])
def test_file_partitions_fall_back_to_the_whole_file(tmp_path, name, data):
    path = write(tmp_path / name, data)
    assert file_partitions(path, 4) == [(0, None)]


def test_file_partitions_bad_input(tmp_path):
    path = write(tmp_path / "f.txt", b"a\n" * 10)
    with pytest.raises(ValueError, match="parts must be >= 1"):
        file_partitions(path, 0)
    with pytest.raises(FileNotFoundError, match="missing.txt"):
        file_partitions(tmp_path / "missing.txt", 2)


@needs_text
def test_file_batches_byte_range_bad_input(tmp_path):
    vocab_hash = _text.VocabHash(VOCAB)
    gz = write(tmp_path / "f.txt.gz", b"the of\n" * 10)
    with pytest.raises(ValueError, match="f.txt.gz is compressed"):
        list(iter_file_batches(gz, vocab_hash, start=7))
    plain = write(tmp_path / "f.txt", b"the of\n" * 10)
    with pytest.raises(ValueError, match=r"byte range \[5, 3\) of .*f.txt is not a range"):
        list(iter_file_batches(plain, vocab_hash, start=5, end=3))
    assert flatten(iter_file_batches(plain, vocab_hash, start=7, end=14)) == ([0, 1], [0, 2], 2, 1)
    assert flatten(iter_file_batches(plain, vocab_hash, start=70, end=70)) == ([], [0], 0, 0)
