"""KeyedVectors methods added for gensim 4.4 parity (issue 16), each compared with gensim's answer
on the same vectors: relative_cosine_similarity, resize_vectors / prep_vectors,
pseudorandom_weak_vector, wmdistance (POT), intersect_word2vec_format with vectors_lockf,
vectors_for_all, lifecycle events, 3CosMul analogies, init_sims, and the exactness of
distance / n_similarity.

The gensim comparisons skip when gensim is absent; the wmdistance comparison also needs POT.
Scores compare with tolerances (BLAS sums in a CPU-dependent order); values that are drawn by the
same NumPy generator (resize_vectors, pseudorandom_weak_vector) or copied compare exactly.
"""
import logging
import sys

import numpy as np
import pytest

from fastw2v import KeyedVectors
from fastw2v import keyedvectors as kvmod

# gensim's most_similar_cosmul calls its own deprecated init_sims (a DeprecationWarning per call)
pytestmark = pytest.mark.filterwarnings("ignore:Call to deprecated `init_sims`:DeprecationWarning")


def gensim_kv_module():
    return pytest.importorskip("gensim.models.keyedvectors",
                               reason="gensim is not installed: comparison with gensim skipped")


def make_arrays(n=200, dim=16, seed=3):
    rng = np.random.default_rng(seed)
    keys = [f"w{i}" for i in range(n)]
    return keys, rng.standard_normal((n, dim)).astype(np.float32), np.arange(n, 0, -1) * 7


def both(n=200, dim=16, seed=3):
    """(fastw2v KeyedVectors, gensim KeyedVectors) over the same keys, vectors and counts."""
    gk = gensim_kv_module()
    keys, vectors, counts = make_arrays(n, dim, seed)
    ours = KeyedVectors.from_arrays(keys, vectors.copy(), counts)
    theirs = gk.KeyedVectors(dim, count=0)
    theirs.add_vectors(keys, vectors.copy())
    for key, count in zip(keys, counts):
        theirs.set_vecattr(key, "count", int(count))
    return ours, theirs


# ------------------------------------------------------------------ gensim's module-level names

def test_gensim_module_level_names_exist():
    from fastw2v.keyedvectors import (REAL, KeyedVectors as KV, load_word2vec_format,
                                      prep_vectors, pseudorandom_weak_vector)
    assert REAL is np.float32 and KV is KeyedVectors
    assert callable(load_word2vec_format) and callable(prep_vectors)
    assert pseudorandom_weak_vector(7).dtype == np.float32


def test_pseudorandom_weak_vector_matches_gensim():
    gk = gensim_kv_module()
    fixed_hash = lambda s: sum(map(ord, s)) * 2654435761  # noqa: E731 (process-independent hash)
    for size, seed in ((5, "apple"), (100, "a longer seed string")):
        ours = kvmod.pseudorandom_weak_vector(size, seed, hashfxn=fixed_hash)
        theirs = gk.pseudorandom_weak_vector(size, seed, hashfxn=fixed_hash)
        assert ours.dtype == theirs.dtype == np.float32
        np.testing.assert_array_equal(ours, theirs)
        assert np.all(np.abs(ours) <= 0.5 / size)
    unseeded = kvmod.pseudorandom_weak_vector(50)
    assert unseeded.shape == (50,) and np.all(np.abs(unseeded) <= 0.5 / 50)
    with pytest.raises(ValueError, match="size"):
        kvmod.pseudorandom_weak_vector(0)


def test_resize_vectors_and_prep_vectors_match_gensim():
    ours, theirs = both(n=20, dim=6)
    for kv in (ours, theirs):
        kv.index_to_key.extend(["new1", "new2", "new3"])
        kv.key_to_index.update({"new1": 20, "new2": 21, "new3": 22})
        kv.resize_vectors(seed=11)
    assert ours.vectors.shape == theirs.vectors.shape == (23, 6)
    np.testing.assert_array_equal(ours.vectors, theirs.vectors)  # same generator, same draws
    assert ours.expandos["count"].shape == (23,)
    assert ours.norms is None or len(ours.norms) == 23
    np.testing.assert_allclose(ours.most_similar("new1", topn=3)[0][1],
                               theirs.most_similar("new1", topn=3)[0][1], rtol=1e-5)
    gk = gensim_kv_module()
    prior = np.arange(6, dtype=np.float32).reshape(2, 3)
    np.testing.assert_array_equal(kvmod.prep_vectors((4, 5), prior, seed=2),
                                  gk.prep_vectors((4, 5), prior, seed=2))
    assert kvmod.prep_vectors((2, 3), prior) is prior


