"""Interruption, divergence and concurrency (docs/reliability.md).

* A KeyboardInterrupt (from the corpus, a signal or a callback) or any exception during train()
  stops and joins every worker thread before it propagates, and leaves the model consistent:
  finite weights, completed epochs counted, queries working, training able to resume.
* An interrupted save leaves the previous file intact (temporary file, fsync, rename).
* Divergence is detected after the batch where it happens; the weights are restored to the start
  of the epoch (small models) or the model is marked diverged (large ones): no NaN is returned.
* Several workers on tiny or enormous sentences, and queries from another thread during training,
  run without error.

Bitwise assertions here compare weights with a copy taken in the same process (saved vs current,
two one-worker runs): no CPU dependence.
"""
import _thread
import os
import threading
import time

import numpy as np
import pytest

from fastw2v import KeyedVectors, Word2Vec
from fastw2v import engine, kernels
from fastw2v.model import TrainingDivergedError
from planted import planted_corpus

SENTENCES, TOPICS = planted_corpus(n_sentences=600)
# small batches, so that an epoch is many batches and an interruption lands mid-epoch
#: the kernel build the trainer calls (fastw2v.kernels picks _core or _core_avx2)
TRAINER_CORE = kernels.core
BASE = dict(vector_size=16, min_count=1, workers=3, seed=1, batch_words=200, window=3)


def worker_threads():
    return [t for t in threading.enumerate() if t.name.startswith("fastw2v-worker-") and t.is_alive()]


def assert_workers_stopped():
    """train() joins its workers before returning or raising: none may be left, not even briefly."""
    assert worker_threads() == []


def assert_usable(model, sentences=SENTENCES):
    """Finite weights, working queries, and training that resumes and counts the epoch."""
    assert np.isfinite(model.wv.vectors).all() and np.isfinite(model.syn1neg).all()
    neighbours = model.wv.most_similar("t0w0", topn=3)
    assert len(neighbours) == 3 and all(np.isfinite(score) for _, score in neighbours)
    done = model.epochs_trained
    model.train(sentences, total_examples=len(sentences), epochs=1)
    assert model.epochs_trained == done + 1
    assert np.isfinite(model.wv.vectors).all()
    assert_workers_stopped()


class FailingCorpus:
    """A restartable corpus whose ``fail_on_pass``-th pass raises ``exc`` after ``after`` sentences
    (pass 1 is build_vocab's, pass 2 the first epoch's, ...)."""

    def __init__(self, sentences, exc=KeyboardInterrupt, after=300, fail_on_pass=3):
        self.sentences, self.exc, self.after, self.fail_on_pass = sentences, exc, after, fail_on_pass
        self.passes = 0

    def __iter__(self):
        self.passes += 1
        for i, sentence in enumerate(self.sentences):
            if self.passes == self.fail_on_pass and i == self.after:
                raise self.exc("raised by the corpus")
            yield sentence


def built(corpus=SENTENCES, **kwargs):
    model = Word2Vec(**{**BASE, **kwargs})
    model.build_vocab(corpus)
    return model


# =============================================================================== interruption

def test_keyboard_interrupt_from_the_corpus_mid_epoch():
    corpus = FailingCorpus(SENTENCES)
    model = built(corpus)
    with pytest.raises(KeyboardInterrupt):
        model.train(corpus, total_examples=len(SENTENCES), epochs=3)
    assert_workers_stopped()
    assert corpus.passes == 3                      # it stopped in epoch 2 ...
    assert model.epochs_trained == 1 and len(model.loss_history) == 1   # ... which is not counted
    # the interrupted epoch is not counted, so training it again draws the same per-batch streams
    assert_usable(model)


def test_keyboard_interrupt_signal_during_training_stops_promptly():
    """A real interrupt (as Ctrl-C delivers it) while the reader streams an endless corpus."""

    class Endless:
        endless = False

        def __iter__(self):
            yield from SENTENCES
            while self.endless:
                yield from SENTENCES

    corpus = Endless()
    model = built(corpus)
    corpus.endless = True
    timer = threading.Timer(0.3, _thread.interrupt_main)
    start = time.perf_counter()
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            model.train(corpus, total_examples=len(SENTENCES), epochs=1)
    finally:
        timer.cancel()
    assert time.perf_counter() - start < 10.0
    assert_workers_stopped()
    corpus.endless = False
    assert model.epochs_trained == 0
    assert_usable(model)


