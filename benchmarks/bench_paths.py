"""The paths users run against the raw kernel: step, simulate, tempering and recall.

Run: ``.venv/bin/python benchmarks/bench_paths.py [--quick] [--backends numba,numpy,torch]
[--threads 1] [--repeats 2] [--paths simulate,tempering,recall] [--only NAME]
[--clock wall|cpu]``

For each coupling representation (multi-spin lattice, one-spin checkerboard lattice, dense,
pattern form, sparse) and backend, one run times, side by side:

* ``step``: the raw kernel, ``sampler.step(state, sweeps)`` in one call;
* ``simulate`` with ``record_every`` = 1, 10, 100 (energy, magnetization, overlaps, q of
  the chain pairs recorded; the default records every sweep);
* ``tempering``: ``simulate(..., tempering=True)`` on a grid of temperatures, against plain
  ``simulate`` on the same grid;
* ``recall``: ``sn.recall`` of 16 cues (``sn.relax`` from 16 random states on networks
  without stored patterns) at the same T, with a time average (``recall avg``) and at T = 0
  to the fixed points (``recall T=0``, rated by the sweeps the chains needed), against
  ``step 16``, the raw kernel stepping 16 chains from cues as corrupted (10 % of the bits
  flipped: a dense kernel's cost grows with the flips it makes).

A rate is single-spin update attempts per second (sweeps × N × chains / best time of
``--repeats`` after a warm-up that pays for compilation; wall time, or CPU time with
``--clock cpu``). The raw step and the ``simulate`` variants of a row, and each tempering
pair, are timed in rounds (each once per round), so a slow spell of a shared machine
falls on both sides of a ratio. Ratios compare rows of this run;
"simulate beyond the sweeps" is the time a ``simulate`` call spends on top of its sweeps
(setting up, the convergence diagnostics, the Run), which a short run pays in full.
The targets printed at the end are those of the record-loop work: simulate(record_every=1)
≥ 0.8 × step on every CPU representation, Ising 128² T = 2.269 Metropolis one thread ≥ 5 ×
``mcising`` (``.venv/bin/pip install mcising``; reported if missing), Hopfield N = 2000,
P = 200, T = 0.3 one chain ≥ 5·10⁷ updates/s, tempering overhead ≤ 10 %.
"""

from __future__ import annotations

import argparse
import os
import warnings

import numpy as np
import scipy.sparse as sp
from timing import CLOCK, best, best_interleaved, use_clock

import statnn as sn
from statnn.memory.retrieval import corrupt


def networks(quick):
    L = 64 if quick else 128
    rng = np.random.default_rng(0)
    n_h, p_h = (1000, 100) if quick else (2000, 200)
    xi = np.where(rng.random((p_h, n_h)) < 0.5, -1, 1).astype(np.int8)
    hop = sn.hopfield(xi)
    dense = sn.Network(hop.couplings.to_dense(np.float32))
    n_s = 4000
    A = sp.random(n_s, n_s, density=10 / n_s, random_state=1, data_rvs=rng.standard_normal)
    A = sp.triu(A, k=1)
    sparse = sn.Network(sp.csr_array(A + A.T) / np.sqrt(10))
    ising = sn.ising((L, L))
    return [
        # name, network, T, rule, schedule, multispin, patterns for recall
        (f"multi-spin lattice {L}²", ising, 2.269, "metropolis", "checkerboard", True, None),
        (f"checkerboard lattice {L}²", ising, 2.269, "metropolis", "checkerboard", False, None),
        (f"dense f32 N={n_h}", dense, 0.3, "glauber", "random", None, xi),
        (f"pattern N={n_h} P={p_h}", hop, 0.3, "glauber", "random", None, None),
        (f"sparse N={n_s} deg≈10", sparse, 1.0, "glauber", "random", None, None),
    ]


def rate(net, sweeps, chains, seconds):
    return sweeps * net.n * chains / seconds


