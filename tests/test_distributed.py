"""fastw2v.distributed: training on Dask workers (2 processes x 1 thread, tiny corpora)."""
import bz2
import glob
import gzip
import importlib
import os
import pickle
import signal
import sys
import tempfile

import numpy as np
import pytest

try:
    import dask
    import distributed as dd
except ImportError:
    pytest.skip("dask[distributed] is not installed (pip install 'fastw2v[distributed]')",
                allow_module_level=True)

import fastw2v
from fastw2v import Word2Vec
from fastw2v import cli
from fastw2v import distributed as fd
from planted import neighbour_purity, planted_corpus

PARAMS = dict(vector_size=16, min_count=1, window=3, epochs=2, seed=5, sample=0)


def write(path, sentences, opener=open):
    with opener(path, "wt") as f:
        f.write("\n".join(" ".join(s) for s in sentences) + "\n")
    return str(path)


def zipf_sentences(n, seed):
    """Many words with tied low counts, so that the order among equal counts is tested."""
    rng = np.random.default_rng(seed)
    return [[f"w{int(k)}" for k in rng.zipf(1.3, size=rng.integers(1, 15)) if k < 5000]
            or ["w1"] for _ in range(n)]


def local_cluster():
    return dd.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                           dashboard_address=None,
                           scheduler_kwargs={"dashboard_address": "127.0.0.1:0"})


@pytest.fixture(scope="module")
def client():
    cluster = local_cluster()
    c = dd.Client(cluster)
    yield c
    c.close()
    cluster.close()


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    sentences, topics = planted_corpus(n_sentences=2400, seed=3)
    path = write(tmp_path_factory.mktemp("planted") / "planted.txt", sentences)
    return path, topics


@pytest.fixture(scope="module")
def trained(client, planted):
    path, _ = planted
    # sync_rows=4: rounds merge only a few of the ~100 rows, the epoch's end merges the rest
    return fd.train(path, client=client, round_bytes=8000, sync_rows=4, compute_loss=True, **PARAMS)


# ------------------------------------------------------------------ packaging and validation

def test_missing_dask_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)
    monkeypatch.delitem(sys.modules, "fastw2v.distributed")
    with pytest.raises(ImportError, match=r'pip install "fastw2v\[distributed\]"'):
        importlib.import_module("fastw2v.distributed")


def test_params_are_validated_before_any_cluster_starts(monkeypatch, planted):
    def no_cluster(*a, **k):
        raise AssertionError("a cluster was started")
    monkeypatch.setattr(fd, "LocalCluster", no_cluster)
    with pytest.raises(ValueError, match="vector_size"):
        fd.train(planted[0], vector_size=0)
    with pytest.raises(TypeError, match="threads"):
        fd.train(planted[0], workers=2)
    with pytest.raises(TypeError, match="max_vocab_size"):
        fd.train(planted[0], max_vocab_size=100)
    with pytest.raises(ValueError, match="processes"):
        fd.train(planted[0], processes=0)
    with pytest.raises(ValueError, match="empty list"):
        fd.train([])
    with pytest.raises(ValueError, match="sync_rows"):
        fd.train(planted[0], sync_rows=0)
    with pytest.raises(ValueError, match="merge must be one of"):
        fd.train(planted[0], merge="median")
    with pytest.raises(ValueError, match="rounds must be one of"):
        fd.train(planted[0], rounds="async")


@pytest.mark.parametrize("sg, expected", [(1, fd.ROUND_BYTES), (0, fd.CBOW_ROUND_BYTES)])
def test_default_round_bytes_depend_on_the_architecture(client, planted, monkeypatch, sg, expected):
    seen = []
    monkeypatch.setattr(fd, "_train", lambda driver, *a: seen.append(driver.round_bytes))
    fd.train(planted[0], client=client, **dict(PARAMS, sg=sg))
    fd.train(planted[0], client=client, round_bytes=12345, **dict(PARAMS, sg=sg))
    assert seen == [expected, 12345] and fd.CBOW_ROUND_BYTES > fd.ROUND_BYTES


def test_unreadable_path_names_worker_and_path(client, planted, tmp_path):
    missing = str(tmp_path / "missing.txt")
    with pytest.raises(fd.WorkerError, match=r"worker tcp://127\.0\.0\.1:\d+ cannot read corpus "
                                             r"file .*missing\.txt"):
        fd.train([planted[0], missing], client=client, **PARAMS)
    with pytest.raises(fd.WorkerError, match=r"worker tcp://.*nothing-\*\.txt.* matches no file"):
        fd.train(str(tmp_path / "nothing-*.txt"), client=client, **PARAMS)


