"""What every experiment shares: sizes and overrides, the metadata, saving and loading.

An experiment function returns an :class:`xarray.Dataset` whose attributes describe it
completely (:meth:`ExperimentCall.finish`): the experiment's name and size, every parameter (as JSON
under ``params``), the seed, the backend actually used, the statnn / Python / numpy
versions and the wall time. :func:`save_dataset` writes it as netCDF (``engine="h5netcdf"``)
atomically — to a temporary file in the same folder, then renamed — with a JSON
sidecar holding the same metadata and a list of the variables, readable without xarray
(both through :mod:`statnn.results`).
"""

from __future__ import annotations

import json
import platform
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from statnn._progress import progress_bar  # noqa: F401  (the experiments' bars)
from statnn._validation import check_bool, check_choice, param_error, seed_value
from statnn._version import __version__
from statnn.errors import ValidationError
from statnn.results import (
    DIMENSIONLESS,
    ENERGY,
    HEAT_CAPACITY,
    TEMPERATURE,
    atomic_write_bytes,
    check_free_space,
    dumps,
    label_variables,
    load_results,
    netcdf_bytes,
    to_jsonable,
)

#: The sizes every experiment knows: ``tiny`` for the test suite (seconds), ``quick`` for a
#: laptop or CI (under a minute on 2 cores with the numba backend), ``full`` for the figure.
SIZES = ("tiny", "quick", "full")

#: Names of the Monte Carlo backends (:mod:`statnn.dynamics.backends`).
MC_BACKENDS = ("numpy", "numba", "torch")


def resolve_params(
    caller: str, sizes: Mapping[str, Mapping[str, Any]], size: str, overrides: Mapping
) -> dict:
    """The parameters of ``size`` with ``overrides`` applied (only known names allowed)."""
    size = check_choice(size, "size", caller, SIZES)
    params = dict(sizes[size])
    for key, value in overrides.items():
        if key not in params:
            known = ", ".join(sorted(params))
            raise param_error(key, caller, f"one of the experiment's parameters ({known})", value)
        params[key] = value
    return params


def resolve_backend(backend: str | None, caller: str) -> str:
    """The Monte Carlo backend name that ``backend`` means (None: the package default)."""
    from statnn.dynamics.backends import DEFAULT_BACKEND

    if backend is None:
        return DEFAULT_BACKEND
    return check_choice(backend, "backend", caller, MC_BACKENDS)


def resolve_device(device: Any, backend: str | None, caller: str) -> tuple[str, str | None]:
    """The backend and device that ``device`` asks for, checked before any work.

    A device implies the torch backend (None picks it); numpy and numba run on the CPU
    cores and take no device. A device this machine lacks (``'cuda'`` without a GPU)
    raises :class:`~statnn.errors.BackendUnavailableError`.
    """
    backend = resolve_backend(backend, caller) if device is None or backend else "torch"
    if device is None:
        return backend, None
    if not isinstance(device, str):
        raise param_error(
            "device", caller, "a device name such as 'cpu', 'cuda' or 'cuda:1'", device
        )
    if backend != "torch":
        raise param_error(
            "device",
            caller,
            "None with backend='numpy' or 'numba' (they run on the CPU cores); "
            "use backend='torch' to choose a device",
            device,
        )
    from statnn.dynamics.backends import load_backend

    load_backend("torch", caller)  # BackendUnavailableError without torch
    from statnn._device import resolve_device as torch_device

    torch_device(device, caller)  # BackendUnavailableError without that device
    return backend, device


#: Seeds are stored as 64-bit integers in the result files.
MAX_SEED = 2**63 - 1


def resolve_seed(seed: Any, caller: str) -> int:
    """The integer seed to run with and record, in [0, 2**63 - 1] (stored as an int64).

    An int is kept; None, a Generator or a SeedSequence become the integer drawn from them
    (:func:`statnn._validation.check_seed`), so the recorded ``seed`` attribute always
    reproduces the experiment.
    """
    expected = "an int in [0, 2**63 - 1] (stored as a 64-bit integer), a numpy Generator, a SeedSequence or None"
    value = seed_value(seed, caller)
    if isinstance(value, list):  # a SeedSequence of several words: reduce it to one int
        value = int(np.random.SeedSequence(value).generate_state(1, dtype=np.uint64)[0] >> 1)
    if value > MAX_SEED:
        raise param_error("seed", caller, expected, seed)
    return value


def child_seeds(seed: int, count: int) -> list[int]:
    """``count`` independent integer seeds derived from ``seed``."""
    states = np.random.SeedSequence(seed).generate_state(count, dtype=np.uint64)
    return [int(s >> 1) for s in states]


