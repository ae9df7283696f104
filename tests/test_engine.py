"""The epoch engine (fastw2v/engine.py) on its own: no Word2Vec object, only a TrainConfig, batches,
a seed function and a schedule (its contract, in the module docstring)."""
import numpy as np
import pytest
from numpy.testing import assert_array_equal

from fastw2v import engine, kernels, tables
from fastw2v.corpus import IdBatch

V, D = 30, 8


def _config(seed):
    rng = np.random.default_rng(seed)
    counts = rng.integers(1, 50, V)
    W_in = ((rng.random((V, D), dtype=np.float32) - 0.5) / D).astype(np.float32)
    W_out = np.zeros((V, D), dtype=np.float32)
    sampler = kernels.core.AliasSampler(counts, power=0.75)
    config = kernels.core.TrainConfig(W_in, W_out, None, tables.keep_thresholds(counts, 1e-2),
                                      sampler.threshold, sampler.alias, None, None, None, sg=1,
                                      negative=3, hs=False, window=3)
    return config, counts


def _batches(seed, n):
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        lengths = rng.integers(1, 12, 5)
        tokens = rng.integers(0, V, lengths.sum()).astype(np.int32)
        offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
        out.append(IdBatch(tokens, offsets, int(lengths.sum()) + 2, 5))
    return out


def test_one_worker_trains_every_batch_in_order_with_its_own_stream():
    # the engine with one worker == the kernel called batch by batch with Rng(seeds(b)) and the
    # learning rate from alpha_at before the batch to alpha_at after it: bitwise (same code, one thread)
    batches = _batches(1, 4)
    expected_words = sum(b.raw_words for b in batches)
    alpha_at = engine.alpha_schedule(0.05, 0.001, epochs=2, epoch=1, expected_words=expected_words)
    seeds = lambda b: tables.batch_seed(7, 1, b)   # noqa: E731

    config, counts = _config(0)
    probe = engine.DivergenceProbe(config, counts)
    stats = engine.run_epoch(config, seeds, iter(batches), alpha_at, 1, 2, False, 1.0, 1,
                             expected_words, probe)

    by_hand, _ = _config(0)
    kept, loss, done = 0, 0.0, 0
    for b, batch in enumerate(batches):
        a0 = alpha_at(done)
        done += batch.raw_words
        k, l = kernels.core.train_batch(by_hand, kernels.core.Rng(seeds(b)), batch.tokens,
                                        batch.offsets, a0, alpha_at(done))
        kept, loss = kept + k, loss + l
    assert_array_equal(config.W_in, by_hand.W_in)
    assert_array_equal(config.W_out, by_hand.W_out)
    assert (stats.effective_words, stats.raw_words) == (kept, expected_words)
    assert stats.loss == loss and stats.loss > 0
    assert engine.all_finite(config)


def test_several_workers_train_every_batch_once_and_close_the_batches():
    batches = _batches(2, 12)
    calls = []

    def source():
        try:
            yield from batches
        finally:
            calls.append("closed")

    config, counts = _config(1)
    alpha_at = engine.alpha_schedule(0.025, 0.0001, 1, 0, sum(b.raw_words for b in batches))
    stats = engine.run_epoch(config, lambda b: b, source(), alpha_at, 3, 2, False, 1.0, 0,
                             sum(b.raw_words for b in batches), None,
                             engine.merge_limit(3, 50, from_file=False),
                             (lambda: calls.append("begin"), lambda: calls.append("end")))
    assert stats.raw_words == sum(b.raw_words for b in batches)
    assert calls.count("closed") == 1 and calls.count("begin") == calls.count("end") >= 1
    assert calls.count("begin") <= len(batches)   # merged calls train several batches at once


def test_a_non_finite_batch_raises_training_diverged():
    config, counts = _config(2)
    batches = _batches(3, 3)
    alpha_at = engine.alpha_schedule(1e38, 1e38, 1, 0, 1)
    with pytest.raises(engine.TrainingDivergedError):
        engine.run_epoch(config, lambda b: b, iter(batches), alpha_at, 2, 2, False, 1.0, 0, 1,
                         engine.DivergenceProbe(config, counts))


def test_merge_limit():
    assert engine.merge_limit(1, 100, from_file=False) == 1
    assert engine.merge_limit(4, 100, from_file=True) == 1
    assert engine.merge_limit(4, 10_000, from_file=False) == engine.MERGE_WORDS // 10_000
    assert engine.merge_limit(4, 100, from_file=False) == engine.MERGE_BATCHES
    assert engine.merge_limit(4, 10 ** 6, from_file=False) == 1
