"""Speed of the dense associative memory kernels against the Hebbian pattern kernel.

Run: ``.venv/bin/python benchmarks/bench_dense_memory.py [--n 1000] [--p 2000] [--sweeps 3]
[--numpy] [--simulate]``

One chain on one numba thread, random-sequential Glauber at T = 0.5 from a stored pattern,
N = 1000 neurons and P = 2000 patterns by default. Both kinds of kernel cost O(P) per update:
the Hebbian one reads int8 × int16 products (vectorised integer dot product), the
polynomial one evaluates a degree-(n−1) polynomial per pattern in float64, the exponential
one takes a maximum and a table look-up per pattern. A rate is single-spin update attempts
per second; every rate is measured in this run (best of ``--repeats`` after a warm-up that
pays for compilation), and the table prints each rate's ratio to the Hebbian kernel's and
to the numpy reference of the same network (``--numpy``: one sweep of the reference\ntakes about a minute at the default size).

``--simulate`` adds, per network, ``simulate(record_every=1)`` (energy per neuron,
magnetization and the P pattern overlaps recorded after every sweep; for dense memories
the compiled record loop reads them from the cached projections) as updates/s and as a
ratio to the raw ``step`` rate, and the same records taken by a Python loop over
``step(1)`` measured with numpy (``Network.energy`` and ``couplings.overlaps`` of the
decoded spins: the path ``simulate`` took for dense memories before they had a record
loop).
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np

import statnn as sn


def rate(net, backend, sweeps, repeats):
    import statnn.dynamics.numba.threads as numba_threads

    numba_threads.set_num_threads(1)
    s = sn.sampler(net, T=0.5, chains=1, backend=backend)
    state = s.init(init=0, seed=0)
    s.step(state, 1)  # warm-up: compilation and caches
    best = np.inf
    for _ in range(repeats):
        t0 = time.perf_counter()
        s.step(state, sweeps)
        best = min(best, time.perf_counter() - t0)
    return sweeps * net.n / best


def simulate_rate(net, sweeps, repeats):
    """simulate(record_every=1) from the stored pattern 0, one chain: updates/s."""
    from statnn.stats.diagnostics import ConvergenceWarning

    kw = dict(T=0.5, sweeps=sweeps, burn_in=0, chains=1, init=0, seed=0, backend="numba")
    best = np.inf
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # one chain: no R-hat
        sn.simulate(net, **{**kw, "sweeps": 1})  # warm-up
        for _ in range(repeats):
            t0 = time.perf_counter()
            sn.simulate(net, **kw)
            best = min(best, time.perf_counter() - t0)
    return sweeps * net.n / best


def python_loop_rate(net, sweeps, repeats):
    """The same records by a Python loop over step(1) with numpy measurement: updates/s."""
    s = sn.sampler(net, T=0.5, chains=1, backend="numba")
    state0 = s.init(init=0, seed=0)
    s.step(state0, 1)
    best = np.inf
    for _ in range(repeats):
        state = state0
        t0 = time.perf_counter()
        for _ in range(sweeps):
            state, _ = s.step(state, 1)
            spins = s.spins(state)
            net.energy(spins)
            spins.mean(axis=-1)
            net.couplings.overlaps(spins)
        best = min(best, time.perf_counter() - t0)
    return sweeps * net.n / best


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--p", type=int, default=2000)
    parser.add_argument("--sweeps", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--numpy", action="store_true", help="also time the numpy reference (one sweep: slow)"
    )
    parser.add_argument(
        "--simulate", action="store_true",
        help="also time simulate(record_every=1) and a Python loop over step(1)",
    )  # fmt: skip
    args = parser.parse_args(argv)
    xi = sn.random_patterns(args.p, args.n, seed=0)
    nets = {
        "hebbian (sn.hopfield)": sn.hopfield(xi),
        "dense memory n = 2": sn.dense_memory(xi, degree=2),
        "dense memory n = 3": sn.dense_memory(xi, degree=3),
        "dense memory exp": sn.dense_memory(xi, "exp", beta=1.0),
    }
    print(f"N = {args.n}, P = {args.p}, one chain, one thread, Glauber T = 0.5")
    head = f"{'network':24s} {'numba updates/s':>16s} {'vs hebbian':>11s}"
    if args.numpy:
        head += f" {'vs numpy ref':>13s}"
    if args.simulate:
        head += f" {'simulate/s':>11s} {'sim / step':>10s} {'py loop/s':>10s} {'sim / py':>8s}"
    print(head)
    base = None
    for name, net in nets.items():
        fast = rate(net, "numba", args.sweeps, args.repeats)
        base = fast if base is None else base
        line = f"{name:24s} {fast:16.3e} {fast / base:11.3f}"
        if args.numpy:
            line += f" {fast / rate(net, 'numpy', 1, 1):13.1f}"
        if args.simulate:
            sim = simulate_rate(net, args.sweeps, args.repeats)
            loop = python_loop_rate(net, args.sweeps, args.repeats)
            line += f" {sim:11.3e} {sim / fast:10.3f} {loop:10.3e} {sim / loop:8.2f}"
        print(line, flush=True)


if __name__ == "__main__":
    main()
