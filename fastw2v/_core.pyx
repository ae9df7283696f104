"""nogil kernels of fastw2v: random generator, alias sampler, word2vec step functions, the batch
kernel, the Huffman tree and the embedding gather / scatter-add ops.

docs/architecture.md is the contract; ``fastw2v.reference`` is the NumPy twin of every public name
here (same arguments, same random draws, same float32 operations in the same order).

Conventions:

* Arrays that a function writes (weights, gradients) must already have the right dtype and be
  C-contiguous, aligned and writable: they are updated in place, never copied.
* Arrays that are only read (ids, offsets, tables, ``dout``) must have the documented dtype (index
  arguments of the step functions and embedding ops accept any integer dtype); a non-contiguous one
  is copied.
* Everything the nogil code trusts (shapes, id ranges, offsets) is checked here, at the Python
  boundary; errors are ``TypeError`` (wrong type or dtype) or ``ValueError`` (wrong value, shape or
  layout) and name the argument.
"""
from libc.stdint cimport int32_t, int64_t, uint8_t, uint32_t, uint64_t
from libc.stdlib cimport calloc, free, malloc
from libc.string cimport memcpy, memset
from libc.math cimport INFINITY, exp, fabs, log1p, pow, sqrt
cimport numpy as cnp

import math
import operator

import numpy as np

from . import tables

cnp.import_array()

__all__ = [
    "Rng", "AliasSampler", "sgns_step", "cbow_step", "hs_step", "build_huffman", "TrainConfig",
    "train_batch", "merge_hot_rows", "embedding_forward", "embedding_backward", "table_sigmoid",
    "table_log_sigmoid", "dot32", "BATCH_MODES", "MAY_FUSE_MULTIPLY_ADD", "cpu_has_avx2",
    "cpu_has_avx512", "BUILT_FOR_AVX2", "BUILT_FOR_AVX512", "BITWISE_ARITHMETIC",
]

# C copies of the contract's constants; checked against fastw2v.tables below (their one home).
cdef extern from *:
    """
    #define FW_RNG_GOLDEN 0x9E3779B97F4A7C15ULL
    #define FW_RNG_MIX1   0xBF58476D1CE4E5B9ULL
    #define FW_RNG_MIX2   0x94D049BB133111EBULL
    #define FW_RNG_MULT   0x2545F4914F6CDD1DULL
    """
    const uint64_t FW_RNG_GOLDEN
    const uint64_t FW_RNG_MIX1
    const uint64_t FW_RNG_MIX2
    const uint64_t FW_RNG_MULT

cdef extern from *:
    """
    /* Ask for a weight row ahead of its use (rows of negatives are random, so they miss cache). */
    #if defined(__GNUC__) || defined(__clang__)
    static inline void fw_prefetch_row(const float *row, Py_ssize_t n) {
        for (Py_ssize_t j = 0; j < n; j += 16) __builtin_prefetch(row + j, 1, 3);
    }
    /* The line holding element j of each of the npf rows: called once per 16 elements of a loop
       over a row (and once with its last element), it asks for those rows a line at a time while
       the loop computes, instead of all their lines at once, which fills the line-fill buffers and
       stalls the core until memory answers (+10-16% for exact skip-gram and CBOW at dim 300). */
    static inline void fw_prefetch_step(float *const *pf, int npf, Py_ssize_t j) {
        for (int t = 0; t < npf; t++) __builtin_prefetch(pf[t] + j, 1, 3);
    }
    /* After such a loop stopped at element j < n: the lines of [j, n) and the last one's. */
    static inline void fw_prefetch_rest(float *const *pf, int npf, Py_ssize_t j, Py_ssize_t n) {
        for (; j < n; j += 16) fw_prefetch_step(pf, npf, j);
        fw_prefetch_step(pf, npf, n - 1);
    }
    #else
    static inline void fw_prefetch_row(const float *row, Py_ssize_t n) { (void)row; (void)n; }
    static inline void fw_prefetch_step(float *const *pf, int npf, Py_ssize_t j) {
        (void)pf; (void)npf; (void)j;
    }
    static inline void fw_prefetch_rest(float *const *pf, int npf, Py_ssize_t j, Py_ssize_t n) {
        (void)pf; (void)npf; (void)j; (void)n;
    }
    #endif
    """
    void _prefetch_row "fw_prefetch_row"(const float* row, Py_ssize_t n) noexcept nogil

cdef extern from *:
    """
    /* a*b - c exactly as written. setup.py compiles every build with -ffp-contract=off, so this is a
       rounded product minus c; a build that contracted it into a fused multiply-add would instead
       return the rounding error of a*b when c = fl(a*b). Probed once at import. */
    static float fw_mul_sub(float a, float b, float c) { return a * b - c; }
    """
    float fw_mul_sub(float a, float b, float c) noexcept nogil

cdef enum:
    _TABLE_SIZE = 4096      # tables.SIGMOID_TABLE_SIZE
    _LANES = 8              # lanes of dot32 (reference.dot32 mirrors the summation order)

cdef uint32_t _FULL = 0xFFFFFFFF   # tables.KEEP_ALWAYS == tables.ALIAS_FULL

cdef float _SIG[_TABLE_SIZE]
cdef float _LOG_SIG[_TABLE_SIZE]
cdef float _TMAX = tables.SIGMOID_MAX
cdef float _TSCALE = tables.SIGMOID_SCALE


def _init_tables():
    if FW_GROUP != 8:
        raise ImportError("fastw2v._core: FW_GROUP must equal the size of _Group's arrays (8)")
    if tables.SIGMOID_TABLE_SIZE != _TABLE_SIZE:
        raise ImportError("fastw2v._core was built for SIGMOID_TABLE_SIZE = 4096; rebuild it")
    if (FW_RNG_GOLDEN, FW_RNG_MIX1, FW_RNG_MIX2, FW_RNG_MULT) != (
            tables.RNG_GOLDEN, tables.RNG_MIX1, tables.RNG_MIX2, tables.RNG_MULT):
        raise ImportError("fastw2v._core RNG constants disagree with fastw2v.tables; rebuild it")
    if tables.KEEP_ALWAYS != _FULL or tables.ALIAS_FULL != _FULL:
        raise ImportError("fastw2v._core table sentinels disagree with fastw2v.tables")
    sig = tables.sigmoid_table()
    log_sig = tables.log_sigmoid_table()
    cdef Py_ssize_t i
    for i in range(_TABLE_SIZE):
        _SIG[i] = sig[i]
        _LOG_SIG[i] = log_sig[i]


_init_tables()

def _fuses_multiply_add():
    """True when this build contracts ``a*b - c`` into one fused operation (probed with runtime values
    whose product is not a float32: unfused, ``a*a - fl(a*a)`` is 0; fused it is ``2**-24``)."""
    a = np.float32(1.0 + 2.0 ** -12)
    return fw_mul_sub(a, a, a * a) != 0.0


#: True when this build fuses multiply-adds (contraction not disabled at compile time): the kernels
#: would then match fastw2v.reference to rounding instead of bit for bit. setup.py passes
#: ``-ffp-contract=off`` to every bitwise build (False there) and ``-ffp-contract=fast -mfma`` to the
#: fast ``_core_avx512`` (True there).
MAY_FUSE_MULTIPLY_ADD = _fuses_multiply_add()

#: Batch kernel modes (see TrainConfig); their one home is fastw2v.tables.
BATCH_MODES = tables.BATCH_MODES


# ============================================================================ argument checks

cdef str _tname(object obj):
    return type(obj).__name__


cdef double _finite(object value, str name) except? -1.0:
    """A finite real number, or TypeError/ValueError naming the argument."""
    if isinstance(value, (str, bytes)) or value is None:
        raise TypeError(f"{name} must be a real number, got {_tname(value)}")
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a real number, got {_tname(value)}") from None
    if not math.isfinite(v):
        raise ValueError(f"{name} must be finite, got {v!r}")
    return v


cdef object _integer(object value, str name, object lo, object hi):
    """An int in [lo, hi] (hi None: unbounded), or TypeError/ValueError naming the argument."""
    try:
        v = operator.index(value)
    except TypeError:
        raise TypeError(f"{name} must be an integer, got {_tname(value)}") from None
    if v < lo or (hi is not None and v > hi):
        bound = f"[{lo}, {hi}]" if hi is not None else f">= {lo}"
        raise ValueError(f"{name} must be {bound}, got {v}")
    return v


cdef object _writable_float32(object a, str name):
    """A float32 2-D C-contiguous aligned writable ndarray (updated in place, so never copied)."""
    if not isinstance(a, np.ndarray):
        raise TypeError(f"{name} must be a numpy.ndarray of float32, got {_tname(a)}")
    if a.dtype != np.float32:
        raise TypeError(f"{name} must have dtype float32 (native byte order), got {a.dtype}")
    if a.ndim != 2:
        raise ValueError(f"{name} must be 2-D, got shape {a.shape}")
    if not a.flags.c_contiguous:
        raise ValueError(f"{name} must be C-contiguous (it is updated in place, so it is not copied)")
    if not a.flags.aligned:
        raise ValueError(f"{name} must be aligned")
    if not a.flags.writeable:
        raise ValueError(f"{name} must be writable (it is updated in place)")
    return a


# Inputs that steer memory accesses (ids, offsets, tables) are copied before they are checked: the
# kernels then read only private, validated arrays, whatever another thread does to the caller's.

cdef object _private_copy(object a, str name, object dtype, int ndim):
    """A read-only input of exactly ``dtype`` and ``ndim`` dimensions -> a private C-contiguous copy."""
    if not isinstance(a, np.ndarray):
        raise TypeError(f"{name} must be a numpy.ndarray of {np.dtype(dtype)}, got {_tname(a)}")
    if a.dtype != dtype:
        raise TypeError(f"{name} must have dtype {np.dtype(dtype)}, got {a.dtype}")
    if a.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-D, got shape {a.shape}")
    return np.array(a, order="C", copy=True)


cdef object _ids_copy(object obj, str name, Py_ssize_t limit, object dtype):
    """Integer array-like (any shape; an empty list is fine) -> (private flat ``dtype`` copy with
    every id checked to be in [0, limit), original shape)."""
    a = np.array(obj, copy=True)                  # checked and converted from this copy
    if a.size == 0 and a.dtype == np.float64:     # np.asarray([]) is float64
        a = a.astype(np.int64)
    if a.dtype.kind not in "iu":
        raise TypeError(f"{name} must have an integer dtype, got {a.dtype}")
    if a.size:
        lo, hi = a.min(), a.max()
        if lo < 0 or hi >= limit:
            raise ValueError(f"{name} must hold ids in [0, {limit}), got values in [{lo}, {hi}]")
    return np.ascontiguousarray(a.reshape(-1), dtype=dtype), a.shape


cdef object _id_array(object obj, str name, Py_ssize_t limit, object dtype=np.int32):
    return _ids_copy(obj, name, limit, dtype)[0]


cdef inline void* _ptr(object a):
    return cnp.PyArray_DATA(<cnp.ndarray>a)


# ============================================================================ random generator

cdef inline uint64_t _rng_next(uint64_t* state) noexcept nogil:
    """xorshift64*: advance ``state`` and return the 64-bit output."""
    cdef uint64_t x = state[0]
    x ^= x >> 12
    x ^= x << 25
    x ^= x >> 27
    state[0] = x
    return x * FW_RNG_MULT


cdef inline uint32_t _rng_u32(uint64_t* state) noexcept nogil:
    return <uint32_t>(_rng_next(state) >> 32)


cdef inline uint32_t _rng_below(uint64_t* state, uint64_t n) noexcept nogil:
    # Lemire's multiply-shift; n <= 2**32 so the product fits in 64 bits
    return <uint32_t>((<uint64_t>_rng_u32(state) * n) >> 32)


cdef inline uint64_t _rng_seed(uint64_t seed) noexcept nogil:
    cdef uint64_t z = seed + FW_RNG_GOLDEN
    z = (z ^ (z >> 30)) * FW_RNG_MIX1
    z = (z ^ (z >> 27)) * FW_RNG_MIX2
    z = z ^ (z >> 31)
    return z if z != 0 else FW_RNG_GOLDEN


def _rng_from_state(state):
    rng = Rng(0)
    rng.state = state
    return rng


cdef class Rng:
    """xorshift64* random stream, seeded through the splitmix64 finaliser (docs/architecture.md).

    ``Rng(seed)``: any Python integer (taken modulo 2**64). ``state`` (int in [1, 2**64)) can be read
    and written. Not thread-safe: give every thread its own stream (``tables.worker_seed``).
    """
    cdef uint64_t _state

    def __cinit__(self, seed=0):
        try:
            s = operator.index(seed)
        except TypeError:
            raise TypeError(f"seed must be an integer, got {_tname(seed)}") from None
        self._state = _rng_seed(<uint64_t>(s & tables.RNG_MASK))

    @property
    def state(self):
        """The generator's 64-bit state (never 0)."""
        return self._state

    @state.setter
    def state(self, value):
        self._state = <uint64_t>_integer(value, "state", 1, tables.RNG_MASK)

    def next_u64(self):
        """One draw: the next 64-bit output."""
        return _rng_next(&self._state)

    def next_u32(self):
        """One draw: the high 32 bits of the next output."""
        return _rng_u32(&self._state)

    def below(self, n):
        """One draw: an integer in [0, n), ``(next_u32() * n) >> 32``; 1 <= n <= 2**32."""
        cdef uint64_t m = _integer(n, "n", 1, 1 << 32)
        return _rng_below(&self._state, m)

    def __reduce__(self):
        return (_rng_from_state, (self._state,))

    def __repr__(self):
        return f"Rng(state=0x{self._state:016x})"


# ============================================================================ alias sampler

