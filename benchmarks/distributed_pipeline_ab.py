"""A/B of distributed round modes in one LocalCluster (2 processes x 1 thread), interleaved.

    python benchmarks/distributed_pipeline_ab.py CORPUS SG EPOCHS MODE:ROUND_BYTES...

MODE ``p`` = pipelined rounds (train(..., pipeline=True)), ``b`` = barrier rounds. Prints wall
seconds (vocabulary included), words/s and per-epoch seconds for each configuration, twice.
Example (docs/distributed.md): ``... /tmp/dev.txt 0 5 p:1048576 b:2097152 p:2097152``
(/tmp/dev.txt: the decompressed dev corpus).
"""
import sys
import time

import distributed as dd

import fastw2v.distributed as fdist

if __name__ == "__main__":
    corpus, sg, epochs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    configs = [(mode == "p", int(rb)) for mode, rb in (c.split(":") for c in sys.argv[4:])]
    cluster = dd.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                              dashboard_address=None)
    client = dd.Client(cluster)
    for _ in range(2):
        for pipeline, round_bytes in configs:
            t = time.perf_counter()
            m = fdist.train(corpus, client=client, sg=sg, epochs=epochs, vector_size=100, seed=1,
                            round_bytes=round_bytes, pipeline=pipeline)
            wall = time.perf_counter() - t
            print(f"{'pipelined' if pipeline else 'barrier'} {round_bytes} wall {wall:.2f} s "
                  f"words/s {m.corpus_total_words * epochs / wall / 1e6:.3g}M epochs "
                  f"{[round(e['seconds'], 2) for e in m.distributed_stats['epochs']]}", flush=True)
    client.close()
    cluster.close()
