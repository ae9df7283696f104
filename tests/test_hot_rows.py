"""Private hot rows (``train_batch(..., hot_out, ..., hot_in)``, ``engine.HotRows``): the kernel against
its NumPy twin, the plain call, the argument checks, and the engine's merge of several workers' rows."""
import threading

import numpy as np
import pytest
from numpy.testing import assert_array_equal

from fastw2v import Word2Vec, _core, engine, reference

from test_core_equivalence import _configs, _corpus

CASES = [dict(sg=1, mode="ns"), dict(sg=1, mode="both"), dict(sg=1, mode="ns", batch_mode="shared_negatives"),
         dict(sg=0, mode="ns"), dict(sg=0, mode="both")]
CASE_IDS = ["sg-ns", "sg-ns-hs", "sg-shared-negatives", "cbow-ns", "cbow-ns-hs"]


def _case(case, **extra):
    settings = dict(case, exact_sigmoid=True, **extra)
    return _configs(_corpus(seed=4)[0], settings.pop("mode"), **settings)


@pytest.mark.parametrize("n_hot", [1, 7, 30])
@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_train_batch_with_hot_out_matches_reference(case, n_hot):
    """Rows [0, n_hot) are trained in hot_out and only there, bit for bit as the reference does; 30 is
    the whole vocabulary, 1 only the most frequent word."""
    counts, tokens, offsets = _corpus(seed=4)
    core, ref, core_w, ref_w = _case(case)
    W_out_before = core_w[1].copy()
    hot_c, hot_r = core_w[1][:n_hot].copy(), ref_w[1][:n_hot].copy()
    out_c = _core.train_batch(core, _core.Rng(21), tokens, offsets, 0.05, 0.01, hot_c)
    out_r = reference.train_batch(ref, reference.Rng(21), tokens, offsets, 0.05, 0.01, hot_r)
    assert out_c[0] == out_r[0] > 0
    assert out_c[1] == pytest.approx(out_r[1], rel=1e-6)
    assert_array_equal(hot_c, hot_r)
    for a, b in zip(core_w, ref_w):
        assert_array_equal(a, b)
    assert_array_equal(core_w[1][:n_hot], W_out_before[:n_hot])     # the shared hot rows untouched
    assert not np.array_equal(hot_c, W_out_before[:n_hot])           # trained in the copy instead


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_hot_out_copied_back_equals_the_plain_call(case):
    """One call with a private copy of rows [0, 9), then the copy written back, gives the bits of one
    call without it: the same rows take the same updates in the same order, only at other addresses."""
    counts, tokens, offsets = _corpus(seed=5)
    core, _, core_w, _ = _case(case)
    plain, _, plain_w, _ = _case(case)
    hot = core_w[1][:9].copy()
    out_hot = _core.train_batch(core, _core.Rng(8), tokens, offsets, 0.05, 0.0, hot)
    out_plain = _core.train_batch(plain, _core.Rng(8), tokens, offsets, 0.05, 0.0)
    core_w[1][:9] = hot
    assert out_hot == out_plain
    for a, b in zip(core_w, plain_w):
        assert_array_equal(a, b)


def test_hot_out_with_no_rows_is_the_plain_call():
    counts, tokens, offsets = _corpus(seed=6)
    core, _, core_w, _ = _case(dict(sg=1, mode="ns"))
    plain, _, plain_w, _ = _case(dict(sg=1, mode="ns"))
    empty = np.zeros((0, core_w[1].shape[1]), dtype=np.float32)
    assert (_core.train_batch(core, _core.Rng(2), tokens, offsets, 0.05, 0.0, empty)
            == _core.train_batch(plain, _core.Rng(2), tokens, offsets, 0.05, 0.0))
    for a, b in zip(core_w, plain_w):
        assert_array_equal(a, b)


