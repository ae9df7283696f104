"""Property-based tests (hypothesis), with small example budgets so the file runs in seconds.

* Any list of token lists either trains or raises the documented error: TypeError for a bad
  sentence or token, ValueError for a corpus without words.
* Any byte string read as a word2vec text or binary file either loads (finite vectors, consistent
  shape) or raises VectorFileError.
* Saving then loading is the identity, bit for bit, for random unicode vocabularies and random
  float matrices, in the text, binary and native formats; words the word2vec formats cannot hold
  (a space or newline) are refused with a ValueError naming them, and the native format keeps them.

Bitwise assertions here are round trips through files (bytes in, bytes out): no arithmetic, so
no CPU dependence.
"""
import os
import tempfile
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from fastw2v import KeyedVectors, Word2Vec
from fastw2v.io import VectorFileError

SETTINGS = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow])

# ------------------------------------------------------------------ corpora

WORDS = ["the", "cat", "sat", "on", "mat", "é", "日本", "x" * 40]
GOOD_TOKEN = st.sampled_from(WORDS) | st.text(min_size=1, max_size=6)
BAD_TOKEN = st.one_of(st.integers(), st.none(), st.binary(max_size=3), st.floats(),
                      st.lists(st.text(max_size=2), max_size=2))
TOKEN = st.one_of(GOOD_TOKEN, GOOD_TOKEN, GOOD_TOKEN, GOOD_TOKEN, BAD_TOKEN)
SENTENCE = st.one_of(st.lists(TOKEN, max_size=8), st.lists(TOKEN, max_size=8),
                     st.lists(TOKEN, max_size=8).map(tuple),
                     st.none(), st.text(max_size=10), st.integers())


def _expected_error(corpus):
    """The error the documented rules predict for ``corpus``, or None if it must train."""
    for sentence in corpus:
        if sentence is None or isinstance(sentence, (str, int)):
            return TypeError
        if any(not isinstance(token, str) for token in sentence):
            return TypeError
    if not any(len(sentence) for sentence in corpus):
        return ValueError
    return None


@settings(max_examples=60, **SETTINGS)
@given(corpus=st.lists(SENTENCE, max_size=12), sg=st.integers(0, 1), hs=st.integers(0, 1))
def test_any_list_of_token_lists_trains_or_raises_the_documented_error(corpus, sg, hs):
    expected = _expected_error(corpus)
    try:
        model = Word2Vec(corpus, vector_size=4, min_count=1, epochs=1, workers=2, sg=sg, hs=hs,
                         window=2, seed=0)
    except (TypeError, ValueError) as exc:
        # an empty corpus raises EmptyCorpusError: a ValueError and (gensim's type) a RuntimeError
        assert expected is not None and isinstance(exc, expected), (expected, exc)
        assert expected is TypeError or isinstance(exc, RuntimeError), exc
        assert str(exc)
        return
    assert expected is None
    words = {token for sentence in corpus for token in sentence}
    assert set(model.wv.index_to_key) == words
    assert np.isfinite(model.wv.vectors).all()


# ------------------------------------------------------------------ word2vec files

def _load(data, binary):
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "vectors.bin" if binary else "vectors.txt")
        with open(path, "wb") as f:
            f.write(data)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")   # duplicate words warn, by design
            return KeyedVectors.load_word2vec_format(path, binary=binary)


def _check_load(data, binary):
    try:
        kv = _load(data, binary)
    except VectorFileError as exc:
        assert "vectors." in str(exc)   # names the file
        return None
    assert kv.vectors.ndim == 2 and kv.vectors.shape[0] == len(kv.index_to_key)
    assert np.isfinite(kv.vectors).all()
    return kv


@settings(max_examples=60, **SETTINGS)
@given(data=st.binary(max_size=300), binary=st.booleans())
def test_any_bytes_load_or_raise_vector_file_error(data, binary):
    _check_load(data, binary)


