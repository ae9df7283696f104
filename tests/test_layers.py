"""Unit tests of fastw2v.layers: the NumPy layers of the design notes.

Gradient checks use central differences in float64; every random input comes from a fixed seed.
"""
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy import stats

from fastw2v import layers
from fastw2v.layers import (
    CBOW,
    SGD,
    Adam,
    Embedding,
    EmbeddingDot,
    NegativeSamplingLoss,
    SigmoidWithLoss,
    SkipGram,
    UnigramSampler,
    create_contexts_target,
    embedding_backward,
    embedding_forward,
    train,
)


def numerical_grad(f, x, eps=1e-6):
    """Central-difference gradient of the scalar f() with respect to the array x (mutated, restored)."""
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + eps
        fp = f()
        x[i] = old - eps
        fm = f()
        x[i] = old
        grad[i] = (fp - fm) / (2 * eps)
    return grad


def check_close(analytic, numeric):
    assert_allclose(analytic, numeric, rtol=1e-5, atol=1e-8)


# ----------------------------------------------------------------------------------------------- API


def test_all_is_exactly_the_public_api():
    public = {n for n in dir(layers) if not n.startswith("_")} - {"math", "np", "numbers"}
    assert set(layers.__all__) == public
    assert len(layers.__all__) == len(set(layers.__all__))


def test_import_needs_no_compiled_extension():
    code = "import sys, fastw2v.layers; assert 'fastw2v._core' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=str(Path(__file__).parents[1]))


# ------------------------------------------------------------------------------- embedding ops


@pytest.mark.parametrize("shape", [(), (4,), (2, 3, 4)])
def test_forward_gathers_any_index_shape(shape):
    rng = np.random.default_rng(0)
    W = rng.standard_normal((7, 3))
    idx = rng.integers(0, 7, size=shape)
    out = embedding_forward(W, idx)
    assert out.shape == shape + (3,)
    for pos in np.ndindex(shape):
        assert_array_equal(out[pos], W[idx[pos]])
    out[...] = 99.0  # a new array, not a view of W
    assert not np.any(W == 99.0)


def test_backward_duplicates_accumulate_like_a_loop():
    # guards the classic bug dW[idx] = dout / dW[idx] += dout, which keeps one duplicate only
    rng = np.random.default_rng(1)
    V, D = 5, 3
    idx = rng.integers(0, V, size=(3, 4, 2))  # 24 positions over 5 rows: many duplicates
    dout = rng.standard_normal(idx.shape + (D,))
    dW = rng.standard_normal((V, D))
    expected = dW.copy()
    for pos in np.ndindex(idx.shape):
        expected[idx[pos]] += dout[pos]
    embedding_backward(dW, idx, dout)
    assert_allclose(dW, expected, rtol=1e-13)


def test_backward_zero_d_index():
    dW = np.zeros((4, 2))
    embedding_backward(dW, np.int64(2), np.array([1.0, -2.0]))
    assert_array_equal(dW[2], [1.0, -2.0])
    assert_array_equal(dW[[0, 1, 3]], 0.0)


@pytest.mark.parametrize("padding_idx, row", [(2, 2), (-1, 5)])
def test_padding_row_gets_no_gradient_and_stays_put(padding_idx, row):
    rng = np.random.default_rng(2)
    W = rng.standard_normal((6, 3))
    W0 = W.copy()
    layer = Embedding(W, padding_idx=padding_idx)
    assert layer.padding_idx == row  # negative padding_idx normalised like torch
    idx = np.array([[row, 0, row], [1, row, 1]])
    out = layer.forward(idx)
    assert_array_equal(out[0, 0], W0[row])  # the forward pass gathers the padding row as is
    dout = rng.standard_normal(out.shape)
    layer.backward(dout)
    dW = layer.grads[0]
    assert_array_equal(dW[row], 0.0)
    expected = np.zeros_like(W)
    for pos in np.ndindex(idx.shape):
        if idx[pos] != row:
            expected[idx[pos]] += dout[pos]
    assert_allclose(dW, expected, rtol=1e-13)
    SGD(lr=0.5).update(layer.params, layer.grads)
    assert_array_equal(W[row], W0[row])
    assert not np.allclose(W[0], W0[0])


