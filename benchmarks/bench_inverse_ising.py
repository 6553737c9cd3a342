"""Inverse Ising: joint pseudo-likelihood vs a loop of scikit-learn logistic regressions,
and the PCD negative phase vs the raw sampler.

Run: ``.venv/bin/python benchmarks/bench_inverse_ising.py [--N 64] [--M 10000]
[--beta 1.0] [--repeats 2]``

1. Pseudo-likelihood. Samples of an SK model (Gaussian couplings of variance 1/N) at
   inverse temperature β by Glauber Monte Carlo (500 chains, 1000 sweeps of burn-in,
   one sample every 10 sweeps). ``BoltzmannMachine(method="pseudolikelihood")`` solves
   one joint L-BFGS problem; the peer is the textbook loop of N scikit-learn
   ``LogisticRegression`` fits (lbfgs, the same L2 penalty, S_i on the features 2 S_j,
   symmetrised), also with every thread pool limited to one thread (statnn's joint
   problem runs its products on one BLAS thread at this size). Each is timed at a few
   tolerances; the ratio compares the fastest
   statnn fit whose ε = ‖J − βJ⁰‖/‖βJ⁰‖ is within 0.1 % of the loop's best ε with the
   fastest loop reaching that same ε (target: ≥ 5× faster).
2. PCD. Single-spin update attempts per second of the negative phase during
   ``fit(method="pcd")`` (from ``history_``: building the network and sampler of the new
   couplings, carrying the chains over with ``Sampler.resume`` — which recomputes the
   cached fields, O(chains · N²) —, and the sweeps) against ``sampler.step`` on the same
   network size, chains and sweeps per call in a plain loop; 1 and 10 sweeps per update.

Best of ``--repeats`` for every timing (the machine may be shared).
"""

from __future__ import annotations

import argparse
import os
import platform
import time
import warnings

import numpy as np

import statnn as sn
from statnn.learning import BoltzmannMachine


def best_time(fn, repeats):
    best, out = np.inf, None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def sklearn_loop(X, l2, tol):
    """N independent logistic regressions, couplings symmetrised (same objective as PL)."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression

    M, n = X.shape
    W = np.zeros((n, n))
    C = 1.0 / (2 * M * l2) if l2 > 0 else np.inf
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.simplefilter("ignore", UserWarning)
        for i in range(n):
            rest = np.arange(n) != i
            lr = LogisticRegression(C=C, tol=tol, max_iter=1000)
            lr.fit(2.0 * X[:, rest], X[:, i])
            W[i, rest] = lr.coef_[0]
    return 0.5 * (W + W.T)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--N", type=int, default=64)
    parser.add_argument("--M", type=int, default=10000)
    parser.add_argument("--beta", type=float, default=1.0)
    parser.add_argument("--l2", type=float, default=1e-4)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--skip-pl", action="store_true", help="only the PCD part")
    parser.add_argument(
        "--skip-multithread",
        action="store_true",
        help="time the scikit-learn loop on one thread only",
    )
    args = parser.parse_args(argv)
    print(
        f"statnn {sn.__version__}, numpy {np.__version__}, {platform.machine()}, "
        f"{os.cpu_count()} cores, load average at start {os.getloadavg()[0]:.2f}"
    )
    truth = sn.sk(args.N, seed=0)
    J_true = args.beta * truth.couplings.to_dense()
    X = sn.datasets.boltzmann_samples(
        truth,
        args.M,
        T=1.0 / args.beta,
        method="mc",
        burn_in=1000,
        thin=10,
        chains=500,
        random_state=1,
    )
    eps = lambda J: float(np.linalg.norm(J - J_true) / np.linalg.norm(J_true))  # noqa: E731

    if not args.skip_pl:
        pseudolikelihood_rows(X, args, eps)
    pcd_rows(X, truth, args)


def pseudolikelihood_rows(X, args, eps):
    """Joint pseudo-likelihood against the loop of logistic regressions."""
    print(f"\n-- pseudo-likelihood, N = {args.N}, M = {args.M}, beta = {args.beta}, l2 = {args.l2}")
    BoltzmannMachine(tol=1e-3).fit(X[:200])  # compile the numba kernel
    print(f"{'implementation':38s} {'tol':>7s} {'time (s)':>9s} {'epsilon':>9s} {'iters':>6s}")
    rows = []

    def show(row):
        name, tol, t, e, it = row
        rows.append(row)
        print(f"{name:38s} {tol:7.0e} {t:9.3f} {e:9.5f} {'' if it is None else it:>6}", flush=True)

    for tol in (1e-2, 3e-3, 1e-3, 1e-4, 1e-6):
        t, bm = best_time(
            lambda tol=tol: BoltzmannMachine(l2=args.l2, tol=tol).fit(X), args.repeats
        )
        show(("statnn joint L-BFGS", tol, t, eps(bm.couplings_), bm.n_iter_))
    from threadpoolctl import threadpool_limits

    for tol in (1e-4, 1e-6):  # 1e-4 is scikit-learn's default
        if not args.skip_multithread:
            t, J = best_time(lambda tol=tol: sklearn_loop(X, args.l2, tol), args.repeats)
            show(("sklearn LogisticRegression x N", tol, t, eps(J), None))
        with threadpool_limits(1):  # as statnn's products at this size: one thread
            t, J = best_time(lambda tol=tol: sklearn_loop(X, args.l2, tol), args.repeats)
        show(("sklearn LogisticRegression x N, 1 thr", tol, t, eps(J), None))
    sk_rows = [r for r in rows if r[0].startswith("sklearn")]
    target = min(r[3] for r in sk_rows) * 1.001
    sk_best = min(r[2] for r in sk_rows if r[3] <= target)
    sn_ok = [r[2] for r in rows if r[0].startswith("statnn") and r[3] <= target]
    if sn_ok:
        ratio = sk_best / min(sn_ok)
        print(
            f"same epsilon (<= {target:.5f}): statnn {min(sn_ok):.3f} s, sklearn loop "
            f"{sk_best:.3f} s -> {ratio:.1f}x faster (target >= 5x: "
            f"{'met' if ratio >= 5 else 'NOT met'})"
        )
    else:
        print(f"statnn reached no epsilon <= {target:.5f}")


def pcd_rows(X, truth, args):
    """PCD negative phase against the sampler's own loop."""
    chains, updates = 200, 300
    print(f"\n-- PCD negative phase, N = {args.N}, {chains} chains, {updates} updates")
    BoltzmannMachine("pcd", epochs=5, chains=chains).fit(X)  # warm-up
    s = sn.sampler(truth, T=1.0 / args.beta, chains=chains)
    state, _ = s.step(s.init(seed=0), 1)
    for sweeps in (1, 10):

        def raw(sweeps=sweeps):
            st = state
            for _ in range(updates):
                st, _ = s.step(st, sweeps)
            return st

        fit_rates, raw_rates = [], []
        for _ in range(args.repeats):  # interleaved: both see the same machine load
            bm = BoltzmannMachine("pcd", epochs=updates, chains=chains, sweeps=sweeps)
            h = bm.set_params(random_state=0).fit(X).history_
            fit_rates.append(sum(h["negative_phase_updates"]) / sum(h["negative_phase_s"]))
            t_raw, _ = best_time(raw, 1)
            raw_rates.append(updates * sweeps * args.N * chains / t_raw)
        fit_rate, raw_rate = max(fit_rates), max(raw_rates)
        print(
            f"{sweeps:2d} sweep(s) per update: during fit {fit_rate:.3e} updates/s, "
            f"sampler.step loop {raw_rate:.3e} updates/s, ratio {fit_rate / raw_rate:.2f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
