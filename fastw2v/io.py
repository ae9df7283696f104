"""Word-vector files: the word2vec.c text and binary formats, fastw2v's native container, atomic writes.

word2vec formats (byte-compatible with word2vec.c and gensim 4)
----------------------------------------------------------------
* text:   a header line ``"<count> <dim>\\n"``, then one line per word: ``word v1 v2 ... vD\\n``, the
  values written as the shortest decimal that reads back to the same float (``str(np.float32(x))``,
  exactly what gensim writes), so a float32 text file round-trips bit for bit.
* binary: the same header line, then per word ``word`` + ``b" "`` + ``dim`` little-endian float32
  (gensim writes nothing after the vector; word2vec.c writes a ``b"\\n"``, which readers skip).

Paths ending in ``.gz``, ``.bz2`` or ``.xz`` are (de)compressed transparently, and a file that starts
with gzip's magic bytes is read as gzip whatever its name (``open_maybe_compressed``, which the
corpus readers use too). Readers are strict:
any defect (short or non-numeric header, dimension 0, a row with the wrong number of values, a file
cut in the middle of a vector, a word that is not valid UTF-8 under ``unicode_errors="strict"``,
NaN or infinity, anything but whitespace after the last declared row, fewer rows than declared)
raises :class:`VectorFileError` naming the file and the line (text) or byte offset (binary; of the
decompressed stream for compressed files). Words are never allowed to contain ``" "`` or
``"\\n"`` on write (the file could not be read back).

Memory is bounded by the data actually present, never by what a header claims: all declared rows
are allocated at once only when the file's size shows they fit (a binary row takes at least
``4 * dim + 2`` bytes, a text row ``2 * dim + 2``); otherwise (compressed files, lying headers) the
array grows as rows arrive. A text row may take at most ``_max_text_row(dim)`` bytes (a word of
1 MiB and 64 bytes per value) and is refused as soon as it is longer; a binary row longer than a
read chunk is gathered as its bytes arrive.

Native container (``save_native`` / ``load_native``)
----------------------------------------------------
One uncompressed ZIP archive (readable by ``np.load(path, allow_pickle=False)`` and by ``unzip``)::

    meta.json      {"container": "fastw2v-native", "container_version": 1,
                    "arrays": {name: {"dtype": "<f4", "shape": [V, D]}, ...},
                    "meta": {...caller's JSON metadata...}}
    <name>.npy     one .npy (format 1.0/2.0) member per array, stored (ZIP_STORED), its data
                   64-byte aligned in the archive (padding goes in the ZIP local-header extra field)

Loading never unpickles: members are parsed with NumPy's literal-only .npy header parser, object
and structured dtypes are refused, and the archive must hold exactly the members the manifest
names, with the dtypes and shapes it declares. Inflation is bounded before anything is read: a
member may hold its declared array plus a .npy header of at most 64 KiB, a deflated ``meta.json``
at most 64 times its stored size (+ 1 MiB), and only stored or deflated members are read (zipfile
inflates bz2/lzma members a whole read at a time). ``mmap="r"`` (read-only) or ``"c"``
(copy-on-write) maps each array straight from the archive (the member's offset is read from its
local header, the .npy header parsed, then ``np.memmap``); ``"r+"`` is refused because writing
through the map would silently invalidate the member's CRC. Mapped members are not CRC-checked;
fully read ones are.

Writes go to a temporary file in the destination folder, are fsynced, then renamed over the final
name (:func:`atomic_write`), so an interrupted save leaves any previous file intact.
"""
import contextlib
import gzip
import io
import json
import logging
import math
import os
import re
import stat
import struct
import sys
import tempfile
import tokenize
import warnings
import zipfile
import zlib

import numpy as np

try:  # both are optional parts of a Python build
    import bz2
except ImportError:  # pragma: no cover
    bz2 = None
try:
    import lzma
except ImportError:  # pragma: no cover
    lzma = None

logger = logging.getLogger(__name__)

__all__ = [
    "VectorFileError", "TruncatedVectorFileError", "UndecodableVectorFileError",
    "open_maybe_compressed", "is_stored_stream", "atomic_write",
    "read_word2vec_format", "write_word2vec_format", "read_vocab_counts", "write_vocab_counts",
    "save_native", "load_native", "check_finite_rows", "sniff_format",
    "NATIVE_CONTAINER", "NATIVE_CONTAINER_VERSION", "KEYED_VECTORS_FORMAT", "KEYED_VECTORS_VERSION",
    "WORD2VEC_FORMAT", "WORD2VEC_VERSION",
]

NATIVE_CONTAINER = "fastw2v-native"
NATIVE_CONTAINER_VERSION = 1
#: The ``"format"`` (and its newest ``"version"``) in the metadata of the native files the package
#: writes: ``KeyedVectors.save`` and ``Word2Vec.save`` (``KeyedVectors.load`` reads both kinds).
KEYED_VECTORS_FORMAT = "fastw2v.KeyedVectors"
KEYED_VECTORS_VERSION = 1
WORD2VEC_FORMAT = "fastw2v.Word2Vec"
WORD2VEC_VERSION = 1
NATIVE_ALIGN = 64  # byte alignment of every array's data inside a native file
_META_MEMBER = "meta.json"
_ARRAY_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-]{0,199}$")
_ARRAY_KINDS = "biufc"  # bool, signed, unsigned, float, complex: never object / structured / strings
_ZIP_PAD_ID = 0xD935  # the "alignment padding" extra-field id that Android's zipalign uses
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)  # fixed member timestamps: identical inputs give identical files
_MAX_NPY_HEADER = 1 << 16  # bytes of a member's .npy header at most (NumPy itself allows 10,000)
#: a deflated meta.json may inflate to at most this many times its stored size (+ 1 MiB); fastw2v
#: itself stores it uncompressed, and JSON deflates by 3-10x
_MAX_META_INFLATION = 64
_COMPRESSED_SUFFIXES = {".gz": "gzip", ".bz2": "bz2", ".xz": "xz"}
_GZIP_MAGIC = b"\x1f\x8b"
_READ_CHUNK = 1 << 20
_MAX_BINARY_WORD = 1 << 20  # bytes; a longer "word" means a corrupt file, not a word
_MAX_HEADER_LINE = 4096
#: bytes one value of a text row may take, its separator included (str(np.float32) needs at most
#: 15, "%.17g" 24): with the word, this bounds a row's length by its dimension
_MAX_TEXT_VALUE_BYTES = 64
_MAX_FIRST_TEXT_ROW = 1 << 24  # header-less text: the row that sets the dimension, at most 16 MiB
_GROW_START_BYTES = 1 << 16    # first allocation for rows whose count the file size cannot bound


