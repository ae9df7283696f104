"""KeyedVectors methods that gensim 4.4 has (issue 16): each compared with gensim's answer on the
same vectors where gensim is installed, plus the behaviour that needs no gensim.

relative_cosine_similarity, resize_vectors, wmdistance (POT), intersect_word2vec_format and
vectors_lockf, vectors_for_all, lifecycle events, evaluate_word_analogies with 3CosMul, init_sims,
and the exactness of distance(w, w) and n_similarity([a], [b]).
"""
import logging
import sys

import numpy as np
import pytest

# gensim's most_similar_cosmul calls its own deprecated init_sims
pytestmark = pytest.mark.filterwarnings("ignore:Call to deprecated:DeprecationWarning")

from fastw2v import KeyedVectors
from fastw2v.io import VectorFileError

DIM = 12


def random_kv(n=120, dim=DIM, seed=3):
    rng = np.random.default_rng(seed)
    keys = [f"w{i}" for i in range(n)]
    return KeyedVectors.from_arrays(keys, rng.standard_normal((n, dim)).astype(np.float32),
                                    counts=np.arange(n, 0, -1) * 7)


@pytest.fixture
def kv():
    return random_kv()


@pytest.fixture
def both():
    pytest.importorskip("gensim", reason="gensim is not installed")
    kv = random_kv()
    return kv, kv.to_gensim()


# ------------------------------------------------------------------ exactness (issue 16)

def test_distance_to_itself_is_exactly_zero(kv):
    """Regression: distance(w, w) was 5.96e-08 (float32 rounding); gensim gives 0.0."""
    for key in kv.index_to_key:
        assert kv.distance(key, key) == 0.0
        assert kv.similarity(key, key) == 1.0
    # two keys holding equal vectors are also at distance 0
    kv.add_vectors(["copy"], kv["w5"][None, :])
    assert kv.distance("w5", "copy") == 0.0


def test_n_similarity_of_single_keys_equals_similarity(kv):
    """Regression: n_similarity([a], [b]) differed from similarity(a, b) in the last bits."""
    keys = kv.index_to_key[:30]
    for a in keys:
        for b in keys[::7]:
            assert kv.n_similarity([a], [b]) == kv.similarity(a, b)


def test_similarity_agrees_with_gensim(both):
    kv, g = both
    for a, b in (("w1", "w2"), ("w3", "w40"), ("w7", "w7"), ("w9", "w100")):
        assert kv.similarity(a, b) == pytest.approx(float(g.similarity(a, b)), abs=1e-6)
        assert kv.distance(a, b) == pytest.approx(float(g.distance(a, b)), abs=1e-6)
    assert kv.distance("w7", "w7") == float(g.distance("w7", "w7")) == 0.0
    assert kv.n_similarity(["w1", "w5"], ["w9"]) == pytest.approx(
        float(g.n_similarity(["w1", "w5"], ["w9"])), abs=1e-6)


# ------------------------------------------------------------------ relative_cosine_similarity

def test_relative_cosine_similarity_agrees_with_gensim(both):
    kv, g = both
    for a, b, topn in (("w1", "w2", 10), ("w5", "w60", 3), ("w8", "w8", 1), ("w0", "w119", 50)):
        ours = kv.relative_cosine_similarity(a, b, topn=topn)
        assert isinstance(ours, float)
        assert ours == pytest.approx(float(g.relative_cosine_similarity(a, b, topn=topn)), rel=1e-5)


def test_relative_cosine_similarity_definition(kv):
    sims = kv.most_similar("w4", topn=10)
    expected = kv.similarity("w4", "w17") / sum(s for _, s in sims)
    assert kv.relative_cosine_similarity("w4", "w17") == pytest.approx(expected, rel=1e-12)
    with pytest.raises(ValueError, match="without any similar words"):
        kv.relative_cosine_similarity("w4", "w17", topn=0)
    with pytest.raises(KeyError):
        kv.relative_cosine_similarity("w4", "zebra")


# ------------------------------------------------------------------ resize_vectors