def test_version_mismatch_names_the_worker(client, planted):
    victim = sorted(client.nthreads())[0]

    def set_version(v):
        import fastw2v as f
        old, f.__version__ = f.__version__, v
        return old

    old = client.run(set_version, "0.0.0-other", workers=[victim])[victim]
    try:
        with pytest.raises(fd.WorkerError, match=f"worker {victim} runs fastw2v 0.0.0-other"):
            fd.train(planted[0], client=client, **PARAMS)
    finally:
        client.run(set_version, old, workers=[victim])


# ------------------------------------------------------------------ vocabulary

@pytest.mark.parametrize("options", [dict(min_count=2), dict(min_count=1, sorted_vocab=0),
                                     dict(min_count=1, max_final_vocab=40, null_word=1)])
def test_vocabulary_equals_build_vocab(client, tmp_path, monkeypatch, options):
    path = write(tmp_path / "zipf.txt", zipf_sentences(3000, seed=1))
    monkeypatch.setattr(fd, "VOCAB_RANGE_BYTES", 1500)   # many ranges, cut mid-line
    params = dict(PARAMS, epochs=1, **options)
    model = fd.train(path, client=client, **params)
    expected = Word2Vec(**params)
    expected.build_vocab(corpus_file=path)
    assert model.wv.index_to_key == expected.wv.index_to_key
    np.testing.assert_array_equal(model.vocab.counts, expected.vocab.counts)
    assert (model.corpus_count, model.corpus_total_words) == (expected.corpus_count,
                                                              expected.corpus_total_words)


def test_vocabulary_of_compressed_files_list_and_glob(client, tmp_path):
    parts = [zipf_sentences(700, seed=s) for s in (2, 3, 4)]
    files = [write(tmp_path / "c-0.txt.gz", parts[0], gzip.open),
             write(tmp_path / "c-1.txt.bz2", parts[1], bz2.open),
             write(tmp_path / "c-2.txt", parts[2])]
    whole = write(tmp_path / "whole.txt", parts[0] + parts[1] + parts[2])
    expected = Word2Vec(**dict(PARAMS, epochs=1))
    expected.build_vocab(corpus_file=whole)
    for corpus in (files, str(tmp_path / "c-*")):
        model = fd.train(corpus, client=client, **dict(PARAMS, epochs=1))
        assert model.wv.index_to_key == expected.wv.index_to_key
        np.testing.assert_array_equal(model.vocab.counts, expected.vocab.counts)
        assert model.corpus_count == expected.corpus_count
        # each compressed file is trained whole in decompressed offsets: words add up
        assert model.distributed_stats["epochs"][0]["raw_words"] == expected.corpus_total_words


# ------------------------------------------------------------------ reading ranges

@pytest.mark.parametrize("opener", [open, gzip.open])
def test_range_reader_reads_every_line_once(tmp_path, opener):
    text = "".join(f"line {i} " + "x" * (i % 37) + "\n" for i in range(400)) + "last line, no newline"
    path = tmp_path / ("r.txt.gz" if opener is gzip.open else "r.txt")
    with opener(path, "wt") as f:
        f.write(text)
    size = len(text.encode())
    rng = np.random.default_rng(0)
    for _ in range(5):
        cuts = [0] + sorted(rng.choice(np.arange(1, size), 7, replace=False).tolist()) + [None]
        out = []
        for start, end in zip(cuts, cuts[1:]):
            reader = fd.RangeReader(str(path), start, end)
            while not reader.done:
                out.append(reader.read(int(rng.integers(1, 300))))
            reader.close()
        assert b"".join(out) == text.encode()


# ------------------------------------------------------------------ the merge rule

