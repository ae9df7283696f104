#!/bin/bash
# usage: pf_sweep.sh REPS "pf1 pf2 ..." dim sg mode workers [corpus sample]
reps=$1; pfs=$2; shift 2
for r in $(seq $reps); do for pf in $pfs; do
  v=$(PYTHONPATH=${SRC:-/tmp/wt} PF=$pf /work/main/.venv/bin/python /tmp/p20/hot_one.py "$@"); echo "$r $pf $v"; done; done
