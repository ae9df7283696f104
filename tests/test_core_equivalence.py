"""Equivalence tests: every _core kernel against its NumPy twin in fastw2v.reference, fed the same
inputs and the same random draws (negatives are given to the step functions; train_batch consumes one
Rng stream in the documented order)."""
import heapq
import itertools

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from fastw2v import _core, reference, tables

V, D, STEPS, LR = 50, 16, 1000, 0.05


def assert_same_floats(core, ref):
    """Bit for bit. CPU-independent by construction: both sides do the same float32/float64 operations
    (+ - * / sqrt, correctly rounded on every IEEE-754 CPU) in the same order (eight-lane dot32),
    no build fuses multiply-adds (setup.py: -ffp-contract=off; tests/test_kernel_builds.py checks),
    and the transcendentals come from one place per process: the sigmoid tables are built once in
    Python and shared, and the exact mode calls the same libm exp/log1p (C's in _core, math's in
    the reference), whichever variant libm picked for this CPU."""
    assert_array_equal(core, ref)


def _weights(seed, rows=V, dim=D):
    rng = np.random.default_rng(seed)
    return rng.normal(0.0, 0.5, (rows, dim)).astype(np.float32)


def _pair_of_copies(*arrays):
    return [a.copy() for a in arrays], [a.copy() for a in arrays]


def _run_sgns(W_in, W_out, exact, mod, seed=0, steps=STEPS):
    rng = np.random.default_rng(seed)
    losses = []
    for _ in range(steps):
        i, o = rng.integers(V, size=2)
        negatives = rng.integers(V, size=5)
        losses.append(mod.sgns_step(W_in, W_out, i, o, negatives, LR, exact_sigmoid=exact))
    return np.array(losses)


def _run_cbow(W_in, W_out, exact, mean, mod, seed=0, steps=STEPS):
    rng = np.random.default_rng(seed)
    losses = []
    for _ in range(steps):
        context = rng.integers(V, size=rng.integers(0, 7))          # empty contexts included
        o = rng.integers(V)
        negatives = rng.integers(V, size=5)
        losses.append(mod.cbow_step(W_in, W_out, context, o, negatives, LR, cbow_mean=mean,
                                    exact_sigmoid=exact))
    return np.array(losses)


def _run_hs(W_in, W_hs, exact, mod, seed=0, steps=STEPS):
    codes, points, offsets = reference.build_huffman(np.arange(V, 0, -1) ** 2)
    rng = np.random.default_rng(seed)
    losses = []
    for _ in range(steps):
        i, o = rng.integers(V, size=2)
        a, b = offsets[o], offsets[o + 1]
        losses.append(mod.hs_step(W_in, W_hs, i, codes[a:b], points[a:b], LR, exact_sigmoid=exact))
    return np.array(losses)


RUNS = {
    "sgns": lambda W, exact, mod: _run_sgns(W[0], W[1], exact, mod),
    "cbow_mean": lambda W, exact, mod: _run_cbow(W[0], W[1], exact, True, mod),
    "cbow_sum": lambda W, exact, mod: _run_cbow(W[0], W[1], exact, False, mod),
    "hs": lambda W, exact, mod: _run_hs(W[0], W[1], exact, mod),
}


def _start(kind):
    return _weights(1), _weights(2, rows=V - 1 if kind == "hs" else V)


@pytest.mark.parametrize("exact", [True, False], ids=["exact_sigmoid", "table_sigmoid"])
@pytest.mark.parametrize("kind", sorted(RUNS))
def test_step_functions_match_reference(kind, exact):
    # same float32 operations in the same order (eight-lane dot); with the table, the same bins
    core, ref = _pair_of_copies(*_start(kind))
    loss_core = RUNS[kind](core, exact, _core)
    loss_ref = RUNS[kind](ref, exact, reference)
    for a, b in zip(core, ref):
        assert_allclose(a, b, rtol=1e-5, atol=1e-6)
        assert_same_floats(a, b)
    assert_allclose(loss_core, loss_ref, rtol=1e-6, atol=1e-9)
    # the runs did move the weights (a no-op kernel would trivially "match")
    assert np.abs(core[0] - _start(kind)[0]).max() > 0.05


@pytest.mark.parametrize("dim", [1, 7, 8, 13, 16, 100])
def test_dot32_order_matches_reference(dim):
    rng = np.random.default_rng(dim)
    a, b = rng.normal(size=(2, dim)).astype(np.float32)
    assert_same_floats(_core.dot32(a, b), reference.dot32(a, b))
    assert_allclose(reference.dot32(a, b), np.dot(a.astype(np.float64), b), rtol=1e-5, atol=1e-6)


