"""Training across processes and machines on Dask distributed (docs/distributed.md).

``train(corpus_file, client=None, processes=2, threads=1, **params) -> Word2Vec``.

Design, in one paragraph: every Dask worker process holds a *replica*, an ordinary ``Word2Vec`` loaded
from the driver's freshly initialised model (same vocabulary, same initial weights). Training runs
in *rounds*: each replica trains the next ``round_bytes`` of its share of the corpus with the
ordinary trainer (``Word2Vec.train(corpus_file=...)`` on that slice, its ``threads`` threads, its
kernels), then the replicas merge the most frequently updated rows (``hot_rows``: ``sync_rows``
and more, doubling with the trailing zeros of the round number, as pWord2Vec does) and, at each
epoch's end, every row: a row one or more replicas changed since it was last merged becomes its
last merged value plus their changes (``merge="sum"``) or their mean (``"mean"``); every worker
computes the same merge from the same deltas, so the replicas are equal on every merged row. The
learning rate follows one linear schedule over all workers' words (every replica sweeps the same
alpha range in a round, as the threads of one process do at the same moment). Deltas go from
worker to worker as Dask task results; the client only submits tasks and reads a few numbers per
round, plus the merged weights at each checkpoint and at the end. By default (``rounds="chained"``,
``_Pipeline``) a worker's one task per round adds the round before's merged change and trains
the next, all planned and submitted ahead; ``"barrier"`` rounds (``_Driver.round``) wait for the
client between a round's training tasks, its merge tasks and the next round.

Faults: a worker that dies (SIGKILL, lost machine) loses what it trained since its rows were last
merged; that part of the corpus (its round, and its earlier chunks of the epoch whose rows were not
all merged yet) is trained again by another worker, a restarted worker is seeded from a live
replica's merged state, and every part of the corpus is in the model once per epoch. With ``checkpoint=PATH`` the
model is saved at each epoch end; ``train(..., resume=PATH)`` continues from it.
"""
import contextlib
import functools
import glob
import io
import logging
import math
import os
import shutil
import tempfile
import threading
import time
import uuid

import numpy as np

try:
    import dask
    import distributed
    from distributed import Client, LocalCluster
except ImportError as _exc:   # pragma: no cover - depends on the environment
    raise ImportError(
        'fastw2v.distributed needs Dask distributed, which is not installed: '
        'pip install "fastw2v[distributed]"') from _exc

import fastw2v
from .corpus import MAX_SENTENCE_LENGTH, decode_block, open_text
from .engine import alpha_schedule
from .model import Word2Vec

logger = logging.getLogger(__name__)

#: Corpus bytes (decompressed) each worker trains per round at most, skip-gram: ~180k words of
#: English text, ~0.25 s of one thread at vector_size 100. Shorter rounds keep the replicas closer
#: (measured: 4 MiB rounds cost ~0.04 WordSim-353 against 1 MiB, benchmarks/distributed_check.py)
#: and cost ~40 ms of task hand-offs each. The corpus is cut into shares of at most this size, a
#: multiple of the number of workers in all, so that every round is about as long for everyone.
ROUND_BYTES = 1 << 20
#: The same for CBOW, which trains a word ~3x faster: 2 MiB rounds last ~0.16 s and, against
#: 1 MiB, train 10% faster with quality as close to the threaded trainer's (dev corpus, seeds 1-4,
#: benchmarks/results/2026-12-03-2core/distributed-check*.txt).
CBOW_ROUND_BYTES = 2 << 20
#: Counting ranges per worker at most (each at least VOCAB_RANGE_BYTES).
SHARES_PER_WORKER = 4
#: A plain file is counted in byte ranges of at least this size (compressed files: one range each).
VOCAB_RANGE_BYTES = 8 << 20
#: Bytes read per block while counting.
_READ_BYTES = 1 << 20
#: Seconds between checks of the scheduler's worker list while waiting for tasks.
_POLL_SECONDS = 0.05
#: Seconds between checks that a finished task's worker is alive while its result is read.
_FETCH_SECONDS = 1.0
#: Pipelined rounds the driver submits beyond the oldest whose results it has not read.
_AHEAD = 3
#: Rows compared per block when finding the rows a round changed (bounds the temporary memory).
_COMPARE_ROWS = 1 << 14
#: Rows of each matrix merged after every round, at least (pWord2Vec's scheme, Ji et al. 2016):
#: round r (counted from 1 over the whole run) merges the SYNC_ROWS * 2**z most frequently updated
#: rows, z the number of trailing zero bits of r, so rows up to SYNC_ROWS * 2**k are merged at least
#: every 2**k rounds; every row is merged at each epoch's end. See hot_rows().
SYNC_ROWS = 1024
#: train(rounds=...): how many rounds a worker's step lags behind the merge it adds (_task_step),
#: 0 for barrier rounds (the client submits each round's training, then its merge).
ROUND_MODES = {"chained": 1, "barrier": 0, "overlapped": 2}
#: glibc malloc settings of the worker processes of the LocalCluster that train() starts: freed
#: memory is kept for reuse instead of being handed back to the system at once (Dask's nanny sets
#: MALLOC_TRIM_THRESHOLD_=65536), so that the matrix-sized arrays of every round (deltas, their
#: transfers, merges) do not fault fresh pages in each time: ~10% of CBOW's words/s on the
#: 2-core machine (docs/distributed.md, "Costs"). Set them for your own cluster's workers the same
#: way (Dask's ``distributed.nanny.pre-spawn-environ``).
LOCAL_WORKER_MALLOC = {"MALLOC_TRIM_THRESHOLD_": str(1 << 30),
                       "MALLOC_MMAP_THRESHOLD_": str(4 << 20),
                       "MALLOC_TOP_PAD_": str(64 << 20)}
#: Dask settings of the LocalCluster that train() starts: tasks are pinned to their worker, so
#: work stealing and the active memory manager have nothing to do; with no dashboard, nothing reads
#: the workers' statistical profiler (a thread sampling every stack every 10 ms); and the event
#: loops' periodic bookkeeping (ticks, system and memory monitors) runs less often. On 2 cores
#: every process competes with the training: ~5% of CBOW's words/s for the profiler, ~5% for the
#: rest (docs/distributed.md, "Costs").
LOCAL_CLUSTER_CONFIG = {"distributed.worker.profile.enabled": False,
                        "distributed.scheduler.work-stealing": False,
                        "distributed.scheduler.active-memory-manager.start": False,
                        "distributed.admin.tick.interval": "200ms",
                        "distributed.admin.system-monitor.interval": "2s",
                        "distributed.worker.memory.monitor-interval": "1s"}
#: How the replicas' changes to a row are merged (merge_deltas).
MERGE_RULES = ("sum", "mean")
#: The weight matrices a round can change, by name (a replica's attribute path in _matrices).
MATRICES = ("vectors", "syn1neg", "syn1")
#: Per-replica random streams: replica slot s, generation g (0 at the start, +1 per reseed) trains
#: with seed  seed + REPLICA_SEED_STRIDE * (1 + s + 1024 * g)  (its threads then derive their own).
REPLICA_SEED_STRIDE = 7919
#: Parameters of Word2Vec that this entry point sets itself or cannot honour.
_REJECTED = {
    "sentences": "distributed.train reads files only: pass corpus_file",
    "corpus_file": "pass the corpus as train()'s first argument",
    "workers": "use threads= (training threads per worker process)",
    "callbacks": "callbacks are not supported across processes; use checkpoint= to see each epoch",
    "max_vocab_size": ("max_vocab_size prunes during one sequential pass, which parallel counting "
                       "cannot reproduce; leave it None (max_final_vocab caps the final vocabulary)"),
}


class WorkerError(RuntimeError):
    """A worker could not do its part (unreadable corpus, version mismatch, ...); names the worker."""


# ============================================================ reading newline-aligned byte ranges

class RangeReader:
    """The lines of one (decompressed) file whose first byte lies in ``[start, end)``, in chunks.

    A line starts at offset 0 or right after a b"\\n". So consecutive ranges ``[a, b)``, ``[b, c)``
    cover every line exactly once whatever the cut points, and a reader can start at any offset.
    ``end`` None: to the end of the file. Offsets are in decompressed bytes; a compressed file is
    decompressed from its beginning up to ``start`` (gzip/bz2 seek). Chunks are cut at nominal
    offsets: ``read(want)`` returns the lines starting in ``[mark, mark + want)`` and moves ``mark``
    there, so chunk k of a range is known in advance (``[start + k*want, start + (k+1)*want)``) and a
    fresh reader at ``mark`` continues exactly where this one stops.
    """

    def __init__(self, path, start=0, end=None):
        self.path = os.fspath(path)
        self.end = math.inf if end is None else end
        self.f = open_text(self.path)
        self.buf = b""
        self.eof = False
        pos = start
        if start > 0:
            self.f.seek(start - 1)
            prev = self.f.read(1)
            if prev and prev != b"\n":   # mid-line: this line belongs to the range before
                pos += self._skip_line()
        self.pos = pos             # offset of the first line not returned yet
        self.mark = start          # nominal offset the next chunk starts at (<= pos)

    def _more(self):
        block = self.f.read(_READ_BYTES)
        if not block:
            self.eof = True
        self.buf += block

    def _skip_line(self):
        skipped = 0
        while True:
            nl = self.buf.find(b"\n")
            if nl >= 0:
                self.buf = self.buf[nl + 1:]
                return skipped + nl + 1
            skipped += len(self.buf)
            self.buf = b""
            self._more()
            if self.eof:
                return skipped

    @property
    def done(self):
        return self.pos >= self.end or (self.eof and not self.buf)

    def read(self, want):
        """The next lines: those starting in ``[mark, mark + want)`` (and before ``end``), whole.
        Returns bytes (empty when no line starts there, or the range is exhausted: see ``done``);
        advances ``mark`` by ``want`` and ``pos`` past the lines returned."""
        if self.done:
            return b""
        limit = min(self.mark + max(1, want), self.end)
        self.mark = limit
        need = int(limit - self.pos)           # the line holding byte limit-1 is ours
        if need <= 0:                          # a long line started before mark and ends after limit
            return b""
        while len(self.buf) < need and not self.eof:
            self._more()
        nl = self.buf.find(b"\n", max(0, min(need, len(self.buf)) - 1))
        while nl < 0 and not self.eof:
            searched = len(self.buf)
            self._more()
            nl = self.buf.find(b"\n", searched)
        cut = len(self.buf) if nl < 0 else nl + 1
        data, self.buf = self.buf[:cut], self.buf[cut:]
        self.pos += cut
        if not self.buf and not self.eof:
            self._more()
        return data

    def close(self):
        self.f.close()


