"""fastw2v.KeyedVectors: lookups, queries, evaluation, sentence vectors, native files, interop.

Planted vectors with known answers always run; agreement with gensim on the same random vectors
runs when gensim is installed.

Bitwise assertions here are lookups (rows returned as stored: M + R is computed once, by NumPy,
when the fixture stores it), file round trips and copies: no CPU dependence; scores compare with
tolerances, since NumPy/BLAS dot products may sum in a CPU-dependent order.
"""
import os
import sys

import numpy as np
import pytest

from fastw2v import KeyedVectors
from fastw2v import keyedvectors as kvmod
from fastw2v import evaluation as evaluation_mod
from fastw2v import sentences as sentences_mod
from fastw2v.io import VectorFileError

# ------------------------------------------------------------------ planted vectors
#
# Orthogonal directions: male m, female f, royal r, person p, capital c, country n, France fr,
# Germany de, Italy it. man = m+p, woman = f+p, king = m+r, queen = f+r, so with unit vectors
# king - man + woman points exactly at queen; paris = fr+c, france = fr+n, berlin = de+c, ...
DIM = 16
E = np.eye(DIM, dtype=np.float32)
M, F, R, P, C, N, FR, DE, IT = (E[i] for i in range(9))
PLANTED = {
    "man": M + P, "woman": F + P, "king": M + R, "queen": F + R,
    "paris": FR + C, "france": FR + N, "berlin": DE + C, "germany": DE + N,
    "rome": IT + C, "italy": IT + N,
    "King": M + R + 0.01 * E[9],  # a case variant of king, less frequent (later row)
}


def planted_kv():
    rng = np.random.default_rng(0)
    keys = list(PLANTED)
    vectors = [PLANTED[k] for k in keys]
    for i in range(20):  # distractors in the unused dimensions
        keys.append(f"noise{i}")
        v = np.zeros(DIM, np.float32)
        v[10:] = rng.standard_normal(DIM - 10)
        vectors.append(v)
    counts = np.arange(len(keys), 0, -1) * 100
    return KeyedVectors.from_arrays(keys, np.array(vectors, dtype=np.float32), counts)


@pytest.fixture
def kv():
    return planted_kv()


