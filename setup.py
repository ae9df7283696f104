"""Build script for the Cython extensions.

Environment switches (all opt-in, never required):
  FASTW2V_NATIVE=1       add -march=native (binaries then only run on this CPU family)
  FASTW2V_BOUNDSCHECK=1  turn Cython bounds/wraparound checks on, for a debug test run
  FASTW2V_ONLY=_core     build only the named extension(s), comma-separated (development)
  FASTW2V_NO_AVX2=1      skip the AVX2 build of the kernels (fastw2v._core_avx2)
  FASTW2V_NO_AVX512=1    skip the AVX-512 build of the kernels (fastw2v._core_avx512)
  FASTW2V_EXPERIMENT_VARIANTS=1  also build the variants benchmarks/kernel_variants.py compares
                         (fastw2v._core_fma, fastw2v._core_avx512_bitwise; never used by the trainer)

On x86-64 the kernels are built three times from the same source. Two builds have the *bitwise*
arithmetic: ``fastw2v._core`` for the portable baseline (SSE2) and ``fastw2v._core_avx2`` with
``-mavx2``; both are compiled with ``-ffp-contract=off`` (``FASTW2V_NATIVE=1`` included): the compiler
never fuses a multiply and an add, so each product and each sum is rounded separately, as the NumPy
reference does, and they compute its bits (``_core.MAY_FUSE_MULTIPLY_ADD`` probes it). The third,
``fastw2v._core_avx512``, has the *fast* arithmetic: ``-mavx512f -mavx512vl -mfma
-ffp-contract=fast -DFW_FAST_ARITH`` (fused multiply-adds, 16-lane vectors, two accumulators per dot
product), equal to the reference within a tested rounding bound. ``fastw2v.kernels`` picks one at run
time (``FASTW2V_KERNELS``, see there).
"""
import os
import platform
import shutil
import sys

import numpy as np
from Cython.Build import cythonize
from setuptools import Extension, setup


def _flag(name):
    return os.environ.get(name, "0").lower() in ("1", "true", "yes", "on")


compile_args = []
if sys.platform != "win32":
    # -ffp-contract=off: no fused multiply-adds, whatever -m flags add (the bitwise contract)
    compile_args = ["-O3", "-fno-math-errno", "-fno-trapping-math", "-ffp-contract=off"]
    if _flag("FASTW2V_NATIVE"):
        compile_args.append("-march=native")
else:
    compile_args = ["/O2"]

debug = _flag("FASTW2V_BOUNDSCHECK")
directives = {
    "language_level": 3,
    "boundscheck": debug,
    "wraparound": debug,
    "initializedcheck": debug,
    "cdivision": True,
    "embedsignature": True,
}

wanted = os.environ.get("FASTW2V_ONLY", "_core,_text").split(",")
numpy_headers = dict(include_dirs=[np.get_include()],
                     define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")])
extensions = [
    Extension(f"fastw2v.{name}", [f"fastw2v/{name}.pyx"], extra_compile_args=compile_args,
              **numpy_headers)
    for name in wanted
    if os.path.exists(f"fastw2v/{name}.pyx")
]

x86_64 = platform.machine().lower() in ("x86_64", "amd64")
bitwise_args = compile_args
# the fast arithmetic: contraction on (fused multiply-adds), FW_FAST_ARITH's wide primitives
fast_args = [a for a in compile_args if a != "-ffp-contract=off"] + ["-ffp-contract=fast", "-DFW_FAST_ARITH"]
avx512_args = ["-mavx2", "-mfma", "-mavx512f", "-mavx512vl", "-mprefer-vector-width=512"]
#: x86-64 variants of the kernels: module name -> extra compile arguments (one source).
variants = {}
if not _flag("FASTW2V_NO_AVX2"):
    variants["_core_avx2"] = bitwise_args + ["-mavx2"]
if not _flag("FASTW2V_NO_AVX512"):
    variants["_core_avx512"] = fast_args + avx512_args
if _flag("FASTW2V_EXPERIMENT_VARIANTS"):
    # measured by benchmarks/kernel_variants.py, not used by fastw2v.kernels (no consistent gain)
    variants["_core_fma"] = fast_args + ["-mavx2", "-mfma"]
    variants["_core_avx512_bitwise"] = bitwise_args + avx512_args[:1] + avx512_args[2:]
if "_core" in wanted and x86_64 and sys.platform != "win32" and not _flag("FASTW2V_NATIVE"):
    for name, args in variants.items():
        # The same source under another module name (a generated copy, like the .c files).
        variant = os.path.join("build", name, "fastw2v", f"{name}.pyx")
        os.makedirs(os.path.dirname(variant), exist_ok=True)
        shutil.copyfile("fastw2v/_core.pyx", variant)
        extensions.append(Extension(f"fastw2v.{name}", [variant], extra_compile_args=args,
                                    **numpy_headers))

setup(ext_modules=cythonize(extensions, compiler_directives=directives))
