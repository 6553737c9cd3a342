"""The convergence check of every ``simulate``: statnn's compiled R̂ and bulk ESS against
its numpy reference and ArviZ.

Run: ``.venv/bin/python benchmarks/bench_diagnostics.py [--repeats 5]``

``simulate`` ends with :func:`statnn.dynamics.convergence.warn_unconverged`: the
rank-normalised split-R̂ and the bulk ESS of the energy and of |m|, per temperature.
statnn computes both with numba (:mod:`statnn.stats._ranknorm_compiled`: one NumPy sort per
call, the rest in compiled loops); :mod:`statnn.stats._ranknorm` is the numpy reference
(about sixty array operations per call); ArviZ (``arviz_stats.base.array_stats``) loops
over the temperatures in Python and over the lags of Geyer's sequences. In one run this
times, in CPU time (``time.process_time``, best of ``--repeats`` rounds, the three timed
in turn within each round):

* the check (``statnn.stats.diagnostics.rhat_and_bulk_ess``, with each implementation
  swapped in) on the energy and |m| series of two simulations -- a 128² Ising lattice at
  T = 2.269 (one chain, 2000 records: the benchmark case of ``bench_paths``, strongly
  correlated, many ties) and a 16² one at 15 temperatures × 8 chains × 1500 records --
  and on AR(1) series with φ = 0.5 and 0.99;
* ``sn.simulate`` end to end on the 128² lattice (2000 sweeps) and a Hopfield network
  N = 2000 (200 sweeps) with each implementation, and the time the check itself took
  inside those calls (right after the sweeps: cold caches).
"""

from __future__ import annotations

import argparse
import os
import time
import warnings

import numpy as np
from arviz_stats.base import array_stats
from scipy.signal import lfilter
from timing import best_interleaved, use_clock

import statnn as sn
import statnn.dynamics.convergence as convergence
import statnn.stats.diagnostics as diagnostics
from statnn.stats import _ranknorm, _ranknorm_compiled
from statnn.stats.diagnostics import _chains, _constant, rhat_and_bulk_ess


def arviz_rhat_and_bulk_ess(x):
    """ArviZ's functions, statnn's conventions around them."""
    y = _chains(x, "rhat")
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        r = np.asarray(array_stats.rhat(y, method="rank"), dtype=float)
        e = np.asarray(array_stats.ess(y, method="bulk"), dtype=float)
    c = _constant(y)
    return np.where(c, 1.0, r), np.where(c, float(y.shape[-2] * y.shape[-1]), e)


def numpy_rhat_and_bulk_ess(x):
    """statnn's check computed by the numpy reference :mod:`statnn.stats._ranknorm`."""
    diagnostics._compiled = lambda: _ranknorm
    try:
        return rhat_and_bulk_ess(x)
    finally:
        diagnostics._compiled = _compiled_module


def _compiled_module():
    return _ranknorm_compiled


IMPLEMENTATIONS = {
    "ArviZ": arviz_rhat_and_bulk_ess,
    "numpy": numpy_rhat_and_bulk_ess,
    "compiled": rhat_and_bulk_ess,
}


def ar1(phi, shape, seed):
    rng = np.random.default_rng(seed)
    eps = rng.standard_normal(shape)
    s = np.sqrt(1.0 - phi**2)
    eps[..., 0] /= s
    return lfilter([s], [1.0, -phi], eps, axis=-1)


def _series(run) -> np.ndarray:
    return np.stack([run.energy, np.abs(run.magnetization)])


def _row(name: str, t: dict) -> str:
    c = t["compiled"]
    return (
        f"{name:50s} {t['ArviZ'] * 1e3:8.3f} {t['numpy'] * 1e3:8.3f} {c * 1e3:8.3f}"
        f" {t['ArviZ'] / c:7.1f}x {t['numpy'] / c:7.2f}x"
    )


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    use_clock("cpu")
    print(f"load average at start: {os.getloadavg()[0]:.2f}")
    ising = dict(dynamics="metropolis", schedule="checkerboard", seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        big = sn.simulate(sn.ising((128, 128)), T=2.269, sweeps=2000, burn_in=0, **ising)
        many = sn.simulate(
            sn.ising((16, 16)), T=np.linspace(1.5, 3.5, 15), chains=8, sweeps=1500, **ising
        )
    cases = {
        "check, Ising 128^2 e and |m| (1, 1, 2000)": _series(big),
        "check, Ising 16^2 e and |m| (15, 8, 1500)": _series(many),
        "check, AR(0.5) e and |m| (1, 1, 2000)": ar1(0.5, (2, 1, 1, 2000), 1),
        "check, AR(0.99) e and |m| (1, 1, 2000)": ar1(0.99, (2, 1, 1, 2000), 1),
        "check, AR(0.99) e and |m| (16, 8, 200)": ar1(0.99, (2, 16, 8, 200), 2),
    }
    print(
        f"{'case (ms per call)':50s} {'ArviZ':>8s} {'numpy':>8s} {'compiled':>8s} "
        f"{'ArviZ/c':>8s} {'numpy/c':>8s}"
    )
    for name, x in cases.items():
        inner = 20 if x.shape[-3] == 1 else 1
        fns = {k: (lambda f=f, x=x: f(x)) for k, f in IMPLEMENTATIONS.items()}
        print(_row(name, best_interleaved(fns, args.repeats, inner)))
    rng = np.random.default_rng(0)
    xi = np.where(rng.random((200, 2000)) < 0.5, -1, 1).astype(np.int8)
    runs = {
        "simulate Ising 128^2 T=2.269, 2000 sweeps": lambda: sn.simulate(
            sn.ising((128, 128)), T=2.269, sweeps=2000, burn_in=0, **ising
        ),
        "simulate Hopfield N=2000 P=200, 200 sweeps": lambda: sn.simulate(
            sn.hopfield(xi), T=0.3, sweeps=200, burn_in=0, seed=0
        ),
    }
    inside: dict[str, list[float]] = {}

    def timed(name, func):
        def check(x):
            t0 = time.process_time()
            out = func(x)
            inside.setdefault(name, []).append(time.process_time() - t0)
            return out

        return check

    for run_name, run in runs.items():
        inside.clear()
        fns = {}
        for name, func in IMPLEMENTATIONS.items():

            def call(name=name, func=func, run=run):
                convergence.rhat_and_bulk_ess = timed(name, func)
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    run()

            fns[name] = call
        t = best_interleaved(fns, args.repeats)
        convergence.rhat_and_bulk_ess = rhat_and_bulk_ess
        print(_row(run_name, t))
        print(_row("  of which the check, inside simulate", {k: min(v) for k, v in inside.items()}))
    print(f"load average at end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
