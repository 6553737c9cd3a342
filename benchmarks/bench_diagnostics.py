"""The convergence check of every ``simulate``: statnn's vectorised R̂ and bulk ESS vs ArviZ.

Run: ``.venv/bin/python benchmarks/bench_diagnostics.py [--repeats 5]``

``simulate`` ends with :func:`statnn.dynamics.convergence.warn_unconverged`: the
rank-normalised split-R̂ and the bulk ESS of the energy and of |m|, per temperature.
statnn computes both vectorised (:mod:`statnn.stats._ranknorm`); ArviZ
(``arviz_stats.base.array_stats``) loops over the temperatures in Python and over the
lags of Geyer's sequences. In one run this times, in CPU time (``time.process_time``,
best of ``--repeats``):

* the check on (n_T, chains, draws) AR(1) series with φ = 0.99 (long autocorrelation:
  many Geyer lags), statnn against ArviZ's ``rhat(method="rank")`` + ``ess(method="bulk")``;
* ``sn.simulate`` end to end on a 128² Ising lattice at T = 2.269 (2000 sweeps) and a
  Hopfield network N = 2000 (200 sweeps), with statnn's check and with ArviZ's swapped in.
"""

from __future__ import annotations

import argparse
import os
import time
import warnings

import numpy as np
from arviz_stats.base import array_stats
from scipy.signal import lfilter

import statnn as sn
import statnn.dynamics.convergence as convergence
from statnn.stats.diagnostics import _chains, _constant, rhat_and_bulk_ess


def arviz_rhat_and_bulk_ess(x):
    """What statnn returned before: ArviZ's functions, statnn's conventions around them."""
    y = _chains(x, "rhat")
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        r = np.asarray(array_stats.rhat(y, method="rank"), dtype=float)
        e = np.asarray(array_stats.ess(y, method="bulk"), dtype=float)
    c = _constant(y)
    return np.where(c, 1.0, r), np.where(c, float(y.shape[-2] * y.shape[-1]), e)


def cpu_best(fn, repeats, inner=1):
    fn()
    t = np.inf
    for _ in range(repeats):
        t0 = time.process_time()
        for _ in range(inner):
            fn()
        t = min(t, (time.process_time() - t0) / inner)
    return t


def ar1(phi, shape, seed):
    rng = np.random.default_rng(seed)
    eps = rng.standard_normal(shape)
    s = np.sqrt(1.0 - phi**2)
    eps[..., 0] /= s
    return lfilter([s], [1.0, -phi], eps, axis=-1)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    print(f"load average at start: {os.getloadavg()[0]:.2f}")
    print(f"{'case':44s} {'ArviZ':>10s} {'statnn':>10s} {'ratio':>7s}")
    for shape in [(1, 1, 200), (1, 1, 2000), (16, 8, 200)]:
        e, m = ar1(0.99, shape, 1), np.abs(ar1(0.99, shape, 2))
        times = []
        for func in (arviz_rhat_and_bulk_ess, rhat_and_bulk_ess):
            times.append(cpu_best(lambda f=func, e=e, m=m: (f(e), f(m)), args.repeats, inner=10))
        print(
            f"{'check, AR(0.99) e and |m| ' + str(shape):44s} {times[0] * 1e3:8.2f}ms "
            f"{times[1] * 1e3:8.2f}ms {times[0] / times[1]:6.1f}x"
        )
    rng = np.random.default_rng(0)
    xi = np.where(rng.random((200, 2000)) < 0.5, -1, 1).astype(np.int8)
    runs = {
        "simulate Ising 128^2 T=2.269, 2000 sweeps": lambda: sn.simulate(
            sn.ising((128, 128)),
            T=2.269,
            sweeps=2000,
            burn_in=0,
            dynamics="metropolis",
            schedule="checkerboard",
            seed=0,
        ),
        "simulate Hopfield N=2000 P=200, 200 sweeps": lambda: sn.simulate(
            sn.hopfield(xi), T=0.3, sweeps=200, burn_in=0, seed=0
        ),
    }
    for name, run in runs.items():
        times = []
        for func in (arviz_rhat_and_bulk_ess, rhat_and_bulk_ess):
            convergence.rhat_and_bulk_ess = func
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                times.append(cpu_best(run, args.repeats))
        convergence.rhat_and_bulk_ess = rhat_and_bulk_ess
        print(
            f"{name:44s} {times[0] * 1e3:8.2f}ms {times[1] * 1e3:8.2f}ms "
            f"{times[0] / times[1]:6.2f}x"
        )
    print(f"load average at end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
