"""ns per pattern element of the pattern-form kernel, by schedule, on one thread.

Run: ``.venv/bin/python benchmarks/bench_pattern_kernel.py [--N 64000] [--P 3200]``

One chain started from a stored pattern (few flips), Glauber at T = 0.3 and T = 0, 2 sweeps
after a warm-up sweep: the time of ``sampler.step`` per update and pattern element. The
ordered schedule reads the (N, P) int8 table row after row (the hardware prefetcher streams
it); the random schedule fetches a random P-byte row per update, so the difference is the
memory latency of that fetch, not the dot product. Target (issue 17): ≤ 0.1 ns per element.
"""

from __future__ import annotations

import argparse
import time

import numba
import numpy as np

import statnn as sn


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--N", type=int, default=64000)
    parser.add_argument("--P", type=int, default=3200)
    args = parser.parse_args(argv)
    numba.set_num_threads(1)
    n, p = args.N, args.P
    xi = sn.random_patterns(p, n, seed=0)
    net = sn.hopfield(xi)
    print(f"N = {n}, P = {p}, one thread, one chain from pattern 0")
    for schedule in ("sequential", "random"):
        for T in (0.3, 0.0):
            s = sn.sampler(net, T=T, chains=1, schedule=schedule)
            state = s.init(init=np.asarray(xi[:1]), seed=0)
            state, _ = s.step(state, sweeps=1)
            t = time.perf_counter()
            state, info = s.step(state, sweeps=2)
            dt = time.perf_counter() - t
            flips = int(np.sum(info.flips)) / 2
            print(
                f"{schedule:>10}  T = {T:<4g} {dt * 1e9 / (2 * n * p):6.3f} ns/element  "
                f"({flips:.0f} flips per sweep)"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
