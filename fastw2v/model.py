"""Word2Vec: gensim-4-compatible training API over the Cython core.

Validation happens here, before any thread starts; every epoch is then one call of the epoch engine
(``fastw2v.engine.run_epoch``), which feeds batches of int32 word ids to the kernels' ``train_batch``
from ``workers`` Python threads (the kernel releases the GIL for the whole batch, so the threads
train concurrently, Hogwild-style, on shared weight arrays).

Determinism: every batch draws its random numbers from its own stream, seeded by
``tables.batch_seed(seed, epoch, batch index)`` (the epoch counted over the model's life), whichever
worker trains it. So with ``workers=1`` and a fixed ``seed`` two runs give bitwise identical vectors,
a corpus of one batch does so for any ``workers``, and with several batches and ``workers > 1`` the
only run-to-run difference is the interleaving of lock-free updates, as in word2vec.c and gensim
(and, for iterable input, which queued batches a worker merges into one call: a merged call
continues the stream of its first batch; see ``engine.MERGE_BATCHES``).
"""
import logging
import math
import numbers
import os
import sys
import time
import warnings

import numpy as np

from . import engine, kernels, tables
from .corpus import MAX_SENTENCE_LENGTH, file_partitions, iter_file_batches, iter_id_batches
from .io import WORD2VEC_FORMAT as NATIVE_FORMAT, WORD2VEC_VERSION as NATIVE_VERSION
from .io import VectorFileError
from .io import check_finite_rows as _check_finite_rows
from .keyedvectors import KeyedVectors
from .keyedvectors import _jsonable   # (what KeyedVectors' saved lifecycle events go through too)
from .keyedvectors import lifecycle_record
from .tables import BATCH_MODES
from .vocab import EmptyCorpusError, Vocabulary, count_words
from .vocab import effective_min_count as _effective_min_count

# The epoch engine's names, importable from here as before it had a module of its own (a
# monkeypatch must target fastw2v.engine: these are copies of its bindings).
from .engine import (  # noqa: F401
    DIVERGENCE_PROBE_ROWS, DIVERGENCE_SNAPSHOT_MAX_BYTES, MERGE_BATCHES, MERGE_WORDS,
    TrainingDivergedError, _WORKER_POLL_SECONDS, _Flag, _NoProgress, _close, _drain, _finite_rows,
    _merged, _progress_bar, _start, _stop_workers, _take_credit, _wait_until_left,
)
from .engine import DivergenceProbe as _DivergenceProbe  # noqa: F401
from .engine import EpochStats as _EpochStats  # noqa: F401
from .engine import WeightSnapshot as _WeightSnapshot  # noqa: F401
from .engine import all_finite as _all_finite  # noqa: F401
from .engine import alpha_schedule as _alpha_schedule  # noqa: F401
from .engine import run_epoch as _run_epoch  # noqa: F401

logger = logging.getLogger(__name__)

#: Bytes of a corpus_file read per batch (about 50k words of English text).
FILE_BATCH_BYTES = 1 << 18
#: The constructor parameters gensim's Word2Vec and fastw2v's share (same names, same meaning).
_GENSIM_PARAMS = ("vector_size", "alpha", "window", "min_count", "max_vocab_size", "sample",
                  "seed", "workers", "min_alpha", "sg", "hs", "negative", "ns_exponent", "cbow_mean",
                  "epochs", "null_word", "sorted_vocab", "batch_words", "compute_loss",
                  "max_final_vocab", "shrink_windows")
#: The hyperparameters of a model, in the order ``save`` writes them: gensim's and fastw2v's own.
#: The one list: ``_params()`` (what a model file holds) and ``_NATIVE_PARAMS`` (all a model file
#: may set on load) are made from it.
_PARAM_NAMES = _GENSIM_PARAMS + ("batch_mode", "exact_sigmoid")
#: The hyperparameters a native model file may set (what Word2Vec.save writes): nothing else.
_NATIVE_PARAMS = frozenset(_PARAM_NAMES)
#: estimate_memory: bytes per word of a vocabulary it has not seen (the str object, ~10 characters).
ESTIMATED_WORD_BYTES = 60



__all__ = ["Word2Vec", "TrainingDivergedError", "EmptyCorpusError"]


class ModelFileFormatError(VectorFileError, AttributeError):
    """``Word2Vec.load`` was given a file that is not a Word2Vec model (e.g. saved KeyedVectors).
    Also an AttributeError, which is what gensim raises for that mistake."""


class _ClassOnlyMethod(classmethod):
    """A classmethod that raises AttributeError when looked up on an instance (gensim's
    ``model.load(path)`` mistake: ``load`` returns a new model, it does not fill this one)."""

    def __get__(self, instance, owner=None):
        if instance is not None:
            raise AttributeError(f"{owner.__name__}.load() is a class method: call "
                                 f"{owner.__name__}.load(path), which returns the loaded model")
        return super().__get__(instance, owner)


def _check_callbacks(callbacks):
    # A single callback object passed without a list is the usual mistake; say so, by name.
    if isinstance(callbacks, (str, bytes)) or not hasattr(callbacks, "__iter__"):
        raise TypeError(f"callbacks must be a list or tuple of callback objects, got "
                        f"{type(callbacks).__name__}; wrap a single callback in a list")
    return tuple(callbacks)


def _check_int(name, value, minimum, maximum=None, allow_none=False):
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__} {value!r}")
    value = int(value)
    if value < minimum or (maximum is not None and value > maximum):
        upper = f" and <= {maximum}" if maximum is not None else ""
        raise ValueError(f"{name} must be >= {minimum}{upper}, got {value}")
    return value


