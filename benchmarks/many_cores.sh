#!/usr/bin/env bash
# Thread scaling on a many-core machine (issue 20, point 6): words/s at 1, 2, 4, 8 and 16 threads for
# fastw2v (exact and shared_negatives, corpus_file and iterable), gensim (corpus_file) and word2vec.c,
# each a compare.py run (fresh process per run, training time only), on the dev corpus at dim 100 and
# on a Zipf scale corpus at dim 300. Prepared to run once inside a short lease of a borrowed machine
# that has no network: everything it needs comes with the checkout or is named below.
#
#   bash benchmarks/many_cores.sh setup      # build fastw2v in place, install wheels, compile word2vec.c
#   bash benchmarks/many_cores.sh dev dev-iter scale   # phases in order; each one's reports land in $OUT
#
# Phases: dev (fastw2v exact and shared_negatives, gensim, word2vec.c; corpus_file), dev-iter (fastw2v's
# two modes over an iterable), scale (as dev, on the Zipf corpus at dim 300). SUFFIX names a second dev
# run's folder (dev-sg-dim100$SUFFIX) so that a repetition lands beside the first.
#
# Environment: OUT (results folder; default /tmp/many-cores), WHEELS (folder of wheels to install with
# pip --no-index into /tmp/site, e.g. gensim's; optional), W2V_SRC (word2vec.c source; optional: else the
# PyPI package 'word2vec' must be installed), W2V_FALLBACK (a prebuilt word2vec binary used if gcc
# fails), DEV_CORPUS (en-mixed-dev.txt.gz; default ../shared/corpora/), THREADS (default 1,2,4,8,16),
# REPEATS (default 1), SCALE (zipf:TOKENS:TYPES, default zipf:4000000:800000: 120,030 words at
# SCALE_MIN_COUNT, default 3; two 144 MB matrices at dim 300), PY (default python3).
# After each phase the whole results folder is packed into $OUT/many-cores.tar.gz, so a run cut short
# still returns what it finished. benchmarks/scaling_table.py turns the reports into a table and chart.
set -u
cd "$(dirname "$0")/.."
OUT=${OUT:-/tmp/many-cores}
PY=${PY:-python3}
THREADS=${THREADS:-1,2,4,8,16}
REPEATS=${REPEATS:-1}
SCALE=${SCALE:-zipf:4000000:800000}
SCALE_MIN_COUNT=${SCALE_MIN_COUNT:-3}
DEV_CORPUS=${DEV_CORPUS:-../shared/corpora/en-mixed-dev.txt.gz}
RESULTS=/tmp/many-cores-results
mkdir -p "$OUT" "$RESULTS"
[ -d /tmp/site ] && export PYTHONPATH=/tmp/site
export PYTHONUNBUFFERED=1

pack() { tar -czf "$OUT/many-cores.tar.gz" -C "$(dirname "$RESULTS")" "$(basename "$RESULTS")"; }

setup() {
    {
        date -u; uname -a; nproc; lscpu; cat /sys/fs/cgroup/cpu.max 2>/dev/null
        grep -o -w -E 'avx2|fma|avx512f|avx512vl' /proc/cpuinfo | sort | uniq -c
        free -g; $PY --version; $PY -c 'import numpy, scipy; print("numpy", numpy.__version__, "scipy", scipy.__version__)'
        which gcc cc
    } >"$RESULTS/machine.txt" 2>&1
    if [ -n "${WHEELS:-}" ]; then
        $PY -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site \
            "$WHEELS"/*.whl && export PYTHONPATH=/tmp/site
    fi
    local t0=$SECONDS
    $PY setup.py build_ext --inplace -q -j "$(nproc)" >"$RESULTS/build.log" 2>&1 || { tail -30 "$RESULTS/build.log"; return 1; }
    echo "build: $((SECONDS - t0)) s" | tee -a "$RESULTS/machine.txt"
    if [ -n "${W2V_SRC:-}" ]; then
        # The PyPI package's own flags (word2vec 0.11.1 setup.py).
        gcc "$W2V_SRC" -o /tmp/word2vec -lm -pthread -Ofast -Wall -march=native -funroll-loops -Wno-unused-result \
            || cp "${W2V_FALLBACK:?}" /tmp/word2vec
    fi
    $PY -c "import fastw2v, gensim; from fastw2v import kernels; print('fastw2v', fastw2v.__version__, kernels.core.__name__, 'gensim', gensim.__version__)" \
        | tee -a "$RESULTS/machine.txt"
    pack
}

compare() {  # compare NAME SYSTEMS ARGS...
    local name=$1 systems=$2
    shift 2
    [ -x /tmp/word2vec ] && export FASTW2V_WORD2VEC_C=/tmp/word2vec
    echo "== $name $(date -u +%T)"
    $PY benchmarks/compare.py --systems "$systems" --workers "$THREADS" --repeats "$REPEATS" --quality none \
        --timeout 150 --out-dir "$RESULTS/$name" --work-dir "/tmp/many-cores-work" "$@" 2>&1 | grep -E '^(corpus|\||\*\*\*)|words/s' | tail -40
    pack
}

for phase in "$@"; do
    case $phase in
        setup) setup || exit 1 ;;
        dev) compare dev-sg-dim100${SUFFIX:-} fastw2v,fastw2v-fast,gensim,word2vec.c --corpus "$DEV_CORPUS" --sg 1 --dim 100 ;;
        dev-iter) compare dev-sg-dim100-iter fastw2v-iter,fastw2v-fast-iter --corpus "$DEV_CORPUS" --sg 1 --dim 100 ;;
        scale) compare scale-sg-dim300 fastw2v,fastw2v-fast,gensim,word2vec.c --corpus "$SCALE" --sg 1 --dim 300 \
                   --sample 1e-4 --min-count "$SCALE_MIN_COUNT" ;;
        *) echo "unknown phase $phase" >&2; exit 2 ;;
    esac
done
