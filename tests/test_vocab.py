"""Tests of fastw2v.vocab: counting, validation errors, pruning, min_count / trim_rule /
max_final_vocab, sorting, null word, update; compared with gensim 4 where it is installed."""
import gzip
import json
from collections import Counter
from itertools import chain

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fastw2v import vocab as vocab_module
from fastw2v.corpus import LineSentence
from fastw2v.vocab import (
    RULE_DEFAULT,
    RULE_DISCARD,
    RULE_KEEP,
    CountResult,
    Vocabulary,
    count_words,
    effective_min_count,
)


def zipf_corpus(seed: int, n_sentences: int = 400, n_types: int = 300):
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n_sentences):
        ids = np.minimum(rng.zipf(1.4, size=rng.integers(0, 16)), n_types)
        out.append([f"w{i}" for i in ids])
    return out


def trim_rule(word, count, min_count):
    """Keeps words ending in 7, discards words starting with w1, defers otherwise."""
    if word.endswith("7"):
        return RULE_KEEP
    if word.startswith("w1"):
        return RULE_DISCARD
    return RULE_DEFAULT


def gensim_model(corpus, trim_rule=None, **params):
    word2vec = pytest.importorskip("gensim.models.word2vec", reason="gensim is not installed")
    model = word2vec.Word2Vec(vector_size=2, workers=1, **params)
    model.build_vocab(corpus, trim_rule=trim_rule, keep_raw_vocab=True)
    return model


def gensim_counts(model):
    return [int(model.wv.get_vecattr(w, "count")) for w in model.wv.index_to_key]


# --------------------------------------------------------------------------- counting


token_lists = st.lists(
    st.lists(st.sampled_from(["a", "b", "the", "é", "日本", "", " ", "a b", "\0"]), max_size=10), max_size=30
)


@settings(max_examples=100, deadline=None)
@given(corpus=token_lists)
def test_count_words_equals_counter(corpus):
    result = count_words(corpus)
    expected = Counter(chain.from_iterable(corpus))
    assert result.counts == dict(expected)
    assert list(result.counts) == list(dict.fromkeys(chain.from_iterable(corpus)))  # first occurrence
    assert type(result.counts) is dict
    assert result.total_words == sum(map(len, corpus))
    assert result.n_sentences == len(corpus)
    assert result.min_reduce == 1


def test_count_words_large_corpus_in_chunks(monkeypatch):
    monkeypatch.setattr(vocab_module, "_CHUNK_WORDS", 50)
    corpus = zipf_corpus(1, n_sentences=3000)
    result = count_words(corpus)
    assert result.counts == Counter(chain.from_iterable(corpus))
    assert (result.total_words, result.n_sentences) == (sum(map(len, corpus)), 3000)


def test_count_words_accepts_tuples_generators_and_numpy_str():
    corpus = [("a", "b"), np.array(["a", "c"]), range(0)]

    class Corpus:
        def __iter__(self):
            return iter(corpus + [(w for w in ["a"])])

    result = count_words(Corpus())
    assert result.counts == {"a": 3, "b": 1, "c": 1}
    assert all(type(k) is str for k in result.counts)  # numpy.str_ normalised


@pytest.mark.parametrize(
    "corpus, message",
    [
        ([["a"], ["b"], ["c"], "d e"], r"^sentence 3 is a str; each sentence must be a list of tokens \(did you forget \.split\(\)\?\)$"),
        ([["a"], None], r"^sentence 1 is None"),
        ([["a"], ["b"], 7], r"^sentence 2 is not iterable \(type int\)"),
        ([b"a b"], r"^sentence 0 is a bytes object"),
        ([["a"], ["b", 3]], r"^sentence 1 contains a token of type int \(3\); tokens must be str"),
        ([["a"], ["b"], ["c", b"x"]], r"^sentence 2 contains a token of type bytes"),
        ([["a", ["x"]]], r"^sentence 0 contains a token of type list"),
        ([["a"], [None]], r"^sentence 1 contains a token of type NoneType"),
    ],
)
@pytest.mark.parametrize("max_vocab_size", [None, 1])
def test_count_words_sentence_errors(corpus, message, max_vocab_size):
    with pytest.raises(TypeError, match=message):
        count_words(corpus, max_vocab_size=max_vocab_size)


def test_bad_token_is_reported_even_if_pruned():
    corpus = [["a", "a"], ["b", 5], ["c"], ["d"], ["a"]] + [["e"], ["f"]] * 3
    with pytest.raises(TypeError, match="sentence 1 contains a token of type int"):
        count_words(corpus, max_vocab_size=2)


