"""The kernel builds: the AVX2 build computes the same bits as the portable build (both bitwise);
fastw2v.kernels picks a build this CPU runs, as FASTW2V_KERNELS says. The fast AVX-512 build is
checked against them, within rounding bounds, in test_fast_arithmetic.py."""
import os
import subprocess
import sys

import numpy as np
import pytest

from fastw2v import _core, kernels, tables

try:
    from fastw2v import _core_avx2
except ImportError:
    _core_avx2 = None
try:
    from fastw2v import _core_avx512
except ImportError:
    _core_avx512 = None

needs_avx2 = pytest.mark.skipif(
    _core_avx2 is None or not _core.cpu_has_avx2(),
    reason="no AVX2 build of the kernels (not x86-64, FASTW2V_NO_AVX2=1) or the CPU lacks AVX2")
HAS_FAST = _core_avx512 is not None and _core.cpu_has_avx512()
HAS_AVX2 = _core_avx2 is not None and _core.cpu_has_avx2()


def test_dispatch_picks_a_build_this_cpu_runs():
    assert kernels.core in (_core, _core_avx2, _core_avx512)
    if kernels.core is _core_avx2:
        assert _core.cpu_has_avx2() and kernels.core.BUILT_FOR_AVX2
    if kernels.core is _core_avx512:
        assert _core.cpu_has_avx512() and kernels.core.BUILT_FOR_AVX512
    assert not _core.BUILT_FOR_AVX2 and not _core.BUILT_FOR_AVX512
    assert kernels.DEFAULT_CHOICE in kernels.KERNEL_CHOICES and kernels.DEFAULT_CHOICE != "auto"


@pytest.mark.parametrize("module", [_core, _core_avx2], ids=["baseline", "avx2"])
def test_no_bitwise_build_fuses_multiply_adds(module):
    # the bitwise contract by construction: setup.py compiles these builds with -ffp-contract=off;
    # the probe runs a*b - c compiled with the build's flags on values where fusing changes the result
    if module is None:
        pytest.skip("no AVX2 build of the kernels (not x86-64 or FASTW2V_NO_AVX2=1)")
    assert module.MAY_FUSE_MULTIPLY_ADD is False
    assert module.BITWISE_ARITHMETIC is True


def _chosen(value):
    """(returncode, module name or stderr) of ``import fastw2v.kernels`` with FASTW2V_KERNELS=value."""
    code = "from fastw2v import kernels; print(kernels.core.__name__)"
    env = dict(os.environ, FASTW2V_KERNELS=value)
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    return out.returncode, (out.stdout.strip() if out.returncode == 0 else out.stderr)


def test_kernel_choice_is_validated_and_each_choice_picks_its_build():
    bitwise = "fastw2v._core_avx2" if HAS_AVX2 else "fastw2v._core"
    fast = "fastw2v._core_avx512" if HAS_FAST else bitwise
    assert _chosen("baseline") == (0, "fastw2v._core")
    assert _chosen("bitwise") == (0, bitwise)
    assert _chosen("fast") == (0, fast)
    assert _chosen("auto") == (0, {"bitwise": bitwise, "fast": fast}[kernels.DEFAULT_CHOICE])
    for value, available, name in (("avx2", HAS_AVX2, "fastw2v._core_avx2"),
                                   ("avx512", HAS_FAST, "fastw2v._core_avx512")):
        rc, out = _chosen(value)
        if available:
            assert (rc, out) == (0, name)
        else:
            assert rc != 0 and f"FASTW2V_KERNELS={value}" in out
    rc, err = _chosen("fastest")
    assert rc != 0 and "FASTW2V_KERNELS" in err


def _train(module, sg, hs, negative, batch_mode, cbow_mean=True):
    rng = np.random.default_rng(0)
    V, D = 60, 37                       # D not a multiple of 8: the tail loops run too
    counts = (1000 / np.arange(1, V + 1)).astype(np.int64) + 1
    W_in = ((rng.random((V, D), dtype=np.float32) - 0.5) / D)
    W_out = rng.normal(0, 0.1, (V, D)).astype(np.float32)
    W_hs = rng.normal(0, 0.1, (V - 1, D)).astype(np.float32)
    sampler = module.AliasSampler(counts, 0.75, 3)
    codes, points, offsets = module.build_huffman(counts)
    config = module.TrainConfig(W_in, W_out, W_hs, tables.keep_thresholds(counts, 1e-2),
                                sampler.threshold, sampler.alias, codes, points, offsets, sg=sg,
                                negative=negative, hs=hs, window=4, cbow_mean=cbow_mean,
                                batch_mode=batch_mode)
    tokens = rng.integers(0, V, 3000).astype(np.int32)
    offs = np.array([0, 5, 900, 901, 2500, 3000], dtype=np.int64)
    r = module.Rng(11)
    kept, loss = module.train_batch(config, r, tokens, offs, 0.05, 0.01)
    return W_in, W_out, W_hs, kept, loss, r.state


@needs_avx2
@pytest.mark.parametrize("sg,hs,negative,batch_mode,cbow_mean", [
    (1, 0, 5, "exact", True), (1, 0, 5, "shared_negatives", True), (1, 1, 3, "exact", True),
    (1, 1, 0, "exact", True), (0, 0, 5, "exact", True), (0, 0, 5, "exact", False),
    (0, 1, 2, "exact", True),
])
def test_avx2_build_is_bitwise_equal_to_baseline(sg, hs, negative, batch_mode, cbow_mean):
    a = _train(_core, sg, hs, negative, batch_mode, cbow_mean)
    b = _train(_core_avx2, sg, hs, negative, batch_mode, cbow_mean)
    for x, y in zip(a[:3], b[:3]):
        # CPU-independent: one source, no contraction in either build (test above), the same libm
        assert np.array_equal(x, y)
    assert a[3:] == b[3:]
    assert a[4] > 0