#: Units and long names of the experiments' own variables (beyond the shared
#: :data:`statnn.results.VARIABLE_ATTRS`); an experiment's inline ``long_name`` wins.
EXPERIMENT_VARIABLES: dict[str, tuple[str, str]] = {
    # axes
    "N": (DIMENSIONLESS, "number of neurons (spins, inputs)"),
    "L": (DIMENSIONLESS, "side length of the lattice, in sites"),
    "alpha": (DIMENSIONLESS, "load alpha = P/N"),
    "alpha_theory": (DIMENSIONLESS, "load alpha = P/N of the theory curves"),
    "rule": (DIMENSIONLESS, "learning rule"),
    "m0": (DIMENSIONLESS, "initial overlap of the cue with its pattern"),
    "T_line": (TEMPERATURE, "temperature of the global-minimum line"),
    "pair": (DIMENSIONLESS, "pair of successive lattice sizes"),
    "x": (DIMENSIONLESS, "input x_1"),
    "y": (DIMENSIONLESS, "input x_2"),
    "xor_epoch": (DIMENSIONLESS, "training epoch (XOR)"),
    "digits_epoch": (DIMENSIONLESS, "training epoch (digits)"),
    "km_epoch": (DIMENSIONLESS, "training epoch (km to miles)"),
    # Hopfield
    "m_mean": (DIMENSIONLESS, "mean final overlap with the cued pattern"),
    "m_err": (DIMENSIONLESS, "standard error of the mean final overlap"),
    "retrieval_rate": (DIMENSIONLESS, "fraction of runs that retrieved their pattern"),
    "ags_m": (DIMENSIONLESS, "AGS replica-symmetric retrieval overlap m(alpha, T)"),
    "T_g": (TEMPERATURE, "spin-glass temperature T_g = 1 + sqrt(alpha)"),
    "T_M": (TEMPERATURE, "AGS: highest temperature with retrieval states"),
    "alpha_global": (DIMENSIONLESS, "AGS: load below which retrieval states are global minima"),
    # magnets
    "binder_crossing": (TEMPERATURE, "temperature where the Binder cumulants of two sizes cross"),
    "onsager_energy": (ENERGY, "exact energy per spin of the infinite lattice (Onsager)"),
    "onsager_magnetization": (DIMENSIONLESS, "exact spontaneous magnetization (Yang)"),
    "onsager_specific_heat": (HEAT_CAPACITY, "exact specific heat per spin (Onsager)"),
    "m_theory": (DIMENSIONLESS, "mean-field magnetization, solution of m = tanh(m/T)"),
    "e_theory": (ENERGY, "mean-field energy per spin e = -m^2/2"),
    "abs_q": (DIMENSIONLESS, "replica overlap <|q|>"),
    "g": (DIMENSIONLESS, "spin-glass Binder parameter g = (3 - [<q^4>]/[<q^2>]^2)/2"),
    "rs_energy": (ENERGY, "replica-symmetric energy per spin"),
    "rs_q": (DIMENSIONLESS, "replica-symmetric overlap q"),
    # feedforward
    "fraction": (DIMENSIONLESS, "fraction of random dichotomies learned"),
    "cover": (DIMENSIONLESS, "Cover probability C(P, N)/2^P"),
    "cover_curve": (DIMENSIONLESS, "Cover probability at P = round(alpha N)"),
    "P": (DIMENSIONLESS, "number of patterns"),
    "xor_loss": (DIMENSIONLESS, "MLP training loss on XOR (cross-entropy)"),
    "xor_accuracy": (DIMENSIONLESS, "MLP training accuracy on XOR"),
    "xor_perceptron_map": (DIMENSIONLESS, "perceptron output (0 or 1)"),
    "xor_mlp_map": (DIMENSIONLESS, "MLP probability of class 1"),
    "xor_X": (DIMENSIONLESS, "XOR inputs"),
    "xor_y": (DIMENSIONLESS, "XOR labels"),
    "digits_loss": (DIMENSIONLESS, "training loss (cross-entropy)"),
    "digits_accuracy": (DIMENSIONLESS, "training accuracy"),
    "digits_val_loss": (DIMENSIONLESS, "validation loss (cross-entropy)"),
    "digits_val_accuracy": (DIMENSIONLESS, "validation accuracy"),
    "km": ("km", "distance"),
    "miles": ("mi", "distance, measured with noise"),
    "km_w": ("mi/km", "learned factor w after each epoch"),
    "km_mlp_loss": ("1e4 mi^2", "MLPRegressor loss (1/n) sum (y - t)^2/2, distances in 100 mi"),
    "fruit_weight": ("g", "fruit weight"),
    "fruit_sweetness": (DIMENSIONLESS, "fruit sweetness, on a 1-10 scale"),
    "fruit_y": (DIMENSIONLESS, "class: 0 apple, 1 orange"),
}