def test_resize_vectors_agrees_with_gensim(both):
    kv, g = both
    for obj in (kv, g):
        for key in ("new1", "new2", "new3"):
            obj.key_to_index[key] = len(obj.index_to_key)
            obj.index_to_key.append(key)
    kv.resize_vectors(seed=5)
    g.resize_vectors(seed=5)
    assert kv.vectors.shape == g.vectors.shape == (123, DIM)
    np.testing.assert_array_equal(kv.vectors, g.vectors)   # the same draws, bitwise
    assert kv.get_vecattr("new2", "count") == 0
    assert kv.most_similar("new1", topn=3)   # norms were refreshed for the new rows


def test_resize_vectors_keeps_rows_and_is_seeded(kv):
    before = kv.vectors.copy()
    kv.resize_vectors()
    assert kv.vectors is not None and np.array_equal(kv.vectors, before)   # same size: unchanged
    kv.index_to_key.append("extra")
    kv.key_to_index["extra"] = len(kv) - 1
    kv.resize_vectors(seed=1)
    np.testing.assert_array_equal(kv.vectors[:-1], before)
    new_row = kv["extra"].copy()
    assert np.all(np.abs(new_row) <= 1.0 / DIM) and np.any(new_row != 0)
    assert kv.vectors.dtype == np.float32 and len(kv.expandos["count"]) == len(kv)
    other = random_kv()
    other.index_to_key.append("extra")
    other.key_to_index["extra"] = len(other) - 1
    other.resize_vectors(seed=2)
    assert not np.array_equal(other["extra"], new_row)


# ------------------------------------------------------------------ wmdistance

DOCS = [
    (["w1", "w2", "w3"], ["w4", "w5"]),
    (["w1", "w1", "w2"], ["w2", "w9", "w9", "w9"]),
    (["w10", "unknown", "w11"], ["w12", "also_unknown"]),
    (["w3"], ["w3", "w3"]),                       # one and the same word: 0.0
    (["unknown"], ["w1"]),                        # nothing known on one side: inf
]


def test_wmdistance_agrees_with_gensim(both):
    pytest.importorskip("ot", reason="POT is not installed")
    kv, g = both
    for norm in (True, False):
        for d1, d2 in DOCS:
            ours = kv.wmdistance(d1, d2, norm=norm)
            theirs = g.wmdistance(d1, d2, norm=norm)
            assert isinstance(ours, float)
            if np.isinf(theirs):
                assert np.isinf(ours)
            else:
                assert ours == pytest.approx(float(theirs), rel=1e-5, abs=1e-9)


def test_wmdistance_properties(kv):
    pytest.importorskip("ot", reason="POT is not installed")
    assert kv.wmdistance(["w3"], ["w3", "w3"]) == 0.0
    assert kv.wmdistance(["zebra"], ["w1"]) == float("inf")
    d = kv.wmdistance(["w1", "w2"], ["w3"])
    # all of one word's mass moves to the single word of the other document
    unit = kv.get_normed_vectors()
    idx = kv.key_to_index
    expected = 0.5 * (np.linalg.norm(unit[idx["w1"]] - unit[idx["w3"]])
                      + np.linalg.norm(unit[idx["w2"]] - unit[idx["w3"]]))
    assert d == pytest.approx(float(expected), rel=1e-5)
    assert kv.wmdistance(["w1", "w2"], ["w2", "w1"]) == pytest.approx(0.0, abs=1e-7)
    with pytest.raises(TypeError, match="document1 is a string"):
        kv.wmdistance("w1 w2", ["w3"])


def test_wmdistance_without_pot_names_the_extra(kv, monkeypatch):
    monkeypatch.setitem(sys.modules, "ot", None)   # makes `import ot` raise ImportError
    with pytest.raises(ImportError, match=r"pip install fastw2v\[wmd\]"):
        kv.wmdistance(["w1"], ["w2"])


# ------------------------------------------------------------------ intersect_word2vec_format

def write_partial_file(kv, path, binary):
    """A word2vec file with new vectors for some of kv's keys and for keys kv lacks."""
    rng = np.random.default_rng(11)
    keys = ["w3", "absent1", "w50", "w7", "absent2"]
    vectors = rng.standard_normal((len(keys), kv.vector_size)).astype(np.float32)
    KeyedVectors.from_arrays(keys, vectors).save_word2vec_format(str(path), binary=binary)
    return dict(zip(keys, vectors))


