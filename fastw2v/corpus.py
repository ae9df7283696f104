"""Corpus readers and encoding to int32 id batches.

Two ways in, one way out (``IdBatch``):

* iterable mode: any restartable iterable of token lists (``LineSentence``, ``Text8Corpus``, a list)
  -> ``iter_id_batches`` looks tokens up in a ``key_to_index`` dict, with the GIL;
* file mode: a path -> ``iter_file_batches`` reads raw (decompressed) byte blocks and tokenises them
  with ``fastw2v._text`` without the GIL.

For a file read both ways the two give the same tokens, sentence offsets, raw word counts and
sentence counts (tested); only the cut between batches differs.

Tokens are separated by the six ASCII whitespace bytes (space, \\t, \\n, \\v, \\f, \\r), as in
gensim's corpus_file mode and word2vec.c. Note: gensim's own ``LineSentence`` uses ``str.split()``,
which also splits on Unicode spaces (U+00A0, U+2000..U+200A, U+3000, ...) and on \\x1c..\\x1f; here
those characters stay inside tokens, so that both modes agree byte for byte.

Sentences: one line = one sentence; a line of more than ``max_sentence_length`` tokens is cut into
pieces of that many tokens (raw tokens, out-of-vocabulary ones included), each piece a sentence,
exactly like gensim's LineSentence. Nothing is ever truncated. Readers cut lines into those pieces
while reading, so that memory stays bounded by a read block and one piece however long a line is
(``LineSentence``; ``iter_file_batches`` by ``MAX_CARRY_BYTES``).
"""
from __future__ import annotations

import bz2
import gzip
import io
import logging
import os
import re
import zlib
from typing import Iterable, Iterator, NamedTuple

import numpy as np

logger = logging.getLogger(__name__)

#: gensim's MAX_WORDS_IN_BATCH: default sentence piece length (tokens) and batch size (words).
MAX_SENTENCE_LENGTH = 10000
#: default in-vocabulary words per IdBatch in iterable mode
BATCH_WORDS = 10000
#: default bytes read per block in file mode
BATCH_BYTES = 1 << 20
#: file mode: a sentence piece longer than this many bytes is cut at a forced boundary
#: (only reachable with a huge max_sentence_length or megabyte-long tokens)
MAX_CARRY_BYTES = 1 << 26

_READ_BYTES = 1 << 20
_GZIP_MAGIC = b"\x1f\x8b"
# Unicode whitespace other than the six ASCII separators (what str.split() would also split on),
# as UTF-8 byte patterns: \x1c-\x1f, U+0085, U+00A0, U+1680, U+2000-U+200A, U+2028, U+2029, U+202F,
# U+205F, U+3000.
_OTHER_SPACE_BYTES = re.compile(
    rb"[\x1c-\x1f]|\xc2[\x85\xa0]|\xe1\x9a\x80|\xe2\x80[\x80-\x8a\xa8\xa9\xaf]|\xe2\x81\x9f|\xe3\x80\x80"
)
_ASCII_SPACE_RUN = re.compile(r"[ \t\n\v\f\r]+")


class IdBatch(NamedTuple):
    """One unit of training work.

    tokens      int32[n] in-vocabulary word ids, sentences concatenated
    offsets     int64[m+1] sentence starts: offsets[0] == 0, offsets[-1] == n, strictly increasing
                (sentences left without in-vocabulary tokens have no entry)
    raw_words   tokens read, out-of-vocabulary ones included (gensim's raw word count)
    n_sentences corpus sentences consumed (gensim's "examples"): in iterable mode every item of the
                iterable, empty ones included; for a file, LineSentence's sentences (non-empty lines,
                a long line counting once per max_sentence_length piece)
    """

    tokens: np.ndarray
    offsets: np.ndarray
    raw_words: int
    n_sentences: int


# --------------------------------------------------------------------------- files


def _name(path) -> str:
    return os.fsdecode(path) if isinstance(path, (str, bytes, os.PathLike)) else repr(path)