def count_range(path, start=0, end=None):
    """Raw counts of the lines of ``path`` starting in ``[start, end)``, as ``count_words`` counts a
    file: ``{"counts": {word: n} in first-occurrence order, "total_words", "n_sentences",
    "start", "stop"}`` (``stop``: offset after the last line read, decompressed bytes)."""
    from ._text import WordCounter

    counter = WordCounter()
    total = sentences = 0
    reader = RangeReader(path, start, end)
    first = reader.pos
    try:
        while not reader.done:
            offset = reader.pos
            block = reader.read(_READ_BYTES)
            if not block:
                continue
            try:
                decode_block(block, path, 1)
            except ValueError as exc:   # the line number is relative to the block: say where it is
                raise ValueError(f"{exc} (line counted from decompressed byte offset {offset})") from None
            raw, n = counter.count_block(block, MAX_SENTENCE_LENGTH)
            total += raw
            sentences += n
    finally:
        reader.close()
    return {"counts": counter.to_dict(), "total_words": total, "n_sentences": sentences,
            "start": first, "stop": reader.pos}


def _span(part):
    return part["start"], part["stop"]


def merge_counts(first, second):
    """Counts of two consecutive parts of a corpus: ``first``'s words, then ``second``'s new ones
    (so first-occurrence order is that of the whole corpus), counts added. Associative."""
    counts = dict(first["counts"])
    for word, n in second["counts"].items():
        counts[word] = counts.get(word, 0) + n
    return {"counts": counts, "total_words": first["total_words"] + second["total_words"],
            "n_sentences": first["n_sentences"] + second["n_sentences"]}


# ============================================================ the merge rule

def hot_rows(rnd, sync_rows, n_words):
    """How many of each matrix's most frequently updated rows are merged after round ``rnd``
    (0-based, counted over the whole run): ``sync_rows * 2**z``, z the trailing zero bits of
    ``rnd + 1``, at most ``n_words``."""
    r = rnd + 1
    return min(n_words, sync_rows << ((r & -r).bit_length() - 1))


def hot_slice(name, n_rows, n):
    """The ``n`` most frequently updated rows of matrix ``name`` (of ``n_rows`` rows), a slice.

    Words are sorted by descending count, so these are the first rows of ``vectors`` and
    ``syn1neg``; ``syn1``'s inner node k is the k-th the Huffman tree created (the root is
    ``n_rows - 2``, on every word's path), so its last rows.
    """
    n = min(n, n_rows)
    return slice(n_rows - n, n_rows) if name == "syn1" else slice(0, n)


def changed_mask(current, before):
    """Boolean mask of the rows of ``current`` that differ from ``before`` (a row whose value did
    not change counts as not touched)."""
    mask = np.zeros(len(current), dtype=bool)
    for s in range(0, len(current), _COMPARE_ROWS):
        np.any(current[s:s + _COMPARE_ROWS] != before[s:s + _COMPARE_ROWS], axis=1,
               out=mask[s:s + _COMPARE_ROWS])
    return mask


def changed_rows(current, before):
    """int64 ids of the rows of ``current`` that differ from ``before`` (see changed_mask)."""
    return np.flatnonzero(changed_mask(current, before))


def sparse_delta(rows, values):
    """A delta's ``(rows, values)`` as int64 ids and their values: a whole-matrix delta (``rows``
    a boolean mask over every row, ``values`` the whole matrix) keeps the rows the mask marks."""
    if rows.dtype == np.bool_:
        rows = np.flatnonzero(rows)
        return rows, values[rows]
    return rows, values


def merge_deltas(deltas, rule="mean", base=None, out=None):
    """The round's merged rows from the replicas' deltas.

    ``deltas``: list of ``{name: (rows, values)}`` (``rows`` unique int64 ids a replica changed,
    ``values`` float32 ``[len(rows), D]`` their values after its round; or, for a merge of every
    row, ``rows`` a boolean mask of the rows it changed and ``values`` its whole matrix). Returns
    ``{name: (rows, values, touched)}``: every row some replica changed, merged over the replicas
    that changed it, and how many did. Rows no replica changed are absent: they keep their value
    everywhere (with whole-matrix deltas, ``rows`` is the mask of the rows some replica changed
    and ``values`` a whole matrix, meaningful on those rows: ``out[name]`` if given, the other
    rows of which are left as they are).
    ``rule`` (MERGE_RULES): "mean", the mean of their values; "sum", the row's last merged value
    (``base[name]``, the matrices every replica shares for these rows) plus the sum of their
    changes, as if their updates had been applied one after the other (what threads sharing one
    model do). float32 arithmetic, in a fixed order (every worker computes the same bits); a row
    changed by one replica keeps that replica's value exactly.
    """
    if rule not in MERGE_RULES:
        raise ValueError(f"merge must be one of {MERGE_RULES}, got {rule!r}")
    merged = {}
    dense = [{name: part for name, part in d.items() if part[0].dtype == np.bool_} for d in deltas]
    if any(dense) and all(len(d) == len(full) for d, full in zip(dense, deltas)):
        for name in MATRICES:
            parts = [d[name] for d in dense if name in d]
            if parts:
                merged[name] = _merge_whole(parts, rule, None if base is None else base[name],
                                            None if out is None else out.get(name))
        return merged
    deltas = [{name: sparse_delta(*part) for name, part in d.items()} for d in deltas]
    for name, rows, sums, touched in _accumulate(deltas):
        uniform = int(touched[0]) if len(rows) and (touched == touched[0]).all() else None
        if rule == "mean":
            sums /= (touched[:, None] if uniform is None else uniform)
        elif uniform is None or uniform > 1:   # sum of (value - base) = sum of values - (touched - 1) * base
            again = base[name][rows] if uniform is None or len(rows) < len(base[name]) else base[name]
            if uniform is None:
                sums -= (touched - 1).astype(np.float32)[:, None] * again
            else:
                for _ in range(uniform - 1):
                    sums -= again
        merged[name] = (rows, sums, touched)
    return merged


def _merge_whole(parts, rule, base, out=None):
    """merge_deltas for one matrix from whole-matrix deltas ``[(mask, values)]``, in whole-matrix
    arithmetic, with the row-wise path's formulas. ``out``: a matrix to merge into (its rows that
    no delta changed are left as they are), else a new one."""
    touched = np.zeros(len(parts[0][0]), dtype=np.int32)
    for mask, _ in parts:
        touched += mask
    some = touched > 0
    if out is None:
        out = np.zeros_like(parts[0][1])
    else:
        np.copyto(out, 0, where=some[:, None])
    for mask, values in parts:
        np.add(out, values, out=out, where=mask[:, None])   # (0 + v: as the row-wise path)
    if rule == "mean":
        np.divide(out, touched[:, None], out=out, where=(touched > 1)[:, None])
    else:
        for k in range(1, int(touched.max(initial=0))):    # sum of (value - base)
            np.subtract(out, base, out=out, where=(touched > k)[:, None])
    return some, out, touched


def merge_changes(changes, rule="sum", out=None):
    """The round's merged change from the replicas' changes (pipelined rounds, see _task_step).

    ``changes``: list of ``{name: (rows, diffs)}``, ``diffs`` float32 ``[len(rows), D]`` what a
    replica added to those rows since it last handed them out. Returns ``{name: (rows, change,
    touched)}`` over every row some replica changed: "sum", the sum of their changes; "mean", their
    mean over the replicas that changed the row. float32, in a fixed order (every worker computes
    the same bits); a row changed by one replica gets that replica's change exactly. ``out``:
    ``{name: array}`` whose first rows hold the change where every replica carries the same rows
    (saves allocating, and faulting in, an array per merge; a matrix-sized one for every row).
    """
    if rule not in MERGE_RULES:
        raise ValueError(f"merge must be one of {MERGE_RULES}, got {rule!r}")
    merged = {}
    for name, rows, sums, touched in _accumulate(changes, out):
        if rule == "mean" and len(rows) and touched.max() > 1:
            sums /= touched[:, None]
        merged[name] = (rows, sums, touched)
    return merged


def _accumulate(deltas, out=None):
    """Per matrix (in MATRICES order): the union of the rows the deltas carry, the sum of their
    arrays on those rows (float32, in the deltas' order) and how many deltas carry each row.
    ``out``: optional ``{name: array}`` for the sum when every delta carries the same rows."""
    names = {name for d in deltas for name in d}
    for name in MATRICES:
        if name not in names:
            continue
        parts = [d[name] for d in deltas if name in d]
        if all(np.array_equal(r, parts[0][0]) for r, _ in parts[1:]):
            rows = parts[0][0]          # every replica the same rows: the hot ones, or every row
            shape = parts[0][1].shape
            sums = (out or {}).get(name)
            if sums is not None and sums.shape[0] >= shape[0] and sums.shape[1:] == shape[1:]:
                sums = sums if sums.shape == shape else sums[:shape[0]]
            else:
                sums = np.empty_like(parts[0][1])
            np.copyto(sums, parts[0][1])
            for _, v in parts[1:]:
                sums += v
            yield name, rows, sums, np.full(len(rows), len(parts), dtype=np.int32)
            continue
        rows = np.unique(np.concatenate([r for r, _ in parts]))
        touched = np.zeros(len(rows), dtype=np.int32)
        sums = np.zeros((len(rows), parts[0][1].shape[1]), dtype=np.float32)
        for r, v in parts:
            at = np.searchsorted(rows, r)
            sums[at] += v               # r is unique within one delta, so no duplicate indices
            touched[at] += 1
        yield name, rows, sums, touched


def _as_index(rows):
    """``rows`` (unique, sorted int ids) as an index: a slice when they are one contiguous range
    (a hot slice or every row), so that it is read and written without fancy indexing."""
    if len(rows) and rows[-1] - rows[0] + 1 == len(rows):
        return slice(int(rows[0]), int(rows[-1]) + 1)
    return rows


def _nbytes(rows_values):
    return int(sum(a.nbytes for parts in rows_values.values() for a in parts))


# ============================================================ worker side

_REPLICAS = {}            # run id -> _Replica, in each worker process
_REPLICAS_LOCK = threading.Lock()


def _worker_address():
    try:
        return distributed.get_worker().address
    except ValueError:
        return "local"


def _matrices(model):
    out = {"vectors": model.wv.vectors}
    if model.negative:
        out["syn1neg"] = model.syn1neg
    if model.hs:
        out["syn1"] = model.syn1
    return out


