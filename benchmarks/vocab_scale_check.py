#!/usr/bin/env python3
"""Vocabulary building, fastw2v against gensim: seconds and peak memory, each run in a fresh process.

    python benchmarks/vocab_scale_check.py --corpus longtail --work /tmp/vocab-work \\
        --out benchmarks/results/2026-12-02b-2core/vocab-longtail.json [--runs 3] [--dim 300]
    python benchmarks/vocab_scale_check.py --corpus dev ...          # en-mixed-dev.txt.gz, decompressed
    python benchmarks/vocab_scale_check.py --corpus zipf ...         # zipf_corpus.py, 10M tokens over 2M types
    python benchmarks/vocab_scale_check.py --corpus longtail --max-vocab-size 2000000 ...

Each run is ``Word2Vec(vector_size=DIM, min_count=5, workers=2, ...)`` then
``build_vocab(corpus_file=PATH)`` (the same two calls ``compare.py`` times as ``vocab_s``), in a child
process of its own; systems alternate run by run (interleaved). A child reports the wall time of
those two calls, its peak resident memory (``resource.getrusage(RUSAGE_SELF).ru_maxrss``: the whole
process, interpreter and imports included; ``base_mb`` is the peak just before the calls) and a
SHA-256 of the kept words and counts, sorted by word, so that the two systems' vocabularies are
compared exactly (their orders differ only among equal counts, see ``fastw2v.vocab``).

The ``longtail`` corpus (written by this script, seeded) is the web-crawl regime of issue 20 item 4:
20M tokens, half of them drawn from a Zipf distribution over 32,000 four-letter words (all of which
pass min_count 5) and half random nine-letter tokens (each seen about once), so about 10M distinct
tokens of which about 32k are kept at min_count 5. Medians over the runs and the fastw2v / gensim
ratios go into ``--out`` (JSON) with the CPU model and the load before and after.
"""
import argparse
import gzip
import hashlib
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.dirname(HERE)
DEV_CORPUS = "/work/shared/corpora/en-mixed-dev.txt.gz"

#: longtail corpus: tokens, share of one-off noise tokens, Zipf core size and exponent, line length
LONGTAIL_TOKENS = 20_000_000
LONGTAIL_NOISE = 0.5
LONGTAIL_CORE_TYPES = 32_000
LONGTAIL_CORE_WIDTH = 4        # letters of a core word (26**4 > 32,000)
LONGTAIL_NOISE_WIDTH = 9       # letters of a noise token (26**9 ~ 5.4e12: collisions are rare)
LONGTAIL_EXPONENT = 1.0
LINE_TOKENS = 1000
CHUNK_TOKENS = 1 << 20


def write_longtail(path, tokens=LONGTAIL_TOKENS, seed=0):
    """Write the longtail corpus (see the module docstring) to ``path``; deterministic for the seed."""
    sys.path.insert(0, HERE)
    from zipf_corpus import _spell, word_probabilities

    cdf = np.cumsum(word_probabilities(LONGTAIL_CORE_TYPES, LONGTAIL_EXPONENT))
    cdf[-1] = 1.0
    rng = np.random.default_rng(seed)
    width = LONGTAIL_NOISE_WIDTH + 1   # bytes per token slot; core words are padded by shorter lines
    written = 0
    tmp = path + ".part"
    with open(tmp, "wb") as f:
        while written < tokens:
            n = min(CHUNK_TOKENS - CHUNK_TOKENS % LINE_TOKENS, tokens - written)
            noise = rng.random(n) < LONGTAIL_NOISE
            core = np.minimum(np.searchsorted(cdf, rng.random(n), side="right"), LONGTAIL_CORE_TYPES - 1)
            random_ids = rng.integers(0, 26 ** LONGTAIL_NOISE_WIDTH, n)
            cells = np.zeros((n, width), dtype=np.uint8)   # 0 = no byte
            spelt_core = _spell(core, LONGTAIL_CORE_WIDTH)
            spelt_noise = _spell(random_ids, LONGTAIL_NOISE_WIDTH)
            cells[~noise, :LONGTAIL_CORE_WIDTH + 1] = spelt_core[~noise]
            cells[noise, :] = spelt_noise[noise]
            # the separator after the last token of each line (and of the chunk) becomes a newline
            ends = np.arange(LINE_TOKENS - 1, n, LINE_TOKENS).tolist() + [n - 1]
            for e in set(ends):
                last = LONGTAIL_NOISE_WIDTH if noise[e] else LONGTAIL_CORE_WIDTH
                cells[e, last] = 10
            flat = cells.reshape(-1)
            f.write(flat[flat != 0].tobytes())
            written += n
    os.replace(tmp, path)


def corpus_path(name, work):
    os.makedirs(work, exist_ok=True)
    if name == "dev":   # decompressed: gensim's corpus_file refuses .gz
        path = os.path.join(work, "en-mixed-dev.txt")
        if not os.path.exists(path):
            with gzip.open(DEV_CORPUS, "rb") as src, open(path + ".part", "wb") as dst:
                shutil.copyfileobj(src, dst, 1 << 20)
            os.replace(path + ".part", path)
        return path
    if name == "zipf":
        path = os.path.join(work, "zipf-10M-2M.txt")
        if not os.path.exists(path):
            subprocess.run([sys.executable, os.path.join(HERE, "zipf_corpus.py"), path,
                            "--tokens", "10000000", "--types", "2000000"], check=True)
        return path
    if name == "longtail":
        path = os.path.join(work, "longtail-20M.txt")
        if not os.path.exists(path):
            write_longtail(path)
        return path
    raise SystemExit(f"vocab_scale_check.py: unknown --corpus {name!r}")


