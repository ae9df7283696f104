"""The NumPy layers of the design notes: word2vec written to be read and gradient-checked.

Each layer keeps ``params`` (a list of arrays) and ``grads`` (a list of arrays of the same shapes),
has ``forward`` and ``backward``, and caches what ``backward`` needs. Everything is float64 by
default; nothing here is fast. The training kernels (``fastw2v._core``) follow the step contract of
``docs/architecture.md``; the two plain functions :func:`embedding_forward` and
:func:`embedding_backward` are the exact specification of the compiled embedding ops.

Conventions used throughout:

* ``N`` is the batch size, ``V`` the vocabulary size, ``D`` the embedding width (``hidden_size``).
* Index arrays must have an integer dtype (``bool`` is refused) and lie in ``[0, V)``; negative
  indices are an error, never wrapped around.
* A layer's ``backward`` *overwrites* its ``grads`` (sets them to zero, then accumulates the batch's
  gradient), so after ``model.backward()`` the grads are exactly the gradient of the last forward.
"""
import math
import numbers

import numpy as np

__all__ = [
    "RENORM_EPS",
    "embedding_forward",
    "embedding_backward",
    "Embedding",
    "EmbeddingDot",
    "SigmoidWithLoss",
    "UnigramSampler",
    "NegativeSamplingLoss",
    "CBOW",
    "SkipGram",
    "SGD",
    "Adam",
    "train",
    "create_contexts_target",
]

# torch.nn.Embedding / torch.embedding_renorm_ divide by (norm + 1e-7): the epsilon keeps a rescaled
# row strictly inside the ball and is part of the formula the compiled twin must reproduce.
RENORM_EPS = 1e-7


# --------------------------------------------------------------------------------------------------
# validation helpers (the messages always name the argument)


def _check_int(name, value, minimum=None):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__}")
    value = int(value)
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return value


def _check_real(name, value, minimum=None, strict=False, allow_inf=False):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    value = float(value)
    if np.isnan(value) or (np.isinf(value) and not allow_inf):
        raise ValueError(f"{name} must be finite, got {value}")
    if minimum is not None:
        if strict and not value > minimum:
            raise ValueError(f"{name} must be > {minimum}, got {value}")
        if not strict and not value >= minimum:
            raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return value


def _check_weights(name, W):
    if not isinstance(W, np.ndarray):
        raise TypeError(f"{name} must be a NumPy array, got {type(W).__name__}")
    if W.ndim != 2:
        raise ValueError(f"{name} must be 2-D (V, D), got shape {W.shape}")
    if not np.issubdtype(W.dtype, np.floating):
        raise TypeError(f"{name} must have a floating dtype, got {W.dtype}")
    return W


def _check_index(name, idx, upper):
    """Return ``idx`` as an integer array with every entry in ``[0, upper)``."""
    idx = np.asarray(idx)
    if idx.size == 0 and idx.dtype == np.float64:
        idx = idx.astype(np.intp)  # np.asarray([]) is float64; an empty list is a valid index
    if idx.dtype == np.bool_ or not np.issubdtype(idx.dtype, np.integer):
        raise TypeError(f"{name} must have an integer dtype, got {idx.dtype}")
    if idx.size:
        lo, hi = idx.min(), idx.max()
        if lo < 0 or hi >= upper:
            bad = lo if lo < 0 else hi
            raise ValueError(f"{name} must lie in [0, {upper}), found {bad}")
    return idx


def _normalise_padding_idx(padding_idx, V):
    if padding_idx is None:
        return None
    padding_idx = _check_int("padding_idx", padding_idx)
    if not -V <= padding_idx < V:
        raise ValueError(f"padding_idx must lie in [-{V}, {V}), got {padding_idx}")
    return padding_idx + V if padding_idx < 0 else padding_idx


def _check_max_norm(max_norm, norm_type):
    if max_norm is not None:
        max_norm = _check_real("max_norm", max_norm, minimum=0.0, strict=True)
    norm_type = _check_real("norm_type", norm_type, minimum=0.0, strict=True, allow_inf=True)
    return max_norm, norm_type


