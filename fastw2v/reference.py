"""The NumPy twin of every public ``fastw2v._core`` function, written for reading.

Same names, same arguments, same results (docs/architecture.md is the contract): the kernels of
``_core`` and the functions here consume the same random draws in the same order and perform the same
float32 operations in the same order, so tests can compare them step by step. Pure Python loops:
use these on small inputs only.

Arithmetic conventions shared with the C kernels:

* dot products are float32, summed in eight lanes (``dot32``), which is the order the C loop uses so
  that the compiler can vectorise it;
* gradients ``g = (label - sigmoid(f)) * lr`` are computed in float64 and rounded to float32;
* rows are updated with float32 ``row += g * other`` (multiply rounded, then add).

The module also re-exports the NumPy layers of the design notes from ``fastw2v.layers``.
"""

import numpy as np

from . import tables
from .layers import (  # the NumPy layers of the design notes (fastw2v/layers.py), re-exported
    RENORM_EPS, CBOW, SGD, Adam, Embedding, EmbeddingDot, NegativeSamplingLoss, SigmoidWithLoss,
    SkipGram, UnigramSampler, create_contexts_target, embedding_backward, embedding_forward, train,
)
from .tables import (  # BATCH_MODES is re-exported: part of the API mirrored from _core
    BATCH_MODES, KEEP_ALWAYS, RNG_GOLDEN, RNG_MASK, RNG_MIX1, RNG_MIX2, RNG_MULT, exact_log_sigmoid,
    exact_sigmoid, table_log_sigmoid, table_sigmoid,
)

__all__ = [
    "Rng", "AliasSampler", "dot32", "sgns_step", "cbow_step", "hs_step", "build_huffman",
    "TrainConfig", "train_batch", "merge_hot_rows", "BATCH_MODES", "table_sigmoid", "table_log_sigmoid",
    # from fastw2v.layers
    "RENORM_EPS", "embedding_forward", "embedding_backward", "Embedding", "EmbeddingDot",
    "SigmoidWithLoss", "UnigramSampler", "NegativeSamplingLoss", "CBOW", "SkipGram", "SGD", "Adam",
    "train", "create_contexts_target",
]


_LANES = 8


# ----------------------------------------------------------------------------- random generator

class Rng:
    """xorshift64* seeded through the splitmix64 finaliser; ``state`` is a Python int in [1, 2**64)."""

    def __init__(self, seed=0):
        z = (int(seed) + RNG_GOLDEN) & RNG_MASK
        z = ((z ^ (z >> 30)) * RNG_MIX1) & RNG_MASK
        z = ((z ^ (z >> 27)) * RNG_MIX2) & RNG_MASK
        z = z ^ (z >> 31)
        self._state = z if z != 0 else RNG_GOLDEN

    @property
    def state(self):
        return self._state

    @state.setter
    def state(self, value):
        value = int(value)
        if not 0 < value <= RNG_MASK:
            raise ValueError(f"state must be in [1, 2**64), got {value}")
        self._state = value

    def next_u64(self):
        x = self._state
        x ^= x >> 12
        x ^= (x << 25) & RNG_MASK
        x ^= x >> 27
        self._state = x
        return (x * RNG_MULT) & RNG_MASK

    def next_u32(self):
        return self.next_u64() >> 32

    def below(self, n):
        """Integer in [0, n) by Lemire's multiply-shift (one draw)."""
        return (self.next_u32() * int(n)) >> 32

    def __repr__(self):
        return f"Rng(state=0x{self._state:016x})"


# ----------------------------------------------------------------------------- negative sampling

def alias_draw(rng, threshold, alias):
    """One draw from an alias table (one ``next_u64``)."""
    r = rng.next_u64()
    col = ((r >> 32) * len(threshold)) >> 32
    return col if (r & 0xFFFFFFFF) < int(threshold[col]) else int(alias[col])


class AliasSampler:
    """Draws word ids with probability ``counts**power / sum`` (zero counts never drawn).

    ``threshold`` (uint32[V]) and ``alias`` (int32[V]) are ``tables.build_alias_table``'s; ``rng`` is
    the sampler's own ``Rng(seed)``; every draw consumes one ``next_u64``.
    """

    def __init__(self, counts, power=0.75, seed=0):
        self.threshold, self.alias = tables.build_alias_table(counts, power)
        self.rng = Rng(seed)

    def __len__(self):
        return len(self.threshold)

    def sample(self, n):
        """int32[n] ids, drawn in order."""
        n = int(n)
        if n < 0:
            raise ValueError(f"n must be >= 0, got {n}")
        return np.array([alias_draw(self.rng, self.threshold, self.alias) for _ in range(n)],
                        dtype=np.int32)