@pytest.mark.parametrize("hook", ["on_epoch_begin", "on_epoch_end"])
def test_exception_in_a_callback(hook):
    class Boom:
        calls = 0

    def raise_on_second(model):
        Boom.calls += 1
        if Boom.calls == 2:
            raise RuntimeError("callback failed")

    callback = Boom()
    setattr(callback, hook, raise_on_second)
    model = built()
    with pytest.raises(RuntimeError, match="callback failed"):
        model.train(SENTENCES, total_examples=len(SENTENCES), epochs=3, callbacks=[callback])
    assert_workers_stopped()
    # on_epoch_begin fails before epoch 2 trains; on_epoch_end fails after it is counted
    assert model.epochs_trained == (1 if hook == "on_epoch_begin" else 2)
    model.callbacks = ()
    assert_usable(model)


def test_keyboard_interrupt_in_a_callback():
    class Stop:
        def on_epoch_end(self, model):
            raise KeyboardInterrupt

    model = built()
    with pytest.raises(KeyboardInterrupt):
        model.train(SENTENCES, total_examples=len(SENTENCES), epochs=3, callbacks=[Stop()])
    assert_workers_stopped()
    assert model.epochs_trained == 1
    assert_usable(model)


def test_exception_from_the_corpus_mid_epoch():
    corpus = FailingCorpus(SENTENCES, exc=OSError, after=100, fail_on_pass=2)
    model = built(corpus)
    with pytest.raises(OSError, match="raised by the corpus"):
        model.train(corpus, total_examples=len(SENTENCES), epochs=2)
    assert_workers_stopped()
    assert model.epochs_trained == 0
    assert_usable(model)


def test_exception_in_a_worker(monkeypatch):
    real = TRAINER_CORE.train_batch
    calls = []

    def flaky(*args):
        calls.append(1)
        if len(calls) == 5:
            raise MemoryError("simulated failure in a worker")
        return real(*args)

    model = built()
    monkeypatch.setattr(TRAINER_CORE, "train_batch", flaky)
    with pytest.raises(MemoryError, match="simulated"):
        model.train(SENTENCES, total_examples=len(SENTENCES), epochs=2)
    assert_workers_stopped()
    monkeypatch.setattr(TRAINER_CORE, "train_batch", real)
    assert_usable(model)


def test_second_interrupt_while_stopping_the_workers(monkeypatch):
    """Ctrl-C pressed again during cleanup (here: while the queue is drained, then while a worker
    is joined) must not leave worker threads running after train() returns."""
    real_drain, real_join = engine._drain, threading.Thread.join
    hits = {"drain": 0, "join": 0}

    def interrupted_drain(jobs):
        hits["drain"] += 1
        if hits["drain"] == 1:   # (only the interrupted epoch drains)
            raise KeyboardInterrupt
        real_drain(jobs)

    def interrupted_join(self, timeout=None):
        if self.name.startswith("fastw2v-worker-") and corpus.passes == 3 and hits["join"] == 0:
            hits["join"] += 1
            raise KeyboardInterrupt
        return real_join(self, timeout)

    corpus = FailingCorpus(SENTENCES)
    model = built(corpus)
    monkeypatch.setattr(engine, "_drain", interrupted_drain)   # (the epoch engine's own binding)
    monkeypatch.setattr(threading.Thread, "join", interrupted_join)
    with pytest.raises(KeyboardInterrupt):
        model.train(corpus, total_examples=len(SENTENCES), epochs=3)
    assert hits == {"drain": 2, "join": 1}
    assert_workers_stopped()
    monkeypatch.undo()
    assert_usable(model)


def test_interrupted_save_keeps_the_previous_file(tmp_path, monkeypatch):
    path = tmp_path / "model.fw2v"
    first = Word2Vec(SENTENCES, **{**BASE, "epochs": 1})
    first.save(path)
    second = Word2Vec(SENTENCES, **{**BASE, "epochs": 1, "seed": 2})
    real_write = np.lib.format.write_array
    written = []

    def write_then_interrupt(*args, **kwargs):
        written.append(1)
        if len(written) == 2:   # after the first array, in the middle of the archive
            raise KeyboardInterrupt
        return real_write(*args, **kwargs)

    monkeypatch.setattr(np.lib.format, "write_array", write_then_interrupt)
    with pytest.raises(KeyboardInterrupt):
        second.save(path)
    monkeypatch.undo()
    assert os.listdir(tmp_path) == ["model.fw2v"]          # no temporary file left behind
    loaded = Word2Vec.load(path)
    assert np.array_equal(loaded.wv.vectors, first.wv.vectors)


