"""gensim 4.4's own Word2Vec / KeyedVectors tests against fastw2v (benchmarks/gensim_suite.py).

Here: the runner's rewriting and deselection list, and a quick subset of gensim's tests (a few
seconds). The whole selection (about a minute) runs in CI: ``python benchmarks/gensim_suite.py``.
Both need gensim (its tests and data) and testfixtures (one of its test imports)."""
import difflib
import os
import re
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "benchmarks"))
import gensim_suite  # noqa: E402

pytest.importorskip("gensim", reason="gensim not installed: its test suite cannot run")
pytest.importorskip("testfixtures", reason="testfixtures not installed (gensim's tests import it)")


def _source(name):
    with open(os.path.join(gensim_suite.gensim_test_dir(), name), encoding="utf-8") as f:
        return f.read()


def test_rewrite_points_only_the_tested_modules_at_fastw2v():
    for name in gensim_suite.TEST_FILES:
        original = _source(name)
        rewritten = gensim_suite.rewrite(original)
        assert "fastw2v" in rewritten
        assert not re.search(r"^from gensim\.models import|^import gensim\.models", rewritten,
                             flags=re.MULTILINE)
        assert not re.search(r"\bgensim\.models\.", rewritten.replace("gensim.models.word2vec_corpusfile", ""))
        # gensim's data helpers stay gensim's
        assert rewritten.count("gensim.test.utils") >= original.count("gensim.test.utils")
        # only import lines and qualified module references changed
        removed = [line[1:] for line in difflib.unified_diff(original.splitlines(),
                                                             rewritten.splitlines(), lineterm="", n=0)
                   if line.startswith("-") and not line.startswith("---")]
        assert removed and all("gensim.models" in line for line in removed), removed


def test_every_deselected_test_exists_in_gensims_files():
    for nodeid in list(gensim_suite.DESELECTED) + list(gensim_suite.KNOWN_DIFFERENCES):
        filename, *names = nodeid.split("::")
        source = _source(filename)
        assert f"class {names[0]}(" in source, nodeid
        if len(names) > 1:
            assert f"def {names[1]}(" in source, nodeid


def test_quick_subset_of_gensims_tests_passes():
    outcomes, stdout = gensim_suite.run(extra_args=["-k", gensim_suite.QUICK], timeout=300)
    counts, failed, messages = gensim_suite.summarise(outcomes)
    assert counts.get("passed", 0) >= 20, stdout[-2000:]
    assert failed == [], {n: messages.get(n) for n in failed}
