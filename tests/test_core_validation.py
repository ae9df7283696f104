"""Every public _core entry point refuses what its nogil code would trust blindly: wrong dtypes,
non-contiguous or read-only weights, out-of-range ids, mismatched shapes, non-finite learning rates,
bad offsets. The error is a TypeError or ValueError whose message names the argument.

Bitwise assertions here check that a refused call wrote nothing, or compare two runs of the same
kernel in one process: no CPU dependence.
"""
import numpy as np
import pytest

from fastw2v import _core, tables

V, D = 10, 4


def f32(rows=V, dim=D):
    return np.random.default_rng(0).normal(size=(rows, dim)).astype(np.float32)


def read_only(a):
    a = a.copy()
    a.flags.writeable = False
    return a


def non_contiguous(rows=V, dim=D):
    return np.asfortranarray(f32(rows, dim))


def raises(exc, name, fn, *args, **kwargs):
    with pytest.raises(exc, match=rf"\b{name}\b"):
        fn(*args, **kwargs)


# ----------------------------------------------------------------------------- step functions

GOOD_SGNS = dict(W_in=f32, W_out=f32, input_word=1, output_word=2, negatives=[3, 4], lr=0.1)
BAD_SGNS = [
    ("W_in", np.zeros((V, D)), TypeError),                    # float64
    ("W_in", [[0.0] * D] * V, TypeError),                     # not an array
    ("W_in", "non_contiguous", ValueError),
    ("W_in", "read_only", ValueError),
    ("W_in", np.zeros(V, np.float32), ValueError),            # 1-D
    ("W_out", np.zeros((V, D), np.float16), TypeError),
    ("W_out", np.zeros((V, D + 1), np.float32), ValueError),  # dimension mismatch
    ("W_out", "read_only", ValueError),
    ("W_out", "non_contiguous", ValueError),
    ("input_word", V, ValueError),
    ("input_word", -1, ValueError),
    ("input_word", 1.5, TypeError),
    ("output_word", V, ValueError),
    ("negatives", [1, V], ValueError),
    ("negatives", [-1], ValueError),
    ("negatives", [1.0, 2.0], TypeError),
    ("lr", float("nan"), ValueError),
    ("lr", float("inf"), ValueError),
    ("lr", "0.1", TypeError),
    ("lr", None, TypeError),
]


def _materialise(value):
    if isinstance(value, str) and value == "non_contiguous":
        return non_contiguous()
    if isinstance(value, str) and value == "read_only":
        return read_only(f32())
    return value


def _call(fn, good, name, value):
    kwargs = {k: (v() if callable(v) else v) for k, v in good.items()}
    kwargs[name] = _materialise(value)
    return fn(**kwargs)


@pytest.mark.parametrize("name,value,exc", BAD_SGNS, ids=lambda x: str(x)[:20])
def test_sgns_step_validation(name, value, exc):
    raises(exc, name, _call, _core.sgns_step, GOOD_SGNS, name, value)


GOOD_CBOW = dict(W_in=f32, W_out=f32, context_words=[1, 2], output_word=2, negatives=[3], lr=0.1)
BAD_CBOW = [(n, v, e) for n, v, e in BAD_SGNS if n != "input_word"] + [
    ("context_words", [0, V], ValueError),
    ("context_words", np.array([0.5]), TypeError),
]


@pytest.mark.parametrize("name,value,exc", BAD_CBOW, ids=lambda x: str(x)[:20])
def test_cbow_step_validation(name, value, exc):
    raises(exc, name, _call, _core.cbow_step, GOOD_CBOW, name, value)


GOOD_HS = dict(W_in=f32, W_out=lambda: f32(V - 1), input_word=1, codes=[0, 1], points=[8, 3], lr=0.1)
BAD_HS = [(n, v, e) for n, v, e in BAD_SGNS if n in ("W_in", "input_word", "lr")] + [
    ("points", [0, V - 1], ValueError),                       # W_out has V-1 rows
    ("points", [0], ValueError),                              # length differs from codes
    ("codes", [0, 2], ValueError),
    ("codes", [0.0, 1.0], TypeError),
    ("W_out", np.zeros((V - 1, D)), TypeError),
]


