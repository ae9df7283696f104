"""Machine description, medians, and the three outputs of compare.py: JSON, Markdown, PNG chart."""
import datetime
import importlib.metadata
import json
import math
import os
import platform
import statistics
import subprocess

THREAD_ENV = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
WORDS_PER_S_DEFINITION = (
    "words/s = raw corpus words (whitespace-separated tokens of the corpus file, before min_count "
    "and subsampling) x epochs / train s; the same numerator for every system. train s is the "
    "training alone, measured inside the child: after build_vocab for gensim-API systems, from the "
    "end of the vocabulary scan (seen on the tool's output) to exit for word2vec.c and to the end of "
    "training for fastText. total s adds the vocabulary scan. The NumPy reference trains once over "
    "a slice of the corpus and its words/s counts that slice."
)
RSS_DEFINITION = (
    "peak RSS = ru_maxrss of the child process from os.wait4 (the child and any program it runs, "
    "e.g. the word2vec.c binary), so it includes the Python interpreter and the imported libraries. "
    "Linux carries a parent's peak RSS into the children it spawns, so no figure is below the "
    "parent's own peak (rss_floor_mib), which compare.py keeps small by importing no library before "
    "the runs."
)


def _read(path):
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read()
    except OSError:
        return ""


def _versions():
    out = {}
    for dist in ("numpy", "scipy", "gensim", "fasttext", "word2vec", "matplotlib", "Cython"):
        try:
            out[dist] = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            out[dist] = None
    try:
        import fastw2v

        out["fastw2v"] = f"{fastw2v.__version__} ({os.path.dirname(fastw2v.__file__)})"
    except ImportError:
        out["fastw2v"] = None
    return out


def _blas():
    """NumPy's BLAS as reported by threadpoolctl when it is installed, else by numpy's config."""
    try:
        from threadpoolctl import threadpool_info

        return [{k: pool.get(k) for k in ("internal_api", "version", "num_threads")} for pool in threadpool_info()]
    except ImportError:
        pass
    try:
        import numpy

        blas = numpy.show_config(mode="dicts").get("Build Dependencies", {}).get("blas", {})
        return [{k: blas.get(k) for k in ("name", "version")}]
    except Exception:  # show_config's dict mode is NumPy >= 1.25; the BLAS line is informative only
        return None