def _row_norms(rows, norm_type):
    """``norm_type``-norms of the rows of a 2-D array: float64, summed column by column, left to right.

    Bit for bit the compiled twin's norms, on every CPU: the same summation order (not NumPy's
    pairwise sum), correctly rounded ``+ * sqrt`` and ``max`` for p = 1, 2, inf, and for any other p
    the very libm ``pow`` the compiled twin calls (through ``math.pow``, never NumPy's ``power``,
    whose SIMD code paths differ from libm's in the last bit depending on the CPU).
    """
    a = np.abs(rows.astype(np.float64))
    acc = np.zeros(a.shape[0])
    if norm_type == np.inf:
        for j in range(a.shape[1]):
            acc = np.maximum(acc, a[:, j])
        return acc
    for j in range(a.shape[1]):
        if norm_type == 1.0:
            acc += a[:, j]
        elif norm_type == 2.0:
            acc += a[:, j] * a[:, j]
        else:
            acc += _pow(a[:, j], norm_type)
    if norm_type == 1.0:
        return acc
    if norm_type == 2.0:
        return np.sqrt(acc)
    return _pow(acc, 1.0 / norm_type)


_libm_pow = np.frompyfunc(math.pow, 2, 1)


def _pow(x, p):
    """Elementwise C ``pow(x, p)`` (libm's, through ``math.pow``) of a float64 array: the function the
    compiled twin calls, so both give the same bits whichever SIMD path NumPy would pick."""
    return _libm_pow(x, float(p)).astype(np.float64)


# --------------------------------------------------------------------------------------------------
# the embedding ops (specification of the compiled twin)


def embedding_forward(W, idx, padding_idx=None, max_norm=None, norm_type=2.0):
    """Gather rows of ``W``: return ``W[idx]``, shape ``idx.shape + (D,)``, a new array.

    W:           (V, D) floating array. Mutated in place only when ``max_norm`` is given.
    idx:         integer array of any shape (0-d included), entries in ``[0, V)``.
    padding_idx: None or an int in ``[-V, V)``; negative values are normalised like torch
                 (``padding_idx += V``). The forward pass gathers the padding row like any other;
                 it matters only to :func:`embedding_backward`. Validated here for symmetry.
    max_norm:    None or a positive float. Before gathering, every *unique* index ``i`` in ``idx``
                 whose row norm ``n = ||W[i]||_p`` (``p = norm_type``; float64: the terms
                 ``pow(|w_j|, p)`` (``w_j*w_j`` for p = 2, ``|w_j|`` for p = 1) summed left to
                 right, then ``pow(sum, 1/p)`` (sqrt for p = 2); max-abs for inf) is
                 strictly greater than ``max_norm`` is rescaled in place by
                 ``max_norm / (n + 1e-7)`` (the formula and epsilon of ``torch.nn.Embedding`` /
                 ``torch.embedding_renorm_``; the scale is float64, the product is cast back to
                 ``W.dtype``). Each row is rescaled at most once however often it repeats; rows
                 not in ``idx`` are never touched; like torch, the padding row is renormalised too.
    norm_type:   the ``p`` of the p-norm, ``> 0``; ``inf`` means the max-abs norm.
    """
    W = _check_weights("W", W)
    V = W.shape[0]
    idx = _check_index("idx", idx, V)
    _normalise_padding_idx(padding_idx, V)
    max_norm, norm_type = _check_max_norm(max_norm, norm_type)
    if max_norm is not None and idx.size:
        if not W.flags.writeable:
            raise ValueError("W must be writeable when max_norm is given (rows are rescaled in place)")
        rows = np.unique(idx)
        norms = _row_norms(W[rows], norm_type)
        over = norms > max_norm
        if over.any():
            scale = max_norm / (norms[over] + RENORM_EPS)
            W[rows[over]] = (W[rows[over]] * scale[:, None]).astype(W.dtype, copy=False)
    return W[idx]