@pytest.mark.parametrize("binary", [False, True])
def test_intersect_word2vec_format_agrees_with_gensim(both, tmp_path, binary):
    kv, g = both
    path = tmp_path / ("v.bin" if binary else "v.txt")
    write_partial_file(kv, path, binary)
    # gensim 4.4 reads binary files here with np.fromstring, which NumPy 2 removed: it gets the
    # same vectors as a text file
    text = tmp_path / "v.txt"
    write_partial_file(kv, text, binary=False)
    g.vectors_lockf = np.ones(len(g), dtype=np.float32)   # what gensim's Word2Vec sets up
    for lockf in (0.0, 0.25):
        kv.intersect_word2vec_format(str(path), lockf=lockf, binary=binary)
        g.intersect_word2vec_format(str(text), lockf=lockf, binary=False)
        np.testing.assert_allclose(kv.vectors, g.vectors, rtol=1e-6)
        np.testing.assert_array_equal(kv.vectors_lockf, g.vectors_lockf)
    assert len(kv) == len(g) == 120   # no key added


def test_intersect_word2vec_format_sets_vectors_and_factors(kv, tmp_path, caplog):
    path = tmp_path / "v.txt"
    new = write_partial_file(kv, path, binary=False)
    before = kv.vectors.copy()
    kv.fill_norms()
    with caplog.at_level(logging.INFO, logger="fastw2v.keyedvectors"):
        assert kv.intersect_word2vec_format(str(path)) is None
    changed = {"w3", "w50", "w7"}
    for key in kv.index_to_key:
        i = kv.key_to_index[key]
        if key in changed:
            np.testing.assert_allclose(kv[key], new[key], rtol=1e-6)
            assert kv.vectors_lockf[i] == 0.0
        else:
            np.testing.assert_array_equal(kv[key], before[i])
            assert kv.vectors_lockf[i] == 1.0
    assert "absent1" not in kv
    # the norm cache follows the new vectors
    assert kv.norms is None
    kv.fill_norms()
    assert kv.norms[kv.key_to_index["w3"]] == pytest.approx(np.linalg.norm(new["w3"]), rel=1e-6)
    assert kv.lifecycle_events[-1]["event"] == "intersect_word2vec_format"
    assert "merged 3 vectors" in kv.lifecycle_events[-1]["msg"]
    # a length-1 lockf (gensim's default shape) becomes one factor per row
    kv.vectors_lockf = np.array([0.5], dtype=np.float32)
    kv.intersect_word2vec_format(str(path), lockf=1.0)
    assert kv.vectors_lockf.shape == (len(kv),)
    assert kv.vectors_lockf[kv.key_to_index["w3"]] == 1.0
    assert kv.vectors_lockf[kv.key_to_index["w4"]] == 0.5


def test_intersect_word2vec_format_errors(kv, tmp_path):
    path = tmp_path / "v.txt"
    KeyedVectors.from_arrays(["w1"], np.ones((1, DIM + 1), np.float32)).save_word2vec_format(str(path))
    with pytest.raises(ValueError, match=r"v\.txt.*incompatible vector size 13"):
        kv.intersect_word2vec_format(str(path))
    path.write_text("2 12\nw1 1 2 3\n")
    with pytest.raises(VectorFileError, match="v.txt"):
        kv.intersect_word2vec_format(str(path))
    write_partial_file(kv, path, binary=False)
    with pytest.raises(ValueError, match="lockf"):
        kv.intersect_word2vec_format(str(path), lockf=float("nan"))


# ------------------------------------------------------------------ vectors_lockf

