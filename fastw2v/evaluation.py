"""Evaluation of word vectors against human judgements: word-pair similarity (e.g. WordSim-353) and
analogies (``questions-words.txt``), with gensim's file formats, defaults and return values.

Every function takes the ``KeyedVectors`` to evaluate as its first argument and uses only its
public lookups and its row norms; ``KeyedVectors.evaluate_word_pairs`` and
``evaluate_word_analogies`` are one-line delegations here (gensim's method names).
"""
import logging
from numbers import Integral

import numpy as np

from . import io as _io

logger = logging.getLogger(__name__)

__all__ = ["evaluate_word_pairs", "evaluate_word_analogies", "check_bound", "ANALOGY_TOPN",
           "COSMUL_EPSILON"]

ANALOGY_TOPN = 5  # candidates examined per analogy question, as in gensim
COSMUL_EPSILON = 1e-6  # added to 3CosMul's denominator (Levy & Goldberg 2014, as gensim)
_QUERY_BLOCK_ELEMENTS = 1 << 24  # max entries of a (questions x vocabulary) score block


def check_bound(name, value):
    """``value`` as an int >= 0, or None (restrict_vocab, clip_start, clip_end)."""
    if value is None:
        return None
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, Integral):
        raise TypeError(f"{name} must be an int or None, got {type(value).__name__} {value!r}")
    if value < 0:
        raise ValueError(f"{name} must be >= 0 (or None), got {value}")
    return int(value)


def _eval_vocab(kv, restrict_vocab, case_insensitive):
    """(key -> row over the first rows, canonical row of each of those rows).

    With ``case_insensitive`` keys are upper-cased and the first (most frequent) variant wins.
    ``restrict_vocab``: an int >= 0 (0 or None: every key), else TypeError/ValueError.
    """
    restrict_vocab = check_bound("restrict_vocab", restrict_vocab)
    keys = kv.index_to_key[:restrict_vocab] if restrict_vocab else kv.index_to_key
    ok = {}
    for i in range(len(keys) - 1, -1, -1):
        if keys[i] is not None:
            ok[keys[i].upper() if case_insensitive else keys[i]] = i
    canon = np.arange(len(keys), dtype=np.int64)
    if case_insensitive:
        canon = np.fromiter((ok[k.upper()] if k is not None else -1 for k in keys),
                            dtype=np.int64, count=len(keys))
    return ok, canon, len(keys)

def evaluate_word_pairs(kv, pairs, delimiter="\t", encoding="utf8", restrict_vocab=300000,
                        case_insensitive=True, dummy4unknown=False):
    """Correlate model cosine similarities with human judgements (e.g. WordSim-353), like gensim.

    ``pairs``: a file of ``word1<delimiter>word2<delimiter>score`` lines ('#' lines are
    comments, malformed lines are skipped; .gz/.bz2 fine). Pairs with a word outside the first
    ``restrict_vocab`` keys are skipped, or scored 0 when ``dummy4unknown``.
    Returns ``(pearson, spearman, oov_ratio)``: SciPy's ``pearsonr`` and ``spearmanr`` results
    (``[0]`` the coefficient, ``[1]`` the two-sided p-value) and the percentage of pairs with an
    unknown word. Raises ValueError if no pair is usable.
    """
    from scipy import stats

    ok, _, _ = _eval_vocab(kv, restrict_vocab, case_insensitive)
    gold, rows_a, rows_b, dummies = [], [], [], []
    oov = nonfinite = 0
    with _io.open_maybe_compressed(pairs, "rb") as f:
        for line_no, raw in enumerate(f, 1):
            try:
                line = raw.decode(encoding)
            except UnicodeDecodeError as exc:
                raise ValueError(f"{pairs}: line {line_no}: not valid {encoding} ({exc.reason})"
                                 ) from None
            if not line or line.startswith("#"):
                continue
            parts = line.split(delimiter)
            if case_insensitive:
                parts = [p.upper() for p in parts]
            try:
                a, b, score = parts
                score = float(score)
            except ValueError:
                logger.info("skipping invalid line %d in %s", line_no, pairs)
                continue
            if not np.isfinite(score):   # a "nan" or "inf" judgement would poison both scores
                logger.info("skipping line %d in %s: score %r is not a finite number", line_no,
                            pairs, score)
                nonfinite += 1
                continue
            if a not in ok or b not in ok:
                oov += 1
                if dummy4unknown:
                    gold.append(score)
                    dummies.append(True)
                    rows_a.append(0)
                    rows_b.append(0)
                continue
            gold.append(score)
            dummies.append(False)
            rows_a.append(ok[a])
            rows_b.append(ok[b])
    if not gold:
        raise ValueError(f"no valid similarity judgements found in {pairs}: either invalid "
                         f"format or all are out-of-vocabulary in {kv}")
    rows_a, rows_b = np.asarray(rows_a), np.asarray(rows_b)
    inv = kv._inv()
    # unit rows in float64 first: right for vectors of any finite magnitude
    model = np.einsum("ij,ij->i", kv._vectors[rows_a].astype(np.float64) * inv[rows_a, None],
                      kv._vectors[rows_b].astype(np.float64) * inv[rows_b, None])
    model[np.asarray(dummies, dtype=bool)] = 0.0
    gold = np.asarray(gold, dtype=np.float64)
    spearman = stats.spearmanr(gold, model)
    pearson = stats.pearsonr(gold, model)
    scored = len(gold) if dummy4unknown else len(gold) + oov
    oov_ratio = 100.0 * oov / scored
    logger.info("Pearson %.4f, Spearman %.4f against %s; %.1f%% pairs with unknown words; "
                "%d lines skipped for a score that is not a finite number",
                pearson[0], spearman[0], pairs, oov_ratio, nonfinite)
    return pearson, spearman, oov_ratio

