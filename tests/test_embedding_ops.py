"""The compiled embedding ops (_core.embedding_forward / embedding_backward) and fastw2v.Embedding
against their NumPy specification in fastw2v.layers (re-exported by fastw2v.reference)."""
import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

import fastw2v
from fastw2v import _core, reference

V, D = 20, 6


def weights(dtype, seed=0, scale=1.0):
    return (np.random.default_rng(seed).normal(0, scale, (V, D))).astype(dtype)


IDX_CASES = {
    "1d": np.array([3, 1, 3, 19, 0]),
    "2d_dups": np.array([[1, 2, 2], [2, 1, 5]]),
    "scalar": np.array(7),
    "empty": np.zeros((0, 3), dtype=np.int64),
    "uint8": np.array([4, 4, 4], dtype=np.uint8),
    "list": [[0, 1], [1, 0]],
}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", sorted(IDX_CASES))
def test_forward_matches_reference(dtype, case):
    idx = IDX_CASES[case]
    W = weights(dtype)
    out = _core.embedding_forward(W, idx)
    expected = reference.embedding_forward(W.copy(), idx)
    assert out.dtype == W.dtype and out.shape == np.shape(idx) + (D,)
    assert_array_equal(out, expected)
    out[...] = 0
    assert np.abs(W).sum() > 0                                   # a new array, not a view


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("padding_idx", [None, 2, -18, 19, -1])
@pytest.mark.parametrize("case", ["1d", "2d_dups", "scalar", "empty", "uint8"])
def test_backward_matches_reference(dtype, padding_idx, case):
    idx = IDX_CASES[case]
    dout = np.random.default_rng(1).normal(size=np.shape(idx) + (D,)).astype(dtype)
    dW = weights(dtype, seed=2)                     # accumulated into, never zeroed
    expected = dW.copy()
    assert _core.embedding_backward(dW, idx, dout, padding_idx) is None
    reference.embedding_backward(expected, idx, dout, padding_idx)
    assert_allclose(dW, expected, rtol=1e-6 if dtype == np.float32 else 1e-12)


def test_backward_duplicates_accumulate():
    dW = np.zeros((V, D), np.float32)
    idx = np.array([[5, 5], [5, 1]])
    dout = np.ones((2, 2, D), np.float32)
    _core.embedding_backward(dW, idx, dout)
    assert_array_equal(dW[5], np.full(D, 3.0))
    assert_array_equal(dW[1], np.ones(D))
    assert dW.sum() == 4 * D                                     # nothing anywhere else


def test_backward_skips_padding_positions():
    dW = np.zeros((V, D), np.float64)
    idx = np.array([0, V - 1, 3, V - 1])
    _core.embedding_backward(dW, idx, np.ones((4, D)), padding_idx=-1)
    assert not dW[V - 1].any()
    assert dW[0].sum() == D and dW[3].sum() == D


def test_backward_casts_dout_to_the_gradient_dtype_and_copies_strided_dout():
    dW = np.zeros((V, D), np.float32)
    expected = np.zeros((V, D), np.float32)
    idx = np.array([1, 2, 1])
    dout = np.random.default_rng(3).normal(size=(D, 3)).T                # float64, strided
    _core.embedding_backward(dW, idx, dout)
    reference.embedding_backward(expected, idx, dout)
    assert_allclose(dW, expected, rtol=1e-6)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("norm_type", [1.0, 2.0, 3.0, np.inf])
def test_max_norm_renormalises_in_place_like_the_reference(dtype, norm_type):
    W = weights(dtype, scale=2.0)
    W_ref = W.copy()
    idx = np.array([[0, 4, 4], [7, 0, 11]])
    max_norm = 1.5
    out = _core.embedding_forward(W, idx, max_norm=max_norm, norm_type=norm_type)
    expected = reference.embedding_forward(W_ref, idx, max_norm=max_norm, norm_type=norm_type)
    # Bitwise on every CPU: the same float64 norms (fixed order; libm pow on both sides for p = 3,
    # see layers._row_norms), the same scale max_norm / (norm + 1e-7) and one rounded product per entry.
    assert_array_equal(W, W_ref)
    assert_array_equal(out, expected)
    touched = np.unique(idx)
    norms = np.linalg.norm(W[touched].astype(np.float64), ord=norm_type, axis=1)
    assert np.all(norms <= max_norm * (1 + 1e-6))
    untouched = np.setdiff1d(np.arange(V), touched)
    assert_array_equal(W[untouched], weights(dtype, scale=2.0)[untouched])   # rows not looked up stay
    original = weights(dtype, scale=2.0)
    assert not np.array_equal(W[touched], original[touched])               # the renorm did happen


def test_max_norm_renormalises_each_row_once():
    W = np.zeros((V, D), np.float32)
    W[3] = 10.0
    _core.embedding_forward(W, np.array([3, 3, 3, 3]), max_norm=1.0)
    norm = np.sqrt(D) * 10.0
    assert_allclose(W[3], 10.0 * 1.0 / (norm + 1e-7), rtol=1e-6)          # scaled once, not 4 times
    small = np.full((V, D), 0.01, np.float32)
    before = small.copy()
    _core.embedding_forward(small, np.arange(V), max_norm=1.0)
    assert_array_equal(small, before)                                      # under max_norm: untouched


# ----------------------------------------------------------------------------- fastw2v.Embedding

@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("options", [{}, dict(padding_idx=3), dict(padding_idx=-2),
                                     dict(max_norm=1.0), dict(max_norm=0.5, norm_type=1.0, padding_idx=0)])
def test_embedding_class_mirrors_reference(dtype, options):
    W = weights(dtype, scale=1.5)
    fast = fastw2v.Embedding(W.copy(), **options)
    slow = reference.Embedding(W.copy(), **options)
    assert fast.padding_idx == slow.padding_idx
    assert len(fast.params) == len(fast.grads) == 1
    assert fast.grads[0].shape == W.shape and fast.grads[0].dtype == W.dtype
    rng = np.random.default_rng(4)
    for _ in range(3):                                             # grads are overwritten each time
        idx = rng.integers(0, V, size=(4, 3))
        idx[0, 0] = idx[1, 1]                                      # a duplicate
        idx[2, 2] = 3                                              # the padding row, if any
        out_fast, out_slow = fast.forward(idx), slow.forward(idx)
        rtol = 1e-6 if dtype == np.float32 else 1e-12
        assert_allclose(out_fast, out_slow, rtol=rtol)
        dout = rng.normal(size=out_fast.shape).astype(dtype)
        assert fast.backward(dout) is None and slow.backward(dout) is None
        assert_allclose(fast.grads[0], slow.grads[0], rtol=rtol, atol=1e-12)
        assert_allclose(fast.params[0], slow.params[0], rtol=rtol)


def test_embedding_class_uses_the_callers_array():
    W = weights(np.float32)
    layer = fastw2v.Embedding(W, max_norm=0.1)
    assert layer.params[0] is W
    layer.forward([1, 2])
    assert np.linalg.norm(W[1]) <= 0.1 + 1e-6


def test_embedding_class_validates():
    with pytest.raises(TypeError, match="W"):
        fastw2v.Embedding(np.zeros((3, 2), np.int32))
    with pytest.raises(ValueError, match="padding_idx"):
        fastw2v.Embedding(weights(np.float32), padding_idx=V)
    with pytest.raises(RuntimeError):
        fastw2v.Embedding(weights(np.float32)).backward(np.zeros((1, D), np.float32))
