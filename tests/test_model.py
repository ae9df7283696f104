"""Behaviour tests of fastw2v.Word2Vec: gensim-compatible API, training quality, loss, determinism.

Bitwise assertions here compare two runs of the same code on the same CPU in one process
(determinism, save/load round trips) or gensim's initial vectors (uniform draws scaled by + - * /,
correctly rounded everywhere): none can depend on which SIMD path the CPU takes.
"""
import gzip
import inspect
import logging

import numpy as np
import pytest

from fastw2v import Word2Vec
from fastw2v.model import TrainingDivergedError
from planted import neighbour_purity, planted_corpus

SENTENCES, TOPICS = planted_corpus()
SMALL = dict(vector_size=24, window=3, min_count=1, epochs=5, seed=7, sample=0)


def write_corpus(path, sentences, compress=False):
    text = "\n".join(" ".join(s) for s in sentences) + "\n"
    if compress:
        with gzip.open(path, "wt", encoding="utf-8") as f:
            f.write(text)
    else:
        path.write_text(text, encoding="utf-8")
    return str(path)


# ---------------------------------------------------------------- gensim compatibility

GENSIM_DEFAULTS = dict(
    sentences=None, corpus_file=None, vector_size=100, alpha=0.025, window=5, min_count=5,
    max_vocab_size=None, sample=1e-3, seed=1, workers=3, min_alpha=0.0001, sg=0, hs=0, negative=5,
    ns_exponent=0.75, cbow_mean=1, epochs=5, null_word=0, trim_rule=None, sorted_vocab=1,
    batch_words=10000, compute_loss=False, callbacks=(), shrink_windows=True, max_final_vocab=None)


def test_constructor_has_gensim_names_and_defaults():
    params = inspect.signature(Word2Vec.__init__).parameters
    for name, default in GENSIM_DEFAULTS.items():
        assert name in params, name
        assert params[name].default == default, name


def test_constructor_matches_installed_gensim():
    gensim_models = pytest.importorskip("gensim.models", reason="gensim not installed: comparison skipped")
    ours = inspect.signature(Word2Vec.__init__).parameters
    theirs = inspect.signature(gensim_models.Word2Vec.__init__).parameters
    for name, param in theirs.items():
        if name in ("self", "kwargs", "hashfxn"):
            continue
        assert name in ours, name
        assert ours[name].default == param.default, name
    for method in ("build_vocab", "train", "build_vocab_from_freq"):
        theirs = inspect.signature(getattr(gensim_models.Word2Vec, method)).parameters
        ours_m = inspect.signature(getattr(Word2Vec, method)).parameters
        for name, param in theirs.items():
            if name in ("self", "kwargs"):
                continue
            assert name in ours_m, f"{method}({name})"
            assert ours_m[name].default == param.default, f"{method}({name})"


def test_initial_vectors_are_uniform_in_gensims_range():
    model = Word2Vec(vector_size=50, min_count=1, seed=4)
    model.build_vocab([[f"w{i}" for i in range(400)]])
    scaled = model.wv.vectors * 50
    assert model.wv.vectors.dtype == np.float32
    assert scaled.min() >= -1.0 - 1e-6 and scaled.max() <= 1.0 + 1e-6
    assert scaled.min() < -0.9 and scaled.max() > 0.9   # [-1, 1) / size, not word2vec.c's half range
    assert abs(float(scaled.mean())) < 0.02
    assert not model.syn1neg.any()


def test_initial_vectors_match_installed_gensim():
    keyedvectors = pytest.importorskip("gensim.models.keyedvectors",
                                       reason="gensim not installed: comparison skipped")
    model = Word2Vec(vector_size=30, min_count=1, seed=7)
    model.build_vocab(SENTENCES)
    expected = keyedvectors.prep_vectors(model.wv.vectors.shape, seed=7)
    np.testing.assert_array_equal(model.wv.vectors, expected)


@pytest.mark.parametrize("mode", [dict(sg=1), dict(sg=0), dict(sg=1, hs=1, negative=0),
                                  dict(sg=0, hs=1, negative=0), dict(sg=0, cbow_mean=0),
                                  dict(sg=1, hs=1, negative=3)])
