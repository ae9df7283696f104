"""The epoch engine: one pass over a corpus's batches, trained by worker threads on shared weights.

One room, one job. ``run_epoch`` is the subtlest code of the package (threads, a credit-bounded
lock-free job queue, merged handoffs, the stop and interrupt protocol, the per-batch divergence
probe, the progress bar); ``Word2Vec.train`` calls it once per epoch and keeps everything that
belongs to the model (arguments, epoch counting, callbacks' epoch hooks, loss history, divergence
recovery policy). It needs no ``Word2Vec`` object, so a distributed trainer can run the same engine
in every process.

Contract of ``run_epoch(config, seeds, batches, alpha_at, workers, ...)``:

* ``config``: a ``TrainConfig`` of the kernels (``fastw2v.kernels.core``); its weight matrices are
  trained in place, Hogwild-style, by ``workers`` threads at once (the kernel releases the GIL for
  a whole batch);
* ``batches``: an iterable of ``corpus.IdBatch`` (``tokens``, ``offsets``, ``raw_words``), read and
  queued by the calling thread, in order; it is closed (``close()``) before ``run_epoch`` returns
  or raises;
* ``seeds(b)``: the seed of batch b's random stream (b counted in reading order); the batch trains
  with ``Rng(seeds(b))`` whichever worker takes it (``Word2Vec`` passes
  ``tables.batch_seed(seed, epoch, b)``);
* ``alpha_at(raw_words_done)``: the learning rate after that many raw words of this epoch
  (``alpha_schedule``); each batch runs from ``alpha_at`` before it to ``alpha_at`` after it;
* with several workers (exact skip-gram, CBOW), each worker trains the output rows of the
  ``hot_output_rows()`` most frequent words (CBOW: also the input rows of the
  ``hot_input_rows()`` most frequent) in a private copy (``HotRows``) and merges them into the
  shared rows after every batch, or, for CBOW, every ``hot_merge_words()`` words of a batch as
  well, inside the kernel (one worker: no copy, the bits of a plain call);
* ``probe``: None or a ``DivergenceProbe``; ``on_batch``: None or ``(begin, end)`` functions a
  worker calls around every kernel call (the callbacks' batch hooks); ``merge_batches``: see
  ``merge_limit``.

It returns an ``EpochStats`` (kept words, raw words, summed float64 loss, seconds). Every batch is
trained once and whole; every worker has left the kernel and ended before it returns or raises,
also when a KeyboardInterrupt (even a second one) arrives; the first exception of a worker is
re-raised, ``TrainingDivergedError`` when a batch's loss or the probed rows are not finite. It does
not check the whole matrices (``all_finite``, the caller's end-of-epoch check), restore weights
(``WeightSnapshot``: the caller decides), count epochs or call epoch callbacks.
"""
import logging
import math
import os
import queue
import tempfile
import threading
import time

import numpy as np

from . import kernels

logger = logging.getLogger(__name__)

__all__ = ["TrainingDivergedError", "run_epoch", "alpha_schedule", "merge_limit", "EpochStats",
           "DivergenceProbe", "WeightSnapshot", "all_finite", "DIVERGENCE_SNAPSHOT_MAX_BYTES",
           "DIVERGENCE_PROBE_ROWS", "MERGE_BATCHES", "MERGE_WORDS", "HOT_OUTPUT_ROWS", "HOT_OUTPUT_BYTES",
           "HOT_CBOW_ROWS", "HOT_CBOW_MERGE_WORDS", "HOT_CBOW_INPUT_ROWS", "HotRows", "hot_output_rows",
           "hot_input_rows", "hot_merge_words"]

