#!/usr/bin/env python3
"""Thread-scaling table and chart from compare.py reports (``benchmarks/many_cores.sh`` writes them).

    python benchmarks/scaling_table.py OUT_DIR REPORT.json [A.json+B.json ...]

Reports joined by ``+`` are runs of the same settings at different times (repetitions, or other systems,
run as separate compare.py calls): their runs and systems are pooled and summarised again (medians
over all the runs of a system and thread count). For every report: one table row per system with words/s at each worker count, the speed-up of the
largest count over one worker, and fastw2v's ratio to gensim at the same count; written to
OUT_DIR/scaling.md. OUT_DIR/scaling.png (matplotlib, if installed) draws words/s against threads on
log-log axes, one panel per report, with a dotted line for perfect scaling from gensim's one-thread rate.
"""
import json
import os
import sys

import _report


def _rows(report):
    """{system: {workers: summary row}} for the successful rows, in the report's order."""
    table = {}
    for row in report["summary"]:
        if row.get("status") == "ok" and row.get("words_per_s"):
            table.setdefault(row["system"], {})[row["workers"]] = row
    return table


def _title(report):
    s = report["settings"]
    h = s["hyperparameters"]
    mode = "skip-gram" if s["sg"] == [1] else "CBOW" if s["sg"] == [0] else "sg/cbow"
    corpus = s["corpus_name"].split(" (")[0].replace("synthetic Zipf-Mandelbrot corpus ", "")
    runs = sorted({row["repetitions"] for row in report["summary"] if row.get("repetitions")})
    per_point = f"{runs[0]}" if len(runs) == 1 else f"{runs[0]}-{runs[-1]}"
    return (f"{corpus}, {mode}, dim {h['dim']}, sample {h['sample']:g}, min_count {h['min_count']}, "
            f"{per_point} run(s)/point")


def markdown(report):
    table = _rows(report)
    workers = sorted({w for cells in table.values() for w in cells})
    gensim = table.get("gensim", {})
    lines = [f"### {_title(report)}", "", _report.machine_line(report["machine"]), "",
             "| system | " + " | ".join(f"{w} thr" for w in workers) + f" | {workers[-1]} / 1 thr |",
             "|---|" + "---:|" * (len(workers) + 1)]
    for system, cells in table.items():
        speeds = [f"{cells[w]['words_per_s'] / 1e3:,.0f}k" if w in cells else "—" for w in workers]
        top = cells.get(workers[-1], {}).get("ratio_vs_1_worker")
        lines.append(f"| {system} | " + " | ".join(speeds + [f"{top:.2f}x" if top else "—"]) + " |")
    if gensim:
        lines += ["", "Ratio to gensim at the same thread count:", "",
                  "| system | " + " | ".join(f"{w} thr" for w in workers) + " |",
                  "|---|" + "---:|" * len(workers)]
        for system, cells in table.items():
            if system == "gensim":
                continue
            ratios = [f"{cells[w]['words_per_s'] / gensim[w]['words_per_s']:.2f}"
                      if w in cells and w in gensim else "—" for w in workers]
            lines.append(f"| {system} | " + " | ".join(ratios) + " |")
    return "\n".join(lines) + "\n"


def chart(path, reports):
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return "not drawn: matplotlib is not installed"
    fig, axes = plt.subplots(1, len(reports), figsize=(6 * len(reports), 4.5), squeeze=False)
    for ax, report in zip(axes[0], reports):
        table = _rows(report)
        for system, cells in table.items():
            ws = sorted(cells)
            ax.plot(ws, [cells[w]["words_per_s"] / 1e3 for w in ws], marker="o", label=system)
        gensim = table.get("gensim", {})
        if 1 in gensim:
            ws = sorted(gensim)
            ax.plot(ws, [gensim[1]["words_per_s"] / 1e3 * w for w in ws], ":", color="grey",
                    label="gensim x threads")
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xlabel("worker threads")
        ax.set_ylabel("thousand words/s")
        ax.set_title(_title(report), fontsize=8)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7)
    fig.suptitle(_report.machine_line(reports[0]["machine"]), fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return None


def main(argv):
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    out_dir, paths = argv[0], argv[1:]
    reports = []
    for arg in paths:
        parts = []
        for path in arg.split("+"):
            with open(path) as f:
                parts.append(json.load(f))
        report = parts[0]
        if len(parts) > 1:
            runs = [dict(run, rep=k) for k, part in enumerate(parts) for run in part["runs"]]
            systems = {name: info for part in parts for name, info in part["systems"].items()}
            report = dict(report, runs=runs, systems=systems, summary=_report.summarise(runs, systems))
        reports.append(report)
    os.makedirs(out_dir, exist_ok=True)
    text = "\n".join(markdown(r) for r in reports)
    with open(os.path.join(out_dir, "scaling.md"), "w") as f:
        f.write(text)
    note = chart(os.path.join(out_dir, "scaling.png"), reports)
    print(text + (f"\n({note})" if note else f"\nwritten: {out_dir}/scaling.md, scaling.png"))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
