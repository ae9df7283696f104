"""fastw2v.io: word2vec text/binary files, the native container, atomic writes.

Hand-written files in both word2vec formats are always tested; cross-loading with gensim runs when
gensim is installed.

Bitwise assertions here compare what a file gives back with what was written (or with values
written as decimal text, parsed with correct rounding): no arithmetic, so no CPU dependence.
"""
import bz2
import gzip
import json
import os
import pickle
import stat
import struct
import zipfile

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fastw2v import KeyedVectors
from fastw2v import io as fio
from fastw2v.io import VectorFileError


def f32(*values):
    return struct.pack(f"<{len(values)}f", *values)


TEXT = (b"3 2\n"  # written the way gensim and fastw2v write it, so load + save reproduces it
        b"the 0.5 -1.0\n"
        b"cat 1.25 0.25\n"
        b"\xc3\xa9t\xc3\xa9 3.0 4.0\n")
BINARY_GENSIM = b"2 3\n" + b"cat " + f32(1, 2, 3) + b"dog " + f32(-1.5, 0, 1e-3)
BINARY_W2V_C = b"2 3\n" + b"cat " + f32(1, 2, 3) + b"\n" + b"dog " + f32(-1.5, 0, 1e-3) + b"\n"


def write(path, data):
    path.write_bytes(data)
    return str(path)


def random_kv(n=50, dim=8, seed=0):
    rng = np.random.default_rng(seed)
    keys = [f"w{i}" for i in range(n)]
    return KeyedVectors.from_arrays(keys, rng.standard_normal((n, dim)).astype(np.float32),
                                    counts=np.arange(n, 0, -1) * 10)


def float32_bit_patterns(n, seed):
    """Random finite float32 values over the whole bit space: subnormals, huge, -0.0 included."""
    bits = np.random.default_rng(seed).integers(0, 2**32, size=n, dtype=np.uint64).astype(np.uint32)
    values = bits.view(np.float32)
    values = values[np.isfinite(values)]
    return np.concatenate([values, np.array([0.0, -0.0, 1e-45, 3.4028235e38], dtype=np.float32)])


# ------------------------------------------------------------------ hand-written files

def test_reads_hand_written_text(tmp_path):
    kv = KeyedVectors.load_word2vec_format(write(tmp_path / "v.txt", TEXT))
    assert kv.index_to_key == ["the", "cat", "été"]
    assert kv.vectors.dtype == np.float32 and kv.vector_size == 2
    np.testing.assert_array_equal(kv["cat"], [1.25, 0.25])
    np.testing.assert_array_equal(kv["été"], [3, 4])


@pytest.mark.parametrize("data", [BINARY_GENSIM, BINARY_W2V_C], ids=["gensim", "word2vec.c"])
def test_reads_hand_written_binary(tmp_path, data):
    kv = KeyedVectors.load_word2vec_format(write(tmp_path / "v.bin", data), binary=True)
    assert kv.index_to_key == ["cat", "dog"]
    np.testing.assert_array_equal(kv.vectors, np.array([[1, 2, 3], [-1.5, 0, 1e-3]], np.float32))


def test_text_tolerates_word2vec_c_trailing_space_and_crlf(tmp_path):
    data = b"2 2\r\ncat 1 2 \r\ndog 3 4 \n\n\n"
    kv = KeyedVectors.load_word2vec_format(write(tmp_path / "v.txt", data))
    assert kv.index_to_key == ["cat", "dog"]
    np.testing.assert_array_equal(kv.vectors, [[1, 2], [3, 4]])


def test_text_load_save_is_byte_identical(tmp_path):
    src = write(tmp_path / "in.txt", TEXT)
    KeyedVectors.load_word2vec_format(src).save_word2vec_format(str(tmp_path / "out.txt"))
    assert (tmp_path / "out.txt").read_bytes() == TEXT


def test_binary_load_save_is_byte_identical(tmp_path):
    src = write(tmp_path / "in.bin", BINARY_GENSIM)
    KeyedVectors.load_word2vec_format(src, binary=True).save_word2vec_format(
        str(tmp_path / "out.bin"), binary=True)
    assert (tmp_path / "out.bin").read_bytes() == BINARY_GENSIM


@pytest.mark.parametrize("binary", [False, True])
def test_float32_round_trip_is_bitwise(tmp_path, binary):
    values = float32_bit_patterns(4000, seed=1)
    values = values[: len(values) // 8 * 8].reshape(-1, 8)
    keys = [f"k{i}" for i in range(len(values))]
    path = str(tmp_path / "v.out")
    fio.write_word2vec_format(path, keys, values, binary=binary)
    back_keys, back = fio.read_word2vec_format(path, binary=binary)
    assert back_keys == keys
    assert np.array_equal(back.view(np.uint32), values.view(np.uint32))


WORDS = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters=" \n"),
                min_size=1, max_size=12)


