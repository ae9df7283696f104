"""The command line, driven as a subprocess on tiny corpora."""
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from fastw2v import KeyedVectors
from planted import planted_corpus

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SENTENCES, TOPICS = planted_corpus(n_sentences=600)


def run(*args, stdin=None, timeout=120):
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.run([sys.executable, "-m", "fastw2v", *map(str, args)], input=stdin,
                          capture_output=True, text=True, timeout=timeout, cwd=ROOT, env=env)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    path = tmp_path_factory.mktemp("cli") / "corpus.txt"
    path.write_text("\n".join(" ".join(s) for s in SENTENCES) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def trained(corpus):
    out = corpus.parent / "vectors.bin"
    model = corpus.parent / "model.fw2v"
    result = run("train", corpus, "-o", out, "--vector-size", 16, "--min-count", 1, "--epochs", 3,
                 "--sg", 1, "--workers", 2, "--save-model", model)
    assert result.returncode == 0, result.stderr
    return out, model, result


def assert_one_line_error(result, *needles):
    assert result.returncode == 2, (result.returncode, result.stderr)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])


def test_train_writes_binary_vectors_and_summary(trained):
    out, model, result = trained
    wv = KeyedVectors.load_word2vec_format(str(out), binary=True)
    assert "t0w0" in wv and wv.vector_size == 16
    assert "words/s" in result.stderr and "vocabulary" in result.stderr and "loss" in result.stderr
    assert os.path.exists(model)


def test_train_text_output_from_stdin(tmp_path, corpus):
    out = tmp_path / "v.txt"
    result = run("train", "-", "-o", out, "--text", "--vector-size", 8, "--min-count", 1,
                 "--epochs", 1, "--quiet", stdin=corpus.read_text())
    assert result.returncode == 0, result.stderr
    header = out.read_text().splitlines()[0].split()
    assert header[1] == "8" and int(header[0]) > 40


def test_word2vec_c_invocation_is_read_back(tmp_path, corpus):
    out = tmp_path / "w2v.bin"
    vocab = tmp_path / "vocab.txt"
    result = run("-train", corpus, "-output", out, "-size", 12, "-window", 3, "-sample", "1e-4",
                 "-hs", 0, "-negative", 5, "-threads", 2, "-iter", 2, "-min-count", 1,
                 "-binary", 1, "-cbow", 1, "-save-vocab", vocab)
    assert result.returncode == 0, result.stderr
    wv = KeyedVectors.load_word2vec_format(str(out), binary=True)
    assert wv.vector_size == 12 and "t1w3" in wv
    lines = vocab.read_text().splitlines()
    word, count = lines[0].split()
    assert int(count) >= int(lines[-1].split()[1])
    # -read-vocab takes the saved vocabulary back
    out2 = tmp_path / "w2v.txt"
    result = run("-train", corpus, "-output", out2, "-size", 8, "-iter", 1, "-read-vocab", vocab,
                 "-binary", 0, "-min-count", 1)
    assert result.returncode == 0, result.stderr
    assert KeyedVectors.load_word2vec_format(str(out2), binary=False).index_to_key == \
        [line.split()[0] for line in lines]


def test_similar_and_analogy(trained):
    out, model, _ = trained
    result = run("similar", "t0w0", "t2w1", "-m", out, "--topn", 3)
    assert result.returncode == 0, result.stderr
    assert "t0w0:" in result.stdout and result.stdout.count("\n") >= 8
    first = result.stdout.splitlines()[1].split()[0]
    assert first.startswith("t0w")
    result = run("analogy", "t0w0", "t0w1", "t2w0", "-m", model)
    assert result.returncode == 0, result.stderr
    assert "t0w0 : t0w1 :: t2w0 : ?" in result.stdout


