"""Iterable input with several workers: what the batch handoffs cost (idle CPU), and merging them.

An investigation script, not part of the suite. With iterable input the calling thread reads and
encodes batches in Python, holding the GIL, while the workers train without it; each worker needs
the GIL for a moment after every call (to hand in its result and take the next batch), and waits
for it while the reader holds it. On a machine with as many cores as workers those waits leave a
core idle. The trainer therefore lets a worker take the batches already queued behind the one it
takes and train them in one call (``fastw2v.engine.MERGE_BATCHES``). This script trains one epoch of
skip-gram with ``--workers`` workers over ``fastw2v.corpus.LineSentence`` with batches handed over
one by one (``MERGE_BATCHES = 1``) and merged (the default), and over ``corpus_file`` for comparison,
each run in a fresh process, interleaved, ``--repeats`` times, ``batch_words`` at its default. Every
run prints words/s, train calls, the process's CPU seconds and the machine's idle CPU seconds during
training (``/proc/stat``), and the medians come last. words/s counts raw words.

    python benchmarks/iterable_handoff_check.py --corpus dev.txt --workers 2 --repeats 4
"""
import argparse
import os
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def idle_seconds():
    """Idle CPU seconds of the whole machine so far (all CPUs), or None without /proc/stat (nan)."""
    try:
        with open("/proc/stat") as f:
            fields = f.readline().split()
    except OSError:
        return None
    return int(fields[4]) / os.sysconf("SC_CLK_TCK")


def run_once(args):
    from fastw2v import Word2Vec
    from fastw2v import engine, kernels
    from fastw2v.corpus import LineSentence
    if args.run_mode == "one-by-one":
        engine.MERGE_BATCHES = 1
    kernel, calls = kernels.core, []

    def counted(*a):
        calls.append(1)
        return kernel.train_batch(*a)

    class Counting:   # the kernel module, with train_batch counted
        def __getattr__(self, name):
            return counted if name == "train_batch" else getattr(kernel, name)

    kernels.core = Counting()   # (the engine and the model look it up at every call)
    model = Word2Vec(vector_size=100, window=5, negative=5, sample=1e-3, min_count=5, sg=args.sg,
                     workers=args.workers, seed=1)
    model.build_vocab(corpus_file=args.corpus)
    idle, cpu, wall = idle_seconds(), time.process_time(), time.perf_counter()
    if args.run_mode == "corpus_file":
        model.train(corpus_file=args.corpus, total_words=model.corpus_total_words, epochs=1)
    else:
        model.train(LineSentence(args.corpus), total_examples=model.corpus_count, epochs=1)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    kernels.core = kernel
    idle = None if idle is None else idle_seconds() - idle
    print(f"RESULT {model.corpus_total_words / wall:.0f} {wall:.3f} {cpu:.3f} "
          f"{'nan' if idle is None else f'{idle:.3f}'} {len(calls)}", flush=True)


def measure(args, mode):
    cmd = [sys.executable, os.path.abspath(__file__), "--corpus", args.corpus, "--sg", str(args.sg),
           "--workers", str(args.workers), "--run-mode", mode]
    out = subprocess.run(cmd, stdout=subprocess.PIPE, text=True, check=True).stdout
    line = next(x for x in out.splitlines() if x.startswith("RESULT"))
    return [float(v) for v in line.split()[1:]]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", required=True, help="plain LineSentence file")
    parser.add_argument("--sg", type=int, default=1)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=4)
    parser.add_argument("--run-mode", choices=("one-by-one", "merged", "corpus_file"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run_mode:
        return run_once(args)
    configs = [("iterable, batches one by one", "one-by-one"), ("iterable, merged", "merged"),
               ("corpus_file", "corpus_file")]
    seen = {name: [] for name, _ in configs}
    for rep in range(args.repeats):
        for name, mode in configs:
            rate, wall, cpu, idle, calls = measure(args, mode)
            seen[name].append((rate, cpu, idle))
            print(f"[rep {rep + 1}/{args.repeats}] {name}: {rate:,.0f} words/s, {calls:.0f} calls, "
                  f"wall {wall:.2f} s, cpu {cpu:.2f} s, machine idle {idle:.2f} s", flush=True)
    print(f"\nsg={args.sg}, {args.workers} workers, medians of {args.repeats}:")
    for name, runs in seen.items():
        rate, cpu, idle = (statistics.median(r[i] for r in runs) for i in range(3))
        print(f"  {name}: {rate:,.0f} words/s, cpu {cpu:.2f} s, machine idle {idle:.2f} s")


if __name__ == "__main__":
    sys.path.insert(0, ROOT)
    main()