def environment() -> dict:
    """Versions of statnn, Python, numpy and the platform (for the metadata)."""
    return {
        "statnn_version": __version__,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "platform": platform.platform(),
    }


def finish(
    ds,
    *,
    experiment: str,
    title: str,
    size: str,
    params: Mapping,
    seed: int,
    backend: str,
    start: float,
    device: str | None = None,
):
    """Attach the self-describing metadata to ``ds`` (in place) and return it.

    Every variable and coordinate gets ``units`` and ``long_name``
    (:func:`statnn.results.label_variables` with :data:`EXPERIMENT_VARIABLES`).
    """
    label_variables(ds, EXPERIMENT_VARIABLES)
    attrs = {
        "experiment": experiment,
        "title": title,
        "size": size,
        "seed": int(seed),
        "backend": backend,
        "device": device or "cpu",
        "wall_time_s": round(time.perf_counter() - start, 3),
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        **environment(),
        "params": json.dumps(to_jsonable(dict(params), strict=True), sort_keys=True),
    }
    ds.attrs.update(attrs)
    return ds


@dataclass(frozen=True)
class ExperimentCall:
    """One call of an experiment function: its checked arguments and when it started.

    Made by :func:`start_experiment`; :meth:`finish` stamps the result's metadata.
    """

    size: str
    params: dict
    seed: int
    backend: str
    start: float
    device: str | None = None

    def finish(self, ds, *, experiment: str, title: str):
        """Attach the metadata of this call to ``ds`` (in place, :func:`finish`); return it."""
        return finish(
            ds,
            experiment=experiment,
            title=title,
            size=self.size,
            params=self.params,
            seed=self.seed,
            backend=self.backend,
            device=self.device,
            start=self.start,
        )


def start_experiment(
    caller: str,
    sizes: Mapping[str, Mapping[str, Any]],
    size: str,
    seed: Any,
    backend: str | None,
    overrides: Mapping,
    *,
    device: str | None = None,
    progress: bool = False,
) -> ExperimentCall:
    """Start the clock and check an experiment's arguments, in the order every one does.

    The preset ``size`` of ``sizes`` with ``overrides`` (:func:`resolve_params`), then the
    seed (:func:`resolve_seed`), then the Monte Carlo backend and device
    (:func:`resolve_device`).
    """
    start = time.perf_counter()
    check_bool(progress, "progress", caller)
    params = resolve_params(caller, sizes, size, overrides)
    seed = resolve_seed(seed, caller)
    backend, device = resolve_device(device, backend, caller)
    return ExperimentCall(size, params, seed, backend, start, device)


def params_of(ds) -> dict:
    """The parameters recorded in a result's ``params`` attribute."""
    text = ds.attrs.get("params", "{}")
    return json.loads(text) if isinstance(text, str) else dict(text)


def describe(ds) -> dict:
    """The JSON sidecar of a dataset: its attributes (params parsed) and its variables."""
    attrs = {k: to_jsonable(v, strict=True) for k, v in ds.attrs.items() if k != "params"}
    return {
        **attrs,
        "params": params_of(ds),
        "dims": {str(k): int(v) for k, v in ds.sizes.items()},
        "variables": {
            str(name): {
                "dims": list(map(str, var.dims)),
                **{k: to_jsonable(v, strict=True) for k, v in var.attrs.items()},
            }
            for name, var in ds.variables.items()
        },
    }


def save_dataset(ds, path) -> tuple[Path, Path]:
    """Write ``ds`` to ``path`` (netCDF via h5netcdf) and ``path`` with ``.json`` beside it.

    Both files are written atomically (:func:`statnn.results.save_dataset`,
    :func:`statnn.results.atomic_write_bytes`; the JSON is standard JSON), after checking
    the free space for both. Returns the two paths.
    """
    path = Path(path)
    if path.suffix != ".nc":
        path = path.with_suffix(".nc")
    data = netcdf_bytes(ds)  # built in memory: a bad attribute fails before any write
    side = (dumps(to_jsonable(describe(ds), strict=True), indent=1) + "\n").encode("utf-8")
    path.parent.mkdir(parents=True, exist_ok=True)
    check_free_space(path, len(data) + len(side), what=f"write {path} and its .json")
    atomic_write_bytes(path, data)
    sidecar = atomic_write_bytes(path.with_suffix(".json"), side)
    return path, Path(sidecar)


def load_dataset(path):
    """Read a result written by :func:`save_dataset` (the ``.nc`` file or its ``.json``)."""
    path = Path(path)
    if path.suffix == ".json":
        path = path.with_suffix(".nc")
    if not path.is_file():
        raise ValidationError(
            f"No results file {str(path)!r}: expected a .nc file written by 'statnn run' "
            "(or its .json sidecar)."
        )
    return load_results(path)
