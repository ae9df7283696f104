"""The ``fastw2v`` command line: train, query, evaluate, convert, demo, plot.

Two forms are accepted:

* subcommands with gensim-named options: ``fastw2v train corpus.txt -o vectors.bin --sg 1``;
* word2vec.c's single-dash form, so that its scripts run with only the program name changed:
  ``fastw2v -train corpus.txt -output vectors.bin -size 200 -cbow 0 -binary 1``.

Errors print one line on stderr and exit with status 2; Ctrl-C exits with 130 and leaves no partial
output file (every file is written to a temporary name and renamed when complete).
"""
import argparse
import importlib.util
import logging
import os
import sys
import time

#: word2vec.c's flags and defaults for its single-dash form (alpha depends on -cbow).
W2V_C_FLAGS = {
    "-train": None, "-output": None, "-size": "100", "-window": "5", "-sample": "1e-3", "-hs": "0",
    "-negative": "5", "-threads": "12", "-iter": "5", "-min-count": "5", "-alpha": None,
    "-binary": "0", "-cbow": "1", "-save-vocab": None, "-read-vocab": None, "-debug": "2",
    "-classes": "0",
}
#: What each word2vec.c flag means, for ``fastw2v -train`` alone (word2vec.c's usage text).
W2V_C_HELP = {
    "-train": "use text data from FILE to train the model",
    "-output": "use FILE to save the resulting word vectors",
    "-size": "set size of word vectors",
    "-window": "set max skip length between words",
    "-sample": "threshold for occurrence of words: those that appear with higher frequency in the "
               "training data will be randomly down-sampled; useful range is (0, 1e-5)",
    "-hs": "use hierarchical softmax (1) or not (0)",
    "-negative": "number of negative examples; common values are 3 - 10 (0 = not used)",
    "-threads": "use N threads (capped at the number of CPUs)",
    "-iter": "run more training iterations (epochs)",
    "-min-count": "discard words that appear less than N times",
    "-alpha": "set the starting learning rate",
    "-binary": "save the resulting vectors in binary mode (1) or text (0)",
    "-cbow": "use the continuous bag of words model (1) or skip-gram (0)",
    "-save-vocab": "the vocabulary (word count lines) will be saved to FILE",
    "-read-vocab": "the vocabulary will be read from FILE, not constructed from the training data",
    "-debug": "set the debug mode: 0 quiet, 1 or more a progress bar and a summary",
    "-classes": "output word classes rather than word vectors (not supported: only 0)",
}
DEMO_WORDS = ("war", "economy", "freedom", "congress", "children")
DEMO_ANALOGIES = (("men", "women", "man"), ("he", "his", "she"))


class CLIError(Exception):
    """A user-facing error: printed as one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        raise CLIError(f"{self.prog}: {message}")


def main(argv=None):
    """Run the command line with ``argv`` (default ``sys.argv[1:]``); returns the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        if argv and argv[0].startswith("-") and argv[0] in W2V_C_FLAGS:
            if argv == ["-train"]:   # word2vec.c run with no arguments prints its flag list
                print(w2v_c_usage())
                return 0
            return _word2vec_c(argv)
        args = _build_parser().parse_args(argv)
        if not getattr(args, "command", None):
            raise CLIError("fastw2v: a command is required (train, similar, analogy, evaluate, "
                           "convert, demo, plot); see fastw2v --help")
        return args.handler(args)
    except KeyboardInterrupt:
        print("fastw2v: interrupted", file=sys.stderr)
        return 130
    except CLIError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    except KeyError as exc:
        message = exc.args[0] if exc.args else exc
        print(f"fastw2v: error: {message}", file=sys.stderr)
        return 2
    except (ValueError, TypeError, OSError, RuntimeError, FloatingPointError) as exc:
        print(f"fastw2v: error: {_one_line(exc)}", file=sys.stderr)
        return 2
    except MemoryError:
        # e.g. --vector-size 1000000 on a large vocabulary: say so in one line, not a traceback
        print("fastw2v: error: out of memory (lower --vector-size, or raise --min-count to shrink "
              "the vocabulary)", file=sys.stderr)
        return 2