class VectorFileError(ValueError):
    """A vector file is truncated, corrupt, of the wrong format, or would need unpickling.

    ``str(err)`` names the file and, where known, the line (text) or byte offset (binary);
    the same facts are in ``err.path``, ``err.line`` and ``err.offset`` (None when not known).
    Two subclasses are also the builtin types gensim raises for the same defects:
    :class:`TruncatedVectorFileError` (an ``EOFError``) and :class:`UndecodableVectorFileError`
    (a ``UnicodeDecodeError``).
    """

    def __init__(self, message, path=None, line=None, offset=None):
        super().__init__(message)
        self.path = path
        self.line = line
        self.offset = offset


class TruncatedVectorFileError(VectorFileError, EOFError):
    """A vector file ends before the rows or bytes it declares (also an ``EOFError``, as in gensim)."""


class UndecodableVectorFileError(VectorFileError, UnicodeDecodeError):
    """A word is not valid in the file's encoding under ``unicode_errors="strict"`` (also a
    ``UnicodeDecodeError``, as in gensim: ``encoding``, ``object``, ``start``, ``end`` and ``reason``
    describe the word's bytes)."""

    def __init__(self, message, encoding, word, start, end, reason, path=None, line=None,
                 offset=None):
        UnicodeDecodeError.__init__(self, encoding, word, start, end, reason)
        self.message = message
        self.path = path
        self.line = line
        self.offset = offset

    def __str__(self):
        return self.message

    def __reduce__(self):   # (the 5-argument UnicodeDecodeError constructor is not ours)
        return (type(self), (self.message, self.encoding, self.object, self.start, self.end,
                             self.reason), dict(self.__dict__))


def _error(path, problem, line=None, offset=None, compressed=False, cls=VectorFileError):
    where = ""
    if line is not None:
        where = f" line {line}:"
    elif offset is not None:
        where = f" byte {offset}{' of the decompressed data' if compressed else ''}:"
    return cls(f"{path}:{where} {problem}", path=path, line=line, offset=offset)


def _compression_of(path):
    """The compression a file name asks for ("gzip", "bz2", "xz") or None."""
    lower = os.fsdecode(path).lower()
    for suffix, kind in _COMPRESSED_SUFFIXES.items():
        if lower.endswith(suffix):
            return kind
    return None


def _compression_module(kind):
    module = {"gzip": gzip, "bz2": bz2, "xz": lzma}.get(kind, False)
    if module is False:
        raise ValueError(f"unknown compression {kind!r} (use 'gzip', 'bz2', 'xz' or None)")
    if module is None:
        raise ValueError(f"this Python was built without {kind} support")
    return module


_DECOMPRESSION_ERRORS = tuple(e for e in (EOFError, zlib.error, gzip.BadGzipFile,
                                          getattr(lzma, "LZMAError", None)) if e is not None)


@contextlib.contextmanager
def _decompression_errors(path, compressed):
    """Failures of the decompressor while reading ``path`` raise VectorFileError naming the file
    (TruncatedVectorFileError, an EOFError, for a cut stream); an OSError of a plain file stays."""
    try:
        yield
    except VectorFileError:
        raise
    except EOFError as exc:
        raise _error(path, f"corrupt or truncated compressed data ({exc})",
                     cls=TruncatedVectorFileError) from None
    except _DECOMPRESSION_ERRORS as exc:
        raise _error(path, f"corrupt or truncated compressed data ({exc})") from None
    except OSError as exc:
        if not compressed:
            raise
        raise _error(path, f"corrupt or truncated compressed data ({exc})") from None


def _wrap_compressed(raw, kind, mode, final_name=""):
    """A (de)compressing binary stream over the open binary file ``raw`` (which it never closes)."""
    _compression_module(kind)
    if kind == "gzip":
        # mtime=0 and the final (not the temporary) name: identical inputs give identical bytes.
        return gzip.GzipFile(filename=final_name, mode=mode, fileobj=raw, mtime=0)
    if kind == "bz2":
        return bz2.BZ2File(raw, mode=mode)
    return lzma.LZMAFile(raw, mode=mode)


def open_maybe_compressed(path, mode="rb"):
    """Open ``path`` for reading or writing, (de)compressing gzip, bz2 and xz: the package's one
    opener of compressed files, for corpora (``corpus.open_text``) and vector files alike.

    The kind comes from the extension (``.gz``, ``.bz2``, ``.xz``, in any case); a file read is also
    taken as gzip when it starts with gzip's magic bytes, whatever its name (they can never start a
    UTF-8 text: 0x8b is not a lead byte; bz2's ``BZh`` could, so bz2 and xz go by extension only).
    ``mode`` is one of ``"rb"``, ``"wb"``, ``"r"``, ``"w"``; text modes use UTF-8 and no newline
    translation on write. A missing or unreadable file raises the ``OSError`` of ``open``, before
    any decompressor is made. Writing this way is *not* atomic: use :func:`atomic_write` to save.
    ``is_stored_stream(f)`` says whether the stream reads the file's bytes as stored.
    """
    if mode not in ("rb", "wb", "r", "w"):
        raise ValueError(f"mode must be 'rb', 'wb', 'r' or 'w', got {mode!r}")
    kind = _compression_of(path)
    binary_mode = mode[0] + "b"
    if kind is not None:
        stream = _compression_module(kind).open(path, binary_mode)
    else:
        stream = open(path, binary_mode)
        # peek, not read: the file is opened once (a pipe such as /dev/fd/N can be read only once)
        if binary_mode == "rb" and stream.peek(len(_GZIP_MAGIC))[:len(_GZIP_MAGIC)] == _GZIP_MAGIC:
            stream = _OwningGzipFile(stream)
    if mode in ("r", "w"):
        return io.TextIOWrapper(stream, encoding="utf-8", newline=None if mode == "r" else "")
    return stream


class _OwningGzipFile(gzip.GzipFile):
    """A gzip reader over an already open binary file that closes that file with itself (what
    ``gzip.open`` does for the file it opens by name)."""

    def __init__(self, raw):
        self._raw = raw
        super().__init__(fileobj=raw, mode="rb")

    def close(self):
        try:
            super().close()
        finally:
            self._raw.close()


def is_stored_stream(f):
    """Whether a binary stream from :func:`open_maybe_compressed` reads the file as stored (not
    decompressed): its byte offsets are offsets into the file, its size the file's size."""
    return isinstance(f, io.BufferedReader)