@pytest.mark.parametrize("with_out", [False, True], ids=["in", "in-and-out"])
@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_train_batch_with_hot_in_matches_reference(case, with_out):
    """Input rows [0, 7) are trained in hot_in and only there (with or without private output rows),
    bit for bit as the reference does; written back, they give the bits of the plain call."""
    counts, tokens, offsets = _corpus(seed=4)
    core, ref, core_w, ref_w = _case(case)
    plain, _, plain_w, _ = _case(case)
    W_in_before = core_w[0].copy()
    in_c, in_r = core_w[0][:7].copy(), ref_w[0][:7].copy()
    out_c, out_r = (core_w[1][:5].copy(), ref_w[1][:5].copy()) if with_out else (None, None)
    res_c = _core.train_batch(core, _core.Rng(21), tokens, offsets, 0.05, 0.01, out_c, hot_in=in_c)
    res_r = reference.train_batch(ref, reference.Rng(21), tokens, offsets, 0.05, 0.01, out_r, hot_in=in_r)
    assert res_c[0] == res_r[0] > 0
    assert res_c[1] == pytest.approx(res_r[1], rel=1e-6)
    assert_array_equal(in_c, in_r)
    for a, b in zip(core_w, ref_w):
        assert_array_equal(a, b)
    assert_array_equal(core_w[0][:7], W_in_before[:7])              # the shared hot rows untouched
    assert not np.array_equal(in_c, W_in_before[:7])                # trained in the copy instead
    core_w[0][:7] = in_c
    if with_out:
        core_w[1][:5] = out_c
    assert _core.train_batch(plain, _core.Rng(21), tokens, offsets, 0.05, 0.01) == res_c
    for a, b in zip(core_w, plain_w):
        assert_array_equal(a, b)


def test_hot_in_is_checked_before_training():
    counts, tokens, offsets = _corpus(seed=7)
    core, _, core_w, _ = _case(dict(sg=0, mode="ns"))
    before = [w.copy() for w in core_w]
    V, D = core_w[0].shape
    hot_out = core_w[1][:4].copy()
    hot_in = core_w[0][:4].copy()
    bad = [
        (TypeError, dict(hot_in=np.zeros((3, D))), "hot_in must have dtype float32"),
        (ValueError, dict(hot_in=np.zeros((3, D + 1), dtype=np.float32)), r"hot_in must have shape \(K, 12\)"),
        (ValueError, dict(hot_in=np.zeros((V + 1, D), dtype=np.float32)), f"K <= {V}"),
        (ValueError, dict(hot_in=core_w[0][:4]), "hot_in must not share memory with W_in"),
        (ValueError, dict(hot_in=core_w[1][2:5]), "hot_in must not share memory with W_out"),
        (ValueError, dict(hot_out=hot_out, hot_in=hot_out[1:3]), "hot_in must not share memory with hot_out"),
        (ValueError, dict(hot_in=hot_in, merge_words=10), "needs hot_in and hot_in_pulled"),
        (ValueError, dict(hot_in=hot_in, hot_in_pulled=np.zeros((3, D), np.float32), merge_words=10),
         "hot_in_pulled must have the shape of hot_in"),
        (ValueError, dict(hot_in=hot_in, hot_in_pulled=hot_in[:], merge_words=10),
         "hot_in_pulled must not share memory with hot_in"),
        (ValueError, dict(hot_out=hot_out, hot_pulled=hot_out.copy(), hot_in=hot_in, hot_in_pulled=hot_out[:],
                          merge_words=10), "hot_in_pulled must not share memory with hot_out"),
        (ValueError, dict(hot_out=hot_out, hot_in=hot_in, hot_in_pulled=hot_in.copy(), merge_words=10),
         "needs hot_out and hot_pulled"),
    ]
    for error, kwargs, message in bad:
        with pytest.raises(error, match=message):
            _core.train_batch(core, _core.Rng(1), tokens, offsets, 0.05, 0.0, **kwargs)
    hs_only, _, hs_w, _ = _case(dict(sg=0, mode="hs"))                # input rows need no NS
    _core.train_batch(hs_only, _core.Rng(1), tokens, offsets, 0.05, 0.0, hot_in=hs_w[0][:3].copy())
    for a, b in zip(core_w, before):
        assert_array_equal(a, b)                                     # nothing was trained


