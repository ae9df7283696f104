#!/bin/bash
# usage: abenv3.sh REPS "ENV_A" "ENV_B" args-for-hot_one...   (same build, alternating order)
reps=$1; ea=$2; eb=$3; shift 3
for r in $(seq $reps); do
  if (( r % 2 )); then
    x=$(env $ea /work/main/.venv/bin/python /tmp/p20/hot_one.py "$@"); y=$(env $eb /work/main/.venv/bin/python /tmp/p20/hot_one.py "$@")
  else
    y=$(env $eb /work/main/.venv/bin/python /tmp/p20/hot_one.py "$@"); x=$(env $ea /work/main/.venv/bin/python /tmp/p20/hot_one.py "$@")
  fi
  echo "$r A $x B $y ratio $(python3 -c "print(round($y/$x,3))")"
done
