"""Constants and tables built once in NumPy and shared by ``fastw2v.reference`` and ``fastw2v._core``.

Everything here is the single home of a constant of the kernel contract (docs/architecture.md):
the sigmoid table geometry and its error bounds, the random generator's constants, the
subsampling keep thresholds and the alias (Vose) table of the negative-sampling distribution.
``_core`` checks at import that its C copies of these constants agree with this module.
"""
import math

import numpy as np

__all__ = [
    "SIGMOID_TABLE_SIZE", "SIGMOID_MAX", "SIGMOID_SCALE", "SIGMOID_MAX_ABS_ERROR",
    "LOG_SIGMOID_MAX_ABS_ERROR", "KEEP_ALWAYS", "ALIAS_FULL",
    "RNG_GOLDEN", "RNG_MIX1", "RNG_MIX2", "RNG_MULT", "RNG_MASK", "RNG_STREAM_STRIDE",
    "sigmoid_table", "log_sigmoid_table", "table_index", "table_sigmoid", "table_log_sigmoid",
    "exact_sigmoid", "exact_log_sigmoid", "keep_thresholds", "noise_distribution",
    "build_alias_table", "worker_seed", "batch_seed",
]

# ----------------------------------------------------------------------------- sigmoid tables

#: Number of bins of the sigmoid / log-sigmoid tables.
SIGMOID_TABLE_SIZE = 4096
#: The tables cover [-SIGMOID_MAX, SIGMOID_MAX]; outside, the sigmoid is clipped to the end entries.
SIGMOID_MAX = 8.0
#: Bins per unit of x: SIZE / (2 * MAX) (= 256, exact in float32).
SIGMOID_SCALE = SIGMOID_TABLE_SIZE / (2.0 * SIGMOID_MAX)
#: Worst-case |table_sigmoid(x) - sigmoid(x)| over all float32 x (half a bin times max slope 1/4,
#: plus float32 rounding: 4.89e-4).
SIGMOID_MAX_ABS_ERROR = 5e-4
#: Worst-case |table_log_sigmoid(x) - log(sigmoid(x))| over all float32 x (half a bin times max slope 1,
#: plus float32 rounding: 1.96e-3).
LOG_SIGMOID_MAX_ABS_ERROR = 2e-3

_F32_MAX = np.float32(SIGMOID_MAX)
_F32_SCALE = np.float32(SIGMOID_SCALE)


def _bin_centres():
    step = 2.0 * SIGMOID_MAX / SIGMOID_TABLE_SIZE
    return -SIGMOID_MAX + (np.arange(SIGMOID_TABLE_SIZE, dtype=np.float64) + 0.5) * step


def exact_sigmoid(x):
    """sigmoid(x) in float64, the kernels' exact mode: 1/(1+exp(-x)) for x >= 0, e/(1+e) with
    e = exp(x) for x < 0 (the same formula the C kernels use, so no overflow either way)."""
    x = float(x)
    if x >= 0.0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def exact_log_sigmoid(x):
    """log(sigmoid(x)) in float64: -log1p(exp(-x)) for x >= 0, x - log1p(exp(x)) for x < 0."""
    x = float(x)
    if x >= 0.0:
        return -math.log1p(math.exp(-x))
    return x - math.log1p(math.exp(x))


def sigmoid_table():
    """float32[SIGMOID_TABLE_SIZE]: sigmoid at the centre of each bin (computed in float64)."""
    return np.array([exact_sigmoid(c) for c in _bin_centres()], dtype=np.float32)


def log_sigmoid_table():
    """float32[SIGMOID_TABLE_SIZE]: log(sigmoid) at the centre of each bin (computed in float64)."""
    return np.array([exact_log_sigmoid(c) for c in _bin_centres()], dtype=np.float32)


_SIGMOID = sigmoid_table()
_LOG_SIGMOID = log_sigmoid_table()


