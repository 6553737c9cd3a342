"""Throughput of the pattern-form (Hebbian) numba kernel, beside dense float32.

Run: ``.venv/bin/python benchmarks/bench_pattern_kernel.py [--N 64000] [--P 3200]
[--small-N 2000] [--small-P 200] [--repeats 3]``

Two parts, each printed with the ratios measured in the same run:

1. **Large table** (default N = 64 000, P = 3 200), one thread, one chain started from a
   stored pattern (few flips), Glauber at T = 0.3 and T = 0: the time of ``sampler.step``
   per update and pattern element, sequential and random schedule. The ordered schedule
   reads the (N, P) int8 table row after row (the hardware prefetcher streams it); the
   random schedule fetches a random P-byte row per update, which the kernel prefetches one
   update ahead. Target: ≤ 0.1 ns per element.
2. **Small network** (default N = 2000, P = 200, T = 0.3, Glauber, random schedule, random
   start): updates per second of the raw ``step`` and of the default ``simulate``
   (record every sweep) for one chain on one thread, and of 64 chains on all threads, in
   pattern form and as dense float32 couplings; and what ``sn.sampler`` picks by itself.
"""

from __future__ import annotations

import argparse
import warnings

import numba
import numpy as np
from timing import CLOCK, best, use_clock

import statnn as sn


def large(n, p, repeats):
    numba.set_num_threads(1)
    xi = sn.random_patterns(p, n, seed=0)
    net = sn.hopfield(xi)
    print(f"N = {n}, P = {p}, one thread, one chain from pattern 0")
    for schedule in ("sequential", "random"):
        for T in (0.3, 0.0):
            s = sn.sampler(net, T=T, chains=1, schedule=schedule)
            state = s.init(init=np.asarray(xi[:1]), seed=0)
            state, _ = s.step(state, sweeps=1)
            dt = best(lambda s=s, state=state: s.step(state, sweeps=2), repeats)
            _, info = s.step(state, sweeps=2)
            flips = int(np.sum(info.flips)) / 2
            print(
                f"{schedule:>10}  T = {T:<4g} {dt * 1e9 / (2 * n * p):6.3f} ns/element  "
                f"({flips:.0f} flips per sweep)"
            )


def small(n, p, repeats, sweeps):
    xi = sn.random_patterns(p, n, seed=0)
    hop = sn.hopfield(xi)
    options = {}
    dense = sn.Network(hop.couplings.to_dense(np.float32))
    T = 0.3
    threads = numba.config.NUMBA_NUM_THREADS
    print(f"\nN = {n}, P = {p}, T = {T}, Glauber, random schedule, random start, {sweeps} sweeps")
    rows = {}
    for name, net in (("pattern", hop), ("dense f32", dense)):
        numba.set_num_threads(1)
        s = sn.sampler(net, T=T, chains=1, **options)
        state = s.init("random", seed=0)
        t_step = best(lambda s=s, state=state: s.step(state, sweeps), repeats)
        t_sim = best(
            lambda net=net: sn.simulate(net, T=T, sweeps=sweeps, burn_in=0, seed=0), repeats
        )
        numba.set_num_threads(threads)
        t_64 = best(
            lambda net=net: sn.simulate(net, T=T, sweeps=sweeps // 4, chains=64, burn_in=0, seed=0),
            repeats,
        )
        rows[name] = (n * sweeps / t_step, n * sweeps / t_sim, 64 * n * (sweeps // 4) / t_64)
    print(
        f"{'':>10} {'step 1 chain':>14} {'simulate 1 chain':>18} {f'64 chains {threads} thr':>18}"
    )
    for name, (a, b, c) in rows.items():
        print(f"{name:>10} {a:14.3g} {b:18.3g} {c:18.3g}   updates/s")
    pa, de = rows["pattern"], rows["dense f32"]
    print(
        f"{'ratio':>10} {pa[0] / de[0]:14.2f} {pa[1] / de[1]:18.2f} {pa[2] / de[2]:18.2f}   pattern / dense"
    )


def crossover(n, ps, temperatures, repeats, sweeps):
    """Pattern form vs dense float32, one chain, one thread, raw step, random schedule."""
    numba.set_num_threads(1)
    print(f"\ncrossover: N = {n}, one chain, one thread, raw step, random start, {sweeps} sweeps")
    print(
        f"{'P':>6} {'P/N':>6} {'T':>5} {'pattern':>10} {'dense f32':>10} {'ratio':>6} {'flips':>6}"
    )
    for p in ps:
        xi = sn.random_patterns(p, n, seed=0)
        hop = sn.hopfield(xi)
        dense = sn.Network(hop.couplings.to_dense(np.float32))
        for T in temperatures:
            rates = []
            for net in (hop, dense):
                s = sn.sampler(net, T=T, chains=1)
                state = s.init("random", seed=0)
                state, _ = s.step(state, 20)  # past the first relaxation
                rates.append(n * sweeps / best(lambda s=s, st=state: s.step(st, sweeps), repeats))
            _, info = s.step(state, sweeps)
            flips = float(np.sum(info.flips)) / (sweeps * n)
            print(
                f"{p:6d} {p / n:6.3f} {T:5.2f} {rates[0]:10.3g} {rates[1]:10.3g} "
                f"{rates[0] / rates[1]:6.2f} {flips:6.3f}"
            )


def main(argv=None) -> int:
    warnings.filterwarnings("ignore", message="Not converged")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--N", type=int, default=64000)
    parser.add_argument("--P", type=int, default=3200)
    parser.add_argument("--small-N", type=int, default=2000)
    parser.add_argument("--small-P", type=int, default=200)
    parser.add_argument("--sweeps", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--skip-large", action="store_true")
    parser.add_argument("--skip-small", action="store_true")
    parser.add_argument(
        "--crossover",
        type=int,
        metavar="N",
        help="also time pattern form against dense float32 at this N for several P and T",
    )
    parser.add_argument(
        "--clock",
        choices=tuple(CLOCK),
        default="wall",
        help="wall time, or the process's CPU time (steadier on a shared machine; "
        "the 64-chain row then sums the CPU time of all threads)",
    )
    args = parser.parse_args(argv)
    use_clock(args.clock)
    print(f"clock: {args.clock}")
    if not args.skip_large:
        large(args.N, args.P, args.repeats)
    if not args.skip_small:
        small(args.small_N, args.small_P, args.repeats, args.sweeps)
    if args.crossover:
        n = args.crossover
        ps = [max(1, int(round(a * n))) for a in (0.02, 0.05, 0.1, 0.2, 0.5, 1.0)]
        crossover(n, ps, (0.3, 1.0, 2.0), args.repeats, args.sweeps)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