def open_text(path):
    """Open ``path`` for binary reading, decompressing .gz (suffix or gzip magic) and .bz2 (suffix).

    A missing or unreadable file raises ``FileNotFoundError`` / ``OSError`` naming it.
    """
    name = _name(path)
    try:
        with open(path, "rb") as f:
            magic = f.read(2)
    except OSError as e:
        # keep the type (FileNotFoundError, IsADirectoryError, ...); the message names the file
        raise type(e)(e.errno, f"cannot open corpus file: {e.strerror}", name) from None
    # gzip's magic can never start a UTF-8 text (0x8b is not a lead byte), so sniffing it is safe;
    # bz2's "BZh" could, so .bz2 goes by suffix only. Reopening by name lets the decompressor own
    # (and close) the file.
    if magic == _GZIP_MAGIC or name.endswith(".gz"):
        return gzip.open(path, "rb")
    if name.endswith(".bz2"):
        return bz2.open(path, "rb")
    return open(path, "rb")


def _is_plain(f) -> bool:
    """Whether a file from ``open_text`` is read as stored (not decompressed): byte offsets into it
    are offsets into the file, so it can be read from any byte."""
    return isinstance(f, io.BufferedReader)


class _ReadErrors:
    """Context manager: decompression failures become ``OSError`` naming the file."""

    def __init__(self, name):
        self.name = name

    def __enter__(self):
        return self

    def __exit__(self, tp, e, tb):
        if isinstance(e, EOFError):
            raise OSError(f"{self.name}: compressed file is truncated ({e})") from e
        if isinstance(e, zlib.error) or (isinstance(e, OSError) and e.filename is None):
            raise OSError(f"{self.name}: cannot read: {e}") from e
        return False


def _read_blocks(f, size: int) -> Iterator[bytes]:
    while True:
        block = f.read(size)
        if not block:
            return
        yield block


def iter_line_blocks(path, block_bytes: int = _READ_BYTES) -> Iterator[tuple[int, bytes]]:
    """Yield ``(first_line_number, block)``: the (decompressed) file in blocks that end just after a
    b"\\n" (the last block may end without one). Line numbers start at 1."""
    name = _name(path)
    lineno = 1
    with _ReadErrors(name), open_text(path) as f:
        parts: list[bytes] = []
        for block in _read_blocks(f, block_bytes):
            cut = block.rfind(b"\n")
            if cut < 0:
                parts.append(block)  # a line longer than the block: keep reading
                continue
            if parts:
                parts.append(block[: cut + 1])
                head = b"".join(parts)
                parts = []
            else:
                head = block if cut == len(block) - 1 else block[: cut + 1]
            yield lineno, head
            lineno += head.count(b"\n")
            if cut < len(block) - 1:
                parts.append(block[cut + 1:])
        if parts:
            yield lineno, b"".join(parts)


def decode_block(block: bytes, name: str, lineno: int) -> str:
    """Decode strict UTF-8; on failure raise ``ValueError`` naming the file ``name`` and the line
    (``lineno`` is the number of the block's first line)."""
    try:
        return block.decode("utf-8")
    except UnicodeDecodeError as e:
        line = lineno + block.count(b"\n", 0, e.start)
        col = e.start - (block.rfind(b"\n", 0, e.start) + 1)
        raise ValueError(
            f"{name}: line {line} is not valid UTF-8 (byte {block[e.start:e.start + 1]!r} at byte "
            f"offset {col} of the line: {e.reason}); re-encode the file as UTF-8"
        ) from None


def _has_other_space(block: bytes) -> bool:
    """True when ``block`` holds whitespace that ``str.split()`` knows but ASCII splitting doesn't."""
    if block.isascii():
        return b"\x1c" in block or b"\x1d" in block or b"\x1e" in block or b"\x1f" in block
    return _OTHER_SPACE_BYTES.search(block) is not None


def _ascii_split(text: str) -> list[str]:
    """Split on ASCII whitespace only (the slow path, for text holding other Unicode spaces)."""
    return [t for t in _ASCII_SPACE_RUN.split(text) if t]