def test_embedding_layer_grad_is_overwritten_not_accumulated():
    rng = np.random.default_rng(3)
    layer = Embedding(rng.standard_normal((4, 2)))
    idx = np.array([0, 0, 3])
    dout = rng.standard_normal((3, 2))
    layer.forward(idx)
    layer.backward(dout)
    first = layer.grads[0].copy()
    layer.backward(dout)
    assert_array_equal(layer.grads[0], first)
    assert_allclose(first[0], dout[0] + dout[1])


def test_embedding_grad_check():
    rng = np.random.default_rng(4)
    W = rng.standard_normal((5, 3))
    idx = np.array([[0, 4, 0], [2, 2, 0]])
    R = rng.standard_normal(idx.shape + (3,))
    layer = Embedding(W)
    layer.forward(idx)
    layer.backward(R)
    num = numerical_grad(lambda: float(np.sum(layer.forward(idx) * R)), W)
    check_close(layer.grads[0], num)
    assert np.any(num != 0)


# ----------------------------------------------------------------------------------- max_norm


def _w():
    return np.array([[3.0, 4.0], [0.3, 0.4], [1.0, 0.0], [6.0, 8.0], [-2.0, 2.0]])


def test_max_norm_p2_by_hand():
    W = _w()
    out = embedding_forward(W, np.array([0, 1, 2, 0]), max_norm=1.0)
    assert_array_equal(W[0], np.array([3.0, 4.0]) * (1.0 / (5.0 + 1e-7)))  # norm 5 > 1: rescaled
    assert_array_equal(W[1], [0.3, 0.4])  # norm 0.5 < 1: untouched
    assert_array_equal(W[2], [1.0, 0.0])  # norm exactly 1 (not strictly above): untouched
    assert_array_equal(W[3], [6.0, 8.0])  # above the norm but not looked up: untouched
    assert_array_equal(out, W[[0, 1, 2, 0]])
    assert np.linalg.norm(W[0]) < 1.0


def test_max_norm_p1_by_hand():
    W = _w()
    embedding_forward(W, np.array([[4], [0]]), max_norm=2.0, norm_type=1)
    assert_array_equal(W[0], np.array([3.0, 4.0]) * (2.0 / (7.0 + 1e-7)))
    assert_array_equal(W[4], np.array([-2.0, 2.0]) * (2.0 / (4.0 + 1e-7)))
    assert_array_equal(W[1:4], _w()[1:4])


def test_max_norm_inf_by_hand():
    W = _w()
    embedding_forward(W, [3], max_norm=4.0, norm_type=float("inf"))
    assert_array_equal(W[3], np.array([6.0, 8.0]) * (4.0 / (8.0 + 1e-7)))


def test_max_norm_duplicates_renormalised_once():
    # a per-occurrence rescale (np.multiply.at) would apply the factor three times
    W = _w()
    scale = 0.5 / (5.0 + 1e-7)
    out = embedding_forward(W, np.array([0, 0, 0]), max_norm=0.5)
    assert_array_equal(W[0], np.array([3.0, 4.0]) * scale)
    assert_array_equal(out, np.tile(W[0], (3, 1)))


@pytest.mark.parametrize("norm_type", [0.5, 1.0, 2.0, 3.0, float("inf")])
def test_row_norm_is_the_sequential_libm_sum(norm_type):
    # Bitwise on every CPU: both sides sum left to right in float64 with correctly rounded + * sqrt,
    # and for other p both call the same libm pow (math.pow here, layers._pow through math.pow too),
    # never NumPy's power, whose AVX-512 code path differs from libm's in the last bit (issue 15).
    rows = np.random.default_rng(14).standard_normal((50, 37)) * 3
    expected = []
    for row in rows:
        if norm_type == float("inf"):
            expected.append(max(abs(v) for v in row))
            continue
        acc = 0.0
        for v in row:
            if norm_type == 1.0:
                acc += abs(v)
            else:
                acc += v * v if norm_type == 2.0 else math.pow(abs(v), norm_type)
        expected.append(acc if norm_type == 1.0 else
                        math.sqrt(acc) if norm_type == 2.0 else math.pow(acc, 1.0 / norm_type))
    assert_array_equal(layers._row_norms(rows, norm_type), expected)


