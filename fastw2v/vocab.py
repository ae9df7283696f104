"""Counting, pruning, sorting, word <-> id (gensim 4 semantics).

``count_words`` scans a corpus once into raw counts (gensim's ``scan_vocab``; a file in C, where
``compact=True`` leaves them, as a ``RawCounts``, so that min_count drops the long tail before any
Python object is made for it);
``Vocabulary.from_counts`` applies ``min_count`` / ``trim_rule`` / ``max_final_vocab`` and sorts
(gensim's ``prepare_vocab`` + ``sort_by_descending_frequency``); ``Vocabulary.update`` is
``build_vocab(update=True)``.

Sort order: descending count; among equal counts, first-occurrence order (a stable sort), so that
sorting is idempotent and a saved, sorted vocabulary reads back in the same order.
Note: gensim 4.4 breaks ties the other way round (``np.lexsort((-index, -count))``: among equal
counts the word seen *last* comes first); ``tie_order="gensim"`` reproduces that exactly (tested
against gensim). Either way the null word "\\0" is added before sorting, as in gensim.
"""
from __future__ import annotations

import logging
import os
import threading
from collections import Counter
from collections.abc import ItemsView, Mapping, ValuesView
from dataclasses import dataclass
from itertools import chain
from typing import Callable, Iterable

import numpy as np

from .corpus import (
    _READ_BYTES,
    MAX_SENTENCE_LENGTH,
    _is_plain,
    _ReadErrors,
    _name,
    open_text,
    as_token_list,
    check_restartable,
    decode_block,
    iter_line_blocks,
    iter_text_blocks,
)

try:  # the nogil counter; the pure-Python path below gives the same result, slower
    from ._text import WordCounter as _WordCounter
except ImportError:  # pragma: no cover - extension not built
    _WordCounter = None

logger = logging.getLogger(__name__)

#: trim_rule results, as in gensim.utils
RULE_DEFAULT = 0
RULE_DISCARD = 1
RULE_KEEP = 2

NULL_WORD = "\0"

# iterable mode counts this many tokens (or sentences) per Counter.update call
_CHUNK_WORDS = 1 << 16
_CHUNK_SENTENCES = 4096
# RawCounts makes Python objects for this many words at a time when iterated
_ITER_WORDS = 1 << 16
# an uncompressed file of at least this many bytes is counted by two threads, one per half
# (split after a newline), the second half's counts then merged into the first's
_PARALLEL_BYTES = 1 << 22

TrimRule = Callable[[str, int, int], int]


class EmptyCorpusError(ValueError, RuntimeError):
    """The corpus is empty or no word passes min_count / max_final_vocab / trim_rule. A ValueError
    (fastw2v's earlier type) and a RuntimeError (what gensim raises), so either ``except`` works."""


def keep_vocab_item(word: str, count: int, min_count: int, trim_rule: TrimRule | None = None) -> bool:
    """gensim's rule: ``trim_rule(word, count, min_count)`` may return RULE_KEEP / RULE_DISCARD;
    anything else (RULE_DEFAULT, None) falls back to ``count >= min_count``."""
    if trim_rule is not None:
        rule = trim_rule(word, count, min_count)
        if rule == RULE_KEEP:
            return True
        if rule == RULE_DISCARD:
            return False
    return count >= min_count


class _RawItems(ItemsView):
    def __iter__(self):
        return self._mapping._iter_items()


class _RawValues(ValuesView):
    def __iter__(self):
        return (c for _, c in self._mapping._iter_items())