def iter_text_blocks(path, block_bytes: int = _READ_BYTES):
    """Yield ``(first_line_number, lines, split)``: decoded lines of one block (without their
    b"\\n") and the function that splits a line on ASCII whitespace (``str.split`` when the block
    holds no other Unicode whitespace, which is the common, fast case)."""
    name = _name(path)
    for lineno, block in iter_line_blocks(path, block_bytes):
        text = decode_block(block, name, lineno)
        lines = text.split("\n")
        if text.endswith("\n"):
            lines.pop()
        yield lineno, lines, (_ascii_split if _has_other_space(block) else str.split)


def iter_lines(path) -> Iterator[str]:
    """Yield the decoded lines of a text file (.gz/.bz2 transparently), without "\\n" or "\\r\\n".

    Strict UTF-8: a malformed byte raises ``ValueError`` naming the file and the line number.
    """
    for _, lines, _ in iter_text_blocks(path):
        for line in lines:
            yield line[:-1] if line.endswith("\r") else line


# --------------------------------------------------------------------------- iterables


def _check_max_sentence_length(max_sentence_length) -> int:
    if int(max_sentence_length) != max_sentence_length or max_sentence_length < 1:
        raise ValueError(f"max_sentence_length must be a positive integer, got {max_sentence_length!r}")
    return int(max_sentence_length)


class LineSentence:
    """One sentence per line, tokens separated by ASCII whitespace (gensim's ``LineSentence``).

    ``source`` is a path (.gz/.bz2 decompressed transparently) or a file object supporting
    ``seek(0)`` (opened in binary or text mode). Lines longer than ``max_sentence_length`` tokens are
    cut into pieces of that many tokens, each yielded as a sentence; empty lines yield nothing.
    ``limit`` reads only the first ``limit`` lines. Restartable: each ``iter()`` re-reads the file.
    Reads 1 MiB blocks and yields a long line's pieces as they arrive (bounded memory: a line of
    any length never exists whole, neither as bytes nor as tokens).
    """

    def __init__(self, source, max_sentence_length: int = MAX_SENTENCE_LENGTH, limit: int | None = None):
        self.source = source
        self.max_sentence_length = _check_max_sentence_length(max_sentence_length)
        if limit is not None and limit < 0:
            raise ValueError(f"limit must be None or >= 0, got {limit!r}")
        self.limit = limit

    def __iter__(self) -> Iterator[list[str]]:
        if hasattr(self.source, "read"):
            self.source.seek(0)
            segments = _file_object_segments(self.source)
        else:
            segments = _path_segments(self.source)
        return _line_pieces(segments, self.max_sentence_length, self.limit)


def _line_pieces(segments, max_len: int, limit) -> Iterator[list[str]]:
    """LineSentence's sentences from decoded ``(text, split)`` segments of a file, each cut just
    after a whitespace character (so no token spans two segments, but a line may): every line split
    into tokens and cut into pieces of ``max_len``, the first ``limit`` lines only (None: all).
    A line longer than a segment is cut into pieces as its segments arrive, so memory stays bounded
    by a segment and ``max_len`` tokens, however long the line."""
    carry: list[str] = []   # tokens of the line that continues into the next segment
    done = 0                # lines finished
    for text, split in segments:
        lines = text.split("\n")
        last = len(lines) - 1
        for k, line in enumerate(lines):
            if limit is not None and done >= limit:
                return
            tokens = split(line) if line else []
            if carry:
                carry.extend(tokens)
                tokens, carry = carry, []
            if k == last:   # the line goes on in the next segment: keep what is not a full piece
                whole = len(tokens) - len(tokens) % max_len
                for i in range(0, whole, max_len):
                    yield tokens[i:i + max_len]
                carry = tokens[whole:] if whole else tokens
                continue
            done += 1
            if len(tokens) <= max_len:
                if tokens:
                    yield tokens
            else:
                for i in range(0, len(tokens), max_len):
                    yield tokens[i:i + max_len]
    if carry and (limit is None or done < limit):
        yield carry


