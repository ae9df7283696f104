"""The fast arithmetic (``fastw2v._core_avx512``: fused multiply-adds, 16-lane sums) against the
bitwise builds and the reference, within stated rounding bounds (docs/architecture.md, "What is
bitwise, and why"). u = 2**-24 is float32's unit roundoff, gamma(n) = n*u / (1 - n*u).

The bitwise builds keep their bit-for-bit tests (test_core_equivalence.py, test_kernel_builds.py,
...); these tests only say how far the fast build may be from them, and that it stays there."""
import math

import numpy as np
import pytest

from fastw2v import _core, reference, tables

try:
    from fastw2v import _core_avx512
except ImportError:
    _core_avx512 = None

pytestmark = pytest.mark.skipif(
    _core_avx512 is None or not _core.cpu_has_avx512(),
    reason="no AVX-512 build of the kernels (not x86-64, FASTW2V_NO_AVX512=1) or the CPU lacks AVX-512")

U = 2.0 ** -24
DIMS = [1, 7, 15, 16, 17, 31, 37, 100, 300, 301]   # every tail: none, masked, two accumulators


def gamma(n):
    return n * U / (1 - n * U)


def test_the_fast_build_is_the_fast_arithmetic():
    assert _core_avx512.BITWISE_ARITHMETIC is False and _core_avx512.MAY_FUSE_MULTIPLY_ADD is True
    assert _core_avx512.BUILT_FOR_AVX512 and not _core.BUILT_FOR_AVX512
    assert _core.BITWISE_ARITHMETIC is True


def test_dot_is_within_the_summation_bound_and_reads_nothing_past_the_end():
    # |fl(a.b) - a.b| <= gamma(n) * sum|a_i b_i| for any summation order, fused or not (Higham,
    # Accuracy and Stability, 3.1); products of float32 are exact in float64, so fsum gives a.b.
    rng = np.random.default_rng(0)
    differs = 0
    for n in list(range(1, 70)) + [100, 255, 300, 301, 1000]:
        for trial in range(4):
            buf = np.full((2, n + 16), np.nan, dtype=np.float32)   # NaN after the end: a read shows
            a, b = buf[0, :n], buf[1, :n]
            a[:] = rng.standard_normal(n)
            b[:] = rng.standard_normal(n) if trial % 2 else a * rng.uniform(-1, 1, n)  # cancellation
            exact = math.fsum(float(x) * float(y) for x, y in zip(a, b))
            scale = float(np.abs(a.astype(np.float64) * b).sum())
            fast = float(_core_avx512.dot32(a, b))
            assert abs(fast - exact) <= gamma(n) * scale, (n, trial)
            assert abs(float(_core.dot32(a, b)) - exact) <= gamma(n) * scale   # the bound is not loose
            differs += fast != float(_core.dot32(a, b))
    assert differs > 0     # some sums really are ordered differently (else this file tests nothing)


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _step_bound(h, rows, labels, lr, h_err=0.0):
    """Per-element bounds on |fast - reference| after one step whose targets ``rows`` (k, D) are
    distinct and trained against ``h`` (D,) (float64 copies of the values before the step), where the
    two sides' h differ by at most ``h_err`` (D,) (CBOW's mean; 0 when h is an input row):

    * f_t = h.r_t: each side is within gamma(D) S_t of its exact value, S_t = sum_i |h_i r_ti|, and
      the exact values differ by at most E_t = sum_i h_err_i |r_ti|;
    * g_t = (label - sigmoid(f_t)) lr: sigmoid is 1/4-Lipschitz, and each side rounds g_t to float32
      once: dg_t = lr (2 gamma(D) S_t + E_t) / 4 + 2u |g_t|;
    * r_t + g_t h: the reference rounds the product and the sum, the fast build once (FMA):
      dg_t |h_j| + G_t h_err_j + 4u (|r_tj| + G_t |h_j|), G_t = |g_t| + dg_t;
    * neu1e = sum_t g_t r_t (k terms from 0): sum_t dg_t |r_tj| + 2 gamma(k) sum_t G_t |r_tj|;
    * an input row x += neu1e: that bound + 4u (|x_j| + sum_t G_t |r_tj|) (with x = the row).

    Returns (bound of each target row (k, D), bound of neu1e (D,), sum_t G_t |r_t| (D,), loss bound).
    """
    D, k = h.shape[0], rows.shape[0]
    h_err = np.broadcast_to(np.asarray(h_err, dtype=np.float64), h.shape)
    S = np.abs(rows) @ np.abs(h)
    E = np.abs(rows) @ h_err
    g = (labels - _sigmoid(rows @ h)) * lr
    dg = lr * (2 * gamma(D) * S + E) / 4 + 2 * U * np.abs(g)
    G = np.abs(g) + dg
    target = (dg[:, None] * np.abs(h) + G[:, None] * h_err
              + 4 * U * (np.abs(rows) + G[:, None] * np.abs(h)))
    gr = (G[:, None] * np.abs(rows)).sum(0)
    neu1e = (dg[:, None] * np.abs(rows)).sum(0) + 2 * gamma(k) * gr
    loss = float((2 * gamma(D) * S + E).sum()) + 1e-12 * k   # log-sigmoid is 1-Lipschitz
    return target, neu1e, gr, loss


