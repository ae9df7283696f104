import sys, time, functools
import fastw2v
from fastw2v import engine, model as M
dim, sg, workers = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
path = sys.argv[4] if len(sys.argv) > 4 else "/tmp/dev.txt"
sample = float(sys.argv[5]) if len(sys.argv) > 5 else 1e-3
T = {}
def timed(obj, name, key):
    f = getattr(obj, name)
    @functools.wraps(f)
    def g(*a, **k):
        t = time.perf_counter(); r = f(*a, **k); T[key] = T.get(key, 0) + time.perf_counter() - t; return r
    setattr(obj, name, g)
timed(engine.WeightSnapshot, "take", "snapshot.take")
timed(engine.WeightSnapshot, "maybe", "snapshot.maybe")
timed(engine.WeightSnapshot, "close", "snapshot.close")
timed(engine, "all_finite", "all_finite")
timed(engine, "run_epoch", "run_epoch")
timed(engine, "DivergenceProbe", "probe_init")
core = fastw2v.kernels.core
kt = [0.0]
orig = core.train_batch
m = fastw2v.Word2Vec(vector_size=dim, window=5, negative=5, sample=sample, min_count=5, sg=sg,
                     alpha=0.025 if sg else 0.05, workers=workers, seed=1, epochs=1)
m.build_vocab(corpus_file=path)
t = time.perf_counter()
m.train(corpus_file=path, total_examples=m.corpus_count, total_words=m.corpus_total_words, epochs=1)
dt = time.perf_counter() - t
print(f"train {dt:.3f}s words/s {m.corpus_total_words/dt:.0f}", {k: round(v, 3) for k, v in T.items()})