# ----------------------------------------------------------------------------- step functions

def dot32(a, b):
    """float32 dot product in the kernels' order: eight lane sums over blocks of eight, combined as
    ((l0+l1)+(l2+l3))+((l4+l5)+(l6+l7)), then the remaining elements added one by one."""
    a = np.asarray(a, dtype=np.float32)
    b = np.asarray(b, dtype=np.float32)
    n8 = a.size - a.size % _LANES
    lanes = np.zeros(_LANES, dtype=np.float32)
    for start in range(0, n8, _LANES):
        lanes += a[start:start + _LANES] * b[start:start + _LANES]
    total = ((lanes[0] + lanes[1]) + (lanes[2] + lanes[3])) + ((lanes[4] + lanes[5]) + (lanes[6] + lanes[7]))
    for j in range(n8, a.size):
        total = total + a[j] * b[j]
    return np.float32(total)


def _sigmoid(f, exact):
    return exact_sigmoid(f) if exact else float(table_sigmoid(f))


def _log_sigmoid(f, exact):
    return exact_log_sigmoid(f) if exact else float(table_log_sigmoid(f))


def _train_target(h, out_row, label, lr, neu1e, exact):
    """One (h, target) pair: score, loss, accumulate ``neu1e`` with the row before its update, then
    update the row in place. Returns the pair's loss (float64)."""
    f = dot32(h, out_row)
    s = _sigmoid(f, exact)
    loss = -_log_sigmoid(f if label else -f, exact)
    g = np.float32((label - s) * lr)
    neu1e += g * out_row
    out_row += g * h
    return loss


def _ns_targets(W_out, output_word, negatives, h, lr, neu1e, exact):
    loss = _train_target(h, W_out[output_word], 1, lr, neu1e, exact)
    for n in negatives:
        if n != output_word:           # word2vec.c skips a negative equal to the target
            loss += _train_target(h, W_out[n], 0, lr, neu1e, exact)
    return loss


def _shared_negatives_block(W_in, W_out, contexts, word, negatives, lr, exact):
    """One HogBatch step (Ji et al., 2016) for a skip-gram centre word: every context row meets the
    same targets (``word`` with label 1, then each negative != ``word`` with label 0).

    All scores come from the weights as they were before the step: ``G[j, t] = (label_t -
    sigmoid(dot32(W_in[c_j], W_out[t]))) * lr`` (float64, rounded to float32); then
    ``dT[t] = sum_j G[j, t] * W_in[c_j]`` (j in order, from the old context rows);
    then each context row ``W_in[c_j] += G[j, t] * W_out[t]`` for t in order (old target rows);
    finally ``W_out[t] += dT[t]``. Returns the summed loss (float64). No random draws.
    """
    targets = [word] + [n for n in negatives if n != word]
    G = np.zeros((len(contexts), len(targets)), dtype=np.float32)
    loss = 0.0
    for j, c in enumerate(contexts):
        for t, target in enumerate(targets):
            label = 1 if t == 0 else 0
            f = dot32(W_in[c], W_out[target])
            loss += -_log_sigmoid(f if label else -f, exact)
            G[j, t] = np.float32((label - _sigmoid(f, exact)) * lr)
    dT = np.zeros((len(targets), W_in.shape[1]), dtype=np.float32)
    for t in range(len(targets)):
        for j, c in enumerate(contexts):
            dT[t] += G[j, t] * W_in[c]
    for j, c in enumerate(contexts):
        for t, target in enumerate(targets):
            W_in[c] += G[j, t] * W_out[target]
    for t, target in enumerate(targets):
        W_out[target] += dT[t]
    return loss


def _hs_targets(W_hs, codes, points, h, lr, neu1e, exact):
    loss = 0.0
    for code, point in zip(codes, points):
        loss += _train_target(h, W_hs[point], 1 - int(code), lr, neu1e, exact)
    return loss


def sgns_step(W_in, W_out, input_word, output_word, negatives, lr, exact_sigmoid=True):
    """Skip-gram negative sampling for one (input, output) pair; updates ``W_in``/``W_out`` in place.

    Negatives equal to ``output_word`` are skipped. Returns the loss (float). No random draws.
    """
    lr = float(lr)
    negatives = [int(n) for n in np.asarray(negatives).reshape(-1)]
    h = W_in[int(input_word)]
    neu1e = np.zeros(W_in.shape[1], dtype=np.float32)
    loss = _ns_targets(W_out, int(output_word), negatives, h, lr, neu1e, exact_sigmoid)
    h += neu1e
    return loss


