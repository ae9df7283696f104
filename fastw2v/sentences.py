"""Sentence vectors from word vectors: the mean, or SIF weights ``a / (a + p(w))`` (Arora et al.
2017) with the common principal components removed.

Every function takes the ``KeyedVectors`` whose rows it averages as its first argument;
``KeyedVectors.sif_weights`` and ``embed_sentences`` are one-line delegations here.
"""
import operator
import warnings
from numbers import Integral

import numpy as np

__all__ = ["sif_weights", "embed_sentences", "principal_components", "SIF_A"]

SIF_A = 1e-3  # the smoothing constant a of SIF weights a / (a + p(w)) (Arora et al. 2017)
_SENTENCE_BLOCK_TOKENS = 1 << 15  # tokens gathered per block in embed_sentences


def principal_components(matrix, n=1):
    """The top ``n`` right singular vectors of ``matrix`` (uncentred, as in Arora et al.'s SIF).

    Returns an ``(n, dim)`` float64 array with orthonormal rows, each signed so that its largest
    absolute entry is positive (deterministic). Use it to compute SIF's common component on a
    reference corpus and pass it to ``embed_sentences(..., remove_pc=components)``.
    """
    matrix = np.asarray(matrix, dtype=np.float64)
    if matrix.ndim != 2:
        raise ValueError(f"matrix must be 2-D, got shape {matrix.shape}")
    n = operator.index(n)
    if not 0 < n <= min(matrix.shape):
        raise ValueError(f"n must be between 1 and {min(matrix.shape)}, got {n}")
    _, _, vt = np.linalg.svd(matrix, full_matrices=False)
    components = vt[:n].copy()
    signs = np.sign(components[np.arange(n), np.abs(components).argmax(axis=1)])
    signs[signs == 0] = 1
    return components * signs[:, None]


def sif_weights(kv, a=SIF_A):
    """Per-key SIF weights ``a / (a + p(w))`` with ``p(w) = count(w) / sum(counts)`` (float64)."""
    counts = kv._counts()
    if counts is None or counts.sum() <= 0:
        raise ValueError("SIF weighting needs word counts (the 'count' attribute): train a "
                         "model, use from_arrays(..., counts=...), or load_word2vec_format(..., "
                         "fvocab=...)")
    if a <= 0:
        raise ValueError(f"a must be positive, got {a}")
    if kv.counts_are_placeholders:
        warnings.warn("word counts are placeholders (a word2vec file read without fvocab): "
                      "SIF weights only reflect frequency rank", UserWarning, stacklevel=3)
    return a / (a + counts.astype(np.float64) / float(counts.sum()))

def embed_sentences(kv, sentences, weighting="mean", a=SIF_A, remove_pc=0, pre_normalize=False,
                    ignore_missing=True):
    """Sentence vectors: a ``(len(sentences), vector_size)`` array, one row per token list.

    Row = (1 / n) * sum of w(t) * v(t) over the n in-vocabulary tokens t of the sentence
    (repeats count), with ``v`` unit-normalised when ``pre_normalize`` and
    ``w = 1`` for ``weighting="mean"`` or ``w = a / (a + p(t))`` for ``weighting="sif"``
    (Arora, Liang & Ma 2017, p from the ``"count"`` attribute, ``a = 1e-3``). A sentence
    without known tokens gives a zero row. Unknown tokens are skipped (KeyError if not
    ``ignore_missing``).

    ``remove_pc``: 0 (default) keeps rows as they are, so a row depends only on its sentence;
    an int k removes the projection on the top k (uncentred) principal components of the
    batch's non-zero rows, Arora et al.'s common-component removal (they use k=1); an array
    of shape (k, vector_size), e.g. from :func:`principal_components` on a reference corpus,
    removes those directions, giving batch-independent SIF.
    With ``weighting="mean"`` and ``pre_normalize=True`` a row equals
    ``get_mean_vector(sentence)``.
    """
    kv._check_usable()
    if weighting not in ("mean", "sif"):
        raise ValueError(f"weighting must be 'mean' or 'sif', got {weighting!r}")
    word_weights = sif_weights(kv, a) if weighting == "sif" else None
    ids, lengths = [], []
    for s, sentence in enumerate(sentences):
        if isinstance(sentence, (str, bytes)):
            raise TypeError(f"sentence {s} is a string; pass a list of tokens "
                            "(e.g. text.split())")
        n = 0
        for token in sentence:
            index = kv.key_to_index.get(token, -1)
            if index < 0:
                if not ignore_missing:
                    raise KeyError(f"Key {token!r} not present in vocabulary (sentence {s})")
                continue
            ids.append(index)
            n += 1
        lengths.append(n)
    lengths = np.asarray(lengths, dtype=np.int64)
    ids = np.asarray(ids, dtype=np.int64)
    out = np.zeros((len(lengths), kv.vector_size), dtype=np.float64)
    ends = np.cumsum(lengths)
    starts = ends - lengths
    inv = kv._inv() if pre_normalize else None
    s = 0
    while s < len(lengths):
        # a block of whole sentences with at most _SENTENCE_BLOCK_TOKENS tokens (or one sentence)
        e = max(s + 1, int(np.searchsorted(ends, starts[s] + _SENTENCE_BLOCK_TOKENS, "right")))
        lo, hi = starts[s], ends[e - 1]
        if hi > lo:
            block_ids = ids[lo:hi]
            rows = kv._vectors[block_ids].astype(np.float64)
            scale = np.ones(len(block_ids))
            if inv is not None:
                scale *= inv[block_ids]
            if word_weights is not None:
                scale *= word_weights[block_ids]
            rows *= scale[:, None]
            nonempty = np.flatnonzero(lengths[s:e]) + s
            sums = np.add.reduceat(rows, starts[nonempty] - lo, axis=0)
            out[nonempty] = sums / lengths[nonempty, None]
        s = e
    if not (isinstance(remove_pc, Integral) and remove_pc == 0):
        out = _remove_components(kv, out, remove_pc)
    return out.astype(kv._vectors.dtype)

def _remove_components(kv, matrix, remove_pc):
    nonzero = np.flatnonzero(np.any(matrix != 0, axis=1))
    if isinstance(remove_pc, Integral):
        k = operator.index(remove_pc)
        if k < 0:
            raise ValueError(f"remove_pc must be >= 0, got {k}")
        if len(nonzero) <= k:
            raise ValueError(f"remove_pc={k} needs more than {k} non-empty sentences in the "
                             f"batch (got {len(nonzero)}); pass precomputed components instead")
        components = principal_components(matrix[nonzero], k)
    else:
        components = np.asarray(remove_pc, dtype=np.float64)
        if components.ndim == 1:
            components = components[None, :]
        if components.ndim != 2 or components.shape[1] != kv.vector_size:
            raise ValueError(f"remove_pc components must have shape (k, {kv.vector_size}), "
                             f"got {components.shape}")
        q, _ = np.linalg.qr(components.T)  # orthonormal basis of the same directions
        components = q.T
    result = matrix.copy()
    result[nonzero] -= (matrix[nonzero] @ components.T) @ components
    return result
