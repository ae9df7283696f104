#!/bin/bash
# usage: ab2.sh REPS A_SRC B_SRC args-for-hot_one...   (alternating order: AB, BA, AB, ...)
reps=$1; a=$2; b=$3; shift 3
for r in $(seq $reps); do
  if (( r % 2 )); then
    x=$(PYTHONPATH=$a /work/main/.venv/bin/python /tmp/p20/hot_one.py "$@")
    y=$(PYTHONPATH=$b /work/main/.venv/bin/python /tmp/p20/hot_one.py "$@")
  else
    y=$(PYTHONPATH=$b /work/main/.venv/bin/python /tmp/p20/hot_one.py "$@")
    x=$(PYTHONPATH=$a /work/main/.venv/bin/python /tmp/p20/hot_one.py "$@")
  fi
  echo "$r A $x B $y ratio $(python3 -c "print(round($y/$x,3))")"
done
