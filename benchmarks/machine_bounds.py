#!/usr/bin/env python3
"""This machine's memory and arithmetic bounds, the ceilings a word2vec kernel can be held against.

    python benchmarks/machine_bounds.py [--json bounds.json] [--threads 1,2] [--quick]

Measured with a small C helper compiled at run time with ``gcc -O3 -march=native -ffast-math -fopenmp`` into a
temporary folder (nothing generated is kept) and called through ctypes on NumPy arrays whose pages
are touched before any timing. Every figure is the best of ``--reps`` repetitions (a bound is what
the machine can do, so the best run is the estimate; noise from other tenants only lowers it).

(a) **Streaming bandwidth**, GB/s (10^9 bytes), 1 and 2 threads, each thread on its own contiguous
    part of the arrays: ``read`` sums a float32 array with 8 independent AVX-512 accumulators (bytes
    = the array); ``update`` does ``a[i] = a[i] * s + t`` in place (read + write; bytes = 2x the
    array, as a row update moves them); ``triad`` does ``a[i] = b[i] + s * c[i]`` (STREAM's count,
    12 bytes per element; the write-allocate read of ``a`` is not counted, as in STREAM). Sizes: a
    "DRAM" size (default 2 GiB for read/update, 3 x 512 MiB for triad, far beyond the 480 MiB L3
    the VM reports, which is the host's), and an in-L2 size (256 KiB per thread, repeated).

(b) **Random row gathers**, rows/s, for rows of 100 and 300 float32 in matrices of 35 MB (the dev
    vocabulary, 29k words at dim 300), 160 MB (136k words) and 1.2 GB (10^6 words): the row ids are
    uniform random (pre-drawn, int32), so every row is a cold miss beyond the caches once the matrix
    is larger than them. ``read`` = dot of the row with a resident vector (all its cache lines are
    loaded); ``rmw`` = ``row += v`` (read and written back, as a trained row is). Each with and
    without software prefetch (``prefetcht0`` of every line of the row 4 rows ahead, as fastw2v
    prefetches the next pair's rows). Row ids are independent, so this is the rate that memory-level
    parallelism allows: the memory-latency bound word2vec hits, not the bandwidth one. Bytes/s are
    rows/s x the row's whole cache lines.

(c) **Peak float32 FMA throughput** of one core (and of 2 threads): a tight loop of ``vfmadd``
    on 16 independent 512-bit accumulators (2 flops per lane, 16 lanes), so that FMA latency is
    hidden and only the FMA ports limit; GFLOP/s = 10^9 flops/s.

Hardware counters (cycles, cache and TLB misses) are not available in this VM (``perf stat -e
cycles`` reports "not supported"), which is why the bounds are measured this way. A full run takes
about 1-2 minutes on the 2-core Xeon; take ``flock -x /tmp/fastw2v-timing.lock`` around it.
"""
import argparse
import ctypes
import json
import os
import platform
import subprocess
import sys
import tempfile
import time

import numpy as np