def _model_to_bytes(model, folder):
    path = os.path.join(folder, f"export-{uuid.uuid4().hex}.fw2v")
    model.save(path)
    try:
        with open(path, "rb") as f:
            return f.read()
    finally:
        os.remove(path)


def _model_from_bytes(blob, folder):
    path = os.path.join(folder, f"import-{uuid.uuid4().hex}.fw2v")
    with open(path, "wb") as f:
        f.write(blob)
    try:
        return Word2Vec.load(path)     # the native format: never unpickles
    finally:
        os.remove(path)


class _FreshModel:
    """What a replica needs to make the driver's fresh model itself instead of receiving its
    weights: the constructor's arguments and the vocabulary (the initial weights follow from
    them and the seed, Word2Vec._set_vocabulary)."""

    def __init__(self, params, vocab, corpus_count, corpus_total_words):
        self.params, self.vocab = params, vocab
        self.corpus_count, self.corpus_total_words = corpus_count, corpus_total_words

    def build(self):
        model = Word2Vec(**self.params)
        model._set_vocabulary(self.vocab)
        model.corpus_count, model.corpus_total_words = self.corpus_count, self.corpus_total_words
        return model


class _Replica:
    """One worker process's copy of the model, with its round state."""

    def __init__(self, blob, seed, applied):
        # In the worker's own scratch directory, which Dask removes with the worker (also one
        # that was killed, when its nanny cleans up), else in the system's temp folder.
        try:
            scratch = distributed.get_worker().local_directory
        except ValueError:
            scratch = None
        self.folder = tempfile.mkdtemp(prefix="fastw2v-replica-", dir=scratch)
        self.lock = threading.Lock()
        self.reader = None
        self.pending = None          # (round, delta, info) of the last trained round
        self.applied = applied       # last round whose merge this replica holds
        self.applied_info = []
        self.closed = -1             # pipelined segments up to this first round are over
        self.segment = None          # the open pipelined segment (its first round), see _task_step
        self.drained = {}            # segment -> what _task_drain reported
        self.finished = {}           # segment -> what _task_finish reported
        self.ref = None
        self.set_model(blob, seed)

    def set_model(self, blob, seed):
        """``blob``: a model file's bytes (a live replica's export, a resumed checkpoint) or a
        _FreshModel."""
        self.model = (blob.build() if isinstance(blob, _FreshModel)
                      else _model_from_bytes(blob, self.folder))
        self.model.seed = seed
        self.model._rng_states = None    # fresh per-replica streams (seeded from model.seed)
        # Rounds are short: no weight copy and full finiteness check per round (_task_train checks
        # the rows it hands out; every changed row is handed out at each epoch's end).
        self.model._epoch_guard = False
        # Each row's value when it was last merged (or the initial one): a round's delta is the
        # rows that differ from it, so changes to rows outside a round's merge carry over.
        self.base = {name: m.copy() for name, m in _matrices(self.model).items()}

    # ---------------------------------------------------------- pipelined segments (_task_step)

    def open_segment(self, first):
        """Start the pipelined rounds ``first, first + 1, ...``: every row is at its merged value."""
        if self.applied != first - 1:
            raise RuntimeError(f"replica on {_worker_address()} is at round {self.applied}, asked to "
                               f"start pipelined rounds at {first}")
        if self.ref is None:
            self.ref = {name: b.copy() for name, b in self.base.items()}
            self.scratch = {name: b.copy() for name, b in self.base.items()}   # (faulted in now)
        else:
            for name, b in self.base.items():
                np.copyto(self.ref[name], b)
        self.segment = first
        self.stepped = first - 1     # last round trained
        self.merged = first - 1      # last round whose merged change this replica added
        self.results = {}            # round -> (changes, info) of own rounds not merged yet
        self.own_infos = []          # infos of the chunks this replica trained in the segment
        self.round_infos = {}        # round -> every contributor's info, once merged here
        self.seen_infos = []         # infos of every contributor of the merged rounds
        self.settled = 0             # seen_infos[:settled]: rounds up to a merge of every row

    def add_merged(self, rnd, results, rule):
        """Add round ``rnd``'s merged change (every contributor's results, in the same order on
        every worker): the last merged values get it; the model and ``ref`` get it less this
        replica's own change (already in them). Returns the seconds it took."""
        began = time.perf_counter()
        if rnd != self.merged + 1:
            raise RuntimeError(f"replica on {_worker_address()} merged round {self.merged}, asked "
                               f"to merge round {rnd}")
        merged = merge_changes([changes for changes, _ in results], rule, self.scratch)
        own = self.results.pop(rnd, ({}, None))[0]
        matrices = _matrices(self.model)
        for name, (rows, change, _) in merged.items():
            m = matrices[name]
            at = _as_index(rows)
            self.base[name][at] += change
            if name in own:
                own_rows, own_change = own[name]
                change[slice(None) if np.array_equal(own_rows, rows)
                       else np.searchsorted(rows, own_rows)] -= own_change
            m[at] += change
            self.ref[name][at] += change
        self.model.wv.invalidate_norms()
        self.merged = rnd
        infos = [info for _, info in results]
        self.round_infos[rnd] = infos
        self.seen_infos.extend(info for info in infos if info["path"] is not None)
        if infos and infos[0]["n_sync"] >= len(self.model.wv):   # every row: all of it is merged
            self.settled = len(self.seen_infos)
        return time.perf_counter() - began

    def hand_out(self, n_sync, rule):
        """This replica's changes since it last handed them out, among each matrix's ``n_sync``
        hottest rows: ``{name: (rows, diffs)}``; they count as handed out from now on. Under
        "sum", a hand-out carries every one of those rows (unchanged ones with zero diffs, which
        add nothing), so that it is merged and added with slice arithmetic; under "mean", only
        the changed rows (an unchanged row must not count as touched)."""
        changes = {}
        for name, m in _matrices(self.model).items():
            ref = self.ref[name]
            hot = hot_slice(name, len(m), n_sync)
            if rule == "sum":
                # The hot rows as they lie (nearly all of them changed): contiguous arithmetic, and
                # each worker's rows are the same range, merged and added as slices.
                diffs = m[hot] - ref[hot]
                if not np.isfinite(diffs).all():
                    self.diverged(name)
                np.copyto(ref[hot], m[hot])
                changes[name] = (np.arange(hot.start, hot.stop), diffs)
                continue
            rows = changed_rows(m[hot], ref[hot]) + hot.start
            values = m[rows]
            if not np.isfinite(values).all():
                self.diverged(name)
            diffs = values - ref[rows]
            ref[rows] = values
            changes[name] = (rows, diffs)
        return changes

    def diverged(self, name, rnd=None):
        """Mark the model diverged (non-finite weights in matrix ``name``) and raise WorkerError."""
        when = "" if rnd is None else f" in round {rnd}"
        self.model._diverged = (f"training diverged on worker {_worker_address()}{when} "
                                f"(non-finite weights in {name})")
        raise WorkerError(f"{self.model._diverged}: lower the learning rate (alpha) and train "
                          "again (or resume from the last checkpoint)")

    def close_segment(self, first, applied):
        """End segment ``first`` (also one never opened here): later steps of it do nothing, and
        the replica continues in barrier rounds after round ``applied``."""
        self.closed = max(self.closed, first)
        if self.segment == first:
            self.segment = None
            self.results = {}
        self.applied = applied
        self.pending = None

    def reader_at(self, path, start, end):
        r = self.reader
        if r is None or r.path != path or r.mark != start or r.end != (math.inf if end is None else end):
            if r is not None:
                r.close()
            r = self.reader = RangeReader(path, start, end)
        return r

    def close(self):
        if self.reader is not None:
            self.reader.close()
        shutil.rmtree(self.folder, ignore_errors=True)


def _replica(run):
    try:
        return _REPLICAS[run]
    except KeyError:
        raise RuntimeError(f"worker {_worker_address()} holds no replica of run {run}") from None


def _task_about(paths):
    """A worker's fastw2v version and the corpus paths it cannot read (path, reason)."""
    problems = []
    for path in paths:
        try:
            with open_text(path) as f:
                f.read(1)
        except Exception as exc:   # noqa: BLE001 - reported to the driver with the path
            problems.append((path, f"{type(exc).__name__}: {exc}"))
    return {"version": fastw2v.__version__, "problems": problems}


def _task_expand(patterns):
    """Corpus paths on the workers' file system: globs expanded (sorted), plain paths kept."""
    out = []
    for pattern in patterns:
        if glob.has_magic(pattern):
            found = sorted(glob.glob(pattern))
            if not found:
                raise FileNotFoundError(f"worker {_worker_address()}: corpus pattern {pattern!r} "
                                        "matches no file")
            out.extend(found)
        else:
            out.append(pattern)
    return out


def _task_count(path, start, end):
    try:
        return count_range(path, start, end)
    except Exception as exc:
        raise WorkerError(f"worker {_worker_address()} counting {path!r} [{start}, {end}): "
                          f"{type(exc).__name__}: {exc}") from exc


def _task_init(run, blob, seed, applied):
    with _REPLICAS_LOCK:
        old = _REPLICAS.pop(run, None)
        if old is not None:
            old.close()
        _REPLICAS[run] = _Replica(blob, seed, applied)
    return _worker_address()


def _task_train(run, rnd, spec, start_alpha, end_alpha, est_words, round_bytes, n_sync):
    """Train this replica's next chunk: the lines of ``spec = (path, start, end)`` from ``start``,
    about ``round_bytes`` of them (``spec`` None: train nothing). Returns the delta, the rows among
    each matrix's ``n_sync`` hottest (hot_slice) that differ from their last merged value, with
    their values (for every row: the mask of the changed rows and the whole matrix, see
    merge_deltas), and an info dict. Idempotent per round: a second call returns the first
    result."""
    rep = _replica(run)
    with rep.lock:
        if rep.pending is not None and rep.pending[0] == rnd:
            return rep.pending[1]
        if rep.applied != rnd - 1:
            raise RuntimeError(f"replica on {_worker_address()} is at round {rep.applied}, "
                               f"asked to train round {rnd}")
        began = time.perf_counter()
        model = rep.model
        matrices = _matrices(model)
        raw, effective, loss, info = _train_chunk(rep, spec, start_alpha, end_alpha, est_words,
                                                  round_bytes)
        delta = {}
        for name, m in matrices.items():
            if n_sync >= len(m):     # every row: the whole matrix, and which rows changed
                rows, values = changed_mask(m, rep.base[name]), m.copy()
            else:
                hot = hot_slice(name, len(m), n_sync)
                rows = changed_rows(m[hot], rep.base[name][hot]) + hot.start
                values = m[rows]
            if not np.isfinite(values).all():
                rep.diverged(name, rnd)
            delta[name] = (rows, values)
        info.update(effective_words=effective, loss=loss, delta_bytes=_nbytes(delta),
                    train_seconds=time.perf_counter() - began, finished_at=time.time())
        result = (delta, info)
        rep.pending = (rnd, result)
        return result


