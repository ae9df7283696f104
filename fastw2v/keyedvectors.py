"""KeyedVectors: word -> vector lookups, similarity queries and files (evaluation and sentence
vectors are delegated to ``fastw2v.evaluation`` and ``fastw2v.sentences``).

The class mirrors gensim 4's ``gensim.models.KeyedVectors`` names and semantics (``index_to_key``,
``key_to_index``, ``vectors``, ``most_similar`` ...), with these deliberate differences:

* Keys are ``str``. An ``int`` is accepted wherever a key is, meaning a row index (as in gensim).
* A key that is not in the vocabulary raises ``KeyError`` naming it in every query, including
  ``n_similarity`` and ``doesnt_match`` (gensim silently ignores unknown words there);
  ``get_mean_vector`` keeps gensim's ``ignore_missing=True`` default.
* Zero vectors have cosine similarity 0 with everything (gensim divides by a zero norm: NaN).
* Cosines are right for every finite vector: norms are computed in float64 (gensim's float32
  squares overflow from magnitudes of about 1e19, giving NaN, and underflow for tiny vectors), and
  ``similarity(w, w)`` is exactly 1.0. Query vectors and weights holding NaN or infinity, and
  negative ``restrict_vocab``/``clip_*``, raise ValueError naming the argument (gensim returns
  NaN scores, or searches from the end).
* ``evaluate_word_analogies(similarity_function="most_similar_cosmul")`` answers with 3CosMul
  (gensim 4.4 accepts the argument but always answers with 3CosAdd).
* ``most_similar_cosmul`` unit-normalises raw vectors given as queries and honours
  ``restrict_vocab`` (gensim uses raw vectors unnormalised and ignores ``restrict_vocab`` there).
* ``similarity`` returns a Python float; ``n_similarity`` of an empty list raises ValueError.
* ``save_word2vec_format`` writes rows in index order (gensim re-sorts by descending count,
  which is the same order for a vocabulary sorted by frequency, as Word2Vec's is).
* ``save``/``load`` use fastw2v's native container (see ``fastw2v.io``), never pickle.

Norm cache. Queries divide by per-row L2 norms computed once and cached. The cache is tied to a
version counter: assigning ``kv.vectors = ...``, ``add_vectors`` and friends bump it, but a change
made *in place* (``kv.vectors[i] += ...``, as training does) cannot be seen, so code that mutates
the matrix in place must call ``kv.invalidate_norms()`` (alias ``kv.vectors_changed()``) or
``kv.fill_norms(force=True)`` afterwards. ``kv.vectors_version`` exposes the counter.
"""
import datetime
import logging
import operator
import os
import platform
import sys
import warnings
from collections import Counter
from numbers import Integral, Real

import numpy as np

from . import evaluation as _evaluation
from . import io as _io
from . import sentences as _sentences
from .evaluation import COSMUL_EPSILON as _COSMUL_EPSILON
from .evaluation import check_bound as _check_bound
from .io import KEYED_VECTORS_FORMAT as NATIVE_FORMAT, KEYED_VECTORS_VERSION as NATIVE_VERSION
from .io import WORD2VEC_FORMAT as _WORD2VEC_FORMAT
from .io import check_finite_rows  # re-exported: its old home
from .sentences import SIF_A, principal_components

logger = logging.getLogger(__name__)

__all__ = ["KeyedVectors", "EmptyKeyListError", "principal_components", "REAL", "pseudorandom_weak_vector",
           "prep_vectors", "load_word2vec_format"]

REAL = np.float32  # gensim's name for the default vector dtype (``from ...keyedvectors import REAL``)
_DEFAULT_PRNG = np.random.default_rng()  # pseudorandom_weak_vector without a seed string

_NORM_BLOCK_ELEMENTS = 1 << 22  # float64 entries per block when computing norms (bounds the temporary)
# Rows whose norm lies outside [_SAFE_NORM_MIN, _SAFE_NORM_MAX] get their cosines recomputed in
# float64: in float32 their products with a unit query fall into subnormals (or near overflow).
_SAFE_NORM_MIN = 1e-15
_SAFE_NORM_MAX = 1e30
WMD_INSTALL_HINT = "pip install fastw2v[wmd]"


def _is_key(item):
    return isinstance(item, (str, Integral)) and not isinstance(item, bool)


def _as_list(value):
    """gensim's convention: a single key or 1-D vector means [it]; a 2-D array means its rows."""
    if value is None:
        return []
    if _is_key(value) or (isinstance(value, np.ndarray) and value.ndim == 1):
        return [value]
    if isinstance(value, np.ndarray) and value.ndim == 2:
        return list(value)
    return list(value)