def evaluate_word_analogies(kv, analogies, restrict_vocab=300000, case_insensitive=True,
                            dummy4unknown=False, similarity_function="most_similar"):
    """Accuracy on an analogy file in the ``questions-words.txt`` format, like gensim.

    Lines ``a b c expected`` grouped by ``: section`` lines. Each question is answered over the
    first ``restrict_vocab`` keys: the best of the top 5 by
    ``most_similar(positive=[b, c], negative=[a])`` (3CosAdd, ``similarity_function=
    "most_similar"``) or by ``most_similar_cosmul(positive=[b, c], negative=[a])`` (3CosMul,
    ``"most_similar_cosmul"``; gensim 4.4 accepts that name but answers with 3CosAdd) that is
    not a (case variant of) a, b or c.
    Questions with a word outside those keys are skipped (counted incorrect when
    ``dummy4unknown``). Returns ``(score, sections)``: the overall accuracy and a list of
    ``{"section", "correct", "incorrect"}`` dicts (word tuples upper-cased when
    ``case_insensitive``), the last one ``"Total accuracy"``.

    All questions are answered together: one (questions x vocabulary) matrix product per
    block of questions, ``argpartition`` for the candidates, no per-question Python loop.
    """
    if similarity_function not in ("most_similar", "most_similar_cosmul"):
        raise ValueError("similarity_function must be 'most_similar' (3CosAdd) or "
                         f"'most_similar_cosmul' (3CosMul), got {similarity_function!r}")
    ok, canon, size = _eval_vocab(kv, restrict_vocab, case_insensitive)
    sections, questions, rows = [], [], []  # questions: (section, words, in_vocab)
    quadruplets = oov = 0
    with _io.open_maybe_compressed(analogies, "rb") as f:
        for line_no, raw in enumerate(f, 1):
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise ValueError(f"{analogies}: line {line_no}: not valid UTF-8 ({exc.reason})"
                                 ) from None
            if line.startswith(": "):
                sections.append(line.lstrip(": ").strip())
                continue
            words = line.split()
            if not words:
                continue
            if not sections:
                raise ValueError(f"{analogies}: line {line_no}: question before the first "
                                 "': section' line")
            if len(words) != 4:
                logger.info("skipping invalid line %d in %s", line_no, analogies)
                continue
            if case_insensitive:
                words = [w.upper() for w in words]
            quadruplets += 1
            if not all(w in ok for w in words):
                oov += 1
                if dummy4unknown:
                    questions.append((len(sections) - 1, tuple(words), False))
                continue
            questions.append((len(sections) - 1, tuple(words), True))
            rows.append([ok[w] for w in words])
    if quadruplets == 0:
        raise ValueError(f"no analogy questions found in {analogies}")
    correct = _answer_analogies(kv, np.asarray(rows, dtype=np.int64).reshape(-1, 4), canon,
                                     size, cosmul=similarity_function == "most_similar_cosmul")
    results = [{"section": name, "correct": [], "incorrect": []} for name in sections]
    answers = iter(correct.tolist())
    for section, words, known in questions:
        good = next(answers) if known else False
        results[section]["correct" if good else "incorrect"].append(words)
    total = {"section": "Total accuracy",
             "correct": [q for s in results for q in s["correct"]],
             "incorrect": [q for s in results for q in s["incorrect"]]}
    results.append(total)
    for section in results:
        n = len(section["correct"]) + len(section["incorrect"])
        if n:
            logger.info("%s: %.1f%% (%d/%d)", section["section"],
                        100.0 * len(section["correct"]) / n, len(section["correct"]), n)
    logger.info("quadruplets with out-of-vocabulary words: %.1f%%", 100.0 * oov / quadruplets)
    n_total = len(total["correct"]) + len(total["incorrect"])
    score = len(total["correct"]) / n_total if n_total else 0.0
    return score, results