def _train_chunk(rep, spec, start_alpha, end_alpha, est_words, round_bytes):
    """Train ``rep``'s model on its next chunk of ``spec``; returns raw and effective words, the
    loss and the chunk's info (where it starts and stops). ``spec`` None: train nothing."""
    if spec is None:
        return 0, 0, 0.0, {"addr": _worker_address(), "path": None, "bytes": 0, "raw_words": 0}
    path, start, end = spec
    try:
        reader = rep.reader_at(path, start, end)
        first = reader.pos     # > start when start fell inside a line (the range before has it)
        data = reader.read(round_bytes)
    except Exception as exc:
        raise WorkerError(f"worker {_worker_address()} reading {path!r} at byte {start}: "
                          f"{type(exc).__name__}: {exc}") from exc
    model = rep.model
    raw = effective = 0
    loss = 0.0
    if data:
        chunk = os.path.join(rep.folder, "round.txt")
        with open(chunk, "wb") as f:
            f.write(data)
        model.min_alpha_yet_reached = start_alpha   # the driver owns the schedule: no warning
        effective, raw = model.train(corpus_file=chunk, total_words=max(1, int(est_words)),
                                     epochs=1, start_alpha=start_alpha, end_alpha=end_alpha,
                                     compute_loss=model.compute_loss)
        loss = model.get_latest_training_loss()
    info = {"addr": _worker_address(), "path": path, "start": start, "first": first,
            "stop": reader.pos, "next": reader.mark, "end": end, "done": reader.done,
            "bytes": len(data), "raw_words": raw}
    return raw, effective, loss, info


def _task_step(run, first, rnd, spec, start_alpha, end_alpha, est_words, round_bytes, n_sync, rule,
               lag, previous, *older):
    """Round ``rnd`` of the pipelined segment that starts at round ``first`` (see ``train``'s
    ``rounds``): add round ``rnd - lag``'s merged change (``older``: every contributor's result
    of that round, none for the segment's first ``lag`` rounds), train the next chunk of ``spec``
    (None: nothing), and hand out this replica's changes among each matrix's ``n_sync`` hottest
    rows.
    ``previous``: this replica's step of round ``rnd - 1`` (or, for a segment's first round,
    its finish of the segment before, or None): a dependency only, so that Dask runs a replica's
    steps in round order (ready tasks are not always started in submission order).

    With ``lag`` 2, round ``rnd``'s hand-off to the other workers overlaps round ``rnd + 1``'s
    training, so a round trains on the merge of the round before last plus this replica's own
    changes; with ``lag`` 1, on the merge of the round before (barrier rounds' state, without a
    round trip through the client). Returns
    ``(changes, info)`` (merge_changes' input), or None once a fault closed the segment. A
    repeated call returns the first result."""
    rep = _replica(run)
    with rep.lock:
        if first <= rep.closed:
            return None
        if rep.segment != first and rnd == first:
            rep.open_segment(first)
        elif rep.segment == first and rnd in rep.results:
            return rep.results[rnd]
        elif rep.segment == first and rnd <= rep.stepped:
            return None    # merged already: Dask recomputing a result lost with another worker
        elif rep.segment != first or rep.stepped != rnd - 1:
            raise RuntimeError(f"replica on {_worker_address()} is at round "
                               f"{rep.stepped if rep.segment == first else rep.applied} of "
                               f"pipelined segment {rep.segment}, asked for round {rnd} of {first}")
        began = time.perf_counter()
        merge_seconds = rep.add_merged(rnd - lag, older, rule) if older else 0.0
        raw, effective, loss, info = _train_chunk(rep, spec, start_alpha, end_alpha, est_words,
                                                  round_bytes)
        changes = rep.hand_out(n_sync, rule)
        info.update(round=rnd, n_sync=n_sync, effective_words=effective, loss=loss,
                    delta_bytes=_nbytes(changes), merge_seconds=merge_seconds,
                    train_seconds=time.perf_counter() - began - merge_seconds,
                    finished_at=time.time())
        result = (changes, info)
        rep.results[rnd] = result
        rep.stepped = rnd
        if info["path"] is not None:
            rep.own_infos.append(info)
        return result


def _task_finish(run, first, last, rule, n_before, *results):
    """End the pipelined segment ``first..last``: add the merged changes of its rounds not added
    by a step (``results``: round ``last - 1``'s, ``n_before`` of them, when the steps lag by two
    rounds, then round ``last``'s, which handed out every row), then set every row to its merged
    value, so that all replicas are equal. Reports the chunks merged (``infos``) and every
    round's infos (``rounds``: round -> every contributor's, the driver's figures)."""
    rep = _replica(run)
    with rep.lock:
        if first in rep.finished:
            return rep.finished[first]
        if first <= rep.closed:
            return None
        began = time.perf_counter()
        if n_before:
            rep.add_merged(last - 1, results[:n_before], rule)
        rep.add_merged(last, results[n_before:], rule)
        for name, m in _matrices(rep.model).items():
            np.copyto(m, rep.base[name])      # equal to it up to rounding: now equal everywhere
        infos = rep.seen_infos
        rep.close_segment(first, last)
        rep.applied_info = infos
        rep.finished[first] = {"infos": infos, "last": last, "rounds": rep.round_infos,
                               "merge_seconds": time.perf_counter() - began}
        return rep.finished[first]


def _task_drain(run, fence, applied):
    """After a fault: close every pipelined segment that starts at round ``fence`` or before
    (after the step in progress, if any) and report what this replica holds: ``position``, the
    (segment, round) of the last merged change it added, and per segment the chunks it trained
    (``own``), the chunks, every worker's, that a merge of every row put in its merged values
    (``settled``), every contributor's infos of the rounds it merged (``rounds``) and its own of
    the rounds it did not (``unmerged``). The replica then continues in barrier rounds after
    round ``applied``."""
    rep = _replica(run)
    with rep.lock:
        if fence in rep.drained:    # asked again (another worker was lost meanwhile)
            return rep.drained[fence]
        segments = {first: {"own": [], "settled": report["infos"], "rounds": report["rounds"],
                            "unmerged": []}
                    for first, report in rep.finished.items()}
        position = max(((first, report["last"]) for first, report in rep.finished.items()),
                       default=(-1, rep.applied))
        if rep.segment is not None:
            segments[rep.segment] = {"own": list(rep.own_infos),
                                     "settled": rep.seen_infos[:rep.settled],
                                     "rounds": dict(rep.round_infos),
                                     "unmerged": [info for _, info in rep.results.values()]}
            position = (rep.segment, rep.merged)
            rep.close_segment(rep.segment, applied)
        rep.closed = max(rep.closed, fence)
        rep.applied = applied
        rep.pending = None
        rep.drained[fence] = out = {"position": position, "segments": segments}
    return out


def _task_merge_apply(run, rnd, rule, *results):
    """Merge round ``rnd``'s results (every contributor's, in the same order on every worker) into
    this worker's replica. Each worker computes the same merge from the same deltas and the same
    last merged values, so all replicas stay equal, bit for bit, with one hand-off per round (each
    worker fetches the others' deltas). Idempotent per round."""
    began = time.perf_counter()
    rep = _replica(run)
    infos = [info for _, info in results]
    with rep.lock:
        if rep.applied != rnd:
            matrices = _matrices(rep.model)
            # (a merge of whole matrices is computed in the model's own: no matrix-sized temporary)
            merged = merge_deltas([delta for delta, _ in results], rule, rep.base, out=matrices)
            for name, (rows, values, _) in merged.items():
                if rows.dtype == np.bool_:     # whole-matrix merge: the rows some replica changed
                    np.copyto(rep.base[name], values, where=rows[:, None])
                else:
                    matrices[name][rows] = values
                    rep.base[name][rows] = values
            rep.model.wv.invalidate_norms()
            rep.applied = rnd
            rep.applied_info = infos
            rep.pending = None
    here = _worker_address()
    return {"applied": rnd, "infos": infos,
            "delta_bytes": sum(info["delta_bytes"] for info in infos),
            "fetched_bytes": sum(info["delta_bytes"] for info in infos if info["addr"] != here),
            "merge_seconds": time.perf_counter() - began, "finished_at": time.time()}


def _task_status(run):
    rep = _replica(run)
    with rep.lock:
        return {"applied": rep.applied, "infos": rep.applied_info}


def _task_export(run):
    """The replica's model with every row at its last merged value (the state all replicas share;
    after an epoch's end, the model itself)."""
    rep = _replica(run)
    with rep.lock:
        matrices = _matrices(rep.model)
        own = {name: m.copy() for name, m in matrices.items()}
        try:
            for name, m in matrices.items():
                np.copyto(m, rep.base[name])
            return _model_to_bytes(rep.model, rep.folder)
        finally:
            for name, m in matrices.items():
                np.copyto(m, own[name])


def _task_weights(run):
    """Copies of the replica's matrices at their last merged values (see _task_export)."""
    rep = _replica(run)
    with rep.lock:
        return {name: b.copy() for name, b in rep.base.items()}


def _task_drop(run):
    with _REPLICAS_LOCK:
        rep = _REPLICAS.pop(run, None)
    if rep is not None:
        rep.close()


# ============================================================ driver side

def _alpha(start_alpha, end_alpha, epochs, epoch, words_done, expected):
    """The trainer's schedule (``engine.alpha_schedule``) at ``words_done`` raw words of the epoch."""
    return alpha_schedule(start_alpha, end_alpha, epochs, epoch, max(expected, 1))(words_done)


def _corpus_patterns(corpus_file):
    items = [corpus_file] if isinstance(corpus_file, (str, os.PathLike)) else corpus_file
    try:
        items = list(items)
    except TypeError:
        raise TypeError(f"corpus_file must be a path, a glob or a list of them, got "
                        f"{type(corpus_file).__name__}") from None
    if not items:
        raise ValueError("corpus_file is an empty list")
    out = []
    for item in items:
        if not isinstance(item, (str, os.PathLike)):
            raise TypeError(f"corpus_file entries must be paths, got {type(item).__name__} {item!r}")
        item = os.fspath(item)
        if "://" in item:
            raise ValueError(f"corpus_file {item!r}: URLs are not supported yet; put the corpus on a "
                             "file system every worker mounts")
        out.append(os.path.abspath(item))
    return out


