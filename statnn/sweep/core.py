"""Parameter sweeps: grids, resumable runs, local or Dask execution.

A sweep runs one *task* (a function of keyword parameters that returns scalars or
labelled arrays) at every point of a *grid* (the cartesian product of lists of values),
with the *fixed* parameters shared by every point::

    import statnn.sweep.core as sw

    ds = sw.run_sweep(
        "simulate",
        {"T": [1.5, 2.0, 2.5, 3.0], "seed": [0, 1]},
        fixed={"model": "ising", "L": 16, "sweeps": 500, "burn_in": 200, "chains": 4},
        out_dir="results/ising_sweep",
    )
    ds.abs_magnetization.mean("seed").plot.line(x="T")

On disk (``out_dir``)::

    sweep.json          the manifest: task, grid (in order), fixed parameters, versions
    points/<key>.json   one record per finished point (statnn.results.point_record)
    results.nc          every point gathered into one xarray Dataset (netCDF-4)
    .lock               held (flock) while a sweep runs in the directory

Each point is written atomically as soon as it finishes; a point whose record is there
and verifies (checksum, key, parameters) is never recomputed, so a killed sweep restarted
with the same command loses nothing and ends with the same ``results.nc`` as an
uninterrupted run (the task is deterministic given its seed: a point without a ``seed``
parameter gets one derived from its parameters). A truncated or corrupt record is set
aside as ``<key>.json.corrupt`` and the point recomputed.

Execution: one point after the other in this process by default (the numba backend then
uses every core inside each point); on a Dask cluster with ``scheduler=ADDRESS`` or
``client=Client(...)``; on a local Dask cluster of ``workers`` processes. On Dask every
task sets numba's thread count to cores // (dask threads on its host), so the workers do
not oversubscribe the cores. Results travel back to this process, which writes the
records: the workers need no shared file system.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import itertools
import json
import math
import numbers
import os
import sys
import time
import warnings
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from statnn._validation import check_int, param_error
from statnn._version import __version__
from statnn.errors import BackendUnavailableError, StatnnError, ValidationError
from statnn.results import (
    atomic_write_json,
    decode_result,
    dumps,
    point_record,
    read_point,
    save_dataset,
    write_point,
)

__all__ = [
    "Grid",
    "SweepSpec",
    "SweepTask",
    "TASKS",
    "expand_grid",
    "load_sweep_file",
    "point_key",
    "register_task",
    "run_sweep",
    "run_sweep_file",
]

MANIFEST = "sweep.json"
RESULTS = "results.nc"
POINTS = "points"
LOCK = ".lock"
SPEC_FORMAT = "statnn.sweep"
#: Per-point metadata variables added to the gathered Dataset (besides the task's results).
META_VARS = ("seed", "backend", "device", "version", "host", "wall_time")
#: Metadata that legitimately differs between two runs of the same sweep.
TIMING_VARS = ("host", "wall_time")


# ------------------------------------------------------------------------------ tasks


@dataclass(frozen=True)
class SweepTask:
    """A registered point function.

    Attributes
    ----------
    name : str
        The name used in sweep files (``task = "simulate"``).
    func : callable
        ``func(**params)`` → mapping of scalars/arrays or :class:`xarray.Dataset`.
    check : callable, optional
        ``check(names, fixed, grid, caller)`` validates the parameter names (and what can
        be validated without running) before any work starts.
    """

    name: str
    func: Callable[..., Any]
    check: Callable[..., None] | None = None


#: The registered tasks, by name.
TASKS: dict[str, SweepTask] = {}


def register_task(name: str, check: Callable[..., None] | None = None):
    """Decorator registering a point function under ``name`` (see :class:`SweepTask`).

    Examples
    --------
    >>> from statnn.sweep.core import register_task
    >>> @register_task("square")
    ... def square(x, seed=None):
    ...     return {"x2": x * x}
    """

    def decorate(func):
        TASKS[name] = SweepTask(name, func, check)
        return func

    return decorate


def _resolve_task(task: Any, caller: str) -> tuple[str, SweepTask]:
    """``(name, SweepTask)`` for a registered name, ``"module:function"`` or a callable."""
    if callable(task):
        name = f"{task.__module__}:{task.__qualname__}"
        return name, SweepTask(name, task)
    expected = (
        f"a registered task ({', '.join(repr(t) for t in sorted(TASKS))}) or an importable "
        "'module:function'"
    )
    if not isinstance(task, str) or not task:
        raise param_error("task", caller, expected, task)
    if task in TASKS:
        return task, TASKS[task]
    if ":" not in task:
        raise param_error("task", caller, expected, task)
    module_name, _, attr = task.partition(":")
    try:
        obj: Any = importlib.import_module(module_name)
        for part in attr.split("."):
            obj = getattr(obj, part)
    except (ImportError, AttributeError) as exc:
        raise param_error(
            "task", caller, expected, task, hint=f"({type(exc).__name__}: {exc})"
        ) from None
    if not callable(obj):
        raise param_error("task", caller, expected, task)
    return task, SweepTask(task, obj)


# ------------------------------------------------------------------------------- grid


def _plain(value: Any) -> Any:
    """Plain JSON-able Python values (numpy scalars/arrays and tuples converted)."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


def _canonical(obj: Any) -> str:
    return json.dumps(_plain(obj), sort_keys=True, separators=(",", ":"), allow_nan=False)


