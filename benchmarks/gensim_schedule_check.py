"""Why does gensim's corpus_file mode score higher on WordSim-353 than its own iterable mode?

An investigation script, not part of the suite. gensim 4.4's corpus_file mode differs from its
iterable mode in two ways with ``workers=W > 1``:

* each worker reads its own 1/W of the file (like word2vec.c), so the workers train on distant parts
  of the corpus at the same time; fastw2v's corpus_file mode does the same since 2026-11-26
  (``corpus.file_partitions``);
* each worker computes the learning rate from its *own* word count divided by the *whole* expected
  count (``word2vec_corpusfile.pyx``, ``get_next_alpha``), so within an epoch the schedule only
  advances 1/W of the way: the learning rate stays higher than nominal and never reaches min_alpha.
  fastw2v does not copy this.

This script trains fastw2v (exact mode) on a corpus_file, optionally reading it in order (as
fastw2v did before it read one part per worker: ``sequential``) and/or with gensim's schedule
(``schedule``), and prints WordSim-353 and analogy scores, so the effect of each can be seen on the
same kernels. ``--system gensim-fixed`` trains gensim's own corpus_file mode with the schedule
mended from the outside: it passes ``total_examples = corpus_count // workers``, which each worker
uses for its progress (so it covers the whole schedule), while the words each worker reads are still
bounded by ``total_words / workers``:

    python benchmarks/gensim_schedule_check.py --corpus dev.txt --emulate sequential
    python benchmarks/gensim_schedule_check.py --corpus dev.txt --emulate schedule --sg 0
    python benchmarks/gensim_schedule_check.py --corpus dev.txt --system gensim-fixed --sg 0
"""
import argparse
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from fastw2v import Word2Vec  # noqa: E402
from fastw2v import engine as _engine  # noqa: E402
from fastw2v import model as _model  # noqa: E402


def _sequential(path, parts):
    return [(0, None)]   # one range, the whole file: read in order


def _per_worker_schedule(workers):
    def schedule(start_alpha, end_alpha, epochs, epoch, expected_words):
        def alpha_at(words_done):
            progress = (epoch + min(words_done / expected_words / workers, 1.0)) / max(epochs, 1)
            return start_alpha - (start_alpha - end_alpha) * progress
        return alpha_at
    return schedule


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", required=True, help="plain LineSentence file")
    parser.add_argument("--eval-dir", default=os.path.join(ROOT, "..", "shared", "corpora"))
    parser.add_argument("--emulate", default="none", help="comma list of sequential, schedule, or none")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--sg", type=int, default=1, help="1 skip-gram (alpha 0.025), 0 CBOW (alpha 0.05)")
    parser.add_argument("--system", default="fastw2v", choices=["fastw2v", "gensim-fixed"])
    args = parser.parse_args()
    emulate = set(args.emulate.split(",")) - {"none", ""}
    if emulate - {"sequential", "schedule"}:
        parser.error(f"unknown --emulate value(s): {sorted(emulate - {'sequential', 'schedule'})}")
    if "sequential" in emulate:
        _model.file_partitions = _sequential
    if "schedule" in emulate:
        _engine.alpha_schedule = _per_worker_schedule(args.workers)
    alpha = 0.025 if args.sg else 0.05   # compare.py's settings
    settings = dict(vector_size=100, window=5, min_count=5, sample=1e-3, negative=5, sg=args.sg,
                    workers=args.workers, epochs=args.epochs, alpha=alpha, min_alpha=alpha * 1e-4,
                    seed=args.seed)
    if args.system == "gensim-fixed":
        if emulate:
            parser.error("--emulate applies to fastw2v only")
        from gensim.models import Word2Vec as GensimWord2Vec
        model = GensimWord2Vec(**settings)
        model.build_vocab(corpus_file=args.corpus)
        model.train(corpus_file=args.corpus, total_examples=model.corpus_count // args.workers,
                    total_words=model.corpus_total_words, epochs=args.epochs)
    else:
        model = Word2Vec(corpus_file=args.corpus, **settings)
    pairs = model.wv.evaluate_word_pairs(os.path.join(args.eval_dir, "wordsim353.tsv"))[1][0]
    analogies = model.wv.evaluate_word_analogies(
        os.path.join(args.eval_dir, "questions-words.txt"), restrict_vocab=30000)[0]
    what = "gensim, schedule mended" if args.system == "gensim-fixed" else \
        f"emulate={sorted(emulate) or 'none'}"
    print(f"sg={args.sg} {what} seed={args.seed}: "
          f"WordSim-353 Spearman {pairs:.4f}, analogy accuracy {analogies:.4f}")


if __name__ == "__main__":
    main()