def test_save_fsyncs_the_data_before_renaming(tmp_path, monkeypatch):
    events = []
    real_fsync, real_replace = os.fsync, os.replace
    monkeypatch.setattr(os, "fsync", lambda fd: (events.append("fsync"), real_fsync(fd))[1])
    monkeypatch.setattr(os, "replace",
                        lambda src, dst: (events.append(("replace", os.path.basename(str(dst)))),
                                          real_replace(src, dst))[1])
    Word2Vec(SENTENCES, **{**BASE, "epochs": 1}).save(tmp_path / "m.fw2v")
    assert events.index("fsync") < events.index(("replace", "m.fw2v"))


# =============================================================================== divergence

def count_batches(monkeypatch):
    real = TRAINER_CORE.train_batch
    calls = []

    def counting(*args):
        calls.append(1)
        return real(*args)

    monkeypatch.setattr(TRAINER_CORE, "train_batch", counting)
    return calls


@pytest.mark.parametrize("sg,hs,negative", [(1, 0, 5), (0, 1, 0), (0, 0, 5)])
def test_divergence_restores_the_epoch_start_weights(sg, hs, negative):
    model = built(sg=sg, hs=hs, negative=negative, workers=1)
    model.train(SENTENCES, total_examples=len(SENTENCES), epochs=1)
    before = [model.wv.vectors.copy(), model.syn1neg.copy(), model.syn1.copy()]
    history = list(model.loss_history)
    with pytest.raises(TrainingDivergedError) as info:
        model.train(SENTENCES, total_examples=len(SENTENCES), epochs=2, start_alpha=1e30)
    message = str(info.value)
    assert "learning rate" in message and "alpha=1e+30" in message and "restored" in message
    assert_workers_stopped()
    for saved, now in zip(before, (model.wv.vectors, model.syn1neg, model.syn1)):
        assert np.array_equal(saved, now)
    assert model.loss_history == history and model.epochs_trained == 1


def test_restored_model_trains_like_one_that_never_diverged():
    """The restore covers the random streams too: with one worker, diverging and retrying gives
    bit for bit what training straight on gives."""
    a, b = built(workers=1), built(workers=1)
    for model in (a, b):
        model.train(SENTENCES, total_examples=len(SENTENCES), epochs=1)
    with pytest.raises(TrainingDivergedError):
        a.train(SENTENCES, total_examples=len(SENTENCES), epochs=1, start_alpha=1e30)
    for model in (a, b):
        model.train(SENTENCES, total_examples=len(SENTENCES), epochs=1)
    assert np.array_equal(a.wv.vectors, b.wv.vectors)
    assert np.array_equal(a.syn1neg, b.syn1neg)


def test_divergence_is_detected_after_the_batch_where_it_happens(monkeypatch):
    model = built(workers=1, batch_words=100)   # an epoch is ~45 batches
    calls = count_batches(monkeypatch)
    # the overflow shows in the weights after the batch or, with the fast arithmetic, already as a
    # non-finite loss in it; either way it is caught at that batch
    with pytest.raises(TrainingDivergedError, match="(after|in) a batch at learning rate"):
        model.train(SENTENCES, total_examples=len(SENTENCES), epochs=1, start_alpha=1e30)
    assert len(calls) <= 2, f"detected only after {len(calls)} batches"


def test_nan_weights_hidden_from_the_table_loss_are_caught_per_batch(monkeypatch):
    """With the sigmoid table a NaN weight gives a *finite* loss (NaN indexes bin 0), so the loss
    check alone would miss it until the end of the epoch; the per-batch weight probe does not."""
    model = built(workers=1, batch_words=100)
    row = model.wv.key_to_index["fn0"]   # a function word: about 5 in every 100 tokens
    real = TRAINER_CORE.train_batch
    losses = []

    def plant_nan_before_batch_2(config, rng, tokens, offsets, a0, a1):
        if len(losses) == 1:
            assert row in tokens
            config.W_in[row] = np.nan
        kept, loss = real(config, rng, tokens, offsets, a0, a1)
        losses.append(loss)
        return kept, loss

    monkeypatch.setattr(TRAINER_CORE, "train_batch", plant_nan_before_batch_2)
    with pytest.raises(TrainingDivergedError, match="non-finite weights after a batch"):
        model.train(SENTENCES, total_examples=len(SENTENCES), epochs=1)
    assert len(losses) == 2 and np.isfinite(losses[1])   # caught right after the NaN batch ...
    assert np.isfinite(model.wv.vectors).all()           # ... and the epoch-start weights are back


