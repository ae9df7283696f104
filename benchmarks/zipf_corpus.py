#!/usr/bin/env python3
"""Write a seeded synthetic corpus with a Zipf-Mandelbrot word distribution, in LineSentence format.

    python benchmarks/zipf_corpus.py OUT.txt --tokens 10000000 --types 2000000 [--exponent 1.05] [--seed 0]

Word ``r`` (rank 0 the most frequent) is drawn with probability proportional to
``1 / (r + OFFSET) ** exponent``; words are spelt as fixed-width lower-case base-26 numbers, lines
hold ``--line`` tokens (1000, word2vec.c's sentence cap). The point is the regime the dev corpus does
not reach: with 10M tokens over 2M types and min_count 5 about 1.44e5 words survive, so at 300
dimensions the two weight matrices (~160 MB each) are far beyond any last-level cache and every row a
pair touches is a trip to memory, where on the 29k-word dev corpus at 100 dimensions both matrices
(~12 MB) stay near the cache. Output is deterministic for (tokens, types, exponent, seed, line).
``compare.py --corpus zipf:TOKENS:TYPES[:EXPONENT]`` writes one into its work folder.
"""
import argparse
import math
import sys

import numpy as np

#: Mandelbrot's rank offset (q in 1 / (r + q)**s); 2.7 fits English word counts.
OFFSET = 2.7
CHUNK_TOKENS = 1 << 20
#: Default exponent: 10M tokens over 2M types keep ~1.44e5 words at min_count 5.
DEFAULT_EXPONENT = 1.05


def word_probabilities(types, exponent):
    """float64[types]: the Zipf-Mandelbrot probabilities, most frequent first."""
    ranks = np.arange(types, dtype=np.float64)
    weights = (ranks + OFFSET) ** -float(exponent)
    return weights / math.fsum(weights)


def _spell(ranks, width):
    """(n, width + 1) uint8: base-26 letters of each rank and a trailing space."""
    out = np.empty((len(ranks), width + 1), dtype=np.uint8)
    r = ranks.astype(np.int64)
    for k in range(width):
        out[:, width - 1 - k] = 97 + r % 26
        r //= 26
    out[:, width] = 32
    return out


def write_corpus(path, tokens, types, exponent=None, seed=0, line=1000):
    """Write the corpus to ``path``; returns the number of lines written."""
    exponent = DEFAULT_EXPONENT if exponent is None else exponent
    if tokens < 1 or types < 1 or line < 1:
        raise ValueError("tokens, types and line must be >= 1")
    if not exponent > 0:
        raise ValueError(f"exponent must be > 0, got {exponent}")
    cdf = np.cumsum(word_probabilities(types, exponent))
    cdf[-1] = 1.0
    width = max(1, math.ceil(math.log(types, 26))) if types > 1 else 1
    rng = np.random.default_rng(seed)
    written = 0
    with open(path, "wb") as f:
        while written < tokens:
            n = min(CHUNK_TOKENS - CHUNK_TOKENS % line, tokens - written)
            ranks = np.minimum(np.searchsorted(cdf, rng.random(n), side="right"), types - 1)
            text = _spell(ranks, width)
            # the last token of each line (and of the corpus) ends in a newline instead of a space
            ends = np.arange(line - 1, n, line)
            text[ends, width] = 10
            text[n - 1, width] = 10
            f.write(text.tobytes())
            written += n
    return -(-tokens // line)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("out")
    p.add_argument("--tokens", type=int, default=10_000_000)
    p.add_argument("--types", type=int, default=2_000_000)
    p.add_argument("--exponent", type=float, default=DEFAULT_EXPONENT)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--line", type=int, default=1000, help="tokens per line (default 1000)")
    args = p.parse_args(argv)
    try:
        lines = write_corpus(args.out, args.tokens, args.types, args.exponent, args.seed, args.line)
    except ValueError as exc:
        sys.exit(f"zipf_corpus.py: {exc}")
    print(f"{args.out}: {args.tokens} tokens over {args.types} types (exponent {args.exponent}), {lines} lines")


if __name__ == "__main__":
    main()
