"""Sweep specs: grids, point keys, validation of a sweep's parts, TOML sweep files.

A sweep is a *task*, a *grid* (ordered ``name -> list of values``; the cartesian product
is run, the first name varying slowest) and *fixed* parameters shared by every point.
Each point is identified by :func:`point_key`, a hash of the task's name and the point's
parameters, which names its record on disk.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import numbers
import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from statnn._validation import param_error
from statnn.errors import ValidationError
from statnn.sweep.registry import SweepTask, resolve_task

# ------------------------------------------------------------------------------- grid


def plain(value: Any) -> Any:
    """Plain JSON-able Python values (numpy scalars/arrays and tuples converted)."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, tuple | list):
        return [plain(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    return value


def canonical(obj: Any) -> str:
    """Canonical JSON of ``obj``: sorted keys, no spaces, no NaN."""
    return json.dumps(plain(obj), sort_keys=True, separators=(",", ":"), allow_nan=False)


def point_key(task: str, params: Mapping[str, Any]) -> str:
    """Stable key of a point: 16 hex digits of the SHA-256 of its canonical JSON.

    The canonical JSON has sorted keys and no spaces, so the key depends on the task's
    name and on the parameter values only (not on their order, the grid's order or the
    machine).
    """
    text = canonical({"task": task, "params": dict(params)})
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def seed_from_key(key: str) -> int:
    """A 32-bit seed derived from a point's key (for tasks run without a seed parameter)."""
    return int(key[:8], 16)


#: The largest seed a sweep accepts: seeds are stored as int64 in results.nc (and numpy's
#: SeedSequence takes any int >= 0).
SEED_MAX = 2**63 - 1
#: Grid names the gathered Dataset uses for itself.
RESERVED_NAMES = ("failed", "error")
#: Points a sweep runs unless asked for more (``max_points=`` / ``--max-points``).
DEFAULT_MAX_POINTS = 100_000


def check_seed_value(value: Any, name: str, caller: str) -> int:
    """A seed as a sweep stores it: an int in [0, 2**63 - 1]."""
    ok = isinstance(value, numbers.Integral) and not isinstance(value, bool)
    if not ok or not 0 <= value <= SEED_MAX:
        raise param_error(name, caller, "an int in [0, 2**63 - 1]", value)
    return int(value)


def check_name(name: Any, where: str, caller: str) -> str:
    """A parameter name usable as a netCDF variable or attribute name: a non-empty string
    without '/' (HDF5's group separator), control characters or surrounding spaces."""
    if (
        not isinstance(name, str)
        or not name
        or "/" in name
        or name != name.strip()
        or any(ord(c) < 32 or ord(c) == 127 for c in name)
    ):
        raise param_error(
            where,
            caller,
            "a table whose keys are names usable in netCDF (non-empty, no '/', no control "
            "characters or surrounding spaces)",
            name,
        )
    return name


def _scalar_kind(value: Any) -> str | None:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, numbers.Real) and math.isfinite(float(value)):
        return "number"
    if isinstance(value, str):
        return "str"
    return None


def check_grid(grid: Any, caller: str) -> dict[str, list]:
    """The grid as parameter name → list of checked values (ValidationError otherwise)."""
    expected_grid = "a non-empty table of parameter name -> list of values"
    if not isinstance(grid, Mapping) or not grid:
        raise param_error("grid", caller, expected_grid, grid)
    out: dict[str, list] = {}
    for name, values in grid.items():
        where = f"grid.{name}"
        expected = "a non-empty list of distinct numbers, strings or booleans (all of one kind)"
        check_name(name, "grid", caller)
        if name in RESERVED_NAMES:
            raise param_error(
                "grid",
                caller,
                "a table whose keys are not " + " or ".join(map(repr, RESERVED_NAMES)),
                name,
                hint="The results use these names to mark failed points.",
            )
        values = plain(values)
        if not isinstance(values, list) or not values:
            raise param_error(where, caller, expected, values)
        kinds = {_scalar_kind(v) for v in values}
        if None in kinds or len(kinds) != 1:
            raise param_error(where, caller, expected, values)
        if len({canonical(v) for v in values}) != len(values) or (
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
        object.__setattr__(self, "params", check_grid(self.params, "Grid"))

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
    >>> import statnn.sweep as sw
    >>> sw.expand_grid({"T": [1.0, 2.0], "seed": [0, 1]})
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


def check_fixed(fixed: Any, grid: Mapping[str, list], caller: str) -> dict[str, Any]:
    """The fixed parameters as plain JSON-able values, none of them also in the grid."""
    if fixed is None:
        return {}
    if not isinstance(fixed, Mapping):
        raise param_error("fixed", caller, "a table of parameter name -> value", fixed)
    for k in fixed:
        check_name(k, "fixed", caller)
    fixed = {k: plain(v) for k, v in fixed.items()}
    for k, v in fixed.items():
        try:
            canonical(v)
        except (TypeError, ValueError):
            raise param_error(
                f"fixed.{k}", caller, "a number, string, boolean or list of them", v
            ) from None
        if k in grid:
            raise param_error(
                f"fixed.{k}",
                caller,
                "absent when the parameter is in the grid",
                v,
                hint=f"'{k}' is both in [grid] and [fixed]; keep one.",
            )
    return fixed


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
    name, resolved = resolve_task(task, caller)
    grid = check_grid(grid, caller)
    fixed = check_fixed(fixed, grid, caller)
    if out is not None and not isinstance(out, str | os.PathLike):
        raise param_error("out", caller, "a directory path", out)
    if not isinstance(description, str):
        raise param_error("description", caller, "a string", description)
    if "seed" in fixed:
        check_seed_value(fixed["seed"], "fixed.seed", caller)
    for value in grid.get("seed", []):
        check_seed_value(value, "grid.seed", caller)
    if resolved.check is not None:
        resolved.check(list(fixed) + list(grid), fixed, grid, caller)
    spec = SweepSpec(name, grid, fixed, None if out is None else str(out), description)
    return spec, resolved


def _read_toml(path: Path) -> dict:
    import tomllib

    with open(path, "rb") as fh:
        data = fh.read()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValidationError(
            f"The sweep file {path} is not UTF-8 text (byte {data[exc.start]:#04x} at "
            f"offset {exc.start}); TOML files are UTF-8."
        ) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ValidationError(f"The sweep file {path} is not valid TOML: {exc}.") from None


def check_size(grid: Grid, max_points: Any, caller: str) -> int:
    """The grid's number of points (a product of lengths: nothing is enumerated), refused
    above ``max_points`` (None: :data:`DEFAULT_MAX_POINTS`)."""
    limit = DEFAULT_MAX_POINTS if max_points is None else max_points
    ok = isinstance(limit, numbers.Integral) and not isinstance(limit, bool) and limit >= 1
    if not ok:
        raise param_error("max_points", caller, "None or an int >= 1", max_points)
    if grid.size > limit:
        shape = " x ".join(f"{n} {d}" for d, n in zip(grid.dims, grid.shape, strict=True))
        raise param_error(
            "grid",
            caller,
            f"at most {limit:,} points (max_points)",
            f"<{grid.size:,} points ({shape})>",
            hint="Pass max_points= (--max-points N) to run a larger sweep on purpose.",
        )
    return grid.size


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


# ----------------------------------------------------------------------------- points


@dataclass(frozen=True)
class Point:
    """One point of a sweep: its key, its grid coordinates and every parameter its task gets."""

    key: str
    grid: dict[str, Any]
    params: dict[str, Any]


def make_points(spec: SweepSpec, grid: Grid) -> list[Point]:
    """The sweep's points: fixed plus grid parameters, a key each, a seed from the key."""
    points = []
    for gp in grid:
        params = {**spec.fixed, **gp}
        key = point_key(spec.task, params)
        if "seed" not in params:
            params["seed"] = seed_from_key(key)
        points.append(Point(key, gp, params))
    return points