def _path_segments(path, block_bytes: int = _READ_BYTES):
    """``(text, split)`` segments of a text file (.gz/.bz2 transparently), for ``_line_pieces``:
    blocks of about ``block_bytes`` cut after their last ASCII whitespace byte, decoded as strict
    UTF-8 (a whitespace byte is never inside a UTF-8 sequence, so a cut never splits a character;
    errors name the file and line)."""
    name = _name(path)
    lineno = 1
    with _ReadErrors(name), open_text(path) as f:
        tail = b""
        for block in _read_blocks(f, block_bytes):
            data = tail + block if tail else block
            cut = _last_ascii_space(data) + 1
            if cut == 0:        # one token longer than the block: keep reading
                tail = data
                continue
            head, tail = (data, b"") if cut == len(data) else (data[:cut], data[cut:])
            yield decode_block(head, name, lineno), (_ascii_split if _has_other_space(head) else str.split)
            lineno += head.count(b"\n")
        if tail:
            yield decode_block(tail, name, lineno), (_ascii_split if _has_other_space(tail) else str.split)


_ASCII_SPACE_CHARS = " \t\n\r\v\f"


def _file_object_segments(source, block_chars: int = _READ_BYTES):
    """``(text, split)`` segments of an open file object (binary: strict UTF-8, errors naming the
    object's ``name`` and the line; text: as read), cut after their last ASCII whitespace."""
    name = getattr(source, "name", repr(source))
    lineno = 1
    tail = None
    while True:
        block = source.read(block_chars)
        if not block:
            break
        data = tail + block if tail else block
        if isinstance(data, bytes):
            cut = _last_ascii_space(data) + 1
        else:
            cut = max(data.rfind(c) for c in _ASCII_SPACE_CHARS) + 1
        if cut == 0:
            tail = data
            continue
        head, tail = data[:cut], data[cut:]
        if isinstance(head, bytes):
            text = decode_block(head, name, lineno)
            lineno += head.count(b"\n")
        else:
            text = head
        yield text, _ascii_split
    if tail:
        yield (decode_block(tail, name, lineno) if isinstance(tail, bytes) else tail), _ascii_split


def _last_ascii_space(block: bytes) -> int:
    return max(block.rfind(c) for c in (b" ", b"\n", b"\t", b"\r", b"\v", b"\f"))


class Text8Corpus:
    """The whole file is one stream of tokens (newlines are plain whitespace), cut into sentences of
    ``max_sentence_length`` tokens; the last sentence holds the rest (gensim's ``Text8Corpus``).

    Tokens are separated by ASCII whitespace. Restartable. Reads the file in 1 MiB blocks.
    """

    def __init__(self, fname, max_sentence_length: int = MAX_SENTENCE_LENGTH):
        self.fname = fname
        self.max_sentence_length = _check_max_sentence_length(max_sentence_length)

    def __iter__(self) -> Iterator[list[str]]:
        name = _name(self.fname)
        max_len = self.max_sentence_length
        sentence: list[str] = []
        rest = b""
        lineno = 1
        with _ReadErrors(name), open_text(self.fname) as f:
            while True:
                block = f.read(_READ_BYTES)
                eof = not block
                text = rest + block if rest else block
                if eof:
                    cut = len(text)
                else:
                    # cut after the last whitespace: the token there may continue in the next block
                    cut = _last_ascii_space(text) + 1
                head, rest = text[:cut], text[cut:]
                decoded = decode_block(head, name, lineno)
                lineno += head.count(b"\n")
                sentence.extend(_ascii_split(decoded) if _has_other_space(head) else decoded.split())
                start = 0
                while len(sentence) - start >= max_len:
                    yield sentence[start:start + max_len]
                    start += max_len
                del sentence[:start]
                if eof:
                    break
        if sentence:
            yield sentence