def test_epoch_start_copy_lives_in_a_temporary_file_not_in_memory():
    model = built(sg=0, hs=1, negative=5, workers=1)
    snapshot = engine.WeightSnapshot.maybe(model._make_config())
    weights = [model.wv.vectors, model.syn1neg, model.syn1]
    before = [w.copy() for w in weights]
    snapshot.take()
    # the copy is the file's bytes; the snapshot holds no array but (views of) the model's own
    assert len(snapshot.weights) == 3
    assert all(any(np.shares_memory(a, w) for w in weights) for a in snapshot.weights)
    assert os.fstat(snapshot.file.fileno()).st_size == sum(a.nbytes for a in snapshot.weights)
    assert not any(isinstance(v, np.ndarray) for v in vars(snapshot).values())
    for a in snapshot.weights:    # (syn1's last row is no inner node: not trained, not copied)
        a += 1.0
    assert snapshot.restore()
    for saved, now in zip(before, weights):
        assert np.array_equal(saved, now)
    snapshot.close()
    assert snapshot.file.closed


def test_training_leaves_no_snapshot_file_open():
    model = built(workers=2)
    open_before = len(os.listdir("/proc/self/fd")) if os.path.isdir("/proc/self/fd") else None
    for _ in range(3):
        model.train(SENTENCES, total_examples=len(SENTENCES), epochs=2)
    if open_before is not None:
        assert len(os.listdir("/proc/self/fd")) == open_before


class _FullDisk:
    """A temporary file whose writes fail as on a full disk."""

    def __init__(self, *args, **kwargs):
        self.closed = False

    def seek(self, *args):
        return 0

    def write(self, data):
        raise OSError(28, "No space left on device")

    def close(self):
        self.closed = True


