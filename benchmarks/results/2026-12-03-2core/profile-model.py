#!/usr/bin/env python3
"""The per-pair cost model of profile.md, applied to this folder's measurements.

    cd benchmarks/results/2026-12-03-2core && python profile-model.py > profile-model.txt

Reads profile-bounds.json (benchmarks/machine_bounds.py), profile-pairs-{dev,zipf}.json
(benchmarks/pair_count.py) and profile-runs-{dev,zipf}.json (benchmarks/kernel_variants.py
--corpus, words/s of 2-worker training), writes profile-model.json and prints the tables.

Per trained unit (a skip-gram (centre, context) pair; a CBOW target), negative k = 5, dim D, as
fastw2v/_core.pyx computes it (one group of k+1 output rows per _ns_block, so each output row is
loaded from memory once per unit and its second pass hits L1):

* skip-gram exact: rows touched = 1 input + (k+1) output, each read and written; flops = (k+1)
  dots (2D) + (k+1) pair updates (neu1e += g row; row += g h: 4D) + the input update (D) = 37D.
  Rows from beyond the cache: the k negatives, plus the context row and the centre's output row
  once per kept token (they are reused across the sliding window): k + 2 * kept / pairs.
* shared_negatives: per centre with n_ctx contexts, n_ctx*(k+1) dots, 2*n_ctx*(k+1) axpys, (k+1)
  row adds: 36D + 6D/n_ctx per pair; rows from memory per pair: (k + 1) / n_ctx target rows
  + kept/pairs context rows.
* CBOW: h = sum of n_ctx context rows (n_ctx*D), mean (D), the k+1 targets (36D), n_ctx input
  updates (n_ctx*D): (2 n_ctx + 37) D; rows from memory: k negatives + the centre's output row +
  one new context row per target (the window slides by one): k + 2.

Bounds per unit (2 threads): arithmetic = flops / measured 2-thread FMA peak; DRAM bandwidth =
cold rows x whole cache lines x 64 B x 2 (read + write-back) / measured 2-thread streaming update
bandwidth (meaningful only when the rows come from DRAM); memory (t_mem) = cold rows / measured
2-thread random row read-modify-write rate with prefetch in a matrix of the size nearest the
run's (35 MB for the dev corpus, 160 MB for the zipf corpus): this rate already includes whatever
cache level serves a uniform random row of such a matrix and the bandwidth that row costs. The cold-row counts
are upper estimates (frequent words hit the cache): the "top-1k cached" column discounts the rows
of the 1,000 most frequent words (pair_count.py's shares), which a 2 MiB L2 roughly holds at D=300.
"""
import json
import math
import statistics

K = 5
LINE = 64


def load(name):
    with open(name) as f:
        return json.load(f)


def main():
    bounds = load("profile-bounds.json")
    peak2 = max(r["gflop_per_s"] for r in bounds["fma"] if r["threads"] == 2) * 1e9
    peak1 = max(r["gflop_per_s"] for r in bounds["fma"] if r["threads"] == 1) * 1e9
    bw2 = max(r["gb_per_s"] for r in bounds["streaming"]
              if r["threads"] == 2 and r["test"] == "update" and r["level"] == "DRAM") * 1e9

    def gather(mb, dim):
        return max(r["rows_per_s"] for r in bounds["gather"] if r["threads"] == 2 and r["dim"] == dim
                   and r["test"] == "rmw" and r["matrix_mb"] == mb)

    out = []
    print(f"2-thread peak FMA {peak2 / 1e9:.0f} GFLOP/s (1 thread {peak1 / 1e9:.0f}); 2-thread DRAM update "
          f"bandwidth {bw2 / 1e9:.1f} GB/s")
    print(f"{'corpus':<5} {'D':>3} {'mode':<10} {'units/s':>8} {'ns/unit':>8} {'flops':>6} {'GFLOP/s':>8} "
          f"{'%peak':>6} {'cold':>5} {'coldGB/s':>8} {'%DRAMbw':>7} {'t_mem lo-hi ns':>15} {'%mem bound':>11}")
    for corpus, mb in (("dev", 35), ("zipf", 160)):
        pairs = load(f"profile-pairs-{corpus}.json")
        runs = load(f"profile-runs-{corpus}.json")
        ppr = pairs["pairs_per_raw_word"]
        kept_per_pair = pairs["kept_words"] / pairs["pairs"]
        n_ctx = pairs["pairs"] / pairs["targets_with_context"]        # mean contexts per centre
        top = pairs["top_shares"]["1000"]
        for r in runs:
            D, mode = r["dim"], r["mode"]
            lines = math.ceil(D * 4 / LINE)
            if mode == "cbow":
                units_per_raw = pairs["targets_with_context"] / pairs["raw_words"]
                flops = (2 * n_ctx + 37) * D
                cold = K + 2
                cold1k = K * (1 - top["negative"]) + (1 - top["target"]) + (1 - top["context"])
            elif mode == "sg-shared":
                units_per_raw = ppr
                flops = 36 * D + 6 * D / n_ctx
                cold = (K + 1) / n_ctx + kept_per_pair
                cold1k = (K * (1 - top["negative"]) + (1 - top["target"])) / n_ctx \
                    + kept_per_pair * (1 - top["context"])
            else:
                units_per_raw = ppr
                flops = 37 * D
                cold = K + 2 * kept_per_pair
                cold1k = K * (1 - top["negative"]) + kept_per_pair * ((1 - top["target"]) + (1 - top["context"]))
            rate = r["words_per_s"] * units_per_raw
            t = 1e9 / rate
            t_arith = flops / peak2 * 1e9
            t_bw = cold * lines * LINE * 2 / bw2 * 1e9
            g = gather(mb, D)
            t_lat = cold / g * 1e9
            t_lat1k = cold1k / g * 1e9
            row = dict(corpus=corpus, dim=D, mode=mode, words_per_s=r["words_per_s"],
                       words_per_s_runs=[r["raw_words"] / s for s in r["seconds"]],
                       units_per_s=rate, ns_per_unit=t, flops_per_unit=flops, cold_rows=cold,
                       cold_rows_top1k_cached=cold1k, touched_rows=(2 * n_ctx + K + 1) if mode == "cbow"
                       else (K + 2 if mode == "sg-exact" else 1 + (K + 1) / n_ctx),
                       bytes_per_unit_cold=cold * lines * LINE * 2, gflop_per_s=flops * rate / 1e9,
                       cold_gb_per_s=cold * lines * LINE * 2 * rate / 1e9,
                       t_arith_ns=t_arith, t_bw_ns=t_bw, t_lat_ns=t_lat, t_lat_top1k_ns=t_lat1k,
                       gather_rows_per_s=g, matrix_mb_used=mb, pct_of_peak_flops=100 * t_arith / t,
                       pct_of_bw=100 * t_bw / t, pct_of_latency_bound=100 * t_lat / t,
                       pct_of_latency_bound_top1k=100 * t_lat1k / t)
            out.append(row)
            print(f"{corpus:<5} {D:>3} {mode:<10} {rate / 1e6:7.2f}M {t:8.1f} {flops:6.0f} "
                  f"{flops * rate / 1e9:8.1f} {100 * t_arith / t:5.1f}% {cold:5.2f} "
                  f"{row['cold_gb_per_s']:8.1f} {100 * t_bw / t:6.0f}% {t_lat1k:7.1f}-{t_lat:<7.1f} "
                  f"{100 * t_lat1k / t:4.0f}-{100 * t_lat / t:.0f}%")
    with open("profile-model.json", "w") as f:
        json.dump(out, f, indent=1)


if __name__ == "__main__":
    main()