cdef void _vose(double* q, Py_ssize_t n, uint32_t* threshold, int32_t* alias,
                int32_t* small, int32_t* large) noexcept nogil:
    """Vose's method on column masses q (mean 1), q overwritten; tables.build_alias_table's twin."""
    cdef Py_ssize_t i, ns = 0, nl = 0
    cdef int32_t s, g
    cdef double x
    for i in range(n):
        threshold[i] = _FULL
        alias[i] = <int32_t>i
        if q[i] < 1.0:
            small[ns] = <int32_t>i
            ns += 1
        else:
            large[nl] = <int32_t>i
            nl += 1
    while ns > 0 and nl > 0:
        ns -= 1
        s = small[ns]
        nl -= 1
        g = large[nl]
        x = q[s] * 4294967296.0
        threshold[s] = _FULL if x >= 4294967295.0 else <uint32_t>x
        alias[s] = g
        q[g] = (q[g] + q[s]) - 1.0
        if q[g] < 1.0:
            small[ns] = g
            ns += 1
        else:
            large[nl] = g
            nl += 1


cdef object _alias_pairs(object threshold, object alias):
    """The alias table as one uint64 per column, threshold | alias << 32: a draw reads one entry."""
    return threshold.astype(np.uint64) | (alias.astype(np.uint32).astype(np.uint64) << np.uint64(32))


cdef inline int32_t _alias_draw(uint64_t* state, const uint64_t* pairs, uint64_t n) noexcept nogil:
    """One draw from the table of ``_alias_pairs``: column col = the high 32 bits of a draw times n,
    kept when the low 32 bits are below its threshold, else its alias. Without a branch: which way
    the test goes is random, so a branch would be mispredicted about once per draw."""
    cdef uint64_t r = _rng_next(state)
    cdef uint64_t col = ((r >> 32) * n) >> 32
    cdef uint64_t e = pairs[col]
    cdef uint32_t keep = -<uint32_t>(<uint32_t>r < <uint32_t>e)   # all ones: the column
    return <int32_t>((<uint32_t>col & keep) | (<uint32_t>(e >> 32) & ~keep))


cdef class AliasSampler:
    """Negative-sampling distribution ``counts**power / sum`` as a Vose alias table.

    ``AliasSampler(counts, power=0.75, seed=0)``: ``counts`` 1-D non-negative numbers (not all zero;
    zero counts are never drawn, also at ``power == 0``). The column masses are computed by
    ``tables.alias_weights`` (NumPy, shared with the reference), the table in C in O(V); it is
    identical to ``tables.build_alias_table``. Attributes: ``threshold`` uint32[V], ``alias`` int32[V]
    (read-only arrays), ``rng`` (the sampler's own ``Rng(seed)``).
    """
    cdef readonly object threshold
    cdef readonly object alias
    cdef readonly Rng rng
    cdef object _pairs
    cdef const uint64_t* _table
    cdef uint64_t _n

    def __init__(self, counts, power=0.75, seed=0):
        if self.threshold is not None:    # the C pointers below must outlive any running draw
            raise RuntimeError("an AliasSampler cannot be re-initialised; make a new one")
        power = _finite(power, "power")
        q = np.array(tables.alias_weights(counts, power), dtype=np.float64)   # own copy, overwritten
        cdef Py_ssize_t n = q.shape[0]
        if n >= (1 << 31):
            raise ValueError(f"counts is too long ({n} >= 2**31 words)")
        threshold = np.empty(n, dtype=np.uint32)
        alias = np.empty(n, dtype=np.int32)
        cdef int32_t* small = <int32_t*>malloc(n * sizeof(int32_t))
        cdef int32_t* large = <int32_t*>malloc(n * sizeof(int32_t))
        cdef double* qp = <double*>_ptr(q)
        cdef uint32_t* tp = <uint32_t*>_ptr(threshold)
        cdef int32_t* ap = <int32_t*>_ptr(alias)
        try:
            if small == NULL or large == NULL:
                raise MemoryError()
            with nogil:
                _vose(qp, n, tp, ap, small, large)
        finally:
            free(small)
            free(large)
        threshold.flags.writeable = False
        alias.flags.writeable = False
        self.threshold = threshold
        self.alias = alias
        self._pairs = _alias_pairs(threshold, alias)
        self._table = <const uint64_t*>_ptr(self._pairs)
        self._n = <uint64_t>n
        self.rng = Rng(seed)

    def __len__(self):
        return <Py_ssize_t>self._n

    def sample(self, n):
        """int32[n] word ids; consumes ``n`` draws (one ``next_u64`` each) of ``self.rng``."""
        if self._table == NULL or self.rng is None:
            raise RuntimeError("AliasSampler is not initialised: create it with "
                               "AliasSampler(counts, power, seed)")
        cdef Py_ssize_t m = _integer(n, "n", 0, None)
        out = np.empty(m, dtype=np.int32)
        cdef int32_t* op = <int32_t*>_ptr(out)
        cdef uint64_t state = self.rng._state
        cdef Py_ssize_t k
        with nogil:
            for k in range(m):
                op[k] = _alias_draw(&state, self._table, self._n)
        self.rng._state = state
        return out


# ============================================================================ sigmoid

cdef inline int _table_index(float x) noexcept nogil:
    """Bin of x: truncation of (x + MAX) * SCALE in float32, clamped to [0, SIZE-1]; NaN -> 0
    (tables.table_index). Written as two selects so that it compiles to maxss/minss, no branches."""
    cdef float zero = 0.0, last = _TABLE_SIZE - 1
    cdef float t = (x + _TMAX) * _TSCALE
    t = t if t > zero else zero                # also maps NaN to 0
    t = t if t < last else last
    return <int>t


cdef inline float _table_log_sigmoid(float x) noexcept nogil:
    if x > _TMAX:
        return 0.0
    if x < -_TMAX:
        return x
    return _LOG_SIG[_table_index(x)]


cdef inline double _exact_sigmoid(double x) noexcept nogil:
    cdef double e
    if x >= 0.0:
        return 1.0 / (1.0 + exp(-x))
    e = exp(x)
    return e / (1.0 + e)


cdef inline double _exact_log_sigmoid(double x) noexcept nogil:
    if x >= 0.0:
        return -log1p(exp(-x))
    return x - log1p(exp(x))


cdef extern from *:
    """
    /* Whether this CPU runs AVX2 code (fastw2v.kernels picks the _core_avx2 build then). */
    #if (defined(__GNUC__) || defined(__clang__)) && (defined(__x86_64__) || defined(__i386__))
    static int fw_cpu_has_avx2(void) { __builtin_cpu_init(); return __builtin_cpu_supports("avx2"); }
    static int fw_cpu_has_avx512(void) {
        __builtin_cpu_init();
        return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl")
               && __builtin_cpu_supports("fma") && __builtin_cpu_supports("avx2");
    }
    #else
    static int fw_cpu_has_avx2(void) { return 0; }
    static int fw_cpu_has_avx512(void) { return 0; }
    #endif
    #if defined(__AVX2__)
    #define FW_BUILT_FOR_AVX2 1
    #else
    #define FW_BUILT_FOR_AVX2 0
    #endif
    #if defined(__AVX512F__)
    #define FW_BUILT_FOR_AVX512 1
    #else
    #define FW_BUILT_FOR_AVX512 0
    #endif
    #if defined(FW_FAST_ARITH)
    #define FW_BITWISE 0
    #else
    #define FW_BITWISE 1
    #endif
    """
    int fw_cpu_has_avx2() noexcept nogil
    int fw_cpu_has_avx512() noexcept nogil
    const int FW_BUILT_FOR_AVX2
    const int FW_BUILT_FOR_AVX512
    const int FW_BITWISE


def cpu_has_avx2():
    """True when the CPU running this process supports AVX2 instructions."""
    return bool(fw_cpu_has_avx2())


def cpu_has_avx512():
    """True when the CPU running this process (and its OS) supports the ``_core_avx512`` build:
    AVX-512 F and VL, FMA and AVX2."""
    return bool(fw_cpu_has_avx512())


#: True for the ``_core_avx2`` and ``_core_avx512`` builds (compiled with ``-mavx2``), False for the
#: portable baseline.
BUILT_FOR_AVX2 = bool(FW_BUILT_FOR_AVX2)
#: True for the ``_core_avx512`` build (``-mavx512f -mavx512vl -mfma``).
BUILT_FOR_AVX512 = bool(FW_BUILT_FOR_AVX512)
#: True when this build's kernels compute the bits of ``fastw2v.reference`` (``_core``,
#: ``_core_avx2``); False for the fast arithmetic of ``_core_avx512`` (fused multiply-adds, 16-lane
#: sums: equal to the reference within the rounding bound of docs/architecture.md).
BITWISE_ARITHMETIC = bool(FW_BITWISE)


def table_sigmoid(x):
    """C table lookup of the sigmoid over float32 ``x`` (any shape) -> float32 array; equal bit for
    bit to ``tables.table_sigmoid``. No draws, mutates nothing."""
    a = np.ascontiguousarray(x, dtype=np.float32)
    out = np.empty_like(a)
    cdef const float* xp = <const float*>_ptr(a)
    cdef float* op = <float*>_ptr(out)
    cdef Py_ssize_t k, n = a.size
    with nogil:
        for k in range(n):
            op[k] = _SIG[_table_index(xp[k])]
    return out


def table_log_sigmoid(x):
    """C table lookup of log-sigmoid over float32 ``x`` -> float32 array (table inside [-MAX, MAX],
    0 above, x below); equal bit for bit to ``tables.table_log_sigmoid``."""
    a = np.ascontiguousarray(x, dtype=np.float32)
    out = np.empty_like(a)
    cdef const float* xp = <const float*>_ptr(a)
    cdef float* op = <float*>_ptr(out)
    cdef Py_ssize_t k, n = a.size
    with nogil:
        for k in range(n):
            op[k] = _table_log_sigmoid(xp[k])
    return out


# ============================================================================ vector primitives