@settings(max_examples=40, deadline=None, derandomize=True)
@given(words=st.lists(WORDS, min_size=1, max_size=8, unique=True), binary=st.booleans())
def test_any_storable_word_round_trips(tmp_path_factory, words, binary):
    """Tabs, carriage returns, NUL, U+2028, U+0085 ... in words survive both formats."""
    path = str(tmp_path_factory.mktemp("words") / "v.out")
    vectors = np.arange(len(words) * 2, dtype=np.float32).reshape(-1, 2) - 3.5
    fio.write_word2vec_format(path, words, vectors, binary=binary)
    keys, back = fio.read_word2vec_format(path, binary=binary)
    assert keys == words and np.array_equal(back, vectors)


@pytest.mark.parametrize("suffix,opener", [(".gz", gzip.open), (".bz2", bz2.open)])
@pytest.mark.parametrize("binary", [False, True])
def test_compressed_files_are_transparent(tmp_path, suffix, opener, binary):
    kv = random_kv()
    path = str(tmp_path / f"v{suffix}")
    kv.save_word2vec_format(path, binary=binary)
    with open(path, "rb") as f:
        assert f.read(2) in (b"\x1f\x8b", b"BZ")  # really compressed
    back = KeyedVectors.load_word2vec_format(path, binary=binary)
    assert back.index_to_key == kv.index_to_key
    assert np.array_equal(back.vectors, kv.vectors)
    # a hand-compressed file reads too
    with opener(str(tmp_path / f"hand{suffix}"), "wb") as f:
        f.write(BINARY_GENSIM if binary else TEXT)
    hand = KeyedVectors.load_word2vec_format(str(tmp_path / f"hand{suffix}"), binary=binary)
    assert len(hand) == (2 if binary else 3)


def test_gzip_output_is_deterministic(tmp_path):
    kv = random_kv()
    path = tmp_path / "v.txt.gz"
    kv.save_word2vec_format(str(path))
    first = path.read_bytes()
    kv.save_word2vec_format(str(path))
    assert path.read_bytes() == first
    assert b"v.txt\x00" in first[:30]  # the gzip header names the final file, not the temporary one


def test_truncated_gzip_raises_vector_file_error(tmp_path):
    kv = random_kv(200)
    path = tmp_path / "v.txt.gz"
    kv.save_word2vec_format(str(path))
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(VectorFileError, match="v.txt.gz"):
        KeyedVectors.load_word2vec_format(str(path))


def test_limit_reads_a_prefix(tmp_path):
    kv = KeyedVectors.load_word2vec_format(write(tmp_path / "v.txt", TEXT), limit=2)
    assert kv.index_to_key == ["the", "cat"]
    kv = KeyedVectors.load_word2vec_format(write(tmp_path / "v.bin", BINARY_W2V_C), binary=True,
                                           limit=1)
    assert kv.index_to_key == ["cat"]


def test_no_header_text(tmp_path):
    data = b"cat 1 2 3\ndog 4 5 6\n\n"
    kv = KeyedVectors.load_word2vec_format(write(tmp_path / "glove.txt", data), no_header=True)
    assert kv.index_to_key == ["cat", "dog"] and kv.vector_size == 3
    with pytest.raises(VectorFileError, match="line 2"):
        KeyedVectors.load_word2vec_format(write(tmp_path / "bad.txt", b"cat 1 2 3\ndog 4 5\n"),
                                          no_header=True)
    with pytest.raises(ValueError, match="no_header"):
        KeyedVectors.load_word2vec_format(str(tmp_path / "glove.txt"), binary=True, no_header=True)


def test_datatype(tmp_path):
    kv = KeyedVectors.load_word2vec_format(write(tmp_path / "v.txt", TEXT), datatype=np.float64)
    assert kv.vectors.dtype == np.float64
    np.testing.assert_array_equal(kv["cat"], [1.25, 0.25])
    kv = KeyedVectors.load_word2vec_format(write(tmp_path / "v.bin", BINARY_GENSIM), binary=True,
                                           datatype=np.float16)
    assert kv.vectors.dtype == np.float16


def test_duplicate_words_keep_the_first(tmp_path):
    data = b"3 2\ncat 1 2\ndog 3 4\ncat 5 6\n"
    with pytest.warns(UserWarning, match="duplicate word 'cat'"):
        kv = KeyedVectors.load_word2vec_format(write(tmp_path / "v.txt", data))
    assert kv.index_to_key == ["cat", "dog"]
    np.testing.assert_array_equal(kv["cat"], [1, 2])


