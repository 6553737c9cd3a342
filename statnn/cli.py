"""The ``statnn`` command: run the named experiments, plot saved results, run sweeps and
benchmarks, show the environment, and the demo.

Bad arguments and bad input print one line on stderr and exit with status 2, file
problems (a full disk, missing permissions, an output path in the way) one line and
status 1, without a traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import importlib
import os
import platform
import subprocess
import sys
import textwrap
from importlib import metadata
from pathlib import Path

from statnn._argparse import OneLineParser, int_at_least
from statnn._version import __version__
from statnn.errors import StatnnError, ValidationError
from statnn.simulate_command import add_simulate_command, run_simulate_command
from statnn.sweep.command import add_sweep_command, run_sweep_command

MC_BACKENDS = ("numpy", "numba", "torch")

EXAMPLES = """examples:
  statnn run hopfield-recall --quick   the flagship: Hopfield recall vs AGS theory;
                                       figure in results/hopfield-recall.png
  statnn run ising-2d --quick --out figs --seed 3 --backend numba
  statnn simulate ising --size 32 --T 2.0 2.269 3.0 --sweeps 2000 --chains 8
                                       one run of a model: table + results/simulate-ising.nc
  statnn plot results/ising-2d.nc --out ising.png
  statnn sweep experiments/sweeps/ising_quick.toml
  statnn bench                         benchmarks/bench_dynamics.py --quick
  statnn info                          versions, backends, CUDA devices, numba threads
  statnn demo --quick                  recall and Ising tables in the terminal