def _one_line(exc):
    text = str(exc) or type(exc).__name__
    if isinstance(exc, OSError) and exc.filename and str(exc.filename) not in text:
        text = f"{text}: {exc.filename}"
    return " ".join(text.split())


# ---------------------------------------------------------------- parser

def w2v_c_usage():
    """word2vec.c's flag list with what each flag means and fastw2v's default for it."""
    defaults = dict(W2V_C_FLAGS, **{"-alpha": "0.05 with -cbow 1, 0.025 with -cbow 0",
                                     "-threads": f"12, capped at the CPUs (here {os.cpu_count() or 1})"})
    lines = ["fastw2v, word2vec.c's command line (the same flags and defaults)", "",
             "Options:", "Parameters for training:"]
    for flag, meaning in W2V_C_HELP.items():
        value = "FILE" if flag in ("-train", "-output", "-save-vocab", "-read-vocab") else "N"
        default = defaults[flag]
        lines.append(f"\t{flag} <{value}>")
        lines.append(f"\t\t{meaning}" + (f"; default is {default}" if default is not None else ""))
    lines += ["", "Example:",
              "fastw2v -train data.txt -output vec.txt -size 200 -window 5 -sample 1e-4 -negative 5 "
              "-hs 0 -binary 0 -cbow 1 -iter 3", "",
              "fastw2v's own form: fastw2v train --help"]
    return "\n".join(lines)


_MAIN_EPILOG = """\
word2vec.c's own single-dash flags are accepted too, so its scripts run with only the program
name changed:
  fastw2v -train corpus.txt -output vectors.bin -cbow 0 -size 200 -window 5 -negative 5 \\
          -hs 0 -sample 1e-4 -threads 4 -binary 1 -iter 5 -min-count 5
Run "fastw2v -train" alone for word2vec.c's flag list with fastw2v's defaults."""


class _DefaultsFormatter(argparse.HelpFormatter):
    """Help lines end with "(default: X)" for options that have a default; required options and
    flags without a value say nothing more."""

    def _get_help_string(self, action):
        text = action.help or ""
        if ("%(default)" not in text and action.option_strings and not action.required
                and action.default is not None and action.nargs != 0
                and action.default is not argparse.SUPPRESS):
            text += " (default: %(default)s)"
        return text


