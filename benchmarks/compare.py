#!/usr/bin/env python3
"""Side-by-side benchmark: fastw2v against gensim, word2vec.c and fastText on the same corpus.

Every system trains on the same uncompressed LineSentence file with the same hyperparameters
(dim 100, window 5, negative 5, sample 1e-3, min_count 5; alpha 0.025 sg / 0.05 cbow), each run in
a child process of its own (``compare.py --run-one SYSTEM``) so that its peak RSS is measured
exactly (``os.wait4``). Runs are interleaved (A B C A B C ...) over ``--repeats`` repetitions and
medians are reported (quality scores: means over the repetitions' seeds). The parent then evaluates
every run's vectors with one evaluator (WordSim-353 Spearman, analogy accuracy with
restrict_vocab=30000) and writes report.json, report.md and chart.png into ``--out-dir``.

    python benchmarks/compare.py                         # dev corpus, sg, 1 epoch, workers 1,2, 3 reps
    python benchmarks/compare.py --sg 0,1 --epochs 5 --systems fastw2v,gensim,word2vec.c
    python benchmarks/compare.py --smoke --out-dir /tmp/smoke   # a few seconds; the test suite runs it

Exit status: 0 when every run succeeded or was skipped, 1 when any run FAILED (the reports are
written all the same), 2 on bad arguments.
"""
import argparse
import bz2
import datetime
import gzip
import json
import lzma
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.dirname(HERE)
# An installed fastw2v wins; a source checkout that is not installed is found as a fallback.
if REPO_ROOT not in sys.path:
    sys.path.append(REPO_ROOT)

import _report  # noqa: E402
from _systems import ALPHA, SYSTEMS, RunConfig, Unavailable  # noqa: E402

SHARED_CORPORA = os.path.join(REPO_ROOT, os.pardir, "shared", "corpora")
DEV_CORPUS = "en-mixed-dev.txt.gz"
WORDSIM = "wordsim353.tsv"
QUESTIONS = "questions-words.txt"
SMOKE_WORKERS = [1]
SMOKE_EPOCHS = 3
SMOKE_SLICE_WORDS = 300


def _int_list(text):
    return [int(x) for x in text.split(",") if x.strip()]


def build_parser():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--systems", default=None,
                   help=f"comma list from {', '.join(SYSTEMS)} (default: all but "
                        f"{', '.join(n for n, s in SYSTEMS.items() if not s.default)})")
    p.add_argument("--corpus", help=f"corpus file, plain or .gz/.bz2/.xz, or zipf:TOKENS:TYPES[:EXPONENT] for a "
                                    f"seeded synthetic one (benchmarks/zipf_corpus.py) (default: {DEV_CORPUS} in "
                                    "../shared/corpora/ if that folder exists, else the embedded US-speeches corpus)")
    p.add_argument("--sg", default="1", help="1 skip-gram, 0 CBOW, or '0,1' for both (default 1)")
    p.add_argument("--epochs", type=int, default=None, help=f"epochs (default 1; --smoke: {SMOKE_EPOCHS})")
    p.add_argument("--workers", default="1,2", help="comma list of worker-thread counts (default 1,2)")
    p.add_argument("--repeats", type=int, default=3, help="interleaved repetitions, medians reported (default 3)")
    p.add_argument("--seeds", default=None, help="comma list; repetition r uses seeds[r mod len] (default 1..repeats)")
    p.add_argument("--dim", type=int, default=100)
    p.add_argument("--window", type=int, default=5)
    p.add_argument("--negative", type=int, default=5)
    p.add_argument("--sample", type=float, default=1e-3)
    p.add_argument("--min-count", type=int, default=5)
    p.add_argument("--slice-words", type=int, default=5000,
                   help="raw words the NumPy reference trains on (default 5000)")
    p.add_argument("--eval-dir", help=f"folder with {WORDSIM} and {QUESTIONS} (default ../shared/corpora/)")
    p.add_argument("--quality", choices=("all", "first", "none"), default="all",
                   help="evaluate every repetition's vectors, the first repetition's, or none (default all)")
    p.add_argument("--blas-threads", type=int, default=1,
                   help="OMP/OPENBLAS/MKL_NUM_THREADS for the children; 0 = inherit (default 1)")
    p.add_argument("--timeout", type=float, default=3600, help="seconds per run before it is killed (default 3600)")
    p.add_argument("--out-dir", help="where report.json, report.md, chart.png go "
                                     "(default benchmarks/scratch/compare-<UTC timestamp>/, git-ignored)")
    p.add_argument("--work-dir", help="temporary files (decompressed corpus, vectors, logs); default a temp dir")
    p.add_argument("--keep-work", action="store_true", help="keep the work dir (vectors, child logs)")
    p.add_argument("--update-readme", action="store_true",
                   help="replace the latest-results block of benchmarks/README.md with this run's table")
    p.add_argument("--smoke", action="store_true",
                   help=f"tiny planted corpus and eval files, 1 repetition, workers {SMOKE_WORKERS}: a few seconds")
    # child mode (internal)
    p.add_argument("--run-one", metavar="SYSTEM", choices=list(SYSTEMS), help=argparse.SUPPRESS)
    p.add_argument("--write-demo-corpus", metavar="PATH", help=argparse.SUPPRESS)
    p.add_argument("--out", help=argparse.SUPPRESS)
    p.add_argument("--vectors", help=argparse.SUPPRESS)
    p.add_argument("--seed", type=int, default=1, help=argparse.SUPPRESS)
    return p


