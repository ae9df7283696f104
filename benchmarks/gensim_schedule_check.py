"""Why does gensim's corpus_file mode score higher on WordSim-353 than its own iterable mode?

An investigation script, not part of the suite. gensim 4.4's corpus_file mode differs from its
iterable mode (and from fastw2v) in two ways with ``workers=W > 1``:

* each worker reads its own 1/W of the file (like word2vec.c), so the workers train on distant parts
  of the corpus at the same time;
* each worker computes the learning rate from its *own* word count divided by the *whole* expected
  count (``word2vec_corpusfile.pyx``, ``get_next_alpha``), so within an epoch the schedule only
  advances 1/W of the way: the learning rate stays higher than nominal and never reaches min_alpha.

This script trains fastw2v (exact mode) on a corpus_file with either, both or neither of those
behaviours emulated by patching the trainer's batch order and schedule, and prints WordSim-353 and
analogy scores, so the effect of each can be seen on the same kernels:

    python benchmarks/gensim_schedule_check.py --emulate none
    python benchmarks/gensim_schedule_check.py --emulate partition,schedule
"""
import argparse
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from fastw2v import Word2Vec  # noqa: E402
from fastw2v import model as _model  # noqa: E402


def _partitioned(parts):
    plain = _model.Word2Vec._batches

    def batches(self, corpus_iterable, corpus_file):
        # Round-robin over `parts` contiguous slices of the epoch's batches: the workers then train
        # on distant parts of the corpus at once, as gensim's corpus_file workers and word2vec.c's
        # threads do.
        all_batches = list(plain(self, corpus_iterable, corpus_file))
        size = -(-len(all_batches) // parts)
        slices = [all_batches[k * size:(k + 1) * size] for k in range(parts)]
        return iter([s[j] for j in range(size) for s in slices if j < len(s)])
    return batches


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
    parser.add_argument("--emulate", default="none", help="comma list of partition, schedule, or none")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    emulate = set(args.emulate.split(",")) - {"none", ""}
    if "partition" in emulate:
        _model.Word2Vec._batches = _partitioned(args.workers)
    if "schedule" in emulate:
        _model._alpha_schedule = _per_worker_schedule(args.workers)
    model = Word2Vec(corpus_file=args.corpus, vector_size=100, window=5, min_count=5, sample=1e-3,
                     negative=5, sg=1, workers=args.workers, epochs=args.epochs, alpha=0.025,
                     min_alpha=0.025e-4, seed=args.seed)
    pairs = model.wv.evaluate_word_pairs(os.path.join(args.eval_dir, "wordsim353.tsv"))[1][0]
    analogies = model.wv.evaluate_word_analogies(
        os.path.join(args.eval_dir, "questions-words.txt"), restrict_vocab=30000)[0]
    print(f"emulate={sorted(emulate) or 'none'} seed={args.seed}: WordSim-353 Spearman {pairs:.4f}, "
          f"analogy accuracy {analogies:.4f}")


if __name__ == "__main__":
    main()
