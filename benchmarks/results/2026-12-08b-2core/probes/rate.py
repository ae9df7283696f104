"""One training run: prints raw words/s and trained (kept) words/s. argv: dim sg mode workers corpus sample min_count"""
import sys, time, os
import fastw2v
dim, sg, mode, workers = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
path = sys.argv[5]; sample = float(sys.argv[6]); mc = int(sys.argv[7])
m = fastw2v.Word2Vec(vector_size=dim, window=5, negative=5, sample=sample, min_count=mc, sg=sg,
                     alpha=0.025 if sg else 0.05, workers=workers, seed=1, epochs=1, batch_mode=mode)
m.build_vocab(corpus_file=path)
t = time.perf_counter()
r = m.train(corpus_file=path, total_examples=m.corpus_count, total_words=m.corpus_total_words, epochs=1)
dt = time.perf_counter() - t
print(len(m.wv), f"raw/s {m.corpus_total_words / dt:.0f} kept/s {r[0]/dt:.0f} kept {r[0]} t {dt:.2f}")
