"""Hostile and lying files (issue 18, items 1, 2, 3, 6, 7; issue 16's exception types).

Each class is tested as a class: headers that lie (word counts of 10^12 or beyond int64,
dimensions of 10^9, in text and binary, plain and gzip), native files that lie (negative counts,
deep JSON, members that inflate past what their shapes need), readers whose memory a single long
line or row must not blow up (measured with tracemalloc in-process, or as the peak RSS of a
subprocess), NaN judgements in evaluation files, and command-line output paths checked before any
work starts. Every error is a ``VectorFileError`` naming the file.
"""
import gzip
import io
import json
import logging
import os
import pickle
import struct
import subprocess
import sys
import tracemalloc
import zipfile

import numpy as np
import pytest

from fastw2v import KeyedVectors, Word2Vec
from fastw2v import corpus as corpus_module
from fastw2v import io as io_module
from fastw2v.cli import main as cli_main
from fastw2v.corpus import LineSentence
from fastw2v.io import VectorFileError, load_native, save_native

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ROW4 = np.arange(1, 5, dtype="<f4").tobytes()


def write(tmp_path, name, data, compress=False):
    path = tmp_path / (name + (".gz" if compress else ""))
    path.write_bytes(gzip.compress(data) if compress else data)
    return str(path)


def peak_traced(fn):
    """(result or exception, peak bytes allocated through Python and NumPy while running fn)."""
    tracemalloc.start()
    try:
        try:
            outcome = fn()
        except Exception as exc:   # returned for the caller to check
            outcome = exc
        return outcome, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


# =============================================================================== 1. lying headers

LYING_HEADERS = {
    "binary-10^12-words": (b"1000000000000 4\n" + b"w " + ROW4, True),
    "binary-dim-10^9": (b"1 1000000000\n" + b"w " + ROW4, True),
    "binary-count-beyond-int64": (b"%d 4\n" % 2 ** 70 + b"w " + ROW4, True),
    "binary-dim-beyond-int64": (b"1 %d\n" % 2 ** 70 + b"w " + ROW4, True),
    "text-10^12-words": (b"1000000000000 4\nw 1 2 3 4\n", False),
    "text-dim-10^9": (b"1 1000000000\nw 1 2 3 4\n", False),
    "text-count-beyond-int64": (b"%d 4\nw 1 2 3 4\n" % 2 ** 70, False),
    "text-dim-beyond-int64": (b"1 %d\nw 1 2 3 4\n" % 2 ** 70, False),
}


@pytest.mark.parametrize("compress", [False, True], ids=["plain", "gzip"])
@pytest.mark.parametrize("case", sorted(LYING_HEADERS))
def test_a_header_that_lies_is_a_named_error_before_any_large_allocation(tmp_path, case, compress):
    data, binary = LYING_HEADERS[case]
    path = write(tmp_path, "lies.bin" if binary else "lies.txt", data, compress)
    outcome, peak = peak_traced(lambda: KeyedVectors.load_word2vec_format(path, binary=binary))
    assert isinstance(outcome, VectorFileError), repr(outcome)
    assert path in str(outcome)
    assert peak < (4 << 20), f"{peak} bytes allocated for a {len(data)}-byte file"


def test_a_header_whose_rows_fit_is_read_with_one_allocation(tmp_path):
    """The honest case keeps its single allocation: the file's size shows the rows fit."""
    kv = KeyedVectors.from_arrays([f"w{i}" for i in range(300)],
                                  np.random.default_rng(0).random((300, 50), dtype=np.float32))
    for binary in (False, True):
        path = str(tmp_path / f"v{int(binary)}")
        kv.save_word2vec_format(path, binary=binary)
        back = KeyedVectors.load_word2vec_format(path, binary=binary)
        assert np.array_equal(back.vectors, kv.vectors) and back.index_to_key == kv.index_to_key


def test_rows_grow_as_they_arrive_in_a_compressed_file(tmp_path):
    """A .gz file's size says nothing: rows are allocated as they arrive, and a file holding more
    rows than one growth step still loads completely and exactly."""
    rng = np.random.default_rng(1)
    kv = KeyedVectors.from_arrays([f"w{i}" for i in range(5000)],
                                  rng.random((5000, 8), dtype=np.float32))
    for binary in (False, True):
        path = str(tmp_path / f"v{int(binary)}.gz")
        kv.save_word2vec_format(path, binary=binary)
        back = KeyedVectors.load_word2vec_format(path, binary=binary)
        assert np.array_equal(back.vectors, kv.vectors) and len(back) == 5000