def _check_params(params, processes, threads, round_bytes, sync_rows, merge, rounds):
    if merge not in MERGE_RULES:
        raise ValueError(f"merge must be one of {MERGE_RULES}, got {merge!r}")
    if rounds not in ROUND_MODES:
        raise ValueError(f"rounds must be one of {tuple(ROUND_MODES)}, got {rounds!r}")
    for name, why in _REJECTED.items():
        if name in params:
            raise TypeError(f"distributed.train: {name} is not accepted here: {why}")
    for name, value in (("processes", processes), ("threads", threads), ("round_bytes", round_bytes),
                        ("sync_rows", sync_rows)):
        if name == "round_bytes" and value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be an integer >= 1, got {value!r}")
    trim_rule = params.get("trim_rule")
    # The constructor validates every parameter (same names, defaults and errors as Word2Vec).
    return Word2Vec(workers=threads, **params), trim_rule


class _Share:
    __slots__ = ("path", "cursor", "end", "size")

    def __init__(self, path, cursor, end):
        self.path, self.cursor, self.end = path, cursor, end


class _EpochWork:
    """Which worker trains which share: shares dealt round-robin, rotated by one worker per epoch;
    a worker without work takes an unstarted share from the longest queue (or an orphaned one).

    A chunk a worker trained is *provisional* until every row it changed has been merged (the
    epoch-end merge of all rows, or a round that merged them all): a replica lost before then takes
    the changes to its unmerged rows with it, so its provisional chunks go back to be trained again.
    """

    def __init__(self, shares, addrs, epoch):
        self.current = {a: None for a in addrs}
        self.queues = {a: [] for a in addrs}
        self.orphans = []
        self.chunks = []            # committed (path, first, stop), provisional ones included
        self.provisional = {a: [] for a in addrs}   # addr -> [(chunk, raw words, loss)]
        self.words = 0              # raw words of the committed chunks
        self.loss = 0.0             # and their training loss
        for i, (path, start, end) in enumerate(shares):
            self.queues[addrs[(i + epoch) % len(addrs)]].append(_Share(path, start, end))

    def add_worker(self, addr):
        self.current.setdefault(addr, None)
        self.queues.setdefault(addr, [])
        self.provisional.setdefault(addr, [])

    def drop_worker(self, addr):
        """``addr`` left: its shares and provisional chunks go to the others."""
        share = self.current.pop(addr, None)
        if share is not None:
            self.orphans.append(share)
        self.orphans.extend(self.queues.pop(addr, []))
        self.retract(addr)
        self.provisional.pop(addr, None)

    def match(self, addrs):
        """Deal with exactly the workers ``addrs``: the others' shares go to them, new ones join."""
        for addr in set(self.current) - set(addrs):
            self.drop_worker(addr)
        for addr in addrs:
            self.add_worker(addr)

    def retract(self, addr):
        """``addr``'s replica lost its unmerged rows: its provisional chunks are to be trained again."""
        for chunk, words, loss in self.provisional.get(addr, []):
            self.chunks.remove(chunk)
            self.words -= words
            self.loss -= loss
            path, first, stop = chunk
            self.orphans.append(_Share(path, first, stop))
        self.provisional[addr] = []

    def settle(self):
        """Every row has been merged: no chunk is provisional any more."""
        for chunks in self.provisional.values():
            chunks.clear()

    def _next(self, addr):
        if self.queues[addr]:
            return self.queues[addr].pop(0)
        if self.orphans:
            return self.orphans.pop(0)
        longest = max(self.queues, key=lambda a: len(self.queues[a]))
        if self.queues[longest]:
            return self.queues[longest].pop()
        return None

    def assign(self):
        out = {}
        for addr in list(self.current):
            if self.current[addr] is None:
                self.current[addr] = self._next(addr)
            if self.current[addr] is not None:
                share = self.current[addr]
                out[addr] = (share.path, share.cursor, share.end)
        return out

    def plan(self, round_bytes, sizes):
        """The next pipelined round, decided before any result is back: ``{addr: (path, start,
        stop) or None}``, each share's next ``round_bytes`` (chunks are cut at nominal offsets, see
        RangeReader), its cursor moved past them. ``sizes``: path -> decompressed bytes."""
        out = {}
        for addr in sorted(self.current):
            share = self.current[addr]
            if share is None:
                share = self.current[addr] = self._next(addr)
            if share is None:
                out[addr] = None
                continue
            end = sizes[share.path] if share.end is None else share.end
            stop = min(share.cursor + round_bytes, end)
            out[addr] = (share.path, share.cursor, stop)
            share.cursor = stop
            if stop >= end:
                self.current[addr] = None
        return out

    def record(self, info):
        """A chunk that is in the merged model (pipelined rounds; the cursors moved when planned)."""
        self.chunks.append((info["path"], info["first"], info["stop"]))
        self.words += info["raw_words"]
        self.loss += info["loss"]

    def commit(self, info):
        """A merged round's chunk (nothing when the worker that trained it is gone: its share, this
        chunk included, is trained again)."""
        for addr, share in self.current.items():
            if share is not None and share.path == info["path"] and share.cursor == info["start"]:
                break
        else:
            return
        chunk = (info["path"], info["first"], info["stop"])
        self.chunks.append(chunk)
        self.words += info["raw_words"]
        self.loss += info["loss"]
        self.provisional[addr].append((chunk, info["raw_words"], info["loss"]))
        share.cursor = info["next"]
        if info["done"]:
            self.current[addr] = None

    def last_round(self, round_bytes, sizes):
        """Whether the round just assigned ends the epoch: nothing waits, and every share in
        training has at most ``round_bytes`` left (``sizes``: path -> decompressed bytes)."""
        if self.orphans or any(self.queues.values()):
            return False
        return all(share is None or (sizes[share.path] if share.end is None else share.end)
                   - share.cursor <= round_bytes for share in self.current.values())

    def finished(self):
        return (not self.orphans and all(s is None for s in self.current.values())
                and not any(self.queues.values()))