def _cbow_input(W_in, context, cbow_mean):
    h = np.zeros(W_in.shape[1], dtype=np.float32)
    for c in context:
        h += W_in[c]
    if cbow_mean:
        h = h / np.float32(len(context))
    return h


def cbow_step(W_in, W_out, context_words, output_word, negatives, lr, cbow_mean=True,
              exact_sigmoid=True):
    """CBOW negative sampling for one window; every context position (duplicates included) gets the
    undivided ``neu1e``. Empty context: nothing happens, loss 0. No random draws."""
    lr = float(lr)
    context = [int(c) for c in np.asarray(context_words).reshape(-1)]
    if not context:
        return 0.0
    negatives = [int(n) for n in np.asarray(negatives).reshape(-1)]
    h = _cbow_input(W_in, context, cbow_mean)
    neu1e = np.zeros(W_in.shape[1], dtype=np.float32)
    loss = _ns_targets(W_out, int(output_word), negatives, h, lr, neu1e, exact_sigmoid)
    for c in context:
        W_in[c] += neu1e
    return loss


def hs_step(W_in, W_out, input_word, codes, points, lr, exact_sigmoid=True):
    """Hierarchical softmax for one (input, output) pair; ``codes``/``points`` are the output word's
    Huffman path (label ``1 - code`` at inner node ``point``). ``W_out`` has V-1 rows. No draws."""
    lr = float(lr)
    codes = np.asarray(codes).reshape(-1)
    points = [int(p) for p in np.asarray(points).reshape(-1)]
    h = W_in[int(input_word)]
    neu1e = np.zeros(W_in.shape[1], dtype=np.float32)
    loss = _hs_targets(W_out, codes, points, h, lr, neu1e, exact_sigmoid)
    h += neu1e
    return loss


# ----------------------------------------------------------------------------- Huffman tree

