"""Run a sweep: validate, lock the directory, resume, execute the pending points, gather.

A sweep runs one *task* (a function of keyword parameters that returns scalars or
labelled arrays) at every point of a *grid* (the cartesian product of lists of values),
with the *fixed* parameters shared by every point::

    import statnn.sweep as sw

    ds = sw.run_sweep(
        "simulate",
        {"T": [1.5, 2.0, 2.5, 3.0], "seed": [0, 1]},
        fixed={"model": "ising", "L": 16, "sweeps": 500, "burn_in": 200, "chains": 4},
        out_dir="results/ising_sweep",
    )
    ds.abs_magnetization.mean("seed").plot.line(x="T")

Each point is written atomically as soon as it finishes; a point whose record is there
and verifies is never recomputed, so a killed sweep restarted with the same command loses
nothing and ends with the same ``results.nc`` as an uninterrupted run (the task is
deterministic given its seed: a point without a ``seed`` parameter gets one derived from
its parameters).
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from statnn._progress import progress_bar
from statnn._validation import check_bool, param_error
from statnn.results import atomic_write_json, check_output_dir, save_dataset, write_point
from statnn.sweep.execution import check_executor, run_points
from statnn.sweep.gather import gather
from statnn.sweep.spec import Grid, check_size, load_sweep_file, make_points, make_spec
from statnn.sweep.store import (
    MANIFEST,
    POINTS,
    RESULTS,
    SweepStats,
    clean_temp_files,
    failure_path,
    is_failure,
    load_finished,
    locked,
    prepare_dir,
)


def run(
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
    max_points: int | None = None,
    caller: str = "run_sweep",
):
    """:func:`run_sweep`, returning ``(Dataset, SweepStats)`` (``statnn sweep`` needs both)."""
    spec, resolved = make_spec(
        task, grid, fixed, out=out_dir, description=description, caller=caller
    )
    if out_dir is None or not isinstance(out_dir, str | os.PathLike) or str(out_dir) == "":
        raise param_error("out_dir", caller, "a directory path", out_dir)
    workers, numba_threads = check_executor(client, scheduler, workers, numba_threads, caller)
    if progress is not None:
        progress = check_bool(progress, "progress", caller)
    extend = check_bool(extend, "extend", caller)

    g = Grid(spec.grid)
    check_size(g, max_points, caller)
    points = make_points(spec, g)
    out = Path(out_dir)
    points_dir = out / POINTS
    check_output_dir(out, files=(MANIFEST, RESULTS))  # a path in the way, read-only, full
    check_output_dir(points_dir)
    stats = SweepStats(total=len(points), out_dir=out)
    # A callable given directly travels to the workers by pickle; names resolve there.
    task_ref = resolved.func if callable(task) else spec.task

    with locked(out):
        prepare_dir(out, spec, extend)
        clean_temp_files(points_dir)
        records = load_finished(points, points_dir, spec.task, stats)
        stats.reused = len(records)
        pending = [p for p in points if p.key not in records]

        failures: dict[str, dict] = {}

        def write(record: dict) -> None:
            key = record["key"]
            if is_failure(record):
                atomic_write_json(failure_path(points_dir, key), record)
                failures[key] = record
            else:
                write_point(points_dir / f"{key}.json", record)
                records[key] = record
                stats.computed += 1
                failure_path(points_dir, key).unlink(missing_ok=True)

        bar = progress_bar(
            enabled=progress,
            total=len(points),
            initial=len(records),
            desc=f"sweep {spec.task}",
            unit="point",
        )
        try:
            run_points(
                pending, task_ref, spec.task, numba_threads, write, bar, client, scheduler, workers
            )
        finally:
            bar.close()
        ds = gather(spec, g, points, records, failures, resolved.labels)
        save_dataset(ds, out / RESULTS)
    stats.failed = int(ds["failed"].sum())
    if stats.failed:
        first = ds["error"].values[ds["failed"].values][0]
        warnings.warn(
            f"{stats.failed} of {stats.total} sweep points failed (first: {first}); "
            f"{out / RESULTS} marks them (failed, error) and a rerun retries them.",
            RuntimeWarning,
            stacklevel=3,
        )
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
    max_points: int | None = None,
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
    max_points : int, optional
        Refuse a grid of more points than this (default 100 000), before anything is
        enumerated or run: a typo in a grid should not start a sweep of 10^12 points.

    Returns
    -------
    xarray.Dataset
        One variable per result (dimensions: the grid's, then the result's own), the
        per-point ``seed``, ``backend``, ``device``, ``version``, ``host`` and
        ``wall_time``; attributes: ``task``, ``sweep`` (JSON spec), ``statnn_version``,
        ``fixed_<name>`` for each fixed parameter. Also saved as ``out_dir/results.nc``.
        Every variable and coordinate has ``units`` and ``long_name``. A point whose task
        raised (or whose result's shape differs from the other points') is *failed*: NaN
        (or "") in every result, ``failed`` True and the message in ``error``; the
        others are complete, a :class:`RuntimeWarning` says how many failed, and a rerun
        in the same directory retries only them.

    Raises
    ------
    ValidationError
        Before any point runs: bad arguments, a bad value at any point of the grid (every
        value of every parameter is checked, with the library's own checks for the
        built-in tasks), a grid larger than ``max_points``, a different sweep already in
        ``out_dir``, or another sweep running there.
    BackendUnavailableError
        ``scheduler``/``workers`` without Dask installed (``pip install 'statnn[dist]'``),
        or an unreachable scheduler.
    """
    ds, _ = run(
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
        max_points=max_points,
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
