"""The bad-input catalogue of docs/reliability.md: one test per row, named by the row's id.

Every row feeds one kind of bad input to the Python API (``api``), the word2vec file loaders
(``load``), the native loaders (``nat``), the command line (``cli``) or a kernel entry point
(``ker``), and checks that it yields the documented exception type whose message names the
problem (the CLI: exit status 2 and a one-line message), never a crash. Calls that would crash
the interpreter run in a subprocess. ``test_catalogue_matches_the_docs`` keeps the table and this
file in step.

Bitwise assertions here check that refused input left the weights untouched (compared with a copy
taken before the call): no arithmetic, no CPU dependence.
"""
import inspect
import json
import os
import pickle
import re
import subprocess
import sys
import zipfile

import numpy as np
import pytest

from fastw2v import KeyedVectors, Word2Vec, _core, _text
from fastw2v.cli import main as cli_main
from fastw2v.corpus import LineSentence
from fastw2v.io import VectorFileError, load_native, save_native
from fastw2v.model import TrainingDivergedError
from planted import planted_corpus

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DOC = os.path.join(ROOT, "docs", "reliability.md")
SENTENCES, _ = planted_corpus(n_sentences=120, sentence_length=8)
SMALL = dict(vector_size=8, min_count=1, epochs=1, workers=1, seed=3)


def raises(exc_type, *needles):
    """pytest.raises that also checks the message names the problem (every needle, in order of
    mention irrelevant, case-insensitive)."""
    return _Raises(exc_type, needles)


class _Raises:
    def __init__(self, exc_type, needles):
        self.ctx = pytest.raises(exc_type)
        self.needles = needles

    def __enter__(self):
        self.info = self.ctx.__enter__()
        return self.info

    def __exit__(self, *exc):
        suppressed = self.ctx.__exit__(*exc)
        if not suppressed:   # another exception type: let it propagate as it is
            return False
        message = str(self.info.value).lower()
        for needle in self.needles:
            assert needle.lower() in message, f"{needle!r} not in {str(self.info.value)!r}"
        return suppressed


def write(tmp_path, name, data):
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def f32(*values):
    return np.asarray(values, dtype="<f4").tobytes()


