"""fastw2v: fast word2vec training with a gensim-compatible API.

Public names: Word2Vec, KeyedVectors, Embedding, __version__, and gensim's everyday names
(CallbackAny2Vec, LineSentence, PathLineSentences, Text8Corpus, BrownCorpus). gensim's module paths
exist too: ``fastw2v.word2vec``, ``fastw2v.keyedvectors``, ``fastw2v.callbacks``.
"""
__version__ = "0.1.0"

__all__ = ["Word2Vec", "KeyedVectors", "Embedding", "CallbackAny2Vec", "LineSentence",
           "PathLineSentences", "Text8Corpus", "BrownCorpus", "__version__"]

def _find_installed_extensions():
    """Let a source checkout without built extensions use the installed ones.

    Running ``python -c "import fastw2v._core"`` from the repository root after ``pip install .``
    imports this source folder, which has only ``_core.pyx``; the compiled modules live in the
    installed copy. Appending that copy to ``__path__`` lets submodule lookup find them.
    """
    import glob
    import os
    import sys

    here = os.path.dirname(os.path.abspath(__file__))
    if glob.glob(os.path.join(here, "_core.*.so")) or glob.glob(os.path.join(here, "_core.*.pyd")):
        return
    for entry in sys.path:
        candidate = os.path.join(os.path.abspath(entry or os.curdir), "fastw2v")
        if candidate != here and glob.glob(os.path.join(candidate, "_core.*")):
            __path__.append(candidate)  # noqa: F821  (module attribute of a package)
            return


_find_installed_extensions()

_LAZY = {
    "Word2Vec": "fastw2v.model",
    "KeyedVectors": "fastw2v.keyedvectors",
    "Embedding": "fastw2v.embedding",
    "CallbackAny2Vec": "fastw2v.callbacks",
    "LineSentence": "fastw2v.corpus",
    "PathLineSentences": "fastw2v.corpus",
    "Text8Corpus": "fastw2v.corpus",
    "BrownCorpus": "fastw2v.corpus",
}


def __getattr__(name):
    # Lazy so that `import fastw2v` stays cheap and submodules import only what they use.
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'fastw2v' has no attribute {name!r}")


def __dir__():
    return sorted(list(globals()) + list(_LAZY))