def embedding_backward(dW, idx, dout, padding_idx=None):
    """Scatter-add ``dout`` into ``dW`` in place: ``dW[idx[j]] += dout[j]`` for every position j.

    dW:          (V, D) floating array, accumulated into (never zeroed here); returns None.
    idx:         integer array of any shape, entries in ``[0, V)``.
    dout:        floating array of shape ``idx.shape + (D,)``; cast to ``dW.dtype`` first.
    padding_idx: positions whose index equals it (after ``+= V`` for negatives) add nothing, so the
                 padding row receives no gradient from this call.

    Repeated indices *accumulate* (``np.add.at``), added in the flattened C order of ``idx``. The
    classic bug ``dW[idx] = dout`` (or ``dW[idx] += dout``, which is buffered) keeps only one of
    the duplicates' contributions.
    """
    dW = _check_weights("dW", dW)
    V, D = dW.shape
    if not dW.flags.writeable:
        raise ValueError("dW must be writeable (gradients are accumulated in place)")
    idx = _check_index("idx", idx, V)
    padding_idx = _normalise_padding_idx(padding_idx, V)
    dout = np.asarray(dout)
    if not np.issubdtype(dout.dtype, np.floating):
        raise TypeError(f"dout must have a floating dtype, got {dout.dtype}")
    if dout.shape != idx.shape + (D,):
        raise ValueError(f"dout must have shape idx.shape + (D,) = {idx.shape + (D,)}, got {dout.shape}")
    flat_idx = idx.reshape(-1)
    flat_dout = dout.reshape(-1, D).astype(dW.dtype, copy=False)
    if padding_idx is not None:
        keep = flat_idx != padding_idx
        flat_idx, flat_dout = flat_idx[keep], flat_dout[keep]
    np.add.at(dW, flat_idx, flat_dout)


# --------------------------------------------------------------------------------------------------
# layers


class Embedding:
    """Lookup layer over ``W`` (V, D): ``forward(idx) -> W[idx]``, shape ``idx.shape + (D,)``.

    ``params = [W]`` (the caller's array, not a copy), ``grads = [zeros_like(W)]``. ``backward(dout)``
    sets ``grads[0]`` to zero and then scatter-adds ``dout`` (see :func:`embedding_backward`), so the
    caller never zeroes grads; it returns None (indices have no gradient).
    """

    def __init__(self, W, padding_idx=None, max_norm=None, norm_type=2.0):
        W = _check_weights("W", W)
        self.padding_idx = _normalise_padding_idx(padding_idx, W.shape[0])
        self.max_norm, self.norm_type = _check_max_norm(max_norm, norm_type)
        self.params = [W]
        self.grads = [np.zeros_like(W)]
        self.idx = None

    def forward(self, idx):
        W = self.params[0]
        idx = _check_index("idx", idx, W.shape[0])
        self.idx = idx
        return embedding_forward(W, idx, self.padding_idx, self.max_norm, self.norm_type)

    def backward(self, dout):
        if self.idx is None:
            raise RuntimeError("backward called before forward")
        dW = self.grads[0]
        dW[...] = 0
        embedding_backward(dW, self.idx, dout, self.padding_idx)
        return None


