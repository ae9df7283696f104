"""Tiny planted-structure corpus and evaluation files for ``compare.py --smoke``.

The corpus is synthetic, deterministic and about 20,000 tokens, so that every system trains in well
under a second and the evaluators have something to find:

* topics: ``N_TOPICS`` groups of words; a topic sentence draws all its words from one group, so words
  of one group are related (the word-pair file scores them high, cross-group pairs low);
* a planted relation: ``land<i>`` and ``city<i>`` share the words ``p<i>x*`` of their pair ``i``, and
  each role has its own marker words, so ``land0 : city0 :: land1 : city1`` is an analogy the vectors
  can learn (the analogy file asks all ordered pairs).
"""
import random

# Enough word types (about 460) that fastText's 100-d input matrix (> 128 KiB) is mmap-allocated,
# i.e. zeroed: fastText 0.9.x initialises only thread/10 of that matrix, and a small matrix carved
# from reused heap memory can start with garbage and end in "Encountered NaN" (fastText #1061).
N_TOPICS = 10
WORDS_PER_TOPIC = 40
N_PAIRS = 10
MARKERS_PER_ROLE = 4
PAIR_WORDS = 3


def _topic_word(k, j):
    return f"topic{k}word{j}"


def _pair_word(i, j):
    return f"p{i}x{j}"


def write_corpus(path, n_tokens=20000, seed=12345):
    """Write the planted corpus as a LineSentence file (one sentence per line); return its token count."""
    rng = random.Random(seed)
    written = 0
    with open(path, "w", encoding="utf-8") as out:
        while written < n_tokens:
            if rng.random() < 0.6:
                k = rng.randrange(N_TOPICS)
                words = [_topic_word(k, rng.randrange(WORDS_PER_TOPIC)) for _ in range(10)]
            else:
                i = rng.randrange(N_PAIRS)
                role = rng.choice(("land", "city"))
                words = [f"{role}{i}"]
                words += [f"{role}ish{rng.randrange(MARKERS_PER_ROLE)}" for _ in range(3)]
                words += [_pair_word(i, rng.randrange(PAIR_WORDS)) for _ in range(3)]
                rng.shuffle(words)
            out.write(" ".join(words) + "\n")
            written += len(words)
    return written


def write_wordsim(path, seed=12345):
    """Write a WordSim-353-style file: same-topic pairs score 8-10, cross-topic pairs 0-2."""
    rng = random.Random(seed)
    lines = ["# planted word pairs for the compare.py smoke run", "# Word 1\tWord 2\tScore"]
    for _ in range(40):
        k = rng.randrange(N_TOPICS)
        a, b = rng.sample(range(WORDS_PER_TOPIC), 2)
        lines.append(f"{_topic_word(k, a)}\t{_topic_word(k, b)}\t{rng.uniform(8, 10):.2f}")
        k2 = (k + 1 + rng.randrange(N_TOPICS - 1)) % N_TOPICS
        lines.append(f"{_topic_word(k, a)}\t{_topic_word(k2, b)}\t{rng.uniform(0, 2):.2f}")
    with open(path, "w", encoding="utf-8") as out:
        out.write("\n".join(lines) + "\n")


def write_questions(path):
    """Write a questions-words-style file with every ordered pair of the planted relation."""
    lines = [": planted-land-city"]
    for i in range(N_PAIRS):
        for j in range(N_PAIRS):
            if i != j:
                lines.append(f"land{i} city{i} land{j} city{j}")
    with open(path, "w", encoding="utf-8") as out:
        out.write("\n".join(lines) + "\n")
