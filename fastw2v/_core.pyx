# cython: language_level=3
"""nogil kernels of fastw2v (placeholder until the core lands)."""

def _ping():
    return 1
