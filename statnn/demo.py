"""The main job: associative recall in a Hopfield network and a 2D Ising temperature sweep.

``statnn demo`` (or ``python -m statnn demo``) stores random patterns, recalls them from
10 %-corrupted cues at T = 0 and T = 0.5 beside the AGS theory, and sweeps a small 2D Ising
lattice through its transition beside Onsager's exact curves, printing readable tables.
"""

from __future__ import annotations

import time

import numpy as np

import statnn.theory as theory
from statnn.core.models import ising
from statnn.dynamics.sampling import simulate
from statnn.memory import hopfield, random_patterns, recall


def hopfield_recall_table(n: int, loads, temperatures, noise: float, seed: int, backend) -> str:
    """Mean final overlap and fraction retrieved for each load α = P/N and temperature."""
    lines = [
        f"Hopfield recall: N = {n}, Hebbian couplings, cues with {noise:.0%} of the bits flipped",
        f"{'alpha':>6} {'T':>5} {'overlap m':>16} {'retrieved':>10} {'AGS m(alpha,T)':>15}",
    ]
    for alpha in loads:
        p = max(1, round(alpha * n))
        xi = random_patterns(p, n, seed=seed)
        net = hopfield(xi)
        for T in temperatures:
            result = recall(
                net,
                xi,
                noise=noise,
                T=T,
                sweeps=30,
                average=10 if T > 0 else 0,
                seed=seed,
                backend=backend,
            )
            m = result.overlap
            err = m.std(ddof=1) / np.sqrt(m.size) if m.size > 1 else float("nan")
            ags = float(theory.ags_overlap(p / n, T))
            lines.append(
                f"{p / n:6.3f} {T:5.2f} {m.mean():9.4f} ± {err:.4f} "
                f"{result.retrieved.mean():10.0%} {ags:15.4f}"
            )
    return "\n".join(lines)


def ising_sweep_table(length: int, temperatures, seed: int, backend) -> str:
    """Energy, |M|, specific heat and Binder cumulant vs T beside Onsager's exact results."""
    run = simulate(
        ising((length, length)),
        T=temperatures,
        sweeps=1000,
        burn_in=300,
        chains=4,
        schedule="checkerboard",
        seed=seed,
        backend=backend,
    )
    s = run.summary()
    lines = [
        f"2D Ising {length}x{length}, periodic, checkerboard Glauber, 4 chains x 1000 sweeps",
        f"{'T':>5} {'e = E/N':>17} {'Onsager e':>10} {'|m|':>16} {'Onsager m':>10} "
        f"{'C':>14} {'Binder U':>14}",
    ]
    for k, T in enumerate(run.T):
        lines.append(
            f"{T:5.3f} {s['energy'][k]:8.4f} ± {s['energy_err'][k]:.4f} "
            f"{float(theory.onsager_energy(T)):10.4f} "
            f"{s['abs_magnetization'][k]:7.4f} ± {s['abs_magnetization_err'][k]:.4f} "
            f"{float(theory.onsager_magnetization(T)):10.4f} "
            f"{s['specific_heat'][k]:6.3f} ± {s['specific_heat_err'][k]:.3f} "
            f"{s['binder'][k]:6.3f} ± {s['binder_err'][k]:.3f}"
        )
    return "\n".join(lines)


def run_demo(*, seed: int = 0, backend: str | None = None, quick: bool = False) -> str:
    """Run both parts of the demo and return the report (also what ``statnn demo`` prints)."""
    start = time.perf_counter()
    n = 500 if quick else 2000
    parts = [
        hopfield_recall_table(
            n,
            loads=(0.05, 0.1, 0.2),
            temperatures=(0.0, 0.5),
            noise=0.1,
            seed=seed,
            backend=backend,
        ),
        ising_sweep_table(
            8 if quick else 16, [1.5, 2.0, 2.269, 2.5, 3.0], seed=seed, backend=backend
        ),
    ]
    parts.append(f"done in {time.perf_counter() - start:.1f} s")
    return "\n\n".join(parts)