def test_relative_cosine_similarity_matches_gensim():
    ours, theirs = both()
    for wa, wb, topn in (("w0", "w1", 10), ("w5", "w17", 3), ("w9", "w9", 1)):
        got = ours.relative_cosine_similarity(wa, wb, topn)
        assert isinstance(got, float)
        np.testing.assert_allclose(got, theirs.relative_cosine_similarity(wa, wb, topn),
                                   rtol=1e-5)
    with pytest.raises(ValueError, match="relative cosine"):
        ours.relative_cosine_similarity("w0", "w1", topn=0)


def test_exactness_needs_no_gensim():
    """distance(w, w) == 0.0 and n_similarity([a], [b]) == similarity(a, b), bit for bit (before:
    5.96e-08, and a last-bit difference), for every key of random float32 vectors."""
    keys, vectors, counts = make_arrays(300, 24, seed=8)
    kv = KeyedVectors.from_arrays(keys, vectors, counts)
    for i, w in enumerate(keys):
        assert kv.distance(w, w) == 0.0 and kv.similarity(w, w) == 1.0
        other = keys[(i * 7 + 1) % len(keys)]
        assert kv.n_similarity([w], [other]) == kv.similarity(w, other)
        assert -1.0 <= kv.similarity(w, other) <= 1.0


def test_distance_to_itself_is_exactly_zero_and_n_similarity_equals_similarity():
    ours, theirs = both()
    for i in range(0, 200, 7):
        w = f"w{i}"
        assert ours.distance(w, w) == 0.0
        assert ours.similarity(w, w) == 1.0
        # gensim gives 0.0 for some keys and a few float32 ulps for others (5.96e-08)
        assert theirs.distance(w, w) == pytest.approx(0.0, abs=1e-6)
    for a, b in (("w0", "w1"), ("w3", "w150"), ("w42", "w43")):
        assert ours.n_similarity([a], [b]) == ours.similarity(a, b)
        np.testing.assert_allclose(ours.similarity(a, b), theirs.similarity(a, b), atol=1e-6)
        np.testing.assert_allclose(ours.n_similarity([a, "w7"], [b]),
                                   theirs.n_similarity([a, "w7"], [b]), atol=1e-6)


def test_init_sims_is_deprecated_and_fills_norms():
    keys, vectors, counts = make_arrays(10, 4)
    kv = KeyedVectors.from_arrays(keys, vectors)
    with pytest.warns(DeprecationWarning, match="fill_norms"):
        kv.init_sims()
    np.testing.assert_allclose(kv.norms, np.linalg.norm(vectors.astype(np.float64), axis=1))
    with pytest.warns(DeprecationWarning):
        kv.init_sims(replace=True)
    np.testing.assert_allclose(np.linalg.norm(kv.vectors, axis=1), 1.0, rtol=1e-6)


# ------------------------------------------------------------------ vectors_for_all

def test_vectors_for_all_matches_gensim():
    ours, theirs = both()
    keys = ["w5", "unknown", "w1", "w5", "w199", "also unknown", "w0"]
    for copy_vecattrs in (False, True):
        a = ours.vectors_for_all(keys, copy_vecattrs=copy_vecattrs)
        b = theirs.vectors_for_all(keys, copy_vecattrs=copy_vecattrs)
        assert isinstance(a, KeyedVectors)
        assert a.index_to_key == b.index_to_key == ["w5", "w1", "w199", "w0"]
        np.testing.assert_array_equal(a.vectors, b.vectors)
        assert [a.get_vecattr(k, "count") for k in a.index_to_key] == \
               [b.get_vecattr(k, "count") for k in b.index_to_key]
    copied = ours.vectors_for_all(["w3"])
    copied.vectors[0] += 1  # a copy: the source keeps its vector
    assert not np.array_equal(copied["w3"], ours["w3"])


# ------------------------------------------------------------------ wmdistance

def test_wmdistance_matches_gensim():
    pytest.importorskip("ot", reason="POT is not installed: wmdistance comparison skipped")
    ours, theirs = both(n=60, dim=8)
    docs = [
        (["w1", "w2", "w3", "w2"], ["w4", "w5"]),
        (["w1", "unknown", "w10"], ["w10", "w11", "w12", "w1"]),
        (["w7"], ["w7", "w7"]),                  # one word in both: 0.0
        (["unknown"], ["w1"]),                   # an empty document: inf
    ]
    for d1, d2 in docs:
        for norm in (True, False):
            got = ours.wmdistance(d1, d2, norm=norm)
            want = theirs.wmdistance(d1, d2, norm=norm)
            assert isinstance(got, float)
            if np.isinf(want):
                assert got == want
            else:
                np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-9)
    assert ours.wmdistance(["w1", "w2"], ["w1", "w2"]) == pytest.approx(0.0, abs=1e-9)
    with pytest.raises(TypeError, match="document1"):
        ours.wmdistance("w1 w2", ["w1"])


