"""Saving and loading self-describing results: the one home of statnn's file writing.

Every file the package writes goes through :func:`atomic_write_bytes`: the content is
built in memory, stale temporaries of earlier crashed writes are removed
(:func:`clean_stale_temporaries`), the free space is checked with a margin
(:func:`check_free_space`, a clear ``ENOSPC`` :class:`OSError` instead of a half-written
file), a temporary file in the same directory is created with the user's umask, filled,
fsync'ed and renamed over the final name (:func:`os.replace`), and the directory fsync'ed.
A crash at any moment leaves either the old file or the complete new one. JSON goes
through one converter (:func:`to_jsonable`); :func:`check_output_dir` checks an output
folder before any work starts; :data:`VARIABLE_ATTRS` and :func:`label_variables` give
every saved variable ``units`` and ``long_name``.

Two on-disk forms:

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
import errno
import hashlib
import json
import math
import os
import re
import secrets
import socket
import sys
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from statnn._validation import param_error
from statnn.errors import StatnnError

POINT_FORMAT = "statnn.sweep.point"
POINT_FORMAT_VERSION = 1

__all__ = [
    "POINT_FORMAT",
    "VARIABLE_ATTRS",
    "atomic_write_bytes",
    "atomic_write_json",
    "check_free_space",
    "check_output_dir",
    "clean_stale_temporaries",
    "decode_result",
    "encode_result",
    "label_variables",
    "load_results",
    "netcdf_bytes",
    "os_error_text",
    "point_record",
    "read_point",
    "run_dataset",
    "save_dataset",
    "summary_dataset",
    "to_jsonable",
    "write_point",
]


# ----------------------------------------------------------------------------- atomic I/O

#: Free space kept on a file system beyond a file's size: 1 MiB plus 10 % of the file.
SPACE_MARGIN_BYTES = 1 << 20
SPACE_MARGIN_FRACTION = 0.1

#: A temporary file of a write that no live process finishes is removed after this long.
STALE_TEMP_AGE_S = 3600.0

_HOST = re.sub(r"[^A-Za-z0-9_]", "_", socket.gethostname()) or "host"


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


def _free_bytes(directory: Path) -> int:
    """Bytes free to an unprivileged user on ``directory``'s file system (a test seam)."""
    st = os.statvfs(directory)
    return st.f_bavail * st.f_frsize