def test_unicode_errors_replace_and_ignore(tmp_path):
    data = b"1 2\nc\xffat 1 2\n"
    path = write(tmp_path / "v.txt", data)
    assert KeyedVectors.load_word2vec_format(path, unicode_errors="replace").index_to_key == ["c\ufffdat"]
    assert KeyedVectors.load_word2vec_format(path, unicode_errors="ignore").index_to_key == ["cat"]


def test_fvocab_round_trip_and_placeholder_counts(tmp_path):
    kv = random_kv(5)
    kv.expandos["count"][:] = [50, 40, 30, 20, 10]
    kv.save_word2vec_format(str(tmp_path / "v.txt"), fvocab=str(tmp_path / "vocab.txt"))
    assert (tmp_path / "vocab.txt").read_text().splitlines()[:2] == ["w0 50", "w1 40"]
    back = KeyedVectors.load_word2vec_format(str(tmp_path / "v.txt"), fvocab=str(tmp_path / "vocab.txt"))
    assert back.expandos["count"].tolist() == [50, 40, 30, 20, 10]
    assert not back.counts_are_placeholders
    plain = KeyedVectors.load_word2vec_format(str(tmp_path / "v.txt"))
    assert plain.expandos["count"].tolist() == [5, 4, 3, 2, 1]  # gensim's placeholders
    assert plain.counts_are_placeholders


# ------------------------------------------------------------------ corrupt files

TEXT_ERRORS = [
    ("empty", b"", "line 1", "empty file"),
    ("short header", b"3\ncat 1 2\n", "line 1", "header"),
    ("non-numeric header", b"three two\n", "line 1", "two integers"),
    ("dimension 0", b"2 0\ncat\ndog\n", "line 1", "dimension 0"),
    ("negative count", b"-1 3\n", "line 1", "negative"),
    ("too few numbers", b"2 3\ncat 1 2 3\ndog 1 2\n", "line 3", "expected a word and 3 values, found 2"),
    ("too many numbers", b"1 2\ncat 1 2 3\n", "line 2", "found 3"),
    ("fewer rows than declared", b"3 2\ncat 1 2\ndog 1 2\n", "line 4", "file ends after 2 of the 3"),
    ("junk after last row", b"1 2\ncat 1 2\ndog 1 2\n", "line 3", "unexpected data after the last"),
    ("nan", b"1 2\ncat nan 2\n", "line 2", "NaN or infinity"),
    ("inf", b"1 2\ncat 1 -inf\n", "line 2", "NaN or infinity"),
    ("float32 overflow", b"1 2\ncat 1e39 2\n", "line 2", "NaN or infinity"),
    ("non-utf8 word", b"2 2\ncat 1 2\nc\xffat 1 2\n", "line 3", "not valid utf8"),
    ("not a number", b"1 2\ncat 1 x2\n", "line 2", "is not a number"),
    ("blank line inside", b"2 2\ncat 1 2\n\ndog 1 2\n", "line 3", "empty line"),
]


@pytest.mark.parametrize("name,data,where,problem", TEXT_ERRORS, ids=[e[0] for e in TEXT_ERRORS])
def test_corrupt_text_files(tmp_path, name, data, where, problem):
    path = write(tmp_path / "bad.txt", data)
    with pytest.raises(VectorFileError) as info:
        KeyedVectors.load_word2vec_format(path)
    message = str(info.value)
    assert isinstance(info.value, ValueError)
    assert path in message and f"{where}:" in message and problem in message, message
    assert info.value.line == int(where.split()[1]) and info.value.path == path


ROW = b"cat " + f32(1, 2)
BINARY_ERRORS = [
    ("short header", b"12\n" + ROW, "line 1", "header"),
    ("dimension 0", b"1 0\ncat ", "line 1", "dimension 0"),
    ("cut mid-vector", b"1 3\ncat " + f32(1, 2), "byte 8", "file ends inside the vector of word 'cat'"),
    ("fewer rows than declared", b"2 2\n" + ROW, "byte 16", "file ends where word 2 of the 2"),
    ("junk after last row", b"1 2\n" + ROW + b"\n\nXYZ", "byte 18", "unexpected data after the last"),
    ("nan", b"1 2\ncat " + f32(1, float("nan")), "byte 8", "NaN or infinity"),
    ("non-utf8 word", b"2 2\n" + ROW + b"\nd\xffg " + f32(1, 2), "byte 17", "not valid utf8"),
    ("empty word", b"2 2\n" + ROW + b" " + f32(1, 2), "byte 16", "empty word"),
]


