"""The task registry: what a sweep runs at each point.

A *task* is a function of keyword parameters returning a mapping of scalars/arrays or an
:class:`xarray.Dataset`. Built-in tasks (:mod:`statnn.sweep.tasks`) register themselves
here under a name used in sweep files; any importable ``"module:function"`` or a callable
works too.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from statnn._validation import param_error


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
        ``check(names, fixed, grid, caller)`` validates the parameter names and values
        (every value of every parameter, and the constraints between them) before any
        point runs.
    labels : mapping
        ``name -> (units, long_name)`` of the task's parameters and results, for the
        gathered Dataset (units "1" for dimensionless).
    """

    name: str
    func: Callable[..., Any]
    check: Callable[..., None] | None = None
    labels: Mapping[str, tuple[str, str]] = field(default_factory=dict)


#: The registered tasks, by name.
TASKS: dict[str, SweepTask] = {}


def register_task(
    name: str,
    check: Callable[..., None] | None = None,
    labels: Mapping[str, tuple[str, str]] | None = None,
):
    """Decorator registering a point function under ``name`` (see :class:`SweepTask`).

    Parameters
    ----------
    name : str
        The name sweep files use (``task = "name"``).
    check : callable, optional
        ``check(names, fixed, grid, caller)``, run before any point: raise
        :class:`~statnn.errors.ValidationError` for a bad parameter.
    labels : mapping, optional
        ``name -> (units, long_name)`` of parameters and results (see :class:`SweepTask`).

    Examples
    --------
    >>> import statnn.sweep as sw
    >>> @sw.register_task("square")
    ... def square(x, seed=None):
    ...     return {"x2": x * x}
    """

    def decorate(func):
        TASKS[name] = SweepTask(name, func, check, dict(labels or {}))
        return func

    return decorate


def resolve_task(task: Any, caller: str) -> tuple[str, SweepTask]:
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