def test_max_norm_keeps_float32():
    W = _w().astype(np.float32)
    out = embedding_forward(W, [0], max_norm=1.0)
    assert W.dtype == out.dtype == np.float32
    assert_allclose(W[0], [0.6, 0.8], rtol=1e-6)


def test_max_norm_needs_writeable_weights():
    W = _w()
    W.flags.writeable = False
    with pytest.raises(ValueError, match="W"):
        embedding_forward(W, [0], max_norm=1.0)


@pytest.mark.parametrize("dtype, rtol", [(np.float64, 1e-12), (np.float32, 1e-6)])
@pytest.mark.parametrize("norm_type", [1.0, 2.0, 3.0, float("inf")])
@pytest.mark.parametrize("padding_idx", [None, 3, -1])
def test_embedding_matches_torch(dtype, rtol, norm_type, padding_idx):
    torch = pytest.importorskip("torch", reason="torch not installed: torch parity test skipped")
    rng = np.random.default_rng(5)
    V, D, max_norm = 9, 4, 1.5
    # rows with norms well above and well below max_norm, so both branches of the renorm run
    W = rng.standard_normal((V, D))
    W *= (np.array([0.5, 2.5, 1.0, 3.0, 0.2, 2.0, 0.7, 4.0, 1.2]) / layers._row_norms(W, norm_type))[:, None]
    W = W.astype(dtype)
    idx = np.array([[0, 3, 3, 8], [5, 0, 8, 1]])
    R = rng.standard_normal(idx.shape + (D,)).astype(dtype)

    emb = torch.nn.Embedding(V, D, padding_idx=padding_idx, max_norm=max_norm, norm_type=norm_type,
                             dtype=getattr(torch, np.dtype(dtype).name))
    with torch.no_grad():
        emb.weight.copy_(torch.from_numpy(W.copy()))
    t_out = emb(torch.from_numpy(idx))
    t_out.backward(torch.from_numpy(R))

    norms = layers._row_norms(W[np.unique(idx)], norm_type)
    assert np.any(norms > max_norm + 0.1) and np.any(norms < max_norm - 0.1)  # both cases occur
    layer = Embedding(W, padding_idx=padding_idx, max_norm=max_norm, norm_type=norm_type)
    out = layer.forward(idx)
    layer.backward(R)

    assert_allclose(out, t_out.detach().numpy(), rtol=rtol)
    assert_allclose(W, emb.weight.detach().numpy(), rtol=rtol)
    assert_allclose(layer.grads[0], emb.weight.grad.numpy(), rtol=rtol)


# --------------------------------------------------------------------- EmbeddingDot and losses


@pytest.mark.parametrize("idx_shape", [(4,), (4, 3)])
def test_embedding_dot_grad_check(idx_shape):
    rng = np.random.default_rng(6)
    W = rng.standard_normal((6, 3))
    h = rng.standard_normal((4, 3))
    idx = rng.integers(0, 6, size=idx_shape)
    idx.reshape(-1)[:2] = 1  # at least one duplicate
    R = rng.standard_normal(idx_shape)
    layer = EmbeddingDot(W)
    out = layer.forward(h, idx)
    assert out.shape == idx_shape
    assert_allclose(out[0] if out.ndim == 1 else out[0, 0], h[0] @ W[idx.reshape(4, -1)[0, 0]])
    dh = layer.backward(R)
    f = lambda: float(np.sum(layer.forward(h, idx) * R))  # noqa: E731
    check_close(layer.grads[0], numerical_grad(f, W))
    check_close(dh, numerical_grad(f, h))


