"""Round trips of the SK experiment's parallel tempering: tuned ladder vs geometric.

For each disorder seed, ``statnn.experiments.sk_glass`` runs once with the geometric
ladder and once with the ladder tuned toward equal swap acceptance (``ladder="auto"``),
on the same disorder sample with the same number of temperatures between the same ends;
the ratio of their round-trip rates (round trips per replica ladder and sweep) is paired
by sample. Prints one row per seed and the mean ratio with its standard error.

    python benchmarks/bench_tempering_ladder.py [--N 128] [--seeds 8] [--sweeps 4000]
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np

from statnn.experiments import sk_glass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--N", type=int, default=128)
    parser.add_argument("--seeds", type=int, default=8)
    parser.add_argument("--sweeps", type=int, default=4000)
    parser.add_argument("--burn-in", type=int, default=1000)
    args = parser.parse_args()
    kw = dict(N=[args.N], samples=1, sweeps=args.sweeps, burn_in=args.burn_in, record_every=1)
    print(f"SK N={args.N}, quick-size ladder (14 T in [0.3, 1.6]), 8 chains, exchange every sweep")
    print("seed  geometric  tuned   ratio")
    rows = []
    start = time.perf_counter()
    for seed in range(args.seeds):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            g = float(sk_glass("quick", seed=seed, ladder="geometric", **kw).round_trip_rate[0])
            a = float(sk_glass("quick", seed=seed, ladder="auto", **kw).round_trip_rate[0])
        rows.append((g, a))
        print(f"{seed:4d}  {g:9.5f}  {a:.5f}  {a / g:.3f}", flush=True)
    r = np.asarray(rows)
    ratio = r[:, 1] / r[:, 0]
    se = ratio.std(ddof=1) / np.sqrt(len(ratio)) if len(ratio) > 1 else float("nan")
    print(
        f"mean  {r[:, 0].mean():9.5f}  {r[:, 1].mean():.5f}  {ratio.mean():.3f} ± {se:.3f}"
        f"  ({time.perf_counter() - start:.0f} s)"
    )


if __name__ == "__main__":
    main()
