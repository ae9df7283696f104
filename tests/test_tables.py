"""Unit tests of fastw2v.tables: sigmoid tables and their error bounds, keep thresholds, alias tables,
RNG constants; the NumPy lookups are checked bit for bit against the C lookups of _core."""
import numpy as np
import pytest
from numpy.testing import assert_array_equal

from fastw2v import _core, reference, tables
from fastw2v.tables import (
    KEEP_ALWAYS, LOG_SIGMOID_MAX_ABS_ERROR, SIGMOID_MAX, SIGMOID_MAX_ABS_ERROR, SIGMOID_TABLE_SIZE,
)


def _grid():
    """Dense float32 grid over [-20, 20] (well past +-MAX), plus every bin edge and its neighbours,
    +-MAX themselves, +-inf and huge values."""
    x = np.linspace(-20.0, 20.0, 2_000_001).astype(np.float32)
    edges = (-SIGMOID_MAX + np.arange(SIGMOID_TABLE_SIZE + 1) / tables.SIGMOID_SCALE).astype(np.float32)
    extra = np.array([np.inf, -np.inf, 1e30, -1e30, SIGMOID_MAX, -SIGMOID_MAX, 0.0, -0.0],
                     dtype=np.float32)
    return np.concatenate([x, edges, np.nextafter(edges, np.float32(-np.inf)),
                           np.nextafter(edges, np.float32(np.inf)), extra])


def _exact(x):
    x = x.astype(np.float64)
    e = np.exp(-np.abs(x))
    sig = np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
    return sig, -np.logaddexp(0.0, -x)


def test_sigmoid_table_worst_case_error_within_documented_bound():
    x = _grid()
    sig, _ = _exact(x)
    err = np.abs(tables.table_sigmoid(x).astype(np.float64) - sig).max()
    assert err <= SIGMOID_MAX_ABS_ERROR
    # the bound is tight (half a bin at slope 1/4), so a table of bin edges instead of centres fails
    assert err > 0.9 * SIGMOID_MAX_ABS_ERROR


def test_log_sigmoid_table_worst_case_error_within_documented_bound():
    x = _grid()
    finite = np.isfinite(x)
    _, log_sig = _exact(x[finite])
    err = np.abs(tables.table_log_sigmoid(x[finite]).astype(np.float64) - log_sig).max()
    assert err <= LOG_SIGMOID_MAX_ABS_ERROR
    assert err > 0.9 * LOG_SIGMOID_MAX_ABS_ERROR


def test_tables_store_exact_values_at_bin_centres():
    step = 2 * SIGMOID_MAX / SIGMOID_TABLE_SIZE
    centres = -SIGMOID_MAX + (np.arange(SIGMOID_TABLE_SIZE) + 0.5) * step
    sig, log_sig = _exact(centres)
    # within one float32 ulp, not bitwise: _exact uses NumPy's exp, whose SIMD path (AVX-512 or not)
    # may differ in the last float64 bit from libm's exp that the tables use, and that bit can flip
    # the rounding to float32; a table of bin edges instead of centres is off by thousands of ulps
    np.testing.assert_array_max_ulp(tables.sigmoid_table(), sig.astype(np.float32), maxulp=1)
    np.testing.assert_allclose(tables.log_sigmoid_table(), log_sig.astype(np.float32), rtol=1e-6)
    assert tables.sigmoid_table().dtype == np.float32


def test_saturation_rule_is_clip():
    table = tables.sigmoid_table()
    big = np.array([8.0, 8.5, 100.0, np.inf], dtype=np.float32)
    assert_array_equal(tables.table_sigmoid(big), np.full(4, table[-1]))
    assert_array_equal(tables.table_sigmoid(-big), np.full(4, table[0]))
    # log-sigmoid: 0 above MAX, x itself below -MAX, the table at +-MAX exactly
    assert_array_equal(tables.table_log_sigmoid(big[1:]), np.zeros(3, dtype=np.float32))
    assert_array_equal(tables.table_log_sigmoid(-big[1:]), -big[1:])
    log_table = tables.log_sigmoid_table()
    assert tables.table_log_sigmoid(np.float32(8.0)) == log_table[-1]
    assert tables.table_log_sigmoid(np.float32(-8.0)) == log_table[0]


def test_numpy_lookup_equals_c_lookup_bitwise():
    # CPU-independent: both index one table (built once, in Python) with the same float32 arithmetic
    x = np.concatenate([_grid(), np.random.default_rng(0).normal(0, 6, 200_000).astype(np.float32),
                        np.array([np.nan], dtype=np.float32)])
    assert_array_equal(_core.table_sigmoid(x).view(np.uint32), tables.table_sigmoid(x).view(np.uint32))
    assert_array_equal(_core.table_log_sigmoid(x).view(np.uint32),
                       tables.table_log_sigmoid(x).view(np.uint32))