def test_hot_out_is_checked_before_training():
    counts, tokens, offsets = _corpus(seed=7)
    core, _, core_w, _ = _case(dict(sg=1, mode="ns"))
    before = [w.copy() for w in core_w]
    V, D = core_w[1].shape
    bad = [
        (TypeError, np.zeros((3, D)), "float32"),
        (ValueError, np.zeros((3, D + 1), dtype=np.float32), r"shape \(K, 12\)"),
        (ValueError, np.zeros((V + 1, D), dtype=np.float32), f"K <= {V}"),
        (ValueError, np.zeros(D, dtype=np.float32), "2-D"),
        (ValueError, np.zeros((D, 3), dtype=np.float32).T, "C-contiguous"),
        (ValueError, core_w[1][:4], "must not share memory with W_out"),
        (ValueError, core_w[0][2:5], "must not share memory with W_in"),
    ]
    readonly = np.zeros((2, D), dtype=np.float32)
    readonly.flags.writeable = False
    bad.append((ValueError, readonly, "writable"))
    for error, hot, message in bad:
        with pytest.raises(error, match=message) as info:
            _core.train_batch(core, _core.Rng(1), tokens, offsets, 0.05, 0.0, hot)
        assert "hot_out" in str(info.value)
    hs_only, _, _, _ = _case(dict(sg=1, mode="hs"))
    with pytest.raises(ValueError, match="hot_out needs negative sampling"):
        _core.train_batch(hs_only, _core.Rng(1), tokens, offsets, 0.05, 0.0,
                          np.zeros((2, D), dtype=np.float32))
    for a, b in zip(core_w, before):
        assert_array_equal(a, b)                                     # nothing was trained


def _train_with_merges(case, seed, others=0.0, n_in=0):
    """Train one batch with merges every 25 tokens in the kernel and in the reference, from the same
    private rows: output rows [0, 9), and input rows [0, n_in) when n_in > 0 (``others`` > 0: the
    shared output rows first moved by noise of that scale, as another worker's merge would move
    them); assert the two equal bit for bit and return the kernel's
    ``(result, weights, hot, pulled, before, (hot_in, pulled_in, before_in) or None)``."""
    counts, tokens, offsets = _corpus(seed=8)
    core, ref, core_w, ref_w = _case(case)
    before = core_w[1][:9].copy()
    hot_c, hot_r, pulled_c, pulled_r = (before.copy() for _ in range(4))
    before_in = core_w[0][:n_in].copy()
    in_c, in_r, in_pulled_c, in_pulled_r = (before_in.copy() if n_in else None for _ in range(4))
    if others:
        moved = np.random.default_rng(3).normal(0, others, before.shape).astype(np.float32)
        core_w[1][:9] += moved
        ref_w[1][:9] += moved
    out_c = _core.train_batch(core, _core.Rng(seed), tokens, offsets, 0.05, 0.01, hot_c, pulled_c, 25,
                              in_c, in_pulled_c)
    out_r = reference.train_batch(ref, reference.Rng(seed), tokens, offsets, 0.05, 0.01, hot_r, pulled_r,
                                  25, in_r, in_pulled_r)
    assert out_c == out_r
    for a, b in zip(core_w, ref_w):
        assert_array_equal(a, b)
    assert_array_equal(hot_c, hot_r)
    assert_array_equal(pulled_c, pulled_r)
    if n_in:
        assert_array_equal(in_c, in_r)
        assert_array_equal(in_pulled_c, in_pulled_r)
    return out_c, core_w, hot_c, pulled_c, before, (in_c, in_pulled_c, before_in) if n_in else None