class EmbeddingDot:
    """Scores ``out[n, ...] = dot(h[n], W[idx[n, ...]])`` for h (N, D) and idx of shape (N, ...).

    ``idx`` of shape (N,) gives one score per row; (N, K) gives K scores per row (the positive and
    the negatives of negative sampling in one call). ``backward(dout)`` takes ``dout`` of the shape
    of ``out``, fills ``grads[0]`` (dL/dW) and returns dL/dh, shape (N, D).
    """

    def __init__(self, W):
        self.embed = Embedding(W)
        self.params = self.embed.params
        self.grads = self.embed.grads
        self.cache = None

    def forward(self, h, idx):
        W = self.params[0]
        h = np.asarray(h)
        if h.ndim != 2 or h.shape[1] != W.shape[1]:
            raise ValueError(f"h must have shape (N, {W.shape[1]}), got {h.shape}")
        idx = _check_index("idx", idx, W.shape[0])
        if idx.ndim < 1 or idx.shape[0] != h.shape[0]:
            raise ValueError(f"idx must have shape (N, ...) with N = {h.shape[0]}, got {idx.shape}")
        rows = self.embed.forward(idx)  # (N, ..., D)
        hb = h.reshape((h.shape[0],) + (1,) * (idx.ndim - 1) + (h.shape[1],))
        self.cache = (hb, rows)
        return np.sum(rows * hb, axis=-1)

    def backward(self, dout):
        if self.cache is None:
            raise RuntimeError("backward called before forward")
        hb, rows = self.cache
        dout = np.asarray(dout, dtype=np.result_type(rows.dtype, np.float64))
        if dout.shape != rows.shape[:-1]:
            raise ValueError(f"dout must have shape {rows.shape[:-1]}, got {dout.shape}")
        d = dout[..., None]
        self.embed.backward(d * hb)
        dh = d * rows
        return dh.reshape(dh.shape[0], -1, dh.shape[-1]).sum(axis=1)


def _sigmoid(x):
    """Logistic function without overflow: uses exp(-|x|) <= 1 only."""
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


class SigmoidWithLoss:
    """Binary logistic loss on logits ``x`` with labels ``t`` in [0, 1] (same shape as x).

    Element loss ``-t*log(s) - (1-t)*log(1-s)`` with ``s = sigmoid(x)``, computed as
    ``max(x, 0) - x*t + log1p(exp(-|x|))`` so that no exp overflows for any finite x.
    Reduction: the sum over all elements divided by the batch size ``N = x.shape[0]`` (1 for a
    0-d x). For x of shape (N,) that is the mean; for (N, 1+K) scores of negative sampling it is the
    per-example sum of the 1+K terms, averaged over the batch (the design notes' convention).
    No params. ``backward(dout=1.0)`` returns ``dout * (s - t) / N``.
    """

    def __init__(self):
        self.params, self.grads = [], []
        self.cache = None

    def forward(self, x, t):
        x = np.asarray(x, dtype=np.float64)
        t = np.asarray(t, dtype=np.float64)
        if t.shape != x.shape:
            raise ValueError(f"t must have the shape of x {x.shape}, got {t.shape}")
        if t.size and (t.min() < 0 or t.max() > 1):
            raise ValueError("t must lie in [0, 1]")
        n = x.shape[0] if x.ndim else 1
        if n == 0:
            raise ValueError("x must hold at least one example")
        loss = np.maximum(x, 0.0) - x * t + np.log1p(np.exp(-np.abs(x)))
        self.cache = (x, t, n)
        return float(loss.sum() / n)

    def backward(self, dout=1.0):
        if self.cache is None:
            raise RuntimeError("backward called before forward")
        x, t, n = self.cache
        return dout * (_sigmoid(x) - t) / n