def table_index(x):
    """Bin index of float32 ``x`` exactly as the C kernels compute it.

    ``x >= MAX`` -> SIZE-1; ``-MAX < x < MAX`` -> ``int((x + MAX) * SCALE)`` in float32 arithmetic,
    truncated, at most SIZE-1; anything else (``x <= -MAX``, NaN) -> 0. Returns int64 array.
    """
    x = np.asarray(x, dtype=np.float32)
    idx = np.zeros(x.shape, dtype=np.int64)
    inside = (x > -_F32_MAX) & (x < _F32_MAX)
    t = (x[inside] + _F32_MAX) * _F32_SCALE          # float32 add, then float32 multiply
    idx[inside] = np.minimum(t.astype(np.int64), SIGMOID_TABLE_SIZE - 1)
    idx[x >= _F32_MAX] = SIGMOID_TABLE_SIZE - 1
    return idx


def table_sigmoid(x):
    """Table sigmoid of float32 ``x`` (clip rule: beyond +-MAX the end entries), float32, bitwise
    equal to the C lookup."""
    return _SIGMOID[table_index(x)]


def table_log_sigmoid(x):
    """Table log-sigmoid of float32 ``x``: the table inside [-MAX, MAX], 0 above MAX, x below -MAX;
    float32, bitwise equal to the C lookup."""
    x = np.asarray(x, dtype=np.float32)
    out = _LOG_SIGMOID[table_index(x)]
    out = np.where(x > _F32_MAX, np.float32(0.0), out)
    out = np.where(x < -_F32_MAX, x, out)
    return out.astype(np.float32)


# ----------------------------------------------------------------------------- random generator

#: splitmix64 increment (also the state used when the seeded state would be 0).
RNG_GOLDEN = 0x9E3779B97F4A7C15
#: splitmix64 finaliser multipliers.
RNG_MIX1 = 0xBF58476D1CE4E5B9
RNG_MIX2 = 0x94D049BB133111EB
#: xorshift64* output multiplier.
RNG_MULT = 0x2545F4914F6CDD1D
RNG_MASK = (1 << 64) - 1
#: Worker thread t of a run seeded with s uses Rng(s * RNG_STREAM_STRIDE + t).
RNG_STREAM_STRIDE = 1000003


def worker_seed(seed, thread):
    """Seed of worker ``thread``'s random stream in a run seeded with ``seed``."""
    return int(seed) * RNG_STREAM_STRIDE + int(thread)


def _splitmix64(z):
    z = (z + RNG_GOLDEN) & RNG_MASK
    z = ((z ^ (z >> 30)) * RNG_MIX1) & RNG_MASK
    z = ((z ^ (z >> 27)) * RNG_MIX2) & RNG_MASK
    return z ^ (z >> 31)


def batch_seed(seed, epoch, batch):
    """Seed of the random stream of batch ``batch`` (0-based, reading order) in epoch ``epoch``
    (counted over the model's life) of a run seeded with ``seed``: splitmix64 chained over the three
    integers, so nearby triples give unrelated streams. ``Word2Vec.train`` uses ``Rng(batch_seed(...))``
    for every batch, whichever worker trains it."""
    z = _splitmix64(int(seed) & RNG_MASK)
    z = _splitmix64(z ^ (int(epoch) & RNG_MASK))
    return _splitmix64(z ^ (int(batch) & RNG_MASK))


# ----------------------------------------------------------------------------- subsampling

#: keep threshold meaning "always keep, consume no random draw".
KEEP_ALWAYS = 0xFFFFFFFF
#: alias threshold of a full column (its own probability is 1).
ALIAS_FULL = 0xFFFFFFFF


def _check_counts(counts, name="counts"):
    try:
        arr = np.asarray(counts)
    except Exception as exc:  # pragma: no cover - odd objects
        raise TypeError(f"{name} must be a 1-D array of non-negative numbers") from exc
    if arr.dtype.kind not in "iuf":
        raise TypeError(f"{name} must be a 1-D array of non-negative numbers, got dtype {arr.dtype}")
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-D, got shape {arr.shape}")
    arr = arr.astype(np.float64)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite")
    if np.any(arr < 0):
        raise ValueError(f"{name} must be non-negative")
    return arr


