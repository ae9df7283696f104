"""The package's layering: no import circle among fastw2v's modules (docs/architecture.md).

The graph is built from the source with ``ast`` (nothing is imported): an edge A -> B for every
``import fastw2v.B``, ``from fastw2v import B``, ``from fastw2v.B import x``, ``from . import B`` or
``from .B import x`` in module A. **Every** import statement counts, wherever it stands: at module
level, inside a function, under ``try`` or ``if``. A deferred import is still a dependency (it only
moves the failure from import time to call time), so hiding a circle inside a function does not make
it go away. The Cython sources (``*.pyx``) are read too, by their ``from . import`` /
``from .x import`` lines (``cimport`` lines are compile-time and not Python imports).
"""
import ast
import os
import re

import pytest

PACKAGE = "fastw2v"
ROOT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), PACKAGE)
_PYX_IMPORT = re.compile(r"^\s*from\s+(\.+\w*(?:\.\w+)*)\s+import\s+(.+)$", re.MULTILINE)


def _modules():
    """name -> path of every module of the package: ``*.py`` (``__init__`` is the package itself)
    and ``*.pyx`` (compiled extensions)."""
    found = {}
    for entry in sorted(os.listdir(ROOT)):
        stem, ext = os.path.splitext(entry)
        if ext in (".py", ".pyx"):
            found[PACKAGE if stem == "__init__" else f"{PACKAGE}.{stem}"] = os.path.join(ROOT, entry)
    found.setdefault(f"{PACKAGE}._core_avx2", found.get(f"{PACKAGE}._core"))  # same source, -mavx2
    return found


def _resolve(module, level, name):
    """The absolute name of ``from <level dots><name>`` written in ``module``."""
    if not level:
        return name
    package = module if module == PACKAGE else module.rsplit(".", 1)[0]
    parts = package.split(".")
    base = ".".join(parts[:len(parts) - (level - 1)])
    return f"{base}.{name}" if name else base


def _targets(module, source_module, names, known):
    """Modules of the package that ``from <source_module> import <names>`` depends on."""
    if source_module != PACKAGE and not source_module.startswith(PACKAGE + "."):
        return set()
    out = set()
    for alias in names:
        sub = f"{source_module}.{alias}"
        # ``from fastw2v import _text`` imports the module fastw2v._text; ``from fastw2v.io import
        # atomic_write`` depends on fastw2v.io
        out.add(sub if sub in known else source_module)
    return {t for t in out if t in known and t != module}


def _edges(module, path, known):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    deps = set()
    if path.endswith(".pyx"):
        for source, names in _PYX_IMPORT.findall(text):
            level = len(source) - len(source.lstrip("."))
            names = [n.strip().split(" as ")[0] for n in names.strip("() \\").split(",") if n.strip()]
            deps |= _targets(module, _resolve(module, level, source.lstrip(".")), names, known)
        return deps
    for node in ast.walk(ast.parse(text, filename=path)):   # every import, at any depth
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == PACKAGE or alias.name.startswith(PACKAGE + "."):
                    # ``import fastw2v.a.b`` runs fastw2v.a.b (and its parents)
                    deps |= {alias.name} & set(known)
        elif isinstance(node, ast.ImportFrom):
            source = _resolve(module, node.level, node.module or "")
            deps |= _targets(module, source, [a.name for a in node.names], known)
    deps.discard(module)
    return deps


def import_graph():
    known = _modules()
    return {module: _edges(module, path, known) for module, path in known.items() if path}


def find_cycle(graph):
    """One import circle as a list ``[a, b, ..., a]``, or None (depth-first search, in name order)."""
    WHITE, GREY, BLACK = 0, 1, 2
    colour = dict.fromkeys(graph, WHITE)
    stack = []

    def visit(node):
        colour[node] = GREY
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if colour.get(nxt, BLACK) == GREY:
                return stack[stack.index(nxt):] + [nxt]
            if colour.get(nxt) == WHITE:
                cycle = visit(nxt)
                if cycle:
                    return cycle
        stack.pop()
        colour[node] = BLACK
        return None

    for node in sorted(graph):
        if colour[node] == WHITE:
            cycle = visit(node)
            if cycle:
                return cycle
    return None


