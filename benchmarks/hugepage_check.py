"""Do transparent huge pages for the weight matrices change training speed? (issue 20, "means")

NumPy already asks for huge pages: on Linux it calls ``madvise(MADV_HUGEPAGE)`` on every array
of 4 MiB or more (``numpy._core.multiarray._get_madvise_hugepage()``), which takes effect when
``/sys/kernel/mm/transparent_hugepage/enabled`` is ``always`` or ``madvise``. This script trains
the same model in fresh processes with that advice on and off (``_set_madvise_hugepage``),
interleaved, and reports the training seconds (vocabulary excluded), raw words/s and the
process's ``AnonHugePages`` (from /proc/self/smaps_rollup) after training.

    python benchmarks/hugepage_check.py CORPUS --runs 3 --vector-size 300 --out OUT

Record the machine load: other processes make the timings meaningless.
"""
import argparse
import json
import statistics
import subprocess
import sys
import time


def _anon_huge_kb():
    try:
        with open("/proc/self/smaps_rollup") as f:
            for line in f:
                if line.startswith("AnonHugePages:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def one(args):
    from numpy._core import multiarray
    multiarray._set_madvise_hugepage(args.one == "on")
    from fastw2v import Word2Vec
    model = Word2Vec(vector_size=args.vector_size, sg=args.sg, workers=2, min_count=args.min_count,
                     sample=1e-4, seed=1)
    model.build_vocab(corpus_file=args.corpus)
    t0 = time.perf_counter()
    _, raw = model.train(corpus_file=args.corpus, total_words=model.corpus_total_words, epochs=1)
    seconds = time.perf_counter() - t0
    return {"hugepages": args.one, "train_s": seconds, "words_per_s": raw / seconds,
            "anon_huge_mb": (_anon_huge_kb() or 0) / 1024, "n_words": len(model.wv),
            "weights_mb": (model.wv.vectors.nbytes + model.syn1neg.nbytes) / 2**20}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("corpus")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--vector-size", type=int, default=300)
    ap.add_argument("--sg", type=int, default=1)
    ap.add_argument("--min-count", type=int, default=5)
    ap.add_argument("--out", help="write OUT.json (all runs) and OUT.txt (summary)")
    ap.add_argument("--one", choices=("on", "off"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        print(json.dumps(one(args)))
        return
    with open("/sys/kernel/mm/transparent_hugepage/enabled") as f:
        thp = f.read().strip()
    results = []
    for run in range(args.runs):
        for mode in ("on", "off"):
            cmd = [sys.executable, __file__, args.corpus, "--one", mode, "--vector-size",
                   str(args.vector_size), "--sg", str(args.sg), "--min-count", str(args.min_count)]
            out = json.loads(subprocess.run(cmd, check=True, capture_output=True,
                                            text=True).stdout.splitlines()[-1])
            out["run"] = run
            print(json.dumps(out), flush=True)
            results.append(out)
    lines = [f"hugepage_check: {args.corpus}, dim {args.vector_size}, sg {args.sg}, min_count "
             f"{args.min_count}, 2 workers, 1 epoch, {args.runs} interleaved runs; THP: {thp}"]
    med = {}
    for mode in ("on", "off"):
        runs = [r for r in results if r["hugepages"] == mode]
        med[mode] = statistics.median(r["words_per_s"] for r in runs)
        lines.append(f"  madvise {mode:>3}: median {med[mode]:,.0f} words/s, AnonHugePages "
                     f"{statistics.median(r['anon_huge_mb'] for r in runs):.0f} MiB "
                     f"(weights {runs[0]['weights_mb']:.0f} MiB, {runs[0]['n_words']:,} words)")
    lines.append(f"  on / off: {med['on'] / med['off']:.3f}")
    print("\n".join(lines))
    if args.out:
        with open(args.out + ".json", "w") as f:
            json.dump(results, f, indent=1)
        with open(args.out + ".txt", "w") as f:
            f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