def _size_text(nbytes: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if nbytes < 1024 or unit == "GiB":
            return f"{nbytes:.0f} {unit}" if unit == "B" else f"{nbytes:.1f} {unit}"
        nbytes /= 1024
    return f"{nbytes:.1f} TiB"  # pragma: no cover


def check_free_space(path: str | os.PathLike, nbytes: int, *, what: str | None = None) -> None:
    """Refuse to write ``nbytes`` to ``path`` unless its file system has room to spare.

    Needed: ``nbytes`` plus a margin of :data:`SPACE_MARGIN_BYTES` and
    :data:`SPACE_MARGIN_FRACTION` of ``nbytes``. ``what`` names the write in the message
    (default: "write PATH").

    Raises
    ------
    OSError
        ``errno.ENOSPC``, with a message giving the space needed and the space free.
    """
    path = Path(path)
    need = int(nbytes + SPACE_MARGIN_BYTES + SPACE_MARGIN_FRACTION * nbytes)
    try:
        free = _free_bytes(path.parent)
    except (OSError, AttributeError):  # no statvfs (Windows) or an unusual file system
        return
    if free < need:
        needs = (
            f"it needs {_size_text(need)} ({_size_text(nbytes)} plus a margin)"
            if nbytes
            else f"statnn wants at least {_size_text(need)} free"
        )
        raise OSError(
            errno.ENOSPC,
            f"Not enough free space to {what or f'write {path}'}: {needs}, the file "
            f"system has {_size_text(free)} free",
        )


def _temp_name(path: Path) -> str:
    return f".{path.name}.{_HOST}-{os.getpid()}.{secrets.token_hex(4)}.tmp"


_TEMP = re.compile(r"\.(?P<host>[A-Za-z0-9_]+)-(?P<pid>\d+)\.[0-9a-f]{8}\.tmp$")


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # e.g. another user's process
        return True
    return True


def clean_stale_temporaries(path: str | os.PathLike) -> list[Path]:
    """Remove temporary files ``.NAME.*.tmp`` left beside ``path`` by crashed writes.

    A temporary file is stale when the process that made it (named in the file name) is
    gone from this host, or when it is older than :data:`STALE_TEMP_AGE_S` (files of other
    hosts, or of older statnn versions). Writes in progress are left alone.

    Returns
    -------
    list of Path
        The files removed.
    """
    path = Path(path)
    prefix, removed = f".{path.name}.", []
    now = time.time()
    try:
        entries = list(os.scandir(path.parent))
    except OSError:
        return removed
    for entry in entries:
        name = entry.name
        if not (name.startswith(prefix) and name.endswith(".tmp")):
            continue
        match = _TEMP.search(name[len(prefix) - 1 :])
        if match and match["host"] == _HOST:
            stale = not _pid_alive(int(match["pid"]))
        else:
            try:
                stale = now - entry.stat(follow_symlinks=False).st_mtime > STALE_TEMP_AGE_S
            except OSError:
                continue
        if stale:
            with contextlib.suppress(OSError):
                os.unlink(entry.path)
                removed.append(Path(entry.path))
    return removed


def atomic_write_bytes(path: str | os.PathLike, data: bytes, *, clean: bool = True) -> Path:
    """Write ``data`` to ``path`` atomically: temp file in the same directory, fsync, rename.

    Before writing, stale temporary files of earlier crashed writes of ``path`` are removed
    (:func:`clean_stale_temporaries`) and the free space is checked
    (:func:`check_free_space`). The file is created with mode ``0o666`` less the process's
    umask, like any file the user creates. A crash at any moment leaves either the old
    file or the complete new one under ``path``; a failed write removes its temporary file.

    Parameters
    ----------
    path : path-like
        Final file name; its directory must exist.
    data : bytes
        The content.
    clean : bool, default True
        Remove stale temporaries first. That lists the directory, so writers of many
        small files into one directory (sweep points) pass False and clean once.

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    OSError
        The directory is missing or not writable, the disk is (nearly) full, …
    """
    path = Path(path)
    data = bytes(data)
    if clean:
        clean_stale_temporaries(path)
    check_free_space(path, len(data))
    tmp = path.parent / _temp_name(path)
    # O_EXCL: never follow or reuse an existing name; 0o666: the kernel applies the umask
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        _replace(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        if isinstance(exc, OSError) and exc.filename is None:  # name the file in the error
            raise OSError(exc.errno, f"Cannot write {path}: {exc.strerror or exc}") from exc
        raise
    _fsync_dir(path.parent)
    return path


def to_jsonable(value: Any, *, strict: bool = False) -> Any:
    """Plain JSON values for ``value``: the one converter the package's JSON goes through.

    Numpy scalars become Python numbers, arrays and tuples lists, mappings dicts with
    string keys, paths strings. With ``strict=True`` non-finite floats become the strings
    ``"nan"``, ``"inf"``, ``"-inf"`` (standard JSON has no such numbers); otherwise they
    stay floats (written as ``NaN``/``Infinity``, Python's JSON dialect).

    Parameters
    ----------
    value : any
    strict : bool, default False

    Returns
    -------
    any
        Built of dict, list, str, int, float, bool and None (other objects unchanged).
    """
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v, strict=strict) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_jsonable(v, strict=strict) for v in value]
    if isinstance(value, np.ndarray):
        return to_jsonable(value.tolist(), strict=strict)
    if isinstance(value, np.generic):
        return to_jsonable(value.item(), strict=strict)
    if isinstance(value, Path):
        return str(value)
    if strict and isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return value


def _json_default(value: Any) -> Any:
    plain = to_jsonable(value)
    if plain is value:
        raise TypeError(f"{type(value).__name__} is not JSON serialisable")
    return plain


def dumps(obj: Any, *, indent: int | None = None) -> str:
    """JSON text of ``obj`` with sorted keys (numpy scalars and arrays become plain values).

    Floats are written with :func:`repr`, which reads back to the identical float64; nan
    and ±inf are written as ``NaN`` / ``Infinity`` (Python's JSON dialect).
    """
    return json.dumps(obj, sort_keys=True, indent=indent, default=_json_default, allow_nan=True)


def atomic_write_json(path: str | os.PathLike, obj: Any, *, strict: bool = False) -> Path:
    """Write ``obj`` as JSON (sorted keys, indented) to ``path`` atomically.

    ``strict=True`` writes standard JSON: non-finite floats as strings (:func:`to_jsonable`).
    """
    if strict:
        obj = to_jsonable(obj, strict=True)
    return atomic_write_bytes(path, (dumps(obj, indent=1) + "\n").encode("utf-8"))