@pytest.mark.parametrize("n_in", [0, 6], ids=["out", "out-and-in"])
@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_merge_words_matches_reference_and_merges_within_the_batch(case, n_in):
    """With merge_words the private rows go into W_out[:K] (and W_in[:n_in]) and come back before
    every sentence that starts past the next multiple of merge_words tokens: bit for bit as the
    reference does it, and one worker so keeps the bits of the plain call."""
    out_c, core_w, hot_c, pulled_c, before, inputs = _train_with_merges(case, 4, n_in=n_in)
    counts, tokens, offsets = _corpus(seed=8)
    plain, _, plain_w, _ = _case(case)
    assert not np.array_equal(core_w[1][:9], before)           # merged during the batch...
    assert_array_equal(core_w[1][:9], pulled_c)                # ...last at the last merge
    assert not np.array_equal(hot_c, pulled_c)                 # trained on after it
    _core.merge_hot_rows(core_w[1][:9], hot_c, pulled_c)        # the caller's final merge
    if inputs is not None:
        in_c, in_pulled_c, before_in = inputs
        assert not np.array_equal(core_w[0][:n_in], before_in)   # the input rows likewise
        assert_array_equal(core_w[0][:n_in], in_pulled_c)
        _core.merge_hot_rows(core_w[0][:n_in], in_c, in_pulled_c)
    assert _core.train_batch(plain, _core.Rng(4), tokens, offsets, 0.05, 0.01) == out_c
    for a, b in zip(core_w, plain_w):
        assert_array_equal(a, b)


def test_merge_words_adds_this_workers_change_where_another_worker_moved_the_rows():
    """Shared rows moved since the pull (as another worker's merge would): the merges inside the
    batch add this worker's change there, in the kernel as in the reference."""
    _, core_w, _, _, before, _ = _train_with_merges(dict(sg=0, mode="ns"), 5, others=1e-2)
    counts, tokens, offsets = _corpus(seed=8)
    # the other worker's move is kept: the shared rows are not this worker's rows alone
    alone, _, alone_w, _ = _case(dict(sg=0, mode="ns"))
    hot_a, pulled_a = before.copy(), before.copy()
    _core.train_batch(alone, _core.Rng(5), tokens, offsets, 0.05, 0.01, hot_a, pulled_a, 25)
    assert not np.allclose(core_w[1][:9], alone_w[1][:9], atol=1e-3)


def test_merge_words_past_the_batch_merges_nothing_in_it():
    counts, tokens, offsets = _corpus(seed=8)
    core, _, core_w, _ = _case(dict(sg=0, mode="ns"))
    before = core_w[1][:9].copy()
    hot, pulled = before.copy(), before.copy()
    _core.train_batch(core, _core.Rng(4), tokens, offsets, 0.05, 0.01, hot, pulled, len(tokens) + 1)
    assert_array_equal(core_w[1][:9], before)
    assert_array_equal(pulled, before)
    assert not np.array_equal(hot, before)


def test_merge_words_arguments_are_checked_before_training():
    counts, tokens, offsets = _corpus(seed=8)
    core, _, core_w, _ = _case(dict(sg=0, mode="ns"))
    before = [w.copy() for w in core_w]
    hot = core_w[1][:4].copy()
    bad = [(ValueError, dict(hot_out=hot, merge_words=10), "needs hot_out and hot_pulled"),
           (ValueError, dict(hot_pulled=hot.copy(), merge_words=10), "needs hot_out and hot_pulled"),
           (ValueError, dict(hot_out=hot, hot_pulled=np.zeros((3, hot.shape[1]), np.float32), merge_words=10),
            "hot_pulled must have the shape of hot_out"),
           (ValueError, dict(hot_out=hot, hot_pulled=hot[:], merge_words=10), "hot_pulled must not share memory"),
           (ValueError, dict(hot_out=hot, hot_pulled=core_w[1][4:8], merge_words=10), "must not share memory"),
           (TypeError, dict(hot_out=hot, hot_pulled=hot.astype(np.float64), merge_words=10), "hot_pulled"),
           (ValueError, dict(hot_out=hot, hot_pulled=hot.copy(), merge_words=-1), "merge_words"),
           (TypeError, dict(hot_out=hot, hot_pulled=hot.copy(), merge_words=2.5), "merge_words")]
    for error, kwargs, message in bad:
        with pytest.raises(error, match=message):
            _core.train_batch(core, _core.Rng(1), tokens, offsets, 0.05, 0.0, **kwargs)
    for a, b in zip(core_w, before):
        assert_array_equal(a, b)


# ----------------------------------------------------------------------------- engine