cdef extern from *:
    """
    /* Vector primitives over float32 rows, written in C so that the compiler sees restrict pointers
       and GCC/Clang vector types: one 8-float vector is one AVX register (two SSE registers on the
       baseline build). Every operation is elementwise or uses the fixed eight-lane order of
       reference.dot32, so all bitwise builds compute the same bits (no FMA: the build uses
       -ffp-contract=off where it could fuse); FW_FAST_ARITH selects the fast block instead. Rows may alias only at the same index (row == h),
       which elementwise operations allow. */
    #include <string.h>
    /* Elementwise primitives, one source for both arithmetics (the fast builds' flags may fuse their
       multiply-adds, the bitwise builds' may not). */
    /* row += v */
    static inline void fw_add(float *restrict row, const float *restrict v, Py_ssize_t n) {
        for (Py_ssize_t j = 0; j < n; j++) row[j] += v[j];
    }
    /* row += g * v */
    static inline void fw_axpy(float *restrict row, float g, const float *restrict v, Py_ssize_t n) {
        for (Py_ssize_t j = 0; j < n; j++) row[j] += g * v[j];
    }
    /* one target of word2vec.c's update: neu1e += g * row (the row before its update); row += g * h */
    static inline void fw_pair_update(float *restrict neu1e, float *row, const float *h, float g,
                                      Py_ssize_t n) {
        for (Py_ssize_t j = 0; j < n; j++) {
            float r = row[j];
            neu1e[j] += g * r;
            row[j] = r + g * h[j];
        }
    }
    /* A worker's private rows back into the shared ones (merge_hot_rows): an element still as
       pulled takes the row's value, one another worker changed gets the row's change added. With
       pull, the row and its pulled copy then take the merged value (the next run's pull). Each
       shared element is read once and written once. */
    static inline void fw_merge_rows(float *restrict shared, float *restrict rows,
                                     float *restrict pulled, Py_ssize_t n, int pull) {
        if (pull) {
            for (Py_ssize_t j = 0; j < n; j++) {
                float v = shared[j], r = rows[j], p = pulled[j];
                float m = v == p ? r : v + (r - p);
                shared[j] = m;
                rows[j] = m;
                pulled[j] = m;
            }
        } else {
            for (Py_ssize_t j = 0; j < n; j++) {
                float v = shared[j], r = rows[j], p = pulled[j];
                shared[j] = v == p ? r : v + (r - p);
            }
        }
    }
    /* the most targets trained as one group (pairwise distinct rows) */
    #define FW_GROUP 8
    /* CALL(k) with the group size nt (1 <= nt <= FW_GROUP) as the constant k: the always-inline
       bodies below then unroll their loop over the rows and hold the rows' addresses and factors
       in registers. With nt unknown, a store into a row might alias rows[] or g[], so the compiler
       reloads both for every row of every vector. */
    #if defined(__GNUC__) || defined(__clang__)
    #define FW_ALWAYS_INLINE static inline __attribute__((always_inline))
    #else
    #define FW_ALWAYS_INLINE static inline
    #endif
    #define FW_BY_GROUP_SIZE(nt, CALL) do { switch (nt) { \
        case 1: CALL(1); break; case 2: CALL(2); break; case 3: CALL(3); break; \
        case 4: CALL(4); break; case 5: CALL(5); break; case 6: CALL(6); break; \
        case 7: CALL(7); break; case 8: CALL(8); break; default: break; } } while (0)
    #if defined(FW_FAST_ARITH)
    /* The fast arithmetic (builds compiled with -DFW_FAST_ARITH and -ffp-contract=fast): the same
       operations as the bitwise block below, but each product and sum may be fused into one FMA,
       the vectors are as wide as the build's ISA (16 lanes with AVX-512, else 8) and a dot product
       keeps two accumulators. Results differ from reference.py by rounding only; the bound is stated
       and tested in tests/test_fast_arithmetic.py. */
    #if defined(__AVX512F__)
    #include <immintrin.h>
    #define FW_VL 16
    #else
    #define FW_VL 8
    #endif
    typedef float fw_vf __attribute__((vector_size(FW_VL * 4)));
    static inline fw_vf fw_load(const float *p) { fw_vf v; memcpy(&v, p, sizeof v); return v; }
    static inline void fw_store(float *p, fw_vf v) { memcpy(p, &v, sizeof v); }
    static inline float fw_hsum(fw_vf v) {
    #if defined(__AVX512F__)
        return _mm512_reduce_add_ps((__m512)v);
    #else
        return ((v[0] + v[1]) + (v[2] + v[3])) + ((v[4] + v[5]) + (v[6] + v[7]));
    #endif
    }
    #if defined(__AVX512F__)
    /* The last n < 16 elements as one masked vector (no read or write past the row). */
    #define FW_MASKED_TAIL 1
    static inline fw_vf fw_load_part(const float *p, Py_ssize_t n) {
        return (fw_vf)_mm512_maskz_loadu_ps((__mmask16)((1u << n) - 1u), p);
    }
    static inline void fw_store_part(float *p, fw_vf v, Py_ssize_t n) {
        _mm512_mask_storeu_ps(p, (__mmask16)((1u << n) - 1u), (__m512)v);
    }
    #endif
    static inline float fw_dot(const float *a, const float *b, Py_ssize_t n) {
        fw_vf a0 = {0}, a1 = {0};
        Py_ssize_t j = 0;
        for (; j + 2 * FW_VL <= n; j += 2 * FW_VL) {
            a0 += fw_load(a + j) * fw_load(b + j);
            a1 += fw_load(a + j + FW_VL) * fw_load(b + j + FW_VL);
        }
        if (j + FW_VL <= n) { a0 += fw_load(a + j) * fw_load(b + j); j += FW_VL; }
    #if defined(FW_MASKED_TAIL)
        if (j < n) { a1 += fw_load_part(a + j, n - j) * fw_load_part(b + j, n - j); j = n; }
    #endif
        float t = fw_hsum(a0 + a1);
        for (; j < n; j++) t += a[j] * b[j];
        return t;
    }
    /* out[t] = dot(h, rows[t]) for t < nt, four rows at a time (independent accumulators) */
    static inline void fw_dots(const float *h, float *const *rows, int nt, Py_ssize_t n, float *out) {
        int t = 0;
        for (; t + 4 <= nt; t += 4) {
            const float *r0 = rows[t], *r1 = rows[t + 1], *r2 = rows[t + 2], *r3 = rows[t + 3];
            fw_vf a0 = {0}, a1 = {0}, a2 = {0}, a3 = {0};
            fw_vf b0 = {0}, b1 = {0}, b2 = {0}, b3 = {0};   /* two chains per row */
            Py_ssize_t j = 0;
            for (; j + 2 * FW_VL <= n; j += 2 * FW_VL) {
                fw_vf x = fw_load(h + j), y = fw_load(h + j + FW_VL);
                a0 += x * fw_load(r0 + j); a1 += x * fw_load(r1 + j);
                a2 += x * fw_load(r2 + j); a3 += x * fw_load(r3 + j);
                b0 += y * fw_load(r0 + j + FW_VL); b1 += y * fw_load(r1 + j + FW_VL);
                b2 += y * fw_load(r2 + j + FW_VL); b3 += y * fw_load(r3 + j + FW_VL);
            }
            a0 += b0; a1 += b1; a2 += b2; a3 += b3;
            for (; j + FW_VL <= n; j += FW_VL) {
                fw_vf x = fw_load(h + j);
                a0 += x * fw_load(r0 + j); a1 += x * fw_load(r1 + j);
                a2 += x * fw_load(r2 + j); a3 += x * fw_load(r3 + j);
            }
    #if defined(FW_MASKED_TAIL)
            if (j < n) {
                Py_ssize_t m = n - j;
                fw_vf x = fw_load_part(h + j, m);
                a0 += x * fw_load_part(r0 + j, m); a1 += x * fw_load_part(r1 + j, m);
                a2 += x * fw_load_part(r2 + j, m); a3 += x * fw_load_part(r3 + j, m);
                j = n;
            }
    #endif
            float t0 = fw_hsum(a0), t1 = fw_hsum(a1), t2 = fw_hsum(a2), t3 = fw_hsum(a3);
            for (; j < n; j++) {
                t0 += h[j] * r0[j]; t1 += h[j] * r1[j]; t2 += h[j] * r2[j]; t3 += h[j] * r3[j];
            }
            out[t] = t0; out[t + 1] = t1; out[t + 2] = t2; out[t + 3] = t3;
        }
        for (; t < nt; t++) out[t] = fw_dot(h, rows[t], n);
    }
    #else  /* the bitwise arithmetic */
    #if defined(__GNUC__) || defined(__clang__)
    typedef float fw_v8 __attribute__((vector_size(32)));
    static inline fw_v8 fw_load8(const float *p) { fw_v8 v; memcpy(&v, p, sizeof v); return v; }
    static inline void fw_store8(float *p, fw_v8 v) { memcpy(p, &v, sizeof v); }
    static inline float fw_dot(const float *a, const float *b, Py_ssize_t n) {
        fw_v8 acc = {0, 0, 0, 0, 0, 0, 0, 0};
        Py_ssize_t j = 0;
        for (; j + 8 <= n; j += 8) acc += fw_load8(a + j) * fw_load8(b + j);
        float t = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
        for (; j < n; j++) t += a[j] * b[j];
        return t;
    }
    #else
    static inline float fw_dot(const float *a, const float *b, Py_ssize_t n) {
        float l[8] = {0, 0, 0, 0, 0, 0, 0, 0};
        Py_ssize_t j = 0;
        for (; j + 8 <= n; j += 8) for (int k = 0; k < 8; k++) l[k] += a[j + k] * b[j + k];
        float t = ((l[0] + l[1]) + (l[2] + l[3])) + ((l[4] + l[5]) + (l[6] + l[7]));
        for (; j < n; j++) t += a[j] * b[j];
        return t;
    }
    #endif
    /* Grouped targets (the speed of the per-pair kernels): the targets of one input vector h whose
       rows are pairwise distinct and never h itself are trained as a group: first every dot product
       (interleaved, so the additions of different targets overlap instead of waiting on each
       other; each one in fw_dot's order), then one pass that applies every update (h and neu1e
       read and neu1e written once per element instead of once per target). Per element that is
       the same sequence of roundings as the target-by-target update, so the bits are the same:
       no row of the group is read after another row of the group was written. */
    #if defined(__GNUC__) || defined(__clang__)
    static inline float fw_hsum8(fw_v8 v) {
        return ((v[0] + v[1]) + (v[2] + v[3])) + ((v[4] + v[5]) + (v[6] + v[7]));
    }
    static inline void fw_dot4(const float *h, const float *r0, const float *r1, const float *r2,
                               const float *r3, Py_ssize_t n, float *out) {
        fw_v8 a0 = {0, 0, 0, 0, 0, 0, 0, 0}, a1 = a0, a2 = a0, a3 = a0;
        Py_ssize_t j = 0;
        for (; j + 8 <= n; j += 8) {
            fw_v8 x = fw_load8(h + j);
            a0 += x * fw_load8(r0 + j);
            a1 += x * fw_load8(r1 + j);
            a2 += x * fw_load8(r2 + j);
            a3 += x * fw_load8(r3 + j);
        }
        float t0 = fw_hsum8(a0), t1 = fw_hsum8(a1), t2 = fw_hsum8(a2), t3 = fw_hsum8(a3);
        for (; j < n; j++) {
            t0 += h[j] * r0[j]; t1 += h[j] * r1[j]; t2 += h[j] * r2[j]; t3 += h[j] * r3[j];
        }
        out[0] = t0; out[1] = t1; out[2] = t2; out[3] = t3;
    }
    static inline void fw_dot2(const float *h, const float *r0, const float *r1, Py_ssize_t n,
                               float *out) {
        fw_v8 a0 = {0, 0, 0, 0, 0, 0, 0, 0}, a1 = a0;
        Py_ssize_t j = 0;
        for (; j + 8 <= n; j += 8) {
            fw_v8 x = fw_load8(h + j);
            a0 += x * fw_load8(r0 + j);
            a1 += x * fw_load8(r1 + j);
        }
        float t0 = fw_hsum8(a0), t1 = fw_hsum8(a1);
        for (; j < n; j++) { t0 += h[j] * r0[j]; t1 += h[j] * r1[j]; }
        out[0] = t0; out[1] = t1;
    }
    /* out[t] = fw_dot(h, rows[t], n) for t < nt (nt <= FW_GROUP): four, then two, then one at a time */
    static inline void fw_dots(const float *h, float *const *rows, int nt, Py_ssize_t n, float *out) {
        int t = 0;
        for (; t + 4 <= nt; t += 4) fw_dot4(h, rows[t], rows[t + 1], rows[t + 2], rows[t + 3], n, out + t);
        if (t + 2 <= nt) { fw_dot2(h, rows[t], rows[t + 1], n, out + t); t += 2; }
        if (t < nt) out[t] = fw_dot(h, rows[t], n);
    }
    #else
    static inline void fw_dots(const float *h, float *const *rows, int nt, Py_ssize_t n, float *out) {
        for (int t = 0; t < nt; t++) out[t] = fw_dot(h, rows[t], n);
    }
    #endif
    #endif  /* FW_FAST_ARITH */
    /* The grouped-target update and the row combinations of up to FW_GROUP rows in one pass (the
       HogBatch block and CBOW's input rows), written once over fw_vf for both arithmetics: each
       element is loaded and stored once instead of once per row, and per element the additions run
       in row order with the same roundings as one row at a time, so every build keeps its bits.
       ``acc`` and ``v`` never alias a row; rows may repeat (fw_add_to_rows). */
    #if !defined(FW_FAST_ARITH) && (defined(__GNUC__) || defined(__clang__))
    #define FW_VL 8
    typedef fw_v8 fw_vf;
    #define fw_load fw_load8
    #define fw_store fw_store8
    #endif
    #if defined(FW_VL)
    /* Both arithmetics' grouped-target update (the bitwise one rounds each product and sum, so per
       element it is the target-by-target update): for t < nt in order: neu1e += g[t] * rows[t]
       (before its update); rows[t] += g[t] * h. Meanwhile the rows pf[0..npf) (the next pair's or
       word's output rows) are prefetched, a line of each per 64 bytes of the update
       (fw_prefetch_step). */
    FW_ALWAYS_INLINE void fw_group_update_k(float *restrict neu1e, float *const *rows_, const float *g_,
                                            const int nt, const float *restrict h, Py_ssize_t n,
                                            float *const *pf, int npf) {
        float *rows[FW_GROUP];
        float g[FW_GROUP];
        for (int t = 0; t < nt; t++) { rows[t] = rows_[t]; g[t] = g_[t]; }
        Py_ssize_t j = 0;
        for (; j + FW_VL <= n; j += FW_VL) {
            fw_vf e = fw_load(neu1e + j), x = fw_load(h + j);
            for (int t = 0; t < nt; t++) {
                fw_vf r = fw_load(rows[t] + j);
                e += g[t] * r;
                fw_store(rows[t] + j, r + g[t] * x);
            }
            fw_store(neu1e + j, e);
            if ((j & 15) == 0) fw_prefetch_step(pf, npf, j);
        }
        fw_prefetch_rest(pf, npf, j, n);
    #if defined(FW_MASKED_TAIL)
        if (j < n) {
            Py_ssize_t m = n - j;
            fw_vf e = fw_load_part(neu1e + j, m), x = fw_load_part(h + j, m);
            for (int t = 0; t < nt; t++) {
                fw_vf r = fw_load_part(rows[t] + j, m);
                e += g[t] * r;
                fw_store_part(rows[t] + j, r + g[t] * x, m);
            }
            fw_store_part(neu1e + j, e, m);
            j = n;
        }
    #endif
        for (; j < n; j++) {
            float e = neu1e[j], x = h[j];
            for (int t = 0; t < nt; t++) {
                float r = rows[t][j];
                e += g[t] * r;
                rows[t][j] = r + g[t] * x;
            }
            neu1e[j] = e;
        }
    }
    static inline void fw_group_update(float *restrict neu1e, float *const *rows, const float *g,
                                       int nt, const float *restrict h, Py_ssize_t n,
                                       float *const *pf, int npf) {
    #define FW_CALL(k) fw_group_update_k(neu1e, rows, g, k, h, n, pf, npf)
        FW_BY_GROUP_SIZE(nt, FW_CALL);
    #undef FW_CALL
    }
    /* acc += g[0] * rows[0] + ... + g[nt-1] * rows[nt-1], added in row order; meanwhile the rows
       pf[0..npf) are prefetched a line at a time (fw_prefetch_step) */
    FW_ALWAYS_INLINE void fw_combine_pf_k(float *restrict acc, const float *g_, float *const *rows_,
                                          const int nt, Py_ssize_t n, float *const *pf, int npf) {
        float *rows[FW_GROUP];
        float g[FW_GROUP];
        for (int t = 0; t < nt; t++) { rows[t] = rows_[t]; g[t] = g_[t]; }
        Py_ssize_t j = 0;
        for (; j + 2 * FW_VL <= n; j += 2 * FW_VL) {   /* two independent chains per row */
            fw_vf a0 = fw_load(acc + j), a1 = fw_load(acc + j + FW_VL);
            for (int t = 0; t < nt; t++) {
                a0 += g[t] * fw_load(rows[t] + j);
                a1 += g[t] * fw_load(rows[t] + j + FW_VL);
            }
            fw_store(acc + j, a0);
            fw_store(acc + j + FW_VL, a1);
            for (Py_ssize_t k = j; k < j + 2 * FW_VL; k += 16) fw_prefetch_step(pf, npf, k);
        }
        fw_prefetch_rest(pf, npf, j, n);
        for (; j + FW_VL <= n; j += FW_VL) {
            fw_vf a = fw_load(acc + j);
            for (int t = 0; t < nt; t++) a += g[t] * fw_load(rows[t] + j);
            fw_store(acc + j, a);
        }
    #if defined(FW_MASKED_TAIL)
        if (j < n) {
            Py_ssize_t m = n - j;
            fw_vf a = fw_load_part(acc + j, m);
            for (int t = 0; t < nt; t++) a += g[t] * fw_load_part(rows[t] + j, m);
            fw_store_part(acc + j, a, m);
            j = n;
        }
    #endif
        for (; j < n; j++) {
            float a = acc[j];
            for (int t = 0; t < nt; t++) a += g[t] * rows[t][j];
            acc[j] = a;
        }
    }
    static inline void fw_combine_pf(float *restrict acc, const float *g, float *const *rows, int nt,
                                     Py_ssize_t n, float *const *pf, int npf) {
    #define FW_CALL(k) fw_combine_pf_k(acc, g, rows, k, n, pf, npf)
        FW_BY_GROUP_SIZE(nt, FW_CALL);
    #undef FW_CALL
    }
    static inline void fw_combine(float *restrict acc, const float *g, float *const *rows, int nt,
                                  Py_ssize_t n) {
        fw_combine_pf(acc, g, rows, nt, n, NULL, 0);
    }
    /* rows[t] += v for t in order (a repeated row gets v once per occurrence) */
    FW_ALWAYS_INLINE void fw_add_to_rows_k(float *const *rows_, const int nt, const float *restrict v,
                                           Py_ssize_t n) {
        float *rows[FW_GROUP];
        for (int t = 0; t < nt; t++) rows[t] = rows_[t];
        Py_ssize_t j = 0;
        for (; j + FW_VL <= n; j += FW_VL) {
            fw_vf x = fw_load(v + j);
            for (int t = 0; t < nt; t++) fw_store(rows[t] + j, fw_load(rows[t] + j) + x);
        }
    #if defined(FW_MASKED_TAIL)
        if (j < n) {
            Py_ssize_t m = n - j;
            fw_vf x = fw_load_part(v + j, m);
            for (int t = 0; t < nt; t++) fw_store_part(rows[t] + j, fw_load_part(rows[t] + j, m) + x, m);
            j = n;
        }
    #endif
        for (; j < n; j++) for (int t = 0; t < nt; t++) rows[t][j] += v[j];
    }
    static inline void fw_add_to_rows(float *const *rows, int nt, const float *restrict v,
                                      Py_ssize_t n) {
    #define FW_CALL(k) fw_add_to_rows_k(rows, k, v, n)
        FW_BY_GROUP_SIZE(nt, FW_CALL);
    #undef FW_CALL
    }
    #else
    static inline void fw_group_update(float *restrict neu1e, float *const *rows, const float *g,
                                       int nt, const float *restrict h, Py_ssize_t n,
                                       float *const *pf, int npf) {
        for (int t = 0; t < npf; t++) fw_prefetch_row(pf[t], n);
        for (int t = 0; t < nt; t++) fw_pair_update(neu1e, rows[t], h, g[t], n);
    }
    static inline void fw_combine(float *restrict acc, const float *g, float *const *rows, int nt,
                                  Py_ssize_t n) {
        for (int t = 0; t < nt; t++) fw_axpy(acc, g[t], rows[t], n);
    }
    static inline void fw_combine_pf(float *restrict acc, const float *g, float *const *rows, int nt,
                                     Py_ssize_t n, float *const *pf, int npf) {
        for (int t = 0; t < npf; t++) fw_prefetch_row(pf[t], n);
        fw_combine(acc, g, rows, nt, n);
    }
    static inline void fw_add_to_rows(float *const *rows, int nt, const float *restrict v,
                                      Py_ssize_t n) {
        for (int t = 0; t < nt; t++) fw_add(rows[t], v, n);
    }
    #endif
    /* acc += rows[0] + ... + rows[nt-1], added in row order: fw_combine with factors 1 (a product
       by 1 is exact, so each element gets the same roundings as fw_add one row at a time) */
    static inline void fw_sum_rows(float *restrict acc, float *const *rows, int nt, Py_ssize_t n) {
        static const float ones[FW_GROUP] = {1, 1, 1, 1, 1, 1, 1, 1};
        fw_combine(acc, ones, rows, nt, n);
    }
    """
    float _dot "fw_dot"(const float* a, const float* b, Py_ssize_t n) noexcept nogil
    void _dots "fw_dots"(const float* h, float** rows, int nt, Py_ssize_t n, float* out) noexcept nogil
    void _group_update "fw_group_update"(float* neu1e, float** rows, const float* g, int nt,
                                         const float* h, Py_ssize_t n, float** pf,
                                         int npf) noexcept nogil
    int FW_GROUP
    void _add_to_row "fw_add"(float* row, const float* v, Py_ssize_t n) noexcept nogil
    void _axpy "fw_axpy"(float* row, float g, const float* v, Py_ssize_t n) noexcept nogil
    void _pair_update "fw_pair_update"(float* neu1e, float* row, const float* h, float g,
                                        Py_ssize_t n) noexcept nogil
    void _combine "fw_combine"(float* acc, const float* g, float** rows, int nt, Py_ssize_t n) noexcept nogil
    void _combine_pf "fw_combine_pf"(float* acc, const float* g, float** rows, int nt, Py_ssize_t n,
                                     float** pf, int npf) noexcept nogil
    void _sum_rows "fw_sum_rows"(float* acc, float** rows, int nt, Py_ssize_t n) noexcept nogil
    void _add_to_rows "fw_add_to_rows"(float** rows, int nt, const float* v, Py_ssize_t n) noexcept nogil
    void _merge_rows "fw_merge_rows"(float* shared, float* rows, float* pulled, Py_ssize_t n,
                                     int pull) noexcept nogil