# --------------------------------------------------------------------------- child


def run_one(args):
    """Child process: train one system once and write its result JSON to ``args.out``."""
    system = SYSTEMS[args.run_one]
    result = {"system": system.name}
    try:
        result["version"] = system.probe()
    except Unavailable as exc:
        result.update(status="skipped", reason=str(exc))
    else:
        result["rss_after_import_kib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        cfg = RunConfig(corpus=args.corpus, vectors=args.vectors, sg=int(args.sg), epochs=args.epochs,
                        workers=int(args.workers), seed=args.seed, dim=args.dim, window=args.window,
                        negative=args.negative, sample=args.sample, min_count=args.min_count,
                        slice_words=args.slice_words)
        # No try: a training error must end this process non-zero so that the parent reports FAILED.
        result.update(system.run(cfg), status="ok")
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(result, f)
    return 0


# --------------------------------------------------------------------------- corpus


def _open_any(path):
    opener = {".gz": gzip.open, ".bz2": bz2.open, ".xz": lzma.open}.get(os.path.splitext(path)[1], open)
    return opener(path, "rb")


def prepare_corpus(args, work):
    """Return (plain LineSentence path, display name): decompressed once, shared by every system."""
    if args.smoke:
        import _smoke

        path = os.path.join(work, "smoke-corpus.txt")
        _smoke.write_corpus(path)
        return path, "planted smoke corpus (synthetic)"
    source = args.corpus
    if source is not None and source.startswith("zipf:"):
        return _zipf_corpus(source, work)
    if source is None and os.path.isdir(SHARED_CORPORA):
        source = os.path.join(SHARED_CORPORA, DEV_CORPUS)
    if source is None:
        # Tokenised in a child, to keep fastw2v and NumPy out of the parent (see _compare).
        path = os.path.join(work, "us-speeches.txt")
        log_path = os.path.join(work, "logs", "demo-corpus.log")
        cmd = [sys.executable, os.path.abspath(__file__), "--write-demo-corpus", path]
        if spawn(cmd, dict(os.environ), 600, log_path)[0] != 0:
            raise SystemExit(f"compare.py: no ../shared/corpora/ and the embedded demo corpus failed; "
                             f"pass --corpus PATH\n{_tail(log_path)}")
        return path, "fastw2v.datasets.us_speeches() (embedded demo corpus)"
    if not os.path.exists(source):
        raise SystemExit(f"compare.py: corpus {source} not found")
    name = os.path.basename(source)
    if os.path.splitext(source)[1] not in (".gz", ".bz2", ".xz"):
        return os.path.abspath(source), name
    plain = os.path.join(work, "corpus.txt")
    with _open_any(source) as src, open(plain, "wb") as dst:
        shutil.copyfileobj(src, dst, 1 << 20)
    return plain, name


