"""recall / relax on the numba backend: the compiled loop against the Python step loop.

Run: ``.venv/bin/python benchmarks/bench_recall.py [--repeats 3] [--threads 1] [--only TEXT]``

In one process, alternating, for each representation (checkerboard lattice 128², one spin
at a time and multi-spin coded, dense float32 N = 2000, pattern form N = 2000 P = 200, sparse N = 4000, dense associative
memories n = 3 at N = 100, P = 362 and exp (β_F = 0.2) at N = 32, P = 3126, each at its
capacity P_max as in the ``dense-capacity`` experiment; ``--only``: the cases whose name
contains TEXT): ``sn.recall`` of 16 cues (``sn.relax`` from 16 random states on the
networks without stored patterns)

* ``avg``: at T for ``sweeps`` sweeps, overlaps averaged over the last half;
* ``T=0``: at T = 0 until every chain is at a fixed point (cap ``sweeps``);
* ``mixed``: T = 0 and T side by side (``sweeps // 4``, averaged over the last eighth),

once through ``NumbaKernel.relax`` (the default) and once through the loop over
``Sampler.step`` one sweep at a time that the numpy and torch backends run (reached by
switching ``NumbaKernel.relaxes`` off). Best wall time of ``--repeats``; the speed-up is
steps / compiled. Both paths give the same results (tests/memory/test_recall_compiled.py).
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
import scipy.sparse as sp

import statnn as sn
from statnn.dynamics.numba.kernel import NumbaKernel, set_num_threads


def cases():
    rng = np.random.default_rng(0)
    xi = np.where(rng.random((200, 2000)) < 0.5, -1, 1).astype(np.int8)
    hop = sn.hopfield(xi)
    dense = sn.Network(hop.couplings.to_dense(np.float32))
    A = sp.random(4000, 4000, density=10 / 4000, random_state=1, data_rvs=rng.standard_normal)
    A = sp.triu(A, k=1)
    sparse = sn.Network(sp.csr_array(A + A.T) / np.sqrt(10))
    lattice = sn.ising((128, 128))
    xi3 = sn.random_patterns(362, 100, seed=2)
    poly3 = sn.dense_memory(xi3, degree=3)
    xie = sn.random_patterns(3126, 32, seed=3)
    exp = sn.dense_memory(xie, "exp", beta=0.2)
    return [
        # name, network, T, rule, schedule, options, patterns, sweeps
        ("checkerboard lattice 128²", lattice, 2.269, "metropolis", "checkerboard",
         {"multispin": False}, None, 2000),
        ("multispin lattice 128²", lattice, 2.269, "metropolis", "checkerboard", None, None,
         2000),
        ("dense f32 N=2000", dense, 0.3, "glauber", "random", None, xi, 200),
        ("pattern N=2000 P=200", hop, 0.3, "glauber", "random", None, xi, 200),
        ("sparse N=4000 deg≈10", sparse, 1.0, "glauber", "random", None, None, 200),
        ("dense memory n=3 N=100 P=362", poly3, 0.1, "glauber", "random", None, xi3, 200),
        ("dense memory exp N=32 P=3126", exp, 0.1, "glauber", "random", None, xie, 200),
    ]  # fmt: skip


def runner(net, patterns, kw):
    """recall of 16 cues, or relax from 16 random states where no patterns are stored."""
    if patterns is not None:
        cue = np.arange(16)
        return lambda **extra: sn.recall(net, patterns, noise=0.1, cue=cue, seed=0, **kw, **extra)
    starts = np.random.default_rng(1).choice(np.array([-1, 1], dtype=np.int8), (16, net.n))
    return lambda **extra: sn.relax(net, starts, seed=0, **kw, **extra)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--only", default="", help="run the cases whose name contains this text")
    args = ap.parse_args()
    set_num_threads(args.threads)
    print(f"statnn {sn.__version__}, numba threads {args.threads}, load {os.getloadavg()[0]:.2f}")
    compiled = NumbaKernel.relaxes
    stepped = property(lambda self: False)
    for name, net, T, rule, schedule, options, patterns, sweeps in cases():
        if args.only not in name:
            continue
        kw = dict(backend="numba", schedule=schedule, dynamics=rule, backend_options=options)
        run = runner(net, patterns, kw)
        runs = {
            "avg": dict(T=T, sweeps=sweeps, average=sweeps // 2),
            "T=0": dict(T=0.0, sweeps=sweeps),
            "mixed": dict(T=[0.0, T], sweeps=sweeps // 4, average=sweeps // 8),
        }
        for label, extra in runs.items():
            best = {"steps": np.inf, "compiled": np.inf}
            run(**extra)  # compile
            for _ in range(args.repeats):
                for path, prop in (("steps", stepped), ("compiled", compiled)):
                    NumbaKernel.relaxes = prop
                    try:
                        t0 = time.perf_counter()
                        run(**extra)
                        best[path] = min(best[path], time.perf_counter() - t0)
                    finally:
                        NumbaKernel.relaxes = compiled
            print(
                f"{name:30s} {label:6s} steps {best['steps']:8.3f} s  compiled "
                f"{best['compiled']:8.3f} s  speed-up {best['steps'] / best['compiled']:6.2f}",
                flush=True,
            )
    print(f"load at end {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