class _Driver:
    def __init__(self, client, run, round_bytes, merge):
        self.client = client
        self.run = run
        self.round_bytes = round_bytes
        self.merge = merge
        self.slots = {}          # worker address -> slot number (its replica)
        self.generation = 0
        self.lost = []           # (round, worker address) of every worker lost
        self.rounds = []
        self.on_round = None

    # -------------------------------------------------------------- Dask plumbing

    def submit(self, func, *args, addr, name):
        return self.client.submit(func, *args, workers=[addr], allow_other_workers=False, pure=False,
                                  key=f"fastw2v-{name}-{self.run}-{uuid.uuid4().hex[:8]}")

    def alive(self):
        return set(self.client.nthreads())

    def wait(self, futures, critical=()):
        """Wait for ``{addr: future}``; returns ``(finished {addr: future}, dead addresses)``.

        Results are not fetched (a finished training task's delta stays on its worker). The future
        of a worker that disappears is cancelled and its address reported dead; if a worker in
        ``critical`` (one whose data the pending tasks need) disappears, every pending future is
        cancelled. A task's error is raised as WorkerError naming the worker.
        """
        pending = dict(futures)
        finished, dead = {}, set()
        critical = set(critical)
        while pending:
            try:
                distributed.wait(list(pending.values()), timeout=_POLL_SECONDS,
                                 return_when="FIRST_COMPLETED")
                progressed = True
            except TimeoutError:
                progressed = False
            for addr, fut in list(pending.items()):
                status = fut.status
                if status == "finished":
                    finished[addr] = pending.pop(addr)
                elif status == "error":
                    exc = fut.exception()
                    if type(exc).__name__ == "KilledWorker":
                        dead.add(addr)
                        pending.pop(addr)
                    elif isinstance(exc, WorkerError):
                        raise exc
                    else:
                        raise WorkerError(f"worker {addr}: {type(exc).__name__}: {exc}") from exc
                elif status in ("cancelled", "lost"):
                    dead.add(addr)
                    pending.pop(addr)
            if not pending or progressed:
                continue    # (the scheduler is asked who is alive only when nothing moved)
            alive = self.alive()
            for addr in list(pending):
                if addr not in alive:
                    dead.add(addr)
                    self.client.cancel([pending.pop(addr)])
            if critical - alive:
                dead |= critical - alive
                self.client.cancel(list(pending.values()))
                pending.clear()
        return finished, dead

    def results(self, finished):
        """The results of finished futures ``{addr: future}``: ``({addr: result}, dead)``. A result
        held by a worker that dies before it is read is lost with it: that worker is reported
        dead (reading would wait for a recomputation that cannot happen on a pinned worker)."""
        out, dead = {}, set()
        for addr, fut in finished.items():
            while True:
                try:
                    out[addr] = fut.result(timeout=_FETCH_SECONDS)
                    break
                except TimeoutError:
                    if addr not in self.alive():
                        dead.add(addr)
                        break
                except Exception as exc:   # noqa: BLE001 - lost with its worker, or its error
                    if type(exc).__name__ != "KilledWorker" and addr in self.alive():
                        raise WorkerError(f"worker {addr}: {type(exc).__name__}: {exc}") from exc
                    dead.add(addr)
                    break
        return out, dead

    def lose(self, addrs, rnd, work):
        for addr in addrs:
            if addr in self.slots:
                logger.warning("worker %s lost in round %i; its uncommitted share is retrained", addr,
                               rnd)
                self.lost.append((rnd, addr))
                del self.slots[addr]
                if work is not None:
                    work.drop_worker(addr)
        if not self.slots:
            raise WorkerError("every worker was lost; restart the cluster and resume from the last "
                              "checkpoint (train(..., resume=PATH))")

    # -------------------------------------------------------------- replicas

    def seed_for(self, slot):
        return self.base_seed + REPLICA_SEED_STRIDE * (1 + slot + 1024 * self.generation)

    def start_replicas(self, blob, addrs, applied):
        scattered = self.client.scatter(blob, workers=[addrs[0]], hash=False)
        futures = {a: self.submit(_task_init, self.run, scattered, self.seed_for(i), applied, addr=a,
                                  name="init")
                   for i, a in enumerate(addrs)}
        finished, dead = self.wait(futures)
        for i, a in enumerate(addrs):
            if a in finished:
                self.slots[a] = i
        if not self.slots:
            raise WorkerError("no worker could start a replica")
        self.next_slot = len(addrs)

    def adopt_new_workers(self, applied, work):
        """Give every worker that joined (e.g. restarted after a crash) a copy of a live replica."""
        new = sorted(self.alive() - set(self.slots))
        if not new:
            return
        self.generation += 1
        source = next(iter(self.slots))
        blob = self.submit(_task_export, self.run, addr=source, name="export")
        futures, slots = {}, {}
        for a in new:
            slots[a] = self.next_slot
            futures[a] = self.submit(_task_init, self.run, blob, self.seed_for(self.next_slot),
                                     applied, addr=a, name="adopt")
            self.next_slot += 1
        finished, dead = self.wait(futures, critical=[source])
        for a in finished:
            self.slots[a] = slots[a]
            work.add_worker(a)
            logger.info("worker %s joined with a replica copied from %s", a, source)

    def resync(self, source, targets, rnd):
        blob = self.submit(_task_export, self.run, addr=source, name="export")
        futures = {a: self.submit(_task_init, self.run, blob, self.seed_for(self.slots[a]), rnd,
                                  addr=a, name="resync") for a in targets}
        self.generation += 1
        return self.wait(futures, critical=[source])

    def fetch_weights(self):
        """A live replica's merged weights ``{name: array}`` (None if its worker was lost)."""
        addr = next(iter(self.slots))
        future = self.submit(_task_weights, self.run, addr=addr, name="weights")
        finished, dead = self.wait({addr: future})
        if dead:
            return None
        out, dead = self.results(finished)
        return None if dead else out[addr]

    # -------------------------------------------------------------- one round

    def round(self, rnd, assignments, a0, a1, est, work, n_sync, receivers=None):
        """Train (``assignments``: addr -> share spec, or None to train nothing), merge each
        matrix's ``n_sync`` hottest rows, apply (on ``receivers``, default every worker). Returns
        the infos of the chunks the merge holds, the round's figures, and the workers whose
        replicas were reset from another's (their unmerged rows are gone)."""
        t0 = time.perf_counter()
        futures = {a: self.submit(_task_train, self.run, rnd, spec, a0, a1, est.get(a, 0),
                                  self.round_bytes, n_sync, addr=a, name=f"train-r{rnd}")
                   for a, spec in assignments.items()}
        if self.on_round is not None:   # tests: e.g. kill a worker while it trains
            self.on_round(rnd, "train", None)
        # The merges are submitted at once: Dask starts them when the training tasks finish, with no
        # round trip through the client in between. A contributor lost on the way cancels them.
        contributors = futures
        while True:
            if not contributors:
                return [], {"train_seconds": time.perf_counter() - t0, "merge_seconds": 0.0,
                            "delta_bytes": 0, "bytes_moved": 0, "receivers": 0}, []
            receivers = [a for a in (self.slots if receivers is None else receivers)
                         if a in self.slots]
            results = [contributors[a] for a in sorted(contributors)]
            applies = {a: self.submit(_task_merge_apply, self.run, rnd, self.merge, *results, addr=a,
                                      name=f"merge-r{rnd}") for a in receivers}
            if self.on_round is not None:   # tests: kill a worker while the deltas are handed out
                self.on_round(rnd, "merge", sorted(contributors)[0])
            finished, dead = self.wait(applies, critical=contributors)
            if not dead:
                outs = [f.result() for f in finished.values()]
                wall = time.perf_counter() - t0
                # from the last training task's end to the last merge's (the workers' clocks)
                merge_seconds = min(wall, max(0.0, max(o["finished_at"] for o in outs)
                                              - max(i["finished_at"] for i in outs[0]["infos"])))
                return outs[0]["infos"], {"train_seconds": wall - merge_seconds,
                                          "merge_seconds": merge_seconds,
                                          "delta_bytes": outs[0]["delta_bytes"],
                                          "bytes_moved": sum(o["fetched_bytes"] for o in outs),
                                          "receivers": len(receivers)}, []
            # A worker died while the merge was being handed out: find out who holds it.
            self.lose(dead, rnd, work)
            status = {a: self.submit(_task_status, self.run, addr=a, name="status")
                      for a in self.slots}
            finished, dead = self.wait(status)
            self.lose(dead, rnd, work)
            status = {a: f.result() for a, f in finished.items()}
            holders = [a for a, s in status.items() if s["applied"] == rnd]
            logger.warning("round %i: merge held by %s of the %i surviving workers", rnd,
                           holders or "none", len(status))
            if holders:
                others = [a for a in status if a not in holders]
                if others:
                    _, dead = self.resync(holders[0], others, rnd)
                    self.lose(dead, rnd, work)
                return status[holders[0]]["infos"], {
                    "train_seconds": time.perf_counter() - t0, "merge_seconds": 0.0,
                    "delta_bytes": 0, "bytes_moved": 0, "receivers": len(self.slots)}, others
            contributors = {a: f for a, f in contributors.items() if a in self.slots}


def train(corpus_file, client=None, processes=2, threads=1, *, checkpoint=None, resume=None,
          round_bytes=None, sync_rows=SYNC_ROWS, merge="sum", rounds="chained", _on_round=None,
          **params):
    """Train a ``Word2Vec`` on Dask workers; returns an ordinary ``Word2Vec``.

    ``corpus_file``: a path, a glob or a list of them (plain, .gz, .bz2; one sentence per line),
    readable by every worker at the same path; several files train as their concatenation.
    ``client``: a ``dask.distributed.Client`` whose workers (all of them) train, with its security
    settings; None starts ``LocalCluster(n_workers=processes, threads_per_worker=threads)`` on
    loopback without a dashboard, and closes it afterwards. ``threads``: training threads per
    worker process. ``params``: Word2Vec's (validated by its constructor before anything starts;
    ``workers``, ``callbacks``, ``max_vocab_size`` and ``sentences`` are refused, see _REJECTED).
    ``checkpoint``: path saved (native format, atomically) at the end of every epoch.
    ``resume``: a checkpoint to continue from (its parameters apply; ``params`` given must agree).
    ``round_bytes``: corpus bytes each worker trains between merges (None: ROUND_BYTES for
    skip-gram, CBOW_ROUND_BYTES for CBOW). ``sync_rows``: rows of each
    matrix merged after every round, at least (the most frequent; see hot_rows); every row is
    merged at each epoch's end. ``rounds`` (ROUND_MODES), how rounds follow each other: each
    round trains on the merge of the round before (plus the replica's own unmerged changes) under
    "chained" (default: each worker's task merges the round before and trains the next, all
    submitted ahead, so no round waits for the client) and "barrier" (the client submits each
    round's training, then its merge); "overlapped" (experimental) trains each round on the merge
    of the round before last, so that the hand-off overlaps training: faster for CBOW, but outside
    the quality bands (docs/distributed.md).

    The vocabulary equals ``Word2Vec.build_vocab(corpus_file=...)`` on the concatenated files.
    After training, ``model.distributed_stats`` holds per-round figures (words, bytes moved, merge
    time) and the workers lost.
    """
    model, trim_rule = _check_params(params, processes, threads, round_bytes, sync_rows, merge,
                                     rounds)
    if round_bytes is None:
        round_bytes = ROUND_BYTES if model.sg else CBOW_ROUND_BYTES
    patterns = _corpus_patterns(corpus_file)
    resumed = None
    if resume is not None:
        resumed = Word2Vec.load(resume)
        for name, value in params.items():
            if name != "trim_rule" and getattr(resumed, name, value) != getattr(model, name):
                raise ValueError(f"resume={resume!r}: {name}={getattr(model, name)!r} differs from "
                                 f"the checkpoint's {getattr(resumed, name)!r}")
        if checkpoint is None:
            checkpoint = resume
    own_cluster = None
    if client is None:
        own_cluster = local_cluster(processes, threads)
        client = Client(own_cluster)
    run = uuid.uuid4().hex[:12]
    driver = _Driver(client, run, round_bytes, merge)
    driver.on_round = _on_round
    try:
        return _train(driver, patterns, model, params, trim_rule, resumed, threads, checkpoint,
                      sync_rows, ROUND_MODES[rounds])
    finally:
        try:
            addrs = list(client.nthreads())
            if addrs:
                distributed.wait([driver.submit(_task_drop, run, addr=a, name="drop") for a in addrs],
                                 timeout=30)
        except Exception:   # noqa: BLE001 - cleanup must not hide the real error
            logger.warning("could not drop the replicas of run %s", run, exc_info=True)
        if own_cluster is not None:
            client.close()
            own_cluster.close()


def local_cluster(processes=2, threads=1):
    """The ``LocalCluster`` that ``train(client=None)`` starts (and closes): ``processes`` worker
    processes of ``threads`` threads, on loopback only, without a dashboard, with the workers'
    malloc settings of LOCAL_WORKER_MALLOC and Dask's of LOCAL_CLUSTER_CONFIG (the workers, which
    their nannies restart with the same, and the scheduler; not the rest of this process). Start
    one yourself to train several models on it
    (``train(..., client=Client(cluster))``) without paying the start-up each time."""
    # The scheduler's small HTTP endpoint (health, metrics) on a free loopback port rather than
    # 8787, so that several runs on one machine do not clash.
    with _spawn_environ(LOCAL_WORKER_MALLOC), dask.config.set(LOCAL_CLUSTER_CONFIG):
        return LocalCluster(n_workers=processes, threads_per_worker=threads, processes=True,
                            host="127.0.0.1", dashboard_address=None,
                            scheduler_kwargs={"dashboard_address": "127.0.0.1:0"})


@contextlib.contextmanager
def _spawn_environ(values):
    """Worker processes that Dask nannies spawn meanwhile get the environment ``values``: in
    Dask's pre-spawn configuration, and in this process's environment, which overrides it (an
    earlier nanny may have left its own values there); restored afterwards."""
    saved = {name: os.environ.get(name) for name in values}
    spawn_env = dict(dask.config.get("distributed.nanny.pre-spawn-environ", {}), **values)
    os.environ.update(values)
    try:
        with dask.config.set({"distributed.nanny.pre-spawn-environ": spawn_env}):
            yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _preflight(driver, patterns, expected_version=None):
    """Expand the corpus on a worker and check every worker can read every file and runs this
    fastw2v; returns the file list. Raises WorkerError naming the worker and the path."""
    client = driver.client
    expected = fastw2v.__version__ if expected_version is None else expected_version
    workers = sorted(client.nthreads())
    if not workers:
        raise WorkerError("the Dask cluster has no workers")
    expanded, _ = driver.wait({workers[0]: driver.submit(_task_expand, patterns, addr=workers[0],
                                                          name="expand")})
    paths = expanded[workers[0]].result()
    reports, dead = driver.wait({a: driver.submit(_task_about, paths, addr=a, name="about")
                                 for a in workers})
    reports = {a: f.result() for a, f in reports.items()}
    if dead:
        raise WorkerError(f"worker(s) {sorted(dead)} left the cluster before training started")
    for addr in workers:
        report = reports[addr]
        if report["version"] != expected:
            raise WorkerError(f"worker {addr} runs fastw2v {report['version']}, the client "
                              f"{expected}: install the same version everywhere")
        if report["problems"]:
            path, why = report["problems"][0]
            raise WorkerError(f"worker {addr} cannot read corpus file {path!r}: {why}")
    return paths, workers