@st.composite
def damaged_files(draw):
    """A valid small file, then a few byte-level edits: most land near something meaningful."""
    binary = draw(st.booleans())
    n, dim = draw(st.integers(0, 3)), draw(st.integers(1, 3))
    words = [f"w{i}" for i in range(n)]
    values = np.asarray(draw(st.lists(st.floats(-4, 4, width=32), min_size=n * dim,
                                      max_size=n * dim)), dtype=np.float32).reshape(n, dim)
    body = bytearray(f"{n} {dim}\n".encode())
    for word, row in zip(words, values):
        if binary:
            body += word.encode() + b" " + row.astype("<f4").tobytes() + b"\n"
        else:
            body += (word + " " + " ".join(map(str, row)) + "\n").encode()
    for _ in range(draw(st.integers(0, 3))):
        action = draw(st.sampled_from(["set", "insert", "delete", "cut"]))
        at = draw(st.integers(0, max(len(body) - 1, 0)))
        if action == "set" and body:
            body[at] = draw(st.integers(0, 255))
        elif action == "insert":
            body[at:at] = draw(st.sampled_from([b" ", b"\n", b"-", b"nan", b"1e99", b"\xff", b"9"]))
        elif action == "delete" and body:
            del body[at]
        elif action == "cut":
            del body[at:]
    return bytes(body), binary


@settings(max_examples=60, **SETTINGS)
@given(damaged_files())
def test_damaged_files_load_or_raise_vector_file_error(file):
    _check_load(*file)


@pytest.fixture(scope="module")
def native_files(tmp_path_factory):
    """The bytes of a small native KeyedVectors file and of a small native Word2Vec model."""
    folder = tmp_path_factory.mktemp("native-fuzz")
    kv_path, model_path = folder / "kv.fw2v", folder / "model.fw2v"
    KeyedVectors.from_arrays(["a", "b", "ç"], np.arange(6, dtype=np.float32).reshape(3, 2),
                             counts=[3, 2, 1]).save(kv_path)
    Word2Vec([["a", "b", "c", "a"]] * 5, vector_size=4, min_count=1, epochs=1, workers=1,
             hs=1).save(model_path)
    return {"kv": kv_path.read_bytes(), "model": model_path.read_bytes()}


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow,
                                                  HealthCheck.function_scoped_fixture],
          deadline=None)
@given(which=st.sampled_from(["kv", "model"]), edits=st.lists(
    st.tuples(st.sampled_from(["set", "cut", "insert"]), st.floats(0, 1), st.integers(0, 255)),
    min_size=1, max_size=3), loader=st.sampled_from(["Word2Vec", "KeyedVectors"]),
    mmap=st.sampled_from([None, "r"]))
def test_damaged_native_files_load_or_raise_vector_file_error(native_files, which, edits, loader,
                                                              mmap):
    data = bytearray(native_files[which])
    for action, where, value in edits:
        at = min(int(where * len(data)), max(len(data) - 1, 0))
        if action == "set" and data:
            data[at] = value
        elif action == "cut":
            del data[at:]
        else:
            data[at:at] = bytes([value])
    load = Word2Vec.load if loader == "Word2Vec" else KeyedVectors.load
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "damaged.fw2v")
        with open(path, "wb") as f:
            f.write(bytes(data))
        try:
            loaded = load(path, mmap=mmap)
        except VectorFileError as exc:
            assert "damaged.fw2v" in str(exc)
            return
        vectors = loaded.wv.vectors if loader == "Word2Vec" else loaded.vectors
        assert np.isfinite(vectors).all()
        del loaded, vectors   # (release a memory map before the folder goes)


# ------------------------------------------------------------------ round trips

# Any unicode word the word2vec formats can hold: no space or newline, not empty. (hypothesis'
# text() never draws lone surrogates, which are not encodable as UTF-8.)
STORABLE_WORD = st.text(min_size=1, max_size=12).filter(lambda w: " " not in w and "\n" not in w)