def os_error_text(exc: OSError) -> str:
    """One line for an :class:`OSError`: its message and the file it concerns, no errno."""
    text = exc.strerror or str(exc)
    names = [n for n in (exc.filename, exc.filename2) if n is not None]
    if names:
        text += ": " + " -> ".join(map(str, names))
    return " ".join(text.split())


def check_output_dir(directory: str | os.PathLike, files: Iterable[str] = ()) -> Path:
    """Make sure results can be written into ``directory`` before any work starts.

    The folder is created if missing (with its parents); then a temporary file is created
    and removed in it, which catches a path that is a file, missing permissions and
    read-only file systems alike. Each of ``files`` must not be a folder.

    Parameters
    ----------
    directory : path-like
    files : iterable of str
        Names of the files that will be written in ``directory``.

    Returns
    -------
    Path
        ``directory``.

    Raises
    ------
    OSError
        With a message naming the folder and what is wrong.
    """
    d = Path(directory)
    if d.exists() and not d.is_dir():
        raise NotADirectoryError(
            errno.ENOTDIR, f"Cannot write results in {d}: it exists and is not a folder"
        )
    try:
        d.mkdir(parents=True, exist_ok=True)
        probe = d / _temp_name(d / ".statnn-write-test")
        os.close(os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
        os.unlink(probe)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise OSError(exc.errno, f"Cannot write results in {d}: {reason}") from None
    for name in files:
        if (d / name).is_dir():
            raise IsADirectoryError(
                errno.EISDIR, f"Cannot write {d / name}: a folder of that name is in the way"
            )
    check_free_space(d / ".statnn-write-test", 0, what=f"write results in {d}")
    return d


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
        The point's key (a hash of its task and parameters, :func:`statnn.sweep.point_key`).
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
    """Write a point record atomically (see :func:`atomic_write_bytes`).

    Stale temporaries are not looked for here (a sweep writes many points into one
    directory and cleans it once, under its lock).
    """
    return atomic_write_bytes(path, (dumps(dict(record)) + "\n").encode("utf-8"), clean=False)


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


# ------------------------------------------------------------------------ units, names

#: Unit strings of the files statnn writes (docs/conventions.md, "Units in saved files").
#: Physics is in reduced units: J is the coupling scale (an energy, not the joule) and
#: k_B = 1, so temperatures are in units of J/k_B, energies in J, β = 1/T in 1/J.
DIMENSIONLESS = "1"
TEMPERATURE = "J/k_B"
ENERGY = "J"
HEAT_CAPACITY = "k_B"
SUSCEPTIBILITY = "1/J"

#: name → (units, long_name) of the variables that mean the same in every file statnn
#: writes (Monte Carlo runs, summaries, experiments). A variable ``X_err`` is the standard
#: error of ``X``: same units, long name "standard error of …".
VARIABLE_ATTRS: dict[str, tuple[str, str]] = {
    "T": (TEMPERATURE, "temperature"),
    "T_theory": (TEMPERATURE, "temperature of the theory curves"),
    "energy": (ENERGY, "energy per spin E/N"),
    "magnetization": (DIMENSIONLESS, "magnetization m = (1/N) sum_i S_i"),
    "abs_magnetization": (DIMENSIONLESS, "mean |m|"),
    "specific_heat": (HEAT_CAPACITY, "specific heat per spin C = N (<e^2> - <e>^2)/T^2"),
    "susceptibility": (SUSCEPTIBILITY, "susceptibility N (<m^2> - <|m|>^2)/T (|m| convention)"),
    "binder": (DIMENSIONLESS, "Binder cumulant U = 1 - <m^4>/(3 <m^2>^2)"),
    "tau_energy": (
        DIMENSIONLESS,
        "integrated autocorrelation time of the energy, in records",
    ),
    "tau_abs_magnetization": (
        DIMENSIONLESS,
        "integrated autocorrelation time of |m|, in records",
    ),
    "overlap": (DIMENSIONLESS, "overlap with the best-matching pattern <max_mu |m_mu|>"),
    "overlaps": (DIMENSIONLESS, "pattern overlaps m_mu = (1/N) sum_i xi_i^mu S_i"),
    "q_abs": (DIMENSIONLESS, "replica overlap <|q|>"),
    "q2": (DIMENSIONLESS, "replica overlap <q^2>"),
    "replica_overlap": (DIMENSIONLESS, "replica overlap q = (1/N) sum_i S_i^a S_i^b"),
    "states": (DIMENSIONLESS, "final spins S_i = +-1"),
    "acceptance": (DIMENSIONLESS, "fraction of update attempts that flipped a spin"),
    "swap_acceptance": (
        DIMENSIONLESS,
        "replica-exchange acceptance between neighbouring temperatures",
    ),
    "sweep": (DIMENSIONLESS, "Monte Carlo sweeps after burn-in (N update attempts each)"),
    "chain": (DIMENSIONLESS, "chain index"),
    "pattern": (DIMENSIONLESS, "pattern index mu"),
    "pair": (DIMENSIONLESS, "replica pair (chains 2k, 2k + 1)"),
    "site": (DIMENSIONLESS, "spin index i"),
    "T_pair": (TEMPERATURE, "midpoint of neighbouring temperatures"),
}

# Convergence diagnostics (statnn.stats.diagnostics) of the observables that have them.
for _obs in ("energy", "abs_magnetization", "overlap"):
    _units, _long = VARIABLE_ATTRS[_obs]
    VARIABLE_ATTRS.update(
        {
            f"rhat_{_obs}": (
                DIMENSIONLESS,
                f"rank-normalised split R-hat across chains of {_long}",
            ),
            f"ess_bulk_{_obs}": (DIMENSIONLESS, f"bulk effective sample size of {_long}"),
            f"ess_tail_{_obs}": (DIMENSIONLESS, f"tail effective sample size of {_long}"),
            f"mcse_{_obs}": (_units, f"Monte Carlo standard error (ArviZ) of {_long}"),
        }
    )
VARIABLE_ATTRS["converged"] = (
    DIMENSIONLESS,
    "1 where R-hat <= rhat_max and bulk ESS >= ess_min for the energy and |m|",
)
VARIABLE_ATTRS["round_trip_rate"] = (
    "1/sweep",
    "round trips coldest -> hottest -> coldest per replica ladder and sweep",
)
VARIABLE_ATTRS["round_trips"] = (
    DIMENSIONLESS,
    "round trips coldest -> hottest -> coldest completed by all replicas while recording",
)
VARIABLE_ATTRS["barrier"] = (DIMENSIONLESS, "global communication barrier sum_k (1 - acceptance_k)")


def label_variables(ds, attrs: Mapping[str, tuple[str, str]] | None = None):
    """Give every variable and coordinate of ``ds`` ``units`` and ``long_name`` (in place).

    Attributes already set are kept. Others come from ``attrs`` (name → (units,
    long_name)), then :data:`VARIABLE_ATTRS`; ``X_err`` takes the units of ``X`` and the
    long name "standard error of …".

    Parameters
    ----------
    ds : xarray.Dataset
    attrs : mapping, optional
        Extra name → (units, long_name) entries, taking precedence over the shared ones.

    Returns
    -------
    xarray.Dataset
        ``ds``.
    """
    table = {**VARIABLE_ATTRS, **(attrs or {})}

    def entry(name: str) -> tuple[str, str] | None:
        if name in table:
            return table[name]
        if name.endswith("_err"):
            base = name[: -len("_err")]
            found = entry(base)
            if found is None:
                return None
            long = ds.variables[base].attrs.get("long_name", found[1]) if base in ds else found[1]
            return found[0], f"standard error of {long}"
        return None

    for name, var in ds.variables.items():
        found = entry(str(name))
        if found is None:
            continue
        var.attrs.setdefault("units", found[0])
        var.attrs.setdefault("long_name", found[1])
    return ds


def run_dataset(run):
    """The :class:`xarray.Dataset` of a Monte Carlo run (:meth:`statnn.Run.to_xarray`)."""
    import xarray as xr

    T = np.asarray(run.T, dtype=float)
    n_T, chains, records = np.shape(run.energy)
    sweeps = np.asarray(run.record_sweeps)
    per_record = ("T", "chain", "sweep")
    variables = {
        "energy": (per_record, np.asarray(run.energy)),
        "magnetization": (per_record, np.asarray(run.magnetization)),
        "acceptance": (("T", "chain"), np.asarray(run.acceptance)),
        "states": (("T", "chain", "site"), np.asarray(run.states)),
    }
    coords = {"T": T, "chain": np.arange(chains), "sweep": sweeps}
    if run.overlaps is not None:
        variables["overlaps"] = ((*per_record, "pattern"), np.asarray(run.overlaps))
        coords["pattern"] = np.arange(np.shape(run.overlaps)[-1])
    if run.replica_overlap is not None:
        variables["replica_overlap"] = (("T", "pair", "sweep"), np.asarray(run.replica_overlap))
        coords["pair"] = np.arange(np.shape(run.replica_overlap)[1])
    if run.swap_acceptance is not None:
        variables["swap_acceptance"] = ("T_pair", np.asarray(run.swap_acceptance))
        coords["T_pair"] = 0.5 * (T[:-1] + T[1:])
    for name in ("round_trips", "round_trip_rate", "barrier"):
        value = getattr(run, name, None)
        if value is not None:
            variables[name] = ((), np.asarray(value))
    coords["site"] = np.arange(np.shape(run.states)[-1])
    ds = xr.Dataset(
        variables,
        coords=coords,
        attrs={
            "title": "statnn Monte Carlo run",
            "n": int(run.n),
            "params": json.dumps(to_jsonable(dict(run.params), strict=True), sort_keys=True),
        },
    )
    return label_variables(ds)


def summary_dataset(summary):
    """The :class:`xarray.Dataset` of a :class:`statnn.stats.Summary` (one row per T)."""
    import xarray as xr

    columns = summary.to_dict()
    T = columns.pop("T")
    ds = xr.Dataset(
        {k: ("T", v) for k, v in columns.items()},
        coords={"T": T},
        attrs={
            "title": "statnn Monte Carlo summary",
            "n": int(summary.n),
            "chains": int(summary.chains),
            "records": int(summary.records),
        },
    )
    return label_variables(ds)


# ----------------------------------------------------------------------------- datasets


_INT64 = (-(2**63), 2**63 - 1)


def _netcdf_attr(value: Any) -> Any:
    """An attribute netCDF can store: integers beyond int64 become their decimal text."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value if _INT64[0] <= value <= _INT64[1] else str(value)
    if isinstance(value, list | tuple) and any(
        isinstance(v, int) and not isinstance(v, bool) and not _INT64[0] <= v <= _INT64[1]
        for v in value
    ):
        return json.dumps(to_jsonable(value))
    return value


def netcdf_bytes(ds) -> bytes:
    """The netCDF-4 file (h5netcdf engine) of ``ds``, built in memory.

    HDF5 never writes to a disk this way: h5py/HDF5 can crash the process when a disk
    fills up under it, so the file is built in memory and then written with ordinary,
    checked writes (:func:`save_dataset`).
    """
    ds = ds.copy(deep=False)
    ds.attrs = {k: _netcdf_attr(v) for k, v in ds.attrs.items()}
    with _no_distributed_import():
        return bytes(ds.to_netcdf(engine="h5netcdf", invalid_netcdf=False))


@contextlib.contextmanager
def _no_distributed_import():
    """While inside: ``import distributed`` fails, if it has not been imported yet.

    xarray's ``to_netcdf`` asks whether the active dask scheduler is a
    ``distributed.Client`` (to close the file between the writes of dask-chunked data),
    and asking imports dask.distributed: a tenth of a second or more, in every process
    that saves a result. Where ``distributed`` was never imported no Client can exist, and
    the answer xarray gets when the import fails (no distributed scheduler) is the true
    one. A process that uses dask.distributed has imported it, and is left alone.
    """
    if "distributed" in sys.modules:
        yield
        return
    sys.modules["distributed"] = None  # the import system's mark of a module that is absent
    try:
        yield
    finally:
        if "distributed" in sys.modules and sys.modules["distributed"] is None:
            del sys.modules["distributed"]


def save_dataset(ds, path: str | os.PathLike) -> Path:
    """Save an :class:`xarray.Dataset` as netCDF-4 (h5netcdf engine) atomically.

    The file is built in memory (:func:`netcdf_bytes`), the free space is checked, then
    it is written with :func:`atomic_write_bytes`: a full disk gives a clear
    :class:`OSError` and leaves any earlier file untouched, never a crash or a partial
    file. Integer attributes beyond 64 bits are stored as decimal text.

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
    data = netcdf_bytes(ds)
    path.parent.mkdir(parents=True, exist_ok=True)
    return atomic_write_bytes(path, data)


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