def test_cli_on_a_lying_header_reports_the_file_not_training_advice(capsys, tmp_path):
    path = write(tmp_path, "lies.bin", b"1000000000000 4\nw " + ROW4)
    assert cli_main(["similar", "w", "-m", path]) == 2
    err = capsys.readouterr().err
    assert path in err and "out of memory" not in err and "--vector-size" not in err, err


def test_cli_out_of_memory_while_loading_is_not_training_advice(capsys, tmp_path, monkeypatch):
    path = write(tmp_path, "big.txt", b"1 2\nw 1 2\n")

    def exhausted(*args, **kwargs):
        raise MemoryError
    monkeypatch.setattr(KeyedVectors, "load_word2vec_format", exhausted)
    assert cli_main(["similar", "w", "-m", path]) == 2
    err = capsys.readouterr().err.strip()
    assert "out of memory while loading" in err and path in err and "--vector-size" not in err, err


# =============================================================================== 2. native files

@pytest.fixture(scope="module")
def model_file(tmp_path_factory):
    sentences = [["a", "b", "c", "a"], ["b", "c", "d"]] * 20
    model = Word2Vec(sentences, vector_size=4, min_count=1, epochs=1, workers=1, seed=1)
    path = str(tmp_path_factory.mktemp("native") / "model.fw2v")
    model.save(path)
    return path


def _resave(src, dst, edit):
    arrays, meta = load_native(src)
    arrays = dict(arrays)
    edit(arrays, meta)
    save_native(dst, arrays, meta)
    return dst


def test_both_native_loaders_refuse_negative_counts(model_file, tmp_path):
    def negative(arrays, meta):
        arrays["counts"] = arrays["counts"].copy()
        arrays["counts"][1] = -7
    path = _resave(model_file, str(tmp_path / "neg.fw2v"), negative)
    for load in (Word2Vec.load, KeyedVectors.load):
        with pytest.raises(VectorFileError, match="non-negative") as info:
            load(path)
        assert path in str(info.value)
    kv = KeyedVectors.load(model_file)
    kv_path = str(tmp_path / "kv.fw2v")
    kv.save(kv_path)

    def negative_expando(arrays, meta):
        arrays["expando.count"] = -np.abs(arrays["expando.count"]) - 1
    path = _resave(kv_path, str(tmp_path / "kvneg.fw2v"), negative_expando)
    with pytest.raises(VectorFileError, match="non-negative"):
        KeyedVectors.load(path)


def _zip(path, members, compression=zipfile.ZIP_STORED):
    with zipfile.ZipFile(path, "w", compression=compression) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return str(path)


def _meta(arrays=None, meta=None):
    return json.dumps({"container": "fastw2v-native", "container_version": 1,
                       "arrays": arrays or {}, "meta": meta or {}})


def test_deeply_nested_metadata_is_a_vector_file_error(tmp_path):
    deep = '{"container": "fastw2v-native", "container_version": 1, "arrays": {}, "meta": ' \
        + "[" * 200_000 + "]" * 200_000 + "}"
    path = _zip(tmp_path / "deep.fw2v", {"meta.json": deep})
    for load in (load_native, KeyedVectors.load, Word2Vec.load):
        with pytest.raises(VectorFileError, match="nested too deeply") as info:
            load(path)
        assert path in str(info.value)


def _npy_v2_header_bomb(header_bytes):
    """A .npy 2.0 member for a float32 (4,) array whose header claims ``header_bytes`` bytes."""
    head = b"{'descr': '<f4', 'fortran_order': False, 'shape': (4,), }"
    head = head + b" " * (header_bytes - len(head) - 1) + b"\n"
    return b"\x93NUMPY\x02\x00" + struct.pack("<I", len(head)) + head + ROW4