class PathLineSentences:
    """``LineSentence`` over every file of a folder, in file-name order (gensim's
    ``PathLineSentences``).

    ``source`` is a folder (its plain files are read in sorted name order; subfolders are not
    entered) or a single file. Each file is read as ``LineSentence(file, max_sentence_length, limit)``:
    .gz/.bz2 decompressed transparently, ``limit`` lines *per file*. The file list is taken once, at
    construction, as in gensim; every ``iter()`` re-reads the files (restartable).
    """

    def __init__(self, source, max_sentence_length: int = MAX_SENTENCE_LENGTH, limit: int | None = None):
        self.source = os.fspath(source)
        self.max_sentence_length = _check_max_sentence_length(max_sentence_length)
        if limit is not None and limit < 0:
            raise ValueError(f"limit must be None or >= 0, got {limit!r}")
        self.limit = limit
        if os.path.isfile(self.source):
            self.input_files = [self.source]
        elif os.path.isdir(self.source):
            self.source = os.path.join(self.source, "")
            self.input_files = sorted(
                os.path.join(self.source, name) for name in os.listdir(self.source)
                if os.path.isfile(os.path.join(self.source, name)))
        else:
            raise FileNotFoundError(f"PathLineSentences: source {self.source!r} is neither a file "
                                    "nor a folder")
        logger.info("PathLineSentences reads %i files from %s", len(self.input_files), self.source)

    def __iter__(self) -> Iterator[list[str]]:
        for path in self.input_files:
            yield from LineSentence(path, self.max_sentence_length, self.limit)


class BrownCorpus:
    """Sentences of the Brown corpus as NLTK ships it (gensim's ``BrownCorpus``): every plain file of
    the folder ``dirname``, in sorted name order (gensim takes ``os.listdir`` order, which depends on
    the file system), one sentence per line, tokens ``word/TAG``.

    A token with exactly one ``/`` becomes ``word.lower() + "/" + TAG[:2]``, kept only when
    ``TAG[:2]`` is alphabetic (punctuation tags are dropped); other tokens are dropped; lines left
    empty yield nothing. Lines are split on any whitespace (``str.split()``, as gensim), decoded as
    strict UTF-8; .gz/.bz2 files are decompressed. Restartable.
    """

    def __init__(self, dirname):
        self.dirname = os.fspath(dirname)
        if not os.path.isdir(self.dirname):
            raise NotADirectoryError(f"BrownCorpus: dirname {self.dirname!r} is not a folder")

    def __iter__(self) -> Iterator[list[str]]:
        names = sorted(os.listdir(self.dirname))
        for name in names:
            path = os.path.join(self.dirname, name)
            if not os.path.isfile(path):
                continue
            for lineno, line in enumerate(_iter_raw_lines(path), 1):
                words = []
                for token in decode_block(line, _name(path), lineno).split():
                    parts = token.split("/")
                    if len(parts) == 2 and parts[1][:2].isalpha():
                        words.append(f"{parts[0].lower()}/{parts[1][:2]}")
                if words:
                    yield words


def _iter_raw_lines(path) -> Iterator[bytes]:
    with _ReadErrors(_name(path)), open_text(path) as f:
        yield from f


# --------------------------------------------------------------------------- encoding


def _sentence_error(sentence, index: int) -> TypeError | None:
    if isinstance(sentence, str):
        return TypeError(
            f"sentence {index} is a str; each sentence must be a list of tokens (did you forget .split()?)"
        )
    if isinstance(sentence, (bytes, bytearray)):
        return TypeError(
            f"sentence {index} is a {type(sentence).__name__} object; each sentence must be a list of "
            f"str tokens (decode it and .split() it)"
        )
    if sentence is None:
        return TypeError(f"sentence {index} is None; each sentence must be a list of str tokens")
    return None


def as_token_list(sentence, index: int):
    """Return ``sentence`` as a sized sequence of tokens, or raise ``TypeError`` naming ``index``
    for the usual mistakes (a str, bytes or None sentence, a non-iterable)."""
    if type(sentence) is list or type(sentence) is tuple:
        return sentence
    error = _sentence_error(sentence, index)
    if error is not None:
        raise error
    try:
        return list(sentence)
    except TypeError:
        raise TypeError(
            f"sentence {index} is not iterable (type {type(sentence).__name__}); each sentence must "
            f"be a list of str tokens"
        ) from None