@pytest.mark.parametrize("failure", ["no temporary file", "full disk"])
def test_divergence_without_a_snapshot_marks_the_model(monkeypatch, failure):
    def no_file(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(engine.tempfile, "TemporaryFile",
                        no_file if failure == "no temporary file" else _FullDisk)
    model = built(workers=2)
    with pytest.raises(TrainingDivergedError, match="could not be written.*marked diverged"):
        model.train(SENTENCES, total_examples=len(SENTENCES), epochs=1, start_alpha=1e30)
    assert_workers_stopped()
    with pytest.raises(FloatingPointError, match="diverged"):
        model.wv.most_similar("t0w0")


def test_large_model_is_marked_diverged_instead(monkeypatch, tmp_path):
    monkeypatch.setattr(engine, "DIVERGENCE_SNAPSHOT_MAX_BYTES", 0)
    model = built(workers=2)
    with pytest.raises(TrainingDivergedError, match="marked diverged"):
        model.train(SENTENCES, total_examples=len(SENTENCES), epochs=1, start_alpha=1e30)
    assert_workers_stopped()
    wv = model.wv
    for query in (lambda: wv.most_similar("t0w0"), lambda: wv["t0w0"], lambda: wv[["t0w0"]],
                  lambda: wv.similarity("t0w0", "t0w1"), lambda: wv.get_mean_vector(["t0w0"]),
                  lambda: wv.embed_sentences([["t0w0"]])):
        with pytest.raises(FloatingPointError, match="diverged"):
            query()
    with pytest.raises(FloatingPointError, match="unusable"):
        wv.save_word2vec_format(str(tmp_path / "never-written.txt"))
    assert not (tmp_path / "never-written.txt").exists()
    with pytest.raises(TrainingDivergedError, match="build_vocab"):
        model.train(SENTENCES, total_examples=len(SENTENCES), epochs=1)
    model.build_vocab([["a", "new", "word"]], update=True)   # keeps the NaN rows: still marked
    with pytest.raises(FloatingPointError, match="diverged"):
        model.wv.most_similar("new")
    model.build_vocab(SENTENCES)   # fresh weights: usable again
    assert_usable(model)


def test_probe_cost_is_a_few_hundred_rows():
    model = built()
    probe = engine.DivergenceProbe(model._make_config(), model.vocab.counts)
    tokens = np.arange(10_000, dtype=np.int32) % len(model.wv)
    assert len(tokens[::max(1, len(tokens) // probe.n_rows)]) <= probe.n_rows + 1
    assert sum(len(rows) for _, rows in probe.checks) <= probe.n_rows
    assert probe.finite(tokens)


# =============================================================================== threads

def test_many_very_short_sentences_with_several_workers():
    rng = np.random.default_rng(0)
    words = [f"w{i}" for i in range(300)]
    corpus = [list(rng.choice(words, size=rng.integers(1, 4))) for _ in range(20_000)]
    model = Word2Vec(corpus, vector_size=8, min_count=1, workers=3, epochs=2, seed=1, window=2)
    total = sum(map(len, corpus))
    assert model.corpus_total_words == total
    assert np.isfinite(model.wv.vectors).all() and len(model.wv) == 300
    assert_workers_stopped()


@pytest.mark.parametrize("mode", ["iterable", "corpus_file"])
def test_one_enormous_sentence_with_several_workers(mode, tmp_path):
    rng = np.random.default_rng(1)
    sentence = [f"w{i}" for i in rng.integers(0, 2000, size=120_000)]
    kwargs = dict(vector_size=8, min_count=1, workers=3, epochs=1, seed=1, window=3)
    if mode == "iterable":
        model = Word2Vec([sentence], **kwargs)
    else:
        path = tmp_path / "one-line.txt"
        path.write_text(" ".join(sentence) + "\n", encoding="utf-8")
        model = Word2Vec(corpus_file=str(path), **kwargs)
    assert model.corpus_total_words == 120_000
    assert np.isfinite(model.wv.vectors).all()
    assert_workers_stopped()


def test_queries_from_another_thread_while_training():
    corpus, _ = planted_corpus(n_sentences=1500)
    model = Word2Vec(corpus, **{**BASE, "workers": 2, "epochs": 1, "batch_words": 1000})
    wv = model.wv
    errors, queries = [], [0]
    done = threading.Event()

    def query():
        while not done.is_set():
            try:
                wv.most_similar("t0w0", topn=5)
                wv.most_similar(positive=["t1w1", "t2w2"], negative=["t3w3"], topn=3)
                wv.similarity("t0w0", "t0w1")
                wv.get_vector("t4w4", norm=True)
                wv[["t5w5", "fn0"]]
                wv.get_mean_vector(["t0w0", "t1w1"])
                wv.doesnt_match(["t0w0", "t0w1", "t3w3"])
                queries[0] += 1
            except Exception as exc:   # any failure is reported by the main thread
                errors.append(exc)
                return

    thread = threading.Thread(target=query)
    thread.start()
    try:
        model.train(corpus, total_examples=len(corpus), epochs=4)
    finally:
        done.set()
        thread.join()
    assert errors == [] and queries[0] > 0
    assert_workers_stopped()
    # after training the cached norms describe the final vectors, not a mid-training snapshot
    norms = np.linalg.norm(wv.vectors, axis=1)
    assert np.allclose(wv.get_normed_vectors(), wv.vectors / norms[:, None], atol=1e-6)


def test_two_models_training_at_once():
    models = [Word2Vec(**{**BASE, "seed": s}) for s in (1, 2)]
    for model in models:
        model.build_vocab(SENTENCES)
    errors = []

    def train(model):
        try:
            model.train(SENTENCES, total_examples=len(SENTENCES), epochs=2)
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=train, args=(m,)) for m in models]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert all(np.isfinite(m.wv.vectors).all() and m.epochs_trained == 2 for m in models)


def test_norms_computed_during_an_update_are_not_cached_as_current():
    """Regression (keyedvectors.fill_norms): norms computed while another thread changed the
    vectors used to be stored under the *new* version, so queries kept stale norms forever."""
    kv = KeyedVectors.from_arrays(["a", "b"], np.ones((2, 3), np.float32))

    class Racing(np.ndarray):
        def __getitem__(self, item):
            kv.invalidate_norms()   # "training" changes the vectors mid-computation
            return np.ndarray.__getitem__(self, item)

    kv._vectors = np.ones((2, 3), np.float32).view(Racing)
    kv.fill_norms()
    assert kv.norms is None   # tagged stale, so the next query recomputes