@st.composite
def vocabularies_and_matrices(draw, word=STORABLE_WORD, dtype=np.float32):
    words = draw(st.lists(word, min_size=1, max_size=15, unique=True))
    dim = draw(st.integers(1, 6))
    matrix = draw(hnp.arrays(dtype, (len(words), dim),
                             elements=st.floats(allow_nan=False, allow_infinity=False,
                                                width=np.dtype(dtype).itemsize * 8)))
    return words, matrix


def _bits(matrix):
    return matrix.view(np.uint32 if matrix.dtype == np.float32 else np.uint64)


@settings(max_examples=40, **SETTINGS)
@given(vocabularies_and_matrices(), st.sampled_from(["text", "binary", "native"]))
def test_save_then_load_is_the_identity(data, fmt):
    words, matrix = data
    kv = KeyedVectors.from_arrays(words, matrix, counts=np.arange(len(words), 0, -1))
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "v")
        if fmt == "native":
            kv.save(path)
            back = KeyedVectors.load(path)
            assert np.array_equal(back.expandos["count"], kv.expandos["count"])
        else:
            kv.save_word2vec_format(path, binary=fmt == "binary")
            back = KeyedVectors.load_word2vec_format(path, binary=fmt == "binary")
    assert back.index_to_key == words
    assert back.vectors.dtype == np.float32
    assert np.array_equal(_bits(back.vectors), _bits(matrix))   # -0.0 and subnormals included


@settings(max_examples=25, **SETTINGS)
@given(vocabularies_and_matrices(dtype=np.float64))
def test_native_round_trip_keeps_float64(data):
    words, matrix = data
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "v.fw2v")
        KeyedVectors.from_arrays(words, matrix).save(path)
        back = KeyedVectors.load(path)
    assert back.vectors.dtype == np.float64 and np.array_equal(_bits(back.vectors), _bits(matrix))


@settings(max_examples=30, **SETTINGS)
@given(vocabularies_and_matrices(word=st.text(min_size=1, max_size=12)), st.data())
def test_words_with_spaces_are_refused_by_word2vec_formats_and_kept_natively(data, draw):
    words, matrix = data
    bad = draw.draw(st.sampled_from(["two words", "line\nbreak", " lead", "trail "]))
    assume(bad not in words)
    words = words + [bad]
    matrix = np.vstack([matrix, np.ones((1, matrix.shape[1]), np.float32)])
    kv = KeyedVectors.from_arrays(words, matrix)
    with tempfile.TemporaryDirectory() as folder:
        for binary in (False, True):
            path = os.path.join(folder, "v.bin")
            with pytest.raises(ValueError, match="contains a space or newline") as info:
                kv.save_word2vec_format(path, binary=binary)
            assert repr(next(w for w in words if " " in w or "\n" in w)) in str(info.value)
            assert not os.path.exists(path)   # refused before anything is written
        native = os.path.join(folder, "v.fw2v")
        kv.save(native)
        back = KeyedVectors.load(native)
    assert back.index_to_key == words and np.array_equal(_bits(back.vectors), _bits(matrix))


@settings(max_examples=25, **SETTINGS)
@given(st.dictionaries(st.text(min_size=1, max_size=8), st.integers(1, 50), min_size=1, max_size=12),
       st.integers(1, 5), st.integers(0, 2 ** 32))
def test_model_save_then_load_is_the_identity(freqs, dim, seed):
    model = Word2Vec(vector_size=dim, min_count=1, seed=seed % 1000, hs=1, workers=1)
    model.build_vocab_from_freq(freqs)
    rng = np.random.default_rng(seed)
    for array in (model.wv.vectors, model.syn1neg, model.syn1):
        array[...] = rng.normal(size=array.shape).astype(np.float32)
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "m.fw2v")
        model.save(path)
        back = Word2Vec.load(path)
    assert back.wv.index_to_key == model.wv.index_to_key
    assert np.array_equal(back.vocab.counts, model.vocab.counts)
    for a, b in ((back.wv.vectors, model.wv.vectors), (back.syn1neg, model.syn1neg),
                 (back.syn1, model.syn1)):
        assert np.array_equal(_bits(a), _bits(b))
    assert back._params() == model._params()