def _zipf_corpus(spec, work):
    """``zipf:TOKENS:TYPES[:EXPONENT]`` -> a seeded synthetic corpus, written by benchmarks/zipf_corpus.py
    in a child (NumPy stays out of the parent, as for the demo corpus)."""
    parts = spec.split(":")[1:]
    try:
        tokens, types = int(float(parts[0])), int(float(parts[1]))
        exponent = [f"--exponent={float(parts[2])}"] if len(parts) > 2 else []
        if len(parts) > 3:
            raise ValueError
    except (IndexError, ValueError):
        raise SystemExit(f"compare.py: --corpus {spec!r}: expected zipf:TOKENS:TYPES[:EXPONENT]") from None
    path = os.path.join(work, "zipf-corpus.txt")
    log_path = os.path.join(work, "logs", "zipf-corpus.log")
    cmd = [sys.executable, os.path.join(HERE, "zipf_corpus.py"), path, f"--tokens={tokens}",
           f"--types={types}", *exponent]
    if spawn(cmd, dict(os.environ), 3600, log_path)[0] != 0:
        raise SystemExit(f"compare.py: --corpus {spec!r} failed\n{_tail(log_path)}")
    return path, f"synthetic Zipf-Mandelbrot corpus {spec} (benchmarks/zipf_corpus.py, seed 0)"


def write_demo_corpus(path):
    """Tokenise the embedded US-speeches corpus into a LineSentence file (one sentence per line)."""
    from fastw2v.datasets import us_speeches

    with open(path, "w", encoding="utf-8") as f:
        for sentence in us_speeches():
            words = sentence.split() if isinstance(sentence, str) else list(sentence)
            if words:
                f.write(" ".join(words) + "\n")


def count_words(path):
    """Raw words (whitespace-separated tokens) and lines of a plain corpus file."""
    words = lines = 0
    with open(path, "rb") as f:
        for line in f:
            words += len(line.split())
            lines += 1
    return words, lines


def eval_files(args, work):
    if args.smoke:
        import _smoke

        wordsim, questions = os.path.join(work, "smoke-wordsim.tsv"), os.path.join(work, "smoke-questions.txt")
        _smoke.write_wordsim(wordsim)
        _smoke.write_questions(questions)
        return wordsim, questions
    folder = args.eval_dir or SHARED_CORPORA
    found = [os.path.join(folder, name) for name in (WORDSIM, QUESTIONS)]
    return tuple(path if os.path.exists(path) else None for path in found)


# --------------------------------------------------------------------------- parent


def _child_env(blas_threads):
    env = dict(os.environ)
    if blas_threads > 0:
        for key in _report.THREAD_ENV:
            env[key] = str(blas_threads)
    return env


def _maxrss_mib(kib_or_bytes):
    return kib_or_bytes / (2**20 if sys.platform == "darwin" else 2**10)  # bytes on macOS, KiB on Linux


def spawn(cmd, env, timeout, log_path):
    """Run ``cmd`` in a new session; return (exit code, wall s, rusage, timed out)."""
    with open(log_path, "wb") as log:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
        timed_out = False
        try:
            while True:
                # WNOHANG polling instead of a blocking wait4 so that a hung run can be killed.
                pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
                if pid:
                    break
                if time.perf_counter() - t0 > timeout:
                    timed_out = True
                    os.killpg(proc.pid, signal.SIGKILL)  # the whole session: word2vec.c is a grandchild
                    pid, status, usage = os.wait4(proc.pid, 0)
                    break
                time.sleep(0.02)
        except BaseException:  # Ctrl-C: leave no training running behind
            os.killpg(proc.pid, signal.SIGKILL)
            raise
        wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    return proc.returncode, wall, usage, timed_out


def _tail(path, n=25):
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return "".join(f.readlines()[-n:])
    except OSError:
        return ""


def _run_plan(names, sgs, workers):
    """(system, sg, workers) in the order every repetition runs them."""
    return [(name, sg, w) for sg in sgs for name in names for w in (workers if SYSTEMS[name].threaded else [1])]