def test_modes_learn_planted_topics(mode):
    model = Word2Vec(SENTENCES, workers=2, **{**SMALL, **mode})
    assert neighbour_purity(model.wv, TOPICS) > 0.9
    assert np.isfinite(model.wv.vectors).all()


def test_loss_decreases_per_epoch_and_is_float64():
    model = Word2Vec(SENTENCES, workers=2, sg=1, **{**SMALL, "epochs": 4})
    history = model.loss_history
    assert len(history) == 4
    assert all(isinstance(x, float) for x in history)
    assert history[-1] < history[0]
    assert all(b < a * 1.02 for a, b in zip(history, history[1:]))
    # gensim's semantics (issue 16): the running sum over the epochs of the latest train() call
    assert model.get_latest_training_loss() == sum(history)
    model.train(SENTENCES, total_examples=len(SENTENCES), epochs=2)
    assert len(model.loss_history) == 6
    assert model.get_latest_training_loss() == sum(model.loss_history[4:])


def test_loss_does_not_saturate_like_float32():
    # gensim's float32 running loss stops growing near 2**24 increments; ours is float64 per thread.
    model = Word2Vec(SENTENCES * 4, workers=2, sg=1, **{**SMALL, "epochs": 1})
    one = model.get_latest_training_loss()
    assert one > 0
    model2 = Word2Vec(SENTENCES * 8, workers=2, sg=1, **{**SMALL, "epochs": 1})
    assert model2.get_latest_training_loss() > 1.6 * one


def test_single_worker_is_bitwise_reproducible():
    a = Word2Vec(SENTENCES, workers=1, sg=1, **{**SMALL, "sample": 1e-3})
    b = Word2Vec(SENTENCES, workers=1, sg=1, **{**SMALL, "sample": 1e-3})
    assert np.array_equal(a.wv.vectors, b.wv.vectors)
    assert np.array_equal(a.syn1neg, b.syn1neg)
    assert a.loss_history == b.loss_history
    c = Word2Vec(SENTENCES, workers=1, sg=1, **{**SMALL, "sample": 1e-3, "seed": 8})
    assert not np.array_equal(a.wv.vectors, c.wv.vectors)


def test_corpus_file_mode_matches_iterable_mode(tmp_path):
    path = write_corpus(tmp_path / "c.txt.gz", SENTENCES, compress=True)
    a = Word2Vec(corpus_file=path, workers=1, sg=1, **SMALL)
    # one batch in both modes (a corpus_file batch is FILE_BATCH_BYTES): each batch has its own
    # random stream, so the same run needs the same batches
    b = Word2Vec(SENTENCES, workers=1, sg=1, batch_words=10**6, **SMALL)
    assert a.wv.index_to_key == b.wv.index_to_key
    assert a.corpus_total_words == b.corpus_total_words == sum(map(len, SENTENCES))
    assert neighbour_purity(a.wv, TOPICS) > 0.9
    # Same tokens, same ids, same sentence boundaries: the same training run.
    np.testing.assert_allclose(a.wv.vectors, b.wv.vectors, rtol=1e-4, atol=1e-5)


def test_iterable_lookups_through_the_vocab_hash_equal_dict_lookups(monkeypatch):
    # Iterable mode looks str tokens up in the C VocabHash; dict lookups must give the same run.
    a = Word2Vec(SENTENCES, workers=1, sg=1, **SMALL)
    def no_vocab_hash(self):
        raise UnicodeEncodeError("utf-8", "\ud800", 0, 1, "surrogates not allowed")

    monkeypatch.setattr(Word2Vec, "_vocab_hash", no_vocab_hash)
    b = Word2Vec(SENTENCES, workers=1, sg=1, **SMALL)
    assert np.array_equal(a.wv.vectors, b.wv.vectors)
    assert a.loss_history == b.loss_history


def test_iterable_mode_trains_words_without_a_utf8_form():
    # A word with a lone surrogate cannot enter the VocabHash: lookups fall back to the dict.
    odd = "x\ud800"
    sentences = [s + [odd] for s in SENTENCES]
    model = Word2Vec(sentences, workers=1, sg=1, **{**SMALL, "epochs": 1})
    assert odd in model.wv
    row = model.wv.key_to_index[odd]
    fresh = Word2Vec(workers=1, sg=1, **SMALL)
    fresh.build_vocab(sentences)
    assert not np.array_equal(model.wv.vectors[row], fresh.wv.vectors[row])   # it was trained