def test_the_graph_sees_the_imports_it_should():
    # guards the parser itself: an empty graph would pass the cycle test trivially
    graph = import_graph()
    assert "fastw2v.io" in graph["fastw2v.keyedvectors"]          # from . import io as _io
    assert "fastw2v.corpus" in graph["fastw2v.vocab"]             # from .corpus import ...
    assert "fastw2v._text" in graph["fastw2v.corpus"]             # inside a function
    assert "fastw2v.tables" in graph["fastw2v._core"]             # a .pyx
    assert "fastw2v._core" in graph["fastw2v.kernels"]


def test_find_cycle_reports_a_planted_circle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}
    assert find_cycle(graph) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_no_import_circle_in_the_package():
    cycle = find_cycle(import_graph())
    if cycle:
        pytest.fail("import circle among fastw2v's modules: " + " -> ".join(cycle))


def test_io_imports_nothing_above_it():
    # file formats are the bottom of the house: io may use no other module of the package
    assert import_graph()["fastw2v.io"] == set()


def _literal_homes(predicate):
    """Modules (``*.py``) holding a literal (string constant or tuple of constants) that
    ``predicate`` accepts."""
    homes = set()
    for module, path in _modules().items():
        if not path.endswith(".py"):
            continue
        with open(path, encoding="utf-8") as f:
            tree = ast.parse(f.read(), filename=path)
        for node in ast.walk(tree):
            try:
                value = ast.literal_eval(node) if isinstance(node, (ast.Constant, ast.Tuple)) else None
            except ValueError:
                continue
            if value is not None and predicate(value):
                homes.add(module)
    return homes


def test_one_home_per_constant():
    # STYLE: one home per constant. Adding a batch mode or renaming a file format is one edit.
    from fastw2v import _core, io, keyedvectors, kernels, model, reference, tables

    assert _literal_homes(lambda v: v == tables.BATCH_MODES) == {"fastw2v.tables"}
    for module in (_core, kernels.core, reference, model):
        assert module.BATCH_MODES is tables.BATCH_MODES, module.__name__
    formats = {io.KEYED_VECTORS_FORMAT, io.WORD2VEC_FORMAT}
    assert _literal_homes(lambda v: v in formats if isinstance(v, str) else False) == {"fastw2v.io"}
    assert keyedvectors.NATIVE_FORMAT == io.KEYED_VECTORS_FORMAT
    assert model.NATIVE_FORMAT == io.WORD2VEC_FORMAT
    assert _literal_homes(lambda v: v == tables.RNG_STREAM_STRIDE and type(v) is int) == {
        "fastw2v.tables"}
    # the hyperparameters: one list, from which what save() writes and what load() accepts come
    assert model._NATIVE_PARAMS == frozenset(model._PARAM_NAMES)
    assert model._PARAM_NAMES[:len(model._GENSIM_PARAMS)] == model._GENSIM_PARAMS
    assert list(model.Word2Vec()._params()) == list(model._PARAM_NAMES)


def _import_nodes():
    for module, path in _modules().items():
        if path.endswith(".py"):
            with open(path, encoding="utf-8") as f:
                tree = ast.parse(f.read(), filename=path)
            for node in ast.walk(tree):
                if isinstance(node, (ast.Import, ast.ImportFrom)):
                    yield module, node


def test_imports_within_the_package_are_relative():
    # one style: ``from .corpus import x``, ``from . import _text``; never ``from fastw2v...``.
    # A bare ``import fastw2v`` is allowed: it binds the package object itself (whose attributes,
    # e.g. __version__, are then read at call time), which no relative import can bind.
    absolute = [(module, node.lineno) for module, node in _import_nodes()
                if (isinstance(node, ast.ImportFrom) and not node.level and node.module
                    and (node.module == PACKAGE or node.module.startswith(PACKAGE + ".")))
                or (isinstance(node, ast.Import)
                    and any(a.name.startswith(PACKAGE + ".") for a in node.names))]
    assert not absolute, f"absolute imports of the package (make them relative): {absolute}"


def test_the_name_core_always_means_the_portable_build():
    # ``_core`` is fastw2v._core everywhere; the build the trainer dispatches to is kernels.core
    wrong = []
    for module, node in _import_nodes():
        for alias in node.names:
            if (alias.asname or alias.name) != "_core":
                continue
            portable = (isinstance(node, ast.ImportFrom) and node.level == 1 and not node.module
                        and alias.name == "_core")
            if not portable:
                wrong.append((module, node.lineno))
    assert not wrong, f"_core bound to something other than fastw2v._core: {wrong}"
