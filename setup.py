"""Build script for the Cython extensions.

Environment switches (all opt-in, never required):
  FASTW2V_NATIVE=1       add -march=native (binaries then only run on this CPU family)
  FASTW2V_BOUNDSCHECK=1  turn Cython bounds/wraparound checks on, for a debug test run
  FASTW2V_ONLY=_core     build only the named extension(s), comma-separated (development)
"""
import os
import sys

import numpy as np
from Cython.Build import cythonize
from setuptools import Extension, setup


def _flag(name):
    return os.environ.get(name, "0").lower() in ("1", "true", "yes", "on")


compile_args = []
if sys.platform != "win32":
    compile_args = ["-O3", "-fno-math-errno", "-fno-trapping-math"]
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

extensions = [
    Extension(
        f"fastw2v.{name}",
        [f"fastw2v/{name}.pyx"],
        include_dirs=[np.get_include()],
        define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
        extra_compile_args=compile_args,
    )
    for name in os.environ.get("FASTW2V_ONLY", "_core,_text").split(",")
    if os.path.exists(f"fastw2v/{name}.pyx")
]

setup(ext_modules=cythonize(extensions, compiler_directives=directives))