def _answer_analogies(kv, rows, canon, size, cosmul=False):
    """Boolean per question (rows: ``[a, b, c, expected]``): is the 3CosAdd (3CosMul when
    ``cosmul``) answer right?"""
    n = len(rows)
    correct = np.zeros(n, dtype=bool)
    if n == 0 or size == 0:
        return correct
    inv = kv._inv()[:size]
    vectors = kv._vectors[:size]
    a, b, c, expected = rows.T

    def unit(r):
        return vectors[r].astype(np.float64) * inv[r, None]

    if cosmul:  # one (questions x vocabulary) cosine block per word of the question
        terms = [unit(r) for r in (a, b, c)]
    else:
        queries = unit(b) + unit(c) - unit(a)
        qnorm = np.linalg.norm(queries, axis=1, keepdims=True)
        queries = np.divide(queries, qnorm, out=np.zeros_like(queries), where=qnorm > 0)
        terms = [queries]
    extreme = kv._extreme[kv._extreme < size]
    exact = np.asarray(vectors[extreme], dtype=np.float64) * inv[extreme, None]
    low = [t.astype(vectors.dtype) for t in terms]

    def cosines(j, sl):
        """(m, size) cosines of the questions ``sl`` with term j, in the vectors' dtype; rows
        of extreme magnitude recomputed in float64 (see _SAFE_NORM_MIN/MAX)."""
        cos = low[j][sl] @ vectors.T
        np.multiply(cos, inv, out=cos, casting="same_kind")
        if len(extreme):
            cos[:, extreme] = terms[j][sl] @ exact.T
        return cos
    k = min(ANALOGY_TOPN, size)
    block = max(1, _QUERY_BLOCK_ELEMENTS // (size * len(terms)))
    for start in range(0, n, block):
        sl = slice(start, min(start + block, n))
        m = sl.stop - sl.start
        if cosmul:  # the arithmetic of most_similar_cosmul: cosines in the vectors' dtype
            shifted = [(1 + cosines(j, sl).astype(np.float64)) / 2 for j in range(3)]
            scores = shifted[1] * shifted[2] / (shifted[0] + COSMUL_EPSILON)
        else:
            scores = cosines(0, sl)  # (m, size)
        here = np.arange(m)
        for col in (a, b, c):
            scores[here, col[sl]] = -np.inf
        # Top k by k argmax passes (first index wins ties): sorted, and several times faster
        # than argpartition for k = 5 over a large vocabulary.
        cand = np.empty((m, k), dtype=np.int64)
        cand_scores = np.empty((m, k), dtype=scores.dtype)
        for j in range(k):
            best = scores.argmax(axis=1)
            cand[:, j] = best
            cand_scores[:, j] = scores[here, best]
            scores[here, best] = -np.inf
        valid = cand_scores != -np.inf
        words = canon[cand]
        acceptable = valid & (words != a[sl, None]) & (words != b[sl, None]) & (words != c[sl, None])
        n_valid = valid.sum(axis=1)
        # gensim takes the first acceptable candidate; failing that, the last one it examined.
        pos = np.where(acceptable.any(axis=1), acceptable.argmax(axis=1), np.maximum(n_valid - 1, 0))
        predicted = np.where(n_valid > 0, words[here, pos], -1)
        correct[sl] = predicted == expected[sl]
    return correct
