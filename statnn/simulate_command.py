"""The ``statnn simulate`` subcommand: one Monte Carlo run with the physics on the command line.

``statnn simulate MODEL --size … --T … --sweeps … --chains …`` builds the model (``ising``,
``sk``, ``curie-weiss`` or ``hopfield``), runs :func:`statnn.simulate`, prints the
summary table (:meth:`statnn.Run.summary`) and writes the recorded series and the table to
a netCDF file. Wired into :mod:`statnn.cli` with :func:`add_simulate_command` and
:func:`run_simulate_command`.
"""

from __future__ import annotations

import argparse
import json
import platform
import re
import time
from pathlib import Path

import numpy as np

from statnn._argparse import int_at_least

MODELS = ("ising", "sk", "curie-weiss", "hopfield")
LEARNING_RULES = ("hebbian", "pseudo_inverse", "storkey", "perceptron")

SIMULATE_EXAMPLES = """examples:
  statnn simulate ising --size 32 --T 2.0 2.269 3.0 --sweeps 2000 --burn-in 500 --chains 8 \\
      --schedule checkerboard --seed 0 --out ising.nc
  statnn simulate ising --size 16x16x16 --T 4.0:5.0:5 --sweeps 1000
  statnn simulate sk --size 200 --T 0.4,0.6,0.8,1.0,1.2 --chains 4 --tempering --seed 1
  statnn simulate curie-weiss --size 1000 --T 0.8 1.2 --dynamics metropolis
  statnn simulate hopfield --size 1000 --alpha 0.05 --rule storkey --T 0.2 --init pattern
  statnn simulate ising --size 1024 --T 2.269 --backend torch --device cuda

--T takes values separated by spaces or commas, and START:STOP:NUM for NUM evenly
spaced values (both ends included). --size is L (an L x L square), LxL or LxLxL for
ising, and N (the number of neurons) for the other models.
"""


def _size(text: str) -> tuple[int, ...]:
    parts = text.lower().split("x")
    try:
        sides = tuple(int(p) for p in parts)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"must be N, L, LxL or LxLxL (integers >= 2), got {text!r}"
        ) from None
    if not 1 <= len(sides) <= 3 or any(s < 2 for s in sides):
        raise argparse.ArgumentTypeError(
            f"must be N, L, LxL or LxLxL (integers >= 2), got {text!r}"
        )
    return sides


def _temperatures(text: str) -> list[float]:
    values: list[float] = []
    for item in filter(None, re.split(r"[,\s]+", text)):
        try:
            if ":" in item:
                start, stop, num = item.split(":")
                count = int(num)
                if count < 1:
                    raise ValueError
                values += np.linspace(float(start), float(stop), count).tolist()
            else:
                values.append(float(item))
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"must be temperatures (numbers >= 0, or START:STOP:NUM), got {item!r}"
            ) from None
    if not values or not all(np.isfinite(v) and v >= 0 for v in values):
        raise argparse.ArgumentTypeError(f"must be finite temperatures >= 0, got {text!r}")
    return values