def _weights(rng, V, D):
    return [rng.normal(0, 1.5 / math.sqrt(D), (V, D)).astype(np.float32) for _ in range(2)]


@pytest.mark.parametrize("D", DIMS)
@pytest.mark.parametrize("kind", ["sgns", "cbow", "hs"])
def test_one_step_is_within_the_rounding_bound(kind, D):
    _check_one_step(kind, D, n_targets=6, n_context=4, trials=5)


@pytest.mark.parametrize("D", [7, 37, 300])
@pytest.mark.parametrize("size", [1, 2, 3, 4, 5, 7, 8, 9, 17])
@pytest.mark.parametrize("kind", ["sgns", "cbow"])
def test_every_group_size_is_within_the_rounding_bound(kind, size, D):
    # one compiled body per group size (1 to 8 rows): targets and CBOW contexts of every size
    _check_one_step(kind, D, n_targets=size, n_context=size, trials=2)


def _check_one_step(kind, D, n_targets, n_context, trials):
    rng = np.random.default_rng(D + 1000 * n_targets)
    V, lr = 40, 0.7
    k = n_targets
    for trial in range(trials):
        W_in, W_out = _weights(rng, V, D)
        picks = rng.permutation(V)
        if kind == "hs":
            ids = picks[:k]
            labels = rng.integers(0, 2, k).astype(np.float64)
            inputs, args = [int(picks[k])], (int(picks[k]), (1 - labels).astype(np.uint8), ids)
        else:                                   # the output word, then k - 1 distinct negatives
            ids, labels = picks[:k], np.array([1.0] + [0.0] * (k - 1))
            inputs = [int(picks[k])] if kind == "sgns" else [int(c) for c in picks[k:k + n_context]]
            args = (inputs[0] if kind == "sgns" else np.array(inputs), int(ids[0]), ids[1:])
        x = W_in[inputs].astype(np.float64)
        h = x.mean(0)
        # CBOW's mean: the reference adds the n rows and divides (n roundings), the fast build adds
        # each row times the rounded 1/n (one rounding for 1/n, n fused): both within
        # gamma(n + 1) sum_k |x_k| / n of the exact mean
        n = len(inputs)
        h_err = 0.0 if kind != "cbow" else 2 * gamma(n + 1) * np.abs(x).sum(0) / n
        target, neu1e, gr, loss_bound = _step_bound(h, W_out[ids].astype(np.float64), labels, lr,
                                                    h_err)
        before = (W_in.copy(), W_out.copy())
        results = []
        for module in (reference, _core_avx512):
            a, b = before[0].copy(), before[1].copy()
            step = {"sgns": module.sgns_step, "cbow": module.cbow_step, "hs": module.hs_step}[kind]
            results.append((a, b, step(a, b, *args, lr, exact_sigmoid=True)))
        (ra, rb, rl), (fa, fb, fl) = results
        assert (np.abs(fb[ids].astype(np.float64) - rb[ids]) <= target * 1.01).all(), (kind, D, trial)
        x = before[0][inputs].astype(np.float64)
        in_bound = neu1e + 4 * U * (np.abs(x) + gr)
        assert (np.abs(fa[inputs].astype(np.float64) - ra[inputs]) <= in_bound * 1.01).all()
        assert abs(fl - rl) <= loss_bound
        others = np.setdiff1d(np.arange(V), ids)            # nothing outside the targets is written
        np.testing.assert_array_equal(fb[others], before[1][others])
        np.testing.assert_array_equal(np.delete(fa, inputs, 0), np.delete(before[0], inputs, 0))


