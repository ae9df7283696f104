import sys, re, statistics as st, collections
d = collections.defaultdict(list); root=None
for line in open(sys.argv[1]):
    if line.startswith("=="): root = line.split()[1]; continue
    m = re.match(r"V=\s*(\d+) D=(\d+) (\S+)\s+\S+\s+(\d+)k", line)
    if m: d[(m[1], m[2], m[3])].append((root, int(m[4])))
roots = list(dict.fromkeys(r for v in d.values() for r, _ in v))
for k, v in d.items():
    base = st.median([x for r, x in v if r == roots[0]])
    print(k, "  ".join(f"{r.split('/')[-1]} {st.median([x for rr,x in v if rr==r]):5.0f} ({st.median([x for rr,x in v if rr==r])/base:.3f}, {min(x for rr,x in v if rr==r)}-{max(x for rr,x in v if rr==r)})" for r in roots))
