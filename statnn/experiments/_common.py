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
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from statnn._validation import check_choice, check_seed, param_error
from statnn._version import __version__
from statnn.errors import ValidationError

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


def resolve_seed(seed: Any, caller: str) -> int:
    """An explicit integer seed >= 0 (experiments are reproducible: no ``None``)."""
    seed = check_seed(seed, caller)
    if seed is None:
        raise param_error("seed", caller, "an int >= 0", seed)
    return seed


def child_seeds(seed: int, count: int) -> list[int]:
    """``count`` independent integer seeds derived from ``seed``."""
    states = np.random.SeedSequence(seed).generate_state(count, dtype=np.uint64)
    return [int(s >> 1) for s in states]


def _jsonable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return _jsonable(value.tolist())
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return str(value)
    return value


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
):
    """Attach the self-describing metadata to ``ds`` (in place) and return it."""
    attrs = {
        "experiment": experiment,
        "title": title,
        "size": size,
        "seed": int(seed),
        "backend": backend,
        "wall_time_s": round(time.perf_counter() - start, 3),
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        **environment(),
        "params": json.dumps(_jsonable(dict(params)), sort_keys=True),
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
            start=self.start,
        )


def start_experiment(
    caller: str,
    sizes: Mapping[str, Mapping[str, Any]],
    size: str,
    seed: Any,
    backend: str | None,
    overrides: Mapping,
) -> ExperimentCall:
    """Start the clock and check an experiment's arguments, in the order every one does.

    The preset ``size`` of ``sizes`` with ``overrides`` (:func:`resolve_params`), then the
    seed (:func:`resolve_seed`), then the Monte Carlo backend (:func:`resolve_backend`).
    """
    start = time.perf_counter()
    params = resolve_params(caller, sizes, size, overrides)
    seed = resolve_seed(seed, caller)
    backend = resolve_backend(backend, caller)
    return ExperimentCall(size, params, seed, backend, start)


def params_of(ds) -> dict:
    """The parameters recorded in a result's ``params`` attribute."""
    text = ds.attrs.get("params", "{}")
    return json.loads(text) if isinstance(text, str) else dict(text)


def describe(ds) -> dict:
    """The JSON sidecar of a dataset: its attributes (params parsed) and its variables."""
    attrs = {k: _jsonable(v) for k, v in ds.attrs.items() if k != "params"}
    return {
        **attrs,
        "params": params_of(ds),
        "dims": {str(k): int(v) for k, v in ds.sizes.items()},
        "variables": {
            str(name): {
                "dims": list(map(str, var.dims)),
                **{k: _jsonable(v) for k, v in var.attrs.items()},
            }
            for name, var in ds.variables.items()
        },
    }


def save_dataset(ds, path) -> tuple[Path, Path]:
    """Write ``ds`` to ``path`` (netCDF via h5netcdf) and ``path`` with ``.json`` beside it.

    Both files are written atomically (:func:`statnn.results.save_dataset`,
    :func:`statnn.results.atomic_write_json`). Returns the two paths.
    """
    from statnn.results import atomic_write_json
    from statnn.results import save_dataset as save_netcdf

    path = Path(path)
    if path.suffix != ".nc":
        path = path.with_suffix(".nc")
    save_netcdf(ds, path)
    sidecar = atomic_write_json(path.with_suffix(".json"), describe(ds))
    return path, Path(sidecar)


def load_dataset(path):
    """Read a result written by :func:`save_dataset` (the ``.nc`` file or its ``.json``)."""
    from statnn.results import load_results

    path = Path(path)
    if path.suffix == ".json":
        path = path.with_suffix(".nc")
    if not path.is_file():
        raise ValidationError(
            f"No results file {str(path)!r}: expected a .nc file written by 'statnn run' "
            "(or its .json sidecar)."
        )
    return load_results(path)


def progress_bar(iterable, *, enabled: bool, desc: str, total: int | None = None):
    """tqdm over ``iterable`` when ``enabled`` (on stderr), else the iterable itself."""
    if not enabled:
        return iterable
    from tqdm.auto import tqdm

    return tqdm(iterable, desc=desc, total=total, file=sys.stderr, leave=False)
