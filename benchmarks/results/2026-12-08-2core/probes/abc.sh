#!/bin/bash
# usage: abc.sh REPS "SRC1 SRC2 ..." args-for-hot_one...   (interleaved)
reps=$1; srcs=$2; shift 2
for r in $(seq $reps); do
  line="$r"
  for s in $srcs; do line="$line $(basename $s) $(PYTHONPATH=$s /work/main/.venv/bin/python /tmp/p20/hot_one.py "$@")"; done
  echo "$line"
done