C_SOURCE = r"""
#include <immintrin.h>
#include <stddef.h>
#include <stdint.h>
#include <omp.h>

static size_t lo_of(size_t n, int t, int nt) { return n * (size_t)t / (size_t)nt; }

double mb_read(const float* a, size_t n, int reps, int nt) {
    double total = 0.0;
    #pragma omp parallel num_threads(nt) reduction(+:total)
    {
        int t = omp_get_thread_num();
        size_t lo = lo_of(n, t, nt), hi = lo_of(n, t + 1, nt);
        __m512 s0 = _mm512_setzero_ps(), s1 = s0, s2 = s0, s3 = s0, s4 = s0, s5 = s0, s6 = s0, s7 = s0;
        for (int r = 0; r < reps; r++) {
            for (size_t i = lo; i + 128 <= hi; i += 128) {
                s0 = _mm512_add_ps(s0, _mm512_loadu_ps(a + i));
                s1 = _mm512_add_ps(s1, _mm512_loadu_ps(a + i + 16));
                s2 = _mm512_add_ps(s2, _mm512_loadu_ps(a + i + 32));
                s3 = _mm512_add_ps(s3, _mm512_loadu_ps(a + i + 48));
                s4 = _mm512_add_ps(s4, _mm512_loadu_ps(a + i + 64));
                s5 = _mm512_add_ps(s5, _mm512_loadu_ps(a + i + 80));
                s6 = _mm512_add_ps(s6, _mm512_loadu_ps(a + i + 96));
                s7 = _mm512_add_ps(s7, _mm512_loadu_ps(a + i + 112));
            }
        }
        s0 = _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(s0, s1), _mm512_add_ps(s2, s3)),
                           _mm512_add_ps(_mm512_add_ps(s4, s5), _mm512_add_ps(s6, s7)));
        total += _mm512_reduce_add_ps(s0);
    }
    return total;
}

void mb_update(float* a, size_t n, int reps, int nt, float s, float u) {
    #pragma omp parallel num_threads(nt)
    {
        int t = omp_get_thread_num();
        size_t lo = lo_of(n, t, nt), hi = lo_of(n, t + 1, nt);
        for (int r = 0; r < reps; r++)
            for (size_t i = lo; i < hi; i++) a[i] = a[i] * s + u;
    }
}

void mb_triad(float* a, const float* b, const float* c, size_t n, int reps, int nt, float s) {
    #pragma omp parallel num_threads(nt)
    {
        int t = omp_get_thread_num();
        size_t lo = lo_of(n, t, nt), hi = lo_of(n, t + 1, nt);
        for (int r = 0; r < reps; r++)
            for (size_t i = lo; i < hi; i++) a[i] = b[i] + s * c[i];
    }
}

/* rows ids idx[0..n) into M (row length D floats); mode 0: dot with v; mode 1: row += v.
   dist > 0: prefetch every cache line of row idx[i + dist] before working on row idx[i]. */
double mb_gather(float* M, int D, const int32_t* idx, size_t n, const float* v, int mode, int dist,
                 int nt) {
    double total = 0.0;
    #pragma omp parallel num_threads(nt) reduction(+:total)
    {
        int t = omp_get_thread_num();
        size_t lo = lo_of(n, t, nt), hi = lo_of(n, t + 1, nt);
        double acc = 0.0;
        for (size_t i = lo; i < hi; i++) {
            if (dist > 0 && i + dist < hi) {
                const char* p = (const char*)(M + (size_t)idx[i + dist] * D);
                for (int b = 0; b < D * 4; b += 64) _mm_prefetch(p + b, _MM_HINT_T0);
            }
            float* row = M + (size_t)idx[i] * D;
            if (mode == 0) {
                float s = 0.0f;
                for (int j = 0; j < D; j++) s += row[j] * v[j];
                acc += s;
            } else {
                for (int j = 0; j < D; j++) row[j] += v[j];
            }
        }
        total += acc;
    }
    return total;
}

/* 16 independent 512-bit FMA chains of `iters` steps per thread: 2 * 16 * 16 * iters flops each */
double mb_fma(long iters, int nt) {
    double total = 0.0;
    #pragma omp parallel num_threads(nt) reduction(+:total)
    {
        __m512 x = _mm512_set1_ps(0.999f), y = _mm512_set1_ps(1e-7f);
        /* distinct starting values: identical chains would be merged by the compiler into one */
        __m512 a0 = _mm512_set1_ps(1.00f), a1 = _mm512_set1_ps(1.01f), a2 = _mm512_set1_ps(1.02f),
               a3 = _mm512_set1_ps(1.03f), a4 = _mm512_set1_ps(1.04f), a5 = _mm512_set1_ps(1.05f),
               a6 = _mm512_set1_ps(1.06f), a7 = _mm512_set1_ps(1.07f), a8 = _mm512_set1_ps(1.08f),
               a9 = _mm512_set1_ps(1.09f), a10 = _mm512_set1_ps(1.10f), a11 = _mm512_set1_ps(1.11f),
               a12 = _mm512_set1_ps(1.12f), a13 = _mm512_set1_ps(1.13f), a14 = _mm512_set1_ps(1.14f),
               a15 = _mm512_set1_ps(1.15f);
        for (long k = 0; k < iters; k++) {
            a0 = _mm512_fmadd_ps(a0, x, y);   a1 = _mm512_fmadd_ps(a1, x, y);
            a2 = _mm512_fmadd_ps(a2, x, y);   a3 = _mm512_fmadd_ps(a3, x, y);
            a4 = _mm512_fmadd_ps(a4, x, y);   a5 = _mm512_fmadd_ps(a5, x, y);
            a6 = _mm512_fmadd_ps(a6, x, y);   a7 = _mm512_fmadd_ps(a7, x, y);
            a8 = _mm512_fmadd_ps(a8, x, y);   a9 = _mm512_fmadd_ps(a9, x, y);
            a10 = _mm512_fmadd_ps(a10, x, y); a11 = _mm512_fmadd_ps(a11, x, y);
            a12 = _mm512_fmadd_ps(a12, x, y); a13 = _mm512_fmadd_ps(a13, x, y);
            a14 = _mm512_fmadd_ps(a14, x, y); a15 = _mm512_fmadd_ps(a15, x, y);
        }
        __m512 s = _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(a0, a1), _mm512_add_ps(a2, a3)),
                                 _mm512_add_ps(_mm512_add_ps(a4, a5), _mm512_add_ps(a6, a7)));
        s = _mm512_add_ps(s, _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(a8, a9), _mm512_add_ps(a10, a11)),
                                           _mm512_add_ps(_mm512_add_ps(a12, a13), _mm512_add_ps(a14, a15))));
        total += _mm512_reduce_add_ps(s);
    }
    return total;
}
"""