def dot32(a, b):
    """The kernels' float32 dot product of two float32 vectors of equal length (eight-lane order)."""
    x = np.ascontiguousarray(a, dtype=np.float32).reshape(-1)
    y = np.ascontiguousarray(b, dtype=np.float32).reshape(-1)
    if x.shape[0] != y.shape[0]:
        raise ValueError(f"b must have the length of a ({x.shape[0]}), got {y.shape[0]}")
    return np.float32(_dot(<const float*>_ptr(x), <const float*>_ptr(y), x.shape[0]))


# ============================================================================ per-pair kernels

cdef struct _Group:
    # targets of one input vector gathered for _flush_group: rows pairwise distinct, n <= FW_GROUP
    int n
    float* rows[8]
    int labels[8]
    float** pf                # rows to prefetch during the first flush (npf of them; 0: none)
    int npf


cdef inline void _flush_group(_Group* grp, const float* h, float* neu1e, Py_ssize_t D, double lr,
                              bint exact, double* loss) noexcept nogil:
    """Train the gathered targets as if one by one, in order: for each, f = dot(h, row);
    g = (label - sigmoid(f)) * lr (float64, rounded to float32); neu1e += g * row (row before its
    update); row += g * h; ``*loss += -log sigmoid(+-f)`` (in target order). The group's ``pf``
    rows are prefetched during the update (the first flush only)."""
    cdef float f[8]
    cdef float g[8]
    cdef float signed_f
    cdef double s
    cdef int t
    if grp.n == 0:
        return
    _dots(h, grp.rows, grp.n, D, f)
    for t in range(grp.n):
        signed_f = f[t] if grp.labels[t] else -f[t]
        if exact:
            s = _exact_sigmoid(f[t])
            loss[0] += -_exact_log_sigmoid(signed_f)
        else:
            s = _SIG[_table_index(f[t])]
            loss[0] += -<double>_table_log_sigmoid(signed_f)
        g[t] = <float>((grp.labels[t] - s) * lr)
    _group_update(neu1e, grp.rows, g, grp.n, h, D, grp.pf, grp.npf)
    grp.npf = 0
    grp.n = 0


cdef inline void _add_target(_Group* grp, float* row, int label, const float* h, float* neu1e,
                             Py_ssize_t D, double lr, bint exact, double* loss) noexcept nogil:
    """Append one target to the group; a full group, or one already holding this row (a repeated
    negative must see the update of its first occurrence), is trained first."""
    cdef int t
    if grp.n == FW_GROUP:
        _flush_group(grp, h, neu1e, D, lr, exact, loss)
    else:
        for t in range(grp.n):
            if grp.rows[t] == row:
                _flush_group(grp, h, neu1e, D, lr, exact, loss)
                break
    grp.rows[grp.n] = row
    grp.labels[grp.n] = label
    grp.n += 1


cdef inline float* _out_row(float* w_out, float* w_hot, Py_ssize_t n_hot, int32_t word,
                           Py_ssize_t D) noexcept nogil:
    """Output row of ``word``: in ``w_hot`` (a caller's private copy of rows [0, n_hot)) when
    word < n_hot, else in ``w_out``."""
    return (w_hot if word < n_hot else w_out) + <Py_ssize_t>word * D


cdef inline float* _in_row(float* w_in, float* w_hot_in, Py_ssize_t n_hot_in, int32_t word,
                          Py_ssize_t D) noexcept nogil:
    """Input row of ``word``: in ``w_hot_in`` (a caller's private copy of rows [0, n_hot_in)) when
    word < n_hot_in, else in ``w_in``."""
    return (w_hot_in if word < n_hot_in else w_in) + <Py_ssize_t>word * D


cdef inline double _ns_block(const float* h, float* w_out, float* w_hot, Py_ssize_t n_hot,
                             Py_ssize_t D, int32_t target, const int32_t* negatives, Py_ssize_t n_neg,
                             double lr, bint exact, float* neu1e, float** pf=NULL,
                             int npf=0) noexcept nogil:
    """Target (label 1) then each negative != target (label 0), rows by ``_out_row``. ``h`` is not
    an output row (TrainConfig, train_batch and the step functions refuse weights that share memory).
    ``pf[0, npf)``: rows to prefetch meanwhile (the next pair's or word's; ``_flush_group``)."""
    cdef _Group grp
    grp.n = 0
    grp.pf = pf
    grp.npf = npf
    cdef double loss = 0.0
    cdef Py_ssize_t k
    cdef int32_t n
    _add_target(&grp, _out_row(w_out, w_hot, n_hot, target, D), 1, h, neu1e, D, lr, exact, &loss)
    for k in range(n_neg):
        n = negatives[k]
        if n != target:
            _add_target(&grp, _out_row(w_out, w_hot, n_hot, n, D), 0, h, neu1e, D, lr, exact, &loss)
    _flush_group(&grp, h, neu1e, D, lr, exact, &loss)
    return loss


cdef inline double _hs_block(const float* h, float* w_hs, Py_ssize_t D, const uint8_t* codes,
                             const int32_t* points, Py_ssize_t length, double lr, bint exact,
                             float* neu1e) noexcept nogil:
    """Each (code, point) of a Huffman path, root first: label 1 - code at inner node point."""
    cdef _Group grp
    grp.n = 0
    grp.npf = 0
    cdef double loss = 0.0
    cdef Py_ssize_t k
    for k in range(length):
        _add_target(&grp, w_hs + <Py_ssize_t>points[k] * D, 1 - <int>codes[k], h, neu1e, D, lr,
                    exact, &loss)
    _flush_group(&grp, h, neu1e, D, lr, exact, &loss)
    return loss


cdef double _shared_negatives_block(float* w_in, float* w_hot_in, Py_ssize_t n_hot_in, float* w_out,
                                    float* w_hot, Py_ssize_t n_hot, Py_ssize_t D,
                                    const int32_t* contexts, Py_ssize_t n_ctx, int32_t word,
                                    const int32_t* negatives, Py_ssize_t n_neg, double lr, bint exact,
                                    int32_t* targets, float* G, float* dT, float** pf,
                                    int npf) noexcept nogil:
    """One HogBatch step for a skip-gram centre word (``reference._shared_negatives_block``): all
    scores from the weights before the step, then dT from the old context rows, the context rows from
    the old target rows, and last the target rows. Scratch: targets[n_neg+1], G[n_ctx*(n_neg+1)],
    dT[(n_neg+1)*D]. The target rows stay in L1 for the whole window, which is where the speed is;
    each pass takes up to FW_GROUP rows at a time (one load and store of the accumulated row).
    ``pf[0, npf)``: rows to prefetch meanwhile (the next centre word's), during dT's first part."""
    cdef Py_ssize_t n_t = 1, j, t, b, nb
    cdef float f[8]
    cdef float g[8]
    cdef float* rows[8]
    cdef float signed_f
    cdef double s, loss = 0.0
    cdef float* x
    targets[0] = word
    for t in range(n_neg):
        if negatives[t] != word:
            targets[n_t] = negatives[t]
            n_t += 1
    for j in range(n_ctx):
        x = _in_row(w_in, w_hot_in, n_hot_in, contexts[j], D)
        b = 0
        while b < n_t:
            nb = min(<Py_ssize_t>FW_GROUP, n_t - b)
            for t in range(nb):
                rows[t] = _out_row(w_out, w_hot, n_hot, targets[b + t], D)
            _dots(x, rows, <int>nb, D, f)
            for t in range(nb):
                signed_f = f[t] if b + t == 0 else -f[t]
                if exact:
                    s = _exact_sigmoid(f[t])
                    loss -= _exact_log_sigmoid(signed_f)
                else:
                    s = _SIG[_table_index(f[t])]
                    loss -= <double>_table_log_sigmoid(signed_f)
                G[j * n_t + b + t] = <float>(((1.0 if b + t == 0 else 0.0) - s) * lr)
            b += nb
    memset(dT, 0, n_t * D * sizeof(float))
    for t in range(n_t):
        b = 0
        while b < n_ctx:
            nb = min(<Py_ssize_t>FW_GROUP, n_ctx - b)
            for j in range(nb):
                rows[j] = _in_row(w_in, w_hot_in, n_hot_in, contexts[b + j], D)
                g[j] = G[(b + j) * n_t + t]
            if t == 0 and b == 0:
                _combine_pf(dT, g, rows, <int>nb, D, pf, npf)
            else:
                _combine(dT + t * D, g, rows, <int>nb, D)
            b += nb
    for j in range(n_ctx):
        x = _in_row(w_in, w_hot_in, n_hot_in, contexts[j], D)
        b = 0
        while b < n_t:
            nb = min(<Py_ssize_t>FW_GROUP, n_t - b)
            for t in range(nb):
                rows[t] = _out_row(w_out, w_hot, n_hot, targets[b + t], D)
            _combine(x, G + j * n_t + b, rows, <int>nb, D)
            b += nb
    for t in range(n_t):
        _add_to_row(_out_row(w_out, w_hot, n_hot, targets[t], D), dT + t * D, D)
    return loss


