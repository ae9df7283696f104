"""One evaluator for every system's vectors: WordSim-353 Spearman and analogy accuracy.

Prefers ``fastw2v.KeyedVectors`` (gensim-compatible ``load_word2vec_format``,
``evaluate_word_pairs``, ``evaluate_word_analogies``) and falls back to gensim's ``KeyedVectors``
while fastw2v's is not available. Whichever is chosen evaluates all systems of a report, and the
report names it.
"""
import logging
import time

ANALOGY_RESTRICT_VOCAB = 30000  # the usual restriction of questions-words.txt to frequent words
_API = ("load_word2vec_format", "evaluate_word_pairs", "evaluate_word_analogies")


def _pick_keyedvectors():
    """Return (class, description) of the evaluator, or (None, reason) if none is installed."""
    reasons = []
    try:
        import fastw2v
        from fastw2v import KeyedVectors

        if all(hasattr(KeyedVectors, name) for name in _API):
            return KeyedVectors, f"fastw2v.KeyedVectors {fastw2v.__version__}"
        reasons.append("fastw2v.KeyedVectors lacks " + ", ".join(n for n in _API if not hasattr(KeyedVectors, n)))
    except (ImportError, AttributeError) as exc:
        reasons.append(f"fastw2v.KeyedVectors not available ({exc})")
    try:
        import gensim
        from gensim.models import KeyedVectors
    except ImportError as exc:
        reasons.append(f"gensim not installed ({exc})")
        return None, "; ".join(reasons)
    return KeyedVectors, f"gensim.models.KeyedVectors {gensim.__version__} (fallback: {'; '.join(reasons)})"


def _statistic(value):
    """The number in a scipy result / (statistic, p-value) pair / plain float."""
    if hasattr(value, "statistic"):
        return float(value.statistic)
    if isinstance(value, (tuple, list)):
        return float(value[0])
    return float(value)


class Evaluator:
    def __init__(self, wordsim_path, questions_path):
        self.wordsim_path = wordsim_path
        self.questions_path = questions_path
        self.kv_class, self.description = _pick_keyedvectors()

    @property
    def available(self):
        return self.kv_class is not None

    def evaluate(self, vectors_path):
        """Evaluate a word2vec binary file; return a dict of the scores (NaN-free floats or None)."""
        logging.getLogger("gensim").setLevel(logging.WARNING)
        t0 = time.perf_counter()
        kv = self.kv_class.load_word2vec_format(vectors_path, binary=True)
        result = {}
        if self.wordsim_path:
            _, spearman, oov = kv.evaluate_word_pairs(self.wordsim_path)
            result["wordsim_spearman"] = _statistic(spearman)
            result["wordsim_oov_pct"] = float(oov)
        if self.questions_path:
            score, sections = kv.evaluate_word_analogies(self.questions_path,
                                                         restrict_vocab=ANALOGY_RESTRICT_VOCAB)
            result["analogy_acc"] = float(score)
            total = sections[-1] if sections else {}
            if isinstance(total, dict) and "correct" in total:
                result["analogy_questions"] = len(total["correct"]) + len(total.get("incorrect", []))
        result["eval_s"] = time.perf_counter() - t0
        return result
