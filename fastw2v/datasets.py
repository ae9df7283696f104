"""The embedded demo corpus and its tokenizer.

``fastw2v/data/us-speeches.txt.gz``: raw text of the US State of the Union addresses 1945-2006 and the
inaugural addresses 1789-2009 (US government works, public domain; from NLTK's ``state_union`` and
``inaugural`` corpora), about 488k whitespace words, one paragraph per line.

The packaged file is that raw text, the NLTK sources concatenated, with its encoding repaired
(``repair_encoding``): 172 lines of the NLTK source hold Big5-encoded punctuation (’ “ ” — … and an
ideographic space) and one Latin-1 "½¢"; they are transcoded to UTF-8 (the ideographic space becomes
a plain space) so that every strict UTF-8 reader accepts the file. No other byte changes.
"""
from __future__ import annotations

import os
import re
from typing import Iterator

from .corpus import iter_lines

_DATA_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")

# A run of . ! ? ends a sentence unless a letter or digit follows at once, so that "u.s." and
# "3.5" stay inside their sentence.
_SENTENCE_END = re.compile(r"[.!?]+(?![a-z0-9])")
_WORD = re.compile(r"[a-z]+(?:'[a-z]+)?")
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'"})


# Byte pairs that are invalid UTF-8 in the raw NLTK text, read as Big5 punctuation / Latin-1.
_MISENCODED = {
    b"\xa1X": "\u2014",      # Big5 em dash
    b"\xa1\xa5": "\u2018",   # Big5 left single quote
    b"\xa1\xa6": "\u2019",   # Big5 right single quote
    b"\xa1\xa7": "\u201c",   # Big5 left double quote
    b"\xa1\xa8": "\u201d",   # Big5 right double quote
    b"\xa1K": "\u2026",      # Big5 ellipsis
    b"\xa1@": " ",           # Big5 ideographic space (indentation)
    b"\xbd\xa2": "\u00bd\u00a2",  # Latin-1 "1/2 cent" ("cancellation of the ½¢ decrease", 1940s)
}


def repair_encoding(raw: bytes) -> bytes:
    """Transcode the known mis-encoded byte pairs of the raw speeches text to UTF-8.

    Only bytes that fail UTF-8 decoding are looked at, so valid UTF-8 is never altered; an unknown
    invalid sequence raises ``ValueError``.
    """
    out = []
    pos = 0
    while True:
        try:
            out.append(raw[pos:].decode("utf-8"))
            break
        except UnicodeDecodeError as e:
            start = pos + e.start
            out.append(raw[pos:start].decode("utf-8"))
            pair = raw[start:start + 2]
            if pair not in _MISENCODED:
                raise ValueError(f"unknown invalid UTF-8 bytes {raw[start:start + 4]!r} at offset {start}") from None
            out.append(_MISENCODED[pair])
            pos = start + 2
    return "".join(out).encode("utf-8")


def tokenize(text: str) -> list[list[str]]:
    """Split raw English text into sentences of lowercase word tokens.

    * sentences end at line ends and at runs of ``.``, ``!``, ``?`` not directly followed by a
      letter or digit (so "Mr. Smith" is two sentences; "U.S." and "3.5" are not cut);
    * text is lowercased, typographic apostrophes become ``'``, and words are the matches of
      ``[a-z]+(?:'[a-z]+)?``: "america's" and "don't" stay whole; everything else separates words
      and is dropped: digits ("1945" vanishes, "21st" -> "st"), punctuation and dashes
      ("snow-capped" -> "snow", "capped"; "u.s." -> "u", "s"), and non-ASCII letters (none occur in
      the demo corpus);
    * sentences left without words are skipped.
    """
    sentences = []
    for line in text.lower().translate(_APOSTROPHES).splitlines():
        for part in _SENTENCE_END.split(line):
            words = _WORD.findall(part)
            if words:
                sentences.append(words)
    return sentences


class TokenizedCorpus:
    """Restartable iterable of ``tokenize``d sentences of a text file (.gz/.bz2/.xz transparently)."""

    def __init__(self, path):
        self.path = path

    def __iter__(self) -> Iterator[list[str]]:
        for line in iter_lines(self.path):
            yield from tokenize(line)

    def __repr__(self) -> str:
        return f"TokenizedCorpus({self.path!r})"


def demo_corpus_path() -> str:
    """Path of the gzipped raw text of the US speeches corpus."""
    return os.path.join(_DATA_DIR, "us-speeches.txt.gz")


def us_speeches() -> TokenizedCorpus:
    """The US speeches demo corpus as a restartable iterable of token lists (about 20k sentences,
    470k tokens; re-read and re-tokenised on each pass, about a second)."""
    return TokenizedCorpus(demo_corpus_path())
