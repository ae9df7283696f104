"""Non-finite and out-of-range queries (issue 18, class 5).

Before the fix: ``most_similar`` with a NaN/inf query vector or a NaN weight returned NaN scores
silently; ``restrict_vocab=-1`` searched all but the last row and returned the query word as its
own neighbour; vectors of magnitude ~3e19 gave ``similarity(w, w) = nan`` (float32 squares
overflow) and tiny ones 0.0 (they underflow). Now bad queries raise ValueError naming the
argument, and every finite float32 vector gets a correct cosine.
"""
import numpy as np
import pytest

from fastw2v import KeyedVectors

DIM = 10
N = 40


def make_kv(seed=0):
    rng = np.random.default_rng(seed)
    keys = [f"w{i}" for i in range(N)]
    return KeyedVectors.from_arrays(keys, rng.standard_normal((N, DIM)).astype(np.float32),
                                    counts=np.arange(N, 0, -1))


@pytest.fixture
def kv():
    return make_kv()


BAD_VALUES = [np.nan, np.inf, -np.inf]


def bad_vector(value):
    v = np.ones(DIM, dtype=np.float32)
    v[3] = value
    return v


# ------------------------------------------------------------------ query vectors and weights

@pytest.mark.parametrize("value", BAD_VALUES)
def test_most_similar_refuses_nonfinite_query_vectors(kv, value):
    v = bad_vector(value)
    with pytest.raises(ValueError, match="positive.*NaN or infinity"):
        kv.most_similar(positive=[v])
    with pytest.raises(ValueError, match="negative.*NaN or infinity"):
        kv.most_similar(positive=["w1"], negative=[v])
    with pytest.raises(ValueError, match="positive"):
        kv.most_similar(positive=[(v, 1.0)])
    with pytest.raises(ValueError, match="vector"):
        kv.similar_by_vector(v)
    with pytest.raises(ValueError, match="positive"):
        kv.most_similar_cosmul(positive=[v])
    with pytest.raises(ValueError, match="negative"):
        kv.most_similar_cosmul(positive=["w2"], negative=[v])
    with pytest.raises(ValueError, match="word_or_vector"):
        kv.distances(v)
    with pytest.raises(ValueError, match="word_or_vector"):
        kv.distances(v, ["w1", "w2"])
    with pytest.raises(ValueError, match="keys"):
        kv.get_mean_vector([v, "w1"])
    with pytest.raises(ValueError, match="vector_1"):
        KeyedVectors.cosine_similarities(v, kv.vectors)
    with pytest.raises(ValueError, match="vectors_all"):
        KeyedVectors.cosine_similarities(kv["w1"], np.vstack([kv.vectors, v]))


@pytest.mark.parametrize("value", BAD_VALUES)
def test_most_similar_refuses_nonfinite_weights(kv, value):
    with pytest.raises(ValueError, match="positive.*'w1'.*finite"):
        kv.most_similar(positive=[("w1", value)])
    with pytest.raises(ValueError, match="negative.*'w2'.*finite"):
        kv.most_similar(positive=["w1"], negative=[("w2", value)])
    with pytest.raises(ValueError, match="weights"):
        kv.get_mean_vector(["w1", "w2"], weights=[1.0, value])
    with pytest.raises(TypeError, match="weight of 'w1' must be a number"):
        kv.most_similar(positive=[("w1", None)])


def test_finite_queries_still_work(kv):
    v = kv["w5"] * 2.0
    assert kv.similar_by_vector(v, topn=1)[0][0] == "w5"
    assert kv.most_similar(positive=[("w5", 0.5)], topn=3) == kv.most_similar("w5", topn=3)
    assert np.isfinite(kv.most_similar("w5", topn=None)).all()


def test_overflowing_weighted_sum_is_refused(kv):
    big = np.full(DIM, 1e308)
    with pytest.raises(ValueError, match="overflow"):
        kv.most_similar(positive=[big, big])


# ------------------------------------------------------------------ restrict_vocab and clip_*