class _Config:
    def __init__(self, W_out, negative=5, sg=True, batch_mode="exact", W_in=None):
        self.W_out, self.negative, self.vocab_size = W_out, negative, W_out.shape[0]
        self.W_in = np.zeros_like(W_out) if W_in is None else W_in
        self.vector_size = W_out.shape[1]
        self.sg, self.batch_mode = sg, batch_mode


def test_hot_output_rows_rule(monkeypatch):
    W = np.zeros((50, 4), dtype=np.float32)
    monkeypatch.delenv("FASTW2V_HOT_ROWS", raising=False)
    assert engine.hot_output_rows(_Config(W), 1) == 0                 # one worker: the plain call
    assert engine.hot_output_rows(_Config(W, negative=0), 4) == 0     # HS only
    assert engine.hot_output_rows(_Config(W, sg=False), 4) == min(50, engine.HOT_CBOW_ROWS)   # CBOW
    assert engine.hot_output_rows(_Config(W, batch_mode="shared_negatives"), 4) == 0
    assert engine.hot_output_rows(_Config(W), 2) == min(50, engine.HOT_OUTPUT_ROWS)
    big = np.zeros((engine.HOT_OUTPUT_ROWS + 5, 1), dtype=np.float32)
    assert engine.hot_output_rows(_Config(big), 2) == engine.HOT_OUTPUT_ROWS
    wide = np.lib.stride_tricks.as_strided(np.zeros(1, dtype=np.float32), (10**5, 1000), (0, 0))
    n_wide = engine.hot_output_rows(_Config(wide), 2)                 # the byte cap: 1,310 rows
    assert n_wide == engine.HOT_OUTPUT_BYTES // 4000 < engine.HOT_OUTPUT_ROWS
    assert engine.hot_output_rows(_Config(wide[:, :300]), 2) == engine.HOT_OUTPUT_ROWS
    monkeypatch.setenv("FASTW2V_HOT_ROWS", "7")
    assert engine.hot_output_rows(_Config(W), 3) == 7
    assert engine.hot_output_rows(_Config(W, sg=False), 3) == 7         # asked for: any mode
    assert engine.hot_output_rows(_Config(W, negative=0), 3) == 0
    monkeypatch.setenv("FASTW2V_HOT_ROWS", "0")
    assert engine.hot_output_rows(_Config(W), 3) == 0
    for text in ("-1", "many"):
        monkeypatch.setenv("FASTW2V_HOT_ROWS", text)
        with pytest.raises(ValueError, match="FASTW2V_HOT_ROWS"):
            engine.hot_output_rows(_Config(W), 2)
    monkeypatch.delenv("FASTW2V_HOT_ROWS")
    cbow_big = np.zeros((engine.HOT_CBOW_ROWS + 5, 1), dtype=np.float32)
    assert engine.hot_output_rows(_Config(cbow_big, sg=False), 2) == engine.HOT_CBOW_ROWS
    assert engine.hot_output_rows(_Config(cbow_big, sg=False, negative=0), 2) == 0


def test_hot_input_rows_rule(monkeypatch):
    """CBOW keeps HOT_CBOW_INPUT_ROWS input rows private (byte cap as for output rows), skip-gram
    none; the variable overrides any mode, HS-only included, and is checked."""
    W = np.zeros((500, 4), dtype=np.float32)
    monkeypatch.delenv("FASTW2V_HOT_INPUT_ROWS", raising=False)
    assert engine.hot_input_rows(_Config(W, sg=False), 1) == 0                 # one worker
    assert engine.hot_input_rows(_Config(W, sg=False), 2) == engine.HOT_CBOW_INPUT_ROWS
    assert engine.hot_input_rows(_Config(W, sg=False, negative=0), 2) == engine.HOT_CBOW_INPUT_ROWS
    assert engine.hot_input_rows(_Config(W[:30], sg=False), 2) == 30           # at most the vocabulary
    assert engine.hot_input_rows(_Config(W), 2) == 0                           # skip-gram
    assert engine.hot_input_rows(_Config(W, batch_mode="shared_negatives"), 2) == 0
    wide = np.lib.stride_tricks.as_strided(np.zeros(1, dtype=np.float32), (10**5, 8000), (0, 0))
    assert engine.hot_input_rows(_Config(wide, sg=False), 2) == engine.HOT_OUTPUT_BYTES // 32000
    monkeypatch.setenv("FASTW2V_HOT_INPUT_ROWS", "9")
    assert engine.hot_input_rows(_Config(W), 2) == engine.hot_input_rows(_Config(W, sg=False), 2) == 9
    assert engine.hot_input_rows(_Config(W), 1) == 0
    for text in ("-1", "all"):
        monkeypatch.setenv("FASTW2V_HOT_INPUT_ROWS", text)
        with pytest.raises(ValueError, match="FASTW2V_HOT_INPUT_ROWS"):
            engine.hot_input_rows(_Config(W), 2)


