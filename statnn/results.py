"""Saving and loading self-describing results.

Two on-disk forms, both written atomically (a temporary file in the same directory,
flushed and fsync'ed, then :func:`os.replace` over the final name, then the directory
fsync'ed), so a crash at any moment leaves either the old file or the complete new one,
never a partial file under the final name:

* **point records** — one small JSON file per finished sweep point
  (:func:`point_record`, :func:`write_point`, :func:`read_point`): the point's parameters,
  its results (scalars and labelled arrays), the package version, backend, device, seed,
  host and wall time, and a SHA-256 checksum of all of it. :func:`read_point` returns
  ``None`` with a reason for a truncated, corrupt or foreign file instead of raising, so a
  sweep recomputes such a point rather than crashing.
* **datasets** — an :class:`xarray.Dataset` saved as netCDF-4 through the ``h5netcdf``
  engine (:func:`save_dataset`, :func:`load_results`): one portable, self-describing file
  that every netCDF tool (xarray, netCDF4, ncdump, Panoply, Julia, R) reads, with the sweep
  spec and versions in its attributes.

Why netCDF and not zarr: sweep results are small (a few numbers per point) and gathered
once by a single writer at the end of a sweep, so zarr's strengths (many writers filling
chunks of one huge array in parallel, object stores) buy nothing here, while a single
netCDF file is easy to copy, attach and open anywhere and needs no extra dependency
(h5netcdf comes with the package's dependencies here). The concurrent, crash-safe part
of a sweep is handled by the per-point JSON records instead.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import socket
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from statnn._validation import param_error
from statnn.errors import StatnnError

POINT_FORMAT = "statnn.sweep.point"
POINT_FORMAT_VERSION = 1

__all__ = [
    "POINT_FORMAT",
    "atomic_write_bytes",
    "atomic_write_json",
    "decode_result",
    "encode_result",
    "load_results",
    "point_record",
    "read_point",
    "save_dataset",
    "write_point",
]


# ----------------------------------------------------------------------------- atomic I/O


def _fsync_dir(directory: Path) -> None:
    """fsync a directory so that a rename in it survives a power cut (best effort)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:  # pragma: no cover - e.g. Windows
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)


def _replace(src: Path, dst: Path) -> None:
    """The atomic rename (a seam for tests that simulate a crash before it)."""
    os.replace(src, dst)


def _temp_path(path: Path) -> Path:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    return Path(tmp)