def _count(driver, paths, workers, plain_sizes):
    """Parallel exact counting over newline-aligned ranges, reduced in corpus order on the workers."""
    ranges = []
    for path, size in zip(paths, plain_sizes):
        if size is None:
            ranges.append((path, 0, None))
            continue
        n = max(1, min(SHARES_PER_WORKER * len(workers), size // VOCAB_RANGE_BYTES))
        ranges.extend((path, k * size // n, (k + 1) * size // n) for k in range(n))
    client = driver.client
    # Spread over the workers, but counting is pure: a lost worker's ranges are recounted elsewhere.
    parts = [client.submit(_task_count, p, s, e, workers=[workers[i % len(workers)]],
                           allow_other_workers=True, pure=False)
             for i, (p, s, e) in enumerate(ranges)]
    stops = client.gather([client.submit(_span, f, pure=False) for f in parts])
    level = parts
    while len(level) > 1:   # pairwise, in order: first-occurrence order is the corpus's
        level = [client.submit(merge_counts, level[i], level[i + 1], pure=False)
                 if i + 1 < len(level) else level[i] for i in range(0, len(level), 2)]
    total = level[0].result()
    sizes = {}
    for (path, _, _), (_, stop) in zip(ranges, stops):
        sizes[path] = max(sizes.get(path, 0), stop)
    return total, [sizes[p] for p in paths]


def _plain_size(path):
    try:
        with open_text(path) as f:
            if isinstance(f, io.BufferedReader):
                return os.fstat(f.fileno()).st_size
    except OSError:
        pass
    return None


def _train(driver, patterns, model, params, trim_rule, resumed, threads, checkpoint, sync_rows,
           lag):
    began = time.perf_counter()
    paths, workers = _preflight(driver, patterns)
    # The driver sees the same files in a LocalCluster; elsewhere sizes come from the count pass.
    plain_sizes = [_plain_size(p) if os.path.exists(p) else None for p in paths]
    counted, sizes = _count(driver, paths, workers, plain_sizes)
    model.build_vocab_from_freq(counted["counts"], corpus_count=counted["n_sentences"],
                                trim_rule=trim_rule)
    if resumed is not None:
        if (list(resumed.wv.index_to_key) != list(model.wv.index_to_key)
                or not np.array_equal(resumed.vocab.counts, model.vocab.counts)):
            raise ValueError("resume: the checkpoint's vocabulary differs from this corpus's; "
                             "resume with the corpus it was trained on")
        resumed.corpus_count, resumed.corpus_total_words = model.corpus_count, model.corpus_total_words
        resumed.workers = threads
        model = resumed
    driver.base_seed = model.seed
    before = (model.train_count, model.total_train_time)
    folder = tempfile.mkdtemp(prefix="fastw2v-driver-")
    try:
        # A fresh model is rebuilt by each replica from the vocabulary (a few MB at most), the
        # same bits as the driver's; a resumed one is shipped whole.
        blob = (_FreshModel(dict(params, workers=threads), model.vocab, model.corpus_count,
                            model.corpus_total_words) if resumed is None
                else _model_to_bytes(model, folder))
        first_epoch = model.epochs_trained if resumed is not None else 0
        driver.start_replicas(blob, workers, applied=-1)
        del blob
        expected = model.corpus_total_words
        n_words = len(model.wv)
        total_bytes = max(1, sum(sizes))
        words_per_byte = expected / total_bytes
        # A share is one round of one worker; idle workers take unstarted shares from busy ones.
        n_shares = len(driver.slots) * max(1, math.ceil(total_bytes / (len(driver.slots)
                                                                       * driver.round_bytes)))
        shares = []
        for path, size in zip(paths, sizes):
            n = max(1, round(n_shares * size / total_bytes))
            shares.extend((path, k * size // n, (k + 1) * size // n if k + 1 < n else None)
                          for k in range(n))
        file_sizes = dict(zip(paths, sizes))
        loss_history = list(model.loss_history)
        epoch_stats = []
        rnd = 0
        start_alpha, end_alpha = model.alpha, model.min_alpha
        driver.words_per_byte = words_per_byte
        pipe = _Pipeline(driver, n_words, sync_rows, file_sizes, lag) if lag else None
        works = {}                 # epoch -> _EpochWork, made before the epoch when pipelined

        def epoch_work(e):
            if e not in works:
                works[e] = _EpochWork(shares, sorted(driver.slots), e)
            return works[e]

        def schedule(e):
            return functools.partial(_alpha, start_alpha, end_alpha, model.epochs, e,
                                     expected=expected)

        for epoch in range(first_epoch, model.epochs):
            work = epoch_work(epoch)
            epoch_began = time.perf_counter()
            done = False
            if pipe is not None:
                if not pipe.segments:
                    driver.adopt_new_workers(rnd - 1, work)
                # the next epoch's rounds follow this one's without a round trip (not when
                # each epoch's end is checkpointed: the export must see exactly that state)
                following = (None if checkpoint is not None or epoch + 1 >= model.epochs else
                             (epoch + 1, epoch_work(epoch + 1), schedule(epoch + 1)))
                rnd, done = pipe.run_epoch(rnd, epoch, work, schedule(epoch), following)
            del works[epoch]
            merged_all = True      # (after a pipelined segment: the replicas are equal)
            while not done:        # barrier rounds
                while not work.finished():
                    driver.adopt_new_workers(rnd - 1, work)
                    assignments = work.assign()
                    est = {a: min(driver.round_bytes, (math.inf if end is None else end) - start)
                           * words_per_byte for a, (_, start, end) in assignments.items()}
                    a0 = _alpha(start_alpha, end_alpha, model.epochs, epoch, work.words, expected)
                    a1 = _alpha(start_alpha, end_alpha, model.epochs, epoch,
                                work.words + sum(est.values()), expected)
                    # The epoch's last round merges every row that changed since it was last merged.
                    merged_all = work.last_round(driver.round_bytes, file_sizes)
                    n_sync = n_words if merged_all else hot_rows(rnd, sync_rows, n_words)
                    rnd = _round(driver, work, rnd, epoch, assignments, (a0, a1), est, n_sync,
                                 n_words)
                if not (merged_all and work.finished()):
                    # A merge-only round of every row (the last round could not be told in advance,
                    # or a worker was lost in it).
                    a_end = _alpha(start_alpha, end_alpha, model.epochs, epoch, work.words, expected)
                    rnd = _round(driver, work, rnd, epoch, dict.fromkeys(driver.slots),
                                 (a_end, a_end), {}, n_words, n_words)
                done = work.finished()     # (else a worker was lost: its chunks are trained again)
            done_words, epoch_loss = work.words, work.loss
            loss_history.append(epoch_loss)
            epoch_stats.append({"epoch": epoch, "raw_words": done_words, "chunks": work.chunks,
                                "seconds": time.perf_counter() - epoch_began})
            logger.info("EPOCH %i: %i raw words on %i workers in %.1f s", epoch + 1, done_words,
                        len(driver.slots), epoch_stats[-1]["seconds"])
            if checkpoint is not None:
                snapshot = _finished_model(driver, model, loss_history, epoch + 1, began, before)
                snapshot.save(checkpoint)
        result = _finished_model(driver, model, loss_history, model.epochs, began, before)
        result.train_count += 1
        result.distributed_stats = {"rounds": driver.rounds, "epochs": epoch_stats,
                                    "lost": driver.lost, "files": list(zip(paths, sizes))}
        return result
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _round(driver, work, rnd, epoch, assignments, alpha, est, n_sync, n_words, receivers=None):
    """One round (train or merge-only), its chunks committed and its figures recorded; returns the
    next round's number."""
    infos, figures, reset = driver.round(rnd, assignments, alpha[0], alpha[1], est, work, n_sync,
                                         receivers)
    trained = [info for info in infos if info["path"] is not None]
    for info in trained:
        work.commit(info)
    for addr in reset:
        work.retract(addr)
    if n_sync >= n_words:
        work.settle()
    wall = figures["train_seconds"] + figures["merge_seconds"]
    figures.update(round=rnd, epoch=epoch, workers=len(trained), alpha=alpha, sync_rows=n_sync,
                   raw_words=sum(i["raw_words"] for i in trained), wall_seconds=wall,
                   merge_share=figures["merge_seconds"] / max(wall, 1e-9))
    driver.rounds.append(figures)
    logger.info("round %i (epoch %i): %i workers, %i words, alpha %.5f-%.5f, %i rows merged, "
                "%.2f MB of changed rows, %.2f MB moved, merge %.0f%% of %.2f s", rnd, epoch + 1,
                len(trained), figures["raw_words"], alpha[0], alpha[1], n_sync,
                figures["delta_bytes"] / 1e6, figures["bytes_moved"] / 1e6,
                100 * figures["merge_share"], wall)
    return rnd + 1


class _Segment:
    """The driver's view of one pipelined segment: one epoch's rounds, planned and submitted."""

    def __init__(self, epoch, work, schedule, first):
        self.epoch, self.work, self.schedule, self.first = epoch, work, schedule, first
        self.plans = {}            # round -> {"specs": {addr: spec}, "alpha", "n_sync"}
        self.steps = {}            # (round, addr) -> step future (the last rounds only)
        self.planned_words = work.words   # (a segment after a fault continues the schedule)
        self.last = None           # its final round, once planned
        self.finishers = {}        # addr -> _task_finish future


class _Pipeline:
    """Chained or overlapped rounds (``_task_step``, steps lagging ``lag`` rounds behind the
    merge they add), epoch after epoch: every round is planned ahead
    (nominal chunks, the schedule over planned words) and submitted up to ``_AHEAD`` rounds
    beyond the oldest whose infos the driver has not read, so no worker waits for the client
    (nor, with ``lag`` 2, for the others' hand-off). An epoch's last round hands out every row
    and ``_task_finish`` merges it; the next epoch's rounds are submitted behind it
    (``run_epoch``'s ``following``), so the epoch boundary costs no round trip either."""

    def __init__(self, driver, n_words, sync_rows, sizes, lag):
        self.driver, self.n_words, self.sync_rows, self.sizes = driver, n_words, sync_rows, sizes
        self.lag = lag             # a step adds the merged change of the round this many before
        self.segments = []         # open segments, oldest first
        self.unseen = {}           # (round, addr) -> step future, until the driver saw it finish
        self.walls = {}            # round -> seconds from the round before's end to its end
        self.seen = None           # oldest round whose steps were not seen finished
        self.seen_at = None
        self.addrs = []

    def run_epoch(self, rnd, epoch, work, schedule, following=None):
        """Train epoch ``epoch`` (its segment may already be under way); ``following``: the next
        epoch's ``(epoch, work, schedule)`` to submit behind it, or None. Returns ``(next round,
        True)``, or ``(next round, False)`` after a worker was lost: the survivors are equal on
        every row again, each open segment's work holds what is left of its epoch (``_recover``),
        and the caller trains the rest in barrier rounds."""
        driver = self.driver
        if not self.segments:
            self.addrs = sorted(driver.slots)
            self.seen, self.seen_at = rnd, time.perf_counter()
            work.match(self.addrs)
            self.segments.append(_Segment(epoch, work, schedule, rnd))
        seg = self.segments[0]
        while True:
            rnd = self._submit(rnd, following)
            upto = seg.last if seg.last is not None else rnd - 1
            if self.seen <= upto:          # wait for the oldest round (its results stay put)
                steps = {a: self.unseen.pop((self.seen, a)) for a in self.addrs}
                _, dead = driver.wait(steps, critical=self.addrs)
                if dead:
                    return self._recover(rnd, dead)
                now = time.perf_counter()
                self.walls[self.seen] = now - self.seen_at
                self.seen_at = now
                self.seen += 1
                continue
            done, dead = driver.wait(seg.finishers, critical=self.addrs)
            got, lost = driver.results(done)
            if dead or lost:
                return self._recover(rnd, dead | lost)
            outs = list(got.values())
            for info in outs[0]["infos"]:
                seg.work.record(info)
            seg.work.settle()
            # the segment's figures, from the infos every replica merged (no task of their own)
            for k in range(seg.first, seg.last + 1):
                _record_step(driver, seg.epoch, k, seg.plans[k], outs[0]["rounds"].get(k, []),
                             self.walls.pop(k, 0.0))
            tail = driver.rounds[-1]
            tail["merge_seconds"] += max(o["merge_seconds"] for o in outs)
            tail["merge_share"] = min(1.0, tail["merge_seconds"] / max(tail["wall_seconds"], 1e-9))
            self.segments.pop(0)
            return rnd, True

    def _submit(self, rnd, following):
        """Plan and submit rounds while fewer than ``_AHEAD`` are unseen; returns the next round."""
        driver = self.driver
        while rnd < self.seen + _AHEAD:
            seg = self.segments[-1]
            if seg.last is not None:
                if following is None or seg.epoch == following[0]:
                    break
                following[1].match(self.addrs)
                self.segments.append(_Segment(*following, rnd))
                continue
            specs = seg.work.plan(driver.round_bytes, self.sizes)
            est = {a: (specs[a][2] - specs[a][1]) * driver.words_per_byte if specs.get(a) else 0.0
                   for a in self.addrs}
            a0 = seg.schedule(seg.planned_words)
            seg.planned_words += sum(est.values())
            a1 = seg.schedule(seg.planned_words)
            final = seg.work.finished()
            n_sync = self.n_words if final else hot_rows(rnd, self.sync_rows, self.n_words)
            seg.plans[rnd] = {"specs": specs, "alpha": (a0, a1), "n_sync": n_sync}
            lag = self.lag
            older = ([seg.steps[(rnd - lag, a)] for a in self.addrs] if rnd - lag >= seg.first
                     else [])
            before = self.segments[-2] if len(self.segments) > 1 and rnd == seg.first else None
            for a in self.addrs:
                if before is not None:      # after the epoch before's finish, on this replica
                    previous = before.finishers[a]
                else:
                    previous = seg.steps.get((rnd - 1, a))
                seg.steps[(rnd, a)] = driver.submit(
                    _task_step, driver.run, seg.first, rnd, specs.get(a), a0, a1, est[a],
                    driver.round_bytes, n_sync, driver.merge, lag, previous, *older, addr=a,
                    name=f"step-r{rnd}")
                self.unseen[(rnd, a)] = seg.steps[(rnd, a)]
            for gone in [key for key in seg.steps if key[0] <= rnd - 3]:
                del seg.steps[gone]        # their results are held by the steps that need them
            if driver.on_round is not None:   # tests: kill a worker while it trains / hands out
                driver.on_round(rnd, "train", None)
                if older:
                    driver.on_round(rnd - lag, "merge", self.addrs[0])
            if final:
                seg.last = rnd
                tail = [seg.steps[(k, a)] for k in range(max(seg.first, rnd - lag + 1), rnd + 1)
                        for a in self.addrs]
                n_before = len(tail) - len(self.addrs)
                seg.finishers = {a: driver.submit(_task_finish, driver.run, seg.first, rnd,
                                                  driver.merge, n_before, *tail, addr=a,
                                                  name=f"finish-r{rnd}")
                                 for a in self.addrs}
            rnd += 1
        return rnd

    def _recover(self, rnd, dead):
        """A worker was lost: stop every open segment, keep each chunk that is whole in a
        survivor (its own chunks, and every worker's chunks up to a merge of every row), make
        the survivors equal again and give every other planned chunk back to its epoch's work."""
        driver = self.driver
        futures = list(self.unseen.values())
        for seg in self.segments:
            futures += list(seg.steps.values()) + list(seg.finishers.values())
        driver.client.cancel(futures)
        self.unseen = {}
        seen, segments = self.seen, self.segments
        self.segments = []
        current = segments[0]
        driver.lose(dead, seen, current.work)
        while True:
            status, dead = driver.wait({a: driver.submit(_task_drain, driver.run, rnd - 1, rnd - 1,
                                                         addr=a, name="drain")
                                        for a in driver.slots})
            status, lost = driver.results(status)
            driver.lose(dead | lost, seen, current.work)
            if not (dead or lost):
                break
        top = max(tuple(s["position"]) for s in status.values())
        holders = sorted(a for a, s in status.items() if tuple(s["position"]) == top)
        lagging = sorted(set(status) - set(holders))
        # The open segments' figures: every contributor's infos where a survivor merged the
        # round, else the survivors' own (a lost worker's unmerged chunk did not count).
        for seg in segments:
            reports = [r for r in (status[a]["segments"].get(seg.first) for a in sorted(status))
                       if r is not None]
            for k in sorted(seg.plans):
                merged = [r["rounds"][k] for r in reports if k in r["rounds"]]
                infos = merged[0] if merged else [i for r in reports for i in r["unmerged"]
                                                  if i["round"] == k]
                _record_step(driver, seg.epoch, k, seg.plans[k], infos, self.walls.pop(k, 0.0))
        self.walls = {}
        retrained = 0
        for seg in segments:
            seg.work.match(sorted(driver.slots))   # (the current one: done by lose)
            reports = [status[a]["segments"].get(seg.first) for a in holders]
            kept = {}
            if reports[0] is not None:
                for info in reports[0]["settled"] + [i for r in reports for i in r["own"]]:
                    kept[(info["path"], info["start"])] = info
            for info in kept.values():
                seg.work.record(info)
            for plan in seg.plans.values():
                for spec in plan["specs"].values():
                    if spec is not None and (spec[0], spec[1]) not in kept:
                        seg.work.orphans.append(_Share(*spec))
                        retrained += 1
        logger.warning("pipelined rounds %i-%i stopped (worker lost): chunks to train again: %i; "
                       "%s continue(s), %s copied from %s", segments[0].first, rnd - 1, retrained,
                       holders, lagging or "none", holders[0])
        # The holders share their merged values: a merge-only round of every row makes them equal.
        a_end = current.plans[max(current.plans)]["alpha"][1] if current.plans else 0.0
        rnd = _round(driver, current.work, rnd, current.epoch, dict.fromkeys(holders),
                     (a_end, a_end), {}, self.n_words, self.n_words, receivers=holders)
        if lagging:
            _, dead = driver.resync(holders[0], lagging, rnd - 1)
            driver.lose(dead, rnd - 1, current.work)
        return rnd, False


def _record_step(driver, epoch, rnd, plan, infos, wall):
    """A pipelined round's figures (driver.rounds[rnd]); its chunks are recorded when merged."""
    trained = [i for i in infos if i is not None and i["path"] is not None]
    live = [i for i in infos if i is not None]
    delta = sum(i["delta_bytes"] for i in live)
    # each worker fetches the others' changes (``lag`` rounds later, or at the segment's end)
    fetched = (len(live) - 1) * delta
    merge = max((i["merge_seconds"] for i in live), default=0.0)
    figures = {"round": rnd, "epoch": epoch, "workers": len(trained), "alpha": plan["alpha"],
               "sync_rows": plan["n_sync"], "raw_words": sum(i["raw_words"] for i in trained),
               "train_seconds": max((i["train_seconds"] for i in live), default=0.0),
               "merge_seconds": merge, "delta_bytes": delta, "bytes_moved": fetched,
               "receivers": len(live), "wall_seconds": wall,
               "merge_share": min(1.0, merge / max(wall, 1e-9))}
    driver.rounds.append(figures)
    logger.info("round %i (epoch %i, pipelined): %i workers, %i words, alpha %.5f-%.5f, %i rows "
                "handed out, %.2f MB, %.2f s", rnd, epoch + 1, len(trained), figures["raw_words"],
                plan["alpha"][0], plan["alpha"][1], plan["n_sync"], delta / 1e6, wall)


def _finished_model(driver, model, loss_history, epochs_done, began, before):
    """``model`` (the driver's: vocabulary, parameters) holding the replicas' merged weights and
    the run's training state after ``epochs_done`` epochs. ``before``: its ``(train_count,
    total_train_time)`` when the run started."""
    weights = driver.fetch_weights()
    if weights is None:
        raise WorkerError("the worker holding the model was lost while it was being fetched")
    for name, m in _matrices(model).items():
        np.copyto(m, weights[name])
    model.wv.invalidate_norms()
    model.loss_history = list(loss_history)
    model.running_training_loss = loss_history[-1] if loss_history else 0.0
    model.epochs_trained = epochs_done
    model.min_alpha_yet_reached = _alpha(model.alpha, model.min_alpha, model.epochs,
                                         epochs_done - 1, 1, 1)
    model.train_count = before[0]
    model.total_train_time = before[1] + (time.perf_counter() - began)
    return model