def _current_umask():
    try:
        with open("/proc/self/status", encoding="ascii", errors="replace") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)  # no way to read it without setting it elsewhere
    os.umask(mask)
    return mask


def _fsync_directory(directory):
    if os.name != "posix":
        return
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some file systems refuse fsync on directories; the rename itself is still atomic
    finally:
        os.close(fd)


def _user_path_error(exc, path):
    """``exc`` (an OSError about a temporary file) retold about ``path``, keeping its type."""
    error = type(exc)(exc.errno, f"cannot write {path}: {exc.strerror or exc}", path)
    return error


@contextlib.contextmanager
def atomic_write(path, mode="wb", compression="infer"):
    """Context manager yielding a file object whose contents replace ``path`` only on success.

    Data goes to a temporary file in the same folder; on a clean exit the stream is flushed and
    fsynced, the file gets ``path``'s current permissions (or the umask default for a new file) and
    is renamed over ``path`` with ``os.replace`` (atomic on POSIX and Windows), then the folder is
    fsynced. On any exception, KeyboardInterrupt included, the temporary file is removed and
    ``path`` is left untouched. ``mode`` is ``"wb"`` or ``"w"`` (UTF-8, no newline translation);
    ``compression="infer"`` compresses by extension (.gz/.bz2/.xz), ``None`` never compresses.
    """
    if mode not in ("wb", "w"):
        raise ValueError(f"atomic_write mode must be 'wb' or 'w', got {mode!r}")
    path = os.fspath(path)
    kind = _compression_of(path) if compression == "infer" else compression
    directory = os.path.dirname(os.path.abspath(path))
    base = os.path.basename(path)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{base}.", suffix=".tmp", dir=directory)
    except OSError as exc:   # name the user's path, not the temporary one
        raise _user_path_error(exc, path) from None
    raw = os.fdopen(fd, "wb")
    layers = []
    try:
        stream = raw
        if kind is not None:
            name = base[:-3] if base.lower().endswith(".gz") else base
            stream = _wrap_compressed(raw, kind, "wb", final_name=name)
            layers.append(stream)
        if mode == "w":
            stream = io.TextIOWrapper(stream, encoding="utf-8", newline="")
        yield stream
        if mode == "w":
            stream.flush()
            stream.detach()  # closing the wrapper would close the layers below it
        for layer in reversed(layers):
            layer.close()  # writes the compressed stream's trailer into raw; raw stays open
        raw.flush()
        os.fsync(raw.fileno())
        raw.close()
        try:
            permissions = os.stat(path).st_mode & 0o7777
        except FileNotFoundError:
            permissions = 0o666 & ~_current_umask()
        os.chmod(tmp, permissions)
        try:
            os.replace(tmp, path)
        except OSError as exc:
            raise _user_path_error(exc, path) from None
    except BaseException:
        for layer in reversed(layers):
            with contextlib.suppress(Exception):
                layer.close()
        with contextlib.suppress(Exception):
            raw.close()
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_directory(directory)


# ------------------------------------------------------------------ word2vec text and binary

def _parse_header(raw, path):
    if not raw:
        raise _error(path, "empty file: expected a header line '<count> <dimension>'", line=1)
    fields = raw.split()
    if len(fields) != 2:
        raise _error(path, f"header must be '<count> <dimension>', got {raw[:80]!r}"
                     " (pass no_header=True for a file without a header)", line=1)
    try:
        count, dim = int(fields[0]), int(fields[1])
    except ValueError:
        raise _error(path, f"header must be two integers '<count> <dimension>', got {raw[:80]!r}"
                     " (pass no_header=True for a file without a header)", line=1) from None
    if count < 0:
        raise _error(path, f"header declares a negative number of vectors ({count})", line=1)
    if dim < 1:
        raise _error(path, f"header declares dimension {dim}; it must be at least 1", line=1)
    return count, dim


def _decode_word(word, encoding, unicode_errors, path, line=None, offset=None):
    try:
        return word.decode(encoding, unicode_errors)
    except UnicodeDecodeError as exc:
        where = f" line {line}:" if line is not None else (
            f" byte {offset}:" if offset is not None else "")
        message = (f"{path}:{where} word {word[:60]!r} is not valid {encoding} ({exc.reason} at "
                   f"byte {exc.start} of the word); pass unicode_errors='replace' or 'ignore' to "
                   "load it anyway")
        raise UndecodableVectorFileError(message, exc.encoding, exc.object, exc.start, exc.end,
                                         exc.reason, path=path, line=line, offset=offset) from None


def _text_row(raw, dim, encoding, unicode_errors, datatype, path, line_no):
    """(word, values) of one text row; ``dim=None`` accepts any positive number of values."""
    fields = [f for f in raw.rstrip(b" \t\r\n").split(b" ") if f]
    if not fields:
        raise _error(path, "empty line where a vector row was expected", line=line_no)
    found = len(fields) - 1
    if dim is not None and found != dim:
        # a short last row without its line end: the file was cut there
        cut = found < dim and not raw.endswith(b"\n")
        raise _error(path, f"expected a word and {dim} values, found {found} value"
                     f"{'s' if found != 1 else ''} after {fields[0][:60]!r}"
                     f"{' (the file ends inside this row)' if cut else ''}", line=line_no,
                     cls=TruncatedVectorFileError if cut else VectorFileError)
    if found == 0:
        raise _error(path, f"row {fields[0][:60]!r} has no values", line=line_no)
    word = _decode_word(fields[0], encoding, unicode_errors, path, line=line_no)
    try:
        values = np.array(fields[1:], dtype=np.float64).astype(datatype)
    except ValueError:
        bad = next(f for f in fields[1:] if not _is_float(f))
        raise _error(path, f"value {bad[:40]!r} for word {word!r} is not a number",
                     line=line_no) from None
    if not np.isfinite(values).all():
        raise _error(path, f"vector for word {word!r} contains NaN or infinity (or a value too "
                     f"large for {np.dtype(datatype).name})", line=line_no)
    return word, values


def _is_float(field):
    try:
        float(field)
        return True
    except ValueError:
        return False


def _max_text_row(dim):
    """Bytes a text row of ``dim`` values can take at most (word, separators, values, line end)."""
    return _MAX_BINARY_WORD + _MAX_TEXT_VALUE_BYTES * dim + 2


