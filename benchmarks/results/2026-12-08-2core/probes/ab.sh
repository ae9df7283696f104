#!/bin/bash
# usage: ab.sh REPS A_SRC B_SRC args-for-hot_one...   (interleaved A, B)
reps=$1; a=$2; b=$3; shift 3
for r in $(seq $reps); do
  x=$(PYTHONPATH=$a /work/main/.venv/bin/python /tmp/p20/hot_one.py "$@")
  y=$(PYTHONPATH=$b /work/main/.venv/bin/python /tmp/p20/hot_one.py "$@")
  echo "$r A $x B $y ratio $(python3 -c "print(round($y/$x,3))")"
done
