"""Tests of fastw2v.datasets: the tokenizer and the embedded US speeches corpus."""
import gzip
import os
import re

import pytest

from fastw2v.corpus import LineSentence, iter_lines
from fastw2v.datasets import demo_corpus_path, repair_encoding, tokenize, us_speeches

SHARED_RAW = "/work/shared/corpora/us-speeches-raw.txt.gz"


def test_tokenize_words_and_sentences():
    text = "Mr. Speaker, the U.S. economy grew 3.5 percent in 1999! Isn\u2019t it great? Snow-capped 21st\nNext LINE"
    assert tokenize(text) == [
        ["mr"],
        ["speaker", "the", "u", "s"],
        ["economy", "grew", "percent", "in"],
        ["isn't", "it", "great"],
        ["snow", "capped", "st"],
        ["next", "line"],
    ]


def test_tokenize_drops_numbers_punctuation_and_empty_sentences():
    assert tokenize("1945. -- ... !?\n\n(42)") == []
    assert tokenize("America's 'quoted' words\u2014dashes; o'clock") == [
        ["america's", "quoted", "words", "dashes", "o'clock"]
    ]
    assert tokenize("caf\u00e9 na\u00efve") == [["caf", "na", "ve"]]  # non-ASCII letters separate words


def test_demo_corpus_is_packaged_and_strict_utf8():
    path = demo_corpus_path()
    assert os.path.isfile(path) and path.endswith(".gz")
    assert sum(1 for _ in iter_lines(path)) > 10_000  # every line decodes strictly
    assert any(LineSentence(path))


def test_us_speeches_yields_many_sentences_and_is_restartable():
    corpus = us_speeches()
    sentences = list(corpus)
    assert len(sentences) > 10_000
    assert sum(map(len, sentences)) > 400_000
    word = re.compile(r"[a-z]+(?:'[a-z]+)?\Z")
    assert all(s and all(word.match(w) for w in s) for s in sentences)
    assert next(iter(corpus)) == sentences[0]  # a fresh pass starts again
    assert iter(corpus) is not iter(corpus)


@pytest.mark.skipif(not os.path.exists(SHARED_RAW), reason=f"{SHARED_RAW} (the raw source) is absent")
def test_packaged_file_is_the_repaired_raw_corpus():
    with gzip.open(SHARED_RAW) as f:
        raw = f.read()
    with gzip.open(demo_corpus_path()) as f:
        packaged = f.read()
    assert packaged == repair_encoding(raw)
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")  # the reason for the repair


def test_repair_encoding():
    assert repair_encoding("plain — valid é\n".encode("utf-8")) == "plain — valid é\n".encode("utf-8")
    assert repair_encoding(b"America\xa1\xa6s \xa1Xand \xa1\xa7q\xa1\xa8 \xbd\xa2") == (
        "America\u2019s \u2014and \u201cq\u201d \u00bd\u00a2".encode("utf-8")
    )
    with pytest.raises(ValueError, match="unknown invalid UTF-8"):
        repair_encoding(b"bad \xff byte")