def _build_parser():
    from . import __version__
    from .tables import BATCH_MODES

    parser = _Parser(prog="fastw2v", description="Fast word2vec: train, query, evaluate, convert.",
                     epilog=_MAIN_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"fastw2v {__version__}")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)

    p = sub.add_parser("train", help="train vectors on a LineSentence file (- for stdin)",
                       formatter_class=_DefaultsFormatter,
                       description="Train word vectors on a corpus file and write them in word2vec's "
                                   "format. Options are gensim's Word2Vec parameters, with its "
                                   "defaults.")
    p.add_argument("input", nargs="+",
                   help="corpus: one sentence per line, space-separated; .gz/.bz2/.xz ok; - for stdin "
                        "(several files or globs with --processes/--scheduler)")
    p.add_argument("-o", "--output", required=True, help="where to write the word vectors (required)")
    p.add_argument("--vector-size", type=int, default=100, metavar="N",
                   help="dimensions of the word vectors")
    p.add_argument("--window", type=int, default=5, metavar="N",
                   help="maximum distance between the centre word and a context word")
    p.add_argument("--min-count", type=int, default=5, metavar="N",
                   help="ignore words that occur fewer than N times")
    p.add_argument("--sample", type=float, default=1e-3, metavar="T",
                   help="down-sample words more frequent than T (fraction of the corpus); 0: off")
    p.add_argument("--sg", type=int, choices=(0, 1), default=0,
                   help="1: skip-gram, 0: CBOW")
    p.add_argument("--hs", type=int, choices=(0, 1), default=0,
                   help="1: hierarchical softmax, 0: not")
    p.add_argument("--negative", type=int, default=5, metavar="N",
                   help="negative samples per positive pair (0: no negative sampling)")
    p.add_argument("--ns-exponent", type=float, default=0.75, metavar="P",
                   help="negatives drawn with probability proportional to count**P")
    p.add_argument("--alpha", type=float, default=0.025, metavar="A",
                   help="initial learning rate")
    p.add_argument("--min-alpha", type=float, default=0.0001, metavar="A",
                   help="learning rate at the end of training (linear decay)")
    p.add_argument("--epochs", type=int, default=5, metavar="N",
                   help="passes over the corpus")
    p.add_argument("--workers", type=int, default=min(3, os.cpu_count() or 1), metavar="N",
                   help="worker threads")
    p.add_argument("--seed", type=int, default=1, metavar="N",
                   help="random seed (initial vectors and every batch's random stream)")
    p.add_argument("--max-vocab-size", type=int, default=None, metavar="N",
                   help="prune the rarest words while counting to keep at most N (default: no limit)")
    p.add_argument("--batch-mode", default="exact", choices=BATCH_MODES,
                   help="exact (word2vec.c semantics) or shared_negatives (skip-gram shares one "
                        "set of negatives per centre word: faster, not exact)")
    fmt = p.add_mutually_exclusive_group()
    fmt.add_argument("--binary", dest="binary", action="store_true", default=True,
                     help="write word2vec's binary format (the default)")
    fmt.add_argument("--text", dest="binary", action="store_false",
                     help="write word2vec's text format (default: binary)")
    p.add_argument("--save-model", metavar="PATH",
                   help="also save the full model in the native format (default: not saved)")
    p.add_argument("--quiet", action="store_true",
                   help="no progress bar and no summary (default: both shown)")
    dist = p.add_argument_group("distributed training (Dask; pip install \"fastw2v[distributed]\")")
    dist.add_argument("--processes", type=int, default=None, metavar="N",
                      help="train on N local worker processes (a Dask LocalCluster on loopback; "
                           "default: none, threads in this process)")
    dist.add_argument("--threads", type=int, default=1, metavar="T",
                      help="training threads per worker process")
    dist.add_argument("--scheduler", metavar="ADDRESS",
                      help="train on the workers of the Dask scheduler at ADDRESS (tcp://host:port; "
                           "default: none)")
    p.set_defaults(handler=_cmd_train)

    p = sub.add_parser("similar", help="nearest neighbours of words")
    p.add_argument("words", nargs="+")
    p.add_argument("-m", "--model", required=True)
    p.add_argument("--topn", type=int, default=10)
    p.set_defaults(handler=_cmd_similar)

    p = sub.add_parser("analogy", help="A is to B as C is to ?")
    p.add_argument("a")
    p.add_argument("b")
    p.add_argument("c")
    p.add_argument("-m", "--model", required=True)
    p.add_argument("--topn", type=int, default=5)
    p.set_defaults(handler=_cmd_analogy)

    p = sub.add_parser("evaluate", help="word-pair similarity and analogy benchmarks")
    p.add_argument("-m", "--model", required=True)
    p.add_argument("--pairs", help="word-pair file, e.g. wordsim353.tsv")
    p.add_argument("--analogies", help="analogy file in the questions-words format")
    p.add_argument("--restrict-vocab", type=int, default=30000)
    p.set_defaults(handler=_cmd_evaluate)

    p = sub.add_parser("convert", help="convert between text, binary and native formats")
    p.add_argument("input")
    p.add_argument("output")
    p.add_argument("--to", choices=("text", "binary", "native"),
                   help="output format (default: from the extension: .txt/.vec text, .bin binary, "
                        ".fw2v/.npz native)")
    if importlib.util.find_spec("gensim") is not None:   # offered only where gensim is installed
        p.add_argument("--from-gensim", action="store_true",
                       help="INPUT is a gensim 4 Word2Vec model file: load it with gensim and convert "
                            "the whole model (vocabulary, counts, output weights), so that a native "
                            "OUTPUT can be trained further with fastw2v. WARNING: gensim's loader "
                            "unpickles the file, which can run any code it holds: use it only on "
                            "files you trust")
    p.set_defaults(handler=_cmd_convert)

    p = sub.add_parser("demo", help="train on the embedded US speeches corpus and show neighbours")
    p.add_argument("--plot", default="fastw2v-demo.png", help="PNG to draw (needs matplotlib); "
                   "'' to skip")
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--workers", type=int, default=min(3, os.cpu_count() or 1))
    p.add_argument("--save", metavar="PATH", help="also save the trained model")
    p.set_defaults(handler=_cmd_demo)

    p = sub.add_parser("plot", help="2-D PCA picture of word vectors")
    p.add_argument("-m", "--model", required=True)
    p.add_argument("--words", nargs="*", help="words to draw (default: the most frequent --top words)")
    p.add_argument("--top", type=int, default=300)
    p.add_argument("-o", "--output", required=True, help="PNG path")
    p.set_defaults(handler=_cmd_plot)
    return parser