@pytest.mark.parametrize("name,data,where,problem", BINARY_ERRORS, ids=[e[0] for e in BINARY_ERRORS])
def test_corrupt_binary_files(tmp_path, name, data, where, problem):
    path = write(tmp_path / "bad.bin", data)
    with pytest.raises(VectorFileError) as info:
        KeyedVectors.load_word2vec_format(path, binary=True)
    message = str(info.value)
    assert path in message and f"{where}:" in message and problem in message, message
    kind, number = where.split()
    assert getattr(info.value, "line" if kind == "line" else "offset") == int(number)


def test_binary_without_any_space_is_rejected_not_slurped(tmp_path, monkeypatch):
    monkeypatch.setattr(fio, "_MAX_BINARY_WORD", 100)
    monkeypatch.setattr(fio, "_READ_CHUNK", 64)
    path = write(tmp_path / "bad.bin", b"1 2\n" + b"x" * 5000)
    with pytest.raises(VectorFileError, match="no space within 100 bytes"):
        KeyedVectors.load_word2vec_format(path, binary=True)


def test_binary_reader_handles_rows_across_chunks(tmp_path, monkeypatch):
    monkeypatch.setattr(fio, "_READ_CHUNK", 7)  # every word and vector straddles chunk borders
    kv = random_kv(40, 5)
    kv.save_word2vec_format(str(tmp_path / "v.bin"), binary=True)
    back = KeyedVectors.load_word2vec_format(str(tmp_path / "v.bin"), binary=True)
    assert back.index_to_key == kv.index_to_key and np.array_equal(back.vectors, kv.vectors)


# ------------------------------------------------------------------ writing

@pytest.mark.parametrize("word", ["new york", "a\nb", ""])
@pytest.mark.parametrize("binary", [False, True])
def test_words_that_the_format_cannot_hold_are_refused(tmp_path, word, binary):
    kv = KeyedVectors.from_arrays(["ok", word], np.ones((2, 3), np.float32))
    path = tmp_path / "v.bin"
    path.write_bytes(b"previous")
    with pytest.raises(ValueError, match=repr(word).replace("\\", "\\\\")):
        kv.save_word2vec_format(str(path), binary=binary)
    assert path.read_bytes() == b"previous"


def test_non_finite_vectors_are_refused_on_write(tmp_path):
    kv = KeyedVectors.from_arrays(["ok", "bad"], np.array([[1, 2], [np.nan, 0]], np.float32))
    with pytest.raises(ValueError, match="'bad'"):
        kv.save_word2vec_format(str(tmp_path / "v.txt"))
    assert not (tmp_path / "v.txt").exists()


def test_write_header_false_and_total_vec(tmp_path):
    kv = random_kv(3, 2)
    kv.save_word2vec_format(str(tmp_path / "a.txt"), write_header=False)
    assert KeyedVectors.load_word2vec_format(str(tmp_path / "a.txt"), no_header=True).index_to_key == \
        kv.index_to_key
    kv.save_word2vec_format(str(tmp_path / "b.txt"), total_vec=5)
    assert (tmp_path / "b.txt").read_bytes().startswith(b"5 2\n")
    with pytest.raises(VectorFileError, match="file ends after 3 of the 5"):
        KeyedVectors.load_word2vec_format(str(tmp_path / "b.txt"))


def test_surrogateescape_words_round_trip_their_bytes(tmp_path):
    data = b"1 2\nc\xffat 1.0 2.0\n"
    kv = KeyedVectors.load_word2vec_format(write(tmp_path / "in.txt", data),
                                           unicode_errors="surrogateescape")
    kv.save_word2vec_format(str(tmp_path / "out.txt"))
    assert (tmp_path / "out.txt").read_bytes() == data


# ------------------------------------------------------------------ atomic writes

def test_atomic_write_replaces_on_success(tmp_path):
    path = tmp_path / "f.bin"
    path.write_bytes(b"old")
    with fio.atomic_write(str(path)) as f:
        f.write(b"new")
        assert path.read_bytes() == b"old"  # nothing visible under the final name yet
    assert path.read_bytes() == b"new"
    assert os.listdir(tmp_path) == ["f.bin"]


@pytest.mark.parametrize("exc", [RuntimeError, KeyboardInterrupt])
def test_atomic_write_failure_keeps_previous_file(tmp_path, exc):
    path = tmp_path / "f.bin"
    path.write_bytes(b"previous contents")
    with pytest.raises(exc):
        with fio.atomic_write(str(path)) as f:
            f.write(b"half a fi")
            raise exc()
    assert path.read_bytes() == b"previous contents"
    assert os.listdir(tmp_path) == ["f.bin"]  # temporary file removed


