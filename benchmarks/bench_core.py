"""Throughput of the _core kernels (pytest-benchmark; not part of the normal test run).

    python -m pytest benchmarks/bench_core.py --benchmark-only -q

Single thread; ``train_batch`` is measured in the portable build (``fastw2v._core``) and in the
build the trainer runs (``fastw2v.kernels.core``: the AVX2 one on CPUs that have it). Figures land
in each benchmark's ``extra_info``: ``words_per_s`` (raw corpus words fed per second, the unit
gensim and word2vec.c report), ``kept_words_per_s`` (after subsampling),
``speedup_vs_reference`` (against ``fastw2v.reference.train_batch`` on a slice of the same token
array), and the machine (CPU, cores, BLAS threads) in ``machine``.
"""
import os
import platform
import time

import numpy as np
import pytest

from fastw2v import _core, kernels, reference, tables

V, DIM, WINDOW, NEGATIVE, SAMPLE = 10_000, 100, 5, 5, 1e-3
N_TOKENS, SENTENCE, REFERENCE_SLICE = 300_000, 1_000, 400


def _machine():
    info = {"python": platform.python_version(), "cpu": platform.processor() or platform.machine(),
            "cores": os.cpu_count(), "threads": 1}
    try:
        with open("/proc/cpuinfo") as f:
            info["cpu"] = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    try:
        from threadpoolctl import threadpool_info
        info["blas_threads"] = [p.get("num_threads") for p in threadpool_info()]
    except ImportError:
        info["blas_threads"] = os.environ.get("OPENBLAS_NUM_THREADS", "default")
    return info


MACHINE = _machine()


@pytest.fixture(scope="module")
def corpus():
    rng = np.random.default_rng(0)
    counts = (1e7 / np.arange(1, V + 1)).astype(np.int64)       # Zipf, like natural text
    tokens = rng.choice(V, size=N_TOKENS, p=counts / counts.sum()).astype(np.int32)
    offsets = np.arange(0, N_TOKENS + 1, SENTENCE, dtype=np.int64)
    sampler = _core.AliasSampler(counts, power=0.75)
    codes, points, path_offsets = _core.build_huffman(counts)
    arrays = (tables.keep_thresholds(counts, SAMPLE), sampler.threshold, sampler.alias, codes, points,
              path_offsets)
    return tokens, offsets, arrays


def _configs(arrays, module, sg, hs=False, negative=NEGATIVE):
    rng = np.random.default_rng(1)
    W_in = ((rng.random((V, DIM)) - 0.5) / DIM).astype(np.float32)
    W_out = np.zeros((V, DIM), np.float32)
    W_hs = np.zeros((V - 1, DIM), np.float32)
    return module.TrainConfig(W_in, W_out, W_hs, *arrays, sg=sg, negative=negative, hs=hs, window=WINDOW)


def _reference_words_per_s(corpus, sg, hs, negative):
    tokens, _, arrays = corpus
    tok = np.ascontiguousarray(tokens[:REFERENCE_SLICE])
    off = np.array([0, len(tok)], dtype=np.int64)
    config = _configs(arrays, reference, sg, hs, negative)
    t0 = time.perf_counter()
    reference.train_batch(config, reference.Rng(0), tok, off, 0.025, 0.025)
    return len(tok) / (time.perf_counter() - t0)


MODES = {"sg-ns5": (1, False, NEGATIVE), "cbow-ns5": (0, False, NEGATIVE), "sg-hs": (1, True, 0),
         "cbow-hs": (0, True, 0)}


BUILDS = {"portable": _core, "trainer": kernels.core}


@pytest.mark.parametrize("build", list(BUILDS))
@pytest.mark.parametrize("mode", list(MODES))
def test_train_batch_words_per_second(benchmark, corpus, mode, build):
    sg, hs, negative = MODES[mode]
    tokens, offsets, arrays = corpus
    module = BUILDS[build]
    config = _configs(arrays, module, sg, hs, negative)
    rng = module.Rng(0)
    result = benchmark.pedantic(module.train_batch, args=(config, rng, tokens, offsets, 0.025, 0.0001),
                                rounds=3, iterations=1, warmup_rounds=1)
    seconds = benchmark.stats.stats.mean
    words_per_s = len(tokens) / seconds
    reference_rate = _reference_words_per_s(corpus, sg, hs, negative)
    benchmark.extra_info.update(
        mode=mode, build=module.__name__, dim=DIM, window=WINDOW, negative=negative, sample=SAMPLE,
        vocab=V,
        words_per_s=round(words_per_s), kept_words_per_s=round(result[0] / seconds),
        reference_words_per_s=round(reference_rate),
        speedup_vs_reference=round(words_per_s / reference_rate, 1), machine=MACHINE)
    print(f"\n{mode} ({module.__name__}): {words_per_s:,.0f} words/s "
          f"(reference {reference_rate:,.0f}, x{words_per_s / reference_rate:,.0f})")


def test_alias_draws_per_second(benchmark):
    counts = (1e7 / np.arange(1, V + 1)).astype(np.int64)
    sampler = _core.AliasSampler(counts)
    n = 1_000_000
    benchmark(sampler.sample, n)
    benchmark.extra_info.update(draws_per_s=round(n / benchmark.stats.stats.mean), machine=MACHINE)


@pytest.mark.parametrize("impl", ["core", "numpy"])
def test_table_sigmoid_per_second(benchmark, impl):
    x = np.random.default_rng(0).normal(0, 4, 1_000_000).astype(np.float32)
    fn = _core.table_sigmoid if impl == "core" else tables.table_sigmoid
    benchmark(fn, x)
    benchmark.extra_info.update(values_per_s=round(x.size / benchmark.stats.stats.mean), machine=MACHINE)


@pytest.mark.parametrize("impl", ["core", "np.add.at"])
def test_embedding_backward(benchmark, impl):
    rng = np.random.default_rng(0)
    idx = rng.integers(0, V, size=(1000, 100))
    dout = rng.normal(size=idx.shape + (DIM,)).astype(np.float32)
    dW = np.zeros((V, DIM), np.float32)
    if impl == "core":
        benchmark(_core.embedding_backward, dW, idx, dout)
    else:
        benchmark(np.add.at, dW, idx.reshape(-1), dout.reshape(-1, DIM))
    benchmark.extra_info.update(rows_per_s=round(idx.size / benchmark.stats.stats.mean), machine=MACHINE)