def test_wmdistance_without_pot_names_the_extra(monkeypatch):
    keys, vectors, _ = make_arrays(10, 4)
    kv = KeyedVectors.from_arrays(keys, vectors)
    monkeypatch.setitem(sys.modules, "ot", None)  # import ot -> ImportError
    with pytest.raises(ImportError, match=r"pip install fastw2v\[wmd\]"):
        kv.wmdistance(["w1"], ["w2"])


# ------------------------------------------------------------------ intersect_word2vec_format, lockf

@pytest.mark.parametrize("binary", [False, True])
def test_intersect_word2vec_format_matches_gensim(tmp_path, binary):
    ours, theirs = both(n=30, dim=5)
    other = KeyedVectors.from_arrays(
        ["w2", "stranger", "w7", "w29"],
        np.random.default_rng(9).standard_normal((4, 5)).astype(np.float32))
    path = tmp_path / ("other.bin" if binary else "other.txt")
    other.save_word2vec_format(path, binary=binary)
    # gensim 4.4's binary branch calls np.fromstring, which NumPy 2 removed: gensim reads the same
    # vectors from a text file (float32 values written with repr round-trip exactly).
    text = tmp_path / "other.txt"
    other.save_word2vec_format(text, binary=False)
    theirs.vectors_lockf = np.ones(len(theirs), dtype=np.float32)  # gensim needs it per row
    before = ours.vectors.copy()
    assert ours.intersect_word2vec_format(path, lockf=0.25, binary=binary) is None
    theirs.intersect_word2vec_format(str(text), lockf=0.25, binary=False)
    np.testing.assert_array_equal(ours.vectors, theirs.vectors)
    np.testing.assert_array_equal(ours.vectors_lockf, theirs.vectors_lockf)
    merged = [ours.get_index(k) for k in ("w2", "w7", "w29")]
    assert ours.vectors_lockf.dtype == np.float32 and len(ours.vectors_lockf) == len(ours)
    assert set(np.flatnonzero(ours.vectors_lockf != 1.0)) == set(merged)
    untouched = np.setdiff1d(np.arange(len(ours)), merged)
    np.testing.assert_array_equal(ours.vectors[untouched], before[untouched])
    assert "stranger" not in ours and len(ours) == 30
    # the cached norms follow the merged vectors
    np.testing.assert_allclose(ours.similarity("w2", "w7"), other.similarity("w2", "w7"), rtol=1e-6)
    assert ours.lifecycle_events[-1]["event"] == "intersect_word2vec_format"


def test_intersect_word2vec_format_refuses_another_dimension(tmp_path):
    keys, vectors, _ = make_arrays(10, 4)
    kv = KeyedVectors.from_arrays(keys, vectors)
    KeyedVectors.from_arrays(["w1"], np.ones((1, 3), np.float32)).save_word2vec_format(tmp_path / "v")
    with pytest.raises(ValueError, match="incompatible vector size 3"):
        kv.intersect_word2vec_format(tmp_path / "v")
    with pytest.raises(ValueError, match="lockf"):
        kv.intersect_word2vec_format(tmp_path / "v", lockf=float("nan"))


def test_vectors_lockf_attribute():
    keys, vectors, counts = make_arrays(6, 3)
    kv = KeyedVectors.from_arrays(keys, vectors, counts)
    lockf = kv.vectors_lockf
    assert lockf.dtype == np.float32 and lockf.shape == (6,) and (lockf == 1).all()
    kv.vectors_lockf[2] = 0.0                     # item assignment persists
    assert kv.vectors_lockf[2] == 0.0
    kv.add_vectors(["new"], np.ones((1, 3)))      # a new row gets factor 1
    np.testing.assert_array_equal(kv.vectors_lockf, [1, 1, 0, 1, 1, 1, 1])
    kv.vectors_lockf = np.zeros(1)                # gensim's broadcast form is kept as given
    assert kv.vectors_lockf.shape == (1,) and kv.vectors_lockf.dtype == np.float32
    kv.vectors_lockf = np.arange(7)
    kv.sort_by_descending_frequency()             # factors follow their rows
    assert kv.vectors_lockf[kv.get_index("new")] == 6
    for bad, error in ((np.ones(3), ValueError), (np.ones((7, 1)), ValueError),
                       (np.full(7, np.nan), ValueError), ("abc", TypeError)):
        with pytest.raises(error, match="vectors_lockf"):
            kv.vectors_lockf = bad
    kv.vectors_lockf = None
    assert (kv.vectors_lockf == 1).all()


def test_vectors_lockf_round_trips_through_gensim():
    ours, _ = both(n=12, dim=4)
    ours.vectors_lockf[3] = 0.0
    there = ours.to_gensim()
    np.testing.assert_array_equal(there.vectors_lockf, ours.vectors_lockf)
    back = KeyedVectors.from_gensim(there)
    np.testing.assert_array_equal(back.vectors_lockf, ours.vectors_lockf)


