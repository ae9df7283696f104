#!/usr/bin/env python3
"""Trained (centre, context) pairs of one epoch, counted by replaying fastw2v's window rule in NumPy.

    python benchmarks/pair_count.py CORPUS [--sample 1e-3] [--window 5] [--min-count 5] [--json out.json]

fastw2v reports effective (kept) words, not pairs, so this builds the vocabulary as
``Word2Vec.build_vocab(corpus_file=...)`` does, reads the same id batches the trainer reads
(``Word2Vec._batches``, one partition), and applies the kernel's rules (``_core._train_sentences``):
a token is kept when its keep threshold is ``KEEP_ALWAYS`` or a uniform 32-bit draw is below it;
each kept token ``i`` of a sentence of ``n`` kept tokens draws a reduced window ``b`` uniform in
``1..window`` and trains ``min(i, b) + min(n - 1 - i, b)`` pairs (skip-gram: pairs; CBOW: the
context rows of that target, a target with none being skipped). The draws come from NumPy, not
fastw2v's stream, so the counts are exact in distribution, not bit for bit (the run-to-run spread
is far below 0.1%).

Also reported, for the cache model of profile.md: the share of row touches that land on the most
frequent 1k/10k/30k words, for input (context) rows, output target rows, and negatives (drawn from
the unigram^0.75 table).
"""
import argparse
import json
import time

import numpy as np

from fastw2v import Word2Vec, tables


def count(corpus, sample, window, min_count, seed=0):
    model = Word2Vec(vector_size=8, sg=1, workers=1, sample=sample, window=window, min_count=min_count,
                     negative=5, epochs=1, seed=1)
    model.build_vocab(corpus_file=corpus)
    thr = np.asarray(model._keep_threshold, dtype=np.uint64)
    V = len(thr)
    full = np.uint64(tables.KEEP_ALWAYS)
    rng = np.random.default_rng(seed)
    raw = in_vocab = kept = pairs = targets = 0
    # pairs in which the word is the centre (its output target row). Summed over centres, a kept
    # token is a context (input row) exactly as often as it is a centre in expectation (symmetric
    # windows), so the same weights stand for the context rows (an estimate; exact for the totals).
    by_word = np.zeros(V, np.float64)
    for batch in model._batches(None, corpus):
        tok, off = batch.tokens, batch.offsets
        raw += batch.raw_words
        in_vocab += len(tok)
        t = thr[tok]
        keep = (t == full) | (rng.integers(0, 1 << 32, len(tok), dtype=np.uint64) < t)
        sent = np.repeat(np.arange(len(off) - 1), np.diff(off))[keep]
        ktok = tok[keep]
        n_s = np.bincount(sent, minlength=len(off) - 1)
        starts = np.concatenate(([0], np.cumsum(n_s)[:-1]))
        i = np.arange(len(ktok)) - starts[sent]
        n = n_s[sent]
        b = rng.integers(1, window + 1, len(ktok))
        p = np.minimum(i, b) + np.minimum(n - 1 - i, b)
        kept += len(ktok)
        pairs += int(p.sum())
        targets += int((p > 0).sum())
        by_word += np.bincount(ktok, weights=p, minlength=V)
    q = tables.noise_distribution(model.vocab.counts, model.ns_exponent)
    shares = {}
    for top in (1_000, 10_000, 30_000):
        window_share = float(by_word[:top].sum() / max(pairs, 1))
        shares[str(top)] = dict(context=window_share, target=window_share,
                                negative=float(q[:top].sum()))
    return dict(corpus=corpus, sample=sample, window=window, min_count=min_count, vocab=V,
                raw_words=int(raw), in_vocab_words=int(in_vocab), kept_words=int(kept),
                pairs=int(pairs), targets_with_context=int(targets),
                pairs_per_raw_word=pairs / max(raw, 1), pairs_per_kept_word=pairs / max(kept, 1),
                top_shares=shares)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("corpus")
    p.add_argument("--sample", type=float, default=1e-3)
    p.add_argument("--window", type=int, default=5)
    p.add_argument("--min-count", type=int, default=5)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json")
    args = p.parse_args(argv)
    t0 = time.perf_counter()
    res = count(args.corpus, args.sample, args.window, args.min_count, args.seed)
    res["seconds"] = time.perf_counter() - t0
    print(json.dumps(res, indent=1))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(res, f, indent=1)


if __name__ == "__main__":
    main()
