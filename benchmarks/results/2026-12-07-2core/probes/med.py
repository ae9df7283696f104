import sys, statistics as st, collections
d = collections.defaultdict(list)
for line in open(sys.argv[1]):
    p = line.split()
    if len(p) == 3: d[p[1]].append(float(p[2]))
base = None
for k, v in d.items():
    m = st.median(v); base = base or m
    print(f"{k:>12} median {m:,.0f}  n={len(v)}  vs first {m/base:.3f}  runs {[round(x/1e3) for x in v]}")