class RawCounts(Mapping):
    """Read-only ``word -> count`` of a file scan, held in the C counter (``_text.WordCounter``)
    instead of a dict: about 40 bytes plus the word per distinct word, against about 100 for a dict
    of str, and no Python object for the words min_count drops.

    Iterates in first-occurrence order, making Python objects a slice at a time; compares equal to
    the dict of the same items. ``Vocabulary.from_counts`` / ``update`` and ``effective_min_count``
    read it through ``count_array`` / ``select`` when no ``trim_rule`` needs to see every word.
    ``to_dict()`` is the plain dict (what ``raw_vocab`` holds).
    """

    def __init__(self, counter):
        self._counter = counter

    def __len__(self) -> int:
        return len(self._counter)

    def __getitem__(self, word):
        count = self._counter.get(word) if isinstance(word, str) else None
        if count is None:
            raise KeyError(word)
        return count

    def get(self, word, default=None):
        return self._counter.get(word, default) if isinstance(word, str) else default

    def __contains__(self, word) -> bool:
        return isinstance(word, str) and self._counter.get(word) is not None

    def _iter_items(self):
        for start in range(0, len(self._counter), _ITER_WORDS):
            yield from self._counter.str_items(start, start + _ITER_WORDS)

    def __iter__(self):
        return (w for w, _ in self._iter_items())

    def items(self):
        return _RawItems(self)

    def values(self):
        return _RawValues(self)

    def count_array(self) -> np.ndarray:
        """int64 counts in first-occurrence order (a copy)."""
        return self._counter.counts()

    def select(self, min_count: int):
        """``(words, counts)`` with ``count >= min_count``, in first-occurrence order."""
        return self._counter.select(min_count)

    def total(self) -> int:
        """Sum of the counts."""
        return self._counter.total()

    def to_dict(self) -> dict:
        return self._counter.to_dict()

    def __repr__(self) -> str:
        return f"RawCounts({len(self)} words)"


def _count_values(counts) -> np.ndarray:
    """int64 array of a counts mapping's values, in its order."""
    if isinstance(counts, RawCounts):
        return counts.count_array()
    return np.fromiter(counts.values(), np.int64, count=len(counts))


def _no_counts(counts) -> bool:
    """No word, or every count 0."""
    if isinstance(counts, RawCounts):
        return counts.total() == 0
    return not counts or not any(counts.values())


@dataclass
class CountResult:
    """Raw counts of one corpus pass.

    counts       word -> count, in first-occurrence order (a word pruned by max_vocab_size and seen
                 again counts from its reappearance, as in gensim): a dict, or a ``RawCounts`` when
                 ``count_words(..., compact=True)`` counted a file in C
    total_words  raw tokens seen (pruned ones included)
    n_sentences  sentences seen (gensim's corpus_count; for a file: LineSentence sentences, i.e.
                 non-empty lines, long lines counting once per max_sentence_length piece)
    min_reduce   the next pruning threshold: 1 if max_vocab_size never pruned
    """

    counts: dict
    total_words: int
    n_sentences: int
    min_reduce: int


def _prune(counts: Counter, min_reduce: int, trim_rule) -> int:
    """gensim's utils.prune_vocab: drop words failing keep_vocab_item(min_reduce); returns the
    dropped count."""
    if trim_rule is None:
        drop = [w for w, c in counts.items() if c < min_reduce]
    else:
        drop = [w for w, c in counts.items() if not keep_vocab_item(w, c, min_reduce, trim_rule)]
    pruned = 0
    for w in drop:
        pruned += counts.pop(w)
    logger.info("pruned out %i word types with count < %i (%i left)", len(drop), min_reduce, len(counts))
    return pruned


def _token_error(token, index: int) -> TypeError:
    return TypeError(
        f"sentence {index} contains a token of type {type(token).__name__} ({token!r:.60}); "
        f"tokens must be str"
    )


def _raise_for_bad_tokens(sentences: Iterable, base: int) -> None:
    """Find the first non-str (or unhashable) token and raise naming its sentence."""
    for j, sentence in enumerate(sentences):
        for token in sentence:
            if not isinstance(token, str):
                raise _token_error(token, base + j)


def _check_keys(counts: Counter, corpus) -> None:
    """Token types are checked on the distinct words (cheap) rather than on every token; a bad key
    is traced back to its sentence by a second pass over the (restartable) corpus."""
    bad = [k for k in counts if type(k) is not str and not isinstance(k, str)]
    if not bad:
        return
    _raise_for_bad_tokens((as_token_list(s, i) for i, s in enumerate(corpus)), 0)
    raise TypeError(f"the corpus contains a token of type {type(bad[0]).__name__} ({bad[0]!r:.60}); tokens must be str")