def point_key(task: str, params: Mapping[str, Any]) -> str:
    """Stable key of a point: 16 hex digits of the SHA-256 of its canonical JSON.

    The canonical JSON has sorted keys and no spaces, so the key depends on the task's
    name and on the parameter values only (not on their order, the grid's order or the
    machine).
    """
    text = _canonical({"task": task, "params": dict(params)})
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def _seed_from_key(key: str) -> int:
    """A 32-bit seed derived from a point's key (for tasks run without a seed parameter)."""
    return int(key[:8], 16)


def _scalar_kind(value: Any) -> str | None:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, numbers.Real) and math.isfinite(float(value)):
        return "number"
    if isinstance(value, str):
        return "str"
    return None


def _check_grid(grid: Any, caller: str) -> dict[str, list]:
    expected_grid = "a non-empty table of parameter name -> list of values"
    if not isinstance(grid, Mapping) or not grid:
        raise param_error("grid", caller, expected_grid, grid)
    out: dict[str, list] = {}
    for name, values in grid.items():
        where = f"grid.{name}"
        expected = "a non-empty list of distinct numbers, strings or booleans (all of one kind)"
        if not isinstance(name, str) or not name:
            raise param_error("grid", caller, "a table with non-empty string keys", name)
        values = _plain(values)
        if not isinstance(values, list) or not values:
            raise param_error(where, caller, expected, values)
        kinds = {_scalar_kind(v) for v in values}
        if None in kinds or len(kinds) != 1:
            raise param_error(where, caller, expected, values)
        if len({_canonical(v) for v in values}) != len(values) or (
            kinds == {"number"} and len(set(float(v) for v in values)) != len(values)
        ):
            raise param_error(where, caller, expected, values, hint="Remove the repeated value.")
        out[name] = values
    return out


@dataclass(frozen=True)
class Grid:
    """An ordered cartesian grid of parameter values.

    Attributes
    ----------
    params : dict
        ``name -> list of values``, in dimension order (the first varies slowest).
    """

    params: dict[str, list]

    def __post_init__(self):
        object.__setattr__(self, "params", _check_grid(self.params, "Grid"))

    @property
    def dims(self) -> tuple[str, ...]:
        """The parameter names, in order."""
        return tuple(self.params)

    @property
    def shape(self) -> tuple[int, ...]:
        """Number of values of each parameter."""
        return tuple(len(v) for v in self.params.values())

    @property
    def size(self) -> int:
        """Number of points."""
        return math.prod(self.shape)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        names = self.dims
        for combo in itertools.product(*self.params.values()):
            yield dict(zip(names, combo, strict=True))

    def __len__(self) -> int:
        return self.size

    def points(self) -> list[dict[str, Any]]:
        """Every point, in C order (the last parameter varies fastest)."""
        return list(self)


def expand_grid(params: Mapping[str, Sequence]) -> list[dict[str, Any]]:
    """The cartesian product of parameter lists, in a stable order.

    Parameters
    ----------
    params : mapping
        ``name -> list of values``; the first name varies slowest.

    Returns
    -------
    list of dict

    Examples
    --------
    >>> from statnn.sweep.core import expand_grid
    >>> expand_grid({"T": [1.0, 2.0], "seed": [0, 1]})
    [{'T': 1.0, 'seed': 0}, {'T': 1.0, 'seed': 1}, {'T': 2.0, 'seed': 0}, {'T': 2.0, 'seed': 1}]
    """
    return Grid(dict(params)).points()


# ------------------------------------------------------------------------------- spec


@dataclass
class SweepSpec:
    """A validated sweep: what :func:`load_sweep_file` returns.

    Attributes
    ----------
    task : str
        Registered task name or ``"module:function"``.
    grid : dict
        Ordered ``name -> list of values``.
    fixed : dict
        Parameters shared by every point.
    out : str or None
        Output directory (relative paths are relative to the current directory).
    description : str
        Free text, copied into the results' attributes.
    """

    task: str
    grid: dict[str, list]
    fixed: dict[str, Any] = field(default_factory=dict)
    out: str | None = None
    description: str = ""

    def identity(self) -> dict:
        """What must match for a directory's finished points to be reused."""
        return {
            "task": self.task,
            "dims": list(self.grid),
            "grid": self.grid,
            "fixed": self.fixed,
        }


_TOP_KEYS = ("task", "out", "grid", "fixed", "description")


def make_spec(
    task: Any,
    grid: Any,
    fixed: Any = None,
    *,
    out: Any = None,
    description: str = "",
    caller: str = "run_sweep",
) -> tuple[SweepSpec, SweepTask]:
    """Validate a sweep's parts; return the spec and the resolved task."""
    name, resolved = _resolve_task(task, caller)
    grid = _check_grid(grid, caller)
    if fixed is None:
        fixed = {}
    if not isinstance(fixed, Mapping):
        raise param_error("fixed", caller, "a table of parameter name -> value", fixed)
    fixed = {str(k): _plain(v) for k, v in fixed.items()}
    for k, v in fixed.items():
        try:
            _canonical(v)
        except (TypeError, ValueError):
            raise param_error(
                f"fixed.{k}", caller, "a number, string, boolean or list of them", v
            ) from None
    both = [k for k in grid if k in fixed]
    if both:
        raise param_error(
            f"fixed.{both[0]}",
            caller,
            "absent when the parameter is in the grid",
            fixed[both[0]],
            hint=f"'{both[0]}' is both in [grid] and [fixed]; keep one.",
        )
    if out is not None and not isinstance(out, str | os.PathLike):
        raise param_error("out", caller, "a directory path", out)
    if not isinstance(description, str):
        raise param_error("description", caller, "a string", description)
    if resolved.check is not None:
        resolved.check(list(fixed) + list(grid), fixed, grid, caller)
    spec = SweepSpec(name, grid, fixed, None if out is None else str(out), description)
    return spec, resolved