def _check_float(name, value, minimum=None, strictly_positive=False):
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number, got {type(value).__name__} {value!r}")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}")
    if strictly_positive and value <= 0:
        raise ValueError(f"{name} must be > 0, got {value}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return value


def _check_corpus_args(corpus_iterable, corpus_file, who):
    if corpus_iterable is not None and corpus_file is not None:
        raise TypeError(f"{who}: pass either corpus_iterable (sentences) or corpus_file, not both")
    if corpus_iterable is None and corpus_file is None:
        raise TypeError(f"{who}: pass corpus_iterable (sentences) or corpus_file")
    if corpus_iterable is not None:
        if isinstance(corpus_iterable, (str, bytes)):
            raise TypeError(
                f"{who}: corpus_iterable is a {type(corpus_iterable).__name__}; pass an iterable of "
                "token lists, or use corpus_file=PATH for a file")
        if iter(corpus_iterable) is corpus_iterable:
            raise TypeError(
                f"{who}: corpus_iterable is a generator or iterator, which can be read only once but "
                "training reads the corpus once per epoch (and once more for the vocabulary). Pass a "
                "restartable iterable: a list, or an object whose __iter__ starts over.")
    if corpus_file is not None:
        if not isinstance(corpus_file, (str, os.PathLike)):
            raise TypeError(f"{who}: corpus_file must be a path, got {type(corpus_file).__name__}")
        corpus_file = os.fspath(corpus_file)
        if not os.path.isfile(corpus_file):
            raise FileNotFoundError(f"{who}: corpus_file {corpus_file!r} does not exist or is not a file")
        if not os.access(corpus_file, os.R_OK):
            raise PermissionError(f"{who}: corpus_file {corpus_file!r} is not readable")
    return corpus_iterable, corpus_file


class Word2Vec:
    """Train word vectors with skip-gram or CBOW, negative sampling or hierarchical softmax.

    The constructor takes gensim 4's parameters with gensim's defaults; ``hashfxn`` and ``comment`` are
    accepted for compatibility (``hashfxn`` is unused: initial vectors come from a NumPy generator seeded
    by ``seed``). fastw2v additions: ``batch_mode`` (see ``BATCH_MODES``), ``progress`` (a tqdm bar
    instead of log lines) and ``exact_sigmoid`` (exact sigmoid instead of the lookup table).

    After training: ``wv`` holds the word vectors (a ``KeyedVectors``), ``syn1neg`` the output weights of
    negative sampling, ``syn1`` those of hierarchical softmax (``len(wv)`` rows as in gensim; the
    Huffman tree's ``len(wv) - 1`` inner nodes use all but the last, which stays zero),
    ``loss_history`` the summed loss of every epoch (float64, per-thread tallies added up),
    ``get_latest_training_loss()`` the running sum over the epochs of the latest ``train()`` call
    (gensim's semantics).
    """

    #: Each train() epoch starts with a copy of the weights (engine.WeightSnapshot, restored if the
    #: epoch diverges) and ends with a finiteness check of every weight. False for the replicas of
    #: fastw2v.distributed, which train many short rounds and check the rows they merge instead; a
    #: divergence then marks the model diverged and the driver stops the run.
    _epoch_guard = True

    def __init__(self, sentences=None, corpus_file=None, vector_size=100, alpha=0.025, window=5,
                 min_count=5, max_vocab_size=None, sample=1e-3, seed=1, workers=3, min_alpha=0.0001,
                 sg=0, hs=0, negative=5, ns_exponent=0.75, cbow_mean=1, hashfxn=hash, epochs=5,
                 null_word=0, trim_rule=None, sorted_vocab=1, batch_words=10000, compute_loss=False,
                 callbacks=(), comment=None, max_final_vocab=None, shrink_windows=True,
                 batch_mode="exact", progress=False, exact_sigmoid=False):
        self.vector_size = _check_int("vector_size", vector_size, 1, 1 << 20)
        self.alpha = _check_float("alpha", alpha, strictly_positive=True)
        self.min_alpha = _check_float("min_alpha", min_alpha, minimum=0.0)
        self.window = _check_int("window", window, 1, 1 << 20)
        self.min_count = _check_int("min_count", min_count, 0)
        self.max_vocab_size = _check_int("max_vocab_size", max_vocab_size, 1, allow_none=True)
        self.sample = _check_float("sample", sample, minimum=0.0)
        self.seed = _check_int("seed", seed, 0)
        self.workers = _check_int("workers", workers, 1, 1024)
        self.sg = _check_int("sg", sg, 0, 1)
        self.hs = _check_int("hs", hs, 0, 1)
        self.negative = _check_int("negative", negative, 0, 1000)
        if self.negative == 0 and self.hs == 0:
            raise ValueError("negative=0 and hs=0 leaves nothing to train: set negative > 0 "
                             "(negative sampling) or hs=1 (hierarchical softmax)")
        self.ns_exponent = _check_float("ns_exponent", ns_exponent)
        self.cbow_mean = _check_int("cbow_mean", cbow_mean, 0, 1)
        self.epochs = _check_int("epochs", epochs, 1)
        self.null_word = _check_int("null_word", null_word, 0, 1)
        self.sorted_vocab = _check_int("sorted_vocab", sorted_vocab, 0, 1)
        self.batch_words = _check_int("batch_words", batch_words, 1)
        self.max_final_vocab = _check_int("max_final_vocab", max_final_vocab, 1, allow_none=True)
        if batch_mode not in BATCH_MODES:
            raise ValueError(f"batch_mode must be one of {BATCH_MODES}, got {batch_mode!r}")
        self.batch_mode = batch_mode
        self.shrink_windows = bool(shrink_windows)
        self.exact_sigmoid = bool(exact_sigmoid)
        self.compute_loss = bool(compute_loss)
        self.trim_rule = trim_rule
        self.hashfxn = hashfxn
        self.comment = comment
        self.callbacks = _check_callbacks(callbacks)
        self.progress = bool(progress)

        self.vocab = None
        self.wv = KeyedVectors(self.vector_size)
        self.syn1neg = np.zeros((0, self.vector_size), dtype=np.float32)
        self.syn1 = np.zeros((0, self.vector_size), dtype=np.float32)
        self.corpus_count = 0
        self.corpus_total_words = 0
        self.loss_history = []
        self.running_training_loss = 0.0
        self.train_count = 0
        self.total_train_time = 0.0
        self.epochs_trained = 0
        self.min_alpha_yet_reached = self.alpha
        self.raw_vocab = None     # word -> count of scan_vocab (or build_vocab(keep_raw_vocab=True))
        self.lifecycle_events = []
        self._rng_states = None   # unused since per-batch streams; kept for model files that have it
        self._diverged = None   # message of a divergence that left NaN/inf weights (see train)

        self.add_lifecycle_event("created", params=repr(self))
        if sentences is not None or corpus_file is not None:
            _check_corpus_args(sentences, corpus_file, "Word2Vec")
            self.build_vocab(corpus_iterable=sentences, corpus_file=corpus_file, trim_rule=trim_rule)
            self.train(corpus_iterable=sentences, corpus_file=corpus_file,
                       total_examples=self.corpus_count, total_words=self.corpus_total_words,
                       epochs=self.epochs, start_alpha=self.alpha, end_alpha=self.min_alpha,
                       compute_loss=compute_loss, callbacks=self.callbacks)

    # ------------------------------------------------------------------ vocabulary

    def init_weights(self):
        """Re-draw the input vectors from ``seed`` and zero the output weights (gensim's name)."""
        if self.vocab is None:
            raise RuntimeError("init_weights() needs a vocabulary: call build_vocab() first")
        self._init_weights()

    def update_weights(self):
        """Give words added since the weights were made (``build_vocab(update=True)``) their rows
        (gensim's name; build_vocab already does it, so this only fills a gap)."""
        if self.vocab is None or not len(self.wv):
            raise RuntimeError("update_weights() needs weights for a first vocabulary: call "
                               "build_vocab() first")
        if len(self.wv) < len(self.vocab):
            self._grow_weights(len(self.wv))

    def seeded_vector(self, seed_string, vector_size):
        """gensim's helper: a random vector in [-0.5, 0.5) / vector_size derived from
        ``hashfxn(seed_string)`` (``keyedvectors.pseudorandom_weak_vector``)."""
        from .keyedvectors import pseudorandom_weak_vector
        return pseudorandom_weak_vector(vector_size, seed_string=seed_string, hashfxn=self.hashfxn)

    def build_vocab(self, corpus_iterable=None, corpus_file=None, update=False, progress_per=10000,
                    keep_raw_vocab=False, trim_rule=None, **kwargs):
        """Count the corpus, apply min_count / max_final_vocab / trim_rule, and (re)initialise weights.

        With ``update=True`` the counts of known words grow and new words are appended (existing ids and
        vectors are kept), so that training can continue on new text.
        """
        if kwargs:
            raise TypeError(f"build_vocab() got unexpected keyword arguments {sorted(kwargs)}")
        result = self._count(corpus_iterable, corpus_file, progress_per, trim_rule, "build_vocab",
                             compact=not keep_raw_vocab)
        self.raw_vocab = result.counts if keep_raw_vocab else None
        self._apply_counts(result.counts, update=update, trim_rule=trim_rule)
        self.add_lifecycle_event("build_vocab", update=update, trim_rule=repr(trim_rule))
        logger.info("collected %i word types from a corpus of %i raw words and %i sentences; "
                    "kept %i words", len(result.counts), result.total_words, result.n_sentences,
                    len(self.vocab))

    def _count(self, corpus_iterable, corpus_file, progress_per, trim_rule, who, compact=False):
        """Count the corpus (``vocab.count_words``) and set ``corpus_count`` / ``corpus_total_words``.
        ``compact``: the counts need not be a dict (see ``count_words``)."""
        corpus_iterable, corpus_file = _check_corpus_args(corpus_iterable, corpus_file, who)
        result = count_words(corpus_iterable=corpus_iterable, corpus_file=corpus_file,
                             max_vocab_size=self.max_vocab_size, progress_per=progress_per,
                             trim_rule=trim_rule if trim_rule is not None else self.trim_rule,
                             compact=compact)
        self.corpus_count = result.n_sentences
        self.corpus_total_words = result.total_words
        return result

    def build_vocab_from_freq(self, word_freq, keep_raw_vocab=False, corpus_count=None, trim_rule=None,
                              update=False):
        """Build the vocabulary from a ``{word: count}`` mapping instead of a corpus."""
        if not hasattr(word_freq, "items"):
            raise TypeError(f"word_freq must be a mapping of word -> count, got {type(word_freq).__name__}")
        counts = {}
        for word, count in word_freq.items():
            if not isinstance(word, str):
                raise TypeError(f"word_freq keys must be str, got {type(word).__name__} {word!r}")
            counts[word] = _check_int(f"word_freq[{word!r}]", count, 0)
        self.corpus_count = int(corpus_count or 0)
        self.corpus_total_words = int(sum(counts.values()))
        self._apply_counts(counts, update=update, trim_rule=trim_rule)

    def _apply_counts(self, counts, update, trim_rule):
        trim_rule = trim_rule if trim_rule is not None else self.trim_rule
        if update:
            if self.vocab is None:
                raise RuntimeError("build_vocab(update=True) needs an existing vocabulary: call "
                                   "build_vocab() without update first")
            old_size = len(self.vocab)
            self.vocab.update(counts, min_count=self.min_count, trim_rule=trim_rule,
                              max_final_vocab=self.max_final_vocab)
            self._grow_weights(old_size)
            self._prepare_tables()
        else:
            self._set_vocabulary(Vocabulary.from_counts(
                counts, min_count=self.min_count, trim_rule=trim_rule,
                max_final_vocab=self.max_final_vocab, sorted_vocab=bool(self.sorted_vocab),
                null_word=bool(self.null_word)))

    def _set_vocabulary(self, vocab):
        """Install a new ``Vocabulary``: its sampling tables and fresh initial weights (from
        ``seed``, so every model with these parameters and this vocabulary starts the same)."""
        # Tables first: if they fail (e.g. an ns_exponent that overflows), the model is unchanged.
        built = self._build_tables(vocab.counts)
        self.vocab = vocab
        self._init_weights()
        self.__dict__.update(built)

    def _random_rows(self, rng, n):
        """Initial input vectors: uniform in [-1, 1) / vector_size, float32, computed as gensim 4 does
        (a fresh vocabulary gets gensim's numbers for the same seed); word2vec.c's range is half as
        wide, [-0.5, 0.5) / size."""
        rows = rng.random((n, self.vector_size), dtype=np.float32)
        rows *= np.float32(2.0)
        rows -= np.float32(1.0)
        rows /= np.float32(self.vector_size)
        return rows

    def _init_weights(self):
        size = len(self.vocab)
        vectors = self._random_rows(np.random.default_rng(self.seed), size)
        self.syn1neg = np.zeros((size if self.negative else 0, self.vector_size), dtype=np.float32)
        self.syn1 = np.zeros((size if self.hs else 0, self.vector_size), dtype=np.float32)
        self._diverged = None   # fresh weights: a past divergence no longer matters
        self._set_wv(vectors)

    def _grow_weights(self, old_size):
        size = len(self.vocab)
        new_rows = self._random_rows(np.random.default_rng([self.seed, old_size]), size - old_size)
        vectors = np.concatenate([self.wv.vectors, new_rows])
        if self.negative:
            self.syn1neg = np.concatenate(
                [self.syn1neg, np.zeros((size - old_size, self.vector_size), dtype=np.float32)])
        if self.hs:
            self.syn1 = np.concatenate(
                [self.syn1, np.zeros((size - len(self.syn1), self.vector_size), dtype=np.float32)])
        self._set_wv(vectors)

    def _set_wv(self, vectors):
        # The KeyedVectors holds (does not copy) the array the kernels train in place.
        self.wv = KeyedVectors.from_arrays(list(self.vocab.index_to_key), vectors,
                                           counts=self.vocab.counts)
        if getattr(self, "_diverged", None) is not None:   # build_vocab(update=True) keeps old rows
            self.wv._mark_unusable(self._diverged)

    def _prepare_tables(self):
        self.__dict__.update(self._build_tables(self.vocab.counts))

    def _build_tables(self, counts):
        """The sampling tables for ``counts``, as attributes to set; raises before setting any."""
        built = {"_keep_threshold": tables.keep_thresholds(counts, self.sample)}
        if self.negative:
            try:
                with np.errstate(over="ignore"):
                    sampler = kernels.core.AliasSampler(counts, power=self.ns_exponent, seed=self.seed)
            except ValueError as exc:
                # The kernel's message speaks of "counts" and "power"; the user set ns_exponent.
                raise ValueError(f"ns_exponent={self.ns_exponent} gives an unusable negative-sampling "
                                 f"distribution counts**ns_exponent ({exc}); use a moderate value "
                                 "such as 0.75") from None
            built["_alias_threshold"] = np.ascontiguousarray(sampler.threshold)
            built["_alias_index"] = np.ascontiguousarray(sampler.alias)
        else:
            built["_alias_threshold"] = np.zeros(0, dtype=np.uint32)
            built["_alias_index"] = np.zeros(0, dtype=np.int32)
        if self.hs:
            built["_hs_codes"], built["_hs_points"], built["_hs_offsets"] = kernels.core.build_huffman(counts)
        else:
            built["_hs_codes"] = np.zeros(0, dtype=np.uint8)
            built["_hs_points"] = np.zeros(0, dtype=np.int32)
            built["_hs_offsets"] = np.zeros(len(counts) + 1, dtype=np.int64)
        return built

    def _make_config(self):
        size = len(self.wv.vectors)
        syn1 = self.syn1[:max(size - 1, 0)] if self.hs else self.syn1   # the tree's inner nodes
        return kernels.core.TrainConfig(
            self.wv.vectors, self.syn1neg, syn1, self._keep_threshold,
            self._alias_threshold, self._alias_index, self._hs_codes, self._hs_points,
            self._hs_offsets, sg=self.sg, negative=self.negative, hs=self.hs, window=self.window,
            shrink_windows=self.shrink_windows, cbow_mean=bool(self.cbow_mean),
            exact_sigmoid=self.exact_sigmoid, batch_mode=self.batch_mode, lockf=self._lockf())

    def _lockf(self):
        """``wv.vectors_lockf`` as the kernels take it: None when unset or all ones, else float32 of
        length 1 or len(wv) (gensim's lock factors: 0 freezes a word's input vector)."""
        lockf = getattr(self.wv, "vectors_lockf", None)
        if lockf is None:
            return None
        try:
            lockf = np.asarray(lockf, dtype=np.float32)
        except (TypeError, ValueError):
            raise TypeError(f"wv.vectors_lockf must be an array of numbers, got "
                            f"{type(lockf).__name__}") from None
        if lockf.ndim != 1 or len(lockf) not in (1, len(self.wv)):
            raise ValueError(f"wv.vectors_lockf must be a 1-D array of length 1 or len(wv)="
                             f"{len(self.wv)}, got shape {lockf.shape}")
        if not np.isfinite(lockf).all():
            raise ValueError("wv.vectors_lockf must hold finite factors")
        if (lockf == 1.0).all():
            return None
        if self.batch_mode == "shared_negatives":
            raise ValueError("wv.vectors_lockf (locked vectors) is not supported with "
                             "batch_mode='shared_negatives'; use batch_mode='exact'")
        return lockf

    # ------------------------------------------------------------------ training

    def train(self, corpus_iterable=None, corpus_file=None, total_examples=None, total_words=None,
              epochs=None, start_alpha=None, end_alpha=None, word_count=0, queue_factor=2,
              report_delay=1.0, compute_loss=False, callbacks=(), progress=None, **kwargs):
        """Train for ``epochs`` passes over the corpus; the learning rate decays linearly from
        ``start_alpha`` (default ``alpha``) to ``end_alpha`` (default ``min_alpha``) over all epochs.

        As in gensim, ``epochs`` and one of ``total_examples`` (sentences per epoch) or
        ``total_words`` (raw words per epoch) are required, for the learning-rate schedule and progress.
        Returns ``(effective_words, raw_words)`` summed over epochs, like gensim.
        """
        if kwargs:
            raise TypeError(f"train() got unexpected keyword arguments {sorted(kwargs)}")
        corpus_iterable, corpus_file = _check_corpus_args(corpus_iterable, corpus_file, "train")
        # the arguments first, the model's state next: gensim's order of checks
        if epochs is None:
            raise ValueError("train() needs an explicit epochs count: pass epochs=model.epochs")
        epochs = _check_int("epochs", epochs, 0)
        if total_examples is None and total_words is None:
            if corpus_file is not None:
                total_words = self.corpus_total_words
            else:
                raise ValueError(
                    "train() needs total_examples or total_words, for the learning-rate schedule and "
                    "progress: pass total_examples=model.corpus_count if the corpus is the one given "
                    "to build_vocab")
        if self.vocab is None or len(self.vocab) == 0:
            raise RuntimeError("you must first build the vocabulary before training the model: call "
                               "build_vocab(corpus) (or pass the corpus to Word2Vec(...))")
        total_examples = _check_int("total_examples", total_examples, 0, allow_none=True)
        total_words = _check_int("total_words", total_words, 0, allow_none=True)
        start_alpha = _check_float("start_alpha", self.alpha if start_alpha is None else start_alpha,
                                   minimum=0.0)
        end_alpha = _check_float("end_alpha", self.min_alpha if end_alpha is None else end_alpha,
                                 minimum=0.0)
        self.callbacks = callbacks = _check_callbacks(callbacks)   # gensim: train() replaces them
        show_progress = self.progress if progress is None else bool(progress)
        expected_words = self._expected_words(total_examples, total_words)
        if self._diverged is not None:
            raise TrainingDivergedError(
                f"{self._diverged}; the weights hold NaN/inf: call build_vocab() to re-initialise "
                "them, then train with a lower learning rate (alpha)")
        self._check_trainable_weights()
        if self.hs and self.negative:
            logger.warning("Both hierarchical softmax and negative sampling are activated. This is "
                           "probably a mistake. You should set either 'hs=0' or 'negative=0' to "
                           "disable one of them.")
        if start_alpha > self.min_alpha_yet_reached * (1 + 1e-9):   # (not for rounding)
            logger.warning("Effective 'alpha' higher than previous training cycles")

        config = self._make_config()
        probe = engine.DivergenceProbe(config, self.vocab.counts)
        self.compute_loss = self.compute_loss or bool(compute_loss)

        merge = engine.merge_limit(self.workers, self.batch_words, from_file=corpus_file is not None)

        on_batch = _batch_hooks(callbacks, self)
        _call(callbacks, "on_train_begin", self)
        start = time.perf_counter()
        trained_effective, trained_raw = 0, 0
        self.running_training_loss = 0.0   # gensim: the sum over this call's epochs
        # (opened here, right before the try whose finally closes its temporary file)
        snapshot = engine.WeightSnapshot.maybe(config) if self._epoch_guard else None
        try:
            for epoch in range(epochs):
                _call(callbacks, "on_epoch_begin", self)
                if snapshot is not None:
                    snapshot.take()
                batches = self._batches(corpus_iterable, corpus_file)
                alpha_at = engine.alpha_schedule(start_alpha, end_alpha, epochs, epoch, expected_words)
                seeds = _BatchSeeds(self.seed, self.epochs_trained)
                try:
                    stats = engine.run_epoch(config, seeds, batches, alpha_at, self.workers,
                                             queue_factor, show_progress, report_delay, epoch,
                                             expected_words, probe, merge, on_batch)
                    if not (math.isfinite(stats.loss)
                            and (not self._epoch_guard or engine.all_finite(config))):
                        raise TrainingDivergedError("non-finite loss or weights at the end of the epoch")
                except TrainingDivergedError as exc:
                    self._handle_divergence(exc, epoch, start_alpha, snapshot)
                trained_effective += stats.effective_words
                trained_raw += stats.raw_words
                self.loss_history.append(stats.loss)
                self.running_training_loss += stats.loss
                self.min_alpha_yet_reached = alpha_at(stats.raw_words)
                self.epochs_trained += 1
                logger.info("EPOCH %i: training on %i raw words (%i effective words) took %.1fs, "
                            "%.0f effective words/s, loss %.4g", epoch + 1, stats.raw_words,
                            stats.effective_words, stats.seconds,
                            stats.effective_words / max(stats.seconds, 1e-9), stats.loss)
                _call(callbacks, "on_epoch_end", self)
        finally:
            # Also on KeyboardInterrupt or a callback's exception: the workers have stopped (see
            # engine.run_epoch) and the weights are finite; an interrupted epoch is not counted, so
            # training it again draws the same per-batch streams.
            self.total_train_time += time.perf_counter() - start
            self.wv.invalidate_norms()   # the kernels wrote into wv.vectors in place
            if snapshot is not None:
                snapshot.close()
        self.train_count += 1
        self.add_lifecycle_event("train", msg=f"training on {trained_raw} raw words "
                                 f"({trained_effective} effective words) in {epochs} epochs")
        _call(callbacks, "on_train_end", self)
        return trained_effective, trained_raw

    def _check_trainable_weights(self):
        for name, array in (("wv.vectors", self.wv.vectors), ("syn1neg", self.syn1neg),
                            ("syn1", self.syn1)):
            if array.size and not array.flags.writeable:
                raise ValueError(f"cannot train: {name} is read-only (a model loaded with mmap='r'?); "
                                 "load it with mmap=None or mmap='c' (copy-on-write) to train it")

    def _handle_divergence(self, exc, epoch, start_alpha, snapshot):
        """Restore the epoch-start weights (or mark the model diverged), then raise a clear error."""
        message = (f"training diverged in epoch {epoch + 1} with alpha={start_alpha} ({exc}): "
                   "lower the learning rate (alpha)")
        if snapshot is not None and snapshot.restore():
            message += (f". The weights were restored to their state at the start of epoch "
                        f"{epoch + 1}, so the model stays usable and can be trained again")
        else:
            self._diverged = message
            if self._epoch_guard:   # (a distributed replica keeps no copy: its driver stops the run)
                message += ((". The model is too large for a restore copy "
                             "(DIVERGENCE_SNAPSHOT_MAX_BYTES)" if snapshot is None else
                             ". Its epoch-start copy could not be written to or read back from the "
                             "temporary folder") +
                            ", so it is marked diverged: queries and train() raise until "
                            "build_vocab() re-initialises it")
            self.wv._mark_unusable(message)
        raise TrainingDivergedError(message) from exc

    def _expected_words(self, total_examples, total_words):
        if total_words:
            return total_words
        if total_examples and self.corpus_count:
            return max(1, round(self.corpus_total_words * total_examples / self.corpus_count))
        return max(1, self.corpus_total_words)

    def _batches(self, corpus_iterable, corpus_file):
        if corpus_file is not None:
            # With several workers, a plain file is read from `workers` places at once, in turn, so
            # that the workers train on distant parts of the corpus at the same time, as word2vec.c's
            # threads and gensim's corpus_file workers do (docs/architecture.md).
            vocab_hash = self._vocab_hash()
            return _round_robin([
                iter_file_batches(corpus_file, vocab_hash, batch_bytes=FILE_BATCH_BYTES,
                                  max_sentence_length=MAX_SENTENCE_LENGTH, start=start, end=end)
                for start, end in file_partitions(corpus_file, self.workers)])
        try:
            vocab_hash = self._vocab_hash()   # faster lookups of str tokens (_text.lookup_tokens)
        except UnicodeEncodeError:            # a word with a lone surrogate: dict lookups only
            vocab_hash = None
        return iter_id_batches(corpus_iterable, self.vocab.key_to_index, batch_words=self.batch_words,
                               max_sentence_length=MAX_SENTENCE_LENGTH, vocab_hash=vocab_hash)

    def _vocab_hash(self):
        from ._text import VocabHash
        cached = getattr(self, "_hash_cache", None)
        if cached is None or cached[0] is not self.vocab or cached[1] != len(self.vocab):
            cached = (self.vocab, len(self.vocab), VocabHash(list(self.vocab.index_to_key)))
            self._hash_cache = cached
        return cached[2]

    def get_latest_training_loss(self):
        """Loss summed over the epochs of the latest ``train()`` call so far (float64; gensim's
        running loss, so ``loss - previous`` in ``on_epoch_end`` is that epoch's loss; 0.0 before
        training). ``loss_history`` keeps every epoch's own sum."""
        return self.running_training_loss


    # ------------------------------------------------------------------ more of gensim's API

    @property
    def effective_min_count(self):
        """The min_count actually applied by the last vocabulary build (raised above ``min_count``
        when ``max_final_vocab`` demands it); ``min_count`` before any build."""
        if self.vocab is None or self.vocab.effective_min_count is None:
            return self.min_count
        return self.vocab.effective_min_count

    @property
    def layer1_size(self):
        """gensim's name for the width of the output weights (= ``vector_size``)."""
        return self.vector_size

    def add_lifecycle_event(self, event_name, log_level=logging.INFO, **event):
        """Append ``{"event": event_name, **event}`` with the time, fastw2v, Python and platform
        versions to ``lifecycle_events`` (saved with the model), and log it at ``log_level``
        (None: not logged), as gensim does."""
        record = lifecycle_record(event_name, event)
        if log_level:
            logger.log(log_level, "%s lifecycle event %s", type(self).__name__, record)
        if not hasattr(self, "lifecycle_events") or self.lifecycle_events is None:
            self.lifecycle_events = []
        self.lifecycle_events.append(record)

    def scan_vocab(self, corpus_iterable=None, corpus_file=None, progress_per=10000, workers=None,
                   trim_rule=None):
        """gensim's first build_vocab step: count the corpus into ``raw_vocab`` (word -> count) and
        set ``corpus_count`` / ``corpus_total_words``. Returns ``(total_words, corpus_count)``.
        ``workers`` is accepted and unused (counting has its own fast paths)."""
        result = self._count(corpus_iterable, corpus_file, progress_per, trim_rule, "scan_vocab")
        self.raw_vocab = result.counts
        return result.total_words, result.n_sentences

    def prepare_vocab(self, update=False, keep_raw_vocab=False, trim_rule=None, min_count=None,
                      sample=None, dry_run=False):
        """gensim's second build_vocab step: apply ``min_count`` / ``max_final_vocab`` /
        ``trim_rule`` to ``raw_vocab`` (from :meth:`scan_vocab`) and build the vocabulary, its
        sampling tables and (fastw2v builds them together) the initial weights.

        ``min_count`` / ``sample`` given here replace the model's. Returns gensim's report:
        ``drop_unique``, ``retain_total``, ``downsample_unique``, ``downsample_total`` (expected
        words per epoch after subsampling, int) and ``num_retained_words``. ``dry_run=True`` only
        computes the report. ``raw_vocab`` is dropped unless ``keep_raw_vocab``.
        """
        raw = getattr(self, "raw_vocab", None)
        if not raw:
            raise RuntimeError("prepare_vocab() needs the counts of scan_vocab(corpus): call it first")
        min_count = self.min_count if min_count is None else _check_int("min_count", min_count, 0)
        sample = self.sample if sample is None else _check_float("sample", sample, minimum=0.0)
        trim_rule = trim_rule if trim_rule is not None else self.trim_rule
        effective = _effective_min_count(raw, min_count, self.max_final_vocab)
        from .vocab import keep_vocab_item
        kept = [c for w, c in raw.items() if keep_vocab_item(w, c, effective, trim_rule)]
        counts = np.asarray(kept, dtype=np.float64)
        retain_total = int(counts.sum())
        if not sample:
            threshold = float(retain_total)
        elif sample < 1.0:
            threshold = sample * retain_total
        else:
            threshold = float(int(sample * (3 + math.sqrt(5)) / 2))
        with np.errstate(divide="ignore", invalid="ignore"):
            keep = np.minimum((np.sqrt(counts / threshold) + 1) * (threshold / counts), 1.0)
        report = {"drop_unique": len(raw) - len(kept), "retain_total": retain_total,
                  "downsample_unique": int((keep < 1.0).sum()),
                  "downsample_total": int((keep * counts).sum()), "num_retained_words": len(kept)}
        if dry_run:
            return report
        self.min_count, self.sample = min_count, sample
        self._apply_counts(raw, update=update, trim_rule=trim_rule)
        if not keep_raw_vocab:
            self.raw_vocab = None
        self.add_lifecycle_event("prepare_vocab", msg=f"effective_min_count={effective} leaves "
                                 f"{len(kept)} unique words ({retain_total} words)")
        return report

    def prepare_weights(self, update=False):
        """gensim's third build_vocab step: (re)initialise the weights for the vocabulary (new words'
        rows only, with ``update=True``). :meth:`prepare_vocab` already did, so with
        ``update=True`` there is nothing left to add; ``update=False`` re-draws them from ``seed``."""
        if self.vocab is None:
            raise RuntimeError("prepare_weights() needs a vocabulary: call scan_vocab() and "
                               "prepare_vocab() first")
        if update:
            self.update_weights()
        else:
            self._init_weights()

    def estimate_memory(self, vocab_size=None, report=None):
        """Bytes the model takes for ``vocab_size`` words (default ``len(wv)``), as gensim's dict:
        ``vocab`` (the words, their dict entries and fastw2v's per-word tables: counts, keep
        thresholds, alias table, Huffman paths), ``vectors``, ``syn1`` (with hs), ``syn1neg`` (with
        negative) and ``total``. With the model's own vocabulary the words are measured, otherwise
        estimated at ESTIMATED_WORD_BYTES each."""
        vocab_size = len(self.wv) if vocab_size is None else _check_int("vocab_size", vocab_size, 0)
        report = dict(report or {})
        row = self.vector_size * np.dtype(np.float32).itemsize
        if self.vocab is not None and vocab_size == len(self.vocab):
            words = sum(sys.getsizeof(w) for w in self.vocab.index_to_key)
        else:
            words = vocab_size * ESTIMATED_WORD_BYTES
        per_word = 8 + 8 + 4          # index_to_key slot, counts, keep threshold
        per_word += 3 * 8 * 4 // 3    # key_to_index dict entry (hash, key, value; 2/3 full)
        if self.negative:
            per_word += 4 + 4         # alias threshold and index
        if self.hs:                   # Huffman path: code byte + point int32 per level, offsets
            depth = max(1, math.ceil(math.log2(max(vocab_size, 2))))
            per_word += 5 * depth + 8
        report["vocab"] = words + vocab_size * per_word
        report["vectors"] = vocab_size * row
        if self.hs:
            report["syn1"] = vocab_size * row
        if self.negative:
            report["syn1neg"] = vocab_size * row
        report["total"] = sum(v for k, v in report.items() if k != "total")
        logger.info("estimated required memory for %i words and %i dimensions: %i bytes",
                    vocab_size, self.vector_size, report["total"])
        return report

    def reset_from(self, other_model):
        """Take ``other_model``'s vocabulary (shared, not copied, as in gensim: neither model should
        then grow it) and corpus counts, rebuild the sampling tables for this model's settings and
        re-initialise the weights from ``seed``."""
        if getattr(other_model, "vocab", None) is None:
            raise RuntimeError("reset_from(): the other model has no vocabulary")
        self.vocab = other_model.vocab
        self.corpus_count = other_model.corpus_count
        self.corpus_total_words = other_model.corpus_total_words
        built = self._build_tables(self.vocab.counts)
        self._init_weights()
        self.__dict__.update(built)

    def init_sims(self, replace=False):
        """Deprecated in gensim 4 (warns): precompute the unit-normalised vectors; with
        ``replace=True`` normalise ``wv.vectors`` in place. Use ``wv.get_vector(key, norm=True)``
        or ``wv.fill_norms()`` instead."""
        warnings.warn("Word2Vec.init_sims() is deprecated (as in gensim 4): use "
                      "model.wv.get_vector(key, norm=True) or model.wv.fill_norms()",
                      DeprecationWarning, stacklevel=2)
        self.wv.fill_norms()
        if replace:
            self.wv.unit_normalize_all()

    def predict_output_word(self, context_words_list, topn=10):
        """The ``topn`` most probable centre words given context words (str keys or int rows), as
        ``[(word, probability)]``, by gensim's formula: the mean (``cbow_mean``, else sum) of the
        context words' input vectors, dotted with every row of ``syn1neg``, softmax (computed in
        float64, shifted by the maximum so it cannot overflow). Needs negative sampling. Returns
        None (and logs a warning) when no context word is known."""
        if not self.negative:
            raise RuntimeError("predict_output_word() needs negative sampling (negative > 0): it "
                               "uses the output weights syn1neg")
        if self.vocab is None or len(self.syn1neg) != len(self.wv):
            raise RuntimeError("predict_output_word() needs a trained model's output weights "
                               "(syn1neg); these vectors have none (loaded from a vectors file?)")
        size = len(self.wv)
        rows = []
        for word in context_words_list:
            if isinstance(word, numbers.Integral) and not isinstance(word, bool):
                if 0 <= word < size:
                    rows.append(int(word))
            elif word in self.wv.key_to_index:
                rows.append(self.wv.key_to_index[word])
        if not rows:
            logger.warning("All the input context words are out-of-vocabulary for the current model.")
            return None
        topn = _check_int("topn", topn, 0)
        hidden = self.wv.vectors[rows].sum(axis=0, dtype=np.float64)
        if self.cbow_mean:
            hidden /= len(rows)
        scores = self.syn1neg.astype(np.float64, copy=False) @ hidden
        scores -= scores.max()
        probabilities = np.exp(scores)
        probabilities /= probabilities.sum()
        top = np.argsort(-probabilities, kind="stable")[:topn]
        return [(self.wv.index_to_key[i], float(probabilities[i])) for i in top]

    def score(self, sentences, total_sentences=int(1e6), chunksize=100, queue_factor=2,
              report_delay=1):
        """Log probability of every sentence under the model (Taddy 2015, as gensim's ``score``):
        for each in-vocabulary word, the hierarchical-softmax log probabilities of its Huffman path
        given every context word in the full ``window`` (skip-gram), or given the mean (sum, when
        ``cbow_mean=0``) of its context (CBOW), summed. Out-of-vocabulary words are dropped, no
        subsampling, no window shrinking. Computed in the compiled core in float64 with the exact
        log-sigmoid (gensim uses its table and skips terms with |x| >= 6).

        Scores the first ``total_sentences`` sentences; returns a float32 array with one entry per
        sentence scored. ``chunksize`` is the number of sentences per kernel call; ``queue_factor``
        and ``report_delay`` are accepted for gensim's signature (scoring runs in this thread).
        Needs ``hs=1``.
        """
        if not self.hs:
            raise RuntimeError("score() is defined for hierarchical softmax only (Taddy's method): "
                               "train the model with hs=1 (negative sampling cannot score)")
        if self.vocab is None or len(self.syn1) != len(self.wv):
            raise RuntimeError("score() needs a trained model with its hierarchical-softmax weights "
                               "(syn1); build_vocab() and train() first")
        if isinstance(sentences, (str, bytes)):
            raise TypeError("score(): sentences is a str; pass an iterable of token lists")
        total_sentences = _check_int("total_sentences", total_sentences, 0)
        chunksize = _check_int("chunksize", chunksize, 1)
        from .corpus import as_token_list
        key_to_index = self.vocab.key_to_index
        config = self._make_config()
        out = []
        tokens, offsets = [], [0]

        def flush():
            if len(offsets) > 1:
                out.append(kernels.core.score_sentences(
                    config, np.asarray(tokens, dtype=np.int32), np.asarray(offsets, dtype=np.int64)))
                tokens.clear()
                del offsets[1:]

        for index, sentence in enumerate(sentences):
            if index >= total_sentences:
                break
            words = as_token_list(sentence, index)
            ids = [key_to_index[w] for w in words[:MAX_SENTENCE_LENGTH] if w in key_to_index]
            tokens.extend(ids)
            offsets.append(len(tokens))
            if len(offsets) > chunksize:
                flush()
        flush()
        scores = np.concatenate(out) if out else np.zeros(0)
        return scores.astype(np.float32)


    # ------------------------------------------------------------------ migration from / to gensim

    _GENSIM_PARAMS = _GENSIM_PARAMS   # (also on the class, where it was first defined)

    @classmethod
    def from_gensim(cls, model, **overrides):
        """A fastw2v ``Word2Vec`` from a gensim 4 ``Word2Vec`` object, ready to continue training:
        hyperparameters, vocabulary order and counts, input vectors, ``syn1neg`` / ``syn1``, the
        Huffman paths gensim built (so ``syn1``'s rows keep their meaning), the lock factors and the
        schedule state (``min_alpha_yet_reached``, ``train_count``, corpus counts), all copied.
        ``overrides`` set fastw2v-only parameters (``batch_mode``, ``progress``, ...).

        Takes the object, never a file: load a gensim model with gensim (whose loader unpickles:
        only for files you trust), then convert it. gensim itself is not imported here."""
        wv = getattr(model, "wv", None)
        if wv is None or not hasattr(wv, "index_to_key") or not hasattr(model, "vector_size"):
            raise TypeError(f"from_gensim() takes a gensim Word2Vec model, got {type(model).__name__}")
        params = {name: getattr(model, name) for name in cls._GENSIM_PARAMS if hasattr(model, name)}
        params["sg"], params["hs"] = int(params.get("sg", 0)), int(params.get("hs", 0))
        params["cbow_mean"] = int(params.get("cbow_mean", 1))
        params.update(overrides)
        ours = cls(**params)
        words = list(wv.index_to_key)
        if not words:
            return ours
        vectors = np.ascontiguousarray(wv.vectors, dtype=np.float32).copy()
        if vectors.shape != (len(words), ours.vector_size):
            raise ValueError(f"from_gensim(): wv.vectors has shape {vectors.shape}, expected "
                             f"{(len(words), ours.vector_size)}")
        counts = np.asarray([wv.get_vecattr(w, "count") for w in words], dtype=np.int64)
        ours.vocab = Vocabulary(words, counts, min_count=ours.min_count,
                                effective_min_count=getattr(model, "effective_min_count", None),
                                null_word=bool(ours.null_word))
        ours._prepare_tables()
        if ours.hs:
            ours._hs_codes, ours._hs_points, ours._hs_offsets = _paths_from(wv, words)
        ours._set_wv(vectors)
        size, dim = len(words), ours.vector_size
        for name in ("syn1neg", "syn1"):
            wanted = getattr(ours, "negative" if name == "syn1neg" else "hs")
            array = getattr(model, name, None) if wanted else None
            if array is None:
                array = np.zeros((size if wanted else 0, dim), dtype=np.float32)
            array = np.ascontiguousarray(array, dtype=np.float32).copy()
            if array.shape != ((size if wanted else 0), dim):
                raise ValueError(f"from_gensim(): {name} has shape {array.shape}, expected "
                                 f"{(size if wanted else 0, dim)}")
            setattr(ours, name, array)
        lockf = getattr(wv, "vectors_lockf", None)
        if lockf is not None and not (np.asarray(lockf) == 1.0).all():
            ours.wv.vectors_lockf = np.array(lockf, dtype=np.float32)
        for name in ("corpus_count", "corpus_total_words", "train_count"):
            value = getattr(model, name, None)
            if value is not None:
                setattr(ours, name, int(value))
        for name in ("min_alpha_yet_reached", "running_training_loss", "total_train_time"):
            value = getattr(model, name, None)
            if value is not None:
                setattr(ours, name, float(value))
        ours.add_lifecycle_event("from_gensim", source=repr(model))
        return ours

    def to_gensim(self):
        """This model as a gensim 4 ``Word2Vec`` object that gensim can query and keep training:
        hyperparameters, vocabulary (order, counts), vectors, ``syn1neg`` / ``syn1`` and the Huffman
        paths they belong to, the keep thresholds (``sample_int``), gensim's negative-sampling table
        and the schedule state, all copied. Needs gensim installed."""
        try:
            from gensim.models import Word2Vec as GensimWord2Vec
        except ImportError:
            raise ImportError("to_gensim() needs gensim: pip install gensim") from None
        params = {name: getattr(self, name) for name in self._GENSIM_PARAMS}
        theirs = GensimWord2Vec(**params)
        if self.vocab is None:
            return theirs
        words = list(self.vocab.index_to_key)
        kv = theirs.wv
        kv.index_to_key = words
        kv.key_to_index = {w: i for i, w in enumerate(words)}
        kv.vectors = np.array(self.wv.vectors, dtype=np.float32)
        kv.norms = None
        kv.allocate_vecattrs(attrs=["count", "sample_int"], types=[np.int64, np.uint32])
        kv.expandos["count"][:] = self.vocab.counts
        kv.expandos["sample_int"][:] = self._keep_threshold
        if self.hs:
            kv.allocate_vecattrs(attrs=["code", "point"], types=[object, object])
            for w in range(len(words)):
                a, b = int(self._hs_offsets[w]), int(self._hs_offsets[w + 1])
                kv.expandos["code"][w] = np.array(self._hs_codes[a:b], dtype=np.uint8)
                kv.expandos["point"][w] = np.array(self._hs_points[a:b], dtype=np.uint32)
            theirs.syn1 = np.array(self.syn1, dtype=np.float32)
        if self.negative:
            theirs.syn1neg = np.array(self.syn1neg, dtype=np.float32)
            theirs.make_cum_table()
        lockf = self._lockf()
        kv.vectors_lockf = np.ones(1, dtype=np.float32) if lockf is None else lockf.copy()
        theirs.effective_min_count = self.effective_min_count
        theirs.corpus_count = self.corpus_count
        theirs.corpus_total_words = self.corpus_total_words
        theirs.train_count = self.train_count
        theirs.total_train_time = self.total_train_time
        theirs.running_training_loss = float(self.running_training_loss)
        theirs.min_alpha_yet_reached = float(self.min_alpha_yet_reached)
        return theirs

    # ------------------------------------------------------------------ persistence

    def save(self, path, separately=None, sep_limit=10 * 1024**2, ignore=frozenset(),
             pickle_protocol=4):
        """Save the full model (weights, vocabulary with counts, hyperparameters, training state) in
        fastw2v's native format: an archive of .npy arrays plus JSON metadata, never pickled.

        ``separately``, ``sep_limit``, ``ignore`` and ``pickle_protocol`` are gensim's pickle
        options, accepted so gensim code runs and otherwise unused: every array is always stored as
        its own .npy member (mappable with ``load(path, mmap="r")``), nothing is pickled.
        """
        from .io import save_native

        self.add_lifecycle_event("saved", fname_or_handle=os.fspath(path))

        arrays = {"vectors": self.wv.vectors, "syn1neg": self.syn1neg, "syn1": self.syn1,
                  "counts": self.vocab.counts if self.vocab is not None else np.zeros(0, np.int64)}
        meta = {"format": NATIVE_FORMAT, "version": NATIVE_VERSION,
                "params": self._params(),
                "index_to_key": list(self.vocab.index_to_key) if self.vocab is not None else None,
                "state": {"corpus_count": self.corpus_count,
                          "corpus_total_words": self.corpus_total_words,
                          "loss_history": list(self.loss_history),
                          "running_training_loss": self.running_training_loss,
                          "train_count": self.train_count, "epochs_trained": self.epochs_trained,
                          "total_train_time": self.total_train_time,
                          "lifecycle_events": _jsonable_events(self.lifecycle_events),
                          "rng_states": None}}
        save_native(path, arrays, meta)

    @_ClassOnlyMethod
    def load(cls, path, mmap=None):
        """Load a model written by ``save``; ``mmap="r"`` maps the weight matrices read-only."""
        from .io import VectorFileError, load_native

        arrays, meta = load_native(path, mmap=mmap)
        if meta.get("format") != NATIVE_FORMAT:
            raise ModelFileFormatError(f"{path}: not a fastw2v Word2Vec model (format "
                                  f"{meta.get('format')!r}); use KeyedVectors.load for word vectors")
        if meta.get("version") != NATIVE_VERSION:
            raise VectorFileError(f"{path}: unsupported model version {meta.get('version')!r}")
        try:
            params = meta["params"]
            if not isinstance(params, dict):
                raise TypeError(f"params must be an object, got {type(params).__name__}")
            # Only the hyperparameters save() writes: a planted "sentences" or "corpus_file" would
            # make the constructor train (reading any file) during load, "callbacks"/"trim_rule"
            # would store junk that train() or build_vocab() later calls.
            unknown = sorted(set(params) - _NATIVE_PARAMS)
            if unknown:
                raise ValueError(f"unknown parameter(s) {unknown}; a model file holds only "
                                 f"{sorted(_NATIVE_PARAMS)}")
            model = cls(**params)
            state = meta["state"]
            if not isinstance(state, dict):
                raise TypeError(f"state must be an object, got {type(state).__name__}")
            words = meta["index_to_key"]
            size = len(words) if words is not None else 0
            if words is not None and not isinstance(words, list):
                raise TypeError(f"index_to_key must be a list, got {type(words).__name__}")
            dim = model.vector_size
            expected = {"vectors": (size, dim),
                        "syn1neg": (size if model.negative else 0, dim),
                        "syn1": (size if model.hs else 0, dim)}
            for name, shape in expected.items():
                array = arrays[name]
                if name == "syn1" and model.hs and array.shape == (max(size - 1, 0), dim):
                    # files written before syn1 had len(wv) rows: add the unused last row
                    array = np.concatenate([np.asarray(array), np.zeros((size - len(array), dim),
                                                                        dtype=array.dtype)])
                    arrays[name] = array
                if array.dtype != np.float32 or array.shape != shape:
                    raise ValueError(f"{name} is a {array.dtype} array of shape {array.shape}; the "
                                     f"parameters and vocabulary need float32 {shape}")
                _check_finite_rows(array, path, name, words if name == "vectors" else None)
            if words is not None:
                counts = arrays["counts"]
                if counts.dtype.kind not in "iu" or counts.shape != (size,):
                    raise ValueError(f"counts is a {counts.dtype} array of shape {counts.shape}; "
                                     f"expected {size} integers")
                model.vocab = Vocabulary.from_dict({"words": words, "counts": counts.tolist()})
                model._set_wv(np.asarray(arrays["vectors"]) if mmap is None else arrays["vectors"])
                model.syn1neg = arrays["syn1neg"]
                model.syn1 = arrays["syn1"]
                model._prepare_tables()
            events = state.get("lifecycle_events", [])
            if not isinstance(events, list) or not all(isinstance(e, dict) for e in events):
                raise TypeError("state.lifecycle_events must be a list of objects")
            model.lifecycle_events = events
            for key in ("corpus_count", "corpus_total_words", "train_count", "epochs_trained"):
                setattr(model, key, _check_int(f"state.{key}", state[key], 0))
            for key in ("running_training_loss", "total_train_time"):
                setattr(model, key, _check_float(f"state.{key}", state[key]))
            history = state["loss_history"]
            if not isinstance(history, list):
                raise TypeError(f"state.loss_history must be a list, got {type(history).__name__}")
            model.loss_history = [_check_float("state.loss_history[]", x) for x in history]
            rng_states = state["rng_states"]
            if rng_states is not None:
                if not isinstance(rng_states, list):
                    raise TypeError("state.rng_states must be a list of integers or null")
                rng_states = [_check_int("state.rng_states[]", x, 1, tables.RNG_MASK)
                              for x in rng_states]
            model._rng_states = rng_states
        except (KeyError, TypeError, ValueError) as exc:
            if isinstance(exc, VectorFileError):
                raise
            raise VectorFileError(f"{path}: inconsistent model file ({exc})") from None
        return model

    def _params(self):
        """The hyperparameters (``_PARAM_NAMES``) as ``{name: value}``: what a model file holds."""
        return {name: getattr(self, name) for name in _PARAM_NAMES}

    def __repr__(self):
        size = len(self.vocab) if self.vocab is not None else 0
        return (f"Word2Vec<vocab={size}, vector_size={self.vector_size}, alpha={self.alpha}, "
                f"{'sg' if self.sg else 'cbow'}, {'hs' if self.hs else ''}"
                f"{'+' if self.hs and self.negative else ''}"
                f"{f'negative={self.negative}' if self.negative else ''}>")


def _paths_from(wv, words):
    """The Huffman paths of a gensim model's words (vecattrs "code" and "point") as the kernels'
    ``(codes uint8[T], points int32[T], offsets int64[V+1])``, checked to be inner node ids."""
    codes = [np.asarray(wv.get_vecattr(w, "code"), dtype=np.uint8) for w in words]
    points = [np.asarray(wv.get_vecattr(w, "point"), dtype=np.int64) for w in words]
    offsets = np.zeros(len(words) + 1, dtype=np.int64)
    offsets[1:] = np.cumsum([len(c) for c in codes])
    flat_points = np.concatenate(points) if points else np.zeros(0, np.int64)
    if len(flat_points) and (flat_points.min() < 0 or flat_points.max() >= max(len(words) - 1, 1)):
        raise ValueError("from_gensim(): the model's Huffman points are not inner node ids in "
                         f"[0, {len(words) - 1})")
    flat_codes = np.concatenate(codes) if codes else np.zeros(0, np.uint8)
    return flat_codes, flat_points.astype(np.int32), offsets


def _jsonable_events(events):
    # event values are what add_lifecycle_event was given: keep JSON's types, repr() the rest
    return [_jsonable(event) for event in events]


def _call(callbacks, method, model):
    for callback in callbacks:
        hook = getattr(callback, method, None)
        if hook is not None:
            if not callable(hook):
                raise TypeError(f"callback {type(callback).__name__}.{method} is not callable "
                                f"(it is {type(hook).__name__} {hook!r:.60})")
            hook(model)


class _BatchSeeds:
    """Seed of batch b of one epoch: ``tables.batch_seed(seed, epoch, b)``."""

    def __init__(self, seed, epoch):
        self.seed, self.epoch = seed, epoch

    def __call__(self, batch):
        return tables.batch_seed(self.seed, self.epoch, batch)


def _is_noop_hook(callback, method):
    # the no-op defaults of fastw2v's and gensim's CallbackAny2Vec: not worth a call per batch
    hook = getattr(type(callback), method, None)
    return (hook is not None and getattr(hook, "__qualname__", "") == f"CallbackAny2Vec.{method}"
            and getattr(hook, "__module__", "") in ("fastw2v.callbacks", "gensim.models.callbacks"))


def _batch_hooks(callbacks, model):
    """``(begin, end)``: functions calling every callback's on_batch_begin / on_batch_end with
    ``model``, or None when no callback has a batch hook of its own."""
    begin = [cb for cb in callbacks
             if getattr(cb, "on_batch_begin", None) is not None and not _is_noop_hook(cb, "on_batch_begin")]
    end = [cb for cb in callbacks
           if getattr(cb, "on_batch_end", None) is not None and not _is_noop_hook(cb, "on_batch_end")]
    if not begin and not end:
        return None
    return (lambda: _call(begin, "on_batch_begin", model), lambda: _call(end, "on_batch_end", model))


def _round_robin(iterators):
    """The items of several iterators in turn (one from each), until every one is exhausted.
    Closing it closes them (their files with them) at once, not whenever they are collected."""
    active = list(iterators)
    try:
        while active:
            for iterator in list(active):
                item = next(iterator, None)
                if item is None:
                    active.remove(iterator)
                else:
                    yield item
    finally:
        error = None
        for iterator in active:
            try:
                _close(iterator)
            except BaseException as exc:   # (a KeyboardInterrupt: close the others first)
                error = error or exc
        if error is not None:
            raise error