def test_merge_rule_touched_untouched_counts():
    a_rows, b_rows, c_rows = np.array([0, 2, 5]), np.array([2, 3]), np.array([2, 5])
    rng = np.random.default_rng(1)
    deltas = [{"vectors": (r, rng.standard_normal((len(r), 4)).astype(np.float32))}
              for r in (a_rows, b_rows, c_rows)]
    merged = fd.merge_deltas(deltas)
    rows, values, touched = merged["vectors"]
    assert rows.tolist() == [0, 2, 3, 5]                      # 1 and 4: nobody changed them
    assert touched.tolist() == [1, 3, 1, 2]
    a, b, c = (d["vectors"][1] for d in deltas)
    assert np.array_equal(values[0], a[0])                    # one replica: its value exactly
    assert np.array_equal(values[2], b[1])
    np.testing.assert_allclose(values[1], (a[1] + b[0] + c[0]) / 3, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(values[3], (a[2] + c[1]) / 2, rtol=1e-5, atol=1e-6)


def test_sum_rule_adds_the_changes_to_the_last_merged_value():
    rng = np.random.default_rng(2)
    base = {"vectors": rng.standard_normal((6, 4)).astype(np.float32)}
    a_rows, b_rows = np.array([0, 2, 5]), np.array([2, 3])
    deltas = [{"vectors": (r, rng.standard_normal((len(r), 4)).astype(np.float32))}
              for r in (a_rows, b_rows)]
    rows, values, touched = fd.merge_deltas(deltas, "sum", base)["vectors"]
    assert rows.tolist() == [0, 2, 3, 5] and touched.tolist() == [1, 2, 1, 1]
    a, b = deltas[0]["vectors"][1], deltas[1]["vectors"][1]
    assert np.array_equal(values[0], a[0]) and np.array_equal(values[2], b[1])   # one replica
    b2 = base["vectors"][2].astype(np.float64)
    np.testing.assert_allclose(values[1], b2 + (a[1] - b2) + (b[0] - b2), rtol=1e-5, atol=1e-6)  # both changes
    every = np.arange(6)                        # every replica changed every row: the fast path
    full = [{"vectors": (every, rng.standard_normal((6, 4)).astype(np.float32))} for _ in range(3)]
    rows, values, touched = fd.merge_deltas(full, "sum", base)["vectors"]
    want = sum(d["vectors"][1].astype(np.float64) for d in full) - 2 * base["vectors"]
    assert touched.tolist() == [3] * 6
    np.testing.assert_allclose(values, want, rtol=1e-5, atol=1e-6)
    rows, values, _ = fd.merge_deltas(full, "mean", base)["vectors"]
    np.testing.assert_allclose(values, sum(d["vectors"][1].astype(np.float64) for d in full) / 3,
                               rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="merge must be one of"):
        fd.merge_deltas(deltas, "median", base)


@pytest.mark.parametrize("rule", ["sum", "mean"])
def test_whole_matrix_deltas_merge_like_row_ids(rule):
    """A merge of every row hands out whole matrices with a mask of the changed rows: the merged
    rows, values and counts are those of the same changes given as row ids."""
    rng = np.random.default_rng(3)
    base = {"vectors": rng.standard_normal((7, 4)).astype(np.float32)}
    whole, by_id = [], []
    for changed in ([0, 2, 5], [2, 3], [2, 5, 6]):
        values = base["vectors"].copy()
        values[changed] = rng.standard_normal((len(changed), 4)).astype(np.float32)
        mask = fd.changed_mask(values, base["vectors"])
        assert np.flatnonzero(mask).tolist() == changed
        whole.append({"vectors": (mask, values)})
        by_id.append({"vectors": fd.sparse_delta(mask, values)})
    rows, values, touched = fd.merge_deltas(whole, rule, base)["vectors"]
    want_rows, want_values, want_touched = fd.merge_deltas(by_id, rule, base)["vectors"]
    assert np.flatnonzero(rows).tolist() == want_rows.tolist() == [0, 2, 3, 5, 6]   # 1, 4: nobody
    assert touched[rows].tolist() == want_touched.tolist() == [1, 3, 1, 2, 1]
    np.testing.assert_allclose(values[rows], want_values, rtol=1e-6, atol=1e-7)
    for i, row in ((0, 0), (1, 3), (2, 6)):          # changed by one replica: its value exactly
        assert np.array_equal(values[row], whole[i]["vectors"][1][row])
    into = {"vectors": base["vectors"] + 1}          # merged in place: other rows left alone
    rows_in, values_in, _ = fd.merge_deltas(whole, rule, base, out=into)["vectors"]
    assert values_in is into["vectors"] and np.array_equal(rows_in, rows)
    assert np.array_equal(values_in[rows], values[rows])
    assert np.array_equal(values_in[~rows], base["vectors"][~rows] + 1)


def test_round_keeps_replicas_equal_and_applies_the_rule(planted, tmp_path):
    """Two replicas in this process: train a round each on different text, merge, apply."""
    # the halves use different topics, so some input rows are changed by one replica only
    sentences, _ = planted_corpus(n_sentences=600, seed=4)
    first = [s for s in sentences if all(w.startswith(("t0", "t1", "t2", "fn")) for w in s)]
    second = [s for s in sentences if all(w.startswith(("t3", "t4", "t5", "fn")) for w in s)]
    tail = [["lonely", "words"]]                # in the vocabulary, trained by neither replica
    path = write(tmp_path / "halves.txt", first + second + tail)
    model = Word2Vec(**dict(PARAMS, workers=1))
    model.build_vocab(corpus_file=path)
    blob = fd._model_to_bytes(model, str(tmp_path))
    before = {name: m.copy() for name, m in fd._matrices(model).items()}
    cut = len(("\n".join(" ".join(x) for x in first) + "\n").encode())
    end = cut + len(("\n".join(" ".join(x) for x in second) + "\n").encode())
    results = []
    for run, seed, spec in (("ra", 11, (path, 0, cut)), ("rb", 12, (path, cut, end))):
        fd._task_init(run, blob, seed, -1)
        results.append(fd._task_train(run, 0, spec, 0.025, 0.02, 3000, 1 << 20, len(model.wv)))
        assert fd._task_train(run, 0, spec, 0.025, 0.02, 3000, 1 << 20, len(model.wv)) is results[-1]  # idempotent
    try:
        trained = [fd._matrices(fd._REPLICAS[r].model) for r in ("ra", "rb")]
        for run in ("ra", "rb"):
            merged = fd._task_merge_apply(run, 0, "mean", *results)
            assert fd._task_merge_apply(run, 0, "mean", *results)["applied"] == 0   # idempotent
        after = [fd._matrices(fd._REPLICAS[r].model) for r in ("ra", "rb")]
        for r in results:               # (every row merged: whole-matrix deltas, as row ids here)
            assert all(rows.dtype == np.bool_ for rows, _ in r[0].values())
            r[0].update({name: fd.sparse_delta(*part) for name, part in r[0].items()})
        for name in before:
            assert np.array_equal(after[0][name], after[1][name])
            ta = set(results[0][0][name][0].tolist())
            tb = set(results[1][0][name][0].tolist())
            assert ta and tb
            cases = {"both": 0, "one": 0, "none": 0}
            for row in range(len(before[name])):
                got = after[0][name][row]
                if row in ta and row in tb:
                    mean = (results[0][0][name][1][sorted(ta).index(row)].astype(np.float64)
                            + results[1][0][name][1][sorted(tb).index(row)]) / 2
                    np.testing.assert_allclose(got, mean, rtol=1e-5, atol=1e-6)
                    cases["both"] += 1
                elif row in ta or row in tb:
                    value = results[0 if row in ta else 1][0][name][1][sorted(ta if row in ta else tb).index(row)]
                    assert np.array_equal(got, value)
                    cases["one"] += 1
                else:
                    assert np.array_equal(got, before[name][row])
                    cases["none"] += 1
            if name == "vectors":
                assert min(cases.values()) > 0, cases
        assert {i["stop"] for i in merged["infos"]} and all(i["raw_words"] > 0 for i in merged["infos"])
    finally:
        fd._task_drop("ra")
        fd._task_drop("rb")
    del trained


@pytest.mark.parametrize("options", [dict(), dict(hs=1, negative=0, sg=0), dict(hs=1, null_word=1),
                                     dict(sorted_vocab=0, min_count=1)])
def test_replicas_rebuild_the_drivers_fresh_model_bit_for_bit(planted, options):
    """A replica of a fresh run makes the model from the parameters and the vocabulary: the same
    vocabulary, tables and initial weights as the driver's (and so as a local run's)."""
    params = dict(PARAMS, **options)
    driver_model = Word2Vec(**params)
    driver_model.build_vocab(corpus_file=planted[0])
    fresh = fd._FreshModel(params, driver_model.vocab, driver_model.corpus_count,
                           driver_model.corpus_total_words)
    rebuilt = pickle.loads(pickle.dumps(fresh)).build()     # (as Dask ships it)
    assert rebuilt.wv.index_to_key == driver_model.wv.index_to_key
    assert (rebuilt.corpus_count, rebuilt.corpus_total_words) == (driver_model.corpus_count,
                                                                 driver_model.corpus_total_words)
    for name, m in fd._matrices(driver_model).items():
        assert np.array_equal(fd._matrices(rebuilt)[name], m), name
    for name in ("_keep_threshold", "_alias_threshold", "_alias_index", "_hs_codes", "_hs_points",
                 "_hs_offsets"):
        assert np.array_equal(getattr(rebuilt, name), getattr(driver_model, name)), name


def test_hot_rows_double_with_each_trailing_zero():
    assert [fd.hot_rows(r, 4, 1000) for r in range(8)] == [4, 8, 4, 16, 4, 8, 4, 32]
    assert fd.hot_rows(1023, 4, 1000) == 1000                 # capped at the vocabulary
    assert fd.hot_slice("vectors", 10, 3) == slice(0, 3)      # words: most frequent first
    assert fd.hot_slice("syn1neg", 10, 3) == slice(0, 3)
    assert fd.hot_slice("syn1", 10, 3) == slice(7, 10)        # inner nodes: root (8) near the end
    assert fd.hot_slice("vectors", 10, 30) == slice(0, 10)


def test_partial_round_then_epoch_merge(planted, tmp_path):
    """Round 0 merges the 4 hottest rows only: the replicas agree there and keep their own values
    elsewhere; a merge-only round of every row then applies the rule to all the changes since."""
    path, _ = planted
    model = Word2Vec(**dict(PARAMS, workers=1))
    model.build_vocab(corpus_file=path)
    blob = fd._model_to_bytes(model, str(tmp_path))
    before = {name: m.copy() for name, m in fd._matrices(model).items()}
    size = os.path.getsize(path)
    specs = {"pa": (path, 0, size // 2), "pb": (path, size // 2, None)}
    try:
        first = []
        for seed, (run, spec) in enumerate(specs.items()):
            fd._task_init(run, blob, 20 + seed, -1)
            first.append(fd._task_train(run, 0, spec, 0.025, 0.02, 3000, 1 << 20, 4))
        for delta, _ in first:
            assert all(set(rows.tolist()) <= set(range(4)) for rows, _ in delta.values())
        for run in specs:
            fd._task_merge_apply(run, 0, "mean", *first)
        reps = [fd._matrices(fd._REPLICAS[r].model) for r in specs]
        assert np.array_equal(reps[0]["vectors"][:4], reps[1]["vectors"][:4])
        assert not np.array_equal(reps[0]["vectors"][4:], reps[1]["vectors"][4:])
        local = [{name: m.copy() for name, m in r.items()} for r in reps]
        second = [fd._task_train(run, 1, None, 0.02, 0.02, 0, 1 << 20, len(model.wv))
                  for run in specs]
        assert all(info["raw_words"] == 0 and info["path"] is None for _, info in second)
        for run in specs:
            fd._task_merge_apply(run, 1, "mean", *second)
        for name in before:
            a, b = (fd._matrices(fd._REPLICAS[r].model)[name] for r in specs)
            assert np.array_equal(a, b)
            rows = range(4, len(a))
            changed = [[not np.array_equal(loc[name][i], before[name][i]) for i in rows]
                       for loc in local]
            for i, ca, cb in zip(rows, *changed):
                if ca and cb:
                    want = (local[0][name][i].astype(np.float64) + local[1][name][i]) / 2
                    np.testing.assert_allclose(a[i], want, rtol=1e-5, atol=1e-6)
                elif ca or cb:
                    assert np.array_equal(a[i], local[0 if ca else 1][name][i])
                else:
                    assert np.array_equal(a[i], before[name][i])
            assert any(ca and cb for ca, cb in zip(*changed))
    finally:
        for run in specs:
            fd._task_drop(run)


# ------------------------------------------------------------------ schedule, coverage, result

def test_global_schedule(trained):
    rounds = trained.distributed_stats["rounds"]
    alpha, min_alpha, epochs = trained.alpha, trained.min_alpha, trained.epochs
    total = trained.corpus_total_words
    assert len(rounds) > 4 and max(r["workers"] for r in rounds) == 2
    starts = [r["alpha"][0] for r in rounds]
    assert starts[0] == alpha
    assert all(x >= y for x, y in zip(starts, starts[1:]))              # never rises
    assert rounds[-1]["alpha"][1] == pytest.approx(min_alpha)           # reaches min_alpha
    for epoch in range(epochs):                                         # epoch starts on the line
        first = next(r for r in rounds if r["epoch"] == epoch)
        assert first["alpha"][0] == pytest.approx(alpha - (alpha - min_alpha) * epoch / epochs)
    # a round's alpha drop is that of all workers' words together (the global counter), not one's
    full = [r for r in rounds if r["workers"] == 2 and r["alpha"][1] > min_alpha * 1.01]
    for r in full[:-1]:
        drop = r["alpha"][0] - r["alpha"][1]
        assert drop == pytest.approx((alpha - min_alpha) * r["raw_words"] / (epochs * total), rel=0.3)


def test_every_part_trained_once_per_epoch(trained, planted):
    path, _ = planted
    size = os.path.getsize(path)
    for epoch in trained.distributed_stats["epochs"]:
        assert epoch["raw_words"] == trained.corpus_total_words
        chunks = sorted((start, stop) for p, start, stop in epoch["chunks"] if stop > start)
        assert chunks[0][0] == 0 and chunks[-1][1] == size
        assert all(a[1] == b[0] for a, b in zip(chunks, chunks[1:]))   # no gap, no overlap


def test_each_epoch_ends_with_a_training_round_that_merges_every_row(trained):
    rounds = trained.distributed_stats["rounds"]
    for epoch in range(PARAMS["epochs"]):
        mine = [r for r in rounds if r["epoch"] == epoch]
        assert len(mine) > 2 and all(r["raw_words"] > 0 for r in mine)   # no merge-only round
        assert mine[-1]["sync_rows"] == len(trained.wv)


@pytest.mark.parametrize("mode", ["barrier", "overlapped"])
def test_other_round_modes_cover_every_part_and_follow_the_schedule(client, planted, mode):
    """rounds="barrier" and "overlapped" (the fixture ``trained``: "chained"): every part once per
    epoch, one falling schedule, each epoch's last round hands out every row, and the model is as
    good on the planted topics."""
    path, topics = planted
    model = fd.train(path, client=client, round_bytes=8000, sync_rows=4, rounds=mode, **PARAMS)
    rounds = model.distributed_stats["rounds"]
    size = os.path.getsize(path)
    for epoch in model.distributed_stats["epochs"]:
        assert epoch["raw_words"] == model.corpus_total_words
        chunks = sorted((a, b) for _, a, b in epoch["chunks"] if b > a)
        assert chunks[0][0] == 0 and chunks[-1][1] == size
        assert all(x[1] == y[0] for x, y in zip(chunks, chunks[1:]))
        mine = [r for r in rounds if r["epoch"] == epoch["epoch"]]
        assert mine[-1]["sync_rows"] == len(model.wv)
        assert mine[0]["alpha"][0] == pytest.approx(
            model.alpha - (model.alpha - model.min_alpha) * epoch["epoch"] / PARAMS["epochs"])
    starts = [r["alpha"][0] for r in rounds]
    assert all(x >= y for x, y in zip(starts, starts[1:]))
    assert rounds[-1]["alpha"][1] == pytest.approx(model.min_alpha)
    assert neighbour_purity(model.wv, topics) > 0.8


def test_merge_changes_sums_or_averages_the_changes():
    rng = np.random.default_rng(3)
    a = {"vectors": (np.array([0, 2]), rng.standard_normal((2, 4)).astype(np.float32))}
    b = {"vectors": (np.array([2, 3]), rng.standard_normal((2, 4)).astype(np.float32))}
    rows, change, touched = fd.merge_changes([a, b], "sum")["vectors"]
    assert rows.tolist() == [0, 2, 3] and touched.tolist() == [1, 2, 1]
    assert np.array_equal(change[0], a["vectors"][1][0])          # one replica: its change exactly
    np.testing.assert_allclose(change[1], a["vectors"][1][1] + b["vectors"][1][0], rtol=1e-6)
    rows, change, _ = fd.merge_changes([a, b], "mean")["vectors"]
    np.testing.assert_allclose(change[1], (a["vectors"][1][1] + b["vectors"][1][0]) / 2, rtol=1e-6)
    every = [{"vectors": (np.arange(3), rng.standard_normal((3, 4)).astype(np.float32))}
             for _ in range(2)]
    out = {"vectors": np.full((3, 4), np.nan, dtype=np.float32)}
    rows, change, touched = fd.merge_changes(every, "sum", out)["vectors"]
    assert change is out["vectors"] and touched.tolist() == [2, 2, 2]
    assert np.array_equal(change, every[0]["vectors"][1] + every[1]["vectors"][1])
    hot = [{"vectors": (np.arange(2), v[1][:2])} for v in (e["vectors"] for e in every)]
    rows, change, _ = fd.merge_changes(hot, "sum", out)["vectors"]   # the first rows of ``out``
    assert rows.tolist() == [0, 1] and np.shares_memory(change, out["vectors"])
    assert np.array_equal(change, hot[0]["vectors"][1] + hot[1]["vectors"][1])


def test_divergence_on_a_worker_stops_the_run_naming_it(client, planted):
    with pytest.raises(fd.WorkerError, match=r"worker tcp://127\.0\.0\.1:\d+.*diverged"):
        fd.train(planted[0], client=client, round_bytes=8000, **dict(PARAMS, alpha=1e30))


def test_result_is_an_ordinary_model(trained, planted, tmp_path):
    _, topics = planted
    assert trained.epochs_trained == PARAMS["epochs"] and len(trained.loss_history) == 2
    assert trained.seed == PARAMS["seed"] and np.isfinite(trained.wv.vectors).all()
    assert neighbour_purity(trained.wv, topics) > 0.8
    trained.save(tmp_path / "m.fw2v")
    loaded = Word2Vec.load(tmp_path / "m.fw2v")
    assert np.array_equal(loaded.wv.vectors, trained.wv.vectors)
    loaded.train(corpus_file=planted[0], epochs=1)
    assert loaded.epochs_trained == 3


def test_bytes_and_merge_share_are_reported(trained):
    for r in trained.distributed_stats["rounds"]:
        assert 0 <= r["merge_share"] <= 1 and r["delta_bytes"] >= 0 and r["bytes_moved"] >= 0
        if r["raw_words"]:                      # a round that trained changed its hottest rows
            assert r["delta_bytes"] > 0 and r["bytes_moved"] > 0


def test_without_a_client_starts_and_closes_a_local_cluster(planted, monkeypatch):
    started = []
    real = fd.LocalCluster

    def spy(**kwargs):
        cluster = real(**kwargs)
        with dd.Client(cluster) as probe:
            env = probe.run(lambda: {k: os.environ.get(k) for k in fd.LOCAL_WORKER_MALLOC})
            config = probe.run(lambda: {k: dask.config.get(k) for k in fd.LOCAL_CLUSTER_CONFIG})
        started.append((kwargs, cluster, env, config))
        return cluster

    def replica_folders():
        tmp = tempfile.gettempdir()
        return set(glob.glob(os.path.join(tmp, "fastw2v-replica-*"))
                   + glob.glob(os.path.join(tmp, "dask-scratch-space", "*", "fastw2v-replica-*")))

    monkeypatch.setattr(fd, "LocalCluster", spy)
    before = replica_folders()
    model = fd.train(planted[0], processes=2, threads=1, round_bytes=20000, **dict(PARAMS, epochs=1))
    assert replica_folders() <= before      # the replicas' scratch folders are gone
    (kwargs, cluster, env, config), = started
    assert list(env.values()) == [fd.LOCAL_WORKER_MALLOC] * 2     # set in every worker process
    assert list(config.values()) == [fd.LOCAL_CLUSTER_CONFIG] * 2
    assert "stealing" not in cluster.scheduler.extensions         # and in the scheduler
    assert dask.config.get("distributed.admin.tick.interval") != "200ms"   # not left in this one
    assert kwargs["host"] == "127.0.0.1" and kwargs["dashboard_address"] is None
    assert (kwargs["n_workers"], kwargs["threads_per_worker"], kwargs["processes"]) == (2, 1, True)
    assert cluster.status.name == "closed"
    assert max(r["workers"] for r in model.distributed_stats["rounds"]) == 2
    assert model.distributed_stats["epochs"][0]["raw_words"] == model.corpus_total_words


# ------------------------------------------------------------------ faults

@pytest.mark.parametrize("mode", list(fd.ROUND_MODES))
@pytest.mark.parametrize("sync_rows", [fd.SYNC_ROWS, 4])
@pytest.mark.parametrize("phase", ["train", "merge"])
def test_killed_worker_loses_only_its_round(planted, phase, sync_rows, mode):
    """SIGKILL a worker process right after round 3's training tasks were submitted (it dies with
    its round unmerged), or kill the merging worker while the merged rows are being handed out.
    With sync_rows=4 the rounds merge a few rows only, so the chunks the victim trained earlier in
    the epoch are lost with it too and trained again."""
    path, topics = planted
    cluster = local_cluster()
    client = dd.Client(cluster)
    try:
        pids = client.run(os.getpid)
        killed = []

        def kill(rnd, at, merger):
            if rnd == 3 and at == phase and not killed:
                victim = merger if merger is not None else sorted(pids)[1]
                os.kill(pids[victim], signal.SIGKILL)
                killed.append(victim)

        model = fd.train(path, client=client, round_bytes=8000, sync_rows=sync_rows,
                         rounds=mode, _on_round=kill, **dict(PARAMS, epochs=3))
    finally:
        client.close()
        cluster.close()
    stats = model.distributed_stats
    assert killed and [addr for _, addr in stats["lost"]] == killed
    (lost_round, _), = stats["lost"]
    lost_epoch = stats["rounds"][lost_round]["epoch"]
    trained_words = sum(r["raw_words"] for r in stats["rounds"] if r["epoch"] == lost_epoch)
    # A round counts the chunks some survivor merged. Whether a survivor merged one of the victim's
    # before it died depends on timing (with lag 2 the victim may die holding every result the
    # survivor had not fetched yet); when one did, only its few hot rows were merged, so the chunk
    # is trained again and the epoch counts more words than the corpus has.
    victim_merged = any(r["workers"] == 2 for r in stats["rounds"]
                        if r["epoch"] == lost_epoch and r["round"] < lost_round)
    if sync_rows < len(model.wv) and victim_merged:    # earlier chunks of the victim: again
        assert trained_words > model.corpus_total_words
    assert trained_words >= model.corpus_total_words
    size = os.path.getsize(path)
    for epoch in stats["epochs"]:
        assert epoch["raw_words"] == model.corpus_total_words
        chunks = sorted((start, stop) for p, start, stop in epoch["chunks"] if stop > start)
        assert chunks[0][0] == 0 and chunks[-1][1] == size
        assert all(a[1] == b[0] for a, b in zip(chunks, chunks[1:]))
    assert np.isfinite(model.wv.vectors).all() and neighbour_purity(model.wv, topics) > 0.7


def test_checkpoint_and_resume(client, planted, tmp_path):
    path, _ = planted
    checkpoint = str(tmp_path / "ckpt.fw2v")
    params = dict(PARAMS, epochs=3, compute_loss=True)

    def stop_after_first_epoch(rnd, phase, merger):
        if os.path.exists(checkpoint):
            raise KeyboardInterrupt("the client stops")

    with pytest.raises(KeyboardInterrupt):
        fd.train(path, client=client, checkpoint=checkpoint, round_bytes=8000,
                 _on_round=stop_after_first_epoch, **params)
    saved = Word2Vec.load(checkpoint)
    assert saved.epochs_trained == 1 and len(saved.loss_history) == 1
    with pytest.raises(ValueError, match="vector_size"):
        fd.train(path, client=client, resume=checkpoint, **dict(params, vector_size=8))
    model = fd.train(path, client=client, resume=checkpoint, round_bytes=8000, **params)
    assert model.epochs_trained == 3 and len(model.loss_history) == 3
    assert model.loss_history[0] == saved.loss_history[0]
    epochs = model.distributed_stats["epochs"]
    assert [e["epoch"] for e in epochs] == [1, 2]
    first = model.distributed_stats["rounds"][0]["alpha"][0]
    assert first == pytest.approx(model.alpha - (model.alpha - model.min_alpha) / 3)
    assert Word2Vec.load(checkpoint).epochs_trained == 3
    other = write(tmp_path / "other.txt", [["a", "b"], ["b", "c"]])
    with pytest.raises(ValueError, match="vocabulary differs"):
        fd.train(other, client=client, resume=checkpoint, **params)


# ------------------------------------------------------------------ command line

def test_cli_trains_on_a_scheduler(client, planted, tmp_path, capsys):
    out = tmp_path / "v.txt"
    status = cli.main(["train", planted[0], planted[0], "-o", str(out), "--text", "--vector-size", "8",
                       "--min-count", "1", "--epochs", "1", "--threads", "1",
                       "--scheduler", client.scheduler.address])
    assert status == 0, capsys.readouterr().err
    assert "worker processes" in capsys.readouterr().err
    header = out.read_text().split("\n", 1)[0].split()
    assert header[1] == "8"
    assert cli.main(["train", planted[0], planted[0], "-o", str(out)]) == 2
    assert "--processes" in capsys.readouterr().err