def test_count_words_argument_errors(tmp_path):
    with pytest.raises(TypeError, match="restartable iterable"):
        count_words(s for s in [["a"]])
    with pytest.raises(TypeError, match="restartable iterable"):
        count_words(iter([["a"]]))
    with pytest.raises(TypeError, match="exactly one"):
        count_words()
    with pytest.raises(TypeError, match="exactly one"):
        count_words([["a"]], corpus_file="x.txt")
    with pytest.raises(TypeError, match="corpus_file"):
        count_words("some/file.txt")
    with pytest.raises(FileNotFoundError, match="missing.txt"):
        count_words(corpus_file=tmp_path / "missing.txt")


def write_corpus_file(path, corpus):
    text = "\n".join(" ".join(s) for s in corpus).encode("utf-8")
    if str(path).endswith(".gz"):
        text = gzip.compress(text)
    path.write_bytes(text)
    return path


@pytest.mark.parametrize("native", [True, False])
@pytest.mark.parametrize("max_vocab_size", [None, 40])
def test_count_file_equals_count_of_line_sentence(tmp_path, monkeypatch, native, max_vocab_size):
    if not native:
        monkeypatch.setattr(vocab_module, "_WordCounter", None)
    elif vocab_module._WordCounter is None:
        pytest.skip("fastw2v._text is not built")
    corpus = zipf_corpus(2) + [["long"] * 25, [], ["x\u00a0y", "é"]]
    path = write_corpus_file(tmp_path / "c.txt.gz", corpus)
    got = count_words(corpus_file=path, max_vocab_size=max_vocab_size, max_sentence_length=10)
    expected = count_words(LineSentence(path, max_sentence_length=10), max_vocab_size=max_vocab_size)
    assert got == expected
    assert list(got.counts) == list(expected.counts)
    assert got.n_sentences == sum(-(-len(s) // 10) for s in corpus)


@pytest.mark.parametrize("native", [True, False])
def test_count_file_non_utf8_names_file_and_line(tmp_path, monkeypatch, native):
    if not native:
        monkeypatch.setattr(vocab_module, "_WordCounter", None)
    path = tmp_path / "latin1.txt"
    path.write_bytes(b"fine words\n" * 9 + "caf\u00e9 au lait\n".encode("latin-1"))
    with pytest.raises(ValueError, match=r"latin1\.txt: line 10 is not valid UTF-8"):
        count_words(corpus_file=path)


# --------------------------------------------------------------------------- max_vocab_size


def reference_pruned_count(corpus, max_vocab_size, trim_rule=None):
    counts, min_reduce = {}, 1
    for s in corpus:
        for w in s:
            counts[w] = counts.get(w, 0) + 1
        if len(counts) > max_vocab_size:
            for w in list(counts):
                if not vocab_module.keep_vocab_item(w, counts[w], min_reduce, trim_rule):
                    del counts[w]
            min_reduce += 1
    return counts, min_reduce


@pytest.mark.parametrize("seed", [3, 4])
@pytest.mark.parametrize("max_vocab_size", [20, 60])
@pytest.mark.parametrize("rule", [None, trim_rule])
def test_max_vocab_size_pruning(seed, max_vocab_size, rule):
    corpus = zipf_corpus(seed)
    result = count_words(corpus, max_vocab_size=max_vocab_size, trim_rule=rule)
    counts, min_reduce = reference_pruned_count(corpus, max_vocab_size, rule)
    assert result.counts == counts and list(result.counts) == list(counts)
    assert result.min_reduce == min_reduce > 2
    assert result.total_words == sum(map(len, corpus))


@pytest.mark.parametrize("max_vocab_size", [20, 60])
def test_max_vocab_size_matches_gensim(max_vocab_size):
    corpus = zipf_corpus(5)
    model = gensim_model(corpus, min_count=1, max_vocab_size=max_vocab_size, trim_rule=trim_rule)
    result = count_words(corpus, max_vocab_size=max_vocab_size, trim_rule=trim_rule)
    assert list(result.counts.items()) == list(model.raw_vocab.items())
    assert (result.total_words, result.n_sentences) == (model.corpus_total_words, model.corpus_count)
    v = Vocabulary.from_counts(result.counts, min_count=1, trim_rule=trim_rule, tie_order="gensim")
    assert v.index_to_key == model.wv.index_to_key


# --------------------------------------------------------------------------- Vocabulary.from_counts


def test_sort_order_ties_first_seen_by_default():
    """Stable sort: equal counts keep first-occurrence order; the null word is sorted with the other
    count-1 words; sorting is idempotent, so a sorted vocabulary read back keeps its order."""
    corpus = [["b", "a", "c", "a", "d", "d", "e", "e"], ["f", "c", "b"]]
    counts = count_words(corpus).counts
    v = Vocabulary.from_counts(counts, min_count=1)
    assert v.index_to_key == ["b", "a", "c", "d", "e", "f"]
    assert v.counts.tolist() == [2, 2, 2, 2, 2, 1]
    again = Vocabulary.from_counts(dict(zip(v.index_to_key, v.counts.tolist())), min_count=1)
    assert again.index_to_key == v.index_to_key
    v = Vocabulary.from_counts(counts, min_count=1, null_word=True)
    assert v.index_to_key == ["b", "a", "c", "d", "e", "f", "\0"]
    v = Vocabulary.from_counts(counts, min_count=1, sorted_vocab=False, null_word=True)
    assert v.index_to_key == ["b", "a", "c", "d", "e", "f", "\0"]


@pytest.mark.parametrize("tie_order", ["first_seen", "gensim"])
def test_sort_order_with_many_ties(tie_order):
    """Large enough that an unstable sort (numpy's quicksort/introsort) would scramble ties."""
    rng = np.random.default_rng(9)
    counts = {f"w{i}": int(c) for i, c in enumerate(rng.integers(1, 4, size=5000))}
    v = Vocabulary.from_counts(counts, min_count=1, tie_order=tie_order)
    position = {w: i for i, w in enumerate(counts)}
    step = 1 if tie_order == "first_seen" else -1
    expected = sorted(counts, key=lambda w: (-counts[w], step * position[w]))
    assert v.index_to_key == expected


def test_sort_order_ties_gensim():
    """gensim 4.4 sorts with np.lexsort((-index, -count)): among equal counts the word seen *last*
    comes first (the null word, added last, leads the count-1 words)."""
    corpus = [["b", "a", "c", "a", "d", "d", "e", "e"], ["f", "c", "b"]]
    counts = count_words(corpus).counts
    v = Vocabulary.from_counts(counts, min_count=1, tie_order="gensim")
    assert v.index_to_key == ["e", "d", "c", "a", "b", "f"]
    v = Vocabulary.from_counts(counts, min_count=1, null_word=True, tie_order="gensim")
    assert v.index_to_key == ["e", "d", "c", "a", "b", "\0", "f"]
    with pytest.raises(ValueError, match="tie_order"):
        Vocabulary.from_counts(counts, min_count=1, tie_order="random")


def same_up_to_ties(ours: Vocabulary, words: list, counts: list) -> bool:
    """Equal counts in the same sequence, and the same words within each run of equal counts."""
    if ours.counts.tolist() != counts:
        return False
    runs = {}
    for w, c in zip(words, counts):
        runs.setdefault(c, set()).add(w)
    return all(runs[c] >= {w} for w, c in zip(ours.index_to_key, counts))


@pytest.mark.parametrize(
    "params",
    [
        dict(min_count=1),
        dict(min_count=3),
        dict(min_count=2, max_final_vocab=10),
        dict(min_count=1, max_final_vocab=25),
        dict(min_count=1, max_final_vocab=1000),
        dict(min_count=2, sorted_vocab=False),
        dict(min_count=2, null_word=1),
        dict(min_count=1, max_final_vocab=25, null_word=1, sorted_vocab=False),
    ],
)
@pytest.mark.parametrize("rule", [None, trim_rule])
def test_from_counts_matches_gensim(params, rule):
    corpus = zipf_corpus(6)
    model = gensim_model(corpus, trim_rule=rule, **params)
    result = count_words(corpus)
    args = (result.counts, params["min_count"], rule, params.get("max_final_vocab"),
            params.get("sorted_vocab", True), params.get("null_word", False))
    v = Vocabulary.from_counts(*args, tie_order="gensim")
    assert v.index_to_key == model.wv.index_to_key
    assert v.counts.tolist() == gensim_counts(model)
    assert v.key_to_index == model.wv.key_to_index
    assert v.effective_min_count == model.effective_min_count
    default = Vocabulary.from_counts(*args)
    assert same_up_to_ties(default, model.wv.index_to_key, gensim_counts(model))
    assert (result.total_words, result.n_sentences) == (model.corpus_total_words, model.corpus_count)


def test_min_count_and_trim_rule_semantics():
    counts = {"a": 5, "b": 1, "c": 3, "w17": 1, "w10": 9}
    v = Vocabulary.from_counts(counts, min_count=3)
    assert v.index_to_key == ["w10", "a", "c"]
    assert v.retained_words == 17
    v = Vocabulary.from_counts(counts, min_count=3, trim_rule=trim_rule)
    assert v.index_to_key == ["a", "c", "w17"]  # w17 kept by rule, w10 discarded by rule
    assert v.counts.dtype == np.int64 and v.counts.tolist() == [5, 3, 1]
    assert len(v) == 3 and "a" in v and "b" not in v


def test_max_final_vocab_rule():
    counts = {"a": 10, "b": 8, "c": 8, "d": 5, "e": 1}
    # the word at position 2 has count 8 -> min count 9: ties at the cut all go, leaving 1 word
    assert effective_min_count(counts, 1, 2) == 9
    assert Vocabulary.from_counts(counts, 1, max_final_vocab=2).index_to_key == ["a"]
    assert Vocabulary.from_counts(counts, 1, max_final_vocab=3).index_to_key == ["a", "b", "c"]
    assert effective_min_count(counts, 6, 3) == 6  # min_count wins when higher
    assert effective_min_count(counts, 1, 5) == 1 and effective_min_count(counts, 1, None) == 1
    with pytest.raises(ValueError, match=r"min_count=11 \(raised from 1 by max_final_vocab=0\)"):
        Vocabulary.from_counts(counts, 1, max_final_vocab=0)


def test_empty_and_all_rare_errors():
    with pytest.raises(ValueError, match="^the corpus is empty$"):
        Vocabulary.from_counts(count_words([]).counts)
    with pytest.raises(ValueError, match="^the corpus is empty$"):
        Vocabulary.from_counts(count_words([[], []]).counts)
    message = (
        r"^no word reaches min_count=5 \(the corpus has 3 distinct words, the most frequent appears 4 "
        r"times\); lower min_count$"
    )
    with pytest.raises(ValueError, match=message):
        Vocabulary.from_counts({"a": 1, "b": 4, "c": 2}, min_count=5)


# --------------------------------------------------------------------------- update, save


def test_update_keeps_ids_and_appends_new_words():
    v = Vocabulary.from_counts({"a": 5, "b": 3, "c": 1}, min_count=2)
    before = dict(v.key_to_index)
    new = v.update({"z": 4, "b": 1, "c": 1, "y": 1, "a": 2, "x": 2}, min_count=2)
    assert new == ["z", "x"]
    assert all(v.key_to_index[w] == i for w, i in before.items())
    assert v.index_to_key == ["a", "b", "z", "x"]
    assert v.counts.tolist() == [7, 4, 4, 2]  # b grows by 1 although 1 < min_count
    assert v.retained_words == 4 + 2 + 2  # the kept counts of the new corpus (gensim's retain_total)
    assert v.key_to_index == {w: i for i, w in enumerate(v.index_to_key)}


@pytest.mark.parametrize("params", [dict(min_count=2), dict(min_count=1, max_final_vocab=40)])
def test_update_matches_gensim(params):
    first, second = zipf_corpus(7), zipf_corpus(8, n_types=600)
    model = gensim_model(first, **params)
    model.build_vocab(second, update=True, trim_rule=trim_rule)
    v = Vocabulary.from_counts(count_words(first).counts, params["min_count"],
                               max_final_vocab=params.get("max_final_vocab"), tie_order="gensim")
    new = v.update(count_words(second).counts, params["min_count"], trim_rule, params.get("max_final_vocab"))
    assert new and v.index_to_key == model.wv.index_to_key
    assert v.counts.tolist() == gensim_counts(model)


def test_to_dict_round_trip_through_json():
    v = Vocabulary.from_counts({"a": 5, "é": 3, "\0": 1, "b": 1}, min_count=2, null_word=True)
    d = json.loads(json.dumps(v.to_dict()))
    w = Vocabulary.from_dict(d)
    assert w.index_to_key == v.index_to_key == ["a", "é", "\0"]
    assert w.counts.tolist() == v.counts.tolist() and w.counts.dtype == np.int64
    assert (w.retained_words, w.effective_min_count, w.null_word) == (8, 2, True)
    assert w.key_to_index == v.key_to_index
    assert set(d) >= {"words", "counts"}
    minimal = Vocabulary.from_dict({"words": ["a", "b"], "counts": [3, 2]})  # what model.load passes
    assert minimal.index_to_key == ["a", "b"] and minimal.retained_words == 5


def test_vocabulary_rejects_inconsistent_input():
    with pytest.raises(ValueError, match="duplicate"):
        Vocabulary(["a", "a"], [1, 1])
    with pytest.raises(ValueError, match="counts for"):
        Vocabulary(["a", "b"], [1])
    assert isinstance(count_words([["a"]]), CountResult) and RULE_DISCARD == 1 and RULE_KEEP == 2