def _train(module, sg, hs, negative, batch_mode, D, exact, n_tokens=20_000, V=200, lr=0.025):
    rng = np.random.default_rng(0)
    counts = (1000 / np.arange(1, V + 1)).astype(np.int64) + 1
    W_in = (rng.random((V, D), dtype=np.float32) - 0.5) / D
    W_out = rng.normal(0, 0.1, (V, D)).astype(np.float32)
    W_hs = rng.normal(0, 0.1, (V - 1, D)).astype(np.float32)
    start = [W_in.copy(), W_out.copy(), W_hs.copy()]
    sampler = module.AliasSampler(counts, 0.75, 3)
    codes, points, offsets = module.build_huffman(counts)
    config = module.TrainConfig(W_in, W_out, W_hs, tables.keep_thresholds(counts, 1e-2),
                                sampler.threshold, sampler.alias, codes, points, offsets, sg=sg,
                                negative=negative, hs=hs, window=4, batch_mode=batch_mode,
                                exact_sigmoid=exact)
    tokens = rng.integers(0, V, n_tokens).astype(np.int32)
    r = module.Rng(11)
    kept, loss = module.train_batch(config, r, tokens, np.arange(0, n_tokens + 1, 500), lr, lr)
    return [W_in, W_out, W_hs], start, kept, loss, r.state


@pytest.mark.parametrize("D", [37, 300])
@pytest.mark.parametrize("exact", [True, False], ids=["exact-sigmoid", "table-sigmoid"])
@pytest.mark.parametrize("sg,hs,negative,batch_mode", [
    (1, 0, 5, "exact"), (1, 0, 5, "shared_negatives"), (0, 0, 5, "exact"), (1, 1, 0, "exact")])
def test_thousands_of_steps_stay_close_to_the_bitwise_build(sg, hs, negative, batch_mode, exact, D):
    """About 10^5 windows (20,000 tokens, window 4) over 200 words: every row is trained thousands
    of times. The random draws do not depend on the arithmetic, so both builds take the same steps;
    each step adds at most the per-step bound above (a few u relative to the update), and an old
    error is not amplified (lr |h|^2 / 4 << 1, so a step contracts differences), so the errors add
    like a walk over the ~10^4 updates of a row: with the exact sigmoid the difference stays below
    1e-5 of the change the training made (measured: <= 1.4e-6). With the sigmoid table a rounding
    difference that moves f across one of its 4096 bins changes g by a bin's step (about 1e-3
    relative), so the bound is 1e-3 (measured: <= 6.3e-5). Vectors keep their direction: cosine to
    the bitwise twin >= 1 - 1e-8 (exact) or 1 - 1e-6 (table)."""
    a, start, ka, la, sa = _train(_core, sg, hs, negative, batch_mode, D, exact)
    b, _, kb, lb, sb = _train(_core_avx512, sg, hs, negative, batch_mode, D, exact)
    assert ka == kb and sa == sb                    # the same draws, the same kept words
    rel, cos = (1e-5, 1e-8) if exact else (1e-3, 1e-6)
    assert abs(la - lb) <= rel * abs(la)
    trained = 0
    for x, y, s in zip(a, b, start):
        change = np.linalg.norm(x.astype(np.float64) - s)
        if change == 0:                             # the matrix this mode does not train
            np.testing.assert_array_equal(y, s)
            continue
        trained += 1
        assert np.linalg.norm(x.astype(np.float64) - y) <= rel * change
        x64, y64 = x.astype(np.float64), y.astype(np.float64)
        cosine = (x64 * y64).sum(1) / (np.linalg.norm(x64, axis=1) * np.linalg.norm(y64, axis=1))
        assert cosine.min() >= 1 - cos
    assert trained == 2