def main(argv=None):
    args = build_parser().parse_args(argv)
    if args.run_one:
        return run_one(args)
    if args.write_demo_corpus:
        write_demo_corpus(args.write_demo_corpus)
        return 0

    names = [n.strip() for n in args.systems.split(",")] if args.systems else [n for n, s in SYSTEMS.items() if s.default]
    unknown = [n for n in names if n not in SYSTEMS]
    if unknown:
        build_parser().error(f"unknown system(s) {', '.join(unknown)}; choose from {', '.join(SYSTEMS)}")
    sgs = _int_list(args.sg)
    if not sgs or any(sg not in (0, 1) for sg in sgs):
        build_parser().error("--sg takes 0, 1 or 0,1")
    if args.smoke:
        args.repeats, workers = 1, SMOKE_WORKERS
        args.epochs = args.epochs or SMOKE_EPOCHS
        args.slice_words = min(args.slice_words, SMOKE_SLICE_WORDS)
        args.timeout = min(args.timeout, 300)
    else:
        workers = _int_list(args.workers)
        args.epochs = args.epochs or 1
    if args.repeats < 1 or not workers or min(workers) < 1 or args.epochs < 1:
        build_parser().error("--repeats, --workers and --epochs must be positive")
    seeds = _int_list(args.seeds) if args.seeds else list(range(1, args.repeats + 1))

    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    out_dir = os.path.abspath(args.out_dir or os.path.join(HERE, "scratch", f"compare-{stamp}"))
    os.makedirs(out_dir, exist_ok=True)
    work = os.path.abspath(args.work_dir) if args.work_dir else tempfile.mkdtemp(prefix="fastw2v-compare-")
    os.makedirs(os.path.join(work, "logs"), exist_ok=True)
    try:
        return _compare(args, names, sgs, workers, seeds, out_dir, work)
    finally:
        if args.keep_work:
            print(f"work files kept in {work}", file=sys.stderr)
        elif not args.work_dir:
            shutil.rmtree(work, ignore_errors=True)


