"""Time and memory of the Hopfield entry points as N grows, up to N = 10⁵ neurons.

Run: ``.venv/bin/python benchmarks/bench_scale.py [--quick] [--sizes 1000,10000,100000]
[--alphas 0.05,0.1]``

For every N and load α (P = αN Hebbian patterns, pattern form) one fresh subprocess
measures, after a warm-up on a tiny network that pays for numba's compilation:

* ``random_patterns`` + ``hopfield``: wall time and peak memory;
* ``recall`` of 8 cues at T = 0 (``sweeps=4``, stops at fixed points) — time per sweep;
* ``simulate`` at T = 0.3 with 4 chains, 2 sweeps — time per sweep, end to end;
* ``sampler.step`` of the same 4 chains (the raw kernel): ns per pattern element per update;

with the peak of Python-visible allocations (``tracemalloc``, numpy arrays included) and
the process's maximum resident set size (RSS, which also counts the interpreter, numba and
the libraries: ~300 MB before any work). Memory is reported as a ratio to the int8 pattern
table (P·N bytes). The table ends with the exponents of time ∝ (N·P)^b fitted over the
sizes (b = 1 expected: O(P) per update, N updates per sweep).

The issue-17 targets: at N = 10⁵, P = 10⁴ the whole job (hopfield + recall + simulate)
peaks at ≤ 1.5 × the table; the pattern kernel costs ≤ 0.1 ns per pattern element.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys

import numpy as np

CHILD = r"""
import json, resource, sys, time, tracemalloc
import numpy as np
import statnn as sn

N, P = int(sys.argv[1]), int(sys.argv[2])
tiny = sn.hopfield(sn.random_patterns(4, 64, seed=1))
sn.recall(tiny, tiny.patterns, cue=[0], T=0.0, sweeps=2, seed=0)
sn.simulate(tiny, T=0.3, sweeps=2, chains=4, seed=0)
out = {}
tracemalloc.start()
t = time.perf_counter()
xi = sn.random_patterns(P, N, seed=0)
net = sn.hopfield(xi)
out["build_s"] = time.perf_counter() - t
out["build_peak"] = tracemalloc.get_traced_memory()[1]
tracemalloc.reset_peak()
t = time.perf_counter()
res = sn.recall(net, xi, cue=np.arange(8), noise=0.1, T=0.0, sweeps=4, seed=0)
dt = time.perf_counter() - t
out["recall_sweeps"] = float(np.max(res.sweeps))
out["recall_s_per_sweep"] = dt / out["recall_sweeps"]
out["recall_peak"] = tracemalloc.get_traced_memory()[1]
out["recall_overlap"] = float(np.mean(res.overlap))
tracemalloc.reset_peak()
t = time.perf_counter()
sn.simulate(net, T=0.3, sweeps=2, burn_in=0, chains=4, seed=0, record_every=1)
out["simulate_s_per_sweep"] = (time.perf_counter() - t) / 2
out["simulate_peak"] = tracemalloc.get_traced_memory()[1]
s = sn.sampler(net, T=0.3, chains=4)
state = s.init(seed=0)
state, _ = s.step(state, sweeps=1)
t = time.perf_counter()
state, _ = s.step(state, sweeps=2)
out["step_s_per_sweep"] = (time.perf_counter() - t) / 2
out["job_peak"] = max(out["build_peak"], out["recall_peak"], out["simulate_peak"])
out["rss"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
out["table"] = xi.nbytes
print(json.dumps(out))
"""


def measure(n: int, p: int) -> dict:
    """Run one size in a fresh process (so RSS and the allocator start clean)."""
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, str(n), str(p)],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )
    if proc.returncode != 0:
        return {"error": proc.stderr.strip().splitlines()[-1] if proc.stderr else "failed"}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="N = 1000, 4000, 16000 only")
    parser.add_argument("--sizes", default=None, help="comma-separated N values")
    parser.add_argument("--alphas", default="0.05,0.1", help="comma-separated loads")
    args = parser.parse_args(argv)
    if args.sizes:
        sizes = [int(s) for s in args.sizes.split(",")]
    elif args.quick:
        sizes = [1000, 4000, 16000]
    else:
        sizes = [1000, 4000, 16000, 64000, 100000]
    alphas = [float(a) for a in args.alphas.split(",")]
    header = (
        f"{'N':>7} {'P':>6} {'table':>9} {'build s':>8} {'recall s/sw':>11} "
        f"{'sim s/sw':>9} {'ns/elem':>8} {'recall pk':>10} {'job/table':>9} {'RSS':>9}"
    )
    print(header)
    fits: dict[float, list[tuple[float, float, float]]] = {a: [] for a in alphas}
    for alpha in alphas:
        for n in sizes:
            p = max(1, int(round(alpha * n)))
            r = measure(n, p)
            if "error" in r:
                print(f"{n:>7} {p:>6}  failed: {r['error']}")
                continue
            # simulate: 4 chains × N updates per sweep, each one P-long dot product
            ns_elem = r["step_s_per_sweep"] * 1e9 / (4 * n * p)
            print(
                f"{n:>7} {p:>6} {r['table'] / 1e6:>7.1f}MB {r['build_s']:>8.2f} "
                f"{r['recall_s_per_sweep']:>11.3f} {r['simulate_s_per_sweep']:>9.3f} "
                f"{ns_elem:>8.3f} {r['recall_peak'] / r['table']:>10.2f} "
                f"{r['job_peak'] / r['table']:>9.2f} "
                f"{r['rss'] / 1e6:>7.0f}MB"
            )
            fits[alpha].append((n * p, r["simulate_s_per_sweep"], r["recall_s_per_sweep"]))
    for alpha, rows in fits.items():
        if len(rows) >= 2:
            x = np.log([r[0] for r in rows])
            b_sim = np.polyfit(x, np.log([r[1] for r in rows]), 1)[0]
            b_rec = np.polyfit(x, np.log([r[2] for r in rows]), 1)[0]
            print(
                f"alpha={alpha:g}: time per sweep ∝ (N·P)^b with b = {b_sim:.2f} (simulate), "
                f"{b_rec:.2f} (recall); expected 1"
            )
    print(
        "recall pk: tracemalloc peak during recall / table (the table included); "
        "job/table: the peak of the whole job (build, recall, simulate) / table; "
        "ns/elem: the raw kernel's (sampler.step) time per update and pattern element."
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