def _real(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number, got {text!r}") from None
    if not np.isfinite(value):
        raise argparse.ArgumentTypeError(f"must be a finite number, got {text!r}")
    return value


def add_simulate_command(subparsers) -> argparse.ArgumentParser:
    """Add the ``simulate`` subcommand to an argparse ``subparsers`` object; return it."""
    positive = int_at_least(1)
    p = subparsers.add_parser(
        "simulate",
        help="one Monte Carlo run of a model given on the command line (table + netCDF)",
        description="Build MODEL, run Monte Carlo dynamics at every temperature x chain,\n"
        "print the per-temperature table (energy, magnetization, C, chi, Binder cumulant,\n"
        "autocorrelation times, with errors) and write the recorded series and the table\n"
        "to a netCDF file. Temperatures are in units of the couplings (k_B = 1); one sweep\n"
        "is N update attempts.",
        epilog=SIMULATE_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("model", metavar="MODEL", choices=MODELS, help=", ".join(MODELS))
    p.add_argument(
        "--size",
        metavar="SIZE",
        type=_size,
        required=True,
        help="ising: L, LxL or LxLxL (L alone is L x L); others: N",
    )
    p.add_argument(
        "--T",
        metavar="T",
        dest="T",
        nargs="+",
        type=_temperatures,
        required=True,
        help="temperatures: T1 T2 …, T1,T2,… or START:STOP:NUM",
    )
    p.add_argument(
        "--sweeps", metavar="S", type=positive, default=1000, help="recorded sweeps (1000)"
    )
    p.add_argument(
        "--burn-in", metavar="B", type=int_at_least(0), default=100, help="discarded sweeps (100)"
    )
    p.add_argument("--chains", metavar="C", type=positive, default=1, help="chains per T (1)")
    p.add_argument(
        "--record-every", metavar="K", type=positive, default=1, help="sweeps between records (1)"
    )
    p.add_argument(
        "--dynamics",
        choices=("glauber", "metropolis"),
        default="glauber",
        help="update rule (glauber: heat bath)",
    )
    p.add_argument(
        "--schedule",
        choices=("random", "sequential", "permuted", "checkerboard", "synchronous"),
        default=None,
        help="update order in a sweep (default: checkerboard for ising, random otherwise)",
    )
    p.add_argument(
        "--init",
        choices=("random", "ones", "pattern"),
        default="random",
        help="initial state (pattern: the first stored pattern, hopfield only; pattern "
        "overlaps are recorded for the hebbian rule, which keeps the patterns)",
    )
    p.add_argument("--tempering", action="store_true", help="parallel tempering between the Ts")
    p.add_argument("--J", metavar="J", dest="J", type=_real, default=1.0, help="coupling J (1)")
    p.add_argument("--field", metavar="H", type=_real, default=0.0, help="uniform field H (0)")
    p.add_argument("--open", action="store_true", help="ising: open instead of periodic boundaries")
    p.add_argument(
        "--alpha", metavar="A", type=_real, default=None, help="hopfield: load P/N (0.05)"
    )
    p.add_argument(
        "--rule",
        choices=LEARNING_RULES,
        default=None,
        help="hopfield: learning rule (hebbian)",
    )
    p.add_argument(
        "--backend", choices=("numpy", "numba", "torch"), default=None, help="default: numba"
    )
    p.add_argument(
        "--device",
        metavar="DEV",
        default=None,
        help="torch device: cpu, cuda, cuda:1 (implies --backend torch)",
    )
    p.add_argument(
        "--seed",
        metavar="S",
        type=int_at_least(0),
        default=None,
        help="random seed (default: drawn, printed and recorded)",
    )
    p.add_argument(
        "--out",
        metavar="FILE.nc",
        default=None,
        help="netCDF file to write (default: results/simulate-MODEL.nc)",
    )
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(command="simulate")
    return p


def _usage_error(message: str):
    from statnn.errors import ValidationError

    return ValidationError(message)


def build_network(args: argparse.Namespace, seed: int):
    """The network that ``args`` describe (its disorder and patterns drawn from ``seed``) and
    the first stored pattern (hopfield) or None."""
    from statnn.core.models import curie_weiss, ising, sk
    from statnn.memory import hopfield, random_patterns

    model, size = args.model, args.size
    if model != "ising" and len(size) != 1:
        raise _usage_error(
            f"--size of {model} is the number of neurons N, got {'x'.join(map(str, size))}"
        )
    if model != "hopfield" and (args.alpha is not None or args.rule is not None):
        raise _usage_error(f"--alpha and --rule apply to the hopfield model only, not {model}")
    if model != "ising" and args.open:
        raise _usage_error(f"--open applies to the ising model only, not {model}")
    if model == "hopfield" and (args.J != 1.0 or args.field != 0.0):
        raise _usage_error("--J and --field do not apply to hopfield (its couplings are learned)")
    if args.init == "pattern" and model != "hopfield":
        raise _usage_error(f"--init pattern needs stored patterns (hopfield), not {model}")
    disorder = np.random.SeedSequence(seed).spawn(1)[0]
    if model == "ising":
        shape = size * 2 if len(size) == 1 else size
        return ising(shape, J=args.J, field=args.field, periodic=not args.open), None
    n = size[0]
    if model == "curie-weiss":
        return curie_weiss(n, J=args.J, field=args.field), None
    if model == "sk":
        return sk(n, seed=disorder, J=args.J, field=args.field), None
    alpha = 0.05 if args.alpha is None else args.alpha
    p = int(round(alpha * n))
    if alpha <= 0 or p < 1:
        raise _usage_error(
            f"--alpha must give at least one pattern (alpha*N >= 0.5), got {alpha:g}"
        )
    patterns = random_patterns(p, n, seed=disorder)
    return hopfield(patterns, rule=args.rule or "hebbian"), patterns[0]


def run_to_dataset(run, summary):
    """An :class:`xarray.Dataset` of a :class:`~statnn.Run` and its summary table.

    :meth:`statnn.Run.to_xarray` (the series ``energy``, ``magnetization`` on
    (T, chain, sweep), overlaps, acceptance, final states) with the columns of
    :meth:`statnn.stats.Summary.to_xarray` added as ``summary_<name>`` (T); every
    variable carries ``units`` and ``long_name``.
    """
    ds = run.to_xarray()
    table = summary.to_xarray()
    for name in table.data_vars:
        ds[f"summary_{name}"] = table[name]
    return ds


def run_simulate_command(args: argparse.Namespace) -> int:
    """Run ``statnn simulate`` for parsed ``args``; print the table; write the file; return 0."""
    import sys

    from statnn._validation import seed_value
    from statnn._version import __version__
    from statnn.dynamics.sampling import simulate
    from statnn.results import check_output_dir, save_dataset, to_jsonable

    out = Path(args.out) if args.out is not None else Path("results") / f"simulate-{args.model}.nc"
    if out.suffix != ".nc":
        raise _usage_error(f"--out must name a .nc (netCDF) file, got {str(out)!r}")
    if args.device is not None and args.backend is None:
        args.backend = "torch"  # a device means torch, as in 'statnn run'
    if args.device is not None and args.backend != "torch":
        raise _usage_error("--device needs --backend torch (numpy and numba run on the CPU)")
    T = [t for group in args.T for t in group]
    seed = seed_value(args.seed, "statnn simulate")
    net, first_pattern = build_network(args, seed)
    check_output_dir(out.parent, [out.name])  # a path that cannot take the file fails now
    schedule = args.schedule or ("checkerboard" if args.model == "ising" else "random")
    init = first_pattern if args.init == "pattern" else args.init
    print(
        f"statnn simulate {args.model}: {net.name}, {len(T)} temperature(s) x {args.chains} "
        f"chain(s), {args.burn_in} + {args.sweeps} sweeps, seed {seed}",
        flush=True,
    )
    start = time.perf_counter()
    run = simulate(
        net,
        T=T,
        sweeps=args.sweeps,
        burn_in=args.burn_in,
        chains=args.chains,
        dynamics=args.dynamics,
        schedule=schedule,
        init=init,
        backend=args.backend,
        device=args.device,
        record_every=args.record_every,
        seed=seed,
        tempering=args.tempering,
        progress=not args.no_progress and sys.stderr.isatty(),
    )
    wall = time.perf_counter() - start
    summary = run.summary()
    print(summary)
    ds = run_to_dataset(run, summary)
    command = {k: v for k, v in vars(args).items() if k != "command"}
    ds.attrs.update(
        title=f"statnn simulate {args.model}: {net.name}",
        model=args.model,
        network=net.name,
        seed=int(seed),
        backend=args.backend or "numba",
        wall_time_s=round(wall, 3),
        statnn_version=__version__,
        python=platform.python_version(),
        numpy=np.__version__,
        platform=platform.platform(),
        command_line=json.dumps(to_jsonable(command), sort_keys=True),
    )
    print(f"done in {wall:.1f} s; data: {save_dataset(ds, out)}")
    return 0


__all__ = ["add_simulate_command", "build_network", "run_simulate_command", "run_to_dataset"]