cdef inline void _cbow_input(const float* w_in, const float* w_hot_in, Py_ssize_t n_hot_in,
                             Py_ssize_t D, const int32_t* context, Py_ssize_t n, bint mean,
                             float* h) noexcept nogil:
    """h = sum of the context rows (by ``_in_row``) in order (float32), divided by n in float32 when
    ``mean``. The fast arithmetic instead adds each row times the float32 reciprocal of n (fused),
    as gensim scales by 1/n: a vector division per 16 floats costs more than the whole sum."""
    cdef Py_ssize_t k, b, nb, j
    cdef float* rows[8]
    cdef float fn = <float>n
    cdef float scale[8]
    cdef bint fold = mean and not FW_BITWISE
    if fold:
        for k in range(FW_GROUP):
            scale[k] = 1.0 / fn
    memset(h, 0, D * sizeof(float))
    b = 0
    while b < n:
        nb = min(<Py_ssize_t>FW_GROUP, n - b)
        for k in range(nb):
            rows[k] = _in_row(<float*>w_in, <float*>w_hot_in, n_hot_in, context[b + k], D)
        if fold:
            _combine(h, scale, rows, <int>nb, D)
        else:
            _sum_rows(h, rows, <int>nb, D)
        b += nb
    if mean and not fold:
        for j in range(D):
            h[j] = h[j] / fn


cdef inline void _add_to_context(float* w_in, float* w_hot_in, Py_ssize_t n_hot_in, Py_ssize_t D,
                                 const int32_t* context, Py_ssize_t n, const float* v) noexcept nogil:
    """Input row (by ``_in_row``) of context[k] += v for k in order (a word twice in the context
    gets v twice)."""
    cdef Py_ssize_t k, b, nb
    cdef float* rows[8]
    b = 0
    while b < n:
        nb = min(<Py_ssize_t>FW_GROUP, n - b)
        for k in range(nb):
            rows[k] = _in_row(w_in, w_hot_in, n_hot_in, context[b + k], D)
        _add_to_rows(rows, <int>nb, v, D)
        b += nb


cdef object _check_pair(object W_in, object W_out):
    _writable_float32(W_in, "W_in")
    _writable_float32(W_out, "W_out")
    if W_out.shape[1] != W_in.shape[1]:
        raise ValueError(f"W_out must have W_in's dimension {W_in.shape[1]}, got shape {W_out.shape}")
    _separate(W_in, "W_in", W_out, "W_out")


cdef _separate(object a, str a_name, object b, str b_name):
    """Two weight matrices must not share memory: the kernels train a row of one against rows of
    the other and update them as separate rows (tied input/output weights are another model)."""
    if a.size and b.size and np.shares_memory(a, b):
        raise ValueError(f"{b_name} must not share memory with {a_name}")


def sgns_step(W_in, W_out, input_word, output_word, negatives, lr, exact_sigmoid=True):
    """Skip-gram negative sampling for one (input, output) pair.

    W_in (V_in, D) and W_out (V_out, D): float32, C-contiguous, writable; updated in place
    (``W_out`` rows of the output word and each negative, then row ``input_word`` of ``W_in``).
    ``input_word`` in [0, V_in); ``output_word`` and ``negatives`` (1-D integers) in [0, V_out);
    negatives equal to ``output_word`` are skipped. ``lr`` finite. Consumes no random draws (the
    negatives are given). Returns the loss (float).
    """
    _check_pair(W_in, W_out)
    cdef Py_ssize_t D = W_in.shape[1]
    cdef Py_ssize_t iw = _integer(input_word, "input_word", 0, W_in.shape[0] - 1)
    cdef int32_t ow = _integer(output_word, "output_word", 0, W_out.shape[0] - 1)
    negs = _id_array(negatives, "negatives", W_out.shape[0])
    cdef double alpha = _finite(lr, "lr")
    cdef bint exact = bool(exact_sigmoid)
    cdef float* w_in = <float*>_ptr(W_in)
    cdef float* w_out = <float*>_ptr(W_out)
    cdef const int32_t* np_ = <const int32_t*>_ptr(negs)
    cdef Py_ssize_t n_neg = negs.shape[0]
    cdef float* neu1e = <float*>calloc(D + 1, sizeof(float))
    cdef double loss
    if neu1e == NULL:
        raise MemoryError()
    with nogil:
        loss = _ns_block(w_in + iw * D, w_out, NULL, 0, D, ow, np_, n_neg, alpha, exact, neu1e)
        _add_to_row(w_in + iw * D, neu1e, D)
    free(neu1e)
    return loss


def cbow_step(W_in, W_out, context_words, output_word, negatives, lr, cbow_mean=True,
              exact_sigmoid=True):
    """CBOW negative sampling for one window.

    ``h`` = sum of ``W_in[context_words]`` (divided by their number when ``cbow_mean``); then the
    ``sgns_step`` target loop on ``W_out``; then every context position (duplicates included) gets
    ``W_in[c] += neu1e``, undivided. Arrays as in ``sgns_step``; ``context_words`` 1-D integers in
    [0, V_in); empty -> nothing happens, loss 0. No random draws. Returns the loss (float).
    """
    _check_pair(W_in, W_out)
    cdef Py_ssize_t D = W_in.shape[1]
    ctx = _id_array(context_words, "context_words", W_in.shape[0])
    cdef int32_t ow = _integer(output_word, "output_word", 0, W_out.shape[0] - 1)
    negs = _id_array(negatives, "negatives", W_out.shape[0])
    cdef double alpha = _finite(lr, "lr")
    cdef bint exact = bool(exact_sigmoid)
    cdef bint mean = bool(cbow_mean)
    cdef float* w_in = <float*>_ptr(W_in)
    cdef float* w_out = <float*>_ptr(W_out)
    cdef const int32_t* cp = <const int32_t*>_ptr(ctx)
    cdef const int32_t* np_ = <const int32_t*>_ptr(negs)
    cdef Py_ssize_t n_ctx = ctx.shape[0], n_neg = negs.shape[0], k
    if n_ctx == 0:
        return 0.0
    cdef float* buf = <float*>calloc(2 * D + 1, sizeof(float))
    cdef double loss
    if buf == NULL:
        raise MemoryError()
    with nogil:
        _cbow_input(w_in, NULL, 0, D, cp, n_ctx, mean, buf + D)
        loss = _ns_block(buf + D, w_out, NULL, 0, D, ow, np_, n_neg, alpha, exact, buf)
        _add_to_context(w_in, NULL, 0, D, cp, n_ctx, buf)
    free(buf)
    return loss


def hs_step(W_in, W_out, input_word, codes, points, lr, exact_sigmoid=True):
    """Hierarchical softmax for one (input, output) pair.

    ``W_out`` is the HS weight matrix (V-1 rows, float32, C-contiguous, writable). ``codes`` (0/1,
    any integer dtype) and ``points`` (ids in [0, len(W_out))), 1-D of equal length, are the output
    word's Huffman path, root first: at inner node ``points[k]`` label ``1 - codes[k]``. Updates the
    path's rows of ``W_out`` then row ``input_word`` of ``W_in``. No random draws. Returns the loss.
    """
    _check_pair(W_in, W_out)
    cdef Py_ssize_t D = W_in.shape[1]
    cdef Py_ssize_t iw = _integer(input_word, "input_word", 0, W_in.shape[0] - 1)
    cd = _id_array(codes, "codes", 2, np.uint8)
    pt = _id_array(points, "points", W_out.shape[0])
    if cd.shape[0] != pt.shape[0]:
        raise ValueError(f"points must have the length of codes ({cd.shape[0]}), got {pt.shape[0]}")
    cdef double alpha = _finite(lr, "lr")
    cdef bint exact = bool(exact_sigmoid)
    cdef float* w_in = <float*>_ptr(W_in)
    cdef float* w_out = <float*>_ptr(W_out)
    cdef const uint8_t* cp = <const uint8_t*>_ptr(cd)
    cdef const int32_t* pp = <const int32_t*>_ptr(pt)
    cdef Py_ssize_t length = cd.shape[0]
    cdef float* neu1e = <float*>calloc(D + 1, sizeof(float))
    cdef double loss
    if neu1e == NULL:
        raise MemoryError()
    with nogil:
        loss = _hs_block(w_in + iw * D, w_out, D, cp, pp, length, alpha, exact, neu1e)
        _add_to_row(w_in + iw * D, neu1e, D)
    free(neu1e)
    return loss


# ============================================================================ Huffman tree

cdef void _huffman(const int64_t* sorted_counts, Py_ssize_t V, int64_t* count, int64_t* parent,
                   uint8_t* binary) noexcept nogil:
    """word2vec.c's two-queue construction over counts sorted descending; nodes 0..V-1 are the
    leaves, V+k the k-th inner node; ties take the inner node."""
    cdef Py_ssize_t k, r, leaf = V - 1, inner = V, pick0 = 0, pick
    for k in range(V):
        count[k] = sorted_counts[k]
    for k in range(V - 1):
        for r in range(2):
            if leaf >= 0 and (inner >= V + k or count[leaf] < count[inner]):
                pick = leaf
                leaf -= 1
            else:
                pick = inner
                inner += 1
            if r == 0:
                pick0 = pick
        count[V + k] = count[pick0] + count[pick]
        parent[pick0] = V + k
        parent[pick] = V + k
        binary[pick0] = 0
        binary[pick] = 1


def build_huffman(counts):
    """Huffman tree of word2vec.c -> ``(codes uint8[T], points int32[T], offsets int64[V+1])``.

    ``counts``: 1-D non-negative integers. Words are sorted by descending count (stable); the two-queue
    construction takes the smaller count, the inner node on ties. Word w's path, root first, is
    ``codes[offsets[w]:offsets[w+1]]`` and ``points[...]`` (inner node ids 0..V-2, root V-2). One word
    -> empty path. No draws; returns new arrays.
    """
    a = np.asarray(counts)
    if a.dtype.kind not in "iu":
        raise TypeError(f"counts must be an integer array, got dtype {a.dtype}")
    if a.ndim != 1:
        raise ValueError(f"counts must be 1-D, got shape {a.shape}")
    cdef Py_ssize_t V = a.shape[0]
    if V and a.min() < 0:
        raise ValueError("counts must be non-negative")
    if V and float(a.astype(np.float64).sum()) >= 2.0 ** 62:
        raise ValueError("counts sum too large (>= 2**62)")
    if V >= (1 << 31):
        raise ValueError(f"counts is too long ({V} >= 2**31 words)")
    c = a.astype(np.int64)
    order = np.ascontiguousarray(np.argsort(-c, kind="stable"), dtype=np.int64)
    sorted_counts = np.ascontiguousarray(c[order])
    cdef Py_ssize_t n_nodes = max(2 * V - 1, 1)
    count = np.zeros(n_nodes, dtype=np.int64)
    parent = np.zeros(n_nodes, dtype=np.int64)
    binary = np.zeros(n_nodes, dtype=np.uint8)
    depth = np.zeros(n_nodes, dtype=np.int64)
    cdef int64_t* cp = <int64_t*>_ptr(count)
    cdef int64_t* pp = <int64_t*>_ptr(parent)
    cdef uint8_t* bp = <uint8_t*>_ptr(binary)
    cdef int64_t* dp = <int64_t*>_ptr(depth)
    cdef const int64_t* op = <const int64_t*>_ptr(order)
    cdef const int64_t* sp = <const int64_t*>_ptr(sorted_counts)
    cdef Py_ssize_t node, k, p, off
    with nogil:
        _huffman(sp, V, cp, pp, bp)
        # a parent is created after its children, so it has the larger index: fill depths top-down
        for node in range(2 * V - 3, -1, -1):
            dp[node] = dp[pp[node]] + 1
    offsets = np.zeros(V + 1, dtype=np.int64)
    lengths = np.zeros(V, dtype=np.int64)
    if V > 1:
        lengths[order] = depth[:V]
    np.cumsum(lengths, out=offsets[1:])
    cdef Py_ssize_t total = offsets[V]
    codes = np.zeros(total, dtype=np.uint8)
    points = np.zeros(total, dtype=np.int32)
    cdef uint8_t* codes_p = <uint8_t*>_ptr(codes)
    cdef int32_t* points_p = <int32_t*>_ptr(points)
    cdef const int64_t* offs = <const int64_t*>_ptr(offsets)
    if V > 1:
        with nogil:
            for p in range(V):
                off = offs[op[p]]
                node = p
                for k in range(dp[p] - 1, -1, -1):
                    codes_p[off + k] = bp[node]
                    points_p[off + k] = <int32_t>(pp[node] - V)
                    node = pp[node]
    return codes, points, offsets


# ============================================================================ batch kernel

cdef struct _Model:
    float* w_in
    float* w_out
    float* w_hot              # train_batch's hot_out: rows [0, n_hot) of W_out live there; NULL, 0: none
    Py_ssize_t n_hot
    float* w_pulled           # train_batch's hot_pulled (NULL: none) and merge_words (0: no merge
    Py_ssize_t merge_words    # within the batch)
    float* w_hot_in           # train_batch's hot_in: rows [0, n_hot_in) of W_in live there; NULL, 0: none
    Py_ssize_t n_hot_in
    float* w_in_pulled        # train_batch's hot_in_pulled (NULL: none)
    float* w_hs
    const uint32_t* keep
    const uint64_t* alias_pairs     # the alias table as _alias_pairs (TrainConfig's own copy)
    const uint8_t* codes
    const int32_t* points
    const int64_t* path_offsets
    Py_ssize_t V
    Py_ssize_t D
    int sg
    int negative
    int hs
    int window
    int shrink_windows
    int cbow_mean
    int exact
    int shared_negatives
    const float* lockf        # input-row update factors (gensim's vectors_lockf), NULL: all 1
    Py_ssize_t lockf_len      # 1 (one factor for every row) or V; 0 when lockf is NULL


