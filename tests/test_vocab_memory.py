"""Counting a file without a Python object per distinct word (``count_words(compact=True)``,
``RawCounts``), the two-thread count of uncompressed files, and ``max_vocab_size`` pruning in C,
each against the plain one-pass result (and gensim where it is installed)."""
import gzip
import tracemalloc

import numpy as np
import pytest

from fastw2v import Word2Vec
from fastw2v import vocab as vocab_module
from fastw2v.vocab import RawCounts, Vocabulary, count_words

pytest.importorskip("fastw2v._text", reason="fastw2v._text is not built (python setup.py build_ext)")


def long_tailed_lines(seed, n_lines=300, core=40):
    """Lines mixing a few frequent words with many one-off tokens; some long, some empty."""
    rng = np.random.default_rng(seed)
    lines = []
    for i in range(n_lines):
        n = int(rng.integers(0, 30)) if i % 50 else 75
        words = [f"c{int(rng.zipf(1.5)) % core}" if rng.random() < 0.5 else f"t{seed}_{i}_{j}"
                 for j in range(n)]
        lines.append(" ".join(words))
    return lines


def write(path, lines, end="\n", compress=False):
    data = "\n".join(lines).encode("utf-8") + end.encode()
    path.write_bytes(gzip.compress(data) if compress else data)
    return path


def python_count(monkeypatch, path, **kw):
    with monkeypatch.context() as m:
        m.setattr(vocab_module, "_WordCounter", None)
        return count_words(corpus_file=path, **kw)


@pytest.mark.parametrize("read_bytes", [None, 7])          # 7: lines span many blocks
@pytest.mark.parametrize("end", ["\n", "", "\r\n\n"])
@pytest.mark.parametrize("seed", [1, 2])
def test_two_thread_count_equals_one_pass(tmp_path, monkeypatch, seed, end, read_bytes):
    path = write(tmp_path / "c.txt", long_tailed_lines(seed), end)
    monkeypatch.setattr(vocab_module, "_PARALLEL_BYTES", 64)
    if read_bytes is not None:
        monkeypatch.setattr(vocab_module, "_READ_BYTES", read_bytes)
    monkeypatch.setattr(vocab_module.os, "cpu_count", lambda: 2)   # (also on a one-CPU runner)
    assert vocab_module._halves(path) is not None            # the two-thread path is taken
    got = count_words(corpus_file=path, max_sentence_length=20, compact=True)
    expected = python_count(monkeypatch, path, max_sentence_length=20)
    assert isinstance(got.counts, RawCounts)
    assert list(got.counts.items()) == list(expected.counts.items())   # first-occurrence order
    assert (got.total_words, got.n_sentences, got.min_reduce) == (
        expected.total_words, expected.n_sentences, expected.min_reduce)


def test_two_thread_count_reports_bad_utf8_with_the_line(tmp_path, monkeypatch):
    lines = long_tailed_lines(3)
    path = tmp_path / "bad.txt"
    path.write_bytes("\n".join(lines).encode() + b"\ncaf\xe9\n" + "\n".join(lines).encode())
    monkeypatch.setattr(vocab_module, "_PARALLEL_BYTES", 64)
    monkeypatch.setattr(vocab_module.os, "cpu_count", lambda: 2)
    assert vocab_module._halves(str(path)) is not None       # the two-thread path meets the error
    with pytest.raises(ValueError, match=rf"bad\.txt: line {len(lines) + 1} is not valid UTF-8"):
        count_words(corpus_file=path)


def test_compressed_and_small_files_are_counted_in_one_pass(tmp_path, monkeypatch):
    monkeypatch.setattr(vocab_module, "_PARALLEL_BYTES", 64)
    assert vocab_module._halves(write(tmp_path / "c.txt.gz", long_tailed_lines(4), compress=True)) is None
    monkeypatch.setattr(vocab_module, "_PARALLEL_BYTES", 1 << 30)
    assert vocab_module._halves(write(tmp_path / "c.txt", long_tailed_lines(4))) is None


@pytest.mark.parametrize("max_vocab_size", [30, 200])
def test_native_pruning_equals_python_pruning(tmp_path, monkeypatch, max_vocab_size):
    path = write(tmp_path / "c.txt", long_tailed_lines(5))
    got = count_words(corpus_file=path, max_vocab_size=max_vocab_size, max_sentence_length=20)
    expected = python_count(monkeypatch, path, max_vocab_size=max_vocab_size, max_sentence_length=20)
    assert list(got.counts.items()) == list(expected.counts.items())
    assert got.min_reduce == expected.min_reduce > 2
    assert (got.total_words, got.n_sentences) == (expected.total_words, expected.n_sentences)