def _read_toml(path: Path) -> dict:
    try:
        import tomllib
    except ImportError:  # Python 3.10
        try:
            import tomli as tomllib  # type: ignore[no-redef]
        except ImportError:
            raise BackendUnavailableError(
                "Reading sweep files needs Python >= 3.11 (tomllib) or the 'tomli' package "
                "(pip install tomli)."
            ) from None
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ValidationError(f"The sweep file {path} is not valid TOML: {exc}.") from None


def load_sweep_file(path: str | os.PathLike) -> SweepSpec:
    """Read and validate a TOML sweep file.

    Format::

        task = "simulate"                 # registered task or "module:function"
        out = "results/ising_sweep"       # optional; --out overrides it
        description = "2D Ising M(T)"     # optional
        [fixed]                           # parameters shared by every point
        model = "ising"
        L = 16
        sweeps = 500
        [grid]                            # lists of values: one point per combination
        T = [1.5, 2.0, 2.5, 3.0]
        seed = [0, 1]

    Parameters
    ----------
    path : path-like

    Returns
    -------
    SweepSpec

    Raises
    ------
    ValidationError
        Missing file, invalid TOML, an unknown top-level key or task, an empty grid, a grid
        value that is not a list of distinct scalars, a parameter the task does not take:
        the message names the key.
    """
    p = Path(path)
    caller = f"the sweep file {p.name}"
    if not p.is_file():
        raise param_error("path", "load_sweep_file", "an existing TOML sweep file", str(path))
    data = _read_toml(p)
    for key in data:
        if key not in _TOP_KEYS:
            raise param_error(
                key,
                caller,
                "absent (the keys are " + ", ".join(repr(k) for k in _TOP_KEYS) + ")",
                data[key],
                hint="Put simulation parameters under [fixed] or [grid].",
            )
    if "task" not in data:
        raise param_error("task", caller, 'given (e.g. task = "simulate")', "<nothing>")
    if "grid" not in data:
        raise param_error("grid", caller, "a [grid] table of parameter lists", "<nothing>")
    spec, _ = make_spec(
        data["task"],
        data["grid"],
        data.get("fixed"),
        out=data.get("out"),
        description=data.get("description", ""),
        caller=caller,
    )
    return spec


# ----------------------------------------------------------------- execution of a point


@dataclass(frozen=True)
class _Point:
    key: str
    grid: dict[str, Any]
    params: dict[str, Any]


@contextlib.contextmanager
def _numba_threads(threads: int | None):
    """Run the block with ``threads`` numba threads (None: unchanged), then restore."""
    if threads is None:
        yield
        return
    import numba

    before = numba.get_num_threads()
    numba.set_num_threads(max(1, min(int(threads), numba.config.NUMBA_NUM_THREADS)))
    try:
        yield
    finally:
        numba.set_num_threads(before)