#: Divergence recovery: when the trained weights (input + output matrices) take at most this many
#: bytes, Word2Vec.train writes them to a temporary file (WeightSnapshot) at the start of every
#: epoch and restores that copy if the epoch diverges (measured: ~48 ms per epoch at this size,
#: 1.2x a memcpy, docs/reliability.md); larger models are instead marked diverged (queries and
#: train() raise) rather than writing GBs every epoch.
DIVERGENCE_SNAPSHOT_MAX_BYTES = 256 << 20
#: Rows of the weights checked for finiteness after every batch (docs/reliability.md): up to this
#: many of the batch's input rows, and the output rows most often touched (the most frequent words'
#: negative-sampling rows, the hierarchical-softmax nodes nearest the root). The full matrices are
#: checked at the end of every epoch.
DIVERGENCE_PROBE_ROWS = 256
#: Iterable input with several workers: a worker that takes a batch also takes up to MERGE_BATCHES - 1
#: batches already waiting behind it and trains them in one call, as long as MERGE_WORDS covers
#: that many batch_words (so the queue, which holds room for the merged calls, stays bounded in
#: words; batches of 50k words or more are not merged). Every call needs the GIL, which the reader
#: holds while it encodes, so fewer calls mean fewer waits (machine idle CPU on 2 cores 0.44-0.50 ->
#: 0.20-0.26 s per epoch of the dev corpus, benchmarks/iterable_handoff_check.py). With the default
#: batch_words a merged call holds up to 50k words, about a corpus_file batch.
MERGE_BATCHES = 5
MERGE_WORDS = 50_000
#: Several workers, exact skip-gram: each trains the output (negative-sampling) rows of the
#: HOT_OUTPUT_ROWS most frequent words (ids [0, HOT_OUTPUT_ROWS) of a frequency-sorted vocabulary,
#: the words most often drawn as negatives) in a private copy, merged into the shared rows after
#: every batch (HotRows). Written by every thread on almost every pair, those rows' cache lines
#: otherwise move between the cores all the time: two threads sharing only W_in ran 1.87x one,
#: sharing W_out too 1.21x (benchmarks/results/2026-12-03d-2core/two-processes/), and 16 threads ran
#: exact skip-gram only 2.2x one (benchmarks/results/2026-12-04-16core/). With it, 2 workers train
#: 1.8x faster at the same quality (10 seeds, benchmarks/results/2026-12-04-2core/).
#: ``FASTW2V_HOT_ROWS`` overrides it (see hot_output_rows).
HOT_OUTPUT_ROWS = 4096
#: ...but a worker's copy takes at most this many bytes (it holds two: the rows and their pulled
#: values), so that wide vectors and many workers do not multiply memory: 4,096 rows up to dim 320,
#: 1,310 at dim 1000.
HOT_OUTPUT_BYTES = 5 << 20
#: CBOW keeps fewer rows private and merges them every HOT_CBOW_MERGE_WORDS tokens of a batch
#: (at the next sentence boundary; ``train_batch``'s ``merge_words``), not once per batch: then,
#: 256 private rows cost CBOW 0.38 +- 0.10 analogy points; merged every 1,000 words, -0.05 +- 0.09
#: (no difference; 10 seeds, dim 100), for 1.18x at dim 100 and 1.31x at dim 300 with 2 workers
#: (1.06x on a 143k-word corpus; benchmarks/results/2026-12-07-2core/).
#: ``FASTW2V_HOT_MERGE_WORDS`` overrides it (see hot_merge_words).
HOT_CBOW_ROWS = 256
HOT_CBOW_MERGE_WORDS = 1000
#: CBOW workers also keep the input (context) rows of the HOT_CBOW_INPUT_ROWS most frequent words
#: private, merged with the output rows: CBOW writes about six context rows per word, and those of
#: frequent words were the lines two threads still fought over (1.08-1.18x with 2 workers at dim
#: 300 once the row prefetches stopped stalling the core; 512 or more rows, 1.8 MiB and up with their
#: pulled copies and the output rows, no longer fit beside them in L2 and gain nothing;
#: benchmarks/results/2026-12-08-2core/). Skip-gram keeps shared input rows (no gain, 2026-12-08).
#: ``FASTW2V_HOT_INPUT_ROWS`` overrides it (see hot_input_rows).
HOT_CBOW_INPUT_ROWS = 256
#: Seconds a worker waits on an empty queue before re-checking the stop flag, so that workers end
#: even if the sentinels that normally stop them were never queued (a second Ctrl-C in cleanup).
_WORKER_POLL_SECONDS = 0.05


class TrainingDivergedError(FloatingPointError):
    """Training produced a non-finite loss or weights: the learning rate is too high."""


def alpha_schedule(start_alpha, end_alpha, epochs, epoch, expected_words):
    """Learning rate as a function of raw words done in this epoch: linear over all epochs."""
    def alpha_at(words_done):
        progress = (epoch + min(words_done / expected_words, 1.0)) / max(epochs, 1)
        return start_alpha - (start_alpha - end_alpha) * progress
    return alpha_at