def random_kv(n=300, dim=24, seed=1, variants=True):
    rng = np.random.default_rng(seed)
    keys = [f"w{i}" for i in range(n)]
    if variants:  # upper-case variants of some frequent words, later in the vocabulary
        for i in range(0, n, 10):
            keys[n - 1 - i // 10] = f"W{i}"
    return KeyedVectors.from_arrays(keys, rng.standard_normal((n, dim)).astype(np.float32),
                                    counts=np.arange(n, 0, -1) * 3)


# ------------------------------------------------------------------ construction and lookup

def test_basic_lookup(kv):
    assert len(kv) == 31 and kv.vector_size == DIM
    assert kv.index_to_key[2] == "king" and kv.key_to_index["king"] == 2
    assert "king" in kv and "KING" not in kv and ["unhashable"] not in kv
    np.testing.assert_array_equal(kv["king"], M + R)
    assert kv[["man", "queen"]].shape == (2, DIM)
    np.testing.assert_array_equal(kv[["man", "queen"]][1], F + R)
    assert kv.get_index("queen") == 3 and kv.get_index(4) == 4 and kv.get_index("nope", -1) == -1
    np.testing.assert_allclose(kv.get_vector("king", norm=True), (M + R) / np.sqrt(2), rtol=1e-6)
    with pytest.raises(ValueError):
        kv.get_vector("king")[0] = 5  # read-only views protect the norm cache
    assert repr(kv) == "KeyedVectors<vector_size=16, 31 keys>"


def test_unknown_keys_raise_key_error_naming_the_word(kv):
    calls = [
        lambda: kv["zebra"], lambda: kv.get_vector("zebra"), lambda: kv.get_index("zebra"),
        lambda: kv.most_similar("zebra"), lambda: kv.most_similar(["king"], ["zebra"]),
        lambda: kv.most_similar_cosmul(["king", "zebra"]), lambda: kv.similarity("king", "zebra"),
        lambda: kv.distance("zebra", "king"), lambda: kv.distances("king", ["zebra"]),
        lambda: kv.n_similarity(["king"], ["zebra"]), lambda: kv.doesnt_match(["king", "zebra"]),
        lambda: kv.rank("king", "zebra"), lambda: kv.closer_than("zebra", "king"),
        lambda: kv[["king", "zebra"]], lambda: kv.get_mean_vector(["zebra"], ignore_missing=False),
        lambda: kv.get_vecattr("zebra", "count"),
    ]
    for call in calls:
        with pytest.raises(KeyError, match="zebra"):
            call()


def test_empty_queries_raise_value_error(kv):
    for call in (lambda: kv.most_similar(), lambda: kv.most_similar(positive=[], negative=[]),
                 lambda: kv.most_similar_cosmul(negative=["king"]),
                 lambda: kv.n_similarity([], ["king"]), lambda: kv.doesnt_match([]),
                 lambda: kv.get_mean_vector([])):
        with pytest.raises(ValueError):
            call()


def test_from_arrays_validation():
    with pytest.raises(ValueError, match="duplicate key 'a'"):
        KeyedVectors.from_arrays(["a", "b", "a"], np.zeros((3, 2)))
    with pytest.raises(TypeError, match="str"):
        KeyedVectors.from_arrays(["a", 5], np.zeros((2, 2)))
    with pytest.raises(ValueError, match="shape"):
        KeyedVectors.from_arrays(["a"], np.zeros((2, 2)))
    vectors = np.zeros((2, 3), np.float32)
    assert KeyedVectors.from_arrays(["a", "b"], vectors).vectors is vectors  # not copied
    with pytest.raises(ValueError):
        KeyedVectors(0)


def test_preallocated_slots_and_add_vectors():
    kv = KeyedVectors(3, count=2)
    assert kv.vectors.shape == (2, 3) and kv.index_to_key == [None, None]
    assert kv.add_vector("a", [1, 2, 3]) == 0 and kv.add_vector("b", [4, 5, 6]) == 1
    assert kv.add_vector("c", [7, 8, 9]) == 2  # grows beyond the preallocation
    assert kv.index_to_key == ["a", "b", "c"] and kv.vectors[2].tolist() == [7, 8, 9]
    kv.add_vectors(["b", "d"], np.array([[0, 0, 0], [1, 1, 1]]), extras={"count": np.array([5, 9])})
    assert kv["b"].tolist() == [4, 5, 6]  # kept without replace
    assert kv.index_to_key[-1] == "d" and kv.get_vecattr("d", "count") == 9
    assert kv.get_vecattr("a", "count") == 0
    kv["b"] = np.array([0.5, 0.5, 0.5])
    assert kv["b"].tolist() == [0.5, 0.5, 0.5]
    with pytest.raises(ValueError, match="twice"):
        kv.add_vectors(["x", "x"], np.zeros((2, 3)))
    unfilled = KeyedVectors(2, count=2)
    unfilled.add_vector("only", [1, 1])
    with pytest.raises(ValueError, match="never filled"):
        unfilled.save_word2vec_format("/nonexistent/never-written.txt")


def test_vecattrs_and_sorting():
    kv = KeyedVectors.from_arrays(["a", "b", "c"], np.eye(3, dtype=np.float32))
    kv.set_vecattr("b", "count", 10)
    kv.set_vecattr("c", "count", 30)
    kv.set_vecattr("a", "score", 0.5)
    assert kv.expandos["count"].dtype == np.int64 and kv.get_vecattr("c", "count") == 30
    assert kv.get_vecattr("a", "score") == 0.5
    with pytest.raises(TypeError):
        kv.set_vecattr("a", "count", 1.5)
    with pytest.raises(TypeError):
        kv.set_vecattr("a", "label", "text")
    kv.sort_by_descending_frequency()
    assert kv.index_to_key == ["c", "b", "a"] and kv.key_to_index["a"] == 2
    assert kv["c"].tolist() == [0, 0, 1] and kv.expandos["count"].tolist() == [30, 10, 0]
    assert kv.get_vecattr("a", "score") == 0.5


# ------------------------------------------------------------------ similarity queries

def test_most_similar_planted(kv):
    assert kv.most_similar(positive=["king", "woman"], negative=["man"], topn=1)[0][0] == "queen"
    top = kv.most_similar(positive=["king", "woman"], negative=["man"], topn=1)[0][1]
    assert top == pytest.approx(1.0, abs=1e-6)
    assert kv.most_similar(positive=["germany", "paris"], negative=["france"], topn=1)[0][0] == "berlin"
    # the input words are never returned, a close variant is
    assert kv.most_similar("king", topn=1)[0][0] == "King"
    # vectors and (key, weight) pairs
    assert kv.most_similar(positive=[F + R], topn=1)[0][0] == "queen"
    assert kv.similar_by_vector(F + R, topn=1)[0][0] == "queen"
    assert kv.most_similar(positive=[("king", 1.0), ("woman", 1.0), ("man", -1.0)], topn=1)[0][0] == "queen"
    assert kv.similar_by_word("queen", topn=1) == kv.most_similar("queen", topn=1)


def test_most_similar_topn_and_restrict_vocab(kv):
    assert kv.most_similar("king", topn=0) == []
    everything = kv.most_similar("king", topn=None)
    assert isinstance(everything, np.ndarray) and everything.shape == (len(kv),)
    assert everything[kv.key_to_index["king"]] == pytest.approx(1.0, abs=1e-6)
    result = kv.most_similar("king", topn=100)
    assert len(result) == len(kv) - 1 and "king" not in [w for w, _ in result]
    scores = [s for _, s in result]
    assert scores == sorted(scores, reverse=True)
    restricted = kv.most_similar("king", topn=100, restrict_vocab=4)
    assert [w for w, _ in restricted] == ["man", "queen", "woman"]  # tie at 0.5: row order
    assert kv.most_similar("king", topn=None, restrict_vocab=4).shape == (4,)


def test_most_similar_ties_break_by_row(kv):
    twin = KeyedVectors.from_arrays(["q", "b", "a", "c"], np.array(
        [[1, 0], [1, 1], [1, 1], [1, 1]], np.float32))
    assert [w for w, _ in twin.most_similar("q", topn=3)] == ["b", "a", "c"]


def test_most_similar_cosmul_planted(kv):
    assert kv.most_similar_cosmul(positive=["king", "woman"], negative=["man"], topn=1)[0][0] == "queen"
    top = kv.most_similar_cosmul(positive=["king", "woman"], negative=["man"], topn=1)[0][1]
    expected = (1 + 0.5) / 2 * (1 + 0.5) / 2 / ((1 + 0) / 2 + 1e-6)
    assert top == pytest.approx(expected, rel=1e-5)
    assert kv.most_similar_cosmul(positive=["rome"], topn=2, restrict_vocab=10)[0][0] in ("paris", "italy")
    assert kv.most_similar_cosmul(positive=["king"], topn=0) == []


def test_pairwise_similarities(kv):
    assert kv.similarity("king", "queen") == pytest.approx(0.5, abs=1e-6)
    assert kv.similarity("king", "paris") == pytest.approx(0.0, abs=1e-6)
    assert kv.distance("king", "queen") == pytest.approx(0.5, abs=1e-6)
    assert isinstance(kv.similarity("king", "queen"), float)
    d = kv.distances("king")
    assert d.shape == (len(kv),) and d[kv.key_to_index["king"]] == pytest.approx(0, abs=1e-6)
    np.testing.assert_allclose(kv.distances("king", ["queen", "paris"]), [0.5, 1.0], atol=1e-6)
    np.testing.assert_allclose(kv.distances(M + R, ["king"]), [0.0], atol=1e-6)
    # means (m+f+2r)/2 and (m+f+2p)/2: cosine 2/6
    assert kv.n_similarity(["king", "queen"], ["man", "woman"]) == pytest.approx(1 / 3, abs=1e-6)
    assert kv.doesnt_match(["king", "queen", "man", "paris"]) == "paris"
    assert kv.most_similar_to_given("king", ["paris", "queen", "rome"]) == "queen"
    closer = kv.closer_than("king", "queen")
    assert closer == ["King"]
    assert kv.rank("king", "queen") == 2 and kv.rank("king", "King") == 1


def test_zero_vectors_have_similarity_zero():
    kv = KeyedVectors.from_arrays(["zero", "a", "b"], np.array([[0, 0], [1, 0], [0, 1]], np.float32))
    assert kv.similarity("zero", "a") == 0.0
    assert np.isfinite(kv.most_similar("a", topn=None)).all()
    assert np.isfinite(kv.get_normed_vectors()).all()
    assert kv.most_similar("zero", topn=2) == [("a", 0.0), ("b", 0.0)]


def test_norm_cache_follows_vector_changes(kv):
    kv.fill_norms()
    first = kv.norms.copy()
    version = kv.vectors_version
    # in-place change: invisible until declared
    kv.vectors[kv.key_to_index["paris"]] = 10 * (M + R)
    assert kv.norms is not None  # stale by design (documented): no way to see an in-place write
    kv.invalidate_norms()
    assert kv.vectors_version == version + 1 and kv.norms is None
    assert kv.most_similar("king", topn=1)[0] == ("paris", pytest.approx(1.0, abs=1e-6))
    assert kv.norms[kv.key_to_index["paris"]] == pytest.approx(10 * np.sqrt(2), rel=1e-6)
    # assignment is seen automatically
    kv.vectors = kv.vectors * 2
    np.testing.assert_allclose(kv.get_vector("queen", norm=True), (F + R) / np.sqrt(2), rtol=1e-6)
    kv.fill_norms()
    assert kv.norms[0] == pytest.approx(2 * first[0])
    kv.vectors_changed()
    assert kv.norms is None
    kv.fill_norms(force=True)
    kv.norms = None
    assert kv.norms is None
    # adding vectors is seen too
    kv.add_vectors(["new"], np.array([F + R]))
    assert kv.most_similar("queen", topn=1)[0][0] == "new"


def test_get_normed_vectors_and_unit_normalize_all(kv):
    normed = kv.get_normed_vectors()
    np.testing.assert_allclose(np.linalg.norm(normed, axis=1), 1, rtol=1e-6)
    kv.unit_normalize_all()
    np.testing.assert_allclose(kv.vectors, normed, rtol=1e-6)
    assert kv.norms is None  # the vectors changed
    kv.fill_norms()
    np.testing.assert_allclose(kv.norms, 1, rtol=1e-6)


def test_get_mean_vector(kv):
    np.testing.assert_allclose(kv.get_mean_vector(["king", "queen"]), (M + F + 2 * R) / (2 * np.sqrt(2)),
                               rtol=1e-6)
    np.testing.assert_allclose(kv.get_mean_vector(["king", "queen"], pre_normalize=False),
                               (M + F + 2 * R) / 2, rtol=1e-6)
    np.testing.assert_allclose(kv.get_mean_vector(["king", "zebra"]), (M + R) / np.sqrt(2), rtol=1e-6)
    weighted = kv.get_mean_vector(["king", "queen"], weights=[3, -1], pre_normalize=False)
    np.testing.assert_allclose(weighted, (3 * (M + R) - (F + R)) / 4, rtol=1e-6)
    post = kv.get_mean_vector(["king", "queen"], post_normalize=True)
    assert np.linalg.norm(post) == pytest.approx(1, rel=1e-6)
    with pytest.raises(ValueError, match="same length"):
        kv.get_mean_vector(["king"], weights=[1, 2])
    assert kv.get_mean_vector(["zebra"]).tolist() == [0.0] * DIM


# ------------------------------------------------------------------ evaluation (planted)

PAIRS = """# word1\tword2\tscore
king\tqueen\t5.0
KING\tman\t5.0
king\tparis\t0.0
paris\tberlin\t5.0
france\tgermany\t5.0
paris\trome\t5.0
queen\tfrance\t0.0
not a valid line
man\tzebra\t3.0
"""

ANALOGIES = """: family
man king woman queen
MAN King woman QUEEN
man king woman paris
man king woman zebra
: capital-common-countries
france paris germany berlin
france paris italy rome
germany berlin italy france
"""


def test_evaluate_word_pairs_planted(kv, tmp_path):
    from scipy import stats

    path = tmp_path / "pairs.tsv"
    path.write_text(PAIRS)
    pearson, spearman, oov = kv.evaluate_word_pairs(str(path))
    gold = [5, 5, 0, 5, 5, 5, 0]
    model = [0.5, 0.5, 0, 0.5, 0.5, 0.5, 0]
    assert pearson[0] == pytest.approx(1.0) and spearman[0] == pytest.approx(1.0)
    assert pearson[1] == pytest.approx(stats.pearsonr(gold, model)[1], abs=1e-12)
    assert spearman[1] == pytest.approx(stats.spearmanr(gold, model)[1], abs=1e-12)
    assert oov == pytest.approx(100 / 8)
    # dummy4unknown scores the unknown pair 0 and counts it in
    pearson, spearman, oov = kv.evaluate_word_pairs(str(path), dummy4unknown=True)
    assert oov == pytest.approx(100 / 8)
    assert pearson[0] == pytest.approx(stats.pearsonr(gold + [3], model + [0])[0], rel=1e-6)
    # case-sensitive: "KING" is then unknown
    _, _, oov = kv.evaluate_word_pairs(str(path), case_insensitive=False)
    assert oov == pytest.approx(200 / 8)
    empty = tmp_path / "empty.tsv"
    empty.write_text("zebra\tunicorn\t1\n")
    with pytest.raises(ValueError, match="No valid|no valid"):
        kv.evaluate_word_pairs(str(empty))


def test_evaluate_word_analogies_planted(kv, tmp_path):
    path = tmp_path / "questions.txt"
    path.write_text(ANALOGIES)
    score, sections = kv.evaluate_word_analogies(str(path))
    assert [s["section"] for s in sections] == ["family", "capital-common-countries", "Total accuracy"]
    family, capitals, total = sections
    assert family["correct"] == [("MAN", "KING", "WOMAN", "QUEEN")] * 2
    assert family["incorrect"] == [("MAN", "KING", "WOMAN", "PARIS")]  # the zebra line is skipped
    assert capitals["correct"] == [("FRANCE", "PARIS", "GERMANY", "BERLIN"),
                                   ("FRANCE", "PARIS", "ITALY", "ROME")]
    assert capitals["incorrect"] == [("GERMANY", "BERLIN", "ITALY", "FRANCE")]
    assert len(total["correct"]) == 4 and len(total["incorrect"]) == 2
    assert score == pytest.approx(4 / 6)
    score, sections = kv.evaluate_word_analogies(str(path), dummy4unknown=True)
    assert ("MAN", "KING", "WOMAN", "ZEBRA") in sections[0]["incorrect"] and score == pytest.approx(4 / 7)
    # case-sensitive: the "MAN King woman QUEEN" line is out of vocabulary
    score, sections = kv.evaluate_word_analogies(str(path), case_insensitive=False)
    assert sections[0]["correct"] == [("man", "king", "woman", "queen")]
    # restricted to the first 4 words only the family questions remain
    score, sections = kv.evaluate_word_analogies(str(path), restrict_vocab=4)
    assert len(sections[1]["correct"]) + len(sections[1]["incorrect"]) == 0
    assert len(sections[0]["correct"]) == 2


def test_analogy_skips_case_variants_of_the_question_words(tmp_path):
    # alpha == beta, so the query points at gamma; its case variant "Gamma" ranks first among the
    # candidates but is a variant of an input word, so the answer is the next one, delta.
    e = np.eye(4, dtype=np.float32)
    kv = KeyedVectors.from_arrays(["alpha", "beta", "gamma", "Gamma", "delta"],
                                  np.array([e[0], e[0], e[1], e[1], e[1] + 0.5 * e[2]]))
    path = tmp_path / "q.txt"
    path.write_text(": s\nalpha beta gamma delta\n")
    assert kv.evaluate_word_analogies(str(path))[0] == 1.0
    assert kv.evaluate_word_analogies(str(path), case_insensitive=False)[0] == 0.0


def test_evaluate_word_analogies_is_batched(kv, tmp_path, monkeypatch):
    path = tmp_path / "questions.txt"
    path.write_text(ANALOGIES)
    expected = kv.evaluate_word_analogies(str(path))

    def forbidden(*args, **kwargs):
        raise AssertionError("analogy evaluation must not call most_similar per question")

    monkeypatch.setattr(kv, "most_similar", forbidden)
    monkeypatch.setattr(evaluation_mod, "_QUERY_BLOCK_ELEMENTS", 40)  # several blocks of questions
    assert kv.evaluate_word_analogies(str(path)) == expected


def test_analogy_file_errors(kv, tmp_path):
    path = tmp_path / "q.txt"
    path.write_text("man king woman queen\n")
    with pytest.raises(ValueError, match="line 1"):
        kv.evaluate_word_analogies(str(path))
    path.write_text(": empty\n")
    with pytest.raises(ValueError, match="no analogy questions"):
        kv.evaluate_word_analogies(str(path))
    with pytest.raises(ValueError, match="most_similar"):
        kv.evaluate_word_analogies(str(path), similarity_function="cosmul")


# ------------------------------------------------------------------ sentence vectors

def test_embed_sentences_mean(kv):
    sentences = [["king", "queen"], [], ["zebra"], ["paris", "paris", "zebra", "rome"]]
    out = kv.embed_sentences(sentences)
    assert out.shape == (4, DIM) and out.dtype == np.float32
    np.testing.assert_allclose(out[0], (M + F + 2 * R) / 2, rtol=1e-6)
    assert not out[1].any() and not out[2].any()
    np.testing.assert_allclose(out[3], (2 * (FR + C) + IT + C) / 3, rtol=1e-6)
    normed = kv.embed_sentences(sentences, pre_normalize=True)
    for i, sentence in enumerate(sentences):
        if any(w in kv for w in sentence):
            np.testing.assert_allclose(normed[i], kv.get_mean_vector(sentence), rtol=1e-6, atol=1e-7)
    with pytest.raises(KeyError, match="zebra"):
        kv.embed_sentences(sentences, ignore_missing=False)
    with pytest.raises(TypeError, match="list of tokens"):
        kv.embed_sentences(["king queen"])
    assert kv.embed_sentences([]).shape == (0, DIM)


def test_embed_sentences_sif_weights(kv):
    counts = kv.expandos["count"].astype(np.float64)
    p = counts / counts.sum()
    a = 1e-3
    out = kv.embed_sentences([["king", "queen", "zebra"]], weighting="sif")
    iking, iqueen = kv.key_to_index["king"], kv.key_to_index["queen"]
    expected = (a / (a + p[iking]) * (M + R) + a / (a + p[iqueen]) * (F + R)) / 2
    np.testing.assert_allclose(out[0], expected, rtol=1e-5)
    out = kv.embed_sentences([["king"]], weighting="sif", a=0.5)
    np.testing.assert_allclose(out[0], 0.5 / (0.5 + p[iking]) * (M + R), rtol=1e-5)
    np.testing.assert_allclose(kv.sif_weights(a)[iking], a / (a + p[iking]))
    with pytest.raises(ValueError, match="weighting"):
        kv.embed_sentences([["king"]], weighting="tfidf")


def test_embed_sentences_sif_needs_counts():
    kv = KeyedVectors.from_arrays(["a"], np.ones((1, 2), np.float32))
    with pytest.raises(ValueError, match="counts"):
        kv.embed_sentences([["a"]], weighting="sif")
    kv.expandos["count"] = np.array([5])
    kv.counts_are_placeholders = True
    with pytest.warns(UserWarning, match="placeholders"):
        kv.embed_sentences([["a"]], weighting="sif")


def test_embed_sentences_remove_principal_component():
    kv = random_kv(200, 12, variants=False)
    rng = np.random.default_rng(5)
    sentences = [[f"w{j}" for j in rng.integers(0, 200, size=rng.integers(1, 9))] for _ in range(60)]
    sentences.append([])
    raw = kv.embed_sentences(sentences, weighting="sif").astype(np.float64)
    removed = kv.embed_sentences(sentences, weighting="sif", remove_pc=1).astype(np.float64)
    u = np.linalg.svd(raw[:-1], full_matrices=False)[2][0]
    np.testing.assert_allclose(removed, raw - np.outer(raw @ u, u), atol=1e-5)
    np.testing.assert_allclose(removed[:-1] @ u, 0, atol=1e-5)
    assert not removed[-1].any()  # an empty sentence stays zero
    components = kvmod.principal_components(raw[:-1], 1)
    np.testing.assert_allclose(np.abs(components[0]), np.abs(u), atol=1e-6)
    given = kv.embed_sentences(sentences, weighting="sif", remove_pc=components)
    np.testing.assert_allclose(given, removed, atol=1e-5)
    two = kv.embed_sentences(sentences, remove_pc=2).astype(np.float64)
    np.testing.assert_allclose(two[:-1] @ kvmod.principal_components(
        kv.embed_sentences(sentences)[:-1], 2).T, 0, atol=1e-5)
    with pytest.raises(ValueError, match="non-empty sentences"):
        kv.embed_sentences([["w1"]], remove_pc=1)


def test_embed_sentences_blocks_match_a_plain_loop(monkeypatch):
    kv = random_kv(50, 6, variants=False)
    rng = np.random.default_rng(2)
    sentences = [[f"w{j}" for j in rng.integers(0, 60, size=rng.integers(0, 12))] for _ in range(40)]
    monkeypatch.setattr(sentences_mod, "_SENTENCE_BLOCK_TOKENS", 5)  # sentences longer than a block too
    out = kv.embed_sentences(sentences, weighting="sif", pre_normalize=True)
    weights = kv.sif_weights()
    normed = kv.get_normed_vectors()
    for row, sentence in zip(out, sentences):
        ids = [kv.key_to_index[w] for w in sentence if w in kv]
        expected = (sum(weights[i] * normed[i] for i in ids) / len(ids)) if ids else np.zeros(6)
        np.testing.assert_allclose(row, expected, rtol=1e-5, atol=1e-6)


# ------------------------------------------------------------------ native files

def test_native_save_load_round_trip(tmp_path):
    keys = ["new york", "a\nb", "日本", "", "x" * 300, "\udcff-lone"]
    vectors = np.random.default_rng(0).standard_normal((len(keys), 5)).astype(np.float32)
    kv = KeyedVectors.from_arrays(keys, vectors, counts=[6, 5, 4, 3, 2, 1])
    kv.set_vecattr("日本", "score", 0.25)
    kv.counts_are_placeholders = True
    path = str(tmp_path / "kv.fw2v")
    kv.save(path)
    for mmap in (None, "r", "c"):
        back = KeyedVectors.load(path, mmap=mmap)
        assert back.index_to_key == keys
        assert back.vectors.tobytes() == vectors.tobytes()
        assert back.expandos["count"].tolist() == [6, 5, 4, 3, 2, 1]
        assert back.get_vecattr("日本", "score") == 0.25
        assert back.counts_are_placeholders
        assert isinstance(back.vectors, np.memmap) == (mmap is not None)
        assert back.most_similar("日本", topn=1) == kv.most_similar("日本", topn=1)


def test_native_load_mmap_is_read_only(tmp_path):
    kv = random_kv(20, 4)
    kv.save(str(tmp_path / "kv.fw2v"))
    mapped = KeyedVectors.load(str(tmp_path / "kv.fw2v"), mmap="r")
    with pytest.raises(ValueError):
        mapped.vectors[0, 0] = 1.0
    assert mapped.vectors.ctypes.data % 64 == 0


def test_native_load_rejects_other_and_inconsistent_files(tmp_path):
    from fastw2v import io as fio

    other = str(tmp_path / "other.fw2v")
    fio.save_native(other, {"vectors": np.zeros((1, 2), np.float32)}, {"format": "something.else"})
    with pytest.raises(VectorFileError, match="not a fastw2v KeyedVectors file"):
        KeyedVectors.load(other)
    kv = random_kv(3, 2)
    bad = str(tmp_path / "bad.fw2v")
    fio.save_native(bad, {"vectors": kv.vectors, "keys_utf8": np.frombuffer(b"w0w1w2", np.uint8),
                          "keys_offsets": np.array([0, 2, 9, 6])},
                    {"format": "fastw2v.KeyedVectors", "version": 1, "vector_size": 2, "expandos": []})
    with pytest.raises(VectorFileError, match="keys_offsets"):
        KeyedVectors.load(bad)
    fio.save_native(bad, {"vectors": kv.vectors, "keys_utf8": np.frombuffer(b"w0w1w2", np.uint8),
                          "keys_offsets": np.array([0, 2, 4, 6])},
                    {"format": "fastw2v.KeyedVectors", "version": 2, "vector_size": 2, "expandos": []})
    with pytest.raises(VectorFileError, match="version 2"):
        KeyedVectors.load(bad)
    with pytest.raises(VectorFileError, match="not a fastw2v native file"):
        KeyedVectors.load(__file__)


# ------------------------------------------------------------------ interop

def test_to_from_gensim(tmp_path):
    gensim_models = pytest.importorskip("gensim.models", reason="gensim is not installed")
    kv = random_kv(30, 6)
    kv.set_vecattr("w1", "score", 1.5)
    g = kv.to_gensim()
    assert isinstance(g, gensim_models.KeyedVectors)
    assert g.index_to_key == kv.index_to_key and np.array_equal(g.vectors, kv.vectors)
    assert g.get_vecattr("w3", "count") == kv.get_vecattr("w3", "count")
    assert g.get_vecattr("w1", "score") == 1.5
    g.vectors[0] += 1  # a copy
    assert not np.array_equal(g.vectors[0], kv.vectors[0])
    back = KeyedVectors.from_gensim(g)
    assert back.index_to_key == kv.index_to_key and np.array_equal(back.vectors[1:], kv.vectors[1:])
    assert back.expandos["count"].tolist() == kv.expandos["count"].tolist()
    model = gensim_models.Word2Vec([["a", "b", "c", "a"]] * 20, vector_size=4, min_count=1, seed=1,
                                   workers=1, epochs=1)
    from_model = KeyedVectors.from_gensim(model)
    assert from_model.index_to_key == model.wv.index_to_key
    assert from_model.get_vecattr("a", "count") == 40


def test_to_torch():
    torch = pytest.importorskip("torch", reason="torch is not installed")
    kv = random_kv(10, 4)
    embedding = kv.to_torch()
    assert isinstance(embedding, torch.nn.Embedding)
    assert not embedding.weight.requires_grad
    np.testing.assert_array_equal(embedding.weight.detach().numpy(), kv.vectors)
    trainable = kv.to_torch(freeze=False, padding_idx="w2")
    assert trainable.weight.requires_grad and trainable.padding_idx == 2
    row = embedding(torch.tensor([kv.key_to_index["w5"]]))[0].numpy()
    np.testing.assert_array_equal(row, kv["w5"])


def test_interop_without_the_libraries(monkeypatch):
    kv = random_kv(5, 2)
    monkeypatch.setitem(sys.modules, "torch", None)
    monkeypatch.setitem(sys.modules, "gensim", None)
    monkeypatch.setitem(sys.modules, "gensim.models", None)
    with pytest.raises(ImportError, match="pip install torch"):
        kv.to_torch()
    with pytest.raises(ImportError, match="pip install gensim"):
        kv.to_gensim()


# ------------------------------------------------------------------ agreement with gensim

@pytest.fixture
def both():
    pytest.importorskip("gensim", reason="gensim is not installed")
    kv = random_kv()
    return kv, kv.to_gensim()


def assert_same_ranking(ours, theirs, tol=1e-5):
    """Same keys in the same order, or swapped only where the scores tie within tol."""
    assert len(ours) == len(theirs)
    for (k1, s1), (k2, s2) in zip(ours, theirs):
        assert s1 == pytest.approx(s2, abs=tol)
        if k1 != k2:
            assert dict(ours).get(k2, -9) == pytest.approx(s2, abs=tol)


@pytest.mark.filterwarnings("ignore:Call to deprecated:DeprecationWarning")  # gensim's own init_sims
def test_queries_agree_with_gensim(both):
    kv, g = both
    queries = [
        dict(positive=["w1"]),
        dict(positive=["w1", "w7"], negative=["w3"]),
        dict(positive=["W10"], negative=["w11", "w12"], topn=25),
        dict(negative=["w5"]),
        dict(positive=["w2"], restrict_vocab=100),
        dict(positive=[("w2", 0.5), ("w9", 2.0)], negative=[("w4", -0.3)]),
        dict(positive=[kv["w8"] * 3, "w1"]),
        dict(positive=[7, "w9"]),
    ]
    for query in queries:
        assert_same_ranking(kv.most_similar(**query), g.most_similar(**query))
    np.testing.assert_allclose(kv.most_similar("w4", topn=None), g.most_similar("w4", topn=None),
                               atol=1e-6)
    for pos, neg in ((["w1", "w2"], ["w3"]), (["w5"], []), (["w6", "w7", "w8"], ["w9", "w10"])):
        assert_same_ranking(kv.most_similar_cosmul(pos, neg), g.most_similar_cosmul(pos, neg))
    np.testing.assert_allclose(kv.most_similar_cosmul(["w1"], ["w2"], topn=None),
                               g.most_similar_cosmul(["w1"], ["w2"], topn=None), rtol=1e-5)
    assert_same_ranking(kv.similar_by_vector(kv["w3"] + kv["w4"]),
                        g.similar_by_vector(g["w3"] + g["w4"]))
    for a, b in (("w1", "w2"), ("w3", "W20"), ("w5", "w5")):
        assert kv.similarity(a, b) == pytest.approx(float(g.similarity(a, b)), abs=1e-6)
        assert kv.distance(a, b) == pytest.approx(float(g.distance(a, b)), abs=1e-6)
    np.testing.assert_allclose(kv.distances("w1"), g.distances("w1"), atol=1e-6)
    np.testing.assert_allclose(kv.distances("w1", ["w2", "w9"]), g.distances("w1", ["w2", "w9"]),
                               atol=1e-6)
    np.testing.assert_allclose(kv.distances(kv["w2"]), g.distances(g["w2"]), atol=1e-6)
    assert kv.n_similarity(["w1", "w2"], ["w3", "w4", "w5"]) == pytest.approx(
        float(g.n_similarity(["w1", "w2"], ["w3", "w4", "w5"])), abs=1e-6)
    words = ["w1", "w2", "w3", "w4", "w50"]
    assert kv.doesnt_match(words) == g.doesnt_match(words)
    for a, b in (("w1", "w2"), ("w7", "w100")):
        assert kv.rank(a, b) == g.rank(a, b)
        assert kv.closer_than(a, b) == g.closer_than(a, b)
    given = ["w2", "w3", "w4"]
    assert kv.most_similar_to_given("w1", given) == g.most_similar_to_given("w1", given)
    for kwargs in (dict(), dict(pre_normalize=False), dict(post_normalize=True),
                   dict(weights=[1.0, -2.0, 0.5])):
        np.testing.assert_allclose(kv.get_mean_vector(["w1", "w2", "zebra"], **kwargs),
                                   g.get_mean_vector(["w1", "w2", "zebra"], **kwargs), atol=1e-6)
    np.testing.assert_allclose(kv.get_normed_vectors(), g.get_normed_vectors(), atol=1e-6)


def write_random_eval_files(tmp_path, kv, seed=4):
    rng = np.random.default_rng(seed)
    vocab = kv.index_to_key

    def words(n):  # about 5% out of vocabulary
        return [vocab[i] if rng.random() > 0.05 else "oov" for i in rng.integers(0, len(vocab), n)]

    pairs = ["# comment"]
    for _ in range(150):
        a, b = words(2)
        pairs.append(f"{a.lower() if rng.random() < 0.3 else a}\t{b}\t{rng.uniform(0, 10):.2f}")
    pairs.append("broken line")
    (tmp_path / "pairs.tsv").write_text("\n".join(pairs) + "\n")
    lines = []
    for section in ("one", "two", "three"):
        lines.append(f": {section}")
        for _ in range(120):
            lines.append(" ".join(w.lower() if rng.random() < 0.2 else w for w in words(4)))
        # questions whose answer is found, to exercise the "correct" lists
        for _ in range(20):
            a, b, c = words(3)
            if "oov" in (a, b, c):
                continue
            guess = kv.most_similar(positive=[b, c], negative=[a], topn=1, restrict_vocab=250)[0][0]
            lines.append(f"{a} {b} {c} {guess}")
    (tmp_path / "questions.txt").write_text("\n".join(lines) + "\n")
    return str(tmp_path / "pairs.tsv"), str(tmp_path / "questions.txt")


def test_evaluation_agrees_with_gensim(both, tmp_path):
    kv, g = both
    pairs, questions = write_random_eval_files(tmp_path, kv)
    for kwargs in (dict(), dict(case_insensitive=False), dict(dummy4unknown=True),
                   dict(restrict_vocab=150)):
        ours = kv.evaluate_word_pairs(pairs, **kwargs)
        theirs = g.evaluate_word_pairs(pairs, **kwargs)
        for o, t in zip(ours[:2], theirs[:2]):
            assert o[0] == pytest.approx(t[0], abs=1e-6) and o[1] == pytest.approx(t[1], rel=1e-4, abs=1e-12)
        assert ours[2] == pytest.approx(theirs[2])
    for kwargs in (dict(), dict(case_insensitive=False), dict(dummy4unknown=True),
                   dict(restrict_vocab=250)):
        score, sections = kv.evaluate_word_analogies(questions, **kwargs)
        g_score, g_sections = g.evaluate_word_analogies(questions, **kwargs)
        assert sections == g_sections, kwargs
        assert score == pytest.approx(g_score)
        assert len(sections[-1]["correct"]) >= 20


CORPORA = "/work/shared/corpora"


@pytest.mark.skipif(not os.path.exists(os.path.join(CORPORA, "questions-words.txt")),
                    reason="shared evaluation files absent")
def test_real_evaluation_files_agree_with_gensim(tmp_path):
    pytest.importorskip("gensim", reason="gensim is not installed")
    words = {}
    for name in ("questions-words.txt", "wordsim353.tsv"):
        with open(os.path.join(CORPORA, name), encoding="utf8") as f:
            for line in f:
                if not line.startswith((":", "#")):
                    for w in line.replace("\t", " ").split()[:4]:
                        if not w[0].isdigit():
                            words.setdefault(w.lower(), None)
    keys = list(words)[: int(len(words) * 0.9)]  # leave some out of vocabulary
    vectors = np.random.default_rng(7).standard_normal((len(keys), 32)).astype(np.float32)
    kv = KeyedVectors.from_arrays(keys, vectors)
    g = kv.to_gensim()
    ours = kv.evaluate_word_pairs(os.path.join(CORPORA, "wordsim353.tsv"))
    theirs = g.evaluate_word_pairs(os.path.join(CORPORA, "wordsim353.tsv"))
    assert ours[0][0] == pytest.approx(theirs[0][0], abs=1e-6) and ours[2] == pytest.approx(theirs[2])
    # every 8th question of every section (gensim's per-question loop is slow)
    with open(os.path.join(CORPORA, "questions-words.txt"), encoding="utf8") as f:
        lines = [line for i, line in enumerate(f) if line.startswith(":") or i % 8 == 0]
    questions = tmp_path / "questions-words.txt"
    questions.write_text("".join(lines), encoding="utf8")
    score, sections = kv.evaluate_word_analogies(questions)
    g_score, g_sections = g.evaluate_word_analogies(questions)
    assert [s["section"] for s in sections] == [s["section"] for s in g_sections]
    mismatches = sum(len(set(a["correct"]) ^ set(b["correct"])) for a, b in zip(sections, g_sections))
    assert mismatches <= 2  # float32 near-ties between the two summation orders at most
    assert score == pytest.approx(g_score, abs=1e-3)