@pytest.mark.parametrize("name,value,exc", BAD_HS, ids=lambda x: str(x)[:20])
def test_hs_step_validation(name, value, exc):
    raises(exc, name, _call, _core.hs_step, GOOD_HS, name, value)


def test_step_functions_accept_good_input_and_leave_weights_on_error():
    W_in, W_out = f32(), f32()
    before = W_in.copy()
    with pytest.raises(ValueError, match="negatives"):
        _core.sgns_step(W_in, W_out, 1, 2, [1, 99], 0.1)
    assert np.array_equal(W_in, before)                       # checked before anything is written
    assert np.isfinite(_core.sgns_step(W_in, W_out, 1, 2, np.array([3, 4], np.uint8), 0.1))


# ----------------------------------------------------------------------------- Rng and sampler

def test_rng_validation():
    raises(TypeError, "seed", _core.Rng, 1.5)
    raises(TypeError, "seed", _core.Rng, "1")
    rng = _core.Rng(1)
    raises(ValueError, "n", rng.below, 0)
    raises(ValueError, "n", rng.below, 2**32 + 1)
    raises(TypeError, "n", rng.below, 2.0)
    with pytest.raises(ValueError, match="state"):
        rng.state = 2**64
    with pytest.raises(TypeError, match="state"):
        rng.state = 1.0


@pytest.mark.parametrize("counts,power,exc,name", [
    ([], 0.75, ValueError, "counts"),
    ([0, 0], 0.75, ValueError, "counts"),
    ([1, -1], 0.75, ValueError, "counts"),
    ([1, np.inf], 0.75, ValueError, "counts"),
    (["a"], 0.75, TypeError, "counts"),
    ([[1, 2]], 0.75, ValueError, "counts"),
    ([1, 2], float("nan"), ValueError, "power"),
    ([1, 2], "x", TypeError, "power"),
])
def test_alias_sampler_validation(counts, power, exc, name):
    raises(exc, name, _core.AliasSampler, counts, power)


def test_alias_sampler_sample_validation():
    sampler = _core.AliasSampler([1, 2])
    raises(ValueError, "n", sampler.sample, -1)
    raises(TypeError, "n", sampler.sample, 1.5)
    assert sampler.sample(0).shape == (0,)


@pytest.mark.parametrize("counts,exc", [
    ([1.0, 2.0], TypeError), ([1, -2], ValueError), ([[1, 2]], ValueError), ([2**62, 2**62], ValueError),
])
def test_build_huffman_validation(counts, exc):
    raises(exc, "counts", _core.build_huffman, np.array(counts))


# ----------------------------------------------------------------------------- TrainConfig

def _tables(counts=None):
    counts = np.arange(V, 0, -1) if counts is None else counts
    sampler = _core.AliasSampler(counts)
    codes, points, offsets = _core.build_huffman(counts)
    return dict(keep_threshold=tables.keep_thresholds(counts, 1e-3),
                alias_threshold=np.array(sampler.threshold), alias_index=np.array(sampler.alias),
                hs_codes=codes, hs_points=points, hs_offsets=offsets)


def _config_kwargs(**changes):
    kw = dict(W_in=f32(), W_out=f32(), W_hs=f32(V - 1), **_tables(), sg=1, negative=3, hs=True,
              window=2)
    kw.update(changes)
    return kw


def _config_args(**changes):
    kw = _config_kwargs(**changes)
    positional = [kw.pop(k) for k in ("W_in", "W_out", "W_hs", "keep_threshold", "alias_threshold",
                                      "alias_index", "hs_codes", "hs_points", "hs_offsets")]
    return positional, kw


def _make_config(**changes):
    positional, kw = _config_args(**changes)
    return _core.TrainConfig(*positional, **kw)


