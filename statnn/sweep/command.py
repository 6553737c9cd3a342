"""The ``statnn sweep`` subcommand (argparse only; the sweep machinery loads on use).

Wired into :mod:`statnn.cli` with ``add_sweep_command(sub)`` in ``build_parser`` and
``return run_sweep_command(args)`` for ``args.command == "sweep"`` in ``main``.
"""

from __future__ import annotations

import argparse
import sys

SWEEP_EXAMPLES = """examples:
  statnn sweep experiments/sweeps/ising_quick.toml
  statnn sweep experiments/sweeps/ising_quick.toml --workers 2
  statnn sweep sweep.toml --scheduler tcp://10.0.0.5:8786 --out results/run1

A killed sweep restarted with the same command recomputes nothing that finished.

exit status: 0 every point finished; 1 a file problem (OUT not writable, disk full);
2 bad input (nothing ran); 3 some points failed
(OUT/results.nc is written with them marked: failed, error; rerun to retry them);
130 interrupted (rerun to resume).
"""


def add_sweep_command(subparsers) -> argparse.ArgumentParser:
    """Add the ``sweep`` subcommand to an argparse ``subparsers`` object; return its parser."""
    from statnn._argparse import int_at_least

    positive_int = int_at_least(1)
    p = subparsers.add_parser(
        "sweep",
        help="run a resumable parameter sweep from a TOML file",
        description="Run a task at every point of the grid in a TOML sweep file: one\n"
        "record per finished point, all gathered into OUT/results.nc (netCDF). Rerunning\n"
        "the same command resumes: finished points are not recomputed. See docs/sweeps.md.",
        epilog=SWEEP_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("file", metavar="FILE.toml", help="the sweep file")
    where = p.add_mutually_exclusive_group()
    where.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        default=None,
        help="run the points on the Dask cluster at ADDRESS (needs statnn[dist])",
    )
    where.add_argument(
        "--workers",
        metavar="N",
        type=positive_int,
        default=None,
        help="run the points on a local Dask cluster of N processes (needs statnn[dist])",
    )
    p.add_argument("--out", metavar="DIR", default=None, help="output directory (overrides 'out')")
    p.add_argument(
        "--numba-threads",
        metavar="K",
        type=positive_int,
        default=None,
        help="numba threads per point, at most the host's cores (default: all cores locally, "
        "cores/workers on Dask)",
    )
    p.add_argument(
        "--extend",
        action="store_true",
        help="allow changed grid values in an existing OUT (finished points are reused)",
    )
    p.add_argument(
        "--max-points",
        metavar="N",
        type=positive_int,
        default=None,
        help="allow a grid of up to N points (default 100000)",
    )
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(command="sweep")
    return p


def run_sweep_command(args: argparse.Namespace) -> int:
    """Run the sweep described by parsed ``args``; print a one-line summary.

    Returns 0 when every point finished, 3 when some failed (``results.nc`` is written
    with them marked). :class:`~statnn.errors.StatnnError` propagates (the CLI prints it
    on one line and exits with status 2). Ctrl-C returns 130 after saying how to resume.
    """
    import warnings
    from pathlib import Path

    from statnn.errors import ValidationError
    from statnn.sweep.runner import run
    from statnn.sweep.spec import load_sweep_file

    spec = load_sweep_file(args.file)
    out = args.out if args.out is not None else spec.out
    if out is None:
        raise ValidationError(
            f"The sweep file {Path(args.file).name} names no output directory: add "
            'out = "DIR" to it or pass --out DIR.'
        )
    try:
        with warnings.catch_warnings():  # failed points are reported below, on one line
            warnings.filterwarnings("ignore", message=r".* sweep points failed")
            ds, stats = run(
                spec.task,
                spec.grid,
                fixed=spec.fixed,
                out_dir=out,
                scheduler=args.scheduler,
                workers=args.workers,
                progress=False if args.no_progress else None,
                extend=args.extend,
                numba_threads=args.numba_threads,
                description=spec.description,
                max_points=args.max_points,
                caller="statnn sweep",
            )
    except KeyboardInterrupt:
        print(
            f"statnn sweep: interrupted; finished points are saved in {out}. Rerun the "
            "same command to resume.",
            file=sys.stderr,
        )
        return 130
    corrupt = f", {stats.corrupt} corrupt record(s) recomputed" if stats.corrupt else ""
    failed = f", {stats.failed} failed" if stats.failed else ""
    print(
        f"statnn sweep: {stats.total} points ({stats.reused} reused, {stats.computed} "
        f"computed{corrupt}{failed}) -> {Path(out) / 'results.nc'}"
    )
    if not stats.failed:
        return 0
    first = ds["error"].values[ds["failed"].values][0]
    print(
        f"statnn sweep: {stats.failed} of {stats.total} points failed (first: {first}); "
        "they are marked in results.nc (variables failed, error) and a rerun retries them.",
        file=sys.stderr,
    )
    return 3