def test_sigmoid_with_loss_grad_check():
    rng = np.random.default_rng(7)
    x = rng.standard_normal((5, 3)) * 4
    x[0, 0], x[1, 1] = 40.0, -40.0
    t = rng.integers(0, 2, size=x.shape).astype(float)
    layer = SigmoidWithLoss()
    layer.forward(x, t)
    dx = layer.backward(1.0)
    check_close(dx, numerical_grad(lambda: layer.forward(x, t), x))


def test_sigmoid_with_loss_values_and_stability():
    layer = SigmoidWithLoss()
    x = np.array([0.5, -1.2, 3.0])
    t = np.array([1.0, 0.0, 0.0])
    s = 1 / (1 + np.exp(-x))
    naive = -(t * np.log(s) + (1 - t) * np.log(1 - s))
    assert_allclose(layer.forward(x, t), naive.mean(), rtol=1e-13)
    # per-row sum over columns, mean over rows
    X = np.tile(x, (2, 1))
    assert_allclose(layer.forward(X, np.tile(t, (2, 1))), naive.sum(), rtol=1e-13)
    with np.errstate(over="raise", divide="raise", invalid="raise"):  # exp(-|x|) may underflow to 0
        big = np.array([1000.0, -1000.0, 1000.0, -1000.0])
        loss = layer.forward(big, np.array([0.0, 1.0, 1.0, 0.0]))
        assert loss == pytest.approx(2000.0 / 4)
        assert_allclose(layer.backward(), np.array([1.0, -1.0, 0.0, 0.0]) / 4)


def test_negative_sampling_loss_grad_check():
    rng = np.random.default_rng(8)
    V, D, N, K = 7, 3, 4, 3
    W = rng.standard_normal((V, D))
    h = rng.standard_normal((N, D))
    target = np.array([0, 2, 2, 6])
    negatives = np.array([[1, 1, 3], [0, 4, 6], [5, 5, 5], [2, 0, 1]])
    layer = NegativeSamplingLoss(W, np.ones(V), sample_size=K, seed=0)
    loss = layer.forward(h, target, negatives)
    dh = layer.backward()
    s = lambda z: 1 / (1 + np.exp(-z))  # noqa: E731
    by_hand = np.mean([-np.log(s(h[n] @ W[target[n]])) - sum(np.log(s(-h[n] @ W[k])) for k in negatives[n])
                       for n in range(N)])
    assert loss == pytest.approx(by_hand, rel=1e-12)
    f = lambda: layer.forward(h, target, negatives)  # noqa: E731
    check_close(layer.grads[0], numerical_grad(f, W))
    check_close(dh, numerical_grad(f, h))


def test_negative_sampling_loss_draws_valid_negatives():
    layer = NegativeSamplingLoss(np.zeros((6, 2)), np.arange(1, 7), sample_size=4, seed=3)
    target = np.array([5, 5, 0, 3, 3])
    assert layer.forward(np.ones((5, 2)), target) == pytest.approx(5 * np.log(2))  # all scores 0
    assert layer.negatives.shape == (5, 4)
    assert not np.any(layer.negatives == target[:, None])


def _model_grad_check(model, contexts, target, negatives):
    model.forward(contexts, target, negatives)
    model.backward()
    analytic = [g.copy() for g in model.grads]
    f = lambda: model.forward(contexts, target, negatives)  # noqa: E731
    for W, g in zip(model.params, analytic):
        num = numerical_grad(f, W)
        check_close(g, num)
        assert np.any(num != 0)


def test_cbow_grad_check():
    rng = np.random.default_rng(9)
    V, D, w, K = 6, 3, 1, 2
    model = CBOW(V, D, w, np.ones(V), sample_size=K, seed=0)
    for W in model.params:  # larger weights than the 0.01 init, so the check is not near-linear
        W[...] = rng.standard_normal(W.shape)
    contexts = np.array([[0, 2], [1, 1], [5, 0]])
    target = np.array([1, 3, 3])
    negatives = np.array([[0, 5], [2, 2], [4, 0]])
    _model_grad_check(model, contexts, target, negatives)


