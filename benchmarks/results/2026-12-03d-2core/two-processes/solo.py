import sys, time
from fastw2v import Word2Vec
sg = int(sys.argv[1]); mode = sys.argv[2]
m = Word2Vec(vector_size=300, sg=sg, workers=1, epochs=1, seed=1, batch_mode=mode, alpha=0.025 if sg else 0.05)
m.build_vocab(corpus_file="/tmp/dev.txt")
t = time.perf_counter()
m.train(corpus_file="/tmp/dev.txt", total_examples=m.corpus_count, total_words=m.corpus_total_words, epochs=1)
dt = time.perf_counter() - t
print(f"sg={sg} {mode} train {dt:.2f}s {m.corpus_total_words/dt/1e3:.0f}k words/s")
