"""KeyboardInterrupts at random moments of train(): no worker may outlive the call (issue 18, item 4).

A KeyboardInterrupt can land anywhere in the calling thread: while it reads the corpus, while it
starts the workers, queues sentinels or waits for the workers to end, and again while it cleans up
after an earlier one. On Python 3.11 an interrupted ``Thread.join()`` can even leave
``is_alive()`` False while the thread still runs (the bpo-45274 fix releases a lock the running
thread holds). The bug this guards: ``train()`` returned or raised while a worker thread was still
inside the kernel, writing the weights (seen about once in five interrupts).

Each trial arms an interval timer (SIGALRM) or a thread sending real SIGINTs (``os.kill``) to
interrupt one ``train()`` call at a random moment, sometimes with a burst of further interrupts that
lands in the cleanup; the handler raises KeyboardInterrupt only while ``train()`` is on the calling
thread's stack. After every call, whether it returned or raised: no kernel call is in progress,
none starts later, no ``fastw2v-worker-*`` thread is alive, the weights do not change any more, and
the model answers queries and trains on.
"""
import os
import random
import signal
import threading
import time

import numpy as np
import pytest

from fastw2v import Word2Vec
from fastw2v import model as model_module
from planted import planted_corpus

pytestmark = pytest.mark.skipif(not hasattr(signal, "setitimer") or os.name != "posix",
                                reason="needs POSIX signals (setitimer, os.kill)")

SENTENCES, _ = planted_corpus(n_sentences=400, sentence_length=10)
PARAMS = dict(vector_size=16, min_count=1, workers=3, seed=1, batch_words=100, window=3, epochs=2)
#: per input kind and interrupt source (64 train() calls, most interrupted); more for a long run
TRIALS = int(os.environ.get("FASTW2V_INTERRUPT_TRIALS", "16"))
TRAIN_CODE = Word2Vec.train.__code__


def _inside_train(frame):
    if "fastw2v" not in frame.f_code.co_filename and "threading" not in frame.f_code.co_filename \
            and "queue" not in frame.f_code.co_filename:
        return False   # e.g. in pytest's hook reporting an exception ignored in a finalizer
    while frame is not None:
        if frame.f_code is TRAIN_CODE:
            return True
        frame = frame.f_back
    return False


class KernelWatch:
    """Wraps the trainer's ``train_batch``: counts calls in progress and calls begun while no
    ``train()`` is running (``late``), which would be a worker that outlived its call."""

    def __init__(self, monkeypatch):
        self.lock = threading.Lock()
        self.inside = 0
        self.late = 0
        self.calls = 0
        self.training = False
        core = model_module._core
        real = core.train_batch

        def train_batch(*args):
            with self.lock:
                self.inside += 1
                self.calls += 1
                if not self.training:
                    self.late += 1
            try:
                return real(*args)
            finally:
                with self.lock:
                    self.inside -= 1

        monkeypatch.setattr(core, "train_batch", train_batch)


def alive_workers():
    return [t.name for t in threading.enumerate()
            if t.name.startswith("fastw2v-worker-") and t.is_alive()]


def checksum(model):
    return (float(np.sum(model.wv.vectors, dtype=np.float64)),
            float(np.sum(model.syn1neg, dtype=np.float64)))


@pytest.fixture
def corpus_path(tmp_path, monkeypatch):
    path = tmp_path / "corpus.txt"
    path.write_text("".join(" ".join(s) + "\n" for s in SENTENCES), encoding="utf-8")
    # small corpus_file batches, so that an epoch is many batches, as for the iterable
    monkeypatch.setattr(model_module, "FILE_BATCH_BYTES", 1024)
    return str(path)


def _interrupter(kind, rng, duration, fired):
    """Arm one interrupt at a random moment of the coming train() call, followed in half of the
    trials by a burst of up to 6 more, 0.5-3 ms apart (they land in the cleanup). Returns a
    function that disarms it."""
    delay = rng.uniform(0.0, 0.7 * duration)
    burst = rng.choice([0, 0, 1, 3, 6])
    gap = rng.uniform(0.0005, 0.003)
    if kind == "alarm":
        count = [burst + 1]

        def on_alarm(signum, frame):
            count[0] -= 1
            if count[0] <= 0:
                signal.setitimer(signal.ITIMER_REAL, 0)
            if _inside_train(frame):
                fired[0] += 1
                raise KeyboardInterrupt
        signal.signal(signal.SIGALRM, on_alarm)
        signal.setitimer(signal.ITIMER_REAL, max(delay, 1e-4), gap)
        return lambda: signal.setitimer(signal.ITIMER_REAL, 0)

    def on_sigint(signum, frame):
        if _inside_train(frame):
            fired[0] += 1
            raise KeyboardInterrupt
    signal.signal(signal.SIGINT, on_sigint)
    cancelled = threading.Event()

    def send():
        if cancelled.wait(delay):
            return
        for _ in range(burst + 1):
            os.kill(os.getpid(), signal.SIGINT)
            if cancelled.wait(gap):
                return
    sender = threading.Thread(target=send, name="test-sigint-sender", daemon=True)
    sender.start()

    def disarm():
        cancelled.set()
        sender.join()
    return disarm


@pytest.mark.parametrize("source", ["alarm", "sigint"])
@pytest.mark.parametrize("input_kind", ["iterable", "corpus_file"])
def test_no_worker_outlives_an_interrupted_train(monkeypatch, corpus_path, input_kind, source):
    rng = random.Random(f"{input_kind}-{source}")
    model = Word2Vec(**PARAMS)
    if input_kind == "iterable":
        model.build_vocab(SENTENCES)
        train_args = dict(corpus_iterable=SENTENCES, total_examples=len(SENTENCES))
    else:
        model.build_vocab(corpus_file=corpus_path)
        train_args = dict(corpus_file=corpus_path, total_words=model.corpus_total_words)
    watch = KernelWatch(monkeypatch)
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGALRM, signal.SIGINT)}
    watch.training = True
    start = time.perf_counter()
    model.train(epochs=model.epochs, **train_args)
    duration = time.perf_counter() - start
    watch.training = False
    fired = [0]
    interrupted = 0
    try:
        for trial in range(TRIALS):
            watch.training = True
            disarm = _interrupter(source, rng, duration, fired)
            try:
                model.train(epochs=model.epochs, **train_args)
            except KeyboardInterrupt:
                interrupted += 1
            finally:
                disarm()
            with watch.lock:
                watch.training = False
                inside = watch.inside
            assert inside == 0, f"trial {trial}: train() ended with {inside} kernel call(s) running"
            assert alive_workers() == [], f"trial {trial}: workers alive after train()"
            before = checksum(model)
            time.sleep(0.005)
            assert checksum(model) == before, f"trial {trial}: the weights changed after train()"
            assert watch.late == 0, f"trial {trial}: a kernel call began after train() ended"
            assert np.isfinite(model.wv.vectors).all()
            assert len(model.wv.most_similar("t0w0", topn=3)) == 3
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    # the interrupts really landed inside train(), most trials were interrupted
    assert interrupted >= TRIALS // 3, (fired, interrupted)
    time.sleep(0.02)
    assert watch.late == 0 and alive_workers() == []
    watch.training = True
    model.train(epochs=1, **train_args)   # and training resumes
    assert alive_workers() == []
