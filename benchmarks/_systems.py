"""The systems that ``compare.py`` trains, one runner each.

A runner is executed in a child process of its own (``compare.py --run-one SYSTEM``) so that the
parent can measure the child's peak RSS exactly with ``os.wait4``. Each system has

* ``probe()``: imports the system and returns a version string; raises :class:`Unavailable` when
  the system is not installed here (an ``ImportError``/``AttributeError`` at import), which the
  report lists as *skipped*. Any other exception is a real failure and is reported as FAILED.
* ``run(cfg)``: trains once with the common hyperparameters, writes the vectors to ``cfg.vectors``
  in word2vec binary format (systems with ``quality=True``), and returns the timings:
  ``vocab_s`` (vocabulary scan), ``train_s`` (training only) and ``call`` (exactly what was run).
  Exceptions propagate: the child exits non-zero and the parent reports the run as FAILED.

The learning rate is word2vec.c's default for each mode (0.025 skip-gram, 0.05 CBOW), passed
explicitly to every system, decaying linearly to ``alpha * 1e-4`` (word2vec.c's floor) where the
system lets us say so.
"""
import dataclasses
import importlib.metadata
import os
import shutil
import subprocess
import threading
import time
from typing import Callable, Optional

ALPHA = {1: 0.025, 0: 0.05}  # word2vec.c's defaults: -alpha 0.025 with -cbow 0, 0.05 with -cbow 1
MIN_ALPHA_RATIO = 1e-4  # word2vec.c never lets alpha fall below starting_alpha * 0.0001


@dataclasses.dataclass(frozen=True)
class RunConfig:
    """One training run. ``corpus`` is an uncompressed LineSentence file (one sentence per line)."""

    corpus: str
    vectors: Optional[str]
    sg: int
    epochs: int
    workers: int
    seed: int
    dim: int = 100
    window: int = 5
    negative: int = 5
    sample: float = 1e-3
    min_count: int = 5
    slice_words: int = 5000  # reference only: raw words of the corpus head it trains on

    @property
    def alpha(self):
        return ALPHA[self.sg]


class Unavailable(Exception):
    """The system is not installed (or not yet written) here: reported as skipped, not failed."""


@dataclasses.dataclass(frozen=True)
class System:
    name: str
    description: str
    probe: Callable[[], str]
    run: Callable[[RunConfig], dict]
    default: bool = True  # part of the default --systems list
    threaded: bool = True  # False: runs once per repetition, with one worker
    quality: bool = True  # writes vectors that the parent evaluates


def _version(dist):
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def _vocab_size(model):
    """Vocabulary size of a gensim-API model, or None if the API does not expose it."""
    wv = getattr(model, "wv", None)
    for attr in ("index_to_key", "key_to_index"):
        keys = getattr(wv, attr, None)
        if keys is not None:
            return len(keys)
    return None


# --------------------------------------------------------------------------- gensim-API systems


def _train_gensim_api(Word2Vec, cfg, line_sentence=None, extra=None):
    """Train with the gensim 4 API: corpus_file mode, or iterable mode when ``line_sentence`` is given.

    The model is built empty, then ``build_vocab`` and ``train`` are timed separately so that
    ``train_s`` is the training alone, as for the other systems.
    """
    kwargs = dict(
        vector_size=cfg.dim, window=cfg.window, negative=cfg.negative, hs=0, sample=cfg.sample,
        min_count=cfg.min_count, sg=cfg.sg, alpha=cfg.alpha, min_alpha=cfg.alpha * MIN_ALPHA_RATIO,
        workers=cfg.workers, seed=cfg.seed, epochs=cfg.epochs,
    )
    kwargs.update(extra or {})
    t0 = time.perf_counter()
    model = Word2Vec(**kwargs)
    if line_sentence is None:
        model.build_vocab(corpus_file=cfg.corpus)
        t1 = time.perf_counter()
        model.train(corpus_file=cfg.corpus, total_examples=model.corpus_count,
                    total_words=model.corpus_total_words, epochs=cfg.epochs)
        how = "corpus_file=PATH"
    else:
        model.build_vocab(line_sentence(cfg.corpus))
        t1 = time.perf_counter()
        model.train(line_sentence(cfg.corpus), total_examples=model.corpus_count, epochs=cfg.epochs)
        how = f"{line_sentence.__module__}.LineSentence(PATH)"
    t2 = time.perf_counter()
    model.wv.save_word2vec_format(cfg.vectors, binary=True)
    args = ", ".join(f"{k}={v!r}" for k, v in kwargs.items())
    call = (f"{Word2Vec.__module__}.Word2Vec({args}); build_vocab({how}); "
            f"train({how}, total_examples=corpus_count, epochs={cfg.epochs})")
    return {"vocab_s": t1 - t0, "train_s": t2 - t1, "vocab_size": _vocab_size(model), "call": call}