def _normalise_keys(counts: Counter) -> dict:
    # str subclasses (numpy.str_) hash and compare like str; store them as plain str
    if any(type(k) is not str for k in counts):
        return {str(k): c for k, c in counts.items()}
    return dict(counts)


def _log_progress(sentence, words, word_types):
    """gensim's scan_vocab progress line."""
    logger.info("PROGRESS: at sentence #%i, processed %i words, keeping %i word types",
                sentence, words, word_types)


def _count_iterable(corpus, max_vocab_size, progress_per, trim_rule) -> CountResult:
    check_restartable(corpus)
    counts: Counter = Counter()
    update = counts.update
    total = 0
    min_reduce = 1
    n_sentences = 0
    next_log = 0
    chunk: list = []
    chunk_words = 0

    def flush(base):
        try:
            update(chain.from_iterable(chunk))
        except TypeError:  # an unhashable token
            _raise_for_bad_tokens(chunk, base)
            raise

    for index, sentence in enumerate(corpus):
        if type(sentence) is not list:
            sentence = as_token_list(sentence, index)
        n = len(sentence)
        total += n
        if max_vocab_size:
            # per sentence, like gensim, so that pruning happens at the same moments
            try:
                update(sentence)
            except TypeError:
                _raise_for_bad_tokens([sentence], index)
                raise
            if len(counts) > max_vocab_size:
                _check_keys(counts, corpus)
                _prune(counts, min_reduce, trim_rule)
                min_reduce += 1
        else:
            chunk.append(sentence)
            chunk_words += n
            if chunk_words >= _CHUNK_WORDS or len(chunk) >= _CHUNK_SENTENCES:
                flush(index + 1 - len(chunk))
                chunk, chunk_words = [], 0
        if index >= next_log:
            _log_progress(index, total, len(counts))
            next_log += progress_per
        n_sentences = index + 1
    if chunk:
        flush(n_sentences - len(chunk))
    _check_keys(counts, corpus)
    return CountResult(_normalise_keys(counts), total, n_sentences, min_reduce)