def test_corpus_file_with_several_workers_reads_the_parts_in_turn(tmp_path, monkeypatch):
    from fastw2v import model as model_module
    from fastw2v.corpus import file_partitions, iter_file_batches
    path = write_corpus(tmp_path / "c.txt", SENTENCES)
    model = Word2Vec(workers=3, sg=1, **SMALL)
    model.build_vocab(corpus_file=path)
    monkeypatch.setattr(model_module, "FILE_BATCH_BYTES", 500)
    ranges = file_partitions(path, 3)
    assert len(ranges) == 3
    parts = [list(iter_file_batches(path, model._vocab_hash(), batch_bytes=500, start=a, end=b))
             for a, b in ranges]
    batches = list(model._batches(None, path))
    # one batch of each part in turn, every batch of every part once
    assert [b.tokens.tolist() for b in batches[:3]] == [p[0].tokens.tolist() for p in parts]
    assert sorted(b.tokens.tolist() for b in batches) == sorted(b.tokens.tolist() for p in parts for b in p)
    assert sum(b.raw_words for b in batches) == model.corpus_total_words
    effective, raw = model.train(corpus_file=path, total_examples=model.corpus_count, epochs=2)
    assert raw == 2 * model.corpus_total_words
    assert neighbour_purity(model.wv, TOPICS) > 0.9


def test_round_robin_takes_one_item_of_each_in_turn():
    from fastw2v.model import _round_robin
    assert list(_round_robin([iter([1, 2, 3]), iter([]), iter([10, 20])])) == [1, 10, 2, 20, 3]
    assert list(_round_robin([])) == []


def _job(first_id, sentence_lengths, a0, a1):
    tokens = np.arange(first_id, first_id + sum(sentence_lengths), dtype=np.int32)
    return tokens, np.concatenate([[0], np.cumsum(sentence_lengths)]).astype(np.int64), a0, a1


def test_merged_jobs_concatenate_sentences_and_span_the_learning_rates():
    import queue
    from fastw2v.model import _merged
    jobs = queue.Queue()
    for job in (_job(3, [2], 0.4, 0.3), _job(5, [1, 3], 0.3, 0.2), _job(9, [4], 0.2, 0.1)):
        jobs.put(job)
    (tokens, offsets, a0, a1), stop_after = _merged(_job(0, [1, 2], 0.5, 0.4), jobs, max_batches=3,
                                                    reserve=0)
    assert tokens.tolist() == list(range(9)) and tokens.dtype == np.int32
    assert offsets.tolist() == [0, 1, 3, 5, 6, 9]          # every sentence kept whole, in order
    assert (a0, a1, stop_after) == (0.5, 0.2, False)       # 3 batches: the last job stays queued
    assert jobs.qsize() == 1


def test_merged_jobs_leave_the_reserve_and_stop_at_a_sentinel():
    import queue
    from fastw2v.model import _merged
    first = _job(0, [2], 0.5, 0.4)
    jobs = queue.Queue()
    jobs.put(_job(2, [2], 0.4, 0.3))
    job, stop_after = _merged(first, jobs, max_batches=5, reserve=1)   # one left for another worker
    assert job is first and not stop_after and jobs.qsize() == 1
    jobs.put(None)
    jobs.put(_job(4, [1], 0.3, 0.2))
    (tokens, offsets, a0, a1), stop_after = _merged(first, jobs, max_batches=5, reserve=0)
    assert tokens.tolist() == [0, 1, 2, 3] and offsets.tolist() == [0, 2, 4] and (a0, a1) == (0.5, 0.3)
    assert stop_after and jobs.qsize() == 1                # the sentinel was taken, nothing after it