def _probe_gensim():
    try:
        import gensim
        from gensim.models import Word2Vec  # noqa: F401
    except ImportError as exc:
        raise Unavailable(f"gensim not installed ({exc})") from exc
    return gensim.__version__


def _probe_gensim_corpus_file():
    version = _probe_gensim()
    try:
        from gensim.models import word2vec_corpusfile  # noqa: F401
    except ImportError as exc:
        raise Unavailable(f"gensim {version} was built without corpus_file support ({exc})") from exc
    return version


def _run_gensim(cfg):
    from gensim.models import Word2Vec

    return _train_gensim_api(Word2Vec, cfg)


def _run_gensim_iter(cfg):
    from gensim.models import Word2Vec
    from gensim.models.word2vec import LineSentence

    return _train_gensim_api(Word2Vec, cfg, line_sentence=LineSentence)


def _run_fastw2v_fast_iter(cfg):
    _, Word2Vec = _import_fastw2v_word2vec()
    from fastw2v.corpus import LineSentence

    return _train_gensim_api(Word2Vec, cfg, line_sentence=LineSentence,
                             extra={"batch_mode": "shared_negatives"})


def _import_fastw2v_word2vec():
    try:
        import fastw2v
        from fastw2v import Word2Vec
    except (ImportError, AttributeError) as exc:
        raise Unavailable(f"fastw2v.Word2Vec not available ({exc})") from exc
    return fastw2v, Word2Vec


def _probe_fastw2v():
    fastw2v, _ = _import_fastw2v_word2vec()
    return f"{fastw2v.__version__} ({os.path.dirname(fastw2v.__file__)})"


def _probe_fastw2v_iter():
    version = _probe_fastw2v()
    try:
        from fastw2v.corpus import LineSentence  # noqa: F401
    except (ImportError, AttributeError) as exc:
        raise Unavailable(f"fastw2v.corpus.LineSentence not available ({exc})") from exc
    return version


def _run_fastw2v(cfg):
    _, Word2Vec = _import_fastw2v_word2vec()
    return _train_gensim_api(Word2Vec, cfg)


def _run_fastw2v_fast(cfg):
    _, Word2Vec = _import_fastw2v_word2vec()
    return _train_gensim_api(Word2Vec, cfg, extra={"batch_mode": "shared_negatives"})


def _run_fastw2v_shared_hot(cfg):
    os.environ["FASTW2V_HOT_ROWS"] = "0"         # this child only: every worker writes the shared rows
    os.environ["FASTW2V_HOT_INPUT_ROWS"] = "0"
    return _run_fastw2v(cfg)


def _run_fastw2v_iter(cfg):
    _, Word2Vec = _import_fastw2v_word2vec()
    from fastw2v.corpus import LineSentence

    return _train_gensim_api(Word2Vec, cfg, line_sentence=LineSentence)


# --------------------------------------------------------------------------- word2vec.c


def word2vec_c_binary():
    """Path of the word2vec.c executable that the PyPI package ``word2vec`` compiles at install time.

    The package builds Mikolov's word2vec.c with gcc during ``pip install`` and installs it as a
    data file ``<prefix>/bin/word2vec`` (a sibling of the Python executable); the package's own
    RECORD lists it, which avoids picking up a pyenv shim or another ``word2vec`` on PATH.
    ``FASTW2V_WORD2VEC_C`` overrides the search.
    """
    override = os.environ.get("FASTW2V_WORD2VEC_C")
    if override:
        if not os.access(override, os.X_OK):
            raise Unavailable(f"FASTW2V_WORD2VEC_C={override} is not an executable")
        return override
    try:
        files = importlib.metadata.files("word2vec") or []
    except importlib.metadata.PackageNotFoundError as exc:
        raise Unavailable("PyPI package 'word2vec' (which ships word2vec.c) not installed") from exc
    for entry in files:
        if entry.name == "word2vec" and entry.parent.name == "bin":
            path = os.path.realpath(entry.locate())
            if os.path.isfile(path) and os.access(path, os.X_OK):
                with open(path, "rb") as f:
                    if f.read(4) == b"\x7fELF":
                        return path
    raise Unavailable("package 'word2vec' is installed but its compiled bin/word2vec was not found")


