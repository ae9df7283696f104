#!/bin/bash
# usage: hot_sweep.sh REPS "K1:M1 K2:M2 ..." dim sg mode workers [corpus sample]
reps=$1; ks=$2; shift 2
for r in $(seq $reps); do
  for km in $ks; do
    k=${km%%:*}; m=${km##*:}
    v=$(PYTHONPATH=${SRC:-/tmp/wt} FASTW2V_HOT_ROWS=$k FASTW2V_HOT_MERGE_WORDS=$m /work/main/.venv/bin/python /tmp/p20/hot_one.py "$@")
    echo "$r $km $v"
  done
done
