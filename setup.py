"""Build script for the Cython extensions.

Environment switches (all opt-in, never required):
  FASTW2V_NATIVE=1       add -march=native (binaries then only run on this CPU family)
  FASTW2V_BOUNDSCHECK=1  turn Cython bounds/wraparound checks on, for a debug test run
  FASTW2V_ONLY=_core     build only the named extension(s), comma-separated (development)
  FASTW2V_NO_AVX2=1      skip the AVX2 build of the kernels (fastw2v._core_avx2)

On x86-64 the kernels are built twice from the same source: ``fastw2v._core`` for the portable
baseline (SSE2) and ``fastw2v._core_avx2`` with ``-mavx2``; ``fastw2v.kernels`` picks the AVX2 build at
run time when the CPU has it (``FASTW2V_KERNELS=baseline`` forces the portable one). Every build,
``FASTW2V_NATIVE=1`` included, is compiled with ``-ffp-contract=off``: the compiler never fuses a
multiply and an add into one FMA, so every build rounds each product and each sum separately, as the
NumPy reference does, and all builds compute the same bits (``_core.MAY_FUSE_MULTIPLY_ADD`` probes it).
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
fast_args = [a for a in compile_args if a != "-ffp-contract=off"] + ["-ffp-contract=fast", "-DFW_FAST_ARITH"]
#: x86-64 variants of the kernels: module name -> extra compile arguments (one source).
variants = {"_core_avx2": bitwise_args + ["-mavx2"]}
if os.environ.get("FASTW2V_EXPERIMENT_VARIANTS"):
    variants.update({
        "_core_fma": fast_args + ["-mavx2", "-mfma"],
        "_core_avx512": fast_args + ["-mavx2", "-mfma", "-mavx512f", "-mavx512vl",
                                     "-mprefer-vector-width=512"],
        "_core_avx512_bitwise": bitwise_args + ["-mavx2", "-mavx512f", "-mavx512vl",
                                                "-mprefer-vector-width=512"],
        "_core_blas": [a for a in compile_args if a != "-ffp-contract=off"]
        + ["-ffp-contract=fast", "-DFW_BLAS_ARITH", "-mavx2", "-mfma"],
    })
if ("_core" in wanted and x86_64 and sys.platform != "win32" and not _flag("FASTW2V_NATIVE")
        and not _flag("FASTW2V_NO_AVX2")):
    for name, args in variants.items():
        # The same source under another module name (a generated copy, like the .c files).
        variant = os.path.join("build", name, "fastw2v", f"{name}.pyx")
        os.makedirs(os.path.dirname(variant), exist_ok=True)
        shutil.copyfile("fastw2v/_core.pyx", variant)
        extensions.append(Extension(f"fastw2v.{name}", [variant], extra_compile_args=args,
                                    **numpy_headers))

setup(ext_modules=cythonize(extensions, compiler_directives=directives))