def test_skipgram_grad_check():
    rng = np.random.default_rng(10)
    V, D, w, K = 6, 3, 1, 2
    model = SkipGram(V, D, w, np.ones(V), sample_size=K, seed=0)
    for W in model.params:
        W[...] = rng.standard_normal(W.shape)
    contexts = np.array([[0, 2], [1, 1], [5, 0]])
    target = np.array([1, 3, 1])
    negatives = rng.integers(0, V, size=(3, 2, K))
    _model_grad_check(model, contexts, target, negatives)
    # loss = sum over context positions of the per-position NS loss (each averaged over the batch)
    ns = NegativeSamplingLoss(model.params[1], np.ones(V), sample_size=K)
    h = model.params[0][target]
    per_position = [ns.forward(h, contexts[:, c], negatives[:, c]) for c in range(2)]
    assert model.forward(contexts, target, negatives) == pytest.approx(sum(per_position), rel=1e-12)


# ------------------------------------------------------------------------------------- sampler


COUNTS = np.array([40, 25, 12, 8, 5, 3, 2, 0, 5])


def _p(counts, power):
    w = np.where(counts > 0, counts.astype(float) ** power, 0.0)
    return w / w.sum()


def test_sampler_probabilities():
    assert_allclose(UnigramSampler(COUNTS, power=0.75).word_p, _p(COUNTS, 0.75), rtol=1e-14)


def test_sampler_excluding_one_target_matches_renormalised_p075():
    target_word = 1
    sampler = UnigramSampler(COUNTS, power=0.75, sample_size=10, seed=11)
    draws = sampler.get_negative_sample(np.full(20000, target_word))
    assert draws.shape == (20000, 10) and np.issubdtype(draws.dtype, np.integer)
    observed = np.bincount(draws.ravel(), minlength=COUNTS.size)
    assert observed[target_word] == 0 and observed[7] == 0  # the target and the unseen word
    p = _p(COUNTS, 0.75)
    p[target_word] = 0.0
    support = p > 0
    expected = p[support] / p.sum() * draws.size
    assert stats.chisquare(observed[support], expected).pvalue > 1e-3
    # the test has power: the same draws reject P^1 (no 0.75 smoothing)
    p1 = _p(COUNTS, 1.0)
    p1[target_word] = 0.0
    assert stats.chisquare(observed[support], p1[support] / p1.sum() * draws.size).pvalue < 1e-10


def test_sampler_mixed_targets_frequencies_and_exclusion():
    rng = np.random.default_rng(12)
    targets = rng.integers(0, COUNTS.size, size=30000)
    K = 5
    draws = UnigramSampler(COUNTS, sample_size=K, seed=13).get_negative_sample(targets)
    assert not np.any(draws == targets[:, None])
    p = _p(COUNTS, 0.75)
    # expected count of w: sum over rows of K * p_w / (1 - p_target), for rows whose target is not w
    per_target = np.bincount(targets, minlength=COUNTS.size)
    cond = p[None, :] / (1 - p[:, None])
    np.fill_diagonal(cond, 0.0)
    expected = K * per_target @ cond
    observed = np.bincount(draws.ravel(), minlength=COUNTS.size)
    support = p > 0
    assert observed[~support].sum() == 0
    assert stats.chisquare(observed[support], expected[support]).pvalue > 1e-3


def test_sampler_never_returns_a_dominant_target():
    # the target holds 99.9% of the mass: rejection-free exclusion must still return the others
    sampler = UnigramSampler([1e6, 1, 1], power=1.0, sample_size=50, seed=0)
    draws = sampler.get_negative_sample(np.zeros(200, dtype=int))
    assert set(np.unique(draws)) == {1, 2}