def _rows_fit(n, min_row_bytes, available, text):
    """Whether ``n`` rows of at least ``min_row_bytes`` can fit in the ``available`` bytes after the
    header (None: unknown, a compressed stream). Only then are all ``n`` rows allocated at once;
    otherwise the array grows as rows arrive, and the reader reports where the file falls short."""
    if available is None:
        return False
    return n * min_row_bytes - (1 if text else 0) <= available   # (a text file's last \n may lack)


class _Rows:
    """The vectors read so far, in an array that grows by doubling as rows arrive (up to ``n``
    rows; None: no bound), so that no allocation trusts the header's count. ``exact``: allocate all
    ``n`` rows at the first one (the file's size has shown that they fit)."""

    def __init__(self, n, dim, datatype, exact):
        self.n, self.dim, self.datatype, self.exact = n, dim, np.dtype(datatype), exact
        self.array = None
        self.size = 0

    def append(self, row):
        if self.array is None or self.size == len(self.array):
            self._grow()
        self.array[self.size] = row
        self.size += 1

    def _grow(self):
        if self.array is None:
            rows = self.n if self.exact else max(1, _GROW_START_BYTES // (self.dim * self.datatype.itemsize))
        else:
            rows = 2 * len(self.array)
        if self.n is not None:
            rows = min(rows, self.n)
        grown = np.empty((rows, self.dim), dtype=self.datatype)
        if self.array is not None:
            grown[:self.size] = self.array[:self.size]
        self.array = grown

    def result(self):
        if self.array is None:
            return np.empty((0, self.dim), dtype=self.datatype)
        if self.size == len(self.array):
            return self.array
        return self.array[:self.size].copy()


def _first_non_blank_line(f, line_no):
    """Number of the first line after line ``line_no`` holding anything but whitespace, reading the
    rest of ``f`` in chunks (never a whole line at once); None if there is none."""
    while True:
        chunk = f.read(_READ_CHUNK)
        if not chunk:
            return None
        stripped = chunk.lstrip()
        if stripped:
            return line_no + 1 + chunk.count(b"\n", 0, len(chunk) - len(stripped))
        line_no += chunk.count(b"\n")


def _read_row_line(f, path, line_no, max_row, dim):
    raw = f.readline(min(max_row + 1, sys.maxsize))
    if len(raw) > max_row:
        what = (f"a word and {dim} values can take" if dim is not None else
                "the first row of a header-less file may take")
        raise _error(path, f"row longer than {max_row} bytes, more than {what} (wrong dimension "
                     "in the header, a missing line end, or not a vector file)", line=line_no)
    return raw


def _read_text(f, path, limit, no_header, encoding, unicode_errors, datatype, size):
    keys = []
    if no_header:
        rows = None
        line_no = 0
        dim = None
        while not (limit and len(keys) >= limit):
            max_row = _MAX_FIRST_TEXT_ROW if dim is None else _max_text_row(dim)
            raw = _read_row_line(f, path, line_no + 1, max_row, dim)
            if not raw:
                break
            line_no += 1
            if not raw.strip():
                # Only trailing blank lines are allowed: look for data after this one.
                junk = _first_non_blank_line(f, line_no)
                if junk is not None:
                    raise _error(path, "vector row after a blank line", line=junk)
                break
            word, values = _text_row(raw, dim, encoding, unicode_errors, datatype, path, line_no)
            if rows is None:
                dim = len(values)
                rows = _Rows(None, dim, datatype, exact=False)
            keys.append(word)
            rows.append(values)
        if rows is None:
            raise _error(path, "no vector rows found (cannot infer the dimension)", line=line_no or 1)
        return keys, rows.result()

    header = f.readline(_MAX_HEADER_LINE)
    count, dim = _parse_header(header, path)
    n = min(count, limit) if limit else count
    fits = _rows_fit(n, 2 * dim + 2, None if size is None else size - len(header), text=True)
    rows = _Rows(n, dim, datatype, exact=fits)
    max_row = _max_text_row(dim)
    line_no = 1
    for i in range(n):
        raw = _read_row_line(f, path, line_no + 1, max_row, dim)
        line_no += 1
        if not raw:
            raise _error(path, f"file ends after {i} of the {count} vectors declared in the header",
                         line=line_no, cls=TruncatedVectorFileError)
        word, values = _text_row(raw, dim, encoding, unicode_errors, datatype, path, line_no)
        rows.append(values)
        keys.append(word)
    if n == count:
        junk = _first_non_blank_line(f, line_no)
        if junk is not None:
            raise _error(path, f"unexpected data after the last of the {count} vectors declared "
                         "in the header (wrong count, or junk at the end)", line=junk)
    return keys, rows.result()


class _ByteReader:
    """Chunked reads with absolute byte offsets, for the binary format's variable-length rows."""

    def __init__(self, f, start):
        self.f = f
        self.buf = b""
        self.pos = 0
        self.base = start  # absolute offset of buf[0]
        self.eof = False
        self.have = 0      # bytes of the row present when read_row returned None

    def offset(self):
        return self.base + self.pos

    def _more(self):
        if self.eof:
            return False
        data = self.f.read(_READ_CHUNK)
        if not data:
            self.eof = True
            return False
        self.base += self.pos
        self.buf = self.buf[self.pos:] + data
        self.pos = 0
        return True

    def until_space(self):
        """Bytes up to the next b" " (consumed, not returned); None at EOF."""
        searched = self.pos
        while True:
            i = self.buf.find(b" ", searched)
            if i >= 0:
                word = self.buf[self.pos:i]
                self.pos = i + 1
                return word
            searched = len(self.buf)
            if searched - self.pos > _MAX_BINARY_WORD:
                return None
            before = self.pos
            if not self._more():
                return None
            searched -= before  # buffer was shifted by `before`

    def read_row(self, dim):
        """The next ``dim`` little-endian float32 values (consumed), or None if the file ends first
        (``self.have``: the bytes present). A row longer than a read chunk is gathered as it arrives,
        so memory never exceeds the data actually present, whatever the header's dimension."""
        n = 4 * dim
        if n <= _READ_CHUNK:
            while len(self.buf) - self.pos < n:
                if not self._more():
                    self.have = len(self.buf) - self.pos
                    return None
        if len(self.buf) - self.pos >= n:
            row = np.frombuffer(self.buf, dtype="<f4", count=dim, offset=self.pos)
            self.pos += n
            return row
        data = bytearray(self.buf[self.pos:])
        self.base += len(self.buf)
        self.buf, self.pos = b"", 0
        while len(data) < n:
            chunk = self.f.read(min(n - len(data), _READ_CHUNK))
            if not chunk:
                self.eof = True
                self.have = len(data)
                return None
            data += chunk
            self.base += len(chunk)
        return np.frombuffer(data, dtype="<f4")

    def rest_is_whitespace(self):
        """Offset of the first non-whitespace byte from here to EOF, or None."""
        while True:
            chunk = self.buf[self.pos:]
            stripped = chunk.lstrip()
            if stripped:
                return self.offset() + len(chunk) - len(stripped)
            self.pos = len(self.buf)
            if not self._more():
                return None


def _read_binary(f, path, limit, encoding, unicode_errors, datatype, compressed, size):
    header = f.readline(_MAX_HEADER_LINE)
    count, dim = _parse_header(header, path)
    n = min(count, limit) if limit else count
    row_bytes = 4 * dim
    # each row: a word of at least one byte, a space, the values
    fits = _rows_fit(n, row_bytes + 2, None if size is None else size - len(header), text=False)
    rows = _Rows(n, dim, datatype, exact=fits)
    keys = []
    reader = _ByteReader(f, len(header))
    for i in range(n):
        start = reader.offset()
        word = reader.until_space()
        if word is None:
            if reader.eof:
                raise _error(path, f"file ends where word {i + 1} of the {count} declared in the "
                             "header should start", offset=start, compressed=compressed,
                             cls=TruncatedVectorFileError)
            raise _error(path, f"no space within {_MAX_BINARY_WORD} bytes where word {i + 1} of "
                         f"the {count} declared in the header should start", offset=start,
                         compressed=compressed)
        stripped = word.lstrip(b"\n")  # word2vec.c ends each vector with a newline
        start += len(word) - len(stripped)
        if not stripped:
            raise _error(path, f"empty word for vector {i + 1} of {count}", offset=start,
                         compressed=compressed)
        key = _decode_word(stripped, encoding, unicode_errors, path, offset=start)
        data_start = reader.offset()
        row = reader.read_row(dim)
        if row is None:
            raise _error(path, f"file ends inside the vector of word {key!r} (vector {i + 1} of "
                         f"{count}): {reader.have} of {row_bytes} bytes present", offset=data_start,
                         compressed=compressed, cls=TruncatedVectorFileError)
        if not np.isfinite(row).all():
            raise _error(path, f"vector for word {key!r} contains NaN or infinity",
                         offset=data_start, compressed=compressed)
        rows.append(row)
        keys.append(key)
    vectors = rows.result()
    i = first_nonfinite_row(vectors)    # float32 -> narrower datatype overflow
    if i is not None:
        raise _error(path, f"vector for word {keys[i]!r} overflows {np.dtype(datatype).name}")
    if n == count:
        junk = reader.rest_is_whitespace()
        if junk is not None:
            raise _error(path, f"unexpected data after the last of the {count} vectors declared in "
                         "the header (wrong count, or junk at the end)", offset=junk,
                         compressed=compressed)
    return keys, vectors


def _drop_duplicates(keys, vectors, path):
    seen = {}
    keep = []
    for i, key in enumerate(keys):
        if key in seen:
            warnings.warn(f"{path}: duplicate word {key!r} (vectors {seen[key] + 1} and {i + 1}); "
                          "keeping the first", UserWarning, stacklevel=4)
            continue
        seen[key] = i
        keep.append(i)
    if len(keep) == len(keys):
        return keys, vectors
    return [keys[i] for i in keep], np.ascontiguousarray(vectors[keep])


def read_word2vec_format(path, binary=False, limit=None, unicode_errors="strict", datatype=np.float32,
                         no_header=False, encoding="utf8"):
    """Read a word2vec.c / gensim text or binary file: ``(keys: list[str], vectors: ndarray[n, dim])``.

    ``limit`` reads only the first ``limit`` vectors (``None`` or 0: all; the rest of the file is
    then not checked). ``no_header`` (text only) reads a header-less file such as GloVe's, inferring
    the count and dimension. A repeated word keeps its first vector (with a warning), like gensim.
    Raises :class:`VectorFileError` on any defect (see the module docstring).
    """
    if limit is not None and limit < 0:
        raise ValueError(f"limit must be None or >= 0, got {limit}")
    datatype = np.dtype(datatype)
    if datatype.kind != "f":
        raise ValueError(f"datatype must be a floating-point type, got {datatype}")
    if no_header and binary:
        raise ValueError("no_header=True is only supported for text files (binary files need the "
                         "header to know the dimension)")
    path = os.fspath(path)
    with open_maybe_compressed(path, "rb") as f:
        compressed = not is_stored_stream(f)
        size = None   # bytes in the file, when they are the bytes read (a regular, plain file)
        if not compressed:
            st = os.fstat(f.fileno())
            size = st.st_size if stat.S_ISREG(st.st_mode) else None
        with _decompression_errors(path, compressed), np.errstate(over="ignore", invalid="ignore"):
            if binary:
                keys, vectors = _read_binary(f, path, limit, encoding, unicode_errors, datatype,
                                             compressed, size)
            else:
                keys, vectors = _read_text(f, path, limit, no_header, encoding, unicode_errors,
                                           datatype, size)
    return _drop_duplicates(keys, vectors, path)


def _check_words(keys, prefix=""):
    for i, key in enumerate(keys):
        if not isinstance(key, str):
            raise TypeError(f"key at index {i} is {type(key).__name__} {key!r}; keys must be str")
        word = prefix + key
        if not word or " " in word or "\n" in word:
            problem = "is empty" if not word else "contains a space or newline"
            raise ValueError(f"word {word!r} (index {i}) {problem}: the word2vec format cannot store "
                             "it and the file could not be read back; rename it first")


def _encode_word(word):
    try:
        # surrogateescape restores the original bytes of words read with that error handler
        return word.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        raise ValueError(f"word {word!r} cannot be encoded as UTF-8") from None


def write_word2vec_format(path, keys, vectors, binary=False, write_header=True, total_vec=None,
                          prefix=""):
    """Write ``keys``/``vectors`` in the word2vec text or binary format, atomically.

    Byte-identical to gensim's ``save_word2vec_format`` for the same rows in the same order.
    ``total_vec`` overrides the count in the header (gensim's option for files that will have
    more vectors appended; fastw2v's reader rejects a file whose count disagrees with its rows).
    Raises ValueError, before anything is written, for a word containing a space or newline or a
    vector containing NaN/infinity.
    """
    keys = list(keys)
    vectors = np.asarray(vectors)
    if vectors.ndim != 2 or vectors.shape[0] != len(keys):
        raise ValueError(f"vectors must have shape ({len(keys)}, dim), got {vectors.shape}")
    if vectors.shape[1] < 1:
        raise ValueError("vectors must have at least one dimension")
    _check_words(keys, prefix)
    row = first_nonfinite_row(vectors)
    if row is not None:
        raise ValueError(f"vector for word {keys[row]!r} contains NaN or infinity; refusing to "
                         "write a file that cannot be read back")
    if total_vec is None:
        total_vec = len(keys)
    block = 4096
    with atomic_write(path) as f:
        if write_header:
            f.write(f"{total_vec} {vectors.shape[1]}\n".encode("utf-8"))
        for start in range(0, len(keys), block):
            stop = min(start + block, len(keys))
            chunk_keys = [_encode_word(prefix + k) for k in keys[start:stop]]
            if binary:
                data = np.ascontiguousarray(vectors[start:stop], dtype="<f4").tobytes()
                width = 4 * vectors.shape[1]
                f.write(b"".join(word + b" " + data[j * width:(j + 1) * width]
                                 for j, word in enumerate(chunk_keys)))
            else:
                rows = vectors[start:stop]
                f.write(b"".join(word + b" " + " ".join(map(str, row)).encode("ascii") + b"\n"
                                 for word, row in zip(chunk_keys, rows)))


def read_vocab_counts(path, encoding="utf8", unicode_errors="strict"):
    """Read a word2vec.c ``-save-vocab`` file (``word count`` per line) into a dict."""
    path = os.fspath(path)
    with open_maybe_compressed(path, "rb") as f, _decompression_errors(path, not is_stored_stream(f)):
        return _read_vocab_lines(f, path, encoding, unicode_errors)


def _read_vocab_lines(f, path, encoding, unicode_errors):
    counts = {}
    longest = _MAX_BINARY_WORD + 64   # a word and a count, with room for spacing
    for line_no, raw in enumerate(iter(lambda: f.readline(longest + 1), b""), 1):
        if len(raw) > longest:
            raise _error(path, f"line longer than {longest} bytes: not 'word count'", line=line_no)
        fields = raw.split()
        if not fields:
            continue
        if len(fields) != 2:
            raise _error(path, f"expected 'word count', got {raw[:80]!r}", line=line_no)
        word = _decode_word(fields[0], encoding, unicode_errors, path, line=line_no)
        try:
            count = int(fields[1])
        except ValueError:
            raise _error(path, f"count {fields[1][:40]!r} of word {word!r} is not an integer",
                         line=line_no) from None
        if count < 0:
            raise _error(path, f"negative count for word {word!r}", line=line_no)
        counts[word] = count
    return counts


def write_vocab_counts(path, keys, counts):
    """Write ``word count`` lines (word2vec.c's ``-save-vocab`` format), atomically."""
    keys = list(keys)
    counts = np.asarray(counts)
    if len(counts) != len(keys):
        raise ValueError(f"{len(keys)} keys but {len(counts)} counts")
    _check_words(keys)
    with atomic_write(path) as f:
        f.write(b"".join(_encode_word(k) + f" {int(c)}\n".encode("ascii")
                         for k, c in zip(keys, counts.tolist())))


# ------------------------------------------------------------------ native container

def _json_default(value):
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray) and value.dtype.kind in _ARRAY_KINDS and value.ndim <= 1:
        return value.tolist()
    raise TypeError(f"metadata value {value!r} ({type(value).__name__}) is not JSON-serialisable; "
                    "store arrays as arrays")