def _row_norms(matrix):
    """L2 norm of each row of a 2-D array, as float64, right for every finite row.

    Squares are summed in float64, where no float32 value overflows or underflows; rows of wider
    dtypes whose sum of squares leaves float64's range are rescaled by their largest magnitude.
    """
    n, dim = matrix.shape
    out = np.empty(n, dtype=np.float64)
    step = max(1, _NORM_BLOCK_ELEMENTS // max(dim, 1))
    tiny = np.finfo(np.float64).tiny
    for start in range(0, n, step):
        block = np.asarray(matrix[start:start + step], dtype=np.float64)
        squares = np.einsum("ij,ij->i", block, block)
        norms = np.sqrt(squares)
        bad = ~np.isfinite(squares) | (squares < tiny)
        if bad.any():
            rows = block[bad]
            scale = np.abs(rows).max(axis=1) if dim else np.zeros(len(rows))
            scaled = rows / np.where(scale > 0, scale, 1.0)[:, None]
            norms[bad] = scale * np.sqrt(np.einsum("ij,ij->i", scaled, scaled))
        out[start:start + len(block)] = norms
    return out


def _unit(vector):
    """``vector`` (as float64) scaled to unit length; a zero vector is returned unchanged."""
    vector = np.asarray(vector, dtype=np.float64)
    norm = _row_norms(vector.reshape(1, -1))[0] if vector.ndim == 1 else np.linalg.norm(vector)
    return vector / norm if norm > 0 else vector


def _inverse(norms):
    inv = np.zeros(len(norms), dtype=np.float64)
    np.divide(1.0, norms, out=inv, where=norms > 0)
    return inv


def _extreme_rows(norms):
    """Rows (int64) whose cosines float32 arithmetic would get wrong (see _SAFE_NORM_MIN/MAX)."""
    return np.flatnonzero((norms > 0) & ((norms < _SAFE_NORM_MIN) | (norms > _SAFE_NORM_MAX)))


def _row_cosines(vectors, inv, queries, extreme):
    """Cosine of every row of ``vectors`` with each unit float64 query.

    ``queries``: ``(dim,)`` gives ``(n,)``, ``(k, dim)`` gives ``(n, k)``; ``inv``: the rows' inverse
    norms (float64); ``extreme``: positions of rows recomputed in float64. One BLAS product in the
    vectors' dtype for the rest; zero rows score 0.
    """
    dtype = vectors.dtype if vectors.dtype.kind == "f" else np.dtype(np.float64)
    raw = vectors @ queries.astype(dtype).T
    scale = inv[:, None] if queries.ndim == 2 else inv
    np.multiply(raw, scale, out=raw, casting="same_kind")
    if len(extreme):
        exact = np.asarray(vectors[extreme], dtype=np.float64) * inv[extreme, None]
        raw[extreme] = exact @ queries.T
    return raw


def _pair_cosine(u, v):
    """Cosine of two vectors in float64: 1.0 exactly for equal non-zero vectors, 0.0 when either
    is zero, otherwise clipped to [-1, 1]."""
    u = np.asarray(u, dtype=np.float64).reshape(-1)
    v = np.asarray(v, dtype=np.float64).reshape(-1)
    nu, nv = _row_norms(np.vstack([u, v]))
    if nu == 0 or nv == 0:
        return 0.0
    if np.array_equal(u, v):
        return 1.0
    return float(min(1.0, max(-1.0, np.dot(u / nu, v / nv))))


def _check_finite_vector(name, vector, size):
    """``vector`` as a float64 ``(size,)`` array; ValueError naming ``name`` for a wrong shape, NaN
    or infinity."""
    array = np.asarray(vector, dtype=np.float64).reshape(-1)
    if array.shape != (size,):
        raise ValueError(f"{name}: query vector has shape {np.shape(vector)}, expected ({size},)")
    if not np.isfinite(array).all():
        raise ValueError(f"{name}: query vector holds NaN or infinity")
    return array


def _check_weight(name, key, weight):
    if isinstance(weight, (bool, np.bool_)) or not isinstance(weight, (Real, np.number)):
        raise TypeError(f"{name}: the weight of {key!r} must be a number, got "
                        f"{type(weight).__name__} {weight!r}")
    weight = float(weight)
    if not np.isfinite(weight):
        raise ValueError(f"{name}: the weight of {key!r} is {weight}; weights must be finite")
    return weight


def _jsonable(value):
    """A lifecycle event's value as JSON can hold it: JSON's own types kept, repr() of the rest."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return repr(value)



def lifecycle_record(event_name, event):
    """gensim's lifecycle-event record: ``{**event, "datetime", "fastw2v", "python", "platform",
    "event": event_name}`` (used by KeyedVectors and Word2Vec alike)."""
    from . import __version__
    record = dict(event)
    record["datetime"] = datetime.datetime.now().isoformat()
    record["fastw2v"] = __version__
    record["python"] = sys.version
    record["platform"] = platform.platform()
    record["event"] = event_name
    return record

class EmptyKeyListError(ValueError, ZeroDivisionError):
    """An empty list of keys where a mean of vectors is needed (``n_similarity``). Also a
    ZeroDivisionError, the type gensim raises there, so ``except ZeroDivisionError:`` code works."""

class KeyedVectors:
    """Vectors addressed by string keys, with gensim 4's query and evaluation API.

    ``KeyedVectors(vector_size, count=0, dtype=np.float32)`` preallocates ``count`` empty slots (as
    gensim does, filled by ``add_vector``); :meth:`from_arrays` builds one from existing data.
    Per-key numeric attributes live in ``expandos`` (``{attr: ndarray}``), set and read with
    ``set_vecattr``/``get_vecattr``; the ``"count"`` attribute holds corpus frequencies, used by
    ``sort_by_descending_frequency`` and SIF sentence vectors.
    """

    def __init__(self, vector_size, count=0, dtype=np.float32):
        vector_size = operator.index(vector_size)
        count = operator.index(count)
        if vector_size < 1:
            raise ValueError(f"vector_size must be at least 1, got {vector_size}")
        if count < 0:
            raise ValueError(f"count must be >= 0, got {count}")
        self.vector_size = vector_size
        self.index_to_key = [None] * count
        self.key_to_index = {}
        self.next_index = 0
        self.expandos = {}
        # True when "count" holds placeholders (a word2vec file read without its vocabulary file).
        self.counts_are_placeholders = False
        self._vectors = np.zeros((count, vector_size), dtype=dtype)
        self._version = 0
        self._norms = None
        self._inv_norms = None
        self._extreme = np.zeros(0, dtype=np.int64)
        self._norms_version = -1
        self._unusable = None   # message: the vectors are known to be garbage (diverged training)
        self._lockf = None      # per-row lock factors (float32), created on first use
        self.lifecycle_events = []

    # ------------------------------------------------------------------ construction

    @classmethod
    def from_arrays(cls, index_to_key, vectors, counts=None):
        """A KeyedVectors over ``vectors`` (used as-is, not copied, when it is a 2-D float array).

        ``index_to_key``: unique str keys, one per row; ``counts``: optional per-key frequencies,
        stored as the ``"count"`` attribute (int64).
        """
        keys = list(index_to_key)
        if not (isinstance(vectors, np.ndarray) and vectors.dtype.kind == "f"):
            vectors = np.asarray(vectors, dtype=np.float32)
        if vectors.ndim != 2 or vectors.shape[0] != len(keys):
            raise ValueError(f"vectors must have shape ({len(keys)}, dim) for {len(keys)} keys, "
                             f"got {vectors.shape}")
        kv = cls(vectors.shape[1], 0, dtype=vectors.dtype)
        kv._set_keys(keys)
        kv._vectors = vectors
        kv.next_index = len(keys)
        if counts is not None:
            counts = np.asarray(counts)
            if counts.shape != (len(keys),):
                raise ValueError(f"counts must have shape ({len(keys)},), got {counts.shape}")
            if counts.dtype.kind not in "iu" and not np.array_equal(counts, np.round(counts)):
                raise ValueError("counts must be integers")
            if counts.size and counts.min() < 0:
                raise ValueError("counts must be non-negative")
            kv.expandos["count"] = counts.astype(np.int64)
        return kv

    def _set_keys(self, keys):
        key_to_index = {}
        for i, key in enumerate(keys):
            if not isinstance(key, str):
                raise TypeError(f"key at index {i} is {type(key).__name__} {key!r}; keys must be str")
            if key in key_to_index:
                raise ValueError(f"duplicate key {key!r} at indexes {key_to_index[key]} and {i}")
            key_to_index[key] = i
        self.index_to_key = list(keys)
        self.key_to_index = key_to_index

    # ------------------------------------------------------------------ vectors and norms

    @property
    def vectors(self):
        """The ``(len(self), vector_size)`` matrix, row i for ``index_to_key[i]``."""
        return self._vectors

    @vectors.setter
    def vectors(self, value):
        if not isinstance(value, np.ndarray):
            value = np.asarray(value, dtype=self._vectors.dtype)
        if value.ndim != 2:
            raise ValueError(f"vectors must be 2-D, got shape {value.shape}")
        self._vectors = value
        self.invalidate_norms()

    @property
    def vectors_version(self):
        """Counter bumped whenever the vectors are known to have changed (norms are tied to it)."""
        return self._version

    @property
    def vectors_lockf(self):
        """Lock factors (float32), gensim's experimental feature: training multiplies every update
        of row i by ``vectors_lockf[i]`` (0.0 freezes the row; 1.0, the default, trains it as
        usual). A length-1 array applies its one factor to every row (gensim's default shape).

        Created as ``ones(len(self))`` on first use and kept, so item assignment
        (``wv.vectors_lockf[i] = 0.0``) persists; rows added later get factor 1.0. Set it to a 1-D
        array of length 1 or ``len(self)`` of finite numbers, or None to go back to the default.
        Not saved by :meth:`save`.
        """
        n = len(self)
        lockf = getattr(self, "_lockf", None)
        if lockf is None:
            lockf = np.ones(n, dtype=np.float32)
        elif len(lockf) not in (1, n):  # rows added (factor 1.0) or removed since it was set
            grown = np.ones(n, dtype=np.float32)
            keep = min(n, len(lockf))
            grown[:keep] = lockf[:keep]
            lockf = grown
        self._lockf = lockf
        return lockf

    @vectors_lockf.setter
    def vectors_lockf(self, value):
        if value is None:
            self._lockf = None
            return
        try:
            lockf = np.asarray(value, dtype=np.float32)
        except (TypeError, ValueError):
            raise TypeError(f"vectors_lockf must be an array of numbers, got "
                            f"{type(value).__name__}") from None
        if lockf.ndim != 1 or len(lockf) not in (1, len(self)):
            raise ValueError(f"vectors_lockf must be a 1-D array of length 1 or len(self)="
                             f"{len(self)}, got shape {lockf.shape}")
        if not np.isfinite(lockf).all():
            raise ValueError("vectors_lockf must hold finite factors")
        self._lockf = lockf

    def invalidate_norms(self):
        """Declare that ``vectors`` changed in place: cached norms are recomputed on next use."""
        self._version += 1

    vectors_changed = invalidate_norms

    def fill_norms(self, force=False):
        """Make sure per-row L2 norms (``self.norms``, float64) match the current vectors.

        Recomputes when ``force``, when the vectors were replaced or resized, or after
        :meth:`invalidate_norms`; otherwise a no-op. Norms are exact for every finite vector (see
        :func:`_row_norms`), so huge or tiny vectors still get correct cosines.
        """
        self._check_usable()
        vectors = self._vectors
        # Read the version *before* computing: if another thread invalidates the norms meanwhile
        # (training writing in place), the result is tagged stale instead of current.
        version = self._version
        if (force or self._norms is None or self._norms_version != version
                or len(self._norms) != len(vectors)):
            norms = _row_norms(vectors)
            self._norms, self._inv_norms, self._extreme = norms, _inverse(norms), _extreme_rows(norms)
            self._norms_version = version

    @property
    def norms(self):
        """Cached per-row L2 norms, or None when not computed / stale (see :meth:`fill_norms`)."""
        if self._norms_version != self._version or (
                self._norms is not None and len(self._norms) != len(self._vectors)):
            return None
        return self._norms

    @norms.setter
    def norms(self, value):
        if value is None:
            self.invalidate_norms()
            return
        value = np.asarray(value, dtype=np.float64)
        if value.shape != (len(self._vectors),):
            raise ValueError(f"norms must have shape ({len(self._vectors)},), got {value.shape}")
        self._norms, self._inv_norms, self._extreme = value, _inverse(value), _extreme_rows(value)
        self._norms_version = self._version

    def _inv(self):
        self.fill_norms()
        return self._inv_norms

    def _mark_unusable(self, message):
        """Make queries raise (a ``FloatingPointError``) instead of returning NaN-based results:
        used when training diverged and the vectors could not be restored."""
        self._unusable = str(message)

    def _check_usable(self):
        if self._unusable is not None:
            raise FloatingPointError(f"these vectors are unusable: {self._unusable}")

    def get_normed_vectors(self):
        """A new array (the vectors' dtype) of the vectors scaled to unit length (zero rows stay zero)."""
        out = np.empty_like(self._vectors)
        np.multiply(self._vectors, self._inv()[:, None], out=out, casting="same_kind")
        return out

    def unit_normalize_all(self):
        """Scale every vector to unit length, in place (training cannot sensibly continue after)."""
        np.multiply(self._vectors, self._inv()[:, None], out=self._vectors, casting="same_kind")
        self.invalidate_norms()

    def init_sims(self, replace=False):
        """Deprecated gensim 3 name: :meth:`fill_norms` (``replace=True``: :meth:`unit_normalize_all`)."""
        warnings.warn("init_sims() is deprecated; use fill_norms()", DeprecationWarning, stacklevel=2)
        self.fill_norms()
        if replace:
            self.unit_normalize_all()

    # ------------------------------------------------------------------ lookup

    def __len__(self):
        return len(self.index_to_key)

    def __repr__(self):
        return f"{type(self).__name__}<vector_size={self.vector_size}, {len(self)} keys>"

    __str__ = __repr__

    def get_index(self, key, default=None):
        """Row of ``key``; an int in range is itself a row. Unknown: ``default``, else KeyError."""
        try:
            index = self.key_to_index.get(key, -1)
        except TypeError:  # unhashable
            index = -1
        if index >= 0:
            return index
        if isinstance(key, Integral) and not isinstance(key, bool) and 0 <= key < len(self.index_to_key):
            return int(key)
        if default is not None:
            return default
        raise KeyError(f"Key {key!r} not present in vocabulary")

    def has_index_for(self, key):
        return self.get_index(key, -1) >= 0

    def __contains__(self, key):
        return self.has_index_for(key)

    def _indexes(self, keys):
        return np.fromiter((self.get_index(k) for k in keys), dtype=np.int64, count=len(keys))

    def get_vector(self, key, norm=False):
        """The key's vector (a read-only view), unit-normalised when ``norm``."""
        self._check_usable()
        index = self.get_index(key)
        if norm:
            result = (self._vectors[index] * self._inv()[index]).astype(self._vectors.dtype)
        else:
            result = self._vectors[index]
        result.setflags(write=False)  # writing through it would bypass the norm cache
        return result

    def word_vec(self, key, norm=False):
        """gensim 3 alias of :meth:`get_vector`."""
        return self.get_vector(key, norm=norm)

    def __getitem__(self, key_or_keys):
        """The vector of one key (1-D), or a 2-D array of vectors for an iterable of keys."""
        if _is_key(key_or_keys):
            return self.get_vector(key_or_keys)
        self._check_usable()
        keys = list(key_or_keys)
        return self._vectors[self._indexes(keys)]

    def __setitem__(self, keys, weights):
        """Add or replace vectors: ``add_vectors(keys, weights, replace=True)``."""
        if not isinstance(keys, list):
            keys = [keys]
            weights = np.asarray(weights).reshape(1, -1)
        self.add_vectors(keys, weights, replace=True)

    # ------------------------------------------------------------------ per-key attributes

    def allocate_vecattrs(self, attrs=None, types=None):
        """Create the named attribute arrays and/or resize all of them to ``len(self)``."""
        if attrs is None:
            attrs = list(self.expandos)
            types = [self.expandos[a].dtype for a in attrs]
        size = len(self.index_to_key)
        for attr, kind in zip(attrs, types):
            dtype = np.dtype(np.int64 if kind is int else np.float64 if kind is float else kind)
            if dtype.kind not in "biuf":
                raise TypeError(f"attribute {attr!r}: only numeric or bool values are supported, "
                                f"got {dtype}")
            old = self.expandos.get(attr)
            if old is None:
                self.expandos[attr] = np.zeros(size, dtype=dtype)
                continue
            if not np.can_cast(dtype, old.dtype, "same_kind"):
                raise TypeError(f"attribute {attr!r} holds {old.dtype}; cannot store {dtype} in it")
            if len(old) != size:
                grown = np.zeros(size, dtype=old.dtype)
                keep = min(len(old), size)
                grown[:keep] = old[:keep]
                self.expandos[attr] = grown

    def set_vecattr(self, key, attr, val):
        """Set the numeric attribute ``attr`` of ``key`` (its array is created on first use)."""
        kind = type(val) if isinstance(val, (bool, int, float)) else np.asarray(val).dtype
        self.allocate_vecattrs([attr], [kind])
        self.expandos[attr][self.get_index(key)] = val

    def get_vecattr(self, key, attr):
        """The attribute ``attr`` of ``key`` (KeyError if either is unknown)."""
        index = self.get_index(key)
        if attr not in self.expandos:
            raise KeyError(f"attribute {attr!r} not set (known: {sorted(self.expandos)})")
        return self.expandos[attr][index]

    def _counts(self):
        counts = self.expandos.get("count")
        if counts is None or len(counts) != len(self):
            return None
        return counts

    # ------------------------------------------------------------------ adding vectors

    def add_vector(self, key, vector):
        """Add one vector, into the next preallocated slot if there is one; returns its row."""
        target = self.next_index
        if target >= len(self) or self.index_to_key[target] is not None:
            target = len(self)
            self.add_vectors([key], np.asarray(vector).reshape(1, -1))
            self.next_index = target + 1
            return target
        if not isinstance(key, str):
            raise TypeError(f"keys must be str, got {type(key).__name__} {key!r}")
        if key in self.key_to_index:
            raise ValueError(f"key {key!r} already present (row {self.key_to_index[key]})")
        self.index_to_key[target] = key
        self.key_to_index[key] = target
        self._vectors[target] = vector
        self.next_index += 1
        self.invalidate_norms()
        return target

    def add_vectors(self, keys, weights, extras=None, replace=False):
        """Append vectors for new keys; keys already present keep their vector unless ``replace``.

        ``weights``: ``(len(keys), vector_size)``; ``extras``: ``{attr: array of len(keys)}``
        per-key attributes. New keys get attribute value 0 where ``extras`` has none.
        """
        if _is_key(keys):
            keys = [keys]
            weights = np.asarray(weights).reshape(1, -1)
        keys = list(keys)
        weights = np.asarray(weights)
        if weights.ndim != 2 or weights.shape != (len(keys), self.vector_size):
            raise ValueError(f"weights must have shape ({len(keys)}, {self.vector_size}), "
                             f"got {weights.shape}")
        extras = {attr: np.asarray(v) for attr, v in (extras or {}).items()}
        for attr, values in extras.items():
            if values.shape != (len(keys),):
                raise ValueError(f"extras[{attr!r}] must have shape ({len(keys)},), got {values.shape}")
        seen = set()
        for key in keys:
            if not isinstance(key, str):
                raise TypeError(f"keys must be str, got {type(key).__name__} {key!r}")
            if key in seen:
                raise ValueError(f"key {key!r} appears twice in one add_vectors call")
            seen.add(key)
        existing = np.fromiter((self.key_to_index.get(k, -1) for k in keys), dtype=np.int64,
                               count=len(keys))
        new = np.flatnonzero(existing < 0)
        old_size = len(self.index_to_key)
        self.allocate_vecattrs(list(extras), [v.dtype for v in extras.values()])
        for j, i in enumerate(new.tolist()):
            self.key_to_index[keys[i]] = old_size + j
            self.index_to_key.append(keys[i])
        if len(new):
            self._vectors = np.concatenate(
                [self._vectors, weights[new].astype(self._vectors.dtype, copy=False)])
        self.allocate_vecattrs()
        for attr, values in extras.items():
            self.expandos[attr][old_size:] = values[new]
        if replace:
            present = np.flatnonzero(existing >= 0)
            self._vectors[existing[present]] = weights[present]
            for attr, values in extras.items():
                self.expandos[attr][existing[present]] = values[present]
        self.invalidate_norms()

    def sort_by_descending_frequency(self):
        """Reorder rows by descending ``"count"`` (ties keep their order)."""
        counts = self._counts()
        if counts is None:
            raise ValueError("no 'count' attribute to sort by")
        order = np.argsort(-counts, kind="stable")
        lockf = self.vectors_lockf
        self._set_keys([self.index_to_key[i] for i in order])
        self._vectors = self._vectors[order]
        for attr in self.expandos:
            self.expandos[attr] = self.expandos[attr][order]
        if len(lockf) > 1:
            self._lockf = lockf[order]
        self.next_index = len(self)
        self.invalidate_norms()

    def resize_vectors(self, seed=0):
        """Make ``vectors`` match ``index_to_key`` in length (as gensim): existing rows are kept,
        new rows come from :func:`prep_vectors` with ``seed`` (gensim's draws, so the same seed
        gives gensim's values); per-key attributes are resized too. Returns None."""
        target = (len(self.index_to_key), self.vector_size)
        old = self._vectors
        if old.shape != target:
            dtype = old.dtype if old.dtype in (np.float32, np.float64) else np.dtype(np.float32)
            self._vectors = prep_vectors(target, prior_vectors=old, seed=seed, dtype=dtype)
        self.allocate_vecattrs()
        self.invalidate_norms()

    def vectors_for_all(self, keys, allow_inference=True, copy_vecattrs=False):
        """A new KeyedVectors holding the vectors (copies) of those ``keys`` that are known, each
        once, in order of first appearance; unknown keys are skipped.

        ``allow_inference`` is accepted for gensim's signature (plain KeyedVectors infer nothing).
        With ``copy_vecattrs`` the per-key attributes are copied too; otherwise the new object has
        placeholder counts ``n - row``, as gensim gives it.
        """
        self._check_usable()
        vocab, seen = [], set()
        for key in keys:
            if isinstance(key, str) and key not in seen:
                seen.add(key)
                if key in self.key_to_index:
                    vocab.append(key)
        rows = self._indexes(vocab)
        kv = KeyedVectors.from_arrays(vocab, self._vectors[rows].copy(),
                                      counts=np.arange(len(vocab), 0, -1))
        kv.counts_are_placeholders = True
        if copy_vecattrs:
            for attr, values in self.expandos.items():
                kv.expandos[attr] = values[rows].copy()
            kv.counts_are_placeholders = self.counts_are_placeholders or "count" not in self.expandos
        return kv

    # ------------------------------------------------------------------ similarity queries

    def _weighted_items(self, positive, negative):
        """(items, weights, names): each item of ``positive``/``negative`` with its weight and the
        name of the argument it came from; weights are checked to be finite numbers."""
        items, weights, names = [], [], []
        for name, sign, group in (("positive", 1.0, _as_list(positive)),
                                  ("negative", -1.0, _as_list(negative))):
            for item in group:
                if _is_key(item) or isinstance(item, np.ndarray):
                    items.append(item)
                    weights.append(sign)
                else:  # (key_or_vector, weight): the weight is used as given, also in `negative`
                    items.append(item[0])
                    weights.append(_check_weight(name, item[0], item[1]))
                names.append(name)
        return items, weights, names

    def _combine(self, items, weights, pre_normalize, ignore_missing, names):
        """(weighted sum of the items' vectors, sum of |weights| used, rows of the key items).

        ``names``: the argument each item came from, named by the ValueError for a query vector of
        the wrong shape or holding NaN/infinity.
        """
        self._check_usable()
        rows, row_w, vecs, vec_w = [], [], [], []
        for item, weight, name in zip(items, weights, names):
            if isinstance(item, np.ndarray):
                vecs.append(_check_finite_vector(name, item, self.vector_size))
                vec_w.append(weight)
                continue
            index = self.get_index(item, -1)
            if index < 0:
                if ignore_missing:
                    continue
                raise KeyError(f"Key {item!r} not present in vocabulary")
            rows.append(index)
            row_w.append(weight)
        total = np.zeros(self.vector_size, dtype=np.float64)
        rows = np.asarray(rows, dtype=np.int64)
        with np.errstate(over="ignore", invalid="ignore"):  # an overflow is refused just below
            if len(rows):
                block = self._vectors[rows].astype(np.float64)
                if pre_normalize:
                    block *= self._inv()[rows, None]
                total += np.asarray(row_w) @ block
            if vecs:
                total += np.asarray(vec_w) @ np.vstack(vecs)
        if not np.isfinite(total).all():
            raise ValueError(f"{' and '.join(sorted(set(names)))}: the weighted sum of the query "
                             "overflows (vectors or weights too large)")
        used = float(np.abs(row_w).sum() + np.abs(vec_w).sum())
        return total, used, rows

    def get_mean_vector(self, keys, weights=None, pre_normalize=True, post_normalize=False,
                        ignore_missing=True):
        """Weighted mean of the vectors of ``keys`` (keys, row ints or 1-D arrays), like gensim.

        Each key's vector is unit-normalised first when ``pre_normalize``; the weighted sum is
        divided by the sum of the absolute weights used; ``post_normalize`` scales the result to
        unit length. Unknown keys are skipped when ``ignore_missing``, else KeyError.
        """
        keys = _as_list(keys) if isinstance(keys, np.ndarray) else list(keys)
        if len(keys) == 0:
            raise ValueError("cannot compute mean with no input")
        if weights is None:
            weights = np.ones(len(keys))
        weights = np.asarray(weights, dtype=np.float64).reshape(-1)
        if len(weights) != len(keys):
            raise ValueError(f"keys and weights must have the same length ({len(keys)} != "
                             f"{len(weights)})")
        if not np.isfinite(weights).all():
            raise ValueError("weights hold NaN or infinity; weights must be finite")
        total, used, _ = self._combine(keys, weights, pre_normalize, ignore_missing,
                                       ["keys"] * len(keys))
        if used > 0:
            total /= used
        if post_normalize:
            total = _unit(total)
        return total.astype(self._vectors.dtype)

    def _cosines(self, query, start=0, stop=None):
        """Cosine of every row in [start, stop) with ``query`` (``(dim,)``, or ``(k, dim)`` for an
        ``(rows, k)`` result; each query is unit-normalised, a zero query scores 0)."""
        query = np.asarray(query, dtype=np.float64)
        query = _unit(query) if query.ndim == 1 else np.vstack([_unit(q) for q in query])
        inv = self._inv()
        stop = len(self._vectors) if stop is None else min(stop, len(self._vectors))
        start = min(start, stop)
        extreme = self._extreme
        if len(extreme):
            extreme = extreme[(extreme >= start) & (extreme < stop)] - start
        return _row_cosines(self._vectors[start:stop], inv[start:stop], query, extreme)

    def _cosines_of(self, rows, query):
        """Cosine of the rows ``rows`` (an index array) with the 1-D ``query``."""
        query = _unit(query)
        inv = self._inv()
        extreme = np.flatnonzero(np.isin(rows, self._extreme)) if len(self._extreme) else self._extreme
        return _row_cosines(self._vectors[rows], inv[rows], query, extreme)

    def _top(self, scores, topn, exclude=(), offset=0):
        """[(key, score)] of the ``topn`` best rows, ties broken by row; ``exclude`` are skipped."""
        scores = np.asarray(scores)
        if len(exclude):
            scores = scores.copy()
            scores[np.asarray(exclude, dtype=np.int64)] = -np.inf
        k = min(int(topn), len(scores))
        if k <= 0:
            return []
        if k < len(scores):
            best = np.argpartition(-scores, k - 1)[:k]
        else:
            best = np.arange(len(scores))
        best = best[np.lexsort((best, -scores[best]))]
        return [(self.index_to_key[i + offset], float(scores[i]))
                for i in best.tolist() if scores[i] != -np.inf]

    def most_similar(self, positive=None, negative=None, topn=10, clip_start=0, clip_end=None,
                     restrict_vocab=None):
        """The ``topn`` keys most cosine-similar to the mean of ``positive`` minus ``negative``.

        Items are keys, row ints, 1-D vectors, or ``(item, weight)`` pairs (default weights +1 for
        positive, -1 for negative). Key vectors are unit-normalised before averaging and the mean is
        unit-normalised (word2vec.c's ``distance``/``word-analogy``). Input keys are never
        returned. ``restrict_vocab=n`` searches only the first n rows (overrides ``clip_*``; None
        or 0: all rows, as in gensim). ``topn=None`` returns the similarity of every searched row as
        an array; ``topn < 1``, []. One matrix-vector product per call; top-n by ``argpartition``.
        Raises ValueError for a query vector or weight holding NaN or infinity (naming
        ``positive`` or ``negative``) and for negative ``restrict_vocab``/``clip_start``/``clip_end``.
        """
        restrict_vocab = _check_bound("restrict_vocab", restrict_vocab)
        clip_start = _check_bound("clip_start", clip_start) or 0
        clip_end = _check_bound("clip_end", clip_end)
        if isinstance(topn, Integral) and topn < 1:
            return []
        items, weights, names = self._weighted_items(positive, negative)
        if not items:
            raise ValueError("most_similar() needs at least one positive or negative key or vector")
        total, _, rows = self._combine(items, weights, pre_normalize=True, ignore_missing=False,
                                       names=names)
        start, stop = clip_start, clip_end if clip_end is not None else len(self._vectors)
        if restrict_vocab:
            start, stop = 0, restrict_vocab
        stop = min(stop, len(self._vectors))
        start = min(start, stop)
        scores = self._cosines(total, start, stop)
        if not topn:
            return scores
        exclude = [r - start for r in rows.tolist() if start <= r < stop]
        return self._top(scores, topn, exclude, offset=start)

    def similar_by_key(self, key, topn=10, restrict_vocab=None):
        """``most_similar(positive=[key], ...)``."""
        return self.most_similar(positive=[key], topn=topn, restrict_vocab=restrict_vocab)

    similar_by_word = similar_by_key

    def similar_by_vector(self, vector, topn=10, restrict_vocab=None):
        """The ``topn`` keys most cosine-similar to ``vector`` (nothing excluded)."""
        vector = _check_finite_vector("vector", vector, self.vector_size)
        return self.most_similar(positive=[vector], topn=topn, restrict_vocab=restrict_vocab)

    def most_similar_cosmul(self, positive=None, negative=None, topn=10, restrict_vocab=None):
        """Levy & Goldberg's 3CosMul: rank rows by prod((1+cos(w,p))/2) / (prod((1+cos(w,n))/2) + 1e-6).

        Keys and vectors are unit-normalised. Input keys are never returned. One matrix product
        (rows x queries) per call. Query vectors holding NaN or infinity and a negative
        ``restrict_vocab`` raise ValueError naming the argument.
        """
        restrict_vocab = _check_bound("restrict_vocab", restrict_vocab)
        if isinstance(topn, Integral) and topn < 1:
            return []
        positive, negative = _as_list(positive), _as_list(negative)
        if not positive:
            raise ValueError("most_similar_cosmul() needs at least one positive key or vector")
        self._check_usable()
        terms, rows = [], []
        for name, group in (("positive", positive), ("negative", negative)):
            for item in group:
                if isinstance(item, np.ndarray):
                    terms.append(_check_finite_vector(name, item, self.vector_size))
                else:
                    index = self.get_index(item)
                    rows.append(index)
                    terms.append(self._vectors[index])
        stop = min(restrict_vocab or len(self._vectors), len(self._vectors))
        cos = self._cosines(np.vstack(terms), 0, stop).astype(np.float64)
        shifted = (1 + cos) / 2
        scores = (np.prod(shifted[:, :len(positive)], axis=1)
                  / (np.prod(shifted[:, len(positive):], axis=1) + _COSMUL_EPSILON))
        if not topn:
            return scores
        return self._top(scores, topn, [r for r in set(rows) if r < stop])

    @staticmethod
    def cosine_similarities(vector_1, vectors_all):
        """Cosine similarity of ``vector_1`` with each row of ``vectors_all`` (zero rows: 0).

        Right for every finite input (norms in float64); NaN or infinity in either argument
        raises ValueError naming it.
        """
        vectors_all = np.asarray(vectors_all)
        if vectors_all.ndim != 2:
            raise ValueError(f"vectors_all must be 2-D, got shape {vectors_all.shape}")
        if vectors_all.dtype.kind != "f":
            vectors_all = vectors_all.astype(np.float64)
        query = _check_finite_vector("vector_1", vector_1, vectors_all.shape[1])
        if not np.isfinite(vectors_all).all():
            raise ValueError("vectors_all holds NaN or infinity")
        norms = _row_norms(vectors_all)
        return _row_cosines(vectors_all, _inverse(norms), _unit(query), _extreme_rows(norms))

    def similarity(self, w1, w2):
        """Cosine similarity of two keys, as a float, computed in float64: exactly 1.0 for a key
        with itself (or two equal non-zero vectors), 0.0 when either vector is zero."""
        i, j = self.get_index(w1), self.get_index(w2)
        self._check_usable()
        return _pair_cosine(self._vectors[i], self._vectors[j])

    def distance(self, w1, w2):
        """Cosine distance ``1 - similarity(w1, w2)`` (exactly 0.0 for a key with itself)."""
        return 1.0 - self.similarity(w1, w2)

    def distances(self, word_or_vector, other_words=()):
        """Cosine distances from a key or vector to ``other_words`` (default: every key).

        A vector holding NaN or infinity raises ValueError naming ``word_or_vector``.
        """
        self._check_usable()
        if _is_key(word_or_vector):
            vector = self._vectors[self.get_index(word_or_vector)]
        else:
            vector = _check_finite_vector("word_or_vector", word_or_vector, self.vector_size)
        other_words = list(other_words)
        if not other_words:
            return 1 - self._cosines(vector)
        return 1 - self._cosines_of(self._indexes(other_words), vector)

    def n_similarity(self, ws1, ws2):
        """Cosine similarity of the means of two lists of keys (raw vectors averaged), computed
        as :meth:`similarity` is: ``n_similarity([a], [b]) == similarity(a, b)``."""
        ws1, ws2 = list(ws1), list(ws2)
        if not ws1 or not ws2:
            raise EmptyKeyListError("n_similarity() needs two non-empty lists of keys")
        mean1 = self.get_mean_vector(ws1, pre_normalize=False, ignore_missing=False)
        mean2 = self.get_mean_vector(ws2, pre_normalize=False, ignore_missing=False)
        return _pair_cosine(mean1, mean2)

    def relative_cosine_similarity(self, wa, wb, topn=10):
        """Relative cosine similarity of ``wb`` to ``wa`` (Leeuwenberg et al. 2016, eq. 1):
        ``similarity(wa, wb)`` divided by the sum of the similarities of ``wa``'s ``topn`` nearest
        keys. A float; ValueError when ``wa`` has no neighbours (or their similarities sum to 0)."""
        sims = self.similar_by_word(wa, topn)
        if not sims:
            raise ValueError("Cannot calculate relative cosine similarity without any similar words.")
        total = sum(sim for _, sim in sims)
        if total == 0:
            raise ValueError(f"the similarities of the {len(sims)} keys nearest {wa!r} sum to 0")
        return float(self.similarity(wa, wb)) / total

    def wmdistance(self, document1, document2, norm=True):
        """Word Mover's Distance (Kusner et al. 2015) between two token lists, as gensim computes it.

        Unknown tokens are dropped (logged); ``inf`` when a document is then empty or all word
        distances are 0, ``0.0`` when both use one and the same word. Word vectors are
        unit-normalised first when ``norm``; costs are Euclidean distances; documents are
        normalised bag-of-words histograms; solved exactly by POT's ``ot.emd2``. Needs the
        optional POT package (``pip install fastw2v[wmd]``).
        """
        try:
            from ot import emd2
        except ImportError:
            raise ImportError("wmdistance() needs the optional POT package (Python Optimal "
                              f"Transport): {WMD_INSTALL_HINT}") from None
        from scipy.spatial.distance import cdist

        self._check_usable()
        docs = []
        for name, document in (("document1", document1), ("document2", document2)):
            if isinstance(document, (str, bytes)):
                raise TypeError(f"{name} is a string; pass a list of tokens (e.g. text.split())")
            tokens = list(document)
            known = [t for t in tokens if _is_key(t) and self.has_index_for(t)]
            if len(known) < len(tokens):
                logger.info("wmdistance: removed %d unknown tokens from %s", len(tokens) - len(known),
                            name)
            docs.append(known)
        if not docs[0] or not docs[1]:
            logger.warning("At least one of the documents had no words that were in the vocabulary.")
            return float("inf")
        if len(set(docs[0]) | set(docs[1])) == 1:
            return 0.0
        counts = [Counter(doc) for doc in docs]
        words = [list(c) for c in counts]
        inv = self._inv() if norm else None
        points = []
        for doc_words in words:
            rows = self._indexes(doc_words)
            block = self._vectors[rows].astype(np.float64)
            if inv is not None:
                block *= inv[rows, None]
            points.append(block)
        cost = cdist(points[0], points[1])
        if abs(cost.sum()) < 1e-8:
            logger.info("wmdistance: all word distances are 0; returning inf (as gensim)")
            return float("inf")
        weights = [np.array([c[w] for w in ws], dtype=np.float64) / len(doc)
                   for c, ws, doc in zip(counts, words, docs)]
        return float(emd2(weights[0], weights[1], cost))

    def rank_by_centrality(self, words, use_norm=True):
        """``[(similarity, word)]`` to the normalised mean of ``words``, most central first."""
        words = list(words)
        if not words:
            raise ValueError("cannot rank an empty list of words")
        rows = self._indexes(words)
        block = self._vectors[rows].astype(np.float64)
        if use_norm:
            block *= self._inv()[rows, None]
        mean = _unit(block.mean(axis=0))
        sims = block @ mean
        order = sorted(range(len(words)), key=lambda i: (-sims[i], i))
        return [(float(sims[i]), words[i]) for i in order]

    def doesnt_match(self, words):
        """The word of ``words`` furthest from the mean of their unit vectors."""
        return self.rank_by_centrality(words)[-1][1]

    def most_similar_to_given(self, key1, keys_list):
        """The key of ``keys_list`` most similar to ``key1``."""
        keys_list = list(keys_list)
        if not keys_list:
            raise ValueError("keys_list is empty")
        sims = 1 - self.distances(key1, keys_list)
        return keys_list[int(np.argmax(sims))]

    def closer_than(self, key1, key2):
        """Keys closer (cosine) to ``key1`` than ``key2`` is, ``key1`` itself excluded."""
        distances = self.distances(key1)
        i1, i2 = self.get_index(key1), self.get_index(key2)
        return [self.index_to_key[i] for i in np.flatnonzero(distances < distances[i2]).tolist()
                if i != i1]

    def rank(self, key1, key2):
        """1 + the number of keys closer to ``key1`` than ``key2`` is."""
        return len(self.closer_than(key1, key2)) + 1

    # ------------------------------------------------------------------ evaluation

    def evaluate_word_pairs(self, pairs, delimiter="\t", encoding="utf8", restrict_vocab=300000,
                            case_insensitive=True, dummy4unknown=False):
        """Correlate cosine similarities with human judgements, like gensim: see
        :func:`fastw2v.evaluation.evaluate_word_pairs`."""
        return _evaluation.evaluate_word_pairs(self, pairs, delimiter, encoding, restrict_vocab,
                                               case_insensitive, dummy4unknown)

    def evaluate_word_analogies(self, analogies, restrict_vocab=300000, case_insensitive=True,
                                dummy4unknown=False, similarity_function="most_similar"):
        """Accuracy on a ``questions-words.txt``-format file, like gensim: see
        :func:`fastw2v.evaluation.evaluate_word_analogies`."""
        return _evaluation.evaluate_word_analogies(self, analogies, restrict_vocab, case_insensitive,
                                                   dummy4unknown, similarity_function)

    # ------------------------------------------------------------------ sentence vectors

    def sif_weights(self, a=SIF_A):
        """Per-key SIF weights: see :func:`fastw2v.sentences.sif_weights`."""
        return _sentences.sif_weights(self, a=a)

    def embed_sentences(self, sentences, weighting="mean", a=SIF_A, remove_pc=0, pre_normalize=False,
                        ignore_missing=True):
        """Sentence vectors, one row per token list: see :func:`fastw2v.sentences.embed_sentences`."""
        return _sentences.embed_sentences(self, sentences, weighting, a, remove_pc, pre_normalize,
                                          ignore_missing)

    # ------------------------------------------------------------------ files

    def save_word2vec_format(self, fname, fvocab=None, binary=False, total_vec=None,
                             write_header=True, prefix=""):
        """Write the vectors in word2vec.c's text or binary format (atomically), in index order.

        ``fvocab``: also write ``word count`` lines (needs the ``"count"`` attribute).
        ``.gz``/``.bz2``/``.xz`` paths are compressed. A word with a space or newline raises
        ValueError naming it, before anything is written.
        """
        self._check_usable()
        keys = self._filled_keys()
        if fvocab is not None and self._counts() is None:
            raise ValueError("cannot write fvocab: no 'count' attribute")
        _io.write_word2vec_format(fname, keys, self._vectors, binary=binary,
                                  write_header=write_header, total_vec=total_vec, prefix=prefix)
        if fvocab is not None:
            _io.write_vocab_counts(fvocab, [prefix + k for k in keys], self._counts())

    @classmethod
    def load_word2vec_format(cls, fname, fvocab=None, binary=False, encoding="utf8",
                             unicode_errors="strict", limit=None, datatype=np.float32,
                             no_header=False):
        """Read a word2vec.c / gensim text or binary file (``.gz``/``.bz2`` fine).

        Counts come from ``fvocab`` (a ``word count`` file) when given; otherwise, like gensim,
        placeholder counts ``n - row`` are stored (``counts_are_placeholders`` is then True).
        Raises ``fastw2v.io.VectorFileError`` (a ValueError) naming the file and line or byte
        offset for truncated or corrupt files.
        """
        keys, vectors = _io.read_word2vec_format(
            fname, binary=binary, limit=limit, unicode_errors=unicode_errors, datatype=datatype,
            no_header=no_header, encoding=encoding)
        if fvocab is not None:
            table = _io.read_vocab_counts(fvocab, encoding=encoding, unicode_errors=unicode_errors)
            missing = [k for k in keys if k not in table]
            if missing:
                warnings.warn(f"{fvocab}: no count for {len(missing)} word(s), e.g. {missing[0]!r}; "
                              "using 0", UserWarning, stacklevel=2)
            counts = np.array([table.get(k, 0) for k in keys], dtype=np.int64)
        else:
            counts = np.arange(len(keys), 0, -1, dtype=np.int64)
        kv = cls.from_arrays(keys, vectors, counts)
        kv.counts_are_placeholders = fvocab is None
        kv.add_lifecycle_event("load_word2vec_format", msg=f"loaded {vectors.shape} matrix of type "
                               f"{vectors.dtype} from {fname}", binary=binary, encoding=encoding)
        return kv

    def intersect_word2vec_format(self, fname, lockf=0.0, binary=False, encoding="utf8",
                                  unicode_errors="strict"):
        """Copy into this object the vectors that a word2vec text or binary file holds for keys
        already here, and set their lock factor (``vectors_lockf``) to ``lockf``: 0.0 (the
        default) keeps them fixed in later training, 1.0 lets them train. No key is added; keys
        the file lacks keep their vectors and factors. Returns None.

        Raises ``fastw2v.io.VectorFileError`` for a defective file and ValueError naming the file
        when its dimension differs from ``vector_size``. The file is read whole first.
        """
        lockf = _check_weight("lockf", "the merged vectors", lockf)
        keys, vectors = _io.read_word2vec_format(fname, binary=binary, encoding=encoding,
                                                 unicode_errors=unicode_errors,
                                                 datatype=np.float32)
        if vectors.shape[1] != self.vector_size:
            raise ValueError(f"{fname}: incompatible vector size {vectors.shape[1]} (this "
                             f"KeyedVectors has vector_size {self.vector_size})")
        found = [(i, self.key_to_index[k]) for i, k in enumerate(keys) if k in self.key_to_index]
        source = np.fromiter((i for i, _ in found), dtype=np.int64, count=len(found))
        target = np.fromiter((j for _, j in found), dtype=np.int64, count=len(found))
        factors = self.vectors_lockf
        if len(factors) != len(self):  # a length-1 array: one factor per row from now on
            factors = np.full(len(self), factors[0], dtype=np.float32)
        self._vectors[target] = vectors[source]
        factors[target] = lockf
        self._lockf = factors
        self.invalidate_norms()
        self.add_lifecycle_event("intersect_word2vec_format",
                                 msg=f"merged {len(found)} vectors into {self._vectors.shape} "
                                     f"matrix from {fname}")

    def add_lifecycle_event(self, event_name, log_level=logging.INFO, **event):
        """Record ``{**event, "datetime", "fastw2v", "python", "platform", "event": event_name}``
        in ``lifecycle_events`` (saved by :meth:`save`), and log it at ``log_level`` (a false
        value: not logged), as gensim does. Setting ``lifecycle_events = None`` stops recording."""
        record = lifecycle_record(event_name, event)
        if not hasattr(self, "lifecycle_events"):
            self.lifecycle_events = []
        if log_level:
            logger.log(log_level, "%s lifecycle event %s", type(self).__name__, record)
        if self.lifecycle_events is not None:
            self.lifecycle_events.append(record)

    def _filled_keys(self):
        if self.next_index < len(self.index_to_key) and any(k is None for k in self.index_to_key):
            first = self.index_to_key.index(None)
            raise ValueError(f"slot {first} was preallocated but never filled (add_vector); "
                             "cannot save")
        return self.index_to_key

    def save(self, path):
        """Save in fastw2v's native format (a ZIP of .npy arrays + JSON, never pickled; atomic).

        Arrays: ``vectors``, the keys as UTF-8 bytes ``keys_utf8`` with ``keys_offsets`` (int64,
        len+1), and one ``expando.<attr>`` per attribute. ``load(path, mmap="r")`` maps
        ``vectors`` from the file instead of reading it.
        """
        self._check_usable()
        keys = self._filled_keys()
        self.add_lifecycle_event("saved", fname_or_handle=os.fspath(path))
        encoded = [k.encode("utf-8", "surrogatepass") for k in keys]
        offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
        np.cumsum([len(e) for e in encoded], out=offsets[1:])
        arrays = {"vectors": self._vectors,
                  "keys_utf8": np.frombuffer(b"".join(encoded), dtype=np.uint8),
                  "keys_offsets": offsets}
        for attr, values in self.expandos.items():
            arrays[f"expando.{attr}"] = values
        meta = {"format": NATIVE_FORMAT, "version": NATIVE_VERSION, "vector_size": self.vector_size,
                "expandos": list(self.expandos),
                "counts_are_placeholders": bool(self.counts_are_placeholders),
                "lifecycle_events": _jsonable(list(self.lifecycle_events or []))}
        _io.save_native(path, arrays, meta)

    @classmethod
    def load(cls, path, mmap=None):
        """Load a native file written by :meth:`save` (or the word vectors of a saved Word2Vec).

        ``mmap="r"`` maps the vectors read-only from the file (``"c"``: copy-on-write). Raises
        ``fastw2v.io.VectorFileError`` for anything but an intact file; never unpickles.
        """
        arrays, meta = _io.load_native(path, mmap=mmap)
        fmt = meta.get("format")
        try:
            if fmt == _WORD2VEC_FORMAT:  # a full model: its vocabulary lives in the metadata
                keys = meta["index_to_key"] or []
                check_finite_rows(arrays["vectors"], path, "vectors", keys)
                kv = cls.from_arrays(keys, arrays["vectors"], arrays.get("counts"))
                return kv
            if fmt != NATIVE_FORMAT:
                raise _io.VectorFileError(f"{path}: not a fastw2v KeyedVectors file (format {fmt!r})",
                                          path=path)
            version = meta.get("version")
            if not isinstance(version, int) or not 1 <= version <= NATIVE_VERSION:
                raise _io.VectorFileError(f"{path}: unsupported KeyedVectors version {version!r}",
                                          path=path)
            keys = _decode_keys(arrays["keys_utf8"], arrays["keys_offsets"], path)
            vectors = arrays["vectors"]
            if vectors.ndim != 2 or vectors.dtype.kind != "f" or vectors.shape[1] != meta["vector_size"]:
                raise ValueError(f"vectors of shape {vectors.shape} and dtype {vectors.dtype} do "
                                 f"not match vector_size {meta['vector_size']}")
            check_finite_rows(vectors, path, "vectors", keys)
            kv = cls.from_arrays(keys, vectors)
            for attr in meta["expandos"]:
                values = arrays[f"expando.{attr}"]
                if values.shape != (len(keys),):
                    raise ValueError(f"attribute {attr!r} has shape {values.shape}, expected "
                                     f"({len(keys)},)")
                if attr == "count" and (values.dtype.kind not in "iu" or
                                        (values.size and values.min() < 0)):
                    raise ValueError("counts must be non-negative integers")
                kv.expandos[attr] = np.array(values)
            kv.counts_are_placeholders = bool(meta.get("counts_are_placeholders", False))
        except _io.VectorFileError:
            raise
        except (KeyError, TypeError, ValueError) as exc:
            raise _io.VectorFileError(f"{path}: inconsistent KeyedVectors file ({exc!s})",
                                      path=path) from None
        events = meta.get("lifecycle_events", [])
        if not isinstance(events, list) or not all(isinstance(e, dict) for e in events):
            raise _io.VectorFileError(f"{path}: inconsistent KeyedVectors file (lifecycle_events "
                                      "must be a list of objects)", path=path)
        kv.lifecycle_events = events
        kv.add_lifecycle_event("loaded", fname=os.fspath(path))
        return kv

    # ------------------------------------------------------------------ interop

    def to_gensim(self):
        """A ``gensim.models.KeyedVectors`` copy (vectors, keys and numeric attributes)."""
        try:
            from gensim.models import KeyedVectors as GensimKeyedVectors
        except ImportError:
            raise ImportError("to_gensim() needs gensim: pip install gensim") from None
        self._check_usable()
        keys = self._filled_keys()
        kv = GensimKeyedVectors(self.vector_size, count=0, dtype=self._vectors.dtype)
        kv.add_vectors(list(keys), np.array(self._vectors))
        for attr, values in self.expandos.items():
            kv.allocate_vecattrs([attr], [values.dtype])
            kv.expandos[attr][:] = values
        lockf = getattr(self, "_lockf", None)
        if lockf is not None:
            kv.vectors_lockf = np.array(self.vectors_lockf)
        kv.lifecycle_events = [dict(e) for e in self.lifecycle_events or []]
        return kv

    @classmethod
    def from_gensim(cls, kv):
        """A fastw2v KeyedVectors copied from a gensim KeyedVectors (or a model with ``.wv``)."""
        kv = getattr(kv, "wv", kv)
        keys = list(kv.index_to_key)
        result = cls.from_arrays(keys, np.array(kv.vectors[:len(keys)]))
        for attr, values in getattr(kv, "expandos", {}).items():
            values = np.asarray(values)
            if values.dtype.kind in "biuf" and values.shape == (len(keys),):
                result.expandos[attr] = values.copy()
            else:
                warnings.warn(f"skipping non-numeric attribute {attr!r}", UserWarning, stacklevel=2)
        lockf = getattr(kv, "vectors_lockf", None)
        if lockf is not None and np.shape(lockf) in ((1,), (len(keys),)):
            result.vectors_lockf = np.array(lockf, dtype=np.float32)
        result.lifecycle_events = _jsonable(list(getattr(kv, "lifecycle_events", None) or []))
        return result

    def to_torch(self, freeze=True, padding_idx=None):
        """``torch.nn.Embedding.from_pretrained`` over a copy of the vectors.

        ``padding_idx`` may be a row or a key.
        """
        try:
            import torch
        except ImportError:
            raise ImportError("to_torch() needs torch: pip install torch") from None
        self._check_usable()
        if padding_idx is not None and not isinstance(padding_idx, Integral):
            padding_idx = self.get_index(padding_idx)
        weights = torch.from_numpy(np.array(self._vectors, copy=True))
        return torch.nn.Embedding.from_pretrained(weights, freeze=freeze, padding_idx=padding_idx)


def load_word2vec_format(*args, **kwargs):
    """Module-level alias of :meth:`KeyedVectors.load_word2vec_format` (gensim has one too)."""
    return KeyedVectors.load_word2vec_format(*args, **kwargs)


def pseudorandom_weak_vector(size, seed_string=None, hashfxn=hash):
    """A float32 vector of ``size`` values uniform in [-0.5, 0.5) / size, as gensim's helper.

    With ``seed_string`` the values are a function of ``hashfxn(seed_string) & 0xffffffff``
    (numpy's SFC64 generator, as gensim: the same seed gives gensim's vector; note that Python's
    ``hash`` of a str changes between processes unless PYTHONHASHSEED is set); without it they
    come from a module-wide generator.
    """
    size = operator.index(size)
    if size < 1:
        raise ValueError(f"size must be at least 1, got {size}")
    if seed_string:
        rng = np.random.Generator(np.random.SFC64(hashfxn(seed_string) & 0xffffffff))
    else:
        rng = _DEFAULT_PRNG
    return (rng.random(size).astype(REAL) - REAL(0.5)) / size


def prep_vectors(target_shape, prior_vectors=None, seed=0, dtype=REAL):
    """An array of ``target_shape`` (rows, dim): ``prior_vectors`` itself when it has that shape,
    else new values uniform in [-1, 1) / dim from ``numpy.random.default_rng(seed)`` with the
    overlapping block of ``prior_vectors`` copied in (gensim's helper, the same draws)."""
    rows, dim = (operator.index(n) for n in target_shape)
    if rows < 0 or dim < 1:
        raise ValueError(f"target_shape must be (rows >= 0, dim >= 1), got {tuple(target_shape)}")
    if prior_vectors is None:
        prior_vectors = np.zeros((0, 0), dtype=dtype)
    if prior_vectors.shape == (rows, dim):
        return prior_vectors
    fresh = np.random.default_rng(seed=seed).random((rows, dim), dtype=dtype)
    fresh *= 2.0
    fresh -= 1.0
    fresh /= dim
    keep_rows, keep_cols = min(prior_vectors.shape[0], rows), min(prior_vectors.shape[1], dim)
    fresh[:keep_rows, :keep_cols] = prior_vectors[:keep_rows, :keep_cols]
    return fresh


def _decode_keys(blob, offsets, path):
    blob = np.asarray(blob)
    offsets = np.asarray(offsets)
    if blob.dtype != np.uint8 or blob.ndim != 1 or offsets.ndim != 1 or offsets.dtype.kind not in "iu":
        raise ValueError("keys_utf8 must be 1-D uint8 and keys_offsets 1-D integers")
    if len(offsets) == 0 or offsets[0] != 0 or offsets[-1] != len(blob) or np.any(np.diff(offsets) < 0):
        raise ValueError("keys_offsets must start at 0, never decrease and end at len(keys_utf8)")
    data = blob.tobytes()
    bounds = offsets.tolist()
    try:
        return [data[bounds[i]:bounds[i + 1]].decode("utf-8", "surrogatepass")
                for i in range(len(bounds) - 1)]
    except UnicodeDecodeError as exc:
        raise _io.VectorFileError(f"{path}: a key is not valid UTF-8 ({exc.reason})", path=path) from None