def _peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0   # KiB on Linux


def child(system, path, dim, min_count, max_vocab_size, fastw2v_root):
    """One run in this (fresh) process: prints one JSON line."""
    if system == "fastw2v":
        sys.path.insert(0, fastw2v_root)
        import fastw2v
        from fastw2v import Word2Vec
        if os.path.dirname(os.path.dirname(os.path.abspath(fastw2v.__file__))) != os.path.abspath(fastw2v_root):
            raise SystemExit(f"imported {fastw2v.__file__}, not the one under {fastw2v_root}")
    else:
        from gensim.models import Word2Vec
    base = _peak_mb()
    t0 = time.perf_counter()
    model = Word2Vec(vector_size=dim, min_count=min_count, max_vocab_size=max_vocab_size, workers=2,
                     sample=1e-4, negative=5, window=5, seed=1)
    model.build_vocab(corpus_file=path)
    seconds = time.perf_counter() - t0
    peak = _peak_mb()
    words = list(model.wv.index_to_key)
    counts = [int(model.wv.get_vecattr(w, "count")) for w in words]
    digest = hashlib.sha256()
    for w, c in sorted(zip(words, counts)):
        digest.update(f"{w}\t{c}\n".encode("utf-8"))
    print(json.dumps({"system": system, "seconds": seconds, "peak_mb": peak, "base_mb": base,
                      "words": len(words), "kept_sha256": digest.hexdigest(),
                      "corpus_total_words": int(model.corpus_total_words),
                      "corpus_count": int(model.corpus_count)}))


def _uptime():
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def _cpu_model():
    out = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
    return next((line.split(":", 1)[1].strip() for line in out.splitlines() if line.startswith("Model name")), "")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--corpus", default="longtail", help="longtail, dev, zipf or a path")
    p.add_argument("--work", default="/tmp/vocab-scale-work", help="where generated corpora go")
    p.add_argument("--out", help="JSON results file")
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--dim", type=int, default=300)
    p.add_argument("--min-count", type=int, default=5)
    p.add_argument("--max-vocab-size", type=int, default=None)
    p.add_argument("--systems", default="fastw2v,gensim")
    p.add_argument("--fastw2v-root", default=REPO_ROOT,
                   help="folder holding the fastw2v package to measure (default: this checkout)")
    p.add_argument("--child", nargs=2, metavar=("SYSTEM", "PATH"), help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child:
        child(args.child[0], args.child[1], args.dim, args.min_count, args.max_vocab_size, args.fastw2v_root)
        return
    path = args.corpus if os.path.exists(args.corpus) else corpus_path(args.corpus, args.work)
    systems = args.systems.split(",")
    load_before = _uptime()
    runs = {s: [] for s in systems}
    for r in range(args.runs):
        for s in systems:
            cmd = [sys.executable, os.path.abspath(__file__), "--child", s, path, "--dim", str(args.dim),
                   "--min-count", str(args.min_count), "--fastw2v-root", args.fastw2v_root]
            if args.max_vocab_size is not None:
                cmd += ["--max-vocab-size", str(args.max_vocab_size)]
            out = subprocess.run(cmd, capture_output=True, text=True)
            if out.returncode:
                raise SystemExit(f"{s} run failed:\n{out.stderr[-3000:]}")
            res = json.loads(out.stdout.strip().splitlines()[-1])
            runs[s].append(res)
            print(f"run {r} {s}: {res['seconds']:.2f} s, peak {res['peak_mb']:.0f} MB "
                  f"(base {res['base_mb']:.0f}), {res['words']} words", flush=True)
    summary = {s: {"seconds_median": statistics.median(x["seconds"] for x in v),
                   "peak_mb_median": statistics.median(x["peak_mb"] for x in v),
                   "base_mb_median": statistics.median(x["base_mb"] for x in v),
                   "words": v[0]["words"], "kept_sha256": v[0]["kept_sha256"],
                   "corpus_total_words": v[0]["corpus_total_words"], "corpus_count": v[0]["corpus_count"]}
               for s, v in runs.items()}
    report = {"corpus": path, "fastw2v_root": os.path.abspath(args.fastw2v_root), "dim": args.dim, "min_count": args.min_count,
              "max_vocab_size": args.max_vocab_size, "runs": runs, "summary": summary,
              "cpu": _cpu_model(), "nproc": os.cpu_count(), "load_before": load_before,
              "load_after": _uptime(), "python": sys.version.split()[0],
              "command": " ".join([os.path.basename(sys.executable)] + sys.argv)}
    if "fastw2v" in summary and "gensim" in summary:
        f, g = summary["fastw2v"], summary["gensim"]
        report["speed_ratio"] = g["seconds_median"] / f["seconds_median"]
        report["peak_ratio"] = f["peak_mb_median"] / g["peak_mb_median"]
        report["same_kept_words_and_counts"] = f["kept_sha256"] == g["kept_sha256"]
        report["same_totals"] = (f["corpus_total_words"] == g["corpus_total_words"]
                                 and f["corpus_count"] == g["corpus_count"])
        print(f"fastw2v {f['seconds_median']:.2f} s / {f['peak_mb_median']:.0f} MB, gensim "
              f"{g['seconds_median']:.2f} s / {g['peak_mb_median']:.0f} MB: speed {report['speed_ratio']:.2f}x, "
              f"peak ratio {report['peak_ratio']:.2f}, same kept words and counts: "
              f"{report['same_kept_words_and_counts']}, same totals: {report['same_totals']}")
    if args.out:
        os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
        with open(args.out, "w") as f:
            json.dump(report, f, indent=1)


if __name__ == "__main__":
    main()