def test_table_index_truncates_in_float32():
    # just below a bin edge in float32 stays in the lower bin; the edge itself opens the next bin
    edge = np.float32(-SIGMOID_MAX + 5 / tables.SIGMOID_SCALE)
    assert tables.table_index(np.nextafter(edge, np.float32(-np.inf))) == 4
    assert tables.table_index(edge) == 5
    assert tables.table_index(np.float32(np.nan)) == 0
    assert tables.table_index(np.nextafter(np.float32(SIGMOID_MAX), np.float32(0))) == SIGMOID_TABLE_SIZE - 1


# ----------------------------------------------------------------------------- keep thresholds

def test_keep_thresholds_formula():
    counts = np.array([100_000, 10_000, 1_000, 10, 0], dtype=np.int64)
    sample = 1e-3
    thr = tables.keep_thresholds(counts, sample)
    assert thr.dtype == np.uint32
    t = sample * counts.sum()
    for c, got in zip(counts, thr):
        if c == 0:
            assert got == KEEP_ALWAYS
            continue
        p = (np.sqrt(c / t) + 1) * t / c
        expected = KEEP_ALWAYS if p >= 1 else int(np.floor(p * 2.0**32))
        assert int(got) == expected
    assert thr[0] < thr[1] < KEEP_ALWAYS            # the most frequent words are dropped most
    assert thr[3] == KEEP_ALWAYS                     # rare words always kept


def test_keep_thresholds_sample_zero_keeps_everything():
    assert_array_equal(tables.keep_thresholds([5, 1, 1000], 0.0), np.full(3, KEEP_ALWAYS, np.uint32))


def test_keep_rate_matches_keep_probability():
    counts = np.array([1_000_000, 1], dtype=np.int64)
    thr = tables.keep_thresholds(counts, 1e-4)
    rng = _core.Rng(3)
    n = 200_000
    kept = sum(rng.next_u32() < thr[0] for _ in range(n))
    t = 1e-4 * counts.sum()
    p = (np.sqrt(counts[0] / t) + 1) * t / counts[0]
    assert abs(kept / n - p) < 5 * np.sqrt(p * (1 - p) / n)


@pytest.mark.parametrize("bad", [[-1, 2], [np.nan, 1.0], [[1, 2]]])
def test_keep_thresholds_rejects_bad_counts(bad):
    with pytest.raises((TypeError, ValueError), match="counts"):
        tables.keep_thresholds(np.array(bad), 1e-3)


def test_keep_thresholds_rejects_bad_sample():
    with pytest.raises(ValueError, match="sample"):
        tables.keep_thresholds([1, 2], -1.0)


# ----------------------------------------------------------------------------- alias tables

def _table_probabilities(threshold, alias):
    """Exact probability of each id under the documented draw rule."""
    V = len(threshold)
    own = threshold.astype(np.float64) / 2.0**32
    own[threshold == tables.ALIAS_FULL] = 1.0
    p = own.copy()
    np.add.at(p, alias, np.where(alias != np.arange(V), 1.0 - own, 0.0))
    return p / V


@pytest.mark.parametrize("power", [0.0, 0.5, 0.75, 1.0])
def test_alias_table_encodes_the_noise_distribution(power):
    counts = np.random.default_rng(1).integers(0, 500, size=300)
    counts[0] = 0
    threshold, alias = tables.build_alias_table(counts, power)
    assert threshold.dtype == np.uint32 and alias.dtype == np.int32
    assert alias.min() >= 0 and alias.max() < len(counts)
    expected = tables.noise_distribution(counts, power)
    np.testing.assert_allclose(_table_probabilities(threshold, alias), expected, atol=1e-9)
    assert expected[0] == 0.0                        # zero count stays at zero, also at power 0


def test_alias_table_full_columns_point_to_themselves():
    threshold, alias = tables.build_alias_table([1, 1, 1, 1], 0.75)
    assert_array_equal(threshold, np.full(4, tables.ALIAS_FULL, np.uint32))
    assert_array_equal(alias, np.arange(4))


def test_noise_distribution_rejects_all_zero_counts():
    with pytest.raises(ValueError, match="counts"):
        tables.noise_distribution([0, 0], 0.75)


# ----------------------------------------------------------------------------- RNG constants

def test_seeding_is_splitmix64():
    # splitmix64's first output from state 0 is a published value; Rng(0) seeds with it
    assert reference.Rng(0).state == 0xE220A8397B1DCDAF
    assert _core.Rng(0).state == 0xE220A8397B1DCDAF


def test_worker_seed():
    assert tables.worker_seed(7, 2) == 7 * 1000003 + 2 == 7 * tables.RNG_STREAM_STRIDE + 2
