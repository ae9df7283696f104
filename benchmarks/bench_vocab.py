"""Counting and encoding throughput (pytest-benchmark; not collected by the test suite).

    python -m pytest benchmarks/bench_vocab.py --benchmark-only
    FASTW2V_BENCH_CORPUS=/path/to/corpus.txt.gz python -m pytest benchmarks/bench_vocab.py ...

Each benchmark stores ``tokens``, ``tokens_per_s`` (on the mean time) and the machine in
``extra_info``. Everything here is single-threaded, except that an uncompressed corpus of at least
``vocab._PARALLEL_BYTES`` is counted by two threads (``threads`` in ``extra_info``); no BLAS is
involved. ``benchmarks/vocab_scale_check.py`` measures whole ``build_vocab`` calls against gensim,
with peak memory, on long-tailed corpora.
"""
import os
import platform

import pytest

from fastw2v import vocab as vocab_module
from fastw2v.corpus import LineSentence, iter_file_batches, iter_id_batches
from fastw2v.vocab import Vocabulary, count_words

CORPUS = os.environ.get("FASTW2V_BENCH_CORPUS", "/work/shared/corpora/en-mixed-dev.txt.gz")

pytestmark = pytest.mark.skipif(not os.path.exists(CORPUS), reason=f"benchmark corpus {CORPUS} is absent")


@pytest.fixture(scope="module")
def sentences():
    return list(LineSentence(CORPUS))


@pytest.fixture(scope="module")
def vocabulary(sentences):
    return Vocabulary.from_counts(count_words(sentences).counts, min_count=5)


def _count_threads(path):
    return 2 if vocab_module._halves(path) is not None else 1


def run(benchmark, fn, tokens, threads=1):
    result = benchmark.pedantic(fn, rounds=3, iterations=1, warmup_rounds=1)
    mean = benchmark.stats.stats.mean
    benchmark.extra_info.update(
        tokens=tokens,
        tokens_per_s=round(tokens / mean),
        machine=f"{platform.machine()} {platform.processor() or ''} {os.cpu_count()} cpus".strip(),
        python=platform.python_version(),
        threads=threads,
    )
    return result


def test_count_words_file_native(benchmark, sentences):
    n = sum(map(len, sentences))
    result = run(benchmark, lambda: count_words(corpus_file=CORPUS), n, _count_threads(CORPUS))
    assert result.total_words == n


def test_count_words_file_compact_to_vocabulary(benchmark, sentences):
    """What build_vocab(corpus_file=...) does: counts left in C, min_count applied there."""
    n = sum(map(len, sentences))
    vocab = run(benchmark, lambda: Vocabulary.from_counts(
        count_words(corpus_file=CORPUS, compact=True).counts, min_count=5), n, _count_threads(CORPUS))
    assert len(vocab) > 0


def test_count_words_file_python(benchmark, sentences, monkeypatch):
    monkeypatch.setattr(vocab_module, "_WordCounter", None)
    n = sum(map(len, sentences))
    result = run(benchmark, lambda: count_words(corpus_file=CORPUS), n)
    assert result.total_words == n


def test_count_words_in_memory(benchmark, sentences):
    n = sum(map(len, sentences))
    result = run(benchmark, lambda: count_words(sentences), n)
    assert result.total_words == n


@pytest.fixture(scope="module", params=["dict", "vocab_hash"])
def lookup(request, vocabulary):
    """How iterable mode looks tokens up: the dict alone, or the C VocabHash for str (what training uses)."""
    from fastw2v._text import VocabHash

    return VocabHash(vocabulary.index_to_key) if request.param == "vocab_hash" else None


def test_iter_id_batches_in_memory(benchmark, sentences, vocabulary, lookup):
    n = sum(map(len, sentences))
    batches = run(benchmark, lambda: sum(1 for _ in iter_id_batches(
        sentences, vocabulary.key_to_index, vocab_hash=lookup)), n)
    benchmark.extra_info["batches"] = batches


def test_iter_id_batches_line_sentence(benchmark, sentences, vocabulary, lookup):
    n = sum(map(len, sentences))
    run(benchmark, lambda: sum(1 for _ in iter_id_batches(
        LineSentence(CORPUS), vocabulary.key_to_index, vocab_hash=lookup)), n)


def test_iter_file_batches(benchmark, sentences, vocabulary):
    from fastw2v._text import VocabHash

    n = sum(map(len, sentences))
    h = VocabHash(vocabulary.index_to_key)
    batches = run(benchmark, lambda: sum(1 for _ in iter_file_batches(CORPUS, h)), n)
    benchmark.extra_info["batches"] = batches
