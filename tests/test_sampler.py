"""Unit tests of the random generator and the alias sampler (reference and _core twins).

Bitwise assertions here compare twins that share one alias table (tables.build_alias_table is
computed once per process and used by both) and one integer generator, or probabilities exact on
every CPU (counts**0 is exactly 1): no CPU dependence.
"""
import pickle

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from scipy import stats

from fastw2v import _core, reference, tables

ZIPF = (100_000 / np.arange(1, 1001) ** 1.1).astype(np.int64) + 1     # V = 1000, Zipf-like


# ----------------------------------------------------------------------------- Rng

@pytest.mark.parametrize("seed", [0, 1, 42, 2**64 - 1, 2**64 + 5, -1, 123456789 * 1000003 + 3])
def test_rng_streams_identical(seed):
    a, b = _core.Rng(seed), reference.Rng(seed)
    assert a.state == b.state
    for _ in range(200):
        assert a.next_u64() == b.next_u64()
        assert a.next_u32() == b.next_u32()
        assert a.below(7) == b.below(7)
        assert a.below(2**32) == b.below(2**32)
    assert a.state == b.state


def test_rng_seed_taken_modulo_2_64():
    assert _core.Rng(-1).state == _core.Rng(2**64 - 1).state == reference.Rng(-1).state


def test_rng_state_roundtrip_and_pickle():
    a = _core.Rng(9)
    a.next_u64()
    b = _core.Rng(0)
    b.state = a.state
    assert b.next_u64() == a.next_u64()
    c = pickle.loads(pickle.dumps(a))
    assert c.state == a.state and c.next_u32() == a.next_u32()


def test_rng_below_uniform():
    rng = _core.Rng(11)
    draws = np.array([rng.below(7) for _ in range(70_000)])
    assert draws.min() == 0 and draws.max() == 6
    assert stats.chisquare(np.bincount(draws, minlength=7)).pvalue > 1e-3


def test_rng_state_zero_refused():
    with pytest.raises(ValueError, match="state"):
        _core.Rng(0).state = 0


# ----------------------------------------------------------------------------- alias sampler

def _chisquare_pvalue(draws, probabilities):
    observed = np.bincount(draws, minlength=len(probabilities))
    support = probabilities > 0
    assert observed[~support].sum() == 0
    expected = probabilities[support] / probabilities[support].sum() * observed.sum()
    return stats.chisquare(observed[support], expected).pvalue


def test_chisquare_of_a_million_draws_zipf():
    sampler = _core.AliasSampler(ZIPF, power=0.75, seed=2024)
    draws = sampler.sample(1_000_000)
    assert draws.dtype == np.int32
    p = ZIPF.astype(np.float64) ** 0.75
    assert _chisquare_pvalue(draws, p / p.sum()) > 1e-3


def test_chisquare_fails_against_the_wrong_power():
    # guards the test above: the draws do distinguish counts**0.75 from counts**1
    draws = _core.AliasSampler(ZIPF, power=0.75, seed=2024).sample(1_000_000)
    p = ZIPF.astype(np.float64)
    assert _chisquare_pvalue(draws, p / p.sum()) < 1e-6


@pytest.mark.parametrize("power", [0.0, 1.0])
def test_power_zero_is_uniform_and_power_one_is_proportional(power):
    counts = np.array([1, 2, 3, 50, 200, 7, 0, 1000])
    draws = _core.AliasSampler(counts, power=power, seed=5).sample(200_000)
    p = tables.noise_distribution(counts, power)
    if power == 0.0:
        assert_array_equal(p[counts > 0], np.full(7, 1 / 7))
    else:
        np.testing.assert_allclose(p, counts / counts.sum())
    assert _chisquare_pvalue(draws, p) > 1e-3


def test_one_word_always_drawn():
    sampler = _core.AliasSampler([17], seed=1)
    assert_array_equal(sampler.sample(1000), np.zeros(1000, dtype=np.int32))
    assert_array_equal(reference.AliasSampler([17], seed=1).sample(50), np.zeros(50, dtype=np.int32))


def test_zero_count_never_drawn():
    counts = np.array([5, 0, 3, 0, 9])
    sampler = _core.AliasSampler(counts, power=0.0, seed=3)
    draws = sampler.sample(100_000)
    assert not np.isin(draws, [1, 3]).any()
    assert sampler.threshold[1] == 0 and sampler.threshold[3] == 0


@pytest.mark.parametrize("counts,power", [
    (ZIPF, 0.75), (ZIPF, 0.0), (ZIPF, 1.0), ([3, 3, 3, 3, 3], 0.75), ([1], 0.75),
    ([0, 1, 0, 2, 0, 1000000], 0.75), (np.random.default_rng(7).random(500) * 10, 0.5),
])
def test_core_table_identical_to_reference(counts, power):
    core = _core.AliasSampler(counts, power=power, seed=8)
    ref_threshold, ref_alias = tables.build_alias_table(counts, power)
    assert_array_equal(core.threshold, ref_threshold)
    assert_array_equal(core.alias, ref_alias)
    ref = reference.AliasSampler(counts, power=power, seed=8)
    assert_array_equal(core.sample(3000), ref.sample(3000))
    assert core.rng.state == ref.rng.state


def test_same_seed_same_draws_different_seed_different_draws():
    a = _core.AliasSampler(ZIPF, seed=1).sample(1000)
    b = _core.AliasSampler(ZIPF, seed=1).sample(1000)
    c = _core.AliasSampler(ZIPF, seed=2).sample(1000)
    assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_one_draw_per_sample():
    sampler = _core.AliasSampler(ZIPF, seed=4)
    rng = _core.Rng(4)
    sampler.sample(10)
    for _ in range(10):
        rng.next_u64()
    assert sampler.rng.state == rng.state


def test_sampler_tables_are_read_only():
    sampler = _core.AliasSampler(ZIPF)
    with pytest.raises(ValueError):
        sampler.threshold[0] = 1