# ---------------------------------------------------------------- commands

def _train_params(args):
    """The Word2Vec parameters ``fastw2v train`` passes in both modes (threads and distributed)."""
    return dict(vector_size=args.vector_size, window=args.window, min_count=args.min_count,
                sample=args.sample, sg=args.sg, hs=args.hs, negative=args.negative,
                ns_exponent=args.ns_exponent, alpha=args.alpha, min_alpha=args.min_alpha,
                epochs=args.epochs, seed=args.seed, batch_mode=args.batch_mode)


def _cmd_train(args):
    from .model import Word2Vec

    if args.processes is not None or args.scheduler is not None:
        return _cmd_train_distributed(args)
    if len(args.input) != 1:
        raise CLIError("fastw2v: train takes one corpus file; several need --processes N or "
                       "--scheduler ADDRESS")
    args.input = args.input[0]
    _check_writable(args.output)
    if args.save_model:
        _check_writable(args.save_model)
    corpus_file = _stdin_to_file(args.input) if args.input == "-" else _existing(args.input)
    model = Word2Vec(**_train_params(args), workers=args.workers,
                     max_vocab_size=args.max_vocab_size, progress=not args.quiet)
    _train_and_report(model, corpus_file, quiet=args.quiet)
    model.wv.save_word2vec_format(args.output, binary=args.binary)
    if args.save_model:
        model.save(args.save_model)
    return 0


def _cmd_train_distributed(args):
    """``fastw2v train FILES... --processes N [--threads T] [--scheduler ADDRESS]``."""
    try:
        from . import distributed
    except ImportError as exc:
        raise CLIError(f"fastw2v: {exc}") from None
    if "-" in args.input:
        raise CLIError("fastw2v: distributed training reads files, not stdin (-)")
    if args.processes is not None and args.processes < 1:
        raise CLIError(f"fastw2v: --processes must be >= 1, got {args.processes}")
    _check_writable(args.output)
    if args.save_model:
        _check_writable(args.save_model)
    params = _train_params(args)
    if args.max_vocab_size is not None:
        params["max_vocab_size"] = args.max_vocab_size   # refused by distributed.train, by name
    start = time.perf_counter()
    if args.scheduler is not None:
        client = distributed.Client(args.scheduler)
        try:
            model = distributed.train(args.input, client=client, threads=args.threads, **params)
        finally:
            client.close()
    else:
        model = distributed.train(args.input, processes=args.processes, threads=args.threads,
                                  **params)
    seconds = time.perf_counter() - start
    model.wv.save_word2vec_format(args.output, binary=args.binary)
    if args.save_model:
        model.save(args.save_model)
    if not args.quiet:
        raw = model.corpus_total_words * model.epochs
        processes = max((r["workers"] for r in model.distributed_stats["rounds"]), default=0)
        print(f"vocabulary: {len(model.wv)} words; trained on {raw:,} words in {seconds:.1f} s "
              f"({raw / max(seconds, 1e-9):,.0f} words/s) on {processes} worker processes",
              file=sys.stderr)
    return 0


def _train_and_report(model, corpus_file, quiet=False):
    start = time.perf_counter()
    model.build_vocab(corpus_file=corpus_file)
    _, raw = model.train(corpus_file=corpus_file, total_words=model.corpus_total_words,
                         epochs=model.epochs)
    seconds = time.perf_counter() - start
    if not quiet:
        print(f"vocabulary: {len(model.wv)} words; trained on {raw:,} words in {seconds:.1f} s "
              f"({raw / max(seconds, 1e-9):,.0f} words/s); final epoch loss "
              f"{model.loss_history[-1] if model.loss_history else 0.0:.6g}", file=sys.stderr)


