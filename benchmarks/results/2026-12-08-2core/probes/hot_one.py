"""One training run: prints words/s (training only). argv: dim sg mode workers [corpus]."""
import sys, time
import os
import fastw2v
if os.environ.get('PF'):
    from fastw2v import kernels
    kernels.core._set_prefetch(*map(int, os.environ['PF'].split(',')))
dim, sg, mode, workers = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
path = sys.argv[5] if len(sys.argv) > 5 else "/tmp/dev.txt"
sample = float(sys.argv[6]) if len(sys.argv) > 6 else 1e-3
m = fastw2v.Word2Vec(vector_size=dim, window=5, negative=5, sample=sample, min_count=int(os.environ.get("MINCOUNT", "5")), sg=sg,
                     alpha=0.025 if sg else 0.05, workers=workers, seed=1, epochs=1, batch_mode=mode)
m.build_vocab(corpus_file=path)
t = time.perf_counter()
m.train(corpus_file=path, total_examples=m.corpus_count, total_words=m.corpus_total_words, epochs=1)
dt = time.perf_counter() - t
print(f"{m.corpus_total_words / dt:.0f}")