def test_restrict_vocab_validated(kv, tmp_path):
    """Regression: restrict_vocab=-1 searched rows [0, N-1) and returned the query word itself."""
    for call in (lambda: kv.most_similar("w1", restrict_vocab=-1),
                 lambda: kv.most_similar_cosmul("w1", restrict_vocab=-1),
                 lambda: kv.similar_by_word("w1", restrict_vocab=-5),
                 lambda: kv.similar_by_vector(kv["w1"], restrict_vocab=-1)):
        with pytest.raises(ValueError, match="restrict_vocab must be >= 0"):
            call()
    with pytest.raises(ValueError, match="clip_start"):
        kv.most_similar("w1", clip_start=-3)
    with pytest.raises(ValueError, match="clip_end"):
        kv.most_similar("w1", clip_end=-1)
    with pytest.raises(TypeError, match="restrict_vocab must be an int"):
        kv.most_similar("w1", restrict_vocab=2.5)
    analogies = tmp_path / "q.txt"
    analogies.write_text(": s\nw1 w2 w3 w4\n")
    pairs = tmp_path / "p.txt"
    pairs.write_text("w1\tw2\t1.0\nw3\tw4\t2.0\nw5\tw6\t3.0\n")
    with pytest.raises(ValueError, match="restrict_vocab"):
        kv.evaluate_word_analogies(str(analogies), restrict_vocab=-1)
    with pytest.raises(ValueError, match="restrict_vocab"):
        kv.evaluate_word_pairs(str(pairs), restrict_vocab=-1)
    # the valid range keeps gensim's meaning: 0 or None search everything
    assert kv.most_similar("w1", restrict_vocab=0) == kv.most_similar("w1")
    assert [k for k, _ in kv.most_similar("w1", topn=50, restrict_vocab=5)] != []
    assert all(int(k[1:]) < 5 for k, _ in kv.most_similar("w1", topn=50, restrict_vocab=5))
    assert "w1" not in dict(kv.most_similar("w1", topn=N, restrict_vocab=N + 10))


# ------------------------------------------------------------------ magnitudes

# Exact power-of-two scalings of the same vectors: their cosines must not change. 2**100 squares
# overflow float32 (magnitude ~1e30), 2**65 is ~3.7e19 (the case), 2**-70 squares
# underflow to 0 in float32.
SCALES = [2.0 ** 100, 2.0 ** 65, 2.0 ** -70, 2.0 ** -120]


@pytest.mark.parametrize("scale", SCALES)
def test_cosines_survive_extreme_magnitudes(scale):
    plain = make_kv()
    scaled = KeyedVectors.from_arrays(plain.index_to_key, (plain.vectors * np.float32(scale)))
    assert np.isfinite(scaled.vectors).all() and np.all(scaled.vectors != 0)
    for key in ("w0", "w7"):
        assert scaled.similarity(key, key) == 1.0
        assert scaled.distance(key, key) == 0.0
    for a, b in (("w0", "w1"), ("w3", "w30")):
        assert scaled.similarity(a, b) == pytest.approx(plain.similarity(a, b), abs=1e-6)
    np.testing.assert_allclose(scaled.most_similar("w4", topn=None),
                               plain.most_similar("w4", topn=None), atol=1e-6)
    ours, theirs = scaled.most_similar("w4", topn=5), plain.most_similar("w4", topn=5)
    assert [k for k, _ in ours] == [k for k, _ in theirs]
    np.testing.assert_allclose([s for _, s in ours], [s for _, s in theirs], atol=1e-6)
    np.testing.assert_allclose(scaled.most_similar_cosmul(["w4", "w5"], ["w6"], topn=None),
                               plain.most_similar_cosmul(["w4", "w5"], ["w6"], topn=None),
                               rtol=1e-5)
    np.testing.assert_allclose(scaled.distances("w2"), plain.distances("w2"), atol=1e-6)
    np.testing.assert_allclose(scaled.distances("w2", ["w3", "w9"]),
                               plain.distances("w2", ["w3", "w9"]), atol=1e-6)
    assert scaled.n_similarity(["w1", "w2"], ["w3"]) == pytest.approx(
        plain.n_similarity(["w1", "w2"], ["w3"]), abs=1e-6)
    np.testing.assert_allclose(np.linalg.norm(scaled.get_normed_vectors().astype(np.float64),
                                              axis=1), 1.0, rtol=1e-6)
    np.testing.assert_allclose(scaled.get_vector("w8", norm=True), plain.get_vector("w8", norm=True),
                               atol=1e-6)
    scaled.fill_norms()
    np.testing.assert_allclose(scaled.norms / scale,
                               np.linalg.norm(plain.vectors.astype(np.float64), axis=1), rtol=1e-6)
    np.testing.assert_allclose(KeyedVectors.cosine_similarities(scaled["w1"], scaled.vectors),
                               KeyedVectors.cosine_similarities(plain["w1"], plain.vectors),
                               atol=1e-6)
    # a query vector of the same magnitude, given raw
    assert scaled.similar_by_vector(scaled["w6"], topn=1)[0][0] == "w6"


