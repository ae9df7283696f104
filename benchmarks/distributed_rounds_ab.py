"""A/B of distributed round modes in one cluster (2 processes x 1 thread), interleaved.

    python benchmarks/distributed_rounds_ab.py [--dask-malloc] CORPUS SG EPOCHS MODE:ROUND_BYTES...

MODE: one of distributed.ROUND_MODES ("chained", "barrier", "overlapped"). The cluster is the one
``train(client=None)`` starts (``distributed.local_cluster``); with ``--dask-malloc``, a plain
``LocalCluster`` (Dask's own malloc settings in the workers, not LOCAL_WORKER_MALLOC). Prints
wall seconds (vocabulary included), words/s and per-epoch seconds for each configuration, in
three interleaved passes.
Example (docs/distributed.md): ``... /tmp/dev.txt 0 5 barrier:2097152 chained:2097152``
(/tmp/dev.txt: the decompressed dev corpus).
"""
import sys
import time

import distributed as dd

import fastw2v.distributed as fdist

if __name__ == "__main__":
    args = sys.argv[1:]
    dask_malloc = args[0] == "--dask-malloc"
    args = args[1:] if dask_malloc else args
    corpus, sg, epochs = args[0], int(args[1]), int(args[2])
    configs = [(mode, int(rb)) for mode, rb in (c.split(":") for c in args[3:])]
    cluster = (dd.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                               dashboard_address=None) if dask_malloc
               else fdist.local_cluster(processes=2, threads=1))
    client = dd.Client(cluster)
    for _ in range(3):
        for mode, round_bytes in configs:
            t = time.perf_counter()
            m = fdist.train(corpus, client=client, sg=sg, epochs=epochs, vector_size=100, seed=1,
                            round_bytes=round_bytes, rounds=mode)
            wall = time.perf_counter() - t
            print(f"{'dask-malloc ' if dask_malloc else ''}{mode} {round_bytes} wall {wall:.2f} s "
                  f"words/s {m.corpus_total_words * epochs / wall / 1e6:.3g}M epochs "
                  f"{[round(e['seconds'], 2) for e in m.distributed_stats['epochs']]}", flush=True)
    client.close()
    cluster.close()
