"""Fuzzing every loader (issue 18): random bytes and mutations of valid files.

For each loader (word2vec binary, word2vec text, native KeyedVectors and Word2Vec files, the corpus
readers ``LineSentence`` and ``corpus_file``'s ``iter_file_batches``), any input gives either a
correct result or the documented error naming the file (``VectorFileError`` for vector files;
``ValueError`` for text that is not UTF-8 and ``OSError`` for a damaged compressed corpus), never
another exception or a hang; and no call allocates more than a small multiple of the file's size
(tracemalloc, per example) or runs for more than 20 s (a watchdog).
``test_peak_rss_stays_bounded_on_fuzzed_files`` checks the same bound as the peak RSS of a fresh
process running a few hundred fuzzed files through every loader.

A few hundred examples per loader here (seconds); ``benchmarks/fuzz_loaders.py`` runs the same
properties for as long as asked.
"""
import gzip
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import tracemalloc

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fastw2v import KeyedVectors, Word2Vec
from fastw2v._text import VocabHash
from fastw2v.corpus import LineSentence, iter_file_batches
from fastw2v.io import VectorFileError, load_native, save_native

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXAMPLES = int(os.environ.get("FASTW2V_FUZZ_EXAMPLES", "200"))
SETTINGS = dict(max_examples=EXAMPLES, deadline=None,
                derandomize=not os.environ.get("FASTW2V_FUZZ_RANDOM"),
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.function_scoped_fixture])
#: allowed allocation: this many times the file's (decompressed) size, plus read buffers
ALLOC_FACTOR = 64
ALLOC_SLACK = 6 << 20
WORDS = ["the", "of", "é", "naïve", "x", "日本"]


def _valid_word2vec(binary, n=4, dim=3, seed=0):
    rng = np.random.default_rng(seed)
    kv = KeyedVectors.from_arrays(WORDS[:n], rng.standard_normal((n, dim)).astype(np.float32))
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "v")
        kv.save_word2vec_format(path, binary=binary)
        with open(path, "rb") as f:
            return f.read()


VALID = {False: _valid_word2vec(False), True: _valid_word2vec(True)}


@st.composite
def mutated(draw, base):
    """``base`` with a few bytes set, inserted, deleted, or a slice repeated; or random bytes."""
    if draw(st.integers(0, 9)) == 0:
        return draw(st.binary(max_size=256))
    data = bytearray(base)
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["set", "insert", "delete", "repeat", "digits"]))
        at = draw(st.integers(0, max(0, len(data) - 1)))
        if kind == "set" and data:
            data[at] = draw(st.integers(0, 255))
        elif kind == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=8))
        elif kind == "delete":
            del data[at:at + draw(st.integers(1, 8))]
        elif kind == "repeat":
            data[at:at] = data[at:at + draw(st.integers(1, 16))] * draw(st.integers(1, 20))
        else:   # a number that lies: huge, negative, beyond int64
            data[at:at] = draw(st.sampled_from([b"1000000000000", b"-5", b"99999999999999999999999",
                                                b"0", b"1e400", b"nan"]))
    return bytes(data)


HANG_SECONDS = 20   # one call on a file of a few hundred bytes: anything this slow is a hang


def _hang(signum, frame):
    raise AssertionError(f"a loader ran for more than {HANG_SECONDS} s on a tiny file (a hang)")


def _within_budget(fn, size):
    """``fn()``, failing if it allocates more than the budget or runs past HANG_SECONDS."""
    watchdog = hasattr(signal, "setitimer")
    if watchdog:
        previous = signal.signal(signal.SIGALRM, _hang)
        signal.setitimer(signal.ITIMER_REAL, HANG_SECONDS)
    tracemalloc.start()
    try:
        result = fn()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
        if watchdog:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
    assert peak <= ALLOC_FACTOR * size + ALLOC_SLACK, f"{peak} bytes for a {size}-byte input"
    return result


def _check_vectors(kv):
    assert kv.vectors.ndim == 2 and len(kv.index_to_key) == len(kv.vectors)
    assert len(set(kv.index_to_key)) == len(kv.index_to_key)
    assert np.isfinite(kv.vectors).all()


