"""Run gensim 4.4's own Word2Vec and KeyedVectors tests against fastw2v.

gensim ships its tests inside the package (``gensim/test/test_word2vec.py``,
``gensim/test/test_keyedvectors.py``, data in ``gensim/test/test_data/``). This script copies the two
files from the installed gensim into a temporary folder at run time (they are gensim's code and are
never committed here), points only the imports of the *tested* modules at fastw2v
(``gensim.models.word2vec`` / ``gensim.models.keyedvectors`` -> ``fastw2v.word2vec`` /
``fastw2v.keyedvectors``), keeps gensim's data helpers (``gensim.test.utils``, ``gensim.utils``), leaves
out the tests that cannot apply by design (``DESELECTED``, each with its reason), runs pytest on the
rest and prints the counts.

    python benchmarks/gensim_suite.py              # against fastw2v
    python benchmarks/gensim_suite.py --gensim     # the same selection against gensim itself
    python benchmarks/gensim_suite.py --json FILE  # also write the outcome of every test

Needs gensim (for the test files and data) and testfixtures (one of gensim's test imports).
Exit status: 0 when at most ``--allow-failures`` tests fail (default: every deviation listed in
``KNOWN_DIFFERENCES``), 1 otherwise, 2 when gensim is not installed.
"""
import argparse
import importlib.util
import json
import os
import re
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

TEST_FILES = ("test_word2vec.py", "test_keyedvectors.py")

#: Tests that cannot apply to fastw2v by design, with the reason.
DESELECTED = {
    "test_word2vec.py::TestWord2VecModel::test_persistence_backwards_compatible":
        "loads a gensim pickle (fastw2v never unpickles a file)",
    "test_word2vec.py::TestWord2VecModel::test_load_old_model":
        "loads a gensim pickle (fastw2v never unpickles a file)",
    "test_word2vec.py::TestWord2VecModel::test_load_old_model_separates":
        "loads a gensim pickle (fastw2v never unpickles a file)",
    "test_word2vec.py::TestWord2VecModel::test_load_old_models_1_x":
        "loads gensim 1.x pickles (fastw2v never unpickles a file)",
    "test_word2vec.py::TestWord2VecModel::test_load_old_models_2_x":
        "loads gensim 2.x pickles (fastw2v never unpickles a file)",
    "test_word2vec.py::TestWord2VecModel::test_load_old_models_3_x":
        "loads gensim 3.x pickles (fastw2v never unpickles a file)",
    "test_keyedvectors.py::Gensim320Test::test":
        "loads a gensim 3.2 KeyedVectors pickle (fastw2v never unpickles a file)",
    "test_word2vec.py::TestWord2VecScripts::test_word2vec_stand_alone_script":
        "runs gensim's own script module gensim.scripts.word2vec_standalone",
    "test_word2vec.py::TestWord2VecSentenceIterators::test_cython_line_sentence_works_with_filename":
        "tests gensim's private Cython reader gensim.models.word2vec_corpusfile.CythonLineSentence",
    "test_keyedvectors.py::LoadWord2VecFormatTest":
        "tests gensim's private _load_word2vec_format(binary_chunk_size=...) (3 tests)",
}

#: Tests expected to fail against fastw2v, with the reason (docs/gensim_api.md lists them too).
KNOWN_DIFFERENCES = {
    "test_word2vec.py::TestWord2VecModel::test_build_vocab_warning":
        "sentences given as plain strings: fastw2v raises TypeError (did you forget .split()?) where "
        "gensim logs a warning and trains on the strings' characters",
    "test_word2vec.py::TestWord2VecModel::test_vocab":
        "reads wv.get_vecattr(word, 'code'): fastw2v keeps the Huffman paths in the model's tables, "
        "not as per-word object arrays in wv (which KeyedVectors.save could not store unpickled)",
}

#: A quick subset (a few seconds) for tests/test_gensim_suite.py: readers, the vocabulary steps and
#: Word2Vec methods, warnings, locking, on small corpora.
QUICK = ("TestWord2VecSentenceIterators or test_predict_output_word or test_reset_from or "
         "test_scoring or test_train_warning or test_train_hs_and_neg or test_max_final_vocab or "
         "test_total_word_count or test_compute_training_loss or test_load_on_class_error or "
         "test_training or test_r_n_g or test_most_similar")

#: Import lines of the tested modules and their fastw2v replacement (test_word2vec.py, test_keyedvectors.py).
_IMPORTS = [
    (r"^from gensim\.models import word2vec, keyedvectors$",
     "from fastw2v import word2vec, keyedvectors"),
    (r"^from gensim\.models\.keyedvectors import ", "from fastw2v.keyedvectors import "),
    (r"^import gensim\.models\.keyedvectors$", "import gensim.test.utils\nimport fastw2v.keyedvectors"),
]
#: Qualified references to the tested module in test_keyedvectors.py (``gensim.models.KeyedVectors``,
#: ``gensim.models.keyedvectors.X``), which go through the module imported above.
_REFERENCES = [
    (r"\bgensim\.models\.keyedvectors\.", "fastw2v.keyedvectors."),
    (r"\bgensim\.models\.KeyedVectors\b", "fastw2v.keyedvectors.KeyedVectors"),
]


def gensim_test_dir():
    spec = importlib.util.find_spec("gensim")
    if spec is None or not spec.submodule_search_locations:
        return None
    return os.path.join(list(spec.submodule_search_locations)[0], "test")