class Payload:
    """Unpickling this creates ``marker``: proof that code from a file ran."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


@pytest.fixture
def no_unpickling(monkeypatch):
    """Any unpickling during the test fails it, whichever library would do it."""
    def refuse(*args, **kwargs):
        raise AssertionError("a loader tried to unpickle")
    monkeypatch.setattr(pickle, "load", refuse)
    monkeypatch.setattr(pickle, "loads", refuse)
    monkeypatch.setattr(pickle, "Unpickler", refuse)


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """A small trained model (negative sampling + HS) saved natively, and its arrays and metadata."""
    folder = tmp_path_factory.mktemp("native")
    model = Word2Vec(SENTENCES, hs=1, **SMALL)
    path = str(folder / "model.fw2v")
    model.save(path)
    arrays, meta = load_native(path)
    return path, arrays, meta


def edited(saved, tmp_path, arrays=None, meta=None):
    """A copy of the saved model with hand edits: ``arrays(dict)`` / ``meta(dict)`` mutate in place."""
    _, original_arrays, original_meta = saved
    new_arrays = {k: np.array(v) for k, v in original_arrays.items()}
    new_meta = json.loads(json.dumps(original_meta))
    if arrays:
        arrays(new_arrays)
    if meta:
        meta(new_meta)
    path = str(tmp_path / "edited.fw2v")
    save_native(path, new_arrays, new_meta)
    return path


def cli(capsys, *args):
    """Run the CLI in-process: (exit status, the non-blank stderr lines)."""
    rc = cli_main([str(a) for a in args])
    err = capsys.readouterr().err
    return rc, [line for line in err.splitlines() if line.strip()]


def cli_error(capsys, *args, needles=()):
    rc, lines = cli(capsys, *args)
    assert rc == 2, (rc, lines)
    assert len(lines) == 1, lines
    assert "Traceback" not in lines[0]
    for needle in needles:
        assert needle.lower() in lines[0].lower(), (needle, lines[0])


def run_isolated(code, timeout=60):
    """Run ``code`` in a fresh interpreter (for calls that might crash it)."""
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=timeout, cwd=ROOT, env=env)


# =============================================================================== Python API

def test_api_01_empty_corpus():
    with raises(ValueError, "corpus is empty"):
        Word2Vec([], **SMALL)


def test_api_02_only_empty_sentences():
    with raises(ValueError, "corpus is empty"):
        Word2Vec([[], [], []], **SMALL)


def test_api_03_all_rare_corpus():
    with raises(ValueError, "min_count=5", "lower min_count"):
        Word2Vec([["a", "b"], ["c"]], **{**SMALL, "min_count": 5})


def test_api_04_int_tokens():
    with raises(TypeError, "sentence 1", "token of type int", "tokens must be str"):
        Word2Vec([["a", "b"], ["c", 7]], **SMALL)


def test_api_05_unhashable_token():
    with raises(TypeError, "sentence 0", "token of type list"):
        Word2Vec([["a", ["b"]]], **SMALL)


def test_api_06_bytes_tokens():
    with raises(TypeError, "token of type bytes"):
        Word2Vec([[b"a", b"b"]], **SMALL)


def test_api_07_none_sentence():
    with raises(TypeError, "sentence 1 is None"):
        Word2Vec([["a", "b"], None], **SMALL)


def test_api_08_string_sentence():
    with raises(TypeError, "sentence 0 is a str", ".split()"):
        Word2Vec(["the cat sat", "on the mat"], **SMALL)


def test_api_09_string_corpus():
    with raises(TypeError, "corpus_iterable is a str", "corpus_file"):
        Word2Vec("the cat sat on the mat", **SMALL)


def test_api_10_generator_corpus():
    with raises(TypeError, "restartable"):
        Word2Vec((s for s in SENTENCES), **SMALL)


def test_api_11_non_iterable_sentence():
    with raises(TypeError, "sentence 1 is not iterable", "int"):
        Word2Vec([["a"], 42], **SMALL)


def test_api_12_huge_vector_size():
    with raises(ValueError, "vector_size", "1000000000000"):
        Word2Vec(SENTENCES, **{**SMALL, "vector_size": 10 ** 12})


def test_api_13_negative_window():
    with raises(ValueError, "window", "-2"):
        Word2Vec(SENTENCES, **{**SMALL, "window": -2})


def test_api_14_huge_negative():
    with raises(ValueError, "negative", "<= 1000"):
        Word2Vec(SENTENCES, **{**SMALL, "negative": 10 ** 9})


def test_api_15_nothing_to_train():
    with raises(ValueError, "negative=0 and hs=0"):
        Word2Vec(SENTENCES, **{**SMALL, "negative": 0, "hs": 0})


def test_api_16_nan_alpha():
    with raises(ValueError, "alpha must be finite", "nan"):
        Word2Vec(SENTENCES, **{**SMALL, "alpha": float("nan")})


def test_api_17_inf_alpha():
    with raises(ValueError, "alpha must be finite", "inf"):
        Word2Vec(SENTENCES, **{**SMALL, "alpha": float("inf")})


def test_api_18_negative_alpha():
    with raises(ValueError, "alpha must be > 0"):
        Word2Vec(SENTENCES, **{**SMALL, "alpha": -0.1})


def test_api_19_nan_start_alpha_in_train():
    model = Word2Vec(SENTENCES, **SMALL)
    before = model.wv.vectors.copy()
    with raises(ValueError, "start_alpha must be finite"):
        model.train(SENTENCES, total_examples=len(SENTENCES), epochs=1, start_alpha=float("nan"))
    assert np.array_equal(model.wv.vectors, before)


def test_api_20_inf_end_alpha_in_train():
    model = Word2Vec(SENTENCES, **SMALL)
    with raises(ValueError, "end_alpha must be finite"):
        model.train(SENTENCES, total_examples=len(SENTENCES), epochs=1, end_alpha=float("inf"))


def test_api_21_bool_hyperparameter():
    with raises(TypeError, "vector_size must be an integer", "bool"):
        Word2Vec(SENTENCES, **{**SMALL, "vector_size": True})


def test_api_22_overflowing_ns_exponent():
    model = Word2Vec(**{**SMALL, "ns_exponent": 1e6})
    with raises(ValueError, "ns_exponent=1000000.0"):
        model.build_vocab(SENTENCES)
    assert model.vocab is None and len(model.wv) == 0   # nothing half-built


def test_api_23_callbacks_not_a_list():
    class Callback:
        pass
    with raises(TypeError, "callbacks must be a list", "wrap a single callback"):
        Word2Vec(SENTENCES, callbacks=Callback(), **SMALL)


def test_api_24_train_before_build_vocab():
    with raises(RuntimeError, "build the vocabulary"):
        Word2Vec(**SMALL).train(SENTENCES, total_examples=len(SENTENCES), epochs=1)


def test_api_25_train_without_total_examples():
    model = Word2Vec(**SMALL)
    model.build_vocab(SENTENCES)
    with raises(ValueError, "total_examples"):
        model.train(SENTENCES, epochs=1)


def test_api_26_non_utf8_corpus_file(tmp_path):
    path = write(tmp_path, "latin1.txt", "a b c\ncaf\u00e9 au lait\n".encode("latin-1"))
    with raises(ValueError, "latin1.txt", "line 2", "not valid UTF-8"):
        Word2Vec(corpus_file=path, **SMALL)


def test_api_27_non_utf8_line_sentence(tmp_path):
    path = write(tmp_path, "latin1.txt", b"ok line\n\xff\xfe oops\n")
    with raises(ValueError, "line 2", "not valid UTF-8"):
        Word2Vec(LineSentence(path), **SMALL)


def test_api_28_missing_corpus_file(tmp_path):
    with raises(FileNotFoundError, "nope.txt"):
        Word2Vec(corpus_file=str(tmp_path / "nope.txt"), **SMALL)


def test_api_29_train_read_only_mapped_model(saved):
    model = Word2Vec.load(saved[0], mmap="r")
    with raises(ValueError, "read-only", "mmap"):
        model.train(SENTENCES, total_examples=len(SENTENCES), epochs=1)
    assert model.wv.most_similar(model.wv.index_to_key[0], topn=1)   # still queryable


def test_api_30_diverging_learning_rate():
    model = Word2Vec(**{**SMALL, "alpha": 1e30})
    model.build_vocab(SENTENCES)
    with raises(TrainingDivergedError, "diverged", "learning rate", "alpha=1e+30"):
        model.train(SENTENCES, total_examples=len(SENTENCES), epochs=1)
    assert np.isfinite(model.wv.vectors).all()   # no NaN vectors returned (restored)


def test_api_31_zero_workers():
    with raises(ValueError, "workers", "got 0"):
        Word2Vec(SENTENCES, **{**SMALL, "workers": 0})


def test_api_32_query_unknown_word():
    model = Word2Vec(SENTENCES, **SMALL)
    with raises(KeyError, "'no-such-word'", "not present"):
        model.wv.most_similar("no-such-word")


def test_api_33_save_word_with_space(tmp_path):
    kv = KeyedVectors.from_arrays(["ok", "two words"], np.ones((2, 3), np.float32))
    path = tmp_path / "v.txt"
    with raises(ValueError, "'two words'", "contains a space"):
        kv.save_word2vec_format(str(path))
    assert not path.exists()


def test_api_34_callback_not_callable_hook():
    class Callback:
        on_epoch_end = 5   # not a method
    with raises(TypeError, "on_epoch_end", "not callable"):
        Word2Vec(SENTENCES, callbacks=[Callback()], **SMALL)


# =============================================================================== word2vec files

def load_text(path, **kwargs):
    return KeyedVectors.load_word2vec_format(path, binary=False, **kwargs)


def load_binary(path, **kwargs):
    return KeyedVectors.load_word2vec_format(path, binary=True, **kwargs)


def test_load_01_empty_file(tmp_path):
    path = write(tmp_path, "empty.txt", b"")
    with raises(VectorFileError, "empty.txt", "empty file"):
        load_text(path)


def test_load_02_non_numeric_header(tmp_path):
    path = write(tmp_path, "h.txt", b"two three\na 1 2 3\n")
    with raises(VectorFileError, "line 1", "two integers"):
        load_text(path)


def test_load_03_dimension_zero(tmp_path):
    path = write(tmp_path, "d0.bin", b"1 0\na \n")
    with raises(VectorFileError, "dimension 0"):
        load_binary(path)


def test_load_04_negative_count(tmp_path):
    path = write(tmp_path, "neg.txt", b"-2 3\n")
    with raises(VectorFileError, "negative number of vectors"):
        load_text(path)


def test_load_05_text_truncated(tmp_path):
    path = write(tmp_path, "t.txt", b"3 2\na 1 2\nb 3 4\n")
    with raises(VectorFileError, "line 4", "file ends after 2 of the 3 vectors"):
        load_text(path)


def test_load_06_binary_truncated_in_a_vector(tmp_path):
    path = write(tmp_path, "t.bin", b"2 3\na " + f32(1, 2, 3) + b"b " + f32(4, 5)[:6])
    with raises(VectorFileError, "byte 20", "file ends inside the vector of word 'b'"):
        load_binary(path)


def test_load_07_row_with_wrong_length(tmp_path):
    path = write(tmp_path, "w.txt", b"2 3\na 1 2 3\nb 1 2\n")
    with raises(VectorFileError, "line 3", "expected a word and 3 values, found 2"):
        load_text(path)


def test_load_08_non_numeric_value(tmp_path):
    path = write(tmp_path, "x.txt", b"1 2\na 1 x\n")
    with raises(VectorFileError, "line 2", "b'x'", "not a number"):
        load_text(path)


def test_load_09_nan_in_text(tmp_path):
    path = write(tmp_path, "nan.txt", b"2 2\na 1 2\nb nan 1\n")
    with raises(VectorFileError, "line 3", "word 'b'", "NaN or infinity"):
        load_text(path)


def test_load_10_inf_in_binary(tmp_path):
    path = write(tmp_path, "inf.bin", b"1 2\na " + f32(1, np.inf))
    with raises(VectorFileError, "word 'a'", "NaN or infinity"):
        load_binary(path)


def test_load_11_junk_after_last_text_row(tmp_path):
    path = write(tmp_path, "j.txt", b"1 2\na 1 2\nsurprise 3 4\n")
    with raises(VectorFileError, "line 3", "unexpected data after the last of the 1 vectors"):
        load_text(path)


def test_load_12_junk_after_last_binary_row(tmp_path):
    path = write(tmp_path, "j.bin", b"1 2\na " + f32(1, 2) + b"\nGARBAGE")
    with raises(VectorFileError, "byte 15", "unexpected data after the last"):
        load_binary(path)


def test_load_13_count_larger_than_rows_binary(tmp_path):
    path = write(tmp_path, "c.bin", b"3 2\na " + f32(1, 2) + b"b " + f32(3, 4))
    with raises(VectorFileError, "file ends where word 3 of the 3"):
        load_binary(path)


def test_load_14_non_utf8_word(tmp_path):
    path = write(tmp_path, "u.txt", b"1 2\ncaf\xe9 1 2\n")
    with raises(VectorFileError, "line 2", "not valid utf8", "unicode_errors"):
        load_text(path)


def test_load_15_truncated_gzip(tmp_path):
    import gzip
    data = gzip.compress(b"2 2\na 1 2\nb 3 4\n")
    path = write(tmp_path, "v.txt.gz", data[: len(data) // 2])
    with raises(VectorFileError, "v.txt.gz", "corrupt or truncated compressed data"):
        load_text(path)


def test_load_16_value_overflows_float32(tmp_path):
    path = write(tmp_path, "big.txt", b"1 2\na 1e39 1\n")
    with raises(VectorFileError, "word 'a'", "too large for float32"):
        load_text(path)


def test_load_17_pickle_given_as_word2vec_file(tmp_path, no_unpickling):
    marker = tmp_path / "ran"
    path = write(tmp_path, "model.bin", pickle.dumps(Payload(str(marker))))
    for loader in (load_text, load_binary):
        with pytest.raises(VectorFileError):
            loader(path)
    assert not marker.exists()


# =============================================================================== native files

def test_nat_01_pickle_to_word2vec_load(tmp_path, no_unpickling):
    marker = tmp_path / "ran"
    path = write(tmp_path, "gensim.model", pickle.dumps(Payload(str(marker))))
    with raises(VectorFileError, "pickle", "never unpickles"):
        Word2Vec.load(path)
    assert not marker.exists()


def test_nat_02_pickle_to_keyedvectors_load(tmp_path, no_unpickling):
    marker = tmp_path / "ran"
    path = write(tmp_path, "gensim.kv", pickle.dumps(Payload(str(marker))))
    with raises(VectorFileError, "pickle", "never unpickles"):
        KeyedVectors.load(path)
    assert not marker.exists()


def test_nat_03_object_array_member(saved, tmp_path, no_unpickling):
    """A .npy member holding a pickled object array, declared as such in meta.json."""
    import io
    marker = tmp_path / "ran"
    buffer = io.BytesIO()   # (pickle.dump, used to write the payload, is not blocked)
    np.save(buffer, np.array([Payload(str(marker))], dtype=object), allow_pickle=True)
    src = saved[0]
    path = str(tmp_path / "planted.fw2v")
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(path, "w") as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename == "meta.json":
                document = json.loads(data)
                document["arrays"]["syn1"] = {"dtype": "|O", "shape": [1]}
                data = json.dumps(document).encode()
            elif info.filename == "syn1.npy":
                data = buffer.getvalue()
            zout.writestr(info.filename, data)
    for load in (Word2Vec.load, KeyedVectors.load):
        with raises(VectorFileError, "refusing non-numeric", "never unpickles"):
            load(path)
    assert not marker.exists()


def test_nat_04_truncated_native_file(saved, tmp_path):
    data = open(saved[0], "rb").read()
    path = write(tmp_path, "cut.fw2v", data[: len(data) // 2])
    with raises(VectorFileError, "cut.fw2v", "corrupt or truncated"):
        Word2Vec.load(path)


def test_nat_05_undeclared_member(saved, tmp_path):
    path = str(tmp_path / "extra.fw2v")
    with zipfile.ZipFile(saved[0]) as zin, zipfile.ZipFile(path, "w") as zout:
        for info in zin.infolist():
            zout.writestr(info.filename, zin.read(info.filename))
        zout.writestr("payload.pkl", b"\x80\x04junk")
    with raises(VectorFileError, "unexpected member", "payload.pkl"):
        Word2Vec.load(path)


def test_nat_06_edited_vector_size(saved, tmp_path):
    path = edited(saved, tmp_path, meta=lambda m: m["params"].update(vector_size=9))
    with raises(VectorFileError, "vectors is a float32 array of shape", ", 9)"):
        Word2Vec.load(path)


def test_nat_07_edited_output_weights(saved, tmp_path):
    path = edited(saved, tmp_path, arrays=lambda a: a.update(syn1neg=a["syn1neg"][:-1]))
    with raises(VectorFileError, "syn1neg"):
        Word2Vec.load(path)


def test_nat_08_nan_in_model_vectors(saved, tmp_path):
    path = edited(saved, tmp_path, arrays=lambda a: a["vectors"].__setitem__((3, 1), np.nan))
    with raises(VectorFileError, "vectors row 3", "NaN or infinity"):
        Word2Vec.load(path)
    with raises(VectorFileError, "vectors row 3"):
        KeyedVectors.load(path)


def test_nat_09_nan_in_keyedvectors_file(tmp_path):
    kv = KeyedVectors.from_arrays(["a", "b"], np.ones((2, 2), np.float32))
    path = str(tmp_path / "kv.fw2v")
    kv.save(path)
    arrays, meta = load_native(path)
    arrays = {k: np.array(v) for k, v in arrays.items()}
    arrays["vectors"][1, 0] = np.inf
    save_native(path, arrays, meta)
    with raises(VectorFileError, "row 1", "word 'b'", "NaN or infinity"):
        KeyedVectors.load(path)


def test_nat_10_planted_constructor_argument(saved, tmp_path):
    """A planted "corpus_file" would make load() train on (read) any file: refused."""
    victim = write(tmp_path, "private.txt", b"secret words here\n" * 10)
    path = edited(saved, tmp_path, meta=lambda m: m["params"].update(corpus_file=victim))
    with raises(VectorFileError, "unknown parameter", "corpus_file"):
        Word2Vec.load(path)


def test_nat_11_bad_rng_states(saved, tmp_path):
    path = edited(saved, tmp_path, meta=lambda m: m["state"].update(rng_states=[0]))
    with raises(VectorFileError, "rng_states"):
        Word2Vec.load(path)


def test_nat_12_state_of_wrong_type(saved, tmp_path):
    path = edited(saved, tmp_path, meta=lambda m: m["state"].update(epochs_trained="many"))
    with raises(VectorFileError, "epochs_trained", "integer"):
        Word2Vec.load(path)


def test_nat_13_negative_counts(saved, tmp_path):
    path = edited(saved, tmp_path, arrays=lambda a: a["counts"].__setitem__(0, -4))
    with raises(VectorFileError, "counts must be non-negative"):
        Word2Vec.load(path)


def test_nat_14_key_offsets_past_the_end(tmp_path):
    kv = KeyedVectors.from_arrays(["a", "b"], np.ones((2, 2), np.float32))
    path = str(tmp_path / "kv.fw2v")
    kv.save(path)
    arrays, meta = load_native(path)
    arrays = dict(arrays, keys_offsets=np.array([0, 1, 99], np.int64))
    save_native(path, arrays, meta)
    with raises(VectorFileError, "keys_offsets"):
        KeyedVectors.load(path)


def test_nat_15_meta_json_not_json(saved, tmp_path):
    path = str(tmp_path / "badjson.fw2v")
    with zipfile.ZipFile(saved[0]) as zin, zipfile.ZipFile(path, "w") as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            zout.writestr(info.filename, b"{not json" if info.filename == "meta.json" else data)
    with raises(VectorFileError, "meta.json is not valid JSON"):
        Word2Vec.load(path)


def test_nat_16_keyedvectors_file_as_model(tmp_path):
    path = str(tmp_path / "kv.fw2v")
    KeyedVectors.from_arrays(["a"], np.ones((1, 2), np.float32)).save(path)
    with raises(VectorFileError, "not a fastw2v Word2Vec model", "KeyedVectors.load"):
        Word2Vec.load(path)


def test_nat_17_member_declared_float_holds_other_dtype(saved, tmp_path):
    """The manifest says float32 but the member is float64 (a hand-replaced array)."""
    import io
    buffer = io.BytesIO()
    np.save(buffer, np.array(saved[1]["vectors"], dtype=np.float64))
    path = str(tmp_path / "swapped.fw2v")
    with zipfile.ZipFile(saved[0]) as zin, zipfile.ZipFile(path, "w") as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            zout.writestr(info.filename, buffer.getvalue() if info.filename == "vectors.npy" else data)
    with raises(VectorFileError, "vectors.npy", "meta.json declares"):
        Word2Vec.load(path)


def test_nat_18_manifest_declaring_an_enormous_array(tmp_path):
    """meta.json and the .npy header agree on a 4 TiB array that the file does not hold: refused
    before anything is allocated (it used to raise MemoryError after trying to reserve 4 TiB)."""
    import io
    path = str(tmp_path / "kv.fw2v")
    KeyedVectors.from_arrays(["a", "b"], np.ones((2, 2), np.float32)).save(path)
    shape = [2 ** 20, 2 ** 20]
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "<f4", "fortran_order": False,
                                                  "shape": tuple(shape)})
    bad = str(tmp_path / "huge.fw2v")
    with zipfile.ZipFile(path) as zin, zipfile.ZipFile(bad, "w") as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename == "meta.json":
                document = json.loads(data)
                document["arrays"]["vectors"]["shape"] = shape
                data = json.dumps(document).encode()
            elif info.filename == "vectors.npy":
                data = header.getvalue() + bytes(64)
            zout.writestr(info.filename, data)
    for mmap in (None, "r"):
        with raises(VectorFileError, "vectors.npy", "4398046511104"):
            KeyedVectors.load(bad, mmap=mmap)


def test_nat_19_damaged_zip_header_fields(saved, tmp_path):
    """Bytes that make zipfile raise NotImplementedError (an unknown "version needed" or
    compression method) or seek before the file start (OSError): VectorFileError, found by fuzzing."""
    data = bytearray(open(saved[0], "rb").read())
    central = data.rindex(b"PK\x01\x02")          # the last central-directory entry
    damaged = bytearray(data)
    damaged[central + 6] = 81                        # "version needed to extract": 8.1
    path = write(tmp_path, "version.fw2v", bytes(damaged))
    with raises(VectorFileError, "version.fw2v", "corrupt"):
        Word2Vec.load(path)
    damaged = bytearray(data)
    damaged[central + 10] = 99                       # compression method 99 (AES)
    path = write(tmp_path, "method.fw2v", bytes(damaged))
    with raises(VectorFileError, "method.fw2v"):
        Word2Vec.load(path)


# =============================================================================== command line

@pytest.fixture
def corpus(tmp_path):
    return write(tmp_path, "corpus.txt", ("\n".join(" ".join(s) for s in SENTENCES) + "\n").encode())


TRAIN = ("--quiet", "--vector-size", 8, "--min-count", 1, "--epochs", 1, "--workers", 1)


def test_cli_01_train_empty_corpus(capsys, tmp_path):
    empty = write(tmp_path, "empty.txt", b"")
    cli_error(capsys, "train", empty, "-o", tmp_path / "v.bin", *TRAIN, needles=["corpus is empty"])


def test_cli_02_train_non_utf8_corpus(capsys, tmp_path):
    latin = write(tmp_path, "latin.txt", b"a b\ncaf\xe9 c\n")
    cli_error(capsys, "train", latin, "-o", tmp_path / "v.bin", *TRAIN,
              needles=["latin.txt", "line 2", "not valid UTF-8"])


def test_cli_03_train_nan_alpha(capsys, tmp_path, corpus):
    cli_error(capsys, "train", corpus, "-o", tmp_path / "v.bin", *TRAIN, "--alpha", "nan",
              needles=["alpha must be finite"])


def test_cli_04_train_diverging_alpha(capsys, tmp_path, corpus):
    out = tmp_path / "v.bin"
    cli_error(capsys, "train", corpus, "-o", out, *TRAIN, "--alpha", "1e30",
              needles=["diverged", "learning rate"])
    assert not out.exists()


def test_cli_05_train_negative_window(capsys, tmp_path, corpus):
    cli_error(capsys, "train", corpus, "-o", tmp_path / "v.bin", *TRAIN, "--window", -1,
              needles=["window must be"])


def test_cli_06_train_non_integer_option(capsys, tmp_path, corpus):
    cli_error(capsys, "train", corpus, "-o", tmp_path / "v.bin", "--vector-size", "abc",
              needles=["--vector-size", "invalid int value"])


def test_cli_07_word2vec_c_non_integer_size(capsys, tmp_path, corpus):
    cli_error(capsys, "-train", corpus, "-output", tmp_path / "v.bin", "-size", "abc",
              needles=["-size needs an integer"])


def test_cli_08_word2vec_c_non_numeric_alpha(capsys, tmp_path, corpus):
    cli_error(capsys, "-train", corpus, "-output", tmp_path / "v.bin", "-alpha", "fast",
              needles=["-alpha needs a number", "'fast'"])


def test_cli_09_word2vec_c_zero_threads(capsys, tmp_path, corpus):
    cli_error(capsys, "-train", corpus, "-output", tmp_path / "v.bin", "-threads", "0",
              "-min-count", "1", "-debug", "0", needles=["-threads must be at least 1"])


def test_cli_10_query_truncated_vector_file(capsys, tmp_path):
    path = write(tmp_path, "cut.txt", b"3 2\na 1 2\nb 1\n")
    cli_error(capsys, "similar", "a", "-m", path, needles=["cut.txt", "line 3", "expected a word"])


def test_cli_11_query_pickle_file(capsys, tmp_path, no_unpickling):
    marker = tmp_path / "ran"
    path = write(tmp_path, "gensim.model", pickle.dumps(Payload(str(marker))))
    cli_error(capsys, "similar", "a", "-m", path, needles=["pickle", "never unpickles"])
    assert not marker.exists()


def test_cli_12_convert_zero_dimension_file(capsys, tmp_path):
    path = write(tmp_path, "zero.txt", b"1 0\na\n")
    cli_error(capsys, "convert", path, tmp_path / "out.bin", needles=["dimension 0"])


def test_cli_13_output_folder_missing(capsys, tmp_path, corpus):
    cli_error(capsys, "train", corpus, "-o", tmp_path / "nowhere" / "v.bin", *TRAIN,
              needles=["does not exist"])


def test_cli_14_input_missing(capsys, tmp_path):
    cli_error(capsys, "train", tmp_path / "missing.txt", "-o", tmp_path / "v.bin", *TRAIN,
              needles=["no such file", "missing.txt"])


def test_cli_15_process_exit_status_for_a_nan_file(tmp_path):
    """The real process, not main(): exit status 2 and one stderr line, no traceback."""
    path = write(tmp_path, "nan.txt", b"1 2\na nan 1\n")
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    result = subprocess.run([sys.executable, "-m", "fastw2v", "similar", "a", "-m", path],
                            capture_output=True, text=True, timeout=120, cwd=ROOT, env=env)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.returncode == 2, result.stderr
    assert len(lines) == 1 and "NaN or infinity" in lines[0], result.stderr


def test_cli_16_word2vec_c_missing_output(capsys, corpus):
    cli_error(capsys, "-train", corpus, needles=["-output FILE"])


def test_cli_17_word2vec_c_bad_vocab_file(capsys, tmp_path, corpus):
    vocab = write(tmp_path, "vocab.txt", b"a 3\nb many\n")
    cli_error(capsys, "-train", corpus, "-output", tmp_path / "v.bin", "-read-vocab", vocab,
              needles=["vocab.txt", "line 2", "not an integer"])


def test_cli_18_out_of_memory(capsys, tmp_path, corpus, monkeypatch):
    def exhausted(*args, **kwargs):
        raise MemoryError
    monkeypatch.setattr(Word2Vec, "build_vocab", exhausted)
    cli_error(capsys, "train", corpus, "-o", tmp_path / "v.bin", *TRAIN,
              needles=["out of memory", "--vector-size"])


# =============================================================================== kernels

V, D = 6, 4


def _kernel_builds():
    """Every build of the kernels this machine can import: the portable one and, on x86-64, the
    AVX2 one the trainer prefers (fastw2v.kernels); both must validate the same way."""
    import importlib
    builds = [_core]
    try:
        builds.append(importlib.import_module("fastw2v._core_avx2"))
    except ImportError:
        pass
    return builds


@pytest.fixture(params=_kernel_builds(), ids=lambda m: m.__name__.rsplit(".", 1)[-1])
def core(request):
    return request.param


def weights(rows=V, dim=D):
    return np.random.default_rng(0).normal(scale=0.1, size=(rows, dim)).astype(np.float32)


def config(core, **overrides):
    counts = np.arange(V, 0, -1)
    sampler = core.AliasSampler(counts)
    codes, points, offsets = core.build_huffman(counts)
    args = dict(W_in=weights(), W_out=weights(), W_hs=weights(V - 1),
                keep_threshold=np.full(V, 0xFFFFFFFF, np.uint32),
                alias_threshold=np.array(sampler.threshold), alias_index=np.array(sampler.alias),
                hs_codes=codes, hs_points=points, hs_offsets=offsets)
    args.update(overrides)
    return core.TrainConfig(*args.values(), sg=1, negative=3, hs=1, window=2)


def test_ker_01_sgns_step_input_word_out_of_range(core):
    W_in, W_out = weights(), weights()
    before = W_in.copy()
    with raises(ValueError, "input_word", str(V)):
        core.sgns_step(W_in, W_out, V, 1, [2], 0.1)
    with raises(ValueError, "input_word"):
        core.sgns_step(W_in, W_out, -1, 1, [2], 0.1)
    assert np.array_equal(W_in, before)


def test_ker_02_sgns_step_negatives_out_of_range(core):
    with raises(ValueError, "negatives", f"[0, {V})"):
        core.sgns_step(weights(), weights(), 0, 1, [2, V + 100], 0.1)


def test_ker_03_sgns_step_mismatched_shapes(core):
    with raises(ValueError, "W_out", "dimension"):
        core.sgns_step(weights(), weights(dim=D + 1), 0, 1, [2], 0.1)
    with raises(ValueError, "W_in", "2-D"):
        core.sgns_step(np.zeros(V, np.float32), weights(), 0, 1, [2], 0.1)


def test_ker_04_cbow_step_context_out_of_range(core):
    with raises(ValueError, "context_words"):
        core.cbow_step(weights(), weights(), [0, 1, V], 2, [3], 0.1)
    with raises(TypeError, "context_words", "integer"):
        core.cbow_step(weights(), weights(), np.array([0.5]), 2, [3], 0.1)


def test_ker_05_hs_step_path_out_of_range(core):
    with raises(ValueError, "points"):
        core.hs_step(weights(), weights(V - 1), 0, [0, 1], [0, V - 1], 0.1)
    with raises(ValueError, "points must have the length of codes"):
        core.hs_step(weights(), weights(V - 1), 0, [0, 1], [0], 0.1)
    with raises(ValueError, "codes"):
        core.hs_step(weights(), weights(V - 1), 0, [2], [0], 0.1)


def test_ker_06_train_batch_token_ids_out_of_range(core):
    cfg = config(core)
    before = cfg.W_in.copy()
    for bad in (V, -1, 2 ** 31 - 1):
        with raises(ValueError, "tokens", f"[0, {V})"):
            core.train_batch(cfg, core.Rng(1), np.array([0, 1, bad], np.int32),
                              np.array([0, 3], np.int64), 0.1, 0.1)
    assert np.array_equal(cfg.W_in, before)


def test_ker_07_train_batch_bad_offsets(core):
    cfg = config(core)
    tokens = np.array([0, 1, 2, 3], np.int32)
    for offsets in ([0, 3, 2, 4], [0, 5], [1, 4], [0, 2], []):
        with raises(ValueError, "offsets"):
            core.train_batch(cfg, core.Rng(1), tokens, np.array(offsets, np.int64), 0.1, 0.1)


def test_ker_08_train_batch_wrong_dtypes_and_shapes(core):
    cfg = config(core)
    with raises(TypeError, "tokens", "int32"):
        core.train_batch(cfg, core.Rng(1), np.array([0, 1], np.int64), np.array([0, 2]), 0.1, 0.1)
    with raises(ValueError, "tokens", "1-D"):
        core.train_batch(cfg, core.Rng(1), np.zeros((1, 2), np.int32), np.array([0, 2]), 0.1, 0.1)
    with raises(TypeError, "offsets", "int64"):
        core.train_batch(cfg, core.Rng(1), np.array([0, 1], np.int32),
                          np.array([0, 2], np.int32), 0.1, 0.1)
    with raises(ValueError, "alpha_start", "finite"):
        core.train_batch(cfg, core.Rng(1), np.array([0, 1], np.int32), np.array([0, 2]),
                          float("nan"), 0.1)
    with raises(TypeError, "config"):
        core.train_batch(None, core.Rng(1), np.array([0], np.int32), np.array([0, 1]), 0.1, 0.1)


def test_ker_09_train_config_wrong_weight_shapes(core):
    with raises(ValueError, "W_out", "shape"):
        config(core, W_out=weights(V - 1))
    with raises(ValueError, "W_hs", "shape"):
        config(core, W_hs=weights(V))
    with raises(ValueError, "keep_threshold", "length"):
        config(core, keep_threshold=np.zeros(V - 1, np.uint32))
    with raises(ValueError, "W_in", "writable"):
        ro = weights()
        ro.flags.writeable = False
        config(core, W_in=ro)


def test_ker_10_train_config_alias_ids_out_of_range(core):
    with raises(ValueError, "alias_index", f"[0, {V})"):
        config(core, alias_index=np.array([0, 1, 2, 3, 4, V], np.int32))
    with raises(TypeError, "alias_threshold", "uint32"):
        config(core, alias_threshold=np.zeros(V, np.int64))


def test_ker_11_train_config_huffman_out_of_range(core):
    _, points, offsets = core.build_huffman(np.arange(V, 0, -1))
    bad_points = points.copy()
    bad_points[0] = V - 1
    with raises(ValueError, "hs_points"):
        config(core, hs_points=bad_points)
    bad_offsets = offsets.copy()
    bad_offsets[-1] += 1
    with raises(ValueError, "hs_offsets"):
        config(core, hs_offsets=bad_offsets)


def test_ker_12_embedding_forward_ids_out_of_range(core):
    with raises(ValueError, "idx", f"[0, {V})"):
        core.embedding_forward(weights(), np.array([[0, V]]))
    with raises(TypeError, "idx", "integer"):
        core.embedding_forward(weights(), np.array([0.0]))


def test_ker_13_embedding_backward_wrong_shapes(core):
    with raises(ValueError, "dout", "shape"):
        core.embedding_backward(np.zeros((V, D), np.float32), [0, 1], np.zeros((2, D + 1)))
    with raises(ValueError, "idx"):
        core.embedding_backward(np.zeros((V, D), np.float32), [0, -1], np.zeros((2, D)))


def test_ker_14_alias_sampler_bad_counts_and_power(core):
    with raises(ValueError, "power", "finite"):
        core.AliasSampler([1, 2, 3], power=float("nan"))
    with raises(ValueError, "counts"):
        core.AliasSampler([1, -2, 3])
    with raises(ValueError, "n"):
        core.AliasSampler([1, 2, 3]).sample(-1)


def test_ker_15_rng_below_out_of_range(core):
    with raises(ValueError, "n"):
        core.Rng(1).below(0)
    with raises(ValueError, "n"):
        core.Rng(1).below(2 ** 32 + 1)


def test_ker_16_build_huffman_bad_counts(core):
    with raises(ValueError, "counts", "1-D"):
        core.build_huffman(np.ones((2, 2), np.int64))
    with raises(ValueError, "non-negative"):
        core.build_huffman(np.array([3, -1]))
    with raises(TypeError, "integer"):
        core.build_huffman(np.array([1.5, 2.0]))


def test_ker_17_dot32_length_mismatch(core):
    with raises(ValueError, "b", "length"):
        core.dot32(np.ones(4, np.float32), np.ones(5, np.float32))


def test_ker_18_step_functions_refuse_non_contiguous_weights(core):
    with raises(ValueError, "W_in", "C-contiguous"):
        core.sgns_step(np.asfortranarray(weights()), weights(), 0, 1, [2], 0.1)


def test_ker_19_encode_sentences_without_a_vocabulary():
    code = ("from fastw2v import _text\n"
            "for fn in (_text.encode_sentences, _text.encode_block):\n"
            "    try:\n        fn(None, b'a b\\n')\n"
            "    except TypeError as e:\n        print('TypeError', e)\n")
    result = run_isolated(code)
    assert result.returncode == 0, f"interpreter crashed (status {result.returncode})"
    assert result.stdout.count("TypeError") == 2


def test_ker_20_uninitialised_alias_sampler():
    names = [m.__name__ for m in _kernel_builds()]
    code = ("import importlib\n"
            f"for name in {names!r}:\n"
            "    core = importlib.import_module(name)\n"
            "    s = core.AliasSampler.__new__(core.AliasSampler)\n"
            "    try:\n        s.sample(3)\n"
            "    except (RuntimeError, ValueError) as e:\n        print('refused', name, e)\n")
    result = run_isolated(code)
    assert result.returncode == 0, f"interpreter crashed (status {result.returncode})"
    assert result.stdout.count("refused") == len(names)


def test_ker_21_word_counter_shared_by_two_threads():
    code = ("import threading\n"
            "from fastw2v import _text\n"
            "wc, errors, R = _text.WordCounter(), [], 12\n"
            "def go(k):\n"
            "    try:\n"
            "        for r in range(R):\n"
            "            block = ' '.join(f'w{k}_{r}_{i}' for i in range(20000)) + '\\n'\n"
            "            wc.count_block(block.encode())\n"
            "    except RuntimeError as e:\n"
            "        errors.append(e)\n"
            "ts = [threading.Thread(target=go, args=(k,)) for k in range(4)]\n"
            "[t.start() for t in ts]; [t.join() for t in ts]\n"
            "items = wc.items()\n"
            "consistent = len(items) == len(wc) == sum(c for _, c in items) == len(dict(items))\n"
            "complete = len(items) == 4 * R * 20000\n"
            "print('ok' if consistent and (complete or errors) else 'corrupt')\n")
    result = run_isolated(code)
    assert result.returncode == 0, f"interpreter crashed (status {result.returncode})"
    assert result.stdout.strip() == "ok"


def test_ker_22_vocab_hash_non_string_word():
    """Regression: a non-str word used to be encoded with bytes(w), so the int 5 became the word
    b'\\x00' * 5 (and 10**12 tried to allocate a terabyte)."""
    with raises(TypeError, "word"):
        _text.VocabHash(["a", 5])


def test_ker_23_encode_sentences_bad_sentence_length():
    with raises(ValueError, "max_sentence_length"):
        _text.encode_sentences(_text.VocabHash(["a"]), b"a a\n", 0)
    with raises(ValueError, "max_sentence_length"):
        _text.WordCounter().count_block(b"a a\n", -1)


def test_ker_24_vocab_hash_duplicate_word():
    with raises(ValueError, "duplicate word", "index 2"):
        _text.VocabHash(["a", "b", "a"])


# =============================================================================== the table

def _documented_rows():
    rows = []
    with open(DOC, encoding="utf-8") as f:
        for line in f:
            match = re.match(r"^\|\s*(\w+-\d+)\s*\|.*\|\s*`(test_\w+)`\s*\|\s*$", line)
            if match:
                rows.append(match.groups())
    return rows


def test_catalogue_matches_the_docs():
    documented = _documented_rows()
    assert len(documented) >= 30
    module = sys.modules[__name__]
    tests = {name for name, fn in inspect.getmembers(module, inspect.isfunction)
             if re.match(r"test_(api|load|nat|cli|ker)_\d+_", name)}
    named = {test for _, test in documented}
    assert named == tests, (sorted(named - tests), sorted(tests - named))
    for row_id, test in documented:
        prefix, number = row_id.split("-")
        assert test.startswith(f"test_{prefix}_{number}_"), (row_id, test)
    assert len({row_id for row_id, _ in documented}) == len(documented)
