"""The named experiments: each a function returning a self-describing xarray Dataset.

Every experiment takes ``size`` (``"tiny"`` for tests, ``"quick"`` for a laptop — under a
minute on 2 cores with the numba backend —, ``"full"`` for the figures), ``seed``,
``backend`` (None: the package default) and overrides of its preset parameters, and
returns an :class:`xarray.Dataset` whose attributes hold the experiment's name, every
parameter (JSON, ``params``), the seed, the backend, the statnn version and the wall time.
:func:`run_experiment` runs one by name, saves the data (netCDF + JSON sidecar) and draws
its figure with the theory overlaid (:mod:`statnn.plotting`); ``statnn run NAME`` and the
scripts in ``experiments/`` call it.

>>> from statnn.experiments import EXPERIMENTS
>>> len(EXPERIMENTS), "hopfield-recall" in EXPERIMENTS
(13, True)
"""

from __future__ import annotations

import importlib
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from statnn._validation import check_bool, check_choice, param_error
from statnn.errors import StatnnError
from statnn.experiments._common import (
    SIZES,
    load_dataset,
    resolve_device,
    resolve_seed,
    save_dataset,
)
from statnn.results import check_output_dir, os_error_text

if TYPE_CHECKING:  # for type checkers and the API reference; at run time see __getattr__
    from statnn.experiments.feedforward import (
        first_neurons,
        perceptron_capacity,
        seed_examples,
        xor_digits,
    )
    from statnn.experiments.hopfield import basins, hopfield_phase_diagram, hopfield_recall
    from statnn.experiments.learning import inverse_ising
    from statnn.experiments.magnets import curie_weiss, ising_2d, sk_glass


def _load(target: str) -> Callable:
    """The object at the import path ``"module:attribute"`` (the module imported if needed)."""
    module, attribute = target.split(":")
    return getattr(importlib.import_module(module), attribute)


@dataclass(frozen=True)
class Experiment:
    """A named study: its function, the script that runs it and what its figure shows.

    ``target`` is the function, or its import path ``"module:function"``: the registry
    names the functions by path so that listing the experiments (``statnn --help``)
    imports none of their modules (the feedforward ones load scikit-learn); a module is
    imported when its experiment's :attr:`function` is first asked for.
    """

    name: str
    target: Callable | str
    script: str
    figure: str

    @property
    def function(self) -> Callable:
        """The experiment's function (its module imported on first use)."""
        return self.target if callable(self.target) else _load(self.target)

    @property
    def summary(self) -> str:
        """The first line of the function's docstring."""
        return (self.function.__doc__ or "").strip().splitlines()[0]


#: name → :class:`Experiment`, in the order of the README's table.
EXPERIMENTS: dict[str, Experiment] = {
    e.name: e
    for e in (
        Experiment(
            "hopfield-recall",
            "statnn.experiments.hopfield:hopfield_recall",
            "experiments/hopfield_recall.py",
            "final overlap vs load α at several T, one panel per learning rule, "
            "with the AGS curve m(α, T) and α_c = 0.138",
        ),
        Experiment(
            "hopfield-phase",
            "statnn.experiments.hopfield:hopfield_phase_diagram",
            "experiments/hopfield_phase.py",
            "mean overlap on the (α, T) plane from a retrieval start, with T_g = 1 + √α, "
            "T_M(α) (the α_c line) and the global-minimum line T_c(α)",
        ),
        Experiment(
            "dense-capacity",
            "statnn.experiments.dense:dense_capacity_study",
            "experiments/dense_capacity.py",
            "retrieval and fixed-point fraction vs P / P_max for dense memories n = 2, 3, 4 "
            "and exp at two N and two T, with the signal-to-noise curves (1 − ε)^N",
        ),
        Experiment(
            "sequence-recall",
            "statnn.experiments.sequences:sequence_recall",
            "experiments/sequence_recall.py",
            "overlap trace m_ν(t) of a sequence memory under synchronous dynamics at several "
            "T, with the mean-field trace",
        ),
        Experiment(
            "sparse-patterns",
            "statnn.experiments.sparse:sparse_patterns",
            "experiments/sparse_patterns.py",
            "final overlap vs load for biased patterns (covariance rule, optimal threshold, "
            "and no threshold) with the replica-symmetric m(α), and α_c(a) with the measured "
            "capacities and the 1/(2f|ln f|) asymptote",
        ),
        Experiment(
            "ising-2d",
            "statnn.experiments.magnets:ising_2d",
            "experiments/ising_2d.py",
            "energy, magnetization, C, χ and the Binder cumulant vs T for several L, "
            "Onsager's exact curves, the Binder crossing near T_c = 2.269",
        ),
        Experiment(
            "curie-weiss",
            "statnn.experiments.magnets:curie_weiss",
            "experiments/curie_weiss.py",
            "magnetization and energy per spin vs T for two N against m = tanh(m/T) and e = −m²/2",
        ),
        Experiment(
            "sk-glass",
            "statnn.experiments.magnets:sk_glass",
            "experiments/sk_glass.py",
            "energy, replica overlap q and the Binder parameter g vs T with parallel "
            "tempering, against the replica-symmetric solution",
        ),
        Experiment(
            "basins",
            "statnn.experiments.hopfield:basins",
            "experiments/basins.py",
            "final vs initial overlap for several loads and rules, with the AGS retrieval overlap",
        ),
        Experiment(
            "perceptron-capacity",
            "statnn.experiments.feedforward:perceptron_capacity",
            "experiments/perceptron_capacity.py",
            "fraction of random dichotomies learned vs α = P/N for several N, "
            "against Cover's C(P, N)/2^P",
        ),
        Experiment(
            "xor-digits",
            "statnn.experiments.feedforward:xor_digits",
            "experiments/xor_digits.py",
            "XOR decision maps of a perceptron and an MLP; loss and accuracy per epoch "
            "on the 8×8 digits",
        ),
        Experiment(
            "first-neurons",
            "statnn.experiments.feedforward:first_neurons",
            "experiments/first_neurons.py",
            "km → miles by one linear neuron (learned vs exact 0.621371) and the "
            "apples-vs-oranges perceptron decision line",
        ),
        Experiment(
            "inverse-ising",
            "statnn.experiments.learning:inverse_ising",
            "experiments/inverse_ising.py",
            "reconstruction error of SK couplings vs sample count for each inverse-Ising "
            "method at several β, and recall by a Hopfield network learned from noisy examples",
        ),
    )
}