def _probe_word2vec_c():
    path = word2vec_c_binary()
    with open(path, "rb") as f:
        fast_math = b"crtfastmath" in f.read()
    build = ", linked with crtfastmath (-ffast-math/-Ofast)" if fast_math else ""
    return f"PyPI word2vec {_version('word2vec')}: {path}{build}"


class _TimestampedOutput:
    """Read a child's output in a thread, splitting on both \\r and \\n, and time chosen lines.

    word2vec.c and fastText rewrite their progress line with \\r; the lines are kept only for the
    error message and to find the moment the vocabulary scan ended.
    """

    def __init__(self, read_chunk, marker):
        self.marker = marker
        self.marker_time = None
        self.text = []
        self._read_chunk = read_chunk
        self._thread = threading.Thread(target=self._pump, daemon=True)
        self._thread.start()

    def _pump(self):
        pending = b""
        while True:
            chunk = self._read_chunk()
            if not chunk:
                break
            pending += chunk
            if self.marker_time is None and self.marker in pending:
                self.marker_time = time.perf_counter()
            lines = pending.replace(b"\r", b"\n").split(b"\n")
            pending = lines.pop()
            self.text.extend(line.decode("utf-8", "replace") for line in lines if line.strip())
        if pending.strip():
            self.text.append(pending.decode("utf-8", "replace"))

    def join(self, timeout=None):
        self._thread.join(timeout)

    def tail(self, n=15):
        return "\n".join(self.text[-n:])