def check_restartable(corpus_iterable, what: str = "corpus_iterable") -> None:
    """Raise ``TypeError`` unless ``corpus_iterable`` can be iterated more than once."""
    if isinstance(corpus_iterable, (str, bytes, os.PathLike)):
        raise TypeError(
            f"{what} is a {type(corpus_iterable).__name__}; pass a path as corpus_file=..., or a "
            f"list of token lists as {what}"
        )
    try:
        it = iter(corpus_iterable)
    except TypeError:
        raise TypeError(
            f"{what} must be an iterable of token lists, got {type(corpus_iterable).__name__}"
        ) from None
    if it is corpus_iterable:
        raise TypeError(
            f"{what} is a {type(corpus_iterable).__name__}, an iterator that can be consumed only "
            f"once; training reads the corpus several times, so pass a restartable iterable (a list, "
            f"or an object whose __iter__ returns a fresh iterator, like LineSentence)"
        )


class _Pending:
    """Encoded sentence pieces waiting to be cut into batches (all arrays aligned per piece)."""

    __slots__ = ("tokens", "iv", "raw", "ends")

    def __init__(self):
        self.tokens = np.empty(0, np.int32)
        self.iv = np.empty(0, np.int64)       # in-vocabulary tokens per piece
        self.raw = np.empty(0, np.int64)      # raw tokens per piece
        self.ends = np.empty(0, np.bool_)     # piece closes a corpus sentence

    def extend(self, tokens, iv, raw, ends):
        if len(self.iv):
            self.tokens = np.concatenate((self.tokens, tokens))
            self.iv = np.concatenate((self.iv, iv))
            self.raw = np.concatenate((self.raw, raw))
            self.ends = np.concatenate((self.ends, ends))
        else:
            self.tokens, self.iv, self.raw, self.ends = tokens, iv, raw, ends

    def cut(self, batch_words: int, final: bool) -> Iterator[IdBatch]:
        """Yield batches, each the longest run of pieces holding <= batch_words in-vocabulary tokens
        (at least one piece). A batch is emitted only once a later piece proves it complete, unless
        ``final``."""
        iv = self.iv
        if not len(iv):
            return
        cum = np.cumsum(iv)
        first_piece = 0
        done = 0  # tokens already emitted
        while first_piece < len(iv):
            limit = done + batch_words
            if not final and cum[-1] <= limit:
                break
            stop = int(np.searchsorted(cum, limit, side="right"))
            if stop <= first_piece:
                stop = first_piece + 1
            end_tok = int(cum[stop - 1])
            piece_iv = iv[first_piece:stop]
            offsets = np.empty(np.count_nonzero(piece_iv) + 1, np.int64)
            offsets[0] = 0
            np.cumsum(piece_iv[piece_iv > 0], out=offsets[1:])
            yield IdBatch(
                self.tokens[done:end_tok],
                offsets,
                int(self.raw[first_piece:stop].sum()),
                int(np.count_nonzero(self.ends[first_piece:stop])),
            )
            first_piece, done = stop, end_tok
        self.tokens = self.tokens[done:]
        self.iv = iv[first_piece:]
        self.raw = self.raw[first_piece:]
        self.ends = self.ends[first_piece:]