BAD_CONFIG = [
    ("W_in", np.zeros((V, D)), TypeError),
    ("W_in", non_contiguous(), ValueError),
    ("W_in", read_only(f32()), ValueError),
    ("W_in", np.zeros((0, D), np.float32), ValueError),
    ("W_out", f32(V + 1), ValueError),
    ("W_out", f32(V, D + 1), ValueError),
    ("W_out", read_only(f32()), ValueError),
    ("W_out", non_contiguous(), ValueError),
    ("W_hs", f32(V), ValueError),
    ("W_hs", read_only(f32(V - 1)), ValueError),
    ("W_hs", np.zeros((V - 1, D)), TypeError),
    ("keep_threshold", np.zeros(V, np.int64), TypeError),
    ("keep_threshold", np.zeros(V + 1, np.uint32), ValueError),
    ("alias_threshold", np.zeros(V, np.float64), TypeError),
    ("alias_threshold", np.zeros(V - 1, np.uint32), ValueError),
    ("alias_index", np.full(V, V, np.int32), ValueError),
    ("alias_index", np.full(V, -1, np.int32), ValueError),
    ("alias_index", np.zeros(V, np.int64), TypeError),
    ("hs_codes", np.zeros(3, np.uint8), ValueError),          # length differs from hs_points
    ("hs_codes", np.zeros(3, np.int32), TypeError),
    ("hs_points", np.full(_tables()["hs_points"].shape, V - 1, np.int32), ValueError),
    ("hs_offsets", np.zeros(V, np.int64), ValueError),
    ("hs_offsets", np.arange(V + 1, dtype=np.int64)[::-1].copy(), ValueError),
    ("negative", -1, ValueError),
    ("negative", 1.5, TypeError),
    ("window", 0, ValueError),
    ("window", -3, ValueError),
    ("batch_mode", "fast", ValueError),
]


@pytest.mark.parametrize("name,value,exc", BAD_CONFIG, ids=lambda x: str(x)[:20])
def test_train_config_validation(name, value, exc):
    raises(exc, name, _make_config, **{name: value})


def test_train_config_codes_must_be_binary():
    t = _tables()
    codes = t["hs_codes"].copy()
    codes[0] = 2
    raises(ValueError, "hs_codes", _make_config, hs_codes=codes)


def test_train_config_needs_ns_or_hs():
    raises(ValueError, "negative", _make_config, negative=0, hs=False)


def test_train_config_unused_arrays_may_be_empty():
    config = _make_config(W_hs=None, hs_codes=None, hs_points=None, hs_offsets=None, hs=False)
    assert config.hs is False and config.negative == 3
    config = _make_config(W_out=np.zeros((0, D), np.float32), alias_threshold=None, alias_index=None,
                          negative=0)
    assert config.vocab_size == V and config.vector_size == D


# ----------------------------------------------------------------------------- train_batch

def _batch_args(**changes):
    args = dict(config=_make_config(), rng=_core.Rng(0), tokens=np.array([1, 2, 3, 4], np.int32),
                offsets=np.array([0, 2, 4], np.int64), alpha_start=0.025, alpha_end=0.01)
    args.update(changes)
    return args


BAD_BATCH = [
    ("config", None, TypeError),
    ("config", "config", TypeError),
    ("rng", None, TypeError),
    ("rng", np.random.default_rng(0), TypeError),
    ("tokens", np.array([1, 2, 3, 4], np.int64), TypeError),
    ("tokens", [1, 2, 3, 4], TypeError),
    ("tokens", np.array([1, 2, 3, V], np.int32), ValueError),
    ("tokens", np.array([1, 2, -1, 4], np.int32), ValueError),
    ("tokens", np.array([[1, 2], [3, 4]], np.int32), ValueError),
    ("offsets", np.array([0, 2, 4], np.int32), TypeError),
    ("offsets", np.array([1, 2, 4], np.int64), ValueError),     # must start at 0
    ("offsets", np.array([0, 2, 5], np.int64), ValueError),     # must end at len(tokens)
    ("offsets", np.array([0, 3, 2, 4], np.int64), ValueError),  # decreasing
    ("offsets", np.array([], np.int64), ValueError),
    ("alpha_start", float("nan"), ValueError),
    ("alpha_end", float("inf"), ValueError),
    ("alpha_start", None, TypeError),
]


@pytest.mark.parametrize("name,value,exc", BAD_BATCH, ids=lambda x: str(x)[:20])
def test_train_batch_validation(name, value, exc):
    args = _batch_args(**{name: value})
    before = args["config"].W_in.copy() if isinstance(args["config"], _core.TrainConfig) else None
    raises(exc, name, _core.train_batch, **args)
    if before is not None:
        assert np.array_equal(args["config"].W_in, before)