def test_sampler_is_deterministic_and_handles_empty():
    a = UnigramSampler(COUNTS, sample_size=3, seed=5).get_negative_sample(np.arange(9))
    b = UnigramSampler(COUNTS, sample_size=3, seed=5).get_negative_sample(np.arange(9))
    assert_array_equal(a, b)
    assert UnigramSampler(COUNTS, sample_size=0).get_negative_sample([1, 2]).shape == (2, 0)
    assert UnigramSampler(COUNTS, sample_size=2).get_negative_sample([]).shape == (0, 2)


def test_sampler_rejects_target_that_is_the_only_word():
    with pytest.raises(ValueError, match="target"):
        UnigramSampler([0, 5, 0], sample_size=1, seed=0).get_negative_sample([1])


# ---------------------------------------------------------------------------- data and models


def test_create_contexts_target():
    contexts, target = create_contexts_target(np.arange(10, 17), 1)
    assert_array_equal(target, [11, 12, 13, 14, 15])
    assert_array_equal(contexts, [[10, 12], [11, 13], [12, 14], [13, 15], [14, 16]])
    contexts, target = create_contexts_target([0, 1, 2, 3, 4], 2)
    assert_array_equal(contexts, [[0, 1, 3, 4]])
    assert_array_equal(target, [2])
    contexts, target = create_contexts_target([0, 1, 2], 2)
    assert contexts.shape == (0, 4) and target.shape == (0,)


def _pair_language(n_pairs=6, segments=600, seg_len=6, seed=0):
    """Segments of one pair's two words in random order: each pair always co-occurs, and its two
    words share every context, so training should make them each other's nearest neighbour."""
    rng = np.random.default_rng(seed)
    pair = rng.integers(0, n_pairs, size=segments)
    corpus = (2 * pair[:, None] + rng.integers(0, 2, size=(segments, seg_len))).ravel()
    return corpus, 2 * n_pairs


@pytest.mark.parametrize("model_cls", [CBOW, SkipGram])
def test_models_learn_planted_pairs(model_cls):
    corpus, V = _pair_language()
    contexts, target = create_contexts_target(corpus, 2)
    model = model_cls(V, 8, 2, np.bincount(corpus, minlength=V), sample_size=5, seed=1)
    losses = train(model, Adam(lr=0.02), contexts, target, epochs=5, batch_size=64, seed=2)
    assert len(losses) == 5
    assert losses[-1] < 0.6 * losses[0]
    assert all(b < a for a, b in zip(losses, losses[1:3]))
    vecs = model.word_vecs / np.linalg.norm(model.word_vecs, axis=1, keepdims=True)
    sim = vecs @ vecs.T
    np.fill_diagonal(sim, -np.inf)
    partner = np.arange(V) ^ 1  # 0<->1, 2<->3, ...
    assert_array_equal(sim.argmax(axis=1), partner)


def test_train_is_deterministic_and_sgd_trains_too():
    corpus, V = _pair_language(segments=100)
    contexts, target = create_contexts_target(corpus, 1)
    runs = []
    for _ in range(2):
        model = CBOW(V, 5, 1, np.bincount(corpus, minlength=V), seed=4)
        runs.append(train(model, SGD(lr=1.0), contexts, target, epochs=3, batch_size=16, seed=4))
    assert runs[0] == runs[1]
    assert runs[0][-1] < runs[0][0]


def test_train_raises_on_divergence():
    class Exploding:
        params, grads = [], []

        def forward(self, contexts, target):
            return float("nan")

    with pytest.raises(FloatingPointError, match="learning rate"):
        train(Exploding(), SGD(), np.zeros((3, 2), int), np.zeros(3, int))


# ----------------------------------------------------------------------------------- optimisers


def _quadratic():
    a = np.array([1.0, 4.0, 0.5])
    c = np.array([2.0, -1.0, 3.0])
    f = lambda x: 0.5 * np.sum(a * (x - c) ** 2)  # noqa: E731
    g = lambda x: a * (x - c)  # noqa: E731
    return f, g