def _word2vec_c(argv):
    """word2vec.c's single-dash interface, with its defaults (CBOW; alpha 0.05 for CBOW, 0.025 for
    skip-gram; min_alpha = alpha * 1e-4; -threads 12, capped at the number of CPUs)."""
    from .model import Word2Vec

    opts = {}
    it = iter(argv)
    for flag in it:
        if flag not in W2V_C_FLAGS:
            raise CLIError(f"fastw2v: unknown word2vec.c option {flag!r}")
        value = next(it, None)
        if value is None:
            raise CLIError(f"fastw2v: option {flag} needs a value")
        opts[flag] = value
    values = {k: opts.get(k, d) for k, d in W2V_C_FLAGS.items()}
    if values["-train"] is None or values["-output"] is None:
        raise CLIError("fastw2v: -train FILE and -output FILE are required")
    if values["-classes"] != "0":
        raise CLIError("fastw2v: -classes (k-means word classes) is not supported")
    cbow = _int_opt(values, "-cbow")
    alpha = _float_opt(values, "-alpha") if values["-alpha"] is not None else (0.05 if cbow else 0.025)
    corpus_file = _existing(values["-train"])
    _check_writable(values["-output"])
    if values["-save-vocab"]:
        _check_writable(values["-save-vocab"])
    threads = _int_opt(values, "-threads")
    if threads < 1:   # word2vec.c would start no thread and train nothing
        raise CLIError(f"fastw2v: -threads must be at least 1, got {threads}")
    threads = min(threads, os.cpu_count() or 1)
    model = Word2Vec(vector_size=_int_opt(values, "-size"), window=_int_opt(values, "-window"),
                     sample=_float_opt(values, "-sample"), hs=_int_opt(values, "-hs"),
                     negative=_int_opt(values, "-negative"), workers=threads,
                     epochs=_int_opt(values, "-iter"), min_count=_int_opt(values, "-min-count"),
                     alpha=alpha, min_alpha=alpha * 1e-4, sg=1 - cbow,
                     progress=_int_opt(values, "-debug") > 0)
    if values["-read-vocab"]:
        from .io import read_vocab_counts

        counts = read_vocab_counts(_existing(values["-read-vocab"]))
        model.build_vocab_from_freq(counts)
        model.train(corpus_file=corpus_file, total_words=max(1, sum(counts.values())),
                    epochs=model.epochs)
    else:
        _train_and_report(model, corpus_file, quiet=_int_opt(values, "-debug") == 0)
    if values["-save-vocab"]:
        from .io import write_vocab_counts

        write_vocab_counts(values["-save-vocab"], model.wv.index_to_key, model.vocab.counts)
    model.wv.save_word2vec_format(values["-output"], binary=bool(_int_opt(values, "-binary")))
    return 0


def _int_opt(values, flag):
    try:
        return int(values[flag])
    except ValueError:
        raise CLIError(f"fastw2v: {flag} needs an integer, got {values[flag]!r}") from None


def _float_opt(values, flag):
    try:
        return float(values[flag])
    except ValueError:
        raise CLIError(f"fastw2v: {flag} needs a number, got {values[flag]!r}") from None


def _cmd_similar(args):
    wv = load_vectors(args.model)
    for word in args.words:
        _require_word(wv, word, args.model)
        print(f"{word}:")
        for other, score in wv.most_similar(word, topn=args.topn):
            print(f"  {other:<20} {score:.4f}")
    return 0


def _cmd_analogy(args):
    wv = load_vectors(args.model)
    for word in (args.a, args.b, args.c):
        _require_word(wv, word, args.model)
    print(f"{args.a} : {args.b} :: {args.c} : ?")
    for other, score in wv.most_similar(positive=[args.b, args.c], negative=[args.a], topn=args.topn):
        print(f"  {other:<20} {score:.4f}")
    return 0


