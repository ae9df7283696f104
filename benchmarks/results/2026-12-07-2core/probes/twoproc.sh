#!/bin/bash
# usage: twoproc.sh REPS dim sg mode [corpus sample]: one 1-worker process alone, then two at once (each its own model)
reps=$1; shift
for r in $(seq $reps); do
  a=$(/work/main/.venv/bin/python /tmp/p20/hot_one.py $1 $2 $3 1 $4 $5)
  /work/main/.venv/bin/python /tmp/p20/hot_one.py $1 $2 $3 1 $4 $5 > /tmp/p20/tp1 & 
  /work/main/.venv/bin/python /tmp/p20/hot_one.py $1 $2 $3 1 $4 $5 > /tmp/p20/tp2
  wait
  b=$(( $(cat /tmp/p20/tp1) + $(cat /tmp/p20/tp2) ))
  t=$(/work/main/.venv/bin/python /tmp/p20/hot_one.py $1 $2 $3 2 $4 $5)
  echo "$r one $a"; echo "$r two-processes-sum $b"; echo "$r two-threads $t"
done
