"""The kernels the trainer uses: the fastest build of ``fastw2v._core`` this CPU can run.

``_core`` is the portable build; on x86-64 ``_core_avx2`` is the same source compiled with ``-mavx2``
(no FMA, so it computes the same bits). Set ``FASTW2V_KERNELS=baseline`` to force the portable build.
"""
import os

from . import _core as baseline


def _choose():
    if os.environ.get("FASTW2V_KERNELS", "auto") == "baseline" or not baseline.cpu_has_avx2():
        return baseline
    try:
        from . import _core_avx2
    except ImportError:     # built with FASTW2V_NO_AVX2=1, or not x86-64
        return baseline
    return _core_avx2


#: The module whose functions the trainer calls (same API as ``fastw2v._core``).
core = _choose()
