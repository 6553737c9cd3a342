"""Gather a sweep's point records into one labelled :class:`xarray.Dataset`.

The Dataset has the grid's dimensions, then each result's own axes. A point that failed
(its task raised, or its result does not fit the others') keeps its place: NaN (or "")
in every result, ``failed = True`` and its message in ``error``. Every variable and
coordinate carries ``units`` and ``long_name``.
"""

from __future__ import annotations

import json
import warnings
from collections import Counter
from collections.abc import Mapping
from typing import Any

import numpy as np

from statnn._version import __version__
from statnn.results import DIMENSIONLESS, decode_result, dumps
from statnn.sweep.spec import RESERVED_NAMES, Grid, Point, SweepSpec

#: Per-point metadata variables added to the gathered Dataset (besides the task's results).
META_VARS = ("seed", "backend", "device", "version", "host", "wall_time")
#: Metadata that legitimately differs between two runs of the same sweep.
TIMING_VARS = ("host", "wall_time")

#: (units, long_name) of what every sweep's Dataset holds besides the task's results.
SWEEP_LABELS: dict[str, tuple[str, str]] = {
    "seed": (DIMENSIONLESS, "seed the point's task received"),
    "backend": (DIMENSIONLESS, "dynamics backend that computed the point"),
    "device": (DIMENSIONLESS, "device that computed the point"),
    "version": (DIMENSIONLESS, "statnn version that computed the point"),
    "host": (DIMENSIONLESS, "host that computed the point"),
    "wall_time": ("s", "seconds the point's task took"),
    "failed": (DIMENSIONLESS, "the point failed: its results are NaN (see error)"),
    "error": (DIMENSIONLESS, "why the point failed (empty when it did not)"),
}


def gather(
    spec: SweepSpec,
    grid: Grid,
    points: list[Point],
    records: Mapping[str, dict],
    failures: Mapping[str, dict] | None = None,
    labels: Mapping[str, tuple[str, str]] | None = None,
):
    """The sweep's Dataset from its finished ``records`` and ``failures`` (by point key).

    Parameters
    ----------
    spec, grid, points
        The sweep, its grid and its points in grid (C) order.
    records : mapping
        Point key -> finished point record (:func:`statnn.results.point_record`).
    failures : mapping, optional
        Point key -> failure record (``error`` holds the message).
    labels : mapping, optional
        Name -> (units, long_name) of the task's parameters and results.

    Returns
    -------
    xarray.Dataset
    """
    import xarray as xr

    failures = failures or {}
    results: list[Any] = []
    errors: list[str] = []
    for p in points:
        if p.key in records:
            results.append(decode_result(records[p.key]["result"]))
            errors.append("")
        else:
            results.append(None)
            errors.append(failures[p.key]["error"])
    results = _usable_names(results, grid.dims)
    variables, inner_coords = _layout(results)
    for i, r in enumerate(results):
        message = None if r is None else _misfit(r, variables, inner_coords)
        if message:
            results[i], errors[i] = None, message

    dims, shape = grid.dims, grid.shape
    coords: dict[str, Any] = {d: np.asarray(v) for d, v in grid.params.items()}
    for c, var in inner_coords.items():
        coords[c] = (var.dims, var.values)
    data_vars: dict[str, Any] = {}
    for v, template in variables.items():
        stacked = _stack(v, template, results).reshape(shape + template.shape)
        data_vars[v] = (dims + template.dims, stacked)
    for m in META_VARS:
        if m not in dims and m not in data_vars and m not in coords:
            data_vars[m] = (dims, _meta(m, points, records, failures).reshape(shape))
    data_vars["failed"] = (dims, np.array([e != "" for e in errors]).reshape(shape))
    data_vars["error"] = (dims, np.array(errors, dtype=object).reshape(shape))
    ds = xr.Dataset(data_vars, coords=coords, attrs=_attributes(spec, dims, errors))
    return label(ds, {**SWEEP_LABELS, **(labels or {})})


def _usable_names(results: list, dims: tuple[str, ...]) -> list:
    """Results renamed where a name cannot be stored beside the grid: '/' (HDF5's group
    separator) becomes '_', and a name taken by a grid dimension or by the failure
    markers gets the suffix ``_result``. Warns once, naming every rename."""
    taken = set(dims) | set(RESERVED_NAMES)
    renames: dict[str, str] = {}
    for r in results:
        if r is None:
            continue
        for name in [*r.variables, *r.dims]:
            new = str(name).replace("/", "_")
            if new in taken:
                new += "_result"
            if new != name:
                renames[str(name)] = new
    if not renames:
        return results
    warnings.warn(
        "Sweep results renamed to fit beside the grid: "
        + ", ".join(f"{a!r} -> {b!r}" for a, b in renames.items())
        + ".",
        RuntimeWarning,
        stacklevel=5,
    )
    out = []
    for r in results:
        if r is not None:
            r = r.rename_vars({k: v for k, v in renames.items() if k in r.variables})
            r = r.rename_dims({k: v for k, v in renames.items() if k in r.dims})
        out.append(r)
    return out


