#!/bin/bash
# interleaved kernel A/B: before (/tmp/old, f3ead8c build) vs after (/work/main: CBOW draws ahead), kernels alone, 1 thread
out=${OUT:-/tmp/p17/cbab}
uptime >> $out/load.txt
for r in ${ROUNDS:-1 2 3}; do
  for t in old main; do
    d=/tmp/old; [ $t = main ] && d=/work/main
    (cd $d && PYTHONPATH=$d /work/main/.venv/bin/python benchmarks/kernel_variants.py --builds _core_avx512 --dims 100,300 --vocab ${VOCAB:-30000,135000} --modes ${MODES:-cbow} --repeats 1 --tokens ${TOKENS:-300000} --json $out/$t-$r.json > $out/$t-$r.txt 2>&1)
  done
done
uptime >> $out/load.txt