def _dask_threads(plan: Mapping[str, int] | None) -> int | None:
    """Numba threads for the Dask worker running this task (from the client's plan)."""
    try:
        from distributed import get_worker

        worker = get_worker()
    except (ImportError, ValueError):
        return None
    if plan and worker.address in plan:
        return plan[worker.address]
    return max(1, (os.cpu_count() or 1) // max(1, worker.state.nthreads))


def _execute_point(
    task: Any, name: str, point: _Point, threads: int | None, plan: Mapping[str, int] | None
) -> dict:
    """Run one point (here or on a Dask worker) and return its record (not yet written)."""
    if callable(task):
        resolved = SweepTask(name, task)
    else:
        _, resolved = _resolve_task(task, "run_sweep")
    if plan is not None:
        threads = _dask_threads(plan) if threads is None else threads
    with _numba_threads(threads):
        start = time.perf_counter()
        result = resolved.func(**point.params)
        wall = time.perf_counter() - start
    attrs = getattr(result, "attrs", {}) or {}
    backend = attrs.get("backend", point.params.get("backend"))
    device = attrs.get("device", point.params.get("device"))
    return point_record(
        key=point.key,
        task=name,
        params=point.params,
        grid_point=point.grid,
        result=result,
        seed=point.params.get("seed"),
        backend=None if backend is None else str(backend),
        device=None if device is None else str(device),
        wall_time=wall,
    )


# ---------------------------------------------------------------------------- the run


@dataclass
class SweepStats:
    """What a run did: points in the grid, reused from disk, computed now, recovered."""

    total: int = 0
    reused: int = 0
    computed: int = 0
    corrupt: int = 0
    out_dir: Path | None = None


@contextlib.contextmanager
def _locked(out_dir: Path):
    """Hold an exclusive lock on ``out_dir`` (two sweeps must not share a directory)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: no lock
        yield
        return
    fh = open(out_dir / LOCK, "a+")
    try:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise ValidationError(
                f"Another sweep is running in {out_dir} (its lock file is held); wait for it "
                "or choose another output directory."
            ) from None
        yield
    finally:
        fh.close()


def _describe_difference(old: Mapping, new: Mapping) -> str:
    for part in ("task", "dims"):
        if old.get(part) != new.get(part):
            return f"{part} {old.get(part)!r} vs {new.get(part)!r}"
    for part in ("grid", "fixed"):
        a, b = old.get(part, {}), new.get(part, {})
        for k in sorted(set(a) | set(b)):
            if _canonical(a.get(k)) != _canonical(b.get(k)):
                return f"{part}.{k} {a.get(k)!r} vs {b.get(k)!r}"
    return "the spec"


def _prepare_dir(out_dir: Path, spec: SweepSpec, extend: bool) -> None:
    manifest_path = out_dir / MANIFEST
    identity = json.loads(dumps(spec.identity()))
    if manifest_path.exists():
        try:
            old = json.loads(manifest_path.read_text(encoding="utf-8"))
            old_identity = {k: old[k] for k in ("task", "dims", "grid", "fixed")}
        except (OSError, ValueError, KeyError, TypeError):
            raise ValidationError(
                f"{manifest_path} is not a statnn sweep manifest; choose another output directory."
            ) from None
        if _canonical(old_identity) != _canonical(identity):
            same_shape = all(old_identity[k] == identity[k] for k in ("task", "dims", "fixed"))
            if not (extend and same_shape):
                hint = " or pass extend=True (--extend) to change grid values" if same_shape else ""
                raise ValidationError(
                    f"The sweep in {out_dir} was started with a different spec "
                    f"({_describe_difference(old_identity, identity)}); rerun with the "
                    f"original spec, choose a new output directory{hint}."
                )
        else:
            return
    manifest = {
        "format": SPEC_FORMAT,
        "format_version": 1,
        **identity,
        "description": spec.description,
        "statnn_version": __version__,
        "python": sys.version.split()[0],
    }
    atomic_write_json(manifest_path, manifest)


def _clean_temp_files(points_dir: Path) -> None:
    """Remove temporary files left by a killed run (we hold the directory's lock)."""
    for tmp in points_dir.glob(".*.tmp"):
        with contextlib.suppress(OSError):
            tmp.unlink()


def _load_finished(
    points: list[_Point], points_dir: Path, task_name: str, stats: SweepStats
) -> dict[str, dict]:
    finished: dict[str, dict] = {}
    for point in points:
        path = points_dir / f"{point.key}.json"
        if not path.exists():
            continue
        record, reason = read_point(path)
        if record is not None and (
            record.get("key") != point.key
            or record.get("task") != task_name
            or _canonical(record.get("params")) != _canonical(point.params)
        ):
            record, reason = None, "parameters do not match its key"
        if record is None:
            stats.corrupt += 1
            with contextlib.suppress(OSError):
                os.replace(path, path.with_name(path.name + ".corrupt"))
            warnings.warn(
                f"Sweep point record {path} is unusable ({reason}); it was renamed to "
                f"{path.name}.corrupt and the point will be recomputed.",
                RuntimeWarning,
                stacklevel=3,
            )
            continue
        finished[point.key] = record
    return finished


def _make_points(spec: SweepSpec, grid: Grid) -> list[_Point]:
    points = []
    for gp in grid:
        params = {**spec.fixed, **gp}
        key = point_key(spec.task, params)
        if "seed" not in params:
            params["seed"] = _seed_from_key(key)
        points.append(_Point(key, gp, params))
    return points


def _progress_bar(total: int, initial: int, desc: str, progress: bool | None):
    from tqdm.auto import tqdm

    disable = None if progress is None else not progress
    return tqdm(total=total, initial=initial, desc=desc, unit="point", disable=disable)


def _dask_client(client: Any, scheduler: Any, workers: int | None):
    """``(client, closers)``: the client to use and what to close afterwards."""
    if client is not None:
        return client, []
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        option = "scheduler" if scheduler is not None else "workers"
        raise BackendUnavailableError(
            f"The '{option}' option of run_sweep needs Dask, which is not installed: "
            "pip install 'statnn[dist]' (or run without --scheduler/--workers)."
        ) from None
    if scheduler is not None:
        try:
            c = Client(scheduler, timeout="15s")
        except (OSError, TimeoutError, ValueError) as exc:
            raise BackendUnavailableError(
                f"Could not connect to the Dask scheduler at {scheduler!r}: {exc}."
            ) from None
        return c, [c]
    cluster = LocalCluster(
        n_workers=workers,
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
        silence_logs=40,
    )
    c = Client(cluster)
    return c, [c, cluster]


def _threads_plan(client) -> dict[str, int]:
    """Numba threads per Dask worker: the host's cores // the Dask threads on that host."""
    try:
        workers = client.scheduler_info(n_workers=-1)["workers"]
    except TypeError:  # older distributed
        workers = client.scheduler_info()["workers"]
    cores = client.run(os.cpu_count)
    per_host: Counter = Counter()
    for info in workers.values():
        per_host[info.get("host")] += int(info.get("nthreads", 1))
    return {
        addr: max(1, int(cores.get(addr) or 1) // max(1, per_host[info.get("host")]))
        for addr, info in workers.items()
    }


def _run_local(pending, task_ref, name, threads, write, bar):
    for point in pending:
        write(_execute_point(task_ref, name, point, threads, None))
        bar.update(1)


def _run_dask(client, pending, task_ref, name, threads, write, bar):
    from distributed import as_completed

    plan = _threads_plan(client) if threads is None else None
    futures = [
        client.submit(_execute_point, task_ref, name, point, threads, plan or {}, pure=False)
        for point in pending
    ]
    try:
        for future in as_completed(futures):
            write(future.result())
            bar.update(1)
    finally:
        client.cancel(futures)


def _gather(spec: SweepSpec, grid: Grid, points: list[_Point], records: Mapping[str, dict]):
    import xarray as xr

    dims = grid.dims
    shape = grid.shape
    results = [decode_result(records[p.key]["result"]) for p in points]
    templates: dict[str, Any] = {}  # result name -> its first occurrence
    inner_coords: dict[str, Any] = {}
    for p, r in zip(points, results, strict=True):
        for v in r.data_vars:
            templates.setdefault(v, r[v])
        for c, var in r.coords.items():
            if c not in inner_coords:
                inner_coords[c] = var
            elif not np.array_equal(inner_coords[c].values, var.values):
                raise StatnnError(f"The sweep point {p.grid} has a different coordinate {c!r}.")
    inner_dims = {d for t in templates.values() for d in t.dims}
    for name in [*templates, *inner_dims, *inner_coords]:
        if name in dims:
            raise StatnnError(
                f"The sweep task's result {name!r} has the name of a grid parameter; "
                "rename it in the task."
            )
    coords: dict[str, Any] = {d: np.asarray(v) for d, v in grid.params.items()}
    for c, var in inner_coords.items():
        coords[c] = (var.dims, var.values, var.attrs)
    data_vars: dict[str, Any] = {}
    for v, tmpl in templates.items():
        parts: list[Any] = []
        for p, r in zip(points, results, strict=True):
            if v not in r.data_vars:
                parts.append(None)  # a result some points lack (e.g. overlap): filled below
            elif r[v].dims != tmpl.dims or r[v].shape != tmpl.shape:
                raise StatnnError(
                    f"The sweep result {v!r} has dims {r[v].dims} and shape {r[v].shape} at "
                    f"point {p.grid} but {tmpl.dims} and {tmpl.shape} elsewhere."
                )
            else:
                parts.append(r[v].values)
        if any(a is None for a in parts):
            text = tmpl.dtype.kind in "USO"
            dtype, fill = (object, "") if text else (np.float64, np.nan)
            parts = [
                np.full(tmpl.shape, fill, dtype) if a is None else np.asarray(a, dtype)
                for a in parts
            ]
        stacked = np.stack(parts).reshape(shape + tmpl.shape)
        data_vars[v] = (dims + tmpl.dims, stacked, tmpl.attrs)
    meta_docs = {
        "seed": "seed the point's task received",
        "backend": "dynamics backend",
        "device": "device",
        "version": "statnn version that computed the point",
        "host": "host that computed the point",
        "wall_time": "seconds the point's task took",
    }
    for m in META_VARS:
        if m in dims or m in data_vars or m in coords:
            continue
        values = [records[p.key].get(m) for p in points]
        if m == "wall_time":
            arr = np.asarray(values, dtype=np.float64)
            attrs = {"units": "s", "long_name": meta_docs[m]}
        elif m == "seed":
            if any(v is None for v in values):
                continue
            arr = np.asarray(values, dtype=np.int64)
            attrs = {"long_name": meta_docs[m]}
        else:
            arr = np.asarray(["" if v is None else str(v) for v in values], dtype=object)
            attrs = {"long_name": meta_docs[m]}
        data_vars[m] = (dims, arr.reshape(shape), attrs)
    attrs: dict[str, Any] = {
        "title": spec.description or f"statnn sweep: {spec.task}",
        "task": spec.task,
        "dims": json.dumps(list(dims)),
        "sweep": dumps({k: v for k, v in spec.identity().items()}),
        "statnn_version": __version__,
        "Conventions": "CF-1.8",
    }
    for k, v in spec.fixed.items():
        if isinstance(v, bool):
            attrs[f"fixed_{k}"] = int(v)
        elif isinstance(v, str | int | float):
            attrs[f"fixed_{k}"] = v
        else:
            attrs[f"fixed_{k}"] = json.dumps(v)
    return xr.Dataset(data_vars, coords=coords, attrs=attrs)


def _run(
    task: Any,
    grid: Any,
    *,
    out_dir: Any,
    fixed: Any = None,
    client: Any = None,
    scheduler: str | None = None,
    workers: int | None = None,
    progress: bool | None = None,
    extend: bool = False,
    numba_threads: int | None = None,
    description: str = "",
    caller: str = "run_sweep",
):
    spec, resolved = make_spec(
        task, grid, fixed, out=out_dir, description=description, caller=caller
    )
    if out_dir is None or not isinstance(out_dir, str | os.PathLike) or str(out_dir) == "":
        raise param_error("out_dir", caller, "a directory path", out_dir)
    executors = {"client": client, "scheduler": scheduler, "workers": workers}
    chosen = [n for n, v in executors.items() if v is not None]
    if len(chosen) > 1:
        raise param_error(
            chosen[1],
            caller,
            f"None when '{chosen[0]}' is given (choose one)",
            executors[chosen[1]],
        )
    if scheduler is not None and (not isinstance(scheduler, str) or not scheduler):
        raise param_error(
            "scheduler", caller, "a Dask scheduler address such as 'tcp://host:8786'", scheduler
        )
    if workers is not None:
        workers = check_int(workers, "workers", caller, minimum=1)
    if numba_threads is not None:
        numba_threads = check_int(numba_threads, "numba_threads", caller, minimum=1)
    if progress is not None and not isinstance(progress, bool):
        raise param_error("progress", caller, "None (automatic), True or False", progress)
    if not isinstance(extend, bool):
        raise param_error("extend", caller, "a bool", extend)
    if (scheduler is not None or workers is not None) and client is None:
        try:
            import distributed  # noqa: F401
        except ImportError:
            option = "scheduler" if scheduler is not None else "workers"
            raise BackendUnavailableError(
                f"The '{option}' option of {caller} needs Dask, which is not installed: "
                "pip install 'statnn[dist]' (or run without it: points then run locally)."
            ) from None

    g = Grid(spec.grid)
    points = _make_points(spec, g)
    out = Path(out_dir)
    points_dir = out / POINTS
    points_dir.mkdir(parents=True, exist_ok=True)
    stats = SweepStats(total=len(points), out_dir=out)
    # A callable given directly travels to the workers by pickle; names resolve there.
    task_ref = resolved.func if callable(task) else spec.task

    with _locked(out):
        _prepare_dir(out, spec, extend)
        _clean_temp_files(points_dir)
        records = _load_finished(points, points_dir, spec.task, stats)
        stats.reused = len(records)
        pending = [p for p in points if p.key not in records]

        def write(record: dict) -> None:
            write_point(points_dir / f"{record['key']}.json", record)
            records[record["key"]] = record
            stats.computed += 1

        bar = _progress_bar(len(points), len(records), f"sweep {spec.task}", progress)
        try:
            if pending:
                if client is None and scheduler is None and workers is None:
                    _run_local(pending, task_ref, spec.task, numba_threads, write, bar)
                else:
                    c, closers = _dask_client(client, scheduler, workers)
                    try:
                        _run_dask(c, pending, task_ref, spec.task, numba_threads, write, bar)
                    finally:
                        for obj in closers:
                            with contextlib.suppress(Exception):
                                obj.close()
        finally:
            bar.close()
        ds = _gather(spec, g, points, records)
        save_dataset(ds, out / RESULTS)
    return ds, stats


def run_sweep(
    task: Any,
    grid: Mapping[str, Sequence],
    *,
    out_dir: str | os.PathLike,
    fixed: Mapping[str, Any] | None = None,
    client: Any = None,
    scheduler: str | None = None,
    workers: int | None = None,
    progress: bool | None = None,
    extend: bool = False,
    numba_threads: int | None = None,
    description: str = "",
):
    """Run ``task`` at every grid point, resumably; gather the results into a Dataset.

    Parameters
    ----------
    task : str or callable
        A registered task (``"simulate"``, ``"recall"``, see :data:`TASKS`), an importable
        ``"module:function"``, or a function. It is called as ``task(**params)`` with the
        fixed and grid parameters and ``seed`` (derived from the point's parameters when
        neither fixed nor in the grid) and returns a mapping of scalars/arrays or an
        :class:`xarray.Dataset` (whose ``attrs`` may name the ``backend`` and ``device``).
        It must be deterministic given its parameters for a resumed sweep to equal an
        uninterrupted one.
    grid : mapping
        ``name -> list of values`` (numbers, strings or booleans); the cartesian product is
        run, the first name varying slowest. The names become the Dataset's dimensions.
    out_dir : path-like
        Directory for the manifest, the point records and ``results.nc``. Rerunning into
        the same directory skips the finished points; a different spec there is an error.
    fixed : mapping, optional
        Parameters shared by every point.
    client : distributed.Client, optional
        Run the points on this Dask cluster.
    scheduler : str, optional
        Address of a Dask scheduler to connect to (e.g. ``"tcp://host:8786"``).
    workers : int, optional
        Start a local Dask cluster of this many single-threaded worker processes.
    progress : bool, optional
        Progress bar (tqdm, on stderr). None: only when stderr is a terminal.
    extend : bool
        Allow changing the grid's values (not its names, the task or the fixed
        parameters) in an existing directory: finished points that are still in the grid
        are reused, new ones computed.
    numba_threads : int, optional
        Numba threads per point. Default: untouched when running locally (every core);
        on Dask, the host's cores // the Dask threads on that host.
    description : str
        Free text for the Dataset's ``title``.

    Returns
    -------
    xarray.Dataset
        One variable per result (dimensions: the grid's, then the result's own), the
        per-point ``seed``, ``backend``, ``device``, ``version``, ``host`` and
        ``wall_time``; attributes: ``task``, ``sweep`` (JSON spec), ``statnn_version``,
        ``fixed_<name>`` for each fixed parameter. Also saved as ``out_dir/results.nc``.

    Raises
    ------
    ValidationError
        Bad arguments (before any work), or a different sweep already in ``out_dir``.
    BackendUnavailableError
        ``scheduler``/``workers`` without Dask installed (``pip install 'statnn[dist]'``),
        or an unreachable scheduler.
    """
    ds, _ = _run(
        task,
        grid,
        out_dir=out_dir,
        fixed=fixed,
        client=client,
        scheduler=scheduler,
        workers=workers,
        progress=progress,
        extend=extend,
        numba_threads=numba_threads,
        description=description,
    )
    return ds


def run_sweep_file(path: str | os.PathLike, *, out_dir: Any = None, **kwargs):
    """:func:`run_sweep` for a TOML sweep file (``out_dir`` overrides the file's ``out``)."""
    spec = load_sweep_file(path)
    out = out_dir if out_dir is not None else spec.out
    if out is None:
        raise param_error(
            "out",
            f"the sweep file {Path(path).name}",
            "an output directory (or pass --out)",
            "<nothing>",
        )
    return run_sweep(
        spec.task, spec.grid, fixed=spec.fixed, out_dir=out, description=spec.description, **kwargs
    )


# ------------------------------------------------------------------ built-in tasks

_MODELS = ("ising", "curie_weiss", "sk", "hopfield")
_MODEL_PARAMS = {
    "ising": {"L", "shape", "dim", "J", "field", "periodic"},
    "curie_weiss": {"N", "J", "field"},
    "sk": {"N", "J", "J0", "field", "distribution", "disorder_seed"},
    "hopfield": {"N", "alpha", "P", "rule", "kappa", "dilution", "disorder_seed"},
}
#: What the tasks pass on to :func:`statnn.simulate` / :func:`statnn.recall` as given (the
#: sweep's ``dynamics`` goes as their ``rule``, see :func:`_forwarded`).
_SIMULATE_ARGS = (
    "sweeps",
    "burn_in",
    "chains",
    "schedule",
    "init",
    "backend",
    "device",
    "record_every",
    "seed",
    "tempering",
)
_RECALL_ARGS = (
    "noise",
    "mask",
    "sweeps",
    "chains",
    "threshold",
    "schedule",
    "backend",
    "device",
    "seed",
    "average",
)
#: Every name a sweep file may give the task (models add theirs, ``_MODEL_PARAMS``).
_SIMULATE_PARAMS = {"model", "T", "dynamics", *_SIMULATE_ARGS}
_RECALL_PARAMS = {"model", "T", "dynamics", *_RECALL_ARGS} | _MODEL_PARAMS["hopfield"]


def _models_in_play(fixed: Mapping, grid: Mapping, caller: str, allowed=_MODELS) -> list[str]:
    if "model" in fixed:
        models, where = [fixed["model"]], "fixed.model"
    elif "model" in grid:
        models, where = list(grid["model"]), "grid.model"
    else:
        raise param_error(
            "model", caller, "given, one of " + ", ".join(map(repr, allowed)), "<nothing>"
        )
    for m in models:
        if m not in allowed:
            raise param_error(where, caller, "one of " + ", ".join(map(repr, allowed)), m)
    return models


def _check_names(names, fixed, grid, caller, allowed: set, required_any: Mapping) -> None:
    for name in names:
        if name not in allowed:
            where = f"grid.{name}" if name in grid else f"fixed.{name}"
            raise param_error(
                where,
                caller,
                "a parameter of this task (one of " + ", ".join(sorted(allowed)) + ")",
                grid.get(name, fixed.get(name)),
            )
    for group, text in required_any.items():
        if not any(n in names for n in group):
            raise param_error(group[0], caller, f"given ({text})", "<nothing>")


def _check_simulate(names, fixed, grid, caller) -> None:
    models = _models_in_play(fixed, grid, caller)
    allowed = set(_SIMULATE_PARAMS).union(*(_MODEL_PARAMS[m] for m in models))
    required: dict = {("T",): "the temperature(s)"}
    if "ising" in models:
        required[("L", "shape")] = "the lattice size L (or shape) of the Ising model"
    if set(models) - {"ising"}:
        required[("N",)] = "the number of neurons N"
    if "hopfield" in models:
        required[("alpha", "P")] = "the load alpha = P/N or the number of patterns P"
    _check_names(names, fixed, grid, caller, allowed, required)


def _check_recall(names, fixed, grid, caller) -> None:
    if "model" in names:
        _models_in_play(fixed, grid, caller, allowed=("hopfield",))
    required = {("N",): "the number of neurons N", ("alpha", "P"): "the load alpha or P"}
    _check_names(names, fixed, grid, caller, _RECALL_PARAMS, required)


def _disorder_seed(p: Mapping) -> int | None:
    if p.get("disorder_seed") is not None:
        return int(p["disorder_seed"])
    if p.get("seed") is None:
        return None
    return int(np.random.SeedSequence([int(p["seed"]), 0x5EED]).generate_state(1)[0])


def _n_patterns(p: Mapping) -> int:
    if "P" in p:
        return int(p["P"])
    return max(1, int(round(float(p["alpha"]) * int(p["N"]))))


def _hopfield_net(p: Mapping):
    from statnn.memory import hopfield, random_patterns

    n = int(p["N"])
    xi = random_patterns(_n_patterns(p), n, seed=_disorder_seed(p))
    kwargs = {k: p[k] for k in ("kappa", "dilution") if k in p}
    if "dilution" in kwargs:
        kwargs["seed"] = _disorder_seed(p)
    return hopfield(xi, rule=p.get("rule", "hebbian"), **kwargs), xi


def _build_network(p: Mapping):
    from statnn.core.models import curie_weiss, ising, sk

    model = p["model"]
    if model == "ising":
        shape = p["shape"] if "shape" in p else (p["L"],) * int(p.get("dim", 2))
        return ising(
            tuple(shape),
            J=p.get("J", 1.0),
            field=p.get("field", 0.0),
            periodic=p.get("periodic", True),
        )
    if model == "curie_weiss":
        return curie_weiss(p["N"], J=p.get("J", 1.0), field=p.get("field", 0.0))
    if model == "sk":
        kwargs = {k: p[k] for k in ("J", "J0", "field", "distribution") if k in p}
        return sk(p["N"], seed=_disorder_seed(p), **kwargs)
    return _hopfield_net(p)[0]


def _per_T(values: Mapping[str, Any], T: Any):
    """A Dataset with a ``T`` axis when ``T`` is a list, scalars otherwise."""
    import xarray as xr

    if isinstance(T, list):
        return xr.Dataset({k: ("T", np.asarray(v)) for k, v in values.items()}, coords={"T": T})
    return xr.Dataset({k: ((), np.asarray(v).reshape(-1)[0]) for k, v in values.items()})


def _backend_name(p: Mapping) -> str:
    from statnn.dynamics.backends import DEFAULT_BACKEND

    return p.get("backend") or DEFAULT_BACKEND


def _forwarded(p: Mapping, names: tuple[str, ...]) -> dict:
    """Keyword arguments for a task's function: those of ``names`` that ``p`` gives, and the
    sweep's ``dynamics`` (glauber or metropolis) as the function's ``rule``."""
    kwargs = {k: p[k] for k in names if k in p}
    if "dynamics" in p:
        kwargs["rule"] = p["dynamics"]
    return kwargs


def _task_result(values: Mapping[str, Any], T: Any, p: Mapping, **attrs):
    """:func:`_per_T` of ``values``, its attributes the backend and device used and ``attrs``."""
    ds = _per_T(values, T)
    ds.attrs.update(backend=_backend_name(p), device=p.get("device") or "cpu", **attrs)
    return ds


@register_task("simulate", check=_check_simulate)
def simulate_task(**p) -> Any:
    """Build ``model`` from the parameters and run :func:`statnn.simulate`.

    Parameters (names in sweep files): ``model`` (ising, curie_weiss, sk, hopfield);
    Ising ``L`` (side, with ``dim``, default 2) or ``shape``, ``J``, ``field``,
    ``periodic``; Curie–Weiss ``N``, ``J``, ``field``; SK ``N``, ``J``, ``J0``,
    ``distribution``; Hopfield ``N``, ``alpha`` (P = round(αN)) or ``P``, ``rule``
    (learning rule: hebbian, pseudo_inverse, storkey, perceptron), ``kappa``,
    ``dilution``; ``disorder_seed`` for SK couplings / Hopfield patterns (default derived
    from ``seed``). Dynamics: ``T`` (a number, or a list in [fixed] for one run over all
    temperatures, which gives the results a ``T`` axis), ``sweeps``, ``burn_in``,
    ``chains``, ``dynamics`` (glauber or metropolis: simulate's ``rule``),
    ``schedule``, ``init``, ``backend``, ``device``, ``record_every``, ``seed``,
    ``tempering``.

    Returns
    -------
    xarray.Dataset
        :meth:`statnn.Run.summary` columns (energy, magnetization, abs_magnetization,
        specific_heat, susceptibility, binder with ``_err`` twins, tau_*, overlap for
        Hopfield) and ``acceptance``; ``attrs``: backend, device.
    """
    from statnn.dynamics.sampling import simulate

    net = _build_network(p)
    T = p["T"]
    run = simulate(net, T=T, **_forwarded(p, _SIMULATE_ARGS))
    values = {k: v for k, v in run.summary().items() if k != "T"}
    values["acceptance"] = run.acceptance.mean(axis=1)
    return _task_result(values, T, p, n=int(net.n))


@register_task("recall", check=_check_recall)
def recall_task(**p) -> Any:
    """Hopfield recall: store random patterns, cue corrupted copies, measure the overlap.

    Parameters: ``N``, ``alpha`` (P = round(αN)) or ``P``, ``rule`` (learning rule),
    ``kappa``, ``dilution``, ``disorder_seed`` (patterns; default derived from ``seed``),
    and :func:`statnn.recall`'s ``T`` (number, or list for a ``T`` axis), ``noise``,
    ``mask``, ``sweeps``, ``chains``, ``threshold``, ``schedule``, ``dynamics``
    (its ``rule``), ``backend``, ``device``, ``seed``, ``average``.

    Returns
    -------
    xarray.Dataset
        ``overlap`` (mean final overlap with the cued pattern over patterns × chains) with
        ``overlap_err``, ``retrieval_rate``, ``initial_overlap``, ``converged`` (fraction
        of T = 0 runs at a fixed point), ``mean_sweeps``, ``n_patterns``, ``load``
        (P/N); ``attrs``: backend, device.
    """
    from statnn.memory import recall

    net, xi = _hopfield_net(p)
    T = p.get("T", 0.0)
    out = recall(net, xi, T=T, squeeze=False, **_forwarded(p, _RECALL_ARGS))
    n_t = len(out.T)
    overlap = out.overlap.reshape(n_t, -1)
    count = overlap.shape[1]
    values = {
        "overlap": overlap.mean(axis=1),
        "overlap_err": overlap.std(axis=1, ddof=1) / np.sqrt(count)
        if count > 1
        else np.full(n_t, np.nan),
        "retrieval_rate": out.retrieved.reshape(n_t, -1).mean(axis=1),
        "initial_overlap": out.initial_overlap.reshape(n_t, -1).mean(axis=1),
        "converged": out.converged.reshape(n_t, -1).mean(axis=1),
        "mean_sweeps": out.sweeps.reshape(n_t, -1).mean(axis=1),
        "n_patterns": np.full(n_t, len(xi)),
        "load": np.full(n_t, len(xi) / net.n),
    }
    return _task_result(values, T, p)