def test_interrupted_save_word2vec_format_keeps_previous_file(tmp_path, monkeypatch):
    path = tmp_path / "v.txt"
    small = random_kv(3)
    small.save_word2vec_format(str(path))
    before = path.read_bytes()
    big = random_kv(6000, 4)  # more than one 4096-row block: the first block reaches the disk
    calls = {"n": 0}
    original = fio._encode_word

    def failing_encode(word):
        calls["n"] += 1
        if calls["n"] == 5000:
            raise OSError("disk full (simulated)")
        return original(word)

    monkeypatch.setattr(fio, "_encode_word", failing_encode)
    with pytest.raises(OSError, match="simulated"):
        big.save_word2vec_format(str(path))
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["v.txt"]


def test_atomic_write_fsyncs_before_rename(tmp_path, monkeypatch):
    events = []
    real_fsync, real_replace = os.fsync, os.replace
    monkeypatch.setattr(os, "fsync", lambda fd: (events.append("fsync"), real_fsync(fd))[1])
    monkeypatch.setattr(os, "replace", lambda a, b: (events.append("replace"), real_replace(a, b))[1])
    with fio.atomic_write(str(tmp_path / "f")) as f:
        f.write(b"x")
    assert events[:2] == ["fsync", "replace"]


def test_atomic_write_failing_fsync_keeps_previous_file(tmp_path, monkeypatch):
    path = tmp_path / "n.fw2v"
    fio.save_native(str(path), {"a": np.arange(3)}, {})
    before = path.read_bytes()

    def broken_fsync(fd):
        raise OSError("fsync failed (simulated)")

    monkeypatch.setattr(os, "fsync", broken_fsync)
    with pytest.raises(OSError, match="simulated"):
        fio.save_native(str(path), {"a": np.arange(5)}, {})
    assert path.read_bytes() == before and os.listdir(tmp_path) == ["n.fw2v"]


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_atomic_write_permissions(tmp_path):
    fresh = tmp_path / "fresh"
    with fio.atomic_write(str(fresh)) as f:
        f.write(b"x")
    umask = os.umask(0o022)
    os.umask(umask)
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o666 & ~umask
    existing = tmp_path / "existing"
    existing.write_bytes(b"old")
    existing.chmod(0o640)
    with fio.atomic_write(str(existing)) as f:
        f.write(b"x")
    assert stat.S_IMODE(existing.stat().st_mode) == 0o640


@pytest.mark.parametrize("suffix", ["", ".gz", ".bz2", ".xz"])
def test_atomic_write_text_mode_and_compression(tmp_path, suffix):
    path = str(tmp_path / f"f.txt{suffix}")
    with fio.atomic_write(path, "w") as f:
        f.write("héllo\nwörld\n")
    with fio.open_maybe_compressed(path, "r") as f:
        assert f.read() == "héllo\nwörld\n"
    with fio.open_maybe_compressed(path, "rb") as f:
        assert f.read() == "héllo\nwörld\n".encode()


def test_open_maybe_compressed_rejects_bad_mode(tmp_path):
    with pytest.raises(ValueError, match="mode"):
        fio.open_maybe_compressed(str(tmp_path / "x"), "a")


# ------------------------------------------------------------------ native container

ARRAYS = {
    "f32": np.arange(12, dtype=np.float32).reshape(3, 4) / 7,
    "f64": np.array([np.pi, -0.0, 1e-300]),
    "f16": np.array([1.5, -2], dtype=np.float16),
    "big_endian": np.arange(5, dtype=">f4"),
    "i8": np.array([-128, 0, 127], dtype=np.int8),
    "u64": np.array([0, 2**64 - 1], dtype=np.uint64),
    "flags": np.array([True, False]),
    "c64": np.array([1 + 2j], dtype=np.complex64),
    "scalar": np.array(3.0),
    "empty": np.zeros((0, 5), dtype=np.float32),
}


def assert_same_arrays(got, expected):
    assert set(got) == set(expected)
    for name, array in expected.items():
        assert got[name].dtype == array.dtype and got[name].shape == array.shape, name
        assert got[name].tobytes() == array.tobytes(), name


def test_native_round_trip_is_bitwise(tmp_path):
    meta = {"name": "test", "nested": {"x": [1, 2.5, None]}, "np": np.int64(7), "f": np.float32(0.5)}
    path = str(tmp_path / "n.fw2v")
    fio.save_native(path, ARRAYS, meta)
    arrays, back = fio.load_native(path)
    assert_same_arrays(arrays, ARRAYS)
    assert back == {"name": "test", "nested": {"x": [1, 2.5, None]}, "np": 7, "f": 0.5}
    assert all(not isinstance(a, np.memmap) and a.flags.writeable for a in arrays.values())