def _padding_extra(size):
    return struct.pack("<HH", _ZIP_PAD_ID, size - 4) + bytes(size - 4)


def save_native(path, arrays, meta):
    """Save named NumPy arrays plus JSON metadata as one native file, atomically.

    ``arrays``: ``{name: ndarray}`` with names of letters, digits, ``_ . -`` and numeric or bool
    dtypes (stored C-contiguous, byte order kept). ``meta``: a JSON-serialisable dict (NumPy
    scalars are converted). See the module docstring for the layout.
    """
    if not isinstance(meta, dict):
        raise TypeError(f"meta must be a dict, got {type(meta).__name__}")
    prepared = {}
    for name, array in arrays.items():
        if not isinstance(name, str) or not _ARRAY_NAME.match(name) or name + ".npy" == _META_MEMBER:
            raise ValueError(f"array name {name!r} must be 1-200 letters, digits, '_', '.' or '-' "
                             "(not starting with '.' or '-')")
        array = np.asarray(array, order="C")  # (ascontiguousarray would turn 0-d into 1-d)
        if array.dtype.kind not in _ARRAY_KINDS or array.dtype.fields is not None:
            raise TypeError(f"array {name!r} has dtype {array.dtype}; only bool, integer, float and "
                            "complex arrays can be stored (never objects: loading must not unpickle)")
        prepared[name] = array
    manifest = {name: {"dtype": a.dtype.str, "shape": list(a.shape)} for name, a in prepared.items()}
    document = {"container": NATIVE_CONTAINER, "container_version": NATIVE_CONTAINER_VERSION,
                "arrays": manifest, "meta": meta}
    text = json.dumps(document, default=_json_default, ensure_ascii=False, indent=1)
    with atomic_write(path, compression=None) as raw:
        with zipfile.ZipFile(raw, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
            zf.writestr(zipfile.ZipInfo(_META_MEMBER, date_time=_ZIP_DATE), text.encode("utf-8"))
            for name, array in prepared.items():
                info = zipfile.ZipInfo(name + ".npy", date_time=_ZIP_DATE)
                info.compress_type = zipfile.ZIP_STORED
                info.CRC = info.compress_size = 0  # FileHeader needs them; zipfile rewrites them
                # Pad the local header's extra field so the .npy member (whose own header NumPy
                # pads to 64 bytes) starts, and hence its data starts, on a 64-byte boundary.
                header_len = len(info.FileHeader(zip64=True))
                pad = -(raw.tell() + header_len) % NATIVE_ALIGN
                if 0 < pad < 4:
                    pad += NATIVE_ALIGN
                if pad:
                    info.extra = _padding_extra(pad)
                with zf.open(info, "w", force_zip64=True) as member:
                    np.lib.format.write_array(member, array, allow_pickle=False)


def _read_npy_header(fp, path, member):
    try:
        version = np.lib.format.read_magic(fp)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(fp)
        elif version == (2, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(fp)
        else:
            raise ValueError(f"unsupported .npy version {version}")
    except (ValueError, EOFError, SyntaxError, TypeError, tokenize.TokenError, OverflowError,
            RecursionError) as exc:
        # (NumPy's literal-only header parser tokenizes the header: a damaged one can raise
        # tokenize.TokenError, found by fuzzing.)
        raise _error(path, f"member {member!r} is not a valid .npy array ({exc})") from None
    return shape, fortran, dtype


def _check_npy(path, member, spec_dtype, spec_shape, shape, fortran, dtype):
    if dtype.hasobject or dtype.kind not in _ARRAY_KINDS or dtype.fields is not None:
        raise _error(path, f"member {member!r} has dtype {dtype}; refusing non-numeric arrays "
                     "(loading never unpickles)")
    if dtype != spec_dtype or tuple(shape) != spec_shape or fortran:
        raise _error(path, f"member {member!r} holds a {dtype} array of shape {tuple(shape)}"
                     f"{' (Fortran order)' if fortran else ''}, but meta.json declares "
                     f"{spec_dtype} {spec_shape}: the file was modified or is corrupt")


def _local_data_offset(f, path, info):
    f.seek(info.header_offset)
    header = f.read(30)
    if len(header) != 30 or header[:4] != b"PK\x03\x04":
        raise _error(path, f"bad ZIP local header for member {info.filename!r}",
                     offset=info.header_offset)
    name_len, extra_len = struct.unpack("<HH", header[26:30])
    return info.header_offset + 30 + name_len + extra_len


def _read_member(zf, f, path, info, spec_dtype, spec_shape, mmap):
    member = info.filename
    nbytes = spec_dtype.itemsize * math.prod(spec_shape)   # exact: no int64 overflow
    if info.file_size > nbytes + _MAX_NPY_HEADER:
        # Refused before reading: a member holds its array and a .npy header, nothing more, so a
        # compressed one can never make the loader inflate more than the manifest's shapes need.
        raise _error(path, f"member {member!r} declares {info.file_size} bytes, more than the "
                     f"{nbytes} of its declared array {spec_dtype} {spec_shape} and a .npy header "
                     "(a damaged or hostile file)")
    if mmap is not None:
        if info.compress_type != zipfile.ZIP_STORED:
            raise _error(path, f"member {member!r} is compressed, so it cannot be memory-mapped "
                         "(load with mmap=None, or re-save the file with fastw2v)")
        start = _local_data_offset(f, path, info)
        f.seek(start)
        shape, fortran, dtype = _read_npy_header(f, path, member)
        _check_npy(path, member, spec_dtype, spec_shape, shape, fortran, dtype)
        data_offset = f.tell()
        if data_offset + nbytes > start + info.file_size or \
                start + info.file_size > os.fstat(f.fileno()).st_size:
            raise _error(path, f"member {member!r} is shorter than its {nbytes}-byte array "
                         "(truncated file?)", offset=data_offset)
        if nbytes == 0:
            return np.zeros(shape, dtype=dtype)
        mapped = np.memmap(path, dtype=dtype, mode=mmap, offset=data_offset,
                           shape=tuple(shape) or (1,), order="C")
        return mapped if shape else mapped.reshape(())
    with zf.open(info) as fp:
        shape, fortran, dtype = _read_npy_header(fp, path, member)
        _check_npy(path, member, spec_dtype, spec_shape, shape, fortran, dtype)
        if nbytes > info.file_size:
            # Checked before allocating: a small edited file must not make the loader reserve
            # terabytes (the member cannot hold the data it declares anyway).
            raise _error(path, f"member {member!r} holds {info.file_size} bytes, fewer than the "
                         f"{nbytes} its declared array {spec_dtype} {spec_shape} needs (truncated "
                         "or edited file?)")
        array = np.empty(shape, dtype=dtype)
        view = memoryview(array.reshape(-1).view(np.uint8)) if nbytes else memoryview(b"")
        done = 0
        while done < nbytes:
            chunk = fp.read(min(nbytes - done, 1 << 24))
            if not chunk:
                raise _error(path, f"member {member!r} ends after {done} of its {nbytes} data bytes")
            view[done:done + len(chunk)] = chunk
            done += len(chunk)
        if fp.read(1):  # also makes zipfile verify the member's CRC
            raise _error(path, f"member {member!r} has data after its array")
    return array


def load_native(path, mmap=None):
    """Load a file written by :func:`save_native`: ``(arrays: dict[str, ndarray], meta: dict)``.

    ``mmap``: None (read into memory, CRC-checked), ``"r"`` (read-only memory map) or ``"c"``
    (copy-on-write map: writes stay in memory). Raises :class:`VectorFileError` naming the file and
    the problem for anything that is not an intact native file; never unpickles.
    """
    if mmap not in (None, "r", "c"):
        raise ValueError(f"mmap must be None, 'r' or 'c' (copy-on-write), got {mmap!r}; 'r+' is "
                         "not supported because writes would invalidate the file's checksums")
    path = os.fspath(path)
    with open(path, "rb") as f:
        magic = f.read(4)
        if magic[:1] == b"\x80":
            raise _error(path, "this is a Python pickle (a gensim .save() file?), not a fastw2v "
                         "native file; fastw2v never unpickles. Load it with gensim and convert "
                         "with KeyedVectors.from_gensim()")
        if magic != b"PK\x03\x04":
            raise _error(path, f"not a fastw2v native file (starts with {magic!r}, expected a ZIP "
                         "archive); for word2vec files use load_word2vec_format")
        f.seek(0)
        try:
            zf = zipfile.ZipFile(f)
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError,
                NotImplementedError, struct.error) as exc:
            # (NotImplementedError: zipfile's answer to a damaged "version needed" or
            # compression-method field; found by fuzzing, like the other additions here)
            raise _error(path, f"corrupt or truncated native file ({exc})") from None
        try:
            with zf:
                return _load_from_zip(zf, f, path, mmap)
        except VectorFileError:
            raise
        except (zipfile.BadZipFile, EOFError, zlib.error, NotImplementedError, struct.error,
                OverflowError) as exc:
            raise _error(path, f"corrupt native file ({exc})") from None
        except (OSError, ValueError) as exc:
            # A damaged offset makes zipfile seek before the start of the file (EINVAL) or
            # np.memmap map past its end; NumPy refuses absurd shapes with ValueError.
            raise _error(path, f"corrupt native file ({type(exc).__name__}: {exc})") from None


def _read_meta(zf, path):
    """meta.json, parsed; its inflated size is bounded before it is read (_MAX_META_INFLATION)."""
    info = zf.getinfo(_META_MEMBER)
    limit = info.compress_size
    if info.compress_type != zipfile.ZIP_STORED:
        limit = _MAX_META_INFLATION * info.compress_size + (1 << 20)
    if info.file_size > limit:
        raise _error(path, f"{_META_MEMBER} declares {info.file_size} bytes, more than its "
                     f"{info.compress_size} stored bytes can hold (a damaged or hostile file)")
    with zf.open(info) as fp:
        data = fp.read(limit + 1)
    if len(data) > limit:
        raise _error(path, f"{_META_MEMBER} inflates to more than {limit} bytes (a damaged or "
                     "hostile file)")
    try:
        return json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise _error(path, f"{_META_MEMBER} is not valid JSON ({exc})") from None
    except RecursionError:
        raise _error(path, f"{_META_MEMBER} is nested too deeply to be fastw2v metadata (a damaged "
                     "or hostile file)") from None


def _load_from_zip(zf, f, path, mmap):
    names = zf.namelist()
    if len(set(names)) != len(names):
        raise _error(path, "archive has duplicate member names")
    if _META_MEMBER not in names:
        raise _error(path, f"no {_META_MEMBER} member: not a fastw2v native file")
    for info in zf.infolist():
        if info.flag_bits & 0x1:       # (zipfile would raise RuntimeError asking for a password)
            raise _error(path, f"member {info.filename!r} is encrypted; fastw2v files never are "
                         "(a damaged or foreign file)")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            # (bz2 and lzma members are inflated a whole read at a time: no bound on memory)
            raise _error(path, f"member {info.filename!r} uses ZIP compression method "
                         f"{info.compress_type}; only stored and deflated members are read")
    document = _read_meta(zf, path)
    if not isinstance(document, dict) or document.get("container") != NATIVE_CONTAINER:
        found = document.get("container") if isinstance(document, dict) else None
        raise _error(path, f"{_META_MEMBER} does not describe a {NATIVE_CONTAINER} file "
                     f"(container {found!r})")
    version = document.get("container_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise _error(path, f"invalid container_version {version!r}")
    if version > NATIVE_CONTAINER_VERSION:
        raise _error(path, f"container version {version} was written by a newer fastw2v (this one "
                     f"reads up to {NATIVE_CONTAINER_VERSION}); upgrade fastw2v")
    manifest = document.get("arrays")
    meta = document.get("meta")
    if not isinstance(manifest, dict) or not isinstance(meta, dict):
        raise _error(path, f"{_META_MEMBER} must hold an 'arrays' object and a 'meta' object")
    expected = {_META_MEMBER} | {f"{name}.npy" for name in manifest}
    unexpected = sorted(set(names) - expected)
    if unexpected:
        raise _error(path, f"unexpected member(s) {unexpected} not declared in {_META_MEMBER}; "
                     "refusing a file that was tampered with")
    missing = sorted(expected - set(names))
    if missing:
        raise _error(path, f"member(s) {missing} declared in {_META_MEMBER} are missing")
    arrays = {}
    for name, spec in manifest.items():
        if not _ARRAY_NAME.match(name):
            raise _error(path, f"invalid array name {name!r} in {_META_MEMBER}")
        try:
            spec_dtype = np.dtype(str(spec["dtype"]))
            spec_shape = tuple(int(n) for n in spec["shape"])
            if any(n < 0 for n in spec_shape) or not isinstance(spec["shape"], list):
                raise ValueError("negative or malformed shape")
        except (KeyError, TypeError, ValueError) as exc:
            raise _error(path, f"invalid entry for array {name!r} in {_META_MEMBER} ({exc})") from None
        if spec_dtype.hasobject or spec_dtype.kind not in _ARRAY_KINDS or spec_dtype.fields:
            raise _error(path, f"array {name!r} is declared with dtype {spec_dtype}; refusing "
                         "non-numeric arrays (loading never unpickles)")
        info = zf.getinfo(f"{name}.npy")
        if info.flag_bits & 0x1:
            raise _error(path, f"member {info.filename!r} is encrypted")
        arrays[name] = _read_member(zf, f, path, info, spec_dtype, spec_shape, mmap)
    return arrays, meta


def check_finite_rows(matrix, path, name, keys=None, block_rows=1 << 16):
    """Raise VectorFileError naming the first row of ``matrix`` holding NaN or infinity.

    Native files are checked like word2vec files (whose readers refuse NaN/inf): a hand-edited or
    corrupt file must not load and then answer queries with NaN. Checked by blocks of rows, so a
    memory-mapped matrix needs no full-size temporary. Anything but a 2-D float or complex array is
    left alone.
    """
    matrix = np.asarray(matrix)
    if matrix.dtype.kind not in "fc" or matrix.ndim != 2:
        return
    row = first_nonfinite_row(matrix, block_rows)
    if row is not None:
        word = f" (word {keys[row]!r})" if keys is not None and row < len(keys) else ""
        raise VectorFileError(f"{path}: {name} row {row}{word} contains NaN or infinity", path=path)


def first_nonfinite_row(matrix, block_rows=1 << 16):
    """Index of the first row of the 2-D ``matrix`` holding NaN or infinity, or None; checked by
    blocks of rows, so the temporary is ``block_rows`` rows of booleans, not the matrix's size."""
    for start in range(0, len(matrix), block_rows):
        bad = ~np.isfinite(matrix[start:start + block_rows]).all(axis=1)
        if bad.any():
            return start + int(np.flatnonzero(bad)[0])
    return None


def sniff_format(path):
    """Guess a vector file's format: ``"native"``, ``"binary"`` or ``"text"``.

    A ZIP archive (or a pickle, so that loading it explains the refusal) is ``"native"``; a file
    whose first row after a ``"count dim"`` header parses as a word and ``dim`` numbers is
    ``"text"``, otherwise ``"binary"``; a file without such a header is ``"text"`` (GloVe style).
    """
    path = os.fspath(path)
    with open(path, "rb") as f:
        magic = f.read(4)
    if magic == b"PK\x03\x04" or magic[:1] == b"\x80":
        return "native"
    with open_maybe_compressed(path, "rb") as f:
        sample = f.read(1 << 16)
    header, _, rest = sample.partition(b"\n")
    fields = header.split()
    if len(fields) != 2 or not all(x.isdigit() for x in fields):
        return "text"
    dim = int(fields[1])
    first = rest.split(b"\n", 1)[0].split()
    if len(first) == dim + 1 and all(_is_float(x) for x in first[1:]):
        return "text"
    return "binary"