GB = 1e9
MIB = 1 << 20
LINE = 64


def _compile(folder):
    """Build the C helper into ``folder`` and load it; raises RuntimeError with gcc's message."""
    src = os.path.join(folder, "mb.c")
    lib = os.path.join(folder, "mb.so")
    with open(src, "w") as f:
        f.write(C_SOURCE)
    cmd = ["gcc", "-O3", "-march=native", "-ffast-math", "-fopenmp", "-fPIC", "-shared", src, "-o", lib]
    res = subprocess.run(cmd, capture_output=True, text=True)
    if res.returncode != 0:
        raise RuntimeError(f"gcc failed ({' '.join(cmd)}):\n{res.stderr}")
    so = ctypes.CDLL(lib)
    P, S, I, F = ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_float
    so.mb_read.argtypes = [P, S, I, I]
    so.mb_read.restype = ctypes.c_double
    so.mb_update.argtypes = [P, S, I, I, F, F]
    so.mb_triad.argtypes = [P, P, P, S, I, I, F]
    so.mb_gather.argtypes = [P, I, P, S, P, I, I, I]
    so.mb_gather.restype = ctypes.c_double
    so.mb_fma.argtypes = [ctypes.c_long, I]
    so.mb_fma.restype = ctypes.c_double
    return so


def _p(a):
    return a.ctypes.data_as(ctypes.c_void_p)


