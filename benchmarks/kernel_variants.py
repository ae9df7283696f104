#!/usr/bin/env python3
"""Words/s of each kernel build (``_core``, ``_core_avx2``, and the fast-arithmetic ``_core_fma``,
``_core_avx512``, ``_core_blas``), interleaved over repeats (medians, with min and max).

Kernels alone, single thread, on a synthetic Zipf token stream (no corpus reading, no threads), which
isolates the kernels' arithmetic and memory behaviour:

    python benchmarks/kernel_variants.py --dims 100,300 --vocab 30000,135000 --repeats 3

Whole training, ``Word2Vec.train`` on a corpus file with ``--workers`` threads (1 epoch; the
vocabulary is built once per dimension and mode, each run trains a copy of the same initial model,
the build chosen by setting ``fastw2v.kernels.core``):

    python benchmarks/kernel_variants.py --corpus dev.txt --dims 100,300 --workers 2 --repeats 3

Builds not compiled are skipped with a note (``FASTW2V_EXPERIMENT_VARIANTS=1 python setup.py
build_ext --inplace`` builds the experimental ones).
"""
import argparse
import copy
import importlib
import json
import statistics
import time

import numpy as np

from fastw2v import kernels, tables


def _stream(vocab, n_tokens, seed=0):
    rng = np.random.default_rng(seed)
    counts = np.maximum((1e8 / np.arange(1, vocab + 1) ** 1.05).astype(np.int64), 5)
    p = counts / counts.sum()
    tokens = rng.choice(vocab, size=n_tokens, p=p).astype(np.int32)
    offsets = np.arange(0, n_tokens + 1, 1000, dtype=np.int64)
    return counts, tokens, offsets


def _config(module, counts, dim, sg, batch_mode, sample):
    rng = np.random.default_rng(1)
    V = len(counts)
    W_in = ((rng.random((V, dim), dtype=np.float32) - 0.5) / dim)
    W_out = np.empty((V, dim), np.float32)
    W_out.fill(0.0)                 # touch every page now: first-touch faults are not kernel time
    sampler = module.AliasSampler(counts, power=0.75)
    return module.TrainConfig(W_in, W_out, None, tables.keep_thresholds(counts, sample), sampler.threshold,
                              sampler.alias, None, None, None, sg=sg, negative=5, hs=False, window=5,
                              batch_mode=batch_mode)


def _train_runs(args, builds, modes):
    """Word2Vec.train words/s per build on ``args.corpus``: one vocabulary per (dim, mode), then
    ``repeats`` rounds that train a copy of the same initial model once with each build."""
    from fastw2v import Word2Vec
    results = []
    for dim in map(int, args.dims.split(",")):
        for mode in args.modes.split(","):
            sg, batch_mode = modes[mode]
            base = Word2Vec(vector_size=dim, sg=sg, batch_mode=batch_mode, workers=args.workers,
                            epochs=1, sample=args.sample, seed=1, window=5, negative=5, min_count=5)
            base.build_vocab(corpus_file=args.corpus)
            times = {name: [] for name, _ in builds}
            for r in range(args.repeats):
                for name, module in builds[r % len(builds):] + builds[:r % len(builds)]:
                    # interleaved, each round starting one build later (no build always first)
                    model = copy.deepcopy(base)
                    kernels.core = module
                    t0 = time.perf_counter()
                    _, raw = model.train(corpus_file=args.corpus, total_words=model.corpus_total_words,
                                         epochs=1)
                    times[name].append(time.perf_counter() - t0)
            first = statistics.median(times[builds[0][0]])
            for name, _ in builds:
                ts = times[name]
                med = statistics.median(ts)
                row = dict(dim=dim, mode=mode, build=name, workers=args.workers, seconds=ts,
                           words_per_s=raw / med, words_per_s_min=raw / max(ts),
                           words_per_s_max=raw / min(ts), speedup_vs_first=first / med,
                           raw_words=raw, vocab=len(base.wv))
                results.append(row)
                print(f"D={dim:>3} {mode:<9} {name:<13} {raw / med / 1e3:7.0f}k words/s "
                      f"(min {raw / max(ts) / 1e3:.0f}k, max {raw / min(ts) / 1e3:.0f}k) "
                      f"x{first / med:.3f}", flush=True)
    return results


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--builds", default="_core,_core_avx2,_core_fma,_core_avx512,_core_blas")
    p.add_argument("--corpus", help="time Word2Vec.train on this corpus file instead of the kernels alone")
    p.add_argument("--workers", type=int, default=2, help="threads of the --corpus runs (default 2)")
    p.add_argument("--dims", default="100,300")
    p.add_argument("--vocab", default="30000,135000")
    p.add_argument("--modes", default="sg-exact,sg-shared,cbow")
    p.add_argument("--tokens", type=int, default=300_000)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--sample", type=float, default=1e-4, help="subsampling threshold (default 1e-4)")
    p.add_argument("--json", help="write the results here too")
    args = p.parse_args(argv)
    modes = {"sg-exact": (1, "exact"), "sg-shared": (1, "shared_negatives"), "cbow": (0, "exact")}
    import fastw2v
    print(f"fastw2v from {fastw2v.__file__}", flush=True)
    builds = []
    for name in args.builds.split(","):
        try:
            builds.append((name, importlib.import_module(f"fastw2v.{name}")))
        except ImportError:
            print(f"skip {name}: not built")
    if args.corpus:
        results = _train_runs(args, builds, modes)
        if args.json:
            with open(args.json, "w") as f:
                json.dump(results, f, indent=1)
        return
    results = []
    for vocab in map(int, args.vocab.split(",")):
        counts, tokens, offsets = _stream(vocab, args.tokens)
        for dim in map(int, args.dims.split(",")):
            for mode in args.modes.split(","):
                sg, batch_mode = modes[mode]
                times = {name: [] for name, _ in builds}
                for _ in range(args.repeats):
                    for name, module in builds:          # interleaved
                        config = _config(module, counts, dim, sg, batch_mode, args.sample)
                        module.train_batch(config, module.Rng(1), tokens[:20_000], offsets[:21], 0.025, 0.025)
                        t0 = time.perf_counter()
                        kept, _ = module.train_batch(config, module.Rng(2), tokens, offsets, 0.025, 0.0001)
                        times[name].append(time.perf_counter() - t0)
                        kept_share = kept / len(tokens)
                base = statistics.median(times[builds[0][0]])
                for name, _ in builds:
                    med = statistics.median(times[name])
                    row = dict(vocab=vocab, dim=dim, mode=mode, build=name, seconds=med,
                               words_per_s=args.tokens / med, kept_share=kept_share,
                               speedup_vs_first=base / med)
                    results.append(row)
                    print(f"V={vocab:>7} D={dim:>3} {mode:<9} {name:<11} {args.tokens / med / 1e3:8.0f}k words/s "
                          f"(kept {kept_share:.0%}: {args.tokens * kept_share / med / 1e3:6.0f}k kept/s) x{base / med:.2f}", flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