def test_several_workers_train_every_batch_once_when_batches_are_merged(monkeypatch):
    # small batches, so that workers find several queued behind the one they take and merge them
    from fastw2v import model as model_module
    calls = []
    real = model_module._core.train_batch

    def counting(*args):
        calls.append(len(args[2]))
        return real(*args)

    model = Word2Vec(workers=3, sg=1, batch_words=40, **SMALL)
    model.build_vocab(SENTENCES)
    monkeypatch.setattr(model_module._core, "train_batch", counting)
    effective, raw = model.train(SENTENCES, total_examples=len(SENTENCES), epochs=2)
    words = sum(map(len, SENTENCES))
    assert (effective, raw) == (2 * words, 2 * words)    # sample=0, min_count=1: every token, once
    assert sum(calls) == 2 * words


def test_learning_rate_decays_linearly_to_min_alpha():
    seen = []

    class Spy:
        def on_epoch_end(self, model):
            seen.append(model.epochs_trained)

    model = Word2Vec(SENTENCES[:200], workers=1, callbacks=[Spy()], **SMALL)
    assert seen == [1, 2, 3, 4, 5]
    from fastw2v.model import _alpha_schedule
    first = _alpha_schedule(0.025, 0.0001, 5, 0, 1000)
    last = _alpha_schedule(0.025, 0.0001, 5, 4, 1000)
    assert first(0) == pytest.approx(0.025)
    assert first(1000) == pytest.approx(0.025 - (0.025 - 0.0001) / 5)
    assert last(1000) == pytest.approx(0.0001)
    assert model.epochs_trained == 5


def test_train_returns_word_counts_and_respects_explicit_epochs():
    model = Word2Vec(**SMALL)
    model.build_vocab(SENTENCES)
    effective, raw = model.train(SENTENCES, total_examples=model.corpus_count, epochs=2)
    assert raw == 2 * sum(map(len, SENTENCES))
    assert 0 < effective <= raw
    assert len(model.loss_history) == 2


def test_build_vocab_update_adds_words_and_keeps_ids():
    model = Word2Vec(SENTENCES, workers=1, **SMALL)
    before = {w: model.wv.key_to_index[w] for w in model.wv.index_to_key}
    old_vectors = model.wv.vectors.copy()
    extra = [["brandnew", "t0w1", "t0w2", "other"] for _ in range(20)]
    model.build_vocab(extra, update=True)
    assert "brandnew" in model.wv and "other" in model.wv
    assert all(model.wv.key_to_index[w] == i for w, i in before.items())
    assert np.array_equal(model.wv.vectors[: len(old_vectors)], old_vectors)
    model.train(extra, total_examples=len(extra), epochs=2)
    assert np.isfinite(model.wv.vectors).all()
    assert model.wv.get_vecattr("brandnew", "count") == 20


def test_build_vocab_from_freq():
    model = Word2Vec(min_count=2, vector_size=8)
    model.build_vocab_from_freq({"a": 5, "b": 3, "c": 1})
    assert model.wv.index_to_key == ["a", "b"]
    model.train([["a", "b", "a"]] * 10, total_examples=10, epochs=1)


def test_callbacks_run_in_gensim_order():
    events = []

    class Recorder:
        def on_train_begin(self, model):
            events.append("train_begin")

        def on_epoch_begin(self, model):
            events.append("epoch_begin")

        def on_epoch_end(self, model):
            events.append("epoch_end")

        def on_train_end(self, model):
            events.append("train_end")

    Word2Vec(SENTENCES[:100], callbacks=[Recorder()], **{**SMALL, "epochs": 2})
    assert events == ["train_begin", "epoch_begin", "epoch_end", "epoch_begin", "epoch_end", "train_end"]


def test_gensim_callback_subclass_works_unchanged():
    callbacks = pytest.importorskip("gensim.models.callbacks", reason="gensim not installed")

    class EpochLogger(callbacks.CallbackAny2Vec):
        def __init__(self):
            self.epoch = 0
            self.losses = []

        def on_epoch_end(self, model):
            self.epoch += 1
            self.losses.append(model.get_latest_training_loss())

    logger_cb = EpochLogger()
    Word2Vec(SENTENCES[:200], callbacks=[logger_cb], compute_loss=True, **{**SMALL, "epochs": 3})
    assert logger_cb.epoch == 3 and all(x > 0 for x in logger_cb.losses)


