"""Print the NPY_DISABLE_CPU_FEATURES value that limits this NumPy to its baseline SIMD on this CPU,
or, with --check, fail unless NumPy runs with no dispatched SIMD extension (as numpy.show_runtime()
reports them under simd_extensions: found)."""
import sys

import numpy as np
from numpy._core._multiarray_umath import __cpu_dispatch__, __cpu_features__


def found():
    """The dispatch targets NumPy will use on this CPU: show_runtime()'s simd_extensions 'found'."""
    return [name for name in __cpu_dispatch__ if __cpu_features__.get(name)]


if "--check" in sys.argv:
    np.show_runtime()
    if found():
        sys.exit(f"NumPy still dispatches to {found()}: NPY_DISABLE_CPU_FEATURES did not take effect")
    print("numpy: baseline SIMD only")
else:
    print(" ".join(found()))