def _cmd_evaluate(args):
    if not args.pairs and not args.analogies:
        raise CLIError("fastw2v evaluate: give --pairs FILE and/or --analogies FILE")
    wv = load_vectors(args.model)
    rows = []
    if args.pairs:
        pearson, spearman, oov = wv.evaluate_word_pairs(_existing(args.pairs))
        rows.append(("word pairs", "Spearman", f"{spearman[0]:.4f}", f"{oov:.1f}% OOV"))
        rows.append(("word pairs", "Pearson", f"{pearson[0]:.4f}", ""))
    if args.analogies:
        score, sections = wv.evaluate_word_analogies(_existing(args.analogies),
                                                     restrict_vocab=args.restrict_vocab)
        total = next((s for s in sections if s["section"] == "Total accuracy"), None)
        n = (len(total["correct"]) + len(total["incorrect"])) if total else 0
        rows.append(("analogies", "accuracy", f"{100 * score:.2f}%", f"{n} questions"))
    print(f"{'benchmark':<12} {'metric':<10} {'value':>10}  note")
    for bench, metric, value, note in rows:
        print(f"{bench:<12} {metric:<10} {value:>10}  {note}")
    return 0


def _cmd_convert(args):
    if getattr(args, "from_gensim", False):
        return _convert_from_gensim(args)
    target = args.to or _format_from_extension(args.output)
    _check_writable(args.output)
    wv = load_vectors(args.input)
    if target == "native":
        wv.save(args.output)
    else:
        wv.save_word2vec_format(args.output, binary=(target == "binary"))
    return 0


def _convert_from_gensim(args):
    """``convert --from-gensim``: a gensim Word2Vec file, loaded by gensim (it unpickles), as a
    fastw2v model (native output) or its vectors (text/binary output)."""
    from gensim.models import Word2Vec as GensimWord2Vec

    from .model import Word2Vec

    target = args.to or _format_from_extension(args.output)
    _check_writable(args.output)
    _existing(args.input)
    try:
        theirs = GensimWord2Vec.load(args.input)
    except Exception as exc:   # whatever gensim's unpickler raises for a file that is not its model
        raise CLIError(f"fastw2v convert: gensim cannot load {args.input} as a Word2Vec model "
                       f"({type(exc).__name__}: {_one_line(exc)})") from None
    model = Word2Vec.from_gensim(theirs)
    if target == "native":
        model.save(args.output)
    else:
        model.wv.save_word2vec_format(args.output, binary=(target == "binary"))
    return 0


def _cmd_demo(args):
    from . import datasets
    from .model import Word2Vec

    if args.save:
        _check_writable(args.save)
    if args.plot and importlib.util.find_spec("matplotlib") is not None:
        _check_writable(args.plot)
    sentences = datasets.us_speeches()
    print("training skip-gram on US State of the Union and inaugural addresses "
          "(public domain, embedded) ...", file=sys.stderr)
    start = time.perf_counter()
    model = Word2Vec(sentences, vector_size=100, window=5, min_count=5, sg=1, epochs=args.epochs,
                     workers=args.workers, seed=1, progress=True)
    seconds = time.perf_counter() - start
    print(f"{len(model.wv):,} words, {model.corpus_total_words * args.epochs:,} words trained in "
          f"{seconds:.1f} s\n")
    wv = model.wv
    for word in DEMO_WORDS:
        if word in wv:
            neighbours = ", ".join(w for w, _ in wv.most_similar(word, topn=6))
            print(f"{word:>10}: {neighbours}")
    print()
    for a, b, c in DEMO_ANALOGIES:
        if all(w in wv for w in (a, b, c)):
            best = wv.most_similar(positive=[b, c], negative=[a], topn=3)
            print(f"{a} : {b} :: {c} : {', '.join(w for w, _ in best)}")
    if args.save:
        model.save(args.save)
    if args.plot:
        try:
            draw_pca(wv, wv.index_to_key[:150], args.plot,
                     title="fastw2v demo: 150 most frequent words, PCA")
            print(f"\npicture written to {args.plot}")
        except ImportError:
            print("\nno picture: matplotlib is not installed (pip install 'fastw2v[plot]')",
                  file=sys.stderr)
    return 0


def _cmd_plot(args):
    _check_writable(args.output)
    wv = load_vectors(args.model)
    words = args.words or wv.index_to_key[: args.top]
    for word in words:
        _require_word(wv, word, args.model)
    _check_writable(args.output)
    try:
        draw_pca(wv, words, args.output, title=f"{os.path.basename(args.model)}: PCA of {len(words)} words")
    except ImportError:
        raise CLIError("fastw2v plot: matplotlib is not installed (pip install 'fastw2v[plot]')") from None
    return 0