def _compare(args, names, sgs, workers, seeds, out_dir, work):
    log = lambda msg: print(msg, file=sys.stderr, flush=True)  # noqa: E731
    corpus, corpus_name = prepare_corpus(args, work)
    corpus_words, corpus_lines = count_words(corpus)
    wordsim, questions = eval_files(args, work)
    log(f"corpus {corpus_name}: {corpus_words:,} raw words, {corpus_lines:,} lines")

    # The parent imports no library before the runs (not even to see what is installed: the first
    # child of each system finds out): Linux carries a process's peak RSS across fork and exec, so
    # every child's ru_maxrss is at least the parent's peak at the time of the spawn.
    env = _child_env(args.blas_threads)
    systems = {name: {"description": SYSTEMS[name].description, "status": "ran"} for name in names}
    rss_floor = _maxrss_mib(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
    load_before = _report.loadavg()  # a noisy machine shows here
    runs = []
    for rep in range(args.repeats):
        seed = seeds[rep % len(seeds)]
        for name, sg, w in _run_plan(names, sgs, workers):
            if systems[name]["status"] == "skipped":
                continue
            run = _one_run(args, name, sg, w, rep, seed, corpus, corpus_words, env, work, log)
            if run["status"] == "skipped":
                systems[name].update(status="skipped", reason=run["reason"])
            else:
                runs.append(run)

    load_after = _report.loadavg()
    from _quality import Evaluator

    evaluator = Evaluator(wordsim, questions)
    if args.quality != "none" and evaluator.available and (wordsim or questions):
        for run in runs:
            vectors = run.pop("vectors_path", None)
            if vectors and run["status"] == "ok" and (args.quality == "all" or run["rep"] == 0):
                what = f"{run['system']} {run['mode']} w{run['workers']} rep {run['rep'] + 1}"
                try:
                    run.update(evaluator.evaluate(vectors))
                except Exception as exc:  # keep the timings of a long benchmark; fail loudly at the end
                    run["quality_error"] = f"{type(exc).__name__}: {exc}"
                    log(f"*** quality evaluation of {what} FAILED: {run['quality_error']}")
                else:
                    log(f"quality {what}: wordsim {run.get('wordsim_spearman')}, analogy {run.get('analogy_acc')}")
            if vectors and os.path.exists(vectors) and not args.keep_work:
                os.remove(vectors)
    evaluator_note = evaluator.description if evaluator.available else f"none ({evaluator.description})"
    if not (wordsim or questions):
        evaluator_note += "; no evaluation files found (use --eval-dir)"
    for run in runs:
        run.pop("vectors_path", None)
        info = systems[run["system"]]
        for key in ("version", "call", "notes"):  # from the first successful run
            if run.get(key) and key not in info:
                info[key] = run[key]

    report = {
        "schema": 1,
        "definitions": {"words_per_s": _report.WORDS_PER_S_DEFINITION, "peak_rss": _report.RSS_DEFINITION},
        "machine": _report.machine_info(REPO_ROOT, {k: env.get(k) for k in _report.THREAD_ENV}),
        "settings": {
            "smoke": args.smoke, "corpus_name": corpus_name, "corpus_words": corpus_words,
            "corpus_lines": corpus_lines, "sg": sgs, "epochs": args.epochs, "workers": workers,
            "repeats": args.repeats, "seeds": seeds, "slice_words": args.slice_words,
            "hyperparameters": {"dim": args.dim, "window": args.window, "negative": args.negative,
                                "sample": args.sample, "min_count": args.min_count,
                                "alpha": {"sg": ALPHA[1], "cbow": ALPHA[0]}},
            "rss_floor_mib": rss_floor,
            "blas_threads_note": (f"{args.blas_threads}" if args.blas_threads > 0 else "inherited"),
            "eval_files": {"wordsim": wordsim, "questions": questions}, "quality": args.quality,
        },
        "evaluator": evaluator_note,
        "systems": systems,
        "runs": runs,
        "summary": _report.summarise(runs, systems),
    }
    report["machine"].update(loadavg_before_runs=load_before, loadavg_after_runs=load_after)
    chart_note = _report.write_chart(os.path.join(out_dir, "chart.png"), report)
    report["chart"] = None if chart_note else "chart.png"
    report["chart_note"] = chart_note
    _report.write_json(os.path.join(out_dir, "report.json"), report)
    _report.write_markdown(os.path.join(out_dir, "report.md"), report)
    if args.update_readme:
        _report.update_readme(os.path.join(HERE, "README.md"), report, out_dir)
    print(_report.markdown_table(report["summary"]))
    print(f"\nreport: {out_dir}/report.md, report.json" + (", chart.png" if report["chart"] else f" ({chart_note})"))
    failed = sorted({r["system"] for r in runs if r["status"] == "FAILED" or r.get("quality_error")})
    if failed:
        log(f"\n*** FAILED: {', '.join(failed)} (see report.md) ***")
        return 1
    return 0


def _one_run(args, name, sg, w, rep, seed, corpus, corpus_words, env, work, log):
    tag = f"{name}-{'sg' if sg else 'cbow'}-w{w}-r{rep}"
    out_json = os.path.join(work, f"{tag}.json")
    vectors = os.path.join(work, f"{tag}.bin") if SYSTEMS[name].quality else None
    cmd = [sys.executable, os.path.abspath(__file__), "--run-one", name, "--corpus", corpus, "--out", out_json,
           "--sg", str(sg), "--epochs", str(args.epochs), "--workers", str(w), "--seed", str(seed),
           "--dim", str(args.dim), "--window", str(args.window), "--negative", str(args.negative),
           "--sample", repr(args.sample), "--min-count", str(args.min_count),
           "--slice-words", str(args.slice_words)]
    if vectors:
        cmd += ["--vectors", vectors]
    log_path = os.path.join(work, "logs", f"{tag}.log")
    rc, wall, usage, timed_out = spawn(cmd, env, args.timeout, log_path)
    rss = _maxrss_mib(usage.ru_maxrss)
    # cpu_s / process_s below the worker count while training dominates means the machine was busy.
    run = {"system": name, "sg": sg, "mode": "sg" if sg else "cbow", "workers": w, "rep": rep, "seed": seed,
           "exit_code": rc, "process_s": wall, "cpu_s": usage.ru_utime + usage.ru_stime, "peak_rss_mib": rss}
    result = {}
    if os.path.exists(out_json):
        with open(out_json, encoding="utf-8") as f:
            result = json.load(f)
    if rc == 0 and result.get("status") in ("ok", "skipped"):
        run.update(result)
    else:
        why = f"timed out after {args.timeout:g} s" if timed_out else f"exit code {rc}"
        run.update(status="FAILED", error=f"{why}\n{_tail(log_path)}")
    if run["status"] == "ok":
        run["total_s"] = run["vocab_s"] + run["train_s"]
        run["words_per_s"] = (run.get("benchmark_words") or corpus_words * args.epochs) / run["train_s"]
        run["vectors_path"] = vectors
        log(f"[rep {rep + 1}/{args.repeats}] {name} {run['mode']} w{w}: train {run['train_s']:.2f} s, "
            f"{run['words_per_s']:,.0f} words/s, total {run['total_s']:.2f} s, peak {rss:.0f} MiB")
    elif run["status"] == "skipped":
        log(f"[rep {rep + 1}/{args.repeats}] {name}: skipped ({run['reason']})")
    else:
        log(f"[rep {rep + 1}/{args.repeats}] *** {name} {run['mode']} w{w} FAILED: {run['error']}")
    return run


if __name__ == "__main__":
    sys.exit(main())