def test_native_is_deterministic_and_numpy_readable(tmp_path):
    fio.save_native(str(tmp_path / "a"), ARRAYS, {"k": 1})
    fio.save_native(str(tmp_path / "b"), ARRAYS, {"k": 1})
    assert (tmp_path / "a").read_bytes() == (tmp_path / "b").read_bytes()
    with np.load(str(tmp_path / "a"), allow_pickle=False) as npz:
        np.testing.assert_array_equal(npz["f32"], ARRAYS["f32"])
    with zipfile.ZipFile(str(tmp_path / "a")) as zf:
        assert all(i.compress_type == zipfile.ZIP_STORED for i in zf.infolist())
        document = json.loads(zf.read("meta.json"))
    assert document["container"] == "fastw2v-native" and document["container_version"] == 1
    assert document["arrays"]["f32"] == {"dtype": "<f4", "shape": [3, 4]}


@pytest.mark.parametrize("mode", ["r", "c"])
def test_native_mmap(tmp_path, mode):
    path = str(tmp_path / "n.fw2v")
    fio.save_native(path, ARRAYS, {})
    before = (tmp_path / "n.fw2v").read_bytes()
    arrays, _ = fio.load_native(path, mmap=mode)
    assert_same_arrays(arrays, ARRAYS)
    mapped = arrays["f32"]
    assert isinstance(mapped, np.memmap)
    assert mapped.offset % fio.NATIVE_ALIGN == 0 and mapped.ctypes.data % fio.NATIVE_ALIGN == 0
    assert all(a.offset % 64 == 0 for a in arrays.values() if isinstance(a, np.memmap))
    if mode == "r":
        with pytest.raises(ValueError):
            mapped[0, 0] = 1
    else:
        mapped[0, 0] = 123  # copy-on-write: the file does not change
        del arrays, mapped
        assert (tmp_path / "n.fw2v").read_bytes() == before


def test_native_rejects_bad_arguments(tmp_path):
    path = str(tmp_path / "n")
    with pytest.raises(TypeError, match="object"):
        fio.save_native(path, {"o": np.array([object()])}, {})
    with pytest.raises(ValueError, match="array name"):
        fio.save_native(path, {"../evil": np.zeros(1)}, {})
    with pytest.raises(TypeError, match="JSON"):
        fio.save_native(path, {}, {"x": object()})
    assert not os.path.exists(path)
    fio.save_native(path, {"a": np.zeros(1)}, {})
    with pytest.raises(ValueError, match="r\\+"):
        fio.load_native(path, mmap="r+")