# ------------------------------------------------------------------ lifecycle events

def test_lifecycle_events_recorded_saved_and_loaded(tmp_path, caplog):
    keys, vectors, _ = make_arrays(5, 3)
    kv = KeyedVectors.from_arrays(keys, vectors)
    assert kv.lifecycle_events == []
    with caplog.at_level(logging.INFO, logger="fastw2v.keyedvectors"):
        kv.add_lifecycle_event("custom", note="hello", thing=object())
    assert "lifecycle event" in caplog.text
    event = kv.lifecycle_events[-1]
    assert event["event"] == "custom" and event["note"] == "hello"
    assert {"datetime", "fastw2v", "python", "platform"} <= set(event)
    kv.save(tmp_path / "kv.fw2v")
    loaded = KeyedVectors.load(tmp_path / "kv.fw2v")
    assert [e["event"] for e in loaded.lifecycle_events] == ["custom", "saved", "loaded"]
    assert loaded.lifecycle_events[0]["note"] == "hello"
    assert isinstance(loaded.lifecycle_events[0]["thing"], str)  # repr() of a non-JSON value
    kv.lifecycle_events = None                   # as gensim: recording switched off
    kv.add_lifecycle_event("ignored")
    assert kv.lifecycle_events is None


def test_lifecycle_events_match_gensims_keys():
    gk = gensim_kv_module()
    theirs = gk.KeyedVectors(3)
    theirs.add_lifecycle_event("custom", note="x")
    ours = KeyedVectors(3)
    ours.add_lifecycle_event("custom", note="x")
    gensim_keys = set(theirs.lifecycle_events[-1]) - {"gensim"}
    assert gensim_keys <= set(ours.lifecycle_events[-1])


# ------------------------------------------------------------------ 3CosMul analogies

def analogy_file(tmp_path, keys, rng, n_questions=60):
    lines = [": section-a"]
    for i in range(n_questions):
        if i == n_questions // 2:
            lines.append(": section-b")
        lines.append(" ".join(rng.choice(keys, 4, replace=False)))
    lines.append("w1 w2 w3 notaword")  # out of vocabulary: skipped
    path = tmp_path / "analogies.txt"
    path.write_text("\n".join(lines) + "\n")
    return path, [line.split() for line in lines if not line.startswith(":")][:-1]


def test_evaluate_word_analogies_cosmul_matches_gensims_most_similar_cosmul(tmp_path):
    ours, theirs = both(n=80, dim=6, seed=5)
    rng = np.random.default_rng(1)
    path, questions = analogy_file(tmp_path, ours.index_to_key, rng)
    # Plant answers so that some questions are right: expected := gensim's own 3CosMul answer.
    planted = []
    for i, (a, b, c, expected) in enumerate(questions):
        if i % 2 == 0:
            sims = theirs.most_similar_cosmul(positive=[b, c], negative=[a], topn=5)
            expected = next(w for w, _ in sims if w not in (a, b, c))
        planted.append([a, b, c, expected])
    lines = [": section-a"]
    for i, q in enumerate(planted):
        if i == len(planted) // 2:
            lines.append(": section-b")
        lines.append(" ".join(q))
    path.write_text("\n".join(lines) + "\n")
    score, sections = ours.evaluate_word_analogies(path, case_insensitive=False,
                                                   similarity_function="most_similar_cosmul")
    want = []
    for a, b, c, expected in planted:
        sims = theirs.most_similar_cosmul(positive=[b, c], negative=[a], topn=5)
        want.append(next(w for w, _ in sims if w not in (a, b, c)) == expected)
    got = {tuple(q) for q in sections[-1]["correct"]}
    assert got == {tuple(q) for q, ok in zip(planted, want) if ok}
    assert score == pytest.approx(sum(want) / len(want))
    assert sum(want) >= len(planted) // 2      # the planted half at least
    add_score, _ = ours.evaluate_word_analogies(path, case_insensitive=False)
    assert add_score != score or True           # 3CosAdd runs too (may coincide)
    with pytest.raises(ValueError, match="similarity_function"):
        ours.evaluate_word_analogies(path, similarity_function="cosine")


def test_n_similarity_of_an_empty_list_is_a_value_and_zero_division_error():
    # gensim raises ZeroDivisionError here; fastw2v's error is also a ValueError naming the problem
    kv = KeyedVectors(2)
    kv.add_vectors(["a", "b"], np.array([[1.0, 0.0], [0.0, 1.0]], dtype=np.float32))
    for left, right in ((["a"], []), ([], ["a"]), ([], [])):
        with pytest.raises(ZeroDivisionError, match="non-empty"):
            kv.n_similarity(left, right)
        with pytest.raises(ValueError):
            kv.n_similarity(left, right)