@pytest.mark.parametrize("make_opt, steps", [(lambda: SGD(lr=0.2), 100), (lambda: Adam(lr=0.1), 300)])
def test_optimisers_decrease_a_quadratic(make_opt, steps):
    f, g = _quadratic()
    x = np.zeros(3)
    opt = make_opt()
    values = [f(x)]
    for _ in range(steps):
        opt.update([x], [g(x)])
        values.append(f(x))
    assert values[1] < values[0]
    assert values[-1] < 1e-3 * values[0]


def test_sgd_step_is_exact():
    x = np.array([1.0, 2.0])
    SGD(lr=0.5).update([x], [np.array([4.0, -2.0])])
    assert_array_equal(x, [-1.0, 3.0])


def test_adam_first_step_is_lr_times_sign():
    # with bias correction the first step is lr * g / (|g| + eps) whatever the scale of g
    x = np.zeros(3)
    g = np.array([1e-3, -50.0, 2.0])
    Adam(lr=0.1).update([x], [g])
    assert_allclose(x, -0.1 * np.sign(g), rtol=1e-4)


def test_adam_rejects_a_listed_twice_array_and_changed_lists():
    x = np.zeros(2)
    with pytest.raises(ValueError, match="params"):
        Adam().update([x, x], [np.ones(2), np.ones(2)])
    opt = Adam()
    opt.update([x], [np.ones(2)])
    with pytest.raises(ValueError, match="params"):
        opt.update([x, np.zeros(3)], [np.ones(2), np.ones(3)])
    with pytest.raises(ValueError, match="grads"):
        opt.update([x], [np.ones(3)])


# ------------------------------------------------------------------------------------ bad input


_W = np.zeros((5, 2))


def _sampler():
    return UnigramSampler(np.ones(5), sample_size=2, seed=0)


def _cbow():
    return CBOW(5, 2, 1, np.ones(5), sample_size=2, seed=0)


