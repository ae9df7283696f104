#!/bin/bash
# usage: w12.sh REPS dim sg mode [corpus sample]: 1 worker vs 2 workers, interleaved
reps=$1; shift
for r in $(seq $reps); do for w in 1 2; do
  v=$(/work/main/.venv/bin/python /tmp/p20/hot_one.py $1 $2 $3 $w $4 $5); echo "$r w$w $v"; done; done