@pytest.mark.parametrize("bomb", ["meta.json", "npy-header", "npy-data"])
def test_a_deflated_member_never_inflates_past_what_its_shapes_need(tmp_path, bomb):
    size = 32 << 20   # inflates to 32 MiB; the file is about 32 KiB
    arrays = {"x": {"dtype": "<f4", "shape": [4]}}
    npy = b"\x93NUMPY\x01\x00" + struct.pack("<H", 118) + \
        b"{'descr': '<f4', 'fortran_order': False, 'shape': (4,), }".ljust(117) + b"\n" + ROW4
    members = {"meta.json": _meta(arrays), "x.npy": npy}
    if bomb == "meta.json":
        members["meta.json"] = _meta(arrays) + " " * size   # still valid JSON
    elif bomb == "npy-header":
        members["x.npy"] = _npy_v2_header_bomb(size)
    else:
        members["x.npy"] = npy + bytes(size)
    path = _zip(tmp_path / "bomb.fw2v", members, compression=zipfile.ZIP_DEFLATED)
    assert os.path.getsize(path) < size // 100
    outcome, peak = peak_traced(lambda: load_native(path))
    assert isinstance(outcome, VectorFileError), repr(outcome)
    assert path in str(outcome)
    assert peak < (8 << 20), f"{peak} bytes allocated to refuse a {os.path.getsize(path)}-byte file"


def test_an_honest_deflated_native_file_still_loads(tmp_path):
    """np.savez_compressed-style members (deflated) within their shapes' size are read as before."""
    arrays = {"x": {"dtype": "<f4", "shape": [1000]}}
    buf = io.BytesIO()
    np.lib.format.write_array(buf, np.arange(1000, dtype="<f4"))
    path = _zip(tmp_path / "ok.fw2v", {"meta.json": _meta(arrays), "x.npy": buf.getvalue()},
                compression=zipfile.ZIP_DEFLATED)
    loaded, _ = load_native(path)
    assert np.array_equal(loaded["x"], np.arange(1000, dtype="<f4"))


def test_bz2_and_lzma_members_are_refused(tmp_path):
    """zipfile inflates bz2/lzma members a whole read at a time (no bound): refused by name."""
    arrays = {"x": {"dtype": "<f4", "shape": [0]}}
    buf = io.BytesIO()
    np.lib.format.write_array(buf, np.zeros(0, "<f4"))
    path = _zip(tmp_path / "bz.fw2v", {"meta.json": _meta(arrays), "x.npy": buf.getvalue()},
                compression=zipfile.ZIP_BZIP2)
    with pytest.raises(VectorFileError, match="compression method"):
        load_native(path)


# =============================================================================== 3. bounded readers

def test_a_text_row_longer_than_its_dimension_allows_is_refused_early(tmp_path):
    data = b"2 4\nw" + b" 0" * 3_000_000 + b"\nv 1 2 3 4\n"   # a 6 MB row where 4 values belong
    for compress in (False, True):
        path = write(tmp_path, "long.txt", data, compress)
        outcome, peak = peak_traced(lambda: KeyedVectors.load_word2vec_format(path))
        assert isinstance(outcome, VectorFileError) and "row longer than" in str(outcome), outcome
        assert path in str(outcome) and "line 2" in str(outcome)
        assert peak < (4 << 20), peak


def test_a_header_less_first_row_is_bounded(tmp_path, monkeypatch):
    monkeypatch.setattr(io_module, "_MAX_FIRST_TEXT_ROW", 1 << 16, raising=False)
    path = write(tmp_path, "glove.txt", b"w" + b" 0" * 100_000 + b"\n")
    with pytest.raises(VectorFileError, match="row longer than"):
        KeyedVectors.load_word2vec_format(path, no_header=True)


RSS_SCRIPT = r"""
import resource, sys
from fastw2v.corpus import LineSentence
sentences = LineSentence(sys.argv[1], max_sentence_length=int(sys.argv[2]))
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
tokens = pieces = longest = 0
for sentence in sentences:
    tokens += len(sentence); pieces += 1; longest = max(longest, len(sentence))
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(tokens, pieces, longest, (peak - base) * 1024)
"""