class UnigramSampler:
    """Negative sampler drawing word ids with probability ``P(w) = c_w**power / sum_v c_v**power``.

    counts:      (V,) non-negative word counts; words with count 0 are never drawn.
    power:       exponent >= 0 (0.75 in word2vec; 0 draws uniformly over the words seen).
    sample_size: negatives per row, >= 0.
    seed:        anything ``np.random.default_rng`` accepts.

    ``get_negative_sample(target)`` draws, for each row n, ``sample_size`` ids independently (with
    replacement) from P *conditioned on not being target[n]*, i.e. from P with target[n]'s mass
    removed and renormalised. It is exact (inverse CDF over the CDF with the target's interval cut
    out), never returns the target, and consumes one uniform draw per negative.
    """

    def __init__(self, counts, power=0.75, sample_size=5, seed=None):
        counts = np.asarray(counts)
        if counts.dtype == np.bool_ or not np.issubdtype(counts.dtype, np.number):
            raise TypeError(f"counts must be numeric, got {counts.dtype}")
        if counts.ndim != 1 or counts.size == 0:
            raise ValueError(f"counts must be a non-empty 1-D array, got shape {counts.shape}")
        counts = counts.astype(np.float64)
        if not np.all(np.isfinite(counts)) or counts.min() < 0:
            raise ValueError("counts must be finite and >= 0")
        self.power = _check_real("power", power, minimum=0.0)
        self.sample_size = _check_int("sample_size", sample_size, minimum=0)
        weights = np.zeros_like(counts)
        seen = counts > 0
        weights[seen] = counts[seen] ** self.power
        if weights.sum() <= 0 or not np.isfinite(weights.sum()):
            raise ValueError("counts must have at least one positive entry (and finite counts**power)")
        self.vocab_size = counts.size
        cdf = np.cumsum(weights)
        cdf /= cdf[-1]  # so cdf[-1] == 1.0 exactly
        self.cdf = cdf
        self.word_p = weights / weights.sum()
        self.rng = np.random.default_rng(seed)

    def get_negative_sample(self, target):
        """target (N,) int -> (N, sample_size) int64 negatives, none equal to its row's target."""
        target = _check_index("target", target, self.vocab_size)
        if target.ndim != 1:
            raise ValueError(f"target must be 1-D (N,), got shape {target.shape}")
        N, K = target.size, self.sample_size
        out = np.empty((N, K), dtype=np.int64)
        if N == 0 or K == 0:
            return out
        cdf = self.cdf
        hi = cdf[target]  # the target's interval of the CDF is [lo, hi)
        lo = np.where(target > 0, cdf[np.maximum(target - 1, 0)], 0.0)
        rest = 1.0 - (hi - lo)
        if np.any(rest <= 0):
            bad = target[np.argmax(rest <= 0)]
            raise ValueError(f"target contains {bad}, the only word with non-zero probability: "
                             "no negative can be drawn")
        todo = np.ones((N, K), dtype=bool)
        while todo.any():  # one pass in practice; repeats only on a rounding edge (u' >= 1)
            rows = np.nonzero(todo)[0]
            u = self.rng.random(rows.size) * rest[rows]
            # skip the target's interval: u below lo stays, u >= lo moves past hi
            u = np.where(u < lo[rows], u, (u - lo[rows]) + hi[rows])
            draw = np.searchsorted(cdf, u, side="right")
            ok = (draw < self.vocab_size) & (draw != target[rows])
            flat = np.flatnonzero(todo)
            out.reshape(-1)[flat[ok]] = draw[ok]
            todo.reshape(-1)[flat[ok]] = False
        return out


class NegativeSamplingLoss:
    """Negative-sampling loss of predicting ``target`` (N,) from hidden vectors ``h`` (N, D).

    Scores the positive ``W[target[n]]`` (label 1) and ``sample_size`` negatives (label 0) per row
    with one :class:`EmbeddingDot` over the (N, 1+K) index array; the loss is the per-row sum of the
    1+K logistic losses averaged over rows (see :class:`SigmoidWithLoss`). ``forward`` draws the
    negatives from a :class:`UnigramSampler` unless ``negatives`` (N, K) is given (injection, for
    gradient checks and exact comparisons); the ids used are kept in ``self.negatives``.
    Injected negatives are used as given, even if one equals its row's target.
    ``params = [W]``, ``grads = [dW]``; ``backward(dout=1.0)`` returns dL/dh (N, D).
    """

    def __init__(self, W, counts, power=0.75, sample_size=5, seed=None):
        W = _check_weights("W", W)
        self.sampler = UnigramSampler(counts, power, sample_size, seed)
        if self.sampler.vocab_size != W.shape[0]:
            raise ValueError(f"counts must have one entry per row of W ({W.shape[0]}), "
                             f"got {self.sampler.vocab_size}")
        self.sample_size = self.sampler.sample_size
        self.dot = EmbeddingDot(W)
        self.loss_layer = SigmoidWithLoss()
        self.params, self.grads = self.dot.params, self.dot.grads
        self.negatives = None

    def forward(self, h, target, negatives=None):
        V = self.params[0].shape[0]
        target = _check_index("target", target, V)
        if target.ndim != 1:
            raise ValueError(f"target must be 1-D (N,), got shape {target.shape}")
        if negatives is None:
            negatives = self.sampler.get_negative_sample(target)
        else:
            negatives = _check_index("negatives", negatives, V)
            if negatives.shape != (target.size, self.sample_size):
                raise ValueError(f"negatives must have shape {(target.size, self.sample_size)}, "
                                 f"got {negatives.shape}")
        self.negatives = negatives
        idx = np.concatenate([target[:, None], negatives], axis=1)
        labels = np.zeros(idx.shape)
        labels[:, 0] = 1.0
        scores = self.dot.forward(h, idx)
        return self.loss_layer.forward(scores, labels)

    def backward(self, dout=1.0):
        return self.dot.backward(self.loss_layer.backward(dout))


