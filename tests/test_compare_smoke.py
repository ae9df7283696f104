"""benchmarks/compare.py --smoke end to end, so that the side-by-side benchmark script cannot rot.

One subprocess run (a few seconds on an idle machine): a tiny planted corpus, one repetition, one
worker, every system that is installed. Third-party systems may be absent (skipped) or may fail on
a given machine (FAILED, reported loudly by the script); fastw2v's own systems and the NumPy
reference must run, because their runners use fastw2v's public API and are the part of the script
that can rot when that API changes.
"""
import importlib.util
import json
import math
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COMPARE = os.path.join(ROOT, "benchmarks", "compare.py")
OURS = ("fastw2v", "fastw2v-fast", "fastw2v-iter", "reference")


@pytest.fixture(scope="module")
def smoke(tmp_path_factory):
    out_dir = tmp_path_factory.mktemp("compare-smoke")
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    result = subprocess.run([sys.executable, COMPARE, "--smoke", "--out-dir", str(out_dir)],
                            capture_output=True, text=True, timeout=600, cwd=ROOT, env=env)
    return out_dir, result


@pytest.fixture(scope="module")
def report(smoke):
    out_dir, result = smoke
    path = out_dir / "report.json"
    assert path.exists(), f"no report.json (exit code {result.returncode}):\n{result.stderr[-4000:]}"
    return json.loads(path.read_text(encoding="utf-8"))


def test_exit_code_is_zero_or_reports_failures(smoke, report):
    _, result = smoke
    failed = [r for r in report["summary"] if r["status"] == "FAILED" or r.get("quality_errors")]
    assert result.returncode == (1 if failed else 0), result.stderr[-4000:]
    if failed:
        assert "FAILED" in result.stderr


def test_markdown_report_has_the_table(smoke, report):
    out_dir, _ = smoke
    text = (out_dir / "report.md").read_text(encoding="utf-8")
    assert "| system | mode | workers | train s | words/s | vs gensim |" in text
    assert report["machine"]["cpu_model"] is not None
    assert report["machine"]["thread_env_children"]["OPENBLAS_NUM_THREADS"] == "1"


def test_every_system_has_words_per_s_or_an_explicit_status(report):
    rows = {r["system"]: r for r in report["summary"]}
    assert set(rows) == set(report["systems"])  # every requested system is accounted for
    for name, row in rows.items():
        assert row["status"] in ("ok", "skipped", "FAILED"), row
        if row["status"] == "ok":
            assert isinstance(row["words_per_s"], float) and math.isfinite(row["words_per_s"]), row
            assert row["words_per_s"] > 0, row
        elif row["status"] == "skipped":
            assert row["reason"], row
        else:
            assert row["error"], row


def test_fastw2v_systems_do_not_fail(report):
    failed = {r["system"]: r["error"] or r["quality_errors"] for r in report["summary"]
              if r["system"] in OURS and (r["status"] == "FAILED" or r.get("quality_errors"))}
    assert not failed, "\n\n".join(f"{name}:\n{error}" for name, error in failed.items())


def test_gensim_runs_where_installed(report):
    if importlib.util.find_spec("gensim") is None:
        pytest.skip("gensim not installed")
    row = next(r for r in report["summary"] if r["system"] == "gensim")
    assert row["status"] in ("ok", "FAILED"), row  # installed, so not skipped
    if row["status"] == "ok":
        assert row["ratio_vs_gensim"] == pytest.approx(1.0)


def test_quality_is_evaluated_with_one_evaluator(report):
    if report["evaluator"].startswith("none"):
        pytest.skip(report["evaluator"])
    evaluated = [r for r in report["summary"] if r["status"] == "ok" and r["system"] != "reference"]
    for row in evaluated:
        assert -1.0 <= row["wordsim_spearman"] <= 1.0, row
        assert 0.0 <= row["analogy_acc"] <= 1.0, row