class Payload:
    """Unpickling this creates a marker file: proof that code from the file ran."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


def rewrite_zip(src, dst, replace=None, add=None, drop=(), compression=zipfile.ZIP_STORED):
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", compression=compression) as zout:
        for info in zin.infolist():
            if info.filename in drop:
                continue
            data = zin.read(info.filename)
            if replace and info.filename in replace:
                data = replace[info.filename](data)
            zout.writestr(info.filename, data)
        for name, data in (add or {}).items():
            zout.writestr(name, data)


def object_npy(marker):
    import io as _stdio
    buffer = _stdio.BytesIO()
    np.save(buffer, np.array([Payload(marker)], dtype=object), allow_pickle=True)
    return buffer.getvalue()


def test_payload_is_live(tmp_path):
    """Guards the tests below: the planted payload really executes when unpickled."""
    marker = tmp_path / "ran"
    pickle.loads(pickle.dumps(Payload(str(marker))))
    assert marker.exists()


@pytest.mark.parametrize("mmap", [None, "r"])
def test_native_refuses_planted_pickles(tmp_path, mmap):
    marker = tmp_path / "code-ran"
    good = str(tmp_path / "good.fw2v")
    fio.save_native(good, {"vectors": np.zeros((2, 2), np.float32)}, {"format": "x"})

    def declare_object(data):
        document = json.loads(data)
        document["arrays"]["vectors"] = {"dtype": "|O", "shape": [1]}
        return json.dumps(document).encode()

    cases = {
        "whole file is a pickle": None,
        "object member, manifest untouched": dict(replace={"vectors.npy": lambda d: object_npy(str(marker))}),
        "object member, manifest says object": dict(replace={"vectors.npy": lambda d: object_npy(str(marker)),
                                                             "meta.json": declare_object}),
        "extra pickle member": dict(add={"payload.pkl": pickle.dumps(Payload(str(marker)))}),
    }
    for name, change in cases.items():
        bad = str(tmp_path / "bad.fw2v")
        if change is None:
            with open(bad, "wb") as f:
                pickle.dump(Payload(str(marker)), f)
        else:
            rewrite_zip(good, bad, **change)
        with pytest.raises(VectorFileError) as info:
            fio.load_native(bad, mmap=mmap)
        assert bad in str(info.value), name
        with pytest.raises(VectorFileError):
            KeyedVectors.load(bad, mmap=mmap)
        assert not marker.exists(), f"code from the file ran: {name}"


def test_native_validation_errors(tmp_path):
    good = str(tmp_path / "good.fw2v")
    fio.save_native(good, {"vectors": np.ones((2, 3), np.float32)}, {"format": "x"})

    def edit(**changes):
        def apply(data):
            document = json.loads(data)
            for key, value in changes.items():
                if key == "shape":
                    document["arrays"]["vectors"]["shape"] = value
                else:
                    document[key] = value
            return json.dumps(document).encode()
        return apply

    cases = [
        ("not json", dict(replace={"meta.json": lambda d: b"{not json"}), "not valid JSON"),
        ("wrong container", dict(replace={"meta.json": edit(container="other")}), "does not describe"),
        ("newer version", dict(replace={"meta.json": edit(container_version=99)}), "newer fastw2v"),
        ("shape mismatch", dict(replace={"meta.json": edit(shape=[3, 2])}), "declares"),
        ("missing meta", dict(drop=("meta.json",)), "no meta.json"),
        ("missing array", dict(drop=("vectors.npy",)), "missing"),
        ("garbage member", dict(replace={"vectors.npy": lambda d: b"garbage"}), "not a valid .npy"),
    ]
    for name, change, problem in cases:
        bad = str(tmp_path / f"{name.replace(' ', '_')}.fw2v")
        rewrite_zip(good, bad, **change)
        for mmap in (None, "r"):
            with pytest.raises(VectorFileError, match=problem) as info:
                fio.load_native(bad, mmap=mmap)
            assert bad in str(info.value), name


def test_native_not_a_zip_truncated_and_corrupted(tmp_path):
    text = write(tmp_path / "v.txt", TEXT)
    with pytest.raises(VectorFileError, match="not a fastw2v native file"):
        fio.load_native(text)
    good = tmp_path / "good.fw2v"
    fio.save_native(str(good), {"vectors": np.arange(4000, dtype=np.float32)}, {})
    data = good.read_bytes()
    cut = write(tmp_path / "cut.fw2v", data[: len(data) // 2])
    with pytest.raises(VectorFileError, match="cut.fw2v"):
        fio.load_native(cut)
    flipped = bytearray(data)
    flipped[len(data) // 2] ^= 0xFF  # inside the vectors' data
    bad = write(tmp_path / "flipped.fw2v", bytes(flipped))
    with pytest.raises(VectorFileError, match="CRC"):
        fio.load_native(bad)


def test_native_compressed_member_reads_but_does_not_map(tmp_path):
    good = str(tmp_path / "good.fw2v")
    fio.save_native(good, {"vectors": np.arange(10.0)}, {"k": 1})
    deflated = str(tmp_path / "deflated.fw2v")
    rewrite_zip(good, deflated, compression=zipfile.ZIP_DEFLATED)
    arrays, meta = fio.load_native(deflated)
    np.testing.assert_array_equal(arrays["vectors"], np.arange(10.0))
    with pytest.raises(VectorFileError, match="compressed"):
        fio.load_native(deflated, mmap="r")


# ------------------------------------------------------------------ format sniffing

def test_sniff_format(tmp_path):
    kv = random_kv(5, 4)
    kv.save_word2vec_format(str(tmp_path / "v.txt"))
    kv.save_word2vec_format(str(tmp_path / "v.bin"), binary=True)
    kv.save_word2vec_format(str(tmp_path / "v.txt.gz"))
    kv.save(str(tmp_path / "v.fw2v"))
    write(tmp_path / "glove.txt", b"cat 1 2\n")
    assert fio.sniff_format(str(tmp_path / "v.txt")) == "text"
    assert fio.sniff_format(str(tmp_path / "v.txt.gz")) == "text"
    assert fio.sniff_format(str(tmp_path / "v.bin")) == "binary"
    assert fio.sniff_format(str(tmp_path / "v.fw2v")) == "native"
    assert fio.sniff_format(str(tmp_path / "glove.txt")) == "text"


def test_keyedvectors_load_reads_keyedvectors_and_model_files(tmp_path):
    # (was fio.load_native_any, a wrapper of KeyedVectors.load that made io import keyedvectors)
    kv = random_kv(6, 3)
    kv.save(str(tmp_path / "kv.fw2v"))
    assert KeyedVectors.load(str(tmp_path / "kv.fw2v")).index_to_key == kv.index_to_key
    # the layout fastw2v.model.Word2Vec.save writes: vocabulary in the metadata, counts as an array
    fio.save_native(str(tmp_path / "model.fw2v"),
                    {"vectors": kv.vectors, "syn1neg": np.zeros((6, 3), np.float32),
                     "syn1": np.zeros((0, 3), np.float32), "counts": np.arange(6, 0, -1)},
                    {"format": "fastw2v.Word2Vec", "version": 1, "index_to_key": kv.index_to_key})
    wv = KeyedVectors.load(str(tmp_path / "model.fw2v"), mmap="r")
    assert wv.index_to_key == kv.index_to_key and np.array_equal(wv.vectors, kv.vectors)
    assert wv.get_vecattr("w0", "count") == 6


# ------------------------------------------------------------------ gensim cross-loading

@pytest.fixture
def gensim_kv():
    gensim_models = pytest.importorskip("gensim.models", reason="gensim is not installed")
    rng = np.random.default_rng(3)
    keys = [f"w{i}" for i in range(40)] + ["été", "日本"]
    vectors = rng.standard_normal((len(keys), 7)).astype(np.float32)
    kv = gensim_models.KeyedVectors(7, count=0)
    kv.add_vectors(keys, vectors)
    kv.allocate_vecattrs(["count"], [np.int64])
    kv.expandos["count"][:] = np.arange(len(keys), 0, -1)  # descending: gensim keeps index order
    return kv


@pytest.mark.parametrize("suffix", ["", ".gz"])
@pytest.mark.parametrize("binary", [False, True])
def test_gensim_and_fastw2v_files_are_identical_and_cross_load(tmp_path, gensim_kv, binary, suffix):
    from gensim.models import KeyedVectors as GensimKV

    ours = KeyedVectors.from_gensim(gensim_kv)
    by_gensim = str(tmp_path / f"gensim.out{suffix}")
    by_us = str(tmp_path / f"fastw2v.out{suffix}")
    gensim_kv.save_word2vec_format(by_gensim, binary=binary)
    ours.save_word2vec_format(by_us, binary=binary)
    with fio.open_maybe_compressed(by_gensim) as a, fio.open_maybe_compressed(by_us) as b:
        assert a.read() == b.read()
    # gensim's file read by fastw2v
    back = KeyedVectors.load_word2vec_format(by_gensim, binary=binary)
    assert back.index_to_key == gensim_kv.index_to_key
    assert np.array_equal(back.vectors, gensim_kv.vectors)
    # fastw2v's file read by gensim
    theirs = GensimKV.load_word2vec_format(by_us, binary=binary)
    assert theirs.index_to_key == ours.index_to_key
    assert np.array_equal(theirs.vectors, ours.vectors)
    assert [theirs.get_vecattr(k, "count") for k in theirs.index_to_key[:3]] == \
        back.expandos["count"][:3].tolist()


def test_first_nonfinite_row_checks_by_blocks():
    m = np.zeros((10, 3), dtype=np.float32)
    assert fio.first_nonfinite_row(m, block_rows=3) is None
    m[7, 1] = np.inf
    m[8, 0] = np.nan
    assert fio.first_nonfinite_row(m, block_rows=3) == 7 and fio.first_nonfinite_row(m) == 7


def test_writing_a_large_matrix_makes_no_full_size_temporary(tmp_path):
    """The finiteness check runs by blocks: a whole-matrix boolean temporary alone (4.8 MB here)
    would exceed the bound."""
    import tracemalloc
    vectors = np.ones((300_000, 16), dtype=np.float32)
    keys = [f"w{i}" for i in range(len(vectors))]
    tracemalloc.start()
    try:
        fio.write_word2vec_format(tmp_path / "v.bin", keys, vectors, binary=True)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 4_000_000, peak
    vectors[250_000, 3] = np.nan
    with pytest.raises(ValueError, match="'w250000' contains NaN"):
        fio.write_word2vec_format(tmp_path / "bad.bin", keys, vectors, binary=True)


def test_native_file_with_an_encrypted_member_raises_vector_file_error(tmp_path):
    """A damaged flag bit that marks meta.json encrypted (found by the damaged-file property test):
    zipfile's RuntimeError asking for a password must not escape."""
    kv = KeyedVectors(2)
    kv.add_vectors(["a", "b"], np.ones((2, 2), dtype=np.float32))
    path = tmp_path / "kv.fw2v"
    kv.save(path)
    data = bytearray(path.read_bytes())
    at = data.find(b"PK\x01\x02")            # the first central-directory entry (meta.json)
    assert at > 0
    data[at + 8] |= 0x1                      # general purpose flags: encrypted
    path.write_bytes(bytes(data))
    with pytest.raises(VectorFileError, match="encrypted"):
        KeyedVectors.load(path)