def _check_batch(contexts, target, width, V):
    contexts = _check_index("contexts", contexts, V)
    target = _check_index("target", target, V)
    if contexts.ndim != 2 or contexts.shape[1] != width:
        raise ValueError(f"contexts must have shape (N, 2*window_size) = (N, {width}), got {contexts.shape}")
    if target.ndim != 1 or target.shape[0] != contexts.shape[0]:
        raise ValueError(f"target must have shape ({contexts.shape[0]},) to match contexts, "
                         f"got {target.shape}")
    if target.size == 0:
        raise ValueError("contexts must hold at least one example")
    return contexts, target


class _Word2VecModel:
    """Shared set-up of CBOW and SkipGram: W_in and W_out (V, D), 0.01 * standard normal."""

    def __init__(self, vocab_size, hidden_size, window_size, counts, power, sample_size, seed):
        V = _check_int("vocab_size", vocab_size, minimum=1)
        D = _check_int("hidden_size", hidden_size, minimum=1)
        self.window_size = _check_int("window_size", window_size, minimum=1)
        rng = np.random.default_rng(seed)
        W_in = 0.01 * rng.standard_normal((V, D))
        W_out = 0.01 * rng.standard_normal((V, D))
        self.in_layer = Embedding(W_in)
        # the sampler gets its own stream, derived from the model's, so one seed fixes everything
        self.ns_loss = NegativeSamplingLoss(W_out, counts, power, sample_size,
                                            seed=rng.integers(2**63))
        self.params = [W_in, W_out]
        self.grads = [self.in_layer.grads[0], self.ns_loss.grads[0]]
        self.word_vecs = W_in
        self.cache = None


class CBOW(_Word2VecModel):
    """Continuous bag of words: predict ``target`` (N,) from the mean of ``contexts`` (N, 2*window).

    ``h = mean_c W_in[contexts[:, c]]``, loss = :class:`NegativeSamplingLoss` of (h, target).
    ``backward()`` gives the true gradient of the mean (each context row gets dh / C); this differs
    from word2vec.c's cbow_mean, which adds the undivided dh (see ``cbow_step``).
    ``params = [W_in, W_out]``; ``word_vecs`` is W_in.
    """

    def __init__(self, vocab_size, hidden_size, window_size, counts, power=0.75, sample_size=5, seed=None):
        super().__init__(vocab_size, hidden_size, window_size, counts, power, sample_size, seed)

    def forward(self, contexts, target, negatives=None):
        """contexts (N, 2*window_size), target (N,), optional negatives (N, K) -> loss (float)."""
        contexts, target = _check_batch(contexts, target, 2 * self.window_size, self.params[0].shape[0])
        h = self.in_layer.forward(contexts).mean(axis=1)
        self.cache = contexts.shape[1]
        return self.ns_loss.forward(h, target, negatives)

    def backward(self, dout=1.0):
        if self.cache is None:
            raise RuntimeError("backward called before forward")
        C = self.cache
        dh = self.ns_loss.backward(dout)  # (N, D)
        self.in_layer.backward(np.repeat(dh[:, None, :] / C, C, axis=1))
        return None