#: Old name → current name; the old names still run, with a FutureWarning, for one release.
DEPRECATED_NAMES = {"seed-examples": "first-neurons"}


class ExperimentOutput(NamedTuple):
    """What :func:`run_experiment` produced."""

    dataset: object
    data: Path | None
    sidecar: Path | None
    figure: Path | None
    wall_time: float


def get_experiment(name: str) -> Experiment:
    """The experiment called ``name`` (a :class:`~statnn.errors.ValidationError` if none).

    A deprecated name (:data:`DEPRECATED_NAMES`) gives its new experiment with a
    ``FutureWarning``.
    """
    if isinstance(name, str) and name in DEPRECATED_NAMES:
        import warnings

        new = DEPRECATED_NAMES[name]
        warnings.warn(
            f"The experiment {name!r} is now called {new!r}; the old name will be removed "
            "in the next release.",
            FutureWarning,
            stacklevel=3,
        )
        name = new
    if not isinstance(name, str) or name not in EXPERIMENTS:
        listed = ", ".join(EXPERIMENTS)
        raise param_error("name", "run_experiment", f"one of: {listed}", name)
    return EXPERIMENTS[name]


def run_experiment(
    name: str,
    size: str = "quick",
    *,
    out=None,
    seed: int = 0,
    backend: str | None = None,
    device: str | None = None,
    progress: bool = False,
    plot: bool = True,
    **overrides,
) -> ExperimentOutput:
    """Run the experiment ``name``; save ``out/NAME.nc``, ``NAME.json`` and ``NAME.png``.

    Parameters
    ----------
    name : str
        A key of :data:`EXPERIMENTS`.
    size : {'tiny', 'quick', 'full'}
        Preset size.
    out : path, optional
        Folder for the results, created if missing; None saves nothing (the dataset is
        still returned). It is checked before the run starts: a path that is a file, a
        folder without write permission or on a read-only or full file system raises
        :class:`OSError` at once.
    seed : int in [0, 2**63 - 1], numpy Generator, SeedSequence or None
        Seed of everything random in the experiment; the integer actually used (drawn for
        None or a Generator) is recorded in the dataset's ``seed`` attribute (an int64).
    backend : str, optional
        ``'numpy'``, ``'numba'`` or ``'torch'`` (None: the package default, or
        ``'torch'`` when ``device`` is given).
    device : str, optional
        torch device: ``'cpu'``, ``'cuda'``, ``'cuda:1'`` (torch backend only). Checked
        before any work: a device this machine lacks raises
        :class:`~statnn.errors.BackendUnavailableError`.
    progress : bool
        Progress bars on stderr.
    plot : bool
        Draw the figure (only when ``out`` is given).
    **overrides
        Preset parameters to change (see the experiment's function).

    Returns
    -------
    ExperimentOutput
        The dataset, the paths written (None where nothing was) and the wall time.

    Examples
    --------
    >>> from statnn.experiments import run_experiment
    >>> res = run_experiment("curie-weiss", "tiny", backend="numpy")
    >>> res.dataset.attrs["experiment"], res.figure is None
    ('curie-weiss', True)
    """
    experiment = get_experiment(name)
    name = experiment.name  # a deprecated name writes the files of the new one
    # every argument is checked before any work starts
    check_choice(size, "size", "run_experiment", SIZES)
    check_bool(progress, "progress", "run_experiment")
    check_bool(plot, "plot", "run_experiment")
    seed = resolve_seed(seed, "run_experiment")  # one draw for None or a Generator
    backend, device = resolve_device(device, backend, "run_experiment")
    if out is not None:  # a folder that cannot take the results fails now, not after the run
        files = [f"{name}.nc", f"{name}.json"] + ([f"{name}.png"] if plot else [])
        check_output_dir(out, files)
    start = time.perf_counter()
    ds = experiment.function(
        size, seed=seed, backend=backend, device=device, progress=progress, **overrides
    )
    data = sidecar = figure = None
    if out is not None:
        folder = Path(out)
        data, sidecar = save_dataset(ds, folder / f"{name}.nc")
        if plot:
            from statnn.plotting import plot_result, save_figure

            try:
                figure = save_figure(plot_result(ds), folder / f"{name}.png")
            except OSError as exc:  # the data are safe: say so, and how to get the figure
                reason = os_error_text(exc)
                raise OSError(
                    exc.errno,
                    f"{reason}. The data are saved in {data}; draw the figure later with "
                    f"'statnn plot {data}'",
                ) from None
    return ExperimentOutput(ds, data, sidecar, figure, time.perf_counter() - start)


