"""One opener for compressed files (io.open_maybe_compressed), used by corpora and vector files alike:
gzip by suffix or magic bytes, bz2 and xz by suffix (any case), the file opened once."""
import bz2
import gzip
import lzma
import os
import threading

import numpy as np
import pytest

from fastw2v import KeyedVectors
from fastw2v import io as fio
from fastw2v.corpus import LineSentence, open_text

TEXT = b"2 3\nalpha 1 2 3\nbeta 4 5 6\n"
COMPRESSORS = {"gzip": gzip.compress, "bz2": bz2.compress, "xz": lzma.compress}


@pytest.mark.parametrize("name,kind", [("v.txt.gz", "gzip"), ("v.txt.bz2", "bz2"),
                                       ("v.txt.xz", "xz"), ("V.TXT.GZ", "gzip"),
                                       ("v.BZ2", "bz2"), ("gzipped-without-suffix.txt", "gzip"),
                                       ("plain.txt", None)])
def test_corpora_and_vector_files_open_the_same_way(tmp_path, name, kind):
    path = tmp_path / name
    path.write_bytes(COMPRESSORS[kind](TEXT) if kind else TEXT)
    with open_text(path) as a, fio.open_maybe_compressed(path, "rb") as b:
        assert a.read() == b.read() == TEXT
    with open_text(path) as a:
        assert fio.is_stored_stream(a) == (kind is None)
    kv = KeyedVectors.load_word2vec_format(str(path))
    assert kv.index_to_key == ["alpha", "beta"]
    assert np.array_equal(kv["beta"], np.array([4, 5, 6], np.float32))
    assert list(LineSentence(str(path))) == [["2", "3"], ["alpha", "1", "2", "3"],
                                             ["beta", "4", "5", "6"]]


def test_bz2_magic_is_not_sniffed(tmp_path):
    # "BZh" could start a text, so bz2 goes by suffix only: a text that starts so is read as stored
    path = tmp_path / "bzh.txt"
    path.write_bytes(b"BZh9 is a word\n")
    with open_text(path) as f:
        assert f.read() == b"BZh9 is a word\n"


def test_a_cut_xz_corpus_is_an_oserror_naming_it(tmp_path):
    path = tmp_path / "c.txt.xz"
    path.write_bytes(lzma.compress(b"a b c\n" * 1000)[:-20])
    with pytest.raises(OSError, match="c.txt.xz"):
        list(LineSentence(str(path)))
    with pytest.raises(fio.VectorFileError, match="c.txt.xz"):
        KeyedVectors.load_word2vec_format(str(path))


def test_a_missing_corpus_names_the_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="cannot open corpus file.*nothing.gz"):
        open_text(tmp_path / "nothing.gz")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes (POSIX)")
@pytest.mark.parametrize("compress", [False, True], ids=["plain", "gzip"])
def test_a_pipe_is_opened_once(tmp_path, compress):
    # the magic bytes are peeked, not read, so a pipe (readable only once) loses nothing
    fifo = str(tmp_path / "pipe")
    os.mkfifo(fifo)
    data = gzip.compress(TEXT) if compress else TEXT

    def write():
        with open(fifo, "wb") as f:
            f.write(data)

    loaded = []
    writer = threading.Thread(target=write, daemon=True)
    reader = threading.Thread(target=lambda: loaded.append(KeyedVectors.load_word2vec_format(fifo)),
                              daemon=True)
    writer.start()
    reader.start()
    reader.join(20)   # (opening the pipe twice would block the second open forever: fail, not hang)
    assert loaded and loaded[0].index_to_key == ["alpha", "beta"]
