"""The kernels the trainer uses: the fastest build of ``fastw2v._core`` this CPU can run.

``_core`` is the portable build; on x86-64 ``_core_avx2`` is the same source compiled with ``-mavx2``
(no FMA and no contraction, so it computes the same bits). The environment variable
``FASTW2V_KERNELS`` chooses: ``auto`` (default: AVX2 when the CPU has it), ``baseline`` (force the
portable build, e.g. to check that a result does not depend on the build) or ``avx2`` (require the
AVX2 build; ImportError when it is missing or the CPU lacks AVX2).
"""
import os

from . import _core as baseline

#: Accepted values of the ``FASTW2V_KERNELS`` environment variable.
KERNEL_CHOICES = ("auto", "baseline", "avx2")


def _choose():
    choice = os.environ.get("FASTW2V_KERNELS", "auto").strip().lower() or "auto"
    if choice not in KERNEL_CHOICES:
        raise ImportError(f"FASTW2V_KERNELS must be one of {', '.join(KERNEL_CHOICES)}, got "
                          f"{os.environ['FASTW2V_KERNELS']!r}")
    if choice == "baseline":
        return baseline
    if not baseline.cpu_has_avx2():
        if choice == "avx2":
            raise ImportError("FASTW2V_KERNELS=avx2, but this CPU does not support AVX2")
        return baseline
    try:
        from . import _core_avx2
    except ImportError:     # built with FASTW2V_NO_AVX2=1, or not x86-64
        if choice == "avx2":
            raise ImportError("FASTW2V_KERNELS=avx2, but fastw2v._core_avx2 was not built "
                              "(FASTW2V_NO_AVX2=1 or not x86-64)") from None
        return baseline
    return _core_avx2


#: The module whose functions the trainer calls (same API as ``fastw2v._core``).
core = _choose()
