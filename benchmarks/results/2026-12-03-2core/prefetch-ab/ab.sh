#!/bin/bash
# interleaved kernel A/B: main vs wt42 (window-ahead prefetch), kernels alone, 1 thread
out=/work/main/benchmarks/results/2026-12-03-2core/prefetch-ab
mkdir -p $out; uptime >> $out/load.txt
for r in ${ROUNDS:-1 2 3}; do
  for t in main wt42; do
    (cd /work/$t && /work/main/.venv/bin/python benchmarks/kernel_variants.py --builds _core_avx512 --dims 100,300 --vocab ${VOCAB:-30000,135000} --modes ${MODES:-sg-exact,cbow} --repeats 1 --tokens 300000 --json $out/$t-$r.json > $out/$t-$r.txt 2>&1)
  done
done
uptime >> $out/load.txt
