"""A sweep's directory: manifest, point records, lock, resume.

On disk (``out_dir``)::

    sweep.json          the manifest: task, grid (in order), fixed parameters, versions
    points/<key>.json   one record per finished point (statnn.results.point_record)
    results.nc          every point gathered into one xarray Dataset (netCDF-4)
    .lock               held while a sweep runs in the directory

A point whose record is there and verifies (checksum, key, parameters) is never
recomputed; a truncated or corrupt record is set aside as ``<key>.json.corrupt`` and the
point recomputed.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from statnn._version import __version__
from statnn.errors import ValidationError
from statnn.results import atomic_write_json, dumps, read_point
from statnn.sweep.spec import Point, SweepSpec, canonical

MANIFEST = "sweep.json"
RESULTS = "results.nc"
POINTS = "points"
LOCK = ".lock"
SPEC_FORMAT = "statnn.sweep"
FAILURE_FORMAT = "statnn.sweep.failure"


@dataclass
class SweepStats:
    """What a run did: points in the grid, reused from disk, computed now, recovered from
    corrupt records, failed (their task raised, or their result did not fit the others')."""

    total: int = 0
    reused: int = 0
    computed: int = 0
    corrupt: int = 0
    failed: int = 0
    out_dir: Path | None = None


@contextlib.contextmanager
def locked(out_dir: Path):
    """Hold an exclusive lock on ``out_dir`` (two sweeps must not share a directory).

    The lock is :class:`filelock.FileLock` on ``out_dir/.lock`` (``flock`` on POSIX),
    taken without waiting: a second sweep in the same directory is refused at once.
    """
    import filelock

    lock = filelock.FileLock(out_dir / LOCK, timeout=0)
    try:
        lock.acquire()
    except filelock.Timeout:
        raise ValidationError(
            f"Another sweep is running in {out_dir} (its lock file is held); wait for it "
            "or choose another output directory."
        ) from None
    try:
        yield
    finally:
        lock.release()


def _describe_difference(old: Mapping, new: Mapping) -> str:
    for part in ("task", "dims"):
        if old.get(part) != new.get(part):
            return f"{part} {old.get(part)!r} vs {new.get(part)!r}"
    for part in ("grid", "fixed"):
        a, b = old.get(part, {}), new.get(part, {})
        for k in sorted(set(a) | set(b)):
            if canonical(a.get(k)) != canonical(b.get(k)):
                return f"{part}.{k} {a.get(k)!r} vs {b.get(k)!r}"
    return "the spec"


def prepare_dir(out_dir: Path, spec: SweepSpec, extend: bool) -> None:
    """Check (or write) the output directory's manifest against ``spec``."""
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
        if canonical(old_identity) != canonical(identity):
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


def clean_temp_files(points_dir: Path) -> None:
    """Remove temporary files left by a killed run (we hold the directory's lock)."""
    for tmp in points_dir.glob(".*.tmp"):
        with contextlib.suppress(OSError):
            tmp.unlink()


def load_finished(
    points: list[Point], points_dir: Path, task_name: str, stats: SweepStats
) -> dict[str, dict]:
    """The valid records of finished points, by key (invalid ones are counted in stats)."""
    finished: dict[str, dict] = {}
    for point in points:
        path = points_dir / f"{point.key}.json"
        if not path.exists():
            continue
        record, reason = read_point(path)
        if record is not None and (
            record.get("key") != point.key
            or record.get("task") != task_name
            or canonical(record.get("params")) != canonical(point.params)
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


def failure_record(
    point: Point, task: str, error: BaseException | str, wall_time: float, trace: str = ""
) -> dict:
    """The record of a point whose task raised: its parameters and the error, one line."""
    import socket

    if isinstance(error, BaseException):
        error = f"{type(error).__name__}: {error}"
    message = " ".join(str(error).split())
    return {
        "format": FAILURE_FORMAT,
        "key": point.key,
        "task": task,
        "params": json.loads(dumps(point.params)),
        "grid": json.loads(dumps(point.grid)),
        "seed": point.params.get("seed"),
        "backend": point.params.get("backend"),
        "device": point.params.get("device"),
        "version": __version__,
        "host": socket.gethostname(),
        "wall_time": float(wall_time),
        "error": message if len(message) <= 1000 else message[:997] + "...",
        "traceback": trace,
    }


def is_failure(record: Mapping) -> bool:
    """Whether ``record`` is a :func:`failure_record` (not a finished point)."""
    return record.get("format") == FAILURE_FORMAT


def failure_path(points_dir: Path, key: str) -> Path:
    """Where a failed point's record is kept (``points/<key>.failed.json``): for reading;
    a failed point is retried on the next run, and the file goes when it succeeds."""
    return points_dir / f"{key}.failed.json"