def keep_thresholds(counts, sample):
    """uint32[V] subsampling thresholds (word2vec.c's keep probability).

    With ``t = sample * sum(counts)``: ``p = (sqrt(c / t) + 1) * t / c``; stored as
    ``floor(min(p, 1) * 2**32)``, with ``p >= 1``, ``sample == 0`` and zero counts stored as
    ``KEEP_ALWAYS`` (0xFFFFFFFF). Keep test: ``thr == KEEP_ALWAYS or rng.next_u32() < thr``.
    """
    c = _check_counts(counts)
    sample = float(sample)
    if not math.isfinite(sample) or sample < 0:
        raise ValueError(f"sample must be a finite number >= 0, got {sample!r}")
    out = np.full(c.shape, KEEP_ALWAYS, dtype=np.uint32)
    total = float(c.sum())
    if sample == 0.0 or total == 0.0:
        return out
    t = sample * total
    pos = c > 0
    with np.errstate(divide="ignore"):
        p = (np.sqrt(c[pos] / t) + 1.0) * t / c[pos]
    thr = np.floor(np.minimum(p, 1.0) * 4294967296.0)
    thr = np.where(p >= 1.0, float(KEEP_ALWAYS), np.minimum(thr, float(KEEP_ALWAYS)))
    out[pos] = thr.astype(np.uint32)
    return out


# ----------------------------------------------------------------------------- negative sampling

def noise_distribution(counts, power):
    """float64[V] probabilities ``counts**power / sum``; zero counts get probability 0, also at
    ``power == 0`` (a word never seen is never a negative)."""
    c = _check_counts(counts)
    power = float(power)
    if not math.isfinite(power):
        raise ValueError(f"power must be finite, got {power!r}")
    if c.size == 0:
        raise ValueError("counts must not be empty")
    w = np.zeros_like(c)
    pos = c > 0
    w[pos] = c[pos] ** power
    total = w.sum()
    if not (total > 0) or not math.isfinite(total):
        raise ValueError("counts must have at least one positive entry (and counts**power a finite sum)")
    return w / total


def alias_weights(counts, power):
    """float64[V] ``q = p * V``, the column masses Vose's method starts from (mean 1)."""
    p = noise_distribution(counts, power)
    return p * p.size


def build_alias_table(counts, power):
    """Vose alias table of ``counts**power`` -> ``(threshold uint32[V], alias int32[V])``.

    ``q = counts**power / sum * V`` in float64. Worklists ``small`` (q < 1) and ``large`` (q >= 1) are
    filled in index order and processed as stacks (pop the last pushed). Each pairing sets
    ``threshold[s] = floor(q[s] * 2**32)``, ``alias[s] = l`` and ``q[l] = (q[l] + q[s]) - 1``; ``l``
    then goes back on ``small`` or ``large``. Columns left on either list are full:
    ``threshold = ALIAS_FULL, alias = itself``.
    Draw: ``r = rng.next_u64(); col = ((r >> 32) * V) >> 32; u = r & 0xFFFFFFFF;
    col if u < threshold[col] else alias[col]``.
    """
    return _vose(alias_weights(counts, power))


def _vose(q):
    """Vose's method on float64 column masses ``q`` (mean 1); the reference of ``_core``'s C loop."""
    q = [float(v) for v in q]
    n = len(q)
    threshold = np.full(n, ALIAS_FULL, dtype=np.uint32)
    alias = np.arange(n, dtype=np.int32)
    small = [i for i in range(n) if q[i] < 1.0]
    large = [i for i in range(n) if not q[i] < 1.0]
    while small and large:
        s = small.pop()
        g = large.pop()
        threshold[s] = min(int(q[s] * 4294967296.0), ALIAS_FULL)
        alias[s] = g
        q[g] = (q[g] + q[s]) - 1.0
        if q[g] < 1.0:
            small.append(g)
        else:
            large.append(g)
    # whatever is left (rounding residue) is a full column: threshold ALIAS_FULL, alias itself
    return threshold, alias