def _atomic_write(path: Path, write: Callable[[Path], None]) -> Path:
    """Give ``path`` new content atomically; ``write(tmp)`` fills and fsyncs the temp file.

    The temp file lies in the same directory; it is renamed over ``path`` (then the
    directory is fsync'ed), or removed if anything fails before that.
    """
    tmp = _temp_path(path)
    try:
        write(tmp)
        _replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    _fsync_dir(path.parent)
    return path


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically: temp file in the same directory, fsync, rename.

    Parameters
    ----------
    path : path-like
        Final file name; its directory must exist.
    data : bytes
        The content.

    Returns
    -------
    Path
        ``path``.
    """

    def write(tmp: Path) -> None:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())

    return _atomic_write(Path(path), write)


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def dumps(obj: Any, *, indent: int | None = None) -> str:
    """JSON text of ``obj`` with sorted keys (numpy scalars and arrays become plain values).

    Floats are written with :func:`repr`, which reads back to the identical float64; nan
    and ±inf are written as ``NaN`` / ``Infinity`` (Python's JSON dialect).
    """
    return json.dumps(obj, sort_keys=True, indent=indent, default=_json_default, allow_nan=True)


def atomic_write_json(path: str | os.PathLike, obj: Any) -> Path:
    """Write ``obj`` as JSON (sorted keys, indented) to ``path`` atomically."""
    return atomic_write_bytes(path, (dumps(obj, indent=1) + "\n").encode("utf-8"))


# --------------------------------------------------------------------- result encoding


def _plain_array(value: Any, what: str) -> tuple[np.ndarray, str]:
    arr = np.asarray(value)
    kind = arr.dtype.kind
    if kind == "b":
        return arr, "bool"
    if kind in "iu":
        return arr, "int64"
    if kind == "f":
        return arr, "float64"
    if kind in "US":
        return arr.astype(str), "str"
    if kind == "O" and all(isinstance(v, str) for v in arr.ravel()):
        return arr.astype(str), "str"
    raise StatnnError(
        f"The sweep result {what!r} must be numbers, booleans or strings "
        f"(got dtype {arr.dtype}); return real arrays or split complex ones into parts."
    )


def _encode_variable(name: str, dims: tuple, value: Any) -> dict:
    arr, dtype = _plain_array(value, name)
    if arr.ndim != len(dims):
        raise StatnnError(f"The sweep result {name!r} has {arr.ndim} axes but dims {dims}.")
    return {"dims": [str(d) for d in dims], "dtype": dtype, "data": arr.tolist()}


def encode_result(result: Any) -> dict:
    """A task's result as a JSON-ready dict ``{"data_vars", "coords", "attrs"}``.

    Parameters
    ----------
    result : Mapping or xarray.Dataset
        A mapping ``name -> scalar or array`` (an array's axes are named
        ``<name>_dim_0``, ``<name>_dim_1``, …), or an :class:`xarray.Dataset` whose
        dimensions and coordinates label the arrays (e.g. a ``T`` axis). Values must be
        real numbers, booleans or strings.

    Returns
    -------
    dict
    """
    import xarray as xr

    if isinstance(result, xr.Dataset):
        data_vars = {
            str(k): _encode_variable(str(k), v.dims, v.values) for k, v in result.data_vars.items()
        }
        coords = {
            str(k): _encode_variable(str(k), v.dims, v.values) for k, v in result.coords.items()
        }
        attrs = {str(k): _plain_attr(v) for k, v in result.attrs.items()}
        return {"data_vars": data_vars, "coords": coords, "attrs": attrs}
    if isinstance(result, Mapping):
        data_vars = {}
        for k, v in result.items():
            arr = np.asarray(v)
            dims = tuple(f"{k}_dim_{i}" for i in range(arr.ndim))
            data_vars[str(k)] = _encode_variable(str(k), dims, arr)
        return {"data_vars": data_vars, "coords": {}, "attrs": {}}
    raise StatnnError(
        "A sweep task must return a dict of scalars/arrays or an xarray.Dataset; "
        f"got {type(result).__name__}."
    )


def _plain_attr(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)


_DTYPES = {"bool": np.bool_, "int64": np.int64, "float64": np.float64, "str": str}


def _decode_variable(spec: Mapping) -> tuple[tuple[str, ...], np.ndarray]:
    dims = tuple(spec["dims"])
    dtype = _DTYPES[spec["dtype"]]
    data = np.asarray(spec["data"], dtype=dtype)
    if data.ndim != len(dims):
        raise ValueError("dims do not match the data")
    return dims, data


def decode_result(encoded: Mapping):
    """The :class:`xarray.Dataset` encoded by :func:`encode_result`."""
    import xarray as xr

    data_vars = {k: _decode_variable(v) for k, v in encoded["data_vars"].items()}
    coords = {k: _decode_variable(v) for k, v in encoded.get("coords", {}).items()}
    return xr.Dataset(data_vars, coords=coords, attrs=dict(encoded.get("attrs", {})))


# ----------------------------------------------------------------------- point records


def _checksum(record: Mapping) -> str:
    body = {k: v for k, v in record.items() if k != "sha256"}
    return hashlib.sha256(dumps(body).encode("utf-8")).hexdigest()


def point_record(
    *,
    key: str,
    task: str,
    params: Mapping[str, Any],
    grid_point: Mapping[str, Any],
    result: Any,
    seed: int | None,
    backend: str | None,
    device: str | None,
    wall_time: float,
    version: str | None = None,
) -> dict:
    """The JSON-ready record of one finished sweep point, with its checksum.

    Parameters
    ----------
    key : str
        The point's key (a hash of its task and parameters, :func:`statnn.sweep.core.point_key`).
    task : str
        The task's name (registered name or ``"module:function"``).
    params : mapping
        Every parameter the task received (fixed and grid values, and the seed).
    grid_point : mapping
        The grid coordinates of the point.
    result : mapping or xarray.Dataset
        What the task returned (see :func:`encode_result`).
    seed : int or None
        The seed the task received.
    backend, device : str or None
        The dynamics backend and device that computed the point.
    wall_time : float
        Seconds the task took.
    version : str, optional
        Package version (default: ``statnn.__version__``).

    Returns
    -------
    dict
    """
    if version is None:
        from statnn._version import __version__ as version
    record = {
        "format": POINT_FORMAT,
        "format_version": POINT_FORMAT_VERSION,
        "key": key,
        "task": task,
        "params": json.loads(dumps(dict(params))),
        "grid": json.loads(dumps(dict(grid_point))),
        "seed": seed,
        "backend": backend,
        "device": device,
        "version": version,
        "host": socket.gethostname(),
        "wall_time": float(wall_time),
        "result": encode_result(result),
    }
    record["sha256"] = _checksum(record)
    return record


def write_point(path: str | os.PathLike, record: Mapping) -> Path:
    """Write a point record atomically (see :func:`atomic_write_bytes`)."""
    return atomic_write_bytes(path, (dumps(dict(record)) + "\n").encode("utf-8"))


def read_point(path: str | os.PathLike) -> tuple[dict | None, str]:
    """Read and verify a point record.

    Returns
    -------
    (record, reason)
        ``(record, "")`` for a complete record whose checksum matches, else
        ``(None, reason)`` — missing, truncated (not JSON), foreign or corrupted — so the
        caller recomputes the point instead of failing.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None, "missing"
    except (OSError, UnicodeDecodeError) as exc:
        return None, f"unreadable ({exc})"
    try:
        record = json.loads(text)
    except json.JSONDecodeError:
        return None, "truncated or not JSON"
    if not isinstance(record, dict) or record.get("format") != POINT_FORMAT:
        return None, "not a statnn sweep point record"
    if record.get("sha256") != _checksum(record):
        return None, "checksum mismatch (corrupted)"
    try:
        decode_result(record["result"])
    except (KeyError, TypeError, ValueError) as exc:
        return None, f"undecodable result ({exc})"
    return record, ""


# ----------------------------------------------------------------------------- datasets


def save_dataset(ds, path: str | os.PathLike) -> Path:
    """Save an :class:`xarray.Dataset` as netCDF-4 (h5netcdf engine) atomically.

    Parameters
    ----------
    ds : xarray.Dataset
        Attributes must be netCDF-compatible (strings, numbers, lists of numbers); put
        nested metadata in as JSON text.
    path : path-like
        Destination, conventionally ``*.nc``; its directory is created if needed.

    Returns
    -------
    Path
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)

    def write(tmp: Path) -> None:
        ds.to_netcdf(tmp, engine="h5netcdf", invalid_netcdf=False)
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())

    return _atomic_write(path, write)


def load_results(path: str | os.PathLike):
    """Load saved results (a ``.nc`` file, or a sweep directory holding ``results.nc``).

    Parameters
    ----------
    path : path-like

    Returns
    -------
    xarray.Dataset
        Fully loaded into memory (the file is closed). For a sweep, the grid parameters
        are the dimensions and coordinates; ``attrs["sweep"]`` holds the sweep spec as
        JSON text (``json.loads(ds.attrs["sweep"])``).

    Examples
    --------
    >>> from statnn.results import load_results
    >>> ds = load_results("results/ising_sweep")            # doctest: +SKIP
    >>> ds.abs_magnetization.mean("seed").plot.line(x="T")  # doctest: +SKIP
    """
    import xarray as xr

    p = Path(path)
    if p.is_dir():
        p = p / "results.nc"
    if not p.is_file():
        raise param_error(
            "path",
            "load_results",
            "a netCDF results file or a sweep directory holding results.nc",
            str(path),
        )
    try:
        return xr.load_dataset(p, engine="h5netcdf")
    except (OSError, ValueError) as exc:
        raise param_error(
            "path", "load_results", "a readable netCDF file", f"<{p} ({exc})>"
        ) from None