def _run_word2vec_c(cfg):
    binary = word2vec_c_binary()
    cmd = [
        binary, "-train", cfg.corpus, "-output", cfg.vectors, "-size", str(cfg.dim),
        "-window", str(cfg.window), "-sample", repr(cfg.sample), "-negative", str(cfg.negative),
        "-hs", "0", "-threads", str(cfg.workers), "-iter", str(cfg.epochs),
        "-min-count", str(cfg.min_count), "-cbow", str(1 - cfg.sg), "-alpha", repr(cfg.alpha),
        "-binary", "1",
    ]
    # stdout is a pipe, so word2vec.c's printf is block-buffered: stdbuf makes the "Words in train
    # file" line (end of the vocabulary scan) arrive when it is printed.
    stdbuf = shutil.which("stdbuf")
    launch = [stdbuf, "-o0"] + cmd if stdbuf else cmd
    t0 = time.perf_counter()
    proc = subprocess.Popen(launch, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    out = _TimestampedOutput(lambda: proc.stdout.read1(65536), b"Words in train file")
    _, status, usage = os.wait4(proc.pid, 0)
    t2 = time.perf_counter()
    proc.returncode = os.waitstatus_to_exitcode(status)
    out.join(5)
    proc.stdout.close()
    if proc.returncode != 0 or not os.path.exists(cfg.vectors):
        raise RuntimeError(f"word2vec.c exited with {proc.returncode}:\n{out.tail()}")
    t1 = out.marker_time or t0
    vocab = next((line.split(":")[1].strip() for line in out.text if line.startswith("Vocab size:")), None)
    return {
        "vocab_s": t1 - t0,
        # From the end of the vocabulary scan to exit: includes InitNet, the 1e8-entry unigram
        # table (well under a second) and writing the binary vectors, which word2vec.c does not time apart.
        "train_s": t2 - t1,
        "vocab_size": int(vocab) if vocab else None,
        "tool_maxrss_kib": usage.ru_maxrss,
        "output_tail": out.tail(3),
        "call": " ".join(cmd[:1] + [a if a not in (cfg.corpus, cfg.vectors) else "PATH" for a in cmd[1:]]),
        "notes": [] if out.marker_time else ["vocabulary end not seen in output: train_s includes the vocab scan"],
    }


# --------------------------------------------------------------------------- fastText


def _probe_fasttext():
    try:
        import fasttext  # noqa: F401
        from fasttext import train_unsupervised  # noqa: F401
    except ImportError as exc:
        raise Unavailable(f"fasttext not installed ({exc})") from exc
    return _version("fasttext")


def _write_word2vec_binary(path, words, vectors):
    """Write ``words`` and their float32 rows in word2vec binary format (word2vec.c's -binary 1)."""
    import numpy as np

    vectors = np.ascontiguousarray(vectors, dtype="<f4")
    with open(path, "wb") as f:
        f.write(f"{len(words)} {vectors.shape[1]}\n".encode())
        for word, row in zip(words, vectors):
            f.write(word.encode("utf-8") + b" " + row.tobytes() + b"\n")


def _run_fasttext(cfg):
    import fasttext
    import numpy as np

    kwargs = dict(
        model="skipgram" if cfg.sg else "cbow", dim=cfg.dim, ws=cfg.window, neg=cfg.negative,
        t=cfg.sample, minCount=cfg.min_count, minn=0, maxn=0, wordNgrams=1, bucket=0, loss="ns",
        epoch=cfg.epochs, thread=cfg.workers, lr=cfg.alpha, verbose=2,
    )
    # fastText's C++ code prints to fd 2 ("Number of labels: 0" ends the vocabulary scan, then the
    # \r progress line). Redirect fd 2 into a pipe read by a thread (the binding releases the GIL
    # while training) to time that line, then restore it.
    read_fd, write_fd = os.pipe()
    saved_stderr = os.dup(2)
    os.dup2(write_fd, 2)
    os.close(write_fd)
    out = _TimestampedOutput(lambda: os.read(read_fd, 65536), b"Number of labels")
    t0 = time.perf_counter()
    try:
        model = fasttext.train_unsupervised(cfg.corpus, **kwargs)
    finally:
        t2 = time.perf_counter()
        os.dup2(saved_stderr, 2)
        os.close(saved_stderr)
        out.join(5)
        os.close(read_fd)
    t1 = out.marker_time or t0
    words = model.get_words()  # in fastText's dictionary order: descending count, "</s>" included
    vectors = np.array([model.get_word_vector(w) for w in words], dtype=np.float32)
    _write_word2vec_binary(cfg.vectors, words, vectors)
    args = ", ".join(f"{k}={v!r}" for k, v in kwargs.items())
    notes = [
        "seed not settable through the Python binding (fixed at 0)",
        "fastText 0.9.x initialises only the first thread/10 of the input matrix (fastText #1061): with "
        "thread < 10 the other rows start at zero, which can cost quality at few epochs; run as shipped",
    ]
    if not out.marker_time:
        notes.append("vocabulary end not seen in output: train_s includes the vocab scan")
    return {
        "vocab_s": t1 - t0,
        # From the end of the vocabulary scan: includes allocating and initialising the matrices.
        "train_s": t2 - t1,
        "vocab_size": len(words),
        "output_tail": out.tail(3),
        "call": f"fasttext.train_unsupervised(PATH, {args})",
        "notes": notes,
    }


# --------------------------------------------------------------------------- NumPy reference


def _import_reference():
    try:
        from fastw2v import reference, tables

        api = (reference.TrainConfig, reference.train_batch, reference.Rng,
               tables.keep_thresholds, tables.build_alias_table)
    except (ImportError, AttributeError) as exc:
        raise Unavailable(f"fastw2v.reference.train_batch not available ({exc})") from exc
    return api


def _probe_reference():
    _import_reference()
    import numpy

    return f"NumPy {numpy.__version__}"


def _run_reference(cfg):
    """Words/s of the NumPy twin of the batch kernel on the first ``cfg.slice_words`` raw words.

    The vocabulary (min_count, counts for subsampling and the noise table) comes from the whole
    corpus, as it would in a real run; only the slice is trained, one sentence per line, with the
    learning rate decaying linearly over the slice.
    """
    import collections

    import numpy as np

    TrainConfig, train_batch, Rng, keep_thresholds, build_alias_table = _import_reference()
    t0 = time.perf_counter()
    counts = collections.Counter()
    head, head_words = [], 0
    with open(cfg.corpus, "rb") as f:
        for line in f:
            words = line.split()
            counts.update(words)
            if head_words < cfg.slice_words:
                head.append(words)
                head_words += len(words)
    vocab = sorted((w for w, c in counts.items() if c >= cfg.min_count), key=lambda w: (-counts[w], w))
    index = {w: i for i, w in enumerate(vocab)}
    freq = np.array([counts[w] for w in vocab], dtype=np.int64)
    tokens, offsets, raw = [], [0], 0
    for words in head:
        take = words[: cfg.slice_words - raw]
        raw += len(take)
        tokens.extend(index[w] for w in take if w in index)
        offsets.append(len(tokens))
    rng = np.random.default_rng(cfg.seed)
    w_in = ((rng.random((len(vocab), cfg.dim), dtype=np.float32) - 0.5) / cfg.dim).astype(np.float32)
    w_out = np.zeros((len(vocab), cfg.dim), dtype=np.float32)
    alias_threshold, alias_index = build_alias_table(freq, 0.75)
    config = TrainConfig(
        w_in, w_out, np.zeros((0, cfg.dim), dtype=np.float32), keep_thresholds(freq, cfg.sample),
        alias_threshold, alias_index, np.zeros(0, dtype=np.uint8), np.zeros(0, dtype=np.int32),
        np.zeros(0, dtype=np.int64), sg=cfg.sg, negative=cfg.negative, hs=0, window=cfg.window,
    )
    t1 = time.perf_counter()
    kept, _ = train_batch(config, Rng(cfg.seed), np.asarray(tokens, dtype=np.int32),
                          np.asarray(offsets, dtype=np.int64), cfg.alpha, cfg.alpha * MIN_ALPHA_RATIO)
    t2 = time.perf_counter()
    return {
        "vocab_s": t1 - t0,
        "train_s": t2 - t1,
        "vocab_size": len(vocab),
        "benchmark_words": raw,  # words/s of the reference counts the slice, once
        "call": (f"fastw2v.reference.train_batch(TrainConfig(..., sg={cfg.sg}, negative={cfg.negative}, "
                 f"hs=0, window={cfg.window}), Rng({cfg.seed}), first {raw} words, "
                 f"{cfg.alpha}, {cfg.alpha * MIN_ALPHA_RATIO:g})"),
        "notes": [f"kept {kept} of {len(tokens)} in-vocabulary words after subsampling"],
    }


SYSTEMS = {
    s.name: s
    for s in [
        System("fastw2v", "fastw2v.Word2Vec(corpus_file=...), batch_mode='exact' (the default)",
               _probe_fastw2v, _run_fastw2v),
        System("fastw2v-fast", "fastw2v.Word2Vec(corpus_file=..., batch_mode='shared_negatives')",
               _probe_fastw2v, _run_fastw2v_fast),
        System("fastw2v-shared-hot", "fastw2v.Word2Vec(corpus_file=...) with FASTW2V_HOT_ROWS=0 and "
               "FASTW2V_HOT_INPUT_ROWS=0: no private copies of the hottest rows (the trainer before "
               "2026-12-04)",
               _probe_fastw2v, _run_fastw2v_shared_hot, default=False),
        System("fastw2v-iter", "fastw2v.Word2Vec over fastw2v.corpus.LineSentence (iterable mode)",
               _probe_fastw2v_iter, _run_fastw2v_iter),
        System("fastw2v-fast-iter",
               "fastw2v.Word2Vec over fastw2v.corpus.LineSentence, batch_mode='shared_negatives'",
               _probe_fastw2v_iter, _run_fastw2v_fast_iter, default=False),
        System("gensim", "gensim.models.Word2Vec(corpus_file=...)", _probe_gensim_corpus_file, _run_gensim),
        System("gensim-iter", "gensim.models.Word2Vec over gensim LineSentence (iterable mode)",
               _probe_gensim, _run_gensim_iter, default=False),
        System("word2vec.c", "Mikolov's word2vec.c, as compiled by the PyPI package 'word2vec'",
               _probe_word2vec_c, _run_word2vec_c),
        System("fasttext", "fastText train_unsupervised with minn=0 maxn=0 (plain word2vec)",
               _probe_fasttext, _run_fasttext),
        System("reference", "fastw2v.reference.train_batch (NumPy) on a slice; words/s only",
               _probe_reference, _run_reference, threaded=False, quality=False),
    ]
}