def test_evaluate_prints_table(tmp_path, trained):
    out, _, _ = trained
    pairs = tmp_path / "pairs.tsv"
    pairs.write_text("# toy\nt0w0\tt0w1\t9.0\nt0w0\tt3w1\t1.0\nt1w2\tt1w3\t8.5\nt2w2\tt4w4\t0.5\n"
                     "t3w3\tt3w5\t9.5\n")
    analogies = tmp_path / "q.txt"
    analogies.write_text(": toy\nt0w0 t0w1 t2w0 t2w1\nt1w0 t1w1 t3w0 t3w1\n")
    result = run("evaluate", "-m", out, "--pairs", pairs, "--analogies", analogies)
    assert result.returncode == 0, result.stderr
    assert "Spearman" in result.stdout and "accuracy" in result.stdout


def test_convert_between_formats(tmp_path, trained):
    out, _, _ = trained
    text = tmp_path / "v.txt"
    native = tmp_path / "v.fw2v"
    back = tmp_path / "back.bin"
    for src, dst in ((out, text), (text, native), (native, back)):
        result = run("convert", src, dst)
        assert result.returncode == 0, result.stderr
    a = KeyedVectors.load_word2vec_format(str(out), binary=True)
    b = KeyedVectors.load_word2vec_format(str(back), binary=True)
    assert a.index_to_key == b.index_to_key
    np.testing.assert_allclose(a.vectors, b.vectors, rtol=1e-6)


def test_plot_writes_png(tmp_path, trained):
    pytest.importorskip("matplotlib", reason="matplotlib not installed: plot test skipped")
    out, _, _ = trained
    png = tmp_path / "p.png"
    result = run("plot", "-m", out, "--words", "t0w0", "t0w1", "t1w0", "t1w1", "-o", png)
    assert result.returncode == 0, result.stderr
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_demo_trains_and_draws(tmp_path):
    pytest.importorskip("matplotlib", reason="matplotlib not installed: demo picture test skipped")
    png = tmp_path / "demo.png"
    result = run("demo", "--epochs", 1, "--plot", png, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "war:" in result.stdout or "economy:" in result.stdout
    assert " : " in result.stdout and " :: " in result.stdout
    assert png.exists() and png.stat().st_size > 10000


# ---------------------------------------------------------------- bad input: one line, status 2

def test_unknown_flag(corpus):
    assert_one_line_error(run("train", corpus, "-o", "x.bin", "--bogus"), "--bogus")
    assert_one_line_error(run("-train", corpus, "-output", "x.bin", "-bogus", "1"), "-bogus")


def test_missing_file(tmp_path):
    assert_one_line_error(run("train", tmp_path / "nope.txt", "-o", tmp_path / "o.bin"), "nope.txt")
    assert_one_line_error(run("similar", "a", "-m", tmp_path / "nope.bin"), "nope.bin")


def test_word_not_in_vocabulary(trained):
    out, _, _ = trained
    assert_one_line_error(run("similar", "zebra", "-m", out), "zebra")


def test_model_file_of_wrong_format(tmp_path):
    junk = tmp_path / "junk.bin"
    junk.write_bytes(b"this is not a model\x00\x01\x02")
    assert_one_line_error(run("similar", "a", "-m", junk), "junk.bin")


def test_unwritable_output(tmp_path, corpus):
    assert_one_line_error(run("train", corpus, "-o", tmp_path / "missing-dir" / "o.bin",
                              "--min-count", 1), "missing-dir")


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_ctrl_c_exits_130_and_writes_nothing(tmp_path):
    big = tmp_path / "big.txt"
    sentences, _ = planted_corpus(n_sentences=60000, sentence_length=30, seed=3)
    big.write_text("\n".join(" ".join(s) for s in sentences) + "\n")
    out = tmp_path / "out.bin"
    env = dict(os.environ, PYTHONPATH=ROOT)
    proc = subprocess.Popen([sys.executable, "-m", "fastw2v", "train", str(big), "-o", str(out),
                             "--epochs", "50", "--min-count", "1", "--quiet", "--workers", "2"],
                            cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True)
    time.sleep(4)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert not out.exists()
    assert not [p for p in os.listdir(tmp_path) if p.startswith(".") or "tmp" in p]
