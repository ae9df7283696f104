"""A synthetic language with planted structure, shared by the behaviour tests.

Words come in topics; a sentence draws all its words from one topic, plus a few function words that
appear everywhere. A word's nearest neighbours should therefore be words of its own topic.
"""
import numpy as np


def planted_corpus(n_topics=6, words_per_topic=8, n_sentences=1500, sentence_length=12, seed=0,
                   n_function_words=4):
    rng = np.random.default_rng(seed)
    topics = [[f"t{t}w{w}" for w in range(words_per_topic)] for t in range(n_topics)]
    function_words = [f"fn{i}" for i in range(n_function_words)]
    sentences = []
    for _ in range(n_sentences):
        topic = topics[rng.integers(n_topics)]
        words = []
        for _ in range(sentence_length):
            if rng.random() < 0.2:
                words.append(function_words[rng.integers(n_function_words)])
            else:
                words.append(topic[rng.integers(words_per_topic)])
        sentences.append(words)
    return sentences, topics


def topic_of(word):
    return word.split("w")[0]


def neighbour_purity(wv, topics, topn=3):
    """Share of topic words whose topn nearest neighbours all belong to the same topic."""
    hits = total = 0
    for topic in topics:
        for word in topic:
            neighbours = [w for w, _ in wv.most_similar(word, topn=topn)]
            hits += sum(topic_of(n) == topic_of(word) for n in neighbours)
            total += topn
    return hits / total