def _git(root):
    try:
        head = subprocess.run(["git", "-C", root, "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "-C", root, "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return f"{head}{' (modified)' if dirty else ''}" if head else None


def loadavg():
    return [round(x, 2) for x in os.getloadavg()] if hasattr(os, "getloadavg") else None


def machine_info(repo_root, child_thread_env):
    cpuinfo = _read("/proc/cpuinfo")
    model = next((line.split(":", 1)[1].strip() for line in cpuinfo.splitlines()
                  if line.startswith("model name")), platform.processor() or None)
    cores, package = set(), None
    for line in cpuinfo.splitlines():  # physical cores = distinct (physical id, core id)
        key, _, value = (part.strip() for part in line.partition(":"))
        if key == "physical id":
            package = value
        elif key == "core id":
            cores.add((package, value))
    mem_kib = next((int(line.split()[1]) for line in _read("/proc/meminfo").splitlines()
                    if line.startswith("MemTotal:")), None)
    affinity = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    return {
        "date_utc": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "cpu_model": model,
        "logical_cpus": os.cpu_count(),
        "physical_cores": len(cores) or None,
        "cpus_usable": affinity,
        "ram_gib": round(mem_kib / 2**20, 1) if mem_kib else None,
        "os": platform.platform(),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "libraries": _versions(),
        "blas": _blas(),
        "thread_env_parent": {k: os.environ.get(k) for k in THREAD_ENV},
        "thread_env_children": child_thread_env,
        "git": _git(repo_root),
    }


def machine_line(m):
    cores = (f"{m['physical_cores']} cores / {m['logical_cpus']} threads" if m["physical_cores"]
             else f"{m['logical_cpus']} CPUs")
    return f"{m['cpu_model']}, {cores}, {m['ram_gib']} GiB RAM, {m['os']}, {m['python']}"


# --------------------------------------------------------------------------- aggregation


def _median(values):
    values = [v for v in values if v is not None and not (isinstance(v, float) and math.isnan(v))]
    return statistics.median(values) if values else None


def _mean(values):
    values = [v for v in values if v is not None and not (isinstance(v, float) and math.isnan(v))]
    return statistics.fmean(values) if values else None


#: Two-sided 95% Student t quantiles by degrees of freedom (1..30); 1.96 beyond. Kept here so that the
#: parent process needs no SciPy.
_T975 = (12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160,
         2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056,
         2.052, 2.048, 2.045, 2.042)


def _ci95(values):
    """Half-width of the 95% confidence interval of the mean (Student t), None below 2 values."""
    values = [v for v in values if v is not None and not (isinstance(v, float) and math.isnan(v))]
    if len(values) < 2:
        return None
    t = _T975[len(values) - 2] if len(values) - 1 <= len(_T975) else 1.96
    return t * statistics.stdev(values) / math.sqrt(len(values))


def _paired(ours, theirs, field):
    """Mean and 95% half-width of ours - theirs over the seeds both ran (pairing removes the part of
    the seed-to-seed spread the systems share, e.g. a lucky corpus shuffle)."""
    by_seed = {r.get("seed"): r.get(field) for r in theirs if r.get(field) is not None}
    diffs = [r[field] - by_seed[r.get("seed")] for r in ours
             if r.get(field) is not None and r.get("seed") in by_seed]
    return (_mean(diffs), _ci95(diffs), len(diffs)) if diffs else (None, None, 0)


def summarise(runs, systems):
    """One row per (system, sg, workers): medians over the repetitions that succeeded for times,
    speed and memory, means for the quality scores (each repetition trains with its own seed, and
    quality targets are stated as averages over seeds).

    A row is FAILED as soon as one of its repetitions failed (a flaky system must not look healthy);
    skipped systems get one row each, with the reason.
    """
    rows, order = {}, []
    for run in runs:
        key = (run["system"], run["sg"], run["workers"])
        if key not in rows:
            rows[key] = []
            order.append(key)
        rows[key].append(run)
    summary = []
    for key in order:
        group = rows[key]
        ok = [r for r in group if r["status"] == "ok"]
        failed = [r for r in group if r["status"] != "ok"]
        row = {
            "system": key[0], "sg": key[1], "mode": "sg" if key[1] else "cbow", "workers": key[2],
            "status": "FAILED" if failed else "ok", "repetitions": len(group), "succeeded": len(ok),
            "error": failed[0].get("error") if failed else None,
            "quality_errors": [r["quality_error"] for r in ok if r.get("quality_error")],
        }
        for field in ("train_s", "total_s", "words_per_s", "peak_rss_mib"):
            row[field] = _median([r.get(field) for r in ok])
        for field in ("wordsim_spearman", "analogy_acc"):
            row[field] = _mean([r.get(field) for r in ok])
            row[field + "_ci95"] = _ci95([r.get(field) for r in ok])
        row["quality_seeds"] = len([r for r in ok if r.get("wordsim_spearman") is not None])
        row["_ok_runs"] = ok
        row["words_per_s_range"] = ([min(r["words_per_s"] for r in ok), max(r["words_per_s"] for r in ok)]
                                    if ok else None)
        summary.append(row)
    for row in summary:
        base = next((r for r in summary if r["system"] == "gensim" and r["sg"] == row["sg"]
                     and r["workers"] == row["workers"] and r["words_per_s"]), None)
        row["ratio_vs_gensim"] = row["words_per_s"] / base["words_per_s"] if base and row["words_per_s"] else None
        single = next((r for r in summary if r["system"] == row["system"] and r["sg"] == row["sg"]
                       and r["workers"] == 1 and r["words_per_s"]), None)
        row["ratio_vs_1_worker"] = (row["words_per_s"] / single["words_per_s"]
                                    if single and row["words_per_s"] else None)
        for field in ("wordsim_spearman", "analogy_acc"):
            mean, ci, n = _paired(row["_ok_runs"], base["_ok_runs"], field) if base else (None, None, 0)
            row[field + "_vs_gensim"] = mean
            row[field + "_vs_gensim_ci95"] = ci
    for row in summary:
        row.pop("_ok_runs", None)
    for name, info in systems.items():
        if info["status"] == "skipped":
            summary.append({"system": name, "status": "skipped", "reason": info["reason"]})
    return summary


# --------------------------------------------------------------------------- outputs


def _clean(value):
    """JSON has no NaN: write it as null."""
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    return value


def write_json(path, report):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(_clean(report), f, indent=2)
        f.write("\n")


def _fmt(value, spec, empty="—"):
    return empty if value is None else format(value, spec)


def _pm(half_width, spec):
    return "" if half_width is None else f" ± {format(half_width, spec)}"


def markdown_table(summary, reference_name="reference"):
    lines = [
        "| system | mode | workers | train s | words/s | vs gensim | vs 1 worker | total s | peak RSS MiB "
        "| WordSim-353 ρ | analogy acc |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in summary:
        if row["status"] not in ("ok", "FAILED") or "mode" not in row:
            continue
        if row["status"] == "FAILED" and not row["succeeded"]:
            lines.append(f"| {row['system']} | {row['mode']} | {row['workers']} | **FAILED** | | | | | | | |")
            continue
        failed = " (**FAILED** in some repetitions)" if row["status"] == "FAILED" else ""
        words_only = row["system"] == reference_name  # slice run: words/s is its only figure
        lines.append("| " + " | ".join([
            row["system"] + failed + (" (slice)" if words_only else ""), row["mode"], str(row["workers"]),
            _fmt(row["train_s"], ".2f") if not words_only else "—",
            _fmt(row["words_per_s"], ",.0f"),
            _fmt(row["ratio_vs_gensim"], ".2f") if not words_only else "—",
            _fmt(row.get("ratio_vs_1_worker"), ".2f") if not words_only else "—",
            _fmt(row["total_s"], ".2f") if not words_only else "—",
            _fmt(row["peak_rss_mib"], ".0f") if not words_only else "—",
            _fmt(row["wordsim_spearman"], ".3f") + _pm(row.get("wordsim_spearman_ci95"), ".3f"),
            _fmt(row["analogy_acc"] * 100 if row["analogy_acc"] is not None else None, ".1f", "—")
            + ("%" if row["analogy_acc"] is not None else "")
            + _pm(row["analogy_acc_ci95"] * 100 if row.get("analogy_acc_ci95") is not None else None, ".1f"),
        ]) + " |")
    return "\n".join(lines)


def quality_vs_gensim_table(summary):
    """Markdown lines: each system's quality minus gensim's, paired by seed, mean ± 95% half-width
    (empty when no row has a paired gensim run). An interval that contains 0 is no finding."""
    rows = [r for r in summary if r.get("wordsim_spearman_vs_gensim") is not None and r["system"] != "gensim"]
    if not rows:
        return []
    lines = ["Quality minus gensim's, paired by seed (mean ± 95% half-width; an interval containing 0 "
             "means no measurable difference):", "",
             "| system | mode | workers | ΔWordSim-353 ρ | Δanalogy acc (points) |", "|---|---|---:|---:|---:|"]
    for r in rows:
        acc = r.get("analogy_acc_vs_gensim")
        lines.append(f"| {r['system']} | {r['mode']} | {r['workers']} | "
                     f"{r['wordsim_spearman_vs_gensim']:+.3f}{_pm(r.get('wordsim_spearman_vs_gensim_ci95'), '.3f')} | "
                     + ("—" if acc is None else f"{acc * 100:+.1f}"
                        + _pm(r["analogy_acc_vs_gensim_ci95"] * 100
                              if r.get("analogy_acc_vs_gensim_ci95") is not None else None, ".1f"))
                     + " |")
    return lines + [""]


def write_markdown(path, report):
    s, m = report["settings"], report["machine"]
    hp = s["hyperparameters"]
    lines = [
        "# fastw2v side-by-side benchmark" + (" (smoke run: plumbing check, figures meaningless)" if s["smoke"] else ""),
        "",
        f"{m['date_utc']} on {machine_line(m)}; git {m['git'] or 'unknown'}. Load average (1, 5, 15 min) "
        f"before the runs {m.get('loadavg_before_runs')}, after {m.get('loadavg_after_runs')}: a load above "
        f"the CPU count means other work shared the machine and the speeds are pessimistic.",
        "",
        f"Corpus `{s['corpus_name']}`: {s['corpus_words']:,} raw words, {s['corpus_lines']:,} lines. "
        f"Hyperparameters: dim {hp['dim']}, window {hp['window']}, negative {hp['negative']}, "
        f"sample {hp['sample']:g}, min_count {hp['min_count']}, epochs {s['epochs']}, alpha 0.025 (sg) / 0.05 (cbow), "
        f"negative sampling only. Workers {', '.join(map(str, s['workers']))}; BLAS/OpenMP threads in the "
        f"children: {s['blas_threads_note']}. {s['repeats']} repetition(s) of every run, interleaved "
        f"(A B C A B C ...), medians reported, quality scores as means over the repetitions ± the half-width "
        f"of their 95% interval (Student t over the seeds); seeds {', '.join(map(str, s['seeds']))}.",
        "",
        markdown_table(report["summary"]),
        "",
        *quality_vs_gensim_table(report["summary"]),
        f"*Definitions.* {WORDS_PER_S_DEFINITION} {RSS_DEFINITION} Here rss_floor_mib = "
        f"{s['rss_floor_mib']:.0f} MiB. vs gensim = words/s ÷ gensim's words/s "
        f"at the same mode and worker count; vs 1 worker = words/s ÷ the same system's 1-worker "
        f"words/s (thread scaling; empty without a 1-worker run). Quality: WordSim-353 Spearman ρ "
        f"and analogy accuracy (restrict_vocab=30000, questions with out-of-vocabulary words "
        f"skipped), evaluated by "
        f"{report['evaluator']}.",
        "",
    ]
    skipped = [r for r in report["summary"] if r["status"] == "skipped"]
    failed = [r for r in report["summary"] if r["status"] == "FAILED"]
    if skipped:
        lines += ["**Skipped** (not installed here): " + "; ".join(f"{r['system']} ({r['reason']})" for r in skipped), ""]
    if failed:
        lines += ["**FAILED:**", ""]
        for r in failed:
            last = (r["error"] or "").strip().splitlines() or ["?"]
            lines.append(f"- {r['system']} {r['mode']} workers {r['workers']} "
                         f"({r['repetitions'] - r['succeeded']} of {r['repetitions']} repetitions): `{last[-1]}`")
        lines += ["", "(full output in report.json, runs[].error)", ""]
    bad_quality = [r for r in report["summary"] if r.get("quality_errors")]
    if bad_quality:
        lines += ["**Quality evaluation FAILED:** " + "; ".join(
            f"{r['system']} {r['mode']} workers {r['workers']}: `{r['quality_errors'][0]}`" for r in bad_quality), ""]
    lines += ["## What each system ran", "", "First successful run of each; workers and seed vary per run.", ""]
    for name, info in report["systems"].items():
        if info.get("call"):
            lines.append(f"- **{name}** ({info['version']}): `{info['call']}`")
            for note in info.get("notes", []):
                lines.append(f"  - {note}")
    lines += ["", "## Machine", ""]
    lines += [f"- {k}: {v}" for k, v in m.items() if k != "libraries"]
    lines += ["- libraries: " + ", ".join(f"{k} {v}" for k, v in m["libraries"].items() if v)]
    chart = report.get("chart")
    lines += ["", f"![words/s and quality per system]({chart})" if chart else f"Chart: {report.get('chart_note')}", ""]
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines))


def write_chart(path, report):
    """Two panels, words/s and quality, one bar group per (system, mode, workers). Returns None or why not."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return "not drawn: matplotlib is not installed"
    rows = [r for r in report["summary"] if r.get("words_per_s")]
    if not rows:
        return "not drawn: no successful run"
    labels = [f"{r['system']}{' (slice)' if r['system'] == 'reference' else ''} {r['mode']} w{r['workers']}"
              for r in rows]
    height = max(2.5, 0.4 * len(rows) + 1.2)
    fig, (ax_speed, ax_quality) = plt.subplots(1, 2, figsize=(12, height), sharey=True)
    y = list(range(len(rows)))
    speeds = [r["words_per_s"] / 1000 for r in rows]
    ax_speed.barh(y, speeds, color="tab:blue")
    for yi, k in zip(y, speeds):
        ax_speed.text(k, yi, f" {k:,.0f}k" if k >= 10 else f" {k:.2g}k", va="center", fontsize=8)
    ax_speed.set_xlim(0, max(speeds) * 1.15)
    ax_speed.set_yticks(y, labels)
    ax_speed.invert_yaxis()
    ax_speed.set_xlabel("thousand words/s (median; higher is better)")
    ax_speed.set_title("training speed")
    h = 0.38
    ax_quality.barh([yi - h / 2 for yi in y], [r["wordsim_spearman"] or 0 for r in rows], h,
                    label="WordSim-353 Spearman", color="tab:green")
    ax_quality.barh([yi + h / 2 for yi in y], [r["analogy_acc"] or 0 for r in rows], h,
                    label="analogy accuracy", color="tab:orange")
    ax_quality.set_xlabel("score (mean over seeds)")
    ax_quality.set_title("quality")
    ax_quality.legend(loc="lower right", fontsize=8)
    s = report["settings"]
    fig.suptitle(f"{s['corpus_name']}, {s['epochs']} epoch(s), {s['repeats']} rep(s) — "
                 f"{report['machine']['cpu_model']}", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return None


README_START = "<!-- compare:latest:start -->"
README_END = "<!-- compare:latest:end -->"


def update_readme(readme, report, out_dir):
    """Replace the block between the README markers with the latest table, machine and chart."""
    with open(readme, encoding="utf-8") as f:
        text = f.read()
    if README_START not in text or README_END not in text:
        raise ValueError(f"{readme} lacks the markers {README_START} / {README_END}")
    here = os.path.dirname(os.path.abspath(readme))
    rel = os.path.relpath(os.path.abspath(out_dir), here)
    s, m = report["settings"], report["machine"]
    block = [
        README_START,
        f"Latest run: {m['date_utc']}, {machine_line(m)}; corpus `{s['corpus_name']}`, {s['epochs']} epoch(s), "
        f"{s['repeats']} repetition(s), medians (quality: means). "
        f"Full report: [{rel}/report.md]({rel}/report.md).",
        "",
        markdown_table(report["summary"]),
        "",
    ]
    if report.get("chart"):
        block += [f"![words/s and quality per system]({rel}/{report['chart']})", ""]
    block.append(README_END)
    start, end = text.index(README_START), text.index(README_END) + len(README_END)
    with open(readme, "w", encoding="utf-8") as f:
        f.write(text[:start] + "\n".join(block) + text[end:])