cdef class TrainConfig:
    """The arrays and settings of a training run, validated once; shared read-only by all threads.

    ``TrainConfig(W_in, W_out, W_hs, keep_threshold, alias_threshold, alias_index, hs_codes,
    hs_points, hs_offsets, *, sg, negative, hs, window, shrink_windows=True, cbow_mean=True,
    exact_sigmoid=False, batch_mode="exact", lockf=None)``

    * ``W_in`` (V, D) float32 C-contiguous writable, V >= 1, D >= 1;
    * ``keep_threshold`` uint32[V] (``tables.keep_thresholds``);
    * ``negative > 0``: ``W_out`` (V, D) like ``W_in``; ``alias_threshold`` uint32[V] and
      ``alias_index`` int32[V] with ids in [0, V) (``AliasSampler``'s table);
    * ``hs``: ``W_hs`` (V-1, D) like ``W_in``; ``hs_codes`` uint8[T] in {0, 1}, ``hs_points`` int32[T]
      in [0, V-1), ``hs_offsets`` int64[V+1] non-decreasing from 0 to T (``build_huffman``);
    * unused arrays may be empty or None; ``window >= 1``; at least one of ``negative`` and ``hs``;
    * ``batch_mode``: "exact" (word2vec.c's order) or "shared_negatives" (skip-gram draws one set of
      negatives per centre word, after its window draw, and reuses it for every context word);
    * ``lockf``: None, or float32[1] / float32[V] finite factors (gensim's ``vectors_lockf``): every
      update of input row w is multiplied by ``lockf[w % len(lockf)]`` (``row += f * neu1e``), so 0
      freezes a row; not with ``batch_mode="shared_negatives"``.

    The weights are held, not copied (the kernels update them in place); the tables are copied,
    checked and kept read-only (the kernels trust them). All are readable as attributes.
    """
    cdef _Model m
    cdef readonly object W_in, W_out, W_hs, keep_threshold, alias_threshold, alias_index
    cdef readonly object hs_codes, hs_points, hs_offsets, batch_mode, lockf
    cdef object _pairs
    cdef readonly bint sg, hs, shrink_windows, cbow_mean, exact_sigmoid
    cdef readonly int negative, window

    def __init__(self, W_in, W_out, W_hs, keep_threshold, alias_threshold, alias_index, hs_codes,
                 hs_points, hs_offsets, *, sg, negative, hs, window, shrink_windows=True,
                 cbow_mean=True, exact_sigmoid=False, batch_mode="exact", lockf=None):
        if self.W_in is not None:         # running batches hold pointers into the held arrays
            raise RuntimeError("a TrainConfig cannot be re-initialised; make a new one")
        _writable_float32(W_in, "W_in")
        cdef Py_ssize_t V = W_in.shape[0], D = W_in.shape[1]
        if V < 1 or V >= (1 << 31):
            raise ValueError(f"W_in must have between 1 and 2**31-1 rows, got shape {W_in.shape}")
        if D < 1:
            raise ValueError(f"W_in must have at least one column, got shape {W_in.shape}")
        self.negative = _integer(negative, "negative", 0, (1 << 31) - 1)
        self.window = _integer(window, "window", 1, (1 << 31) - 1)
        self.sg, self.hs = bool(sg), bool(hs)
        self.shrink_windows, self.cbow_mean = bool(shrink_windows), bool(cbow_mean)
        self.exact_sigmoid = bool(exact_sigmoid)
        if batch_mode not in BATCH_MODES:
            raise ValueError(f"batch_mode must be one of {BATCH_MODES}, got {batch_mode!r}")
        if not self.hs and self.negative == 0:
            raise ValueError("negative must be > 0 when hs is off (nothing would be trained)")
        keep = _private_copy(keep_threshold, "keep_threshold", np.uint32, 1)
        if keep.shape[0] != V:
            raise ValueError(f"keep_threshold must have length V={V}, got {keep.shape[0]}")

        empty_f = np.zeros((0, D), dtype=np.float32)
        if self.negative:
            _writable_float32(W_out, "W_out")
            if W_out.shape != (V, D):
                raise ValueError(f"W_out must have shape {(V, D)}, got {W_out.shape}")
            a_thr = _private_copy(alias_threshold, "alias_threshold", np.uint32, 1)
            a_idx = _private_copy(alias_index, "alias_index", np.int32, 1)
            if a_thr.shape[0] != V:
                raise ValueError(f"alias_threshold must have length V={V}, got {a_thr.shape[0]}")
            if a_idx.shape[0] != V:
                raise ValueError(f"alias_index must have length V={V}, got {a_idx.shape[0]}")
            if a_idx.min() < 0 or a_idx.max() >= V:
                raise ValueError(f"alias_index must hold ids in [0, {V})")
        else:
            W_out = empty_f if W_out is None else W_out
            a_thr = np.zeros(0, dtype=np.uint32)
            a_idx = np.zeros(0, dtype=np.int32)
        if self.hs:
            _writable_float32(W_hs, "W_hs")
            if W_hs.shape != (V - 1, D):
                raise ValueError(f"W_hs must have shape {(V - 1, D)}, got {W_hs.shape}")
            codes = _private_copy(hs_codes, "hs_codes", np.uint8, 1)
            points = _private_copy(hs_points, "hs_points", np.int32, 1)
            offs = _private_copy(hs_offsets, "hs_offsets", np.int64, 1)
            T = codes.shape[0]
            if points.shape[0] != T:
                raise ValueError(f"hs_points must have the length of hs_codes ({T}), got {points.shape[0]}")
            if T and codes.max() > 1:
                raise ValueError("hs_codes must hold 0 or 1")
            if T and (points.min() < 0 or points.max() >= V - 1):
                raise ValueError(f"hs_points must hold inner node ids in [0, {V - 1})")
            if offs.shape[0] != V + 1:
                raise ValueError(f"hs_offsets must have length V+1={V + 1}, got {offs.shape[0]}")
            if offs[0] != 0 or offs[V] != T or np.any(np.diff(offs) < 0):
                raise ValueError(f"hs_offsets must be non-decreasing from 0 to len(hs_codes)={T}")
        else:
            W_hs = empty_f if W_hs is None else W_hs
            codes = np.zeros(0, dtype=np.uint8)
            points = np.zeros(0, dtype=np.int32)
            offs = np.zeros(V + 1, dtype=np.int64)

        if self.negative:
            _separate(W_in, "W_in", W_out, "W_out")
        if self.hs:
            _separate(W_in, "W_in", W_hs, "W_hs")
        if self.negative and self.hs:
            _separate(W_out, "W_out", W_hs, "W_hs")
        if lockf is not None:
            if batch_mode == "shared_negatives":
                raise ValueError("lockf (vectors_lockf) is not supported with "
                                 "batch_mode='shared_negatives'; use batch_mode='exact'")
            lockf = _private_copy(lockf, "lockf", np.float32, 1)
            if lockf.shape[0] not in (1, V):
                raise ValueError(f"lockf must have length 1 or V={V}, got {lockf.shape[0]}")
            if not np.isfinite(lockf).all():
                raise ValueError("lockf must hold finite factors")
            self.m.lockf = <const float*>_ptr(lockf)
            self.m.lockf_len = lockf.shape[0]
        else:
            self.m.lockf = NULL
            self.m.lockf_len = 0
        self.lockf = lockf
        for table in (keep, a_thr, a_idx, codes, points, offs) + ((lockf,) if lockf is not None else ()):
            table.flags.writeable = False          # the config's own validated copies
        self.W_in, self.W_out, self.W_hs = W_in, W_out, W_hs
        self.keep_threshold, self.alias_threshold, self.alias_index = keep, a_thr, a_idx
        self.hs_codes, self.hs_points, self.hs_offsets = codes, points, offs
        self.batch_mode = batch_mode
        self.m.w_in = <float*>_ptr(W_in)
        self.m.w_out = <float*>_ptr(W_out) if self.negative else NULL
        self.m.w_hot = NULL
        self.m.n_hot = 0
        self.m.w_pulled = NULL
        self.m.merge_words = 0
        self.m.w_hot_in = NULL
        self.m.n_hot_in = 0
        self.m.w_in_pulled = NULL
        self.m.w_hs = <float*>_ptr(W_hs) if self.hs else NULL
        self.m.keep = <const uint32_t*>_ptr(keep)
        self._pairs = _alias_pairs(a_thr, a_idx)
        self.m.alias_pairs = <const uint64_t*>_ptr(self._pairs)
        self.m.codes = <const uint8_t*>_ptr(codes)
        self.m.points = <const int32_t*>_ptr(points)
        self.m.path_offsets = <const int64_t*>_ptr(offs)
        self.m.V = V
        self.m.D = D
        self.m.sg = self.sg
        self.m.negative = self.negative
        self.m.hs = self.hs
        self.m.window = self.window
        self.m.shrink_windows = self.shrink_windows
        self.m.cbow_mean = self.cbow_mean
        self.m.exact = self.exact_sigmoid
        self.m.shared_negatives = batch_mode == "shared_negatives"

    @property
    def vocab_size(self):
        """V, the rows of ``W_in``."""
        return self.m.V

    @property
    def vector_size(self):
        """D, the columns of the weights."""
        return self.m.D


cdef inline void _input_update(const _Model* m, int32_t word, const float* neu1e) noexcept nogil:
    """Input row (by ``_in_row``) of ``word`` += neu1e, times the word's lock factor when the config
    has lockf."""
    cdef float* row = _in_row(m.w_in, m.w_hot_in, m.n_hot_in, word, m.D)
    if m.lockf == NULL:
        _add_to_row(row, neu1e, m.D)
    else:
        _axpy(row, m.lockf[word % m.lockf_len], neu1e, m.D)


cdef inline int _draw_next_negatives(const _Model* m, uint64_t* state, int32_t* ahead,
                                     const int32_t* sen, Py_ssize_t i, Py_ssize_t n,
                                     float** pf_rows) noexcept nogil:
    """Draw word sen[i + 1]'s ``negative`` negatives into ``ahead`` (the next draws of the stream)
    and list the rows to prefetch for it in pf_rows: their output rows, its own, and the input row
    of sen[i + 1 + window] when there is one. Returns how many rows it listed."""
    cdef Py_ssize_t k
    cdef int count = m.negative + 1
    for k in range(m.negative):
        ahead[k] = _alias_draw(state, m.alias_pairs, <uint64_t>m.V)
        pf_rows[k] = _out_row(m.w_out, m.w_hot, m.n_hot, ahead[k], m.D)
    pf_rows[m.negative] = _out_row(m.w_out, m.w_hot, m.n_hot, sen[i + 1], m.D)
    if i + 1 + m.window < n:
        pf_rows[count] = _in_row(m.w_in, m.w_hot_in, m.n_hot_in, sen[i + 1 + m.window], m.D)
        count += 1
    return count