def test_vectors_lockf_default_and_assignment(kv):
    lockf = kv.vectors_lockf
    assert lockf.dtype == np.float32 and lockf.shape == (len(kv),) and np.all(lockf == 1.0)
    kv.vectors_lockf[4] = 0.0                     # item assignment persists
    assert kv.vectors_lockf[4] == 0.0
    kv.add_vectors(["fresh"], np.ones((1, DIM), np.float32))
    assert kv.vectors_lockf.shape == (len(kv),) and kv.vectors_lockf[-1] == 1.0
    assert kv.vectors_lockf[4] == 0.0
    kv.vectors_lockf = np.ones(1)                 # gensim's default shape is accepted
    assert kv.vectors_lockf.shape == (1,)
    kv.vectors_lockf = None
    assert np.all(kv.vectors_lockf == 1.0) and kv.vectors_lockf.shape == (len(kv),)
    for bad, error in ((np.ones(3), ValueError), (np.ones((len(kv), 1)), ValueError),
                       (np.full(len(kv), np.nan), ValueError), ("abc", TypeError)):
        with pytest.raises(error, match="vectors_lockf"):
            kv.vectors_lockf = bad


def test_vectors_lockf_follows_sorting(kv):
    kv.expandos["count"] = np.arange(len(kv))     # ascending: sorting reverses the rows
    kv.vectors_lockf[0] = 0.0
    first = kv.index_to_key[0]
    kv.sort_by_descending_frequency()
    assert kv.vectors_lockf[kv.key_to_index[first]] == 0.0
    assert np.count_nonzero(kv.vectors_lockf == 0.0) == 1


def test_vectors_lockf_reaches_gensim_and_back(kv):
    pytest.importorskip("gensim", reason="gensim is not installed")
    kv.vectors_lockf[2] = 0.0
    g = kv.to_gensim()
    np.testing.assert_array_equal(g.vectors_lockf, kv.vectors_lockf)
    back = KeyedVectors.from_gensim(g)
    np.testing.assert_array_equal(back.vectors_lockf, kv.vectors_lockf)


# ------------------------------------------------------------------ vectors_for_all

@pytest.mark.parametrize("copy_vecattrs", [False, True])
def test_vectors_for_all_agrees_with_gensim(both, copy_vecattrs):
    kv, g = both
    keys = ["w5", "zebra", "w1", "w5", "w77", "w1", "also missing"]
    ours = kv.vectors_for_all(keys, copy_vecattrs=copy_vecattrs)
    theirs = g.vectors_for_all(keys, copy_vecattrs=copy_vecattrs)
    assert ours.index_to_key == theirs.index_to_key == ["w5", "w1", "w77"]
    np.testing.assert_array_equal(ours.vectors, theirs.vectors)
    assert ours.vectors.dtype == theirs.vectors.dtype
    for key in ours.index_to_key:
        assert ours.get_vecattr(key, "count") == theirs.get_vecattr(key, "count")


def test_vectors_for_all_copies(kv):
    sub = kv.vectors_for_all(["w2", "w3"])
    sub.vectors[0] += 1.0
    assert not np.array_equal(sub["w2"], kv["w2"])    # a copy, not a view
    assert sub.counts_are_placeholders
    assert list(sub.expandos["count"]) == [2, 1]
    copied = kv.vectors_for_all(["w3", "w2"], copy_vecattrs=True)
    assert list(copied.expandos["count"]) == [kv.get_vecattr("w3", "count"),
                                             kv.get_vecattr("w2", "count")]
    assert len(kv.vectors_for_all(["nothing"])) == 0


# ------------------------------------------------------------------ lifecycle events

def test_lifecycle_events(kv, tmp_path, caplog):
    assert kv.lifecycle_events == []
    with caplog.at_level(logging.INFO, logger="fastw2v.keyedvectors"):
        kv.add_lifecycle_event("tuned", msg="by hand", rounds=3)
    assert "lifecycle event" in caplog.text
    event = kv.lifecycle_events[-1]
    assert event["event"] == "tuned" and event["msg"] == "by hand" and event["rounds"] == 3
    assert {"datetime", "fastw2v", "python", "platform"} <= set(event)
    path = tmp_path / "kv.fw2v"
    kv.save(str(path))
    loaded = KeyedVectors.load(str(path))
    names = [e["event"] for e in loaded.lifecycle_events]
    assert names == ["tuned", "saved", "loaded"]
    assert loaded.lifecycle_events[0]["rounds"] == 3
    loaded.lifecycle_events = None                # gensim's switch: stop recording
    loaded.add_lifecycle_event("ignored")
    assert loaded.lifecycle_events is None
    kv.add_lifecycle_event("odd value", value=object())
    kv.save(str(path))                            # a non-JSON value is stored as its repr
    assert KeyedVectors.load(str(path)).lifecycle_events[-3]["value"].startswith("<object")