def test_hot_merge_words_rule(monkeypatch):
    """CBOW merges every HOT_CBOW_MERGE_WORDS words, skip-gram once per batch; the variable overrides
    both and is checked."""
    W = np.zeros((50, 4), dtype=np.float32)
    monkeypatch.delenv("FASTW2V_HOT_MERGE_WORDS", raising=False)
    assert engine.hot_merge_words(_Config(W, sg=False)) == engine.HOT_CBOW_MERGE_WORDS > 0
    assert engine.hot_merge_words(_Config(W)) == 0
    monkeypatch.setenv("FASTW2V_HOT_MERGE_WORDS", "300")
    assert engine.hot_merge_words(_Config(W)) == engine.hot_merge_words(_Config(W, sg=False)) == 300
    for text in ("-5", "1e3"):
        monkeypatch.setenv("FASTW2V_HOT_MERGE_WORDS", text)
        with pytest.raises(ValueError, match="FASTW2V_HOT_MERGE_WORDS"):
            engine.hot_merge_words(_Config(W))


def test_hot_rows_push_adds_each_workers_change_to_the_shared_rows():
    """Two workers pull the same rows, each changes its copy, the shared rows move in between (a third
    writer): after both pushes the shared rows carry all three changes."""
    W = np.arange(40, dtype=np.float32).reshape(10, 4)
    a, b = engine.HotRows(_Config(W), 3), engine.HotRows(_Config(W), 3)
    a.pull()
    b.pull()
    a.rows += 1.0
    b.rows[1] -= 4.0
    W[:3] += 0.5                    # another worker's push, or Hogwild on these rows
    W[5] += 100.0                   # rows beyond the hot ones are not HotRows' business
    a.push()
    b.push()
    expected = np.arange(40, dtype=np.float32).reshape(10, 4)
    expected[:3] += 1.5
    expected[1] -= 4.0
    expected[5] += 100.0
    assert_array_equal(W, expected)


def test_hot_rows_push_merges_the_input_rows_too():
    """HotRows with input rows: both matrices' private rows are pulled and merged, the rows past them
    left alone; the kernel gets None for a matrix with no private rows."""
    W_out = np.arange(40, dtype=np.float32).reshape(10, 4)
    W_in = -np.arange(40, dtype=np.float32).reshape(10, 4)
    hot = engine.HotRows(_Config(W_out, W_in=W_in), 2, 50, n_in=3)
    hot.pull()
    assert_array_equal(hot.rows_in, W_in[:3])
    assert_array_equal(hot.pulled_in, W_in[:3])
    hot.rows += 1.0
    hot.rows_in -= 2.0
    W_in[:3] += 0.25                 # another worker's merge
    hot.push()
    expected_in = -np.arange(40, dtype=np.float32).reshape(10, 4)
    expected_in[:3] += 0.25 - 2.0
    assert_array_equal(W_in, expected_in)
    expected_out = np.arange(40, dtype=np.float32).reshape(10, 4)
    expected_out[:2] += 1.0
    assert_array_equal(W_out, expected_out)
    out, pulled, merge_words, inp, in_pulled = hot.kernel_args()
    assert out is hot.rows and pulled is hot.pulled and merge_words == 50
    assert inp is hot.rows_in and in_pulled is hot.pulled_in
    assert engine.HotRows(_Config(W_out, W_in=W_in), 0, 0, n_in=3).kernel_args()[:2] == (None, None)
    assert engine.HotRows(_Config(W_out, W_in=W_in), 2).kernel_args()[3:] == (None, None)