def test_mixed_magnitudes_in_one_matrix():
    """Rows from 1e-40 (float32 subnormals) to 1e38 in one matrix: each row's cosine with a
    query equals the float64 cosine of the stored values."""
    rng = np.random.default_rng(5)
    base = rng.standard_normal((8, DIM))
    scales = np.array([1e-40, 1e-30, 1e-20, 1.0, 1e19, 3e19, 1e30, 1e37])
    vectors = (base * (scales[:, None] / np.abs(base).max(axis=1, keepdims=True))).astype(np.float32)
    assert np.isfinite(vectors).all() and np.all(np.any(vectors != 0, axis=1))
    kv = KeyedVectors.from_arrays([f"r{i}" for i in range(8)], vectors)
    stored = vectors.astype(np.float64)
    unit = stored / np.linalg.norm(stored, axis=1, keepdims=True)
    for i in range(8):
        expected = unit @ unit[i]
        np.testing.assert_allclose(kv.most_similar(f"r{i}", topn=None), expected, atol=1e-6)
        assert kv.similarity(f"r{i}", f"r{i}") == 1.0
        for j in range(8):
            assert kv.similarity(f"r{i}", f"r{j}") == pytest.approx(expected[j], abs=1e-6)


def test_norms_are_float64_and_zero_rows_score_zero():
    vectors = np.zeros((3, DIM), np.float32)
    vectors[1, 0] = 1.0
    vectors[2, 1] = 3e38
    kv = KeyedVectors.from_arrays(["zero", "one", "huge"], vectors)
    kv.fill_norms()
    assert kv.norms.dtype == np.float64
    np.testing.assert_allclose(kv.norms, [0.0, 1.0, 3e38], rtol=1e-6)
    assert kv.similarity("zero", "one") == 0.0 and kv.similarity("zero", "zero") == 0.0
    np.testing.assert_allclose(kv.most_similar("huge", topn=None), [0.0, 0.0, 1.0], atol=1e-7)


@pytest.mark.parametrize("scale", [2.0 ** 65, 2.0 ** -120])
def test_evaluations_survive_extreme_magnitudes(scale, tmp_path):
    """evaluate_word_analogies (3CosAdd and 3CosMul) and evaluate_word_pairs give the same answers
    for a power-of-two scaling of the vectors (before: NaN pair scores, arbitrary analogy answers)."""
    plain = make_kv(seed=2)
    scaled = KeyedVectors.from_arrays(plain.index_to_key, plain.vectors * np.float32(scale),
                                      counts=np.arange(N, 0, -1))
    rng = np.random.default_rng(4)
    questions = [rng.choice(plain.index_to_key, 4, replace=False) for _ in range(40)]
    for i, q in enumerate(questions[::2]):  # half of them answered right by construction
        q[3] = next(w for w, _ in plain.most_similar(positive=[q[1], q[2]], negative=[q[0]])
                    if w not in q[:3])
    analogies = tmp_path / "analogies.txt"
    analogies.write_text(": s\n" + "\n".join(" ".join(q) for q in questions) + "\n")
    for function in ("most_similar", "most_similar_cosmul"):
        want_score, want = plain.evaluate_word_analogies(analogies, similarity_function=function)
        got_score, got = scaled.evaluate_word_analogies(analogies, similarity_function=function)
        assert got_score == want_score and got == want
        if function == "most_similar":
            assert want_score >= 0.5
    pairs = tmp_path / "pairs.txt"
    pairs.write_text("".join(f"{a}\t{b}\t{rng.uniform(0, 10):.2f}\n"
                             for a, b in (rng.choice(plain.index_to_key, 2, replace=False)
                                          for _ in range(30))))
    got, want = scaled.evaluate_word_pairs(pairs), plain.evaluate_word_pairs(pairs)
    assert np.isfinite(got[0][0]) and np.isfinite(got[1][0])
    assert got[0][0] == pytest.approx(want[0][0], abs=1e-6)
    assert got[1][0] == pytest.approx(want[1][0], abs=1e-6)
