#!/bin/bash
# usage: ab.sh ROUNDS root1 root2 ...
R=$1; shift
for r in $(seq $R); do for root in "$@"; do
  echo "== $root round $r"
  (cd /tmp && PYTHONPATH=$root /work/main/.venv/bin/python /work/main/benchmarks/kernel_variants.py --builds _core_avx512 --dims 300 --vocab 30000,135000 --modes ${MODES:-sg-exact,sg-shared,cbow} --repeats 1 --tokens 1000000 2>&1 | grep "V=")
done; done