def test_several_workers_train_every_hot_row(monkeypatch, tmp_path):
    """corpus_file training with 2 workers and private hot rows: the hot rows move as much as the rest
    (none is left at its initial value or lost in a copy) and the vectors are finite."""
    monkeypatch.setenv("FASTW2V_HOT_ROWS", "20")
    rng = np.random.default_rng(0)
    words = [f"w{i}" for i in range(200)]
    p = 1.0 / np.arange(1, 201)
    path = tmp_path / "corpus.txt"
    path.write_text("\n".join(" ".join(rng.choice(words, 60, p=p / p.sum())) for _ in range(400)) + "\n")
    model = Word2Vec(vector_size=16, min_count=1, workers=2, epochs=2, seed=3, batch_words=500, sg=1)
    model.build_vocab(corpus_file=str(path))
    before = model.syn1neg.copy()
    model.train(corpus_file=str(path), total_examples=model.corpus_count,
                total_words=model.corpus_total_words, epochs=2)
    moved = np.linalg.norm(model.syn1neg - before, axis=1)
    assert np.all(np.isfinite(model.syn1neg)) and np.all(np.isfinite(model.wv.vectors))
    assert np.all(moved[:20] > 0)
    assert moved[:20].mean() > moved[20:].mean()          # the most frequent rows move the most


@pytest.mark.parametrize("sg", [0, 1])
def test_the_engine_gives_each_mode_its_private_rows_and_merge_interval(monkeypatch, tmp_path, sg):
    """By default CBOW keeps HOT_CBOW_ROWS output and HOT_CBOW_INPUT_ROWS input rows private and has
    the kernel merge them every HOT_CBOW_MERGE_WORDS words; skip-gram keeps HOT_OUTPUT_ROWS output
    rows, no input rows, and merges once per batch."""
    for name in ("FASTW2V_HOT_ROWS", "FASTW2V_HOT_INPUT_ROWS", "FASTW2V_HOT_MERGE_WORDS"):
        monkeypatch.delenv(name, raising=False)
    calls = []
    train_batch = engine.kernels.core.train_batch

    def recorded(config, rng, tokens, offsets, a0, a1, hot_out=None, hot_pulled=None, merge_words=0,
                 hot_in=None, hot_in_pulled=None):
        calls.append((None if hot_out is None else len(hot_out), merge_words,
                      None if hot_in is None else len(hot_in)))
        return train_batch(config, rng, tokens, offsets, a0, a1, hot_out, hot_pulled, merge_words,
                           hot_in, hot_in_pulled)

    monkeypatch.setattr(engine.kernels.core, "train_batch", recorded)
    rng = np.random.default_rng(2)
    words = [f"w{i}" for i in range(5000)]
    p = 1.0 / np.arange(1, len(words) + 1)
    path = tmp_path / "corpus.txt"
    path.write_text("\n".join(" ".join(rng.choice(words, 100, p=p / p.sum())) for _ in range(300)) + "\n")
    model = Word2Vec(vector_size=8, min_count=1, workers=2, epochs=1, seed=3, sg=sg)
    model.build_vocab(corpus_file=str(path))
    model.train(corpus_file=str(path), total_examples=model.corpus_count,
                total_words=model.corpus_total_words, epochs=1)
    assert np.all(np.isfinite(model.wv.vectors))
    assert calls
    expected = (min(engine.HOT_OUTPUT_ROWS, len(model.wv)), 0, None) if sg else \
        (engine.HOT_CBOW_ROWS, engine.HOT_CBOW_MERGE_WORDS, engine.HOT_CBOW_INPUT_ROWS)
    assert set(calls) == {expected}