def _load_word2vec(path, binary, size):
    try:
        kv = _within_budget(lambda: KeyedVectors.load_word2vec_format(path, binary=binary), size)
    except VectorFileError as exc:
        assert path in str(exc)
        return None
    _check_vectors(kv)
    return kv


@pytest.mark.parametrize("binary", [False, True], ids=["text", "binary"])
@pytest.mark.parametrize("compress", [False, True], ids=["plain", "gzip"])
def test_word2vec_loaders_on_fuzzed_files(tmp_path, binary, compress):
    path = str(tmp_path / ("v.gz" if compress else "v"))

    @settings(**SETTINGS)
    @given(data=mutated(VALID[binary]))
    def check(data):
        with open(path, "wb") as f:
            f.write(gzip.compress(data, compresslevel=1) if compress else data)
        kv = _load_word2vec(path, binary, len(data))
        if kv is not None and data == VALID[binary]:
            assert kv.index_to_key == WORDS[:4]
    check()


VOCAB_FILE = "the 10\nof 7\né 3\nnaïve 1\n".encode("utf-8")


@pytest.mark.parametrize("compress", [False, True], ids=["plain", "gzip"])
def test_vocab_counts_reader_on_fuzzed_files(tmp_path, compress):
    """word2vec.c's -save-vocab format (CLI -read-vocab)."""
    from fastw2v.io import read_vocab_counts
    path = str(tmp_path / ("vocab.txt.gz" if compress else "vocab.txt"))

    @settings(**{**SETTINGS, "max_examples": max(1, EXAMPLES // 2)})
    @given(data=mutated(VOCAB_FILE))
    def check(data):
        with open(path, "wb") as f:
            f.write(gzip.compress(data, compresslevel=1) if compress else data)
        try:
            counts = _within_budget(lambda: read_vocab_counts(path), len(data))
        except VectorFileError as exc:
            assert path in str(exc)
            return
        assert all(isinstance(c, int) and c >= 0 for c in counts.values())
        if data == VOCAB_FILE:
            assert counts == {"the": 10, "of": 7, "é": 3, "naïve": 1}
    check()


# ------------------------------------------------------------------------------------ native

@pytest.fixture(scope="module")
def native_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fuzz-native")
    sentences = [["a", "b", "c", "a"], ["b", "c", "d"]] * 10
    model = Word2Vec(sentences, vector_size=4, min_count=1, epochs=1, workers=1, seed=1, hs=1)
    model_path = str(folder / "m.fw2v")
    model.save(model_path)
    kv_path = str(folder / "kv.fw2v")
    model.wv.save(kv_path)
    return {"model": model_path, "kv": kv_path}


HOSTILE_VALUES = st.one_of(
    st.sampled_from([-1, -(2 ** 63), 2 ** 63, 10 ** 30, 0, 1.5, float("inf"), None, True, "", "x",
                     [], {}, [[[[[]]]]], [-1, -1]]),
    st.integers(), st.text(max_size=4))


def _mutate_json(value, path, new):
    """``value`` with the item at ``path`` (a list of keys/indices, followed as far as it goes)
    replaced by ``new``."""
    if not path or not isinstance(value, (dict, list)) or not value:
        return new
    if isinstance(value, dict):
        keys = sorted(value)
        key = keys[path[0] % len(keys)]
        return {**value, key: _mutate_json(value[key], path[1:], new)}
    i = path[0] % len(value)
    return value[:i] + [_mutate_json(value[i], path[1:], new)] + value[i + 1:]


def _load_any_native(path, kind, size):
    loaders = (KeyedVectors.load,) if kind == "kv" else (Word2Vec.load, KeyedVectors.load)
    for load in loaders:
        for mmap in (None, "r"):
            try:
                result = _within_budget(lambda: load(path, mmap=mmap), size)
            except VectorFileError as exc:
                assert path in str(exc)
                continue
            wv = result.wv if isinstance(result, Word2Vec) else result
            _check_vectors(wv)
            if isinstance(result, Word2Vec):
                assert len(result.vocab) == len(wv) and (result.vocab.counts >= 0).all()
            elif wv.expandos.get("count") is not None:
                assert (wv.expandos["count"] >= 0).all()


@pytest.mark.parametrize("kind", ["kv", "model"])
def test_native_loaders_on_fuzzed_bytes(tmp_path, native_files, kind):
    with open(native_files[kind], "rb") as f:
        valid = f.read()
    path = str(tmp_path / "fuzzed.fw2v")

    @settings(**{**SETTINGS, "max_examples": max(1, EXAMPLES // 2)})
    @given(data=mutated(valid))
    def check(data):
        with open(path, "wb") as f:
            f.write(data)
        _load_any_native(path, kind, len(data))
    check()


def _hostile_value(dtype, what):
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        return {"negative": max(info.min, -3), "huge": info.max, "nan": 0}[what]
    if dtype.kind == "b":
        return True
    return {"negative": -3.0, "huge": 3e38, "nan": np.nan}[what]


@pytest.mark.parametrize("kind", ["kv", "model"])
def test_native_loaders_on_lying_metadata(tmp_path, native_files, kind):
    """Structured lies: a field of meta.json or a whole array replaced by a hostile value."""
    arrays, meta = load_native(native_files[kind])
    path = str(tmp_path / "lying.fw2v")

    @settings(**{**SETTINGS, "max_examples": max(1, EXAMPLES // 2)})
    @given(where=st.lists(st.integers(0, 50), min_size=1, max_size=4), new=HOSTILE_VALUES,
           array=st.sampled_from(sorted(arrays) + [None]),
           values=st.sampled_from(["negative", "huge", "nan", "empty"]))
    def check(where, new, array, values):
        edited = dict(arrays)
        document = _mutate_json(meta, where, new)
        if array is not None:
            a = np.array(edited[array])
            if values == "empty":
                a = a[:0]
            elif a.size:
                a.reshape(-1)[0] = _hostile_value(a.dtype, values)
            edited[array] = a
        if not isinstance(document, dict):
            document = {"meta": document}
        try:
            json.dumps(document, allow_nan=True)
        except (TypeError, ValueError):
            return
        save_native(path, edited, document)
        _load_any_native(path, kind, os.path.getsize(path))
    check()


# ------------------------------------------------------------------------------------ corpora

def _reference_sentences(data, max_len):
    text = data.decode("utf-8")
    out = []
    for line in text.split("\n"):
        tokens = [t for t in re.split(r"[ \t\n\v\f\r]+", line) if t]
        out.extend(tokens[i:i + max_len] for i in range(0, len(tokens), max_len))
    return out


CORPUS_TEXT = "the of é naïve\n日本 x\tthe\r\n\n  of of of the\x0bx\n".encode("utf-8")


@pytest.mark.parametrize("compress", [False, True], ids=["plain", "gzip"])
def test_corpus_readers_on_fuzzed_files(tmp_path, compress):
    path = str(tmp_path / ("c.txt.gz" if compress else "c.txt"))
    vocab = VocabHash(WORDS)

    @settings(**SETTINGS)
    @given(data=mutated(CORPUS_TEXT), max_len=st.integers(1, 5), gz_cut=st.integers(0, 8))
    def check(data, max_len, gz_cut):
        stored = data
        if compress:
            stored = gzip.compress(data, compresslevel=1)
            if gz_cut:   # sometimes a damaged compressed stream
                stored = stored[:-gz_cut]
        with open(path, "wb") as f:
            f.write(stored)
        try:
            expected = _reference_sentences(data, max_len)
        except UnicodeDecodeError:
            expected = None
        # a cut gzip stream, or a plain file starting with gzip's magic (read as gzip: documented;
        # such bytes are never UTF-8 text)
        damaged = (compress and gz_cut > 0) or (not compress and data[:2] == b"\x1f\x8b")
        try:
            got = _within_budget(lambda: list(LineSentence(path, max_sentence_length=max_len)),
                                 len(data))
        except OSError as exc:
            assert damaged and path in str(exc), exc
        except ValueError as exc:
            assert expected is None and path in str(exc) and "UTF-8" in str(exc), exc
        else:
            assert got == expected
        try:
            batches = _within_budget(lambda: list(iter_file_batches(
                path, vocab, batch_bytes=7, max_sentence_length=max_len)), len(data))
        except OSError as exc:
            assert damaged and path in str(exc), exc
        else:
            # (corpus_file does not decode: malformed UTF-8 matches no word, as documented)
            raw = sum(b.raw_words for b in batches)
            if expected is not None and not damaged:
                assert raw == sum(map(len, expected))
    check()


# ------------------------------------------------------------------------------------ RSS

RSS_CHILD = r"""
import gzip, os, resource, sys, tempfile
import numpy as np
from fastw2v import KeyedVectors, Word2Vec
from fastw2v.corpus import LineSentence
from fastw2v.io import VectorFileError

def rss():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024

rng = np.random.default_rng(int(sys.argv[1]))
n = int(sys.argv[2])
folder = tempfile.mkdtemp()
kv = KeyedVectors.from_arrays(["a", "bb", "c"], np.ones((3, 5), np.float32))
valid = {}
for name, binary in (("text", False), ("binary", True)):
    kv.save_word2vec_format(os.path.join(folder, name), binary=binary)
    valid[name] = open(os.path.join(folder, name), "rb").read()
model = Word2Vec([["a", "b", "a"]] * 20, vector_size=4, min_count=1, epochs=1, workers=1)
model.save(os.path.join(folder, "m.fw2v"))
valid["native"] = open(os.path.join(folder, "m.fw2v"), "rb").read()
valid["corpus"] = b"a b c\nd e\n" * 20
lies = [b"1000000000000", b"999999999999999999999999", b"1000000000", b"-1"]
# warm up every loader once, so that imports and first-call buffers are not counted
KeyedVectors.load_word2vec_format(os.path.join(folder, "text"))
Word2Vec.load(os.path.join(folder, "m.fw2v"))
base = rss()
largest = 0
for i in range(n):
    kind = ["text", "binary", "native", "corpus"][i % 4]
    data = bytearray(valid[kind])
    for _ in range(rng.integers(1, 4)):
        at = int(rng.integers(0, len(data)))
        op = rng.integers(0, 4)
        if op == 0:
            data[at] = int(rng.integers(0, 256))
        elif op == 1:
            data[at:at] = lies[int(rng.integers(0, len(lies)))]
        elif op == 2:
            del data[at:at + int(rng.integers(1, 9))]
        else:
            data[at:at] = data[at:at + 16] * int(rng.integers(1, 50))
    compress = kind != "native" and rng.integers(0, 2) == 1
    path = os.path.join(folder, f"f{i}" + (".gz" if compress else ""))
    with open(path, "wb") as f:
        f.write(gzip.compress(bytes(data)) if compress else bytes(data))
    largest = max(largest, len(data))
    try:
        if kind == "native":
            try:
                Word2Vec.load(path)
            except VectorFileError:
                KeyedVectors.load(path)
        elif kind == "corpus":
            for _ in LineSentence(path):
                pass
        else:
            KeyedVectors.load_word2vec_format(path, binary=(kind == "binary"))
    except (VectorFileError, ValueError, OSError):
        pass
    os.remove(path)
print(rss() - base, largest)
"""


def test_peak_rss_stays_bounded_on_fuzzed_files():
    """A fresh process loads a few hundred fuzzed files of every kind (lying counts and dimensions
    included); its peak RSS may grow by a small multiple of the largest file only."""
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    n = max(40, EXAMPLES)
    result = subprocess.run([sys.executable, "-c", RSS_CHILD, "18", str(n)], capture_output=True,
                            text=True, timeout=300, env=env, cwd=ROOT)
    assert result.returncode == 0, result.stderr[-3000:]
    grew, largest = map(int, result.stdout.split())
    assert grew <= ALLOC_FACTOR * largest + (16 << 20), (grew, largest)
