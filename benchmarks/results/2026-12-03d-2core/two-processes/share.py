"""Two threads of train_batch (kernels alone, synthetic Zipf stream) with the weights shared or not."""
import sys, time, threading
import numpy as np
sys.path.insert(0, "/work/main/benchmarks")
from kernel_variants import _stream
from fastw2v import tables, kernels
core = kernels.core
V, D, N = int(sys.argv[1]), 300, 1_000_000
counts, tokens, offsets = _stream(V, 2 * N)
rng = np.random.default_rng(1)
def mat(): return ((rng.random((V, D), dtype=np.float32) - 0.5) / D)
sampler = core.AliasSampler(counts, power=0.75)
keep = tables.keep_thresholds(counts, 1e-4)
def cfg(W_in, W_out, sg, mode):
    return core.TrainConfig(W_in, W_out, None, keep, sampler.threshold, sampler.alias, None, None, None,
                            sg=sg, negative=5, hs=False, window=5, batch_mode=mode)
def run(cfgs, parts):
    ts = [threading.Thread(target=core.train_batch, args=(c, core.Rng(7 + i), tokens[p[0]:p[1]], offsets[:1001] , 0.025, 0.0001))
          for i, (c, p) in enumerate(zip(cfgs, parts))]
    t = time.perf_counter(); [x.start() for x in ts]; [x.join() for x in ts]; return time.perf_counter() - t
o = offsets[:1001]   # 1000 sentences of 1000 tokens = N tokens per thread
parts = [(0, N), (N, 2 * N)]
for sg, mode in [(1, "exact"), (0, "exact"), (1, "shared_negatives")]:
    A_in, A_out, B_in, B_out = mat(), mat(), mat(), mat()
    res = {}
    for rep in range(3):
        for name, cs in [("one thread", None),
                         ("shared W_in+W_out", [cfg(A_in, A_out, sg, mode), cfg(A_in, A_out, sg, mode)]),
                         ("shared W_in only", [cfg(A_in, A_out, sg, mode), cfg(A_in, B_out, sg, mode)]),
                         ("shared W_out only", [cfg(A_in, A_out, sg, mode), cfg(B_in, A_out, sg, mode)]),
                         ("nothing shared", [cfg(A_in, A_out, sg, mode), cfg(B_in, B_out, sg, mode)])]:
            if cs is None:
                dt = run([cfg(A_in, A_out, sg, mode)], parts[:1]); words = N
            else:
                dt = run(cs, parts); words = 2 * N
            res.setdefault(name, []).append(words / dt / 1e3)
    print(f"V={V} sg={sg} {mode}: " + "; ".join(f"{k} {np.median(v):.0f}k" for k, v in res.items()), flush=True)
