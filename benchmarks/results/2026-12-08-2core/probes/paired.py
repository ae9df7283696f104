import json, sys, statistics as st
from scipy import stats
r = json.load(open(sys.argv[1]))
a_name, b_name = sys.argv[2], sys.argv[3]
runs = r["runs"] if "runs" in r else r
def by(name):
    out = {}
    for x in runs:
        if x.get("system") == name and x.get("ok", True):
            out[(x.get("sg"), x.get("seed"))] = x
    return out
A, B = by(a_name), by(b_name)
keys = sorted(set(A) & set(B))
for metric in ("wordsim_spearman", "analogy_acc", "words_per_s"):
    d = [A[k].get(metric) - B[k].get(metric) for k in keys if A[k].get(metric) is not None and B[k].get(metric) is not None]
    if metric == "words_per_s":
        rat = [A[k][metric] / B[k][metric] for k in keys]
        print(metric, "median ratio", round(st.median(rat), 3), "n", len(rat)); continue
    if len(d) < 2: continue
    m = st.mean(d); h = stats.t.ppf(0.975, len(d) - 1) * st.stdev(d) / len(d) ** 0.5
    scale = 100 if metric == "analogy_acc" else 1
    print(metric, f"{m*scale:+.4f} ± {h*scale:.4f}", "n", len(d))