def build_huffman(counts):
    """word2vec.c's Huffman tree -> ``(codes uint8[total], points int32[total], offsets int64[V+1])``.

    Words are sorted by descending count (stable). Two queues: leaves from the least frequent up, inner
    nodes in creation order; each step takes the smaller count, an inner node on ties. Inner node k
    (created k-th) has id k; the root is V-2. Word w's path, root first, is
    ``codes[offsets[w]:offsets[w+1]]`` / ``points[...]``; one word -> empty path.
    """
    counts = np.asarray(counts)
    if counts.dtype.kind not in "iu":
        raise TypeError(f"counts must be an integer array, got dtype {counts.dtype}")
    counts = counts.astype(np.int64).reshape(-1)
    V = len(counts)
    order = np.argsort(-counts, kind="stable")          # position p holds word order[p]
    count = [int(counts[w]) for w in order] + [0] * max(V - 1, 0)
    parent = [0] * max(2 * V - 1, 0)
    binary = [0] * max(2 * V - 1, 0)
    leaf, inner = V - 1, V                               # next leaf (going down), next inner node
    for k in range(V - 1):
        picked = []
        for _ in range(2):
            if leaf >= 0 and (inner >= V + k or count[leaf] < count[inner]):
                picked.append(leaf)
                leaf -= 1
            else:
                picked.append(inner)
                inner += 1
        count[V + k] = count[picked[0]] + count[picked[1]]
        parent[picked[0]] = parent[picked[1]] = V + k
        binary[picked[1]] = 1
    root = 2 * V - 2
    paths = [None] * V
    for p in range(V):
        codes, points = [], []
        node = p
        while node != root and V > 1:
            codes.append(binary[node])
            points.append(parent[node] - V)
            node = parent[node]
        paths[int(order[p])] = (codes[::-1], points[::-1])
    lengths = np.array([len(paths[w][0]) for w in range(V)], dtype=np.int64)
    offsets = np.zeros(V + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    codes = np.zeros(int(offsets[-1]), dtype=np.uint8)
    points = np.zeros(int(offsets[-1]), dtype=np.int32)
    for w in range(V):
        codes[offsets[w]:offsets[w + 1]] = paths[w][0]
        points[offsets[w]:offsets[w + 1]] = paths[w][1]
    return codes, points, offsets


# ----------------------------------------------------------------------------- batch kernel

class TrainConfig:
    """The arrays and settings of a training run (see ``_core.TrainConfig``; no validation here).

    ``W_in`` (V, D), ``W_out`` (V, D) negative-sampling weights, ``W_hs`` (V-1, D) hierarchical-softmax
    weights, ``keep_threshold`` uint32[V], ``alias_threshold`` uint32[V] / ``alias_index`` int32[V],
    ``hs_codes`` / ``hs_points`` / ``hs_offsets`` from ``build_huffman``. Unused arrays may be empty.
    ``lockf``: None or float32 factors of length 1 or V multiplying every input-row update.
    """

    def __init__(self, W_in, W_out, W_hs, keep_threshold, alias_threshold, alias_index, hs_codes,
                 hs_points, hs_offsets, *, sg, negative, hs, window, shrink_windows=True,
                 cbow_mean=True, exact_sigmoid=False, batch_mode="exact", lockf=None):
        if batch_mode not in BATCH_MODES:
            raise ValueError(f"batch_mode must be one of {BATCH_MODES}, got {batch_mode!r}")
        self.W_in, self.W_out, self.W_hs = W_in, W_out, W_hs
        self.keep_threshold = keep_threshold
        self.alias_threshold, self.alias_index = alias_threshold, alias_index
        self.hs_codes, self.hs_points, self.hs_offsets = hs_codes, hs_points, hs_offsets
        self.sg, self.negative, self.hs = bool(sg), int(negative), bool(hs)
        self.window, self.shrink_windows = int(window), bool(shrink_windows)
        self.cbow_mean, self.exact_sigmoid = bool(cbow_mean), bool(exact_sigmoid)
        self.batch_mode = batch_mode
        self.lockf = None if lockf is None else np.asarray(lockf, dtype=np.float32)

    @property
    def vocab_size(self):
        return self.W_in.shape[0]

    @property
    def vector_size(self):
        return self.W_in.shape[1]


def train_batch(config, rng, tokens, offsets, alpha_start, alpha_end, hot_out=None, hot_pulled=None,
                merge_words=0, hot_in=None, hot_in_pulled=None):
    """Train on sentences ``tokens[offsets[s]:offsets[s+1]]``; weights updated in place.

    Works with this module's ``TrainConfig``/``Rng`` or ``_core``'s (it reads attributes only).
    Draw order, per sentence: learning rate (no draw); one keep test per token whose threshold is not
    KEEP_ALWAYS; per kept position ``b = rng.below(window)`` if ``shrink_windows``; then skip-gram:
    per context position HS (no draws), ``negative`` alias draws, NS; CBOW: if the context is not empty,
    HS, ``negative`` alias draws, NS. With ``batch_mode="shared_negatives"``, skip-gram draws
    ``negative`` negatives once per centre word with a non-empty window (right after its window draw),
    runs HS per context position, then one ``_shared_negatives_block`` for the whole window.
    ``hot_out``: None, or a (K, D) float32 array holding rows [0, K) of ``W_out`` for this call: they
    are read and written there, the other rows in ``W_out``; ``hot_in`` likewise for rows [0, K_in) of
    ``W_in``. ``merge_words`` > 0 (with ``hot_pulled`` / ``hot_in_pulled``, the values ``hot_out`` /
    ``hot_in`` were pulled with): before each sentence starting at or past the next multiple of
    ``merge_words`` tokens, the private rows are merged into ``W_out[:K]`` and ``W_in[:K_in]``
    (``merge_hot_rows``) and pulled back into the private rows and their pulled arrays. Returns
    ``(kept_words, loss)``.
    """
    cfg = config

    def with_private(shared, hot):
        """The weights this call trains: ``shared`` itself, or a copy holding ``hot`` in its first rows."""
        if hot is None or not len(hot):
            return shared, 0
        trained = shared.copy()
        trained[:len(hot)] = hot
        return trained, len(hot)

    W_out, K = with_private(cfg.W_out, hot_out)
    W_in, K_in = with_private(cfg.W_in, hot_in)
    private = [(cfg.W_out, W_out, K, hot_out, hot_pulled), (cfg.W_in, W_in, K_in, hot_in, hot_in_pulled)]
    next_merge = merge_words if K or K_in else 0
    tokens = np.asarray(tokens)
    offsets = np.asarray(offsets)
    n_tokens = len(tokens)
    exact = cfg.exact_sigmoid
    D = cfg.W_in.shape[1]
    shared = cfg.batch_mode == "shared_negatives"
    lockf = getattr(cfg, "lockf", None)

    def update_input(word, neu1e):
        if lockf is None:
            W_in[word] += neu1e
        else:   # float32 row += f * neu1e, as _core's axpy
            W_in[word] += lockf[word % len(lockf)] * neu1e

    kept_words = 0
    loss = 0.0

    def negatives_now():
        return [alias_draw(rng, cfg.alias_threshold, cfg.alias_index) for _ in range(cfg.negative)]

    def path(word):
        a, b = int(cfg.hs_offsets[word]), int(cfg.hs_offsets[word + 1])
        return cfg.hs_codes[a:b], cfg.hs_points[a:b]

    for s in range(len(offsets) - 1):
        start, stop = int(offsets[s]), int(offsets[s + 1])
        if next_merge and start >= next_merge:
            for matrix, trained, k, _, pulled in private:
                if k:
                    merge_hot_rows(matrix[:k], trained[:k], pulled)
                    trained[:k] = matrix[:k]
                    pulled[:] = matrix[:k]
            next_merge = (start // merge_words + 1) * merge_words
        lr = float(alpha_start) + (float(alpha_end) - float(alpha_start)) * start / n_tokens \
            if n_tokens else float(alpha_start)
        sen = []
        for w in tokens[start:stop]:
            thr = int(cfg.keep_threshold[w])
            if thr == KEEP_ALWAYS or rng.next_u32() < thr:
                sen.append(int(w))
        kept_words += len(sen)
        for i, word in enumerate(sen):
            b = rng.below(cfg.window) if cfg.shrink_windows else 0
            w = cfg.window - b
            span = [c for c in range(max(i - w, 0), min(i + w, len(sen) - 1) + 1) if c != i]
            if cfg.sg:
                negs = negatives_now() if (shared and cfg.negative and span) else None
                for c in span:
                    h = W_in[sen[c]]
                    neu1e = np.zeros(D, dtype=np.float32)
                    if cfg.hs:
                        codes, points = path(word)
                        loss += _hs_targets(cfg.W_hs, codes, points, h, lr, neu1e, exact)
                    if cfg.negative and not shared:
                        loss += _ns_targets(W_out, word, negatives_now(), h, lr, neu1e, exact)
                    update_input(sen[c], neu1e)
                if negs is not None:
                    loss += _shared_negatives_block(W_in, W_out, [sen[c] for c in span],
                                                    word, negs, lr, exact)
            elif span:
                context = [sen[c] for c in span]
                h = _cbow_input(W_in, context, cfg.cbow_mean)
                neu1e = np.zeros(D, dtype=np.float32)
                if cfg.hs:
                    codes, points = path(word)
                    loss += _hs_targets(cfg.W_hs, codes, points, h, lr, neu1e, exact)
                if cfg.negative:
                    loss += _ns_targets(W_out, word, negatives_now(), h, lr, neu1e, exact)
                for c in context:
                    update_input(c, neu1e)
    for matrix, trained, k, hot, _ in private:
        if k:
            hot[:] = trained[:k]
            matrix[k:] = trained[k:]
    return kept_words, loss


def merge_hot_rows(shared, rows, pulled):
    """Merge a worker's private rows into the shared ones (see ``_core.merge_hot_rows``): where
    ``shared`` still equals ``pulled`` it takes ``rows``, elsewhere ``shared += rows - pulled``
    (float32); ``shared`` is updated in place."""
    unchanged = shared == pulled
    shared[...] = np.where(unchanged, rows, shared + (rows - pulled))


def score_sentences(config, tokens, offsets):
    """Twin of ``_core.score_sentences``: the log probability of each sentence under the
    hierarchical-softmax model (full window, no subsampling, float32 dots, exact float64
    log-sigmoid) -> float64[S]."""
    cfg = config
    if not cfg.hs:
        raise ValueError("score_sentences needs a hierarchical-softmax config (hs=True)")
    tokens = np.asarray(tokens)
    offsets = np.asarray(offsets)
    out = np.zeros(len(offsets) - 1, dtype=np.float64)
    for s in range(len(offsets) - 1):
        sen = [int(w) for w in tokens[int(offsets[s]):int(offsets[s + 1])]]
        total = 0.0
        for i, word in enumerate(sen):
            a, b = int(cfg.hs_offsets[word]), int(cfg.hs_offsets[word + 1])
            codes, points = cfg.hs_codes[a:b], cfg.hs_points[a:b]
            span = [c for c in range(max(i - cfg.window, 0), min(i + cfg.window, len(sen) - 1) + 1)
                    if c != i]
            if cfg.sg:
                inputs = [cfg.W_in[sen[c]] for c in span]
            else:
                inputs = [_cbow_input(cfg.W_in, [sen[c] for c in span], cfg.cbow_mean)] if span else []
            for x in inputs:
                for code, point in zip(codes, points):
                    f = float(dot32(x, cfg.W_hs[point]))
                    total += exact_log_sigmoid(-f if code else f)
        out[s] = total
    return out
