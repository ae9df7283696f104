"""``fastw2v.Embedding``: the interface of the reference ``Embedding`` layer over the compiled ops.

``forward`` gathers with ``_core.embedding_forward`` (renormalising rows in place first when
``max_norm`` is set) and ``backward`` scatter-adds with ``_core.embedding_backward``; the results are
those of ``fastw2v.reference.Embedding`` (``fastw2v/layers.py``), which the tests check.
"""
import numpy as np

from . import _core

__all__ = ["Embedding"]


class Embedding:
    """Lookup layer over ``W`` (V, D): ``forward(idx) -> W[idx]``, shape ``idx.shape + (D,)``.

    ``W`` must be float32 or float64 and C-contiguous (it is used in place: with ``max_norm`` the
    looked-up rows are renormalised in it). ``params = [W]`` (the caller's array, not a copy),
    ``grads = [zeros_like(W)]``. ``backward(dout)`` zeroes ``grads[0]`` and scatter-adds ``dout`` into
    it (duplicates accumulate, positions equal to ``padding_idx`` add nothing); it returns None.
    """

    def __init__(self, W, padding_idx=None, max_norm=None, norm_type=2.0):
        V = W.shape[0] if isinstance(W, np.ndarray) and W.ndim == 2 else 0
        # validate everything once, with the messages of the core ops (an empty lookup renorms nothing)
        _core.embedding_forward(W, np.zeros(0, dtype=np.int64), padding_idx, max_norm, norm_type)
        if padding_idx is not None and padding_idx < 0:
            padding_idx = padding_idx + V
        self.padding_idx = padding_idx
        self.max_norm = None if max_norm is None else float(max_norm)
        self.norm_type = float(norm_type)
        self.params = [W]
        self.grads = [np.zeros_like(W, order="C")]
        self.idx = None

    def forward(self, idx):
        W = self.params[0]
        out = _core.embedding_forward(W, idx, self.padding_idx, self.max_norm, self.norm_type)
        self.idx = np.asarray(idx)
        return out

    def backward(self, dout):
        if self.idx is None:
            raise RuntimeError("backward called before forward")
        dW = self.grads[0]
        dW[...] = 0
        _core.embedding_backward(dW, self.idx, dout, self.padding_idx)
        return None