def test_progress_bar_and_logging(caplog):
    with caplog.at_level(logging.INFO, logger="fastw2v.model"):
        Word2Vec(SENTENCES[:300], progress=True, **{**SMALL, "epochs": 1})
        Word2Vec(SENTENCES[:300], **{**SMALL, "epochs": 1})
    assert any("EPOCH 1" in r.getMessage() for r in caplog.records)


def test_save_load_roundtrip_and_continue_training(tmp_path):
    model = Word2Vec(SENTENCES, workers=1, sg=1, **SMALL)
    path = tmp_path / "model.fw2v"
    model.save(path)
    loaded = Word2Vec.load(path)
    assert loaded.wv.index_to_key == model.wv.index_to_key
    assert np.array_equal(loaded.wv.vectors, model.wv.vectors)
    assert np.array_equal(loaded.syn1neg, model.syn1neg)
    assert loaded.loss_history == model.loss_history
    assert loaded.sg == 1 and loaded.window == 3
    # Continuing training from the loaded model equals continuing the original one (workers=1).
    model.train(SENTENCES, total_examples=len(SENTENCES), epochs=1)
    loaded.train(SENTENCES, total_examples=len(SENTENCES), epochs=1)
    assert np.array_equal(loaded.wv.vectors, model.wv.vectors)
    mapped = Word2Vec.load(path, mmap="r")
    assert mapped.wv.most_similar("t0w0", topn=1)


# ---------------------------------------------------------------- misuse and bad input

def test_generator_is_rejected_with_advice():
    with pytest.raises(TypeError, match="restartable"):
        Word2Vec((s for s in SENTENCES), **SMALL)


def test_train_before_build_vocab():
    with pytest.raises(RuntimeError, match="build the vocabulary"):
        Word2Vec(**SMALL).train(SENTENCES, total_examples=10, epochs=1)


def test_train_needs_total_examples_and_epochs():
    model = Word2Vec(**SMALL)
    model.build_vocab(SENTENCES)
    with pytest.raises(ValueError, match="total_examples"):
        model.train(SENTENCES, epochs=1)
    with pytest.raises(ValueError, match="epochs"):
        model.train(SENTENCES, total_examples=model.corpus_count)


@pytest.mark.parametrize("kwargs,name", [
    (dict(vector_size=0), "vector_size"), (dict(vector_size=-3), "vector_size"),
    (dict(window=0), "window"), (dict(workers=0), "workers"), (dict(negative=-1), "negative"),
    (dict(alpha=float("nan")), "alpha"), (dict(alpha=float("inf")), "alpha"), (dict(alpha=0), "alpha"),
    (dict(min_alpha=-1.0), "min_alpha"), (dict(sample=-0.1), "sample"), (dict(epochs=0), "epochs"),
    (dict(vector_size=2.5), "vector_size"), (dict(sg=2), "sg"), (dict(batch_mode="turbo"), "batch_mode"),
])
def test_bad_hyperparameters_name_the_parameter(kwargs, name):
    with pytest.raises((ValueError, TypeError), match=name):
        Word2Vec(SENTENCES, **{**SMALL, **kwargs})


def test_no_objective_is_rejected():
    with pytest.raises(ValueError, match="negative=0 and hs=0"):
        Word2Vec(SENTENCES, hs=0, negative=0)


def test_string_sentence_is_rejected():
    with pytest.raises(TypeError, match="str"):
        Word2Vec(["this is a sentence", "and another"], min_count=1)


def test_empty_and_all_rare_corpora():
    with pytest.raises(ValueError, match="empty"):
        Word2Vec([], min_count=1)
    with pytest.raises(ValueError, match="min_count"):
        Word2Vec([["a", "b"], ["c"]], min_count=5)


def test_missing_corpus_file_is_named(tmp_path):
    missing = str(tmp_path / "nope.txt")
    with pytest.raises(FileNotFoundError, match="nope.txt"):
        Word2Vec(corpus_file=missing)


def test_divergence_is_detected_and_names_alpha():
    with pytest.raises(TrainingDivergedError, match="alpha"):
        Word2Vec(SENTENCES, workers=1, sg=1, exact_sigmoid=True, negative=5,
                 **{**SMALL, "alpha": 1e30, "epochs": 2})