def test_table_mode_within_bound_of_exact_for_one_step():
    """One sgns step, table vs exact sigmoid: each of the 1 + k gradients differs by at most
    lr * SIGMOID_MAX_ABS_ERROR (plus float32 rounding), each loss term by LOG_SIGMOID_MAX_ABS_ERROR."""
    negatives = np.array([3, 7, 11, 19, 23])
    W_in, W_out = _weights(5), _weights(6)
    (ti, to), (ei, eo) = _pair_of_copies(W_in, W_out)
    loss_t = _core.sgns_step(ti, to, 2, 40, negatives, LR, exact_sigmoid=False)
    loss_e = _core.sgns_step(ei, eo, 2, 40, negatives, LR, exact_sigmoid=True)
    n_targets = 1 + len(negatives)
    bound_in = n_targets * LR * tables.SIGMOID_MAX_ABS_ERROR * np.abs(W_out).max() + 1e-6
    bound_out = LR * tables.SIGMOID_MAX_ABS_ERROR * np.abs(W_in).max() + 1e-6
    assert np.abs(ti - ei).max() <= bound_in
    assert np.abs(to - eo).max() <= bound_out
    assert abs(loss_t - loss_e) <= n_targets * tables.LOG_SIGMOID_MAX_ABS_ERROR
    assert np.abs(ti - ei).max() > 0      # the modes do differ


def test_sgns_skips_negatives_equal_to_the_target():
    W = _pair_of_copies(_weights(3), _weights(4))
    base_in, base_out = W[0]
    with_dup_in, with_dup_out = W[1]
    l1 = _core.sgns_step(base_in, base_out, 1, 5, [9], LR)
    l2 = _core.sgns_step(with_dup_in, with_dup_out, 1, 5, [5, 9, 5], LR)
    assert l1 == l2
    assert_array_equal(base_in, with_dup_in)
    assert_array_equal(base_out, with_dup_out)


def test_cbow_duplicates_get_the_update_twice_and_empty_context_is_a_no_op():
    W_in, W_out = _weights(8), _weights(9)
    before = W_in.copy()
    assert _core.cbow_step(W_in, W_out, [], 3, [1, 2], LR) == 0.0
    assert_array_equal(W_in, before)
    _core.cbow_step(W_in, W_out, [4, 4, 6], 3, [1, 2], LR)
    assert_allclose(W_in[4] - before[4], 2 * (W_in[6] - before[6]), rtol=1e-5, atol=1e-7)


# ----------------------------------------------------------------------------- Huffman

COUNT_CASES = {
    "zipf": (1000 / np.arange(1, 60)).astype(np.int64),
    "ties": np.array([5, 5, 5, 5, 1, 1, 9, 9, 0, 0]),
    "unsorted": np.random.default_rng(3).integers(0, 100, size=37),
    "two": np.array([1, 3]),
    "fibonacci": np.array([1, 1, 2, 3, 5, 8, 13, 21, 34, 55]),
}


def _optimal_cost(counts):
    heap = [int(c) for c in counts]
    heapq.heapify(heap)
    cost = 0
    while len(heap) > 1:
        merged = heapq.heappop(heap) + heapq.heappop(heap)
        cost += merged
        heapq.heappush(heap, merged)
    return cost


@pytest.mark.parametrize("name", sorted(COUNT_CASES))
def test_build_huffman_identical_prefix_free_and_optimal(name):
    counts = COUNT_CASES[name]
    core = _core.build_huffman(counts)
    ref = reference.build_huffman(counts)
    for a, b in zip(core, ref):
        assert_array_equal(a, b)
        assert a.dtype == b.dtype
    codes, points, offsets = core
    assert codes.dtype == np.uint8 and points.dtype == np.int32 and offsets.dtype == np.int64
    n = len(counts)
    assert offsets[0] == 0 and offsets[-1] == len(codes) and np.all(np.diff(offsets) >= 1)
    assert points.min() >= 0 and points.max() == n - 2
    words = ["".join(map(str, codes[offsets[w]:offsets[w + 1]])) for w in range(n)]
    lengths = np.diff(offsets)
    for w in range(n):
        assert points[offsets[w]] == n - 2                     # every path starts at the root
        for u in range(n):
            if u != w:
                assert not words[u].startswith(words[w])       # prefix-free
    for w, u in itertools.product(range(n), repeat=2):
        if counts[w] > counts[u]:
            assert lengths[w] <= lengths[u]                    # more frequent -> not longer
    assert sum(2.0 ** -lengths) == pytest.approx(1.0)          # a full binary tree
    assert int((counts * lengths).sum()) == _optimal_cost(counts)


