"""The grouped-target kernels (dot products of a group first, then one update pass) against the
target-by-target NumPy reference: groups that fill up (more than 8 targets), repeated negatives (a
repeat must see its first occurrence's update, so it starts a new group), every tail length.

Bitwise assertions here compare the kernels with their reference twin: the same float32 operations
in the same order per element, no contraction (tests/test_kernel_builds.py), one process, so the
CPU cannot make the two sides differ.
"""
import numpy as np
import pytest
from numpy.testing import assert_array_equal

from fastw2v import _core, reference, tables

try:
    from fastw2v import _core_avx2
except ImportError:
    _core_avx2 = None

BUILDS = [_core] + ([_core_avx2] if _core_avx2 is not None and _core.cpu_has_avx2() else [])


def _weights(seed, rows, dim):
    return np.random.default_rng(seed).normal(0.0, 0.3, (rows, dim)).astype(np.float32)


@pytest.mark.parametrize("module", BUILDS, ids=lambda m: m.__name__.rsplit(".", 1)[-1])
@pytest.mark.parametrize("dim", [1, 7, 8, 13, 40, 300])
@pytest.mark.parametrize("negatives", [
    [3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20],   # 19 targets: 8 + 8 + 3
    [3, 3, 3, 4, 3],                                                     # repeats flush the group
    [5, 1, 5, 2, 6, 1, 9, 9],                                            # the output word among them
    [],
], ids=["many", "repeats", "mixed", "none"])
def test_sgns_groups_equal_the_reference(module, dim, negatives):
    V = 30
    core = [_weights(1, V, dim), _weights(2, V, dim)]
    ref = [w.copy() for w in core]
    for step in range(20):
        lr = 0.05 if step % 2 else 0.5           # large steps: a missed update would show at once
        loss_c = module.sgns_step(core[0], core[1], step % V, 5, negatives, lr, exact_sigmoid=False)
        loss_r = reference.sgns_step(ref[0], ref[1], step % V, 5, negatives, lr, exact_sigmoid=False)
        assert loss_c == pytest.approx(loss_r, rel=1e-12)
    assert_array_equal(core[0], ref[0])
    assert_array_equal(core[1], ref[1])
    assert not np.array_equal(core[1], _weights(2, V, dim))   # the steps did train


@pytest.mark.parametrize("module", BUILDS, ids=lambda m: m.__name__.rsplit(".", 1)[-1])
@pytest.mark.parametrize("dim", [5, 64])
def test_long_huffman_paths_and_cbow_equal_the_reference(module, dim):
    V = 300
    counts = (np.arange(V, 0, -1) ** 3).astype(np.int64)   # a steep Zipf: paths up to ~20 nodes
    codes, points, offsets = reference.build_huffman(counts)
    assert np.diff(offsets).max() > 16                     # some paths fill two groups
    core = [_weights(3, V, dim), _weights(4, V - 1, dim), _weights(5, V, dim)]
    ref = [w.copy() for w in core]
    rng = np.random.default_rng(0)
    for _ in range(200):
        i, o = rng.integers(V, size=2)
        a, b = offsets[o], offsets[o + 1]
        module.hs_step(core[0], core[1], i, codes[a:b], points[a:b], 0.3, exact_sigmoid=True)
        reference.hs_step(ref[0], ref[1], i, codes[a:b], points[a:b], 0.3, exact_sigmoid=True)
        context = rng.integers(V, size=4)
        negs = rng.integers(0, 3, size=12)                 # few distinct ids: many repeats
        module.cbow_step(core[0], core[2], context, o, negs, 0.3)
        reference.cbow_step(ref[0], ref[2], context, o, negs, 0.3)
    for a, b in zip(core, ref):
        assert_array_equal(a, b)


def test_weights_that_share_memory_are_refused():
    W = _weights(6, 20, 8)
    with pytest.raises(ValueError, match="W_out must not share memory with W_in"):
        _core.sgns_step(W, W, 0, 1, [2], 0.1)
    with pytest.raises(ValueError, match="W_out must not share memory with W_in"):
        _core.cbow_step(W[:10], W[5:15], [0], 1, [2], 0.1)
    before = W.copy()
    counts = np.full(20, 5, dtype=np.int64)
    sampler = _core.AliasSampler(counts)
    with pytest.raises(ValueError, match="W_out must not share memory with W_in"):
        _core.TrainConfig(W, W, None, tables.keep_thresholds(counts, 0), sampler.threshold,
                          sampler.alias, None, None, None, sg=1, negative=2, hs=False, window=2)
    assert_array_equal(W, before)
    halves = np.zeros((40, 8), np.float32)                 # disjoint halves of one buffer are fine
    _core.sgns_step(halves[:20], halves[20:], 0, 1, [2], 0.1)


@pytest.mark.parametrize("module", BUILDS, ids=lambda m: m.__name__.rsplit(".", 1)[-1])
@pytest.mark.parametrize("dim", [3, 37])
def test_every_group_size_equals_the_reference(module, dim):
    # The kernels compile one body per group size (1 to FW_GROUP rows): each size is exercised by
    # 0-16 distinct negatives (groups of 1-8 targets, then 8 + the rest) and CBOW contexts of 1-17
    # words (sums and context updates of 1-8 rows, then 8 + the rest).
    V = 40
    core = [_weights(6, V, dim), _weights(7, V, dim)]
    ref = [w.copy() for w in core]
    for k in range(17):
        negatives = np.arange(1, 1 + k)                    # distinct, never the output word 0
        module.sgns_step(core[0], core[1], 20, 0, negatives, 0.4, exact_sigmoid=False)
        reference.sgns_step(ref[0], ref[1], 20, 0, negatives, 0.4, exact_sigmoid=False)
        context = np.arange(20, 21 + k)                    # k + 1 words
        module.cbow_step(core[0], core[1], context, 0, negatives[:5], 0.4)
        reference.cbow_step(ref[0], ref[1], context, 0, negatives[:5], 0.4)
        assert_array_equal(core[0], ref[0])
        assert_array_equal(core[1], ref[1])
    assert not np.array_equal(core[0], _weights(6, V, dim))