class SkipGram(_Word2VecModel):
    """Skip-gram: predict each of ``contexts`` (N, 2*window) from ``h = W_in[target]`` (N,).

    Loss = sum over the 2*window context positions of the :class:`NegativeSamplingLoss` of
    (h, contexts[:, c]), each averaged over the batch. Injected negatives have shape (N, C, K).
    ``params = [W_in, W_out]``; ``word_vecs`` is W_in.
    """

    def __init__(self, vocab_size, hidden_size, window_size, counts, power=0.75, sample_size=5, seed=None):
        super().__init__(vocab_size, hidden_size, window_size, counts, power, sample_size, seed)

    def forward(self, contexts, target, negatives=None):
        """contexts (N, 2*window_size), target (N,), optional negatives (N, C, K) -> loss (float)."""
        contexts, target = _check_batch(contexts, target, 2 * self.window_size, self.params[0].shape[0])
        N, C = contexts.shape
        K = self.ns_loss.sample_size
        if negatives is not None:
            negatives = np.asarray(negatives)
            if negatives.shape != (N, C, K):
                raise ValueError(f"negatives must have shape {(N, C, K)}, got {negatives.shape}")
            negatives = negatives.reshape(N * C, K)
        h = self.in_layer.forward(target)
        # all (row, context position) pairs at once; the flattened loss is the mean over N*C pairs
        loss = self.ns_loss.forward(np.repeat(h, C, axis=0), contexts.reshape(-1), negatives)
        self.cache = (N, C)
        return loss * C

    def backward(self, dout=1.0):
        if self.cache is None:
            raise RuntimeError("backward called before forward")
        N, C = self.cache
        dh = self.ns_loss.backward(dout * C)
        self.in_layer.backward(dh.reshape(N, C, -1).sum(axis=1))
        return None


# --------------------------------------------------------------------------------------------------
# optimisers


def _check_params(params, grads):
    params, grads = list(params), list(grads)
    if len(params) != len(grads):
        raise ValueError(f"params and grads must have the same length, got {len(params)} and {len(grads)}")
    for i, (p, g) in enumerate(zip(params, grads)):
        if not isinstance(p, np.ndarray) or not np.issubdtype(p.dtype, np.floating):
            raise TypeError(f"params[{i}] must be a floating NumPy array")
        if np.shape(g) != p.shape:
            raise ValueError(f"grads[{i}] must have shape {p.shape}, got {np.shape(g)}")
    return params, grads


class SGD:
    """Plain gradient descent: ``p -= lr * g`` in place for each (param, grad) pair."""

    def __init__(self, lr=0.01):
        self.lr = _check_real("lr", lr, minimum=0.0, strict=True)

    def update(self, params, grads):
        params, grads = _check_params(params, grads)
        for p, g in zip(params, grads):
            p -= self.lr * np.asarray(g)


class Adam:
    """Adam (Kingma & Ba 2015) with bias correction, updating params in place.

    ``m = b1*m + (1-b1)*g``, ``v = b2*v + (1-b2)*g**2``, ``p -= lr * m_hat / (sqrt(v_hat) + eps)``
    with ``m_hat = m / (1-b1**t)``, ``v_hat = v / (1-b2**t)``. The moments are kept per position of
    the params list, so every call must pass the same list (same length and shapes), and each array
    may appear in it only once (a shared array listed twice would get two sets of moments; merge
    its gradients instead). Dense: rows with zero gradient still move while their moments decay.
    """

    def __init__(self, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8):
        self.lr = _check_real("lr", lr, minimum=0.0, strict=True)
        self.beta1 = _check_real("beta1", beta1, minimum=0.0)
        self.beta2 = _check_real("beta2", beta2, minimum=0.0)
        if self.beta1 >= 1:
            raise ValueError(f"beta1 must be < 1, got {self.beta1}")
        if self.beta2 >= 1:
            raise ValueError(f"beta2 must be < 1, got {self.beta2}")
        self.eps = _check_real("eps", eps, minimum=0.0, strict=True)
        self.m = self.v = None
        self.t = 0

    def update(self, params, grads):
        params, grads = _check_params(params, grads)
        if len({id(p) for p in params}) != len(params):
            raise ValueError("params must not list the same array twice (merge its grads first)")
        if self.m is None:
            self.m = [np.zeros_like(p) for p in params]
            self.v = [np.zeros_like(p) for p in params]
        elif [m.shape for m in self.m] != [p.shape for p in params]:
            raise ValueError("params must be the same list (length and shapes) on every update")
        self.t += 1
        c1 = 1.0 - self.beta1**self.t
        c2 = 1.0 - self.beta2**self.t
        for p, g, m, v in zip(params, grads, self.m, self.v):
            g = np.asarray(g)
            m += (1.0 - self.beta1) * (g - m)
            v += (1.0 - self.beta2) * (g * g - v)
            p -= self.lr * (m / c1) / (np.sqrt(v / c2) + self.eps)