def measure(name, net, T, rule, schedule, backend, sweeps, repeats, recall_patterns, options,
            paths):  # fmt: skip
    kw = dict(dynamics=rule, schedule=schedule, backend=backend, backend_options=options)
    s = sn.sampler(net, T=T, chains=1, **kw)
    state = s.init("random", seed=0)
    timed = {"step": lambda: s.step(state, sweeps)}
    for every in (1, 10, 100) if "simulate" in paths else ():
        if every <= sweeps:
            timed[f"sim/{every}"] = lambda e=every: sn.simulate(
                net, T=T, sweeps=sweeps, burn_in=0, record_every=e, seed=0, **kw
            )
    out = {k: rate(net, sweeps, 1, t) for k, t in best_interleaved(timed, repeats).items()}
    if "tempering" in paths:
        out.update(tempering_rates(net, T, sweeps, repeats, kw))
    if "recall" in paths:
        out.update(recall_rates(net, T, rule, schedule, backend, sweeps, repeats,
                                recall_patterns, options))  # fmt: skip
    return out


def tempering_rates(net, T, sweeps, repeats, kw):
    """Plain ``simulate`` and ``simulate(tempering=True)`` on 4 temperatures T … 1.5 T."""
    grid = np.linspace(T, 1.5 * T, 4)
    t = best_interleaved(
        {
            "sim 4T": lambda: sn.simulate(net, T=grid, sweeps=sweeps // 4, burn_in=0, seed=0, **kw),
            "temper 4T": lambda: sn.simulate(
                net, T=grid, sweeps=sweeps // 4, burn_in=0, seed=0, tempering=True, **kw
            ),
        },
        repeats,
    )
    return {k: rate(net, sweeps // 4, 4, v) for k, v in t.items()}


def recall_rates(net, T, rule, schedule, backend, sweeps, repeats, patterns, options):
    """``recall`` of 16 cues (``relax`` from 16 random states where no patterns are stored),
    against ``step 16``, the raw kernel stepping the same 16 chains:

    * ``recall``: at T for ``sweeps`` sweeps (final overlaps);
    * ``recall avg``: the same with overlaps averaged over the last ``sweeps // 2`` sweeps;
    * ``recall T=0``: at T = 0 until every chain is at a fixed point (cap ``sweeps``),
      rated by the sweeps the chains needed (Σ of ``out.sweeps``), not by the cap.
    """
    kw = dict(backend=backend, schedule=schedule, dynamics=rule, backend_options=options)
    if patterns is None:
        patterns = net.patterns
    if patterns is not None:
        cue = np.arange(min(16, len(patterns)))

        def run(**extra):
            return sn.recall(net, patterns, noise=0.1, cue=cue, seed=0, **kw, **extra)
    else:
        rng = np.random.default_rng(1)
        cue = rng.choice(np.array([-1, 1], dtype=np.int8), size=(16, net.n))

        def run(**extra):
            return sn.relax(net, cue, seed=0, **kw, **extra)

    # the raw kernel on 16 chains started as recall starts them: from cues with the same
    # fraction of flipped bits (the dense kernels' cost grows with the flips they make)
    if patterns is not None:
        starts = corrupt(patterns[cue], 0.1, 0.0, np.random.default_rng(2))
    else:
        starts = cue
    s = sn.sampler(net, T=T, chains=len(cue), allow_asymmetric=True, **kw)
    state = s.init(init=starts[None], seed=0)
    out = {"step 16": rate(net, sweeps, len(cue), best(lambda: s.step(state, sweeps), repeats))}
    out["recall"] = rate(net, sweeps, len(cue), best(lambda: run(T=T, sweeps=sweeps), repeats))
    t = best(lambda: run(T=T, sweeps=sweeps, average=sweeps // 2), repeats)
    out["recall avg"] = rate(net, sweeps, len(cue), t)
    needed = int(np.sum(run(T=0.0, sweeps=sweeps).sweeps))
    out["recall T=0"] = rate(net, needed, 1, best(lambda: run(T=0.0, sweeps=sweeps), repeats))
    return out


def tempering_target(repeats, quick):
    """16 temperatures × 8 chains, Ising 64², Metropolis checkerboard: exchange overhead."""
    net = sn.ising((64, 64))
    grid = np.linspace(2.0, 2.6, 16)
    sweeps = 50 if quick else 200
    kw = dict(T=grid, chains=8, sweeps=sweeps, burn_in=sweeps // 4, seed=0,
              dynamics="metropolis", schedule="checkerboard")  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence warnings of the short runs
        t = best_interleaved(
            {
                "plain": lambda: sn.simulate(net, **kw),
                "tempering": lambda: sn.simulate(net, tempering=True, **kw),
            },
            repeats,
        )
    return t["plain"], t["tempering"]


def python_tempering(repeats, quick):
    """The same tempering run through the Python loop (step + numpy + ReplicaExchange), the
    path of backends without a compiled record loop."""
    from statnn.dynamics.numba.kernel import NumbaKernel

    record = NumbaKernel.record
    del NumbaKernel.record
    try:
        net = sn.ising((64, 64))
        sweeps = 50 if quick else 200
        kw = dict(T=np.linspace(2.0, 2.6, 16), chains=8, sweeps=sweeps, burn_in=sweeps // 4,
                  seed=0, dynamics="metropolis", schedule="checkerboard")  # fmt: skip
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return best(lambda: sn.simulate(net, tempering=True, **kw), repeats)
    finally:
        NumbaKernel.record = record


def mcising_rate(L, T, sweeps, repeats):
    try:
        from mcising import IsingSimulation
    except Exception as exc:  # noqa: BLE001
        return np.nan, f"mcising not installed: {exc}"
    sim = IsingSimulation(L, 1.0, 0.0, 0.0, 0.0, 1, "metropolis", "square")
    return sweeps * L * L / best(lambda: sim.sweep(sweeps, temperature=T), repeats), ""


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--backends", default="numba,numpy")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument(
        "--tempering-only", action="store_true", help="only the tempering-overhead target"
    )
    ap.add_argument(
        "--paths",
        default="simulate,tempering,recall",
        help="comma-separated groups to time beside the raw step (default: all)",
    )
    ap.add_argument("--only", default="", help="time only representations whose name has this")
    ap.add_argument(
        "--clock",
        choices=sorted(CLOCK),
        default="wall",
        help="wall time, or the process's CPU time (steadier on a shared machine; with one "
        "thread it is the time the work took on its core)",
    )
    args = ap.parse_args()
    use_clock(args.clock)
    paths = set(args.paths.split(","))
    import statnn.dynamics.numba.kernel as numba_cpu

    numba_cpu.set_num_threads(args.threads)
    # BLAS (recall's projections, the couplings) on as many threads: OpenBLAS workers
    # spin after each call, which the CPU clock would charge to whatever runs next
    from threadpoolctl import threadpool_limits

    threadpool_limits(args.threads)
    # one chain per temperature cannot pass the convergence diagnostics: not what is timed here
    warnings.filterwarnings("ignore", message="Not converged")
    print(
        f"statnn {sn.__version__}, numba threads {args.threads}, clock {args.clock}, "
        f"load {os.getloadavg()[0]:.2f}"
    )
    if args.tempering_only:
        report_tempering(args.repeats, args.quick)
        return
    cols = ["step"]
    if "simulate" in paths:
        cols += ["sim/1", "sim/10", "sim/100"]
    if "tempering" in paths:
        cols += ["sim 4T", "temper 4T"]
    if "recall" in paths:
        cols += ["step 16", "recall", "recall avg", "recall T=0"]
    print(f"{'representation':28s} {'backend':7s} " + " ".join(f"{c:>10s}" for c in cols))
    results = {}
    for name, net, T, rule, schedule, multispin, recall_patterns in networks(args.quick):
        if args.only not in name:
            continue
        for backend in args.backends.split(","):
            if backend != "numba" and multispin is False:
                continue  # the one-spin/multi-spin split is the numba backend's
            options = None
            if backend == "numba" and multispin is not None:
                options = {"multispin": multispin}
            base = 2000 if "lattice" in name else 200
            if args.quick:
                base //= 4
            sweeps = base if backend == "numba" else max(10, base // 20)
            out = measure(name, net, T, rule, schedule, backend, sweeps, args.repeats,
                          recall_patterns, options, paths)  # fmt: skip
            results[name, backend] = out
            cells = " ".join(f"{out[c]:10.3g}" if c in out else f"{'':>10s}" for c in cols)
            print(f"{name:28s} {backend:7s} {cells}", flush=True)
            ratios = {c: out[c] / out["step"] for c in ("sim/1", "sim/10", "sim/100") if c in out}
            if "temper 4T" in out:
                ratios["temper/plain"] = out["temper 4T"] / out["sim 4T"]
            for c in ("recall", "recall avg", "recall T=0"):
                if c in out:
                    ratios[c] = out[c] / out["step 16"]
            line = ", ".join(f"{k} {v:.2f}" for k, v in ratios.items())
            if "sim/1" in out:  # what a simulate call costs beyond its sweeps
                work = sweeps * net.n
                extra = 1e3 * (work / out["sim/1"] - work / out["step"])
                line += f"; simulate beyond the sweeps: {extra:.1f} ms per call"
            print(f"{'':36s} ratios: {line}")
    if "simulate" not in paths or args.only:
        print(f"load at end {os.getloadavg()[0]:.2f}")
        return
    print("\nTargets:")
    for (name, backend), out in results.items():
        if backend == "numba":
            r = out["sim/1"] / out["step"]
            print(
                f"  [{'PASS' if r >= 0.8 else 'MISS'}] {name}: simulate(record_every=1) / step >= 0.8: {r:.2f}"
            )
    L = 64 if args.quick else 128
    msc = results.get((f"multi-spin lattice {L}²", "numba"))
    mc, note = mcising_rate(L, 2.269, 200 if args.quick else 1000, args.repeats)
    if msc is not None:
        if np.isnan(mc):
            print(f"  [n/a ] Ising {L}²: simulate / mcising >= 5: {note}")
        else:
            r = msc["sim/1"] / mc
            print(f"  [{'PASS' if r >= 5 else 'MISS'}] Ising {L}² (simulate {msc['sim/1'] / 1e9:.2f}/ns, "
                  f"mcising {mc / 1e9:.3f}/ns): simulate / mcising >= 5: {r:.1f}")  # fmt: skip
    hop = [out for (name, b), out in results.items() if name.startswith("pattern") and b == "numba"]
    if hop and not args.quick:
        r = hop[0]["sim/1"]
        print(
            f"  [{'PASS' if r >= 5e7 else 'MISS'}] Hopfield N=2000 P=200 T=0.3 simulate updates/s >= 5e7: {r:.3g}"
        )
    if "tempering" not in paths:
        print(f"load at end {os.getloadavg()[0]:.2f}")
        return
    report_tempering(args.repeats, args.quick)


def report_tempering(repeats, quick):
    plain, temp = tempering_target(repeats, quick)
    over = temp / plain - 1
    loop = python_tempering(1, quick)
    print(
        f"  simulate 16 T x 8 chains Ising 64²: plain {plain:.3f} s, tempering=True {temp:.3f} s "
        f"(the Python loop: {loop:.3f} s, {loop / temp:.1f}x)"
    )
    print(
        f"  [{'PASS' if over <= 0.1 else 'MISS'}] tempering 16 T x 8 chains Ising 64²: overhead <= 10 %: {100 * over:.1f} %"
    )
    print(f"load at end {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