def _layout(results: list) -> tuple[dict, dict]:
    """Each result variable's template (the (dims, shape) most points give, the first such
    point's array) and each inner coordinate's values (likewise the most common)."""
    shapes: dict[str, Counter] = {}
    coord_values: dict[str, Counter] = {}
    first: dict[tuple, Any] = {}
    for r in results:
        if r is None:
            continue
        for v in r.data_vars:
            sig = (str(v), r[v].dims, r[v].shape)
            shapes.setdefault(str(v), Counter())[sig] += 1
            first.setdefault(sig, r[v].variable)
        for c, var in r.coords.items():
            sig = (str(c), var.dims, var.dtype.str, var.values.tobytes())
            coord_values.setdefault(str(c), Counter())[sig] += 1
            first.setdefault(sig, var.variable)
    variables = {v: first[c.most_common(1)[0][0]] for v, c in shapes.items()}
    coords = {c: first[n.most_common(1)[0][0]] for c, n in coord_values.items()}
    return variables, coords


def _misfit(result, variables: Mapping, coords: Mapping) -> str:
    """Why ``result`` does not fit the layout the other points agree on ("" if it fits)."""
    for v in result.data_vars:
        want = variables[str(v)]
        if (result[v].dims, result[v].shape) != (want.dims, want.shape):
            return (
                f"its result {str(v)!r} has dims {result[v].dims} and shape "
                f"{result[v].shape}, the other points' {want.dims} and {want.shape}"
            )
    for c, var in result.coords.items():
        want = coords[str(c)]
        if var.dims != want.dims or not np.array_equal(var.values, want.values):
            return f"its coordinate {str(c)!r} differs from the other points'"
    return ""


def _stack(name: str, template, results: list) -> np.ndarray:
    """One result across the points, in grid order; NaN ("" for text) where a point has
    none (it failed, or its task gives this result only sometimes)."""
    parts = [None if r is None or name not in r.data_vars else r[name].values for r in results]
    if all(a is not None for a in parts):
        return np.stack(parts)
    text = template.dtype.kind in "USO"
    dtype, fill = (object, "") if text else (np.float64, np.nan)
    return np.stack(
        [np.full(template.shape, fill, dtype) if a is None else np.asarray(a, dtype) for a in parts]
    )


def _meta(name: str, points: list[Point], records: Mapping, failures: Mapping) -> np.ndarray:
    values = [(records.get(p.key) or failures[p.key]).get(name) for p in points]
    if name == "wall_time":
        return np.asarray(values, dtype=np.float64)
    if name == "seed":
        return np.asarray(values, dtype=np.int64)
    return np.asarray(["" if v is None else str(v) for v in values], dtype=object)


def _attributes(spec: SweepSpec, dims: tuple[str, ...], errors: list[str]) -> dict:
    attrs: dict[str, Any] = {
        "title": spec.description or f"statnn sweep: {spec.task}",
        "task": spec.task,
        "dims": json.dumps(list(dims)),
        "sweep": dumps(spec.identity()),
        "statnn_version": __version__,
        "failed_points": sum(e != "" for e in errors),
    }
    for k, v in spec.fixed.items():
        if isinstance(v, bool):
            attrs[f"fixed_{k}"] = int(v)
        elif isinstance(v, str | int | float):
            attrs[f"fixed_{k}"] = v
        else:
            attrs[f"fixed_{k}"] = json.dumps(v)
    return attrs


def label(ds, labels: Mapping[str, tuple[str, str]]):
    """Give every variable and coordinate of ``ds`` ``units`` and ``long_name`` (in place).

    From ``labels`` (name -> (units, long_name)); ``X_err`` takes the units of ``X`` and
    the long name "standard error of ..."; anything else is a parameter or result the
    task did not describe: units "1" (assumed dimensionless) and its name as long name.
    """

    def entry(name: str) -> tuple[str, str]:
        if name in labels:
            return labels[name]
        if name.endswith("_err") and name[: -len("_err")] in labels:
            units, long_name = labels[name[: -len("_err")]]
            return units, f"standard error of the {long_name}"
        return DIMENSIONLESS, name

    for name, var in ds.variables.items():
        units, long_name = entry(str(name))
        var.attrs.setdefault("units", units)
        var.attrs.setdefault("long_name", long_name)
    return ds