def test_build_huffman_one_word_and_path_consistency():
    codes, points, offsets = _core.build_huffman([7])
    assert len(codes) == len(points) == 0
    assert_array_equal(offsets, [0, 0])
    # the same inner node seen on two paths is reached through the same prefix
    codes, points, offsets = _core.build_huffman(COUNT_CASES["zipf"])
    prefix_of = {}
    for w in range(len(offsets) - 1):
        a = offsets[w]
        for k in range(offsets[w + 1] - a):
            key = tuple(codes[a:a + k])
            assert prefix_of.setdefault(int(points[a + k]), key) == key


# ----------------------------------------------------------------------------- train_batch

def _corpus(seed=0, n_sentences=12):
    rng = np.random.default_rng(seed)
    counts = np.sort(rng.integers(1, 400, size=30))[::-1].astype(np.int64)
    p = counts / counts.sum()
    sentences = [rng.choice(len(counts), size=rng.integers(0, 40), p=p) for _ in range(n_sentences)]
    tokens = np.concatenate(sentences).astype(np.int32)
    offsets = np.concatenate([[0], np.cumsum([len(s) for s in sentences])]).astype(np.int64)
    return counts, tokens, offsets


def _configs(counts, mode, dim=12, **settings):
    n = len(counts)
    W = [_weights(10, n, dim), _weights(11, n, dim), _weights(12, n - 1, dim)]
    keep = tables.keep_thresholds(counts, 5e-3)
    sampler = _core.AliasSampler(counts, power=0.75)
    codes, points, offsets = _core.build_huffman(counts)
    arrays = [keep, sampler.threshold, sampler.alias, codes, points, offsets]
    negative, hs = {"ns": (4, False), "hs": (0, True), "both": (3, True)}[mode]
    kw = dict(negative=negative, hs=hs, window=3)
    kw.update(settings)
    core_w, ref_w = _pair_of_copies(*W)
    core = _core.TrainConfig(*core_w, *arrays, **kw)
    ref = reference.TrainConfig(*ref_w, *arrays, **kw)
    return core, ref, core_w, ref_w


BATCH_CASES = [dict(sg=sg, mode=mode) for sg, mode in itertools.product([1, 0], ["ns", "hs", "both"])]


@pytest.mark.parametrize("case", BATCH_CASES, ids=lambda c: f"{'sg' if c['sg'] else 'cbow'}-{c['mode']}")
def test_train_batch_matches_reference_exact_sigmoid(case):
    counts, tokens, offsets = _corpus()
    core, ref, core_w, ref_w = _configs(counts, case["mode"], sg=case["sg"], exact_sigmoid=True,
                                        shrink_windows=True, cbow_mean=True)
    rng_core, rng_ref = _core.Rng(77), reference.Rng(77)
    kept_c, loss_c = _core.train_batch(core, rng_core, tokens, offsets, 0.05, 0.01)
    kept_r, loss_r = reference.train_batch(ref, rng_ref, tokens, offsets, 0.05, 0.01)
    assert kept_c == kept_r
    assert 0 < kept_c < len(tokens)                         # subsampling did drop words
    assert rng_core.state == rng_ref.state
    for a, b in zip(core_w, ref_w):
        assert_allclose(a, b, rtol=1e-5, atol=1e-6)
        assert_same_floats(a, b)
    assert loss_c == pytest.approx(loss_r, rel=1e-6)
    assert loss_c > 0


@pytest.mark.parametrize("settings", [
    dict(sg=1, exact_sigmoid=False, shrink_windows=False),
    dict(sg=0, exact_sigmoid=False, cbow_mean=False),
    dict(sg=1, exact_sigmoid=True, batch_mode="shared_negatives"),
    dict(sg=0, exact_sigmoid=True, batch_mode="shared_negatives"),
], ids=["sg-table-fixed-window", "cbow-sum-table", "sg-shared-negatives", "cbow-shared-negatives"])
def test_train_batch_matches_reference_other_settings(settings):
    counts, tokens, offsets = _corpus(seed=1)
    core, ref, core_w, ref_w = _configs(counts, "both", **settings)
    rng_core, rng_ref = _core.Rng(5), reference.Rng(5)
    out_c = _core.train_batch(core, rng_core, tokens, offsets, 0.04, 0.04)
    out_r = reference.train_batch(ref, rng_ref, tokens, offsets, 0.04, 0.04)
    assert out_c[0] == out_r[0]
    assert rng_core.state == rng_ref.state
    for a, b in zip(core_w, ref_w):
        assert_same_floats(a, b)
    assert out_c[1] == pytest.approx(out_r[1], rel=1e-6)