@pytest.mark.parametrize("max_vocab_size", [30, 200])
def test_native_pruning_matches_gensim(tmp_path, max_vocab_size):
    word2vec = pytest.importorskip("gensim.models.word2vec", reason="gensim is not installed")
    path = write(tmp_path / "c.txt", long_tailed_lines(6))
    theirs = word2vec.Word2Vec(vector_size=2, workers=1, min_count=2, max_vocab_size=max_vocab_size)
    theirs.build_vocab(corpus_file=str(path), keep_raw_vocab=True)
    ours = Word2Vec(vector_size=2, workers=1, min_count=2, max_vocab_size=max_vocab_size)
    ours.build_vocab(corpus_file=str(path), keep_raw_vocab=True)
    assert type(ours.raw_vocab) is dict
    assert list(ours.raw_vocab.items()) == list(theirs.raw_vocab.items())
    assert (ours.corpus_total_words, ours.corpus_count) == (theirs.corpus_total_words, theirs.corpus_count)
    assert sorted(zip(ours.wv.index_to_key, ours.vocab.counts.tolist())) == sorted(
        (w, int(theirs.wv.get_vecattr(w, "count"))) for w in theirs.wv.index_to_key)


def test_raw_counts_is_a_read_only_mapping_in_first_occurrence_order(tmp_path, monkeypatch):
    monkeypatch.setattr(vocab_module, "_ITER_WORDS", 7)   # several slices
    path = write(tmp_path / "c.txt", long_tailed_lines(7))
    raw = count_words(corpus_file=path, compact=True).counts
    plain = count_words(corpus_file=path).counts
    assert type(plain) is dict and isinstance(raw, RawCounts)
    assert raw == plain and list(raw) == list(plain) and list(raw.values()) == list(plain.values())
    assert len(raw) == len(plain) and len(raw.items()) == len(plain)
    assert raw.to_dict() == plain and list(raw.to_dict()) == list(plain)
    assert raw.count_array().tolist() == list(plain.values()) and raw.total() == sum(plain.values())
    word = next(iter(plain))
    assert raw[word] == plain[word] and word in raw and raw.get(word) == plain[word]
    assert "absent" not in raw and raw.get("absent", -1) == -1 and 5 not in raw
    with pytest.raises(KeyError):
        raw["absent"]


def calls_of(rule):
    seen = []

    def wrapped(word, count, min_count):
        seen.append((word, count))
        return rule(word, count, min_count)
    return wrapped, seen


@pytest.mark.parametrize("max_final_vocab", [None, 25])
def test_vocabulary_from_raw_counts_equals_from_dict(tmp_path, max_final_vocab):
    path = write(tmp_path / "c.txt", long_tailed_lines(8))
    raw = count_words(corpus_file=path, compact=True).counts
    plain = raw.to_dict()

    def keep_t1(word, count, min_count):
        return 2 if word.startswith("t8_1") else 0

    for rule in (None, keep_t1):
        if rule is None:
            a = Vocabulary.from_counts(raw, min_count=2, max_final_vocab=max_final_vocab)
            b = Vocabulary.from_counts(plain, min_count=2, max_final_vocab=max_final_vocab)
        else:   # trim_rule sees every word, in first-occurrence order, as with the dict
            rule_a, seen_a = calls_of(rule)
            rule_b, seen_b = calls_of(rule)
            a = Vocabulary.from_counts(raw, min_count=2, trim_rule=rule_a, max_final_vocab=max_final_vocab)
            b = Vocabulary.from_counts(plain, min_count=2, trim_rule=rule_b, max_final_vocab=max_final_vocab)
            assert seen_a == seen_b == list(plain.items())
        assert a.to_dict() == b.to_dict()
    grown_a, grown_b = Vocabulary.from_counts(plain, min_count=3), Vocabulary.from_counts(plain, min_count=3)
    assert grown_a.update(raw, min_count=2) == grown_b.update(plain, min_count=2)
    assert grown_a.to_dict() == grown_b.to_dict()


def test_build_vocab_makes_no_python_object_per_distinct_word(tmp_path, monkeypatch):
    """300,000 one-off tokens: a dict of them takes about 33 MB of Python objects; what is left
    is the blocks read (1 MiB each, a few copies per thread)."""
    monkeypatch.setattr(vocab_module, "_PARALLEL_BYTES", 1 << 16)
    lines = [" ".join(f"u{i}_{j}" for j in range(1000)) + " the a the" for i in range(300)]
    path = write(tmp_path / "c.txt", lines)
    model = Word2Vec(vector_size=4, min_count=5, workers=1)
    tracemalloc.start()
    try:
        model.build_vocab(corpus_file=str(path))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert model.wv.index_to_key == ["the", "a"] and model.corpus_total_words == 300 * 1003
    assert model.raw_vocab is None
    assert peak < 16_000_000, f"{peak} bytes of Python objects"   # a dict of every word: ~33 MB
    kept = Word2Vec(vector_size=4, min_count=5, workers=1)
    kept.build_vocab(corpus_file=str(path), keep_raw_vocab=True)   # asked for: a dict of every word
    assert type(kept.raw_vocab) is dict and len(kept.raw_vocab) == 300 * 1000 + 2
    assert kept.wv.index_to_key == model.wv.index_to_key


def test_raw_counts_answer_a_lone_surrogate_like_a_dict(tmp_path):
    path = write(tmp_path / "c.txt", ["a b a", "b c"])
    got = count_words(corpus_file=path, compact=True).counts
    assert isinstance(got, RawCounts)
    lone = "x\udcff"
    assert got.get(lone, 0) == 0 and lone not in got
    with pytest.raises(KeyError):
        got[lone]