# ---------------------------------------------------------------- helpers

def draw_pca(wv, words, path, title=""):
    """Project the vectors of ``words`` on their first two principal components and save a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    from .io import atomic_write

    if len(words) < 2:
        raise CLIError("fastw2v plot: need at least 2 words")
    X = np.asarray(wv[list(words)], dtype=np.float64)
    X = X - X.mean(axis=0)
    _, _, vt = np.linalg.svd(X, full_matrices=False)
    xy = X @ vt[:2].T
    fig, ax = plt.subplots(figsize=(12, 10), dpi=100)
    ax.scatter(xy[:, 0], xy[:, 1], s=6, color="#4477aa")
    for (x, y), word in zip(xy, words):
        ax.annotate(word, (x, y), fontsize=7, alpha=0.85, xytext=(2, 2), textcoords="offset points")
    ax.set_title(title)
    ax.set_xlabel("PC 1")
    ax.set_ylabel("PC 2")
    fig.tight_layout()
    with atomic_write(path) as f:
        fig.savefig(f, format="png")
    plt.close(fig)


def load_vectors(path):
    """Load word vectors from a native model/vectors file or a word2vec text or binary file."""
    from .io import sniff_format
    from .keyedvectors import KeyedVectors

    _existing(path)
    try:
        kind = sniff_format(path)
        if kind == "native":
            return KeyedVectors.load(path)   # a KeyedVectors file or a Word2Vec model's vectors
        return KeyedVectors.load_word2vec_format(path, binary=(kind == "binary"))
    except MemoryError:
        # Not training advice: the vectors a file holds do not fit (a corrupt file's lies are
        # VectorFileErrors, raised before allocating).
        raise CLIError(f"fastw2v: error: out of memory while loading {path} (the vectors it "
                       "holds do not fit in memory)") from None


def _format_from_extension(path):
    from .io import _COMPRESSED_SUFFIXES   # what atomic_write compresses by

    lower = path.lower()
    for suffix in _COMPRESSED_SUFFIXES:
        if lower.endswith(suffix):
            lower = lower[: -len(suffix)]
    if lower.endswith((".txt", ".vec", ".text")):
        return "text"
    if lower.endswith(".bin"):
        return "binary"
    if lower.endswith((".fw2v", ".npz", ".kv", ".model")):
        return "native"
    raise CLIError(f"fastw2v convert: cannot tell the output format of {path!r} from its extension; "
                   "pass --to text|binary|native")


def _require_word(wv, word, model_path):
    if word not in wv:
        raise CLIError(f"fastw2v: word {word!r} is not in the vocabulary of {model_path}")


def _existing(path):
    if not os.path.exists(path):
        raise CLIError(f"fastw2v: no such file: {path}")
    if os.path.isdir(path):
        raise CLIError(f"fastw2v: {path} is a folder, not a file")
    return path


def _check_writable(path):
    """Refuse an output path that cannot be written, before any work starts (every output of a
    command is checked before training or loading); the message names the user's path."""
    if not path:
        raise CLIError("fastw2v: an output path is empty")
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        problem = "is not a folder" if os.path.exists(folder) else "does not exist"
        raise CLIError(f"fastw2v: cannot write {path}: folder {folder} {problem}")
    if os.path.isdir(path):
        raise CLIError(f"fastw2v: cannot write {path}: it is a folder")
    if not os.access(folder, os.W_OK | os.X_OK) or (os.path.exists(path) and not os.access(path, os.W_OK)):
        raise CLIError(f"fastw2v: cannot write {path}: permission denied")


def _stdin_to_file(_):
    """Spool standard input to a temporary file: training reads the corpus once per epoch."""
    import atexit
    import shutil
    import tempfile

    handle, path = tempfile.mkstemp(prefix="fastw2v-stdin-", suffix=".txt")
    atexit.register(lambda: os.path.exists(path) and os.remove(path))
    with os.fdopen(handle, "wb") as f:
        shutil.copyfileobj(sys.stdin.buffer, f)
    return path


if __name__ == "__main__":  # pragma: no cover
    logging.basicConfig(level=logging.WARNING)
    sys.exit(main())