def test_train_batch_copies_non_contiguous_read_only_inputs():
    tokens = np.array([[1, 9], [2, 9], [3, 9], [4, 9]], np.int32)[:, 0]      # strided
    a, b = _batch_args(), _batch_args(tokens=tokens)
    assert _core.train_batch(**a) == _core.train_batch(**b)
    assert np.array_equal(a["config"].W_in, b["config"].W_in)


def test_train_batch_empty_batches():
    args = _batch_args(tokens=np.zeros(0, np.int32), offsets=np.array([0], np.int64))
    assert _core.train_batch(**args) == (0, 0.0)
    args = _batch_args(tokens=np.zeros(0, np.int32), offsets=np.array([0, 0, 0], np.int64))
    assert _core.train_batch(**args) == (0, 0.0)


# ----------------------------------------------------------------------------- embedding ops

BAD_FORWARD = [
    ("W", np.zeros((V, D), np.int32), TypeError),
    ("W", np.zeros((V, D), np.float16), TypeError),
    ("W", non_contiguous(), ValueError),
    ("W", np.zeros(V, np.float32), ValueError),
    ("idx", np.array([0, V]), ValueError),
    ("idx", np.array([-1]), ValueError),
    ("idx", np.array([0.0]), TypeError),
    ("idx", np.array([True]), TypeError),
    ("padding_idx", V, ValueError),
    ("padding_idx", -V - 1, ValueError),
    ("padding_idx", 1.0, TypeError),
    ("max_norm", float("nan"), ValueError),
    ("max_norm", 0.0, ValueError),
    ("max_norm", -1.0, ValueError),
    ("norm_type", 0.0, ValueError),
    ("norm_type", "2", TypeError),
]


@pytest.mark.parametrize("name,value,exc", BAD_FORWARD, ids=lambda x: str(x)[:20])
def test_embedding_forward_validation(name, value, exc):
    kwargs = dict(W=f32(), idx=np.array([0, 1, 1]), max_norm=1.0)
    kwargs[name] = value
    raises(exc, name, _core.embedding_forward, **kwargs)


def test_embedding_forward_read_only_weights():
    W = read_only(f32())
    assert _core.embedding_forward(W, [1, 2]).shape == (2, D)            # gather only: fine
    raises(ValueError, "W", _core.embedding_forward, W, [1, 2], max_norm=0.5)


BAD_BACKWARD = [
    ("dW", np.zeros((V, D), np.int64), TypeError),
    ("dW", read_only(f32()), ValueError),
    ("dW", non_contiguous(), ValueError),
    ("idx", np.array([0, V]), ValueError),
    ("idx", np.array([0.0, 1.0]), TypeError),
    ("dout", np.zeros((2, D + 1), np.float32), ValueError),
    ("dout", np.zeros((3, D), np.float32), ValueError),
    ("dout", np.zeros((2, D), np.int32), TypeError),
    ("dout", [[0.0] * D] * 2, TypeError),
    ("padding_idx", V, ValueError),
]


@pytest.mark.parametrize("name,value,exc", BAD_BACKWARD, ids=lambda x: str(x)[:20])
def test_embedding_backward_validation(name, value, exc):
    kwargs = dict(dW=np.zeros((V, D), np.float32), idx=np.array([0, 1]),
                  dout=np.ones((2, D), np.float32))
    kwargs[name] = value
    before = kwargs["dW"].copy() if isinstance(kwargs["dW"], np.ndarray) else None
    raises(exc, name, _core.embedding_backward, **kwargs)
    if before is not None:
        assert np.array_equal(kwargs["dW"], before)


def test_sampler_and_config_cannot_be_re_initialised():
    """A batch running without the GIL holds pointers into these objects' arrays: re-running
    __init__ would free them under it, so it is refused."""
    sampler = _core.AliasSampler([1, 2, 3])
    with pytest.raises(RuntimeError, match="re-initialised"):
        sampler.__init__([1, 2])
    config = _make_config()
    positional, kw = _config_args()
    with pytest.raises(RuntimeError, match="re-initialised"):
        config.__init__(*positional, **kw)


def test_train_config_keeps_private_read_only_tables():
    t = _tables()
    config = _make_config(**t)
    assert config.alias_index is not t["alias_index"]
    assert not config.alias_index.flags.writeable and not config.hs_points.flags.writeable
    t["alias_index"][:] = 10**6                       # the caller's array changes; the config's does not
    assert config.alias_index.max() < V
