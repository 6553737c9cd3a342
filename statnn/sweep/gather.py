"""Gather a sweep's point records into one labelled :class:`xarray.Dataset`."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import numpy as np

from statnn._version import __version__
from statnn.errors import StatnnError
from statnn.results import decode_result, dumps
from statnn.sweep.spec import Grid, Point, SweepSpec

#: Per-point metadata variables added to the gathered Dataset (besides the task's results).
META_VARS = ("seed", "backend", "device", "version", "host", "wall_time")
#: Metadata that legitimately differs between two runs of the same sweep.
TIMING_VARS = ("host", "wall_time")


def gather(spec: SweepSpec, grid: Grid, points: list[Point], records: Mapping[str, dict]):
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