@pytest.mark.parametrize("settings", [
    dict(sg=1, batch_mode="shared_negatives"), dict(sg=1), dict(sg=0), dict(sg=0, cbow_mean=False),
], ids=["sg-shared-negatives", "sg", "cbow-mean", "cbow-sum"])
def test_train_batch_matches_reference_with_groups_wider_than_fw_group(settings):
    """Windows of 7 (up to 14 context rows) and 10 negatives: the kernels' row groups (at most
    FW_GROUP = 8 rows per pass) split; 30 words, so context words repeat; dim 43 = 2 x 16 + 8 + 3
    takes this build's two-chain loop, its one-vector loop and a scalar remainder (the fast build's
    loops: tests/test_fast_arithmetic.py at dim 300)."""
    counts, tokens, offsets = _corpus(seed=3, n_sentences=20)
    core, ref, core_w, ref_w = _configs(counts, "ns", dim=43, negative=10, window=7,
                                        shrink_windows=False, exact_sigmoid=True, **settings)
    rng_core, rng_ref = _core.Rng(9), reference.Rng(9)
    out_c = _core.train_batch(core, rng_core, tokens, offsets, 0.05, 0.01)
    out_r = reference.train_batch(ref, rng_ref, tokens, offsets, 0.05, 0.01)
    assert out_c[0] == out_r[0] > 0
    assert rng_core.state == rng_ref.state
    for a, b, seed in zip(core_w[:2], ref_w, (10, 11)):    # W_in, W_out (no HS here)
        assert not np.array_equal(a, _weights(seed, len(counts), 43))    # trained
        assert_same_floats(a, b)
    assert out_c[1] == pytest.approx(out_r[1], rel=1e-6)


def test_train_batch_draw_count_without_subsampling_or_shrinking():
    """sample=0 and fixed windows: skip-gram NS draws exactly `negative` per (context, centre) pair."""
    counts = np.full(10, 5, dtype=np.int64)
    W_in, W_out = _weights(1, 10, 8), _weights(2, 10, 8)
    sampler = _core.AliasSampler(counts)
    config = _core.TrainConfig(W_in, W_out, None, tables.keep_thresholds(counts, 0.0), sampler.threshold,
                               sampler.alias, None, None, None, sg=1, negative=3, hs=False, window=2,
                               shrink_windows=False)
    tokens = np.arange(6, dtype=np.int32)          # one sentence of 6: 2*(2+3)+2*4 = 18 pairs
    rng = _core.Rng(1)
    kept, _ = _core.train_batch(config, rng, tokens, np.array([0, 6], dtype=np.int64), 0.01, 0.01)
    expected = _core.Rng(1)
    for _ in range(18 * 3):
        expected.next_u64()
    assert kept == 6 and rng.state == expected.state


def test_train_batch_accepts_a_core_config_in_the_reference():
    counts, tokens, offsets = _corpus(seed=2)
    core, _, core_w, _ = _configs(counts, "ns", sg=1, exact_sigmoid=True)
    W_copy = [w.copy() for w in core_w]
    core_copy = _core.TrainConfig(*W_copy, core.keep_threshold, core.alias_threshold, core.alias_index,
                                  core.hs_codes, core.hs_points, core.hs_offsets, sg=1, negative=4,
                                  hs=False, window=3, exact_sigmoid=True)
    out_c = _core.train_batch(core, _core.Rng(3), tokens, offsets, 0.03, 0.0)
    out_r = reference.train_batch(core_copy, reference.Rng(3), tokens, offsets, 0.03, 0.0)
    assert out_c[0] == out_r[0]
    for a, b in zip(core_w, W_copy):
        assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_train_batch_learning_rate_schedule_per_sentence():
    """alpha_start/alpha_end interpolate by offsets[s] / len(tokens): a batch whose second half is
    trained at alpha 0 leaves the weights exactly as training only the first half does."""
    counts = np.full(8, 5, dtype=np.int64)
    tokens = np.array([0, 1, 2, 3, 4, 5, 6, 7], dtype=np.int32)
    results = []
    for tok, off, a1 in [(tokens, [0, 4, 8], -0.1), (tokens[:4], [0, 4], 0.1)]:
        W_in, W_hs = _weights(1, 8, 4), _weights(2, 7, 4)
        codes, points, offsets = _core.build_huffman(counts)
        config = _core.TrainConfig(W_in, None, W_hs, tables.keep_thresholds(counts, 0), None, None, codes,
                                   points, offsets, sg=1, negative=0, hs=True, window=2)
        _core.train_batch(config, _core.Rng(0), tok, np.array(off, dtype=np.int64), 0.1, a1)
        results.append((W_in, W_hs))
    assert_array_equal(results[0][0], results[1][0])
    assert_array_equal(results[0][1], results[1][1])