def _best(fn, reps):
    """Shortest wall time of ``reps`` calls of ``fn`` (after one warm-up call)."""
    fn()
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def streaming(so, threads, dram_bytes, reps):
    rows = []
    n = dram_bytes // 4 // 128 * 128
    a = np.ones(n, np.float32)
    n3 = (dram_bytes // 4) // 4 // 128 * 128            # triad: 3 arrays, each a quarter of the size
    b = np.ones(n3, np.float32)
    c = np.ones(n3, np.float32)
    d = np.ones(n3, np.float32)
    for nt in threads:
        l2n = (256 * 1024 // 4) * nt                    # 256 KiB per thread, in each core's L2
        l2reps = max(1, (n // l2n) // 4)
        cases = [
            ("read", "DRAM", n * 4, lambda: so.mb_read(_p(a), n, 1, nt), 1),
            ("read", "L2", l2n * 4, lambda: so.mb_read(_p(a), l2n, l2reps, nt), l2reps),
            ("update", "DRAM", n * 8, lambda: so.mb_update(_p(a), n, 1, nt, 1.0, 0.0), 1),
            ("update", "L2", l2n * 8, lambda: so.mb_update(_p(a), l2n, l2reps, nt, 1.0, 0.0), l2reps),
            ("triad", "DRAM", n3 * 12, lambda: so.mb_triad(_p(b), _p(c), _p(d), n3, 1, nt, 1.0), 1),
        ]
        for kind, level, nbytes, fn, inner in cases:
            t = _best(fn, reps)
            rows.append(dict(test=kind, level=level, threads=nt, bytes_per_pass=nbytes,
                             gb_per_s=nbytes * inner / t / GB))
            print(f"  stream {kind:<6} {level:<4} {nt} thr  {nbytes / MIB:8.1f} MiB/pass  "
                  f"{rows[-1]['gb_per_s']:7.1f} GB/s", flush=True)
    return rows


def gathers(so, threads, sizes_mb, dims, n_idx, reps, dist):
    rows = []
    rng = np.random.default_rng(7)
    for size_mb in sizes_mb:
        for D in dims:
            n_rows = int(size_mb * 1e6 // (D * 4))
            M = np.full((n_rows, D), 0.001, np.float32)
            v = np.full(D, 1e-9, np.float32)
            idx = rng.integers(0, n_rows, n_idx, dtype=np.int32)
            lines = -(-D * 4 // LINE)
            for nt in threads:
                for mode, mname in ((0, "read"), (1, "rmw")):
                    for pf in (0, dist):
                        t = _best(lambda: so.mb_gather(_p(M), D, _p(idx), n_idx, _p(v), mode, pf, nt), reps)
                        rate = n_idx / t
                        rows.append(dict(matrix_mb=size_mb, rows=n_rows, dim=D, threads=nt, test=mname,
                                         prefetch=pf, rows_per_s=rate, ns_per_row=1e9 / rate,
                                         lines_per_row=lines, gb_per_s=rate * lines * LINE / GB))
                        print(f"  gather {size_mb:6.0f} MB D={D:<3} {nt} thr {mname:<4} pf={pf} "
                              f"{rate / 1e6:6.2f} M rows/s  {1e9 / rate:6.1f} ns/row  "
                              f"{rows[-1]['gb_per_s']:5.1f} GB/s of lines", flush=True)
            del M
    return rows


def fma_peak(so, threads, reps):
    rows = []
    iters = 20_000_000
    for nt in threads:
        t = _best(lambda: so.mb_fma(iters, nt), reps)
        flops = 2 * 16 * 16 * iters * nt
        rows.append(dict(threads=nt, gflop_per_s=flops / t / 1e9))
        print(f"  fma peak {nt} thr  {rows[-1]['gflop_per_s']:7.1f} GFLOP/s", flush=True)
    return rows


def machine():
    """CPU model, flags of interest, caches, THP setting and load (lscpu, /proc, uptime)."""
    info = {"platform": platform.platform(), "python": platform.python_version()}
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        for line in out.splitlines():
            k, _, val = line.partition(":")
            if k.strip() in ("Model name", "CPU(s)", "L1d cache", "L2 cache", "L3 cache", "Hypervisor vendor"):
                info[k.strip()] = val.strip()
            if k.strip() == "Flags":
                info["avx512f"] = "avx512f" in val.split()
    except OSError:
        pass
    try:
        with open("/sys/kernel/mm/transparent_hugepage/enabled") as f:
            info["thp"] = f.read().strip()
    except OSError:
        pass
    info["loadavg"] = os.getloadavg()
    return info


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--threads", default="1,2", help="comma list of thread counts (default 1,2)")
    p.add_argument("--dram-mib", type=int, default=2048, help="streaming array size, MiB (default 2048)")
    p.add_argument("--matrix-mb", default="35,160,1200", help="gather matrix sizes, MB (default 35,160,1200)")
    p.add_argument("--dims", default="100,300")
    p.add_argument("--gathers", type=int, default=2_000_000, help="random rows per gather test")
    p.add_argument("--prefetch", type=int, default=4, help="prefetch distance in rows (default 4)")
    p.add_argument("--reps", type=int, default=3)
    p.add_argument("--quick", action="store_true", help="small sizes, 1 repetition (a smoke run)")
    p.add_argument("--json", help="write the results here too")
    args = p.parse_args(argv)
    if args.quick:
        args.dram_mib, args.matrix_mb, args.gathers, args.reps = 64, "8", 100_000, 1
    threads = [int(t) for t in args.threads.split(",")]
    info = machine()
    print(f"machine: {info.get('Model name')}, {info.get('CPU(s)')} CPUs, L2 {info.get('L2 cache')}, "
          f"L3 {info.get('L3 cache')}, THP {info.get('thp')}, load {info['loadavg']}", flush=True)
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="machine_bounds-") as folder:
        so = _compile(folder)
        print("(c) peak FMA", flush=True)
        fma = fma_peak(so, threads, args.reps)
        print("(a) streaming", flush=True)
        stream = streaming(so, threads, args.dram_mib * MIB, args.reps)
        print("(b) random row gathers", flush=True)
        gather = gathers(so, threads, [float(s) for s in args.matrix_mb.split(",")],
                         [int(d) for d in args.dims.split(",")], args.gathers, args.reps, args.prefetch)
    info["loadavg_after"] = os.getloadavg()
    result = dict(machine=info, fma=fma, streaming=stream, gather=gather, args=vars(args),
                  seconds=time.perf_counter() - t0)
    print(f"done in {result['seconds']:.0f} s; load after {info['loadavg_after']}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=1)
    return result


if __name__ == "__main__":
    sys.exit(main() and 0)
