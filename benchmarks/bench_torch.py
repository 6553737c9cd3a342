"""Speed of the torch dynamics kernels (CPU or CUDA) against the numba backend, same run.

Run: ``.venv/bin/python benchmarks/bench_torch.py [--device cuda] [--case lattice|hopfield|dense|all]
[--L 1024] [--N 2000] [--P 200] [--chains 64] [--sweeps 5] [--block-size 64] [--threads N] [--no-numba]``

On a shared CPU, ``--threads 1`` avoids OpenMP threads spinning against other processes.

Cases (each timed through the kernel protocol, ``make_kernel`` → ``init`` → ``step``, after
one warm-up step that pays for compilation and first allocations):

* ``lattice`` — 2D Ising L × L, periodic, checkerboard Glauber at T = 2.269, one chain:
  site updates per ns (one update = one spin visited, flipped or not);
* ``hopfield`` — Hopfield network in pattern form (N neurons, P random patterns),
  random-sequential Glauber at T = 0.5 for ``chains`` chains: spin updates per ns;
* ``dense`` — dense SK couplings (N × N, float32), random-sequential Glauber at T = 0.5.

The two H100 targets, to be measured on the GPU machine:

    .venv/bin/python benchmarks/bench_torch.py --device cuda --case lattice --L 16384 --sweeps 20
        → ≥ 300 updates/ns
    .venv/bin/python benchmarks/bench_torch.py --device cuda --case hopfield --N 10000 --P 1000 \\
        --chains 1024 --sweeps 3
        → ≥ 20 updates/ns

Add ``--no-numba`` to skip the numba comparison (slow at the target sizes).
"""

from __future__ import annotations

import argparse
import importlib
import time

import numpy as np

import statnn as sn


def _time_kernel(module, net, schedule, n_temps, chains, T, sweeps, **kw):
    """Seconds per sweep of ``module.make_kernel(...)`` after a warm-up sweep."""
    kernel = module.make_kernel(
        net, rule="glauber", schedule=schedule, n_temps=n_temps, chains=chains, **kw
    )
    rng = np.random.default_rng(0)
    spins = (2 * rng.integers(0, 2, size=(n_temps, chains, net.n), dtype=np.int8) - 1).astype(
        np.int8
    )
    state = kernel.init(spins, np.random.SeedSequence(0))
    betas = np.full(n_temps, 1.0 / T)
    state, _ = kernel.step(state, betas, 1)  # warm-up: compilation, buffers
    t0 = time.perf_counter()
    state, _ = kernel.step(state, betas, sweeps)  # returns numpy flips: synchronises
    return (time.perf_counter() - t0) / sweeps


def _backends(args):
    import statnn.dynamics.torch.kernels as tk

    yield f"torch[{args.device}]", tk, dict(device=args.device, block_size=args.block_size)
    if not args.no_numba:
        try:
            yield "numba", importlib.import_module("statnn.dynamics.numba.kernel"), {}
        except ImportError as exc:
            print(f"  (numba backend unavailable: {exc})")


def case_lattice(args):
    net = sn.ising((args.L, args.L))
    print(f"lattice: 2D Ising {args.L}×{args.L}, checkerboard Glauber, T = 2.269, 1 chain")
    for name, module, kw in _backends(args):
        kw = {k: v for k, v in kw.items() if k != "block_size"}
        per_sweep = _time_kernel(module, net, "checkerboard", 1, 1, 2.269, args.sweeps, **kw)
        rate = net.n / per_sweep / 1e9
        print(f"  {name:12s} {per_sweep * 1e3:10.3f} ms/sweep {rate:10.4f} updates/ns")


def case_hopfield(args):
    rng = np.random.default_rng(1)
    patterns = np.where(rng.random((args.P, args.N)) < 0.5, 1, -1).astype(np.int8)
    net = sn.hopfield(patterns)
    print(
        f"hopfield: N = {args.N}, P = {args.P} (pattern form), {args.chains} chains, "
        "random-sequential Glauber, T = 0.5"
    )
    _report_block(args, net)


def case_dense(args):
    rng = np.random.default_rng(2)
    J = rng.normal(size=(args.N, args.N)).astype(np.float32)
    J = (J + J.T) / np.float32(2 * np.sqrt(args.N))
    np.fill_diagonal(J, 0.0)
    net = sn.Network(J)
    print(f"dense: SK N = {args.N} float32, {args.chains} chains, random-sequential Glauber")
    _report_block(args, net)


def _report_block(args, net):
    for name, module, kw in _backends(args):
        if name == "numba":
            kw = {}
        per_sweep = _time_kernel(module, net, "random", 1, args.chains, 0.5, args.sweeps, **kw)
        updates = net.n * args.chains / per_sweep
        print(
            f"  {name:12s} {per_sweep * 1e3:10.3f} ms/sweep {updates:12.4g} updates/s "
            f"{updates / 1e9:10.4f} updates/ns"
        )


CASES = {"lattice": case_lattice, "hopfield": case_hopfield, "dense": case_dense}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu", help="cpu, cuda or cuda:N")
    parser.add_argument("--case", default="all", choices=[*CASES, "all"])
    parser.add_argument("--L", type=int, default=1024)
    parser.add_argument("--N", type=int, default=2000)
    parser.add_argument("--P", type=int, default=200)
    parser.add_argument("--chains", type=int, default=64)
    parser.add_argument("--sweeps", type=int, default=5)
    parser.add_argument("--block-size", type=int, default=None)
    parser.add_argument("--no-numba", action="store_true")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    args = parser.parse_args(argv)
    import torch

    if args.threads:
        torch.set_num_threads(args.threads)

    print(f"torch {torch.__version__}, device {args.device}, {torch.get_num_threads()} CPU threads")
    if args.device.startswith("cuda") and torch.cuda.is_available():
        print(f"GPU: {torch.cuda.get_device_name(torch.device(args.device))}")
    for name, case in CASES.items():
        if args.case in (name, "all"):
            case(args)


if __name__ == "__main__":
    main()