def test_load_word2vec_format_records_an_event(kv, tmp_path):
    path = tmp_path / "v.txt"
    kv.save_word2vec_format(str(path))
    loaded = KeyedVectors.load_word2vec_format(str(path))
    assert loaded.lifecycle_events[-1]["event"] == "load_word2vec_format"


# ------------------------------------------------------------------ 3CosMul analogies

def analogy_file(kv, path, n=60, seed=4):
    rng = np.random.default_rng(seed)
    lines = [": first"]
    for i in range(n):
        if i == n // 2:
            lines.append(": second")
        lines.append(" ".join(kv.index_to_key[j] for j in rng.choice(len(kv), 4, replace=False)))
    lines.append("w1 w2 w3 zebra")
    path.write_text("\n".join(lines) + "\n")
    return lines


def cosmul_by_question(kv, lines, restrict_vocab, answer=None):
    """Per-question 3CosMul: the first of the top 5 that is not an input word."""
    answer = answer or kv.most_similar_cosmul
    correct = 0
    total = 0
    for line in lines:
        if line.startswith(":"):
            continue
        a, b, c, expected = line.split()
        if expected not in kv.key_to_index:
            continue
        total += 1
        sims = answer(positive=[b, c], negative=[a], topn=5)
        predicted = next((w for w, _ in sims if w not in (a, b, c)), sims[-1][0])
        correct += predicted == expected
    return correct / total


def test_evaluate_word_analogies_cosmul(kv, tmp_path):
    path = tmp_path / "q.txt"
    lines = analogy_file(kv, path)
    score, sections = kv.evaluate_word_analogies(str(path), case_insensitive=False,
                                                 similarity_function="most_similar_cosmul")
    assert score == pytest.approx(cosmul_by_question(kv, lines, None))
    assert [s["section"] for s in sections] == ["first", "second", "Total accuracy"]
    with pytest.raises(ValueError, match="most_similar_cosmul"):
        kv.evaluate_word_analogies(str(path), similarity_function="cosmul")


def test_evaluate_word_analogies_cosmul_planted(tmp_path):
    e = np.eye(6, dtype=np.float32)
    vectors = {"man": e[0] + e[2], "woman": e[1] + e[2], "king": e[0] + e[3], "queen": e[1] + e[3],
               "boy": e[0] + e[4], "girl": e[1] + e[4], "other": e[5]}
    kv = KeyedVectors.from_arrays(list(vectors), np.array(list(vectors.values())))
    path = tmp_path / "q.txt"
    path.write_text(": gender\nman king woman queen\nman boy woman girl\nking queen boy girl\n")
    score, sections = kv.evaluate_word_analogies(str(path), similarity_function="most_similar_cosmul")
    assert score == 1.0 and len(sections[-1]["correct"]) == 3


def test_evaluate_word_analogies_cosmul_agrees_with_gensim_cosmul(both, tmp_path):
    """gensim 4.4's evaluate_word_analogies ignores similarity_function (always 3CosAdd), so the
    reference is gensim's own most_similar_cosmul, question by question."""
    kv, g = both
    path = tmp_path / "q.txt"
    lines = analogy_file(kv, path)
    score, _ = kv.evaluate_word_analogies(str(path), case_insensitive=False,
                                          similarity_function="most_similar_cosmul")
    assert score == pytest.approx(cosmul_by_question(g, lines, None, g.most_similar_cosmul))


# ------------------------------------------------------------------ init_sims

def test_init_sims_is_deprecated(kv):
    with pytest.warns(DeprecationWarning, match="fill_norms"):
        kv.init_sims()
    assert kv.norms is not None
    with pytest.warns(DeprecationWarning):
        kv.init_sims(replace=True)
    np.testing.assert_allclose(np.linalg.norm(kv.vectors, axis=1), 1.0, rtol=1e-6)