def merge_limit(workers, batch_words, from_file):
    """Batches a worker may train in one call (``run_epoch``'s ``merge_batches``): 1 for one worker
    or ``corpus_file`` input (its batches are large and its reader does not hold the GIL), else up
    to MERGE_BATCHES, as many as MERGE_WORDS covers of ``batch_words``."""
    if from_file or workers <= 1:
        return 1
    return max(1, min(MERGE_BATCHES, MERGE_WORDS // batch_words))


class EpochStats:
    """What one epoch did: ``effective_words`` (words kept by subsampling and trained),
    ``raw_words`` (words read, out-of-vocabulary ones included), ``loss`` (float64, summed over
    batches) and ``seconds`` (wall time)."""

    def __init__(self):
        self.effective_words = 0
        self.raw_words = 0
        self.loss = 0.0
        self.seconds = 0.0


def _merged(job, jobs, max_batches, reserve, on_take=None):
    """``job`` and up to ``max_batches - 1`` jobs waiting behind it in ``jobs`` (never waiting for
    more, and leaving ``reserve`` of them for the other workers), as one job: tokens and sentence
    offsets concatenated, the learning rate from the first job's start to the last one's end (the
    kernel interpolates it per sentence, as within one batch). Returns ``(job, stop_after)``;
    ``stop_after`` when a stop sentinel was taken. ``on_take()`` is called for each job taken."""
    parts = [job]
    stop_after = False
    while len(parts) < max_batches and jobs.qsize() > reserve:
        try:
            nxt = jobs.get_nowait()
        except queue.Empty:
            break
        if nxt is None:
            stop_after = True
            break
        if on_take is not None:
            on_take()
        parts.append(nxt)
    if len(parts) == 1:
        return job, stop_after
    tokens = np.concatenate([p[0] for p in parts])
    starts = np.cumsum([len(p[0]) for p in parts])   # where each later job's tokens begin
    offsets = np.concatenate([parts[0][1]] + [p[1][1:] + start for p, start in zip(parts[1:], starts)])
    # the first job's seed (and anything else it carries) goes with the merged job
    return (tokens, offsets, parts[0][2], parts[-1][3]) + tuple(parts[0][4:]), stop_after


def _env_count(name, what):
    """The whole number >= 0 in environment variable ``name``, or None when it is not set."""
    text = os.environ.get(name)
    if text is None:
        return None
    try:
        value = int(text)
    except ValueError:
        raise ValueError(f"{name} must be a whole number of {what}, got {text!r}") from None
    if value < 0:
        raise ValueError(f"{name} must be >= 0, got {value}")
    return value


def hot_output_rows(config, workers):
    """How many output rows each worker keeps private (at most the vocabulary; 0 with one worker or
    without negative sampling): ``FASTW2V_HOT_ROWS`` when it is set, in any mode; else, at most
    HOT_OUTPUT_BYTES of float32 rows, HOT_OUTPUT_ROWS for exact skip-gram, HOT_CBOW_ROWS for CBOW
    and 0 for shared_negatives, where 10 seeds measured a cost of 0.2 analogy points
    (2026-12-04-2core)."""
    if workers <= 1 or not config.negative:
        return 0
    wanted = _env_count("FASTW2V_HOT_ROWS", "rows")
    if wanted is None:
        wanted = 0
        if not config.sg:
            wanted = HOT_CBOW_ROWS
        elif config.batch_mode == "exact":
            wanted = HOT_OUTPUT_ROWS
        wanted = min(wanted, HOT_OUTPUT_BYTES // (4 * config.vector_size))
    return min(wanted, config.vocab_size)


def hot_input_rows(config, workers):
    """How many input rows each worker keeps private (at most the vocabulary; 0 with one worker):
    ``FASTW2V_HOT_INPUT_ROWS`` when it is set, in any mode; else HOT_CBOW_INPUT_ROWS for CBOW, at
    most HOT_OUTPUT_BYTES of float32 rows, and 0 for skip-gram."""
    if workers <= 1:
        return 0
    wanted = _env_count("FASTW2V_HOT_INPUT_ROWS", "rows")
    if wanted is None:
        wanted = 0 if config.sg else min(HOT_CBOW_INPUT_ROWS, HOT_OUTPUT_BYTES // (4 * config.vector_size))
    return min(wanted, config.vocab_size)


def hot_merge_words(config):
    """After how many words of a batch a worker merges its private rows (0: after the whole batch):
    ``FASTW2V_HOT_MERGE_WORDS`` when it is set; else HOT_CBOW_MERGE_WORDS for CBOW, 0 for
    skip-gram (once per batch: 10 seeds measured no cost there, 2026-12-04-2core)."""
    words = _env_count("FASTW2V_HOT_MERGE_WORDS", "words")
    if words is None:
        words = 0 if config.sg else HOT_CBOW_MERGE_WORDS
    return words


class HotRows:
    """One worker's private copy of output rows [0, n) of ``config.W_out`` (``train_batch``'s
    ``hot_out``) and of input rows [0, n_in) of ``config.W_in`` (``hot_in``). ``pull()`` copies
    the shared rows in before a batch; ``push()`` merges the batch's rows back
    (``merge_hot_rows``): an element no other worker changed meanwhile takes this worker's value,
    one that another worker changed gets this worker's change added, so both workers' updates stay
    (as in Hogwild, a concurrent write to the same element may be lost)."""

    def __init__(self, config, n, merge_words=0, n_in=0):
        self.shared = config.W_out[:n]
        self.rows = np.empty_like(self.shared)
        self.pulled = np.empty_like(self.shared)
        self.shared_in = config.W_in[:n_in]
        self.rows_in = np.empty_like(self.shared_in)
        self.pulled_in = np.empty_like(self.shared_in)
        self.merge_words = merge_words   # train_batch's merge_words (0: merged once per batch)

    def pull(self):
        for shared, rows, pulled in self._copies():
            np.copyto(rows, shared)
            np.copyto(pulled, rows)

    def push(self):
        for shared, rows, pulled in self._copies():
            kernels.core.merge_hot_rows(shared, rows, pulled)

    def kernel_args(self):
        """``train_batch``'s hot_out, hot_pulled, merge_words, hot_in, hot_in_pulled (None for a
        matrix with no private rows)."""
        out = (self.rows, self.pulled) if len(self.rows) else (None, None)
        inp = (self.rows_in, self.pulled_in) if len(self.rows_in) else (None, None)
        return out + (self.merge_words,) + inp

    def _copies(self):
        return ((self.shared, self.rows, self.pulled), (self.shared_in, self.rows_in, self.pulled_in))


def run_epoch(config, seeds, batches, alpha_at, workers, queue_factor, show_progress, report_delay,
               epoch, expected_words, probe=None, merge_batches=1, on_batch=None):
    """One pass: the calling thread reads and encodes batches, ``workers`` threads train on them.

    Batch b (counted in reading order) trains with its own random stream ``Rng(seeds(b))``, whichever
    worker takes it. ``on_batch``: None or ``(begin, end)`` functions a worker calls around every
    call it trains (the callbacks' on_batch_begin / on_batch_end).

    With ``merge_batches`` > 1, a worker trains the batch it takes together with up to that many - 1
    already queued behind it (``_merged``; for iterable input, see MERGE_BATCHES), and the queue
    holds ``merge_batches`` times as many batches.

    Every worker keeps its own float64 loss and word tallies (no shared counters); they are summed at
    the end. After each batch a worker checks the batch's loss and ``probe`` rows of the weights for
    finiteness (TrainingDivergedError). An exception in the reader (e.g. KeyboardInterrupt from the
    corpus or a signal) or in a worker stops all threads, each after its current batch, and the
    workers are joined before it propagates.
    """
    # Lock-free handoff: C-implemented SimpleQueues, never a queue.Queue or threading.Event, whose
    # Python-level locking a KeyboardInterrupt landing in this thread at the wrong bytecode can
    # leave held (a worker would then block on it forever). The queue is bounded by credits: the
    # reader takes one per batch it queues, a worker gives it back when it takes the batch.
    jobs = queue.SimpleQueue()
    credits = queue.SimpleQueue()
    for _ in range(max(1, queue_factor * workers * merge_batches)):
        credits.put(True)
    tallies = [[0, 0.0] for _ in range(workers)]   # kept words, loss
    errors = []
    stop = _Flag()
    # The stop protocol (_stop_workers) relies on these two flags per worker, not on
    # Thread.is_alive(): entered[t] is set when worker t begins (before it checks the stop flag),
    # left[t] when it has left the kernel for good. Plain list stores: atomic under the GIL, and
    # nothing the calling thread does to wait on them can be undone by a KeyboardInterrupt.
    entered = [False] * workers
    left = [False] * workers
    n_hot, n_hot_in = hot_output_rows(config, workers), hot_input_rows(config, workers)
    merge_words = hot_merge_words(config) if n_hot or n_hot_in else 0
    hots = [HotRows(config, n_hot, merge_words, n_hot_in) if n_hot or n_hot_in else None
            for _ in range(workers)]  # before any thread

    def work(t):
        entered[t] = True
        try:
            if stop.is_set():
                return
            _work(t)
        finally:
            left[t] = True

    def _work(t):
        tally = tallies[t]
        hot = hots[t]
        while True:
            try:
                job = jobs.get(timeout=_WORKER_POLL_SECONDS)
            except queue.Empty:
                if stop.is_set():
                    return
                continue
            if job is None or stop.is_set():
                return
            credits.put(True)
            stop_after = False
            if merge_batches > 1:
                job, stop_after = _merged(job, jobs, merge_batches, reserve=workers - 1,
                                          on_take=lambda: credits.put(True))
            tokens, offsets, a0, a1, seed = job
            try:
                if on_batch is not None:
                    on_batch[0]()
                rng = kernels.core.Rng(seed)
                if hot is None:
                    kept, loss = kernels.core.train_batch(config, rng, tokens, offsets, a0, a1)
                else:
                    hot.pull()
                    try:
                        kept, loss = kernels.core.train_batch(config, rng, tokens, offsets, a0, a1,
                                                              *hot.kernel_args())
                    finally:
                        hot.push()
                if on_batch is not None:
                    on_batch[1]()
                if not math.isfinite(loss):
                    raise TrainingDivergedError(f"non-finite loss in a batch at learning rate {a0:.4g}")
                if probe is not None and not probe.finite(tokens):
                    raise TrainingDivergedError(
                        f"non-finite weights after a batch at learning rate {a0:.4g}")
            except BaseException as exc:  # reported to the reader thread, which re-raises
                errors.append(exc)
                stop.set()
                return
            tally[0] += kept
            tally[1] += loss
            if stop_after:
                return

    threads = [threading.Thread(target=work, args=(t,), name=f"fastw2v-worker-{t}", daemon=True)
               for t in range(workers)]
    stats = EpochStats()
    bar = _progress_bar(show_progress, epoch, expected_words)
    start = last_report = time.perf_counter()
    raw_done = 0
    finished = False
    interrupted = None
    try:
        for thread in threads:
            _start(thread)
        for index, batch in enumerate(batches):
            if stop.is_set():
                break
            a0 = alpha_at(raw_done)
            raw_done += batch.raw_words
            a1 = alpha_at(raw_done)
            if len(batch.tokens) and _take_credit(credits, stop):
                jobs.put((batch.tokens, batch.offsets, a0, a1, seeds(index)))
            now = time.perf_counter()
            due = now - last_report >= report_delay
            if due or index == 0:   # the bar shows the same fields from its first update on
                loss = sum(t[1] for t in tallies)
                rate = raw_done / max(now - start, 1e-9)
                bar.set_postfix_str(f"alpha={a1:.5f} loss={loss:.4g} {rate:,.0f} words/s", refresh=False)
            bar.update(batch.raw_words)
            if due:
                last_report = now
                if not show_progress:
                    logger.info("EPOCH %i - PROGRESS: at %.2f%% words, %.0f words/s, alpha %.5f",
                                epoch + 1, 100.0 * raw_done / expected_words, rate, a1)
        finished = True
    finally:
        # (entering a finally block and a try block runs no eval-breaker check, so a
        # KeyboardInterrupt cannot land between here and the retry loop)
        while True:
            try:
                interrupted = _stop_workers(threads, entered, left, jobs, stop,
                                            drain=stop.is_set() or not finished) or interrupted
                break
            except KeyboardInterrupt as exc:   # landed before _stop_workers' own guard
                interrupted = exc
                finished = False
        # Close the batch generators now, in this frame, rather than leave them to the garbage
        # collector: a KeyboardInterrupt raised in a finalizer would only be printed and lost.
        while True:
            try:
                _close(batches)
                break
            except KeyboardInterrupt as exc:   # (a closed generator closes as a no-op next time)
                interrupted = exc
        bar.close()
    if errors:
        raise errors[0]
    if interrupted is not None:   # a second Ctrl-C while the workers were being stopped
        raise interrupted
    stats.seconds = time.perf_counter() - start
    stats.raw_words = raw_done
    stats.effective_words = int(sum(t[0] for t in tallies))
    stats.loss = float(sum(t[1] for t in tallies))
    return stats


def _stop_workers(threads, entered, left, jobs, stop, drain):
    """Stop every worker and wait until each has left the kernel and ended; returns a
    KeyboardInterrupt that arrived meanwhile (or None). Idempotent: safe to call again if a
    KeyboardInterrupt escapes it before its guard.

    Normal end: one sentinel per worker, queued after the last batch. Interruption (``drain``): the
    stop flag is set and the queue emptied; each worker ends after its current batch (workers poll
    the flag every _WORKER_POLL_SECONDS). A KeyboardInterrupt during any step switches to the
    interruption path and is held back until every worker has ended, so that none outlives
    train(). The wait is on the workers' own ``left`` flags, never on ``Thread.is_alive()``
    (after an interrupted ``join()`` Python 3.11 can report a running thread as ended); a worker
    that had not begun when the stop flag was set (``entered``) sees the flag and trains nothing.
    """
    pending = None
    while True:
        try:
            if drain:
                stop.set()
                _drain(jobs)
            else:
                for _ in threads:
                    jobs.put(None)
                for thread in threads:   # (exact and without polling; an interrupt -> drain)
                    thread.join()
            _wait_until_left(entered, left, everyone=not drain)
            break
        except KeyboardInterrupt as exc:
            pending = exc
            drain = True
    for thread in threads:   # every started worker has left; let its thread finish
        while True:
            try:
                if thread.ident is not None:
                    thread.join()
                break
            except KeyboardInterrupt as exc:
                pending = exc
    return pending


def _wait_until_left(entered, left, everyone):
    """Sleep until every worker has left the kernel: all of them (``everyone``: the normal end,
    where each one will take a sentinel), or, once the stop flag is set, those that have begun."""
    delay = 0.0002
    while not all(left[t] or not (everyone or entered[t]) for t in range(len(left))):
        time.sleep(delay)
        delay = min(2 * delay, 0.005)


class _Flag:
    """The stop flag the workers poll: a plain attribute (a threading.Event takes a lock to set)."""

    __slots__ = ("_set",)

    def __init__(self):
        self._set = False

    def set(self):
        self._set = True

    def is_set(self):
        return self._set


def _take_credit(credits, stop):
    """Wait for room in the job queue; False if the stop flag is set first."""
    while True:
        try:
            return credits.get(timeout=0.1)
        except queue.Empty:
            if stop.is_set():
                return False


def _drain(jobs):
    try:
        while True:
            jobs.get_nowait()
    except queue.Empty:
        pass


def _finite_rows(matrix, rows):
    # float64 sum of float32 values: NaN/inf propagate, finite values cannot overflow
    with np.errstate(invalid="ignore", over="ignore"):   # (inf - inf is the answer, not a warning)
        return math.isfinite(matrix.take(rows, axis=0).sum(dtype=np.float64))


def all_finite(config, block_rows=1 << 16):
    """Every trained weight finite (checked by row blocks, to bound the temporary memory)."""
    for matrix in (config.W_in, config.W_out, config.W_hs):
        for start in range(0, len(matrix), block_rows):
            if not np.isfinite(matrix[start:start + block_rows]).all():
                return False
    return True


class DivergenceProbe:
    """The per-batch finiteness check: a few hundred rows, so it costs well under 1% of a batch.

    A non-finite value spreads through every update that reads it: a NaN input row poisons the output
    rows it trains against (always including the most frequent words' negative-sampling rows and the
    HS nodes nearest the root), and a NaN output row poisons the input rows of the batch. Checking a
    sample of the batch's input rows plus those hot output rows therefore sees a divergence in the
    batch where it happens; the full check at the end of each epoch backs it up.
    """

    def __init__(self, config, counts, n_rows=None):
        n_rows = DIVERGENCE_PROBE_ROWS if n_rows is None else n_rows
        self.n_rows = n_rows
        self.W_in = config.W_in
        self.checks = []
        if config.negative and len(config.W_out):
            hot = np.argsort(-np.asarray(counts), kind="stable")[:max(1, n_rows // 4)]
            self.checks.append((config.W_out, hot.astype(np.int64)))
        if config.hs and len(config.W_hs):
            root_side = np.arange(max(0, len(config.W_hs) - max(1, n_rows // 4)), len(config.W_hs))
            self.checks.append((config.W_hs, root_side))

    def finite(self, tokens):
        step = max(1, len(tokens) // self.n_rows)
        if len(tokens) and not _finite_rows(self.W_in, tokens[::step]):
            return False
        return all(_finite_rows(matrix, rows) for matrix, rows in self.checks)


#: Logged when an epoch gets no WeightSnapshot copy (no temporary file, or writing it failed).
_NO_COPY = "no epoch-start copy of the weights (%s): a diverged epoch will mark the model diverged"


class WeightSnapshot:
    """A copy of the trained weights, taken at each epoch start (the random streams are functions
    of the epoch and batch, so they need no copy), in an anonymous temporary file: the system's
    page cache holds it, not this process's memory, so training peaks at the model's own size."""

    def __init__(self, weights, file):
        self.weights = weights
        self.file = file
        self.valid = False           # a whole copy was written (restore() may use it)

    @classmethod
    def maybe(cls, config):
        """A snapshot of ``config``'s weights, or None when they are larger than
        DIVERGENCE_SNAPSHOT_MAX_BYTES. Without a temporary file to hold it (or when writing it
        fails), ``restore()`` returns False and a diverged epoch marks the model diverged."""
        weights = [w for w in (config.W_in, config.W_out, config.W_hs) if w.size]
        if sum(w.nbytes for w in weights) > DIVERGENCE_SNAPSHOT_MAX_BYTES:
            return None
        try:
            file = tempfile.TemporaryFile(prefix="fastw2v-snapshot-")
        except OSError as exc:
            logger.warning(_NO_COPY, exc)
            file = None
        return cls(weights, file)

    def take(self):
        self.valid = False
        if self.file is None:
            return
        try:
            self.file.seek(0)
            for w in self.weights:
                self.file.write(_bytes_of(w))
            self.file.flush()
        except OSError as exc:     # (a full disk: this epoch has no copy)
            logger.warning(_NO_COPY, exc)
            return
        self.valid = True

    def restore(self):
        """Copy the snapshot back in place (wv.vectors, syn1neg and syn1 stay the same arrays);
        False when there is no whole copy to restore."""
        if not self.valid:
            return False
        try:
            self.file.seek(0)
            for w in self.weights:
                view = _bytes_of(w)
                if self.file.readinto(view) != len(view):
                    return False
        except OSError:
            return False
        return True

    def close(self):
        if self.file is not None:
            self.file.close()


def _bytes_of(array):
    """A C-contiguous array's memory as a flat writable byte view."""
    return memoryview(array).cast("B")


def _progress_bar(show, epoch, expected_words):
    if not show:
        return _NoProgress()
    from tqdm.auto import tqdm
    return tqdm(total=expected_words, unit="word", unit_scale=True, desc=f"epoch {epoch + 1}",
                leave=False)


class _NoProgress:
    def update(self, n):
        pass

    def set_postfix_str(self, s, refresh=True):
        pass

    def close(self):
        pass


def _start(thread):
    """``thread.start()``, reporting a KeyboardInterrupt as one. Thread.start waits on a
    threading.Event; a KeyboardInterrupt landing just before that wait re-takes its lock surfaces
    as ``RuntimeError("release unlocked lock")`` with the interrupt as its context."""
    try:
        thread.start()
    except RuntimeError as exc:
        if isinstance(exc.__context__, KeyboardInterrupt):
            raise exc.__context__ from None
        raise


def _close(iterator):
    close = getattr(iterator, "close", None)
    if close is not None:
        close()
