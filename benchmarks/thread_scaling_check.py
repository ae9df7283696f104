"""Thread scaling of the batch kernel alone: 1 thread vs N threads on pre-encoded batches.

An investigation script, not part of the suite. It takes the trainer's Python side out of the
picture (no reader thread, no queue: the corpus is encoded once, then the threads take batches of
~45k words from a shared list and call ``kernels.core.train_batch``), so what it measures is the
kernel and the machine. Every configuration runs in a fresh process, interleaved, ``--repeats``
times; each run prints wall and CPU seconds, and the medians come last.

``--separate-hot K`` gives the threads after the first (together) other rows than the first thread
for the K most frequent words (by renumbering their word ids so that the K most frequent words swap
places with the K rarest ones; counts, thresholds and negatives are permuted alike). Training is then no longer one
model, but the work per word is the same, and the threads no longer write the same rows for the
words that dominate the negatives, so a slowdown caused by cores fighting over those rows goes
away. ``separate models`` gives every thread its own copy of the weights (same process, same
batches, same code, nothing written is shared), so it shows what sharing the weight rows costs on
the machine. Two more configurations run single-thread processes side by side (no shared memory)
and the whole trainer (``Word2Vec.train`` with its reader thread) on a file of the same first words,
with 1 and N workers. words/s counts raw words for all; ``--only`` picks configurations by name.

    python benchmarks/thread_scaling_check.py --corpus dev.txt --threads 2 --repeats 8
"""
import argparse
import os
import statistics
import subprocess
import sys
import threading
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BATCH_WORDS = 45_000


def encode(corpus, words):
    from fastw2v import Word2Vec
    from fastw2v.corpus import iter_file_batches
    model = Word2Vec(min_count=5)
    model.build_vocab(corpus_file=corpus)
    tokens, offsets, done = [], [0], 0
    for batch in iter_file_batches(corpus, model._vocab_hash()):
        tokens.append(batch.tokens)
        offsets.extend((batch.offsets[1:] + offsets[-1]).tolist())
        done += batch.raw_words
        if done >= words:
            break
    return np.concatenate(tokens), np.array(offsets, np.int64), model.vocab.counts, done


def run_trainer(args):
    """The whole trainer (reader thread, queue, workers) on the same first words of the corpus."""
    import tempfile
    from fastw2v import Word2Vec
    model = Word2Vec(vector_size=100, window=5, negative=5, sample=1e-3, min_count=5, sg=args.sg,
                     workers=args.run_threads, seed=1)
    model.build_vocab(corpus_file=args.corpus)   # the full corpus's vocabulary, as the kernel runs
    raw = 0
    with open(args.corpus, "rb") as src, tempfile.NamedTemporaryFile("wb", suffix=".txt") as head:
        for line in src:
            head.write(line)
            raw += len(line.split())
            if raw >= args.words:
                break
        head.flush()
        cpu, wall = time.process_time(), time.perf_counter()
        model.train(corpus_file=head.name, total_words=raw, epochs=1)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(f"RESULT {raw / wall:.0f} {wall:.3f} {cpu:.3f}", flush=True)