BAD = [
    (lambda: embedding_forward(_W, [0.5]), TypeError, "idx"),
    (lambda: embedding_forward(_W, [True]), TypeError, "idx"),
    (lambda: embedding_forward(_W, [5]), ValueError, "idx"),
    (lambda: embedding_forward(_W, [-1]), ValueError, "idx"),
    (lambda: embedding_forward(_W.tolist(), [0]), TypeError, "W"),
    (lambda: embedding_forward(np.zeros(5), [0]), ValueError, "W"),
    (lambda: embedding_forward(np.zeros((5, 2), int), [0]), TypeError, "W"),
    (lambda: embedding_forward(_W, [0], padding_idx=5), ValueError, "padding_idx"),
    (lambda: embedding_forward(_W, [0], padding_idx=-6), ValueError, "padding_idx"),
    (lambda: embedding_forward(_W, [0], padding_idx=1.0), TypeError, "padding_idx"),
    (lambda: embedding_forward(_W, [0], max_norm=0.0), ValueError, "max_norm"),
    (lambda: embedding_forward(_W, [0], max_norm=float("nan")), ValueError, "max_norm"),
    (lambda: embedding_forward(_W, [0], max_norm="1"), TypeError, "max_norm"),
    (lambda: embedding_forward(_W, [0], max_norm=1.0, norm_type=0), ValueError, "norm_type"),
    (lambda: embedding_backward(np.zeros((5, 2)), [0, 1], np.zeros((2, 3))), ValueError, "dout"),
    (lambda: embedding_backward(np.zeros((5, 2)), [0, 1], np.zeros((2, 2), int)), TypeError, "dout"),
    (lambda: embedding_backward(np.zeros((5, 2)), [7], np.zeros((1, 2))), ValueError, "idx"),
    (lambda: Embedding(_W, padding_idx="0"), TypeError, "padding_idx"),
    (lambda: EmbeddingDot(_W).forward(np.zeros((2, 3)), [0, 1]), ValueError, "h"),
    (lambda: EmbeddingDot(_W).forward(np.zeros((2, 2)), [0, 1, 2]), ValueError, "idx"),
    (lambda: SigmoidWithLoss().forward(np.zeros(3), np.zeros(2)), ValueError, "t"),
    (lambda: UnigramSampler(np.ones(5), power=-0.5), ValueError, "power"),
    (lambda: UnigramSampler(np.ones(5), power=float("inf")), ValueError, "power"),
    (lambda: UnigramSampler(np.ones(5), power="0.75"), TypeError, "power"),
    (lambda: UnigramSampler(np.ones(5), sample_size=-1), ValueError, "sample_size"),
    (lambda: UnigramSampler(np.ones(5), sample_size=2.0), TypeError, "sample_size"),
    (lambda: UnigramSampler([1, -1, 2]), ValueError, "counts"),
    (lambda: UnigramSampler(np.ones((2, 2))), ValueError, "counts"),
    (lambda: UnigramSampler(np.zeros(3)), ValueError, "counts"),
    (lambda: UnigramSampler(["a", "b"]), TypeError, "counts"),
    (lambda: _sampler().get_negative_sample([5]), ValueError, "target"),
    (lambda: _sampler().get_negative_sample([[0, 1]]), ValueError, "target"),
    (lambda: _sampler().get_negative_sample([0.0]), TypeError, "target"),
    (lambda: NegativeSamplingLoss(_W, np.ones(4)), ValueError, "counts"),
    (lambda: NegativeSamplingLoss(_W, np.ones(5), sample_size=2).forward(np.zeros((1, 2)), [0], [[1]]),
     ValueError, "negatives"),
    (lambda: CBOW(0, 2, 1, np.ones(1)), ValueError, "vocab_size"),
    (lambda: CBOW(5, 0, 1, np.ones(5)), ValueError, "hidden_size"),
    (lambda: CBOW(5, 2, 0, np.ones(5)), ValueError, "window_size"),
    (lambda: _cbow().forward(np.zeros((2, 3), int), np.zeros(2, int)), ValueError, "contexts"),
    (lambda: _cbow().forward(np.zeros((2, 2), int), np.zeros(3, int)), ValueError, "target"),
    (lambda: _cbow().forward(np.full((2, 2), 9), np.zeros(2, int)), ValueError, "contexts"),
    (lambda: SkipGram(5, 2, 1, np.ones(5), sample_size=2).forward([[0, 1]], [0], np.zeros((1, 2, 3), int)),
     ValueError, "negatives"),
    (lambda: SGD(lr=0), ValueError, "lr"),
    (lambda: Adam(lr=-1), ValueError, "lr"),
    (lambda: Adam(beta1=1.0), ValueError, "beta1"),
    (lambda: Adam(beta2=-0.1), ValueError, "beta2"),
    (lambda: Adam(eps=0), ValueError, "eps"),
    (lambda: SGD().update([np.zeros(2)], []), ValueError, "params"),
    (lambda: create_contexts_target([[0, 1, 2]], 1), ValueError, "corpus_ids"),
    (lambda: create_contexts_target([0.0, 1.0, 2.0], 1), TypeError, "corpus_ids"),
    (lambda: create_contexts_target([0, 1, 2], 0), ValueError, "window_size"),
    (lambda: train(_cbow(), SGD(), np.zeros((2, 2), int), np.zeros(2, int), batch_size=0),
     ValueError, "batch_size"),
    (lambda: train(_cbow(), SGD(), np.zeros((2, 2), int), np.zeros(2, int), epochs=-1), ValueError, "epochs"),
    (lambda: train(_cbow(), SGD(), np.zeros((2, 2), int), np.zeros(3, int)), ValueError, "contexts"),
]


@pytest.mark.parametrize("call, exc, name", BAD, ids=[f"{i}-{b[2]}" for i, b in enumerate(BAD)])
def test_bad_input_names_the_argument(call, exc, name):
    with pytest.raises(exc, match=rf"\b{name}\b"):
        call()
