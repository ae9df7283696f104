"""gensim's ``gensim.models.word2vec`` path: re-exports of the model and the corpus readers.

``from fastw2v.word2vec import Word2Vec, LineSentence`` works as ``from gensim.models.word2vec
import ...`` does; the implementations live in ``fastw2v.model`` and ``fastw2v.corpus``.
"""
from .corpus import MAX_SENTENCE_LENGTH as MAX_WORDS_IN_BATCH
from .corpus import BrownCorpus, LineSentence, PathLineSentences, Text8Corpus
from .keyedvectors import KeyedVectors
from .model import Word2Vec

__all__ = ["Word2Vec", "LineSentence", "PathLineSentences", "Text8Corpus", "BrownCorpus",
           "KeyedVectors", "MAX_WORDS_IN_BATCH"]
