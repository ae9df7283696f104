"""Hogwild behaviour of _core.train_batch: Python threads train lock-free on the same weight arrays
(the kernel releases the GIL for the whole batch). Training on a corpus with planted topics must lower
the loss and keep the weights finite; one thread with a fixed seed is bitwise reproducible.

Bitwise assertions here compare two one-thread runs in the same process and build: nothing on
either side differs, whatever the CPU.
"""
import re
import threading
import time

import numpy as np
import pytest

from fastw2v import _core, tables
from planted import planted_corpus

DIM, WINDOW, NEGATIVE, EPOCHS = 24, 3, 5, 5


def _encode():
    sentences, topics = planted_corpus(n_sentences=1200, seed=3)
    vocab = sorted({w for s in sentences for w in s})
    index = {w: i for i, w in enumerate(vocab)}
    ids = [np.array([index[w] for w in s], dtype=np.int32) for s in sentences]
    counts = np.bincount(np.concatenate(ids), minlength=len(vocab)).astype(np.int64)
    return ids, counts, vocab, topics, index


IDS, COUNTS, VOCAB, TOPICS, INDEX = _encode()


def _chunks(ids, n_chunks):
    """Split the sentences into n_chunks batches (tokens, offsets) of consecutive sentences."""
    out = []
    for part in np.array_split(np.arange(len(ids)), n_chunks):
        sentences = [ids[i] for i in part]
        tokens = np.concatenate(sentences).astype(np.int32)
        offsets = np.concatenate([[0], np.cumsum([len(s) for s in sentences])]).astype(np.int64)
        out.append((tokens, offsets))
    return out


def _model(seed=1, sg=1, hs=False):
    V = len(COUNTS)
    rng = np.random.default_rng(seed)
    W_in = ((rng.random((V, DIM)) - 0.5) / DIM).astype(np.float32)
    W_out = np.zeros((V, DIM), np.float32)
    W_hs = np.zeros((V - 1, DIM), np.float32)
    sampler = _core.AliasSampler(COUNTS, power=0.75)
    codes, points, offsets = _core.build_huffman(COUNTS)
    config = _core.TrainConfig(W_in, W_out, W_hs, tables.keep_thresholds(COUNTS, 1e-3), sampler.threshold,
                               sampler.alias, codes, points, offsets, sg=sg, negative=NEGATIVE, hs=hs,
                               window=WINDOW)
    return config


def _train(config, workers, seed=7, chunks_per_worker=4):
    """EPOCHS epochs; worker t trains its own share of the chunks with Rng(worker_seed(seed, t)).
    Returns the loss per kept word of each epoch."""
    rngs = [_core.Rng(tables.worker_seed(seed, t)) for t in range(workers)]
    chunks = _chunks(IDS, workers * chunks_per_worker)
    history = []
    for epoch in range(EPOCHS):
        a0 = 0.05 * (1 - epoch / EPOCHS)
        a1 = 0.05 * (1 - (epoch + 1) / EPOCHS) + 1e-4
        tallies = [[0, 0.0] for _ in range(workers)]

        def work(t):
            for tokens, offsets in chunks[t::workers]:
                kept, loss = _core.train_batch(config, rngs[t], tokens, offsets, a0, a1)
                tallies[t][0] += kept
                tallies[t][1] += loss

        threads = [threading.Thread(target=work, args=(t,)) for t in range(workers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        kept = sum(t[0] for t in tallies)
        assert kept > 0
        history.append(sum(t[1] for t in tallies) / kept)
    return history


def _topic_separation(W):
    unit = W / np.linalg.norm(W, axis=1, keepdims=True)
    topic_of = {INDEX[w]: t for t, words in enumerate(TOPICS) for w in words}
    ids = sorted(topic_of)
    sim = unit[ids] @ unit[ids].T
    same = np.array([[topic_of[a] == topic_of[b] for b in ids] for a in ids])
    np.fill_diagonal(same, False)
    other = ~same
    np.fill_diagonal(other, False)
    return sim[same].mean() - sim[other].mean()


@pytest.mark.parametrize("sg,hs", [(1, False), (0, True)], ids=["sg-ns", "cbow-ns-hs"])
def test_two_threads_lower_the_loss_and_stay_finite(sg, hs):
    config = _model(sg=sg, hs=hs)
    history = _train(config, workers=2)
    assert all(np.isfinite(history))
    assert history[-1] < 0.8 * history[0]
    assert all(b < a for a, b in zip(history, history[1:]))         # falls every epoch
    for W in (config.W_in, config.W_out, config.W_hs):
        assert np.isfinite(W).all()
    assert _topic_separation(config.W_in) > 0.3                     # the planted topics were learned


def test_one_thread_fixed_seed_is_bitwise_reproducible():
    first, second = _model(), _model()
    h1 = _train(first, workers=1)
    h2 = _train(second, workers=1)
    assert h1 == h2
    for a, b in zip((first.W_in, first.W_out), (second.W_in, second.W_out)):
        assert np.array_equal(a, b)
    third = _model()
    _train(third, workers=1, seed=8)
    assert not np.array_equal(first.W_in, third.W_in)               # the seed does matter


def _longest_main_thread_pause(target):
    """Run ``target`` in a thread; return (longest pause of the main thread's loop, target's time)."""
    timing = {}

    def work():
        t0 = time.perf_counter()
        target()
        timing["target"] = time.perf_counter() - t0

    thread = threading.Thread(target=work)
    longest = 0.0
    last = time.perf_counter()
    thread.start()
    while thread.is_alive():
        now = time.perf_counter()
        longest, last = max(longest, now - last), now
    thread.join()
    return longest, timing["target"]


def test_train_batch_releases_the_gil():
    """While a long batch runs in a worker thread, the main thread keeps running Python code: its
    longest pause is far shorter than the batch (a kernel holding the GIL would freeze it throughout,
    as the regex control shows)."""
    config = _model()
    for repeat in (30, 120, 480):   # a longer batch on a fast machine (flaked at 0.099 s once)
        tokens, offsets = _chunks(IDS * repeat, 1)[0]
        pause, batch = _longest_main_thread_pause(
            lambda: _core.train_batch(config, _core.Rng(0), tokens, offsets, 0.01, 0.01))
        if batch > 0.25:
            break
    assert batch > 0.1, "batch too short to tell"
    assert pause < 0.5 * batch
    # control: a C call that holds the GIL (the regex engine) does freeze the main thread
    pause, busy = _longest_main_thread_pause(lambda: re.match(r"(a+)+b", "a" * 22))
    assert busy > 0.05 and pause > 0.5 * busy