def fastw2v_root():
    """The folder holding the ``fastw2v`` package this script runs against."""
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    if os.path.isfile(os.path.join(here, "fastw2v", "__init__.py")):
        return here
    spec = importlib.util.find_spec("fastw2v")
    return os.path.dirname(os.path.dirname(spec.origin))


def rewrite(source):
    """gensim's test source with the tested modules' imports pointed at fastw2v."""
    for pattern, replacement in _IMPORTS:
        source = re.sub(pattern, replacement, source, flags=re.MULTILINE)
    for pattern, replacement in _REFERENCES:
        source = re.sub(pattern, replacement, source)
    if re.search(r"^from gensim\.models import|^import gensim\.models", source, flags=re.MULTILINE):
        raise RuntimeError("an import of a tested gensim module was left unrewritten; update _IMPORTS")
    return source


def prepare(folder, against_gensim=False):
    """Copy (and unless ``against_gensim``, rewrite) the two test files into ``folder``."""
    src = gensim_test_dir()
    for name in TEST_FILES:
        with open(os.path.join(src, name), encoding="utf-8") as f:
            text = f.read()
        if not against_gensim:
            text = rewrite(text)
        with open(os.path.join(folder, name), "w", encoding="utf-8") as f:
            f.write(text)


def run(against_gensim=False, extra_args=(), timeout=900):
    """Run the selection; returns ``{nodeid: outcome}`` with outcome passed/failed/error/skipped."""
    with tempfile.TemporaryDirectory(prefix="fastw2v-gensim-suite-") as folder:
        prepare(folder, against_gensim)
        report = os.path.join(folder, "report.xml")
        args = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-o",
                "addopts=", "--rootdir", folder, f"--junitxml={report}", *TEST_FILES]
        for nodeid in DESELECTED:
            args += ["--deselect", nodeid]
        args += list(extra_args)
        env = dict(os.environ, PYTHONHASHSEED=os.environ.get("PYTHONHASHSEED", "0"))
        # the fastw2v this script imports (a source checkout or the installed one), first on the path
        env["PYTHONPATH"] = os.pathsep.join(
            [fastw2v_root()] + [p for p in [os.environ.get("PYTHONPATH")] if p])
        proc = subprocess.run(args, cwd=folder, env=env, timeout=timeout, capture_output=True,
                              text=True)
        if not os.path.exists(report):
            raise RuntimeError(f"pytest did not run (exit {proc.returncode}):\n{proc.stdout}\n"
                               f"{proc.stderr}")
        return parse_junit(report), proc.stdout


def parse_junit(path):
    outcomes = {}
    for case in ET.parse(path).getroot().iter("testcase"):
        module = case.get("classname", "").rsplit(".", 1)
        nodeid = f"{module[0]}.py::{module[-1]}::{case.get('name')}"
        outcome = "passed"
        for child in case:
            if child.tag in ("failure", "error"):
                outcome = "failed" if child.tag == "failure" else "error"
                outcome_text = (child.get("message") or "").splitlines()
                outcomes.setdefault("_messages", {})[nodeid] = outcome_text[0][:200] if outcome_text else ""
            elif child.tag == "skipped":
                outcome = "skipped"
        outcomes[nodeid] = outcome
    return outcomes


def summarise(outcomes):
    messages = outcomes.pop("_messages", {})
    counts = {}
    for outcome in outcomes.values():
        counts[outcome] = counts.get(outcome, 0) + 1
    failed = sorted(n for n, o in outcomes.items() if o in ("failed", "error"))
    return counts, failed, messages


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--gensim", action="store_true",
                        help="run the same selection against gensim itself (no rewriting)")
    parser.add_argument("--json", metavar="FILE", help="write every test's outcome to FILE")
    parser.add_argument("--allow-failures", type=int, default=None,
                        help="failures tolerated for exit status 0 (default: len(KNOWN_DIFFERENCES))")
    parser.add_argument("-k", dest="keyword", help="pytest -k expression (a subset)")
    args = parser.parse_args(argv)
    if gensim_test_dir() is None:
        print("gensim is not installed: nothing to run (pip install gensim testfixtures)")
        return 2
    extra = ["-k", args.keyword] if args.keyword else []
    outcomes, stdout = run(args.gensim, extra)
    counts, failed, messages = summarise(outcomes)
    ran = counts.get("passed", 0) + len(failed)
    target = "gensim" if args.gensim else "fastw2v"
    print(f"gensim 4.4's test_word2vec.py + test_keyedvectors.py against {target}: "
          f"{counts.get('passed', 0)} of {ran} passed, {counts.get('skipped', 0)} skipped, "
          f"{len(DESELECTED)} deselected by design")
    for nodeid, reason in DESELECTED.items():
        print(f"  deselected {nodeid}: {reason}")
    for nodeid in failed:
        known = KNOWN_DIFFERENCES.get(nodeid)
        note = f" (known difference: {known})" if known else ""
        print(f"  FAILED {nodeid}{note}: {messages.get(nodeid, '')}")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump({"target": target, "counts": counts, "outcomes": outcomes}, f, indent=1)
    allowed = len(KNOWN_DIFFERENCES) if args.allow_failures is None else args.allow_failures
    return 0 if len(failed) <= allowed else 1


if __name__ == "__main__":
    sys.exit(main())