'statnn COMMAND --help' tells more about each command.
"""


_seed = int_at_least(0)


def _experiment_table() -> str:
    from statnn.experiments import EXPERIMENTS

    width = max(map(len, EXPERIMENTS))
    lines = ["experiments (NAME: what its figure shows):"]
    for name, e in EXPERIMENTS.items():
        text = textwrap.wrap(e.figure, 92 - width)
        lines.append(f"  {name.ljust(width)}  {text[0]}")
        lines += [" " * (width + 4) + t for t in text[1:]]
    return "\n".join(lines)


def _add_run(sub) -> None:
    from statnn.experiments import DEPRECATED_NAMES, EXPERIMENTS

    run = sub.add_parser(
        "run",
        help="run a named experiment: data (.nc + .json) and a figure (.png)",
        description="Run a named experiment and write OUT/NAME.nc (netCDF data with every\n"
        "parameter, the seed, backend, statnn version and wall time), OUT/NAME.json (the\n"
        "same metadata, readable anywhere) and OUT/NAME.png (the figure, theory overlaid).\n"
        "Default size: full (minutes to hours); --quick: under a minute on 2 cores.",
        epilog=_experiment_table() + "\n\nexamples:\n"
        "  statnn run hopfield-recall --quick\n"
        "  statnn run sk-glass --quick --out results/sk --seed 1\n"
        "  statnn run ising-2d --backend torch\n"
        "  statnn run ising-2d --quick --device cuda      (torch on the first GPU)",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    run.add_argument(
        "name",
        metavar="NAME",
        choices=[*EXPERIMENTS, *DEPRECATED_NAMES],
        help="experiment name",
    )
    size = run.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_true", help="laptop size: under a minute")
    size.add_argument("--tiny", action="store_true", help="test size: seconds, noisy")
    run.add_argument("--out", metavar="DIR", default="results", help="output folder (results)")
    run.add_argument("--seed", metavar="S", type=_seed, default=0, help="random seed (0)")
    run.add_argument(
        "--backend",
        metavar="B",
        choices=MC_BACKENDS,
        default=None,
        help="numpy, numba or torch (default: numba; torch when --device is given)",
    )
    run.add_argument(
        "--device",
        metavar="DEV",
        default=None,
        help="torch device: cpu, cuda, cuda:1 (implies --backend torch)",
    )
    run.add_argument("--no-progress", action="store_true", help="no progress bars")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``statnn`` command."""
    parser = OneLineParser(
        prog="statnn",
        description="Statistical mechanics of neural networks: Hopfield networks, Ising "
        "magnets and spin glasses by Glauber Monte Carlo, perceptrons and MLPs.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"statnn {__version__}")
    sub = parser.add_subparsers(
        dest="command", required=True, metavar="COMMAND", parser_class=OneLineParser
    )
    _add_run(sub)
    add_simulate_command(sub)

    plot = sub.add_parser(
        "plot",
        help="draw the figure of saved results",
        description="Draw the figure of a result written by 'statnn run' (its .nc file or\n"
        "its .json sidecar), with the theory curves stored in it.",
        epilog="examples:\n  statnn plot results/hopfield-recall.nc\n"
        "  statnn plot results/ising-2d.json --out ising.png\n"
        "  statnn plot results/ising-2d.nc --out figures/ising.pdf   (any format matplotlib "
        "writes:\n                                                   png, pdf, svg, eps, jpg…)",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    plot.add_argument("results", metavar="RESULTS", help="a .nc file written by 'statnn run'")
    plot.add_argument(
        "--out",
        metavar="FILE",
        default=None,
        help="figure path; its suffix picks the format (.png, .pdf, .svg, …; "
        "default: RESULTS with .png)",
    )

    add_sweep_command(sub)

    bench = sub.add_parser(
        "bench",
        help="benchmark the dynamics engine (benchmarks/bench_dynamics.py)",
        description="Run benchmarks/bench_dynamics.py from the source checkout: update\n"
        "rates of the numba kernels against the numpy reference and PyPI peers.",
        epilog="examples:\n  statnn bench\n  statnn bench --full --case ising",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    bench.add_argument("--full", action="store_true", help="full size (default: --quick)")
    bench.add_argument(
        "--case", choices=("hopfield", "sk", "ising", "all"), default="all", help="which case"
    )

    sub.add_parser(
        "info",
        help="show the environment: versions, backends, CUDA devices, numba threads",
        description="Show statnn's version, Python and library versions, which Monte Carlo\n"
        "backends import, the CUDA devices torch sees and the numba threads.",
        epilog="example:\n  statnn info",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )

    demo = sub.add_parser(
        "demo",
        help="store and recall patterns; sweep a 2D Ising magnet (tables)",
        description="Hopfield recall from cues with 10 percent of the bits flipped, at T = 0\n"
        "and 0.5, beside AGS theory, and a 2D Ising temperature sweep beside Onsager, as\n"
        "tables.",
        epilog="examples:\n  statnn demo\n  statnn demo --quick --backend numpy",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    demo.add_argument("--quick", action="store_true", help="smaller sizes (a few seconds)")
    demo.add_argument("--seed", metavar="S", type=_seed, default=0, help="random seed (0)")
    demo.add_argument(
        "--backend", metavar="B", choices=MC_BACKENDS, default=None, help="numpy, numba, torch"
    )
    return parser


def _run(args) -> int:
    from statnn.dynamics.backends import DEFAULT_BACKEND
    from statnn.experiments import DEPRECATED_NAMES, run_experiment

    if args.name in DEPRECATED_NAMES:
        new = DEPRECATED_NAMES[args.name]
        print(
            f"statnn run: note: {args.name!r} is now called {new!r}; the old name will be "
            "removed in the next release",
            file=sys.stderr,
        )
        args.name = new

    size = "tiny" if args.tiny else "quick" if args.quick else "full"
    backend = args.backend or ("torch" if args.device else DEFAULT_BACKEND)
    where = f" on {args.device}" if args.device else ""
    print(
        f"statnn run {args.name}: {size} size, seed {args.seed}, backend {backend}{where}",
        flush=True,
    )
    res = run_experiment(
        args.name,
        size,
        out=args.out,
        seed=args.seed,
        backend=args.backend,
        device=args.device,
        progress=not args.no_progress and sys.stderr.isatty(),
    )
    print(f"done in {res.wall_time:.1f} s")
    print(f"  data:   {res.data}  (metadata: {res.sidecar})")
    print(f"  figure: {res.figure}")
    return 0


def _plot_out(out: Path) -> None:
    """Refuse an unusable --out before any work: a format matplotlib does not write (exit
    2), a folder in the way or one that cannot be written (OSError: exit 1)."""
    from statnn.plotting import supported_formats
    from statnn.results import check_output_dir

    formats = supported_formats()
    if out.suffix.lstrip(".").lower() not in formats:
        listed = ", ".join("." + f for f in formats)
        raise ValidationError(
            f"--out must be a file name ending in a format matplotlib writes ({listed}). "
            f"Got {str(out)!r} instead."
        )
    check_output_dir(out.parent, [out.name])


def _plot(args) -> int:
    from statnn.plotting import plot_result, save_figure

    path = Path(args.results)
    out = Path(args.out) if args.out else path.with_suffix(".png")
    _plot_out(out)
    fig = plot_result(path)
    print(f"figure: {save_figure(fig, out)}")
    return 0


def _bench(args) -> int:
    script = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_dynamics.py"
    if not script.is_file():
        raise StatnnError(
            f"No benchmark script at {script}: 'statnn bench' runs benchmarks/"
            "bench_dynamics.py from a source checkout (pip install -e .)."
        )
    cmd = [sys.executable, str(script), "--case", args.case]
    if not args.full:
        cmd.append("--quick")
    print("$ " + " ".join(cmd), flush=True)
    return subprocess.call(cmd)


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


def environment_report() -> str:
    """What ``statnn info`` prints: versions, backends, CUDA devices, numba threads."""
    from statnn.dynamics.backends import BACKENDS, DEFAULT_BACKEND

    lines = [
        f"statnn       {__version__}  ({Path(__file__).resolve().parent})",
        f"python       {platform.python_version()}  ({sys.executable})",
        f"platform     {platform.platform()}",
    ]
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count()
    lines.append(f"cores        {cores} usable of {os.cpu_count()}")
    for dist in (
        "numpy",
        "scipy",
        "numba",
        "torch",
        "xarray",
        "matplotlib",
        "scikit-learn",
        "h5netcdf",
        "dask",
    ):
        lines.append(f"{dist:<12} {_version(dist)}")
    lines.append("backends:")
    for name, module in BACKENDS.items():
        try:
            importlib.import_module(module)
            state = "ok"
        except Exception as exc:  # report any import failure, do not crash
            state = f"unavailable ({type(exc).__name__}: {exc})"
        default = "  (default)" if name == DEFAULT_BACKEND else ""
        lines.append(f"  {name:<10} {state}{default}")
    try:
        import torch

        if torch.cuda.is_available():
            devices = [
                f"cuda:{i} {torch.cuda.get_device_name(i)} "
                f"({torch.cuda.get_device_properties(i).total_memory / 2**30:.1f} GiB)"
                for i in range(torch.cuda.device_count())
            ]
            lines.append("CUDA devices " + "; ".join(devices))
        else:
            built = torch.version.cuda
            lines.append(
                "CUDA devices none"
                + (f" (torch built for CUDA {built})" if built else " (CPU-only torch build)")
            )
    except Exception as exc:
        lines.append(f"CUDA devices unknown (torch: {type(exc).__name__}: {exc})")
    try:
        import numba

        from statnn.dynamics.numba.threads import get_num_threads

        lines.append(
            f"numba threads {get_num_threads()} (of NUMBA_NUM_THREADS="
            f"{numba.config.NUMBA_NUM_THREADS}; set STATNN_NUM_THREADS to change)"
        )
    except Exception as exc:
        lines.append(f"numba threads unknown ({type(exc).__name__}: {exc})")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``statnn`` command; returns the exit status."""
    return _execute(build_parser().parse_args(argv))


def _execute(args) -> int:
    """Run the parsed command line ``args``; returns the exit status."""
    try:
        if args.command == "run":
            return _run(args)
        if args.command == "simulate":
            return run_simulate_command(args)
        if args.command == "plot":
            return _plot(args)
        if args.command == "sweep":
            return run_sweep_command(args)
        if args.command == "bench":
            return _bench(args)
        if args.command == "info":
            print(environment_report())
            return 0
        if args.command == "demo":
            from statnn.demo import run_demo

            print(run_demo(seed=args.seed, backend=args.backend, quick=args.quick))
    except StatnnError as exc:
        message = " ".join(str(exc).split())  # one line
        print(f"statnn {args.command}: error: {message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"statnn {args.command}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # e.g. `statnn info | head`: stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except OSError as exc:  # a file problem (full disk, permissions, a path in the way)
        from statnn.results import os_error_text

        print(f"statnn {args.command}: error: {os_error_text(exc)}", file=sys.stderr)
        return 1
    return 0


def _preload_run(args) -> None:
    """Import what ``statnn run NAME`` uses (the experiment's module with xarray, the
    backend, the plotting module) with the garbage collector paused, then freeze them;
    mark dask, which the run does not use, as absent.

    Importing them allocates some 300 000 objects that live as long as the process, and
    the collector, run every few thousand allocations, walked them again and again (about
    half a second per run). Frozen (:func:`gc.freeze`), they are left out of every later
    collection; the run's own objects are collected as usual. Anything that fails here is
    left for the run itself to report.
    """
    from statnn.dynamics.backends import DEFAULT_BACKEND, load_backend
    from statnn.experiments import DEPRECATED_NAMES, EXPERIMENTS

    # The experiments compute in numpy arrays and never use dask (only 'statnn sweep'
    # may). Installed, dask would still be imported by xarray, to check whether each
    # array is a dask array (dask.array: 0.3 s), and by xarray's netCDF writer, to ask
    # for its scheduler; marked absent, both get the true answer: no dask arrays.
    if "dask" not in sys.modules:
        sys.modules["dask"] = None
    gc.disable()
    try:
        with contextlib.suppress(Exception):
            _function = EXPERIMENTS[DEPRECATED_NAMES.get(args.name, args.name)].function
            load_backend(args.backend or ("torch" if args.device else DEFAULT_BACKEND), "run")
            import statnn.plotting  # noqa: F401
    finally:
        gc.enable()
        gc.freeze()


def console_main() -> int:
    """Entry point of the ``statnn`` executable and ``python -m statnn``: :func:`main`
    in a process of its own, with the garbage collector told what lives until the end.

    ``statnn run`` imports its libraries up front and freezes them (:func:`_preload_run`).
    When the command is done every object still alive is frozen too: the collections
    Python runs while it shuts down then skip them (after a run that imported numba,
    scipy, xarray and matplotlib, some 300 000 objects: about half a second). Nothing
    depends on those collections: the results are written, closed and synced before the
    command returns. Code that calls :func:`main` in its own process is not affected.
    """
    args = build_parser().parse_args()
    if args.command == "run":
        _preload_run(args)
    status = _execute(args)
    gc.freeze()
    return status