# --------------------------------------------------------------------------------------------------
# data and training loop


def create_contexts_target(corpus_ids, window_size):
    """Sliding windows over a 1-D id array.

    Returns ``(contexts, target)``: for each position i in ``[window, len - window)``,
    ``target[j] = corpus[i]`` and ``contexts[j] = corpus[i-window : i] ++ corpus[i+1 : i+window+1]``;
    shapes (M, 2*window_size) and (M,), int64, with ``M = max(len - 2*window_size, 0)``.
    """
    window_size = _check_int("window_size", window_size, minimum=1)
    corpus = np.asarray(corpus_ids)
    if corpus.size == 0 and corpus.dtype == np.float64:
        corpus = corpus.astype(np.int64)
    if corpus.dtype == np.bool_ or not np.issubdtype(corpus.dtype, np.integer):
        raise TypeError(f"corpus_ids must have an integer dtype, got {corpus.dtype}")
    if corpus.ndim != 1:
        raise ValueError(f"corpus_ids must be 1-D, got shape {corpus.shape}")
    corpus = corpus.astype(np.int64)
    M = max(corpus.size - 2 * window_size, 0)
    offsets = [o for o in range(-window_size, window_size + 1) if o != 0]
    centre = np.arange(window_size, window_size + M)
    contexts = np.stack([corpus[centre + o] for o in offsets], axis=1).reshape(M, 2 * window_size)
    return contexts, corpus[centre]


def train(model, optimizer, contexts, targets, epochs=1, batch_size=32, seed=None):
    """Mini-batch training; returns the list of per-epoch mean losses (weighted by batch size).

    Each epoch shuffles the examples with ``np.random.default_rng(seed)`` (one generator for the
    whole run), then for each batch: ``model.forward``, ``model.backward``,
    ``optimizer.update(model.params, model.grads)``. Raises FloatingPointError if the loss stops
    being finite (lower the learning rate).
    """
    epochs = _check_int("epochs", epochs, minimum=0)
    batch_size = _check_int("batch_size", batch_size, minimum=1)
    contexts = np.asarray(contexts)
    targets = np.asarray(targets)
    if contexts.ndim < 1 or targets.ndim < 1 or contexts.shape[0] != targets.shape[0]:
        raise ValueError(f"contexts and targets must have the same number of rows, got shapes "
                         f"{contexts.shape} and {targets.shape}")
    n = targets.shape[0]
    if n == 0:
        raise ValueError("targets must hold at least one example")
    rng = np.random.default_rng(seed)
    history = []
    for epoch in range(epochs):
        order = rng.permutation(n)
        total = 0.0
        for start in range(0, n, batch_size):
            batch = order[start:start + batch_size]
            loss = model.forward(contexts[batch], targets[batch])
            if not np.isfinite(loss):
                raise FloatingPointError(f"loss diverged ({loss}) in epoch {epoch}: lower the learning rate")
            model.backward()
            optimizer.update(model.params, model.grads)
            total += loss * batch.size
        history.append(total / n)
    return history