def test_chart_exists_or_the_report_says_why(smoke, report):
    out_dir, _ = smoke
    if importlib.util.find_spec("matplotlib") is None:
        assert report["chart"] is None and "matplotlib" in report["chart_note"]
        pytest.skip("matplotlib not installed: PNG check skipped")
    assert report["chart"] == "chart.png"
    assert (out_dir / "chart.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_summary_takes_medians_of_speed_means_of_quality_and_scaling():
    sys.path.insert(0, os.path.join(ROOT, "benchmarks"))
    try:
        import _report
    finally:
        sys.path.remove(os.path.join(ROOT, "benchmarks"))
    runs = [{"system": "fastw2v", "sg": 1, "workers": w, "status": "ok", "train_s": t, "total_s": t,
             "words_per_s": rate, "peak_rss_mib": 100.0, "wordsim_spearman": q, "analogy_acc": a}
            for t, rate, q, a in [(1.0, 10.0, 0.1, 0.05), (2.0, 20.0, 0.2, 0.10), (9.0, 90.0, 0.6, 0.30)]
            for w in (1, 2)]
    for run in runs:
        if run["workers"] == 1:
            run["words_per_s"] /= 4
    one, two = _report.summarise(runs, {"fastw2v": {"status": "ok"}})
    assert two["words_per_s"] == 20.0 and two["train_s"] == 2.0   # medians
    assert two["wordsim_spearman"] == pytest.approx(0.3)            # means over the seeds
    assert two["analogy_acc"] == pytest.approx(0.15)
    assert two["words_per_s_range"] == [10.0, 90.0]
    assert two["ratio_vs_1_worker"] == pytest.approx(4.0) and one["ratio_vs_1_worker"] == 1.0
    assert two["ratio_vs_gensim"] is None                          # no gensim row
    table = _report.markdown_table([one, two])
    assert "| fastw2v | sg | 2 | 2.00 | 20 | — | 4.00 |" in table


def test_quality_intervals_and_paired_differences_against_gensim():
    stats = pytest.importorskip("scipy.stats", reason="scipy not installed: t quantiles unavailable")
    sys.path.insert(0, os.path.join(ROOT, "benchmarks"))
    try:
        import _report
    finally:
        sys.path.remove(os.path.join(ROOT, "benchmarks"))
    ours = [0.61, 0.65, 0.58, 0.66, 0.63]
    shift = [0.01, 0.03, -0.01, 0.02, 0.01]          # gensim = ours - shift, seed by seed
    runs = []
    for seed, (q, d) in enumerate(zip(ours, shift), start=1):
        for system, value in (("fastw2v", q), ("gensim", q - d)):
            runs.append({"system": system, "sg": 1, "workers": 2, "status": "ok", "seed": seed,
                         "train_s": 1.0, "total_s": 1.0, "words_per_s": 1.0, "peak_rss_mib": 1.0,
                         "wordsim_spearman": value, "analogy_acc": value / 2})
    fast, _ = _report.summarise(runs, {"fastw2v": {"status": "ok"}, "gensim": {"status": "ok"}})
    n = len(ours)
    expected = stats.t.ppf(0.975, n - 1) * stats.tstd(ours) / math.sqrt(n)
    assert fast["wordsim_spearman_ci95"] == pytest.approx(expected, rel=1e-3)
    assert fast["quality_seeds"] == n
    # paired by seed: the mean of the per-seed differences, its interval from their spread only
    assert fast["wordsim_spearman_vs_gensim"] == pytest.approx(sum(shift) / n)
    paired = stats.t.ppf(0.975, n - 1) * stats.tstd(shift) / math.sqrt(n)
    assert fast["wordsim_spearman_vs_gensim_ci95"] == pytest.approx(paired, rel=1e-3)
    assert fast["wordsim_spearman_vs_gensim_ci95"] < fast["wordsim_spearman_ci95"]
    assert "±" in _report.markdown_table([fast])
    assert any("+0.012 ± " in line for line in _report.quality_vs_gensim_table([fast]))