def run_once(args):
    """One measurement in this process; prints one line."""
    from fastw2v import tables
    from fastw2v.kernels import core
    if args.trainer:
        return run_trainer(args)
    tokens, offsets, counts, raw = encode(args.corpus, args.words)
    V, D = len(counts), 100
    rng = np.random.default_rng(1)
    w_in = (rng.random((V, D), dtype=np.float32) - np.float32(0.5)) / np.float32(D)
    w_out = np.zeros((V, D), np.float32)

    def config(order, weights_in=w_in, weights_out=w_out):
        c = np.ascontiguousarray(counts[np.argsort(order)])   # c[order[w]] = counts[w]
        sampler = core.AliasSampler(c, 0.75, 1)
        return core.TrainConfig(weights_in, weights_out, None, tables.keep_thresholds(c, 1e-3),
                                sampler.threshold, sampler.alias, None, None, None, sg=args.sg,
                                negative=5, hs=0, window=5)

    identity, swapped = np.arange(V), np.arange(V)
    k = args.separate_hot
    if k:
        swapped[:k], swapped[V - k:] = np.arange(V - k, V), np.arange(k)
    if args.separate_models:   # every thread its own weights: nothing written is shared
        configs = [config(identity, w_in.copy(), np.zeros_like(w_out)) for _ in range(args.run_threads)]
    else:
        configs = [config(identity)] + [config(swapped)] * (args.run_threads - 1)
    ids = [tokens, swapped[tokens].astype(np.int32)]
    starts = np.searchsorted(offsets, np.arange(0, len(tokens), BATCH_WORDS))
    bounds = sorted(set(starts.tolist() + [len(offsets) - 1]))
    batches = [(a, b) for a, b in zip(bounds, bounds[1:]) if b > a]
    lock, cursor = threading.Lock(), iter(range(len(batches)))

    def work(t):
        stream, own = core.Rng(t + 1), ids[min(t, 1)]
        while True:
            with lock:
                j = next(cursor, None)
            if j is None:
                return
            a, b = batches[j]
            core.train_batch(configs[t], stream, np.ascontiguousarray(own[offsets[a]:offsets[b]]),
                             offsets[a:b + 1] - offsets[a], 0.025, 0.025)

    cpu, wall = time.process_time(), time.perf_counter()
    threads = [threading.Thread(target=work, args=(t,)) for t in range(args.run_threads)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(f"RESULT {raw / wall:.0f} {wall:.3f} {cpu:.3f}", flush=True)


def measure(args, threads, separate_hot, independent, trainer=False, separate_models=False):
    cmd = [sys.executable, os.path.abspath(__file__), "--corpus", args.corpus, "--words", str(args.words),
           "--sg", str(args.sg), "--run-threads", str(1 if independent else threads),
           "--separate-hot", str(separate_hot)] + (["--trainer"] if trainer else []) \
        + (["--separate-models"] if separate_models else [])
    copies = threads if independent else 1
    procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True) for _ in range(copies)]
    results = []
    for proc in procs:
        out, _ = proc.communicate()
        line = next(x for x in out.splitlines() if x.startswith("RESULT"))
        results.append([float(v) for v in line.split()[1:]])
    words_per_s = sum(r[0] for r in results)   # side-by-side processes: their rates add up
    return words_per_s, max(r[1] for r in results), sum(r[2] for r in results)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", required=True, help="plain LineSentence file")
    parser.add_argument("--words", type=int, default=1_500_000, help="raw words to train on")
    parser.add_argument("--sg", type=int, default=1)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=8)
    parser.add_argument("--separate-hot", type=int, default=256, help="K for the separated-rows runs")
    parser.add_argument("--run-threads", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--only", default="", help="comma list of configuration names to run "
                        "('1 thread' always runs): threads, hot, models, processes, trainer")
    parser.add_argument("--trainer", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--separate-models", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run_threads:
        return run_once(args)
    n = args.threads
    # (name, key for --only, threads, separate_hot, independent processes, trainer, separate models)
    configs = [("1 thread", "", 1, 0, False, False, False),
               (f"{n} threads", "threads", n, 0, False, False, False),
               (f"{n} threads, hot rows separated (K={args.separate_hot})", "hot", n, args.separate_hot,
                False, False, False),
               (f"{n} threads, separate models", "models", n, 0, False, False, True),
               (f"{n} single-thread processes side by side", "processes", n, 0, True, False, False),
               ("trainer, 1 worker", "trainer", 1, 0, False, True, False),
               (f"trainer, {n} workers", "trainer", n, 0, False, True, False)]
    only = set(filter(None, args.only.split(",")))
    unknown = only - {key for _, key, *_ in configs}
    if unknown:
        parser.error(f"unknown --only name(s): {sorted(unknown)}")
    configs = [c for c in configs if not only or not c[1] or c[1] in only]
    seen = {name: [] for name, *_ in configs}
    for rep in range(args.repeats):
        for name, _, threads, hot, independent, trainer, models in configs:
            rate, wall, cpu = measure(args, threads, hot, independent, trainer, models)
            seen[name].append(rate)
            print(f"[rep {rep + 1}/{args.repeats}] {name}: {rate:,.0f} words/s, wall {wall:.2f} s, "
                  f"cpu {cpu:.2f} s", flush=True)
    base = statistics.median(seen["1 thread"])
    print(f"\nsg={args.sg}, {args.words:,} words, medians of {args.repeats} (min .. max):")
    for name, rates in seen.items():
        print(f"  {name}: {statistics.median(rates):,.0f} words/s ({min(rates):,.0f} .. {max(rates):,.0f}), "
              f"{statistics.median(rates) / base:.2f}x the 1-thread median")


if __name__ == "__main__":
    sys.path.insert(0, ROOT)
    main()