cdef double _train_sentences(const _Model* m, uint64_t* rng, const int32_t* tokens, Py_ssize_t n_tokens,
                             const int64_t* offsets, Py_ssize_t n_sentences, double alpha_start,
                             double alpha_end, int32_t* sen, int32_t* context, int32_t* negs,
                             float* neu1e, float* h, int32_t* targets, float* G, float* dT,
                             float** pf_rows, int64_t* kept_words) noexcept nogil:
    """The batch loop (docs/architecture.md, "Batch kernel"); returns the summed loss."""
    cdef uint64_t state = rng[0]
    cdef Py_ssize_t D = m.D, s, p, i, c, lo, hi, n, n_ctx, k, n_pairs, n_drawn, q
    cdef int32_t* pair_negs
    cdef int32_t* own_negs         # this word's negatives, drawn by the word before (CBOW and
                                   # shared_negatives skip-gram): negs[:negative] or the next block
    cdef int32_t* ahead = negs
    cdef Py_ssize_t next_span = 0
    cdef uint64_t window = <uint64_t>m.window
    cdef uint64_t V = <uint64_t>m.V
    cdef int32_t word, w
    cdef uint32_t thr
    cdef Py_ssize_t span
    cdef double lr, loss = 0.0
    cdef int64_t kept = 0
    cdef float* row
    cdef const uint8_t* path_codes = NULL
    cdef const int32_t* path_points = NULL
    cdef Py_ssize_t path_len = 0
    cdef bint shared = m.shared_negatives and m.sg and m.negative > 0
    cdef int64_t next_merge = m.merge_words   # merged before the first sentence starting at or past it
    # The output rows of the next skip-gram pair, or of the next CBOW word (its negatives, then its
    # own row), are prefetched by this one's negative-sampling update, a line at a time
    # (fw_prefetch_step): pf_rows[0, npf), negative + 2 of them at most. With them goes the input
    # row of sen[i + 1 + window] (CBOW and shared_negatives: every word; exact skip-gram: in the
    # first pair of each centre): the row that enters the window next, once per position, before
    # any window reads it.
    cdef int npf = 0
    cdef int n_ahead = 0              # shared_negatives: pf_rows of the next centre word (0: none drawn)
    for s in range(n_sentences):
        if m.merge_words and offsets[s] >= next_merge:
            _merge_rows(m.w_out, m.w_hot, m.w_pulled, m.n_hot * D, 1)
            _merge_rows(m.w_in, m.w_hot_in, m.w_in_pulled, m.n_hot_in * D, 1)
            next_merge = (offsets[s] // m.merge_words + 1) * m.merge_words
        lr = alpha_start
        if n_tokens > 0:
            lr = alpha_start + (alpha_end - alpha_start) * <double>offsets[s] / <double>n_tokens
        # subsampling: a keep test per token, no draw for always-kept words
        n = 0
        for p in range(offsets[s], offsets[s + 1]):
            w = tokens[p]
            thr = m.keep[w]
            if thr == _FULL or _rng_u32(&state) < thr:
                sen[n] = w
                n += 1
        kept += n
        own_negs = negs
        for i in range(n):
            if (m.sg and not shared) or i == 0:
                span = <Py_ssize_t>(window - _rng_below(&state, window)) if m.shrink_windows \
                    else <Py_ssize_t>window
            else:   # CBOW, shared_negatives: drawn by the word before, right after its negatives
                span = next_span
            lo = i - span if i > span else 0
            hi = i + span if span < n - 1 - i else n - 1
            word = sen[i]
            if m.hs:
                path_codes = m.codes + m.path_offsets[word]
                path_points = m.points + m.path_offsets[word]
                path_len = m.path_offsets[word + 1] - m.path_offsets[word]
            if m.sg:
                # All negatives of this centre word are drawn up front: in the contract's order they
                # are the only draws between this word's window draw and the next one (HS draws
                # nothing), so the stream is unchanged, and the rows of pair q+1 can be fetched
                # from memory while pair q trains.
                n_pairs = hi - lo
                if m.negative and n_pairs > 0 and (not shared or i == 0):
                    n_drawn = m.negative if shared else n_pairs * m.negative
                    for k in range(n_drawn):
                        own_negs[k] = _alias_draw(&state, m.alias_pairs, V)
                    for k in range(m.negative):
                        _prefetch_row(_out_row(m.w_out, m.w_hot, m.n_hot, own_negs[k], D), D)
                if shared:
                    # As in CBOW, the next centre word's draws (its window, then its negatives: its
                    # window is never empty, a span >= 1 reaches back to word i) come next in the
                    # stream: drawn now, their rows are prefetched while this word's block trains.
                    n_ahead = 0
                    if i + 1 < n:
                        next_span = <Py_ssize_t>(window - _rng_below(&state, window)) \
                            if m.shrink_windows else <Py_ssize_t>window
                        ahead = negs + m.negative if own_negs == negs else negs
                        n_ahead = _draw_next_negatives(m, &state, ahead, sen, i, n, pf_rows)
                q = 0
                n_ctx = 0
                for c in range(lo, hi + 1):
                    if c == i:
                        continue
                    context[n_ctx] = sen[c]
                    n_ctx += 1
                    if shared and not m.hs:
                        continue
                    pair_negs = own_negs + q * m.negative
                    q += 1
                    npf = 0
                    if not shared and q < n_pairs and m.negative:
                        for k in range(m.negative):
                            pf_rows[k] = _out_row(m.w_out, m.w_hot, m.n_hot, pair_negs[m.negative + k], D)
                        npf = m.negative
                        if q == 1 and i + 1 + <Py_ssize_t>window < n:
                            pf_rows[npf] = _in_row(m.w_in, m.w_hot_in, m.n_hot_in, sen[i + 1 + window], D)
                            npf += 1
                    row = _in_row(m.w_in, m.w_hot_in, m.n_hot_in, sen[c], D)
                    memset(neu1e, 0, D * sizeof(float))
                    if m.hs:
                        loss += _hs_block(row, m.w_hs, D, path_codes, path_points, path_len, lr,
                                          m.exact, neu1e)
                    if m.negative and not shared:
                        loss += _ns_block(row, m.w_out, m.w_hot, m.n_hot, D, word, pair_negs,
                                          m.negative, lr, m.exact, neu1e, pf_rows, npf)
                    _input_update(m, sen[c], neu1e)
                if shared and n_ctx > 0:
                    loss += _shared_negatives_block(m.w_in, m.w_hot_in, m.n_hot_in, m.w_out, m.w_hot,
                                                    m.n_hot, D, context, n_ctx, word, own_negs,
                                                    m.negative, lr, m.exact, targets, G, dT, pf_rows,
                                                    n_ahead)
                if shared and n_ahead:
                    own_negs = ahead
            else:
                n_ctx = 0
                for c in range(lo, hi + 1):
                    if c != i:
                        context[n_ctx] = sen[c]
                        n_ctx += 1
                if n_ctx == 0:   # (n == 1: nothing drawn ahead)
                    continue
                if m.negative and i == 0:   # drawn before HS (which draws nothing)
                    for k in range(m.negative):
                        own_negs[k] = _alias_draw(&state, m.alias_pairs, V)
                        _prefetch_row(_out_row(m.w_out, m.w_hot, m.n_hot, own_negs[k], D), D)
                # The next word's draws (its window, then its negatives) come next in the stream and
                # CBOW trains without drawing: draw them now, so that their output rows are fetched
                # from memory while this word trains. The stream is unchanged.
                npf = 0
                if i + 1 < n:
                    next_span = <Py_ssize_t>(window - _rng_below(&state, window)) \
                        if m.shrink_windows else <Py_ssize_t>window
                    if m.negative:
                        ahead = negs + m.negative if own_negs == negs else negs
                        npf = _draw_next_negatives(m, &state, ahead, sen, i, n, pf_rows)
                _cbow_input(m.w_in, m.w_hot_in, m.n_hot_in, D, context, n_ctx, m.cbow_mean, h)
                memset(neu1e, 0, D * sizeof(float))
                if m.hs:
                    loss += _hs_block(h, m.w_hs, D, path_codes, path_points, path_len, lr, m.exact,
                                      neu1e)
                if m.negative:
                    loss += _ns_block(h, m.w_out, m.w_hot, m.n_hot, D, word, own_negs, m.negative,
                                      lr, m.exact, neu1e, pf_rows, npf)
                    if i + 1 < n:
                        own_negs = ahead
                if m.lockf == NULL:
                    _add_to_context(m.w_in, m.w_hot_in, m.n_hot_in, D, context, n_ctx, neu1e)
                else:
                    for k in range(n_ctx):
                        _input_update(m, context[k], neu1e)
    rng[0] = state
    kept_words[0] = kept
    return loss


cdef _check_hot_rows(object hot, str name, Py_ssize_t V, Py_ssize_t D, list taken):
    """``train_batch``'s hot_out or hot_in: a writable float32 (K, D) array, K <= V, sharing no
    memory with any array of ``taken`` ((array, name) pairs)."""
    _writable_float32(hot, name)
    if hot.shape[1] != D or hot.shape[0] > V:
        raise ValueError(f"{name} must have shape (K, {D}) with K <= {V}, got {hot.shape}")
    for other, other_name in taken:
        _separate(other, other_name, hot, name)


def train_batch(TrainConfig config not None, Rng rng not None, tokens, offsets, alpha_start,
                alpha_end, hot_out=None, hot_pulled=None, merge_words=0, hot_in=None,
                hot_in_pulled=None):
    """Train on the sentences ``tokens[offsets[s]:offsets[s+1]]`` -> ``(kept_words, loss)``.

    ``tokens``: int32 1-D word ids in [0, V). ``offsets``: int64 1-D, ``offsets[0] == 0``,
    ``offsets[-1] == len(tokens)``, non-decreasing (both copied, then checked; a non-contiguous
    array is fine). ``alpha_start``/``alpha_end`` finite; sentence s
    trains at ``alpha_start + (alpha_end - alpha_start) * offsets[s] / len(tokens)``.
    Mutates ``config``'s weights in place (lock-free: several threads may share them) and advances
    ``rng``. Draws, per sentence: one ``next_u32`` per token whose keep threshold is not
    KEEP_ALWAYS; per kept position ``below(window)`` if ``shrink_windows``; ``negative`` alias draws
    (one ``next_u64`` each) per skip-gram (context, centre) pair, or per CBOW window with a
    non-empty context, or, with ``batch_mode="shared_negatives"``, per skip-gram centre word.
    The GIL is released for the whole batch. ``loss`` is the float64 sum of the pair losses.

    ``hot_out``: None, or a float32 (K, D) C-contiguous writable array, K <= V, sharing no memory
    with the weights: rows [0, K) of the negative-sampling weights ``W_out`` are then read and
    written there instead of in ``W_out`` (a worker's private copy of the most frequent words' rows,
    ``engine.HotRows``); the other rows as usual. Needs ``negative > 0``. ``hot_in``: the same for
    rows [0, K_in) of ``W_in``, in any mode; it shares no memory with ``hot_out`` either.

    ``merge_words`` > 0 (an int; needs ``hot_out`` or ``hot_in``, each with its pulled array,
    ``hot_pulled`` or ``hot_in_pulled``: float32, its shape, the values it was pulled with from
    ``W_out[:K]`` or ``W_in[:K_in]``): before each sentence that starts at or past the next multiple
    of ``merge_words`` tokens (``offsets[s]``), the private rows are merged into the shared ones as
    ``merge_hot_rows`` does, and the private rows and their pulled arrays take the merged values;
    the caller merges after the last sentence.
    """
    cdef _Model local = config.m
    merge_words = _integer(merge_words, "merge_words", 0, 2**62)
    if hot_out is not None and not config.negative:
        raise ValueError("hot_out needs negative sampling (negative > 0)")
    taken = [(config.W_in, "W_in"), (config.W_out, "W_out"), (config.W_hs, "W_hs")]
    for hot, name in ((hot_out, "hot_out"), (hot_in, "hot_in")):
        if hot is not None:
            _check_hot_rows(hot, name, config.m.V, config.m.D, taken)
            taken.append((hot, name))
    if merge_words:
        if hot_out is None and hot_in is None:
            raise ValueError("merge_words > 0 needs hot_out and hot_pulled, or hot_in and hot_in_pulled")
        for hot, name, pulled, pulled_name in ((hot_out, "hot_out", hot_pulled, "hot_pulled"),
                                               (hot_in, "hot_in", hot_in_pulled, "hot_in_pulled")):
            if hot is None:
                continue
            if pulled is None:
                raise ValueError(f"merge_words > 0 needs {name} and {pulled_name}")
            _writable_float32(pulled, pulled_name)
            if pulled.shape != hot.shape:
                raise ValueError(f"{pulled_name} must have the shape of {name} {hot.shape}, "
                                 f"got {pulled.shape}")
            for other, other_name in taken:
                _separate(other, other_name, pulled, pulled_name)
            taken.append((pulled, pulled_name))
    if hot_out is not None and hot_out.shape[0]:
        local.w_hot = <float*>_ptr(hot_out)
        local.n_hot = hot_out.shape[0]
        if merge_words:
            local.w_pulled = <float*>_ptr(hot_pulled)
    if hot_in is not None and hot_in.shape[0]:
        local.w_hot_in = <float*>_ptr(hot_in)
        local.n_hot_in = hot_in.shape[0]
        if merge_words:
            local.w_in_pulled = <float*>_ptr(hot_in_pulled)
    if local.n_hot or local.n_hot_in:
        local.merge_words = merge_words
    tok = _private_copy(tokens, "tokens", np.int32, 1)
    off = _private_copy(offsets, "offsets", np.int64, 1)
    cdef double a0 = _finite(alpha_start, "alpha_start")
    cdef double a1 = _finite(alpha_end, "alpha_end")
    cdef Py_ssize_t n_tokens = tok.shape[0]
    cdef Py_ssize_t n_off = off.shape[0]
    if n_off < 1:
        raise ValueError("offsets must have at least one entry (offsets[0] == 0)")
    cdef const int32_t* tp = <const int32_t*>_ptr(tok)
    cdef const int64_t* op = <const int64_t*>_ptr(off)
    cdef Py_ssize_t s, p, longest = 0
    cdef bint bad_offsets = op[0] != 0 or op[n_off - 1] != n_tokens
    cdef bint bad_tokens = False
    cdef uint32_t V = <uint32_t>config.m.V
    with nogil:
        if not bad_offsets:
            for s in range(n_off - 1):
                if op[s + 1] < op[s]:
                    bad_offsets = True
                    break
                if op[s + 1] - op[s] > longest:
                    longest = op[s + 1] - op[s]
        for p in range(n_tokens):
            if <uint32_t>tp[p] >= V:
                bad_tokens = True
                break
    if bad_offsets:
        raise ValueError(f"offsets must be non-decreasing from 0 to len(tokens)={n_tokens}")
    if bad_tokens:
        raise ValueError(f"tokens must hold word ids in [0, {config.m.V})")

    cdef const _Model* m = &local
    cdef Py_ssize_t D = m.D
    cdef Py_ssize_t n_context = min(2 * <Py_ssize_t>m.window, longest)
    cdef int32_t* sen = <int32_t*>malloc((longest + 1) * sizeof(int32_t))
    cdef int32_t* context = <int32_t*>malloc((n_context + 1) * sizeof(int32_t))
    # skip-gram draws the negatives of all (context, centre) pairs of a centre word at once; CBOW
    # holds two words' (this one's and the next one's), 2 * negative <= the size when n_context >= 1
    cdef int32_t* negs = <int32_t*>malloc((<Py_ssize_t>m.negative * (n_context + 1) + 1) * sizeof(int32_t))
    cdef Py_ssize_t n_targets = <Py_ssize_t>m.negative + 1
    cdef float* vecs = <float*>malloc((2 * D + n_targets * D + (n_context + 1) * n_targets + 1)
                                      * sizeof(float))
    cdef int32_t* targets = <int32_t*>malloc(n_targets * sizeof(int32_t))
    cdef float** pf_rows = <float**>malloc((n_targets + 1) * sizeof(float*))   # _train_sentences
    cdef int64_t kept = 0
    cdef double loss = 0.0
    cdef uint64_t state
    try:
        if (sen == NULL or context == NULL or negs == NULL or vecs == NULL or targets == NULL
                or pf_rows == NULL):
            raise MemoryError()
        # The stream state lives in a local for the batch: another thread's Rng object may share
        # its cache line, and writing it on every draw would bounce that line between the cores.
        state = rng._state
        with nogil:
            loss = _train_sentences(m, &state, tp, n_tokens, op, n_off - 1, a0, a1, sen,
                                    context, negs, vecs, vecs + D, targets, vecs + 2 * D,
                                    vecs + 2 * D + (n_context + 1) * n_targets, pf_rows, &kept)
        rng._state = state
    finally:
        free(sen)
        free(context)
        free(negs)
        free(vecs)
        free(targets)
        free(pf_rows)
    return kept, loss


def merge_hot_rows(shared, rows, pulled):
    """Merge a worker's private rows (``train_batch``'s ``hot_out``) into the shared ones, element
    by element: where ``shared`` still holds the value pulled before the batch, it takes the row's
    value (so one worker alone leaves the bits of a plain call); where another worker changed it
    since, it adds this worker's change, ``shared += rows - pulled``. Three float32 (K, D)
    C-contiguous arrays; ``shared`` (e.g. ``W_out[:K]``) is updated in place, the GIL released.
    Each element is read and written once, so a concurrent merge loses at most what a Hogwild
    write to the same element would."""
    _writable_float32(shared, "shared")
    for a, name in ((rows, "rows"), (pulled, "pulled")):
        if not isinstance(a, np.ndarray) or a.dtype != np.float32 or not a.flags.c_contiguous:
            raise TypeError(f"{name} must be a C-contiguous float32 numpy.ndarray, got {_tname(a)}")
        if a.shape != shared.shape:
            raise ValueError(f"{name} must have the shape of shared {shared.shape}, got {a.shape}")
        _separate(shared, "shared", a, name)
    cdef float* s = <float*>_ptr(shared)
    cdef float* r = <float*>_ptr(rows)
    cdef float* p = <float*>_ptr(pulled)
    cdef Py_ssize_t n = shared.size
    with nogil:
        _merge_rows(s, r, p, n, 0)


cdef void _score_sentences(const _Model* m, const int32_t* tokens, const int64_t* offsets,
                           Py_ssize_t n_sentences, int32_t* context, float* h,
                           double* out) noexcept nogil:
    cdef Py_ssize_t D = m.D, s, i, c, lo, hi, n, k, n_ctx, start
    cdef Py_ssize_t window = m.window
    cdef int32_t word
    cdef double total, f
    cdef const uint8_t* codes
    cdef const int32_t* points
    cdef Py_ssize_t length
    cdef const float* x
    for s in range(n_sentences):
        total = 0.0
        start = offsets[s]
        n = offsets[s + 1] - start
        for i in range(n):
            word = tokens[start + i]
            codes = m.codes + m.path_offsets[word]
            points = m.points + m.path_offsets[word]
            length = m.path_offsets[word + 1] - m.path_offsets[word]
            lo = i - window if i > window else 0
            hi = i + window if window < n - 1 - i else n - 1
            if m.sg:
                for c in range(lo, hi + 1):
                    if c == i:
                        continue
                    x = m.w_in + <Py_ssize_t>tokens[start + c] * D
                    for k in range(length):
                        f = _dot(x, m.w_hs + <Py_ssize_t>points[k] * D, D)
                        total += _exact_log_sigmoid(-f if codes[k] else f)
            else:
                n_ctx = 0
                for c in range(lo, hi + 1):
                    if c != i:
                        context[n_ctx] = tokens[start + c]
                        n_ctx += 1
                if n_ctx == 0:
                    continue
                _cbow_input(m.w_in, NULL, 0, D, context, n_ctx, m.cbow_mean, h)
                for k in range(length):
                    f = _dot(h, m.w_hs + <Py_ssize_t>points[k] * D, D)
                    total += _exact_log_sigmoid(-f if codes[k] else f)
        out[s] = total


def score_sentences(TrainConfig config not None, tokens, offsets):
    """Log probability of each sentence ``tokens[offsets[s]:offsets[s+1]]`` under the
    hierarchical-softmax model of ``config`` (Taddy 2015; gensim's ``score``) -> float64[S].

    Every word i contributes, along its Huffman path (``hs_codes``/``hs_points``),
    ``log sigmoid((1 - 2 code) * dot(x, W_hs[point]))`` with x each context row ``W_in[c]`` for c in
    the full window ``[i - window, i + window]``, c != i (skip-gram), or, for CBOW, once with x the
    float32 sum of those rows (divided by their number when ``cbow_mean``); no subsampling, no
    window shrinking, no random draws, nothing mutated. Dot products in float32 (``dot32``), the
    log-sigmoid exact in float64. ``tokens``/``offsets`` as in ``train_batch``; needs ``config.hs``.
    The GIL is released.
    """
    if not config.hs:
        raise ValueError("score_sentences needs a hierarchical-softmax config (hs=True)")
    tok = _private_copy(tokens, "tokens", np.int32, 1)
    off = _private_copy(offsets, "offsets", np.int64, 1)
    cdef Py_ssize_t n_tokens = tok.shape[0], n_off = off.shape[0]
    if n_off < 1 or off[0] != 0 or off[n_off - 1] != n_tokens or np.any(np.diff(off) < 0):
        raise ValueError(f"offsets must be non-decreasing from 0 to len(tokens)={n_tokens}")
    if n_tokens and (tok.min() < 0 or tok.max() >= config.m.V):
        raise ValueError(f"tokens must hold word ids in [0, {config.m.V})")
    out = np.zeros(n_off - 1, dtype=np.float64)
    cdef const _Model* m = &config.m
    cdef int32_t* context = <int32_t*>malloc((2 * <Py_ssize_t>m.window + 1) * sizeof(int32_t))
    cdef float* h = <float*>malloc((m.D + 1) * sizeof(float))
    cdef const int32_t* tp = <const int32_t*>_ptr(tok)
    cdef const int64_t* op = <const int64_t*>_ptr(off)
    cdef double* outp = <double*>_ptr(out)
    try:
        if context == NULL or h == NULL:
            raise MemoryError()
        with nogil:
            _score_sentences(m, tp, op, n_off - 1, context, h, outp)
    finally:
        free(context)
        free(h)
    return out


# ============================================================================ embedding ops

ctypedef fused real:
    float
    double


cdef void _gather(const real* W, Py_ssize_t D, const int64_t* idx, Py_ssize_t n,
                  real* out) noexcept nogil:
    cdef Py_ssize_t k
    for k in range(n):
        memcpy(out + k * D, W + idx[k] * D, D * sizeof(real))


cdef void _scatter_add(real* dW, Py_ssize_t D, const int64_t* idx, Py_ssize_t n, const real* dout,
                       int64_t padding) noexcept nogil:
    cdef Py_ssize_t k, j
    cdef real* row
    cdef const real* src
    for k in range(n):
        if idx[k] == padding:
            continue
        row = dW + idx[k] * D
        src = dout + k * D
        for j in range(D):
            row[j] += src[j]


cdef void _renorm(real* W, Py_ssize_t D, const int64_t* idx, Py_ssize_t n, double max_norm,
                  double p, uint8_t* seen) noexcept nogil:
    """Rows idx (each once) whose p-norm exceeds max_norm are scaled by max_norm / (norm + 1e-7)."""
    cdef Py_ssize_t k, j
    cdef real* row
    cdef double norm, a, scale
    for k in range(n):
        if seen[idx[k]]:
            continue
        seen[idx[k]] = 1
        row = W + idx[k] * D
        norm = 0.0
        if p == 2.0:
            for j in range(D):
                norm += <double>row[j] * <double>row[j]
            norm = sqrt(norm)
        elif p == 1.0:
            for j in range(D):
                norm += fabs(<double>row[j])
        elif p == INFINITY:
            for j in range(D):
                a = fabs(<double>row[j])
                if a > norm:
                    norm = a
        else:
            for j in range(D):
                norm += pow(fabs(<double>row[j]), p)
            norm = pow(norm, 1.0 / p)
        if norm > max_norm:
            scale = max_norm / (norm + 1e-7)
            for j in range(D):
                row[j] = <real>(row[j] * scale)


cdef object _real_matrix(object a, str name, bint writable):
    if not isinstance(a, np.ndarray):
        raise TypeError(f"{name} must be a numpy.ndarray of float32 or float64, got {_tname(a)}")
    if a.dtype != np.float32 and a.dtype != np.float64:
        raise TypeError(f"{name} must have dtype float32 or float64 (native byte order), got {a.dtype}")
    if a.ndim != 2:
        raise ValueError(f"{name} must be 2-D, got shape {a.shape}")
    if not a.flags.c_contiguous:
        raise ValueError(f"{name} must be C-contiguous")
    if not a.flags.aligned:
        raise ValueError(f"{name} must be aligned")
    if writable and not a.flags.writeable:
        raise ValueError(f"{name} must be writable (it is updated in place)")
    return a


cdef object _embedding_ids(object idx, Py_ssize_t V):
    """idx (any shape, integer) -> (private flat int64 C array, original shape)."""
    return _ids_copy(idx, "idx", V, np.int64)


cdef int64_t _padding(object padding_idx, Py_ssize_t V) except? -2:
    """padding_idx normalised as torch does (negative -> += V); None -> -1 (matches no id)."""
    if padding_idx is None:
        return -1
    if isinstance(padding_idx, (bool, np.bool_)):
        raise TypeError("padding_idx must be an integer, got bool")
    cdef int64_t pi = _integer(padding_idx, "padding_idx", -V, V - 1)
    return pi + V if pi < 0 else pi


cdef double _norm_type(object norm_type) except? -1.0:
    """A p > 0 (inf allowed), as layers._check_max_norm."""
    if isinstance(norm_type, (bool, np.bool_)) or not isinstance(norm_type, (int, float, np.number)):
        raise TypeError(f"norm_type must be a real number, got {_tname(norm_type)}")
    cdef double p = float(norm_type)
    if not p > 0:
        raise ValueError(f"norm_type must be > 0 (inf allowed), got {norm_type!r}")
    return p


def embedding_forward(W, idx, padding_idx=None, max_norm=None, norm_type=2.0):
    """Embedding lookup: returns ``W[idx]`` (a new array), shape ``idx.shape + (D,)``, ``W``'s dtype.

    ``W`` (V, D) float32 or float64, C-contiguous. ``idx``: integers (not bool) of any shape in
    [0, V). ``padding_idx`` (None or in [-V, V), negative += V) is only validated here (it matters
    to the gradient). ``max_norm`` (None or finite > 0): first, every distinct row in ``idx`` whose
    ``norm_type``-norm (p > 0, inf = max-abs; accumulated in float64) exceeds ``max_norm`` is scaled
    IN PLACE by ``max_norm / (norm + 1e-7)`` (float64 scale, product cast back; ``W`` must then be
    writable), then the rows are gathered. Twin of ``reference.embedding_forward``. No random draws.
    """
    _real_matrix(W, "W", False)
    cdef Py_ssize_t V = W.shape[0], D = W.shape[1]
    flat, shape = _embedding_ids(idx, V)
    _padding(padding_idx, V)
    cdef double p = _norm_type(norm_type)
    cdef double mn = 0.0
    if max_norm is not None:
        if isinstance(max_norm, (bool, np.bool_)):
            raise TypeError("max_norm must be a real number, got bool")
        mn = _finite(max_norm, "max_norm")
        if not mn > 0:
            raise ValueError(f"max_norm must be > 0, got {mn}")
    cdef Py_ssize_t n = flat.shape[0]
    if max_norm is not None and n and not W.flags.writeable:
        raise ValueError("W must be writable when max_norm is given (rows are renormalised in place)")
    out = np.empty(tuple(shape) + (D,), dtype=W.dtype)
    cdef const int64_t* ip = <const int64_t*>_ptr(flat)
    cdef uint8_t* seen = NULL
    if max_norm is not None and n:
        seen = <uint8_t*>calloc(V, 1)
        if seen == NULL:
            raise MemoryError()
    cdef void* wp = _ptr(W)
    cdef void* outp = _ptr(out)
    try:
        if W.dtype == np.float32:
            with nogil:
                if seen != NULL:
                    _renorm(<float*>wp, D, ip, n, mn, p, seen)
                _gather(<const float*>wp, D, ip, n, <float*>outp)
        else:
            with nogil:
                if seen != NULL:
                    _renorm(<double*>wp, D, ip, n, mn, p, seen)
                _gather(<const double*>wp, D, ip, n, <double*>outp)
    finally:
        free(seen)
    return out


def embedding_backward(dW, idx, dout, padding_idx=None):
    """Embedding gradient: ``dW[idx[k]] += dout[k]`` for every position k in C order (duplicates
    accumulate), skipping positions whose id equals ``padding_idx`` (in [-V, V), negative += V).

    ``dW`` (V, D) float32 or float64, C-contiguous, writable: updated in place (never zeroed).
    ``idx`` integers (not bool) of any shape in [0, V); ``dout`` a floating array of shape
    ``idx.shape + (D,)``, cast to ``dW``'s dtype (and copied if not contiguous). Returns None.
    Twin of ``reference.embedding_backward``. No random draws.
    """
    _real_matrix(dW, "dW", True)
    cdef Py_ssize_t V = dW.shape[0], D = dW.shape[1]
    flat, shape = _embedding_ids(idx, V)
    cdef int64_t pad = _padding(padding_idx, V)
    if not isinstance(dout, np.ndarray):
        raise TypeError(f"dout must be a numpy.ndarray, got {_tname(dout)}")
    if dout.dtype.kind != "f":
        raise TypeError(f"dout must have a floating dtype, got {dout.dtype}")
    if dout.shape != tuple(shape) + (D,):
        raise ValueError(f"dout must have shape idx.shape + (D,) = {tuple(shape) + (D,)}, got {dout.shape}")
    g = np.ascontiguousarray(dout, dtype=dW.dtype)
    cdef Py_ssize_t n = flat.shape[0]
    cdef const int64_t* ip = <const int64_t*>_ptr(flat)
    cdef void* dwp = _ptr(dW)
    cdef const void* gp = _ptr(g)
    if dW.dtype == np.float32:
        with nogil:
            _scatter_add(<float*>dwp, D, ip, n, <const float*>gp, pad)
    else:
        with nogil:
            _scatter_add(<double*>dwp, D, ip, n, <const double*>gp, pad)
    return None