@pytest.mark.parametrize("suffix", [".gz", ""])
def test_line_sentence_over_one_huge_line_stays_bounded(tmp_path, suffix):
    """One 24 MB line without a newline (the issue's 200 MB .gz, scaled down): the old reader joined,
    decoded and split it whole (~20x its size in token objects); now it is cut into
    max_sentence_length pieces as it is read. Peak RSS growth is measured in a fresh process (of
    this checkout: ROOT)."""
    n_tokens = 8_000_000
    data = b"ab " * n_tokens
    path = tmp_path / ("one-line.txt" + suffix)
    path.write_bytes(gzip.compress(data, compresslevel=1) if suffix else data)
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    result = subprocess.run([sys.executable, "-c", RSS_SCRIPT, str(path), "10000"],
                            capture_output=True, text=True, timeout=120, env=env, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    tokens, pieces, longest, grew = map(int, result.stdout.split())
    assert (tokens, pieces, longest) == (n_tokens, n_tokens // 10000, 10000)
    # (the old reader: about 650 MiB here; now a few read blocks' worth of tokens, whatever the
    # line's length)
    assert grew < 4 * len(data), f"peak RSS grew by {grew >> 20} MiB for a {len(data) >> 20} MiB line"


def _reference_pieces(text, max_len, limit):
    out = []
    for i, line in enumerate(text.split("\n")):
        if limit is not None and i >= limit:
            break
        tokens = line.split()
        out.extend(tokens[j:j + max_len] for j in range(0, len(tokens), max_len))
    return out


@pytest.mark.parametrize("block", [1, 2, 3, 7, 64])
def test_cutting_lines_while_reading_gives_the_same_sentences(tmp_path, block):
    rng = np.random.default_rng(block)
    words = ["a", "bb", "ccc", "é", "dddd"]
    lines = [" ".join(rng.choice(words, size=rng.integers(0, 25))) for _ in range(40)]
    text = "\n".join(lines) + ("\n" if block % 2 else "")
    path = tmp_path / "c.txt"
    path.write_text(text, encoding="utf-8")
    for max_len in (1, 3, 10, 1000):
        for limit in (None, 0, 5, 39):
            segments = corpus_module._path_segments(str(path), block_bytes=block)
            got = list(corpus_module._line_pieces(segments, max_len, limit))
            assert got == _reference_pieces(text, max_len, limit), (max_len, limit)
    assert list(LineSentence(str(path), max_sentence_length=3)) == _reference_pieces(text, 3, None)
    with open(path, "rb") as f:
        assert list(LineSentence(f, max_sentence_length=4, limit=7)) == _reference_pieces(text, 4, 7)


# =============================================================================== 6. evaluation files

def test_a_nan_judgement_is_skipped_and_counted(tmp_path, caplog):
    rng = np.random.default_rng(2)
    words = [f"w{i}" for i in range(12)]
    kv = KeyedVectors.from_arrays(words, rng.standard_normal((12, 6)).astype(np.float32))
    good = [f"w{i}\tw{i + 1}\t{float(rng.random()):.3f}" for i in range(10)]
    clean = tmp_path / "clean.tsv"
    clean.write_text("\n".join(good) + "\n")
    dirty = tmp_path / "dirty.tsv"
    dirty.write_text("\n".join(good[:5] + ["w0\tw3\tnan", "w1\tw4\tinf"] + good[5:]) + "\n")
    with caplog.at_level(logging.INFO, logger="fastw2v.evaluation"):
        pearson, spearman, oov = kv.evaluate_word_pairs(str(dirty))
    assert np.isfinite(pearson[0]) and np.isfinite(spearman[0])
    expected = kv.evaluate_word_pairs(str(clean))
    assert pearson[0] == pytest.approx(expected[0][0]) and spearman[0] == pytest.approx(expected[1][0])
    assert "2 lines skipped" in caplog.text


# =============================================================================== 7. CLI output paths

@pytest.fixture
def corpus(tmp_path):
    path = tmp_path / "corpus.txt"
    path.write_text("".join("a b c d e f a b\n" for _ in range(50)))
    return str(path)


@pytest.fixture
def no_training(monkeypatch):
    calls = []

    def refuse(self, *args, **kwargs):
        calls.append("build_vocab")
        raise AssertionError("training started before the output paths were checked")
    monkeypatch.setattr(Word2Vec, "build_vocab", refuse)
    monkeypatch.setattr(Word2Vec, "build_vocab_from_freq", refuse)
    return calls


@pytest.mark.parametrize("where", ["-save-vocab", "-output"])
def test_word2vec_c_outputs_are_checked_before_training(capsys, tmp_path, corpus, no_training, where):
    good = str(tmp_path / "vectors.bin")
    bad = str(tmp_path / "missing-folder" / "out.txt")
    argv = ["-train", corpus, "-output", good, "-min-count", "1", "-size", "8", "-iter", "1",
            "-save-vocab", str(tmp_path / "vocab.txt")]
    argv[argv.index(where) + 1] = bad
    assert cli_main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert bad in err and ".tmp" not in err and len(err.splitlines()) == 1, err
    assert no_training == []


@pytest.mark.parametrize("argv", [
    ["train", "{corpus}", "-o", "{dir}", "--min-count", "1"],
    ["train", "{corpus}", "-o", "{dir}/v.bin", "--save-model", "{dir}/sub/m.fw2v"],
    ["train", "{corpus}", "-o", "{corpus}/v.bin"],
    ["demo", "--save", "{dir}/nowhere/m.fw2v", "--plot", ""],
])
def test_every_output_path_is_checked_first(capsys, tmp_path, corpus, no_training, argv):
    argv = [a.format(corpus=corpus, dir=tmp_path) for a in argv]
    assert cli_main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert "cannot write" in err and ".tmp" not in err, err
    assert no_training == []


def test_a_failed_save_names_the_users_path_not_a_temporary_file(tmp_path):
    target = str(tmp_path / "nowhere" / "v.txt")
    kv = KeyedVectors.from_arrays(["a"], np.ones((1, 2), np.float32))
    for save in (lambda: kv.save_word2vec_format(target), lambda: kv.save(target)):
        with pytest.raises(OSError) as info:
            save()
        assert target in str(info.value) and ".tmp" not in str(info.value)


# =============================================================================== issue 16: types

def test_a_truncated_vector_file_is_also_an_eof_error(tmp_path):
    kv = KeyedVectors.from_arrays(["a", "b", "c"], np.ones((3, 4), np.float32))
    for binary in (False, True):
        for compress in (False, True):
            path = str(tmp_path / f"v{int(binary)}{'.gz' if compress else ''}")
            kv.save_word2vec_format(path, binary=binary)
            raw = gzip.decompress(open(path, "rb").read()) if compress else open(path, "rb").read()
            # binary: cut inside the last vector; text: cut inside the last row, or before it
            for cut in ((raw[:-5],) if binary else (raw[:-5], raw[:raw.rindex(b"\n", 0, -1) + 1])):
                write(tmp_path, os.path.basename(path).removesuffix(".gz"), cut, compress)
                with pytest.raises(EOFError) as info:
                    KeyedVectors.load_word2vec_format(path, binary=binary)
                assert isinstance(info.value, VectorFileError) and path in str(info.value)
                assert isinstance(info.value, io_module.TruncatedVectorFileError)
    cut = write(tmp_path, "cut.gz", gzip.compress(b"1 2\na 1 2\n")[:-6])   # a cut gzip stream
    with pytest.raises(EOFError):
        KeyedVectors.load_word2vec_format(cut)


def test_bad_utf8_is_also_a_unicode_decode_error(tmp_path):
    for binary, data in ((False, b"1 2\n\xff\xfe 1 2\n"), (True, b"1 2\n\xff\xfe " + ROW4[:8])):
        path = write(tmp_path, f"bad{int(binary)}", data)
        with pytest.raises(UnicodeDecodeError) as info:
            KeyedVectors.load_word2vec_format(path, binary=binary)
        err = info.value
        assert isinstance(err, VectorFileError) and isinstance(err, io_module.UndecodableVectorFileError)
        assert path in str(err) and "unicode_errors" in str(err)
        assert (err.encoding, err.object, err.start, err.reason) == (
            "utf-8", b"\xff\xfe", 0, "invalid start byte")
        again = pickle.loads(pickle.dumps(err))
        assert str(again) == str(err) and again.path == err.path
        assert len(KeyedVectors.load_word2vec_format(path, binary=binary,
                                                     unicode_errors="replace")) == 1