def _halves(path):
    """``(size, cut)`` splitting an uncompressed file after the first newline at or past its middle,
    or None (compressed, small, not a path, or no such newline): where two threads may count."""
    if not isinstance(path, (str, bytes, os.PathLike)) or (os.cpu_count() or 1) < 2:
        return None
    with open_text(path) as f:
        if not _is_plain(f):
            return None
        size = os.fstat(f.fileno()).st_size
        if size < _PARALLEL_BYTES:
            return None
        f.seek(size // 2)
        pos = size // 2
        while True:
            chunk = f.read(1 << 16)
            if not chunk:
                return None
            nl = chunk.find(b"\n")
            if nl >= 0:
                cut = pos + nl + 1
                return (size, cut) if cut < size else None
            pos += len(chunk)


def _count_range(path, start, stop, counter, max_len, out, cancel):
    """Count the lines in bytes ``[start, stop)`` of an uncompressed file (``start`` and ``stop``
    after a newline, or the file's ends) into ``counter``; ``out``: [raw, sentences, error]. Stops
    at the next block once ``cancel`` is set."""
    name = _name(path)
    try:
        with _ReadErrors(name), open_text(path) as f:
            f.seek(start)
            left = stop - start
            tail = []                 # pieces of a line longer than a block (joined once)
            while (left > 0 or tail) and not cancel.is_set():
                block = f.read(min(_READ_BYTES, left)) if left > 0 else b""
                left = left - len(block) if block else 0
                nl = block.rfind(b"\n") if left > 0 else len(block) - 1
                if nl < 0 and block:
                    tail.append(block)
                    continue
                head = b"".join(tail + [block[:nl + 1]])
                tail = [block[nl + 1:]] if nl + 1 < len(block) else []
                if head:
                    decode_block(head, name, 1)   # strict UTF-8 (the error is re-raised sequentially)
                    raw, n_sent = counter.count_block(head, max_len)
                    out[0] += raw
                    out[1] += n_sent
    except Exception:   # noqa: BLE001 - the caller counts again in one pass, which raises
        out[2] = True       # (not the exception: its traceback would keep this frame's buffers alive)
        cancel.set()


def _count_file_parallel(path, halves, max_len):
    """Two threads count the two halves (``count_block`` releases the GIL); the second counter is
    merged into the first, its new words after the first's, so first-occurrence order, counts and
    totals are those of one pass. None when a thread failed (the sequential pass then raises the
    error naming the line)."""
    size, cut = halves
    first, second = _WordCounter(), _WordCounter()
    out_first, out_second = [0, 0, None], [0, 0, None]
    cancel = threading.Event()
    helper = threading.Thread(target=_count_range, name="fastw2v-count", daemon=True,
                              args=(path, cut, size, second, max_len, out_second, cancel))
    helper.start()
    try:
        _count_range(path, 0, cut, first, max_len, out_first, cancel)
    except BaseException:   # KeyboardInterrupt: stop the helper too
        cancel.set()
        raise
    finally:
        while helper.is_alive():
            try:
                helper.join()
            except BaseException:   # interrupted while waiting: stop the helper, then wait
                cancel.set()
                raise
    if out_first[2] is not None or out_second[2] is not None:
        return None
    first.merge(second)
    del second
    return first, out_first[0] + out_second[0], out_first[1] + out_second[1]


def _count_file_native(path, max_vocab_size, progress_per, max_len, compact) -> CountResult:
    """File counting in C (``_text.WordCounter``, GIL released): no Python object per token, about
    3x faster than str.split + Counter; UTF-8 is still checked strictly, block by block. The
    counter prunes for ``max_vocab_size`` itself, after each sentence (gensim's rule)."""
    parallel = None
    if not max_vocab_size:   # (pruning depends on the order of the whole pass: one thread)
        halves = _halves(path)
        if halves is not None:
            parallel = _count_file_parallel(path, halves, max_len)
    if parallel is not None:
        counter, total, n_sentences = parallel
        _log_progress(n_sentences, total, len(counter))
        counts = RawCounts(counter) if compact else counter.to_dict()
        return CountResult(counts, total, n_sentences, counter.min_reduce)
    counter = _WordCounter(max_vocab_size or 0)
    name = os.fsdecode(path) if isinstance(path, (str, bytes, os.PathLike)) else repr(path)
    total = n_sentences = 0
    next_log = 0
    for lineno, block in iter_line_blocks(path):
        decode_block(block, name, lineno)  # strict UTF-8 check, naming file and line
        raw, n_sent = counter.count_block(block, max_len)
        total += raw
        n_sentences += n_sent
        if n_sentences >= next_log:
            _log_progress(n_sentences, total, len(counter))
            next_log = n_sentences + progress_per
    counts = RawCounts(counter) if compact else counter.to_dict()
    return CountResult(counts, total, n_sentences, counter.min_reduce)


def _count_file(path, max_vocab_size, progress_per, trim_rule, max_len) -> CountResult:
    """The pure-Python file counter: without the extension, or to prune with a ``trim_rule``."""
    counts: Counter = Counter()
    update = counts.update
    total = 0
    min_reduce = 1
    n_sentences = 0
    next_log = 0
    for _, lines, split in iter_text_blocks(path):
        token_lists = list(map(split, lines))
        if max_vocab_size:
            for tokens in token_lists:
                for i in range(0, len(tokens), max_len):
                    piece = tokens[i:i + max_len]
                    update(piece)
                    total += len(piece)
                    n_sentences += 1
                    if len(counts) > max_vocab_size:
                        _prune(counts, min_reduce, trim_rule)
                        min_reduce += 1
        else:
            lens = list(map(len, token_lists))
            total += sum(lens)
            if max(lens, default=0) <= max_len:
                n_sentences += len(lens) - lens.count(0)
            else:
                n_sentences += sum((n + max_len - 1) // max_len for n in lens)
            update(chain.from_iterable(token_lists))
        if n_sentences >= next_log:
            _log_progress(n_sentences, total, len(counts))
            next_log = n_sentences + progress_per
    return CountResult(dict(counts), total, n_sentences, min_reduce)


def count_words(
    corpus_iterable=None,
    corpus_file=None,
    max_vocab_size: int | None = None,
    progress_per: int = 10000,
    *,
    trim_rule: TrimRule | None = None,
    max_sentence_length: int = MAX_SENTENCE_LENGTH,
    compact: bool = False,
) -> CountResult:
    """Count every token of a corpus (gensim's ``scan_vocab``).

    Exactly one of ``corpus_iterable`` (a restartable iterable of token lists) or ``corpus_file``
    (a path; one sentence per line, ASCII-whitespace tokens, .gz/.bz2/.xz transparently, strict UTF-8).
    ``max_vocab_size``: whenever more distinct words than this are held, drop those failing
    ``keep_vocab_item(word, count, min_reduce, trim_rule)`` and raise ``min_reduce`` by one
    (gensim's rule, checked after each sentence; the first pruning, at ``min_reduce=1``, drops
    nothing unless ``trim_rule`` says so). ``max_sentence_length`` only affects ``n_sentences`` for
    files (long lines are several sentences). ``compact=True``: a file counted in C keeps its counts
    there (``counts`` is a ``RawCounts``, not a dict), so that a long-tailed corpus never holds a
    Python object per distinct word; ``Vocabulary.from_counts`` takes either. Raises ``TypeError`` for a str / bytes / None /
    non-iterable sentence, a non-str token (naming the sentence index, 0-based) or a one-shot
    iterator; ``ValueError`` for malformed UTF-8 in a file (naming file and line); ``OSError`` for a
    missing or unreadable file.
    """
    if (corpus_iterable is None) == (corpus_file is None):
        raise TypeError("pass exactly one of corpus_iterable or corpus_file")
    if max_vocab_size is not None and max_vocab_size < 0:
        raise ValueError(f"max_vocab_size must be None or >= 0, got {max_vocab_size!r}")
    if progress_per < 1:
        raise ValueError(f"progress_per must be >= 1, got {progress_per!r}")
    if max_sentence_length < 1:
        raise ValueError(f"max_sentence_length must be >= 1, got {max_sentence_length!r}")
    if corpus_file is not None and _WordCounter is not None and not (max_vocab_size and trim_rule is not None):
        # (pruning with a trim_rule calls Python for every word: the pure-Python counter does that)
        result = _count_file_native(corpus_file, max_vocab_size, progress_per, int(max_sentence_length),
                                    compact)
    elif corpus_file is not None:
        result = _count_file(corpus_file, max_vocab_size, progress_per, trim_rule, int(max_sentence_length))
    else:
        result = _count_iterable(corpus_iterable, max_vocab_size, progress_per, trim_rule)
    logger.info(
        "collected %i word types from a corpus of %i raw words and %i sentences",
        len(result.counts), result.total_words, result.n_sentences,
    )
    return result


# --------------------------------------------------------------------------- the vocabulary


def effective_min_count(counts: dict, min_count: int, max_final_vocab: int | None) -> int:
    """gensim's prepare_vocab rule: with ``max_final_vocab``, sort counts descending and, if more
    words than ``max_final_vocab`` exist, raise the threshold to (count of the word at 0-based
    position ``max_final_vocab``) + 1. Ties at the cut therefore all go, so *fewer* than
    ``max_final_vocab`` words may survive; words kept by ``trim_rule`` are not limited."""
    if max_final_vocab is None:
        return min_count
    if max_final_vocab < 0:
        raise ValueError(f"max_final_vocab must be None or >= 0, got {max_final_vocab!r}")
    calc = 1
    if max_final_vocab < len(counts):
        values = _count_values(counts)
        # the (max_final_vocab)-th largest, 0-based
        calc = int(-np.partition(-values, max_final_vocab)[max_final_vocab]) + 1
    return max(calc, min_count)


TIE_ORDERS = ("first_seen", "gensim")


def _sort_order(counts: np.ndarray, tie_order: str = "first_seen") -> np.ndarray:
    """Permutation sorting ``counts`` descending; ties in insertion order ("first_seen", a stable
    sort) or in reverse insertion order ("gensim": gensim 4.4's sort_by_descending_frequency)."""
    if tie_order == "first_seen":
        return np.argsort(-counts, kind="stable")
    if tie_order == "gensim":
        index = np.arange(len(counts))
        return np.lexsort((-index, -counts))
    raise ValueError(f"tie_order must be one of {TIE_ORDERS}, got {tie_order!r}")


class Vocabulary:
    """Words and their counts, indexed by int id.

    ``index_to_key`` list of words; ``key_to_index`` dict word -> id; ``counts`` int64 array aligned
    with ``index_to_key``. ``min_count`` is the requested threshold, ``effective_min_count`` the
    applied one (raised by max_final_vocab); ``retained_words`` is gensim's ``retain_total``: the sum
    of the counts kept by the last ``from_counts`` / ``update`` (the latter counting the new corpus
    only), the null word excluded: what ``sample`` is relative to.
    """

    def __init__(self, index_to_key=(), counts=(), *, min_count: int = 5, effective_min_count: int | None = None,
                 retained_words: int | None = None, null_word: bool = False):
        self.index_to_key = list(index_to_key)
        self.key_to_index = {w: i for i, w in enumerate(self.index_to_key)}
        if len(self.key_to_index) != len(self.index_to_key):
            raise ValueError("index_to_key holds duplicate words")
        self.counts = np.array(counts, dtype=np.int64).reshape(-1)
        if len(self.counts) != len(self.index_to_key):
            raise ValueError(f"{len(self.counts)} counts for {len(self.index_to_key)} words")
        self.min_count = min_count
        self.effective_min_count = min_count if effective_min_count is None else effective_min_count
        self.null_word = bool(null_word)
        if retained_words is None:
            retained_words = int(self.counts.sum()) - (1 if self.null_word and NULL_WORD in self.key_to_index else 0)
        self.retained_words = int(retained_words)

    def __len__(self) -> int:
        return len(self.index_to_key)

    def __contains__(self, word) -> bool:
        return word in self.key_to_index

    def __repr__(self) -> str:
        return f"Vocabulary({len(self)} words, effective_min_count={self.effective_min_count})"

    @classmethod
    def from_counts(cls, counts: dict, min_count: int = 5, trim_rule: TrimRule | None = None,
                    max_final_vocab: int | None = None, sorted_vocab: bool = True,
                    null_word: bool = False, *, tie_order: str = "first_seen") -> "Vocabulary":
        """Keep words passing ``keep_vocab_item(word, count, effective_min_count, trim_rule)``, in the
        order of ``counts`` (first occurrence), add "\\0" with count 1 if ``null_word`` (unless the
        corpus already has it), then sort if ``sorted_vocab``: descending count, ties by
        ``tie_order`` ("first_seen", stable; or "gensim", gensim 4.4's reverse order; see the module
        docstring).

        Raises ``ValueError`` if the corpus is empty or no word survives.
        """
        if min_count < 0:
            raise ValueError(f"min_count must be >= 0, got {min_count!r}")
        if tie_order not in TIE_ORDERS:
            raise ValueError(f"tie_order must be one of {TIE_ORDERS}, got {tie_order!r}")
        if _no_counts(counts):
            raise EmptyCorpusError("the corpus is empty")
        effective = effective_min_count(counts, min_count, max_final_vocab)
        if trim_rule is None and isinstance(counts, RawCounts):
            kept, kept_counts = counts.select(effective)   # no object for the dropped words
        else:
            if trim_rule is None:
                kept = [w for w, c in counts.items() if c >= effective]
            else:
                kept = [w for w, c in counts.items() if keep_vocab_item(w, c, effective, trim_rule)]
            kept_counts = np.fromiter((counts[w] for w in kept), np.int64, count=len(kept))
        if not kept:
            raise EmptyCorpusError(_nothing_survives(counts, min_count, effective, max_final_vocab, trim_rule))
        retained = int(kept_counts.sum())
        dropped = len(counts) - len(kept)
        if null_word and NULL_WORD not in kept:
            kept.append(NULL_WORD)
            kept_counts = np.append(kept_counts, 1)
        logger.info(
            "effective_min_count=%i retains %i unique words (drops %i), %i of %i words",
            effective, len(kept), dropped, retained,
            counts.total() if isinstance(counts, RawCounts) else sum(counts.values()),
        )
        if sorted_vocab:
            order = _sort_order(kept_counts, tie_order)
            kept = [kept[i] for i in order]
            kept_counts = kept_counts[order]
        return cls(kept, kept_counts, min_count=min_count, effective_min_count=effective,
                   retained_words=retained, null_word=null_word)

    def update(self, counts: dict, min_count: int = 5, trim_rule: TrimRule | None = None,
               max_final_vocab: int | None = None) -> list:
        """gensim's ``build_vocab(update=True)``: every existing word's count grows by its count in
        ``counts`` (whether or not it passes min_count there); new words passing
        ``keep_vocab_item`` on the new counts are appended in first-occurrence order, unsorted.
        Existing ids never change. Returns the new words.
        """
        if _no_counts(counts):
            raise EmptyCorpusError("the corpus is empty")
        effective = effective_min_count(counts, min_count, max_final_vocab)
        known = self.key_to_index
        new_words = []
        retained = 0
        if trim_rule is None and isinstance(counts, RawCounts):
            kept, kept_counts = counts.select(effective)
            retained = int(kept_counts.sum())
            new_words = [w for w in kept if w not in known]
        else:
            for w, c in counts.items():
                if keep_vocab_item(w, c, effective, trim_rule):
                    retained += c
                    if w not in known:
                        new_words.append(w)
        get = counts.get
        grown = self.counts + np.fromiter((get(w, 0) for w in self.index_to_key), np.int64, count=len(self))
        self.counts = np.concatenate((grown, np.fromiter((counts[w] for w in new_words), np.int64,
                                                         count=len(new_words))))
        for w in new_words:
            known[w] = len(self.index_to_key)
            self.index_to_key.append(w)
        self.min_count = min_count
        self.effective_min_count = effective
        self.retained_words = retained
        logger.info("added %i new words; %i words in the vocabulary", len(new_words), len(self))
        return new_words

    def to_dict(self) -> dict:
        """Plain JSON-able form: ``{"words": [...], "counts": [...], ...settings}``."""
        return {
            "words": list(self.index_to_key),
            "counts": [int(c) for c in self.counts],
            "min_count": self.min_count,
            "effective_min_count": self.effective_min_count,
            "retained_words": self.retained_words,
            "null_word": self.null_word,
        }

    @classmethod
    def from_dict(cls, d: dict) -> "Vocabulary":
        """Inverse of ``to_dict``; only ``words`` (or ``index_to_key``) and ``counts`` are required."""
        words = d["words"] if "words" in d else d["index_to_key"]
        return cls(words, d["counts"], min_count=d.get("min_count", 5),
                   effective_min_count=d.get("effective_min_count"), retained_words=d.get("retained_words"),
                   null_word=d.get("null_word", False))


def _nothing_survives(counts, min_count, effective, max_final_vocab, trim_rule) -> str:
    top = int(_count_values(counts).max())
    if effective > min_count:
        threshold = f"min_count={effective} (raised from {min_count} by max_final_vocab={max_final_vocab})"
        advice = "raise max_final_vocab"
    else:
        threshold = f"min_count={effective}"
        advice = "lower min_count"
    if trim_rule is not None:
        advice += " or check trim_rule"
    return (
        f"no word reaches {threshold} (the corpus has {len(counts)} distinct words, the most frequent "
        f"appears {top} times); {advice}"
    )