def _encode_chunk(chunk: list, key_to_index: dict, max_len: int, vocab_hash=None):
    """Look a list of token lists up in bulk: (kept ids, per-piece in-vocab and raw lengths, ends)."""
    lens = np.fromiter(map(len, chunk), np.int64, count=len(chunk))
    total = int(lens.sum())
    from fastw2v._text import lookup_tokens   # compiled; imported here like in iter_file_batches

    ids = np.empty(total, np.int32)
    lookup_tokens(chunk, key_to_index, ids, vocab_hash)   # key_to_index.get(token, -1), in C
    if lens.max(initial=0) <= max_len:
        piece_raw = lens
        ends = np.ones(len(lens), np.bool_)
    else:
        n_pieces = np.maximum(1, -(-lens // max_len))
        first = np.cumsum(n_pieces) - n_pieces
        owner = np.repeat(np.arange(len(lens)), n_pieces)
        k = np.arange(int(n_pieces.sum())) - np.repeat(first, n_pieces)
        piece_raw = np.minimum(lens[owner] - k * max_len, max_len)
        ends = k == n_pieces[owner] - 1
    keep = ids >= 0
    kept_before = np.zeros(total + 1, np.int64)
    np.cumsum(keep, out=kept_before[1:])
    bounds = np.zeros(len(piece_raw) + 1, np.int64)
    np.cumsum(piece_raw, out=bounds[1:])
    iv = np.diff(kept_before[bounds])
    return ids[keep], iv, piece_raw, ends


def iter_id_batches(
    corpus_iterable: Iterable,
    key_to_index: dict,
    batch_words: int = BATCH_WORDS,
    max_sentence_length: int = MAX_SENTENCE_LENGTH,
    vocab_hash=None,
) -> Iterator[IdBatch]:
    """Encode an iterable of token lists into ``IdBatch`` es of about ``batch_words`` ids.

    Out-of-vocabulary tokens (including non-str ones) are dropped but counted in ``raw_words``.
    A sentence longer than ``max_sentence_length`` raw tokens is cut into pieces of that many raw
    tokens (never truncated). Batch rule: a batch is the longest run of consecutive pieces holding at
    most ``batch_words`` in-vocabulary tokens, or one piece if that piece alone holds more; a sentence
    piece is never split across batches. ``n_sentences`` counts a corpus sentence in the batch that
    holds its last piece. Tokens are looked up in bulk per read-ahead chunk of about ``batch_words``
    raw tokens by ``_text.lookup_tokens``, with no Python call per token: str tokens by their UTF-8
    bytes in ``vocab_hash`` when given (a ``VocabHash`` of ``key_to_index``'s words at their ids;
    what training passes), other tokens in ``key_to_index``. On the dev corpus, encoding
    ``LineSentence`` into batches takes about half the time with ``vocab_hash`` than with dict
    lookups (``benchmarks/bench_vocab.py -k iter_id``). Memory stays bounded by a few batches.
    """
    if batch_words < 1:
        raise ValueError(f"batch_words must be >= 1, got {batch_words!r}")
    max_len = _check_max_sentence_length(max_sentence_length)
    if type(key_to_index) is not dict:
        key_to_index = dict(key_to_index)
    pending = _Pending()
    chunk: list = []
    chunk_raw = 0
    for index, sentence in enumerate(corpus_iterable):
        if type(sentence) is not list:
            sentence = as_token_list(sentence, index)
        chunk.append(sentence)
        chunk_raw += len(sentence)
        if chunk_raw >= batch_words or len(chunk) >= 4096:
            pending.extend(*_encode_chunk(chunk, key_to_index, max_len, vocab_hash))
            chunk, chunk_raw = [], 0
            yield from pending.cut(batch_words, final=False)
    if chunk:
        pending.extend(*_encode_chunk(chunk, key_to_index, max_len, vocab_hash))
    yield from pending.cut(batch_words, final=True)


def file_partitions(path, parts: int, probe_bytes: int = 1 << 16) -> list[tuple[int, int | None]]:
    """Cut a plain (uncompressed) text file into at most ``parts`` byte ranges ``(start, end)`` of
    about equal size, each starting at a line start (``end`` None: the end of the file).

    For training readers that work on distant parts of the file at once, as word2vec.c's threads and
    gensim's corpus_file workers do. The ranges cover the file in order, so reading them one after
    the other gives the same sentences as reading the file. A compressed file (not seekable), or a
    cut with no newline before the next one (text8-style files), gives fewer ranges, down to
    ``[(0, None)]``.
    """
    if parts < 1:
        raise ValueError(f"parts must be >= 1, got {parts!r}")
    name = _name(path)
    with _ReadErrors(name), open_text(path) as f:
        if parts == 1 or not _is_plain(f):
            return [(0, None)]
        size = os.fstat(f.fileno()).st_size
        starts = [0]
        for k in range(1, parts):
            nominal = max(k * size // parts, starts[-1])
            limit = (k + 1) * size // parts   # no further than the next nominal cut
            f.seek(nominal)
            position = nominal
            while position < limit:
                chunk = f.read(min(probe_bytes, limit - position))
                if not chunk:
                    break
                newline = chunk.find(b"\n")
                if newline >= 0:
                    if position + newline + 1 < size:
                        starts.append(position + newline + 1)
                    break
                position += len(chunk)
        starts = sorted(set(starts))
    return [(a, b) for a, b in zip(starts, starts[1:] + [None])]


def iter_file_batches(
    path,
    vocab_hash,
    batch_bytes: int = BATCH_BYTES,
    max_sentence_length: int = MAX_SENTENCE_LENGTH,
    start: int = 0,
    end: int | None = None,
) -> Iterator[IdBatch]:
    """Encode a text file (.gz/.bz2 transparently) into ``IdBatch`` es without holding the GIL.

    ``vocab_hash`` is a ``fastw2v._text.VocabHash`` built from ``index_to_key``. Reads blocks of
    ``batch_bytes`` decompressed bytes (file reads and zlib/bz2 release the GIL) and encodes each
    with ``_text.encode_sentences`` (GIL released). A block is encoded up to its last sentence
    boundary: after its last b"\\n", or, for text8-style files without newlines, after the token that
    completes its last ``max_sentence_length`` piece; the rest is carried into the next block. So the
    result equals ``iter_id_batches(LineSentence(path, max_sentence_length), ...)`` token for token
    and sentence for sentence, text8 included. One exception, documented: when a single sentence
    piece exceeds ``MAX_CARRY_BYTES`` (64 MiB; only with a huge ``max_sentence_length``), a sentence
    boundary is forced at the last whitespace of the block rather than holding more in memory.

    Each batch holds one block's sentences (about ``batch_bytes / 6`` tokens for English text); a
    block whose tokens are all out of vocabulary gives a batch without tokens, so that ``raw_words``
    adds up. Bytes are not decoded: malformed UTF-8 matches no word. Same semantics as the
    module docstring otherwise.

    ``start``/``end`` restrict reading to the byte range ``[start, end)`` of a plain file (a range
    from ``file_partitions``; ``end`` None: to the end). A range that does not start at a line start
    begins a sentence mid-line.
    """
    from fastw2v import _text

    if batch_bytes < 1:
        raise ValueError(f"batch_bytes must be >= 1, got {batch_bytes!r}")
    max_len = _check_max_sentence_length(max_sentence_length)
    name = _name(path)
    encode = _text.encode_sentences
    if start < 0 or (end is not None and end < start):
        raise ValueError(f"byte range [{start}, {end}) of {name} is not a range")
    with _ReadErrors(name), open_text(path) as f:
        if start or end is not None:
            if not _is_plain(f):
                raise ValueError(f"{name} is compressed: it can only be read from start to end")
            f.seek(start)
        remaining = None if end is None else end - start
        carry = b""
        while True:
            want = max(batch_bytes, len(carry))  # doubling: no quadratic re-scans
            if remaining is not None:
                want = min(want, remaining)
            data = f.read(want) if want else b""
            if remaining is not None:
                remaining -= len(data)
            if not data:
                if carry:
                    tokens, offsets, raw, n_sent, _ = encode(vocab_hash, carry, max_len, True)
                    yield IdBatch(tokens, offsets, raw, n_sent)
                return
            buf = carry + data if carry else data
            tokens, offsets, raw, n_sent, consumed = encode(vocab_hash, buf, max_len, False)
            if consumed == 0:
                if len(buf) <= MAX_CARRY_BYTES:
                    carry = buf
                    continue
                consumed = _last_ascii_space(buf) + 1 or len(buf)
                logger.warning(
                    "%s: a sentence longer than %d bytes; forcing a sentence boundary", name, MAX_CARRY_BYTES
                )
                tokens, offsets, raw, n_sent, _ = encode(vocab_hash, buf[:consumed], max_len, True)
            carry = buf[consumed:]
            if raw:
                yield IdBatch(tokens, offsets, raw, n_sent)