def script_main(name: str, argv: list[str] | None = None) -> int:
    """Entry point of the scripts in ``experiments/``: ``--quick``, ``--out``, ``--seed``…

    Bad arguments print one line and exit with status 2, like ``statnn run``.
    """
    from statnn._argparse import OneLineParser  # one-line errors, exit status 2

    experiment = get_experiment(name)
    name = experiment.name
    parser = OneLineParser(
        prog=Path(experiment.script).name,
        description=f"{experiment.summary} (the '{name}' experiment; same as "
        f"'statnn run {name}'). Figure: {experiment.figure}.",
    )
    parser.add_argument("--quick", action="store_true", help="laptop size (under a minute)")
    parser.add_argument("--tiny", action="store_true", help="test size (seconds)")
    parser.add_argument("--out", default="results", help="output folder (default: results)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--backend", default=None, help="numpy, numba or torch")
    parser.add_argument("--device", default=None, help="torch device: cpu, cuda, cuda:1")
    args = parser.parse_args(argv)
    size = "tiny" if args.tiny else "quick" if args.quick else "full"
    try:
        res = run_experiment(
            name,
            size,
            out=args.out,
            seed=args.seed,
            backend=args.backend,
            device=args.device,
            progress=sys.stderr.isatty(),
        )
    except StatnnError as exc:
        print(f"{parser.prog}: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"{parser.prog}: error: {os_error_text(exc)}", file=sys.stderr)
        return 1
    print(f"{name} ({size}) done in {res.wall_time:.1f} s")
    print(f"  data:   {res.data}\n  figure: {res.figure}")
    return 0


#: The experiment functions, importable from here (PEP 562): loaded on first use, so that
#: ``import statnn.experiments`` stays light.
_FUNCTIONS = {
    **{e.target.split(":")[1]: e.target for e in EXPERIMENTS.values()},
    "seed_examples": "statnn.experiments.feedforward:seed_examples",
}


def __getattr__(name: str):
    if name not in _FUNCTIONS:
        raise AttributeError(f"module 'statnn.experiments' has no attribute {name!r}")
    value = _load(_FUNCTIONS[name])
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_FUNCTIONS))


__all__ = [
    "EXPERIMENTS",
    "Experiment",
    "DEPRECATED_NAMES",
    "ExperimentOutput",
    "basins",
    "curie_weiss",
    "first_neurons",
    "get_experiment",
    "hopfield_phase_diagram",
    "hopfield_recall",
    "inverse_ising",
    "ising_2d",
    "load_dataset",
    "perceptron_capacity",
    "run_experiment",
    "save_dataset",
    "script_main",
    "seed_examples",
    "sk_glass",
    "xor_digits",
]