def test_hot_rows_threads_never_touch_rows_they_do_not_own():
    """HotRows copies are per worker: two threads pulling, changing and pushing 200 times each end
    with every change applied once (pushes of different workers may interleave; here they are
    serialised by a lock, as the kernel's own races are not the point)."""
    W = np.zeros((8, 3), dtype=np.float32)
    lock = threading.Lock()

    def worker(step):
        hot = engine.HotRows(_Config(W), 4)
        for _ in range(200):
            with lock:
                hot.pull()
            hot.rows += step
            with lock:
                hot.push()

    threads = [threading.Thread(target=worker, args=(s,)) for s in (1.0, 2.0)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert_array_equal(W[:4], np.full((4, 3), 600.0, dtype=np.float32))
    assert_array_equal(W[4:], 0.0)


def test_merge_hot_rows_matches_reference_and_keeps_unchanged_elements_exact():
    """Elements nobody else changed take the worker's value bit for bit (not pulled + (rows - pulled),
    which rounds); changed ones get the worker's change added, as the reference computes it."""
    rng = np.random.default_rng(1)
    pulled = rng.normal(0, 1, (6, 37)).astype(np.float32)
    rows = rng.normal(0, 1, pulled.shape).astype(np.float32)   # changes of the rows' size: inexact
    shared = pulled.copy()
    others = rng.random(pulled.shape) < 0.3
    shared[others] += rng.normal(0, 1e-2, others.sum()).astype(np.float32)
    ours, theirs = shared.copy(), shared.copy()
    _core.merge_hot_rows(ours, rows, pulled)
    reference.merge_hot_rows(theirs, rows, pulled)
    assert_array_equal(ours, theirs)
    assert_array_equal(ours[~others], rows[~others])
    assert_array_equal(ours[others], shared[others] + (rows[others] - pulled[others]))
    assert not np.array_equal((pulled + (rows - pulled))[~others], rows[~others])   # the rounding avoided


def test_merge_hot_rows_checks_its_arrays():
    a = np.zeros((3, 4), dtype=np.float32)
    with pytest.raises(ValueError, match="rows must have the shape of shared"):
        _core.merge_hot_rows(a, np.zeros((3, 5), dtype=np.float32), a.copy())
    with pytest.raises(TypeError, match="pulled must be a C-contiguous float32"):
        _core.merge_hot_rows(a, a.copy(), np.zeros((3, 4)))
    with pytest.raises(TypeError, match="shared must have dtype float32"):
        _core.merge_hot_rows(np.zeros((3, 4)), a, a)
    with pytest.raises(ValueError, match="rows must not share memory with shared"):
        _core.merge_hot_rows(a, a[:], a.copy())


def test_one_worker_push_leaves_the_bits_of_the_plain_call():
    counts, tokens, offsets = _corpus(seed=8)
    core, _, core_w, _ = _case(dict(sg=1, mode="ns"))
    plain, _, plain_w, _ = _case(dict(sg=1, mode="ns"))
    hot = engine.HotRows(core, 10)
    hot.pull()
    _core.train_batch(core, _core.Rng(4), tokens, offsets, 0.05, 0.0, hot.rows)
    hot.push()
    _core.train_batch(plain, _core.Rng(4), tokens, offsets, 0.05, 0.0)
    for a, b in zip(core_w, plain_w):
        assert_array_equal(a, b)


def test_private_rows_are_allocated_before_any_worker_starts(monkeypatch, tmp_path):
    """A failure to allocate a worker's private rows is raised by train() itself, before a thread
    starts (a worker dying on it would leave the reader waiting for credits forever)."""
    def no_memory(config, n, merge_words=0, n_in=0):
        raise MemoryError(f"no room for {n} private rows")

    monkeypatch.setattr(engine, "HotRows", no_memory)
    path = tmp_path / "corpus.txt"
    path.write_text("a b c d e f g a b c a b a\n" * 50)
    model = Word2Vec(vector_size=8, min_count=1, workers=2, epochs=1, seed=1, sg=1)
    model.build_vocab(corpus_file=str(path))
    started = threading.active_count()
    with pytest.raises(MemoryError, match="private rows"):
        model.train(corpus_file=str(path), total_examples=model.corpus_count,
                    total_words=model.corpus_total_words, epochs=1)
    assert threading.active_count() == started
    assert not [t for t in threading.enumerate() if t.name.startswith("fastw2v-worker")]
