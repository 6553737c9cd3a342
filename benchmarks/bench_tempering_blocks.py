"""What one block of parallel tempering costs beyond its sweeps, per numba representation.

Run: ``.venv/bin/python benchmarks/bench_tempering_blocks.py [--threads 1] [--repeats 3]
[--records 2000] [--clock wall|cpu]``

On small networks (so that the sweeps cost little), ``NumbaKernel.record`` with replica
exchange runs ``--records`` blocks of one sweep each (4 temperatures × 1 chain, and 4 × 2
with the replica overlap of the pair), against ``NumbaKernel.step`` running as many sweeps
in one call on the same chains. The difference divided by the number of blocks is the
per-block cost of the record loop: the measurements, the exchange round, storing the
records and the replica overlaps, and whatever the loop pays to go from one block to the
next (a Python round trip per block before the loop was compiled whole). Times are the best
of ``--repeats`` after a warm-up call.
"""

from __future__ import annotations

import argparse
import os

import numpy as np
import scipy.sparse as sp
from timing import CLOCK, best, use_clock

import statnn as sn


def networks():
    rng = np.random.default_rng(0)
    xi = np.where(rng.random((5, 64)) < 0.5, -1, 1).astype(np.int8)
    A = sp.triu(sp.random(64, 64, density=0.1, random_state=1), k=1)
    return [
        # name, network, rule, schedule, backend options
        ("multi-spin lattice 8²", sn.ising((8, 8)), "metropolis", "checkerboard", {}),
        ("checkerboard lattice 8²", sn.ising((8, 8)), "metropolis", "checkerboard",
         {"multispin": False}),
        ("dense N=64", sn.sk(64, seed=0), "glauber", "random", {}),
        ("pattern N=64 P=5", sn.hopfield(xi), "glauber", "random", {}),
        ("sparse N=64", sn.Network(sp.csr_array(A + A.T)), "metropolis", "random", {}),
        ("dense memory N=64 P=5", sn.dense_memory(xi, degree=3), "glauber", "random", {}),
    ]  # fmt: skip


def per_block(net, rule, schedule, options, n_T, chains, records, repeats):
    """(µs per block of one sweep in ``record`` with exchange, µs per sweep in ``step``)."""
    from statnn.dynamics.numba.kernel import make_kernel

    kernel = make_kernel(net, rule=rule, schedule=schedule, n_temps=n_T, chains=chains, **options)
    spins = np.where(np.random.default_rng(1).random((n_T, chains, net.n)) < 0.5, -1, 1)
    state = kernel.init(spins.astype(np.int8), np.random.SeedSequence(0))
    betas = 1.0 / np.linspace(1.5, 3.0, n_T)
    ex = kernel.exchange_state(np.random.SeedSequence(1), 0)

    def record():
        kernel.record(state, betas, n_records=records, every=1, exchange=ex)

    t_record = best(record, repeats)
    t_step = best(lambda: kernel.step(state, betas, records), repeats)
    return 1e6 * t_record / records, 1e6 * t_step / records


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--records", type=int, default=2000)
    ap.add_argument("--clock", choices=sorted(CLOCK), default="wall")
    args = ap.parse_args()
    use_clock(args.clock)
    from statnn.dynamics.numba.kernel import set_num_threads

    set_num_threads(args.threads)
    print(
        f"statnn {sn.__version__}, numba threads {args.threads}, clock {args.clock}, "
        f"load {os.getloadavg()[0]:.2f}, {args.records} blocks of 1 sweep"
    )
    print(f"{'representation':26s} {'T x chains':>10s} {'record/block':>13s} "
          f"{'step/sweep':>11s} {'block cost':>11s}")  # fmt: skip
    for name, net, rule, schedule, options in networks():
        for n_T, chains in ((4, 1), (4, 2)):
            rec, step = per_block(
                net, rule, schedule, options, n_T, chains, args.records, args.repeats
            )
            print(
                f"{name:26s} {f'{n_T} x {chains}':>10s} {rec:10.2f} µs {step:8.2f} µs "
                f"{rec - step:8.2f} µs"
            )
    print(f"load at end {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
