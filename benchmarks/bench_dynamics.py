"""Speed of the CPU dynamics engine against the numpy reference and against PyPI peers.

Run: ``.venv/bin/python benchmarks/bench_dynamics.py [--quick] [--case hopfield|sk|ising]
[--repeats 3]``

Every case is one function returning table rows; every row is timed in this run (best of
``--repeats``, after a warm-up that pays for compilation), so ratios compare like with
like on the same machine at the same moment. A rate is *single-spin update attempts* per
second (flipped or not): sweeps × N × chains / seconds. "per core" rows run one chain on
one thread; "all cores" rows run one chain per thread.

Cases and design goals (on a 2-core machine):

1. ``hopfield`` — Hopfield network in pattern form, N = 10 000, P = 1 000, T = 0.3,
   asynchronous Glauber: statnn ≥ 1 000 × ``hopfieldnetwork``'s
   ``update_neurons_with_finite_temp(…, "async", β)`` (dense N × N matrix, one
   ``np.dot`` per neuron, a fresh permutation each sweep).
2. ``sk`` — dense SK couplings, N = 1 000, β = 1, random-sequential Glauber:
   ≥ 20 million updates/s per core and ≥ 10 × the numpy reference.
3. ``ising`` — 2D Ising 256 × 256 at T = 2.269: ≥ ``mcising``'s per-core rate (its Rust
   Metropolis sweep, one thread) and ≥ 5 updates/ns on both cores together.

Peers are not project dependencies: ``.venv/bin/pip install hopfieldnetwork mcising``.
A peer that is missing or fails is reported in the table, not silently skipped.

Adding a backend (e.g. torch): give :func:`statnn_row` its ``backend``/``device`` and
append rows in the case functions; the timing and the table are shared.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from dataclasses import dataclass

import numpy as np

import statnn as sn


@dataclass
class Row:
    case: str
    impl: str
    layout: str
    rate: float  # update attempts per second (nan when not measured)
    note: str = ""


def best_time(fn, repeats: int) -> float:
    """Shortest wall time of ``fn()`` over ``repeats`` calls (after the caller's warm-up)."""
    best = np.inf
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def statnn_row(
    case,
    net,
    T,
    *,
    backend,
    chains=1,
    threads=None,
    schedule="random",
    rule="glauber",
    sweeps=10,
    repeats=3,
    device=None,
    label=None,
):
    """Time ``sweeps`` sweeps of ``sn.sampler(...)`` for one temperature and ``chains`` chains."""
    import statnn.dynamics.numba.threads as numba_threads

    before = numba_threads.get_num_threads()
    if threads is not None:
        numba_threads.set_num_threads(threads)
    try:
        s = sn.sampler(
            net,
            T=T,
            chains=chains,
            dynamics=rule,
            schedule=schedule,
            backend=backend,
            device=device,
        )
        state = s.init(init="random", seed=0)
        state, _ = s.step(state, 1)  # warm-up: compilation, caches
        holder = {"state": state}

        def run():
            holder["state"], holder["info"] = s.step(holder["state"], sweeps)

        seconds = best_time(run, repeats)
    finally:
        numba_threads.set_num_threads(before)
    rate = sweeps * net.n * chains / seconds
    acc = float(holder["info"].acceptance.mean())
    layout = f"{chains} chain{'s' * (chains > 1)}"
    if backend == "numba":
        layout += f", {threads or before} thr"
    name = label or (backend if device is None else f"{backend}[{device}]")
    return Row(case, f"statnn {name} ({rule}, {schedule})", layout, rate, f"acc {acc:.2f}")


def random_patterns(p, n, seed=0):
    rng = np.random.default_rng(seed)
    return np.where(rng.random((p, n)) < 0.5, -1, 1).astype(np.int8)


# -- cases ----------------------------------------------------------------------------------
def case_hopfield(args):
    case = "hopfield N=10000 P=1000 T=0.3"
    n, p, T = 10_000, 1_000, 0.3
    xi = random_patterns(p, n)
    net = sn.hopfield(xi)
    sweeps = 1 if args.quick else 3
    rows = [
        statnn_row(case, net, T, backend="numba", threads=1, sweeps=sweeps, repeats=args.repeats),
        statnn_row(
            case,
            net,
            T,
            backend="numba",
            threads=1,
            schedule="permuted",
            sweeps=sweeps,
            repeats=args.repeats,
        ),
        statnn_row(
            case,
            net,
            T,
            backend="numba",
            chains=2,
            threads=2,
            sweeps=sweeps,
            repeats=args.repeats,
        ),
    ]
    rows.extend(_hopfieldnetwork_row(case, xi, T, args))
    return rows


def _hopfieldnetwork_row(case, xi, T, args):
    try:
        import hopfieldnetwork
    except Exception as exc:  # noqa: BLE001 - report why the peer is missing
        return [Row(case, "hopfieldnetwork (peer)", "1 chain", np.nan, f"not installed: {exc}")]
    p, n = xi.shape
    x = xi.astype(np.float32)
    w = (x.T @ x).astype(np.float64) / n  # its Hebbian matrix, built fast (train_pattern
    np.fill_diagonal(w, 0.0)  # would form 1 000 outer products of 800 MB each)
    start = np.where(np.random.default_rng(1).random(n) < 0.5, -1, 1).astype(np.int8)
    version = getattr(hopfieldnetwork, "__version__", "?")
    rows = []
    for patched in (False, True):
        cls = (
            _patched_hopfieldnetwork(hopfieldnetwork)
            if patched
            else hopfieldnetwork.HopfieldNetwork
        )
        label = f"hopfieldnetwork {version} (peer, async finite T{', patched' if patched else ''})"
        try:
            net = cls(N=n)
            net.w, net.xi, net.p = w, xi.T.copy(), p
            net.set_initial_neurons_state(start.copy())
            net.update_neurons_with_finite_temp(1, "async", 1.0 / T)  # warm-up
            seconds = best_time(
                lambda net=net: net.update_neurons_with_finite_temp(1, "async", 1.0 / T),
                1 if args.quick else min(args.repeats, 2),
            )
        except Exception as exc:  # noqa: BLE001 - report why the peer cannot run
            rows.append(Row(case, label, "1 chain", np.nan, f"fails here: {exc!r}"))
            continue
        note = "dense N×N float64"
        if patched:
            note += "; rand(1) -> rand() so NumPy 2 accepts it"
        rows.append(Row(case, label, "1 chain, numpy", n / seconds, note))
    return rows


def _patched_hopfieldnetwork(module):
    """hopfieldnetwork's own async finite-T loop with the one change NumPy 2 needs.

    Upstream assigns ``np.random.rand(1)`` comparisons (1-element arrays) to ``S[i]``,
    which NumPy >= 2 rejects ("setting an array element with a sequence"); here the
    uniform is a scalar, everything else is line for line its algorithm.
    """

    class Patched(module.HopfieldNetwork):
        def update_neurons_with_finite_temp(self, iterations, mode, beta):
            self.t += iterations
            for _ in range(iterations):
                for i in np.random.permutation(self.N):  # noqa: NPY002 - as upstream
                    self.S[i] = (
                        2
                        * (
                            1 / (1 + np.exp(-2 * beta * np.dot(self.w[i, :], self.S)))
                            >= np.random.rand()  # noqa: NPY002
                        )
                        - 1
                    )

    return Patched


def case_sk(args):
    case = "SK dense N=1000 beta=1"
    rows = []
    sweeps = 50 if args.quick else 200
    for dtype in (np.float64, np.float32):
        net = sn.sk(1000, seed=0, dtype=dtype)
        label = f"numba {np.dtype(dtype).name}"
        rows.append(
            statnn_row(
                case,
                net,
                1.0,
                backend="numba",
                threads=1,
                sweeps=sweeps,
                repeats=args.repeats,
                label=label,
            )
        )
        rows.append(
            statnn_row(
                case,
                net,
                1.0,
                backend="numba",
                chains=2,
                threads=2,
                sweeps=sweeps,
                repeats=args.repeats,
                label=label,
            )
        )
    net = sn.sk(1000, seed=0)
    for chains in (1, 2):
        rows.append(
            statnn_row(
                case,
                net,
                1.0,
                backend="numpy",
                chains=chains,
                sweeps=1,
                repeats=1 if args.quick else 2,
                label="numpy float64 (reference)",
            )
        )
    return rows


def case_ising(args):
    case = "2D Ising 256x256 T=2.269"
    net = sn.ising((256, 256))
    T = 2.269
    sweeps = 20 if args.quick else 100
    rows = []
    for rule in ("metropolis", "glauber"):
        rows.append(
            statnn_row(
                case,
                net,
                T,
                backend="numba",
                threads=1,
                schedule="checkerboard",
                rule=rule,
                sweeps=sweeps,
                repeats=args.repeats,
            )
        )
        rows.append(
            statnn_row(
                case,
                net,
                T,
                backend="numba",
                chains=2,
                threads=2,
                schedule="checkerboard",
                rule=rule,
                sweeps=sweeps,
                repeats=args.repeats,
            )
        )
    rows.append(
        statnn_row(
            case,
            net,
            T,
            backend="numpy",
            schedule="checkerboard",
            sweeps=2,
            repeats=1,
            label="numpy (reference)",
        )
    )
    rows.append(_mcising_row(case, T, sweeps, args))
    return rows


def _mcising_row(case, T, sweeps, args):
    try:
        import mcising
        from mcising import IsingSimulation
    except Exception as exc:  # noqa: BLE001
        return Row(case, "mcising (peer)", "1 chain", np.nan, f"not installed: {exc}")
    try:
        sim = IsingSimulation(256, 1.0, 0.0, 0.0, 0.0, 1, "metropolis", "square")
        sim.sweep(2, temperature=T)
        seconds = best_time(lambda: sim.sweep(sweeps, temperature=T), args.repeats)
    except Exception as exc:  # noqa: BLE001
        return Row(case, "mcising (peer)", "1 chain", np.nan, f"failed: {exc!r}")
    return Row(
        case,
        f"mcising {mcising.__version__} (peer, Rust metropolis, sequential)",
        "1 chain, 1 thr",
        sweeps * 256 * 256 / seconds,
    )


CASES = {"hopfield": case_hopfield, "sk": case_sk, "ising": case_ising}


# -- report ---------------------------------------------------------------------------------
def print_table(rows):
    width = max(len(r.impl) for r in rows)
    print(f"{'implementation':<{width}}  {'layout':<18} {'updates/s':>10} {'per ns':>7}  note")
    case = None
    for r in rows:
        if r.case != case:
            case = r.case
            print(f"-- {case}")
        rate = "n/a" if np.isnan(r.rate) else f"{r.rate:10.3g}"
        per_ns = "" if np.isnan(r.rate) else f"{r.rate * 1e-9:7.3f}"
        print(f"{r.impl:<{width}}  {r.layout:<18} {rate:>10} {per_ns:>7}  {r.note}")


def _find(rows, case, impl_start, layout_start=""):
    for r in rows:
        if r.case.startswith(case) and r.impl.startswith(impl_start):
            if r.layout.startswith(layout_start):
                return r.rate
    return np.nan


def print_targets(rows):
    print("\nDesign goals (met / below; they depend on the machine and its load):")
    checks = []
    hop = _find(rows, "hopfield", "statnn numba (glauber, random)", "1 chain")
    peer = _find(rows, "hopfield", "hopfieldnetwork")
    if np.isnan(peer):
        peer = _find(rows, "hopfield", "hopfieldnetwork", "1 chain, numpy")
    for r in rows:
        if r.case.startswith("hopfield") and r.impl.startswith("hopfieldnetwork"):
            if not np.isnan(r.rate):
                peer = r.rate
    checks.append(("hopfield: statnn / hopfieldnetwork >= 1000", hop / peer, 1000))
    sk1 = _find(rows, "SK", "statnn numba float32", "1 chain")
    sk1_64 = _find(rows, "SK", "statnn numba float64", "1 chain")
    checks.append(("SK float32: updates/s per core >= 2e7", sk1, 2e7))
    checks.append(("SK float64: updates/s per core >= 2e7", sk1_64, 2e7))
    ref = _find(rows, "SK", "statnn numpy", "1 chain")
    checks.append(("SK float64: numba / numpy reference >= 10 (1 chain)", sk1_64 / ref, 10))
    ref2 = _find(rows, "SK", "statnn numpy", "2 chains")
    sk2 = _find(rows, "SK", "statnn numba float64", "2 chains")
    checks.append(("SK float64: numba / numpy reference >= 10 (2 chains)", sk2 / ref2, 10))
    mc = _find(rows, "2D Ising", "mcising")
    ising1 = _find(rows, "2D Ising", "statnn numba (metropolis", "1 chain")
    ising2 = _find(rows, "2D Ising", "statnn numba (metropolis", "2 chains")
    checks.append(("Ising: statnn per core / mcising >= 1", ising1 / mc, 1))
    checks.append(("Ising: updates/ns on both cores >= 5", ising2 * 1e-9, 5))
    for text, value, goal in checks:
        if np.isnan(value):
            print(f"  [ n/a ] {text}")
        else:
            mark = " met " if value >= goal else "below"
            print(f"  [{mark}] {text}: {value:.3g}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer sweeps and repeats")
    parser.add_argument("--case", choices=[*CASES, "all"], default="all")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    if args.quick:
        args.repeats = min(args.repeats, 2)
    import numba

    print(
        f"statnn {sn.__version__}, numpy {np.__version__}, numba {numba.__version__}, "
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"threading layer: {numba.config.THREADING_LAYER}"
    )
    try:
        print(f"load average at start: {os.getloadavg()[0]:.2f}")
    except OSError:
        pass
    rows = []
    for name, fn in CASES.items():
        if args.case in (name, "all"):
            rows.extend(fn(args))
    print_table(rows)
    if args.case == "all":
        print_targets(rows)
    try:
        print(f"load average at end: {os.getloadavg()[0]:.2f} (other processes share the cores)")
    except OSError:
        pass


if __name__ == "__main__":
    main()
