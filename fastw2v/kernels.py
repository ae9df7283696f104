"""The kernels the trainer uses: the fastest build of ``fastw2v._core`` this CPU can run.

Builds (one source, see setup.py): ``_core`` (portable) and ``_core_avx2`` (``-mavx2``) have the
*bitwise* arithmetic: no FMA, eight-lane sums, the bits of ``fastw2v.reference``. ``_core_avx512``
(x86-64 with AVX-512 F/VL and FMA) has the *fast* arithmetic: fused multiply-adds and 16-lane sums,
equal to the reference within the rounding bound stated in docs/architecture.md and tested in
tests/test_fast_arithmetic.py. The environment variable ``FASTW2V_KERNELS`` chooses:

* ``auto`` (default): what ``DEFAULT_CHOICE`` names;
* ``bitwise``: the fastest bitwise build (``_core_avx2`` when the CPU has AVX2, else ``_core``);
* ``fast``: ``_core_avx512`` when the CPU has AVX-512, else what ``bitwise`` picks;
* ``baseline``: force the portable ``_core`` (e.g. to check that a result does not depend on it);
* ``avx2``: require ``_core_avx2``; ``avx512``: require ``_core_avx512`` (ImportError when the build
  is missing or the CPU lacks the instructions).
"""
import importlib
import os

from . import _core as baseline

#: Accepted values of the ``FASTW2V_KERNELS`` environment variable.
KERNEL_CHOICES = ("auto", "bitwise", "fast", "baseline", "avx2", "avx512")
#: What ``auto`` means: ``fast`` wins 4-12% of training words/s at dim 300 on an AVX-512 Xeon
#: (benchmarks/results/2026-12-02b-2core/kernels-README.md); ``bitwise`` is one variable away.
DEFAULT_CHOICE = "fast"

# the build of each choice that names one: (module, CPU check, what the CPU must have, setup switch)
_BUILDS = {
    "avx2": ("_core_avx2", baseline.cpu_has_avx2, "AVX2", "FASTW2V_NO_AVX2=1"),
    "avx512": ("_core_avx512", baseline.cpu_has_avx512, "AVX-512 F/VL and FMA", "FASTW2V_NO_AVX512=1"),
}


def _build(choice, required):
    """The module of build ``choice`` ("avx2" or "avx512"), or None when it cannot run here (or
    ImportError saying why, when ``required``)."""
    name, cpu_has, needs, switch = _BUILDS[choice]
    if not cpu_has():
        if required:
            raise ImportError(f"FASTW2V_KERNELS={choice}, but this CPU does not support {needs}")
        return None
    try:
        return importlib.import_module(f".{name}", __package__)
    except ImportError:     # built with the setup switch, or not x86-64
        if required:
            raise ImportError(f"FASTW2V_KERNELS={choice}, but fastw2v.{name} was not built "
                              f"({switch} or not x86-64)") from None
        return None


def _choose():
    choice = os.environ.get("FASTW2V_KERNELS", "auto").strip().lower() or "auto"
    if choice not in KERNEL_CHOICES:
        raise ImportError(f"FASTW2V_KERNELS must be one of {', '.join(KERNEL_CHOICES)}, got "
                          f"{os.environ['FASTW2V_KERNELS']!r}")
    if choice == "auto":
        choice = DEFAULT_CHOICE
    if choice == "baseline":
        return baseline
    if choice in _BUILDS:
        return _build(choice, required=True)
    fast = _build("avx512", required=False) if choice == "fast" else None
    return fast or _build("avx2", required=False) or baseline


#: The module whose functions the trainer calls (same API as ``fastw2v._core``).
core = _choose()
