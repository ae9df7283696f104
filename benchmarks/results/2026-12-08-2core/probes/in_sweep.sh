#!/bin/bash
# usage: in_sweep.sh REPS "IN1 IN2 ..." dim sg mode workers [corpus sample]  (FASTW2V_HOT_INPUT_ROWS values; other env as is)
reps=$1; ks=$2; shift 2
for r in $(seq $reps); do
  for k in $ks; do
    v=$(PYTHONPATH=${SRC:-/work/main} FASTW2V_HOT_INPUT_ROWS=$k /work/main/.venv/bin/python /tmp/p20/hot_one.py "$@")
    echo "$r $k $v"
  done
done
